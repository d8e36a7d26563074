/**
 * Checks of gossiped data before a node delivers or relays it. The verdicts map onto
 * gossipsub's: `accept` delivers and relays, `ignore` drops without blame (the message may be
 * honest but useless here), `reject` drops and lowers the sender's gossipsub score. An offence
 * adds misbehaviour points on top (penalties.ts). Whether a message is right for the current
 * round is the consensus engine's business; this layer only keeps out what no validator could
 * have sent, and what is too old to matter.
 */
import type { Address } from '../primitives/types.js';
import { asBytes, asList, DecodeError, rlpDecode, rlpEncode } from '../codec/rlp.js';
import { rlpBytesLength } from '../codec/rlp-writer.js';
import { decodeMessage } from '../consensus/messages.js';
import { indexOfValidator } from '../consensus/quorum.js';
import type { Recover } from '../consensus/types.js';
import type { TxErrorCode } from '../execution/errors.js';
import type { Offence } from './penalties.js';

export type Verdict = 'accept' | 'ignore' | 'reject';

export interface GossipCheck {
  verdict: Verdict;
  /** Hand the message to the node even though it is not relayed (a near-future height). */
  deliver: boolean;
  offence?: Offence;
  /** Height of a consensus message, when it decoded. */
  height?: number;
  reason: string;
}

export interface ConsensusGossipContext {
  /** The chain consensus signatures are bound to. */
  chainId: bigint;
  headNumber(): bigint;
  validatorsAt(height: bigint): Address[];
  recover: Recover;
  /** The limit of messages for the next height (from the head's parameters). */
  maxMessageBytes: number;
  /**
   * The most `maxMessageBytes` can ever be (from the registry's hard bound; default
   * `maxMessageBytes`). A message between the two is not blamed when it is for a later height:
   * that height may be made under a limit the DAO raised in a block this node lacks.
   */
  maxMessageBytesBound?: number;
}

/** Messages for heights this far above the next one are dropped (the engine buffers 16). */
const MAX_FUTURE_HEIGHTS = 16;
const MAX_JUSTIFICATION = 1024;

const isValidatorOf = (ctx: ConsensusGossipContext, author: Address, height: number) =>
  indexOfValidator(ctx.validatorsAt(BigInt(height)), author) >= 0;

export function checkConsensusGossip(bytes: Uint8Array, ctx: ConsensusGossipContext): GossipCheck {
  const bound = Math.max(ctx.maxMessageBytes, ctx.maxMessageBytesBound ?? 0);
  const oversized: GossipCheck = {
    verdict: 'reject',
    deliver: false,
    offence: 'oversized-message',
    reason: `consensus message of ${bytes.length} bytes`,
  };
  if (bytes.length > bound) return oversized;
  let author: Address;
  let height: number;
  try {
    const m = decodeMessage(bytes, ctx.recover, {
      chainId: ctx.chainId,
      maxMessageBytes: bound,
      maxJustification: MAX_JUSTIFICATION,
    });
    author = m.signed.author;
    height = m.signed.height;
  } catch (e) {
    if (!(e instanceof DecodeError)) throw e;
    return { verdict: 'reject', deliver: false, offence: 'invalid-message', reason: e.message };
  }
  const next = Number(ctx.headNumber()) + 1;
  if (bytes.length > ctx.maxMessageBytes) {
    if (height <= next) return { ...oversized, height };
    return { verdict: 'ignore', deliver: false, height, reason: 'above the head’s size limit' };
  }
  if (height === next) {
    return isValidatorOf(ctx, author, height)
      ? { verdict: 'accept', deliver: true, height, reason: 'current height' }
      : {
          verdict: 'reject',
          deliver: false,
          offence: 'invalid-message',
          height,
          reason: 'signed by a non-validator',
        };
  }
  if (height > next) {
    if (height > next + MAX_FUTURE_HEIGHTS)
      return { verdict: 'ignore', deliver: false, height, reason: 'far future height' };
    // The set of a later height may differ from the known one (an epoch boundary): a stranger
    // there is not proof of bad faith, so it is not relayed but not blamed either.
    return isValidatorOf(ctx, author, height)
      ? { verdict: 'accept', deliver: true, height, reason: 'future height' }
      : { verdict: 'ignore', deliver: true, height, reason: 'future height, unknown signer' };
  }
  if (height < 1 || !isValidatorOf(ctx, author, height)) {
    return {
      verdict: 'reject',
      deliver: false,
      offence: 'invalid-message',
      height,
      reason: 'signed by a non-validator',
    };
  }
  // A committed height: late messages are normal for the last one; older ones are replays (or
  // a restarted validator catching up), blamed a little so that a flood of them adds up.
  if (height === next - 1) return { verdict: 'ignore', deliver: false, height, reason: 'late' };
  return {
    verdict: 'ignore',
    deliver: false,
    offence: 'stale-message',
    height,
    reason: `stale height ${height}`,
  };
}

/** What the node made of a gossiped transaction: added, or the refusal's code. */
export type TxOutcome = { added: true } | { added: false; code: TxErrorCode };

/** Codes that mean the bytes can never be a valid transaction of this chain. */
const INVALID_TX: ReadonlySet<TxErrorCode> = new Set<TxErrorCode>([
  'malformed',
  'oversized',
  'wrong-chain-id',
  'unprotected',
  'bad-signature',
]);

/**
 * Transactions travel in batches: one gossip message is the RLP list of up to MAX_TX_BATCH raw
 * transactions a node admitted in one turn of its event loop. Per-message costs of gossipsub
 * (framing, encryption, seen-cache, IHAVE/IWANT ids) are then paid once per batch, not per
 * transaction. A sender starts a new batch once TX_BATCH_BYTES are reached.
 */
export const MAX_TX_BATCH = 256;
const TX_BATCH_BYTES = 256 * 1024;

/** RLP list header bound (payloads below 2^32 bytes). */
const MAX_LIST_HEADER = 5;

/**
 * The largest batch message a node accepts: TX_BATCH_BYTES of encoded transactions, or a single
 * transaction of up to maxTxBytes (which may be larger), plus the list header.
 */
export function maxTxBatchBytes(maxTxBytes: number): number {
  const single = maxTxBytes + MAX_LIST_HEADER;
  return (single > TX_BATCH_BYTES ? single : TX_BATCH_BYTES) + MAX_LIST_HEADER;
}

/**
 * Gathers transactions into batches that every peer accepts: a batch is closed before a
 * transaction would take its encoded items past TX_BATCH_BYTES, or at MAX_TX_BATCH.
 */
export class TxBatchOutbox {
  private raws: Uint8Array[] = [];
  private bytes = 0;

  get size(): number {
    return this.raws.length;
  }

  /** Adds a transaction; returns a batch that is complete and must be sent now, if any. */
  push(raw: Uint8Array): Uint8Array[] | null {
    const encoded = rlpBytesLength(raw);
    let full: Uint8Array[] | null = null;
    if (this.raws.length > 0 && this.bytes + encoded > TX_BATCH_BYTES) full = this.take();
    this.raws.push(raw);
    this.bytes += encoded;
    if (full === null && this.raws.length >= MAX_TX_BATCH) full = this.take();
    return full;
  }

  /** Whatever is gathered, emptying the outbox. */
  take(): Uint8Array[] {
    const out = this.raws;
    this.raws = [];
    this.bytes = 0;
    return out;
  }
}

export function encodeTxBatch(raws: readonly Uint8Array[]): Uint8Array {
  return rlpEncode(raws as Uint8Array[]);
}

/** A transaction in a batch above maxTxBytes: blamed like an oversized message. */
export class OversizedTxError extends DecodeError {
  override name = 'OversizedTxError';
}

/** Throws DecodeError (OversizedTxError for a transaction above maxTxBytes). */
export function decodeTxBatch(bytes: Uint8Array, maxTxBytes: number): Uint8Array[] {
  const items = asList(rlpDecode(bytes), 'transaction batch');
  if (items.length === 0) throw new DecodeError('transaction batch: empty');
  if (items.length > MAX_TX_BATCH) {
    throw new DecodeError(
      `transaction batch: ${items.length} transactions (at most ${MAX_TX_BATCH})`,
    );
  }
  return items.map((item, i) => {
    const raw = asBytes(item, `transaction ${i}`);
    if (raw.length > maxTxBytes)
      throw new OversizedTxError(`transaction ${i} of ${raw.length} bytes`);
    if (raw.length === 0) throw new DecodeError(`transaction ${i}: empty`);
    return raw;
  });
}

/**
 * Admits a gossiped batch transaction by transaction. Relayed when it brought at least one new
 * transaction; rejected, with blame, as soon as one transaction can never be valid (an honest
 * node only batches what its own mempool took, so such a batch is forged).
 *
 * `maxTxBytesBound` (the registry's hard bound on maxTxBytes): a sender ahead of this node may
 * hold transactions valid under a limit the DAO raised in a block this node lacks. One above
 * this node's limit but within the bound is dropped without blame; only one above the bound
 * can never be valid.
 */
export function checkTransactionGossip(
  bytes: Uint8Array,
  maxTxBytes: number,
  admit: (raw: Uint8Array) => TxOutcome,
  maxTxBytesBound = maxTxBytes,
): GossipCheck {
  const bound = Math.max(maxTxBytes, maxTxBytesBound);
  if (bytes.length > maxTxBatchBytes(bound)) {
    return {
      verdict: 'reject',
      deliver: false,
      offence: 'oversized-message',
      reason: `transaction batch of ${bytes.length} bytes`,
    };
  }
  let raws: Uint8Array[];
  try {
    raws = decodeTxBatch(bytes, bound);
  } catch (e) {
    const offence = e instanceof OversizedTxError ? 'oversized-message' : 'invalid-message';
    return { verdict: 'reject', deliver: false, offence, reason: (e as Error).message };
  }
  let added = 0;
  let refused: TxErrorCode | null = null;
  for (const raw of raws) {
    if (raw.length > maxTxBytes) {
      refused ??= 'oversized';
      continue;
    }
    const outcome = admit(raw);
    if (outcome.added) {
      added++;
      continue;
    }
    if (INVALID_TX.has(outcome.code)) {
      return {
        verdict: 'reject',
        deliver: false,
        offence: 'invalid-message',
        reason: outcome.code,
      };
    }
    refused ??= outcome.code;
  }
  if (added > 0)
    return { verdict: 'accept', deliver: false, reason: `added ${added}/${raws.length}` };
  // Valid but not for our pool now (known, nonce used, pool full): honest nodes race like this.
  return { verdict: 'ignore', deliver: false, reason: refused! };
}
