/**
 * The rules of the staking system contract (PROTOCOL §5, §6): one method per function of its ABI
 * (src/staking/abi.ts), each applying one rule over the state and emitting the ABI's events, or
 * throwing a Revert with a reason; the caller rolls the state back on a revert. Pure and
 * synchronous over a StateDB. The system-module wiring (address, gas, dispatch by selector) is
 * src/execution/modules/staking.ts.
 */
import type { Hex } from 'viem';
import { encodeEventLog } from '../codec/abi.js';
import { bytesToBigint, compareBytes, toHex } from '../crypto/bytes.js';
import { Revert } from '../primitives/errors.js';
import type { Log } from '../primitives/receipt.js';
import { STAKING_ADDRESS } from '../primitives/system-addresses.js';
import { type Address, ZERO_ADDRESS } from '../primitives/types.js';
import type { StateDB } from '../state/state-db.js';
import { CANDIDATE_STATUS, STAKING_ABI } from './abi.js';
import type { Candidate } from './candidate-store.js';
import { electionBar } from './eligibility.js';
import { epochBounds, epochOf } from './epochs.js';
import type { Lock } from './lock-store.js';
import type { StakingParams } from '../params/registry.js';
import { isSettled } from './settlement.js';
import { stakingStores, type StakingStores } from './stores.js';
import { lockWeight, timeGain } from './weights.js';

/**
 * The reward bookkeeping of locks (src/economics/ledger.ts), as the staking rules call it: they
 * `detach` a lock before they change it and `attach` it after, passing the rewards record
 * through unread.
 */
export interface RewardBook<R = unknown> {
  /** Books a new lock (already written, with its vote if any): it earns from now on. */
  open(lock: Lock): void;
  detach(lock: Lock): { lock: Lock; rewards: R };
  attach(lock: Lock, rewards: R, retakeTime?: boolean): void;
  /** Closes a detached lock being unlocked; returns what was paid to its owner. */
  close(lock: Lock, rewards: R): bigint;
  /** Adds already-locked funds to a lock (its age restarts); returns the grown lock. */
  topUp(lock: Lock, amount: bigint): Lock;
  /** Pays a lock's rewards (or compounds them into it with autoCompound). */
  claim(lock: Lock): { amount: bigint; compounded: boolean };
  setAutoCompound(lock: Lock, on: boolean): void;
  rewardsOf(lock: Lock): { pending: bigint; autoCompound: boolean };
}

/** What one call to the staking contract runs with. */
export interface StakingCall {
  state: StateDB;
  params: StakingParams;
  height: bigint;
  sender: Address;
  value: bigint;
  /** The call's logs, in order. */
  logs: Log[];
  rewards: RewardBook;
}

const NAME_RE = /^[a-z0-9._-]{1,20}$/;
const MAX_BPS = 10_000n;

const hexAddr = (a: Address | null): Hex => toHex(a ?? ZERO_ADDRESS);

/** The staking contract's rules over one call's context. */
export class StakingContract {
  private readonly store: StakingStores;
  private readonly ledger: RewardBook;

  constructor(private readonly ctx: StakingCall) {
    this.store = stakingStores(ctx.state);
    this.ledger = ctx.rewards;
  }

  // ---- rules --------------------------------------------------------------------------------

  lock(amount: bigint, candidate: Address): bigint {
    const { params, sender, height } = this.ctx;
    this.refuseIfSettled();
    if (amount < params.minLock) throw new Revert(`staking: lock below minLock ${params.minLock}`);
    const target = this.voteTarget(candidate, true);
    const ids = this.store.locks.locksOf(sender);
    if (BigInt(ids.length) >= params.maxLocksPerAccount)
      throw new Revert(`staking: at most ${params.maxLocksPerAccount} locks per account`);
    this.moveToLocked(sender, amount);
    const id = this.newLock({ owner: sender, amount, candidate: target, since: height }, false);
    this.store.locks.setLocksOf(sender, [...ids, id]);
    this.ledger.open(this.store.locks.getLock(id)!);
    this.emit('Locked', { lockId: id, owner: hexAddr(sender), candidate: hexAddr(target), amount });
    return id;
  }

  vote(lockId: bigint, candidate: Address): void {
    const own = this.ownLock(lockId);
    if (own.isDeposit) throw new Revert("staking: a candidate's deposit always votes for it");
    const target = this.voteTarget(candidate, false)!;
    if (own.candidate && bytesToBigint(own.candidate) === bytesToBigint(target))
      throw new Revert('staking: the lock already votes for this candidate');
    const { lock: l, rewards } = this.ledger.detach(own);
    let next = l.candidate ? this.store.locks.removeVote({ ...l, candidate: l.candidate }) : l;
    next = this.store.locks.addVote({ ...next, candidate: target, since: this.ctx.height });
    this.store.locks.putLock(next);
    this.ledger.attach(next, rewards);
    this.emit('Voted', { lockId, owner: hexAddr(l.owner), candidate: hexAddr(target) });
  }

  unvote(lockId: bigint): void {
    const own = this.ownLock(lockId);
    if (own.isDeposit) throw new Revert("staking: a candidate's deposit always votes for it");
    if (!own.candidate) throw new Revert('staking: the lock does not vote');
    const { lock: l, rewards } = this.ledger.detach(own);
    const next = {
      ...this.store.locks.removeVote({ ...l, candidate: l.candidate! }),
      since: this.ctx.height,
    };
    this.store.locks.putLock(next);
    this.ledger.attach(next, rewards);
    this.emit('Unvoted', { lockId, owner: hexAddr(l.owner), candidate: hexAddr(l.candidate) });
  }

  unlock(lockId: bigint): void {
    const { params, height, sender } = this.ctx;
    const own = this.ownLock(lockId);
    const pending = this.store.locks.unbondingOf(sender);
    if (BigInt(pending.length) >= params.maxLocksPerAccount)
      throw new Revert(
        `staking: at most ${params.maxLocksPerAccount} unbonding entries per account`,
      );
    // Rewards are settled first (compounded into the lock, or paid to the balance).
    const { lock: l, rewards } = this.ledger.detach(own);
    const paid = this.ledger.close(l, rewards);
    if (paid > 0n)
      this.emit('Claimed', { lockId, owner: hexAddr(sender), amount: paid, compounded: false });
    if (l.candidate) this.store.locks.removeVote({ ...l, candidate: l.candidate });
    if (l.isDeposit) {
      const c = this.store.candidates.getCandidate(sender)!;
      this.store.candidates.putCandidate({ ...c, depositLockId: 0n });
    }
    this.store.locks.deleteLock(lockId);
    this.store.locks.setLocksOf(
      sender,
      this.store.locks.locksOf(sender).filter((id) => id !== lockId),
    );
    const releaseHeight =
      height + (l.isDeposit ? params.depositUnbondingBlocks : params.unbondingBlocks);
    this.store.locks.setUnbondingOf(sender, [...pending, { amount: l.amount, releaseHeight }]);
    this.store.locks.setReleasesAt(releaseHeight, [
      ...this.store.locks.releasesAt(releaseHeight),
      { owner: sender, amount: l.amount },
    ]);
    // An unlocked deposit stays slashable until released (docs/slashing.md).
    if (l.isDeposit)
      this.store.candidates.setDepositUnbonding(sender, { amount: l.amount, releaseHeight });
    this.emit('Unlocked', { lockId, owner: hexAddr(sender), amount: l.amount, releaseHeight });
  }

  registerCandidate(
    consensusKey: Address,
    name: string,
    commissionBps: bigint,
    commissionMaxBps: bigint,
    randaoCommitment: Uint8Array,
  ): void {
    const { params, sender, height, value } = this.ctx;
    this.refuseIfSettled();
    const existing = this.store.candidates.getCandidate(sender);
    if (existing)
      throw new Revert(
        existing.depositLockId === 0n
          ? 'staking: already a candidate: restore its withdrawn deposit with topUpDeposit'
          : 'staking: already a candidate',
      );
    if (value < params.candidateDeposit)
      throw new Revert(`staking: deposit below candidateDeposit ${params.candidateDeposit}`);
    if (bytesToBigint(consensusKey) === 0n) throw new Revert('staking: zero consensus key');
    if (this.store.candidates.operatorOfKey(consensusKey))
      throw new Revert('staking: consensus key already registered');
    this.checkName(name);
    if (commissionMaxBps > MAX_BPS) throw new Revert('staking: commissionMaxBps above 10000');
    if (commissionBps > commissionMaxBps)
      throw new Revert('staking: commission above commissionMaxBps');
    if (bytesToBigint(randaoCommitment) === 0n) throw new Revert('staking: zero randao commitment');
    const ids = this.store.locks.locksOf(sender);
    if (BigInt(ids.length) >= params.maxLocksPerAccount)
      throw new Revert(`staking: at most ${params.maxLocksPerAccount} locks per account`);

    // The deposit arrives as the call's value; it becomes the candidate's self-lock.
    const account = this.ctx.state.getAccount(sender);
    this.ctx.state.putAccount(sender, { ...account, locked: account.locked + value });
    const candidate: Candidate = {
      operator: sender,
      consensusKey,
      name,
      depositLockId: 0n,
      commissionBps,
      commissionMaxBps,
      commissionEpoch: epochOf(height, params),
      status: 'active',
      jailedUntilEpoch: 0n,
      randaoLast: randaoCommitment,
      randaoReveals: 0n,
      registeredAt: height,
      randaoLayers: params.randaoLayers,
      randaoGeneration: 0n,
      pending: null,
    };
    this.store.candidates.putCandidate(candidate);
    this.store.candidates.addCandidate(sender);
    this.store.candidates.setOperatorOfKey(consensusKey, sender);
    this.store.candidates.setOperatorOfName(name, sender);
    const id = this.newLock(
      { owner: sender, amount: value, candidate: sender, since: height },
      true,
    );
    this.store.candidates.putCandidate({ ...candidate, depositLockId: id });
    this.store.locks.setLocksOf(sender, [...ids, id]);
    this.ledger.open(this.store.locks.getLock(id)!);
    this.emit('CandidateRegistered', {
      operator: hexAddr(sender),
      consensusKey: hexAddr(consensusKey),
      name,
      deposit: value,
      commissionBps: Number(commissionBps),
      commissionMaxBps: Number(commissionMaxBps),
    });
    this.emit('Locked', {
      lockId: id,
      owner: hexAddr(sender),
      candidate: hexAddr(sender),
      amount: value,
    });
  }

  /**
   * Changes the name and commission; with a consensus key and a RANDAO commitment (the second
   * overload) also rotates the key (see rotate).
   */
  updateCandidate(
    name: string,
    commissionBps: bigint,
    consensusKey?: Address,
    randaoCommitment?: Uint8Array,
  ): void {
    this.updateProfile(name, commissionBps);
    if (consensusKey !== undefined && randaoCommitment !== undefined)
      this.rotate(consensusKey, randaoCommitment);
  }

  private updateProfile(name: string, commissionBps: bigint): void {
    const { params, sender, height } = this.ctx;
    const c = this.store.candidates.getCandidate(sender);
    if (!c) throw new Revert('staking: not a candidate');
    if (c.status === 'tombstoned') throw new Revert('staking: candidate is tombstoned');
    let next = c;
    if (name !== c.name) {
      this.checkName(name);
      this.store.candidates.setOperatorOfName(c.name, null);
      this.store.candidates.setOperatorOfName(name, sender);
      next = { ...next, name };
    }
    if (commissionBps !== c.commissionBps) {
      if (commissionBps > c.commissionMaxBps)
        throw new Revert('staking: commission above commissionMaxBps');
      const change =
        commissionBps > c.commissionBps
          ? commissionBps - c.commissionBps
          : c.commissionBps - commissionBps;
      if (change > params.maxCommissionChangeBps)
        throw new Revert(
          `staking: commission may change by at most ${params.maxCommissionChangeBps} bps at a time`,
        );
      const epoch = epochOf(height, params);
      if (epoch < c.commissionEpoch + params.commissionChangeEpochs)
        throw new Revert(
          `staking: commission changed in epoch ${c.commissionEpoch}; next change from epoch ${c.commissionEpoch + params.commissionChangeEpochs}`,
        );
      next = { ...next, commissionBps, commissionEpoch: epoch };
    }
    this.store.candidates.putCandidate(next);
    this.emit('CandidateUpdated', {
      operator: hexAddr(sender),
      name: next.name,
      commissionBps: Number(next.commissionBps),
    });
  }

  /**
   * The operator rotates its consensus key (updateCandidate with a key and a commitment): the new
   * key, and the RANDAO commitment of its onion, take effect at the first block of the epoch
   * after next, the first whose validators are elected after this block. The same key with a
   * commitment is a RANDAO renewal; the same key without one changes nothing here.
   */
  private rotate(consensusKey: Address, commitment: Uint8Array): void {
    const c = this.store.candidates.getCandidate(this.ctx.sender)!;
    const zero = bytesToBigint(commitment) === 0n;
    if (bytesToBigint(consensusKey) === 0n) throw new Revert('staking: zero consensus key');
    if (bytesToBigint(consensusKey) === bytesToBigint(c.consensusKey)) {
      if (!zero) this.schedule(c, c.consensusKey, commitment);
      return;
    }
    if (zero) throw new Revert("staking: a new consensus key needs its onion's randao commitment");
    // A key stays bound to the operator that used it: only that one may take it back.
    const owner = this.store.candidates.operatorOfKey(consensusKey);
    if (owner && bytesToBigint(owner) !== bytesToBigint(c.operator))
      throw new Revert('staking: consensus key already registered');
    // A key validating now or next epoch without a candidacy (a genesis validator) would have
    // blocks booked to this candidate before the switch.
    const epoch = epochOf(this.ctx.height, this.ctx.params);
    for (const e of [epoch, epoch + 1n])
      if (
        this.store.elections
          .epochRecord(e)
          ?.validators.some((v) => bytesToBigint(v) === bytesToBigint(consensusKey))
      )
        throw new Revert('staking: consensus key is in a current validator set');
    this.schedule(c, consensusKey, commitment);
    this.store.candidates.setOperatorOfKey(consensusKey, c.operator);
  }

  /** renewRandao: by the operator or by its consensus key (the validator node renews itself). */
  renewRandao(commitment: Uint8Array): void {
    const { sender } = this.ctx;
    let c = this.store.candidates.getCandidate(sender);
    if (!c) {
      const operator = this.store.candidates.operatorOfKey(sender);
      c = operator ? this.store.candidates.getCandidate(operator) : null;
      if (!c || bytesToBigint(c.consensusKey) !== bytesToBigint(sender))
        throw new Revert("staking: not a candidate's operator or consensus key");
    }
    if (bytesToBigint(commitment) === 0n) throw new Revert('staking: zero randao commitment');
    this.schedule(c, c.consensusKey, commitment);
  }

  /** Announces a key and commitment for the first block of the epoch after next. */
  private schedule(c: Candidate, consensusKey: Address, commitment: Uint8Array): void {
    const { params, height } = this.ctx;
    if (c.status === 'tombstoned') throw new Revert('staking: candidate is tombstoned');
    if (c.pending) {
      const from = epochBounds(c.pending.epoch, params).first;
      throw new Revert(`staking: a key or randao change is pending until block ${from}`);
    }
    const epoch = epochOf(height, params) + 2n;
    this.store.candidates.putCandidate({
      ...c,
      pending: { consensusKey, commitment, layers: params.randaoLayers, epoch },
    });
    this.store.candidates.setSwitchesAt(
      epoch,
      [...this.store.candidates.switchesAt(epoch), c.operator].sort(compareBytes),
    );
    this.emit('RandaoRenewed', {
      operator: hexAddr(c.operator),
      consensusKey: hexAddr(consensusKey),
      commitment: toHex(commitment),
      generation: c.randaoGeneration + 1n,
      fromBlock: epochBounds(epoch, params).first,
    });
  }

  /**
   * Adds the call's value to the sender candidate's deposit, or restores a withdrawn one. The
   * deposit lock's age restarts, like a new vote: the added stake shares the candidate's rewards
   * from the next epoch, never from its own next block.
   */
  topUpDeposit(): void {
    const { params, sender, height, value } = this.ctx;
    this.refuseIfSettled();
    const c = this.store.candidates.getCandidate(sender);
    if (!c) throw new Revert('staking: not a candidate');
    if (c.status === 'tombstoned') throw new Revert('staking: candidate is tombstoned');
    if (value < params.minLock) throw new Revert(`staking: top-up below minLock ${params.minLock}`);
    const account = this.ctx.state.getAccount(sender);
    this.ctx.state.putAccount(sender, { ...account, locked: account.locked + value });
    let lock: Lock;
    if (c.depositLockId === 0n) {
      const ids = this.store.locks.locksOf(sender);
      if (BigInt(ids.length) >= params.maxLocksPerAccount)
        throw new Revert(`staking: at most ${params.maxLocksPerAccount} locks per account`);
      const id = this.newLock(
        { owner: sender, amount: value, candidate: sender, since: height },
        true,
      );
      this.store.candidates.putCandidate({ ...c, depositLockId: id });
      this.store.locks.setLocksOf(sender, [...ids, id]);
      lock = this.store.locks.getLock(id)!;
      this.ledger.open(lock);
      this.emit('Locked', {
        lockId: id,
        owner: hexAddr(sender),
        candidate: hexAddr(sender),
        amount: value,
      });
    } else {
      lock = this.ledger.topUp(this.store.locks.getLock(c.depositLockId)!, value);
    }
    this.emit('DepositToppedUp', {
      operator: hexAddr(sender),
      lockId: lock.id,
      amount: value,
      deposit: lock.amount,
    });
  }

  /** Pays a lock's rewards: to the owner's balance, or into the lock with autoCompound. */
  claim(lockId: bigint): bigint {
    const own = this.ownLock(lockId);
    const { amount, compounded } = this.ledger.claim(own);
    this.emit('Claimed', { lockId, owner: hexAddr(own.owner), amount, compounded });
    return amount;
  }

  setAutoCompound(lockId: bigint, on: boolean): void {
    const own = this.ownLock(lockId);
    this.ledger.setAutoCompound(own, on);
    this.emit('AutoCompoundSet', { lockId, owner: hexAddr(own.owner), on });
  }

  // ---- views --------------------------------------------------------------------------------

  getLock(id: bigint) {
    const l = this.store.locks.getLock(id);
    if (!l) throw new Revert(`staking: no lock ${id}`);
    const t = timeGain(this.ctx.height - l.since, this.ctx.params);
    return [
      hexAddr(l.owner),
      l.amount,
      hexAddr(l.candidate),
      l.since,
      t,
      lockWeight(l.amount, t),
    ] as const;
  }

  getCandidate(operator: Address) {
    const c = this.store.candidates.getCandidate(operator);
    if (!c) throw new Revert(`staking: ${toHex(operator)} is not a candidate`);
    const deposit =
      c.depositLockId === 0n ? 0n : (this.store.locks.getLock(c.depositLockId)?.amount ?? 0n);
    // Σ amount over the locks voting for it, from its vote buckets.
    let votes = 0n;
    for (const b of this.store.locks.bucketsOf(operator)) votes += b.amount;
    return [
      hexAddr(c.consensusKey),
      c.name,
      deposit,
      Number(c.commissionBps),
      Number(c.commissionMaxBps),
      CANDIDATE_STATUS.indexOf(c.status),
      votes,
      this.store.locks.voteCount(operator),
    ] as const;
  }

  getRandao(operator: Address) {
    const c = this.store.candidates.getCandidate(operator);
    if (!c) throw new Revert(`staking: ${toHex(operator)} is not a candidate`);
    const p = c.pending;
    return [
      toHex(c.randaoLast),
      c.randaoReveals,
      c.randaoLayers,
      c.randaoGeneration,
      hexAddr(p?.consensusKey ?? null),
      toHex(p?.commitment ?? new Uint8Array(32)),
      p ? epochBounds(p.epoch, this.ctx.params).first : 0n,
    ] as const;
  }

  getLocks(owner: Address): readonly bigint[] {
    return this.store.locks.locksOf(owner);
  }

  getUnbonding(owner: Address) {
    const entries = this.store.locks.unbondingOf(owner);
    return [entries.map((e) => e.amount), entries.map((e) => e.releaseHeight)] as const;
  }

  getCandidates(): readonly Hex[] {
    return this.store.candidates.operators().map(hexAddr);
  }

  getRewards(lockId: bigint) {
    const l = this.store.locks.getLock(lockId);
    if (!l) throw new Revert(`staking: no lock ${lockId}`);
    const r = this.ledger.rewardsOf(l);
    return [r.pending, r.autoCompound] as const;
  }

  currentEpoch() {
    const e = epochOf(this.ctx.height, this.ctx.params);
    const b = epochBounds(e, this.ctx.params);
    return [e, b.first, b.last] as const;
  }

  randaoLayers(): bigint {
    return this.ctx.params.randaoLayers;
  }

  // ---- helpers ------------------------------------------------------------------------------

  /**
   * The candidate a lock may vote for: one that can be elected at the next election (to serve
   * in the epoch after next), so that no vote goes to a candidate that cannot win a seat.
   */
  private voteTarget(candidate: Address, allowNone: boolean): Address | null {
    if (bytesToBigint(candidate) === 0n) {
      if (allowNone) return null;
      throw new Revert('staking: zero candidate');
    }
    const c = this.store.candidates.getCandidate(candidate);
    if (!c) throw new Revert(`staking: ${toHex(candidate)} is not a candidate`);
    const serves = epochOf(this.ctx.height, this.ctx.params) + 2n;
    const bar = electionBar(this.store, c, this.ctx.params, serves);
    if (bar !== null) throw new Revert(`staking: ${bar}`);
    return candidate;
  }

  /** After a GlobalSettlement no tokens are locked again (docs/governance.md). */
  private refuseIfSettled(): void {
    if (isSettled(this.ctx.state))
      throw new Revert(
        'staking: the staking economy was settled by the DAO: nothing can be locked',
      );
  }

  private ownLock(id: bigint): Lock {
    const l = this.store.locks.getLock(id);
    if (!l) throw new Revert(`staking: no lock ${id}`);
    if (bytesToBigint(l.owner) !== bytesToBigint(this.ctx.sender))
      throw new Revert('staking: not the owner of the lock');
    return l;
  }

  private checkName(name: string): void {
    if (!NAME_RE.test(name))
      throw new Revert('staking: name must be 1-20 characters of a-z 0-9 . _ -');
    if (this.store.candidates.operatorOfName(name)) throw new Revert('staking: name already taken');
  }

  private moveToLocked(owner: Address, amount: bigint): void {
    const a = this.ctx.state.getAccount(owner);
    if (a.balance < amount)
      throw new Revert(`staking: lock of ${amount} exceeds the spendable balance ${a.balance}`);
    this.ctx.state.putAccount(owner, {
      ...a,
      balance: a.balance - amount,
      locked: a.locked + amount,
    });
  }

  private newLock(
    l: { owner: Address; amount: bigint; candidate: Address | null; since: bigint },
    isDeposit: boolean,
  ): bigint {
    const id = this.store.locks.nextLockId();
    this.store.locks.setNextLockId(id + 1n);
    let lock: Lock = { id, ...l, voteIndex: 0n, isDeposit };
    if (l.candidate) lock = this.store.locks.addVote({ ...lock, candidate: l.candidate });
    this.store.locks.putLock(lock);
    return id;
  }

  private emit(eventName: string, args: Record<string, unknown>): void {
    this.ctx.logs.push(encodeEventLog(STAKING_ABI, STAKING_ADDRESS, eventName, args));
  }
}
