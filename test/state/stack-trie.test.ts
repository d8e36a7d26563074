import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { compareBytes, toHex } from '../../src/crypto/bytes.js';
import { keccak256 } from '../../src/crypto/keccak.js';
import { rlpEncode } from '../../src/codec/rlp.js';
import { orderedTrieRoot, StackTrieBuilder, StackTrieError } from '../../src/state/stack-trie.js';
import { EMPTY_TRIE_ROOT, MemoryNodeStore, Trie } from '../../src/state/trie.js';

type Entry = [key: Uint8Array, value: Uint8Array];

/** Root and nodes (hash → encoding) by the incremental trie, all entries in one commit. */
function byTrie(entries: Entry[]): { root: string; nodes: Map<string, string> } {
  const t = new Trie(EMPTY_TRIE_ROOT, new MemoryNodeStore(), null);
  for (const [k, v] of entries) t.put(k, v);
  const c = t.commit();
  return { root: toHex(c.root), nodes: new Map(c.nodes.map(([h, b]) => [toHex(h), toHex(b)])) };
}

function byStack(entries: Entry[]): { root: string; nodes: Map<string, string> } {
  const nodes = new Map<string, string>();
  const b = new StackTrieBuilder((h, enc) => {
    const k = toHex(h);
    expect(toHex(keccak256(enc))).toBe(k);
    nodes.set(k, toHex(enc));
  });
  const sorted = [...entries].sort((x, y) => compareBytes(x[0], y[0]));
  for (const [k, v] of sorted) b.add(k, v);
  expect(b.size).toBe(entries.length);
  return { root: toHex(b.finish()), nodes };
}

/** Distinct keys of one length; few distinct nibbles, so paths share long prefixes. */
function entriesArb(keyBytes: number, mask: number) {
  return fc
    .uniqueArray(
      fc.tuple(
        fc
          .uint8Array({ minLength: keyBytes, maxLength: keyBytes })
          .map((b) => b.map((x) => x & mask)),
        fc.oneof(
          fc.uint8Array({ minLength: 1, maxLength: 3 }),
          fc.uint8Array({ minLength: 25, maxLength: 80 }),
        ),
      ),
      { selector: ([k]) => toHex(k), maxLength: 60 },
    )
    .map((xs) => xs as Entry[]);
}

describe('StackTrieBuilder', () => {
  it('builds prefix-free keys of several lengths as a trie does', () => {
    fc.assert(
      fc.property(entriesArb(3, 0x31), (entries) => {
        // Cut each key to a length of 1–3 bytes by its first byte, then keep a prefix-free set.
        const cut = entries.map(([k, v]): Entry => [k.subarray(0, 1 + (k[0]! % 3)), v]);
        const kept: Entry[] = [];
        for (const e of cut.sort((x, y) => compareBytes(x[0], y[0]))) {
          const last = kept[kept.length - 1];
          if (last && toHex(e[0]).startsWith(toHex(last[0]))) continue;
          kept.push(e);
        }
        const s = byStack(kept);
        const t = byTrie(kept);
        expect(s.root).toBe(t.root);
        for (const [h, enc] of t.nodes) expect(s.nodes.get(h)).toBe(enc);
      }),
      { numRuns: 150 },
    );
  });

  it('gives the empty root without keys, and the leaf root for one key', () => {
    expect(toHex(new StackTrieBuilder(() => {}).finish())).toBe(toHex(EMPTY_TRIE_ROOT));
    const one: Entry[] = [[Uint8Array.of(1, 2), Uint8Array.of(3)]];
    expect(byStack(one)).toEqual(byTrie(one));
  });

  it('builds the root and exactly the nodes a trie commits (dense short keys, tiny values)', () => {
    fc.assert(
      fc.property(entriesArb(2, 0x11), (entries) => {
        expect(byStack(entries)).toEqual(byTrie(entries));
      }),
      { numRuns: 300 },
    );
  });

  it('the same for 32-byte keys with shared prefixes and for hashed keys', () => {
    fc.assert(
      fc.property(entriesArb(32, 0x31), (entries) => {
        expect(byStack(entries)).toEqual(byTrie(entries));
      }),
      { numRuns: 100 },
    );
    fc.assert(
      fc.property(
        fc.uniqueArray(fc.nat(1_000_000), { maxLength: 400 }),
        fc.integer({ min: 1, max: 90 }),
        (ids, valueLength) => {
          const entries: Entry[] = ids.map((i) => [
            keccak256(Uint8Array.of(i >> 16, i >> 8, i)),
            new Uint8Array(valueLength).fill(i & 0xff),
          ]);
          expect(byStack(entries)).toEqual(byTrie(entries));
        },
      ),
      { numRuns: 40 },
    );
  });

  it('refuses keys out of order, a key extending the one before, and empty values', () => {
    const b = new StackTrieBuilder(() => {});
    b.add(Uint8Array.of(2), Uint8Array.of(1));
    expect(() => b.add(Uint8Array.of(2), Uint8Array.of(1))).toThrow(StackTrieError);
    expect(() => b.add(Uint8Array.of(1), Uint8Array.of(1))).toThrow(StackTrieError);
    expect(() => b.add(Uint8Array.of(2, 0), Uint8Array.of(1))).toThrow(StackTrieError);
    expect(() => b.add(Uint8Array.of(3), new Uint8Array(0))).toThrow(StackTrieError);
    b.add(Uint8Array.of(3), Uint8Array.of(1));
    b.finish();
    expect(() => b.add(Uint8Array.of(4), Uint8Array.of(1))).toThrow(StackTrieError);
  });
});

describe('orderedTrieRoot', () => {
  it('equals the rlp(index)-keyed trie at the key-length boundaries', () => {
    for (const n of [0, 1, 2, 127, 128, 129, 255, 256, 257, 1000]) {
      const values = Array.from({ length: n }, (_, i) => keccak256(Uint8Array.of(i & 255, i >> 8)));
      const t = new Trie(EMPTY_TRIE_ROOT, new MemoryNodeStore(), null);
      values.forEach((v, i) => t.put(rlpEncode(BigInt(i)), v));
      expect(toHex(orderedTrieRoot(values)), `${n} values`).toBe(toHex(t.commit().root));
    }
  });
});
