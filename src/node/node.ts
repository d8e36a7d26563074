/**
 * A node: chain, mempool, QBFT driver and network, wired together. The node is the shell that
 * owns time and I/O; every rule it applies lives in the pure modules it calls.
 */
import type { Address } from '../primitives/types.js';
import { join } from 'node:path';
import { equalBytes, toHex } from '../crypto/bytes.js';
import { RecoveryPool } from '../crypto/recovery-pool.js';
import { cachedRecover } from '../consensus/messages.js';
import { Secp256k1Signer, secp256k1Recover } from '../consensus/crypto.js';
import type { HeightConfig, Recover, Signer } from '../consensus/types.js';
import { chainBlockCodec, type Block } from '../chain/block.js';
import { Chain, ChainError, type RandaoRevealer } from '../chain/chain.js';
import { BlockError } from '../primitives/block-error.js';
import type { Genesis } from '../chain/genesis.js';
import type { StoredReceipt } from '../primitives/receipt.js';
import { ChainStore } from '../chain/store.js';
import { TxError } from '../execution/errors.js';
import { TxDecoder, type SignedTx } from '../execution/tx.js';
import { Mempool, type AccountView } from '../mempool/mempool.js';
import { runsInEvm } from '../execution/evm/block-run.js';
import { PARAMS } from '../params/registry.js';
import type { StateDB } from '../state/state-db.js';
import { setNodeCache, TrieNodeCache } from '../state/node-cache.js';
import { ConsensusDriver } from './consensus-driver.js';
import type { LogFields, Logger, LogLevel } from '../log/logger.js';
import { RandaoKeeper } from './randao.js';
import { EvidenceReporter, jailsAt } from './evidence.js';
import { BlockSync } from './sync.js';
import type { NodeNetwork, PeerView } from '../p2p/local-network.js';
import type { TxOutcome } from '../p2p/gossip.js';

/**
 * Largest consensus message a node accepts: a proposal or round change carries a whole block
 * (up to maxBlockBytes) plus its justification (signed round changes and prepares).
 */
export function maxConsensusMessageBytes(params: { maxBlockBytes: bigint }): number {
  return Number(params.maxBlockBytes) + 1024 * 1024;
}

/**
 * The consensus engine's settings for a block made under `params`: timeouts from the block
 * time, the message limit from the block size. Read from the head's state when a height
 * starts, so a parameter change by the DAO takes effect at the height the registry says.
 */
export function consensusConfigFor(params: {
  blockTimeMs: bigint;
  maxBlockBytes: bigint;
}): HeightConfig {
  const blockTimeMs = Number(params.blockTimeMs);
  return {
    baseTimeoutMs: 2 * blockTimeMs,
    maxRoundTimeoutMs: Math.max(60_000, 2 * blockTimeMs),
    maxMessageBytes: maxConsensusMessageBytes(params),
  };
}

export interface CommittedEvent {
  block: Block;
  hash: Uint8Array;
  /**
   * Decoded from the store when first read (most listeners never read them): read them during
   * the listener's call, not later.
   */
  readonly receipts: StoredReceipt[];
  transactions: SignedTx[];
  /** How the block arrived: decided by this node's consensus, or imported from a peer. */
  source: 'consensus' | 'sync';
  /** Time spent checking, executing and writing the block, in milliseconds. */
  importMs: number;
}

/** What became of a transaction received from a peer. */

const TRANSIENT_SKIPS: ReadonlySet<string> = new Set([
  'nonce-too-high',
  'gas-limit-too-high',
  'fee-cap-below-base-fee',
]);

export interface NodeOptions {
  /** Directory of this node's database. */
  datadir: string;
  genesis: Genesis;
  /** The consensus key; null for a node that follows without voting. */
  validatorKey: Uint8Array | null;
  /** Name used in logs and as the peer id. */
  name?: string;
  now?: () => number;
  /** Plain lines (the in-process devnet); ignored when `logger` is given. */
  log?: (line: string) => void;
  /** Structured events: consensus errors, evidence, rejected blocks, sync progress. */
  logger?: Logger;
  /**
   * Worker threads that recover the senders of transaction batches (RPC batches, gossiped
   * batches, synced blocks) beside the event loop. Default: a pool of its own with the
   * machine's cores less one; null recovers everything on the event loop; nodes of one process
   * may share a pool (the caller then closes it).
   */
  recoveryPool?: RecoveryPool | null;
  /**
   * Bytes the node's long-lived caches may take together (default 256 MiB): decoded trie nodes
   * 3/8, decoded transactions 1/4 and those recovered ahead 1/8, decoded blocks 3/16, recovered
   * consensus signers 1/16 (docs/node.md#memory).
   */
  cacheBytes?: number;
  /**
   * The mempool's size: transactions held at most (default 4,096) and their bytes together
   * (default 32 MiB) (docs/node.md#memory).
   */
  mempool?: { maxCount?: number; maxBytes?: number };
  /**
   * Test only: this validator double-signs (every PREPARE it sends is followed by a conflicting
   * one), so that tests can watch honest nodes carry the evidence into a block.
   */
  equivocate?: boolean;
}

/** The default total of a node's caches (NodeOptions.cacheBytes). */
export const DEFAULT_CACHE_BYTES = 256 * 1024 * 1024;

/**
 * How a node's cache budget is shared. Entry counts follow from the bytes: a decoded trie node
 * is counted at 1 KiB for the count bound (nodeBytes gives the byte bound), a recovered
 * consensus signer at 512 bytes (its key, a hex string of digest and signature, and address).
 */
export function cacheShares(total: number) {
  if (!Number.isSafeInteger(total) || total < 1024 * 1024)
    throw new RangeError(`cache bytes must be an integer of at least 1 MiB, got ${total}`);
  const part = (num: number, den: number) => Math.floor((total * num) / den);
  return {
    trieNodes: { bytes: part(3, 8), count: Math.max(2, Math.floor(part(3, 8) / 1024)) },
    transactions: part(1, 4),
    prefetched: part(1, 8),
    blocks: part(3, 16),
    signers: { bytes: part(1, 16), count: Math.max(1, Math.floor(part(1, 16) / 512)) },
  };
}

/** Reads of `state`, as the mempool sees accounts. */
function accountViewOf(state: StateDB): AccountView {
  return {
    nonce: (a) => state.readAccount(a).nonce,
    spendable: (a) => state.readAccount(a).balance,
  };
}

export class Node {
  readonly name: string;
  readonly chain: Chain;
  readonly mempool: Mempool;
  readonly decoder: TxDecoder;
  readonly signer: Signer | null;
  readonly recover: Recover;
  private readonly store: ChainStore;
  private driver: ConsensusDriver | null = null;
  private network: NodeNetwork | null = null;
  private syncTimer: ReturnType<typeof setInterval> | null = null;
  private readView: { root: Uint8Array; state: StateDB; view: AccountView } | null = null;
  private readonly listeners = new Set<(e: CommittedEvent) => void>();
  private readonly pendingListeners = new Set<(tx: SignedTx) => void>();
  private readonly rewindListeners = new Set<(head: bigint) => void>();
  /** Consensus and block sync paused for a rollback (the devnet's evm_revert). */
  private suspended = false;
  /** After a rollback: no proposal before this wall-clock time (ms), a block time after it. */
  private proposalNotBeforeMs = 0;
  private readonly log: (line: string) => void;
  /** Submits the equivocation evidence consensus raises (null for a follower). */
  readonly evidence: EvidenceReporter | null;
  private stopped = false;
  private readonly sync = new BlockSync({
    chain: () => this.chain,
    network: () => this.network,
    stopped: () => this.stopped || this.suspended,
    emit: (level, event, fields, text) => this.emit(level, event, fields, text),
    prepareTransactions: (raws) => this.prepareTransactions(raws),
    committed: (block, ms) => this.afterCommit(block, 'sync', ms),
    headChanged: () => this.driver?.headChanged(),
  });
  private recoveryPool: RecoveryPool | null;
  private readonly ownsRecoveryPool: boolean;
  /** This validator's RANDAO onions and their renewal (null for a follower). */
  private readonly randao: RandaoKeeper | null;

  constructor(private readonly options: NodeOptions) {
    this.name = options.name ?? 'node';
    this.log = options.log ?? (() => {});
    this.store = new ChainStore(join(options.datadir, 'chain'), {
      onWriteRetry: (e, attempt) =>
        this.emit('warn', 'store-retry', { error: e.message, attempt }, `store: ${e.message}`),
    });
    const caches = cacheShares(options.cacheBytes ?? DEFAULT_CACHE_BYTES);
    setNodeCache(this.store, new TrieNodeCache(caches.trieNodes.count, caches.trieNodes.bytes));
    this.recover = cachedRecover(secp256k1Recover, caches.signers.count);
    const { genesis } = options;
    this.decoder = new TxDecoder({
      chainId: genesis.chainId,
      // The registry's bound: a block's transactions are held to the limit in its parent's
      // state (checkBody), a new one to the head's (addTransaction).
      maxTxBytes: Number(PARAMS.maxTxBytes.max),
      cacheBytes: caches.transactions,
      prefetchBytes: caches.prefetched,
    });
    try {
      this.chain = new Chain({
        store: this.store,
        genesis,
        decoder: this.decoder,
        recover: this.recover,
        prefetch: (raws) => this.prepareTransactions(raws),
        now: options.now,
        blockCacheBytes: caches.blocks,
      });
    } catch (e) {
      void this.store.close();
      throw e;
    }
    this.mempool = new Mempool({
      minBaseFee: genesis.params.minBaseFee,
      blockGasLimit: genesis.params.blockGasLimit,
      limits: options.mempool,
    });
    this.signer = options.validatorKey ? new Secp256k1Signer(options.validatorKey) : null;
    // What the node's own transactions (RANDAO renewals, evidence) need of it.
    const chain = this.chain;
    const host = {
      // The head's parameters: a DAO change (the epoch length, the onion size) applies at once.
      get params() {
        return chain.nextParams();
      },
      chainId: genesis.chainId,
      head: () => ({ state: this.headReadState(), next: this.chain.headNumber + 1n }),
      nextBaseFee: () => this.chain.nextBaseFee(),
      pendingNonce: (a: Uint8Array) => this.mempool.pendingNonce(a, this.accountView()),
      submit: (raw: Uint8Array) => void this.submitTransaction(raw),
      log: (level: LogLevel, event: string, fields: LogFields, text: string) =>
        this.emit(level, event, fields, text),
    };
    const key = options.validatorKey;
    this.randao = key ? new RandaoKeeper(key, host) : null;
    this.evidence = key ? new EvidenceReporter(key, host) : null;
    // An own pool starts with the first batch, so a node that never meets one starts no thread.
    this.ownsRecoveryPool = options.recoveryPool === undefined;
    this.recoveryPool = options.recoveryPool ?? null;
  }

  get address(): Address | null {
    return this.signer?.address ?? null;
  }

  /** Height and round the consensus engine is working on (null before start). */
  get consensusHeight(): number | null {
    return this.driver?.height ?? null;
  }

  get consensusRound(): number | null {
    return this.driver?.round ?? null;
  }

  /** Peers this node can sync from (net_peerCount). */
  peerCount(): number {
    return this.network?.peers().length ?? 0;
  }

  /** Whether a block sync is under way. */
  get isSyncing(): boolean {
    return this.sync.syncing;
  }

  /** eth_syncing's view: where the sync under way started, and the best head peers offer. */
  syncStatus(): { startingBlock: bigint; currentBlock: bigint; highestBlock: bigint } | null {
    const current = this.chain.headNumber;
    const { syncing, start, highest } = this.sync;
    if (!syncing || highest <= current) return null;
    return { startingBlock: start, currentBlock: current, highestBlock: highest };
  }

  private emit(level: LogLevel, event: string, fields: LogFields, text: string): void {
    if (this.options.logger) this.options.logger.log(level, event, fields, `${this.name}: ${text}`);
    else if (level !== 'debug') this.log(`${this.name}: ${text}`);
  }

  /**
   * A read-only state at the head, kept until the head moves: every transaction admitted in
   * between reads accounts warm instead of opening the state from the store again.
   */
  private headReadState(): StateDB {
    return this.headRead().state;
  }

  private headRead(): { root: Uint8Array; state: StateDB; view: AccountView } {
    const root = this.chain.head.header.stateRoot;
    if (!this.readView || !equalBytes(this.readView.root, root)) {
      const state = this.chain.headReadState();
      this.readView = { root, state, view: accountViewOf(state) };
    }
    return this.readView;
  }

  /** Reads of the head state (or of `state`), as the mempool sees accounts. */
  accountView(state?: StateDB): AccountView {
    return state === undefined ? this.headRead().view : accountViewOf(state);
  }

  onCommitted(listener: (e: CommittedEvent) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** Told of every transaction the pool admits (from a client or a peer). */
  onPendingTransaction(listener: (tx: SignedTx) => void): () => void {
    this.pendingListeners.add(listener);
    return () => this.pendingListeners.delete(listener);
  }

  /** Told when the chain was rolled back (the devnet's evm_revert), with the new head. */
  onRewound(listener: (head: bigint) => void): () => void {
    this.rewindListeners.add(listener);
    return () => this.rewindListeners.delete(listener);
  }

  /** Connects the node to its network and starts consensus and block sync. */
  start(network: NodeNetwork): void {
    this.network = network;
    // Built now (N hashes), not in the middle of the first proposal.
    this.randao?.prepare();
    this.startConsensus(network);
    this.scheduleSync();
  }

  /**
   * The devnet's evm_revert, first step on every node of the process: stops consensus and block
   * sync, and waits until no block is being synced, built, checked or written. Consensus
   * messages and transactions that arrive meanwhile are dropped.
   */
  async suspend(): Promise<void> {
    if (this.stopped) return;
    this.suspended = true;
    this.driver?.stop();
    this.driver = null;
    if (this.syncTimer) clearTimeout(this.syncTimer);
    this.syncTimer = null;
    await this.sync.idle();
    await this.chain.idle();
  }

  /**
   * Second step, once every node is suspended: makes block `number` the head again (see
   * Chain.rollback) and empties the pool, whose transactions were checked against the old head.
   * Returns how many blocks were removed.
   */
  async rollback(number: bigint): Promise<number> {
    if (!this.suspended) throw new Error('rollback: the node is not suspended');
    const removed = await this.chain.rollback(number);
    for (const tx of this.mempool.all()) this.mempool.remove(tx.hash);
    this.readView = null;
    for (const l of this.rewindListeners) {
      try {
        l(this.chain.headNumber);
      } catch (e) {
        const error = (e as Error).message;
        this.emit('error', 'listener-error', { error }, `listener error: ${error}`);
      }
    }
    return removed;
  }

  /**
   * Last step: consensus starts again at the head + 1 (the WAL of the removed heights is gone, so
   * no vote of theirs binds it), proposing no earlier than `notBeforeMs`; block sync resumes.
   */
  resume(notBeforeMs: number): void {
    if (this.stopped || !this.suspended) return;
    this.suspended = false;
    this.proposalNotBeforeMs = notBeforeMs;
    if (this.network) {
      this.startConsensus(this.network);
      this.scheduleSync();
    }
  }

  private startConsensus(network: NodeNetwork): void {
    const params = this.chain.nextParams();
    this.driver = new ConsensusDriver({
      signer: this.signer,
      recover: this.recover,
      codec: chainBlockCodec,
      chainId: this.chain.chainId,
      equivocate: this.options.equivocate === true,
      config: consensusConfigFor(params),
      host: {
        headHeight: () => Number(this.chain.headNumber),
        // A height starts on top of the head: its block is made under the head's parameters.
        configAt: () => consensusConfigFor(this.chain.nextParams()),
        validatorsAt: (h) => this.chain.validatorsAt(BigInt(h)),
        upcomingValidators: (h) => this.chain.upcomingValidators(BigInt(h)),
        msUntilProposal: () =>
          Math.max(
            0,
            Math.max(Number(this.chain.nextProposalTimeMs()), this.proposalNotBeforeMs) -
              (this.options.now ?? Date.now)(),
          ),
        buildBlock: (h, round) => this.build(h, round),
        validateBlock: (h, block) => this.validate(h, block),
        commitBlock: async (h, round, block, seals) => {
          if (BigInt(h) !== this.chain.headNumber + 1n) return;
          const started = performance.now();
          const sealed = await this.chain.commitDecided(block, round, seals);
          this.afterCommit(sealed, 'consensus', performance.now() - started);
        },
      },
      transport: { broadcast: (bytes) => network.broadcastConsensus(bytes) },
      wal: {
        load: () => this.store.walLoad(),
        append: (r) => this.store.walAppend(r),
        // On the write thread: the loop admits transactions while the record is flushed.
        appendAsync: (r) => this.store.walAppendAsync(r),
        prune: (h) =>
          void this.store
            .walPruneAsync(h)
            .catch((e: Error) =>
              this.emit('warn', 'wal-prune', { error: e.message }, `WAL prune: ${e.message}`),
            ),
      },
      events: {
        onEvidence: (e) => {
          this.evidence?.add(e);
          this.emit(
            'warn',
            'equivocation',
            {
              validator: toHex(e.validator),
              height: e.height,
              round: e.round,
              type: e.type,
              first: toHex(e.first),
              second: toHex(e.second),
            },
            `equivocation by ${toHex(e.validator)} at height ${e.height} round ${e.round}`,
          );
        },
        onError: (e) =>
          this.emit(
            'error',
            'consensus-error',
            { error: e.message },
            `consensus error: ${e.message}`,
          ),
      },
    });
    this.driver.start();
  }

  /** Polls peers for blocks once per block time (the head's, which the DAO may change). */
  private scheduleSync(): void {
    if (this.stopped || this.suspended) return;
    this.syncTimer = setTimeout(() => {
      void this.syncFromPeers()
        .catch((e: Error) =>
          this.emit('error', 'sync-error', { error: e.message }, `sync error: ${e.message}`),
        )
        .finally(() => this.scheduleSync());
    }, Number(this.chain.nextParams().blockTimeMs));
  }

  async stop(): Promise<void> {
    if (this.stopped) return;
    this.stopped = true;
    this.driver?.stop();
    if (this.syncTimer) clearTimeout(this.syncTimer);
    // A block being validated or built may still read the store (after waiting for its
    // senders' recovery): it finishes before the store closes.
    await this.chain.idle();
    if (this.ownsRecoveryPool) await this.recoveryPool?.close();
    await this.store.close();
  }

  /** A consensus message from the network. */
  receiveConsensus(bytes: Uint8Array): void {
    if (!this.stopped) this.driver?.receive(bytes);
  }

  /**
   * A transaction gossiped by a peer: added if valid, otherwise dropped with the reason (a
   * peer's invalid or duplicate transaction is not our client's error). Not re-broadcast: the
   * network relays what was added.
   */
  receiveTransaction(raw: Uint8Array): TxOutcome {
    if (this.stopped || this.suspended) return { added: false, code: 'pool-full' };
    try {
      this.addTransaction(raw, false);
      return { added: true };
    } catch (e) {
      if (e instanceof TxError) return { added: false, code: e.code };
      throw e;
    }
  }

  /**
   * Recovers the senders of transactions about to be submitted or received (a batch) on the
   * worker pool, so that their admission finds them decoded. Never throws: what is wrong with a
   * transaction is reported when it is submitted.
   */
  async prepareTransactions(raws: readonly Uint8Array[]): Promise<void> {
    if (this.stopped || raws.length < 2) return;
    if (!this.recoveryPool && this.ownsRecoveryPool) this.recoveryPool = new RecoveryPool();
    if (!this.recoveryPool) return;
    await this.decoder.prefetch(raws, this.recoveryPool);
  }

  /** Validates a raw transaction, adds it to the mempool and gossips it. Throws TxError. */
  submitTransaction(raw: Uint8Array): SignedTx {
    return this.addTransaction(raw, true);
  }

  private addTransaction(raw: Uint8Array, gossip: boolean): SignedTx {
    const { maxTxBytes, blockGasLimit, maxContractGasPerBlock } = this.chain.nextParams();
    if (raw instanceof Uint8Array && BigInt(raw.length) > maxTxBytes)
      throw new TxError(
        'oversized',
        `oversized transaction: ${raw.length} bytes, limit ${maxTxBytes}`,
      );
    const tx = this.decoder.decode(raw);
    // An EVM transaction whose gas limit alone passes a block's contract gas budget could never
    // be included: refused here rather than dropped when a block is built.
    // The budget is the head's (governance may change it).
    if (tx.gasLimit > maxContractGasPerBlock && runsInEvm(this.headReadState(), tx))
      throw new TxError(
        'gas-limit-too-high',
        `exceeds the contract gas budget of a block: gas ${tx.gasLimit}, budget ${maxContractGasPerBlock}`,
      );
    this.mempool.blockGasLimit = blockGasLimit;
    this.mempool.add(tx, this.accountView(), this.chain.nextBaseFee());
    // Only what the pool took is remembered: a refused transaction costs no memory.
    this.decoder.keep(tx);
    if (gossip) this.network?.broadcastTransaction(raw);
    for (const l of this.pendingListeners) {
      try {
        l(tx);
      } catch (e) {
        const error = (e as Error).message;
        this.emit('error', 'listener-error', { error }, `listener error: ${error}`);
      }
    }
    return tx;
  }

  /** The next layer of this validator's RANDAO onion, if it is the one the chain expects. */
  private readonly revealer: RandaoRevealer = (_index, _hashesTo, due) =>
    this.randao?.reveal(due) ?? null;

  private async build(height: number, round: number): Promise<Uint8Array | null> {
    if (BigInt(height) !== this.chain.headNumber + 1n || !this.signer) return null;
    const view = this.accountView();
    const params = this.chain.nextParams();
    const candidates = this.mempool.selectForBlock(
      view,
      this.chain.nextBaseFee(),
      params.blockGasLimit,
      Number(params.maxBlockBytes),
    );
    let built;
    try {
      built = await this.chain.buildBlock(this.signer.address, candidates, this.revealer, round);
    } catch (e) {
      if (!(e instanceof ChainError)) throw e;
      this.emit('warn', 'build-failed', { height, error: e.message }, e.message);
      return null;
    }
    // Built while the parent's write was flushing; proposed only once the parent is on disk.
    await this.chain.durable();
    // Drop what can never be included; keep what only missed this block (a gap left by a
    // skipped predecessor, a full block, a base fee above its cap for now).
    for (const { tx, error } of built.skipped)
      if (!TRANSIENT_SKIPS.has(error.code)) this.mempool.remove(tx.hash);
    return built.bytes;
  }

  private async validate(
    height: number,
    block: Uint8Array,
  ): Promise<{ valid: boolean; reason?: string }> {
    if (BigInt(height) !== this.chain.headNumber + 1n)
      return { valid: false, reason: 'not on the head' };
    try {
      await this.chain.validateBlock(block);
      // The parent must be on disk before this node prepares (then commits) a block on it.
      await this.chain.durable();
      return { valid: true };
    } catch (e) {
      if (e instanceof BlockError) return { valid: false, reason: e.message };
      throw e;
    }
  }

  private afterCommit(block: Block, source: CommittedEvent['source'], importMs: number): void {
    const number = block.header.number;
    this.mempool.onNewHead(this.accountView(), this.chain.nextBaseFee());
    // Renewing needs the current state: not while catching up.
    if (!this.sync.syncing) {
      this.randao?.afterCommit();
      this.evidence?.afterCommit();
    }
    // A jail happens in block work (its logs are in the block-work receipt): the node reports it.
    for (const j of jailsAt(this.headReadState(), number, this.chain.nextParams()))
      this.emit(
        'warn',
        'jailed',
        { operator: toHex(j.operator), slashed: j.amount, untilEpoch: j.untilEpoch },
        `candidate ${toHex(j.operator)} jailed for downtime until epoch ${j.untilEpoch}, slashed ${j.amount} units`,
      );
    if (this.listeners.size === 0) return;
    const hash = this.chain.headHash;
    const transactions = this.chain.transactionsOf(block);
    // Listeners (subscriptions, filters) are told off the consensus path, in commit order.
    const chain = this.chain;
    this.deferred.push(() => {
      let receipts: StoredReceipt[] | null = null;
      const event: CommittedEvent = {
        block,
        hash,
        get receipts() {
          return (receipts ??= chain.receiptsAt(number));
        },
        transactions,
        source,
        importMs,
      };
      for (const l of this.listeners) {
        try {
          l(event);
        } catch (e) {
          const error = (e as Error).message;
          this.emit('error', 'listener-error', { error }, `listener error: ${error}`);
        }
      }
    });
    if (this.deferred.length === 1) setImmediate(() => this.runDeferred());
  }

  /** Work deferred from commits, run in order once the commit path has let go of the loop. */
  private readonly deferred: Array<() => void> = [];

  private runDeferred(): void {
    const work = this.deferred.splice(0);
    // A stopped node's store is closed: nothing more is read from it.
    if (this.stopped) return;
    for (const w of work) w();
  }

  /**
   * Imports blocks that peers have committed and this node missed (see src/node/sync.ts), then
   * moves consensus to the new head.
   */
  syncFromPeers(): Promise<void> {
    return this.sync.run();
  }

  /** What peers on a LocalNetwork see of this node. */
  peerView(): PeerView {
    return {
      id: this.name,
      headNumber: () => (this.stopped ? -1n : this.chain.headNumber),
      blocks: async (from, count) => {
        const out: Uint8Array[] = [];
        for (let n = from; n < from + BigInt(count) && !this.stopped; n++) {
          const b = this.chain.blockBytesAt(n);
          if (!b) break;
          out.push(b);
        }
        return out;
      },
    };
  }
}
