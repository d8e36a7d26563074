/**
 * What nodes say to each other outside gossip (docs/network.md):
 *
 *   status  request: empty frame; response: RLP [version, chainId, genesisHash, headNumber, headHash]
 *   blocks  request: RLP [from, count]; response: one frame per sealed block, from `from` on,
 *           at most `count`, fewer when the server has fewer, then the stream closes.
 *
 * Topic and protocol names carry the first 8 bytes of the genesis hash, so nodes of different
 * chains never exchange data even when they meet.
 */
import { asBytes, asList, asUint, DecodeError, rlpDecode, rlpEncode } from '../codec/rlp.js';
import { toHex } from '../crypto/bytes.js';

const WIRE_VERSION = 1;
/** Most blocks one request may ask for. */
export const MAX_BLOCKS_PER_REQUEST = 128;
/** Largest request frame (a status or blocks request is a few bytes). */
export const MAX_REQUEST_BYTES = 256;
/** Largest status frame. */
export const MAX_STATUS_BYTES = 256;

export interface Status {
  chainId: bigint;
  genesisHash: Uint8Array;
  headNumber: bigint;
  headHash: Uint8Array;
}

export interface BlocksRequest {
  from: bigint;
  count: number;
}

export interface Names {
  consensusTopic: string;
  txTopic: string;
  statusProtocol: string;
  blocksProtocol: string;
}

export function networkNames(genesisHash: Uint8Array): Names {
  const id = toHex(genesisHash).slice(2, 18);
  return {
    consensusTopic: `/etm/${id}/consensus/1`,
    txTopic: `/etm/${id}/txs/2`,
    statusProtocol: `/etm/${id}/status/1`,
    blocksProtocol: `/etm/${id}/blocks/1`,
  };
}

export function encodeStatus(s: Status): Uint8Array {
  return rlpEncode([WIRE_VERSION, s.chainId, s.genesisHash, s.headNumber, s.headHash]);
}

/** Throws DecodeError. */
export function decodeStatus(bytes: Uint8Array): Status {
  const [version, chainId, genesisHash, headNumber, headHash] = asList(
    rlpDecode(bytes),
    'status',
    5,
  );
  if (asUint(version, 'version', 4) !== BigInt(WIRE_VERSION))
    throw new DecodeError('status: unsupported version');
  return {
    chainId: asUint(chainId, 'chain id', 8),
    genesisHash: asBytes(genesisHash, 'genesis hash', 32),
    headNumber: asUint(headNumber, 'head number', 8),
    headHash: asBytes(headHash, 'head hash', 32),
  };
}

export function encodeBlocksRequest(r: BlocksRequest): Uint8Array {
  return rlpEncode([r.from, r.count]);
}

/** Throws DecodeError. */
export function decodeBlocksRequest(bytes: Uint8Array): BlocksRequest {
  const [from, count] = asList(rlpDecode(bytes), 'blocks request', 2);
  const n = asUint(count, 'count', 4);
  if (n < 1n || n > BigInt(MAX_BLOCKS_PER_REQUEST))
    throw new DecodeError(`blocks request: count must be 1 to ${MAX_BLOCKS_PER_REQUEST}`);
  const first = asUint(from, 'from', 8);
  if (first < 1n) throw new DecodeError('blocks request: from must be at least 1');
  return { from: first, count: Number(n) };
}
