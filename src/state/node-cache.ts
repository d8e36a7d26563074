/**
 * A bounded cache of decoded trie nodes by hash, shared by every Trie (and so every StateDB)
 * that reads the same node store. A node's bytes never change for its hash, so a decoded node
 * can serve any trie at any root; hot upper nodes are then decoded once per process instead of
 * once per StateDB.
 *
 * Eviction is two-generational (an approximation of LRU without per-hit reordering): entries
 * go into the young map; when it holds half the capacity it becomes the old map and the
 * previous old map is dropped; a hit in the old map moves the entry back to the young one. The
 * cache never holds more than `capacity` entries.
 */
import { equalBytes } from '../crypto/bytes.js';
import type { TrieNodeStore } from './trie.js';

/**
 * Default bound on cached nodes. A decoded node takes about 1.2 KB on average over an account
 * trie (a branch up to about 2.5 KB), so a full default cache holds some 40-80 MB.
 */
export const DEFAULT_NODE_CACHE_NODES = 32_768;

interface Entry<V> {
  hash: Uint8Array;
  value: V;
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
  private readonly half: number;
  hits = 0;
  misses = 0;

  constructor(readonly capacity: number = DEFAULT_NODE_CACHE_NODES) {
    if (!Number.isInteger(capacity) || capacity < 2) {
      throw new RangeError(`node cache capacity must be an integer >= 2, got ${capacity}`);
    }
    this.half = capacity >> 1;
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
      this.insert(k, e);
      return e.value;
    }
    this.misses++;
    return undefined;
  }

  set(hash: Uint8Array, value: V): void {
    const k = slot(hash);
    this.old.delete(k);
    this.insert(k, { hash, value });
  }

  /** Entries held now (at most `capacity`). */
  get size(): number {
    return this.young.size + this.old.size;
  }

  clear(): void {
    this.young = new Map();
    this.old = new Map();
  }

  private insert(k: number, e: Entry<V>): void {
    this.young.set(k, e);
    if (this.young.size >= this.half) {
      this.old = this.young;
      this.young = new Map();
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
    caches.set(store, cache === 0 ? null : new TrieNodeCache(cache));
  } else {
    caches.set(store, cache);
  }
}
