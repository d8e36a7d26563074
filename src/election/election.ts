/**
 * The epoch election (PROTOCOL §6), exactly as specified so that anyone can recompute it from
 * the candidates' weights and the seed. Pure and deterministic: no I/O, no clock, no floats, and
 * the order in which candidates are given does not matter.
 *
 * With K = rankedSeats + lotterySeats, R the election weight (36-decimal fixed point, so the raw
 * value is R·10^36) and w = floor(R · 10^18) = R_raw / 10^18 the integer lottery weight:
 *
 * 1. ranked seats: the `rankedSeats` candidates with the largest R > 0; ties go to the lower
 *    address;
 * 2. lottery seats: for draw i = 0, 1, …, lotterySeats − 1, list the candidates not yet elected
 *    by address ascending, keep those with w > 0, let W = Σ w and
 *    z = uint256(keccak256(seed ‖ "draw" ‖ uint64be(i))) mod W; the first candidate whose running
 *    total of w exceeds z is elected. W = 0 stops the draws;
 * 3. filling (where the specification is silent): seats still empty after the draws go to the
 *    remaining candidates by R descending, then address ascending. They all have w = 0 (else the
 *    lottery would have drawn them), so this only seats anyone when fewer than K candidates have
 *    a lottery weight, and it makes "fewer candidates than K: all are elected" hold;
 * 4. proposer order: the m elected (m = min(K, number of candidates)), by address ascending,
 *    permuted by Fisher–Yates: for j = m−1 down to 1, swap positions j and
 *    uint256(keccak256(seed ‖ "order" ‖ uint64be(j))) mod (j+1).
 *
 * Nobody is elected twice: every step picks only from candidates not yet elected.
 */
import { EtmError } from '../primitives/errors.js';
import {
  bytesToBigint,
  compareBytes,
  concatBytes,
  toHex,
  uint64be,
  utf8,
} from '../crypto/bytes.js';
import { keccak256 } from '../crypto/keccak.js';
import type { Address } from '../primitives/types.js';

/** Invalid election input: bad seed, seat counts, address lengths, weights or duplicates. */
export class ElectionError extends EtmError<'election'> {
  override name = 'ElectionError';

  constructor(message: string, options?: ErrorOptions) {
    super('election', message, options);
  }
}

export interface ElectionCandidate {
  /** The candidate's operator address (20 bytes). */
  address: Address;
  /** Election weight R as 36-decimal fixed point (R_raw = R · 10^36), never negative. */
  weight: bigint;
}

export interface ElectionInput {
  candidates: ReadonlyArray<ElectionCandidate>;
  rankedSeats: number;
  lotterySeats: number;
  /** randao(e−1): the mix at the last block of the epoch before the electing one (32 bytes). */
  seed: Uint8Array;
}

/** One lottery draw: the winner, its weight and the total weight of that draw (P = w / W). */
export interface Draw {
  address: Address;
  /** The winner's integer lottery weight w = floor(R · 10^18). */
  w: bigint;
  /** Σ w over the candidates in this draw. */
  W: bigint;
  /** The drawn point: uint256(keccak256(seed ‖ "draw" ‖ uint64be(i))) mod W. */
  z: bigint;
}

export interface ElectionResult {
  /** The seed the election used (a copy). */
  seed: Uint8Array;
  /** Ranked seats, heaviest first. */
  ranked: Address[];
  /** Lottery seats in draw order (draw i is `drawn[i]`). */
  drawn: Draw[];
  /** Seats filled because fewer than K candidates had a lottery weight (see rule 3). */
  filled: Address[];
  /** Every elected candidate once, in proposer order: the proposer of (h, r) is [(h+r) mod m]. */
  validators: Address[];
}

/** R_raw / LOTTERY_DIVISOR = floor(R · 10^18) for a 36-decimal R. */
const LOTTERY_DIVISOR = 10n ** 18n;

/** The integer lottery weight of an election weight R (36-decimal fixed point). */
export function lotteryWeight(R: bigint): bigint {
  return R / LOTTERY_DIVISOR;
}

const DRAW = utf8('draw');
const ORDER = utf8('order');

/** The point of lottery draw i over a total W > 0: uint256(keccak256(seed ‖ "draw" ‖ uint64be(i))) mod W. */
export function drawPoint(seed: Uint8Array, i: number, W: bigint): bigint {
  return tagHash(seed, DRAW, i) % W;
}

/** uint256(keccak256(seed ‖ tag ‖ uint64be(i))). */
function tagHash(seed: Uint8Array, tag: Uint8Array, i: number): bigint {
  return bytesToBigint(keccak256(concatBytes(seed, tag, uint64be(i))));
}

interface Entry {
  address: Address;
  R: bigint;
  w: bigint;
  elected: boolean;
}

function checkSeats(name: string, value: unknown): number {
  if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < 0)
    throw new ElectionError(`${name} must be a non-negative integer, got ${String(value)}`);
  return value;
}

/** Validated copies of the candidates, sorted by address ascending. */
function prepare(candidates: unknown): Entry[] {
  if (!Array.isArray(candidates)) throw new ElectionError('candidates must be an array');
  const entries: Entry[] = [];
  for (let i = 0; i < candidates.length; i++) {
    const c = candidates[i] as Partial<ElectionCandidate> | null | undefined;
    if (typeof c !== 'object' || c === null)
      throw new ElectionError(`candidate ${i} is not an object`);
    const { address, weight } = c;
    if (!(address instanceof Uint8Array) || address.length !== 20)
      throw new ElectionError(`candidate ${i}: the address must be 20 bytes`);
    if (typeof weight !== 'bigint')
      throw new ElectionError(`candidate ${toHex(address)}: the weight must be a bigint`);
    if (weight < 0n)
      throw new ElectionError(`candidate ${toHex(address)}: negative weight ${weight}`);
    entries.push({ address: address.slice(), R: weight, w: lotteryWeight(weight), elected: false });
  }
  entries.sort((a, b) => compareBytes(a.address, b.address));
  for (let i = 1; i < entries.length; i++)
    if (compareBytes(entries[i - 1]!.address, entries[i]!.address) === 0)
      throw new ElectionError(`candidate ${toHex(entries[i]!.address)} appears twice`);
  return entries;
}

/** Heaviest first; equal weights by address ascending (entries are address-sorted already). */
function byWeightThenAddress(entries: Entry[], indices: number[]): number[] {
  return indices.sort((a, b) => {
    const ra = entries[a]!.R;
    const rb = entries[b]!.R;
    return ra === rb ? a - b : ra > rb ? -1 : 1;
  });
}

export function elect(input: ElectionInput): ElectionResult {
  if (typeof input !== 'object' || input === null)
    throw new ElectionError('election input must be an object');
  const { seed } = input;
  if (!(seed instanceof Uint8Array) || seed.length !== 32)
    throw new ElectionError('the seed must be 32 bytes');
  const rankedSeats = checkSeats('rankedSeats', input.rankedSeats);
  const lotterySeats = checkSeats('lotterySeats', input.lotterySeats);
  const entries = prepare(input.candidates);
  const seats = rankedSeats + lotterySeats;
  const indices = entries.map((_, i) => i);

  // 1. Ranked seats.
  const rankedIdx = byWeightThenAddress(
    entries,
    indices.filter((i) => entries[i]!.R > 0n),
  ).slice(0, rankedSeats);
  for (const i of rankedIdx) entries[i]!.elected = true;

  // 2. Lottery seats. W is kept as a running total: each winner leaves the pool.
  let W = 0n;
  for (const e of entries) if (!e.elected) W += e.w;
  const drawn: Draw[] = [];
  for (let i = 0; i < lotterySeats && W > 0n; i++) {
    const z = drawPoint(seed, i, W);
    let cumulative = 0n;
    for (const e of entries) {
      if (e.elected || e.w === 0n) continue;
      cumulative += e.w;
      if (cumulative > z) {
        e.elected = true;
        drawn.push({ address: e.address.slice(), w: e.w, W, z });
        W -= e.w;
        break;
      }
    }
  }

  // 3. Filling: empty seats go to the rest, by R descending then address.
  let count = rankedIdx.length + drawn.length;
  const filledIdx: number[] = [];
  if (count < seats) {
    for (const i of byWeightThenAddress(
      entries,
      indices.filter((i) => !entries[i]!.elected),
    )) {
      if (count >= seats) break;
      entries[i]!.elected = true;
      filledIdx.push(i);
      count++;
    }
  }

  // 4. Proposer order: elected by address ascending, then Fisher–Yates.
  const order = entries.filter((e) => e.elected).map((e) => e.address.slice());
  for (let j = order.length - 1; j >= 1; j--) {
    const k = Number(tagHash(seed, ORDER, j) % BigInt(j + 1));
    const t = order[j]!;
    order[j] = order[k]!;
    order[k] = t;
  }

  return {
    seed: seed.slice(),
    ranked: rankedIdx.map((i) => entries[i]!.address.slice()),
    drawn,
    filled: filledIdx.map((i) => entries[i]!.address.slice()),
    validators: order,
  };
}
