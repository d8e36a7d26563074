import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import {
  indexOfValidator,
  maxFaulty,
  proposerOf,
  quorumSize,
  roundTimeoutMs,
} from '../../src/consensus/quorum.js';
import { makeSigners } from './helpers.js';

describe('seat arithmetic', () => {
  it('f = floor((n-1)/3) and q = ceil(2n/3) for n = 1..100', () => {
    for (let n = 1; n <= 100; n++) {
      const f = Math.floor((n - 1) / 3);
      const q = Math.ceil((2 * n) / 3);
      expect([n, maxFaulty(n)]).toEqual([n, f]);
      expect([n, quorumSize(n)]).toEqual([n, q]);
      // Two quorums share more than f seats, and q honest seats remain with f faulty.
      expect(2 * q - n).toBeGreaterThan(f);
      expect(n - f).toBeGreaterThanOrEqual(q);
    }
  });

  it('pins the table of docs/consensus.md', () => {
    expect([4, 7, 21].map((n) => [maxFaulty(n), quorumSize(n)])).toEqual([
      [1, 3],
      [2, 5],
      [6, 14],
    ]);
    expect([1, 2, 3].map((n) => [maxFaulty(n), quorumSize(n)])).toEqual([
      [0, 1],
      [0, 2],
      [0, 2],
    ]);
  });
});

describe('proposerOf', () => {
  const order = makeSigners(5).map((s) => s.address);

  it('is order[(h + r) mod n]', () => {
    for (let h = 0; h < 12; h++)
      for (let r = 0; r < 12; r++) expect(proposerOf(order, h, r)).toBe(order[(h + r) % 5]);
  });

  it('rotates through every validator as the round grows', () => {
    const seen = new Set(
      [0, 1, 2, 3, 4].map((r) => indexOfValidator(order, proposerOf(order, 7, r))),
    );
    expect([...seen].sort()).toEqual([0, 1, 2, 3, 4]);
  });

  it('handles large heights and rounds exactly', () => {
    const h = 2 ** 48;
    expect(proposerOf(order, h, 3)).toBe(order[Number((BigInt(h) + 3n) % 5n)]);
  });

  it('indexOfValidator finds by bytes, -1 when absent', () => {
    expect(indexOfValidator(order, new Uint8Array(order[3]!))).toBe(3);
    expect(indexOfValidator(order, new Uint8Array(20))).toBe(-1);
  });
});

describe('roundTimeoutMs', () => {
  it('doubles from the base and stops at the cap', () => {
    expect([0, 1, 2, 3, 4, 5, 6].map((r) => roundTimeoutMs(2000, 60_000, r))).toEqual([
      2000, 4000, 8000, 16_000, 32_000, 60_000, 60_000,
    ]);
    expect(roundTimeoutMs(1000, 8000, 3)).toBe(8000);
    expect(roundTimeoutMs(1000, 8000, 2)).toBe(4000);
  });

  it('does not overflow for huge rounds', () => {
    expect(roundTimeoutMs(2000, 60_000, 1_000_000)).toBe(60_000);
    expect(roundTimeoutMs(2000, 60_000, 2 ** 48)).toBe(60_000);
    expect(roundTimeoutMs(2000, 60_000, Number.MAX_SAFE_INTEGER)).toBe(60_000);
  });

  it('a base above the cap is clamped to the cap', () => {
    expect(roundTimeoutMs(10_000, 5000, 0)).toBe(5000);
  });

  it('equals min(base * 2^r, max) for any base, cap and round', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 100_000 }),
        fc.integer({ min: 1, max: 10_000_000 }),
        fc.integer({ min: 0, max: 10_000 }),
        (base, max, r) => {
          const exact = BigInt(base) * 2n ** BigInt(r);
          const expected = exact < BigInt(max) ? Number(exact) : max;
          return roundTimeoutMs(base, max, r) === expected;
        },
      ),
    );
  });
});
