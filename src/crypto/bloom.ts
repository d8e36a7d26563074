/** Ethereum's 2048-bit logs bloom: three 11-bit indices from keccak256 of each address and topic. */
import { BLOOM_BYTES } from '../primitives/receipt.js';
import { keccak256 } from './keccak.js';

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

/**
 * The three bits `value` sets in a bloom, as byte index and mask pairs (index₀, mask₀, index₁, …):
 * computed once, then checked against any number of blooms without hashing again.
 */
export type BloomProbe = readonly number[];

export function bloomProbe(value: Uint8Array): BloomProbe {
  const h = keccak256(value);
  const probe: number[] = [];
  for (let i = 0; i < 6; i += 2) {
    const bit = ((h[i]! << 8) | h[i + 1]!) & 2047;
    probe.push(BLOOM_BYTES - 1 - (bit >> 3), 1 << (bit & 7));
  }
  return probe;
}

/** Whether every bit of a probe is set (may be a false positive, never a false negative). */
export function bloomHas(bloom: Uint8Array, probe: BloomProbe): boolean {
  for (let i = 0; i < probe.length; i += 2)
    if ((bloom[probe[i]!]! & probe[i + 1]!) === 0) return false;
  return true;
}

/** Whether every bit of `value`'s bloom entry is set (may be a false positive, never a false negative). */
export function bloomMayContain(bloom: Uint8Array, value: Uint8Array): boolean {
  return bloomHas(bloom, bloomProbe(value));
}
