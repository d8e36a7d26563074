/**
 * The QBFT `extraData` of a block header (PROTOCOL §4):
 *
 *   RLP [vanity(32), round, [commitSeal(65)…], parentSealBitmap, randaoReveal(32 | empty), nextValidators]
 *
 * `nextValidators` is an empty list except in the last block of an epoch, where it lists the
 * next epoch's validators in proposer order. `parentSealBitmap` has bit i (byte i>>3, bit i&7,
 * least significant first) set when validator i of the parent's set sealed the parent.
 * The block hash is taken over the header with `round` = 0 and no seals (see `forHashing`), so it
 * does not depend on which q seals were gathered or in which round.
 */
import { asBytes, asList, asUint, DecodeError, rlpDecode, rlpEncode } from '../codec/rlp.js';
import type { Signature65 } from '../crypto/secp256k1.js';
import type { Address } from './types.js';

export const VANITY_BYTES = 32;
export const MAX_VALIDATORS = 1024;

export interface ExtraData {
  vanity: Uint8Array;
  round: number;
  commitSeals: Signature65[];
  parentSealBitmap: Uint8Array;
  randaoReveal: Uint8Array;
  nextValidators: Address[];
}

export function encodeExtraData(x: ExtraData): Uint8Array {
  if (x.vanity.length !== VANITY_BYTES) throw new RangeError('vanity must be 32 bytes');
  return rlpEncode([
    x.vanity,
    x.round,
    x.commitSeals,
    x.parentSealBitmap,
    x.randaoReveal,
    x.nextValidators,
  ]);
}

export function decodeExtraData(bytes: Uint8Array): ExtraData {
  const [vanity, round, seals, bitmap, reveal, next] = asList(rlpDecode(bytes), 'extraData', 6);
  const sealList = asList(seals, 'commit seals');
  const nextList = asList(next, 'next validators');
  if (sealList.length > MAX_VALIDATORS || nextList.length > MAX_VALIDATORS) {
    throw new DecodeError('extraData: too many entries');
  }
  const randaoReveal = asBytes(reveal, 'randao reveal');
  if (randaoReveal.length !== 0 && randaoReveal.length !== 32) {
    throw new DecodeError('randao reveal: expected 0 or 32 bytes');
  }
  const parentSealBitmap = asBytes(bitmap, 'parent seal bitmap');
  if (parentSealBitmap.length > MAX_VALIDATORS / 8)
    throw new DecodeError('parent seal bitmap too long');
  return {
    vanity: asBytes(vanity, 'vanity', VANITY_BYTES),
    round: Number(asUint(round, 'round', 6)),
    commitSeals: sealList.map((s) => asBytes(s, 'commit seal', 65)),
    parentSealBitmap,
    randaoReveal,
    nextValidators: nextList.map((a) => asBytes(a, 'validator address', 20)),
  };
}

/** The extraData that enters the block hash: no seals, round 0. */
export function forHashing(x: ExtraData): ExtraData {
  return { ...x, round: 0, commitSeals: [] };
}

export function sealBitmap(validatorCount: number, sealed: readonly number[]): Uint8Array {
  const out = new Uint8Array((validatorCount + 7) >> 3);
  for (const i of sealed) {
    if (i < 0 || i >= validatorCount) throw new RangeError('validator index out of range');
    out[i >> 3]! |= 1 << (i & 7);
  }
  return out;
}

export function bitmapIndices(bitmap: Uint8Array, validatorCount: number): number[] {
  const out: number[] = [];
  for (let i = 0; i < validatorCount; i++) if ((bitmap[i >> 3]! >> (i & 7)) & 1) out.push(i);
  return out;
}
