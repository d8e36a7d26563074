/**
 * Block validity in stages (docs/architecture.md, "Block validation"). Each stage is a pure
 * check that throws a BlockError with the code of the first rule the block breaks:
 *
 * 1. the encoding: size and decoding (`block.`);
 * 2. the header alone, with the parameters in force and the local clock (`header.`);
 * 3. the header against its parent: number, hash, time, base fee, proposer, RANDAO mix and the
 *    parent's commit certificate (`header.`);
 * 4. before execution, the body against the header: sizes, signatures and senders, duplicates
 *    and the transactions root (`body.`);
 * 5. execution, whose failures (a transaction, the RANDAO reveal) become `exec.` errors;
 * 6. after execution, the header against the results: validators, gas, roots, bloom (`exec.`).
 *
 * A committed block's seals are checked by `checkSeals` (`seal.`). The parameters are those of
 * the parent's state, so a change written by governance applies from the block after it. The
 * Chain class (chain.ts) reads the parent, the parameters and the validator sets, and keeps
 * storage and caches; nothing here does I/O.
 */
import { BlockError, type BlockErrorCode } from '../primitives/block-error.js';
import type { Address } from '../primitives/types.js';
import { DecodeError } from '../codec/rlp.js';
import { encodeReceipt } from '../codec/receipt.js';
import { equalBytes, toHex } from '../crypto/bytes.js';
import {
  CertificateError,
  verifyCommitCertificate,
  verifyParentCertificate,
} from '../consensus/certificate.js';
import type { Recover } from '../consensus/types.js';
import { nextBaseFee } from '../execution/fees.js';
import { TxError } from '../execution/errors.js';
import type { SignedTx } from '../execution/tx.js';
import { executeBlock, type BlockEnv, type BlockOutcome } from '../execution/transition.js';
import type { BlockParams } from '../params/registry.js';
import type { StateDB } from '../state/state-db.js';
import { nextMix } from '../staking/block-hooks.js';
import { orderedTrieRoot } from '../state/stack-trie.js';
import { blockHash, decodeBlock, type Block } from './block.js';
import type { Header } from './header.js';

function fail(code: BlockErrorCode, message: string, cause?: unknown): never {
  throw new BlockError(code, message, cause === undefined ? undefined : { cause });
}

/** The earliest timestamp after a parent's: one block time later, in whole seconds. */
export function minTimestampGap(params: Pick<BlockParams, 'blockTimeMs'>): bigint {
  return params.blockTimeMs / 1000n;
}

/** The base fee a block after `parent` must have. */
export function expectedBaseFee(parent: Header, params: Pick<BlockParams, 'minBaseFee'>): bigint {
  return nextBaseFee(parent, params.minBaseFee);
}

// ---- 1. the encoding ------------------------------------------------------------------------

/** Decodes a block; with `maxBlockBytes`, refuses a larger encoding before decoding it. */
export function decodeCandidate(bytes: Uint8Array, maxBlockBytes?: bigint): Block {
  if (maxBlockBytes !== undefined && BigInt(bytes.length) > maxBlockBytes)
    fail(
      'block.too-large',
      `block of ${bytes.length} bytes exceeds maxBlockBytes ${maxBlockBytes}`,
    );
  try {
    return decodeBlock(bytes);
  } catch (e) {
    return fail('block.malformed', `malformed block: ${(e as Error).message}`, e);
  }
}

// ---- 2. the header alone --------------------------------------------------------------------

/**
 * The header on its own, under the parameters in force. `nowMs` is the local clock for a block
 * proposed now, or null for a committed block (its time is not judged by this node's clock).
 */
export function checkHeader(
  h: Header,
  params: Pick<BlockParams, 'blockGasLimit' | 'maxClockDriftSeconds'>,
  nowMs: bigint | null,
): void {
  if (h.gasLimit !== params.blockGasLimit)
    fail(
      'header.gas-limit',
      `block ${h.number}: gas limit ${h.gasLimit}, expected ${params.blockGasLimit}`,
    );
  if (h.gasUsed > h.gasLimit)
    fail(
      'header.gas-used-over-limit',
      `block ${h.number}: gas used ${h.gasUsed} exceeds the gas limit ${h.gasLimit}`,
    );
  if (nowMs !== null && h.timestamp * 1000n > nowMs + params.maxClockDriftSeconds * 1000n)
    fail(
      'header.timestamp-in-future',
      `block ${h.number}: timestamp ${h.timestamp} is more than ${params.maxClockDriftSeconds}s in the future`,
    );
}

// ---- 3. the header against its parent -------------------------------------------------------

export interface ParentContext {
  header: Header;
  hash: Uint8Array;
  /** The parameters in the parent's state. */
  params: Pick<BlockParams, 'blockTimeMs' | 'minBaseFee'>;
  chainId: bigint;
  /** The proposer of the block's height and proposal round. */
  proposer: Address;
  /** The validators of the parent's height, whose seals the block records. */
  parentValidators: readonly Address[];
  recover: Recover;
}

export function checkAgainstParent(h: Header, parent: ParentContext): void {
  const p = parent.header;
  const at = `block ${h.number}`;
  if (h.number !== p.number + 1n) fail('header.number', `${at}: expected number ${p.number + 1n}`);
  if (!equalBytes(h.parentHash, parent.hash))
    fail(
      'header.parent-hash',
      `${at}: parent hash ${toHex(h.parentHash)} is not the head ${toHex(parent.hash)}`,
    );
  if (h.timestamp < p.timestamp + minTimestampGap(parent.params))
    fail(
      'header.timestamp-too-early',
      `${at}: timestamp ${h.timestamp} too early after parent ${p.timestamp}`,
    );
  const baseFee = expectedBaseFee(p, parent.params);
  if (h.baseFeePerGas !== baseFee)
    fail('header.base-fee', `${at}: base fee ${h.baseFeePerGas}, expected ${baseFee}`);
  if (!equalBytes(h.coinbase, parent.proposer))
    fail(
      'header.coinbase-not-proposer',
      `${at}: coinbase ${toHex(h.coinbase)} is not the proposer of round ${h.extra.proposalRound} (${toHex(parent.proposer)})`,
    );
  if (!equalBytes(h.mixHash, nextMix(p.mixHash, h.extra.randaoReveal)))
    fail('header.mix-hash', `${at}: mixHash is not the parent mix combined with the randao reveal`);
  checkParentCertificate(h, parent);
}

/**
 * The parent's commit certificate the block records must be exactly one: its bitmap marks
 * precisely the validators whose seals it carries, each seal valid for the parent in the
 * recorded round, at least a quorum of them. Downtime accounting reads the bitmap, so no
 * proposer may leave out or add anyone.
 */
function checkParentCertificate(h: Header, parent: ParentContext): void {
  const { parentSealBitmap: bitmap, parentRound: round, parentSeals: seals } = h.extra;
  if (parent.header.number === 0n) {
    if (bitmap.length !== 0 || seals.length !== 0 || round !== 0)
      fail(
        'header.parent-certificate',
        `block ${h.number}: parent seal bitmap must be empty after genesis`,
      );
    return;
  }
  try {
    verifyParentCertificate(
      parent.chainId,
      h.parentHash,
      parent.parentValidators,
      { round, bitmap, seals },
      parent.recover,
    );
  } catch (e) {
    if (e instanceof CertificateError)
      fail('header.parent-certificate', `block ${h.number}: ${e.message}`, e);
    throw e;
  }
}

// ---- 4. before execution: the body against the header ---------------------------------------

/**
 * Decodes the block's transactions (signatures, chain id, senders) and checks them against the
 * header; returns them in block order.
 */
export function checkBody(
  block: Block,
  params: Pick<BlockParams, 'maxTxBytes'>,
  decode: (raw: Uint8Array) => SignedTx,
): SignedTx[] {
  const at = `block ${block.header.number}`;
  block.transactions.forEach((raw, i) => {
    if (BigInt(raw.length) > params.maxTxBytes)
      fail(
        'body.tx-too-large',
        `${at}: transaction ${i} has ${raw.length} bytes, more than maxTxBytes ${params.maxTxBytes}`,
      );
  });
  const txs = block.transactions.map((raw) => {
    try {
      return decode(raw);
    } catch (e) {
      return fail('body.tx-invalid', `${at}: invalid transaction: ${(e as Error).message}`, e);
    }
  });
  const seen = new Set<string>();
  for (const tx of txs) {
    const k = tx.hashHex;
    if (seen.has(k)) fail('body.tx-duplicate', `${at}: transaction ${k} appears twice`);
    seen.add(k);
  }
  if (!equalBytes(block.header.transactionsRoot, orderedTrieRoot(block.transactions)))
    fail('body.tx-root-mismatch', `${at}: transactions root mismatch`);
  return txs;
}

// ---- 5. execution ---------------------------------------------------------------------------

/**
 * Executes the block's transactions and the modules' block work on the parent's state; a
 * transaction that cannot be applied is the block's fault (`exec.tx-failed`), as is a wrong
 * RANDAO reveal (the staking module throws `exec.randao-…`).
 */
export async function executeStage(
  state: StateDB,
  env: BlockEnv,
  txs: SignedTx[],
): Promise<BlockOutcome> {
  try {
    return await executeBlock(state, env, txs);
  } catch (e) {
    if (e instanceof TxError) fail('exec.tx-failed', `block ${env.number}: ${e.message}`, e);
    if (e instanceof BlockError)
      throw new BlockError(e.code, `block ${env.number}: ${e.message}`, { cause: e });
    throw e;
  }
}

// ---- 6. after execution: the header against the results -------------------------------------

export function checkOutcome(h: Header, outcome: BlockOutcome, stateRoot: Uint8Array): void {
  const at = `block ${h.number}`;
  const next = h.extra.nextValidators;
  if (
    next.length !== outcome.nextValidators.length ||
    !next.every((x, i) => equalBytes(x, outcome.nextValidators[i]!))
  )
    fail(
      'exec.validators-mismatch',
      outcome.nextValidators.length === 0
        ? `${at}: nextValidators must be empty except in the last block of an epoch`
        : `${at}: nextValidators differ from the election result`,
    );
  if (outcome.gasUsed !== h.gasUsed)
    fail(
      'exec.gas-used-mismatch',
      `${at}: gas used ${h.gasUsed}, execution gives ${outcome.gasUsed}`,
    );
  if (!equalBytes(h.receiptsRoot, orderedTrieRoot(outcome.receipts.map(encodeReceipt))))
    fail('exec.receipts-root-mismatch', `${at}: receipts root mismatch`);
  if (!equalBytes(h.logsBloom, outcome.logsBloom))
    fail('exec.bloom-mismatch', `${at}: logs bloom mismatch`);
  if (!equalBytes(h.stateRoot, stateRoot))
    fail(
      'exec.state-root-mismatch',
      `${at}: state root ${toHex(h.stateRoot)}, execution gives ${toHex(stateRoot)}`,
    );
}

// ---- committed blocks: the seals ------------------------------------------------------------

/** A block is committed in its proposal round or a later one. */
export function checkCommitRound(h: Header, round: number): void {
  if (round < h.extra.proposalRound)
    fail(
      'seal.round-before-proposal',
      `block ${h.number}: committed in round ${round}, before its proposal round ${h.extra.proposalRound}`,
    );
}

/**
 * The commit certificate of a sealed block: a quorum of distinct validators of its height
 * sealed its hash in its commit round. Cheap next to execution, so it comes first on import.
 */
export function checkSeals(
  block: Block,
  chainId: bigint,
  validators: readonly Address[],
  recover: Recover,
): void {
  const h = block.header;
  // The decoder has bounded the seals (at most MAX_VALIDATORS), so checking them is bounded too.
  const { round, commitSeals } = h.extra;
  checkCommitRound(h, round);
  try {
    verifyCommitCertificate(
      chainId,
      blockHash(block),
      round,
      commitSeals.map((signature) => ({ validator: new Uint8Array(20), signature })),
      validators,
      recover,
    );
  } catch (e) {
    if (e instanceof CertificateError || e instanceof DecodeError)
      fail('seal.certificate', `block ${h.number}: ${e.message}`, e);
    throw e;
  }
}
