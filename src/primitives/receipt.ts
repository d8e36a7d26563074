/**
 * Logs and receipts as execution produces them and the chain stores them. Their encodings are in
 * src/codec/receipt.ts; the logs bloom in src/crypto/bloom.ts.
 */
import type { Address, Hash } from './types.js';

/** Bytes of Ethereum's 2048-bit logs bloom. */
export const BLOOM_BYTES = 256;

export interface Log {
  address: Address;
  topics: Hash[];
  data: Uint8Array;
}

export interface Receipt {
  type: number;
  /** 1 success, 0 failure. */
  status: 0 | 1;
  cumulativeGasUsed: bigint;
  logsBloom: Uint8Array;
  logs: Log[];
}

/** A receipt as stored: the consensus receipt plus per-transaction figures. */
export interface StoredReceipt extends Receipt {
  gasUsed: bigint;
  effectiveGasPrice: bigint;
}
