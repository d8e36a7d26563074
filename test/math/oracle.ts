// High-precision reference for the fixed-point tests: decimal.js at 120 significant digits.
import { Decimal } from 'decimal.js';
import { expect } from 'vitest';
import { SCALE, type Fixed } from '../../src/math/fixed.js';

export const D = Decimal.clone({ precision: 120, rounding: Decimal.ROUND_HALF_EVEN });
export type Dec = InstanceType<typeof D>;

const SCALE_D = new D(SCALE.toString());

/** The exact value of a raw fixed-point number. */
export const dec = (raw: Fixed): Dec => new D(raw.toString()).div(SCALE_D);

/** |raw − exact·10^36|: the error of a result in ulps (units of 10^-36). */
export function ulpError(raw: Fixed, exact: Dec): Dec {
  return new D(raw.toString()).sub(exact.mul(SCALE_D)).abs();
}

/**
 * The accuracy promised by docs/math.md for ln, exp and the powers: the result is the exact value
 * rounded to nearest, up to 10^-30 ulp absolute plus 10^-60 relative (the internal error).
 * This implies a relative error below 10^-30 for every result of magnitude ≥ 10^-6.
 */
export function expectAccurate(raw: Fixed, exact: Dec, what: string): void {
  const err = ulpError(raw, exact);
  const allowed = new D('0.5').add('1e-30').add(exact.mul(SCALE_D).abs().mul('1e-60'));
  expect(err.lte(allowed), `${what}: error ${err.toSignificantDigits(6)} ulp`).toBe(true);
  if (exact.abs().gte('1e-6')) {
    const rel = err.div(exact.mul(SCALE_D).abs());
    expect(rel.lt('1e-30'), `${what}: relative error ${rel.toSignificantDigits(6)}`).toBe(true);
  }
}

/** The raw fixed-point value nearest to a decimal (ties to even). */
export const toRaw = (d: Dec): Fixed =>
  BigInt(d.mul(SCALE_D).toDecimalPlaces(0, D.ROUND_HALF_EVEN).toFixed(0));
