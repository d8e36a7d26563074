/**
 * The staking system contract (PROTOCOL §5, §6), implemented natively. A call decodes its
 * calldata with the Solidity ABI, applies one rule, and returns ABI-encoded data and logs, or
 * throws a Revert with a reason; the caller rolls the state back on a revert. Pure and
 * synchronous over a StateDB.
 */
import { EtmError } from '../primitives/errors.js';
import type { Address } from '../primitives/types.js';
import {
  decodeFunctionData,
  encodeAbiParameters,
  encodeEventTopics,
  encodeFunctionData,
  encodeFunctionResult,
  type Hex,
} from 'viem';
import { bytesToBigint, compareBytes, fromHex, toHex } from '../crypto/bytes.js';
import type { Log } from '../primitives/receipt.js';
import type { StateDB } from '../state/state-db.js';
import { STAKING_ADDRESS } from '../primitives/system-addresses.js';
import { STAKING_ABI } from './abi.js';
import type { StakingParams } from './params.js';
import { epochOf, epochBounds } from './epochs.js';
import { STATUS_TOMBSTONED, StakingStore, type Candidate, type Lock } from './store.js';
import { electionBar } from './eligibility.js';
import { lockWeight, timeGain } from './weights.js';
import { pendingRewards, RewardLedger } from '../economics/ledger.js';

/** A failed call: the state is rolled back and the reason returned as Error(string). */
export class Revert extends EtmError<'revert'> {
  override name = 'Revert';

  constructor(message: string, options?: ErrorOptions) {
    super('revert', message, options);
  }
}

/** Gas of each call beyond the transaction's intrinsic gas. */
export const STAKING_GAS: Record<string, bigint> = {
  lock: 60_000n,
  vote: 40_000n,
  unvote: 30_000n,
  unlock: 50_000n,
  claim: 40_000n,
  setAutoCompound: 30_000n,
  registerCandidate: 120_000n,
  updateCandidate: 40_000n,
  renewRandao: 40_000n,
  topUpDeposit: 60_000n,
};
/** Gas of a view (only eth_call runs them; a transaction may call one too). */
export const STAKING_VIEW_GAS = 10_000n;

export interface CallContext {
  state: StateDB;
  params: StakingParams;
  height: bigint;
  sender: Address;
  value: bigint;
}

export interface CallResult {
  returnData: Uint8Array;
  logs: Log[];
}

const ZERO_ADDRESS = new Uint8Array(20);
const NAME_RE = /^[a-z0-9._-]{1,20}$/;
const MAX_BPS = 10_000n;

type Decoded = ReturnType<typeof decodeFunctionData<typeof STAKING_ABI>>;

/**
 * The call in calldata, decoded strictly as Solidity's ABI decoder would accept it, or null: the
 * calldata must be exactly the canonical encoding of its arguments. So an `address` with non-zero
 * upper 12 bytes, a `bool` other than 0 or 1, a `uint16` above 65,535, an offset or padding that
 * is not the canonical one, and calldata shorter or longer than the arguments need are all
 * refused (viem's decoder alone would read the low 20 bytes of an address and ignore trailing
 * bytes).
 */
export function decodeStakingCall(data: Uint8Array): Decoded | null {
  const hex = toHex(data);
  let call: Decoded;
  try {
    call = decodeFunctionData({ abi: STAKING_ABI, data: hex });
  } catch {
    return null;
  }
  let canonical: Hex;
  try {
    canonical = encodeFunctionData({
      abi: STAKING_ABI,
      functionName: call.functionName,
      args: call.args,
    } as Parameters<typeof encodeFunctionData>[0]);
  } catch {
    return null; // a value out of its type's range (e.g. a uint16 above 65,535)
  }
  return canonical.toLowerCase() === hex.toLowerCase() ? call : null;
}

/** Which function calldata selects (strictly decoded), or null when it selects none. */
export function stakingFunctionOf(data: Uint8Array): string | null {
  return decodeStakingCall(data)?.functionName ?? null;
}

/** Functions that accept value: registerCandidate and topUpDeposit (deposits). */
export const STAKING_PAYABLE: ReadonlySet<string> = new Set(
  STAKING_ABI.filter((x) => x.type === 'function' && x.stateMutability === 'payable').map(
    (x) => (x as { name: string }).name,
  ),
);

/** Gas a call to the staking contract costs beyond intrinsic gas (unknown calls: a view's). */
export function stakingCallGas(data: Uint8Array): bigint {
  const fn = stakingFunctionOf(data);
  return fn === null ? STAKING_VIEW_GAS : (STAKING_GAS[fn] ?? STAKING_VIEW_GAS);
}

export function callStaking(ctx: CallContext, data: Uint8Array): CallResult {
  const call = decodeStakingCall(data);
  if (call === null) {
    throw new Revert(
      data.length < 4
        ? 'staking: no function selector'
        : 'staking: unknown function or bad arguments',
    );
  }
  const s = new Staking(ctx);
  const result = s.dispatch(call);
  return { returnData: fromHex(result), logs: s.logs };
}

const addr = (hex: Hex): Address => fromHex(hex);
const hexAddr = (a: Address | null): Hex => toHex(a ?? ZERO_ADDRESS);

class Staking {
  readonly logs: Log[] = [];
  private readonly store: StakingStore;
  private readonly ledger: RewardLedger;

  constructor(private readonly ctx: CallContext) {
    this.store = new StakingStore(ctx.state);
    this.ledger = new RewardLedger(ctx.state, ctx.params, ctx.height);
  }

  dispatch(call: Decoded): Hex {
    const payable = STAKING_PAYABLE.has(call.functionName);
    if (!payable && this.ctx.value !== 0n) throw new Revert('staking: function is not payable');
    const result = (fn: Decoded['functionName'], value: unknown): Hex =>
      encodeFunctionResult({
        abi: STAKING_ABI,
        functionName: fn,
        result: value,
      } as Parameters<typeof encodeFunctionResult>[0]);
    switch (call.functionName) {
      case 'lock':
        return result('lock', this.lock(call.args[0], addr(call.args[1])));
      case 'vote':
        this.vote(call.args[0], addr(call.args[1]));
        return '0x';
      case 'unvote':
        this.unvote(call.args[0]);
        return '0x';
      case 'unlock':
        this.unlock(call.args[0]);
        return '0x';
      case 'claim':
        return result('claim', this.claim(call.args[0]));
      case 'setAutoCompound':
        this.setAutoCompound(call.args[0], call.args[1]);
        return '0x';
      case 'getRewards': {
        const l = this.store.getLock(call.args[0]);
        if (!l) throw new Revert(`staking: no lock ${call.args[0]}`);
        return result('getRewards', [
          pendingRewards(this.store, l),
          this.store.lockRewards(l.id).autoCompound,
        ]);
      }
      case 'registerCandidate':
        this.registerCandidate(
          addr(call.args[0]),
          call.args[1],
          BigInt(call.args[2]),
          BigInt(call.args[3]),
          fromHex(call.args[4]),
        );
        return '0x';
      case 'updateCandidate':
        this.updateCandidate(call.args[0], BigInt(call.args[1]));
        if (call.args.length === 4) this.rotate(addr(call.args[2]), fromHex(call.args[3]));
        return '0x';
      case 'renewRandao':
        this.renewRandao(fromHex(call.args[0]));
        return '0x';
      case 'topUpDeposit':
        this.topUpDeposit();
        return '0x';
      case 'getRandao':
        return result('getRandao', this.getRandaoView(addr(call.args[0])));
      case 'randaoLayers':
        return result('randaoLayers', this.ctx.params.randaoLayers);
      case 'getLock':
        return result('getLock', this.getLockView(call.args[0]));
      case 'getLocks':
        return result('getLocks', this.store.locksOf(addr(call.args[0])));
      case 'getUnbonding': {
        const entries = this.store.unbondingOf(addr(call.args[0]));
        return result('getUnbonding', [
          entries.map((e) => e.amount),
          entries.map((e) => e.releaseHeight),
        ]);
      }
      case 'getCandidate':
        return result('getCandidate', this.getCandidateView(addr(call.args[0])));
      case 'getCandidates':
        return result('getCandidates', this.store.candidates().map(hexAddr));
      case 'currentEpoch': {
        const e = epochOf(this.ctx.height, this.ctx.params);
        const b = epochBounds(e, this.ctx.params);
        return result('currentEpoch', [e, b.first, b.last]);
      }
      default:
        throw new Revert('staking: unknown function');
    }
  }

  // ---- rules --------------------------------------------------------------------------------

  private lock(amount: bigint, candidate: Address): bigint {
    const { params, sender, height } = this.ctx;
    if (amount < params.minLock) throw new Revert(`staking: lock below minLock ${params.minLock}`);
    const target = this.voteTarget(candidate, true);
    const ids = this.store.locksOf(sender);
    if (BigInt(ids.length) >= params.maxLocksPerAccount)
      throw new Revert(`staking: at most ${params.maxLocksPerAccount} locks per account`);
    this.moveToLocked(sender, amount);
    const id = this.newLock({ owner: sender, amount, candidate: target, since: height }, false);
    this.store.setLocksOf(sender, [...ids, id]);
    this.ledger.open(this.store.getLock(id)!);
    this.emit('Locked', { lockId: id, owner: hexAddr(sender), candidate: hexAddr(target), amount });
    return id;
  }

  private vote(lockId: bigint, candidate: Address): void {
    const own = this.ownLock(lockId);
    if (own.isDeposit) throw new Revert("staking: a candidate's deposit always votes for it");
    const target = this.voteTarget(candidate, false)!;
    if (own.candidate && bytesToBigint(own.candidate) === bytesToBigint(target))
      throw new Revert('staking: the lock already votes for this candidate');
    const { lock: l, rewards } = this.ledger.detach(own);
    let next = l.candidate ? this.store.removeVote({ ...l, candidate: l.candidate }) : l;
    next = this.store.addVote({ ...next, candidate: target, since: this.ctx.height });
    this.store.putLock(next);
    this.ledger.attach(next, rewards);
    this.emit('Voted', { lockId, owner: hexAddr(l.owner), candidate: hexAddr(target) });
  }

  private unvote(lockId: bigint): void {
    const own = this.ownLock(lockId);
    if (own.isDeposit) throw new Revert("staking: a candidate's deposit always votes for it");
    if (!own.candidate) throw new Revert('staking: the lock does not vote');
    const { lock: l, rewards } = this.ledger.detach(own);
    const next = {
      ...this.store.removeVote({ ...l, candidate: l.candidate! }),
      since: this.ctx.height,
    };
    this.store.putLock(next);
    this.ledger.attach(next, rewards);
    this.emit('Unvoted', { lockId, owner: hexAddr(l.owner), candidate: hexAddr(l.candidate) });
  }

  private unlock(lockId: bigint): void {
    const { params, height, sender } = this.ctx;
    const own = this.ownLock(lockId);
    const pending = this.store.unbondingOf(sender);
    if (BigInt(pending.length) >= params.maxLocksPerAccount)
      throw new Revert(
        `staking: at most ${params.maxLocksPerAccount} unbonding entries per account`,
      );
    // Rewards are settled first (compounded into the lock, or paid to the balance).
    const { lock: l, rewards } = this.ledger.detach(own);
    const paid = this.ledger.close(l, rewards);
    if (paid > 0n)
      this.emit('Claimed', { lockId, owner: hexAddr(sender), amount: paid, compounded: false });
    if (l.candidate) this.store.removeVote({ ...l, candidate: l.candidate });
    if (l.isDeposit) {
      const c = this.store.getCandidate(sender)!;
      this.store.putCandidate({ ...c, depositLockId: 0n });
    }
    this.store.deleteLock(lockId);
    this.store.setLocksOf(
      sender,
      this.store.locksOf(sender).filter((id) => id !== lockId),
    );
    const releaseHeight =
      height + (l.isDeposit ? params.depositUnbondingBlocks : params.unbondingBlocks);
    this.store.setUnbondingOf(sender, [...pending, { amount: l.amount, releaseHeight }]);
    this.store.setReleasesAt(releaseHeight, [
      ...this.store.releasesAt(releaseHeight),
      { owner: sender, amount: l.amount },
    ]);
    this.emit('Unlocked', { lockId, owner: hexAddr(sender), amount: l.amount, releaseHeight });
  }

  private registerCandidate(
    consensusKey: Address,
    name: string,
    commissionBps: bigint,
    commissionMaxBps: bigint,
    randaoCommitment: Uint8Array,
  ): void {
    const { params, sender, height, value } = this.ctx;
    const existing = this.store.getCandidate(sender);
    if (existing)
      throw new Revert(
        existing.depositLockId === 0n
          ? 'staking: already a candidate: restore its withdrawn deposit with topUpDeposit'
          : 'staking: already a candidate',
      );
    if (value < params.candidateDeposit)
      throw new Revert(`staking: deposit below candidateDeposit ${params.candidateDeposit}`);
    if (bytesToBigint(consensusKey) === 0n) throw new Revert('staking: zero consensus key');
    if (this.store.operatorOfKey(consensusKey))
      throw new Revert('staking: consensus key already registered');
    this.checkName(name);
    if (commissionMaxBps > MAX_BPS) throw new Revert('staking: commissionMaxBps above 10000');
    if (commissionBps > commissionMaxBps)
      throw new Revert('staking: commission above commissionMaxBps');
    if (bytesToBigint(randaoCommitment) === 0n) throw new Revert('staking: zero randao commitment');
    const ids = this.store.locksOf(sender);
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
      status: 0,
      jailedUntilEpoch: 0n,
      randaoLast: randaoCommitment,
      randaoReveals: 0n,
      registeredAt: height,
      randaoLayers: params.randaoLayers,
      randaoGeneration: 0n,
      pending: null,
    };
    this.store.putCandidate(candidate);
    this.store.addCandidate(sender);
    this.store.setOperatorOfKey(consensusKey, sender);
    this.store.setOperatorOfName(name, sender);
    const id = this.newLock(
      { owner: sender, amount: value, candidate: sender, since: height },
      true,
    );
    this.store.putCandidate({ ...candidate, depositLockId: id });
    this.store.setLocksOf(sender, [...ids, id]);
    this.ledger.open(this.store.getLock(id)!);
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

  private updateCandidate(name: string, commissionBps: bigint): void {
    const { params, sender, height } = this.ctx;
    const c = this.store.getCandidate(sender);
    if (!c) throw new Revert('staking: not a candidate');
    if (c.status === STATUS_TOMBSTONED) throw new Revert('staking: candidate is tombstoned');
    let next = c;
    if (name !== c.name) {
      this.checkName(name);
      this.store.setOperatorOfName(c.name, null);
      this.store.setOperatorOfName(name, sender);
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
    this.store.putCandidate(next);
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
    const c = this.store.getCandidate(this.ctx.sender)!;
    const zero = bytesToBigint(commitment) === 0n;
    if (bytesToBigint(consensusKey) === 0n) throw new Revert('staking: zero consensus key');
    if (bytesToBigint(consensusKey) === bytesToBigint(c.consensusKey)) {
      if (!zero) this.schedule(c, c.consensusKey, commitment);
      return;
    }
    if (zero) throw new Revert("staking: a new consensus key needs its onion's randao commitment");
    // A key stays bound to the operator that used it: only that one may take it back.
    const owner = this.store.operatorOfKey(consensusKey);
    if (owner && bytesToBigint(owner) !== bytesToBigint(c.operator))
      throw new Revert('staking: consensus key already registered');
    // A key validating now or next epoch without a candidacy (a genesis validator) would have
    // blocks booked to this candidate before the switch.
    const epoch = epochOf(this.ctx.height, this.ctx.params);
    for (const e of [epoch, epoch + 1n])
      if (
        this.store
          .epochRecord(e)
          ?.validators.some((v) => bytesToBigint(v) === bytesToBigint(consensusKey))
      )
        throw new Revert('staking: consensus key is in a current validator set');
    this.schedule(c, consensusKey, commitment);
    this.store.setOperatorOfKey(consensusKey, c.operator);
  }

  /** renewRandao: by the operator or by its consensus key (the validator node renews itself). */
  private renewRandao(commitment: Uint8Array): void {
    const { sender } = this.ctx;
    let c = this.store.getCandidate(sender);
    if (!c) {
      const operator = this.store.operatorOfKey(sender);
      c = operator ? this.store.getCandidate(operator) : null;
      if (!c || bytesToBigint(c.consensusKey) !== bytesToBigint(sender))
        throw new Revert("staking: not a candidate's operator or consensus key");
    }
    if (bytesToBigint(commitment) === 0n) throw new Revert('staking: zero randao commitment');
    this.schedule(c, c.consensusKey, commitment);
  }

  /** Announces a key and commitment for the first block of the epoch after next. */
  private schedule(c: Candidate, consensusKey: Address, commitment: Uint8Array): void {
    const { params, height } = this.ctx;
    if (c.status === STATUS_TOMBSTONED) throw new Revert('staking: candidate is tombstoned');
    if (c.pending) {
      const from = epochBounds(c.pending.epoch, params).first;
      throw new Revert(`staking: a key or randao change is pending until block ${from}`);
    }
    const epoch = epochOf(height, params) + 2n;
    this.store.putCandidate({
      ...c,
      pending: { consensusKey, commitment, layers: params.randaoLayers, epoch },
    });
    this.store.setSwitchesAt(
      epoch,
      [...this.store.switchesAt(epoch), c.operator].sort(compareBytes),
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
  private topUpDeposit(): void {
    const { params, sender, height, value } = this.ctx;
    const c = this.store.getCandidate(sender);
    if (!c) throw new Revert('staking: not a candidate');
    if (c.status === STATUS_TOMBSTONED) throw new Revert('staking: candidate is tombstoned');
    if (value < params.minLock) throw new Revert(`staking: top-up below minLock ${params.minLock}`);
    const account = this.ctx.state.getAccount(sender);
    this.ctx.state.putAccount(sender, { ...account, locked: account.locked + value });
    let lock: Lock;
    if (c.depositLockId === 0n) {
      const ids = this.store.locksOf(sender);
      if (BigInt(ids.length) >= params.maxLocksPerAccount)
        throw new Revert(`staking: at most ${params.maxLocksPerAccount} locks per account`);
      const id = this.newLock(
        { owner: sender, amount: value, candidate: sender, since: height },
        true,
      );
      this.store.putCandidate({ ...c, depositLockId: id });
      this.store.setLocksOf(sender, [...ids, id]);
      lock = this.store.getLock(id)!;
      this.ledger.open(lock);
      this.emit('Locked', {
        lockId: id,
        owner: hexAddr(sender),
        candidate: hexAddr(sender),
        amount: value,
      });
    } else {
      lock = this.ledger.topUp(this.store.getLock(c.depositLockId)!, value);
    }
    this.emit('DepositToppedUp', {
      operator: hexAddr(sender),
      lockId: lock.id,
      amount: value,
      deposit: lock.amount,
    });
  }

  /** Pays a lock's rewards: to the owner's balance, or into the lock with autoCompound. */
  private claim(lockId: bigint): bigint {
    const own = this.ownLock(lockId);
    const { lock, rewards } = this.ledger.detach(own);
    const compounded = rewards.autoCompound;
    const amount = compounded ? lock.amount - own.amount : rewards.owed;
    this.ledger.attach(lock, compounded ? rewards : this.ledger.payOut(lock, rewards), false);
    this.emit('Claimed', { lockId, owner: hexAddr(own.owner), amount, compounded });
    return amount;
  }

  private setAutoCompound(lockId: bigint, on: boolean): void {
    const own = this.ownLock(lockId);
    const { lock, rewards } = this.ledger.detach(own);
    this.ledger.attach(lock, { ...rewards, autoCompound: on }, false);
    this.emit('AutoCompoundSet', { lockId, owner: hexAddr(own.owner), on });
  }

  // ---- views --------------------------------------------------------------------------------

  private getLockView(id: bigint) {
    const l = this.store.getLock(id);
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

  private getCandidateView(operator: Address) {
    const c = this.store.getCandidate(operator);
    if (!c) throw new Revert(`staking: ${toHex(operator)} is not a candidate`);
    const deposit =
      c.depositLockId === 0n ? 0n : (this.store.getLock(c.depositLockId)?.amount ?? 0n);
    // Σ amount over the locks voting for it, from its vote buckets.
    let votes = 0n;
    for (const b of this.store.bucketsOf(operator)) votes += b.amount;
    return [
      hexAddr(c.consensusKey),
      c.name,
      deposit,
      Number(c.commissionBps),
      Number(c.commissionMaxBps),
      c.status,
      votes,
      this.store.voteCount(operator),
    ] as const;
  }

  private getRandaoView(operator: Address) {
    const c = this.store.getCandidate(operator);
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
    const c = this.store.getCandidate(candidate);
    if (!c) throw new Revert(`staking: ${toHex(candidate)} is not a candidate`);
    const serves = epochOf(this.ctx.height, this.ctx.params) + 2n;
    const bar = electionBar(this.store, c, this.ctx.params, serves);
    if (bar !== null) throw new Revert(`staking: ${bar}`);
    return candidate;
  }

  private ownLock(id: bigint): Lock {
    const l = this.store.getLock(id);
    if (!l) throw new Revert(`staking: no lock ${id}`);
    if (bytesToBigint(l.owner) !== bytesToBigint(this.ctx.sender))
      throw new Revert('staking: not the owner of the lock');
    return l;
  }

  private checkName(name: string): void {
    if (!NAME_RE.test(name))
      throw new Revert('staking: name must be 1-20 characters of a-z 0-9 . _ -');
    if (this.store.operatorOfName(name)) throw new Revert('staking: name already taken');
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
    const id = this.store.nextLockId();
    this.store.setNextLockId(id + 1n);
    let lock: Lock = { id, ...l, voteIndex: 0n, isDeposit };
    if (l.candidate) lock = this.store.addVote({ ...lock, candidate: l.candidate });
    this.store.putLock(lock);
    return id;
  }

  private emit(eventName: string, args: Record<string, unknown>): void {
    const event = STAKING_ABI.find((x) => x.type === 'event' && x.name === eventName);
    if (!event || event.type !== 'event') throw new Error(`no event ${eventName}`);
    const topics = encodeEventTopics({
      abi: [event],
      eventName,
      args,
    } as Parameters<typeof encodeEventTopics>[0]);
    const unindexed = event.inputs.filter((i) => !('indexed' in i && i.indexed));
    const data = encodeAbiParameters(
      unindexed,
      unindexed.map((i) => args[i.name!]),
    );
    this.logs.push({
      address: STAKING_ADDRESS,
      topics: topics.map((t) => fromHex(t as Hex)),
      data: fromHex(data),
    });
  }
}
