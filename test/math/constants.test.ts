import { Decimal } from 'decimal.js';
import { describe, expect, it } from 'vitest';
import {
  LN2_W,
  LN_SCALE_W,
  LN_TABLE_BITS,
  LN_TABLE_W,
  WORK_BITS,
} from '../../src/math/constants.js';
import {
  EXP_HALVINGS,
  EXP_SERIES_DIVISORS,
  LN_SERIES_DIVISORS,
} from '../../src/math/transcendental.js';

// Independent re-derivation of the hard-coded constants at 200 significant digits.
const D = Decimal.clone({ precision: 200, rounding: Decimal.ROUND_HALF_EVEN });
const TWO_W = new D(2).pow(WORK_BITS.toString());
const fix = (d: InstanceType<typeof D>): bigint =>
  BigInt(d.mul(TWO_W).toDecimalPlaces(0, D.ROUND_HALF_EVEN).toFixed(0));

describe('constants of the transcendental functions', () => {
  it('are ln 2, 36·ln 10 and ln(1 + j/32) rounded to 256 fractional bits', () => {
    expect(WORK_BITS).toBe(256n);
    expect(LN2_W).toBe(fix(D.ln(2)));
    expect(LN_SCALE_W).toBe(fix(D.ln(10).mul(36)));
    const size = 2 ** Number(LN_TABLE_BITS);
    expect(LN_TABLE_W.length).toBe(size);
    LN_TABLE_W.forEach((c, j) => expect(c).toBe(fix(D.ln(new D(size + j).div(size)))));
  });
});

describe('fixed iteration counts suffice', () => {
  const W = Number(WORK_BITS);

  it('ln: s < 2^-6 after the table reduction, 21 atanh terms leave < 2^-260', () => {
    const expected = Array.from({ length: 20 }, (_, i) => BigInt(2 * i + 3));
    expect(LN_SERIES_DIVISORS).toEqual(expected); // s, s^3/3, …, s^41/41
    const s = new D(2).pow(-(Number(LN_TABLE_BITS) + 1));
    const q = Number(LN_SERIES_DIVISORS.at(-1)!) + 2; // first omitted power
    // 2·Σ_{i≥0} s^(q+2i)/(q+2i) ≤ 2·s^q / q / (1 − s²)
    const tail = s
      .pow(q)
      .mul(2)
      .div(q)
      .div(new D(1).sub(s.pow(2)));
    expect(tail.lt(new D(2).pow(-(W + 4)))).toBe(true);
  });

  it('exp: |r|/256 ≤ ln2/512, terms to t^20/20! leave < 2^-250 after 8 squarings', () => {
    const n = EXP_SERIES_DIVISORS.length;
    expect(EXP_SERIES_DIVISORS).toEqual(Array.from({ length: n }, (_, i) => BigInt(n - i)));
    const halvings = Number(EXP_HALVINGS);
    const t = D.ln(2).div(2).add(new D(2).pow(-W)).div(new D(2).pow(halvings));
    let factorial = new D(1);
    for (let i = 2; i <= n + 1; i++) factorial = factorial.mul(i);
    // Σ_{i>n} t^i/i! ≤ t^(n+1)/(n+1)! / (1 − t); squaring 2^h times multiplies it by 2^h.
    const tail = t
      .pow(n + 1)
      .div(factorial)
      .div(new D(1).sub(t))
      .mul(new D(2).pow(halvings));
    expect(tail.lt(new D(2).pow(-250))).toBe(true);
  });
});
