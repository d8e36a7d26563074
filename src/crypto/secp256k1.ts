/**
 * secp256k1 on the native libsecp256k1 addon. `secp256k1/bindings` is imported (not the
 * package root) so that a failed native load throws instead of silently falling back to a
 * pure-JS implementation 20x slower.
 */
import { EtmError } from '../primitives/errors.js';
import { createRequire } from 'node:module';
import { randomBytes } from 'node:crypto';
import { keccak256 } from './keccak.js';

interface NativeSecp256k1 {
  privateKeyVerify(key: Uint8Array): boolean;
  publicKeyCreate(key: Uint8Array, compressed?: boolean): Uint8Array;
  ecdsaSign(msg32: Uint8Array, key: Uint8Array): { signature: Uint8Array; recid: number };
  ecdsaRecover(sig: Uint8Array, recid: number, msg32: Uint8Array, compressed?: boolean): Uint8Array;
}

const require = createRequire(import.meta.url);
const native = require('secp256k1/bindings') as NativeSecp256k1;

/** Half the curve order: signatures with s above it are malleable and rejected (EIP-2). */
export const SECP256K1_N = 0xfffffffffffffffffffffffffffffffebaaedce6af48a03bbfd25e8cd0364141n;
export const SECP256K1_HALF_N = SECP256K1_N >> 1n;

/** A recoverable signature: r ‖ s ‖ v with v in {0, 1}, 65 bytes. */
export type Signature65 = Uint8Array;

export class SignatureError extends EtmError<'signature'> {
  override name = 'SignatureError';

  constructor(message: string, options?: ErrorOptions) {
    super('signature', message, options);
  }
}

export function generatePrivateKey(): Uint8Array {
  for (;;) {
    const key = randomBytes(32);
    if (native.privateKeyVerify(key)) return new Uint8Array(key);
  }
}

export function isValidPrivateKey(key: Uint8Array): boolean {
  return key.length === 32 && native.privateKeyVerify(key);
}

/** Uncompressed public key without the 0x04 prefix (64 bytes). */
export function publicKeyOf(privateKey: Uint8Array): Uint8Array {
  return native.publicKeyCreate(privateKey, false).subarray(1);
}

/** Ethereum address: last 20 bytes of keccak256 of the 64-byte public key. */
export function addressOfPublicKey(publicKey64: Uint8Array): Uint8Array {
  return keccak256(publicKey64).subarray(12);
}

export function addressOf(privateKey: Uint8Array): Uint8Array {
  return addressOfPublicKey(publicKeyOf(privateKey));
}

/** Signs a 32-byte digest; RFC 6979 deterministic nonce, low-s. */
export function sign(digest32: Uint8Array, privateKey: Uint8Array): Signature65 {
  const { signature, recid } = native.ecdsaSign(digest32, privateKey);
  const out = new Uint8Array(65);
  out.set(signature, 0);
  out[64] = recid;
  return out;
}

/** Recovers the 64-byte public key; throws SignatureError on any malformed input. */
export function recoverPublicKey(digest32: Uint8Array, sig: Signature65): Uint8Array {
  if (digest32.length !== 32) throw new SignatureError('digest must be 32 bytes');
  if (sig.length !== 65) throw new SignatureError('signature must be 65 bytes');
  const recid = sig[64]!;
  if (recid > 1) throw new SignatureError('recovery id must be 0 or 1');
  let s = 0n;
  for (let i = 32; i < 64; i++) s = (s << 8n) | BigInt(sig[i]!);
  if (s === 0n || s > SECP256K1_HALF_N) throw new SignatureError('signature s is not low');
  try {
    return native.ecdsaRecover(sig.subarray(0, 64), recid, digest32, false).subarray(1);
  } catch (e) {
    throw new SignatureError(`signature recovery failed: ${(e as Error).message}`);
  }
}

export function recoverAddress(digest32: Uint8Array, sig: Signature65): Uint8Array {
  return addressOfPublicKey(recoverPublicKey(digest32, sig));
}
