/**
 * rlpEncode and rlpDecode are written here (src/codec/rlp.ts), not taken from the library: the
 * encoding must be the library's byte for byte for every shape and size of item (short and long
 * strings and lists, integers around every byte boundary and past 2^53), and the decoder must
 * accept exactly what the library accepts, with the same result, on valid encodings, random
 * bytes and valid encodings with a byte changed, cut or added.
 */
import { RLP } from '@ethereumjs/rlp';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  DecodeError,
  rlpDecode,
  rlpEncode,
  rlpItemOffset,
  type RlpInput,
} from '../../src/codec/rlp.js';

/** The library's decoding, or the error class it would give as ours. */
function libraryDecode(b: Uint8Array): unknown {
  try {
    return RLP.decode(b);
  } catch {
    return DecodeError;
  }
}

function ourDecode(b: Uint8Array): unknown {
  try {
    return rlpDecode(b);
  } catch (e) {
    if (!(e instanceof DecodeError)) throw e;
    return DecodeError;
  }
}

/** Whether every byte string in a decoded item lies in `b`'s buffer. */
function allViewsOf(x: unknown, b: Uint8Array): boolean {
  if (Array.isArray(x)) return x.every((y) => allViewsOf(y, b));
  return x instanceof Uint8Array && x.buffer === b.buffer;
}

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

describe('RLP', () => {
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

  it('property: a type byte goes before the encoding, in one buffer or through the library', () => {
    fc.assert(
      fc.property(fc.oneof(item, fc.constant<RlpInput>(['a string'])), fc.nat(0x7f), (x, t) => {
        const body = RLP.encode(x as Parameters<typeof RLP.encode>[0]);
        expect(rlpEncode(x, t)).toEqual(Uint8Array.from([t, ...body]));
      }),
      { numRuns: 200 },
    );
  });

  it('property: decodes what the library decodes, and refuses what it refuses', () => {
    const encoded = item.map((x) => RLP.encode(x as Parameters<typeof RLP.encode>[0]));
    const damaged = fc
      .tuple(encoded, fc.nat(), fc.nat(255), fc.constantFrom('set', 'cut', 'add', 'drop'))
      .map(([b, i, v, how]) => {
        const at = b.length === 0 ? 0 : i % b.length;
        const c = Uint8Array.from(b);
        if (how === 'set') c[at] = v;
        if (how === 'cut') return c.subarray(0, at);
        if (how === 'add') return Uint8Array.from([...c, v]);
        if (how === 'drop') return Uint8Array.from([...c.subarray(0, at), ...c.subarray(at + 1)]);
        return c;
      });
    fc.assert(
      fc.property(fc.oneof(encoded, damaged, fc.uint8Array({ maxLength: 80 })), (b) => {
        const library = libraryDecode(b);
        expect(ourDecode(b)).toEqual(library);
        // Views decode the same items, or refuse the same input, and every string is a view of b.
        let views: unknown;
        try {
          views = rlpDecode(b, true);
        } catch (e) {
          if (!(e instanceof DecodeError)) throw e;
          views = DecodeError;
        }
        expect(views).toEqual(library);
        if (views !== DecodeError && b.length > 0) {
          expect(allViewsOf(views, b)).toBe(true);
          // One encoding per item: what decodes encodes back to the very bytes (a transaction's
          // signing payload is taken from its encoding on this ground, src/execution/tx.ts).
          expect(rlpEncode(views as RlpInput)).toEqual(b);
        }
      }),
      { numRuns: 3000 },
    );
  });

  it('property: rlpItemOffset finds each item of a list, and its end', () => {
    fc.assert(
      fc.property(fc.array(item, { maxLength: 12 }), (items) => {
        const list = rlpEncode(items);
        for (let i = 0; i < items.length; i++) {
          const from = rlpItemOffset(list, i);
          const to = rlpItemOffset(list, i + 1);
          expect(list.subarray(from, to)).toEqual(rlpEncode(items[i]!));
        }
        expect(rlpItemOffset(list, items.length)).toBe(list.length);
        expect(() => rlpItemOffset(list, items.length + 1)).toThrow(DecodeError);
      }),
      { numRuns: 300 },
    );
    expect(() => rlpItemOffset(Uint8Array.of(0x83, 1, 2, 3), 0)).toThrow(DecodeError);
    // An item running past its list.
    expect(() => rlpItemOffset(Uint8Array.of(0xc1, 0x82, 0x01, 0x02), 1)).toThrow(DecodeError);
  });

  it('refuses the non-canonical forms by name', () => {
    const bad = [
      [0x81, 0x05], // a single byte below 0x80 behind a prefix
      [0xb8, 0x02, 0x01, 0x02], // a long form for a short string
      [0xb9, 0x00, 0x40], // a leading zero in a length
      [0xf8, 0x01, 0x01], // a long form for a short list
      [0xc2, 0x83, 0x01], // an item past its list
      [0x82, 0x01], // a string past the input
      [0x01, 0x02], // bytes after the item
    ];
    for (const b of bad) expect(() => rlpDecode(Uint8Array.from(b))).toThrow(DecodeError);
    // Decoded strings are copies: changing the input leaves them alone.
    const input = rlpEncode([Uint8Array.of(1, 2, 3)]);
    const out = rlpDecode(input) as Uint8Array[];
    input[2] = 9;
    expect(out[0]).toEqual(Uint8Array.of(1, 2, 3));
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
