/**
 * Block headers: Ethereum's fields and order, with the QBFT extraData of PROTOCOL §4.
 *
 *   RLP [parentHash, ommersHash, coinbase, stateRoot, transactionsRoot, receiptsRoot, logsBloom,
 *        difficulty, number, gasLimit, gasUsed, timestamp, extraData, mixHash, nonce, baseFeePerGas]
 *
 * `coinbase` is the proposer's address, `difficulty` is 0, `ommersHash` the hash of an empty
 * list, `nonce` 8 zero bytes and `mixHash` the RANDAO mix after this block. The block hash is
 * keccak256 of the header with extraData's round and commit seals cleared, so it is fixed before
 * consensus and the same whichever q seals finalise it.
 */
import { asBytes, asList, asUint, DecodeError, rlpDecode, rlpEncode } from '../codec/rlp.js';
import { keccak256 } from '../crypto/keccak.js';
import { BLOOM_BYTES } from '../primitives/receipt.js';
import {
  decodeExtraData,
  encodeExtraData,
  forHashing,
  type ExtraData,
} from '../consensus/extra-data.js';

export const EMPTY_OMMERS_HASH = keccak256(rlpEncode([]));
export const ZERO_HASH = new Uint8Array(32);
export const ZERO_NONCE = new Uint8Array(8);

export interface Header {
  parentHash: Uint8Array;
  coinbase: Uint8Array;
  stateRoot: Uint8Array;
  transactionsRoot: Uint8Array;
  receiptsRoot: Uint8Array;
  logsBloom: Uint8Array;
  number: bigint;
  gasLimit: bigint;
  gasUsed: bigint;
  /** Seconds since the Unix epoch. */
  timestamp: bigint;
  extra: ExtraData;
  mixHash: Uint8Array;
  baseFeePerGas: bigint;
}

function fields(h: Header, extra: ExtraData): Parameters<typeof rlpEncode>[0] {
  return [
    h.parentHash,
    EMPTY_OMMERS_HASH,
    h.coinbase,
    h.stateRoot,
    h.transactionsRoot,
    h.receiptsRoot,
    h.logsBloom,
    0,
    h.number,
    h.gasLimit,
    h.gasUsed,
    h.timestamp,
    encodeExtraData(extra),
    h.mixHash,
    ZERO_NONCE,
    h.baseFeePerGas,
  ];
}

/** The full header as stored and served: extraData with the round and seals. */
export function encodeHeader(h: Header): Uint8Array {
  return rlpEncode(fields(h, h.extra));
}

/** The block hash: over the header without round and commit seals. */
export function headerHash(h: Header): Uint8Array {
  return keccak256(rlpEncode(fields(h, forHashing(h.extra))));
}

export function decodeHeaderItem(item: ReturnType<typeof rlpDecode>): Header {
  const f = asList(item, 'header', 16);
  const ommers = asBytes(f[1], 'ommersHash', 32);
  if (ommers.some((b, i) => b !== EMPTY_OMMERS_HASH[i]))
    throw new DecodeError('header: ommers must be empty');
  if (asUint(f[7], 'difficulty') !== 0n) throw new DecodeError('header: difficulty must be 0');
  const nonce = asBytes(f[14], 'nonce', 8);
  if (nonce.some((b) => b !== 0)) throw new DecodeError('header: nonce must be zero');
  return {
    parentHash: asBytes(f[0], 'parentHash', 32),
    coinbase: asBytes(f[2], 'coinbase', 20),
    stateRoot: asBytes(f[3], 'stateRoot', 32),
    transactionsRoot: asBytes(f[4], 'transactionsRoot', 32),
    receiptsRoot: asBytes(f[5], 'receiptsRoot', 32),
    logsBloom: asBytes(f[6], 'logsBloom', BLOOM_BYTES),
    number: asUint(f[8], 'number', 8),
    gasLimit: asUint(f[9], 'gasLimit', 8),
    gasUsed: asUint(f[10], 'gasUsed', 8),
    timestamp: asUint(f[11], 'timestamp', 8),
    extra: decodeExtraData(asBytes(f[12], 'extraData')),
    mixHash: asBytes(f[13], 'mixHash', 32),
    baseFeePerGas: asUint(f[15], 'baseFeePerGas', 32),
  };
}

export function decodeHeader(bytes: Uint8Array): Header {
  return decodeHeaderItem(rlpDecode(bytes));
}

export function headerFieldsForBlock(h: Header): Parameters<typeof rlpEncode>[0] {
  return fields(h, h.extra);
}
