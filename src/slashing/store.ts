/**
 * The slashing module's records, in the storage of the evidence system account
 * (src/state/records.ts):
 *
 *   ['chainId']                       the chain id consensus signatures are bound to
 *   ['ev', key, height, round, type]  [recordedAt]: an offence already punished (pruned once
 *                                     evidence of its height is too old to be accepted)
 *   ['evAt', height]                  [[key, round, type]…] offences recorded at that height
 *   ['pruned']                        [height]: offences up to this height are pruned
 *   ['recent']                        the last RECENT_EVIDENCE accepted evidence (Evidence)
 *   ['seals', epoch]                  [blocks, [missed…]]: of the blocks of `epoch` whose seals
 *                                     are recorded so far, how many each validator of the epoch's
 *                                     set (by position) did not seal
 *   ['hist', operator]                the candidate's last HISTORY_ENTRIES slashes and jails
 *
 * Every record is bounded: lists keep their newest entries, counts are per epoch and deleted
 * once the epoch is judged, offences are pruned after the evidence age.
 */
import { asBytes, asList, asUint, DecodeError, rlpDecode, rlpEncode } from '../codec/rlp.js';
import { EVIDENCE_ADDRESS } from '../primitives/system-addresses.js';
import type { Address } from '../primitives/types.js';
import { RecordStore, slot } from '../state/records.js';
import type { StateDB } from '../state/state-db.js';
import { SLASH_REASON, type SlashReason } from './abi.js';

/** Accepted evidence kept for `etm_getEvidence`. */
const RECENT_EVIDENCE = 64;
/** Slashes and jails kept per candidate. */
const HISTORY_ENTRIES = 16;

/** One offence: a validator's two signatures for one (height, round, type). */
export interface Offence {
  /** The consensus key that signed twice. */
  validator: Address;
  height: bigint;
  round: bigint;
  /** Consensus message type: 0 PROPOSAL, 1 PREPARE, 2 COMMIT, 3 ROUND-CHANGE. */
  type: bigint;
}

export interface Evidence extends Offence {
  operator: Address;
  reporter: Address;
  /** Units taken from the deposit. */
  slashed: bigint;
  /** Height of the block that accepted it. */
  recordedAt: bigint;
}

export interface HistoryEntry {
  reason: SlashReason;
  /** Height of the block that slashed. */
  height: bigint;
  amount: bigint;
  /** Who reported (double signing) or the zero address (downtime). */
  reporter: Address;
  /** Jailed until this epoch (downtime); 0 for a tombstone. */
  untilEpoch: bigint;
}

export interface SealCounts {
  blocks: bigint;
  /** By position in the epoch's validator set. */
  missed: bigint[];
}

const u = (item: Parameters<typeof asUint>[0], what: string) => asUint(item, what);
const addr = (item: Parameters<typeof asBytes>[0], what: string) => asBytes(item, what, 20);

export class SlashingStore extends RecordStore {
  constructor(state: StateDB) {
    super(state, EVIDENCE_ADDRESS);
  }

  chainId(): bigint | null {
    const v = this.read(slot('chainId'));
    return v === null ? null : u(rlpDecode(v), 'chainId');
  }

  setChainId(id: bigint): void {
    this.write(slot('chainId'), rlpEncode(id));
  }

  private offenceSlot(o: Offence): Uint8Array {
    return slot('ev', o.validator, o.height, o.round, o.type);
  }

  /** The height of the block that punished this offence, or null. */
  offenceRecordedAt(o: Offence): bigint | null {
    const v = this.read(this.offenceSlot(o));
    return v === null ? null : u(asList(rlpDecode(v), 'offence', 1)[0], 'recordedAt');
  }

  recordOffence(o: Offence, recordedAt: bigint): void {
    this.write(this.offenceSlot(o), rlpEncode([recordedAt]));
    const at = this.offencesAt(o.height);
    this.write(
      slot('evAt', o.height),
      rlpEncode([...at, o].map((x) => [x.validator, x.round, x.type])),
    );
  }

  offencesAt(height: bigint): Offence[] {
    return this.readList(slot('evAt', height), 'offences').map((e) => {
      const [validator, round, type] = asList(e, 'offence', 3);
      return {
        validator: addr(validator, 'validator'),
        height,
        round: u(round, 'round'),
        type: u(type, 'type'),
      };
    });
  }

  prunedUpTo(): bigint {
    const v = this.read(slot('pruned'));
    return v === null ? 0n : u(rlpDecode(v), 'pruned');
  }

  /** Deletes the offences of heights prunedUpTo()+1 … `to`, at most `maxHeights` of them. */
  pruneOffences(to: bigint, maxHeights: bigint): void {
    let h = this.prunedUpTo();
    const end = to < h + maxHeights ? to : h + maxHeights;
    if (end <= h) return;
    while (h < end) {
      h++;
      for (const o of this.offencesAt(h)) this.write(this.offenceSlot(o), null);
      this.write(slot('evAt', h), null);
    }
    this.write(slot('pruned'), rlpEncode(h));
  }

  recent(): Evidence[] {
    return this.readList(slot('recent'), 'recent evidence').map((e) => {
      const [validator, height, round, type, operator, reporter, slashed, recordedAt] = asList(
        e,
        'evidence',
        8,
      );
      return {
        validator: addr(validator, 'validator'),
        height: u(height, 'height'),
        round: u(round, 'round'),
        type: u(type, 'type'),
        operator: addr(operator, 'operator'),
        reporter: addr(reporter, 'reporter'),
        slashed: u(slashed, 'slashed'),
        recordedAt: u(recordedAt, 'recordedAt'),
      };
    });
  }

  addRecent(e: Evidence): void {
    const all = [...this.recent(), e].slice(-RECENT_EVIDENCE);
    this.write(
      slot('recent'),
      rlpEncode(
        all.map((x) => [
          x.validator,
          x.height,
          x.round,
          x.type,
          x.operator,
          x.reporter,
          x.slashed,
          x.recordedAt,
        ]),
      ),
    );
  }

  sealCounts(epoch: bigint): SealCounts | null {
    const v = this.read(slot('seals', epoch));
    if (v === null) return null;
    const [blocks, missed] = asList(rlpDecode(v), 'seal counts', 2);
    return {
      blocks: u(blocks, 'blocks'),
      missed: asList(missed, 'missed').map((m) => u(m, 'missed')),
    };
  }

  setSealCounts(epoch: bigint, c: SealCounts | null): void {
    this.write(slot('seals', epoch), c === null ? null : rlpEncode([c.blocks, c.missed]));
  }

  history(operator: Address): HistoryEntry[] {
    return this.readList(slot('hist', operator), 'history').map((e) => {
      const [reason, height, amount, reporter, untilEpoch] = asList(e, 'history entry', 5);
      const r = u(reason, 'reason');
      const name = SLASH_REASON[Number(r)];
      if (name === undefined || r >= BigInt(SLASH_REASON.length))
        throw new DecodeError(`slash reason ${r} is unknown`);
      return {
        reason: name,
        height: u(height, 'height'),
        amount: u(amount, 'amount'),
        reporter: addr(reporter, 'reporter'),
        untilEpoch: u(untilEpoch, 'untilEpoch'),
      };
    });
  }

  addHistory(operator: Address, h: HistoryEntry): void {
    const all = [...this.history(operator), h].slice(-HISTORY_ENTRIES);
    this.write(
      slot('hist', operator),
      rlpEncode(
        all.map((x) => [
          BigInt(SLASH_REASON.indexOf(x.reason)),
          x.height,
          x.amount,
          x.reporter,
          x.untilEpoch,
        ]),
      ),
    );
  }
}
