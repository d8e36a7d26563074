import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { uint64be } from '../../src/crypto/bytes.js';
import { keccak256 } from '../../src/crypto/keccak.js';
import {
  DEFAULT_NODE_CACHE_NODES,
  nodeBytes,
  nodeCacheOf,
  setNodeCache,
  TrieNodeCache,
} from '../../src/state/node-cache.js';
import { StateDB } from '../../src/state/state-db.js';
import {
  EMPTY_TRIE_ROOT,
  InvalidNodeError,
  MemoryNodeStore,
  MissingNodeError,
  Trie,
  type TrieNodeStore,
} from '../../src/state/trie.js';

/** A store that counts reads, over a MemoryNodeStore. */
class CountingStore implements TrieNodeStore {
  reads = 0;
  constructor(readonly inner = new MemoryNodeStore()) {}
  get(hash: Uint8Array): Uint8Array | undefined {
    this.reads++;
    return this.inner.get(hash);
  }
  put(hash: Uint8Array, bytes: Uint8Array): void {
    this.inner.put(hash, bytes);
  }
}

const addr = (i: number) => keccak256(uint64be(i)).subarray(12);
const slot = (i: number) => keccak256(uint64be(1_000_000 + i));

/** A committed state of `n` accounts, the first with `slots` storage slots. */
function buildState(
  store: { put(h: Uint8Array, b: Uint8Array): void } & TrieNodeStore,
  n: number,
  slots = 0,
) {
  const s = new StateDB(EMPTY_TRIE_ROOT, store, null);
  for (let i = 0; i < n; i++)
    s.putAccount(addr(i), { ...s.getAccount(addr(i)), nonce: BigInt(i + 1) });
  for (let i = 0; i < slots; i++) s.putStorage(addr(0), slot(i), uint64be(i + 1));
  const c = s.commit();
  for (const [h, b] of c.nodes) store.put(h, b);
  return c.root;
}

describe('TrieNodeCache', () => {
  it('never holds more than its capacity and keeps the recent entries', () => {
    const cache = new TrieNodeCache<number>(8);
    for (let i = 0; i < 100; i++) {
      cache.set(keccak256(uint64be(i)), i);
      expect(cache.size).toBeLessThanOrEqual(8);
    }
    expect(cache.get(keccak256(uint64be(99)))).toBe(99);
    expect(cache.get(keccak256(uint64be(0)))).toBeUndefined();
  });

  it('returns the very object stored, and only for the whole hash', () => {
    const cache = new TrieNodeCache<object>(16);
    const h = keccak256(uint64be(1));
    const v = { x: 1 };
    cache.set(h, v);
    expect(cache.get(h)).toBe(v);
    // Same map slot (first bytes), different hash: a miss, not the other entry.
    const other = h.slice();
    other[31] = other[31]! ^ 1;
    expect(cache.get(other)).toBeUndefined();
    cache.set(other, { x: 2 });
    expect(cache.get(h)).toBeUndefined();
    expect(cache.get(other)).toEqual({ x: 2 });
  });

  it('a hit in the old generation survives the next rotation', () => {
    const cache = new TrieNodeCache<number>(4);
    const hs = [0, 1, 2, 3, 4].map((i) => keccak256(uint64be(i)));
    cache.set(hs[0]!, 0);
    cache.set(hs[1]!, 1); // young full: rotates, 0 and 1 are old
    expect(cache.get(hs[0]!)).toBe(0); // back to young
    cache.set(hs[2]!, 2); // rotates: {0, 2} old, 1 dropped
    expect(cache.get(hs[1]!)).toBeUndefined();
    expect(cache.get(hs[0]!)).toBe(0);
  });

  it('rejects a capacity below 2', () => {
    expect(() => new TrieNodeCache(1)).toThrow(RangeError);
    expect(() => new TrieNodeCache(1.5)).toThrow(RangeError);
    expect(() => new TrieNodeCache(8, 1)).toThrow(RangeError);
  });

  it('never holds much more than its byte bound, whatever the count allows', () => {
    const cache = new TrieNodeCache<number>(1_000_000, 10_000);
    for (let i = 0; i < 1000; i++) {
      cache.set(keccak256(uint64be(i)), i, nodeBytes(100 + (i % 400)));
      // Each generation rotates at half the bound: at most the bound plus one entry.
      expect(cache.bytes).toBeLessThanOrEqual(10_000 + nodeBytes(500));
    }
    expect(cache.get(keccak256(uint64be(999)))).toBe(999);
    expect(cache.size).toBeLessThan(50);
    // Replacing an entry counts its bytes once.
    const one = new TrieNodeCache<number>(100, 1_000_000);
    const h = keccak256(uint64be(1));
    one.set(h, 1, 300);
    one.set(h, 2, 500);
    expect(one.bytes).toBe(500);
    one.clear();
    expect(one.bytes).toBe(0);
  });
});

describe('node cache shared by the tries over one store', () => {
  it('is created once per store with the default size, and can be replaced or disabled', () => {
    const store = new MemoryNodeStore();
    const c = nodeCacheOf(store)!;
    expect(c.capacity).toBe(DEFAULT_NODE_CACHE_NODES);
    expect(nodeCacheOf(store)).toBe(c);
    expect(nodeCacheOf(new MemoryNodeStore())).not.toBe(c);
    setNodeCache(store, 100);
    expect(nodeCacheOf(store)!.capacity).toBe(100);
    setNodeCache(store, 0);
    expect(nodeCacheOf(store)).toBeNull();
    const shared = new TrieNodeCache(10);
    setNodeCache(store, shared);
    expect(nodeCacheOf(store)).toBe(shared);
  });

  it('a second StateDB reads hot nodes from the cache, not the store', () => {
    const store = new CountingStore();
    const root = buildState(store, 300, 300);
    store.reads = 0;
    const first = new StateDB(root, store);
    for (let i = 0; i < 300; i++) first.getStorage(addr(0), slot(i));
    const cold = store.reads;
    expect(cold).toBeGreaterThan(300);
    store.reads = 0;
    const second = new StateDB(root, store);
    for (let i = 0; i < 300; i++) {
      expect(second.getStorage(addr(0), slot(i))).toEqual(first.getStorage(addr(0), slot(i)));
    }
    expect(store.reads).toBe(0);
  });

  it('a StateDB given no cache reads the store every time', () => {
    const store = new CountingStore();
    const root = buildState(store, 50);
    store.reads = 0;
    new StateDB(root, store, null).getAccount(addr(3));
    const once = store.reads;
    new StateDB(root, store, null).getAccount(addr(3));
    expect(store.reads).toBe(2 * once);
  });

  it('roots, nodes and reads are the same with a tiny cache, the default one and none', () => {
    fc.assert(
      fc.property(
        fc.array(
          fc.tuple(fc.integer({ min: 0, max: 60 }), fc.integer({ min: 0, max: 40 }), fc.nat(3)),
          { minLength: 1, maxLength: 200 },
        ),
        (ops) => {
          const results = [new TrieNodeCache(2), undefined, null].map((cache) => {
            const store = new MemoryNodeStore();
            let root = EMPTY_TRIE_ROOT;
            const out: unknown[] = [];
            for (let b = 0; b < 4; b++) {
              const s = new StateDB(root, store, cache);
              for (const [a, k, v] of ops.slice(b * 50, b * 50 + 50)) {
                out.push(s.getAccount(addr(a)).nonce, s.getStorage(addr(a), slot(k)));
                s.putStorage(addr(a), slot(k), v === 0 ? new Uint8Array(0) : uint64be(v));
                s.putAccount(addr(a), { ...s.getAccount(addr(a)), nonce: BigInt(b + v) });
              }
              const c = s.commit();
              for (const [h, n] of c.nodes) store.put(h, n);
              out.push(c.root, c.nodes);
              root = c.root;
            }
            return out;
          });
          expect(results[0]).toEqual(results[2]);
          expect(results[1]).toEqual(results[2]);
        },
      ),
      { numRuns: 40 },
    );
  });

  it('a missing node raises MissingNodeError whatever the cache holds', () => {
    const full = new MemoryNodeStore();
    const root = buildState(full, 200);
    const store = new MemoryNodeStore();
    store.put(root, full.get(root)!); // only the root node
    const cache = new TrieNodeCache(1000);
    const s = new StateDB(root, store, cache);
    expect(() => s.getAccount(addr(1))).toThrow(MissingNodeError);
    expect(() => new StateDB(root, store, cache).getAccount(addr(1))).toThrow(MissingNodeError);
    // Another trie sharing the cache still gets the cached root and the same error below it.
    const t = new Trie(root, store, cache);
    expect(() => t.get(keccak256(addr(1)))).toThrow(MissingNodeError);
    expect(cache.size).toBe(1);
  });

  it('a corrupt node raises InvalidNodeError each time and is never cached', () => {
    const full = new MemoryNodeStore();
    const root = buildState(full, 1);
    const store = new MemoryNodeStore();
    store.put(root, Uint8Array.of(0xc2, 0x81, 0x01)); // non-canonical RLP
    const cache = new TrieNodeCache(100);
    for (let i = 0; i < 2; i++) {
      expect(() => new StateDB(root, store, cache).getAccount(addr(0))).toThrow(InvalidNodeError);
    }
    expect(cache.size).toBe(0);
  });

  it('a commit through a cache of 2 nodes evicting all the time gives the same root', () => {
    const a = new MemoryNodeStore();
    const b = new MemoryNodeStore();
    const r1 = buildState(a, 500, 100);
    const r2 = buildState(b, 500, 100);
    expect(r1).toEqual(r2);
    const s1 = new StateDB(r1, a, new TrieNodeCache(2));
    const s2 = new StateDB(r2, b, null);
    for (const s of [s1, s2]) {
      for (let i = 0; i < 500; i += 3) {
        s.putAccount(addr(i), { ...s.getAccount(addr(i)), balance: BigInt(i) });
      }
      for (let i = 0; i < 100; i += 2) s.putStorage(addr(0), slot(i), new Uint8Array(0));
    }
    expect(s1.commit()).toEqual(s2.commit());
  });
});
