import { keccak_256 } from '@noble/hashes/sha3';
import { describe, expect, it } from 'vitest';
import { toHex } from '../../src/crypto/bytes.js';
import { KECCAK_IMPLEMENTATION, keccak256 } from '../../src/crypto/keccak.js';

describe('keccak256', () => {
  it('uses the WebAssembly keccak unless ETM_KECCAK=js asks for the JS one', () => {
    expect(KECCAK_IMPLEMENTATION).toBe(process.env.ETM_KECCAK === 'js' ? 'js' : 'wasm');
  });

  it(`(${KECCAK_IMPLEMENTATION}) agrees with @noble/hashes on inputs of every length to 600 bytes`, () => {
    let seed = 12345;
    for (let len = 0; len <= 600; len++) {
      const data = new Uint8Array(len);
      for (let i = 0; i < len; i++) data[i] = (seed = (seed * 1103515245 + 12345) >>> 0) >>> 24;
      expect(toHex(keccak256(data))).toBe(toHex(keccak_256(data)));
    }
  });

  it('returns a fresh array each time, never a view the next hash overwrites', () => {
    const a = keccak256(Uint8Array.of(1));
    const copy = a.slice();
    const b = keccak256(Uint8Array.of(2));
    expect(a).toEqual(copy);
    expect(a).not.toEqual(b);
    a[0] = a[0]! ^ 0xff;
    expect(keccak256(Uint8Array.of(1))).toEqual(copy);
  });

  it('hashes views into larger buffers by their own bytes only', () => {
    const buf = Uint8Array.from({ length: 100 }, (_, i) => i);
    expect(toHex(keccak256(buf.subarray(10, 42)))).toBe(toHex(keccak_256(buf.slice(10, 42))));
  });
});
