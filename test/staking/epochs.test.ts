/**
 * The epoch arithmetic over the epoch schedule (src/params/epochs.ts): with no change it is the
 * genesis formula; after changes of length at epoch ends, every height belongs to exactly one
 * epoch, epochs are contiguous, and a change gives the next epoch the new length.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { scheduleProblem } from '../../src/params/epochs.js';
import {
  epochBounds,
  epochOf,
  epochSchedule,
  isEpochEnd,
  scheduleWithLength,
  type EpochParams,
} from '../../src/staking/epochs.js';

/** The schedule after each change [epochs to wait, new length], applied at epoch ends. */
function changed(genesis: bigint, changes: readonly (readonly [bigint, bigint])[]): EpochParams {
  let p: EpochParams = { epochBlocks: genesis };
  let at = 0n;
  for (const [wait, blocks] of changes) {
    const end = epochBounds(epochOf(at, p) + wait, p).last;
    p = { epochBlocks: blocks, epochHistory: scheduleWithLength(p, end, blocks) };
    at = end + 1n;
  }
  return p;
}

const length = fc.bigInt({ min: 1n, max: 40n });
const changes = fc.array(fc.tuple(fc.bigInt({ min: 0n, max: 5n }), length), { maxLength: 6 });

describe('epoch arithmetic', () => {
  it('is the genesis formula while no change happened', () => {
    fc.assert(
      fc.property(length, fc.bigInt({ min: 0n, max: 100_000n }), (E, h) => {
        for (const p of [
          { epochBlocks: E },
          { epochBlocks: E, epochHistory: [{ after: 0n, epoch: 0n, blocks: E }] },
        ]) {
          const e = h === 0n ? 0n : (h - 1n) / E;
          expect(epochOf(h, p)).toBe(e);
          expect(epochBounds(e, p)).toEqual({ first: e * E + 1n, last: (e + 1n) * E });
          expect(isEpochEnd(h, p)).toBe(h > 0n && h % E === 0n);
        }
      }),
    );
  });

  it('keeps every height in exactly one epoch, epochs contiguous, across changes of length', () => {
    fc.assert(
      fc.property(length, changes, (E, cs) => {
        const p = changed(E, cs);
        const s = epochSchedule(p);
        expect(scheduleProblem(s, p.epochBlocks)).toBeNull();
        const top = s[s.length - 1]!.after + 3n * 40n;
        expect(epochOf(0n, p)).toBe(0n);
        expect(isEpochEnd(0n, p)).toBe(false);
        let prev = epochBounds(0n, p);
        expect(prev.first).toBe(1n);
        for (let h = 1n; h <= top; h++) {
          const e = epochOf(h, p);
          const b = epochBounds(e, p);
          expect(b.first <= h && h <= b.last).toBe(true);
          expect(isEpochEnd(h, p)).toBe(h === b.last);
          if (e > 0n) expect(epochBounds(e - 1n, p).last + 1n).toBe(b.first);
          // Heights run through the epochs in order, one after the other; a new one at its first.
          const step = e - (h === 1n ? 0n : epochOf(h - 1n, p));
          expect(step === 0n ? b.first < h || h === 1n : step === 1n && b.first === h).toBe(true);
          prev = b;
        }
        expect(prev.last >= top).toBe(true);
      }),
    );
  });

  it('starts the next epoch right after the change with the new length; before it nothing moves', () => {
    fc.assert(
      fc.property(length, fc.bigInt({ min: 0n, max: 5n }), length, (E, wait, L) => {
        const before: EpochParams = { epochBlocks: E };
        const end = epochBounds(wait, before).last;
        const after = changed(E, [[wait, L]]);
        expect(after.epochBlocks).toBe(L);
        for (let h = 0n; h <= end; h++) {
          expect(epochOf(h, after)).toBe(epochOf(h, before));
          expect(isEpochEnd(h, after)).toBe(isEpochEnd(h, before));
        }
        for (let e = 0n; e <= wait; e++)
          expect(epochBounds(e, after)).toEqual(epochBounds(e, before));
        for (let k = 1n; k <= 3n; k++)
          expect(epochBounds(wait + k, after)).toEqual({
            first: end + (k - 1n) * L + 1n,
            last: end + k * L,
          });
      }),
    );
  });

  it('a second change at the same block replaces the first; the same length adds nothing', () => {
    const p: EpochParams = { epochBlocks: 10n };
    expect(scheduleWithLength(p, 20n, 10n)).toEqual([{ after: 0n, epoch: 0n, blocks: 10n }]);
    const once = { epochBlocks: 6n, epochHistory: scheduleWithLength(p, 20n, 6n) };
    expect(once.epochHistory).toEqual([
      { after: 0n, epoch: 0n, blocks: 10n },
      { after: 20n, epoch: 2n, blocks: 6n },
    ]);
    expect(scheduleWithLength(once, 20n, 8n)).toEqual([
      { after: 0n, epoch: 0n, blocks: 10n },
      { after: 20n, epoch: 2n, blocks: 8n },
    ]);
    expect(scheduleWithLength(once, 20n, 10n)).toEqual([{ after: 0n, epoch: 0n, blocks: 10n }]);
    // The next change starts where the 6-block epochs end.
    expect(scheduleWithLength(once, 32n, 4n).at(-1)).toEqual({ after: 32n, epoch: 4n, blocks: 4n });
  });

  it('refuses a change anywhere but at an epoch’s last block', () => {
    const p: EpochParams = { epochBlocks: 10n };
    expect(() => scheduleWithLength(p, 15n, 4n)).toThrow(/last block/);
    expect(() => scheduleWithLength(p, 0n, 4n)).toThrow(/last block/);
  });

  it('finds an inconsistent schedule', () => {
    const g = { after: 0n, epoch: 0n, blocks: 10n };
    expect(scheduleProblem([], 10n)).toMatch(/empty/);
    expect(scheduleProblem([{ ...g, after: 5n }], 10n)).toMatch(/genesis/);
    expect(scheduleProblem([g], 4n)).toMatch(/epochBlocks is 4/);
    expect(scheduleProblem([g, { after: 15n, epoch: 1n, blocks: 4n }], 4n)).toMatch(/boundary/);
    expect(scheduleProblem([g, { after: 20n, epoch: 3n, blocks: 4n }], 4n)).toMatch(/boundary/);
    expect(scheduleProblem([g, { after: 20n, epoch: 2n, blocks: 0n }], 0n)).toMatch(/length 0/);
    expect(scheduleProblem([g, { after: 20n, epoch: 2n, blocks: 4n }], 4n)).toBeNull();
  });
});
