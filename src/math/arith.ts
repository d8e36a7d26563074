/**
 * Decimal fixed point on bigint: a value v is held as the integer v·10^36 (its "raw" value).
 * Every operation is integer arithmetic with an explicit rounding direction, so results are
 * identical on every machine. See docs/math.md.
 */
import { MathError } from './errors.js';
import { divRound, floorDiv, type Rounding } from './integer.js';

/** A fixed-point number: the bigint v·10^36. The unit in the last place (ulp) is 10^-36. */
export type Fixed = bigint;

/** Number of fractional decimal digits. */
export const DECIMALS = 36n;
/** 10^36: the raw value of 1. */
export const SCALE: bigint = 10n ** DECIMALS;
export const ONE: Fixed = SCALE;
/** Multiplies a WAD value (a fraction scaled by 10^18, as parameters are) into fixed point. */
export const WAD_TO_FIXED: bigint = SCALE / 10n ** 18n;
export const ZERO: Fixed = 0n;

/** The integer n as a fixed-point number (exact). */
export function fromInteger(n: bigint): Fixed {
  return n * SCALE;
}

/** n / d rounded to 36 decimals in the given direction. */
export function fromRatio(n: bigint, d: bigint, rounding: Rounding): Fixed {
  return divRound(n * SCALE, d, rounding);
}

/** floor(x): the largest integer ≤ x. */
export function toIntegerFloor(x: Fixed): bigint {
  return floorDiv(x, SCALE);
}

/** ceil(x): the smallest integer ≥ x. */
export function toIntegerCeil(x: Fixed): bigint {
  return divRound(x, SCALE, 'up');
}

/** x rounded to an integer in the given direction. */
export function toInteger(x: Fixed, rounding: Rounding): bigint {
  return divRound(x, SCALE, rounding);
}

/** a · b rounded to 36 decimals in the given direction. */
export function mul(a: Fixed, b: Fixed, rounding: Rounding): Fixed {
  return divRound(a * b, SCALE, rounding);
}

/** a / b rounded to 36 decimals in the given direction; throws DIVISION_BY_ZERO for b = 0. */
export function div(a: Fixed, b: Fixed, rounding: Rounding): Fixed {
  return divRound(a * SCALE, b, rounding);
}

export const mulDown = (a: Fixed, b: Fixed): Fixed => mul(a, b, 'down');
export const mulUp = (a: Fixed, b: Fixed): Fixed => mul(a, b, 'up');
export const divDown = (a: Fixed, b: Fixed): Fixed => div(a, b, 'down');
export const divUp = (a: Fixed, b: Fixed): Fixed => div(a, b, 'up');

/** An integer amount times a fixed-point factor, rounded to an integer: round(n · x). */
export function mulInt(n: bigint, x: Fixed, rounding: Rounding): bigint {
  return divRound(n * x, SCALE, rounding);
}

/** Longest decimal string parseDecimal accepts; bounds the work done on untrusted input. */
export const MAX_DECIMAL_STRING_LENGTH = 200;

const DECIMAL_RE = /^(-?)(0|[1-9][0-9]*)(?:\.([0-9]+))?$/;

/**
 * Parses a plain decimal string ("0.75", "-12", "1.000000000000000000000000000000000001")
 * exactly. Rejects signs other than a leading '-', exponents, whitespace, leading zeros
 * ("01"), a bare point (".5", "5.") and any value with a nonzero digit after the 36th decimal.
 */
export function parseDecimal(text: string): Fixed {
  if (typeof text !== 'string') {
    throw new MathError('PARSE', `expected a decimal string, got ${typeof text}`);
  }
  if (text.length > MAX_DECIMAL_STRING_LENGTH) {
    throw new MathError(
      'PARSE',
      `decimal string longer than ${MAX_DECIMAL_STRING_LENGTH} characters`,
    );
  }
  const m = DECIMAL_RE.exec(text);
  if (m === null) {
    throw new MathError(
      'PARSE',
      `not a plain decimal number: ${JSON.stringify(text)} (expected e.g. "0.75" or "-12")`,
    );
  }
  const negative = m[1] === '-';
  let frac = m[3] ?? '';
  const digits = Number(DECIMALS);
  if (frac.length > digits) {
    if (/[1-9]/.test(frac.slice(digits))) {
      throw new MathError(
        'PARSE',
        `${JSON.stringify(text)} has more than ${digits} significant decimals: not exact`,
      );
    }
    frac = frac.slice(0, digits);
  }
  const raw = BigInt(m[2]!) * SCALE + BigInt(frac.padEnd(digits, '0'));
  return negative ? -raw : raw;
}

/**
 * Exact decimal text of x. Without `digits`: every significant decimal, trailing zeros removed,
 * no point for integers ("1", "0.75", "-2.5"). With `digits` (0 … 36): exactly that many
 * decimals, the value rounded in the direction `rounding` (default `down`, i.e. floor).
 */
export function toDecimalString(x: Fixed, digits?: number, rounding: Rounding = 'down'): string {
  if (digits === undefined) {
    const sign = x < 0n ? '-' : '';
    const a = x < 0n ? -x : x;
    const int = (a / SCALE).toString();
    const frac = (a % SCALE).toString().padStart(Number(DECIMALS), '0').replace(/0+$/, '');
    return frac === '' ? sign + int : `${sign}${int}.${frac}`;
  }
  if (!Number.isSafeInteger(digits) || digits < 0 || digits > Number(DECIMALS)) {
    throw new MathError('DOMAIN', `digits must be an integer from 0 to ${DECIMALS}`);
  }
  const d = BigInt(digits);
  const q = divRound(x, 10n ** (DECIMALS - d), rounding);
  const sign = q < 0n ? '-' : '';
  const a = q < 0n ? -q : q;
  const unit = 10n ** d;
  const int = (a / unit).toString();
  if (d === 0n) return sign + int;
  return `${sign}${int}.${(a % unit).toString().padStart(digits, '0')}`;
}
