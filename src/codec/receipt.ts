/**
 * Transaction receipts as Ethereum encodes them (their trie gives `receiptsRoot`):
 *   legacy: RLP [status, cumulativeGasUsed, logsBloom, logs]; typed: type ‖ that RLP
 * with each log RLP [address, [topic…], data]. The node stores a receipt together with the
 * values clients ask for that are not in the consensus encoding (gas used, effective price).
 */
import { asBytes, asList, asUint, rlpDecode, rlpEncode } from './rlp.js';
import {
  rlpBytesLength,
  rlpListHeaderLength,
  rlpUintLength,
  writeRlpBytes,
  writeRlpListHeader,
  writeRlpUint,
} from './rlp-writer.js';
import { addToBloom } from '../crypto/bloom.js';
import { BLOOM_BYTES, type Log, type Receipt, type StoredReceipt } from '../primitives/receipt.js';

export function logsBloom(logs: Log[]): Uint8Array {
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

/**
 * The consensus encoding, the value in the receipts trie: written straight into one buffer (a
 * block's receipts root encodes thousands), byte for byte rlpEncode of
 * [status, cumulativeGasUsed, logsBloom, [[address, [topic…], data]…]] behind the type byte.
 */
export function encodeReceipt(r: Receipt): Uint8Array {
  let logsPayload = 0;
  const logLengths: number[] = [];
  for (const l of r.logs) {
    let topics = 0;
    for (const t of l.topics) topics += rlpBytesLength(t);
    const payload =
      rlpBytesLength(l.address) + rlpListHeaderLength(topics) + topics + rlpBytesLength(l.data);
    logLengths.push(topics, payload);
    logsPayload += rlpListHeaderLength(payload) + payload;
  }
  const payload =
    1 + // status: 0x01, or 0x80 (the empty string) for a failure
    rlpUintLength(r.cumulativeGasUsed) +
    rlpBytesLength(r.logsBloom) +
    rlpListHeaderLength(logsPayload) +
    logsPayload;
  const typed = r.type !== 0;
  const out = new Uint8Array((typed ? 1 : 0) + rlpListHeaderLength(payload) + payload);
  let pos = 0;
  if (typed) out[pos++] = r.type;
  pos = writeRlpListHeader(out, pos, payload);
  out[pos++] = r.status === 1 ? 0x01 : 0x80;
  pos = writeRlpUint(out, pos, r.cumulativeGasUsed);
  pos = writeRlpBytes(out, pos, r.logsBloom);
  pos = writeRlpListHeader(out, pos, logsPayload);
  r.logs.forEach((l, i) => {
    pos = writeRlpListHeader(out, pos, logLengths[2 * i + 1]!);
    pos = writeRlpBytes(out, pos, l.address);
    pos = writeRlpListHeader(out, pos, logLengths[2 * i]!);
    for (const t of l.topics) pos = writeRlpBytes(out, pos, t);
    pos = writeRlpBytes(out, pos, l.data);
  });
  return out;
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
