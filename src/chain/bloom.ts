/** Ethereum's 2048-bit logs bloom: three 11-bit indices from keccak256 of each address and topic. */
import { keccak256 } from '../crypto/keccak.js';

export const BLOOM_BYTES = 256;

export function addToBloom(bloom: Uint8Array, value: Uint8Array): void {
  const h = keccak256(value);
  for (let i = 0; i < 6; i += 2) {
    const bit = ((h[i]! << 8) | h[i + 1]!) & 2047;
    bloom[BLOOM_BYTES - 1 - (bit >> 3)]! |= 1 << (bit & 7);
  }
}

export function orBloom(into: Uint8Array, other: Uint8Array): void {
  for (let i = 0; i < BLOOM_BYTES; i++) into[i]! |= other[i]!;
}

/** Whether every bit of `value`'s bloom entry is set (may be a false positive, never a false negative). */
export function bloomMayContain(bloom: Uint8Array, value: Uint8Array): boolean {
  const probe = new Uint8Array(BLOOM_BYTES);
  addToBloom(probe, value);
  for (let i = 0; i < BLOOM_BYTES; i++) if ((bloom[i]! & probe[i]!) !== probe[i]) return false;
  return true;
}
