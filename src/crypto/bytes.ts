/** Byte and hex helpers shared by every module. Hex strings are 0x-prefixed, lower case. */
import { bytesToHex as nobleToHex, hexToBytes as nobleFromHex } from '@noble/hashes/utils';

export type Bytes = Uint8Array;

export function toHex(bytes: Uint8Array): `0x${string}` {
  // Node's native encoder: ~25× faster than a JS loop on large data (an RPC reply of a block).
  return `0x${Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('hex')}`;
}

export function fromHex(hex: string): Uint8Array {
  const body = hex.startsWith('0x') || hex.startsWith('0X') ? hex.slice(2) : hex;
  const bytes = hexDigitsToBytes(body);
  if (bytes === null) throw new TypeError(`invalid hex string: ${hex.slice(0, 20)}`);
  return bytes;
}

/** Hex digits only (possibly none), either case. */
export const HEX_DIGITS = /^[0-9a-fA-F]*$/;

/**
 * The bytes of hex digits without a prefix, or null for an odd count or a character that is not
 * a hex digit, decoded by Node's native decoder. The digits are checked first: that decoder
 * reads a character above U+00FF by its low byte ('ａ', U+FF41, as 'a').
 */
export function hexDigitsToBytes(body: string): Uint8Array | null {
  if (body.length % 2 !== 0 || !HEX_DIGITS.test(body)) return null;
  const out = new Uint8Array(body.length >> 1);
  Buffer.from(out.buffer, out.byteOffset, out.length).write(body, 'hex');
  return out;
}

export function concatBytes(...parts: Uint8Array[]): Uint8Array {
  let length = 0;
  for (const p of parts) length += p.length;
  const out = new Uint8Array(length);
  let offset = 0;
  for (const p of parts) {
    out.set(p, offset);
    offset += p.length;
  }
  return out;
}

/** Byte strings this long are compared by Node's native memcmp (whole blocks, say). */
const NATIVE_COMPARE_BYTES = 4096;

export function equalBytes(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  if (a.length >= NATIVE_COMPARE_BYTES)
    return Buffer.from(a.buffer, a.byteOffset, a.length).equals(
      Buffer.from(b.buffer, b.byteOffset, b.length),
    );
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

/** Lexicographic byte order: the defined order for every sort by key. */
export function compareBytes(a: Uint8Array, b: Uint8Array): number {
  const n = a.length < b.length ? a.length : b.length;
  for (let i = 0; i < n; i++) {
    const d = a[i]! - b[i]!;
    if (d !== 0) return d;
  }
  return a.length - b.length;
}

/** Big-endian unsigned integer, minimal length (0 -> empty), as RLP wants it. */
export function bigintToBytes(value: bigint): Uint8Array {
  if (value < 0n) throw new RangeError('negative integer');
  if (value === 0n) return new Uint8Array(0);
  let hex = value.toString(16);
  if (hex.length % 2) hex = '0' + hex;
  return nobleFromHex(hex);
}

export function bytesToBigint(bytes: Uint8Array): bigint {
  const n = bytes.length;
  if (n === 0) return 0n;
  // Up to 4 bytes (nonces, gas, small amounts): a 32-bit integer, no hex string on the way.
  // (Bit operations only: amounts are never read through double arithmetic, exact or not.)
  if (n <= 4) {
    let x = 0;
    for (let i = 0; i < n; i++) x = ((x << 8) | bytes[i]!) >>> 0;
    return BigInt(x);
  }
  return BigInt('0x' + nobleToHex(bytes));
}

/** Fixed-width big-endian unsigned integer. */
export function bigintToFixed(value: bigint, width: number): Uint8Array {
  if (value < 0n || value >= 1n << BigInt(width * 8)) throw new RangeError('integer out of range');
  const out = new Uint8Array(width);
  let v = value;
  for (let i = width - 1; i >= 0; i--) {
    out[i] = Number(v & 0xffn);
    v >>= 8n;
  }
  return out;
}

export function uint64be(value: bigint | number): Uint8Array {
  return bigintToFixed(BigInt(value), 8);
}

export function utf8(text: string): Uint8Array {
  return new TextEncoder().encode(text);
}
