import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  MAX_DECIMAL_STRING_LENGTH,
  MathError,
  ONE,
  SCALE,
  ZERO,
  div,
  divDown,
  divUp,
  fromInteger,
  fromRatio,
  mul,
  mulDown,
  mulInt,
  mulUp,
  parseDecimal,
  toDecimalString,
  toInteger,
  toIntegerCeil,
  toIntegerFloor,
} from '../../src/math/fixed.js';

const fixed = fc.oneof(
  fc.bigInt({ min: -(10n ** 80n), max: 10n ** 80n }),
  fc.bigInt({ min: -(10n ** 40n), max: 10n ** 40n }),
  fc.bigInt({ min: -1000n, max: 1000n }),
);
const nonZero = fixed.filter((x) => x !== 0n);

const codeOf = (f: () => unknown): string | undefined => {
  try {
    f();
  } catch (e) {
    expect(e).toBeInstanceOf(MathError);
    return (e as MathError).code;
  }
  return undefined;
};

/**
 * Checks down/up/nearest of the exact quotient num/den against each other: down ≤ exact ≤ up,
 * up − down is 0 when exact and 1 ulp otherwise, nearest is within half an ulp (ties to even).
 */
function checkRoundings(num: bigint, den: bigint, down: bigint, up: bigint, near: bigint): void {
  const s = den < 0n ? -1n : 1n;
  const n = num * s;
  const d = den * s; // d > 0
  expect(down * d <= n).toBe(true);
  expect(n <= up * d).toBe(true);
  expect(up - down).toBe(n % d === 0n ? 0n : 1n);
  expect(near === down || near === up).toBe(true);
  const twice = 2n * (n - near * d);
  const abs = twice < 0n ? -twice : twice;
  expect(abs <= d).toBe(true);
  if (abs === d) expect(near % 2n).toBe(0n);
}

describe('constants and conversions', () => {
  it('has 36 decimals', () => {
    expect(SCALE).toBe(10n ** 36n);
    expect(ONE).toBe(SCALE);
    expect(ZERO).toBe(0n);
    expect(fromInteger(-3n)).toBe(-3n * SCALE);
  });

  it('fromRatio rounds in the requested direction', () => {
    expect(fromRatio(1n, 3n, 'down')).toBe(333333333333333333333333333333333333n);
    expect(fromRatio(1n, 3n, 'up')).toBe(333333333333333333333333333333333334n);
    expect(fromRatio(2n, 3n, 'nearest')).toBe(666666666666666666666666666666666667n);
    expect(fromRatio(-1n, 3n, 'down')).toBe(-333333333333333333333333333333333334n);
    expect(fromRatio(3n, 4n, 'down')).toBe(parseDecimal('0.75'));
    expect(codeOf(() => fromRatio(1n, 0n, 'down'))).toBe('DIVISION_BY_ZERO');
    fc.assert(
      fc.property(fixed, nonZero, (n, d) => {
        checkRoundings(
          n * SCALE,
          d,
          fromRatio(n, d, 'down'),
          fromRatio(n, d, 'up'),
          fromRatio(n, d, 'nearest'),
        );
      }),
    );
  });

  it('toInteger floors, ceils and rounds', () => {
    const x = parseDecimal('-2.5');
    expect(toIntegerFloor(x)).toBe(-3n);
    expect(toIntegerCeil(x)).toBe(-2n);
    expect(toInteger(x, 'nearest')).toBe(-2n);
    expect(toInteger(parseDecimal('3.5'), 'nearest')).toBe(4n);
    expect(toIntegerFloor(parseDecimal('2.999999999999999999999999999999999999'))).toBe(2n);
    fc.assert(
      fc.property(fixed, (v) => {
        checkRoundings(v, SCALE, toIntegerFloor(v), toIntegerCeil(v), toInteger(v, 'nearest'));
      }),
    );
  });
});

describe('mul and div', () => {
  it('mul: down ≤ exact ≤ up, one ulp apart unless exact (property)', () => {
    fc.assert(
      fc.property(fixed, fixed, (a, b) => {
        checkRoundings(a * b, SCALE, mul(a, b, 'down'), mul(a, b, 'up'), mul(a, b, 'nearest'));
        expect(mulDown(a, b)).toBe(mul(a, b, 'down'));
        expect(mulUp(a, b)).toBe(mul(a, b, 'up'));
      }),
      { numRuns: 500 },
    );
  });

  it('div: down ≤ exact ≤ up, one ulp apart unless exact (property)', () => {
    fc.assert(
      fc.property(fixed, nonZero, (a, b) => {
        checkRoundings(a * SCALE, b, div(a, b, 'down'), div(a, b, 'up'), div(a, b, 'nearest'));
        expect(divDown(a, b)).toBe(div(a, b, 'down'));
        expect(divUp(a, b)).toBe(div(a, b, 'up'));
      }),
      { numRuns: 500 },
    );
  });

  it('known values, negatives and ties', () => {
    const p = parseDecimal;
    expect(mul(p('1.5'), p('2.25'), 'down')).toBe(p('3.375'));
    expect(mul(1n, 1n, 'down')).toBe(0n); // 1e-72
    expect(mul(1n, 1n, 'up')).toBe(1n);
    expect(mul(-1n, 1n, 'down')).toBe(-1n); // down is towards −∞
    expect(mul(-1n, 1n, 'up')).toBe(0n);
    expect(mul(p('0.5'), 1n, 'nearest')).toBe(0n); // tie 0.5 ulp → even 0
    expect(mul(p('1.5'), 1n, 'nearest')).toBe(2n); // tie 1.5 ulp → even 2
    expect(div(ONE, p('3'), 'down')).toBe(fromRatio(1n, 3n, 'down'));
    expect(div(-ONE, p('3'), 'up')).toBe(-333333333333333333333333333333333333n);
    expect(divDown(p('10'), p('4'))).toBe(p('2.5'));
    expect(codeOf(() => div(ONE, 0n, 'down'))).toBe('DIVISION_BY_ZERO');
  });

  it('mulInt takes an integer amount times a factor to an integer', () => {
    const rate = parseDecimal('0.1');
    expect(mulInt(1005n, rate, 'down')).toBe(100n);
    expect(mulInt(1005n, rate, 'up')).toBe(101n);
    expect(mulInt(1005n, rate, 'nearest')).toBe(100n); // 100.5 → even 100
    expect(mulInt(1015n, rate, 'nearest')).toBe(102n); // 101.5 → even 102
    fc.assert(
      fc.property(fixed, fixed, (n, x) => {
        checkRoundings(
          n * x,
          SCALE,
          mulInt(n, x, 'down'),
          mulInt(n, x, 'up'),
          mulInt(n, x, 'nearest'),
        );
      }),
    );
  });
});

describe('parseDecimal', () => {
  it.each([
    ['0', 0n],
    ['-0', 0n],
    ['1', ONE],
    ['0.75', 75n * 10n ** 34n],
    ['-12.5', -125n * 10n ** 35n],
    ['0.000000000000000000000000000000000001', 1n],
    ['1.000000000000000000000000000000000000000', ONE], // zeros beyond 36 decimals are exact
    ['123456789012345678901234567890', 123456789012345678901234567890n * 10n ** 36n],
  ])('parses %s exactly', (text, raw) => {
    expect(parseDecimal(text)).toBe(raw);
  });

  it.each([
    '',
    '-',
    '.5',
    '5.',
    '+1',
    '01',
    '-01.5',
    ' 1',
    '1 ',
    '1e3',
    '1E-3',
    '0x10',
    '1_000',
    '1,5',
    '--1',
    'NaN',
    'Infinity',
    '0.0000000000000000000000000000000000001', // 10^-37: not representable
    '1.0000000000000000000000000000000000005',
    '1'.repeat(MAX_DECIMAL_STRING_LENGTH + 1),
  ])('rejects %j with a PARSE error', (text) => {
    expect(codeOf(() => parseDecimal(text))).toBe('PARSE');
  });

  it('rejects non-strings', () => {
    expect(codeOf(() => parseDecimal(0.75 as unknown as string))).toBe('PARSE');
  });

  it('round-trips with toDecimalString (property)', () => {
    fc.assert(
      fc.property(fixed, (x) => {
        expect(parseDecimal(toDecimalString(x))).toBe(x);
        expect(parseDecimal(toDecimalString(x, 36))).toBe(x);
      }),
      { numRuns: 500 },
    );
  });
});

describe('toDecimalString', () => {
  it('prints exactly, without trailing zeros', () => {
    expect(toDecimalString(0n)).toBe('0');
    expect(toDecimalString(ONE)).toBe('1');
    expect(toDecimalString(-ONE)).toBe('-1');
    expect(toDecimalString(parseDecimal('0.75'))).toBe('0.75');
    expect(toDecimalString(-1n)).toBe('-0.000000000000000000000000000000000001');
    expect(toDecimalString(fromRatio(1n, 3n, 'down'))).toBe(
      '0.333333333333333333333333333333333333',
    );
    expect(toDecimalString(10n ** 84n)).toBe('1' + '0'.repeat(48));
  });

  it('prints a fixed number of decimals with the requested rounding', () => {
    const x = parseDecimal('2.345');
    expect(toDecimalString(x, 2)).toBe('2.34');
    expect(toDecimalString(x, 2, 'up')).toBe('2.35');
    expect(toDecimalString(x, 2, 'nearest')).toBe('2.34'); // tie → even
    expect(toDecimalString(x, 0)).toBe('2');
    expect(toDecimalString(x, 5)).toBe('2.34500');
    expect(toDecimalString(parseDecimal('-2.345'), 2)).toBe('-2.35'); // down = floor
    expect(toDecimalString(parseDecimal('-0.001'), 2, 'nearest')).toBe('0.00'); // no "-0.00"
    expect(toDecimalString(parseDecimal('-0.001'), 2, 'up')).toBe('0.00');
    expect(toDecimalString(parseDecimal('0.999'), 2, 'up')).toBe('1.00');
    for (const bad of [-1, 37, 1.5, Number.NaN]) {
      expect(codeOf(() => toDecimalString(ONE, bad))).toBe('DOMAIN');
    }
  });

  it('with d decimals equals the value rounded to d decimals (property)', () => {
    fc.assert(
      fc.property(fixed, fc.integer({ min: 0, max: 36 }), (x, d) => {
        const unit = 10n ** (36n - BigInt(d));
        const [down, up, near] = (['down', 'up', 'nearest'] as const).map((r) => {
          const text = toDecimalString(x, d, r);
          expect(text.split('.')[1]?.length ?? 0).toBe(d);
          const printed = parseDecimal(text);
          expect(printed % unit).toBe(0n);
          return printed / unit;
        });
        checkRoundings(x, unit, down!, up!, near!);
      }),
    );
  });
});
