/**
 * Block sync: imports blocks that peers have committed and this node missed (late start,
 * restart, partition), in batches from the peer furthest ahead. Each block is checked by the
 * chain (seals against the height's validators, then every block rule); a peer that serves an
 * invalid block is penalised and left alone for a while.
 */
import { decodeBlock, type Block } from '../chain/block.js';
import type { Chain } from '../chain/chain.js';
import { BlockError } from '../primitives/block-error.js';
import type { LogFields, LogLevel } from '../log/logger.js';
import type { NodeNetwork, PeerView } from '../p2p/local-network.js';

/** Blocks asked of a peer at once while syncing. */
const SYNC_BATCH = 64;
/** A peer whose blocks request failed is left alone this long. */
const SYNC_BACKOFF_MS = 5_000;

/** What sync needs of its node. */
export interface SyncHost {
  chain(): Chain;
  network(): NodeNetwork | null;
  stopped(): boolean;
  emit(level: LogLevel, event: string, fields: LogFields, text: string): void;
  /** Recovers transactions' senders ahead of their import. */
  prepareTransactions(raws: readonly Uint8Array[]): Promise<void>;
  /** A synced block was imported. */
  committed(block: Block, importMs: number): void;
  /** The head moved: consensus goes on from it. */
  headChanged(): void;
}

export class BlockSync {
  /** Whether a sync is under way, where it started and the best head peers offered. */
  syncing = false;
  start = 0n;
  highest = 0n;
  private readonly backoff = new Map<string, number>();

  constructor(private readonly host: SyncHost) {}

  private current: Promise<void> = Promise.resolve();

  /** Resolves once the run under way (if any) has ended. */
  idle(): Promise<void> {
    return this.current;
  }

  /** Syncs until no peer is ahead (or the one ahead fails); one run at a time. */
  run(): Promise<void> {
    if (this.syncing || this.host.stopped() || !this.host.network()) return Promise.resolve();
    const run = this.runOnce();
    this.current = run.catch(() => undefined);
    return run;
  }

  private async runOnce(): Promise<void> {
    const chain = this.host.chain();
    this.syncing = true;
    this.start = chain.headNumber;
    try {
      for (;;) {
        if (this.host.stopped()) return;
        const next = chain.headNumber + 1n;
        const peer = this.pickPeer(next);
        if (!peer) return;
        if (peer.headNumber() > this.highest) this.highest = peer.headNumber();
        const ahead = peer.headNumber() - next + 1n;
        const want = ahead < BigInt(SYNC_BATCH) ? Number(ahead) : SYNC_BATCH;
        let blocks: Uint8Array[];
        try {
          blocks = await peer.blocks(next, want);
        } catch (e) {
          this.backOff(peer.id);
          const error = (e as Error).message;
          this.host.emit(
            'debug',
            'sync-request-failed',
            { peer: peer.id, error },
            `sync: ${error}`,
          );
          return;
        }
        if (this.host.stopped()) return;
        const imported = await this.importBatch(peer, next, blocks);
        if (imported > 0) {
          this.host.emit(
            'debug',
            'synced',
            { peer: peer.id, from: next, count: imported, head: chain.headNumber },
            `synced ${imported} blocks from ${peer.id}, head ${chain.headNumber}`,
          );
          this.host.headChanged();
        }
        if (imported === 0) {
          this.backOff(peer.id);
          return;
        }
      }
    } finally {
      this.syncing = false;
    }
  }

  private pickPeer(next: bigint): PeerView | undefined {
    const now = Date.now();
    for (const [id, until] of this.backoff) if (until <= now) this.backoff.delete(id);
    let best: PeerView | undefined;
    for (const p of this.host.network()!.peers()) {
      if (this.backoff.has(p.id) || p.headNumber() < next) continue;
      if (!best || p.headNumber() > best.headNumber()) best = p;
    }
    return best;
  }

  private backOff(peer: string): void {
    if (this.backoff.size < 4096) this.backoff.set(peer, Date.now() + SYNC_BACKOFF_MS);
  }

  /** Recovers the senders of synced blocks' transactions ahead of their import. */
  private async prepareBlocks(blocks: readonly Uint8Array[]): Promise<void> {
    if (blocks.length === 0) return;
    const raws: Uint8Array[] = [];
    for (const bytes of blocks) {
      try {
        raws.push(...decodeBlock(bytes).transactions);
      } catch {
        // The import refuses it, and blames the peer.
      }
    }
    await this.host.prepareTransactions(raws);
  }

  /**
   * Imports consecutive blocks from `first`; returns how many were new. The senders of the
   * next block are recovered on the worker pool while this one is imported.
   */
  private async importBatch(peer: PeerView, first: bigint, blocks: Uint8Array[]): Promise<number> {
    const chain = this.host.chain();
    let imported = 0;
    let ahead = this.prepareBlocks(blocks.slice(0, 1));
    for (let i = 0; i < blocks.length; i++) {
      await ahead;
      if (this.host.stopped()) break;
      ahead = this.prepareBlocks(blocks.slice(i + 1, i + 2));
      const number = first + BigInt(i);
      // Consensus may have committed some of them while the request was in flight.
      if (number <= chain.headNumber) continue;
      const started = performance.now();
      try {
        const block = await chain.importSealed(blocks[i]!);
        imported++;
        this.host.committed(block, performance.now() - started);
      } catch (e) {
        // Whatever a peer's block makes the checks throw, it is that block's fault.
        if (!(e instanceof BlockError))
          this.host.emit('error', 'import-error', { error: (e as Error).stack }, String(e));
        this.host.network()?.penalize?.(peer.id, 'invalid-block', (e as Error).message);
        this.backOff(peer.id);
        this.host.emit(
          'warn',
          'block-rejected',
          { peer: peer.id, height: number, error: (e as Error).message },
          `rejected block ${number} from ${peer.id}: ${(e as Error).message}`,
        );
        break;
      }
    }
    await ahead;
    return imported;
  }
}
