/**
 * RLP through @ethereumjs/rlp, plus typed readers that turn a decoded item into fields or throw
 * a DecodeError. Every peer-supplied byte string goes through these readers before any work.
 */
import { EtmError } from '../primitives/errors.js';
import { RLP } from '@ethereumjs/rlp';
import { bytesToBigint } from '../crypto/bytes.js';

export type RlpItem = Uint8Array | RlpItem[];
export type RlpInput = Uint8Array | bigint | number | string | null | RlpInput[];

export class DecodeError extends EtmError<'decode'> {
  override name = 'DecodeError';

  constructor(message: string, options?: ErrorOptions) {
    super('decode', message, options);
  }
}

export function rlpEncode(input: RlpInput): Uint8Array {
  return RLP.encode(input as Parameters<typeof RLP.encode>[0]);
}

export function rlpDecode(bytes: Uint8Array): RlpItem {
  try {
    return RLP.decode(bytes) as RlpItem;
  } catch (e) {
    throw new DecodeError(`invalid RLP: ${(e as Error).message}`);
  }
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
