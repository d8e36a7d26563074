/**
 * Vote weights and the election weight (PROTOCOL §5, §6), in integers and 36-decimal fixed
 * point (a value v is the bigint v·10^36):
 *
 *   t   = min(1 + floor(age / blocksPerDay), tMax)            time gain of a lock
 *   x   = t · T                                               lock weight, in units
 *   X_c = (Σ x / 1 ETM)^u          (concaveOn = candidate)     candidate weight
 *       = Σ (x / 1 ETM)^u          (concaveOn = lock)
 *   v   = m / n, or the previous validators' average when m = n = 0, or 1 / (10 n²) when m = 0
 *   R   = v · X                                               election weight
 */
import { SCALE, WAD_TO_FIXED, mulDown, pow } from '../math/fixed.js';
import { CONCAVE_ON_LOCK, type StakingParams } from '../params/registry.js';

/** 1 ETM in units; weights are taken in ETM so that the exponent does not depend on decimals. */
const UNITS_PER_ETM = 10n ** 18n;
/** Fixed-point value of x units: x / 10^18 ETM scaled by 10^36. */
const unitsToFixed = (x: bigint) => x * (SCALE / UNITS_PER_ETM);

export function timeGain(age: bigint, p: Pick<StakingParams, 'blocksPerDay' | 'tMax'>): bigint {
  const t = 1n + (age < 0n ? 0n : age / p.blocksPerDay);
  return t < p.tMax ? t : p.tMax;
}

export function lockWeight(amount: bigint, t: bigint): bigint {
  return amount * t;
}

/** X_c in fixed point from the weights x (units) of the locks voting for a candidate. */
export function candidateWeight(
  xs: readonly bigint[],
  p: Pick<StakingParams, 'stakeExponent' | 'concaveOn'>,
): bigint {
  const u = p.stakeExponent * WAD_TO_FIXED;
  if (p.concaveOn === CONCAVE_ON_LOCK) {
    let sum = 0n;
    for (const x of xs) sum += pow(unitsToFixed(x), u);
    return sum;
  }
  let total = 0n;
  for (const x of xs) total += x;
  return pow(unitsToFixed(total), u);
}

/**
 * Performance coefficient v in fixed point from the turns in the window: m committed of n given.
 * `newcomer` is the value for m = n = 0 (the previous epoch's validators' average).
 */
export function performance(m: bigint, n: bigint, newcomer: bigint): bigint {
  if (n === 0n) return newcomer;
  if (m === 0n) return SCALE / (10n * n * n);
  return (m * SCALE) / n;
}

export function electionWeight(v: bigint, X: bigint): bigint {
  return mulDown(v, X);
}
