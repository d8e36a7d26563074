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
 * Nodes already committed are read lazily from a synchronous content-addressed store and
 * memoised for the life of the trie.
 */
import { compareBytes, concatBytes, equalBytes, toHex } from '../crypto/bytes.js';
import { keccak256 } from '../crypto/keccak.js';
import { DecodeError, rlpDecode, rlpEncode, type RlpItem } from '../codec/rlp.js';

/** Content-addressed storage: keccak256(bytes) → bytes. Holds trie nodes and contract code. */
export interface TrieNodeStore {
  get(hash: Uint8Array): Uint8Array | undefined;
}

/** A node store in memory, for tests, genesis and tools. */
export class MemoryNodeStore implements TrieNodeStore {
  private readonly map = new Map<string, Uint8Array>();

  put(hash: Uint8Array, bytes: Uint8Array): void {
    this.map.set(toHex(hash), bytes);
  }

  get(hash: Uint8Array): Uint8Array | undefined {
    return this.map.get(toHex(hash));
  }

  get size(): number {
    return this.map.size;
  }
}

/** keccak256(rlp('')) = 0x56e81f…b421, the root of a trie without keys. */
export const EMPTY_TRIE_ROOT: Uint8Array = keccak256(rlpEncode(new Uint8Array(0)));

/** A node the trie needs is not in the store (pruned, or never persisted). */
export class MissingNodeError extends Error {
  override name = 'MissingNodeError';
  readonly code = 'MISSING_TRIE_NODE';
  constructor(
    readonly hash: Uint8Array,
    what = 'trie node',
  ) {
    super(`${what} ${toHex(hash)} is not in the node store`);
  }
}

/** The store returned bytes that are not a valid trie node. */
export class InvalidNodeError extends Error {
  override name = 'InvalidNodeError';
  readonly code = 'INVALID_TRIE_NODE';
}

// ---------------------------------------------------------------------------------------------
// In-memory nodes. A node is clean once `ref` is set (it then equals what is stored or embedded)
// and is never mutated again; nodes created during a commit are dirty and owned by it.

const LEAF = 0;
const EXT = 1;
const BRANCH = 2;
const HASH = 3;

interface LeafNode {
  kind: typeof LEAF;
  path: Uint8Array; // nibbles
  value: Uint8Array;
  ref?: RlpItem; // 32-byte hash, or the node's own RLP item when embedded
}
interface ExtNode {
  kind: typeof EXT;
  path: Uint8Array;
  child: Child;
  ref?: RlpItem;
}
interface BranchNode {
  kind: typeof BRANCH;
  children: Array<Child | null>; // 16 slots
  value: Uint8Array | null;
  ref?: RlpItem;
}
/** A committed node known only by hash until first read; memoises its decoding. */
interface HashNode {
  kind: typeof HASH;
  hash: Uint8Array;
  resolved?: Node;
}
type Node = LeafNode | ExtNode | BranchNode;
type Child = Node | HashNode;

const EMPTY = new Uint8Array(0);

function toNibbles(key: Uint8Array): Uint8Array {
  const out = new Uint8Array(key.length * 2);
  for (let i = 0; i < key.length; i++) {
    out[2 * i] = key[i]! >> 4;
    out[2 * i + 1] = key[i]! & 15;
  }
  return out;
}

function commonPrefix(a: Uint8Array, b: Uint8Array): number {
  const n = a.length < b.length ? a.length : b.length;
  let i = 0;
  while (i < n && a[i] === b[i]) i++;
  return i;
}

/** Hex-prefix encoding (appendix C): flag nibble (2 = leaf, +1 = odd length), then the path. */
function hexPrefix(path: Uint8Array, leaf: boolean): Uint8Array {
  const odd = path.length & 1;
  const out = new Uint8Array((path.length >> 1) + 1);
  const flag = (leaf ? 2 : 0) + odd;
  let i = 0;
  if (odd) {
    out[0] = (flag << 4) | path[0]!;
    i = 1;
  } else {
    out[0] = flag << 4;
  }
  for (let o = 1; i < path.length; i += 2, o++) out[o] = (path[i]! << 4) | path[i + 1]!;
  return out;
}

function fromHexPrefix(encoded: Uint8Array): { path: Uint8Array; leaf: boolean } {
  if (encoded.length === 0) throw new InvalidNodeError('empty hex-prefix path');
  const flag = encoded[0]! >> 4;
  if (flag > 3) throw new InvalidNodeError(`bad hex-prefix flag ${flag}`);
  const odd = flag & 1;
  if (!odd && (encoded[0]! & 15) !== 0) throw new InvalidNodeError('bad hex-prefix padding');
  const all = toNibbles(encoded);
  return { path: all.subarray(odd ? 1 : 2), leaf: flag >= 2 };
}

function decodeNode(item: RlpItem, ref: RlpItem): Node {
  if (!Array.isArray(item)) throw new InvalidNodeError('trie node is not a list');
  if (item.length === 17) {
    const children: Array<Child | null> = new Array<Child | null>(16);
    for (let i = 0; i < 16; i++) children[i] = decodeChild(item[i]!);
    const v = item[16]!;
    if (!(v instanceof Uint8Array)) throw new InvalidNodeError('branch value is not bytes');
    return { kind: BRANCH, children, value: v.length === 0 ? null : v, ref };
  }
  if (item.length === 2) {
    const [p, second] = item;
    if (!(p instanceof Uint8Array)) throw new InvalidNodeError('node path is not bytes');
    const { path, leaf } = fromHexPrefix(p);
    if (leaf) {
      if (!(second instanceof Uint8Array) || second.length === 0) {
        throw new InvalidNodeError('leaf value is not non-empty bytes');
      }
      return { kind: LEAF, path, value: second, ref };
    }
    if (path.length === 0) throw new InvalidNodeError('extension with an empty path');
    const child = decodeChild(second!);
    if (child === null) throw new InvalidNodeError('extension without a child');
    return { kind: EXT, path, child, ref };
  }
  throw new InvalidNodeError(`trie node has ${item.length} items`);
}

function decodeChild(item: RlpItem): Child | null {
  if (Array.isArray(item)) return decodeNode(item, item);
  if (item.length === 0) return null;
  if (item.length === 32) return { kind: HASH, hash: item };
  throw new InvalidNodeError(`child reference of ${item.length} bytes`);
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
  /** Pending writes by hex key; an empty value is a pending delete. */
  private readonly dirty = new Map<string, { key: Uint8Array; value: Uint8Array }>();

  constructor(
    root: Uint8Array,
    private readonly store: TrieNodeStore,
  ) {
    if (root.length !== 32) throw new InvalidNodeError(`trie root of ${root.length} bytes`);
    this.committedRoot = root.slice();
    this.tree = equalBytes(root, EMPTY_TRIE_ROOT) ? null : { kind: HASH, hash: this.committedRoot };
  }

  /** The root as of the last commit (or construction). */
  get root(): Uint8Array {
    return this.committedRoot.slice();
  }

  /** A copy of the value at `key`, pending writes included; undefined when absent. */
  get(key: Uint8Array): Uint8Array | undefined {
    if (this.dirty.size > 0) {
      const pending = this.dirty.get(toHex(key));
      if (pending !== undefined)
        return pending.value.length === 0 ? undefined : pending.value.slice();
    }
    const nibbles = toNibbles(key);
    let node: Child | null = this.tree;
    let pos = 0;
    for (;;) {
      if (node === null) return undefined;
      const n = this.resolve(node);
      if (n.kind === LEAF) {
        return n.path.length === nibbles.length - pos &&
          commonPrefix(n.path, nibbles.subarray(pos)) === n.path.length
          ? n.value.slice()
          : undefined;
      }
      if (n.kind === EXT) {
        if (commonPrefix(n.path, nibbles.subarray(pos)) !== n.path.length) return undefined;
        pos += n.path.length;
        node = n.child;
      } else {
        if (pos === nibbles.length) return n.value?.slice();
        node = n.children[nibbles[pos]!]!;
        pos++;
      }
    }
  }

  /** Buffers a write; an empty value deletes the key. */
  put(key: Uint8Array, value: Uint8Array): void {
    this.dirty.set(toHex(key), { key: key.slice(), value: value.slice() });
  }

  del(key: Uint8Array): void {
    this.dirty.set(toHex(key), { key: key.slice(), value: EMPTY });
  }

  /**
   * Applies the pending writes in key order, hashes every changed node once and returns the
   * new root with the nodes to persist. On a MissingNodeError nothing changes.
   */
  commit(): TrieCommit {
    if (this.dirty.size === 0) return { root: this.root, nodes: [] };
    const writes = [...this.dirty.values()].sort((a, b) => compareBytes(a.key, b.key));
    let tree = this.tree;
    for (const w of writes) {
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
      if (ref instanceof Uint8Array) {
        root = ref;
      } else {
        // A root shorter than 32 bytes is still addressed by its hash, so it must be stored.
        const encoded = rlpEncode(ref);
        root = keccak256(encoded);
        nodes.push([root, encoded]);
      }
    }
    this.tree = tree;
    this.committedRoot = root;
    this.dirty.clear();
    return { root: root.slice(), nodes };
  }

  // -------------------------------------------------------------------------------------------

  private resolve(child: Child): Node {
    if (child.kind !== HASH) return child;
    if (child.resolved !== undefined) return child.resolved;
    const bytes = this.store.get(child.hash);
    if (bytes === undefined) throw new MissingNodeError(child.hash);
    let item: RlpItem;
    try {
      item = rlpDecode(bytes);
    } catch (e) {
      if (e instanceof DecodeError)
        throw new InvalidNodeError(`node ${toHex(child.hash)}: ${e.message}`);
      throw e;
    }
    const node = decodeNode(item, child.hash);
    child.resolved = node;
    return node;
  }

  /** Returns the subtree with `path[pos..]` set to `value`; `child` itself when unchanged. */
  private insert(child: Child | null, path: Uint8Array, pos: number, value: Uint8Array): Child {
    if (child === null) return { kind: LEAF, path: path.subarray(pos), value };
    const node = this.resolve(child);
    const rest = path.subarray(pos);
    if (node.kind === BRANCH) {
      if (rest.length === 0) {
        if (node.value !== null && equalBytes(node.value, value)) return child;
        const b = this.own(node);
        b.value = value;
        return b;
      }
      const slot = rest[0]!;
      const old = node.children[slot]!;
      const updated = this.insert(old, path, pos + 1, value);
      if (updated === old) return child;
      const b = this.own(node);
      b.children[slot] = updated;
      return b;
    }
    const common = commonPrefix(node.path, rest);
    if (node.kind === LEAF) {
      if (common === node.path.length && common === rest.length) {
        return equalBytes(node.value, value) ? child : { kind: LEAF, path: node.path, value };
      }
    } else if (common === node.path.length) {
      const updated = this.insert(node.child, path, pos + common, value);
      if (updated === node.child) return child;
      return { kind: EXT, path: node.path, child: updated };
    }
    // The paths diverge at `common`: a branch there holds both sides.
    const branch: BranchNode = {
      kind: BRANCH,
      children: new Array<Child | null>(16).fill(null),
      value: null,
    };
    if (common === node.path.length) {
      branch.value = (node as LeafNode).value; // only a leaf can end here
    } else {
      const slot = node.path[common]!;
      const tail = node.path.subarray(common + 1);
      if (node.kind === LEAF) branch.children[slot] = { kind: LEAF, path: tail, value: node.value };
      else
        branch.children[slot] =
          tail.length === 0 ? node.child : { kind: EXT, path: tail, child: node.child };
    }
    if (common === rest.length) branch.value = value;
    else branch.children[rest[common]!] = { kind: LEAF, path: rest.subarray(common + 1), value };
    return common === 0 ? branch : { kind: EXT, path: rest.subarray(0, common), child: branch };
  }

  /** Returns the subtree without `path[pos..]`; the same object when the key is absent. */
  private remove(child: Child | null, path: Uint8Array, pos: number): Child | null {
    if (child === null) return null;
    const node = this.resolve(child);
    const rest = path.subarray(pos);
    if (node.kind === LEAF) {
      return node.path.length === rest.length && commonPrefix(node.path, rest) === rest.length
        ? null
        : child;
    }
    if (node.kind === EXT) {
      if (commonPrefix(node.path, rest) !== node.path.length) return child;
      const updated = this.remove(node.child, path, pos + node.path.length);
      if (updated === node.child) return child;
      // A branch below an extension keeps at least one entry after a delete.
      return this.joinExt(node.path, updated!);
    }
    let b: BranchNode;
    if (rest.length === 0) {
      if (node.value === null) return child;
      b = this.own(node);
      b.value = null;
    } else {
      const slot = rest[0]!;
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
    if (only < 0) return { kind: LEAF, path: EMPTY, value: b.value! };
    return this.joinExt(Uint8Array.of(only), b.children[only]!);
  }

  /** `path` followed by `child`, merged so that no extension points to a leaf or extension. */
  private joinExt(path: Uint8Array, child: Child): Node {
    const c = this.resolve(child);
    if (c.kind === LEAF) return { kind: LEAF, path: concatBytes(path, c.path), value: c.value };
    if (c.kind === EXT) return { kind: EXT, path: concatBytes(path, c.path), child: c.child };
    return { kind: EXT, path, child };
  }

  /** A dirty branch to mutate: the node itself if this commit created it, else a copy. */
  private own(node: BranchNode): BranchNode {
    if (node.ref === undefined) return node;
    return { kind: BRANCH, children: node.children.slice(), value: node.value };
  }

  /** Encodes dirty nodes bottom-up; returns the reference a parent embeds (hash or item). */
  private hashNode(node: Node, out: Array<[Uint8Array, Uint8Array]>): RlpItem {
    if (node.ref !== undefined) return node.ref;
    let item: RlpItem[];
    if (node.kind === LEAF) {
      item = [hexPrefix(node.path, true), node.value];
    } else if (node.kind === EXT) {
      item = [hexPrefix(node.path, false), this.childRef(node.child, out)];
    } else {
      item = new Array<RlpItem>(17);
      for (let i = 0; i < 16; i++) {
        const c = node.children[i]!;
        item[i] = c === null ? EMPTY : this.childRef(c, out);
      }
      item[16] = node.value ?? EMPTY;
    }
    const encoded = rlpEncode(item);
    if (encoded.length < 32) {
      node.ref = item;
    } else {
      const hash = keccak256(encoded);
      out.push([hash, encoded]);
      node.ref = hash;
    }
    return node.ref;
  }

  private childRef(c: Child, out: Array<[Uint8Array, Uint8Array]>): RlpItem {
    return c.kind === HASH ? c.hash : this.hashNode(c, out);
  }
}

/** Ethereum's transactionsRoot / receiptsRoot: the trie of rlp(index) → value. */
export function orderedTrieRoot(values: Uint8Array[]): Uint8Array {
  const trie = new Trie(EMPTY_TRIE_ROOT, NO_NODES);
  for (let i = 0; i < values.length; i++) trie.put(rlpEncode(BigInt(i)), values[i]!);
  return trie.commit().root;
}

const NO_NODES: TrieNodeStore = { get: () => undefined };
