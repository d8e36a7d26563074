/**
 * Integer helpers on bigint: division with an explicit rounding direction (correct for
 * negative operands), shifts with rounding, bit length and integer square root.
 */
import { MathError } from './errors.js';

/**
 * Rounding direction of an inexact result:
 * - `down`: towards −∞ (floor),
 * - `up`: towards +∞ (ceiling),
 * - `nearest`: to the nearest value, ties to the even one.
 */
export type Rounding = 'down' | 'up' | 'nearest';

function checkDivisor(b: bigint): void {
  if (b === 0n) throw new MathError('DIVISION_BY_ZERO', 'division by zero');
}

/** floor(a / b) for any signs. */
export function floorDiv(a: bigint, b: bigint): bigint {
  checkDivisor(b);
  const q = a / b;
  return a % b !== 0n && a < 0n !== b < 0n ? q - 1n : q;
}

/** ceil(a / b) for any signs. */
export function ceilDiv(a: bigint, b: bigint): bigint {
  checkDivisor(b);
  const q = a / b;
  return a % b !== 0n && a < 0n === b < 0n ? q + 1n : q;
}

/** a / b rounded in the given direction, for any signs. */
export function divRound(a: bigint, b: bigint, rounding: Rounding): bigint {
  checkDivisor(b);
  if (b < 0n) {
    a = -a;
    b = -b;
  }
  let q = a / b;
  let r = a % b;
  if (r < 0n) {
    q -= 1n;
    r += b;
  }
  // Now q = floor(a / b) and 0 ≤ r < b.
  if (r === 0n) return q;
  switch (rounding) {
    case 'down':
      return q;
    case 'up':
      return q + 1n;
    case 'nearest': {
      const twice = r * 2n;
      if (twice > b || (twice === b && (q & 1n) === 1n)) return q + 1n;
      return q;
    }
    default:
      throw new MathError('DOMAIN', `unknown rounding direction ${String(rounding)}`);
  }
}

/** a / 2^s rounded in the given direction (s ≥ 0), for any sign of a. */
export function shiftRound(a: bigint, s: bigint, rounding: Rounding): bigint {
  if (s < 0n) throw new MathError('DOMAIN', `negative shift ${s}`);
  const q = a >> s; // arithmetic shift: floor for either sign
  const r = a - (q << s); // 0 ≤ r < 2^s
  if (r === 0n) return q;
  switch (rounding) {
    case 'down':
      return q;
    case 'up':
      return q + 1n;
    case 'nearest': {
      const half = 1n << (s - 1n);
      if (r > half || (r === half && (q & 1n) === 1n)) return q + 1n;
      return q;
    }
    default:
      throw new MathError('DOMAIN', `unknown rounding direction ${String(rounding)}`);
  }
}

const HEX_DIGIT_BITS: Readonly<Record<string, bigint>> = {
  '1': 1n,
  '2': 2n,
  '3': 2n,
  '4': 3n,
  '5': 3n,
  '6': 3n,
  '7': 3n,
  '8': 4n,
  '9': 4n,
  a: 4n,
  b: 4n,
  c: 4n,
  d: 4n,
  e: 4n,
  f: 4n,
};

/** Number of bits of n > 0 (2^(bitLength − 1) ≤ n < 2^bitLength); 0 for n = 0. */
export function bitLength(n: bigint): bigint {
  if (n < 0n) throw new MathError('DOMAIN', 'bitLength of a negative number');
  if (n === 0n) return 0n;
  const hex = n.toString(16);
  return (BigInt(hex.length) - 1n) * 4n + HEX_DIGIT_BITS[hex[0]!]!;
}

/** floor(√n) for n ≥ 0, by Newton's iteration from above with a bounded number of steps. */
export function isqrt(n: bigint): bigint {
  if (n < 0n) throw new MathError('DOMAIN', 'isqrt of a negative number');
  if (n < 2n) return n;
  const bits = bitLength(n);
  // x0 = 2^ceil(bits/2) ≥ √n. From above, Newton's steps decrease monotonically and the
  // relative error e obeys e' ≤ e²/2, so the number of steps grows with log2(bits): this bound
  // is generous and is asserted, never reached.
  const maxSteps = 2n * bitLength(bits) + 8n;
  let x = 1n << ((bits + 1n) / 2n);
  for (let step = 0n; step <= maxSteps; step++) {
    const y = (x + n / x) >> 1n;
    if (y >= x) return x;
    x = y;
  }
  throw new MathError('INTERNAL', `isqrt did not converge in ${maxSteps} steps`);
}
