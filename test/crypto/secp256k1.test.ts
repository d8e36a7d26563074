import { describe, expect, it } from 'vitest';
import { fromHex, toHex } from '../../src/crypto/bytes.js';
import { keccak256 } from '../../src/crypto/keccak.js';
import {
  addressOf,
  generatePrivateKey,
  recoverAddress,
  sign,
  SignatureError,
  SECP256K1_N,
} from '../../src/crypto/secp256k1.js';
import { bigintToFixed } from '../../src/crypto/bytes.js';

describe('keccak256', () => {
  it('matches the known empty-input digest', () => {
    expect(toHex(keccak256(new Uint8Array()))).toBe(
      '0xc5d2460186f7233c927e7db2dcc703c0e500b653ca82273b7bfad8045d85a470',
    );
  });
});

describe('secp256k1 (native)', () => {
  it('derives the known address of private key 1', () => {
    const key = bigintToFixed(1n, 32);
    expect(toHex(addressOf(key))).toBe('0x7e5f4552091a69125d5dfcb7b8c2659029395bdf');
  });

  it('derives the first account of the standard test mnemonic', () => {
    const key = fromHex('0xac0974bec39a17e36ba4a6b4d238ff944bacb478cbed5efcae784d7bf4f2ff80');
    expect(toHex(addressOf(key))).toBe('0xf39fd6e51aad88f6f4ce6ab8827279cfffb92266');
  });

  it('signs and recovers the signer', () => {
    const key = generatePrivateKey();
    const digest = keccak256(new TextEncoder().encode('hello'));
    const sig = sign(digest, key);
    expect(sig.length).toBe(65);
    expect(toHex(recoverAddress(digest, sig))).toBe(toHex(addressOf(key)));
  });

  it('rejects high-s (malleable) signatures', () => {
    const key = generatePrivateKey();
    const digest = keccak256(new Uint8Array([1]));
    const sig = sign(digest, key);
    let s = 0n;
    for (let i = 32; i < 64; i++) s = (s << 8n) | BigInt(sig[i]!);
    const flipped = new Uint8Array(sig);
    flipped.set(bigintToFixed(SECP256K1_N - s, 32), 32);
    flipped[64] = sig[64]! ^ 1;
    expect(() => recoverAddress(digest, flipped)).toThrow(SignatureError);
  });

  it('rejects malformed signatures with a typed error', () => {
    const digest = keccak256(new Uint8Array([2]));
    expect(() => recoverAddress(digest, new Uint8Array(64))).toThrow(SignatureError);
    const zero = new Uint8Array(65);
    expect(() => recoverAddress(digest, zero)).toThrow(SignatureError);
    const badRecid = new Uint8Array(65);
    badRecid[64] = 7;
    expect(() => recoverAddress(digest, badRecid)).toThrow(SignatureError);
  });
});
