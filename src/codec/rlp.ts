/**
 * RLP: an encoder and a strict decoder written over rlp-writer.ts, byte for byte and rule for
 * rule the @ethereumjs/rlp library's (test/codec/rlp.test.ts compares them; the library still
 * encodes the rare string item), plus typed readers that turn a decoded item into fields or
 * throw a DecodeError. Every peer-supplied byte string goes through these readers before any
 * work.
 */
import { EtmError } from '../primitives/errors.js';
import { RLP } from '@ethereumjs/rlp';
import { bytesToBigint, concatBytes } from '../crypto/bytes.js';
import {
  rlpBytesLength,
  rlpListHeaderLength,
  rlpUintLength,
  writeRlpBytes,
  writeRlpListHeader,
  writeRlpUint,
} from './rlp-writer.js';

export type RlpItem = Uint8Array | RlpItem[];
export type RlpInput = Uint8Array | bigint | number | string | null | RlpInput[];

export class DecodeError extends EtmError<'decode'> {
  override name = 'DecodeError';

  constructor(message: string, options?: ErrorOptions) {
    super('decode', message, options);
  }
}

/**
 * RLP of `input`. Byte strings, unsigned bigints, safe non-negative numbers, null (the empty
 * string) and lists of them, which is what every record and message here encodes, are written
 * in two passes into one buffer (rlp-writer.ts); anything else (a string) goes to the library.
 * `typeByte`, when given, is written before the RLP in the same buffer (EIP-2718: a typed
 * transaction's or receipt's type ‖ RLP).
 */
export function rlpEncode(input: RlpInput, typeByte?: number): Uint8Array {
  const lists: number[] = [];
  const n = measure(input, lists);
  const at = typeByte === undefined ? 0 : 1;
  if (n < 0) {
    const body = RLP.encode(input as Parameters<typeof RLP.encode>[0]);
    return at === 0 ? body : concatBytes(Uint8Array.of(typeByte!), body);
  }
  const out = new Uint8Array(at + n);
  if (at === 1) out[0] = typeByte!;
  write(out, at, input, lists, { next: 0 });
  return out;
}

/** An item as an unsigned integer, or null when it is not one this path writes. */
function uintOf(x: RlpInput): bigint | null {
  if (typeof x === 'bigint') {
    if (x < 0n) throw new RangeError('RLP: negative integer');
    return x;
  }
  if (typeof x === 'number') {
    if (!Number.isSafeInteger(x) || x < 0) throw new RangeError(`RLP: invalid integer ${x}`);
    return BigInt(x);
  }
  return null;
}

/** Encoded length of `x` (-1: not for this path); list payload lengths go to `lists` in order. */
function measure(x: RlpInput, lists: number[]): number {
  if (x instanceof Uint8Array) return rlpBytesLength(x);
  if (x === null) return 1;
  if (Array.isArray(x)) {
    const at = lists.length;
    lists.push(0);
    let payload = 0;
    for (const item of x) {
      const n = measure(item, lists);
      if (n < 0) return -1;
      payload += n;
    }
    lists[at] = payload;
    return rlpListHeaderLength(payload) + payload;
  }
  const v = uintOf(x);
  return v === null ? -1 : rlpUintLength(v);
}

function write(
  out: Uint8Array,
  pos: number,
  x: RlpInput,
  lists: readonly number[],
  cursor: { next: number },
): number {
  if (x instanceof Uint8Array) return writeRlpBytes(out, pos, x);
  if (x === null) return writeRlpBytes(out, pos, EMPTY);
  if (Array.isArray(x)) {
    pos = writeRlpListHeader(out, pos, lists[cursor.next++]!);
    for (const item of x) pos = write(out, pos, item, lists, cursor);
    return pos;
  }
  return writeRlpUint(out, pos, uintOf(x)!);
}

const EMPTY = new Uint8Array(0);

/**
 * Decodes one RLP item that must span `bytes` exactly, with the library's rules: canonical
 * lengths only (no single byte below 0x80 behind a prefix, no long form for a short payload, no
 * leading zero in a length), every item inside its list. Byte strings are copies of `bytes`,
 * or views into it with `views` (for a caller that owns `bytes` and keeps it as long as the
 * items: a decoded transaction holds its own encoding). Empty input decodes to the empty string,
 * as the library's does. Throws DecodeError. Index-based: no list payload is copied on the way
 * down.
 */
export function rlpDecode(bytes: Uint8Array, views = false): RlpItem {
  if (bytes.length === 0) return new Uint8Array(0);
  const item = decodeAt(bytes, 0, bytes.length, views);
  if (decodedTo !== bytes.length) throw new DecodeError('invalid RLP: remainder must be zero');
  return item;
}

/** Where the item decodeAt last returned ends (decoding is synchronous: no object per item). */
let decodedTo = 0;

function bytesAt(bytes: Uint8Array, start: number, stop: number, views: boolean): Uint8Array {
  decodedTo = stop;
  return views ? bytes.subarray(start, stop) : bytes.slice(start, stop);
}

/** The item at `at`, which must end by `end` (its list's end, or the input's). */
function decodeAt(bytes: Uint8Array, at: number, end: number, views: boolean): RlpItem {
  const b = bytes[at]!;
  if (b < 0x80) return bytesAt(bytes, at, at + 1, views);
  if (b <= 0xb7) {
    const n = b - 0x80;
    if (at + 1 + n > end) throw new DecodeError('invalid RLP: string runs past its end');
    if (n === 1 && bytes[at + 1]! < 0x80)
      throw new DecodeError('invalid RLP: single byte < 0x80 must not be prefixed');
    return bytesAt(bytes, at + 1, at + 1 + n, views);
  }
  if (b <= 0xbf) {
    const start = at + 1 + (b - 0xb7);
    const n = longLength(bytes, at + 1, start, end);
    if (n <= 55) throw new DecodeError('invalid RLP: expected string length to be greater than 55');
    if (start + n > end) throw new DecodeError('invalid RLP: string runs past its end');
    return bytesAt(bytes, start, start + n, views);
  }
  let start: number;
  let n: number;
  if (b <= 0xf7) {
    start = at + 1;
    n = b - 0xc0;
  } else {
    start = at + 1 + (b - 0xf7);
    n = longLength(bytes, at + 1, start, end);
    if (n < 56) throw new DecodeError('invalid RLP: encoded list too short');
  }
  const stop = start + n;
  if (stop > end) throw new DecodeError('invalid RLP: list runs past its end');
  const items: RlpItem[] = [];
  for (let p = start; p < stop; p = decodedTo) items.push(decodeAt(bytes, p, stop, views));
  decodedTo = stop;
  return items;
}

/** A long form's length, big-endian in bytes[from, to): no leading zero, inside `end`. */
function longLength(bytes: Uint8Array, from: number, to: number, end: number): number {
  if (to > end) throw new DecodeError('invalid RLP: not enough bytes for the length');
  if (bytes[from] === 0) throw new DecodeError('invalid RLP: extra zeros');
  // Over 6 bytes the length exceeds any input (2^48); it is refused below as running past.
  let n = 0;
  for (let i = from; i < to; i++) n = n * 256 + bytes[i]!;
  return n;
}

export function asList(item: RlpItem | undefined, what: string, length?: number): RlpItem[] {
  if (!Array.isArray(item)) throw new DecodeError(`${what}: expected a list`);
  if (length !== undefined && item.length !== length) {
    throw new DecodeError(`${what}: expected ${length} items, got ${item.length}`);
  }
  return item;
}

export function asBytes(item: RlpItem | undefined, what: string, length?: number): Uint8Array {
  if (!(item instanceof Uint8Array)) throw new DecodeError(`${what}: expected bytes`);
  if (length !== undefined && item.length !== length) {
    throw new DecodeError(`${what}: expected ${length} bytes, got ${item.length}`);
  }
  return item;
}

/** Canonical unsigned integer: no leading zero byte, at most maxBytes long. */
export function asUint(item: RlpItem | undefined, what: string, maxBytes = 32): bigint {
  const b = asBytes(item, what);
  if (b.length > maxBytes) throw new DecodeError(`${what}: integer longer than ${maxBytes} bytes`);
  if (b.length > 0 && b[0] === 0) throw new DecodeError(`${what}: integer has a leading zero`);
  return bytesToBigint(b);
}

/** Where an RLP item at `at` starts its payload, how long the payload is, and whether a list. */
function itemAt(bytes: Uint8Array, at: number): { list: boolean; start: number; end: number } {
  const b = bytes[at];
  if (b === undefined) throw new DecodeError('RLP: unexpected end of input');
  let list = false;
  let start = at + 1;
  let length: number;
  if (b < 0x80) {
    start = at;
    length = 1;
  } else if (b <= 0xb7) length = b - 0x80;
  else if (b < 0xc0 || b > 0xf7) {
    // A long string (0xb8–0xbf) or a long list (0xf8–0xff): the length of the length first.
    list = b > 0xf7;
    const ll = b - (list ? 0xf7 : 0xb7);
    if (ll > 6 || at + 1 + ll > bytes.length) throw new DecodeError('RLP: bad length prefix');
    length = 0;
    for (let i = 0; i < ll; i++) length = length * 256 + bytes[at + 1 + i]!;
    start = at + 1 + ll;
  } else {
    list = true;
    length = b - 0xc0;
  }
  const end = start + length;
  if (end > bytes.length) throw new DecodeError('RLP: item runs past the end of the input');
  return { list, start, end };
}

/**
 * The encoding of the first item of an RLP list, found without decoding the rest (a block's
 * header ahead of its transactions). Throws DecodeError.
 */
export function rlpFirstItem(bytes: Uint8Array): Uint8Array {
  const outer = itemAt(bytes, 0);
  if (!outer.list || outer.start >= outer.end)
    throw new DecodeError('RLP: expected a non-empty list');
  const first = itemAt(bytes, outer.start);
  if (first.end > outer.end) throw new DecodeError('RLP: item runs past its list');
  return bytes.subarray(outer.start, first.end);
}

/**
 * Where the `index`-th item of the RLP list `list` starts in it, found by reading the headers of
 * the items before it (index = the item count gives the list's end). For an encoding already
 * decoded strictly: its leading items can then be taken as bytes, without encoding them again
 * (a transaction's signing payload). Throws DecodeError when the list has fewer items.
 */
export function rlpItemOffset(list: Uint8Array, index: number): number {
  const outer = itemAt(list, 0);
  if (!outer.list) throw new DecodeError('RLP: expected a list');
  let at = outer.start;
  for (let i = 0; i < index; i++) {
    if (at >= outer.end) throw new DecodeError(`RLP: list has fewer than ${index} items`);
    at = itemAt(list, at).end;
    if (at > outer.end) throw new DecodeError('RLP: item runs past its list');
  }
  return at;
}
