import { keccak_256 } from '@noble/hashes/sha3';

/** keccak-256, the hash of every header, transaction, address and message. */
export function keccak256(data: Uint8Array): Uint8Array {
  return keccak_256(data);
}
