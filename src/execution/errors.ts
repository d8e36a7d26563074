/**
 * Why a transaction is refused, by the decoder, the mempool or block execution. The code is
 * stable (RPC clients and peers may branch on it); the message is geth-like and carries the
 * numbers that explain the refusal.
 */
import { EtmError } from '../primitives/errors.js';
export type TxErrorCode =
  | 'malformed'
  | 'oversized'
  | 'wrong-chain-id'
  | 'unprotected'
  | 'bad-signature'
  | 'nonce-too-low'
  | 'nonce-too-high'
  | 'insufficient-funds'
  | 'underpriced'
  | 'replacement-underpriced'
  | 'fee-cap-below-base-fee'
  | 'tip-above-fee-cap'
  | 'intrinsic-gas-too-low'
  | 'gas-limit-too-high'
  | 'pool-full'
  | 'sender-limit'
  | 'already-known'
  | 'contract-creation-unsupported'
  | 'value-to-system-account'
  | 'evm-rejected';

export class TxError extends EtmError<TxErrorCode> {
  override name = 'TxError';
}
