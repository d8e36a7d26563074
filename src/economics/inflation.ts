/**
 * Per-block inflation (PROTOCOL §7.1): the yearly rate i becomes the per-block rate
 * i_n = ln(1 + i) / n, so that n blocks compound to exactly 1 + i. A block mints
 * floor(B·i_n + carry) and carries the fraction to the next block, so cumulative minting is exact.
 * All values are bigint: rates in 36-decimal fixed point, amounts in units.
 */
import { ln, SCALE } from '../math/fixed.js';

const WAD = 10n ** 18n;
const WAD_TO_FIXED = SCALE / WAD;

const rateCache = new Map<string, bigint>();

/** i_n in 36-decimal fixed point, rounded down. */
export function perBlockRate(inflationRateWad: bigint, blocksPerYear: bigint): bigint {
  const key = `${inflationRateWad}/${blocksPerYear}`;
  let r = rateCache.get(key);
  if (r === undefined) {
    r = ln(SCALE + inflationRateWad * WAD_TO_FIXED) / blocksPerYear;
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
