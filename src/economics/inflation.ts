/**
 * Per-block inflation (PROTOCOL §7.1): the yearly rate i becomes a per-block rate i_n such that
 * n blocks compound to exactly 1 + i. PROTOCOL writes i_n = ln(1 + i)/n, the rate of continuous
 * compounding; blocks compound discretely, and (1 + ln(1+i)/n)^n falls short of 1 + i by about
 * (1+i)·ln²(1+i)/(2n) (1.9e-9 at i = 20%, n = 10,512,000: outside PROTOCOL §12.2). So the chain
 * uses i_n = e^(ln(1+i)/n) − 1 = (1+i)^(1/n) − 1, which compounds to 1 + i and differs from
 * ln(1+i)/n only by i_n²/2 (about 5e-18 at i = 10%, 3-s blocks). A block mints
 * floor(B·i_n + carry) and carries the fraction to the next block, so cumulative minting is exact.
 * All values are bigint: rates in 36-decimal fixed point, amounts in units.
 */
import { exp, ln, SCALE } from '../math/fixed.js';

const WAD = 10n ** 18n;
const WAD_TO_FIXED = SCALE / WAD;

const rateCache = new Map<string, bigint>();

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
