/**
 * The vote tally: every candidate's Σ x = Σ amount · t(H − since) over the locks voting for it,
 * kept at one height H for all candidates and brought forward at each epoch's end, so that the
 * election reads one number per candidate instead of walking its vote buckets. Records, in the
 * storage of the staking system account (src/state/records.ts):
 *
 *   ['voteTally']             [H, blocksPerDay, tMax, g, o]: the frame the tally is kept in
 *   ['voteSum', operator]     Σ x of the candidate's votes at H
 *   ['voteBins', operator, r] [[i, amount]…]: Σ amount of its buckets whose `since` is in bin i,
 *                             for the bins i ≡ r (mod R) that still have a day boundary ahead
 *
 * Why it is exact: t(a) = 1 + #{k ∈ 1 … tMax−1 : a ≥ k·D} (D = blocksPerDay), so from H to h a
 * vote's t grows by the number of k with H − k·D < since ≤ h − k·D, and Σ x grows by the amount
 * in those windows. Bins are g heights wide, g dividing D and the epoch length, and start at
 * H + 1 (bin i holds since ∈ [o + (i−1)·g, o + i·g − 1]), so each window is whole bins: those of
 * residue (i_H + j) mod R, R = D/g, one record per residue. Bringing a candidate forward one
 * epoch of m = E/g bins reads m records (one with the defaults: g = E = 1,200) plus its Σ x,
 * whatever its number of locks or buckets. A bin leaves its record at its last crossing (k =
 * tMax − 1): its votes then weigh tMax until their `since` moves.
 *
 * Writers keep it exact through `apply` (a bucket's amount or `since` changes: LockStore) and
 * `advance` (the epoch's end). A frame that no longer fits (no tally yet, a change of
 * blocksPerDay, tMax or epochBlocks, a gap longer than a day) is rebuilt from the buckets:
 * O(buckets) once.
 */
import { asList, asUint, rlpDecode, rlpEncode } from '../codec/rlp.js';
import { assert } from '../primitives/errors.js';
import { STAKING_ADDRESS } from '../primitives/system-addresses.js';
import type { Address } from '../primitives/types.js';
import type { StakingParams } from '../params/registry.js';
import { RecordStore, slot } from '../state/records.js';
import type { StateDB } from '../state/state-db.js';
import { timeGain } from './weights.js';

/** The height the tally is kept at and the bins it is kept in. */
export interface TallyFrame {
  height: bigint;
  blocksPerDay: bigint;
  tMax: bigint;
  /** Bin width g: divides blocksPerDay and the epoch length. */
  width: bigint;
  /** Bins start at heights ≡ offset (mod width). */
  offset: bigint;
}

/** A change of a candidate's votes: `amount` (signed) more with this `since`. */
export interface VoteChange {
  since: bigint;
  amount: bigint;
}

type TallyParams = Pick<StakingParams, 'blocksPerDay' | 'tMax' | 'epochBlocks'>;

const u = (item: Parameters<typeof asUint>[0], what: string) => asUint(item, what);

function gcd(a: bigint, b: bigint): bigint {
  while (b !== 0n) [a, b] = [b, a % b];
  return a;
}

/** Bin of a `since` (≥ 0): the bin holding height offset + (i−1)·g … offset + i·g − 1. */
const binOf = (f: TallyFrame, since: bigint) => (since + f.width - f.offset) / f.width;
const residues = (f: TallyFrame) => f.blocksPerDay / f.width;
/** The newest bin with no day boundary ahead at the frame's height. */
const lastSpent = (f: TallyFrame) => binOf(f, f.height + 1n) - 1n - (f.tMax - 1n) * residues(f);

/** Σ x of votes at `height`: Σ amount · t(height − since), the per-lock sum exactly. */
export function votesWeight(
  votes: readonly VoteChange[],
  height: bigint,
  p: Pick<StakingParams, 'blocksPerDay' | 'tMax'>,
): bigint {
  let w = 0n;
  for (const v of votes) w += v.amount * timeGain(height - v.since, p);
  return w;
}

/** Amounts of `votes` by residue and bin, for the bins of `f` with a day boundary ahead. */
function binned(f: TallyFrame, votes: readonly VoteChange[]): Map<bigint, Map<bigint, bigint>> {
  const R = residues(f);
  const spent = lastSpent(f);
  const out = new Map<bigint, Map<bigint, bigint>>();
  for (const v of votes) {
    const i = binOf(f, v.since);
    if (i <= spent || v.amount === 0n) continue;
    const bins = out.get(i % R) ?? new Map<bigint, bigint>();
    bins.set(i, (bins.get(i) ?? 0n) + v.amount);
    out.set(i % R, bins);
  }
  return out;
}

export class VoteTallyStore extends RecordStore {
  constructor(state: StateDB) {
    super(state, STAKING_ADDRESS);
  }

  frame(): TallyFrame | null {
    const v = this.read(slot('voteTally'));
    if (v === null) return null;
    const [height, blocksPerDay, tMax, width, offset] = asList(rlpDecode(v), 'tally frame', 5);
    return {
      height: u(height, 'height'),
      blocksPerDay: u(blocksPerDay, 'blocksPerDay'),
      tMax: u(tMax, 'tMax'),
      width: u(width, 'width'),
      offset: u(offset, 'offset'),
    };
  }

  private putFrame(f: TallyFrame): void {
    this.write(slot('voteTally'), rlpEncode([f.height, f.blocksPerDay, f.tMax, f.width, f.offset]));
  }

  /** Σ x of a candidate's votes at the frame's height. */
  private sum(operator: Address): bigint {
    const v = this.read(slot('voteSum', operator));
    return v === null ? 0n : u(rlpDecode(v), 'tally');
  }

  private putSum(operator: Address, w: bigint): void {
    assert(w >= 0n, 'vote tally underflow');
    this.write(slot('voteSum', operator), w === 0n ? null : rlpEncode(w));
  }

  private bins(operator: Address, r: bigint): Map<bigint, bigint> {
    const out = new Map<bigint, bigint>();
    for (const e of this.readList(slot('voteBins', operator, r), 'tally bins')) {
      const [i, amount] = asList(e, 'tally bin', 2);
      out.set(u(i, 'bin'), u(amount, 'amount'));
    }
    return out;
  }

  private putBins(operator: Address, r: bigint, bins: Map<bigint, bigint>): void {
    const entries = [...bins].filter(([, a]) => a !== 0n).sort(([x], [y]) => (x < y ? -1 : 1));
    this.write(
      slot('voteBins', operator, r),
      entries.length === 0 ? null : rlpEncode(entries.map(([i, a]) => [i, a])),
    );
  }

  /**
   * Σ x of a candidate's votes at `height`, or null when the tally is not kept at that height
   * with these parameters (the caller then weighs the buckets).
   */
  votesAt(operator: Address, height: bigint, p: TallyParams): bigint | null {
    return this.at(height, p)?.(operator) ?? null;
  }

  /** votesAt for many candidates: the frame read once; null when it is not at `height`. */
  at(height: bigint, p: TallyParams): ((operator: Address) => bigint) | null {
    const f = this.frame();
    if (f === null || f.height !== height || f.blocksPerDay !== p.blocksPerDay || f.tMax !== p.tMax)
      return null;
    return (operator) => this.sum(operator);
  }

  /** Follows changes of a candidate's bucket amounts and `since`s (nothing before a frame). */
  apply(operator: Address, changes: readonly VoteChange[]): void {
    const f = this.frame();
    if (f === null) return;
    const dw = votesWeight(changes, f.height, f);
    if (dw !== 0n) this.putSum(operator, this.sum(operator) + dw);
    for (const [r, deltas] of binned(f, changes)) {
      const bins = this.bins(operator, r);
      for (const [i, d] of deltas) {
        const a = (bins.get(i) ?? 0n) + d;
        assert(a >= 0n, 'vote tally bin underflow');
        bins.set(i, a);
      }
      this.putBins(operator, r, bins);
    }
  }

  /**
   * Sets a candidate's votes anew when all of them move at once (the halving): `before` and
   * `after` are all its buckets' (since, amount). Σ x and the bins are written from `after`
   * alone, without reading them; the bins only `before` had are removed.
   */
  replace(operator: Address, before: readonly VoteChange[], after: readonly VoteChange[]): void {
    const f = this.frame();
    if (f === null) return;
    this.writeFrom(f, operator, after, binned(f, before).keys());
  }

  /**
   * Writes a candidate's Σ x and bins in frame `f` from all its votes, without reading them;
   * the records of the residues in `stale` that the votes leave empty are removed.
   */
  private writeFrom(
    f: TallyFrame,
    operator: Address,
    votes: readonly VoteChange[],
    stale: Iterable<bigint>,
  ): void {
    const byResidue = binned(f, votes);
    for (const r of stale) if (!byResidue.has(r)) byResidue.set(r, new Map());
    this.putSum(operator, votesWeight(votes, f.height, f));
    for (const [r, bins] of byResidue) this.putBins(operator, r, bins);
  }

  /**
   * Brings every candidate's Σ x to `height` (an epoch's last block): O(candidates · E/g) reads,
   * or, when the frame does not fit, a rebuild from the buckets (`votes` gives a candidate's
   * Σ amount per `since`).
   */
  advance(
    height: bigint,
    p: TallyParams,
    operators: readonly Address[],
    votes: (operator: Address) => readonly VoteChange[],
  ): void {
    const f = this.frame();
    if (
      f === null ||
      f.blocksPerDay !== p.blocksPerDay ||
      f.tMax !== p.tMax ||
      height <= f.height ||
      (height - f.height) % f.width !== 0n ||
      height - f.height > f.blocksPerDay
    ) {
      this.rebuild(height, p, operators, votes);
      return;
    }
    const R = residues(f);
    const first = binOf(f, f.height + 1n);
    const bins = (height - f.height) / f.width;
    const back = (f.tMax - 1n) * R;
    for (const operator of operators) {
      const w = this.sum(operator);
      // No amount, so no bins either.
      if (w === 0n) continue;
      let crossed = 0n;
      for (let i = first; i < first + bins; i++) {
        const r = i % R;
        const held = this.bins(operator, r);
        if (held.size === 0) continue;
        let spent = false;
        for (const [b, a] of held) {
          // Bins i − k·R (k = 1 … tMax−1) cross a day boundary now; the oldest for the last time.
          if (b <= i - R && b >= i - back) crossed += a;
          if (b <= i - back) {
            held.delete(b);
            spent = true;
          }
        }
        if (spent) this.putBins(operator, r, held);
      }
      if (crossed !== 0n) this.putSum(operator, w + crossed);
    }
    this.putFrame({ ...f, height });
  }

  /** A new frame at `height`, every candidate's Σ x and bins taken from its buckets. */
  private rebuild(
    height: bigint,
    p: TallyParams,
    operators: readonly Address[],
    votes: (operator: Address) => readonly VoteChange[],
  ): void {
    const old = this.frame();
    const width = gcd(p.blocksPerDay, p.epochBlocks);
    const f: TallyFrame = {
      height,
      blocksPerDay: p.blocksPerDay,
      tMax: p.tMax,
      width,
      offset: (height + 1n) % width,
    };
    for (const operator of operators) {
      const vs = votes(operator);
      // Only bins with a boundary ahead have records, each holding a bucket's amount.
      this.writeFrom(f, operator, vs, old === null ? [] : binned(old, vs).keys());
    }
    this.putFrame(f);
  }
}
