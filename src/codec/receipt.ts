/**
 * Transaction receipts as Ethereum encodes them (their trie gives `receiptsRoot`):
 *   legacy: RLP [status, cumulativeGasUsed, logsBloom, logs]; typed: type ‖ that RLP
 * with each log RLP [address, [topic…], data]. The node stores a receipt together with the
 * values clients ask for that are not in the consensus encoding (gas used, effective price).
 */
import { asBytes, asList, asUint, rlpDecode, rlpEncode } from './rlp.js';
import { addToBloom } from '../crypto/bloom.js';
import { BLOOM_BYTES, type Log, type Receipt, type StoredReceipt } from '../primitives/receipt.js';

/**
 * The bloom of no logs, shared by every receipt without logs (most transfers): a bloom is never
 * written once made, and a 256-byte allocation per transfer was a measurable share of a block.
 */
const NO_LOGS_BLOOM = new Uint8Array(BLOOM_BYTES);

export function logsBloom(logs: Log[]): Uint8Array {
  if (logs.length === 0) return NO_LOGS_BLOOM;
  const bloom = new Uint8Array(BLOOM_BYTES);
  for (const log of logs) {
    addToBloom(bloom, log.address);
    for (const t of log.topics) addToBloom(bloom, t);
  }
  return bloom;
}

function logItems(logs: Log[]) {
  return logs.map((l) => [l.address, l.topics, l.data]);
}

/** The consensus encoding, the value in the receipts trie (type ‖ RLP for a typed receipt). */
export function encodeReceipt(r: Receipt): Uint8Array {
  return rlpEncode(
    [r.status === 1 ? 1 : null, r.cumulativeGasUsed, r.logsBloom, logItems(r.logs)],
    r.type === 0 ? undefined : r.type,
  );
}

export function encodeStoredReceipts(receipts: StoredReceipt[]): Uint8Array {
  return rlpEncode(
    receipts.map((r) => [
      r.type,
      r.status,
      r.cumulativeGasUsed,
      r.gasUsed,
      r.effectiveGasPrice,
      logItems(r.logs),
    ]),
  );
}

export function decodeStoredReceipts(bytes: Uint8Array): StoredReceipt[] {
  return asList(rlpDecode(bytes), 'receipts').map((item) => {
    const [type, status, cum, used, price, logs] = asList(item, 'receipt', 6);
    const decodedLogs = asList(logs, 'logs').map((l) => {
      const [address, topics, data] = asList(l, 'log', 3);
      return {
        address: asBytes(address, 'log address', 20),
        topics: asList(topics, 'topics').map((t) => asBytes(t, 'topic', 32)),
        data: asBytes(data, 'log data'),
      };
    });
    return {
      type: Number(asUint(type, 'type', 1)),
      status: asUint(status, 'status', 1) === 1n ? 1 : 0,
      cumulativeGasUsed: asUint(cum, 'cumulativeGasUsed', 8),
      gasUsed: asUint(used, 'gasUsed', 8),
      effectiveGasPrice: asUint(price, 'effectiveGasPrice'),
      logs: decodedLogs,
      logsBloom: logsBloom(decodedLogs),
    };
  });
}
