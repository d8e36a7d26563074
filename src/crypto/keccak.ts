/**
 * keccak-256, the hash of every header, transaction, address, message and trie node.
 *
 * hash-wasm's WebAssembly keccak is 5-15x faster than the pure-JS @noble/hashes on the short
 * inputs a node hashes most (32-byte keys, trie nodes of up to 532 bytes), and hashing is the
 * largest share of block execution and state-root time (BENCHMARKS.md). It is checked against
 * @noble/hashes once at load; a mismatch stops the process rather than hash differently from
 * other nodes. ETM_KECCAK=js selects @noble/hashes (same digests, slower).
 */
import { createKeccak } from 'hash-wasm';
import { keccak_256 } from '@noble/hashes/sha3';
import { equalBytes } from './bytes.js';

async function loadWasm() {
  const hasher = await createKeccak(256);
  for (const probe of [new Uint8Array(0), new Uint8Array(200).fill(0xa5)]) {
    hasher.init();
    hasher.update(probe);
    if (!equalBytes(hasher.digest('binary'), keccak_256(probe)))
      throw new Error('hash-wasm keccak-256 disagrees with @noble/hashes; refusing to run');
  }
  return hasher;
}

/** One instance per thread; a hash is synchronous, so calls never interleave. */
const wasm = process.env.ETM_KECCAK === 'js' ? null : await loadWasm();

/** Which implementation this process uses: 'wasm' (hash-wasm) or 'js' (@noble/hashes). */
export const KECCAK_IMPLEMENTATION: 'wasm' | 'js' = wasm ? 'wasm' : 'js';

export function keccak256(data: Uint8Array): Uint8Array {
  if (wasm === null) return keccak_256(data);
  wasm.init();
  wasm.update(data);
  return wasm.digest('binary');
}
