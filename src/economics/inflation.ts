/**
 * Per-block inflation (PROTOCOL §7.1). The yearly rate i of the current year (`inflationSchedule`,
 * entry y for the blocks y·n + 1 … (y + 1)·n, the last entry repeating) becomes a per-block rate
 * i_n such that n blocks compound to exactly 1 + i: i_n = (1 + i)^(1/n) − 1 = e^(ln(1+i)/n) − 1,
 * the seed's defining equation (1 + i_n)^n = 1 + i solved exactly. Its first-order approximation
 * ln(1+i)/n is smaller by about i_n²/2 (4.1e-17 per block at i = 10%, n = 10,512,000) and,
 * compounded block by block, falls short of 1 + i by about (1+i)·ln²(1+i)/(2n) (1.9e-9 at
 * i = 20%: outside PROTOCOL §12.2). A block mints floor(B·i_n + carry) and carries the fraction
 * to the next block, so cumulative minting is exact. All values are bigint: rates in 36-decimal
 * fixed point, amounts in units.
 */
import { exp, ln, SCALE, WAD_TO_FIXED } from '../math/fixed.js';
import { WAD } from '../params/registry.js';

const rateCache = new Map<string, bigint>();

/** Year of a block, counted from 0: block h > 0 is in year ⌊(h − 1) / n⌋ (the genesis in year 0). */
export function inflationYear(height: bigint, blocksPerYear: bigint): bigint {
  return height <= 0n ? 0n : (height - 1n) / blocksPerYear;
}

type ScheduleParams = { inflationSchedule: readonly bigint[]; blocksPerYear: bigint };

/** The yearly rate i (WAD) that mints block `height`: its year's entry, or the last one. */
export function inflationRateAt(height: bigint, p: ScheduleParams): bigint {
  const y = inflationYear(height, p.blocksPerYear);
  const last = BigInt(p.inflationSchedule.length - 1);
  return p.inflationSchedule[Number(y < last ? y : last)]!;
}

/**
 * The first block minted at the next entry of the schedule after `height`'s year: the first
 * block of the following year, or null when `height` is already in the last entry's years.
 */
export function nextInflationSwitch(height: bigint, p: ScheduleParams): bigint | null {
  const y = inflationYear(height, p.blocksPerYear);
  return y + 1n < BigInt(p.inflationSchedule.length) ? (y + 1n) * p.blocksPerYear + 1n : null;
}

/** i_n = (1+i)^(1/n) − 1 in 36-decimal fixed point. */
export function perBlockRate(inflationRateWad: bigint, blocksPerYear: bigint): bigint {
  const key = `${inflationRateWad}/${blocksPerYear}`;
  let r = rateCache.get(key);
  if (r === undefined) {
    r = exp(ln(SCALE + inflationRateWad * WAD_TO_FIXED) / blocksPerYear) - SCALE;
    rateCache.set(key, r);
  }
  return r;
}

export interface Mint {
  /** Units minted in this block. */
  minted: bigint;
  /** Fraction of a unit carried to the next block, in 10^-36 units. */
  carry: bigint;
}

/** floor(B·i_n + carry), with the remainder carried. */
export function mintBlock(supply: bigint, rate: bigint, carry: bigint): Mint {
  const exact = supply * rate + carry;
  return { minted: exact / SCALE, carry: exact % SCALE };
}

/** The proposer's part δ·minted (rounded down) and the stakers' part, which is the rest. */
export function splitMint(
  minted: bigint,
  validatorShareWad: bigint,
): { proposer: bigint; stakers: bigint } {
  const proposer = (minted * validatorShareWad) / WAD;
  return { proposer, stakers: minted - proposer };
}
