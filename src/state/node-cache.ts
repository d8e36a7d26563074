/**
 * A bounded cache of decoded trie nodes by hash, shared by every Trie (and so every StateDB)
 * that reads the same node store. A node's bytes never change for its hash, so a decoded node
 * can serve any trie at any root; hot upper nodes are then decoded once per process instead of
 * once per StateDB.
 *
 * Eviction is two-generational (an approximation of LRU without per-hit reordering): entries
 * go into the young map; when it holds half the capacity (in entries or in bytes) it becomes
 * the old map and the previous old map is dropped; a hit in the old map moves the entry back
 * to the young one. The cache never holds more than `capacity` entries, nor much more than
 * `maxBytes` as the callers estimate their entries (nodeBytes for decoded trie nodes).
 */
import { equalBytes } from '../crypto/bytes.js';
import type { TrieNodeStore } from './trie.js';

/** Default bound on cached nodes. */
export const DEFAULT_NODE_CACHE_NODES = 32_768;
/** Default bound on the bytes of cached nodes, as nodeBytes estimates them. */
export const DEFAULT_NODE_CACHE_BYTES = 64 * 1024 * 1024;

/**
 * What a node decoded from `encodedLength` bytes takes in memory, about: its encoding (the
 * decoded node views it) plus its objects, measured at about 3.6× the encoding for a leaf and
 * 4.8× for a branch, plus fixed costs.
 */
export function nodeBytes(encodedLength: number): number {
  return 160 + 6 * encodedLength;
}

interface Entry<V> {
  hash: Uint8Array;
  value: V;
  bytes: number;
}

/**
 * The map key: 30 bits of the hash (a small integer, no string built per lookup). Two hashes
 * with the same key only evict each other; a lookup compares the whole hash.
 */
function slot(hash: Uint8Array): number {
  return (hash[0]! << 22) | (hash[1]! << 14) | (hash[2]! << 6) | (hash[3]! >> 2);
}

export class TrieNodeCache<V = unknown> {
  private young = new Map<number, Entry<V>>();
  private old = new Map<number, Entry<V>>();
  private youngBytes = 0;
  private oldBytes = 0;
  private readonly half: number;
  private readonly halfBytes: number;
  hits = 0;
  misses = 0;

  constructor(
    readonly capacity: number = DEFAULT_NODE_CACHE_NODES,
    readonly maxBytes: number = DEFAULT_NODE_CACHE_BYTES,
  ) {
    if (!Number.isInteger(capacity) || capacity < 2) {
      throw new RangeError(`node cache capacity must be an integer >= 2, got ${capacity}`);
    }
    if (!Number.isSafeInteger(maxBytes) || maxBytes < 2) {
      throw new RangeError(`node cache bytes must be an integer >= 2, got ${maxBytes}`);
    }
    this.half = capacity >> 1;
    this.halfBytes = (maxBytes - (maxBytes % 2)) / 2;
  }

  get(hash: Uint8Array): V | undefined {
    const k = slot(hash);
    let e = this.young.get(k);
    if (e !== undefined && equalBytes(e.hash, hash)) {
      this.hits++;
      return e.value;
    }
    e = this.old.get(k);
    if (e !== undefined && equalBytes(e.hash, hash)) {
      this.hits++;
      this.old.delete(k);
      this.oldBytes -= e.bytes;
      this.insert(k, e);
      return e.value;
    }
    this.misses++;
    return undefined;
  }

  /** Caches `value` under `hash`; `bytes` is what it takes in memory (nodeBytes). */
  set(hash: Uint8Array, value: V, bytes = 0): void {
    const k = slot(hash);
    const prev = this.old.get(k);
    if (prev !== undefined) {
      this.old.delete(k);
      this.oldBytes -= prev.bytes;
    }
    this.insert(k, { hash, value, bytes });
  }

  /** Entries held now (at most `capacity`). */
  get size(): number {
    return this.young.size + this.old.size;
  }

  /** Bytes of the entries held now, as set() was told. */
  get bytes(): number {
    return this.youngBytes + this.oldBytes;
  }

  clear(): void {
    this.young = new Map();
    this.old = new Map();
    this.youngBytes = 0;
    this.oldBytes = 0;
  }

  private insert(k: number, e: Entry<V>): void {
    const prev = this.young.get(k);
    if (prev !== undefined) this.youngBytes -= prev.bytes;
    this.young.set(k, e);
    this.youngBytes += e.bytes;
    if (this.young.size >= this.half || this.youngBytes >= this.halfBytes) {
      this.old = this.young;
      this.oldBytes = this.youngBytes;
      this.young = new Map();
      this.youngBytes = 0;
    }
  }
}

/** The cache of each node store, created with the default size on first use. */
const caches = new WeakMap<TrieNodeStore, TrieNodeCache | null>();

/**
 * The decoded-node cache shared by the tries over `store` (null when disabled). Every Trie and
 * StateDB built on the same store object uses it unless given another.
 */
export function nodeCacheOf(store: TrieNodeStore): TrieNodeCache | null {
  let c = caches.get(store);
  if (c === undefined) {
    c = new TrieNodeCache();
    caches.set(store, c);
  }
  return c;
}

/**
 * Sets the cache shared by the tries over `store`: a capacity in nodes, 0 to disable it, or a
 * cache object (e.g. one shared with another store holding the same nodes). Tries created
 * before the call keep the cache they have.
 */
export function setNodeCache(store: TrieNodeStore, cache: number | TrieNodeCache): void {
  if (typeof cache === 'number') {
    // A count alone keeps the default byte bound unless the count asks for more.
    const bytes = cache * 2048 > DEFAULT_NODE_CACHE_BYTES ? cache * 2048 : DEFAULT_NODE_CACHE_BYTES;
    caches.set(store, cache === 0 ? null : new TrieNodeCache(cache, bytes));
  } else {
    caches.set(store, cache);
  }
}
