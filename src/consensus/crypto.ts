/** The consensus signer and verifier on the native secp256k1 addon. */
import type { Address } from '../primitives/types.js';
import { addressOf, recoverAddress, sign, type Signature65 } from '../crypto/secp256k1.js';
import type { Recover, Signer } from './types.js';

export class Secp256k1Signer implements Signer {
  readonly address: Address;
  readonly #privateKey: Uint8Array;

  constructor(privateKey: Uint8Array) {
    this.#privateKey = privateKey;
    this.address = addressOf(privateKey);
  }

  sign(digest32: Uint8Array): Signature65 {
    return sign(digest32, this.#privateKey);
  }
}

export const secp256k1Recover: Recover = (digest, signature) => recoverAddress(digest, signature);
