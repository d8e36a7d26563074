/**
 * The QBFT state machine (docs/consensus.md): PROPOSAL / PREPARE / COMMIT / ROUND-CHANGE.
 *
 * Deterministic and free of I/O: its state changes only in `handle(input)`, which returns the
 * effects for the shell to carry out, in order. A `wal-write` effect always precedes the
 * `broadcast` of what it records, so a shell that performs effects in order has persisted every
 * signed message before it leaves. The engine reads no clock: timers are effects, their expiry
 * an input.
 *
 * Memory is bounded whatever peers send: per-round state exists only for rounds within
 * `maxPastRounds` below and `maxFutureRounds` above the current one; what a sender may have
 * stored for later rounds and for later heights is capped in messages and bytes per sender;
 * later heights are buffered only for keys that may validate them.
 */
import type { Address, Hash } from '../primitives/types.js';
import { equalBytes, toHex } from '../crypto/bytes.js';
import { DecodeError, rlpDecode } from '../codec/rlp.js';
import {
  commitSealDigest,
  decodeMessage,
  decodeSignedPayload,
  encodeMessage,
  signCommit,
  signPrepare,
  signProposalPayload,
  signRoundChange,
  type CommitMessage,
  type ConsensusMessage,
  type PrepareMessage,
  type PreparedRef,
  type ProposalMessage,
  type RoundChangeMessage,
  type SignedPayload,
} from './messages.js';
import { indexOfValidator, maxFaulty, proposerOf, quorumSize, roundTimeoutMs } from './quorum.js';
import {
  engineConfig,
  MESSAGE_TYPE_NAMES,
  MessageType,
  type BlockCodec,
  type BlockInfo,
  type CommitSeal,
  type EngineConfig,
  type EngineEffect,
  type EngineInput,
  type Recover,
  type Signer,
  type WalRecord,
} from './types.js';

export interface EngineOptions {
  /** The validator's key; null for a node that follows consensus without voting. */
  signer: Signer | null;
  recover: Recover;
  codec: BlockCodec;
  /** The chain every signature is bound to. */
  chainId: bigint;
  config?: Partial<EngineConfig>;
  /** Records read back from the write-ahead log after a restart. */
  wal?: readonly WalRecord[];
  /** Shared decode results keyed by the message bytes object (simulations deliver one object to many). */
  decodeCache?: WeakMap<Uint8Array, ConsensusMessage | DecodeError>;
}

/** Sizes of the engine's per-height state, for tests and metrics. */
export interface EngineStats {
  /** Rounds with per-round state (proposal, PREPAREs, COMMITs). */
  rounds: number;
  /** Rounds with stored ROUND-CHANGEs. */
  roundChangeRounds: number;
  /** ROUND-CHANGEs beyond the round window, remembered as one round per validator. */
  farRoundChanges: number;
  /** First payloads kept for equivocation detection. */
  seen: number;
  /** Own signed messages kept. */
  signed: number;
  /** Validity results kept. */
  validity: number;
  /** Messages and bytes stored for later rounds of the current height. */
  futureRoundMessages: number;
  futureRoundBytes: number;
  /** Messages, bytes and senders buffered for later heights. */
  futureHeightMessages: number;
  futureHeightBytes: number;
  futureHeightSenders: number;
}

/** A prepared certificate: q PREPAREs for one block at one round. */
interface PreparedCertificate {
  round: number;
  digest: Hash;
  block: Uint8Array;
  prepares: SignedPayload[];
}

class RoundState {
  /** The proposal this node accepted (validated) for the round. */
  proposal: ProposalMessage | null = null;
  /** A proposal waiting for the block validity result. */
  pending: ProposalMessage | null = null;
  readonly prepares = new Map<string, SignedPayload>();
  readonly commits = new Map<string, SignedPayload>();
}

/** What one sender has stored for later rounds or heights. */
interface Usage {
  count: number;
  bytes: number;
}

/**
 * Validity results, and validations in flight, kept per height. Each holds one block, so few:
 * an evicted result only costs a validation again.
 */
const MAX_VALIDITY_ENTRIES = 8;

class HeightState {
  round = 0;
  committed = false;
  readonly rounds = new Map<number, RoundState>();
  readonly roundChanges = new Map<number, Map<string, RoundChangeMessage>>();
  /** Validator -> the highest round above the window it sent a ROUND-CHANGE for. */
  readonly farRounds = new Map<string, number>();
  prepared: PreparedCertificate | null = null;
  /** What this node signed at this height: `${round}:${type}` -> digest and message bytes. */
  readonly signed = new Map<string, { round: number; digest: Hash; message: Uint8Array }>();
  /** First payload per round and `${author}:${type}`, for equivocation detection. */
  readonly firstSeen = new Map<number, Map<string, SignedPayload>>();
  readonly evidenceReported = new Set<string>();
  /** Block validity results by digest, with the exact bytes they are for. */
  readonly validity = new Map<string, { block: Uint8Array; valid: boolean }>();
  /** Blocks sent for validation, by digest. */
  readonly validating = new Map<string, Uint8Array>();
  /**
   * Blocks the codec accepted, by digest: the same block arrives in a proposal and in every
   * ROUND-CHANGE that reports it, and comparing bytes is far cheaper than checking them again.
   */
  readonly inspected = new Map<string, { block: Uint8Array; info: BlockInfo }>();
  /** Round for which a block was requested from the builder. */
  buildingRound: number | null = null;
  /** Digests decided here that the shell could not write: never committed again. */
  readonly failedCommits = new Set<string>();
  /** What each sender has stored for rounds above the current one. */
  readonly futureUse = new Map<string, Usage>();

  constructor(
    readonly height: number,
    readonly validators: readonly Address[],
    readonly validatorKeys: ReadonlySet<string>,
    readonly quorum: number,
    readonly faulty: number,
  ) {}
}

const hex = toHex;

/** Bytes a stored ROUND-CHANGE holds on to. */
function roundChangeBytes(m: RoundChangeMessage): number {
  let n = m.signed.encoded.length + (m.preparedBlock?.length ?? 0);
  for (const p of m.prepares) n += p.encoded.length;
  return n;
}

export class QbftEngine {
  private readonly signer: Signer | null;
  private readonly signerKey: string | null;
  private readonly recover: Recover;
  private readonly codec: BlockCodec;
  private readonly chainId: bigint;
  /** What the constructor was given: a height's settings are laid over it. */
  private readonly baseConfig: Partial<EngineConfig>;
  private config: EngineConfig;
  private readonly decodeCache: WeakMap<Uint8Array, ConsensusMessage | DecodeError> | undefined;
  private readonly walByHeight = new Map<number, WalRecord[]>();
  private state: HeightState | null = null;
  /** Keys whose messages for later heights are buffered. */
  private candidates: ReadonlySet<string> = new Set();
  /** Messages for later heights: height -> sender -> raw messages, in arrival order. */
  private readonly future = new Map<number, Map<string, Uint8Array[]>>();
  private readonly futureHeightUse = new Map<string, Usage>();
  private effects: EngineEffect[] = [];

  constructor(options: EngineOptions) {
    this.signer = options.signer;
    this.signerKey = options.signer ? hex(options.signer.address) : null;
    this.recover = options.recover;
    this.codec = options.codec;
    this.chainId = options.chainId;
    this.baseConfig = options.config ?? {};
    this.config = engineConfig(this.baseConfig);
    this.decodeCache = options.decodeCache;
    for (const record of options.wal ?? []) {
      const list = this.walByHeight.get(record.height) ?? [];
      list.push(record);
      this.walByHeight.set(record.height, list);
    }
  }

  get height(): number | null {
    return this.state?.height ?? null;
  }

  get round(): number | null {
    return this.state?.round ?? null;
  }

  get isCommitted(): boolean {
    return this.state?.committed ?? false;
  }

  stats(): EngineStats {
    const s = this.state;
    let seen = 0;
    let futureRoundMessages = 0;
    let futureRoundBytes = 0;
    if (s) {
      for (const m of s.firstSeen.values()) seen += m.size;
      for (const u of s.futureUse.values()) {
        futureRoundMessages += u.count;
        futureRoundBytes += u.bytes;
      }
    }
    let futureHeightMessages = 0;
    let futureHeightBytes = 0;
    for (const u of this.futureHeightUse.values()) {
      futureHeightMessages += u.count;
      futureHeightBytes += u.bytes;
    }
    return {
      rounds: s?.rounds.size ?? 0,
      roundChangeRounds: s?.roundChanges.size ?? 0,
      farRoundChanges: s?.farRounds.size ?? 0,
      seen,
      signed: s?.signed.size ?? 0,
      validity: s?.validity.size ?? 0,
      futureRoundMessages,
      futureRoundBytes,
      futureHeightMessages,
      futureHeightBytes,
      futureHeightSenders: this.futureHeightUse.size,
    };
  }

  /** Applies one input; returns the effects, to be carried out in order. */
  handle(input: EngineInput): EngineEffect[] {
    this.effects = [];
    switch (input.kind) {
      case 'start-height':
        if (input.config && (!this.state || input.height > this.state.height))
          this.config = engineConfig({ ...this.baseConfig, ...input.config });
        this.startHeight(input.height, input.validators, input.candidates ?? input.validators);
        break;
      case 'message':
        this.onMessage(input.bytes);
        break;
      case 'timer':
        this.onTimer(input.timer, input.height, input.round);
        break;
      case 'block-built':
        this.onBlockBuilt(input.height, input.round, input.block);
        break;
      case 'block-validated':
        this.onBlockValidated(input.height, input.digest, input.valid, input.reason);
        break;
      case 'commit-failed':
        this.onCommitFailed(input.height, input.digest, input.reason);
        break;
    }
    const out = this.effects;
    this.effects = [];
    return out;
  }

  // ---- heights ----------------------------------------------------------------------------

  private startHeight(height: number, validators: Address[], candidates: Address[]): void {
    if (this.state && height <= this.state.height) return;
    if (validators.length === 0) throw new RangeError('validator set is empty');
    const keys = new Set<string>(validators.map(hex));
    const s = new HeightState(
      height,
      [...validators],
      keys,
      quorumSize(validators.length),
      maxFaulty(validators.length),
    );
    this.state = s;
    this.candidates = new Set<string>([...keys, ...candidates.map(hex)]);
    for (const h of [...this.walByHeight.keys()]) if (h < height) this.walByHeight.delete(h);
    this.restoreFromWal(s);
    const buffered = this.future.get(height);
    for (const h of [...this.future.keys()]) if (h <= height) this.future.delete(h);
    this.recountFutureHeights();
    this.enterRound(s, s.round, null);
    if (buffered) {
      const senders = [...buffered.keys()].sort();
      for (const sender of senders)
        for (const bytes of buffered.get(sender)!) this.onMessage(bytes);
    }
  }

  private restoreFromWal(s: HeightState): void {
    const records = this.walByHeight.get(s.height);
    if (!records) return;
    let round = 0;
    for (const r of records) {
      if (r.kind === 'signed') {
        s.signed.set(`${r.round}:${r.type}`, {
          round: r.round,
          digest: r.digest,
          message: r.message,
        });
        if (r.round > round) round = r.round;
        continue;
      }
      // A prepared certificate whose block does not check (written by an older version, or
      // damaged) is not reported again: the ROUND-CHANGEs then say "not prepared", which is
      // safe only because a bound digest could never have been prepared with those bytes.
      let prepares: SignedPayload[];
      let info: BlockInfo;
      try {
        info = this.codec.inspect(r.block);
        prepares = r.prepares.map((p) =>
          decodeSignedPayload(rlpDecode(p), this.recover, this.chainId),
        );
      } catch (e) {
        this.reject(
          `write-ahead log: prepared block of round ${r.round} dropped: ${(e as Error).message}`,
        );
        continue;
      }
      if (!s.prepared || r.round > s.prepared.round)
        s.prepared = { round: r.round, digest: info.digest, block: r.block, prepares };
    }
    s.round = round;
  }

  private get isValidator(): boolean {
    return (
      this.signerKey !== null && this.state !== null && this.state.validatorKeys.has(this.signerKey)
    );
  }

  // ---- rounds -----------------------------------------------------------------------------

  private enterRound(
    s: HeightState,
    round: number,
    reason: 'timeout' | 'f+1' | 'proposal' | null,
  ): void {
    s.round = round;
    if (reason) this.effects.push({ kind: 'round-changed', height: s.height, round, reason });
    this.prune(s);

    const delay = roundTimeoutMs(this.config.baseTimeoutMs, this.config.maxRoundTimeoutMs, round);
    this.effects.push({
      kind: 'schedule-timer',
      timer: 'round',
      height: s.height,
      round,
      delayMs: delay,
    });

    // Re-send what this node already signed in this round (after a restart) before anything
    // else: the ROUND-CHANGE below may complete a justification and sign a PROPOSAL right away,
    // which must not then be re-sent a second time.
    this.resendSigned(s, round);
    if (round > 0 && this.isValidator) {
      this.sendRoundChange(s, round);
      this.effects.push({
        kind: 'schedule-timer',
        timer: 'resend-round-change',
        height: s.height,
        round,
        delayMs: this.config.baseTimeoutMs,
      });
    }
    const rs = s.rounds.get(round);
    if (rs?.pending && !rs.proposal) this.requestValidation(s, rs.pending);
    this.tryPropose(s);
    this.checkQuorums(s, round);
  }

  /** Drops what the new round leaves outside the windows, and recounts later-round usage. */
  private prune(s: HeightState): void {
    const { round } = s;
    const oldest = round - this.config.maxPastRounds;
    for (const r of [...s.roundChanges.keys()]) if (r < round) s.roundChanges.delete(r);
    for (const [sender, r] of s.farRounds) if (r <= round) s.farRounds.delete(sender);
    // Old rounds keep only an accepted proposal and its COMMITs: a late commit quorum still
    // finalises. Rounds further back than the window are forgotten.
    for (const [r, rs] of s.rounds) {
      if (r >= round) continue;
      rs.pending = null;
      rs.prepares.clear();
      if (!rs.proposal || r < oldest) s.rounds.delete(r);
    }
    for (const r of [...s.firstSeen.keys()]) if (r < oldest) s.firstSeen.delete(r);
    for (const key of [...s.evidenceReported]) {
      if (Number(key.slice(0, key.indexOf(':'))) < oldest) s.evidenceReported.delete(key);
    }
    // Own messages of earlier rounds are never signed or sent again.
    for (const [key, v] of s.signed) if (v.round < round) s.signed.delete(key);

    s.futureUse.clear();
    for (const [r, rs] of s.rounds) {
      if (r <= round) continue;
      for (const p of [...rs.prepares.values(), ...rs.commits.values()])
        this.charge(s.futureUse, hex(p.author), p.encoded.length);
    }
    for (const [r, rcs] of s.roundChanges) {
      if (r <= round) continue;
      for (const [sender, m] of rcs) this.charge(s.futureUse, sender, roundChangeBytes(m));
    }
  }

  private charge(use: Map<string, Usage>, sender: string, bytes: number): void {
    const u = use.get(sender);
    if (u) {
      u.count++;
      u.bytes += bytes;
    } else use.set(sender, { count: 1, bytes });
  }

  /** Whether `sender` may store one more message of `bytes` for a later round. */
  private fitsFutureRound(s: HeightState, sender: string, bytes: number): boolean {
    const u = s.futureUse.get(sender);
    if (!u) return bytes <= this.config.maxFutureRoundBytesPerSender;
    return (
      u.count < this.config.maxFutureRoundMessagesPerSender &&
      u.bytes + bytes <= this.config.maxFutureRoundBytesPerSender
    );
  }

  private inWindow(s: HeightState, round: number): boolean {
    return round <= s.round + this.config.maxFutureRounds;
  }

  private resendSigned(s: HeightState, round: number): void {
    for (const type of [MessageType.Proposal, MessageType.Prepare, MessageType.Commit]) {
      const signed = s.signed.get(`${round}:${type}`);
      if (!signed) continue;
      if (type === MessageType.Proposal) {
        // A logged proposal is re-sent only if its block still checks: bytes that do not bind
        // to their digest must never go out again.
        const m = this.decode(signed.message);
        const error =
          m instanceof DecodeError
            ? m.message
            : m.type === MessageType.Proposal
              ? this.blockError(s, m.block, m.signed.digest)
              : 'not a PROPOSAL';
        if (error) {
          this.reject(`write-ahead log: own PROPOSAL of round ${round} not re-sent: ${error}`);
          continue;
        }
      }
      this.effects.push({
        kind: 'broadcast',
        type,
        height: s.height,
        round,
        bytes: signed.message,
      });
      // Count our own earlier vote again.
      this.onMessage(signed.message, true);
    }
  }

  private onTimer(timer: 'round' | 'resend-round-change', height: number, round: number): void {
    const s = this.state;
    if (!s || s.committed || height !== s.height || round !== s.round) return;
    if (timer === 'round') {
      // A follower has nothing to propose or vote; it joins rounds by f+1 ROUND-CHANGEs instead.
      if (this.isValidator) this.enterRound(s, round + 1, 'timeout');
    } else {
      const own = s.signed.get(`${round}:${MessageType.RoundChange}`);
      if (own) {
        this.effects.push({
          kind: 'broadcast',
          type: MessageType.RoundChange,
          height,
          round,
          bytes: own.message,
        });
      }
      this.effects.push({
        kind: 'schedule-timer',
        timer: 'resend-round-change',
        height,
        round,
        delayMs: this.config.baseTimeoutMs,
      });
    }
  }

  // ---- signing with the write-ahead log ---------------------------------------------------

  /**
   * Signs at most one digest per (height, round, type). A second request with the same digest
   * returns the stored bytes; with another digest it is refused.
   */
  private signOnce(
    s: HeightState,
    round: number,
    type: MessageType,
    digest: Hash,
    make: () => Uint8Array,
  ): Uint8Array | null {
    const key = `${round}:${type}`;
    const existing = s.signed.get(key);
    if (existing) {
      if (equalBytes(existing.digest, digest)) return existing.message;
      this.effects.push({
        kind: 'rejected',
        reason: `refusing to sign a second ${MESSAGE_TYPE_NAMES[type]} at height ${s.height} round ${round}`,
      });
      return null;
    }
    const message = make();
    s.signed.set(key, { round, digest, message });
    this.effects.push({
      kind: 'wal-write',
      record: { kind: 'signed', height: s.height, round, type, digest, message },
    });
    return message;
  }

  private broadcast(s: HeightState, type: MessageType, round: number, bytes: Uint8Array): void {
    this.effects.push({ kind: 'broadcast', type, height: s.height, round, bytes });
  }

  private sendRoundChange(s: HeightState, round: number): void {
    const existing = s.signed.get(`${round}:${MessageType.RoundChange}`);
    let bytes: Uint8Array | null;
    if (existing) {
      bytes = existing.message;
    } else {
      const prepared: PreparedRef | null = s.prepared
        ? { round: s.prepared.round, digest: s.prepared.digest }
        : null;
      const signed = signRoundChange(this.signer!, this.chainId, s.height, round, prepared);
      const message: RoundChangeMessage = {
        type: MessageType.RoundChange,
        signed,
        preparedBlock: s.prepared?.block ?? null,
        prepares: s.prepared?.prepares ?? [],
      };
      bytes = this.signOnce(s, round, MessageType.RoundChange, signed.digest, () =>
        encodeMessage(message),
      );
    }
    if (!bytes) return;
    this.broadcast(s, MessageType.RoundChange, round, bytes);
    this.onMessage(bytes, true);
  }

  // ---- proposing --------------------------------------------------------------------------

  private isProposer(s: HeightState, round: number): boolean {
    return (
      this.isValidator &&
      equalBytes(proposerOf(s.validators, s.height, round), this.signer!.address)
    );
  }

  private tryPropose(s: HeightState): void {
    const round = s.round;
    if (s.committed || !this.isProposer(s, round)) return;
    if (s.rounds.get(round)?.proposal) return;
    const stored = s.signed.get(`${round}:${MessageType.Proposal}`);
    if (stored) return; // re-sent by resendSigned
    if (round === 0) {
      this.requestBlock(s, round);
      return;
    }
    const justification = this.roundChangeJustification(s, round);
    if (!justification) return;
    if (justification.prepared) this.repropose(s, round, justification);
    else this.requestBlock(s, round);
  }

  /**
   * Re-proposes the highest prepared block of a justification. Its bytes came from a peer's
   * ROUND-CHANGE, so they are validated like any proposal before this node signs them.
   */
  private repropose(
    s: HeightState,
    round: number,
    justification: { roundChanges: SignedPayload[]; prepared: PreparedCertificate | null },
  ): void {
    const prepared = justification.prepared!;
    const valid = this.validityOf(s, prepared.digest, prepared.block);
    if (valid === undefined) {
      this.validate(s, round, prepared.digest, prepared.block);
      return;
    }
    if (!valid) {
      this.reject(`not re-proposing the prepared block of round ${prepared.round}: it is invalid`);
      return;
    }
    this.propose(s, round, prepared.block, justification.roundChanges, prepared.prepares, false);
  }

  private requestBlock(s: HeightState, round: number): void {
    if (s.buildingRound === round) return;
    s.buildingRound = round;
    this.effects.push({ kind: 'build-block', height: s.height, round });
  }

  private onBlockBuilt(height: number, round: number, block: Uint8Array): void {
    const s = this.state;
    if (!s || s.committed || height !== s.height || round !== s.round || !this.isProposer(s, round))
      return;
    if (s.rounds.get(round)?.proposal) return;
    if (round === 0) {
      this.propose(s, round, block, [], [], true);
      return;
    }
    const justification = this.roundChangeJustification(s, round);
    if (!justification) return;
    if (justification.prepared) this.repropose(s, round, justification);
    else this.propose(s, round, block, justification.roundChanges, [], true);
  }

  /** q ROUND-CHANGEs for the round, and the highest prepared certificate among them. */
  private roundChangeJustification(
    s: HeightState,
    round: number,
  ): { roundChanges: SignedPayload[]; prepared: PreparedCertificate | null } | null {
    const rcs = s.roundChanges.get(round);
    if (!rcs || rcs.size < s.quorum) return null;
    const ordered = [...rcs.entries()].sort((a, b) => (a[0] < b[0] ? -1 : 1)).map((e) => e[1]);
    let best: RoundChangeMessage | null = null;
    for (const rc of ordered) {
      const p = rc.signed.prepared;
      if (p && (!best || p.round > best.signed.prepared!.round)) best = rc;
    }
    const prepared = best
      ? {
          round: best.signed.prepared!.round,
          digest: best.signed.prepared!.digest,
          block: best.preparedBlock!,
          prepares: best.prepares,
        }
      : null;
    return { roundChanges: ordered.map((rc) => rc.signed), prepared };
  }

  private propose(
    s: HeightState,
    round: number,
    block: Uint8Array,
    roundChanges: SignedPayload[],
    prepares: SignedPayload[],
    built: boolean,
  ): void {
    let info: BlockInfo;
    try {
      info = this.codec.inspect(block);
    } catch (e) {
      this.reject(`block to propose is malformed: ${(e as Error).message}`);
      return;
    }
    if (built && info.round !== null && info.round !== round) {
      this.reject(`built block records round ${info.round}, not ${round}`);
      return;
    }
    const digest = info.digest;
    // Its own PROPOSAL comes back through onMessage: the block is not inspected again there.
    if (info.height === s.height) this.noteInspected(s, block, info);
    const signed = signProposalPayload(this.signer!, this.chainId, s.height, round, digest);
    const message: ProposalMessage = {
      type: MessageType.Proposal,
      signed,
      block,
      roundChanges,
      prepares,
    };
    const bytes = this.signOnce(s, round, MessageType.Proposal, digest, () =>
      encodeMessage(message),
    );
    if (!bytes) return;
    this.broadcast(s, MessageType.Proposal, round, bytes);
    // A block this node built needs no validation round trip; a re-proposed one was validated.
    if (built) this.setValidity(s, digest, block, true);
    this.onMessage(bytes, true);
  }

  // ---- receiving --------------------------------------------------------------------------

  private decode(bytes: Uint8Array): ConsensusMessage | DecodeError {
    const cached = this.decodeCache?.get(bytes);
    if (cached) return cached;
    let result: ConsensusMessage | DecodeError;
    try {
      result = decodeMessage(bytes, this.recover, {
        chainId: this.chainId,
        maxMessageBytes: this.config.maxMessageBytes,
        maxJustification: this.config.maxJustification,
      });
    } catch (e) {
      result =
        e instanceof DecodeError
          ? e
          : new DecodeError(`malformed message: ${(e as Error).message}`);
    }
    this.decodeCache?.set(bytes, result);
    return result;
  }

  private reject(reason: string, author?: Address): void {
    this.effects.push(author ? { kind: 'rejected', reason, author } : { kind: 'rejected', reason });
  }

  private onMessage(bytes: Uint8Array, own = false): void {
    if (bytes.length > this.config.maxMessageBytes) {
      this.reject(`message of ${bytes.length} bytes is too large`);
      return;
    }
    const msg = this.decode(bytes);
    if (msg instanceof DecodeError) {
      this.reject(msg.message);
      return;
    }
    const s = this.state;
    const { height } = msg.signed;
    if (!s || height > s.height) {
      this.bufferFuture(msg, bytes);
      return;
    }
    if (height < s.height) return; // old height: dropped
    const author = hex(msg.signed.author);
    if (!s.validatorKeys.has(author)) {
      this.reject(
        `${MESSAGE_TYPE_NAMES[msg.type]} from non-validator ${author}`,
        msg.signed.author,
      );
      return;
    }
    if (s.committed) return;
    switch (msg.type) {
      case MessageType.Proposal:
        this.onProposal(s, msg, own);
        break;
      case MessageType.Prepare:
        this.onPrepare(s, msg, own);
        break;
      case MessageType.Commit:
        this.onCommit(s, msg, own);
        break;
      case MessageType.RoundChange:
        this.onRoundChange(s, msg, own);
        break;
    }
  }

  /**
   * Buffers a message for a later height: only from keys that may validate it, at most
   * `maxFutureHeights` ahead, and within the sender's own message and byte budget, so that
   * nobody can crowd out another sender's messages.
   */
  private bufferFuture(msg: ConsensusMessage, bytes: Uint8Array): void {
    const current = this.state?.height ?? 0;
    const height = msg.signed.height;
    if (height > current + this.config.maxFutureHeights) return;
    const sender = hex(msg.signed.author);
    if (!this.candidates.has(sender)) return;
    const u = this.futureHeightUse.get(sender);
    if (
      u &&
      (u.count >= this.config.maxFutureHeightMessagesPerSender ||
        u.bytes + bytes.length > this.config.maxFutureHeightBytesPerSender)
    )
      return;
    if (!u && bytes.length > this.config.maxFutureHeightBytesPerSender) return;
    let bySender = this.future.get(height);
    if (!bySender) {
      bySender = new Map();
      this.future.set(height, bySender);
    }
    let list = bySender.get(sender);
    if (!list) {
      list = [];
      bySender.set(sender, list);
    }
    list.push(bytes);
    this.charge(this.futureHeightUse, sender, bytes.length);
  }

  private recountFutureHeights(): void {
    this.futureHeightUse.clear();
    for (const bySender of this.future.values())
      for (const [sender, list] of bySender)
        for (const bytes of list) this.charge(this.futureHeightUse, sender, bytes.length);
  }

  /**
   * Records the first payload per (author, round, type) within the round windows. A second,
   * different payload is equivocation: reported once, then processed normally. An exact
   * duplicate is processed too (every handler is idempotent): the first copy may have been seen
   * only inside a justification, or dropped by the future-round bound, and must still count
   * when it arrives itself.
   */
  private noteSeen(s: HeightState, p: SignedPayload): void {
    if (p.round < s.round - this.config.maxPastRounds || !this.inWindow(s, p.round)) return;
    let byRound = s.firstSeen.get(p.round);
    if (!byRound) {
      byRound = new Map();
      s.firstSeen.set(p.round, byRound);
    }
    const key = `${hex(p.author)}:${p.type}`;
    const first = byRound.get(key);
    if (!first) {
      byRound.set(key, p);
      return;
    }
    const reported = `${p.round}:${key}`;
    if (!equalBytes(first.digest, p.digest) && !s.evidenceReported.has(reported)) {
      s.evidenceReported.add(reported);
      this.effects.push({
        kind: 'evidence',
        evidence: {
          validator: p.author,
          height: p.height,
          round: p.round,
          type: p.type,
          first: first.encoded,
          second: p.encoded,
        },
      });
    }
  }

  private checkEmbedded(s: HeightState, payloads: SignedPayload[]): void {
    for (const p of payloads) if (s.validatorKeys.has(hex(p.author))) this.noteSeen(s, p);
  }

  /** q PREPAREs from distinct validators for exactly (height, round, digest). */
  private isPrepareCertificate(
    s: HeightState,
    prepares: readonly SignedPayload[],
    round: number,
    digest: Hash,
  ): string | null {
    const authors = new Set<string>();
    for (const p of prepares) {
      const a = hex(p.author);
      if (p.type !== MessageType.Prepare) return 'prepare justification holds a non-PREPARE';
      if (p.height !== s.height || p.round !== round)
        return 'prepare justification for another height or round';
      if (!equalBytes(p.digest, digest)) return 'prepare justification for another digest';
      if (!s.validatorKeys.has(a)) return 'prepare justification from a non-validator';
      if (authors.has(a)) return 'prepare justification has duplicate senders';
      authors.add(a);
    }
    if (authors.size < s.quorum)
      return `prepare justification has ${authors.size} of ${s.quorum} PREPAREs`;
    return null;
  }

  /** The block's info if it decodes, binds to `digest` and is for this height; else the error. */
  private inspectBlock(s: HeightState, block: Uint8Array, digest: Hash): BlockInfo | string {
    const key = hex(digest);
    const known = s.inspected.get(key);
    let info: BlockInfo;
    if (known && (known.block === block || equalBytes(known.block, block))) {
      info = known.info;
    } else {
      try {
        info = this.codec.inspect(block);
      } catch (e) {
        return `malformed block: ${(e as Error).message}`;
      }
      if (equalBytes(info.digest, digest)) this.noteInspected(s, block, info);
    }
    if (info.height !== s.height) return 'block is for another height';
    if (!equalBytes(info.digest, digest)) return 'block does not match the signed digest';
    return info;
  }

  /** Remembers a block's inspection for this height (bounded), by its digest. */
  private noteInspected(s: HeightState, block: Uint8Array, info: BlockInfo): void {
    if (s.inspected.size >= MAX_VALIDITY_ENTRIES)
      s.inspected.delete(s.inspected.keys().next().value!);
    s.inspected.set(hex(info.digest), { block, info });
  }

  private blockError(s: HeightState, block: Uint8Array, digest: Hash): string | null {
    const info = this.inspectBlock(s, block, digest);
    return typeof info === 'string' ? info : null;
  }

  /**
   * Checks a proposal's ROUND-CHANGE and PREPARE justification (QBFT's
   * isValidProposalJustification), before its block is looked at. Returns the error, or the
   * rounds the block may record: a new block must be built for the proposal's round, a
   * re-proposed one for a round no later than the one it was prepared in.
   */
  private justificationError(
    s: HeightState,
    msg: ProposalMessage,
  ): string | { exact: number } | { atMost: number } {
    const { round } = msg.signed;
    if (round === 0) {
      return msg.roundChanges.length === 0 && msg.prepares.length === 0
        ? { exact: 0 }
        : 'round-0 proposal carries a justification';
    }
    const authors = new Set<string>();
    let highest: PreparedRef | null = null;
    let digestAtHighest = false;
    for (const rc of msg.roundChanges) {
      const a = hex(rc.author);
      if (rc.type !== MessageType.RoundChange)
        return 'round-change justification holds a non-ROUND-CHANGE';
      if (rc.height !== s.height || rc.round !== round)
        return 'round-change justification for another height or round';
      if (!s.validatorKeys.has(a)) return 'round-change justification from a non-validator';
      if (authors.has(a)) return 'round-change justification has duplicate senders';
      authors.add(a);
      const p = rc.prepared;
      if (p && (!highest || p.round > highest.round)) highest = p;
    }
    if (authors.size < s.quorum)
      return `round-change justification has ${authors.size} of ${s.quorum} ROUND-CHANGEs`;
    if (!highest) {
      return msg.prepares.length === 0
        ? { exact: round }
        : 'unprepared justification carries PREPAREs';
    }
    for (const rc of msg.roundChanges) {
      const p = rc.prepared;
      if (p && p.round === highest.round && equalBytes(p.digest, msg.signed.digest))
        digestAtHighest = true;
    }
    if (!digestAtHighest) return 'proposal is not the highest prepared block';
    return (
      this.isPrepareCertificate(s, msg.prepares, highest.round, msg.signed.digest) ?? {
        atMost: highest.round,
      }
    );
  }

  /** The block of a justified proposal: it must check, and record a round it may record. */
  private proposalBlockError(
    s: HeightState,
    msg: ProposalMessage,
    rounds: { exact: number } | { atMost: number },
  ): string | null {
    const info = this.inspectBlock(s, msg.block, msg.signed.digest);
    if (typeof info === 'string') return info;
    if (info.round === null) return null;
    const ok = 'exact' in rounds ? info.round === rounds.exact : info.round <= rounds.atMost;
    return ok ? null : `block records round ${info.round}`;
  }

  private onProposal(s: HeightState, msg: ProposalMessage, own: boolean): void {
    const { round, author } = msg.signed;
    if (round < s.round) return;
    if (!equalBytes(author, proposerOf(s.validators, s.height, round))) {
      this.reject(`PROPOSAL for round ${round} from a validator that is not its proposer`, author);
      return;
    }
    const rs0 = s.rounds.get(round);
    if (rs0 && (rs0.proposal || rs0.pending)) {
      // First proposal per round wins; a second one is only looked at for evidence.
      if (!own) this.noteSeen(s, msg.signed);
      return;
    }
    // The justification first: it costs no hashing, and a bogus one never gets the block
    // (up to maxMessageBytes) checked.
    const rounds = this.justificationError(s, msg);
    const error = typeof rounds === 'string' ? rounds : this.proposalBlockError(s, msg, rounds);
    if (error) {
      this.reject(`invalid PROPOSAL: ${error}`, author);
      return;
    }
    // A justified proposal for a later round proves q validators moved there: it is followed
    // whatever the round window, and only now does it leave any state behind.
    if (round > s.round) this.enterRound(s, round, 'proposal');
    if (s.committed || s.round !== round) return;
    if (!own) this.noteSeen(s, msg.signed);
    this.checkEmbedded(s, msg.roundChanges);
    this.checkEmbedded(s, msg.prepares);
    const rs = this.roundState(s, round);
    if (rs.proposal || rs.pending) return;
    rs.pending = msg;
    this.requestValidation(s, msg);
  }

  private roundState(s: HeightState, round: number): RoundState {
    let rs = s.rounds.get(round);
    if (!rs) {
      rs = new RoundState();
      s.rounds.set(round, rs);
    }
    return rs;
  }

  private validityOf(s: HeightState, digest: Hash, block: Uint8Array): boolean | undefined {
    const v = s.validity.get(hex(digest));
    if (!v || (v.block !== block && !equalBytes(v.block, block))) return undefined;
    return v.valid;
  }

  private setValidity(s: HeightState, digest: Hash, block: Uint8Array, valid: boolean): void {
    const key = hex(digest);
    s.validity.delete(key);
    if (s.validity.size >= MAX_VALIDITY_ENTRIES) s.validity.delete(s.validity.keys().next().value!);
    s.validity.set(key, { block, valid });
  }

  /** Asks the shell whether `block` is valid, unless it already is being checked. */
  private validate(s: HeightState, round: number, digest: Hash, block: Uint8Array): void {
    const key = hex(digest);
    const inFlight = s.validating.get(key);
    if (inFlight && (inFlight === block || equalBytes(inFlight, block))) return;
    s.validating.delete(key);
    if (s.validating.size >= MAX_VALIDITY_ENTRIES)
      s.validating.delete(s.validating.keys().next().value!);
    s.validating.set(key, block);
    this.effects.push({ kind: 'validate-block', height: s.height, round, digest, block });
  }

  private requestValidation(s: HeightState, msg: ProposalMessage): void {
    const known = this.validityOf(s, msg.signed.digest, msg.block);
    if (known === true) {
      this.acceptProposal(s, msg);
      return;
    }
    if (known === false) {
      // Already refused (and reported) once: a duplicate delivery is no new offence.
      this.roundState(s, msg.signed.round).pending = null;
      return;
    }
    this.validate(s, msg.signed.round, msg.signed.digest, msg.block);
  }

  private onBlockValidated(height: number, digest: Hash, valid: boolean, reason?: string): void {
    const s = this.state;
    if (!s || s.committed || height !== s.height) return;
    const key = hex(digest);
    const block = s.validating.get(key);
    if (!block) return;
    s.validating.delete(key);
    this.setValidity(s, digest, block, valid);
    const rs = s.rounds.get(s.round);
    const pending = rs?.pending;
    if (pending && equalBytes(pending.signed.digest, digest) && equalBytes(pending.block, block)) {
      if (valid) {
        this.acceptProposal(s, pending);
      } else {
        rs!.pending = null;
        this.reject(
          `invalid block proposed: ${reason ?? 'rejected by validation'}`,
          pending.signed.author,
        );
      }
      return;
    }
    // A prepared block this node is to re-propose was being checked.
    this.tryPropose(s);
  }

  private acceptProposal(s: HeightState, msg: ProposalMessage): void {
    const round = msg.signed.round;
    if (round !== s.round) return;
    const rs = this.roundState(s, round);
    if (rs.proposal) return;
    rs.pending = null;
    rs.proposal = msg;
    if (this.isValidator) {
      const digest = msg.signed.digest;
      const bytes = this.signOnce(s, round, MessageType.Prepare, digest, () =>
        encodeMessage({
          type: MessageType.Prepare,
          signed: signPrepare(this.signer!, this.chainId, s.height, round, digest),
        }),
      );
      if (bytes) {
        this.broadcast(s, MessageType.Prepare, round, bytes);
        this.onMessage(bytes, true);
      }
    }
    this.checkQuorums(s, round);
  }

  /**
   * Stores a PREPARE or COMMIT vote. Votes for later rounds are stored only within the round
   * window and the sender's budget, and only then leave any state behind.
   */
  private storeVote(
    s: HeightState,
    p: SignedPayload,
    which: 'prepares' | 'commits',
    own: boolean,
  ): boolean {
    const author = hex(p.author);
    if (p.round > s.round) {
      if (!this.inWindow(s, p.round)) return false;
      const existing = s.rounds.get(p.round)?.[which].get(author);
      if (existing) {
        if (!own) this.noteSeen(s, p);
        return false;
      }
      if (!this.fitsFutureRound(s, author, p.encoded.length)) return false;
      this.charge(s.futureUse, author, p.encoded.length);
    }
    if (!own) this.noteSeen(s, p);
    const map = (p.round < s.round ? s.rounds.get(p.round) : this.roundState(s, p.round))?.[which];
    if (!map || map.has(author)) return false;
    map.set(author, p);
    return true;
  }

  private onPrepare(s: HeightState, msg: PrepareMessage, own: boolean): void {
    const { round } = msg.signed;
    if (round < s.round) return;
    if (this.storeVote(s, msg.signed, 'prepares', own)) this.checkQuorums(s, round);
  }

  private onCommit(s: HeightState, msg: CommitMessage, own: boolean): void {
    const p = msg.signed;
    // COMMITs for earlier rounds still count while that round's proposal is kept.
    if (p.round < s.round && !s.rounds.has(p.round)) return;
    if (p.round > s.round && !this.inWindow(s, p.round)) return;
    let sealer: Address;
    try {
      sealer = this.recover(commitSealDigest(this.chainId, p.digest, p.round), p.commitSeal!);
    } catch {
      this.reject('COMMIT with a malformed commit seal', p.author);
      return;
    }
    if (!equalBytes(sealer, p.author)) {
      this.reject('COMMIT whose seal is not signed by its sender', p.author);
      return;
    }
    if (this.storeVote(s, p, 'commits', own)) this.checkQuorums(s, p.round);
  }

  private onRoundChange(s: HeightState, msg: RoundChangeMessage, own: boolean): void {
    const { round, author, prepared } = msg.signed;
    if (round < s.round) return;
    const key = hex(author);
    if (!this.inWindow(s, round)) {
      // Far ahead: only which round this validator reached is remembered, for the f + 1 rule.
      if ((s.farRounds.get(key) ?? -1) < round) s.farRounds.set(key, round);
      this.joinRound(s);
      return;
    }
    const rcs0 = s.roundChanges.get(round);
    if (rcs0?.has(key)) {
      if (!own) this.noteSeen(s, msg.signed);
      return;
    }
    const size = roundChangeBytes(msg);
    if (round > s.round && !this.fitsFutureRound(s, key, size)) return;
    if (prepared) {
      if (!msg.preparedBlock) {
        this.reject('ROUND-CHANGE reports a prepared round without its block', author);
        return;
      }
      // The certificate first (no hashing), then the block it certifies.
      let error = this.isPrepareCertificate(s, msg.prepares, prepared.round, prepared.digest);
      if (!error) {
        const info = this.inspectBlock(s, msg.preparedBlock, prepared.digest);
        error =
          typeof info === 'string'
            ? info
            : info.round !== null && info.round > prepared.round
              ? `prepared block records round ${info.round}, after its prepared round`
              : null;
      }
      if (error) {
        this.reject(`invalid ROUND-CHANGE: ${error}`, author);
        return;
      }
    } else if (msg.preparedBlock || msg.prepares.length > 0) {
      this.reject('invalid ROUND-CHANGE: a block or PREPAREs without a prepared round', author);
      return;
    }
    if (!own) this.noteSeen(s, msg.signed);
    this.checkEmbedded(s, msg.prepares);
    let rcs = rcs0;
    if (!rcs) {
      rcs = new Map();
      s.roundChanges.set(round, rcs);
    }
    if (round > s.round) this.charge(s.futureUse, key, size);
    rcs.set(key, msg);
    if (this.joinRound(s)) return;
    if (round === s.round) this.tryPropose(s);
  }

  /** f+1 ROUND-CHANGEs for higher rounds: at least one honest validator is there, follow it. */
  private joinRound(s: HeightState): boolean {
    const target = this.roundToJoin(s);
    if (target === null || target <= s.round) return false;
    this.enterRound(s, target, 'f+1');
    return true;
  }

  /** The highest round r such that f+1 distinct validators sent ROUND-CHANGEs for rounds >= r. */
  private roundToJoin(s: HeightState): number | null {
    const highest = new Map<string, number>();
    for (const [r, rcs] of s.roundChanges) {
      if (r <= s.round) continue;
      for (const sender of rcs.keys()) if ((highest.get(sender) ?? -1) < r) highest.set(sender, r);
    }
    for (const [sender, r] of s.farRounds)
      if ((highest.get(sender) ?? -1) < r) highest.set(sender, r);
    if (highest.size < s.faulty + 1) return null;
    const rounds = [...highest.values()].sort((a, b) => b - a);
    return rounds[s.faulty]!;
  }

  // ---- quorums ----------------------------------------------------------------------------

  private matching(votes: Map<string, SignedPayload>, digest: Hash): SignedPayload[] {
    const out: SignedPayload[] = [];
    for (const v of votes.values()) if (equalBytes(v.digest, digest)) out.push(v);
    return out;
  }

  private checkQuorums(s: HeightState, round: number): void {
    if (s.committed) return;
    const rs = s.rounds.get(round);
    const proposal = rs?.proposal;
    if (!rs || !proposal) return;
    const digest = proposal.signed.digest;
    if (s.failedCommits.has(hex(digest))) return;

    if (round === s.round && this.isValidator && !s.signed.has(`${round}:${MessageType.Commit}`)) {
      const prepares = this.matching(rs.prepares, digest);
      if (prepares.length >= s.quorum) {
        const ordered = this.byValidatorOrder(s, prepares).slice(0, s.quorum);
        if (!s.prepared || s.prepared.round < round) {
          s.prepared = { round, digest, block: proposal.block, prepares: ordered };
          this.effects.push({
            kind: 'wal-write',
            record: {
              kind: 'prepared',
              height: s.height,
              round,
              block: proposal.block,
              prepares: ordered.map((p) => p.encoded),
            },
          });
        }
        const bytes = this.signOnce(s, round, MessageType.Commit, digest, () =>
          encodeMessage({
            type: MessageType.Commit,
            signed: signCommit(this.signer!, this.chainId, s.height, round, digest),
          }),
        );
        if (bytes) {
          this.broadcast(s, MessageType.Commit, round, bytes);
          this.onMessage(bytes, true);
          return; // onMessage re-entered checkQuorums with our own COMMIT counted
        }
      }
    }

    const commits = this.matching(rs.commits, digest);
    if (commits.length >= s.quorum) {
      s.committed = true;
      const seals: CommitSeal[] = this.byValidatorOrder(s, commits).map((c) => ({
        validator: c.author,
        signature: c.commitSeal!,
      }));
      this.effects.push({
        kind: 'commit',
        height: s.height,
        round,
        digest,
        block: proposal.block,
        seals,
      });
    }
  }

  /**
   * The shell could not write the block this node decided. The engine leaves the committed
   * state so that the shell is not stuck on it: it never commits that digest again at this
   * height (the block sync brings the height's block from peers, checked in full), keeps its
   * round timers running and goes on taking part in round changes.
   */
  private onCommitFailed(height: number, digest: Hash, reason: string): void {
    const s = this.state;
    if (!s || height !== s.height || !s.committed) return;
    s.committed = false;
    s.failedCommits.add(hex(digest));
    for (const rs of s.rounds.values()) {
      const p = rs.proposal;
      if (p && equalBytes(p.signed.digest, digest)) this.setValidity(s, digest, p.block, false);
    }
    this.reject(`decided block ${hex(digest)} could not be written: ${reason}`);
    this.effects.push({
      kind: 'schedule-timer',
      timer: 'round',
      height: s.height,
      round: s.round,
      delayMs: roundTimeoutMs(this.config.baseTimeoutMs, this.config.maxRoundTimeoutMs, s.round),
    });
  }

  private byValidatorOrder(s: HeightState, payloads: SignedPayload[]): SignedPayload[] {
    return payloads
      .map((p) => ({ p, i: indexOfValidator(s.validators, p.author) }))
      .sort((a, b) => a.i - b.i)
      .map((x) => x.p);
  }
}
