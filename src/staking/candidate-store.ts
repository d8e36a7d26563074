/**
 * The staking module's records of candidates, in the storage of the staking system account
 * (src/state/records.ts):
 *
 *   ['cand', operator]      candidate record (see putCandidate)
 *   ['candKey', key]        operator of a consensus key
 *   ['candName', name]      operator of a name
 *   ['cands']               [operator…] ascending
 *   ['switches', e]         [operator…] ascending: candidates whose pending key / RANDAO change
 *                           takes effect at the first block of epoch e
 *   ['candUnb', operator]   [amount, releaseHeight]: the candidate's last unlocked deposit, still
 *                           slashable until it is released
 */
import { asBytes, asList, asUint, DecodeError, rlpDecode, rlpEncode } from '../codec/rlp.js';
import { compareBytes } from '../crypto/bytes.js';
import { STAKING_ADDRESS } from '../primitives/system-addresses.js';
import type { Address } from '../primitives/types.js';
import { RecordStore, slot } from '../state/records.js';
import type { StateDB } from '../state/state-db.js';
import { CANDIDATE_STATUS, type CandidateStatus } from './abi.js';

export interface Candidate {
  operator: Address;
  consensusKey: Address;
  name: string;
  depositLockId: bigint;
  commissionBps: bigint;
  commissionMaxBps: bigint;
  /** Epoch of the last commission change (registration counts). */
  commissionEpoch: bigint;
  status: CandidateStatus;
  jailedUntilEpoch: bigint;
  /** The last revealed RANDAO preimage, initially the registered commitment. */
  randaoLast: Uint8Array;
  /** Reveals made since the commitment: the next reveal is the onion's layer at this index. */
  randaoReveals: bigint;
  registeredAt: bigint;
  /** Layers of the current commitment's onion: after this many reveals it is exhausted. */
  randaoLayers: bigint;
  /** Commitments made before the current one (0 for the registered one). */
  randaoGeneration: bigint;
  /** A consensus key and RANDAO commitment taking effect at the first block of `epoch`. */
  pending: PendingSwitch | null;
}

/** A change of a candidate's consensus key and RANDAO commitment, announced ahead. */
export interface PendingSwitch {
  consensusKey: Address;
  commitment: Uint8Array;
  layers: bigint;
  /** The epoch from whose first block it applies. */
  epoch: bigint;
}

/** A status as stored (its index in CANDIDATE_STATUS, as getCandidate returns it). */
function statusAt(i: bigint): CandidateStatus {
  const s = CANDIDATE_STATUS[Number(i)];
  if (s === undefined || i >= BigInt(CANDIDATE_STATUS.length))
    throw new DecodeError(`candidate status ${i} is not one of ${CANDIDATE_STATUS.join(', ')}`);
  return s;
}

const enc = (x: string) => new TextEncoder().encode(x);
const dec = (b: Uint8Array) => new TextDecoder().decode(b);
const u = (item: Parameters<typeof asUint>[0], what: string) => asUint(item, what);

/** Candidates by operator, their consensus keys and names, and pending key switches. */
export class CandidateStore extends RecordStore {
  constructor(state: StateDB) {
    super(state, STAKING_ADDRESS);
  }

  getCandidate(operator: Address): Candidate | null {
    const v = this.read(slot('cand', operator));
    if (v === null) return null;
    const f = asList(rlpDecode(v), 'candidate', 14);
    const p = asList(f[13], 'pending switch');
    if (p.length !== 0 && p.length !== 4)
      throw new DecodeError(`pending switch: expected 0 or 4 items, got ${p.length}`);
    return {
      operator,
      consensusKey: asBytes(f[0], 'consensusKey', 20),
      name: dec(asBytes(f[1], 'name')),
      depositLockId: u(f[2], 'depositLockId'),
      commissionBps: u(f[3], 'commissionBps'),
      commissionMaxBps: u(f[4], 'commissionMaxBps'),
      commissionEpoch: u(f[5], 'commissionEpoch'),
      status: statusAt(u(f[6], 'status')),
      jailedUntilEpoch: u(f[7], 'jailedUntilEpoch'),
      randaoLast: asBytes(f[8], 'randaoLast', 32),
      registeredAt: u(f[9], 'registeredAt'),
      randaoReveals: u(f[10], 'randaoReveals'),
      randaoLayers: u(f[11], 'randaoLayers'),
      randaoGeneration: u(f[12], 'randaoGeneration'),
      pending:
        p.length === 0
          ? null
          : {
              consensusKey: asBytes(p[0], 'pending consensusKey', 20),
              commitment: asBytes(p[1], 'pending commitment', 32),
              layers: u(p[2], 'pending layers'),
              epoch: u(p[3], 'pending epoch'),
            },
    };
  }

  putCandidate(c: Candidate): void {
    this.write(
      slot('cand', c.operator),
      rlpEncode([
        c.consensusKey,
        enc(c.name),
        c.depositLockId,
        c.commissionBps,
        c.commissionMaxBps,
        c.commissionEpoch,
        BigInt(CANDIDATE_STATUS.indexOf(c.status)),
        c.jailedUntilEpoch,
        c.randaoLast,
        c.registeredAt,
        c.randaoReveals,
        c.randaoLayers,
        c.randaoGeneration,
        c.pending === null
          ? []
          : [c.pending.consensusKey, c.pending.commitment, c.pending.layers, c.pending.epoch],
      ]),
    );
  }

  operatorOfKey(consensusKey: Address): Address | null {
    const v = this.read(slot('candKey', consensusKey));
    return v === null ? null : v;
  }

  setOperatorOfKey(consensusKey: Address, operator: Address): void {
    this.write(slot('candKey', consensusKey), operator);
  }

  operatorOfName(name: string): Address | null {
    const v = this.read(slot('candName', enc(name)));
    return v === null ? null : v;
  }

  setOperatorOfName(name: string, operator: Address | null): void {
    this.write(slot('candName', enc(name)), operator);
  }

  operators(): Address[] {
    return this.readList(slot('cands'), 'candidates').map((a) => asBytes(a, 'operator', 20));
  }

  addCandidate(operator: Address): void {
    const all = [...this.operators(), operator].sort(compareBytes);
    this.write(slot('cands'), rlpEncode(all));
  }

  /** Candidates whose pending switch takes effect at the first block of `epoch`. */
  switchesAt(epoch: bigint): Address[] {
    return this.readList(slot('switches', epoch), 'switches').map((a) =>
      asBytes(a, 'operator', 20),
    );
  }

  setSwitchesAt(epoch: bigint, operators: Address[]): void {
    this.write(slot('switches', epoch), operators.length === 0 ? null : rlpEncode(operators));
  }

  /** The candidate's last unlocked deposit and its release height, or null. */
  depositUnbonding(operator: Address): { amount: bigint; releaseHeight: bigint } | null {
    const v = this.read(slot('candUnb', operator));
    if (v === null) return null;
    const [amount, releaseHeight] = asList(rlpDecode(v), 'deposit unbonding', 2);
    return { amount: u(amount, 'amount'), releaseHeight: u(releaseHeight, 'releaseHeight') };
  }

  setDepositUnbonding(
    operator: Address,
    e: { amount: bigint; releaseHeight: bigint } | null,
  ): void {
    this.write(
      slot('candUnb', operator),
      e === null ? null : rlpEncode([e.amount, e.releaseHeight]),
    );
  }
}
