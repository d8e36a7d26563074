import { RLP } from '@ethereumjs/rlp';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { rlpEncode } from '../../src/codec/rlp.js';
import { rlpBytesLength, rlpUintLength, writeRlpUint } from '../../src/codec/rlp-writer.js';
import { equalBytes } from '../../src/crypto/bytes.js';
import { keccak256 } from '../../src/crypto/keccak.js';
import { encodeAccount } from '../../src/state/account.js';
import {
  BRANCH,
  branchNode,
  decodeNode,
  encodeBranch,
  encodeExt,
  encodeLeaf,
  EXT,
  hashChild,
  InvalidNodeError,
  LEAF,
  leafNode,
  type Child,
  type Node,
} from '../../src/state/node-codec.js';
import { MemoryNodeStore, Trie, type TrieNodeStore } from '../../src/state/trie.js';

type Item = Uint8Array | Item[];

/** Hex-prefix encoding written independently of the encoder under test. */
function hp(nibbles: number[], leaf: boolean): Uint8Array {
  const odd = nibbles.length % 2;
  const flag = (leaf ? 2 : 0) + odd;
  const all = odd ? [flag, ...nibbles] : [flag, 0, ...nibbles];
  const out = new Uint8Array(all.length / 2);
  for (let i = 0; i < out.length; i++) out[i] = (all[2 * i]! << 4) | all[2 * i + 1]!;
  return out;
}

const nibblesArb = fc.array(fc.integer({ min: 0, max: 15 }), { maxLength: 70 });
/** Values around every RLP boundary: single bytes below/above 0x80, 55/56 bytes, long ones. */
const valueArb = fc.oneof(
  fc.uint8Array({ minLength: 1, maxLength: 1 }),
  fc.uint8Array({ minLength: 1, maxLength: 40 }),
  fc.uint8Array({ minLength: 50, maxLength: 60 }),
  fc.uint8Array({ minLength: 200, maxLength: 300 }),
);

/** A child as the trie holds it, with the RLP item its parent must contain. */
type ChildCase = { child: Child | null; item: Item };
const childArb: fc.Arbitrary<ChildCase> = fc.oneof(
  fc.constant({ child: null, item: new Uint8Array(0) }),
  fc.uint8Array({ minLength: 32, maxLength: 32 }).map((h) => ({ child: hashChild(h), item: h })),
  // A short leaf, embedded in its parent.
  fc
    .tuple(
      fc.array(fc.integer({ min: 0, max: 15 }), { maxLength: 6 }),
      fc.uint8Array({ minLength: 1, maxLength: 8 }),
    )
    .map(([path, value]) => {
      const enc = encodeLeaf(Uint8Array.from(path), value);
      return {
        child: leafNode(Uint8Array.from(path), value, enc),
        item: [hp(path, true), value] as Item,
      };
    }),
);

describe('node encoder: byte-identical to @ethereumjs/rlp', () => {
  it('leaves', () => {
    fc.assert(
      fc.property(nibblesArb, valueArb, (path, value) => {
        const want = RLP.encode([hp(path, true), value]);
        expect(encodeLeaf(Uint8Array.from(path), value)).toEqual(want);
      }),
      { numRuns: 500 },
    );
  });

  it('extensions, to a hash or an embedded node', () => {
    fc.assert(
      fc.property(
        nibblesArb.filter((p) => p.length > 0),
        childArb.filter((c) => c.child !== null),
        (path, c) => {
          const ref = c.child!.kind === 3 ? c.child!.hash : (c.child as Node).ref!;
          const want = RLP.encode([hp(path, false), c.item] as Parameters<typeof RLP.encode>[0]);
          expect(encodeExt(Uint8Array.from(path), ref)).toEqual(want);
        },
      ),
      { numRuns: 500 },
    );
  });

  it('branches of every shape, with and without a value', () => {
    fc.assert(
      fc.property(
        fc.array(childArb, { minLength: 16, maxLength: 16 }),
        fc.option(valueArb, { nil: null }),
        (cases, value) => {
          const items: Item[] = cases.map((c) => c.item);
          items.push(value ?? new Uint8Array(0));
          const want = RLP.encode(items as Parameters<typeof RLP.encode>[0]);
          const got = encodeBranch(
            cases.map((c) => c.child),
            value,
          );
          expect(got).toEqual(want);
          // And the decoder reads it back to a node that encodes the same.
          const node = decodeNode(got, 0, got.length, keccak256(got));
          expect(node.kind).toBe(BRANCH);
          if (node.kind === BRANCH) expect(encodeBranch(node.children, node.value)).toEqual(got);
        },
      ),
      { numRuns: 500 },
    );
  });

  it('a long list (header of two length bytes) encodes and decodes', () => {
    const value = new Uint8Array(300).fill(7);
    const enc = encodeLeaf(Uint8Array.of(1, 2, 3), value);
    expect(enc[0]).toBe(0xf9);
    const node = decodeNode(enc, 0, enc.length, keccak256(enc));
    expect(node.kind).toBe(LEAF);
    if (node.kind === LEAF) {
      expect(node.path).toEqual(Uint8Array.of(1, 2, 3));
      expect(node.value).toEqual(value);
    }
  });
});

describe('rlp-writer integers and accounts', () => {
  const uintArb = fc.oneof(
    fc.bigInt({ min: 0n, max: 300n }),
    fc.bigInt({ min: 0n, max: (1n << 64n) - 1n }),
    fc.bigInt({ min: 0n, max: (1n << 256n) - 1n }),
  );

  it('writeRlpUint matches rlpEncode of the bigint', () => {
    fc.assert(
      fc.property(uintArb, (v) => {
        const out = new Uint8Array(rlpUintLength(v));
        expect(writeRlpUint(out, 0, v)).toBe(out.length);
        expect(out).toEqual(rlpEncode(v));
      }),
      { numRuns: 1000 },
    );
  });

  it('rlpBytesLength matches rlpEncode', () => {
    fc.assert(
      fc.property(valueArb, (b) => {
        expect(rlpBytesLength(b)).toBe(rlpEncode(b).length);
      }),
    );
  });

  it('encodeAccount matches rlpEncode of the five fields', () => {
    fc.assert(
      fc.property(
        fc.bigInt({ min: 0n, max: (1n << 64n) - 1n }),
        uintArb,
        uintArb,
        fc.uint8Array({ minLength: 32, maxLength: 32 }),
        fc.uint8Array({ minLength: 32, maxLength: 32 }),
        (nonce, balance, locked, storageRoot, codeHash) => {
          const a = { nonce, balance, locked, storageRoot, codeHash };
          expect(encodeAccount(a)).toEqual(
            rlpEncode([nonce, balance, storageRoot, codeHash, locked]),
          );
        },
      ),
      { numRuns: 500 },
    );
  });
});

/**
 * The node check as it was done on @ethereumjs/rlp's output: the reference for which byte
 * strings are valid nodes (plus: an embedded node must be shorter than 32 bytes).
 */
function referenceValid(bytes: Uint8Array): boolean {
  let item: Item;
  try {
    item = RLP.decode(bytes) as Item;
  } catch {
    return false;
  }
  const child = (c: Item): boolean =>
    Array.isArray(c)
      ? RLP.encode(c as Parameters<typeof RLP.encode>[0]).length < 32 && node(c)
      : c.length === 0 || c.length === 32;
  const node = (n: Item): boolean => {
    if (!Array.isArray(n)) return false;
    if (n.length === 17) return n.slice(0, 16).every(child) && n[16] instanceof Uint8Array;
    if (n.length !== 2) return false;
    const [p, second] = n as [Item, Item];
    if (!(p instanceof Uint8Array) || p.length === 0) return false;
    const flag = p[0]! >> 4;
    if (flag > 3 || (!(flag & 1) && (p[0]! & 15) !== 0)) return false;
    if (flag >= 2) return second instanceof Uint8Array && second.length > 0;
    const pathLength = (p.length - 1) * 2 + (flag & 1);
    if (pathLength === 0) return false;
    return Array.isArray(second) ? child(second) : second.length === 32;
  };
  return node(item);
}

function decodes(bytes: Uint8Array): boolean {
  try {
    decodeNode(bytes, 0, bytes.length, keccak256(bytes));
    return true;
  } catch (e) {
    expect(e).toBeInstanceOf(InvalidNodeError);
    return false;
  }
}

function reencode(n: Node): Uint8Array {
  if (n.kind === LEAF) return encodeLeaf(n.path, n.value);
  const ref = (c: Child): Uint8Array => (c.kind === 3 ? c.hash : reencode(c));
  if (n.kind === EXT) return encodeExt(n.path, ref(n.child));
  const children = n.children.map((c) =>
    c === null || c.kind === 3 ? c : branchNodeWithRef(c, reencode(c)),
  );
  return encodeBranch(children, n.value);
}
function branchNodeWithRef(c: Node, ref: Uint8Array): Node {
  return { ...c, ref };
}

describe('node decoder: strict', () => {
  const validArb = fc.oneof(
    fc.tuple(nibblesArb, valueArb).map(([p, v]) => encodeLeaf(Uint8Array.from(p), v)),
    fc
      .tuple(fc.array(childArb, { minLength: 16, maxLength: 16 }), fc.option(valueArb))
      .map(([cs, v]) =>
        encodeBranch(
          cs.map((c) => c.child),
          v ?? null,
        ),
      ),
    fc
      .tuple(
        nibblesArb.filter((p) => p.length > 0),
        fc.uint8Array({ minLength: 32, maxLength: 32 }),
      )
      .map(([p, h]) => encodeExt(Uint8Array.from(p), h)),
  );
  /** Valid nodes with a byte changed, cut short or extended. */
  const mutatedArb = fc
    .tuple(validArb, fc.nat(), fc.integer({ min: 0, max: 255 }), fc.integer({ min: 0, max: 3 }))
    .map(([b, i, x, how]) => {
      const at = i % b.length;
      if (how === 0) return Uint8Array.from([...b.subarray(0, at), x, ...b.subarray(at + 1)]);
      if (how === 1) return b.subarray(0, at);
      if (how === 2) return Uint8Array.from([...b, x]);
      return Uint8Array.from([...b.subarray(0, at), x, ...b.subarray(at)]);
    });

  it('valid nodes decode to nodes that re-encode to the same bytes', () => {
    fc.assert(
      fc.property(validArb, (b) => {
        const n = decodeNode(b, 0, b.length, keccak256(b));
        expect(reencode(n)).toEqual(b);
      }),
      { numRuns: 500 },
    );
  });

  it('accepts exactly what the @ethereumjs/rlp check accepts, else InvalidNodeError', () => {
    fc.assert(
      fc.property(fc.oneof(mutatedArb, fc.uint8Array({ maxLength: 80 })), (b) => {
        const ok = decodes(b);
        expect(ok).toBe(referenceValid(b));
        if (ok) expect(reencode(decodeNode(b, 0, b.length, keccak256(b)))).toEqual(b);
      }),
      { numRuns: 3000 },
    );
  });

  const h = new Uint8Array(32).fill(0xab);
  const cases: Array<[string, Uint8Array]> = [
    ['empty bytes', new Uint8Array(0)],
    ['a byte string', RLP.encode(new Uint8Array(5))],
    ['a prefixed single byte below 0x80', Uint8Array.of(0xc4, 0x81, 0x05, 0x81, 0x10)],
    ['trailing bytes', Uint8Array.of(...RLP.encode([Uint8Array.of(0x20), Uint8Array.of(1)]), 0)],
    ['a long-form length below 56', Uint8Array.of(0xf8, 0x03, 0x20, 0x01, 0x02)],
    ['a length with a leading zero', Uint8Array.of(0xf9, 0x00, 0x03, 0x20, 0x01, 0x02)],
    ['three items', RLP.encode([Uint8Array.of(0x20), Uint8Array.of(1), Uint8Array.of(2)])],
    ['a bad hex-prefix flag', RLP.encode([Uint8Array.of(0x40), Uint8Array.of(1)])],
    ['bad hex-prefix padding', RLP.encode([Uint8Array.of(0x21), Uint8Array.of(1)])],
    ['a leaf with an empty value', RLP.encode([Uint8Array.of(0x20), new Uint8Array(0)])],
    ['an extension with an empty path', RLP.encode([Uint8Array.of(0x00), h])],
    ['an extension without a child', RLP.encode([Uint8Array.of(0x11), new Uint8Array(0)])],
    ['a 31-byte child reference', RLP.encode([Uint8Array.of(0x11), new Uint8Array(31)])],
    [
      'an embedded node of 32 bytes or more',
      RLP.encode([Uint8Array.of(0x11), [Uint8Array.of(0x20), new Uint8Array(40)]]),
    ],
  ];
  for (const [what, bytes] of cases) {
    it(`rejects ${what} with InvalidNodeError, also through a Trie`, () => {
      expect(() => decodeNode(bytes, 0, bytes.length, h)).toThrow(InvalidNodeError);
      const store = new MemoryNodeStore();
      const root = keccak256(bytes);
      store.put(root, bytes);
      const t = new Trie(root, store);
      expect(() => t.get(Uint8Array.of(1))).toThrow(InvalidNodeError);
      // The failure is not cached: the next read fails the same way.
      expect(() => new Trie(root, store).get(Uint8Array.of(1))).toThrow(InvalidNodeError);
    });
  }

  it('decoded values are views of one copy of the stored bytes, unless the store is stable', () => {
    const enc = encodeLeaf(Uint8Array.of(), Uint8Array.of(9, 9, 9));
    const root = keccak256(enc);
    // A store that reuses its buffer (no stableBytes): the trie must copy what it decodes.
    const reused = enc.slice();
    const store: TrieNodeStore = { get: (h) => (equalBytes(h, root) ? reused : undefined) };
    const t = new Trie(root, store, null);
    expect(t.peek(new Uint8Array(0))).toEqual(Uint8Array.of(9, 9, 9));
    reused.fill(0); // the store's buffer changes after the read
    expect(t.peek(new Uint8Array(0))).toEqual(Uint8Array.of(9, 9, 9));
    expect(new MemoryNodeStore().stableBytes).toBe(true);
  });

  it('branch children decoded from a store are hash references or embedded nodes', () => {
    const embedded = encodeLeaf(Uint8Array.of(5), Uint8Array.of(1));
    const children: Array<Child | null> = new Array<Child | null>(16).fill(null);
    children[0] = hashChild(new Uint8Array(32).fill(1));
    children[3] = leafNode(Uint8Array.of(5), Uint8Array.of(1), embedded);
    const enc = encodeBranch(children, null);
    const n = decodeNode(enc, 0, enc.length, keccak256(enc));
    expect(n.kind).toBe(BRANCH);
    if (n.kind !== BRANCH) return;
    expect(n.children[0]!.kind).toBe(3);
    expect(n.children[3]!.kind).toBe(LEAF);
    expect((n.children[3] as Node).ref).toEqual(embedded);
    expect(n.value).toBeNull();
    expect(branchNode(n.children, null).kind).toBe(BRANCH);
  });
});
