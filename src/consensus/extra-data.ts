/**
 * The QBFT `extraData` of a block header (docs/consensus.md, "Encodings"):
 *
 *   RLP [vanity(32), round, [commitSeal(65)…], parentSealBitmap, randaoReveal(32 | empty),
 *        nextValidators, proposalRound, parentRound, [parentSeal(65)…]]
 *
 * `round` and the commit seals are this block's own commit certificate: the round it was
 * committed in and the q seals gathered then. They differ from node to node (two nodes may
 * commit one block in different rounds, or gather different q seals), so the block hash is
 * taken with `round` = 0 and no seals (see `forHashing`), and nothing in the state depends on
 * them.
 *
 * Everything else is fixed by the proposer and agreed on with the block: `proposalRound` is the
 * round the block was built for (its coinbase is that round's proposer), and `parentRound`,
 * `parentSeals` and `parentSealBitmap` are the commit certificate of the parent that this block
 * makes canonical: the bitmap has bit i (byte i>>3, bit i&7, least significant first) set when
 * validator i of the parent's set sealed it, and the seals are those validators' seals in that
 * order. `nextValidators` is an empty list except in the last block of an epoch, where it lists
 * the next epoch's validators in proposer order.
 */
import type { Address } from '../primitives/types.js';
import { asBytes, asList, asUint, DecodeError, rlpDecode, rlpEncode } from '../codec/rlp.js';
import type { Signature65 } from '../crypto/secp256k1.js';

const VANITY_BYTES = 32;
export const MAX_VALIDATORS = 1024;
/** Rounds are counters far below 2^48 (as in consensus messages). */
const ROUND_BYTES = 6;

export interface ExtraData {
  vanity: Uint8Array;
  /** Commit round (not hashed). */
  round: number;
  /** Commit seals (not hashed). */
  commitSeals: Signature65[];
  parentSealBitmap: Uint8Array;
  randaoReveal: Uint8Array;
  nextValidators: Address[];
  /** The round the block was built for; its coinbase is the proposer of (height, proposalRound). */
  proposalRound: number;
  /** The round of the parent's commit certificate recorded here. */
  parentRound: number;
  /** The parent's commit seals, one per bit of `parentSealBitmap`, in validator order. */
  parentSeals: Signature65[];
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
    x.proposalRound,
    x.parentRound,
    x.parentSeals,
  ]);
}

export function decodeExtraData(bytes: Uint8Array): ExtraData {
  const [vanity, round, seals, bitmap, reveal, next, proposalRound, parentRound, parentSeals] =
    asList(rlpDecode(bytes), 'extraData', 9);
  const sealList = asList(seals, 'commit seals');
  const nextList = asList(next, 'next validators');
  const parentSealList = asList(parentSeals, 'parent seals');
  if (
    sealList.length > MAX_VALIDATORS ||
    nextList.length > MAX_VALIDATORS ||
    parentSealList.length > MAX_VALIDATORS
  ) {
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
    round: Number(asUint(round, 'round', ROUND_BYTES)),
    commitSeals: sealList.map((s) => asBytes(s, 'commit seal', 65)),
    parentSealBitmap,
    randaoReveal,
    nextValidators: nextList.map((a) => asBytes(a, 'validator address', 20)),
    proposalRound: Number(asUint(proposalRound, 'proposal round', ROUND_BYTES)),
    parentRound: Number(asUint(parentRound, 'parent round', ROUND_BYTES)),
    parentSeals: parentSealList.map((s) => asBytes(s, 'parent seal', 65)),
  };
}

/** The extraData that enters the block hash: no commit seals, commit round 0. */
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
