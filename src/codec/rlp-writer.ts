/**
 * RLP written straight into a preallocated buffer, for hot encoders (trie nodes, accounts)
 * that know their items: compute the payload length with the *Length helpers, allocate once,
 * then write the list header and the items in order. The output is byte-identical to
 * rlpEncode of the same items; no intermediate arrays or per-item buffers are built.
 */

const SLAB_BYTES = 64 * 1024;
let slab = new Uint8Array(SLAB_BYTES);
let slabUsed = 0;

/**
 * A zeroed buffer of `n` bytes for an encoding, carved from a shared 64 KiB slab: a separate
 * ArrayBuffer per encoding costs an allocation and a GC-tracked backing store each, and a
 * block's state commit makes tens of thousands. The result is a view (byteOffset may be
 * non-zero), and it keeps its slab alive as long as it lives; sizes over 4 KiB get their own.
 */
export function allocBytes(n: number): Uint8Array {
  if (n > SLAB_BYTES >> 4) return new Uint8Array(n);
  if (slabUsed + n > SLAB_BYTES) {
    slab = new Uint8Array(SLAB_BYTES);
    slabUsed = 0;
  }
  const out = slab.subarray(slabUsed, slabUsed + n);
  slabUsed += n;
  return out;
}

/** Bytes taken by the big-endian length `n` in a long-form header (n < 2^32). */
function lengthOfLength(n: number): number {
  if (n > 0xffffffff) throw new RangeError(`RLP length ${n} too large`);
  let k = 0;
  for (let m = n; m > 0; m = m >>> 8) k++;
  return k;
}

function writeHeader(out: Uint8Array, pos: number, short: number, n: number): number {
  if (n < 56) {
    out[pos] = short + n;
    return pos + 1;
  }
  const k = lengthOfLength(n);
  out[pos] = short + 55 + k;
  for (let i = k; i >= 1; i--) out[pos + i] = (n >>> (8 * (k - i))) & 0xff;
  return pos + 1 + k;
}

/** Length of the header of a byte string of `n` bytes (not a single byte below 0x80). */
export function rlpStringHeaderLength(n: number): number {
  return n < 56 ? 1 : 1 + lengthOfLength(n);
}

/** Length of the header of a list whose items take `payload` bytes. */
export function rlpListHeaderLength(payload: number): number {
  return payload < 56 ? 1 : 1 + lengthOfLength(payload);
}

/** Length of the RLP encoding of the byte string `b`. */
export function rlpBytesLength(b: Uint8Array): number {
  const n = b.length;
  if (n === 1 && b[0]! < 0x80) return 1;
  return rlpStringHeaderLength(n) + n;
}

/** Writes the header of a byte string of `n` bytes at `pos`; returns the position after it. */
export function writeRlpStringHeader(out: Uint8Array, pos: number, n: number): number {
  return writeHeader(out, pos, 0x80, n);
}

/** Writes the header of a list with a `payload`-byte body at `pos`; returns the next position. */
export function writeRlpListHeader(out: Uint8Array, pos: number, payload: number): number {
  return writeHeader(out, pos, 0xc0, payload);
}

/** Writes the RLP encoding of the byte string `b` at `pos`; returns the next position. */
export function writeRlpBytes(out: Uint8Array, pos: number, b: Uint8Array): number {
  const n = b.length;
  if (n === 1 && b[0]! < 0x80) {
    out[pos] = b[0]!;
    return pos + 1;
  }
  const p = writeHeader(out, pos, 0x80, n);
  out.set(b, p);
  return p + n;
}

const MAX_SAFE = 0x1fffffffffffffn;

/** Bytes of the minimal big-endian form of the unsigned integer `v` (0 → 0 bytes). */
function uintByteLength(v: bigint): number {
  if (v < 0n) throw new RangeError('negative integer');
  if (v > MAX_SAFE) return (v.toString(16).length + 1) >> 1;
  let k = 0;
  // Exact integer arithmetic below 2^53, without a bigint per step.
  for (let n = Number(v); n > 0; n = (n - (n % 256)) / 256) k++;
  return k;
}

/** Length of the RLP encoding of the unsigned integer `v` (minimal big-endian bytes). */
export function rlpUintLength(v: bigint): number {
  const n = uintByteLength(v);
  if (n === 1 && v < 0x80n) return 1;
  return rlpStringHeaderLength(n) + n;
}

function hexDigit(c: number): number {
  return c <= 57 ? c - 48 : c - 87; // '0'-'9', 'a'-'f' (toString(16) is lower case)
}

/** Writes the RLP encoding of the unsigned integer `v` at `pos`; returns the next position. */
export function writeRlpUint(out: Uint8Array, pos: number, v: bigint): number {
  const n = uintByteLength(v);
  if (n === 1 && v < 0x80n) {
    out[pos] = Number(v);
    return pos + 1;
  }
  const p = writeHeader(out, pos, 0x80, n);
  if (v <= MAX_SAFE) {
    let w = Number(v);
    for (let i = p + n - 1; i >= p; i--) {
      const b = w % 256;
      out[i] = b;
      w = (w - b) / 256;
    }
  } else {
    // One native conversion instead of a bigint shift per byte.
    const hex = v.toString(16);
    let h = 0;
    let i = p;
    if (hex.length & 1) out[i++] = hexDigit(hex.charCodeAt(h++));
    for (; h < hex.length; h += 2) {
      out[i++] = (hexDigit(hex.charCodeAt(h)) << 4) | hexDigit(hex.charCodeAt(h + 1));
    }
  }
  return p + n;
}
