/**
 * A Merkle Patricia Trie built from keys given in ascending order, the way a genesis of
 * millions of accounts is written: each subtree is encoded, hashed and handed to `emit` as
 * soon as no later key can fall into it, so the builder holds only the open branches on the
 * path to the last key (at most one per nibble of the key) instead of the whole tree.
 *
 * With prefix-free keys k0 < k1 < …, and p(i) the number of nibbles k(i-1) and k(i) share,
 * the leaf of k(i) hangs from a branch at nibble max(p(i), p(i+1)) and every branch deeper than
 * p(i+1) is complete once k(i) is in. So the builder looks one key ahead: `add` places the key
 * before the one it is given. Nodes and the root are byte-identical to what a Trie (trie.ts)
 * holding the same keys and values commits, and nodes are emitted children before parents (two
 * equal subtrees under different prefixes twice); the root is emitted even when its encoding
 * is shorter than 32 bytes.
 */
import { EtmError } from '../primitives/errors.js';
import { compareBytes, equalBytes } from '../crypto/bytes.js';
import { rlpEncode } from '../codec/rlp.js';
import { keccak256 } from '../crypto/keccak.js';
import {
  encodeBranch,
  encodeExt,
  encodeLeaf,
  hashChild,
  leafNode,
  type Child,
} from './node-codec.js';
import { EMPTY_TRIE_ROOT } from './trie.js';

export class StackTrieError extends EtmError<'STACK_TRIE_INPUT'> {
  override name = 'StackTrieError';
  constructor(message: string) {
    super('STACK_TRIE_INPUT', message);
  }
}

/** A branch still open: its nibble depth and the references of the children placed so far. */
interface Open {
  depth: number;
  children: Array<Uint8Array | null>;
}

const NO_NIBBLES = new Uint8Array(0);

export class StackTrieBuilder {
  private readonly stack: Open[] = [];
  /** Branch objects popped from the stack, reused (the stack is at most one per nibble). */
  private readonly spare: Open[] = [];
  private pendingKey: Uint8Array | null = null;
  private pendingValue: Uint8Array | null = null;
  /** Nibbles the pending key shares with the one before it; -1 for the first key. */
  private pendingShared = -1;
  private root: Uint8Array | null = null;
  private count = 0;

  /** `emit(hash, encoding)` receives every node of 32 bytes or more, and the root. */
  constructor(private readonly emit: (hash: Uint8Array, encoded: Uint8Array) => void) {}

  /** Keys added so far. */
  get size(): number {
    return this.count;
  }

  /**
   * Adds `key` with `value` (non-empty). Keys must be strictly ascending and prefix-free (as keys
   * of one length are). The
   * builder keeps `key` and `value` until the next call or finish(): they must not change.
   */
  add(key: Uint8Array, value: Uint8Array): void {
    if (this.root !== null) throw new StackTrieError('add after finish');
    if (value.length === 0) throw new StackTrieError('empty value (a trie holds no empty values)');
    const prev = this.pendingKey;
    let shared = -1;
    if (prev !== null) {
      if (compareBytes(prev, key) >= 0) throw new StackTrieError('keys not strictly ascending');
      // A key that extends the one before would need a value in a branch: not supported.
      if (prev.length < key.length && equalBytes(prev, key.subarray(0, prev.length)))
        throw new StackTrieError('a key extends the key before it (keys must be prefix-free)');
      shared = sharedNibbles(prev, key);
      this.place(prev, this.pendingValue!, this.pendingShared, shared);
    } else if (key.length === 0) {
      throw new StackTrieError('empty key');
    }
    this.pendingKey = key;
    this.pendingValue = value;
    this.pendingShared = shared;
    this.count++;
  }

  /** Closes the trie and returns its root (EMPTY_TRIE_ROOT without keys). */
  finish(): Uint8Array {
    if (this.root !== null) return this.root.slice();
    const key = this.pendingKey;
    if (key === null) {
      this.root = EMPTY_TRIE_ROOT.slice();
    } else if (this.pendingShared < 0) {
      // One key: the root is its leaf, with the whole key as path.
      this.root = this.rootOf(encodeLeaf(nibblesFrom(key, 0), this.pendingValue!));
    } else {
      this.place(key, this.pendingValue!, this.pendingShared, -1);
    }
    this.pendingKey = null;
    this.pendingValue = null;
    return this.root!.slice();
  }

  /**
   * Places the leaf of `key`, which shares `before` nibbles with the key before it and `after`
   * with the key after it (-1: none), then closes every branch deeper than `after`.
   */
  private place(key: Uint8Array, value: Uint8Array, before: number, after: number): void {
    const at = before > after ? before : after;
    const stack = this.stack;
    if (stack.length === 0 || stack[stack.length - 1]!.depth < at) this.open(at);
    const leaf = encodeLeaf(nibblesFrom(key, at + 1), value);
    stack[stack.length - 1]!.children[nibble(key, at)] = this.ref(leaf);
    while (stack.length > 0 && stack[stack.length - 1]!.depth > after) {
      const done = stack.pop()!;
      const encoded = encodeBranchOf(done.children);
      const depth = done.depth;
      done.children.fill(null);
      this.spare.push(done);
      if (after >= 0 && (stack.length === 0 || stack[stack.length - 1]!.depth < after)) {
        this.open(after);
      }
      const parentDepth = stack.length === 0 ? -1 : stack[stack.length - 1]!.depth;
      // The nibbles between the parent's slot and this branch become an extension.
      const path = nibblesBetween(key, parentDepth + 1, depth);
      if (stack.length === 0) {
        this.root = this.rootOf(path.length === 0 ? encoded : encodeExt(path, this.ref(encoded)));
        return;
      }
      const branch = this.ref(encoded);
      const ref = path.length === 0 ? branch : this.ref(encodeExt(path, branch));
      stack[stack.length - 1]!.children[nibble(key, parentDepth)] = ref;
    }
  }

  private open(depth: number): void {
    const o = this.spare.pop() ?? { depth, children: new Array<Uint8Array | null>(16).fill(null) };
    o.depth = depth;
    this.stack.push(o);
  }

  /** The reference a parent holds: the hash of an encoding of 32 bytes or more (emitted). */
  private ref(encoded: Uint8Array): Uint8Array {
    if (encoded.length < 32) return encoded;
    const hash = keccak256(encoded);
    this.emit(hash, encoded);
    return hash;
  }

  /** The root of a trie whose root node is `encoded`: its hash, emitted however short. */
  private rootOf(encoded: Uint8Array): Uint8Array {
    const hash = keccak256(encoded);
    this.emit(hash, encoded);
    return hash;
  }
}

function encodeBranchOf(children: Array<Uint8Array | null>): Uint8Array {
  const nodes: Array<Child | null> = children.map((r) =>
    r === null ? null : r.length === 32 ? hashChild(r) : leafNode(NO_NIBBLES, NO_NIBBLES, r),
  );
  return encodeBranch(nodes, null);
}

function nibble(key: Uint8Array, i: number): number {
  const b = key[i >> 1]!;
  return (i & 1) === 0 ? b >> 4 : b & 15;
}

/** The nibbles of `key` from `from` to its end. */
function nibblesFrom(key: Uint8Array, from: number): Uint8Array {
  return nibblesBetween(key, from, key.length * 2);
}

/** The nibbles of `key` in [from, to). */
function nibblesBetween(key: Uint8Array, from: number, to: number): Uint8Array {
  if (to <= from) return NO_NIBBLES;
  const out = new Uint8Array(to - from);
  for (let i = from; i < to; i++) out[i - from] = nibble(key, i);
  return out;
}

/** Nibbles `a` and `b` (different, neither a prefix of the other) share from the start. */
function sharedNibbles(a: Uint8Array, b: Uint8Array): number {
  let i = 0;
  while (a[i] === b[i]) i++;
  return (a[i]! >> 4 === b[i]! >> 4 ? 1 : 0) + 2 * i;
}

/**
 * Ethereum's transactionsRoot / receiptsRoot: the trie of rlp(index) → value (values non-empty),
 * built in key order without a trie in memory. In byte order rlp(1 … 127) = 0x01 … 0x7f come
 * first, then rlp(0) = 0x80, then rlp(128 …) = 0x81… , 0x82… in ascending index.
 */
export function orderedTrieRoot(values: readonly Uint8Array[]): Uint8Array {
  const builder = new StackTrieBuilder(() => {});
  const n = values.length;
  for (let i = 1; i < n && i < 128; i++) builder.add(rlpEncode(BigInt(i)), values[i]!);
  if (n > 0) builder.add(rlpEncode(0n), values[0]!);
  for (let i = 128; i < n; i++) builder.add(rlpEncode(BigInt(i)), values[i]!);
  return builder.finish();
}
