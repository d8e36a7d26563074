/**
 * The block-work receipt: system modules' block hooks change the state outside any transaction;
 * when they emit logs, the block's receipts end with one receipt carrying them (as Polygon bor's
 * state-sync receipts do). It sits at transaction index = the number of transactions, has status
 * 1, gasUsed 0 and the last transaction's cumulativeGasUsed, and is covered by the receipts root
 * and the logs bloom like any receipt. Its "transaction hash" is derived from the block number:
 * keccak256(utf8('etm-block-work') ‖ uint64be(number)); there is no such transaction
 * (docs/rpc.md). A block whose hooks emit no log has no such receipt.
 */
import { logsBloom } from '../codec/receipt.js';
import { keccak256 } from '../crypto/keccak.js';
import type { Log, StoredReceipt } from '../primitives/receipt.js';
import type { Hash } from '../primitives/types.js';

const TAG = new TextEncoder().encode('etm-block-work');

/** The derived transaction hash of block `number`'s block-work receipt. */
export function blockWorkHash(number: bigint): Hash {
  const b = new Uint8Array(TAG.length + 8);
  b.set(TAG);
  new DataView(b.buffer).setBigUint64(TAG.length, BigInt.asUintN(64, number));
  return keccak256(b);
}

/** The block-work receipt after `txReceipts`, or null when the hooks emitted no log. */
export function blockWorkReceipt(
  txReceipts: readonly StoredReceipt[],
  logs: readonly Log[],
): StoredReceipt | null {
  if (logs.length === 0) return null;
  return {
    type: 0,
    status: 1,
    cumulativeGasUsed: txReceipts.at(-1)?.cumulativeGasUsed ?? 0n,
    logsBloom: logsBloom([...logs]),
    logs: [...logs],
    gasUsed: 0n,
    effectiveGasPrice: 0n,
  };
}
