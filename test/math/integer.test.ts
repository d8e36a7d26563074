import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  MathError,
  bitLength,
  ceilDiv,
  divRound,
  floorDiv,
  isqrt,
  shiftRound,
} from '../../src/math/fixed.js';

const big = fc.bigInt({ min: -(2n ** 300n), max: 2n ** 300n });
const small = fc.bigInt({ min: -1000n, max: 1000n });
const anyInt = fc.oneof(small, big);
const divisor = anyInt.filter((b) => b !== 0n);

/** a/b − q as a sign: −1, 0 or 1 (the exact rational comparison q ≤ a/b etc. without rounding). */
const cmpQuotient = (a: bigint, b: bigint, q: bigint): number => {
  const r = a - q * b; // a/b − q = r/b
  if (r === 0n) return 0;
  return r > 0n === b > 0n ? 1 : -1;
};

describe('floorDiv / ceilDiv / divRound', () => {
  it.each([
    [7n, 2n, 3n, 4n, 4n],
    [-7n, 2n, -4n, -3n, -4n],
    [7n, -2n, -4n, -3n, -4n],
    [-7n, -2n, 3n, 4n, 4n],
    [5n, 2n, 2n, 3n, 2n], // tie 2.5 → even 2
    [-5n, 2n, -3n, -2n, -2n], // tie −2.5 → even −2
    [3n, 2n, 1n, 2n, 2n], // tie 1.5 → even 2
    [-3n, 2n, -2n, -1n, -2n],
    [6n, 3n, 2n, 2n, 2n],
    [0n, -5n, 0n, 0n, 0n],
  ])('%i / %i: floor %i, ceil %i, nearest %i', (a, b, fl, ce, ne) => {
    expect(floorDiv(a, b)).toBe(fl);
    expect(ceilDiv(a, b)).toBe(ce);
    expect(divRound(a, b, 'down')).toBe(fl);
    expect(divRound(a, b, 'up')).toBe(ce);
    expect(divRound(a, b, 'nearest')).toBe(ne);
  });

  it('bracket the exact quotient for any signs (property)', () => {
    fc.assert(
      fc.property(anyInt, divisor, (a, b) => {
        const lo = floorDiv(a, b);
        const hi = ceilDiv(a, b);
        expect(cmpQuotient(a, b, lo)).toBeGreaterThanOrEqual(0); // lo ≤ a/b
        expect(cmpQuotient(a, b, lo + 1n)).toBe(-1); // a/b < lo + 1
        expect(cmpQuotient(a, b, hi)).toBeLessThanOrEqual(0); // a/b ≤ hi
        expect(hi - lo).toBe(a % b === 0n ? 0n : 1n);
        expect(divRound(a, b, 'down')).toBe(lo);
        expect(divRound(a, b, 'up')).toBe(hi);
        const ne = divRound(a, b, 'nearest');
        // |a/b − ne| ≤ 1/2  ⇔  |2a − 2·ne·b| ≤ |b|
        const twice = 2n * (a - ne * b);
        const absB = b < 0n ? -b : b;
        expect((twice < 0n ? -twice : twice) <= absB).toBe(true);
        if ((twice < 0n ? -twice : twice) === absB) expect(ne % 2n).toBe(0n);
      }),
      { numRuns: 500 },
    );
  });

  it('shiftRound equals divRound by 2^s (property)', () => {
    fc.assert(
      fc.property(anyInt, fc.bigInt({ min: 0n, max: 320n }), (a, s) => {
        for (const r of ['down', 'up', 'nearest'] as const) {
          expect(shiftRound(a, s, r)).toBe(divRound(a, 1n << s, r));
        }
      }),
      { numRuns: 300 },
    );
  });

  it('throw DIVISION_BY_ZERO for a zero divisor and reject bad arguments', () => {
    for (const f of [() => floorDiv(1n, 0n), () => ceilDiv(1n, 0n), () => divRound(1n, 0n, 'up')]) {
      expect(f).toThrow(MathError);
      try {
        f();
      } catch (e) {
        expect((e as MathError).code).toBe('DIVISION_BY_ZERO');
      }
    }
    expect(() => divRound(3n, 2n, 'sideways' as never)).toThrow(MathError);
    expect(() => shiftRound(3n, -1n, 'down')).toThrow(MathError);
  });
});

describe('bitLength and isqrt', () => {
  it('bitLength brackets n by powers of two (property)', () => {
    expect(bitLength(0n)).toBe(0n);
    expect(bitLength(1n)).toBe(1n);
    expect(bitLength(255n)).toBe(8n);
    expect(bitLength(256n)).toBe(9n);
    fc.assert(
      fc.property(fc.bigInt({ min: 1n, max: 2n ** 2000n }), (n) => {
        const k = bitLength(n);
        expect(1n << (k - 1n) <= n && n < 1n << k).toBe(true);
      }),
    );
    expect(() => bitLength(-1n)).toThrow(MathError);
  });

  it('isqrt is the floor of the square root (property, up to 4096 bits)', () => {
    for (const n of [0n, 1n, 2n, 3n, 4n, 15n, 16n, 17n, 2n ** 4096n - 1n, 2n ** 4096n]) {
      const r = isqrt(n);
      expect(r * r <= n && n < (r + 1n) * (r + 1n)).toBe(true);
    }
    fc.assert(
      fc.property(
        fc.oneof(fc.bigInt({ min: 0n, max: 10n ** 6n }), fc.bigInt({ min: 0n, max: 2n ** 4096n })),
        (n) => {
          const r = isqrt(n);
          expect(r * r <= n && n < (r + 1n) * (r + 1n)).toBe(true);
        },
      ),
      { numRuns: 300 },
    );
    expect(() => isqrt(-1n)).toThrow(MathError);
  });
});
