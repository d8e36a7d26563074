import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { bigintToBytes, bytesToBigint, fromHex, hexDigitsToBytes } from '../../src/crypto/bytes.js';

describe('bytesToBigint', () => {
  it('property: is the big-endian value of any bytes (leading zeros allowed), both sides of 6 bytes', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 40 }), (b) => {
        const expected = b.reduce((x, byte) => (x << 8n) | BigInt(byte), 0n);
        expect(bytesToBigint(b)).toBe(expected);
      }),
      { numRuns: 2000 },
    );
  });

  it('reads the 32- and 48-bit boundary values exactly', () => {
    for (const v of [0n, 1n, 0x7fn, 0x80n, 0xffn, 0x7fffffffn, 0x80000000n, 0xffffffffn, 2n ** 32n])
      expect(bytesToBigint(bigintToBytes(v))).toBe(v);
    for (const v of [
      2n ** 47n,
      2n ** 48n - 1n,
      2n ** 48n,
      2n ** 53n - 1n,
      2n ** 53n,
      2n ** 53n + 1n,
    ])
      expect(bytesToBigint(bigintToBytes(v))).toBe(v);
    expect(bytesToBigint(Uint8Array.of(0xff, 0xff, 0xff, 0xff))).toBe(0xffffffffn);
    expect(bytesToBigint(new Uint8Array(6).fill(0xff))).toBe(2n ** 48n - 1n);
  });
});

describe('hex digits', () => {
  it('property: decodes any even run of hex digits, either case, as the bytes they spell', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 80 }), fc.boolean(), (b, upper) => {
        const hex = Buffer.from(b).toString('hex');
        expect(hexDigitsToBytes(upper ? hex.toUpperCase() : hex)).toEqual(b);
        expect(fromHex('0x' + hex)).toEqual(b);
      }),
    );
  });

  it('property: refuses an odd count or any character that is not a hex digit, wherever it is', () => {
    // Latin-1 and beyond: Node's decoder reads 'ａ' (U+FF41) and 'š' (U+0161) by their low byte.
    const notHex = fc.constantFrom(
      'g',
      'G',
      'x',
      ' ',
      '-',
      'é',
      '\0',
      'z',
      'ａ',
      '\u0161',
      '\u0130',
    );
    fc.assert(
      fc.property(fc.uint8Array({ minLength: 1, maxLength: 40 }), fc.nat(), notHex, (b, at, c) => {
        const hex = Buffer.from(b).toString('hex');
        const i = at % hex.length;
        expect(hexDigitsToBytes(hex.slice(0, i) + c + hex.slice(i + 1))).toBeNull();
        expect(hexDigitsToBytes(hex.slice(1))).toBeNull();
        expect(() => fromHex(hex + c)).toThrow(TypeError);
      }),
    );
  });
});
