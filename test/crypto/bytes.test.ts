import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { bigintToBytes, bytesToBigint } from '../../src/crypto/bytes.js';

describe('bytesToBigint', () => {
  it('property: is the big-endian value of any bytes (leading zeros allowed), both sides of 4 bytes', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 40 }), (b) => {
        const expected = b.reduce((x, byte) => (x << 8n) | BigInt(byte), 0n);
        expect(bytesToBigint(b)).toBe(expected);
      }),
      { numRuns: 2000 },
    );
  });

  it('reads the 32-bit boundary values exactly', () => {
    for (const v of [0n, 1n, 0x7fn, 0x80n, 0xffn, 0x7fffffffn, 0x80000000n, 0xffffffffn, 2n ** 32n])
      expect(bytesToBigint(bigintToBytes(v))).toBe(v);
    expect(bytesToBigint(Uint8Array.of(0xff, 0xff, 0xff, 0xff))).toBe(0xffffffffn);
  });
});
