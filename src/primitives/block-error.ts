/**
 * A block that breaks a validity rule. Every rule has one code, named by the stage that checks
 * it (src/chain/validation.ts; docs/architecture.md has the table): `block.` the encoding,
 * `header.` the header alone or against its parent, `body.` the transactions against the header
 * before execution, `exec.` execution and its results, `seal.` a committed block's seals. Peers
 * and sync treat any BlockError as a bad block; the message carries the numbers.
 */
import { EtmError } from './errors.js';

export const BLOCK_ERROR_CODES = [
  'block.too-large',
  'block.malformed',
  'header.gas-limit',
  'header.gas-used-over-limit',
  'header.timestamp-in-future',
  'header.number',
  'header.parent-hash',
  'header.timestamp-too-early',
  'header.base-fee',
  'header.coinbase-not-proposer',
  'header.mix-hash',
  'header.parent-certificate',
  'body.tx-too-large',
  'body.tx-invalid',
  'body.tx-duplicate',
  'body.tx-root-mismatch',
  'exec.tx-failed',
  'exec.randao-unexpected',
  'exec.randao-missing',
  'exec.randao-wrong',
  'exec.validators-mismatch',
  'exec.gas-used-mismatch',
  'exec.receipts-root-mismatch',
  'exec.bloom-mismatch',
  'exec.state-root-mismatch',
  'seal.round-before-proposal',
  'seal.certificate',
] as const;

export type BlockErrorCode = (typeof BLOCK_ERROR_CODES)[number];

export class BlockError extends EtmError<BlockErrorCode> {
  override name = 'BlockError';
}
