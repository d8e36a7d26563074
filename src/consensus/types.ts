/**
 * Types of the QBFT engine: its configuration, inputs and effects.
 *
 * Heights and rounds are JavaScript integers checked to be safe integers when decoded (they are
 * counters, never amounts); everything else that is hashed or signed is bytes.
 */
import type { Address, Hash } from '../primitives/types.js';
import type { Signature65 } from '../crypto/secp256k1.js';

export enum MessageType {
  Proposal = 0,
  Prepare = 1,
  Commit = 2,
  RoundChange = 3,
}

export const MESSAGE_TYPE_NAMES: Record<MessageType, string> = {
  [MessageType.Proposal]: 'PROPOSAL',
  [MessageType.Prepare]: 'PREPARE',
  [MessageType.Commit]: 'COMMIT',
  [MessageType.RoundChange]: 'ROUND-CHANGE',
};

/** Signs 32-byte digests with a validator's consensus key. */
export interface Signer {
  readonly address: Address;
  sign(digest32: Uint8Array): Signature65;
}

/** Recovers the signer's address; throws on a malformed signature. Deterministic. */
export type Recover = (digest32: Uint8Array, signature: Signature65) => Address;

/** What the engine learns about a block from its codec. */
export interface BlockInfo {
  /** Digest that the consensus messages agree on; it determines the whole block. */
  digest: Hash;
  /** Height the block claims. */
  height: number;
  /** Round the block was built for, if the block records one (a chain block does). */
  round: number | null;
}

/** What the engine needs to know about a block: it never interprets block bytes itself. */
export interface BlockCodec {
  /**
   * Decodes a block as proposed (no commit round or seals) and checks that its digest binds
   * all of it: for a chain block, that the body matches the header's transactions root, so two
   * different byte strings never share a digest. Throws if the block is malformed or unbound.
   */
  inspect(block: Uint8Array): BlockInfo;
}

export interface EngineConfig {
  /** Round-0 timeout and the ROUND-CHANGE resend period, in ms (2 × block time). */
  baseTimeoutMs: number;
  /** Upper bound of the doubling round timeout, in ms. */
  maxRoundTimeoutMs: number;
  /** Largest accepted encoded message. */
  maxMessageBytes: number;
  /**
   * Rounds above the current one whose messages are kept. A ROUND-CHANGE for a round beyond
   * this window counts only towards the f + 1 rule (one round per validator); the rest is dropped.
   */
  maxFutureRounds: number;
  /** Rounds below the current one whose accepted proposal and COMMITs are kept. */
  maxPastRounds: number;
  /** Messages kept per sender for later rounds of the current height. */
  maxFutureRoundMessagesPerSender: number;
  /** Bytes kept per sender for later rounds of the current height (default: one message + 64 KiB). */
  maxFutureRoundBytesPerSender: number;
  /** How far ahead (heights) messages are buffered at all. */
  maxFutureHeights: number;
  /** Messages buffered per sender for later heights. */
  maxFutureHeightMessagesPerSender: number;
  /** Bytes buffered per sender for later heights (default: one message + 64 KiB). */
  maxFutureHeightBytesPerSender: number;
  /** Largest justification (signed payloads per list) a message may carry. */
  maxJustification: number;
}

/** The part of the configuration that may change from one height to the next. */
export type HeightConfig = Partial<
  Pick<EngineConfig, 'baseTimeoutMs' | 'maxRoundTimeoutMs' | 'maxMessageBytes'>
>;

/** Room for a sender's votes beside one message that carries a block. */
const VOTE_ALLOWANCE_BYTES = 64 * 1024;

const DEFAULT_ENGINE_CONFIG: Readonly<EngineConfig> = {
  baseTimeoutMs: 2000,
  maxRoundTimeoutMs: 60_000,
  maxMessageBytes: 8 * 1024 * 1024,
  maxFutureRounds: 10,
  maxPastRounds: 10,
  maxFutureRoundMessagesPerSender: 32,
  maxFutureRoundBytesPerSender: 8 * 1024 * 1024 + VOTE_ALLOWANCE_BYTES,
  maxFutureHeights: 16,
  maxFutureHeightMessagesPerSender: 64,
  maxFutureHeightBytesPerSender: 8 * 1024 * 1024 + VOTE_ALLOWANCE_BYTES,
  maxJustification: 1024,
};

/**
 * The configuration with defaults filled in. Byte budgets not given follow `maxMessageBytes`:
 * one message that carries a block plus 64 KiB of votes.
 */
export function engineConfig(partial: Partial<EngineConfig> = {}): EngineConfig {
  const maxMessageBytes = partial.maxMessageBytes ?? DEFAULT_ENGINE_CONFIG.maxMessageBytes;
  const budget = maxMessageBytes + VOTE_ALLOWANCE_BYTES;
  return {
    ...DEFAULT_ENGINE_CONFIG,
    maxFutureRoundBytesPerSender: budget,
    maxFutureHeightBytesPerSender: budget,
    ...partial,
  };
}

/** One commit seal: a validator's signature of `commitSealDigest(chainId, digest, round)`. */
export interface CommitSeal {
  validator: Address;
  signature: Signature65;
}

// ---- inputs -------------------------------------------------------------------------------

export type EngineInput =
  | {
      kind: 'start-height';
      height: number;
      validators: Address[];
      /**
       * Keys that may sign messages of the next heights (the current and the next epoch's
       * sets): only their messages are buffered for later heights. Default: `validators`.
       */
      candidates?: Address[];
      /**
       * Settings of this height that follow the chain's parameters in the head's state (block
       * time, block size); they replace the engine's configuration from this height on.
       */
      config?: HeightConfig;
    }
  | { kind: 'message'; bytes: Uint8Array }
  | { kind: 'timer'; timer: TimerKind; height: number; round: number }
  | { kind: 'block-built'; height: number; round: number; block: Uint8Array }
  | { kind: 'block-validated'; height: number; digest: Hash; valid: boolean; reason?: string }
  /** The shell could not write a committed block: the engine leaves the committed state. */
  | { kind: 'commit-failed'; height: number; digest: Hash; reason: string };

export type TimerKind = 'round' | 'resend-round-change';

// ---- effects ------------------------------------------------------------------------------

export type EngineEffect =
  | { kind: 'wal-write'; record: WalRecord }
  | { kind: 'broadcast'; type: MessageType; height: number; round: number; bytes: Uint8Array }
  | { kind: 'schedule-timer'; timer: TimerKind; height: number; round: number; delayMs: number }
  | { kind: 'build-block'; height: number; round: number }
  | { kind: 'validate-block'; height: number; round: number; digest: Hash; block: Uint8Array }
  | {
      kind: 'commit';
      height: number;
      round: number;
      digest: Hash;
      block: Uint8Array;
      seals: CommitSeal[];
    }
  | { kind: 'evidence'; evidence: EquivocationEvidence }
  | { kind: 'round-changed'; height: number; round: number; reason: 'timeout' | 'f+1' | 'proposal' }
  | { kind: 'rejected'; reason: string; author?: Address };

/** Two validly signed messages from one validator for one (height, round, type), different digests. */
export interface EquivocationEvidence {
  validator: Address;
  height: number;
  round: number;
  type: MessageType;
  /** The two signed payloads, each RLP [payload, signature], verifiable by anyone. */
  first: Uint8Array;
  second: Uint8Array;
}

// ---- write-ahead log ----------------------------------------------------------------------

/**
 * What a validator persists before a signed message leaves it. `signed` records let a restarted
 * node resend the very same bytes instead of signing anew; `prepared` keeps the prepared
 * certificate that its future ROUND-CHANGEs must report.
 */
export type WalRecord =
  | {
      kind: 'signed';
      height: number;
      round: number;
      type: MessageType;
      digest: Hash;
      message: Uint8Array;
    }
  | { kind: 'prepared'; height: number; round: number; block: Uint8Array; prepares: Uint8Array[] };
