import { createMPT, verifyMerkleProof } from '@ethereumjs/mpt';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { rlpEncode } from '../../src/codec/rlp.js';
import { concatBytes, equalBytes, fromHex, toHex, utf8 } from '../../src/crypto/bytes.js';
import { keccak256 } from '../../src/crypto/keccak.js';
import {
  EMPTY_TRIE_ROOT,
  InvalidNodeError,
  MemoryNodeStore,
  MissingNodeError,
  proveKey,
  Trie,
  type TrieNodeStore,
} from '../../src/state/trie.js';
import { orderedTrieRoot } from '../../src/state/stack-trie.js';

type Write = [key: Uint8Array, value: Uint8Array];

function persist(store: MemoryNodeStore, nodes: Array<[Uint8Array, Uint8Array]>): void {
  for (const [h, b] of nodes) store.put(h, b);
}

/** Root by this trie, all writes in one commit. */
function rootOf(writes: Write[], store = new MemoryNodeStore()): Uint8Array {
  const t = new Trie(EMPTY_TRIE_ROOT, store);
  for (const [k, v] of writes) t.put(k, v);
  const c = t.commit();
  persist(store, c.nodes);
  return c.root;
}

/** Root by this trie, committing (and reopening from the store) every `chunk` writes. */
function rootInChunks(writes: Write[], chunk: number): Uint8Array {
  const store = new MemoryNodeStore();
  let t = new Trie(EMPTY_TRIE_ROOT, store);
  writes.forEach(([k, v], i) => {
    t.put(k, v);
    if ((i + 1) % chunk === 0) {
      persist(store, t.commit().nodes);
      t = new Trie(t.root, store);
    }
  });
  return t.commit().root;
}

/** Root by @ethereumjs/mpt (the oracle), writes applied in order. */
async function oracleRoot(writes: Write[]): Promise<Uint8Array> {
  const t = await createMPT();
  for (const [k, v] of writes) await t.put(k, v);
  return t.root();
}

/** A deterministic pseudo-random stream (xorshift32), so fixed tests are reproducible. */
function prng(seed: number): (n: number) => Uint8Array {
  let s = seed >>> 0 || 1;
  return (n) => {
    const out = new Uint8Array(n);
    for (let i = 0; i < n; i++) {
      s ^= s << 13;
      s >>>= 0;
      s ^= s >>> 17;
      s ^= s << 5;
      s >>>= 0;
      out[i] = s & 0xff;
    }
    return out;
  };
}

/** Keys over a tiny alphabet so that shared prefixes, prefix keys and deep paths are common. */
const keyArb = fc.uint8Array({ minLength: 1, maxLength: 6 }).map((b) => b.map((x) => x & 0x11));
/** Values around the 32-byte embedding threshold, and empty ones (= delete). */
const valueArb = fc.oneof(
  { weight: 1, arbitrary: fc.constant(new Uint8Array(0)) },
  { weight: 6, arbitrary: fc.uint8Array({ minLength: 1, maxLength: 3 }) },
  { weight: 3, arbitrary: fc.uint8Array({ minLength: 25, maxLength: 40 }) },
);
const writesArb = fc.array(fc.tuple(keyArb, valueArb), {
  minLength: 1,
  maxLength: 500,
  size: 'max',
});
/** Fixed 4-byte keys over the same alphabet: 256 keys, so rewrites and deletes are frequent. */
const fixedKeyArb = fc
  .uint8Array({ minLength: 4, maxLength: 4 })
  .map((b) => b.map((x) => x & 0x11));
const fixedWritesArb = fc.array(fc.tuple(fixedKeyArb, valueArb), {
  minLength: 1,
  maxLength: 500,
  size: 'max',
});

/** The final value of every key written, in first-write order. */
function finalChanges(writes: Write[]): Write[] {
  const m = new Map<string, Write>();
  for (const [k, v] of writes) m.set(toHex(k), [k, v]);
  return [...m.values()];
}

describe('Trie: known roots', () => {
  it('has the Ethereum empty root', () => {
    expect(toHex(EMPTY_TRIE_ROOT)).toBe(
      '0x56e81f171bcc55a6ff8345e692c0f86e5b48e01b996cadc001622fb5e363b421',
    );
    expect(rootOf([])).toEqual(EMPTY_TRIE_ROOT);
  });

  // ethereum/tests TrieTests/trieanyorder.json
  const vectors: Array<[string, Array<[string, string]>, string]> = [
    [
      'dogs',
      [
        ['doe', 'reindeer'],
        ['dog', 'puppy'],
        ['dogglesworth', 'cat'],
      ],
      '0x8aad789dff2f538bca5d8ea56e8abe10f4c7ba3a5dea95fea4cd6e7c3a1168d3',
    ],
    [
      'puppy',
      [
        ['do', 'verb'],
        ['horse', 'stallion'],
        ['doge', 'coin'],
        ['dog', 'puppy'],
      ],
      '0x5991bb8c6514148a29db676a14ac506cd2cd5775ace63c30a4fe457715e9ac84',
    ],
    [
      'foo',
      [
        ['foo', 'bar'],
        ['food', 'bass'],
      ],
      '0x17beaa1648bafa633cda809c90c04af50fc8aed3cb40d16efbddee6fdf63c4c3',
    ],
    [
      'smallValues',
      [
        ['be', 'e'],
        ['dog', 'puppy'],
        ['bed', 'd'],
      ],
      '0x3f67c7a47520f79faa29255d2d3c084a7a6df0453116ed7232ff10277a8be68b',
    ],
    [
      'testy',
      [
        ['test', 'test'],
        ['te', 'testy'],
      ],
      '0x8452568af70d8d140f58d941338542f645fcca50094b20f3c3d8c3df49337928',
    ],
    [
      'singleItem',
      [['A', 'a'.repeat(50)]],
      '0xd23786fb4a010da3ce639d66d5e904a11dbc02746d1ce25029e53290cabf28ab',
    ],
  ];
  for (const [name, kv, root] of vectors) {
    it(`${name} in every rotation`, () => {
      const writes: Write[] = kv.map(([k, v]) => [utf8(k), utf8(v)]);
      for (let r = 0; r < writes.length; r++) {
        const rotated = [...writes.slice(r), ...writes.slice(0, r)];
        expect(toHex(rootOf(rotated))).toBe(root);
      }
    });
  }

  it('emptyValues: empty writes delete (ethereum/tests TrieTests/trietest.json)', () => {
    const t = new Trie(EMPTY_TRIE_ROOT, new MemoryNodeStore());
    const seq: Array<[string, string]> = [
      ['do', 'verb'],
      ['ether', 'wookiedoo'],
      ['horse', 'stallion'],
      ['shaman', 'horse'],
      ['doge', 'coin'],
      ['ether', ''],
      ['dog', 'puppy'],
      ['shaman', ''],
    ];
    // Commit after every write, so deletions really remove nodes from a committed trie.
    for (const [k, v] of seq) {
      t.put(utf8(k), utf8(v));
      t.commit();
    }
    expect(toHex(t.root)).toBe(
      '0x5991bb8c6514148a29db676a14ac506cd2cd5775ace63c30a4fe457715e9ac84',
    );
  });
});

describe('Trie: against @ethereumjs/mpt', () => {
  // @ethereumjs/mpt 10.1.3 mishandles deleting a key that ends at a branch, which only
  // variable-length keys reach (ethereumjs-monorepo#2347, fixed by #4346). So the oracle gets
  // the final set of a variable-length history, and the full history (deletes included) for
  // fixed-length keys, as in Ethereum's secure tries.
  it('gives the same root for random writes of variable-length keys', async () => {
    await fc.assert(
      fc.asyncProperty(writesArb, async (writes) => {
        const live = finalChanges(writes).filter(([, v]) => v.length > 0);
        const expected = toHex(await oracleRoot(live));
        expect(toHex(rootOf(writes))).toBe(expected);
        // Committing every 7 writes makes later deletes and rewrites hit committed nodes.
        expect(toHex(rootInChunks(writes, 7))).toBe(expected);
      }),
      { numRuns: 40 },
    );
  });

  it('gives the same root for random writes and deletes of fixed-length keys', async () => {
    await fc.assert(
      fc.asyncProperty(fixedWritesArb, async (writes) => {
        expect(toHex(rootOf(writes))).toBe(toHex(await oracleRoot(writes)));
      }),
      { numRuns: 40 },
    );
  });

  it('keeps a branch value when a longer key below it is deleted', async () => {
    const k = (...b: number[]): Uint8Array => Uint8Array.from(b);
    const writes: Write[] = [
      [k(16, 0, 16), k(0)],
      [k(16, 0), k(0)],
      [k(16, 0, 0), k(0)],
      [k(16, 0, 0), k()],
      [k(0), k(0)],
    ];
    const expected = '0x327dab0b042d757fb3c6cf4f2c82afda0a68aa6b2222b72f516b2ab4feeb4a79';
    expect(toHex(await oracleRoot([writes[0]!, writes[1]!, writes[4]!]))).toBe(expected);
    expect(toHex(rootOf(writes))).toBe(expected);
    const t = new Trie(EMPTY_TRIE_ROOT, new MemoryNodeStore());
    for (const [key, v] of writes) {
      t.put(key, v);
      t.commit();
    }
    expect(toHex(t.root)).toBe(expected);
  });

  it('gives the same root when writes are committed one by one', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(fc.tuple(fixedKeyArb, valueArb), { maxLength: 60 }),
        async (writes) => {
          const store = new MemoryNodeStore();
          let t = new Trie(EMPTY_TRIE_ROOT, store);
          for (const [k, v] of writes) {
            t.put(k, v);
            persist(store, t.commit().nodes);
            t = new Trie(t.root, store); // and read back only through the store
          }
          expect(toHex(t.root)).toBe(toHex(await oracleRoot(writes)));
        },
      ),
      { numRuns: 40 },
    );
  });

  it('gives the same root for 500 random 32-byte keys, then after deleting half', async () => {
    const rnd = prng(7);
    const writes: Write[] = [];
    for (let i = 0; i < 500; i++) writes.push([rnd(32), rnd(1 + (rnd(1)[0]! % 70))]);
    const store = new MemoryNodeStore();
    const t = new Trie(EMPTY_TRIE_ROOT, store);
    for (const [k, v] of writes) t.put(k, v);
    persist(store, t.commit().nodes);
    expect(toHex(t.root)).toBe(toHex(await oracleRoot(writes)));

    const deletes: Write[] = writes
      .filter((_, i) => i % 2 === 0)
      .map(([k]) => [k, new Uint8Array()]);
    for (const [k] of deletes) t.del(k);
    persist(store, t.commit().nodes);
    expect(toHex(t.root)).toBe(toHex(await oracleRoot([...writes, ...deletes])));
  });
});

describe('Trie: order independence', () => {
  it('same changes in any order, split across commits, give the same root', () => {
    fc.assert(
      fc.property(
        writesArb,
        fc.infiniteStream(fc.nat()),
        fc.array(fc.nat({ max: 500 }), { maxLength: 5 }),
        (writes, shuffleSeeds, cuts) => {
          const changes = finalChanges(writes);
          const expected = rootOf(changes);
          // A Fisher-Yates shuffle driven by fast-check, then commits at arbitrary points.
          const shuffled = [...changes];
          const seeds = shuffleSeeds[Symbol.iterator]();
          for (let i = shuffled.length - 1; i > 0; i--) {
            const j = seeds.next().value! % (i + 1);
            [shuffled[i], shuffled[j]] = [shuffled[j]!, shuffled[i]!];
          }
          const cutSet = new Set(cuts);
          const store = new MemoryNodeStore();
          let t = new Trie(EMPTY_TRIE_ROOT, store);
          shuffled.forEach(([k, v], i) => {
            t.put(k, v);
            if (cutSet.has(i)) {
              persist(store, t.commit().nodes);
              t = new Trie(t.root, store);
            }
          });
          persist(store, t.commit().nodes);
          expect(toHex(t.root)).toBe(toHex(expected));
        },
      ),
      { numRuns: 100 },
    );
  });

  it('deleting every key gives the empty root', () => {
    fc.assert(
      fc.property(writesArb, (writes) => {
        const store = new MemoryNodeStore();
        const t = new Trie(EMPTY_TRIE_ROOT, store);
        for (const [k, v] of writes) t.put(k, v);
        persist(store, t.commit().nodes);
        for (const [k] of writes) t.del(k);
        const c = t.commit();
        expect(c.root).toEqual(EMPTY_TRIE_ROOT);
        expect(c.nodes).toEqual([]);
      }),
      { numRuns: 100 },
    );
  });

  it('rewriting the committed values changes nothing and emits no nodes', () => {
    const store = new MemoryNodeStore();
    const t = new Trie(EMPTY_TRIE_ROOT, store);
    const rnd = prng(3);
    const writes: Write[] = Array.from({ length: 300 }, () => [rnd(32), rnd(40)]);
    for (const [k, v] of writes) t.put(k, v);
    const first = t.commit();
    persist(store, first.nodes);
    const reopened = new Trie(first.root, store);
    for (const [k, v] of writes.slice(0, 50)) reopened.put(k, v);
    expect(reopened.commit()).toEqual({ root: first.root, nodes: [] });
  });
});

describe('Trie: reads, persistence and commit output', () => {
  it('get sees pending writes and deletes before commit', () => {
    const t = new Trie(EMPTY_TRIE_ROOT, new MemoryNodeStore());
    t.put(utf8('dog'), utf8('puppy'));
    expect(t.get(utf8('dog'))).toEqual(utf8('puppy'));
    expect(t.root).toEqual(EMPTY_TRIE_ROOT);
    t.commit();
    t.del(utf8('dog'));
    expect(t.get(utf8('dog'))).toBeUndefined();
    t.put(utf8('dog'), new Uint8Array());
    expect(t.get(utf8('dog'))).toBeUndefined();
    t.put(utf8('dog'), utf8('wolf'));
    expect(t.get(utf8('dog'))).toEqual(utf8('wolf'));
  });

  it('copies keys and values, so callers may reuse their buffers', () => {
    const t = new Trie(EMPTY_TRIE_ROOT, new MemoryNodeStore());
    const k = utf8('key');
    const v = utf8('value');
    t.put(k, v);
    k[0] = 0;
    v[0] = 0;
    t.commit();
    expect(t.get(utf8('key'))).toEqual(utf8('value'));
  });

  it('a trie reopened from (root, store) reads the same values and absent keys', () => {
    fc.assert(
      fc.property(writesArb, fc.array(keyArb, { maxLength: 20 }), (writes, probes) => {
        const store = new MemoryNodeStore();
        const root = rootOf(writes, store);
        const reopened = new Trie(root, store);
        const expected = new Map(finalChanges(writes).map(([k, v]) => [toHex(k), v]));
        for (const k of [...writes.map(([key]) => key), ...probes]) {
          const v = expected.get(toHex(k));
          expect(reopened.get(k)).toEqual(v === undefined || v.length === 0 ? undefined : v);
        }
      }),
      { numRuns: 100 },
    );
  });

  it('emits each new node once, hashed correctly, the short root included', () => {
    const store = new MemoryNodeStore();
    const t = new Trie(EMPTY_TRIE_ROOT, store);
    t.put(Uint8Array.of(1), Uint8Array.of(2));
    const small = t.commit();
    // The whole trie is one 5-byte leaf: its hash is the root, and it must be stored.
    expect(small.nodes).toEqual([[small.root, fromHex('0xc482200102')]]);
    expect(small.root).toEqual(keccak256(fromHex('0xc482200102')));
    persist(store, small.nodes);
    expect(new Trie(small.root, store).get(Uint8Array.of(1))).toEqual(Uint8Array.of(2));

    const rnd = prng(11);
    for (let i = 0; i < 400; i++) t.put(rnd(32), rnd(1 + (i % 50)));
    const big = t.commit();
    const hashes = new Set(big.nodes.map(([h]) => toHex(h)));
    expect(hashes.size).toBe(big.nodes.length);
    for (const [h, enc] of big.nodes) {
      expect(h).toEqual(keccak256(enc));
      expect(enc.length >= 32 || equalBytes(h, big.root)).toBe(true);
    }
    expect(big.nodes[big.nodes.length - 1]![0]).toEqual(big.root);
  });

  it('a block-sized change touches only the changed paths', () => {
    const base = new MemoryNodeStore();
    const rnd = prng(5);
    const keys = Array.from({ length: 5000 }, () => rnd(32));
    const t = new Trie(EMPTY_TRIE_ROOT, base);
    for (const k of keys) t.put(k, rnd(70));
    const first = t.commit();
    persist(base, first.nodes);

    let reads = 0;
    const counting: TrieNodeStore = {
      get: (h) => {
        reads++;
        return base.get(h);
      },
    };
    const next = new Trie(first.root, counting);
    next.put(keys[0]!, utf8('changed'));
    const c = next.commit();
    // 5,000 random keys make a trie about 4 levels deep: a single write reads and rewrites
    // one path, never the whole trie.
    expect(reads).toBeLessThanOrEqual(5);
    expect(c.nodes.length).toBeLessThanOrEqual(5);
    expect(c.nodes.length).toBeGreaterThanOrEqual(3);
  });
});

describe('Trie: adopting the committed nodes of another trie', () => {
  it('a chain of tries, each adopting the last, commits the roots of one trie', () => {
    fc.assert(
      fc.property(fc.array(fixedWritesArb, { minLength: 1, maxLength: 5 }), (blocks) => {
        const store = new MemoryNodeStore();
        const reference = new Trie(EMPTY_TRIE_ROOT, store, null);
        let prev = new Trie(EMPTY_TRIE_ROOT, store);
        for (const writes of blocks) {
          const next = new Trie(prev.root, store);
          next.adopt(prev);
          for (const [k, v] of writes) {
            next.put(k, v);
            reference.put(k, v);
          }
          const c = next.commit();
          persist(store, c.nodes);
          expect(toHex(c.root)).toBe(toHex(reference.commit().root));
          // Nodes the adopted tree held are not in this commit's output: they are stored.
          for (const [k] of writes) expect(next.get(k)).toEqual(reference.get(k));
          prev = next;
        }
      }),
      { numRuns: 60 },
    );
  });

  it('reads the adopted nodes without the store; another store or root is not adopted', () => {
    const store = new MemoryNodeStore();
    let reads = 0;
    const counting: TrieNodeStore = { get: (h) => (reads++, store.get(h)) };
    const parent = new Trie(EMPTY_TRIE_ROOT, counting, null);
    for (let i = 0; i < 64; i++) parent.put(keccak256(Uint8Array.of(i)), Uint8Array.of(i + 1));
    persist(store, parent.commit().nodes);
    const key = keccak256(Uint8Array.of(5));

    const child = new Trie(parent.root, counting, null);
    child.adopt(parent);
    reads = 0;
    expect(child.get(key)).toEqual(Uint8Array.of(6));
    expect(reads).toBe(0);
    // Its commit keeps only its own nodes as objects: the rest is read by hash again, so a
    // chain of adopting tries never holds more than one commit's objects each.
    child.put(keccak256(Uint8Array.of(200)), Uint8Array.of(1));
    persist(store, child.commit().nodes);
    reads = 0;
    for (let i = 0; i < 64; i++) child.get(keccak256(Uint8Array.of(i)));
    expect(reads).toBeGreaterThan(0);

    const elsewhere = new Trie(parent.root, { get: (h) => (reads++, store.get(h)) }, null);
    elsewhere.adopt(parent);
    expect(elsewhere.get(key)).toEqual(Uint8Array.of(6));
    expect(reads).toBeGreaterThan(0);

    const empty = new Trie(EMPTY_TRIE_ROOT, counting, null);
    empty.adopt(parent);
    expect(empty.get(key)).toBeUndefined();
  });
});

describe('Trie: missing and invalid nodes', () => {
  function built(): {
    store: MemoryNodeStore;
    root: Uint8Array;
    keys: Uint8Array[];
    nodes: Array<[Uint8Array, Uint8Array]>;
  } {
    const store = new MemoryNodeStore();
    const rnd = prng(9);
    const keys = Array.from({ length: 200 }, () => rnd(32));
    const t = new Trie(EMPTY_TRIE_ROOT, store);
    for (const k of keys) t.put(k, concatBytes(k, k));
    const c = t.commit();
    return { store, root: c.root, keys, nodes: c.nodes };
  }

  it('throws MissingNodeError for a root that is not stored', () => {
    const { root } = built();
    const t = new Trie(root, new MemoryNodeStore());
    let err: unknown;
    try {
      t.get(Uint8Array.of(1));
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(MissingNodeError);
    expect((err as MissingNodeError).code).toBe('MISSING_TRIE_NODE');
    expect((err as MissingNodeError).hash).toEqual(root);
  });

  it('on a pruned store, every read either is right or throws MissingNodeError', () => {
    const { root, keys, nodes } = built();
    const pruned = new MemoryNodeStore();
    const dropped = nodes[0]!; // a leaf-level node
    for (const [h, b] of nodes) if (h !== dropped[0]) pruned.put(h, b);
    const t = new Trie(root, pruned);
    let missing = 0;
    for (const k of keys) {
      try {
        expect(t.get(k)).toEqual(concatBytes(k, k));
      } catch (e) {
        expect(e).toBeInstanceOf(MissingNodeError);
        expect((e as MissingNodeError).hash).toEqual(dropped[0]);
        missing++;
      }
    }
    expect(missing).toBeGreaterThan(0);
    // A commit that needs the node fails and leaves the trie as it was.
    for (const k of keys) t.put(k, utf8('x'));
    expect(() => t.commit()).toThrow(MissingNodeError);
    expect(t.root).toEqual(root);
  });

  it('throws InvalidNodeError for bytes that are not a trie node', () => {
    const store = new MemoryNodeStore();
    const h = keccak256(utf8('junk'));
    store.put(h, rlpEncode([utf8('a'), utf8('b'), utf8('c')]));
    expect(() => new Trie(h, store).get(utf8('a'))).toThrow(InvalidNodeError);
    store.put(h, fromHex('0xffff'));
    expect(() => new Trie(h, store).get(utf8('a'))).toThrow(InvalidNodeError);
    expect(() => new Trie(new Uint8Array(31), store)).toThrow(InvalidNodeError);
  });
});

describe('orderedTrieRoot', () => {
  it('is the empty root for no values', () => {
    expect(orderedTrieRoot([])).toEqual(EMPTY_TRIE_ROOT);
  });

  it('equals the rlp(index)-keyed trie of @ethereumjs/mpt', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(fc.uint8Array({ minLength: 1, maxLength: 120 }), { maxLength: 300 }),
        async (values) => {
          const writes: Write[] = values.map((v, i) => [rlpEncode(BigInt(i)), v]);
          expect(toHex(orderedTrieRoot(values))).toBe(toHex(await oracleRoot(writes)));
        },
      ),
      { numRuns: 25 },
    );
  });
});

describe('Trie: proofs (EIP-1186), checked by @ethereumjs/mpt', () => {
  it('proves every key present and absent, embedded nodes included', async () => {
    await fc.assert(
      fc.asyncProperty(fixedWritesArb, fixedKeyArb, async (writes, other) => {
        const store = new MemoryNodeStore();
        const root = rootOf(writes, store);
        const trie = new Trie(root, store);
        for (const key of [...finalChanges(writes).map(([k]) => k), other]) {
          const { proof, value } = proveKey(store, root, key);
          expect(value).toEqual(trie.get(key));
          if (equalBytes(root, EMPTY_TRIE_ROOT)) {
            expect(proof).toEqual([]);
            continue;
          }
          expect(keccak256(proof[0]!)).toEqual(root);
          const verified = await verifyMerkleProof(key, proof, { root });
          expect(verified ?? undefined).toEqual(value);
        }
      }),
      { numRuns: 40 },
    );
  });

  it('names the missing node when the store lacks one on the path', () => {
    const store = new MemoryNodeStore();
    const root = rootOf(
      Array.from({ length: 64 }, (_, i) => [keccak256(utf8(`k${i}`)), utf8(`v${i}`.repeat(9))]),
      store,
    );
    expect(() => proveKey(new MemoryNodeStore(), root, keccak256(utf8('k1')))).toThrow(
      MissingNodeError,
    );
  });
});
