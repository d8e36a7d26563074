/**
 * The staking module's records of elections and proposer performance, in the storage of the
 * staking system account (src/state/records.ts):
 *
 *   ['perf', operator]      [[epoch, m, n]…] the last perfWindowEpochs epochs with turns
 *   ['epoch', e]            election record of epoch e (see EpochRecord)
 *   ['produced', e]         [operator…] ascending: candidates that produced a block in epoch e
 */
import { asBytes, asList, asUint, rlpDecode, rlpEncode } from '../codec/rlp.js';
import { STAKING_ADDRESS } from '../primitives/system-addresses.js';
import type { Address } from '../primitives/types.js';
import { RecordStore, slot } from '../state/records.js';
import type { StateDB } from '../state/state-db.js';

export interface PerfEntry {
  epoch: bigint;
  /** Turns whose proposal was committed. */
  m: bigint;
  /** Turns given. */
  n: bigint;
}

export interface DrawRecord {
  address: Address;
  w: bigint;
  W: bigint;
}

/** What an election decided for one epoch, kept for `etm_getElection`. */
export interface EpochRecord {
  /** Consensus keys in proposer order. */
  validators: Address[];
  /** Operators in the same order (empty for genesis validators without a candidacy). */
  operators: Address[];
  /** The RANDAO seed the election used (zero for the genesis epochs). */
  seed: Uint8Array;
  ranked: Address[];
  drawn: DrawRecord[];
  /** Seated without weight because fewer than K candidates had any. */
  filled: Address[];
  /** Height of the block whose state transition ran the election (0 for genesis). */
  electedAt: bigint;
}

const u = (item: Parameters<typeof asUint>[0], what: string) => asUint(item, what);

/** Election records by epoch, proposer turns by candidate, producers by epoch. */
export class ElectionStore extends RecordStore {
  constructor(state: StateDB) {
    super(state, STAKING_ADDRESS);
  }

  perf(operator: Address): PerfEntry[] {
    return this.readList(slot('perf', operator), 'perf').map((e) => {
      const [epoch, m, n] = asList(e, 'perf entry', 3);
      return { epoch: u(epoch, 'epoch'), m: u(m, 'm'), n: u(n, 'n') };
    });
  }

  setPerf(operator: Address, entries: PerfEntry[]): void {
    this.write(
      slot('perf', operator),
      entries.length === 0 ? null : rlpEncode(entries.map((e) => [e.epoch, e.m, e.n])),
    );
  }

  produced(epoch: bigint): Address[] {
    return this.readList(slot('produced', epoch), 'produced').map((a) =>
      asBytes(a, 'operator', 20),
    );
  }

  setProduced(epoch: bigint, operators: Address[]): void {
    this.write(slot('produced', epoch), operators.length === 0 ? null : rlpEncode(operators));
  }

  epochRecord(epoch: bigint): EpochRecord | null {
    const v = this.read(slot('epoch', epoch));
    if (v === null) return null;
    const [validators, operators, seed, ranked, drawn, electedAt, filled] = asList(
      rlpDecode(v),
      'epoch record',
      7,
    );
    const addrs = (x: Parameters<typeof asList>[0], what: string) =>
      asList(x, what).map((a) => asBytes(a, what, 20));
    return {
      validators: addrs(validators, 'validators'),
      operators: addrs(operators, 'operators'),
      seed: asBytes(seed, 'seed', 32),
      ranked: addrs(ranked, 'ranked'),
      drawn: asList(drawn, 'drawn').map((d) => {
        const [address, w, W] = asList(d, 'draw', 3);
        return { address: asBytes(address, 'address', 20), w: u(w, 'w'), W: u(W, 'W') };
      }),
      electedAt: u(electedAt, 'electedAt'),
      filled: addrs(filled, 'filled'),
    };
  }

  setEpochRecord(epoch: bigint, r: EpochRecord): void {
    this.write(
      slot('epoch', epoch),
      rlpEncode([
        r.validators,
        r.operators,
        r.seed,
        r.ranked,
        r.drawn.map((d) => [d.address, d.w, d.W]),
        r.electedAt,
        r.filled,
      ]),
    );
  }
}
