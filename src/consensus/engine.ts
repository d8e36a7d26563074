/**
 * The QBFT state machine (PROTOCOL §4): PROPOSAL / PREPARE / COMMIT / ROUND-CHANGE.
 *
 * Deterministic and free of I/O: its state changes only in `handle(input)`, which returns the
 * effects for the shell to carry out, in order. A `wal-write` effect always precedes the
 * `broadcast` of what it records, so a shell that performs effects in order has persisted every
 * signed message before it leaves. The engine reads no clock: timers are effects, their expiry
 * an input.
 */
import { equalBytes, toHex } from '../crypto/bytes.js';
import { DecodeError } from '../codec/rlp.js';
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
import { rlpDecode } from '../codec/rlp.js';
import { indexOfValidator, maxFaulty, proposerOf, quorumSize, roundTimeoutMs } from './quorum.js';
import {
  DEFAULT_ENGINE_CONFIG,
  MESSAGE_TYPE_NAMES,
  MessageType,
  type Address,
  type BlockCodec,
  type CommitSeal,
  type Digest,
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
  config?: Partial<EngineConfig>;
  /** Records read back from the write-ahead log after a restart. */
  wal?: readonly WalRecord[];
  /** Shared decode results keyed by the message bytes object (simulations deliver one object to many). */
  decodeCache?: WeakMap<Uint8Array, ConsensusMessage | DecodeError>;
}

/** A prepared certificate: q PREPAREs for one block at one round. */
interface PreparedCertificate {
  round: number;
  digest: Digest;
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

class HeightState {
  round = 0;
  committed = false;
  readonly rounds = new Map<number, RoundState>();
  readonly roundChanges = new Map<number, Map<string, RoundChangeMessage>>();
  prepared: PreparedCertificate | null = null;
  /** What this node signed at this height: `${round}:${type}` -> digest and message bytes. */
  readonly signed = new Map<string, { digest: Digest; message: Uint8Array }>();
  /** First payload seen per `${author}:${round}:${type}`, for equivocation detection. */
  readonly firstSeen = new Map<string, SignedPayload>();
  readonly evidenceReported = new Set<string>();
  /** Block validity results by digest. */
  readonly validity = new Map<string, boolean>();
  readonly validating = new Set<string>();
  /** Round for which a block was requested from the builder. */
  buildingRound: number | null = null;
  /** Messages stored per sender for rounds above the current one. */
  readonly futureCount = new Map<string, number>();

  constructor(
    readonly height: number,
    readonly validators: readonly Address[],
    readonly validatorKeys: ReadonlySet<string>,
    readonly quorum: number,
    readonly faulty: number,
  ) {}

  roundState(round: number): RoundState {
    let rs = this.rounds.get(round);
    if (!rs) {
      rs = new RoundState();
      this.rounds.set(round, rs);
    }
    return rs;
  }
}

export class QbftEngine {
  private readonly signer: Signer | null;
  private readonly signerKey: string | null;
  private readonly recover: Recover;
  private readonly codec: BlockCodec;
  private readonly config: EngineConfig;
  private readonly decodeCache: WeakMap<Uint8Array, ConsensusMessage | DecodeError> | undefined;
  private readonly walByHeight = new Map<number, WalRecord[]>();
  private state: HeightState | null = null;
  /** Messages for later heights: height -> sender -> raw messages, in arrival order. */
  private readonly future = new Map<number, Map<string, Uint8Array[]>>();
  private effects: EngineEffect[] = [];

  constructor(options: EngineOptions) {
    this.signer = options.signer;
    this.signerKey = options.signer ? toHex(options.signer.address) : null;
    this.recover = options.recover;
    this.codec = options.codec;
    this.config = { ...DEFAULT_ENGINE_CONFIG, ...options.config };
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

  /** Applies one input; returns the effects, to be carried out in order. */
  handle(input: EngineInput): EngineEffect[] {
    this.effects = [];
    switch (input.kind) {
      case 'start-height':
        this.startHeight(input.height, input.validators);
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
    }
    const out = this.effects;
    this.effects = [];
    return out;
  }

  // ---- heights ----------------------------------------------------------------------------

  private startHeight(height: number, validators: Address[]): void {
    if (this.state && height <= this.state.height) return;
    if (validators.length === 0) throw new RangeError('validator set is empty');
    const keys = new Set<string>(validators.map(toHex));
    const s = new HeightState(
      height,
      [...validators],
      keys,
      quorumSize(validators.length),
      maxFaulty(validators.length),
    );
    this.state = s;
    for (const h of [...this.walByHeight.keys()]) if (h < height) this.walByHeight.delete(h);
    this.restoreFromWal(s);
    this.enterRound(s, s.round, null);
    const buffered = this.future.get(height);
    for (const h of [...this.future.keys()]) if (h <= height) this.future.delete(h);
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
        s.signed.set(`${r.round}:${r.type}`, { digest: r.digest, message: r.message });
        if (r.round > round) round = r.round;
      } else {
        const prepares = r.prepares.map((p) => decodeSignedPayload(rlpDecode(p), this.recover));
        const digest = this.codec.digestOf(r.block);
        if (!s.prepared || r.round > s.prepared.round) {
          s.prepared = { round: r.round, digest, block: r.block, prepares };
        }
      }
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
    for (const r of [...s.roundChanges.keys()]) if (r < round) s.roundChanges.delete(r);
    // Old rounds keep only an accepted proposal and its COMMITs: a late commit quorum still finalises.
    for (const [r, rs] of s.rounds) {
      if (r < round) {
        rs.pending = null;
        rs.prepares.clear();
        if (!rs.proposal) s.rounds.delete(r);
      }
    }
    s.futureCount.clear();
    for (const [r, rs] of s.rounds) {
      if (r <= round) continue;
      for (const k of [...rs.prepares.keys(), ...rs.commits.keys()]) this.countFuture(s, k);
    }
    for (const [r, rcs] of s.roundChanges)
      if (r > round) for (const k of rcs.keys()) this.countFuture(s, k);

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

  private countFuture(s: HeightState, sender: string): boolean {
    const n = s.futureCount.get(sender) ?? 0;
    if (n >= this.config.maxFutureRoundMessagesPerSender) return false;
    s.futureCount.set(sender, n + 1);
    return true;
  }

  private resendSigned(s: HeightState, round: number): void {
    for (const type of [MessageType.Proposal, MessageType.Prepare, MessageType.Commit]) {
      const signed = s.signed.get(`${round}:${type}`);
      if (!signed) continue;
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
    digest: Digest,
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
    s.signed.set(key, { digest, message });
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
      const signed = signRoundChange(this.signer!, s.height, round, prepared);
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
    const rs = s.roundState(round);
    if (rs.proposal) return;
    const stored = s.signed.get(`${round}:${MessageType.Proposal}`);
    if (stored) return; // re-sent by resendSigned
    if (round === 0) {
      this.requestBlock(s, round);
      return;
    }
    const justification = this.roundChangeJustification(s, round);
    if (!justification) return;
    if (justification.prepared) {
      this.propose(
        s,
        round,
        justification.prepared.block,
        justification.roundChanges,
        justification.prepared.prepares,
      );
    } else {
      this.requestBlock(s, round);
    }
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
    if (s.roundState(round).proposal) return;
    if (round === 0) {
      this.propose(s, round, block, [], []);
      return;
    }
    const justification = this.roundChangeJustification(s, round);
    if (!justification) return;
    if (justification.prepared) {
      this.propose(
        s,
        round,
        justification.prepared.block,
        justification.roundChanges,
        justification.prepared.prepares,
      );
    } else {
      this.propose(s, round, block, justification.roundChanges, []);
    }
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
  ): void {
    let digest: Digest;
    try {
      digest = this.codec.digestOf(block);
    } catch (e) {
      this.effects.push({
        kind: 'rejected',
        reason: `built block is malformed: ${(e as Error).message}`,
      });
      return;
    }
    const signed = signProposalPayload(this.signer!, s.height, round, digest);
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
    // Its own block needs no validation round trip.
    s.validity.set(toHex(digest), true);
    this.onMessage(bytes, true);
  }

  // ---- receiving --------------------------------------------------------------------------

  private decode(bytes: Uint8Array): ConsensusMessage | DecodeError {
    const cached = this.decodeCache?.get(bytes);
    if (cached) return cached;
    let result: ConsensusMessage | DecodeError;
    try {
      result = decodeMessage(bytes, this.recover, {
        maxMessageBytes: this.config.maxMessageBytes,
        maxJustification: 1024,
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
    const author = toHex(msg.signed.author);
    if (!s.validatorKeys.has(author)) {
      this.reject(
        `${MESSAGE_TYPE_NAMES[msg.type]} from non-validator ${author}`,
        msg.signed.author,
      );
      return;
    }
    if (s.committed) return;
    if (!own) this.noteSeen(s, msg.signed);
    switch (msg.type) {
      case MessageType.Proposal:
        this.onProposal(s, msg);
        break;
      case MessageType.Prepare:
        this.onPrepare(s, msg);
        break;
      case MessageType.Commit:
        this.onCommit(s, msg);
        break;
      case MessageType.RoundChange:
        this.onRoundChange(s, msg);
        break;
    }
  }

  private bufferFuture(msg: ConsensusMessage, bytes: Uint8Array): void {
    const current = this.state?.height ?? 0;
    const height = msg.signed.height;
    if (height > current + this.config.maxFutureHeights) return;
    const sender = toHex(msg.signed.author);
    let bySender = this.future.get(height);
    if (!bySender) {
      bySender = new Map();
      this.future.set(height, bySender);
    }
    let list = bySender.get(sender);
    if (!list) {
      if (bySender.size >= this.config.maxFutureHeightSenders) return;
      list = [];
      bySender.set(sender, list);
    }
    if (list.length >= this.config.maxFutureHeightMessagesPerSender) return;
    list.push(bytes);
  }

  /**
   * Records the first payload per (author, round, type). A second, different payload is
   * equivocation: reported once, then processed normally. An exact duplicate is processed too
   * (every handler is idempotent): the first copy may have been seen only inside a justification,
   * or dropped by the future-round bound, and must still count when it arrives itself.
   */
  private noteSeen(s: HeightState, p: SignedPayload): void {
    const key = `${toHex(p.author)}:${p.round}:${p.type}`;
    const first = s.firstSeen.get(key);
    if (!first) {
      s.firstSeen.set(key, p);
      return;
    }
    if (!equalBytes(first.digest, p.digest) && !s.evidenceReported.has(key)) {
      s.evidenceReported.add(key);
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
    for (const p of payloads) if (s.validatorKeys.has(toHex(p.author))) this.noteSeen(s, p);
  }

  /** q PREPAREs from distinct validators for exactly (height, round, digest). */
  private isPrepareCertificate(
    s: HeightState,
    prepares: readonly SignedPayload[],
    round: number,
    digest: Digest,
  ): string | null {
    const authors = new Set<string>();
    for (const p of prepares) {
      const a = toHex(p.author);
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

  private blockMatches(s: HeightState, block: Uint8Array, digest: Digest): string | null {
    try {
      if (this.codec.heightOf(block) !== s.height) return 'block is for another height';
      if (!equalBytes(this.codec.digestOf(block), digest))
        return 'block does not match the signed digest';
    } catch (e) {
      return `malformed block: ${(e as Error).message}`;
    }
    return null;
  }

  /** Checks a proposal's ROUND-CHANGE and PREPARE justification (QBFT's isValidProposalJustification). */
  private justificationError(s: HeightState, msg: ProposalMessage): string | null {
    const { round } = msg.signed;
    if (round === 0) {
      return msg.roundChanges.length === 0 && msg.prepares.length === 0
        ? null
        : 'round-0 proposal carries a justification';
    }
    const authors = new Set<string>();
    let highest: PreparedRef | null = null;
    let digestAtHighest = false;
    for (const rc of msg.roundChanges) {
      const a = toHex(rc.author);
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
      return msg.prepares.length === 0 ? null : 'unprepared justification carries PREPAREs';
    }
    for (const rc of msg.roundChanges) {
      const p = rc.prepared;
      if (p && p.round === highest.round && equalBytes(p.digest, msg.signed.digest))
        digestAtHighest = true;
    }
    if (!digestAtHighest) return 'proposal is not the highest prepared block';
    return this.isPrepareCertificate(s, msg.prepares, highest.round, msg.signed.digest);
  }

  private onProposal(s: HeightState, msg: ProposalMessage): void {
    const { round, author, digest } = msg.signed;
    if (round < s.round) return;
    if (!equalBytes(author, proposerOf(s.validators, s.height, round))) {
      this.reject(`PROPOSAL for round ${round} from a validator that is not its proposer`, author);
      return;
    }
    const error = this.blockMatches(s, msg.block, digest) ?? this.justificationError(s, msg);
    if (error) {
      this.reject(`invalid PROPOSAL: ${error}`, author);
      return;
    }
    this.checkEmbedded(s, msg.roundChanges);
    this.checkEmbedded(s, msg.prepares);
    const rs = s.roundState(round);
    if (rs.proposal || rs.pending) return; // first proposal per round wins; a second is evidence
    rs.pending = msg;
    if (round > s.round) {
      // A justified proposal proves q validators moved to its round.
      this.enterRound(s, round, 'proposal');
      return;
    }
    this.requestValidation(s, msg);
  }

  private requestValidation(s: HeightState, msg: ProposalMessage): void {
    const key = toHex(msg.signed.digest);
    const known = s.validity.get(key);
    if (known === true) {
      this.acceptProposal(s, msg);
      return;
    }
    if (known === false) {
      s.roundState(msg.signed.round).pending = null;
      return;
    }
    if (s.validating.has(key)) return;
    s.validating.add(key);
    this.effects.push({
      kind: 'validate-block',
      height: s.height,
      round: msg.signed.round,
      digest: msg.signed.digest,
      block: msg.block,
    });
  }

  private onBlockValidated(height: number, digest: Digest, valid: boolean, reason?: string): void {
    const s = this.state;
    if (!s || s.committed || height !== s.height) return;
    const key = toHex(digest);
    s.validating.delete(key);
    s.validity.set(key, valid);
    const rs = s.rounds.get(s.round);
    const pending = rs?.pending;
    if (!pending || !equalBytes(pending.signed.digest, digest)) return;
    if (valid) {
      this.acceptProposal(s, pending);
    } else {
      rs!.pending = null;
      this.reject(
        `invalid block proposed: ${reason ?? 'rejected by validation'}`,
        pending.signed.author,
      );
    }
  }

  private acceptProposal(s: HeightState, msg: ProposalMessage): void {
    const round = msg.signed.round;
    if (round !== s.round) return;
    const rs = s.roundState(round);
    if (rs.proposal) return;
    rs.pending = null;
    rs.proposal = msg;
    if (this.isValidator) {
      const digest = msg.signed.digest;
      const bytes = this.signOnce(s, round, MessageType.Prepare, digest, () =>
        encodeMessage({
          type: MessageType.Prepare,
          signed: signPrepare(this.signer!, s.height, round, digest),
        }),
      );
      if (bytes) {
        this.broadcast(s, MessageType.Prepare, round, bytes);
        this.onMessage(bytes, true);
      }
    }
    this.checkQuorums(s, round);
  }

  private storeVote(s: HeightState, map: Map<string, SignedPayload>, p: SignedPayload): boolean {
    const author = toHex(p.author);
    if (map.has(author)) return false;
    if (p.round > s.round && !this.countFuture(s, author)) return false;
    map.set(author, p);
    return true;
  }

  private onPrepare(s: HeightState, msg: PrepareMessage): void {
    const { round } = msg.signed;
    if (round < s.round) return;
    if (this.storeVote(s, s.roundState(round).prepares, msg.signed)) this.checkQuorums(s, round);
  }

  private onCommit(s: HeightState, msg: CommitMessage): void {
    const p = msg.signed;
    let sealer: Address;
    try {
      sealer = this.recover(commitSealDigest(p.digest, p.round), p.commitSeal!);
    } catch {
      this.reject('COMMIT with a malformed commit seal', p.author);
      return;
    }
    if (!equalBytes(sealer, p.author)) {
      this.reject('COMMIT whose seal is not signed by its sender', p.author);
      return;
    }
    // COMMITs for earlier rounds still count while that round's proposal is kept.
    const rs = p.round < s.round ? s.rounds.get(p.round) : s.roundState(p.round);
    if (!rs) return;
    if (this.storeVote(s, rs.commits, p)) this.checkQuorums(s, p.round);
  }

  private onRoundChange(s: HeightState, msg: RoundChangeMessage): void {
    const { round, author, prepared } = msg.signed;
    if (round < s.round) return;
    if (prepared) {
      if (!msg.preparedBlock) {
        this.reject('ROUND-CHANGE reports a prepared round without its block', author);
        return;
      }
      const error =
        this.blockMatches(s, msg.preparedBlock, prepared.digest) ??
        this.isPrepareCertificate(s, msg.prepares, prepared.round, prepared.digest);
      if (error) {
        this.reject(`invalid ROUND-CHANGE: ${error}`, author);
        return;
      }
    } else if (msg.preparedBlock || msg.prepares.length > 0) {
      this.reject('invalid ROUND-CHANGE: a block or PREPAREs without a prepared round', author);
      return;
    }
    this.checkEmbedded(s, msg.prepares);
    let rcs = s.roundChanges.get(round);
    if (!rcs) {
      rcs = new Map();
      s.roundChanges.set(round, rcs);
    }
    const key = toHex(author);
    if (rcs.has(key)) return;
    if (round > s.round && !this.countFuture(s, key)) return;
    rcs.set(key, msg);

    // f+1 ROUND-CHANGEs for higher rounds: at least one honest validator is there, follow it.
    const target = this.roundToJoin(s);
    if (target !== null && target > s.round) {
      this.enterRound(s, target, 'f+1');
      return;
    }
    if (round === s.round) this.tryPropose(s);
  }

  /** The highest round r such that f+1 distinct validators sent ROUND-CHANGEs for rounds >= r. */
  private roundToJoin(s: HeightState): number | null {
    const highest = new Map<string, number>();
    for (const [r, rcs] of s.roundChanges) {
      if (r <= s.round) continue;
      for (const sender of rcs.keys()) if ((highest.get(sender) ?? -1) < r) highest.set(sender, r);
    }
    if (highest.size < s.faulty + 1) return null;
    const rounds = [...highest.values()].sort((a, b) => b - a);
    return rounds[s.faulty]!;
  }

  // ---- quorums ----------------------------------------------------------------------------

  private matching(votes: Map<string, SignedPayload>, digest: Digest): SignedPayload[] {
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
            signed: signCommit(this.signer!, s.height, round, digest),
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

  private byValidatorOrder(s: HeightState, payloads: SignedPayload[]): SignedPayload[] {
    return payloads
      .map((p) => ({ p, i: indexOfValidator(s.validators, p.author) }))
      .sort((a, b) => a.i - b.i)
      .map((x) => x.p);
  }
}
