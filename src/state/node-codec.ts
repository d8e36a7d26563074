/**
 * Trie nodes in memory and their encoding (Yellow Paper appendix D): leaves
 * `[hp(path, leaf), value]`, extensions `[hp(path), child]` and branches `[c0 … c15, value]`.
 *
 * Encoding writes each node straight into one buffer (payload length first, then header and
 * items), byte-identical to rlpEncode of the item lists. Decoding is a strict RLP reader over the
 * node's bytes that builds the node without copying its items; it accepts exactly the canonical
 * encodings @ethereumjs/rlp accepts and throws InvalidNodeError for anything else.
 */
import { EtmError } from '../primitives/errors.js';
import {
  allocBytes,
  rlpBytesLength,
  rlpListHeaderLength,
  rlpStringHeaderLength,
  writeRlpBytes,
  writeRlpListHeader,
  writeRlpStringHeader,
} from '../codec/rlp-writer.js';

/** The store returned bytes that are not a valid trie node. */
export class InvalidNodeError extends EtmError<'INVALID_TRIE_NODE'> {
  override name = 'InvalidNodeError';

  constructor(message: string) {
    super('INVALID_TRIE_NODE', message);
  }
}

// ---------------------------------------------------------------------------------------------
// In-memory nodes. A node is clean once `ref` is set (it then equals what is stored or embedded)
// and is never mutated again; nodes created during a commit are dirty and owned by it. `ref` is
// the node's 32-byte hash, or its own encoding when that is shorter than 32 bytes (embedded in
// its parent): the two never have the same length.

export const LEAF = 0;
export const EXT = 1;
export const BRANCH = 2;
export const HASH = 3;

export interface LeafNode {
  kind: typeof LEAF;
  path: Uint8Array; // nibbles
  value: Uint8Array;
  ref: Uint8Array | undefined; // 32-byte hash, or own encoding (< 32 bytes) when embedded
}
export interface ExtNode {
  kind: typeof EXT;
  path: Uint8Array;
  child: Child;
  ref: Uint8Array | undefined;
}
export interface BranchNode {
  kind: typeof BRANCH;
  children: Array<Child | null>; // 16 slots
  value: Uint8Array | null;
  ref: Uint8Array | undefined;
}
/**
 * A committed node known only by hash until first read. Without a node cache it memoises its
 * decoding; with one it stays immutable (decoded nodes, and so their HashNodes, are shared).
 */
export interface HashNode {
  kind: typeof HASH;
  hash: Uint8Array;
  resolved: Node | undefined;
}
export type Node = LeafNode | ExtNode | BranchNode;
export type Child = Node | HashNode;

// Every node of a kind is built here, with all its fields, so each kind keeps one hidden class.
export function leafNode(path: Uint8Array, value: Uint8Array, ref?: Uint8Array): LeafNode {
  return { kind: LEAF, path, value, ref };
}
export function extNode(path: Uint8Array, child: Child, ref?: Uint8Array): ExtNode {
  return { kind: EXT, path, child, ref };
}
export function branchNode(
  children: Array<Child | null>,
  value: Uint8Array | null,
  ref?: Uint8Array,
): BranchNode {
  return { kind: BRANCH, children, value, ref };
}
export function hashChild(hash: Uint8Array): HashNode {
  return { kind: HASH, hash, resolved: undefined };
}

// ---------------------------------------------------------------------------------------------
// Node encoding, written straight into one buffer per node (byte-identical to rlpEncode of the
// item lists [hp(path), value], [hp(path), child] and [c0 … c15, value]).

/** Bytes a child reference takes in its parent: a hash as a 33-byte string, else verbatim. */
function refLength(ref: Uint8Array): number {
  return ref.length === 32 ? 33 : ref.length;
}

function writeRef(out: Uint8Array, pos: number, ref: Uint8Array): number {
  if (ref.length === 32) out[pos++] = 0xa0;
  out.set(ref, pos);
  return pos + ref.length;
}

/** Length of rlp(hp(path)); a one-byte hex-prefix is below 0x40, so it is its own encoding. */
function hpLength(path: Uint8Array): number {
  const n = (path.length >> 1) + 1;
  return n === 1 ? 1 : rlpStringHeaderLength(n) + n;
}

/** Writes rlp(hp(path, leaf)) (appendix C: flag nibble 2 = leaf, +1 = odd length, then path). */
function writeHp(out: Uint8Array, pos: number, path: Uint8Array, leaf: boolean): number {
  const n = (path.length >> 1) + 1;
  if (n > 1) pos = writeRlpStringHeader(out, pos, n);
  const odd = path.length & 1;
  const flag = (leaf ? 2 : 0) + odd;
  let i = 0;
  if (odd) {
    out[pos++] = (flag << 4) | path[0]!;
    i = 1;
  } else {
    out[pos++] = flag << 4;
  }
  for (; i < path.length; i += 2) out[pos++] = (path[i]! << 4) | path[i + 1]!;
  return pos;
}

export function encodeLeaf(path: Uint8Array, value: Uint8Array): Uint8Array {
  const payload = hpLength(path) + rlpBytesLength(value);
  const out = allocBytes(rlpListHeaderLength(payload) + payload);
  writeRlpBytes(out, writeHp(out, writeRlpListHeader(out, 0, payload), path, true), value);
  return out;
}

export function encodeExt(path: Uint8Array, child: Uint8Array): Uint8Array {
  const payload = hpLength(path) + refLength(child);
  const out = allocBytes(rlpListHeaderLength(payload) + payload);
  writeRef(out, writeHp(out, writeRlpListHeader(out, 0, payload), path, false), child);
  return out;
}

/** The reference of a child whose own reference is already computed. */
function refOf(c: Child): Uint8Array {
  return c.kind === HASH ? c.hash : c.ref!;
}

/** Encodes a branch whose children all have their references set. */
export function encodeBranch(children: Array<Child | null>, value: Uint8Array | null): Uint8Array {
  let payload = value === null ? 1 : rlpBytesLength(value);
  for (let i = 0; i < 16; i++) {
    const c = children[i]!;
    payload += c === null ? 1 : refLength(refOf(c));
  }
  const out = allocBytes(rlpListHeaderLength(payload) + payload);
  let pos = writeRlpListHeader(out, 0, payload);
  for (let i = 0; i < 16; i++) {
    const c = children[i]!;
    if (c === null) out[pos++] = 0x80;
    else pos = writeRef(out, pos, refOf(c));
  }
  if (value === null) out[pos] = 0x80;
  else writeRlpBytes(out, pos, value);
  return out;
}

// ---------------------------------------------------------------------------------------------
// Node decoding without copies: a strict RLP reader over the node's bytes (one copy per stored
// node) that builds the node directly. It accepts exactly the canonical encodings
// @ethereumjs/rlp accepts, and throws InvalidNodeError for anything else.

/** Payload bounds of the item read last by readItem (single-threaded and synchronous). */
let itemStart = 0;
let itemEnd = 0;

/** Reads the item header at `pos` within `[pos, end)`; returns true for a list. */
function readItem(buf: Uint8Array, pos: number, end: number): boolean {
  if (pos >= end) throw new InvalidNodeError('truncated RLP item');
  const b = buf[pos]!;
  let list = false;
  let len: number;
  let start: number;
  if (b < 0x80) {
    itemStart = pos;
    itemEnd = pos + 1;
    return false;
  } else if (b <= 0xb7) {
    len = b - 0x80;
    start = pos + 1;
    if (len === 1 && start < end && buf[start]! < 0x80) {
      throw new InvalidNodeError('non-canonical RLP: single byte below 0x80 with a prefix');
    }
  } else if (b <= 0xbf) {
    const ll = b - 0xb7;
    len = readLength(buf, pos + 1, ll, end);
    start = pos + 1 + ll;
  } else if (b <= 0xf7) {
    list = true;
    len = b - 0xc0;
    start = pos + 1;
  } else {
    list = true;
    const ll = b - 0xf7;
    len = readLength(buf, pos + 1, ll, end);
    start = pos + 1 + ll;
  }
  if (start + len > end) throw new InvalidNodeError('RLP item longer than its container');
  itemStart = start;
  itemEnd = start + len;
  return list;
}

function readLength(buf: Uint8Array, pos: number, ll: number, end: number): number {
  if (pos + ll > end) throw new InvalidNodeError('truncated RLP length');
  if (buf[pos] === 0) throw new InvalidNodeError('non-canonical RLP: length with a leading zero');
  let n = 0;
  for (let i = 0; i < ll; i++) n = n * 256 + buf[pos + i]!;
  if (n < 56) throw new InvalidNodeError('non-canonical RLP: long form for a short length');
  return n;
}

/** Nibbles of a hex-prefix path (appendix C), rejecting bad flags and padding. */
function fromHexPrefix(
  buf: Uint8Array,
  start: number,
  end: number,
): { path: Uint8Array; leaf: boolean } {
  if (end === start) throw new InvalidNodeError('empty hex-prefix path');
  const flag = buf[start]! >> 4;
  if (flag > 3) throw new InvalidNodeError(`bad hex-prefix flag ${flag}`);
  const odd = flag & 1;
  if (!odd && (buf[start]! & 15) !== 0) throw new InvalidNodeError('bad hex-prefix padding');
  const path = new Uint8Array((end - start - 1) * 2 + odd);
  let o = 0;
  if (odd) path[o++] = buf[start]! & 15;
  for (let i = start + 1; i < end; i++) {
    path[o++] = buf[i]! >> 4;
    path[o++] = buf[i]! & 15;
  }
  return { path, leaf: flag >= 2 };
}

/** Decodes the node encoded exactly in `buf[start, end)`; `ref` is its hash or its bytes. */
export function decodeNode(buf: Uint8Array, start: number, end: number, ref: Uint8Array): Node {
  if (!readItem(buf, start, end)) throw new InvalidNodeError('trie node is not a list');
  if (itemEnd !== end) throw new InvalidNodeError('trailing bytes after the trie node');
  const listStart = itemStart;
  let count = 0;
  for (let pos = listStart; pos < end; pos = itemEnd) {
    readItem(buf, pos, end);
    count++;
  }
  if (count === 17) {
    const children: Array<Child | null> = new Array<Child | null>(16);
    let pos = listStart;
    for (let i = 0; i < 16; i++) pos = decodeChild(buf, pos, end, children, i);
    if (readItem(buf, pos, end)) throw new InvalidNodeError('branch value is not bytes');
    const value = itemEnd === itemStart ? null : buf.subarray(itemStart, itemEnd);
    return branchNode(children, value, ref);
  }
  if (count === 2) {
    if (readItem(buf, listStart, end)) throw new InvalidNodeError('node path is not bytes');
    const { path, leaf } = fromHexPrefix(buf, itemStart, itemEnd);
    const second = itemEnd;
    if (leaf) {
      if (readItem(buf, second, end) || itemEnd === itemStart) {
        throw new InvalidNodeError('leaf value is not non-empty bytes');
      }
      return leafNode(path, buf.subarray(itemStart, itemEnd), ref);
    }
    if (path.length === 0) throw new InvalidNodeError('extension with an empty path');
    const slot: Array<Child | null> = [null];
    decodeChild(buf, second, end, slot, 0);
    const child = slot[0]!;
    if (child === null) throw new InvalidNodeError('extension without a child');
    return extNode(path, child, ref);
  }
  throw new InvalidNodeError(`trie node has ${count} items`);
}

/** Decodes the child reference at `pos` into `into[i]`; returns the position after it. */
function decodeChild(
  buf: Uint8Array,
  pos: number,
  end: number,
  into: Array<Child | null>,
  i: number,
): number {
  if (readItem(buf, pos, end)) {
    const next = itemEnd;
    // Only a node whose encoding is shorter than 32 bytes may be embedded.
    if (next - pos >= 32) throw new InvalidNodeError(`embedded node of ${next - pos} bytes`);
    into[i] = decodeNode(buf, pos, next, buf.subarray(pos, next));
    return next;
  }
  const len = itemEnd - itemStart;
  if (len === 0) into[i] = null;
  else if (len === 32) into[i] = hashChild(buf.subarray(itemStart, itemEnd));
  else throw new InvalidNodeError(`child reference of ${len} bytes`);
  return itemEnd;
}
