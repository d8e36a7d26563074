/**
 * The shell around the QBFT engine: it carries out the engine's effects with timers, a
 * transport, a persistent write-ahead log and the chain, and feeds the results back. Effects are
 * performed strictly in order, so a `wal-write` is on disk before the `broadcast` that follows it.
 *
 * Time is a `Scheduler`: real timers in a node, virtual ones in the consensus simulator, which
 * runs this very driver.
 */
import type { Address } from '../primitives/types.js';
import { QbftEngine, type EngineStats } from '../consensus/engine.js';
import { encodeMessage, signPrepare, type ConsensusMessage } from '../consensus/messages.js';
import { concatBytes, uint64be, utf8 } from '../crypto/bytes.js';
import { keccak256 } from '../crypto/keccak.js';
import { MessageType } from '../consensus/types.js';
import type { DecodeError } from '../codec/rlp.js';
import type {
  BlockCodec,
  CommitSeal,
  EngineConfig,
  EngineEffect,
  EngineInput,
  EquivocationEvidence,
  HeightConfig,
  Recover,
  Signer,
  WalRecord,
} from '../consensus/types.js';

/** What the chain offers consensus. */
export interface ConsensusHost {
  /** Height of the last committed block. */
  headHeight(): number;
  /** Validators of a height, in proposer order. */
  validatorsAt(height: number): Address[];
  /**
   * Keys that may sign consensus messages of the heights after `height` (the current and the
   * next epoch's sets); only their messages are buffered for later heights. Default: the set
   * of `height`.
   */
  upcomingValidators?(height: number): Address[];
  /**
   * Settings of a height that follow the chain's parameters (timeouts from the block time,
   * the message limit from the block size), asked when the height starts. Default: the
   * driver's `config` throughout.
   */
  configAt?(height: number): HeightConfig;
  /** Milliseconds until round 0 of the next height may propose (0 when due). */
  msUntilProposal(height: number): number;
  /**
   * A new, unsealed block for (height, round), or null when the head moved on. Block
   * execution may be async (the EVM): each of these three may return a promise.
   */
  buildBlock(height: number, round: number): MaybePromise<Uint8Array | null>;
  /** Whether an unsealed block may be committed on top of the head. */
  validateBlock(
    height: number,
    block: Uint8Array,
  ): MaybePromise<{ valid: boolean; reason?: string }>;
  /**
   * Seals, imports and persists a committed block; throws (or rejects) if it cannot. While a
   * returned promise is pending, the driver handles no further input.
   */
  commitBlock(
    height: number,
    round: number,
    block: Uint8Array,
    seals: CommitSeal[],
  ): MaybePromise<void>;
}

export type MaybePromise<T> = T | Promise<T>;

function isPromise<T>(v: MaybePromise<T>): v is Promise<T> {
  return typeof (v as { then?: unknown } | null)?.then === 'function';
}

export interface ConsensusTransport {
  broadcast(bytes: Uint8Array): void;
}

export interface WalStore {
  load(): WalRecord[];
  /** Makes the record durable before it returns; a throw drops the input's remaining effects. */
  append(record: WalRecord): void;
  /**
   * Used instead of `append` when given: the record is durable when the promise resolves, which
   * holds every later effect (the broadcast the record protects) and input until then; a
   * rejection drops the input's remaining effects, as a throw of `append` does.
   */
  appendAsync?(record: WalRecord): Promise<void>;
  /** Drops records of heights below `height`. */
  prune(height: number): void;
}

/** Timers and deferred work. */
export interface Scheduler {
  /** Runs `fn` after `ms` milliseconds; the returned function cancels it. */
  after(ms: number, fn: () => void): () => void;
  /** Runs `fn` soon, off the current call stack; the returned function cancels it. */
  soon(fn: () => void): () => void;
}

/** Node.js timers. */
const realScheduler: Scheduler = {
  after(ms, fn) {
    const t = setTimeout(fn, ms);
    return () => clearTimeout(t);
  },
  soon(fn) {
    const t = setImmediate(fn);
    return () => clearImmediate(t);
  },
};

export interface DriverEvents {
  onCommit?(height: number, round: number): void;
  onEvidence?(evidence: EquivocationEvidence): void;
  onRejected?(reason: string, author?: Address): void;
  onRoundChange?(height: number, round: number, reason: string): void;
  onError?(error: Error): void;
}

export interface DriverOptions {
  signer: Signer | null;
  recover: Recover;
  codec: BlockCodec;
  chainId: bigint;
  config?: Partial<EngineConfig>;
  host: ConsensusHost;
  transport: ConsensusTransport;
  wal: WalStore;
  events?: DriverEvents;
  /** Default: Node.js timers. */
  scheduler?: Scheduler;
  /** Shared decode results (a simulator delivers one bytes object to many drivers). */
  decodeCache?: WeakMap<Uint8Array, ConsensusMessage | DecodeError>;
  /**
   * Test only: after every PREPARE it broadcasts, the driver signs and broadcasts a second
   * PREPARE of the same height and round for another digest — equivocation, bypassing the
   * engine's write-ahead log — so that tests can watch honest nodes punish it.
   */
  equivocate?: boolean;
}

export class ConsensusDriver {
  private readonly engine: QbftEngine;
  private readonly scheduler: Scheduler;
  private readonly pending = new Set<() => void>();
  private stopped = false;
  private running = false;
  private readonly queue: EngineInput[] = [];

  constructor(private readonly options: DriverOptions) {
    this.scheduler = options.scheduler ?? realScheduler;
    this.engine = new QbftEngine({
      signer: options.signer,
      recover: options.recover,
      codec: options.codec,
      chainId: options.chainId,
      config: options.config,
      wal: options.wal.load(),
      decodeCache: options.decodeCache,
    });
  }

  get height(): number | null {
    return this.engine.height;
  }

  get round(): number | null {
    return this.engine.round;
  }

  /** Sizes of the engine's state (tests, metrics, the simulator's memory check). */
  stats(): EngineStats {
    return this.engine.stats();
  }

  start(): void {
    this.input(this.startInput(this.options.host.headHeight() + 1));
  }

  stop(): void {
    this.stopped = true;
    for (const cancel of this.pending) cancel();
    this.pending.clear();
  }

  /** A consensus message from a peer. */
  receive(bytes: Uint8Array): void {
    this.input({ kind: 'message', bytes });
  }

  /** The chain advanced by other means (block sync): move consensus to the new head. */
  headChanged(): void {
    this.start();
  }

  private startInput(height: number): EngineInput {
    const { host } = this.options;
    return {
      kind: 'start-height',
      height,
      validators: host.validatorsAt(height),
      candidates: host.upcomingValidators?.(height),
      config: host.configAt?.(height),
    };
  }

  /** Inputs are handled one at a time, in arrival order, even when an effect feeds a new one. */
  private input(input: EngineInput): void {
    if (this.stopped) return;
    this.queue.push(input);
    if (!this.running) this.drain();
  }

  /**
   * Carries out the effects of the input being handled, then handles the next input. An
   * effect that returns a promise (an async commit) holds everything until it settles.
   */
  private drain(): void {
    this.running = true;
    let waiting = false;
    try {
      // A stop (a crash, in the simulator) ends the work at once, between two effects.
      while (!this.stopped) {
        const effect = this.effects.shift();
        if (effect === undefined) {
          const next = this.queue.shift();
          if (next === undefined) break;
          this.effects = [...this.engine.handle(next)];
          continue;
        }
        const wait = this.carryOut(effect);
        if (wait !== undefined) {
          waiting = true;
          const resume = () => {
            this.running = false;
            if (!this.stopped) this.drain();
          };
          void wait.then(resume, (err: unknown) => {
            this.options.events?.onError?.(err as Error);
            resume();
          });
          return;
        }
      }
    } catch (e) {
      this.effects = [];
      this.options.events?.onError?.(e as Error);
    } finally {
      if (!waiting) this.running = false;
    }
  }

  /** Effects of the input being handled that are still to be carried out. */
  private effects: EngineEffect[] = [];

  /** Calls `then` with the value, at once when it is not a promise; a rejection is reported. */
  private settle<T>(value: MaybePromise<T>, then: (v: T) => void): void {
    if (!isPromise(value)) return then(value);
    value.then(
      (v) => {
        if (!this.stopped) then(v);
      },
      (e: unknown) => this.options.events?.onError?.(e as Error),
    );
  }

  private schedule(make: (fn: () => void) => () => void, fn: () => void): void {
    if (this.stopped) return;
    let cancel: (() => void) | null = null;
    const run = () => {
      if (cancel) this.pending.delete(cancel);
      if (!this.stopped) fn();
    };
    cancel = make(run);
    this.pending.add(cancel);
  }

  private later(ms: number, fn: () => void): void {
    this.schedule((run) => this.scheduler.after(ms, run), fn);
  }

  private soon(fn: () => void): void {
    this.schedule((run) => this.scheduler.soon(run), fn);
  }

  private equivocate(e: Extract<EngineEffect, { kind: 'broadcast' }>): void {
    const signer = this.options.signer;
    if (!signer) return;
    const digest = keccak256(
      concatBytes(utf8('etm-test-equivocation'), uint64be(BigInt(e.height))),
    );
    const signed = signPrepare(signer, this.options.chainId, e.height, e.round, digest);
    this.options.transport.broadcast(encodeMessage({ type: MessageType.Prepare, signed }));
  }

  private carryOut(e: EngineEffect): Promise<void> | undefined {
    const { host, events } = this.options;
    switch (e.kind) {
      case 'wal-write': {
        const { wal } = this.options;
        if (!wal.appendAsync) {
          wal.append(e.record);
          break;
        }
        return wal.appendAsync(e.record).catch((err: unknown) => {
          // Not on disk: nothing it protects may be sent.
          this.effects = [];
          throw err;
        });
      }
      case 'broadcast':
        this.options.transport.broadcast(e.bytes);
        if (this.options.equivocate && e.type === MessageType.Prepare) this.equivocate(e);
        break;
      case 'schedule-timer':
        this.later(e.delayMs, () =>
          this.input({ kind: 'timer', timer: e.timer, height: e.height, round: e.round }),
        );
        break;
      case 'build-block': {
        const build = () =>
          this.settle(host.buildBlock(e.height, e.round), (block) => {
            if (block) this.input({ kind: 'block-built', height: e.height, round: e.round, block });
          });
        const wait = e.round === 0 ? host.msUntilProposal(e.height) : 0;
        if (wait > 0) this.later(wait, build);
        else this.soon(build);
        break;
      }
      case 'validate-block':
        // Off the current stack: validation executes the block.
        this.soon(() =>
          this.settle(host.validateBlock(e.height, e.block), ({ valid, reason }) =>
            this.input({
              kind: 'block-validated',
              height: e.height,
              digest: e.digest,
              valid,
              reason,
            }),
          ),
        );
        break;
      case 'commit':
        return this.commit(e);
      case 'evidence':
        events?.onEvidence?.(e.evidence);
        break;
      case 'rejected':
        events?.onRejected?.(e.reason, e.author);
        break;
      case 'round-changed':
        events?.onRoundChange?.(e.height, e.round, e.reason);
        break;
    }
  }

  /**
   * Writes a decided block and moves to the next height. A block that cannot be written is
   * reported to the engine, which leaves the committed state: the driver is never stuck on it,
   * and the block sync can still bring the height's block from peers.
   */
  private commit(e: Extract<EngineEffect, { kind: 'commit' }>): Promise<void> | undefined {
    let done: MaybePromise<void>;
    try {
      done = this.options.host.commitBlock(e.height, e.round, e.block, e.seals);
    } catch (err) {
      this.commitFailed(e, err as Error);
      return undefined;
    }
    if (!isPromise(done)) {
      this.committed(e);
      return undefined;
    }
    return done.then(
      () => this.committed(e),
      (err: unknown) => this.commitFailed(e, err as Error),
    );
  }

  private commitFailed(e: Extract<EngineEffect, { kind: 'commit' }>, err: Error): void {
    this.options.events?.onError?.(err);
    this.queue.push({
      kind: 'commit-failed',
      height: e.height,
      digest: e.digest,
      reason: err.message,
    });
  }

  private committed(e: Extract<EngineEffect, { kind: 'commit' }>): void {
    const { host, events } = this.options;
    this.options.wal.prune(e.height + 1);
    events?.onCommit?.(e.height, e.round);
    const head = host.headHeight();
    this.queue.push(this.startInput((head > e.height ? head : e.height) + 1));
  }
}
