/**
 * rlpEncode writes byte strings, unsigned integers, null and lists itself (src/codec/rlp.ts):
 * its output must be the library's, byte for byte, for every shape and size of item (short and
 * long strings and lists, integers around every byte boundary and past 2^53).
 */
import { RLP } from '@ethereumjs/rlp';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { rlpDecode, rlpEncode, type RlpInput } from '../../src/codec/rlp.js';

const uint = fc.oneof(
  fc.bigInt({ min: 0n, max: 300n }),
  fc.bigInt({ min: 0n, max: 2n ** 64n }),
  fc.bigInt({ min: 2n ** 52n, max: 2n ** 54n }),
  fc.bigInt({ min: 0n, max: 2n ** 256n - 1n }),
);
const leaf: fc.Arbitrary<RlpInput> = fc.oneof(
  fc.uint8Array({ maxLength: 3 }),
  fc.uint8Array({ minLength: 50, maxLength: 70 }),
  fc.uint8Array({ maxLength: 300 }),
  uint,
  fc.nat(),
  fc.constant(null),
);
const item = fc.letrec<{ item: RlpInput }>((tie) => ({
  item: fc.oneof(
    { depthSize: 'small', withCrossShrink: true },
    leaf,
    fc.array(tie('item'), { maxLength: 12 }),
  ),
})).item;

describe('rlpEncode', () => {
  it("property: is the library's encoding, and decodes back", () => {
    fc.assert(
      fc.property(item, (x) => {
        const mine = rlpEncode(x);
        expect(mine).toEqual(RLP.encode(x as Parameters<typeof RLP.encode>[0]));
        expect(rlpEncode(rlpDecode(mine))).toEqual(mine);
      }),
      { numRuns: 400 },
    );
  });

  it('writes a list long enough for a multi-byte length, and leaves strings to the library', () => {
    const big = Array.from({ length: 1000 }, (_, i) => BigInt(i) ** 3n);
    expect(rlpEncode(big)).toEqual(RLP.encode(big));
    expect(rlpEncode(['tag', 1n])).toEqual(RLP.encode(['tag', 1n]));
  });

  it('refuses negative and unsafe integers', () => {
    expect(() => rlpEncode(-1n)).toThrow(RangeError);
    expect(() => rlpEncode([1n, -5])).toThrow(RangeError);
    expect(() => rlpEncode(2 ** 60)).toThrow(RangeError);
  });
});
