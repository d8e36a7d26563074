import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { Heap } from '../../src/mempool/heap.js';

describe('Heap', () => {
  it('is empty at first', () => {
    const h = new Heap<number>((a, b) => a < b);
    expect(h.size).toBe(0);
    expect(h.peek()).toBeUndefined();
    expect(h.pop()).toBeUndefined();
  });

  it('property: pops in the order of `before`, whatever the pushes and pops in between', () => {
    type Op = { push: number } | { pop: true };
    const op: fc.Arbitrary<Op> = fc.oneof(
      { weight: 3, arbitrary: fc.integer({ min: -50, max: 50 }).map((push) => ({ push })) },
      { weight: 2, arbitrary: fc.constant({ pop: true as const }) },
    );
    fc.assert(
      fc.property(fc.array(op, { maxLength: 200 }), (ops) => {
        // Pairs (value, serial) under a strict total order: value desc, then serial asc.
        type Item = [number, number];
        const before = (a: Item, b: Item): boolean => (a[0] !== b[0] ? a[0] > b[0] : a[1] < b[1]);
        const h = new Heap<Item>(before);
        const model: Item[] = [];
        ops.forEach((o, serial) => {
          if ('push' in o) {
            h.push([o.push, serial]);
            model.push([o.push, serial]);
          } else {
            model.sort((a, b) => (before(a, b) ? -1 : 1));
            expect(h.pop()).toEqual(model.shift());
          }
          model.sort((a, b) => (before(a, b) ? -1 : 1));
          expect(h.size).toBe(model.length);
          expect(h.peek()).toEqual(model[0]);
        });
      }),
      { numRuns: 300 },
    );
  });
});
