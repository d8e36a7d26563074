/**
 * The block of the consensus simulation: just enough to chain blocks, tell valid from invalid
 * and tell two proposers' blocks apart. The engine sees it only through its BlockCodec.
 */
import { asBytes, asList, asUint, rlpDecode, rlpEncode } from '../../codec/rlp.js';
import { keccak256 } from '../../crypto/keccak.js';
import type { BlockCodec } from '../../consensus/types.js';

export interface SimBlock {
  height: number;
  parent: Uint8Array;
  proposer: Uint8Array;
  /** 1 for a valid block; an invalid proposer builds 0. */
  valid: boolean;
  /** Distinguishes an equivocator's two blocks. */
  nonce: number;
}

export function encodeSimBlock(b: SimBlock): Uint8Array {
  return rlpEncode([b.height, b.parent, b.proposer, b.valid ? 1 : 0, b.nonce]);
}

export function decodeSimBlock(bytes: Uint8Array): SimBlock {
  const [h, parent, proposer, valid, nonce] = asList(rlpDecode(bytes), 'sim block', 5);
  return {
    height: Number(asUint(h, 'height', 6)),
    parent: asBytes(parent, 'parent', 32),
    proposer: asBytes(proposer, 'proposer', 20),
    valid: asUint(valid, 'valid', 1) === 1n,
    nonce: Number(asUint(nonce, 'nonce', 6)),
  };
}

export const simBlockCodec: BlockCodec = {
  digestOf: (block) => keccak256(block),
  heightOf: (block) => decodeSimBlock(block).height,
};

/** Parent digest of height 1. */
export const SIM_GENESIS = keccak256(new TextEncoder().encode('etm-sim-genesis'));
