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
 * The staking contract calls `detach` before it changes a lock and `attach` after.
 */
import type { Address } from '../primitives/types.js';
import { equalBytes } from '../crypto/bytes.js';
import type { StateDB } from '../state/state-db.js';
import { STAKING_REWARD_POOL } from '../primitives/system-addresses.js';
import { epochBounds, epochOf } from '../staking/epochs.js';
import type { StakingParams } from '../staking/params.js';
import { StakingStore, type EconomicState, type Lock, type LockRewards } from '../staking/store.js';
import { lockWeight, timeGain } from '../staking/weights.js';
import { dueSince } from './accumulator.js';

/** What a lock can claim now: settled plus not yet settled rewards. */
export function pendingRewards(store: StakingStore, lock: Lock): bigint {
  const r = store.lockRewards(lock.id);
  return r.owed + unsettled(store, store.economics(), lock, r);
}

function unsettled(store: StakingStore, econ: EconomicState, lock: Lock, r: LockRewards): bigint {
  let due = dueSince(lock.amount, econ.stakeAcc, r.stakeSnap);
  if (lock.candidate && r.weight > 0n)
    due += dueSince(r.weight, store.candidateRewards(lock.candidate).acc, r.voteSnap);
  return due;
}

function moveBalance(state: StateDB, from: Address, to: Address, amount: bigint): void {
  if (amount === 0n) return;
  const a = state.getAccount(from);
  if (a.balance < amount) throw new Error(`system account short of ${amount - a.balance} units`);
  state.putAccount(from, { ...a, balance: a.balance - amount });
  const b = state.getAccount(to);
  state.putAccount(to, { ...b, balance: b.balance + amount });
}

export class RewardLedger {
  private readonly store: StakingStore;
  /** A vote weighs only if cast before this height: the first block of the weighed epoch. */
  private votedBefore: bigint;

  constructor(
    private readonly state: StateDB,
    private readonly params: StakingParams,
    private readonly height: bigint,
  ) {
    this.store = new StakingStore(state);
    this.votedBefore = epochBounds(epochOf(height, params), params).first;
  }

  /** Books a new lock (already written, with its vote if any): it earns from now on. */
  open(lock: Lock, autoCompound = false): void {
    const econ = this.store.economics();
    this.store.setEconomics({ ...econ, totalLocked: econ.totalLocked + lock.amount });
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
  detach(lock: Lock, econ = this.store.economics()): { lock: Lock; rewards: LockRewards } {
    let r = this.store.lockRewards(lock.id);
    r = { ...r, owed: r.owed + unsettled(this.store, econ, lock, r), stakeSnap: econ.stakeAcc };
    if (lock.candidate && r.weight > 0n) {
      const c = this.store.candidateRewards(lock.candidate);
      this.store.setCandidateRewards(lock.candidate, {
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
      const c = this.store.candidateRewards(lock.candidate);
      this.store.setCandidateRewards(lock.candidate, {
        ...c,
        totalWeight: c.totalWeight + weight,
      });
      r = { ...r, timeGain: t, weight, voteSnap: c.acc };
    }
    this.store.setLockRewards(lock.id, r);
  }

  /**
   * Adds `amount` (already moved into the owner's locked funds) to a lock and restarts its age:
   * the added stake is a new commitment, weighed from the next epoch like a new vote.
   */
  topUp(own: Lock, amount: bigint): Lock {
    const { lock, rewards } = this.detach(own);
    const econ = this.store.economics();
    this.store.setEconomics({ ...econ, totalLocked: econ.totalLocked + amount });
    const grown = { ...lock, amount: lock.amount + amount, since: this.height };
    this.store.putLock(grown);
    this.attach(grown, rewards);
    return grown;
  }

  /** Closes a detached lock that is being unlocked: its owed rewards go to the owner's balance. */
  close(lock: Lock, r: LockRewards): bigint {
    const econ = this.store.economics();
    this.store.setEconomics({ ...econ, totalLocked: econ.totalLocked - lock.amount });
    this.store.setLockRewards(lock.id, null);
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
    const econ = this.store.economics();
    this.store.setEconomics({ ...econ, totalLocked: econ.totalLocked + amount });
    const grown = { ...lock, amount: lock.amount + amount };
    this.store.putLock(grown);
    return grown;
  }

  /**
   * Settles and re-weighs every lock voting for these candidates, at an epoch's last block for
   * the epoch that follows: every vote cast until now weighs from its first block on.
   */
  refreshVoters(operators: readonly Address[]): void {
    this.votedBefore = this.height + 1n;
    // Settling reads only stakeAcc, which nothing here changes: one read serves every lock.
    const econ = this.store.economics();
    const seen: Address[] = [];
    for (const op of operators) {
      if (seen.some((s) => equalBytes(s, op))) continue;
      seen.push(op);
      for (const id of this.store.votesFor(op)) {
        const { lock, rewards } = this.detach(this.store.getLock(id)!, econ);
        this.attach(lock, rewards);
      }
    }
  }
}
