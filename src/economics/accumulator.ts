/**
 * Reward-per-weight accumulators (PROTOCOL §7.2, §7.3): an amount shared pro rata over a total
 * weight raises the accumulator by amount/total, in 36-decimal fixed point with the remainder
 * carried, so that the sum of what the holders can claim never exceeds what was shared and falls
 * short of it by at most one unit per holder. A holder's due is weight·(acc − snapshot),
 * rounded down. O(1) per share and per holder touched.
 */
import { SCALE } from '../math/fixed.js';

export interface Accumulator {
  /** Reward per unit of weight, scaled by 10^36. */
  acc: bigint;
  /** Remainder of the last division (scaled numerator units), carried to the next. */
  rem: bigint;
}

/** Raises the accumulator by `amount / totalWeight`; totalWeight must be positive. */
export function share(a: Accumulator, amount: bigint, totalWeight: bigint): Accumulator {
  if (totalWeight <= 0n) throw new RangeError('share over a zero total weight');
  const numerator = amount * SCALE + a.rem;
  return { acc: a.acc + numerator / totalWeight, rem: numerator % totalWeight };
}

/** What a holder of `weight` has earned since its snapshot of the accumulator. */
export function dueSince(weight: bigint, acc: bigint, snapshot: bigint): bigint {
  return (weight * (acc - snapshot)) / SCALE;
}
