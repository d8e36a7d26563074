/**
 * ln, exp and powers of 36-decimal fixed-point numbers, computed in binary fixed point with
 * WORK_BITS = 256 fractional bits by range reduction and series with fixed term counts, then
 * rounded once to 36 decimals (to nearest, ties to even). See docs/math.md for the algorithms,
 * the domain and the error bounds.
 */
import { ONE, SCALE, type Fixed } from './arith.js';
import { LN2_W, LN_SCALE_W, LN_TABLE_BITS, LN_TABLE_W, WORK_BITS } from './constants.js';
import { MathError } from './errors.js';
import { divRound, floorDiv, isqrt, bitLength, shiftRound, type Rounding } from './integer.js';

const W = WORK_BITS;
/** 1 in the internal binary fixed point. */
const ONE_W = 1n << W;

/** Largest argument of exp: e^128 ≈ 3.9·10^55. Above it exp (and pow) throw OVERFLOW. */
export const EXP_MAX_INPUT: Fixed = 128n * ONE;
/**
 * exp(x) for x < EXP_MIN_INPUT is 0: e^-84 ≈ 3.0·10^-37 is below half an ulp, so the rounded
 * result is 0 already from about x < −83.58; below −84 the computation is skipped.
 */
export const EXP_MIN_INPUT: Fixed = -84n * ONE;
const EXP_MAX_W = 128n << W;
const EXP_MIN_W = -84n << W;

// ---- ln -------------------------------------------------------------------------------------

/**
 * atanh series: ln(m') = 2·(s + s^3/3 + … + s^41/41) with s = (m'−1)/(m'+1). After the table
 * reduction 0 ≤ s < 2^-6, so the first omitted term is below 2^-262: 21 terms, always all of
 * them.
 */
export const LN_SERIES_DIVISORS: readonly bigint[] = [
  3n,
  5n,
  7n,
  9n,
  11n,
  13n,
  15n,
  17n,
  19n,
  21n,
  23n,
  25n,
  27n,
  29n,
  31n,
  33n,
  35n,
  37n,
  39n,
  41n,
];
/** Bound on s asserted after the range reduction: s < 2^-(LN_TABLE_BITS + 1). */
const LN_S_BOUND = 1n << (W - LN_TABLE_BITS - 1n);
const LN_TABLE_SIZE = 1n << LN_TABLE_BITS;

/** ln(x) · 2^W for the fixed-point x > 0 (raw), truncated at each step (error < 2^-250). */
function lnW(raw: bigint): bigint {
  // raw = m · 2^k with m ∈ [1, 2); ln(x) = ln(raw) − 36·ln 10 = k·ln 2 + ln m − 36·ln 10.
  const k = bitLength(raw) - 1n;
  const m = k <= W ? raw << (W - k) : raw >> (k - W);
  // m ∈ [1 + j/32, 1 + (j+1)/32): divide by c_j = 1 + j/32, whose ln is tabulated.
  const j = (m >> (W - LN_TABLE_BITS)) - LN_TABLE_SIZE;
  const mr = (m << LN_TABLE_BITS) / (LN_TABLE_SIZE + j); // m / c_j ∈ [1, 1 + 1/32)
  const s = ((mr - ONE_W) << W) / (mr + ONE_W);
  if (s < 0n || s >= LN_S_BOUND) throw new MathError('INTERNAL', 'ln range reduction bound');
  const s2 = (s * s) >> W;
  let term = s;
  let sum = s;
  for (const d of LN_SERIES_DIVISORS) {
    term = (term * s2) >> W;
    sum += term / d;
  }
  return k * LN2_W + LN_TABLE_W[Number(j)]! + 2n * sum - LN_SCALE_W;
}

/**
 * Natural logarithm of x > 0, rounded to nearest. Any positive value is accepted; the absolute
 * error is below 0.5 ulp + 10^-70. Throws DOMAIN for x ≤ 0.
 */
export function ln(x: Fixed): Fixed {
  if (x <= 0n) throw new MathError('DOMAIN', `ln of a non-positive number (raw ${x})`);
  if (x === ONE) return 0n;
  return shiftRound(lnW(x) * SCALE, W, 'nearest');
}

// ---- exp ------------------------------------------------------------------------------------

/** Halvings of the reduced argument before the series (undone by as many squarings). */
export const EXP_HALVINGS = 8n;
/**
 * Horner steps of the Taylor series of e^t, t = r / 2^8 with |r| ≤ ln2 / 2, |t| < 2^-9.5: terms
 * up to t^20/20!; the first omitted term is below 2^-265.
 */
export const EXP_SERIES_DIVISORS: readonly bigint[] = [
  20n,
  19n,
  18n,
  17n,
  16n,
  15n,
  14n,
  13n,
  12n,
  11n,
  10n,
  9n,
  8n,
  7n,
  6n,
  5n,
  4n,
  3n,
  2n,
  1n,
];
const EXP_R_BOUND = LN2_W / 2n + 1n;

/** e^(y / 2^W) as a fixed-point raw value, rounded to nearest. Checks the bounds. */
function expW(y: bigint): Fixed {
  if (y > EXP_MAX_W) {
    throw new MathError('OVERFLOW', `exp argument above ${EXP_MAX_INPUT / ONE}`);
  }
  if (y < EXP_MIN_W) return 0n;
  // y = k·ln 2 + r, |r| ≤ ln2 / 2; e^y = 2^k · (e^(r/256))^256.
  const k = divRound(y, LN2_W, 'nearest');
  const r = y - k * LN2_W;
  if (r > EXP_R_BOUND || r < -EXP_R_BOUND) {
    throw new MathError('INTERNAL', 'exp range reduction bound');
  }
  const shift = W + EXP_HALVINGS;
  let p = ONE_W;
  for (const n of EXP_SERIES_DIVISORS) p = ONE_W + ((p * r) >> shift) / n;
  for (let i = 0n; i < EXP_HALVINGS; i++) p = (p * p) >> W;
  // k ∈ [−122, 185] within the bounds, so W − k > 0.
  return shiftRound(p * SCALE, W - k, 'nearest');
}

/**
 * e^x rounded to nearest, for x ≤ EXP_MAX_INPUT (128); throws OVERFLOW above. Negative x is
 * fine: the result is 0 once e^x is below half an ulp. Relative error below 10^-70 on top of the
 * final rounding.
 */
export function exp(x: Fixed): Fixed {
  if (x > EXP_MAX_INPUT) {
    throw new MathError('OVERFLOW', `exp argument above ${EXP_MAX_INPUT / ONE}`);
  }
  if (x < EXP_MIN_INPUT) return 0n;
  if (x === 0n) return ONE;
  return expW(divRound(x << W, SCALE, 'nearest'));
}

// ---- powers ---------------------------------------------------------------------------------

/** x^y = e^(y·ln x) for x > 0 with y a fixed-point exponent. */
function powPositive(x: Fixed, y: Fixed): Fixed {
  return expW(floorDiv(y * lnW(x), SCALE));
}

/**
 * x^u for x ≥ 0 and 0 < u ≤ 1 (the concave stake exponent), as e^(u·ln x) rounded to nearest.
 * Exact cases: pow(0, u) = 0, pow(x, 1) = x, pow(1, u) = 1. Throws DOMAIN outside that domain
 * and OVERFLOW when u·ln x > 128.
 */
export function pow(x: Fixed, u: Fixed): Fixed {
  if (x < 0n) throw new MathError('DOMAIN', `pow of a negative base (raw ${x})`);
  if (u <= 0n || u > ONE) throw new MathError('DOMAIN', `pow exponent outside (0, 1] (raw ${u})`);
  if (x === 0n) return 0n;
  if (u === ONE || x === ONE) return x;
  return powPositive(x, u);
}

/**
 * x^y for x ≥ 0 and any fixed-point y, as e^(y·ln x) rounded to nearest. Exact cases: y = 0
 * gives 1 (also 0^0), y = 1 gives x, x = 1 gives 1, x = 0 with y > 0 gives 0. Throws DOMAIN for
 * x < 0 or (x = 0, y < 0), OVERFLOW when y·ln x > 128.
 */
export function powReal(x: Fixed, y: Fixed): Fixed {
  if (x < 0n) throw new MathError('DOMAIN', `powReal of a negative base (raw ${x})`);
  if (y === 0n) return ONE;
  if (x === 0n) {
    if (y < 0n) throw new MathError('DOMAIN', 'powReal of 0 with a negative exponent');
    return 0n;
  }
  if (y === ONE || x === ONE) return x;
  return powPositive(x, y);
}

/**
 * x^n for an integer n ≥ 0 and any fixed-point x (negative x gives the sign of (−1)^n), as
 * e^(n·ln|x|) rounded to nearest; suited to large n such as (1 + r)^blocksPerYear. Exact cases:
 * n = 0 gives 1, n = 1 gives x, x = 0 gives 0. Throws DOMAIN for n < 0 and OVERFLOW when
 * n·ln|x| > 128.
 */
export function powInt(x: Fixed, n: bigint): Fixed {
  if (n < 0n) throw new MathError('DOMAIN', `powInt with a negative exponent ${n}`);
  if (n === 0n) return ONE;
  if (n === 1n || x === 0n || x === ONE) return x;
  const negative = x < 0n && (n & 1n) === 1n;
  const a = x < 0n ? -x : x;
  const r = a === ONE ? ONE : expW(n * lnW(a));
  return negative ? -r : r;
}

/** √x for x ≥ 0, rounded in the given direction (exact integer method). */
export function sqrt(x: Fixed, rounding: Rounding): Fixed {
  if (x < 0n) throw new MathError('DOMAIN', `sqrt of a negative number (raw ${x})`);
  const n = x * SCALE;
  const r = isqrt(n);
  const sq = r * r;
  if (sq === n) return r;
  switch (rounding) {
    case 'down':
      return r;
    case 'up':
      return r + 1n;
    case 'nearest':
      return n > sq + r ? r + 1n : r;
    default:
      throw new MathError('DOMAIN', `unknown rounding direction ${String(rounding)}`);
  }
}
