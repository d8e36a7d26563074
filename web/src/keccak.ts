/** keccak-256 in the browser: @noble/hashes, the reference the node's own keccak is checked against. */
import { keccak_256 } from '@noble/hashes/sha3';

export const KECCAK_IMPLEMENTATION = 'js';

export function keccak256(data: Uint8Array): Uint8Array {
  return keccak_256(data);
}
