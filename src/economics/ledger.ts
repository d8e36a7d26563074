/**
 * Rewards bookkeeping of locks over the state (PROTOCOL §7.2, §7.3), O(1) per lock touched and
 * O(buckets) per candidate at an epoch's end, however many locks vote:
 *
 * - every locked unit earns the global staking accumulator (`stakeAcc`);
 * - a lock voting for a candidate also earns that candidate's voter accumulator per unit of its
 *   vote weight x = t·T, but only once it has voted for that candidate since before the current
 *   epoch began (`since` < the epoch's first block): a vote cast during an epoch carries weight
 *   0 until the next epoch's start, so hopping from proposer to proposer earns nothing;
 * - the time gain t is kept per vote bucket (src/staking/lock-store.ts: the locks that started
 *   voting for the candidate at one height, which share `since` and so t), not per lock. A new
 *   bucket has t = 0; the refresh of each epoch's validators' voters at the epoch's start (the
 *   previous epoch's last block, after the halving) takes t of every bucket of those candidates
 *   anew, which gives the votes of the ending epoch their weight. In between, x follows only the
 *   amount (claims and compounding do not re-take t, so when a lock is claimed does not change
 *   what it earns). The candidate's total weight is Σ amount·t over its buckets, the exact sum of
 *   its voters' weights, at all times outside a call that changes a lock;
 * - since x = amount·t is linear in the amount within a bucket, a bucket accumulates the voter
 *   reward per unit of amount, `acc`: whenever its t changes (the refresh), first
 *   acc += t·(candidate acc − snap), with no rounding (both are 10^36-scaled integers), and
 *   snap = candidate acc. A lock's vote reward is amount·(its bucket's acc now − its snapshot),
 *   rounded down once when the lock is settled: nothing per lock happens at an epoch's end;
 * - settling (any touch of the lock: claim, vote, unvote, top-up, unlock, setAutoCompound) adds
 *   what a lock earned to its `owed`; with autoCompound the owed amount is added to the lock
 *   instead. Unclaimed rewards sit in the staking reward pool account.
 *
 * A lock's settled reward is therefore ⌊amount·Σ_periods t·Δacc / 10^36⌋ per stretch between two
 * touches: the exact share rounded down once, never more than the exact share, and no more than
 * the per-period roundings of an eager per-lock refresh would keep (docs/economics.md).
 *
 * The staking contract calls `detach` before it changes a lock and `attach` after (the ledger is
 * its RewardBook). Between the two the lock's amount is in its bucket but not in its candidate's
 * total weight.
 */
import { equalBytes } from '../crypto/bytes.js';
import { assert } from '../primitives/errors.js';
import { STAKING_REWARD_POOL } from '../primitives/system-addresses.js';
import type { Address } from '../primitives/types.js';
import type { StateDB } from '../state/state-db.js';
import type { RewardBook } from '../staking/contract.js';
import { epochBounds, epochOf } from '../staking/epochs.js';
import { LockStore, type Lock, type VoteBucket } from '../staking/lock-store.js';
import type { StakingParams } from '../params/registry.js';
import { lockWeight, timeGain } from '../staking/weights.js';
import { dueSince } from './accumulator.js';
import { RewardStore, type EconomicState, type LockRewards } from './reward-store.js';

/** A bucket's voter reward per unit of amount at a candidate accumulator `candAcc`. */
function bucketAcc(b: VoteBucket, candAcc: bigint): bigint {
  return b.acc + b.t * (candAcc - b.snap);
}

/** A bucket brought up to `candAcc`, ready for its t to change. */
function settleBucket(b: VoteBucket, candAcc: bigint): VoteBucket {
  return { ...b, acc: bucketAcc(b, candAcc), snap: candAcc };
}

/** What a lock can claim now: settled plus not yet settled rewards. */
export function pendingRewards(state: StateDB, lock: Lock): bigint {
  const rewards = new RewardStore(state);
  const r = rewards.lockRewards(lock.id);
  return r.owed + unsettled(rewards, new LockStore(state), rewards.economics(), lock, r);
}

/** A lock's vote weight x = T·t with its bucket's t (0 when it does not vote). */
export function voteWeight(state: StateDB, lock: Lock): bigint {
  const v = new LockStore(state).bucketOfLock(lock.id);
  return v === null ? 0n : lockWeight(lock.amount, v.bucket.t);
}

/** The voter reward per unit of amount a lock's bucket has earned for it so far. */
function lockAcc(rewards: RewardStore, locks: LockStore, lock: Lock): bigint | null {
  const v = lock.candidate ? locks.bucketOfLock(lock.id) : null;
  if (v === null) return null;
  return bucketAcc(v.bucket, rewards.candidateRewards(lock.candidate!).acc) + v.offset;
}

function unsettled(
  rewards: RewardStore,
  locks: LockStore,
  econ: EconomicState,
  lock: Lock,
  r: LockRewards,
): bigint {
  let due = dueSince(lock.amount, econ.stakeAcc, r.stakeSnap);
  const acc = lockAcc(rewards, locks, lock);
  if (acc !== null) due += dueSince(lock.amount, acc, r.voteSnap);
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
    this.attach(lock, { autoCompound, stakeSnap: econ.stakeAcc, voteSnap: 0n, owed: 0n });
  }

  /**
   * Settles a lock and takes its weight off its candidate, before the caller changes it. With
   * autoCompound the owed rewards join the lock (the returned lock is written, grown). Of
   * `econ` only stakeAcc is read, so a caller settling many locks may pass it once.
   */
  detach(lock: Lock, econ = this.rewards.economics()): { lock: Lock; rewards: LockRewards } {
    let r = this.rewards.lockRewards(lock.id);
    r = {
      ...r,
      owed: r.owed + unsettled(this.rewards, this.locks, econ, lock, r),
      stakeSnap: econ.stakeAcc,
      voteSnap: 0n,
    };
    const t = lock.candidate ? (this.locks.bucketOfLock(lock.id)?.bucket.t ?? 0n) : 0n;
    if (t > 0n) {
      const c = this.rewards.candidateRewards(lock.candidate!);
      this.rewards.setCandidateRewards(lock.candidate!, {
        ...c,
        totalWeight: c.totalWeight - lockWeight(lock.amount, t),
      });
    }
    if (r.autoCompound && r.owed > 0n) {
      lock = this.compound(lock, r.owed);
      r = { ...r, owed: 0n };
    }
    return { lock, rewards: r };
  }

  /**
   * Books a lock's weight with its (new) candidate after the caller changed it: its amount times
   * its bucket's t. `retakeTime` (a new vote, a lock's opening, a top-up): a lock whose vote is
   * older than the weighed epoch's start (only at genesis: a vote cast now is not) has its
   * bucket's t taken now; a newer vote weighs 0 until the refresh that precedes the next epoch.
   */
  attach(lock: Lock, r: LockRewards, retakeTime = true): void {
    const v = lock.candidate ? this.locks.bucketOfLock(lock.id) : null;
    if (v !== null) {
      let b = v.bucket;
      const op = lock.candidate!;
      const c = this.rewards.candidateRewards(op);
      let totalWeight = c.totalWeight;
      if (retakeTime && lock.since < this.votedBefore) {
        const t = timeGain(this.height - lock.since, this.params);
        if (t !== b.t) {
          // The bucket's other locks (already in the total) are re-weighed with it.
          totalWeight += lockWeight(b.amount - lock.amount, t - b.t);
          b = { ...settleBucket(b, c.acc), t };
          this.locks.setBucket(op, b);
        }
      }
      totalWeight += lockWeight(lock.amount, b.t);
      this.rewards.setCandidateRewards(op, { ...c, totalWeight });
      r = { ...r, voteSnap: bucketAcc(b, c.acc) + v.offset };
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
      pending: pendingRewards(this.state, lock),
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
   * Re-weighs the voters of these candidates at an epoch's last block for the epoch that follows:
   * every vote cast until now weighs from its first block on. Per candidate, each vote bucket's
   * accumulator is brought up to date with its old t, then t is taken anew; no lock is read.
   * O(buckets).
   */
  refreshVoters(operators: readonly Address[]): void {
    this.votedBefore = this.height + 1n;
    const seen: Address[] = [];
    for (const op of operators) {
      if (seen.some((s) => equalBytes(s, op))) continue;
      seen.push(op);
      const c = this.rewards.candidateRewards(op);
      let totalWeight = 0n;
      const buckets = this.locks.bucketsOf(op).map((b) => {
        const t = timeGain(this.height - b.since, this.params);
        totalWeight += lockWeight(b.amount, t);
        return { ...settleBucket(b, c.acc), t };
      });
      this.locks.setBuckets(op, buckets);
      // Buckets the halving gave one `since` now share snap and t: they become one.
      this.locks.mergeBuckets(op, buckets);
      this.rewards.setCandidateRewards(op, { ...c, totalWeight });
    }
  }
}
