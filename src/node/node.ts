/**
 * A node: chain, mempool, QBFT driver and network, wired together. The node is the shell that
 * owns time and I/O; every rule it applies lives in the pure modules it calls.
 */
import { join } from 'node:path';
import { equalBytes, toHex } from '../crypto/bytes.js';
import { keccak256 } from '../crypto/keccak.js';
import { cachedRecover } from '../consensus/messages.js';
import { Secp256k1Signer, secp256k1Recover } from '../consensus/crypto.js';
import type { Address, EquivocationEvidence, Recover, Signer } from '../consensus/types.js';
import { chainBlockCodec, type Block } from '../chain/block.js';
import { Chain, ImportError, type RandaoRevealer } from '../chain/chain.js';
import type { Genesis } from '../chain/genesis.js';
import type { StoredReceipt } from '../chain/receipt.js';
import { ChainStore } from '../chain/store.js';
import { TxError } from '../execution/errors.js';
import { TxDecoder, type SignedTx } from '../execution/tx.js';
import { Mempool, type AccountView } from '../mempool/mempool.js';
import type { StateDB } from '../state/state-db.js';
import { ConsensusDriver } from './consensus-driver.js';
import { onionFromKey } from './randao.js';
import type { NodeNetwork, PeerView } from './network.js';

export interface CommittedEvent {
  block: Block;
  hash: Uint8Array;
  receipts: StoredReceipt[];
  transactions: SignedTx[];
  /** How the block arrived: decided by this node's consensus, or imported from a peer. */
  source: 'consensus' | 'sync';
}

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
  log?: (line: string) => void;
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
  private syncing = false;
  private readonly listeners = new Set<(e: CommittedEvent) => void>();
  private readonly log: (line: string) => void;
  readonly evidence: EquivocationEvidence[] = [];
  private stopped = false;

  constructor(private readonly options: NodeOptions) {
    this.name = options.name ?? 'node';
    this.log = options.log ?? (() => {});
    this.store = new ChainStore(join(options.datadir, 'chain'));
    this.recover = cachedRecover(secp256k1Recover);
    const { genesis } = options;
    this.decoder = new TxDecoder({
      chainId: genesis.chainId,
      maxTxBytes: Number(genesis.params.maxTxBytes),
    });
    try {
      this.chain = new Chain({
        store: this.store,
        genesis,
        decoder: this.decoder,
        recover: this.recover,
        now: options.now,
      });
    } catch (e) {
      void this.store.close();
      throw e;
    }
    this.mempool = new Mempool({
      minBaseFee: genesis.params.minBaseFee,
      blockGasLimit: genesis.params.blockGasLimit,
    });
    this.signer = options.validatorKey ? new Secp256k1Signer(options.validatorKey) : null;
  }

  get address(): Address | null {
    return this.signer?.address ?? null;
  }

  /** Reads of the head state, as the mempool sees accounts. */
  accountView(state: StateDB = this.chain.headState()): AccountView {
    return {
      nonce: (a) => state.getAccount(a).nonce,
      spendable: (a) => state.getAccount(a).balance,
    };
  }

  onCommitted(listener: (e: CommittedEvent) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** Connects the node to its network and starts consensus and block sync. */
  start(network: NodeNetwork): void {
    this.network = network;
    // Built now (N hashes), not in the middle of the first proposal.
    if (this.options.validatorKey) onionFromKey(this.options.validatorKey);
    const params = this.chain.params;
    const blockTimeMs = Number(params.blockTimeMs);
    this.driver = new ConsensusDriver({
      signer: this.signer,
      recover: this.recover,
      codec: chainBlockCodec,
      config: {
        baseTimeoutMs: 2 * blockTimeMs,
        maxRoundTimeoutMs: Math.max(60_000, 2 * blockTimeMs),
      },
      host: {
        headHeight: () => Number(this.chain.headNumber),
        validatorsAt: (h) => this.chain.validatorsAt(BigInt(h)),
        msUntilProposal: () =>
          Math.max(0, Number(this.chain.nextProposalTimeMs()) - (this.options.now ?? Date.now)()),
        buildBlock: (h) => this.build(h),
        validateBlock: (h, block) => this.validate(h, block),
        commitBlock: (h, round, block, seals) => {
          if (BigInt(h) !== this.chain.headNumber + 1n) return;
          const sealed = this.chain.commitDecided(block, round, seals);
          this.afterCommit(sealed, 'consensus');
        },
      },
      transport: { broadcast: (bytes) => network.broadcastConsensus(bytes) },
      wal: {
        load: () => this.store.walLoad(),
        append: (r) => this.store.walAppend(r),
        prune: (h) => this.store.walPrune(h),
      },
      events: {
        onEvidence: (e) => {
          this.evidence.push(e);
          this.log(
            `${this.name}: equivocation by ${toHex(e.validator)} at height ${e.height} round ${e.round}`,
          );
        },
        onError: (e) => this.log(`${this.name}: consensus error: ${e.message}`),
      },
    });
    this.driver.start();
    this.syncTimer = setInterval(() => this.syncFromPeers(), blockTimeMs);
  }

  async stop(): Promise<void> {
    if (this.stopped) return;
    this.stopped = true;
    this.driver?.stop();
    if (this.syncTimer) clearInterval(this.syncTimer);
    await this.store.close();
  }

  /** A consensus message from the network. */
  receiveConsensus(bytes: Uint8Array): void {
    if (!this.stopped) this.driver?.receive(bytes);
  }

  /** A transaction gossiped by a peer: added if valid, silently dropped otherwise. */
  receiveTransaction(raw: Uint8Array): void {
    if (this.stopped) return;
    try {
      this.addTransaction(raw, false);
    } catch {
      /* a peer's invalid or duplicate transaction is not our client's error */
    }
  }

  /** Validates a raw transaction, adds it to the mempool and gossips it. Throws TxError. */
  submitTransaction(raw: Uint8Array): SignedTx {
    return this.addTransaction(raw, true);
  }

  private addTransaction(raw: Uint8Array, gossip: boolean): SignedTx {
    const tx = this.decoder.decode(raw);
    this.mempool.add(tx, this.accountView(), this.chain.nextBaseFee());
    if (gossip) this.network?.broadcastTransaction(raw);
    return tx;
  }

  /** The next layer of this validator's RANDAO onion, if it is the one the chain expects. */
  private readonly revealer: RandaoRevealer = (index, hashesTo) => {
    if (!this.options.validatorKey) return null;
    const onion = onionFromKey(this.options.validatorKey);
    if (index >= BigInt(onion.length)) {
      this.log(`${this.name}: RANDAO onion exhausted; the validator cannot propose`);
      return null;
    }
    const reveal = onion.reveal(Number(index));
    return equalBytes(keccak256(reveal), hashesTo) ? reveal : null;
  };

  private build(height: number): Uint8Array | null {
    if (BigInt(height) !== this.chain.headNumber + 1n || !this.signer) return null;
    const view = this.accountView();
    const params = this.chain.params;
    const candidates = this.mempool.selectForBlock(
      view,
      this.chain.nextBaseFee(),
      params.blockGasLimit,
      Number(params.maxBlockBytes),
    );
    let built;
    try {
      built = this.chain.buildBlock(this.signer.address, candidates, this.revealer);
    } catch (e) {
      if (!(e instanceof ImportError)) throw e;
      this.log(`${this.name}: ${e.message}`);
      return null;
    }
    // Drop what can never be included; keep what only missed this block (a gap left by a
    // skipped predecessor, a full block, a base fee above its cap for now).
    for (const { tx, error } of built.skipped)
      if (!TRANSIENT_SKIPS.has(error.code)) this.mempool.remove(tx.hash);
    return built.bytes;
  }

  private validate(height: number, block: Uint8Array): { valid: boolean; reason?: string } {
    if (BigInt(height) !== this.chain.headNumber + 1n)
      return { valid: false, reason: 'not on the head' };
    try {
      this.chain.validateBlock(block);
      return { valid: true };
    } catch (e) {
      if (e instanceof ImportError || e instanceof TxError)
        return { valid: false, reason: e.message };
      throw e;
    }
  }

  private afterCommit(block: Block, source: CommittedEvent['source']): void {
    const number = block.header.number;
    this.mempool.onNewHead(this.accountView(), this.chain.nextBaseFee());
    const event: CommittedEvent = {
      block,
      hash: this.chain.headHash,
      receipts: this.chain.receiptsAt(number),
      transactions: this.chain.transactionsOf(block),
      source,
    };
    for (const l of this.listeners) {
      try {
        l(event);
      } catch (e) {
        this.log(`${this.name}: listener error: ${(e as Error).message}`);
      }
    }
  }

  /** Imports blocks that peers have committed and this node missed (restart, partition). */
  syncFromPeers(): void {
    if (this.syncing || this.stopped || !this.network) return;
    this.syncing = true;
    try {
      let progressed = false;
      for (;;) {
        const next = this.chain.headNumber + 1n;
        const peer = this.network.peers().find((p: PeerView) => p.headNumber() >= next);
        const bytes = peer?.blockBytes(next);
        if (!bytes) break;
        try {
          const block = this.chain.importSealed(bytes);
          progressed = true;
          this.afterCommit(block, 'sync');
        } catch (e) {
          this.log(
            `${this.name}: rejected block ${next} from ${peer!.id}: ${(e as Error).message}`,
          );
          break;
        }
      }
      if (progressed) this.driver?.headChanged();
    } finally {
      this.syncing = false;
    }
  }

  /** What peers see of this node. */
  peerView(): PeerView {
    return {
      id: this.name,
      headNumber: () => (this.stopped ? -1n : this.chain.headNumber),
      blockBytes: (n) => (this.stopped ? undefined : this.chain.blockBytesAt(n)),
    };
  }
}
