/**
 * Rewards bookkeeping of locks over the state (PROTOCOL §7.2, §7.3), O(1) per lock touched:
 *
 * - every locked unit earns the global staking accumulator (`stakeAcc`);
 * - a lock voting for a candidate also earns that candidate's voter accumulator per unit of its
 *   vote weight x = t·T, but only once it has voted for that candidate since before the current
 *   epoch began (`since` < the epoch's first block): a vote cast during an epoch carries weight
 *   0 until the next epoch's start, so hopping from proposer to proposer earns nothing. The time
 *   gain t is taken when the lock starts voting and again for the voters of each epoch's
 *   validators at the epoch's start (where a vote of the ending epoch gets its weight); in
 *   between, x follows only the amount (claims and compounding do not re-take t, so when a lock
 *   is claimed does not change what it earns). The candidate's total weight is the exact sum of
 *   its voters' weights at all times;
 * - settling adds what a lock earned to its `owed`; with autoCompound the owed amount is added
 *   to the lock instead. Unclaimed rewards sit in the staking reward pool account.
 *
 * The staking contract calls `detach` before it changes a lock and `attach` after (the ledger is
 * its RewardBook).
 */
import { equalBytes } from '../crypto/bytes.js';
import { assert } from '../primitives/errors.js';
import { STAKING_REWARD_POOL } from '../primitives/system-addresses.js';
import type { Address } from '../primitives/types.js';
import type { StateDB } from '../state/state-db.js';
import type { RewardBook } from '../staking/contract.js';
import { epochBounds, epochOf } from '../staking/epochs.js';
import { LockStore, type Lock } from '../staking/lock-store.js';
import type { StakingParams } from '../params/registry.js';
import { lockWeight, timeGain } from '../staking/weights.js';
import { dueSince } from './accumulator.js';
import { RewardStore, type EconomicState, type LockRewards } from './reward-store.js';

/** What a lock can claim now: settled plus not yet settled rewards. */
export function pendingRewards(rewards: RewardStore, lock: Lock): bigint {
  const r = rewards.lockRewards(lock.id);
  return r.owed + unsettled(rewards, rewards.economics(), lock, r);
}

function unsettled(rewards: RewardStore, econ: EconomicState, lock: Lock, r: LockRewards): bigint {
  let due = dueSince(lock.amount, econ.stakeAcc, r.stakeSnap);
  if (lock.candidate && r.weight > 0n)
    due += dueSince(r.weight, rewards.candidateRewards(lock.candidate).acc, r.voteSnap);
  return due;
}

function moveBalance(state: StateDB, from: Address, to: Address, amount: bigint): void {
  if (amount === 0n) return;
  const a = state.getAccount(from);
  assert(a.balance >= amount, () => `system account short of ${amount - a.balance} units`);
  state.putAccount(from, { ...a, balance: a.balance - amount });
  const b = state.getAccount(to);
  state.putAccount(to, { ...b, balance: b.balance + amount });
}

export class RewardLedger implements RewardBook<LockRewards> {
  private readonly locks: LockStore;
  private readonly rewards: RewardStore;
  /** A vote weighs only if cast before this height: the first block of the weighed epoch. */
  private votedBefore: bigint;

  constructor(
    private readonly state: StateDB,
    private readonly params: StakingParams,
    private readonly height: bigint,
  ) {
    this.locks = new LockStore(state);
    this.rewards = new RewardStore(state);
    this.votedBefore = epochBounds(epochOf(height, params), params).first;
  }

  /** Books a new lock (already written, with its vote if any): it earns from now on. */
  open(lock: Lock, autoCompound = false): void {
    const econ = this.rewards.economics();
    this.rewards.setEconomics({ ...econ, totalLocked: econ.totalLocked + lock.amount });
    this.attach(lock, {
      autoCompound,
      stakeSnap: econ.stakeAcc,
      timeGain: 0n,
      weight: 0n,
      voteSnap: 0n,
      owed: 0n,
    });
  }

  /**
   * Settles a lock and takes its weight off its candidate, before the caller changes it. With
   * autoCompound the owed rewards join the lock (the returned lock is written, grown). Of
   * `econ` only stakeAcc is read, so a caller settling many locks may pass it once.
   */
  detach(lock: Lock, econ = this.rewards.economics()): { lock: Lock; rewards: LockRewards } {
    let r = this.rewards.lockRewards(lock.id);
    r = { ...r, owed: r.owed + unsettled(this.rewards, econ, lock, r), stakeSnap: econ.stakeAcc };
    if (lock.candidate && r.weight > 0n) {
      const c = this.rewards.candidateRewards(lock.candidate);
      this.rewards.setCandidateRewards(lock.candidate, {
        ...c,
        totalWeight: c.totalWeight - r.weight,
      });
    }
    r = { ...r, weight: 0n, voteSnap: 0n };
    if (r.autoCompound && r.owed > 0n) {
      lock = this.compound(lock, r.owed);
      r = { ...r, owed: 0n };
    }
    return { lock, rewards: r };
  }

  /**
   * Books a lock's weight with its (new) candidate after the caller changed it. `retakeTime`:
   * take the time gain t now (a new vote, an epoch's start), else keep the one the lock had.
   * A lock whose vote (its `since`: a vote or unvote resets it) is not older than the weighed
   * epoch's start gets weight 0: it shares its candidate's rewards from the next epoch.
   */
  attach(lock: Lock, r: LockRewards, retakeTime = true): void {
    if (lock.candidate) {
      const t = retakeTime ? timeGain(this.height - lock.since, this.params) : r.timeGain;
      const weight = lock.since < this.votedBefore ? lockWeight(lock.amount, t) : 0n;
      const c = this.rewards.candidateRewards(lock.candidate);
      this.rewards.setCandidateRewards(lock.candidate, {
        ...c,
        totalWeight: c.totalWeight + weight,
      });
      r = { ...r, timeGain: t, weight, voteSnap: c.acc };
    }
    this.rewards.setLockRewards(lock.id, r);
  }

  /**
   * Adds `amount` (already moved into the owner's locked funds) to a lock and restarts its age:
   * the added stake is a new commitment, weighed from the next epoch like a new vote.
   */
  topUp(own: Lock, amount: bigint): Lock {
    const { lock, rewards } = this.detach(own);
    const econ = this.rewards.economics();
    this.rewards.setEconomics({ ...econ, totalLocked: econ.totalLocked + amount });
    const grown = { ...lock, amount: lock.amount + amount, since: this.height };
    this.locks.putLock(grown);
    this.attach(grown, rewards);
    return grown;
  }

  /** Pays a lock's rewards: to the owner's balance, or into the lock with autoCompound. */
  claim(own: Lock): { amount: bigint; compounded: boolean } {
    const { lock, rewards } = this.detach(own);
    const compounded = rewards.autoCompound;
    const amount = compounded ? lock.amount - own.amount : rewards.owed;
    this.attach(lock, compounded ? rewards : this.payOut(lock, rewards), false);
    return { amount, compounded };
  }

  setAutoCompound(own: Lock, on: boolean): void {
    const { lock, rewards } = this.detach(own);
    this.attach(lock, { ...rewards, autoCompound: on }, false);
  }

  rewardsOf(lock: Lock): { pending: bigint; autoCompound: boolean } {
    return {
      pending: pendingRewards(this.rewards, lock),
      autoCompound: this.rewards.lockRewards(lock.id).autoCompound,
    };
  }

  /** Closes a detached lock that is being unlocked: its owed rewards go to the owner's balance. */
  close(lock: Lock, r: LockRewards): bigint {
    const econ = this.rewards.economics();
    this.rewards.setEconomics({ ...econ, totalLocked: econ.totalLocked - lock.amount });
    this.rewards.setLockRewards(lock.id, null);
    moveBalance(this.state, STAKING_REWARD_POOL, lock.owner, r.owed);
    return r.owed;
  }

  /** Pays a detached lock's owed rewards to its owner's balance. */
  payOut(lock: Lock, r: LockRewards): LockRewards {
    moveBalance(this.state, STAKING_REWARD_POOL, lock.owner, r.owed);
    return { ...r, owed: 0n };
  }

  /** Adds `amount` of the reward pool to a lock (and to its owner's locked funds and S). */
  private compound(lock: Lock, amount: bigint): Lock {
    const pool = this.state.getAccount(STAKING_REWARD_POOL);
    this.state.putAccount(STAKING_REWARD_POOL, { ...pool, balance: pool.balance - amount });
    const owner = this.state.getAccount(lock.owner);
    this.state.putAccount(lock.owner, { ...owner, locked: owner.locked + amount });
    const econ = this.rewards.economics();
    this.rewards.setEconomics({ ...econ, totalLocked: econ.totalLocked + amount });
    const grown = { ...lock, amount: lock.amount + amount };
    this.locks.putLock(grown);
    return grown;
  }

  /**
   * Settles and re-weighs every lock voting for these candidates, at an epoch's last block for
   * the epoch that follows: every vote cast until now weighs from its first block on.
   */
  refreshVoters(operators: readonly Address[]): void {
    this.votedBefore = this.height + 1n;
    // Settling reads only stakeAcc, which nothing here changes: one read serves every lock.
    const econ = this.rewards.economics();
    const seen: Address[] = [];
    for (const op of operators) {
      if (seen.some((s) => equalBytes(s, op))) continue;
      seen.push(op);
      for (const id of this.locks.votesFor(op)) {
        const { lock, rewards } = this.detach(this.locks.getLock(id)!, econ);
        this.attach(lock, rewards);
      }
    }
  }
}
