/**
 * Blocks: a header and the transactions in their network encoding.
 *
 *   RLP [header, [tx…]]   where each tx is a byte string: legacy = its RLP list, typed = type ‖ RLP
 *
 * The consensus engine agrees on the block with an unsealed header (round 0, no seals); the block
 * stored after commit carries the round and the commit seals in its extraData.
 */
import { asBytes, asList, DecodeError, rlpDecode, rlpEncode } from '../codec/rlp.js';
import type { BlockCodec } from '../consensus/types.js';
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

export const chainBlockCodec: BlockCodec = {
  digestOf: (bytes) => blockHash(decodeBlock(bytes)),
  heightOf: (bytes) => {
    const n = decodeBlock(bytes).header.number;
    if (n > BigInt(Number.MAX_SAFE_INTEGER)) throw new DecodeError('block number too large');
    return Number(n);
  },
};
