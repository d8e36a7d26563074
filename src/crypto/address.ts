/** Account addresses as text: EIP-55 mixed-case checksums, as every Ethereum wallet shows them. */
import { EtmError } from '../primitives/errors.js';
import { keccak256 } from './keccak.js';
import { fromHex, toHex, utf8 } from './bytes.js';

export class AddressError extends EtmError<'address'> {
  override name = 'AddressError';

  constructor(message: string, options?: ErrorOptions) {
    super('address', message, options);
  }
}

/** EIP-55: hex digit i is upper case when nibble i of keccak256(lower-case hex) is >= 8. */
export function toChecksumAddress(addr: Uint8Array): string {
  if (addr.length !== 20) throw new AddressError(`address must be 20 bytes, got ${addr.length}`);
  const lower = toHex(addr).slice(2);
  const hash = keccak256(utf8(lower));
  let out = '0x';
  for (let i = 0; i < 40; i++) {
    const byte = hash[i >> 1]!;
    const nibble = i % 2 === 0 ? byte >> 4 : byte & 0x0f;
    out += nibble >= 8 ? lower[i]!.toUpperCase() : lower[i]!;
  }
  return out;
}

/**
 * Parses a 20-byte hex address (0x optional). All-lower or all-upper case is accepted as is;
 * mixed case must carry a valid EIP-55 checksum, which catches typing mistakes.
 */
export function parseAddress(text: string): Uint8Array {
  const body = text.startsWith('0x') || text.startsWith('0X') ? text.slice(2) : text;
  if (!/^[0-9a-fA-F]{40}$/.test(body)) {
    throw new AddressError(`not an address (expected 40 hex digits): ${text.slice(0, 50)}`);
  }
  const bytes = fromHex(body);
  const mixed = body !== body.toLowerCase() && body !== body.toUpperCase();
  if (mixed && toChecksumAddress(bytes).slice(2) !== body) {
    throw new AddressError(`address has an invalid EIP-55 checksum: ${text}`);
  }
  return bytes;
}
