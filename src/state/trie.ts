/**
 * Ethereum's hexary Merkle Patricia Trie (Yellow Paper appendix D), synchronous.
 *
 * Nodes are leaves `[hp(path, leaf), value]`, extensions `[hp(path), child]` and branches
 * `[c0 … c15, value]`; a child whose encoding is shorter than 32 bytes is embedded in its
 * parent, any other is referenced by keccak256 of its encoding. The root hash is always
 * keccak256(rlp(root node)), and keccak256(rlp('')) for the empty trie.
 *
 * Writes are buffered in a dirty map; `commit()` applies them in key order to a
 * copy-on-write tree and hashes each changed node once, bottom-up. A block's root therefore
 * costs in proportion to the keys it changes (times the trie depth), not to the state size.
 * Nodes already committed are read lazily from a synchronous content-addressed store, kept
 * decoded in a bounded cache shared by the tries over that store (node-cache.ts), and memoised
 * for the life of the trie. Node encoding and decoding are in node-codec.ts.
 */
import { EtmError } from '../primitives/errors.js';
import { concatBytes, equalBytes, toHex } from '../crypto/bytes.js';
import { keccak256 } from '../crypto/keccak.js';
import { rlpEncode } from '../codec/rlp.js';
import {
  BRANCH,
  branchNode,
  type BranchNode,
  type Child,
  decodeNode,
  encodeBranch,
  encodeExt,
  encodeLeaf,
  EXT,
  extNode,
  HASH,
  hashChild,
  type HashNode,
  InvalidNodeError,
  LEAF,
  leafNode,
  type LeafNode,
  type Node,
} from './node-codec.js';
import { bytesKey } from './bytes-key.js';
import { nodeBytes, nodeCacheOf, type TrieNodeCache } from './node-cache.js';

/** Content-addressed storage: keccak256(bytes) → bytes. Holds trie nodes and contract code. */
export interface TrieNodeStore {
  get(hash: Uint8Array): Uint8Array | undefined;
  /**
   * True when the bytes get() returns are never modified or reused by the store afterwards:
   * decoded nodes may then view them directly instead of a copy.
   */
  readonly stableBytes?: boolean;
}

/** A node store in memory, for tests, genesis and tools. */
export class MemoryNodeStore implements TrieNodeStore {
  private readonly map = new Map<string, Uint8Array>();
  /** Stored buffers are kept as given: whoever puts them must not modify them afterwards. */
  readonly stableBytes = true;

  put(hash: Uint8Array, bytes: Uint8Array): void {
    this.map.set(bytesKey(hash), bytes);
  }

  get(hash: Uint8Array): Uint8Array | undefined {
    return this.map.get(bytesKey(hash));
  }

  get size(): number {
    return this.map.size;
  }
}

/** The store returned bytes that are not a valid trie node (defined with the node codec). */
export { InvalidNodeError };

/** keccak256(rlp('')) = 0x56e81f…b421, the root of a trie without keys. */
export const EMPTY_TRIE_ROOT: Uint8Array = keccak256(rlpEncode(new Uint8Array(0)));

/** A node the trie needs is not in the store (pruned, or never persisted). */
export class MissingNodeError extends EtmError<'MISSING_TRIE_NODE'> {
  override name = 'MissingNodeError';
  constructor(
    readonly hash: Uint8Array,
    what = 'trie node',
  ) {
    super('MISSING_TRIE_NODE', `${what} ${toHex(hash)} is not in the node store`);
  }
}

const EMPTY = new Uint8Array(0);

function toNibbles(key: Uint8Array): Uint8Array {
  const out = new Uint8Array(key.length * 2);
  for (let i = 0; i < key.length; i++) {
    out[2 * i] = key[i]! >> 4;
    out[2 * i + 1] = key[i]! & 15;
  }
  return out;
}

/** Whether `path` equals `key` from nibble `pos` on (for its whole length). */
function matchesAt(path: Uint8Array, key: Uint8Array, pos: number): boolean {
  if (path.length > key.length - pos) return false;
  for (let i = 0; i < path.length; i++) if (path[i] !== key[pos + i]) return false;
  return true;
}

/** Length of the common prefix of `path` and `key` from nibble `pos` on. */
function commonPrefixAt(path: Uint8Array, key: Uint8Array, pos: number): number {
  const rest = key.length - pos;
  const n = path.length < rest ? path.length : rest;
  let i = 0;
  while (i < n && path[i] === key[pos + i]) i++;
  return i;
}

// ---------------------------------------------------------------------------------------------

export interface TrieCommit {
  root: Uint8Array;
  /** New nodes to persist, children before parents; the root is included even if short. */
  nodes: Array<[hash: Uint8Array, encoded: Uint8Array]>;
}

export class Trie {
  private committedRoot: Uint8Array;
  private tree: Child | null;
  /** Pending writes by bytesKey(key); an empty value is a pending delete. */
  private readonly dirty = new Map<string, { key: Uint8Array; value: Uint8Array }>();
  private readonly cache: TrieNodeCache | null;
  /**
   * With a cache, the nodes this trie has resolved since its last commit, by the HashNode that
   * named them: shared nodes stay immutable, and a node evicted from the cache is not decoded
   * twice between two commits of one trie.
   */
  private readonly memo = new Map<HashNode, Node>();
  /** Until the first commit after adopt(): see hashNode. */
  private cutOld = false;

  /**
   * `cache` holds decoded nodes shared with other tries; by default the one of `store`
   * (nodeCacheOf), null to decode privately and memoise for the life of this trie only.
   */
  constructor(
    root: Uint8Array,
    private readonly store: TrieNodeStore,
    cache?: TrieNodeCache | null,
  ) {
    if (root.length !== 32) throw new InvalidNodeError(`trie root of ${root.length} bytes`);
    this.cache = cache === undefined ? nodeCacheOf(store) : cache;
    this.committedRoot = root.slice();
    this.tree = equalBytes(root, EMPTY_TRIE_ROOT) ? null : hashChild(this.committedRoot);
  }

  /** The root as of the last commit (or construction). */
  get root(): Uint8Array {
    return this.committedRoot.slice();
  }

  /**
   * Starts from the nodes `other` holds in memory after its last commit instead of decoding
   * them again from the store (through the cache): a block's trie on the trie its parent
   * committed. Both must be at the same root with nothing pending, and every node of `other`
   * must be in the store (its commit persisted). Committed nodes are never changed in place (a
   * write copies them), so the two tries may share them. Otherwise a no-op.
   */
  adopt(other: Trie): void {
    if (
      other !== this &&
      this.dirty.size === 0 &&
      other.dirty.size === 0 &&
      other.store === this.store &&
      equalBytes(other.committedRoot, this.committedRoot)
    ) {
      this.tree = other.tree;
      this.cutOld = true;
    }
  }

  /** A copy of the value at `key`, pending writes included; undefined when absent. */
  get(key: Uint8Array): Uint8Array | undefined {
    return this.peek(key)?.slice();
  }

  /**
   * The value at `key` like get(), but not copied: it may be shared with the trie, its node
   * cache and other tries, so the caller must not modify it.
   */
  peek(key: Uint8Array): Uint8Array | undefined {
    if (this.dirty.size > 0) {
      const pending = this.dirty.get(bytesKey(key));
      if (pending !== undefined) return pending.value.length === 0 ? undefined : pending.value;
    }
    const nibbles = toNibbles(key);
    let node: Child | null = this.tree;
    let pos = 0;
    for (;;) {
      if (node === null) return undefined;
      const n = this.resolve(node);
      if (n.kind === LEAF) {
        return n.path.length === nibbles.length - pos && matchesAt(n.path, nibbles, pos)
          ? n.value
          : undefined;
      }
      if (n.kind === EXT) {
        if (!matchesAt(n.path, nibbles, pos)) return undefined;
        pos += n.path.length;
        node = n.child;
      } else {
        if (pos === nibbles.length) return n.value ?? undefined;
        node = n.children[nibbles[pos]!]!;
        pos++;
      }
    }
  }

  /** Buffers a write (of copies, so callers may reuse their buffers); empty value deletes. */
  put(key: Uint8Array, value: Uint8Array): void {
    this.putOwned(key.slice(), value.slice());
  }

  /**
   * put() without the copies, for callers that hand over fresh buffers (a StateDB's hashed
   * keys and encodings): the trie keeps `key` and `value`, which must not be modified after.
   */
  putOwned(key: Uint8Array, value: Uint8Array): void {
    this.dirty.set(bytesKey(key), { key, value });
  }

  del(key: Uint8Array): void {
    this.dirty.set(bytesKey(key), { key: key.slice(), value: EMPTY });
  }

  /**
   * Applies the pending writes in key order, hashes every changed node once and returns the
   * new root with the nodes to persist. On a MissingNodeError nothing changes.
   */
  commit(): TrieCommit {
    if (this.dirty.size === 0) return { root: this.root, nodes: [] };
    // One character per byte: string order is byte order, and sorts without a comparator.
    const order = [...this.dirty.keys()].sort();
    let tree = this.tree;
    for (const k of order) {
      const w = this.dirty.get(k)!;
      const path = toNibbles(w.key);
      tree =
        w.value.length === 0 ? this.remove(tree, path, 0) : this.insert(tree, path, 0, w.value);
    }
    const nodes: Array<[Uint8Array, Uint8Array]> = [];
    let root: Uint8Array;
    if (tree === null) {
      root = EMPTY_TRIE_ROOT.slice();
    } else if (tree === this.tree) {
      root = this.committedRoot;
    } else {
      const ref = this.childRef(tree, nodes);
      if (ref.length === 32) {
        root = ref;
      } else {
        // A root shorter than 32 bytes is still addressed by its hash, so it must be stored.
        root = keccak256(ref);
        nodes.push([root, ref]);
      }
    }
    this.tree = tree;
    this.committedRoot = root;
    this.dirty.clear();
    this.cutOld = false;
    // Resolutions from before are mostly of replaced nodes; the shared cache still has them.
    this.memo.clear();
    return { root: root.slice(), nodes };
  }

  // -------------------------------------------------------------------------------------------

  private resolve(child: Child): Node {
    if (child.kind !== HASH) return child;
    if (child.resolved !== undefined) return child.resolved;
    const cache = this.cache;
    if (cache !== null) {
      const known = this.memo.get(child);
      if (known !== undefined) return known;
      const hit = cache.get(child.hash) as Node | undefined;
      if (hit !== undefined) {
        this.memo.set(child, hit);
        return hit;
      }
    }
    const bytes = this.store.get(child.hash);
    if (bytes === undefined) throw new MissingNodeError(child.hash);
    // The decoded node's values and child hashes view these bytes: copy them once unless the
    // store promises never to change or reuse the buffer it returned.
    const buf = this.store.stableBytes === true ? bytes : bytes.slice();
    let node: Node;
    try {
      node = decodeNode(buf, 0, buf.length, child.hash);
    } catch (e) {
      if (e instanceof InvalidNodeError) {
        throw new InvalidNodeError(`node ${toHex(child.hash)}: ${e.message}`);
      }
      throw e;
    }
    // Shared nodes stay immutable; a private trie memoises in the HashNode instead.
    if (cache !== null) {
      cache.set(child.hash, node, nodeBytes(buf.length));
      this.memo.set(child, node);
    } else {
      child.resolved = node;
    }
    return node;
  }

  /** Returns the subtree with `path[pos..]` set to `value`; `child` itself when unchanged. */
  private insert(child: Child | null, path: Uint8Array, pos: number, value: Uint8Array): Child {
    if (child === null) return leafNode(path.subarray(pos), value);
    const node = this.resolve(child);
    if (node.kind === BRANCH) {
      if (pos === path.length) {
        if (node.value !== null && equalBytes(node.value, value)) return child;
        const b = this.own(node);
        b.value = value;
        return b;
      }
      const slot = path[pos]!;
      const old = node.children[slot]!;
      const updated = this.insert(old, path, pos + 1, value);
      if (updated === old) return child;
      const b = this.own(node);
      b.children[slot] = updated;
      return b;
    }
    const common = commonPrefixAt(node.path, path, pos);
    const restLength = path.length - pos;
    if (node.kind === LEAF) {
      if (common === node.path.length && common === restLength) {
        return equalBytes(node.value, value) ? child : leafNode(node.path, value);
      }
    } else if (common === node.path.length) {
      const updated = this.insert(node.child, path, pos + common, value);
      if (updated === node.child) return child;
      return extNode(node.path, updated);
    }
    // The paths diverge at `common`: a branch there holds both sides.
    const branch = branchNode(new Array<Child | null>(16).fill(null), null);
    if (common === node.path.length) {
      branch.value = (node as LeafNode).value; // only a leaf can end here
    } else {
      const slot = node.path[common]!;
      const tail = node.path.subarray(common + 1);
      if (node.kind === LEAF) branch.children[slot] = leafNode(tail, node.value);
      else branch.children[slot] = tail.length === 0 ? node.child : extNode(tail, node.child);
    }
    if (common === restLength) branch.value = value;
    else branch.children[path[pos + common]!] = leafNode(path.subarray(pos + common + 1), value);
    return common === 0 ? branch : extNode(path.subarray(pos, pos + common), branch);
  }

  /** Returns the subtree without `path[pos..]`; the same object when the key is absent. */
  private remove(child: Child | null, path: Uint8Array, pos: number): Child | null {
    if (child === null) return null;
    const node = this.resolve(child);
    if (node.kind === LEAF) {
      return node.path.length === path.length - pos && matchesAt(node.path, path, pos)
        ? null
        : child;
    }
    if (node.kind === EXT) {
      if (!matchesAt(node.path, path, pos)) return child;
      const updated = this.remove(node.child, path, pos + node.path.length);
      if (updated === node.child) return child;
      // A branch below an extension keeps at least one entry after a delete.
      return this.joinExt(node.path, updated!);
    }
    let b: BranchNode;
    if (pos === path.length) {
      if (node.value === null) return child;
      b = this.own(node);
      b.value = null;
    } else {
      const slot = path[pos]!;
      const old = node.children[slot]!;
      const updated = this.remove(old, path, pos + 1);
      if (updated === old) return child;
      b = this.own(node);
      b.children[slot] = updated;
    }
    return this.collapse(b);
  }

  /** A branch left with one entry becomes a leaf or extension, as the canonical form wants. */
  private collapse(b: BranchNode): Node {
    let only = -1;
    let count = b.value === null ? 0 : 1;
    for (let i = 0; i < 16; i++) {
      if (b.children[i] !== null) {
        count++;
        only = i;
      }
    }
    if (count >= 2) return b;
    if (only < 0) return leafNode(EMPTY, b.value!);
    return this.joinExt(Uint8Array.of(only), b.children[only]!);
  }

  /** `path` followed by `child`, merged so that no extension points to a leaf or extension. */
  private joinExt(path: Uint8Array, child: Child): Node {
    const c = this.resolve(child);
    if (c.kind === LEAF) return leafNode(concatBytes(path, c.path), c.value);
    if (c.kind === EXT) return extNode(concatBytes(path, c.path), c.child);
    return extNode(path, child);
  }

  /** A dirty branch to mutate: the node itself if this commit created it, else a copy. */
  private own(node: BranchNode): BranchNode {
    if (node.ref === undefined) return node;
    return branchNode(node.children.slice(), node.value);
  }

  /**
   * Encodes dirty nodes bottom-up; returns the reference a parent embeds (hash or bytes). In the
   * first commit after adopt(), a child that existed before it (decoded, or adopted: all in the
   * store) is referenced by its hash from then on, so the committed tree holds the objects of
   * that commit only and tries adopting one another do not keep every earlier version alive.
   */
  private hashNode(node: Node, out: Array<[Uint8Array, Uint8Array]>): Uint8Array {
    if (node.ref !== undefined) return node.ref;
    let encoded: Uint8Array;
    if (node.kind === LEAF) {
      encoded = encodeLeaf(node.path, node.value);
    } else if (node.kind === EXT) {
      const c = node.child;
      if (this.cutOld && c.kind !== HASH && c.ref !== undefined && c.ref.length === 32)
        node.child = hashChild(c.ref);
      encoded = encodeExt(node.path, this.childRef(node.child, out));
    } else {
      for (let i = 0; i < 16; i++) {
        const c = node.children[i]!;
        if (c === null || c.kind === HASH) continue;
        if (this.cutOld && c.ref !== undefined && c.ref.length === 32)
          node.children[i] = hashChild(c.ref);
        else this.hashNode(c, out);
      }
      encoded = encodeBranch(node.children, node.value);
    }
    if (encoded.length < 32) {
      node.ref = encoded;
    } else {
      const hash = keccak256(encoded);
      out.push([hash, encoded]);
      node.ref = hash;
    }
    return node.ref;
  }

  private childRef(c: Child, out: Array<[Uint8Array, Uint8Array]>): Uint8Array {
    return c.kind === HASH ? c.hash : this.hashNode(c, out);
  }
}

/**
 * A Merkle proof of `key` in the committed trie with root `root` (EIP-1186's proof lists): the
 * encodings of the nodes addressed by hash on the key's path, root first; a node embedded in
 * its parent (shorter than 32 bytes) travels inside it. The path ends where the key's value is,
 * or where the trie shows there is none, so the same list proves presence and absence. Reads
 * the store only; throws MissingNodeError when a node on the path is not there.
 */
export function proveKey(
  store: TrieNodeStore,
  root: Uint8Array,
  key: Uint8Array,
): { proof: Uint8Array[]; value: Uint8Array | undefined } {
  const proof: Uint8Array[] = [];
  if (equalBytes(root, EMPTY_TRIE_ROOT)) return { proof, value: undefined };
  const nibbles = toNibbles(key);
  let child: Child | null = hashChild(root);
  let pos = 0;
  for (;;) {
    if (child === null) return { proof, value: undefined };
    let node: Node;
    if (child.kind === HASH) {
      const bytes = store.get(child.hash);
      if (bytes === undefined) throw new MissingNodeError(child.hash);
      const copy = bytes.slice();
      proof.push(copy);
      node = decodeNode(copy, 0, copy.length, child.hash);
    } else {
      node = child;
    }
    if (node.kind === LEAF) {
      const here = node.path.length === nibbles.length - pos && matchesAt(node.path, nibbles, pos);
      return { proof, value: here ? node.value.slice() : undefined };
    }
    if (node.kind === EXT) {
      if (!matchesAt(node.path, nibbles, pos)) return { proof, value: undefined };
      pos += node.path.length;
      child = node.child;
    } else {
      if (pos === nibbles.length) return { proof, value: node.value?.slice() };
      child = node.children[nibbles[pos]!]!;
      pos++;
    }
  }
}

/**
 * The hashes (by bytesKey) of the nodes stored under `root` and reachable from it, the root
 * included; embedded nodes are part of their parent. Reads the store; throws MissingNodeError.
 */
export function storedNodesOf(store: TrieNodeStore, root: Uint8Array): Set<string> {
  const seen = new Set<string>();
  if (equalBytes(root, EMPTY_TRIE_ROOT)) return seen;
  const visit = (child: Child | null): void => {
    if (child === null) return;
    let node: Node;
    if (child.kind === HASH) {
      const k = bytesKey(child.hash);
      if (seen.has(k)) return;
      const bytes = store.get(child.hash);
      if (bytes === undefined) throw new MissingNodeError(child.hash);
      seen.add(k);
      node = decodeNode(bytes, 0, bytes.length, child.hash);
    } else {
      node = child;
    }
    if (node.kind === EXT) visit(node.child);
    else if (node.kind === BRANCH) for (const c of node.children) visit(c);
  };
  visit(hashChild(root));
  return seen;
}
