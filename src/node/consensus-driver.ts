/**
 * The shell around the QBFT engine: it carries out the engine's effects with real timers, a
 * transport, a persistent write-ahead log and the chain, and feeds the results back. Effects are
 * performed strictly in order, so a `wal-write` is on disk before the `broadcast` that follows it.
 */
import { QbftEngine } from '../consensus/engine.js';
import type {
  Address,
  BlockCodec,
  CommitSeal,
  EngineConfig,
  EngineEffect,
  EngineInput,
  EquivocationEvidence,
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
  /** Milliseconds until round 0 of the next height may propose (0 when due). */
  msUntilProposal(height: number): number;
  /** A new, unsealed block for (height, round), or null when the head moved on. */
  buildBlock(height: number, round: number): Uint8Array | null;
  /** Whether an unsealed block may be committed on top of the head. */
  validateBlock(height: number, block: Uint8Array): { valid: boolean; reason?: string };
  /** Seals, imports and persists a committed block. */
  commitBlock(height: number, round: number, block: Uint8Array, seals: CommitSeal[]): void;
}

export interface ConsensusTransport {
  broadcast(bytes: Uint8Array): void;
}

export interface WalStore {
  load(): WalRecord[];
  append(record: WalRecord): void;
  /** Drops records of heights below `height`. */
  prune(height: number): void;
}

export interface DriverEvents {
  onCommit?(height: number, round: number): void;
  onEvidence?(evidence: EquivocationEvidence): void;
  onRejected?(reason: string, author?: Address): void;
  onRoundChange?(height: number, round: number, reason: string): void;
  onError?(error: Error): void;
}

export class ConsensusDriver {
  private readonly engine: QbftEngine;
  private readonly timers = new Set<ReturnType<typeof setTimeout>>();
  private stopped = false;
  private running = false;
  private readonly queue: EngineInput[] = [];

  constructor(
    private readonly options: {
      signer: Signer | null;
      recover: Recover;
      codec: BlockCodec;
      config?: Partial<EngineConfig>;
      host: ConsensusHost;
      transport: ConsensusTransport;
      wal: WalStore;
      events?: DriverEvents;
    },
  ) {
    this.engine = new QbftEngine({
      signer: options.signer,
      recover: options.recover,
      codec: options.codec,
      config: options.config,
      wal: options.wal.load(),
    });
  }

  get height(): number | null {
    return this.engine.height;
  }

  get round(): number | null {
    return this.engine.round;
  }

  start(): void {
    const next = this.options.host.headHeight() + 1;
    this.input({
      kind: 'start-height',
      height: next,
      validators: this.options.host.validatorsAt(next),
    });
  }

  stop(): void {
    this.stopped = true;
    for (const t of this.timers) clearTimeout(t);
    this.timers.clear();
  }

  /** A consensus message from a peer. */
  receive(bytes: Uint8Array): void {
    this.input({ kind: 'message', bytes });
  }

  /** The chain advanced by other means (block sync): move consensus to the new head. */
  headChanged(): void {
    this.start();
  }

  /** Inputs are handled one at a time, in arrival order, even when an effect feeds a new one. */
  private input(input: EngineInput): void {
    if (this.stopped) return;
    this.queue.push(input);
    if (this.running) return;
    this.running = true;
    try {
      for (let next = this.queue.shift(); next; next = this.queue.shift()) {
        if (this.stopped) break;
        for (const effect of this.engine.handle(next)) this.carryOut(effect);
      }
    } catch (e) {
      this.options.events?.onError?.(e as Error);
    } finally {
      this.running = false;
    }
  }

  private later(ms: number, fn: () => void): void {
    if (this.stopped) return;
    const t = setTimeout(() => {
      this.timers.delete(t);
      if (!this.stopped) fn();
    }, ms);
    this.timers.add(t);
  }

  private carryOut(e: EngineEffect): void {
    const { host, events } = this.options;
    switch (e.kind) {
      case 'wal-write':
        this.options.wal.append(e.record);
        break;
      case 'broadcast':
        this.options.transport.broadcast(e.bytes);
        break;
      case 'schedule-timer':
        this.later(e.delayMs, () =>
          this.input({ kind: 'timer', timer: e.timer, height: e.height, round: e.round }),
        );
        break;
      case 'build-block': {
        const build = () => {
          const block = host.buildBlock(e.height, e.round);
          if (block) this.input({ kind: 'block-built', height: e.height, round: e.round, block });
        };
        const wait = e.round === 0 ? host.msUntilProposal(e.height) : 0;
        if (wait > 0) this.later(wait, build);
        else setImmediate(() => !this.stopped && build());
        break;
      }
      case 'validate-block':
        // Off the current stack: validation executes the block.
        setImmediate(() => {
          if (this.stopped) return;
          const { valid, reason } = host.validateBlock(e.height, e.block);
          this.input({
            kind: 'block-validated',
            height: e.height,
            digest: e.digest,
            valid,
            reason,
          });
        });
        break;
      case 'commit': {
        host.commitBlock(e.height, e.round, e.block, e.seals);
        this.options.wal.prune(e.height + 1);
        events?.onCommit?.(e.height, e.round);
        const next = e.height + 1;
        this.queue.push({
          kind: 'start-height',
          height: next,
          validators: host.validatorsAt(next),
        });
        break;
      }
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
}
