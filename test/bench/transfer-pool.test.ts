/** The load generator's signed transfers, held in a few buffers: every one found by its hash. */
import { describe, expect, it } from 'vitest';
import { keccak256 } from '../../src/crypto/keccak.js';
import { toHex } from '../../src/crypto/bytes.js';
import { makeSenders, signTransfers } from '../../src/bench/load.js';
import { TransferPool } from '../../src/bench/transfer-pool.js';

describe('TransferPool', () => {
  it('holds what the signer made, in order, and finds each by its hash across growth', () => {
    const senders = makeSenders(7);
    const pool = new TransferPool(senders);
    // Three rounds of growth: the buffers and the hash table grow and are rebuilt.
    for (const count of [5, 700, 3_000]) pool.ensure(count);
    expect(pool.size).toBe(3_003); // whole rounds of 7
    const reference = signTransfers(senders, pool.size);
    for (let i = 0; i < pool.size; i++) {
      expect(pool.raw(i)).toEqual(reference[i]!.raw);
      expect(pool.indexOf(toHex(keccak256(pool.raw(i))))).toBe(i);
    }
  });

  it('answers undefined for a hash it does not hold, or a malformed one, and refuses an index out of range', () => {
    const pool = new TransferPool(makeSenders(3));
    pool.ensure(30);
    expect(pool.indexOf(toHex(keccak256(Uint8Array.of(1))))).toBeUndefined();
    expect(pool.indexOf('0x1234')).toBeUndefined();
    expect(() => pool.raw(30)).toThrow(RangeError);
    expect(() => pool.raw(-1)).toThrow(RangeError);
  });
});
