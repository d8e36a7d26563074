/**
 * Blocks of the consensus simulation are chain blocks (src/chain/block.ts): a real header with
 * the QBFT extraData and a body of transactions bound to it by the transactions root, hashed and
 * checked by the chain's own codec. Only execution is left out: the state root marks whether
 * the block is valid (an `invalid` proposer builds blocks marked invalid), the transactions are
 * opaque byte strings, and the gas and fee fields are zero.
 *
 * `checkSimBlock` applies the rules of a chain import that do not need execution: the codec's
 * binding check (body ↔ header), height and parent, coinbase = proposer of (height, proposal
 * round), the validity mark and the parent's commit certificate.
 */
import type { Address } from '../../primitives/types.js';
import { decodeBlock, encodeBlock, inspectProposedBlock, type Block } from '../../chain/block.js';
import type { Header } from '../../chain/header.js';
import { BLOOM_BYTES } from '../../primitives/receipt.js';
import { rlpEncode } from '../../codec/rlp.js';
import {
  CertificateError,
  verifyParentCertificate,
  type ParentCertificate,
} from '../../consensus/certificate.js';
import { proposerOf } from '../../consensus/quorum.js';
import type { Recover } from '../../consensus/types.js';
import { equalBytes, toHex, utf8 } from '../../crypto/bytes.js';
import { keccak256 } from '../../crypto/keccak.js';
import { EMPTY_TRIE_ROOT } from '../../state/trie.js';
import { orderedTrieRoot } from '../../state/stack-trie.js';

/** The chain id of every simulated network. */
export const SIM_CHAIN_ID = 0x45_54_4d_53n; // "ETMS"
/** Parent hash of height 1. */
export const SIM_GENESIS = keccak256(utf8('etm-sim-genesis'));
const VALID_ROOT = keccak256(utf8('etm-sim valid state'));
const INVALID_ROOT = keccak256(utf8('etm-sim invalid state'));

export interface SimBlockSpec {
  height: number;
  /** The round the block is built for: its coinbase must be that round's proposer. */
  round: number;
  parent: Uint8Array;
  proposer: Address;
  valid: boolean;
  /** Tells apart the blocks of an equivocator's two engines. */
  nonce: number;
  parentCertificate: ParentCertificate;
}

/** A few opaque "transactions", different for every (height, round, proposer, nonce). */
function simTransactions(
  spec: Pick<SimBlockSpec, 'height' | 'round' | 'proposer' | 'nonce'>,
): Uint8Array[] {
  const seed = keccak256(rlpEncode([spec.height, spec.round, spec.proposer, spec.nonce]));
  const count = 1 + (seed[0]! % 3);
  return Array.from({ length: count }, (_, i) =>
    keccak256(rlpEncode([seed, i])).subarray(0, 24 + i),
  );
}

/** A block with the given body; its header's transactions root is the body's. */
function simBlock(spec: SimBlockSpec, transactions = simTransactions(spec)): Block {
  const header: Header = {
    parentHash: spec.parent,
    coinbase: spec.proposer,
    stateRoot: spec.valid ? VALID_ROOT : INVALID_ROOT,
    transactionsRoot: orderedTrieRoot(transactions),
    receiptsRoot: EMPTY_TRIE_ROOT,
    logsBloom: new Uint8Array(BLOOM_BYTES),
    number: BigInt(spec.height),
    gasLimit: 0n,
    gasUsed: 0n,
    timestamp: BigInt(spec.height),
    extra: {
      vanity: new Uint8Array(32),
      round: 0,
      commitSeals: [],
      parentSealBitmap: spec.parentCertificate.bitmap,
      randaoReveal: new Uint8Array(0),
      nextValidators: [],
      proposalRound: spec.round,
      parentRound: spec.parentCertificate.round,
      parentSeals: spec.parentCertificate.seals,
    },
    mixHash: new Uint8Array(32),
    baseFeePerGas: 0n,
  };
  return { header, transactions };
}

/** `extra`: transactions after the block's own (the evidence honest nodes submitted). */
export function buildSimBlock(spec: SimBlockSpec, extra: readonly Uint8Array[] = []): Uint8Array {
  return encodeBlock(
    simBlock(spec, extra.length === 0 ? undefined : [...simTransactions(spec), ...extra]),
  );
}

/** What a node knows when it checks a block: its head and the validator sets. */
export interface SimChainView {
  head: number;
  headDigest: Uint8Array;
  validatorsAt(height: number): Address[];
  recover: Recover;
}

/** Null if the block would import on top of the view's head; else the first rule it breaks. */
export function checkSimBlock(bytes: Uint8Array, view: SimChainView): string | null {
  let info;
  try {
    info = inspectProposedBlock(bytes);
  } catch (e) {
    return `malformed block: ${(e as Error).message}`;
  }
  const block = decodeBlock(bytes);
  const h = block.header;
  if (info.height !== view.head + 1) return `wrong height ${info.height}`;
  if (!equalBytes(h.parentHash, view.headDigest)) return 'wrong parent';
  const proposer = proposerOf(view.validatorsAt(info.height), info.height, h.extra.proposalRound);
  if (!equalBytes(h.coinbase, proposer))
    return `coinbase ${toHex(h.coinbase)} is not the proposer of round ${h.extra.proposalRound}`;
  if (!equalBytes(h.stateRoot, VALID_ROOT)) return 'block marked invalid';
  const cert = {
    round: h.extra.parentRound,
    bitmap: h.extra.parentSealBitmap,
    seals: h.extra.parentSeals,
  };
  if (info.height === 1) {
    return cert.bitmap.length === 0 && cert.seals.length === 0 && cert.round === 0
      ? null
      : 'parent certificate must be empty after genesis';
  }
  try {
    verifyParentCertificate(
      SIM_CHAIN_ID,
      h.parentHash,
      view.validatorsAt(info.height - 1),
      cert,
      view.recover,
    );
  } catch (e) {
    if (e instanceof CertificateError) return e.message;
    throw e;
  }
  return null;
}
