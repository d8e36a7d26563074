/**
 * Checks of gossiped data before a node delivers or relays it. The verdicts map onto
 * gossipsub's: `accept` delivers and relays, `ignore` drops without blame (the message may be
 * honest but useless here), `reject` drops and lowers the sender's gossipsub score. An offence
 * adds misbehaviour points on top (penalties.ts). Whether a message is right for the current
 * round is the consensus engine's business; this layer only keeps out what no validator could
 * have sent, and what is too old to matter.
 */
import { DecodeError } from '../codec/rlp.js';
import { decodeMessage } from '../consensus/messages.js';
import { indexOfValidator } from '../consensus/quorum.js';
import type { Address, Recover } from '../consensus/types.js';
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
  headNumber(): bigint;
  validatorsAt(height: bigint): Address[];
  recover: Recover;
  maxMessageBytes: number;
}

/** Messages for heights this far above the next one are dropped (the engine buffers 16). */
export const MAX_FUTURE_HEIGHTS = 16;
export const MAX_JUSTIFICATION = 1024;

const isValidatorOf = (ctx: ConsensusGossipContext, author: Address, height: number) =>
  indexOfValidator(ctx.validatorsAt(BigInt(height)), author) >= 0;

export function checkConsensusGossip(bytes: Uint8Array, ctx: ConsensusGossipContext): GossipCheck {
  if (bytes.length > ctx.maxMessageBytes) {
    return {
      verdict: 'reject',
      deliver: false,
      offence: 'oversized-message',
      reason: `consensus message of ${bytes.length} bytes`,
    };
  }
  let author: Address;
  let height: number;
  try {
    const m = decodeMessage(bytes, ctx.recover, {
      maxMessageBytes: ctx.maxMessageBytes,
      maxJustification: MAX_JUSTIFICATION,
    });
    author = m.signed.author;
    height = m.signed.height;
  } catch (e) {
    if (!(e instanceof DecodeError)) throw e;
    return { verdict: 'reject', deliver: false, offence: 'invalid-message', reason: e.message };
  }
  const next = Number(ctx.headNumber()) + 1;
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

export function checkTransactionGossip(
  raw: Uint8Array,
  maxTxBytes: number,
  admit: (raw: Uint8Array) => TxOutcome,
): GossipCheck {
  if (raw.length > maxTxBytes) {
    return {
      verdict: 'reject',
      deliver: false,
      offence: 'oversized-message',
      reason: `transaction of ${raw.length} bytes`,
    };
  }
  const outcome = admit(raw);
  if (outcome.added) return { verdict: 'accept', deliver: false, reason: 'added' };
  if (INVALID_TX.has(outcome.code)) {
    return { verdict: 'reject', deliver: false, offence: 'invalid-message', reason: outcome.code };
  }
  // Valid but not for our pool now (known, nonce used, pool full): honest nodes race like this.
  return { verdict: 'ignore', deliver: false, reason: outcome.code };
}
