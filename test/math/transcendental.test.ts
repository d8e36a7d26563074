import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  EXP_MAX_INPUT,
  EXP_MIN_INPUT,
  MathError,
  ONE,
  SCALE,
  div,
  exp,
  fromInteger,
  ln,
  mul,
  parseDecimal as p,
  pow,
  powInt,
  powReal,
  sqrt,
  type Fixed,
} from '../../src/math/fixed.js';
import { D, dec, expectAccurate, toRaw } from './oracle.js';

/** Raw values with 1 … maxDigits decimal digits, spread evenly over the orders of magnitude. */
const rawWithDigits = (minDigits: number, maxDigits: number) =>
  fc
    .integer({ min: minDigits, max: maxDigits })
    .chain((d) => fc.bigInt({ min: 10n ** BigInt(d - 1), max: 10n ** BigInt(d) - 1n }));

/** Exponents u in (0, 1]: small ones, ones near 1 and uniform ones. */
const exponent = fc.oneof(
  fc.bigInt({ min: 1n, max: ONE }),
  rawWithDigits(1, 36),
  fc.bigInt({ min: 1n, max: 10n ** 20n }).map((d) => ONE - d + 1n),
);

const expectMathError = (f: () => unknown, code: string) => {
  let caught: unknown;
  try {
    f();
  } catch (e) {
    caught = e;
  }
  expect(caught).toBeInstanceOf(MathError);
  expect((caught as MathError).code).toBe(code);
};

const TWO_119 = 2n ** 119n; // about 0.66: the ln range reduction's binary exponent near 1

describe('ln', () => {
  const decimals = [
    '0.000000000000000001',
    '0.1',
    '0.5',
    '0.75',
    '0.999999999999',
    '0.999999999999999999999999999999999999',
    '1.000000000000000000000000000000000001',
    '1.000000001',
    '1.1',
    '1.5',
    '2',
    '2.718281828459045235360287471352662498',
    '10',
    '123456.789',
    '32000000000',
    '1000000000000',
    '100000000000000000000',
    '1000000000000000000000000000000000000000000000000',
  ];
  it.each(decimals)('ln(%s) is accurate', (s) => {
    const x = p(s);
    expectAccurate(ln(x), D.ln(dec(x)), `ln(${s})`);
  });

  it('is accurate at the edges of the range reduction', () => {
    const raws: bigint[] = [1n, 2n, 3n, SCALE - 1n, SCALE + 1n, 10n ** 84n, 10n ** 100n];
    for (const k of [0n, 1n, 2n, 60n, 118n, 119n, 120n, 256n, 257n, 258n, 300n]) {
      raws.push(2n ** k, 2n ** k + 1n, 2n ** (k + 1n) - 1n);
    }
    // The ln table boundaries: m exactly at and just below 1 + j/32.
    for (let j = 0n; j < 32n; j++) raws.push((32n + j) * 2n ** 114n, (32n + j) * 2n ** 114n - 1n);
    raws.push(TWO_119 * 2n - 1n);
    for (const x of raws) expectAccurate(ln(x), D.ln(dec(x)), `ln(raw ${x})`);
  });

  it('matches the reference over the whole range (property)', () => {
    fc.assert(
      fc.property(rawWithDigits(1, 90), (x) => {
        expectAccurate(ln(x), D.ln(dec(x)), `ln(raw ${x})`);
      }),
      { numRuns: 300 },
    );
  });

  it('gives the per-block inflation rate ln(1 + i) / n to 36 decimals', () => {
    const n = 10_512_000n;
    for (const i of ['0.1', '0.05', '0.000000001']) {
      const rate = div(ln(ONE + p(i)), fromInteger(n), 'down');
      const exact = D.ln(D.add(1, i)).div(n.toString());
      // Error of ln (≤ 0.5 ulp) divided by n, plus the final floor: below 1 ulp.
      expect(dec(rate).sub(exact).abs().mul(SCALE.toString()).lt(1), `ln(1+${i})/n`).toBe(true);
    }
  });

  it('is exactly 0 at 1 and increasing', () => {
    expect(ln(ONE)).toBe(0n);
    expect(ln(ONE + 1n)).toBe(1n);
    expect(ln(ONE - 1n)).toBe(-1n);
    fc.assert(
      fc.property(rawWithDigits(1, 80), rawWithDigits(1, 80), (a, b) => {
        const [lo, hi] = a <= b ? [a, b] : [b, a];
        expect(ln(lo) <= ln(hi)).toBe(true);
      }),
    );
  });

  it('rejects x ≤ 0', () => {
    expectMathError(() => ln(0n), 'DOMAIN');
    expectMathError(() => ln(-1n), 'DOMAIN');
    expectMathError(() => ln(-ONE), 'DOMAIN');
  });
});

describe('exp', () => {
  const args = [
    '0.000000000000000000000000000000000001',
    '-0.000000000000000000000000000000000001',
    '0.00000000000000000001',
    '-0.00000000000000000001',
    '0.1',
    '0.5',
    '0.693147180559945309417232121458176568',
    '1',
    '-1',
    '2',
    '10',
    '-10',
    '40.123',
    '-40',
    '80',
    '100',
    '127.999999999999999999',
    '128',
    '-83',
    '-83.5',
    '-83.58',
    '-83.99',
  ];
  it.each(args)('exp(%s) is accurate', (s) => {
    const x = p(s);
    expectAccurate(exp(x), D.exp(dec(x)), `exp(${s})`);
  });

  it('is accurate at the edges of the range reduction (r = ±ln2/2)', () => {
    const ln2 = D.ln(2);
    for (const k of [-100, -5, -1, 0, 1, 7, 60, 120, 183]) {
      const edge = toRaw(ln2.mul(k + 0.5));
      for (const x of [edge - 1n, edge, edge + 1n]) {
        expectAccurate(exp(x), D.exp(dec(x)), `exp(raw ${x})`);
      }
    }
  });

  it('matches the reference over the whole range (property)', () => {
    fc.assert(
      fc.property(
        fc.oneof(
          fc.bigInt({ min: EXP_MIN_INPUT, max: EXP_MAX_INPUT }),
          fc.bigInt({ min: -ONE, max: ONE }),
          rawWithDigits(1, 36).chain((x) => fc.constantFrom(x, -x)),
        ),
        (x) => {
          expectAccurate(exp(x), D.exp(dec(x)), `exp(raw ${x})`);
        },
      ),
      { numRuns: 300 },
    );
  });

  it('has exact and limiting values', () => {
    expect(exp(0n)).toBe(ONE);
    expect(exp(EXP_MIN_INPUT - 1n)).toBe(0n);
    expect(exp(-(10n ** 60n))).toBe(0n);
    expect(exp(p('-83.5'))).toBe(1n); // e^-83.5 ≈ 0.545 ulp
    expect(exp(p('-83.6'))).toBe(0n); // e^-83.6 ≈ 0.491 ulp
  });

  it('throws OVERFLOW above the bound', () => {
    expect(exp(EXP_MAX_INPUT) > 0n).toBe(true);
    expectMathError(() => exp(EXP_MAX_INPUT + 1n), 'OVERFLOW');
    expectMathError(() => exp(10n ** 60n), 'OVERFLOW');
  });

  it('ln(exp(x)) ≈ x (property)', () => {
    fc.assert(
      fc.property(fc.bigInt({ min: -40n * ONE, max: EXP_MAX_INPUT }), (x) => {
        const e = exp(x);
        // exp's rounding moves ln by at most 0.5·SCALE/e ulp; ln's own rounding adds 0.5 ulp.
        const d = ln(e) - x;
        expect((d < 0n ? -d : d) <= 1n + SCALE / e).toBe(true);
      }),
      { numRuns: 300 },
    );
  });

  it('exp(ln(x)) ≈ x (property)', () => {
    fc.assert(
      fc.property(rawWithDigits(31, 84), (x) => {
        const d = exp(ln(x)) - x;
        // ln is within ~0.5 ulp absolute, i.e. 5e-37 relative after exp.
        expect((d < 0n ? -d : d) * 10n ** 35n <= x + 10n ** 35n).toBe(true);
      }),
      { numRuns: 300 },
    );
  });

  it('exp(a + b) = exp(a)·exp(b) up to rounding, far within 1e-30 (property)', () => {
    const arg = fc.bigInt({ min: -40n * ONE, max: 64n * ONE });
    fc.assert(
      fc.property(arg, arg, (a, b) => {
        const ea = exp(a);
        const eb = exp(b);
        const whole = exp(a + b);
        const d = mul(ea, eb, 'nearest') - whole;
        // Rounding exp(a) and exp(b) (half an ulp each, scaled by the other factor), the
        // product and exp(a + b); the internal error is far below whole · 10^-40.
        const allowed = 2n + (ea + eb) / SCALE + whole / 10n ** 40n;
        expect((d < 0n ? -d : d) <= allowed).toBe(true);
      }),
      { numRuns: 300 },
    );
  });

  it('is increasing (property)', () => {
    const arg = fc.bigInt({ min: EXP_MIN_INPUT, max: EXP_MAX_INPUT });
    fc.assert(
      fc.property(arg, arg, (a, b) => {
        const [lo, hi] = a <= b ? [a, b] : [b, a];
        expect(exp(lo) <= exp(hi)).toBe(true);
      }),
    );
  });
});

describe('pow', () => {
  const bases: Fixed[] = [
    1n,
    10n ** 18n, // 1 unit, in ETM
    p('0.001'),
    p('0.5'),
    p('2'),
    p('1000'),
    p('1000000000000'),
    32n * 10n ** 45n, // 32 × 10^9 ETM: all of a large supply at the largest time gain
    10n ** 48n,
    10n ** 84n,
  ];
  const exps: Fixed[] = [
    1n,
    10n ** 18n,
    p('0.1'),
    p('0.5'),
    p('0.75'),
    p('0.999999999999999999'),
    ONE - 1n,
  ];
  it('is accurate on a grid of bases and exponents', () => {
    for (const x of bases) {
      for (const u of exps) {
        expectAccurate(pow(x, u), D.pow(dec(x), dec(u)), `pow(raw ${x}, raw ${u})`);
      }
    }
  });

  it('matches the reference over the whole range (property)', () => {
    fc.assert(
      fc.property(rawWithDigits(1, 84), exponent, (x, u) => {
        expectAccurate(pow(x, u), D.pow(dec(x), dec(u)), `pow(raw ${x}, raw ${u})`);
      }),
      { numRuns: 300 },
    );
  });

  it('has exact values at 0, 1 and u = 1', () => {
    fc.assert(
      fc.property(rawWithDigits(1, 100), exponent, (x, u) => {
        expect(pow(x, ONE)).toBe(x);
        expect(pow(0n, u)).toBe(0n);
        expect(pow(ONE, u)).toBe(ONE);
      }),
    );
    expect(pow(p('4'), p('0.5'))).toBe(p('2'));
  });

  it('is non-decreasing in x (property, including neighbouring raw values)', () => {
    fc.assert(
      fc.property(rawWithDigits(1, 84), rawWithDigits(1, 84), exponent, (a, b, u) => {
        const [lo, hi] = a <= b ? [a, b] : [b, a];
        expect(pow(lo, u) <= pow(hi, u)).toBe(true);
        expect(pow(lo, u) <= pow(lo + 1n, u)).toBe(true);
      }),
      { numRuns: 300 },
    );
  });

  it('is non-increasing in u for x < 1 and non-decreasing for x > 1 (property)', () => {
    fc.assert(
      fc.property(rawWithDigits(1, 84), exponent, exponent, (x, a, b) => {
        const [lo, hi] = a <= b ? [a, b] : [b, a];
        if (x < ONE) expect(pow(x, lo) >= pow(x, hi)).toBe(true);
        else expect(pow(x, lo) <= pow(x, hi)).toBe(true);
      }),
    );
  });

  it('pow(x, u)·pow(x, 1 − u) ≈ x within 1e-30 (property)', () => {
    fc.assert(
      fc.property(rawWithDigits(34, 66), fc.bigInt({ min: 1n, max: ONE - 1n }), (x, u) => {
        const d = mul(pow(x, u), pow(x, ONE - u), 'nearest') - x;
        expect((d < 0n ? -d : d) * 10n ** 30n <= x).toBe(true);
      }),
      { numRuns: 300 },
    );
  });

  it('splitting a stake across locks gains weight only with the per-lock rule', () => {
    // (a + b)^u ≤ a^u + b^u for 0 < u ≤ 1 (PROTOCOL §5: why the exponent is per candidate).
    fc.assert(
      fc.property(rawWithDigits(19, 66), rawWithDigits(19, 66), exponent, (a, b, u) => {
        expect(pow(a + b, u) <= pow(a, u) + pow(b, u) + 1n).toBe(true);
      }),
    );
  });

  it('rejects a negative base, an exponent outside (0, 1], and overflow', () => {
    expectMathError(() => pow(-1n, p('0.5')), 'DOMAIN');
    expectMathError(() => pow(ONE, 0n), 'DOMAIN');
    expectMathError(() => pow(ONE, -1n), 'DOMAIN');
    expectMathError(() => pow(ONE, ONE + 1n), 'DOMAIN');
    expectMathError(() => pow(0n, 0n), 'DOMAIN');
    // ln(10^60) ≈ 138.2; 0.99 · 138.2 > 128.
    expectMathError(() => pow(p('1' + '0'.repeat(60)), p('0.99')), 'OVERFLOW');
    expect(pow(p('1' + '0'.repeat(60)), p('0.5'))).toBe(p('1' + '0'.repeat(30)));
  });
});

describe('powReal and powInt', () => {
  it('powReal is accurate for exponents beyond 1 and negative ones', () => {
    const cases: [string, string][] = [
      ['1.1', '1.8'],
      ['1.1', '0.9'],
      ['2', '-1'],
      ['2', '10'],
      ['0.5', '-3.25'],
      ['123.456', '7.5'],
      ['0.000001', '-2'],
    ];
    for (const [x, y] of cases) {
      expectAccurate(powReal(p(x), p(y)), D.pow(x, y), `powReal(${x}, ${y})`);
    }
  });

  it('powReal exact cases and errors', () => {
    expect(powReal(0n, 0n)).toBe(ONE);
    expect(powReal(p('7.25'), 0n)).toBe(ONE);
    expect(powReal(0n, p('2'))).toBe(0n);
    expect(powReal(p('7.25'), ONE)).toBe(p('7.25'));
    expect(powReal(ONE, p('-123.4'))).toBe(ONE);
    expectMathError(() => powReal(-ONE, ONE), 'DOMAIN');
    expectMathError(() => powReal(0n, -ONE), 'DOMAIN');
    expectMathError(() => powReal(p('10'), p('56')), 'OVERFLOW');
  });

  it('powInt is accurate, including (1 + r)^blocksPerYear', () => {
    const cases: [string, bigint][] = [
      ['1.00000001', 10_512_000n],
      ['1.000000009067', 10_512_000n],
      ['0.999', 1000n],
      ['3', 40n],
      ['-2.5', 3n],
      ['-2.5', 4n],
    ];
    for (const [x, n] of cases) {
      expectAccurate(powInt(p(x), n), new D(x).pow(n.toString()), `powInt(${x}, ${n})`);
    }
  });

  it('powInt is exact on small integer powers and rejects bad input', () => {
    expect(powInt(p('2'), 10n)).toBe(p('1024'));
    expect(powInt(p('-2'), 3n)).toBe(p('-8'));
    expect(powInt(p('-2'), 2n)).toBe(p('4'));
    expect(powInt(p('1.5'), 2n)).toBe(p('2.25'));
    expect(powInt(p('123.456'), 0n)).toBe(ONE);
    expect(powInt(0n, 0n)).toBe(ONE);
    expect(powInt(0n, 5n)).toBe(0n);
    expect(powInt(p('-7.5'), 1n)).toBe(p('-7.5'));
    expectMathError(() => powInt(ONE, -1n), 'DOMAIN');
    expectMathError(() => powInt(p('2'), 200n), 'OVERFLOW');
  });
});

describe('sqrt', () => {
  it('rounds in the requested direction (property)', () => {
    fc.assert(
      fc.property(rawWithDigits(1, 90), (x) => {
        const n = x * SCALE;
        const lo = sqrt(x, 'down');
        const hi = sqrt(x, 'up');
        const near = sqrt(x, 'nearest');
        expect(lo * lo <= n && n < (lo + 1n) * (lo + 1n)).toBe(true);
        expect(hi - lo).toBe(lo * lo === n ? 0n : 1n);
        // nearest: |near − √n| ≤ 1/2  ⇔  (2·near − 1)² ≤ 4n ≤ (2·near + 1)²
        expect((2n * near - 1n) ** 2n <= 4n * n && 4n * n <= (2n * near + 1n) ** 2n).toBe(true);
      }),
    );
    expect(sqrt(p('2.25'), 'down')).toBe(p('1.5'));
    expectMathError(() => sqrt(-1n, 'down'), 'DOMAIN');
  });
});

describe('golden vectors (pinned raw outputs: any change of algorithm shows here)', () => {
  const pinned: [string, () => Fixed, Fixed][] = [
    ['ln', () => ln(p('1.1')), 95310179804324860043952123280765092n],
    ['ln', () => ln(p('1.000000001')), 999999999500000000333333333n],
    ['ln', () => ln(p('2')), 693147180559945309417232121458176568n],
    ['ln', () => ln(p('0.5')), -693147180559945309417232121458176568n],
    ['ln', () => ln(1n), -82893063347785644624647692368637111474n],
    ['ln', () => ln(32n * 10n ** 45n), 24189001739746137703248083699450160709n],
    ['exp', () => exp(p('1')), 2718281828459045235360287471352662498n],
    ['exp', () => exp(p('-1')), 367879441171442321595523770161460867n],
    ['exp', () => exp(p('0.5')), 1648721270700128146848650787814163572n],
    [
      'exp',
      () => exp(p('128')),
      38877084059945950922226736883574780727281750630829988857729684183082856273099034389662334577n,
    ],
    ['exp', () => exp(p('-83')), 1n],
    ['pow', () => pow(p('2'), p('0.75')), 1681792830507429086062250952466429790n],
    ['pow', () => pow(32n * 10n ** 45n, p('0.75')), 75659328720254065064135689590977201645615744n],
    ['pow', () => pow(10n ** 18n, p('0.75')), 31622776601683793319989n],
    ['pow', () => pow(p('1000'), p('0.5')), 31622776601683793319988935444327185337n],
    ['powInt', () => powInt(p('1.00000001'), 10_512_000n), 1110843903042524654000141676334219682n],
    ['powReal', () => powReal(p('1.1'), p('1.8')), 1187153379828779842454335389687641793n],
  ];
  it.each(pinned.map(([f, g, want], i) => [i, f, g, want] as const))(
    '#%i %s',
    (_i, _f, compute, want) => {
      expect(compute()).toBe(want);
    },
  );
});
