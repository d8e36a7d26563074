/**
 * Write-ahead log records in RLP, for shells that persist them:
 *   signed   = [0, height, round, type, digest, message]
 *   prepared = [1, height, round, block, [prepare…]]
 */
import { asBytes, asList, asUint, DecodeError, rlpDecode, rlpEncode } from '../codec/rlp.js';
import type { MessageType, WalRecord } from './types.js';

export function encodeWalRecord(r: WalRecord): Uint8Array {
  return r.kind === 'signed'
    ? rlpEncode([0, r.height, r.round, r.type, r.digest, r.message])
    : rlpEncode([
        1,
        r.height,
        r.round,
        r.block,
        r.prepares.map((p) => rlpDecode(p) as Parameters<typeof rlpEncode>[0]),
      ]);
}

export function decodeWalRecord(bytes: Uint8Array): WalRecord {
  const f = asList(rlpDecode(bytes), 'WAL record');
  const kind = asUint(f[0], 'WAL record kind', 1);
  const height = Number(asUint(f[1], 'height', 6));
  const round = Number(asUint(f[2], 'round', 6));
  if (kind === 0n && f.length === 6) {
    return {
      kind: 'signed',
      height,
      round,
      type: Number(asUint(f[3], 'type', 1)) as MessageType,
      digest: asBytes(f[4], 'digest', 32),
      message: asBytes(f[5], 'message'),
    };
  }
  if (kind === 1n && f.length === 5) {
    return {
      kind: 'prepared',
      height,
      round,
      block: asBytes(f[3], 'block'),
      prepares: asList(f[4], 'prepares').map((p) =>
        rlpEncode(p as Parameters<typeof rlpEncode>[0]),
      ),
    };
  }
  throw new DecodeError('WAL record: unknown kind or wrong length');
}
