/**
 * Map keys for byte strings: one character per byte (a flat one-byte string, built in one
 * call). Injective like a hex string, but about four times cheaper to build and hash, which
 * matters for the per-write maps of the trie and the state.
 */
export function bytesKey(b: Uint8Array): string {
  if (b.length <= 256) return String.fromCharCode.apply(null, b as unknown as number[]);
  let s = '';
  for (let i = 0; i < b.length; i += 256) {
    s += String.fromCharCode.apply(null, b.subarray(i, i + 256) as unknown as number[]);
  }
  return s;
}
