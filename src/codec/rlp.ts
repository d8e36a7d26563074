/**
 * RLP through @ethereumjs/rlp, plus typed readers that turn a decoded item into fields or throw
 * a DecodeError. Every peer-supplied byte string goes through these readers before any work.
 */
import { RLP } from '@ethereumjs/rlp';
import { bytesToBigint } from '../crypto/bytes.js';

export type RlpItem = Uint8Array | RlpItem[];
export type RlpInput = Uint8Array | bigint | number | string | null | RlpInput[];

export class DecodeError extends Error {
  override name = 'DecodeError';
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
