/**
 * Blocks: a header and the transactions in their network encoding.
 *
 *   RLP [header, [tx…]]   where each tx is a byte string: legacy = its RLP list, typed = type ‖ RLP
 *
 * The consensus engine agrees on the block with an unsealed header (commit round 0, no seals);
 * the block stored after commit carries the commit round and the commit seals in its extraData.
 */
import { asBytes, asList, DecodeError, rlpDecode, rlpEncode } from '../codec/rlp.js';
import { equalBytes } from '../crypto/bytes.js';
import type { BlockCodec, BlockInfo } from '../consensus/types.js';
import { orderedTrieRoot } from '../state/stack-trie.js';
import { decodeHeaderItem, headerFieldsForBlock, headerHash, type Header } from './header.js';

export interface Block {
  header: Header;
  /** Raw transactions in block order. */
  transactions: Uint8Array[];
}

export function encodeBlock(b: Block): Uint8Array {
  return rlpEncode([headerFieldsForBlock(b.header), b.transactions]);
}

export function decodeBlock(bytes: Uint8Array, maxTransactions = 100_000): Block {
  const [header, txs] = asList(rlpDecode(bytes), 'block', 2);
  const list = asList(txs, 'transactions');
  if (list.length > maxTransactions) throw new DecodeError('block: too many transactions');
  return {
    header: decodeHeaderItem(header!),
    transactions: list.map((t, i) => asBytes(t, `transaction ${i}`)),
  };
}

export function blockHash(b: Block): Uint8Array {
  return headerHash(b.header);
}

/** The block without round and commit seals: what consensus agrees on. */
export function unsealed(b: Block): Block {
  return { ...b, header: { ...b.header, extra: { ...b.header.extra, round: 0, commitSeals: [] } } };
}

/**
 * What consensus agrees on is the block hash, so a proposed block must be exactly determined by
 * it: the header carries no commit round or seals, the body is the one the header's
 * transactions root commits to, and the bytes are the canonical encoding of both. Throws a
 * DecodeError naming the first rule broken.
 */
export function inspectProposedBlock(bytes: Uint8Array): BlockInfo {
  const own = built.get(bytes);
  if (own) return own;
  const b = decodeBlock(bytes);
  const info = proposalInfo(b.header);
  if (!equalBytes(b.header.transactionsRoot, orderedTrieRoot(b.transactions)))
    throw new DecodeError('transactions root mismatch: the body is not the one the header names');
  if (!equalBytes(encodeBlock(b), bytes)) throw new DecodeError('block is not canonically encoded');
  return info;
}

/** The header rules of a proposed block, and what consensus learns from it. */
function proposalInfo(header: Header): BlockInfo {
  if (header.extra.round !== 0 || header.extra.commitSeals.length > 0)
    throw new DecodeError('a proposed block carries no commit round or seals');
  if (header.number > BigInt(Number.MAX_SAFE_INTEGER))
    throw new DecodeError('block number too large');
  return {
    digest: headerHash(header),
    height: Number(header.number),
    round: header.extra.proposalRound,
  };
}

/**
 * Blocks this process built and encoded itself, by identity of their bytes (never mutated once
 * encoded): their body is the one their header names and their encoding is canonical by
 * construction, so the proposer's own engine learns their digest without decoding the block,
 * re-hashing its transactions and encoding it again (a tenth of a saturated validator's event
 * loop). Bytes from anywhere else are other objects and are inspected in full.
 */
const built = new WeakMap<Uint8Array, BlockInfo>();

/**
 * Encodes a block this node proposes and notes its inspection; `info.digest` is its hash.
 * Throws as inspectProposedBlock does for a header no proposal may carry.
 */
export function encodeProposal(b: Block): { bytes: Uint8Array; info: BlockInfo } {
  const info = proposalInfo(b.header);
  const bytes = encodeBlock(b);
  built.set(bytes, info);
  return { bytes, info };
}

export const chainBlockCodec: BlockCodec = { inspect: inspectProposedBlock };
