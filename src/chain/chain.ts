/**
 * The chain: genesis, the head, validator sets, and the rules that take a block from bytes to
 * committed state. Proposals are validated against the head; committed blocks (own or synced)
 * are checked in full — seals against the height's validator set, every transaction, every
 * root — before they are written. The rules are the stages of validation.ts; this class reads
 * what they need (the parent, the parameters in its state, the validator sets) and keeps
 * storage and caches. Reads are synchronous; the only I/O is the store.
 */
import { blockWorkHash } from '../execution/block-work.js';
import { EtmError } from '../primitives/errors.js';
import type { Address } from '../primitives/types.js';
import { toHex, equalBytes } from '../crypto/bytes.js';
import { bytesKey } from '../state/bytes-key.js';
import { keccak256 } from '../crypto/keccak.js';
import { parentCertificateOf, type ParentCertificate } from '../consensus/certificate.js';
import { maxFaulty, quorumSize } from '../consensus/quorum.js';
import type { CommitSeal, Recover } from '../consensus/types.js';
import type { TxError } from '../execution/errors.js';
import type { SignedTx, TxDecoder } from '../execution/tx.js';
import {
  buildBlockBody,
  executeBlock,
  traceBlockTransaction,
  type BlockEnv,
  type BlockOutcome,
  type TracedRun,
} from '../execution/transition.js';
import type { EvmTracer } from '../execution/evm/tracer.js';
import { StateDB } from '../state/state-db.js';
import { nextMix, nextRevealOf, type RevealDue } from '../staking/block-hooks.js';
import { epochBounds, epochOf } from '../staking/epochs.js';
import { MemoryNodeStore } from '../state/trie.js';
import { orderedTrieRoot } from '../state/stack-trie.js';
import {
  blockHash,
  decodeBlock,
  encodeBlock,
  encodeProposal,
  unsealed,
  type Block,
} from './block.js';
import { buildGenesis, genesisDigest, type Genesis } from './genesis.js';
import { encodeReceipt, encodeStoredReceipts, decodeStoredReceipts } from '../codec/receipt.js';
import type { StoredReceipt } from '../primitives/receipt.js';
import type { ChainStore } from './store.js';
import type { ChainParams } from '../params/registry.js';
import { readParams } from '../params/store.js';
import { stakingStores } from '../staking/stores.js';
import {
  checkAgainstParent,
  checkBody,
  checkCommitRound,
  checkHeader,
  checkOutcome,
  checkSeals,
  decodeCandidate,
  executeStage,
  expectedBaseFee,
  minTimestampGap,
} from './validation.js';

/** Blocks kept decoded in memory (the head and recent ones serve RPC and import). */
const BLOCK_CACHE_SIZE = 256;
/**
 * Blocks whose asynchronous write may be under way at once: a syncing node imports faster than
 * a slow disk flushes, and every pending block is held in memory until it is written.
 */
const MAX_PENDING_WRITES = 4;

/**
 * What the chain cannot do for its caller: a block it does not have, a block the proposer
 * cannot build. (A block that breaks the rules is a BlockError.)
 */
export class ChainError extends EtmError<'unknown-block' | 'no-randao-reveal'> {
  override name = 'ChainError';
}

/** The data directory was created with another genesis: it belongs to another chain. */
export class GenesisMismatchError extends EtmError<'genesis-mismatch'> {
  override name = 'GenesisMismatchError';

  constructor(message: string) {
    super('genesis-mismatch', message);
  }
}

/** The result of executing a block on top of its parent, kept until the block is committed. */
interface Executed {
  block: Block;
  hash: Uint8Array;
  txs: SignedTx[];
  outcome: BlockOutcome;
  stateRoot: Uint8Array;
  nodes: Array<[Uint8Array, Uint8Array]>;
  /** The state the block was executed on, committed: a warm read view of its root. */
  state: StateDB;
}

export interface ChainOptions {
  store: ChainStore;
  genesis: Genesis;
  decoder: TxDecoder;
  recover: Recover;
  /**
   * Recovers the senders of a proposed block's transactions together, off the event loop, before
   * they are decoded one by one (Node.prepareTransactions): a validator that has not yet admitted
   * a block's transactions from gossip meets them first in the proposal; it decides what is worth
   * a batch. Without it they are recovered as they are decoded.
   */
  prefetch?: (raws: readonly Uint8Array[]) => Promise<void>;
  /** Wall clock in ms; injected so that tests and simulations control time. */
  now?: () => number;
  /** Allocations whose nodes the genesis build gathers before a write (tests force small ones). */
  genesisChunkAccounts?: number;
  /** Bytes the decoded blocks kept in memory may take, as blockBytes counts them (default 64 MiB). */
  blockCacheBytes?: number;
}

/** Default bound of the decoded-block cache. */
export const DEFAULT_BLOCK_CACHE_BYTES = 64 * 1024 * 1024;

/** What a decoded block holds in memory, about: its header and its raw transactions. */
function blockBytes(b: Block): number {
  let n = 2_000;
  for (const tx of b.transactions) n += tx.length + 100;
  return n;
}

/**
 * A proposer's RANDAO onion: the reveal at `index` (0 = the first after the commitment), which
 * must hash to `hashesTo`; `due` also names the commitment's generation and onion length.
 * Returns null when it cannot (a foreign or lost onion).
 */
export type RandaoRevealer = (
  index: bigint,
  hashesTo: Uint8Array,
  due: RevealDue,
) => Uint8Array | null;

export interface BuiltBlock {
  bytes: Uint8Array;
  block: Block;
  included: SignedTx[];
  skipped: { tx: SignedTx; error: TxError }[];
}

export class Chain {
  readonly store: ChainStore;
  readonly genesis: Genesis;
  /** The genesis parameters; `nextParams()` has those in force for the next block. */
  readonly params: ChainParams;
  /**
   * The parameters in the head's state and the next base fee, for the head block they were
   * read for: every admitted transaction asks for both.
   */
  private headParams: { block: Block; params: ChainParams; baseFee: bigint | null } | null = null;
  readonly chainId: bigint;
  readonly genesisHash: Uint8Array;
  /**
   * Whether opening built the genesis state: true on a new data directory (or one written
   * before genesis digests were kept), false when the stored genesis was recognised.
   */
  readonly genesisBuilt: boolean;
  private readonly decoder: TxDecoder;
  private readonly recover: Recover;
  private readonly prefetch: ((raws: readonly Uint8Array[]) => Promise<void>) | null;
  private readonly now: () => number;
  private headBlock: Block;
  private headHashValue: Uint8Array;
  /** Validator sets by the first height they apply to, ascending. */
  private readonly validatorSets: { from: bigint; validators: Address[] }[] = [];
  /** Executed blocks on top of the head, by hash (proposals being decided). */
  private readonly executed = new Map<string, Executed>();
  private readonly blockCache = new Map<bigint, Block>();
  /** The head's state as its execution left it (accounts it touched already read). */
  private headView: StateDB | null = null;
  /** The last block this chain wrote, with its decoded transactions. */
  private lastWritten: { hash: Uint8Array; txs: SignedTx[] } | null = null;
  private readonly blockCacheBytes: number;
  private blockCacheUsed = 0;
  /**
   * Block executions run one at a time (the EVM makes them async): each reads the head it
   * starts from and may write a new one.
   */
  private serial: Promise<unknown> = Promise.resolve();

  constructor(o: ChainOptions) {
    this.store = o.store;
    this.genesis = o.genesis;
    this.blockCacheBytes = o.blockCacheBytes ?? DEFAULT_BLOCK_CACHE_BYTES;
    this.params = o.genesis.params;
    this.chainId = o.genesis.chainId;
    this.decoder = o.decoder;
    this.recover = o.recover;
    this.prefetch = o.prefetch ?? null;
    this.now = o.now ?? Date.now;
    const digest = genesisDigest(o.genesis);
    const stored = o.store.genesisHash();
    const chunkAccounts = o.genesisChunkAccounts;
    if (stored === undefined) {
      // A new directory (or a first build cut short): the state goes to the store as it is
      // built; block 0, the head and the genesis records follow in one transaction.
      const { block: genesisBlock } = buildGenesis(o.genesis, o.store, {
        chunkAccounts,
        spillDir: o.store.path,
      });
      this.genesisHash = blockHash(genesisBlock);
      o.store.commitBlock(
        {
          number: 0n,
          hash: this.genesisHash,
          block: encodeBlock(genesisBlock),
          receipts: encodeStoredReceipts([]),
          txHashes: [],
          nodes: [],
          genesisDigest: digest,
        },
        true,
      );
      this.genesisBuilt = true;
    } else {
      const storedDigest = o.store.genesisDigest();
      if (storedDigest === undefined) {
        // Written before digests were kept: build once, in memory, to compare; nothing of it
        // is written unless it matches, and then only the digest.
        const built = blockHash(
          buildGenesis(o.genesis, new MemoryNodeStore(), { chunkAccounts }).block,
        );
        if (!equalBytes(built, stored)) {
          throw new GenesisMismatchError(
            `the data directory holds a different genesis (block ${toHex(stored)}); this genesis file gives ${toHex(built)}: it belongs to another chain, or was built by an incompatible version of etm`,
          );
        }
        o.store.setGenesisDigest(digest);
        this.genesisBuilt = true;
      } else {
        if (!equalBytes(storedDigest, digest)) {
          throw new GenesisMismatchError(
            `the data directory holds a different genesis (block ${toHex(stored)}, genesis digest ${toHex(storedDigest)}); this genesis file has digest ${toHex(digest)}: it belongs to another chain, or was built by an incompatible version of etm`,
          );
        }
        this.genesisBuilt = false;
      }
      this.genesisHash = stored;
    }
    const head = o.store.head()!;
    this.headBlock = this.blockAt(head)!;
    this.headHashValue = blockHash(this.headBlock);
    // Only the genesis and the last block of each epoch name a validator set (validateBlock
    // refuses nextValidators anywhere else), so those are the only blocks read.
    // The head state's epoch schedule places every past epoch end, across changes of length.
    const schedule = this.nextParams();
    this.noteValidatorSet(head === 0n ? this.headBlock : this.blockAt(0n)!);
    for (
      let e = 0n, n = epochBounds(0n, schedule).last;
      n <= head;
      n = epochBounds(++e, schedule).last
    )
      this.noteValidatorSet(n === head ? this.headBlock : this.blockAt(n)!);
  }

  get head(): Block {
    return this.headBlock;
  }

  get headNumber(): bigint {
    return this.headBlock.header.number;
  }

  get headHash(): Uint8Array {
    return this.headHashValue;
  }

  blockAt(number: bigint): Block | undefined {
    const cached = this.blockCache.get(number);
    if (cached) return cached;
    const bytes = this.store.block(number);
    if (!bytes) return undefined;
    const b = decodeBlock(bytes);
    this.cacheBlock(b);
    return b;
  }

  /** Keeps the most recently used blocks in memory; older ones are read back from the store. */
  private cacheBlock(b: Block): void {
    const number = b.header.number;
    const old = this.blockCache.get(number);
    if (old !== undefined) {
      this.blockCache.delete(number);
      this.blockCacheUsed -= blockBytes(old);
    }
    const bytes = blockBytes(b);
    if (bytes > this.blockCacheBytes) return;
    while (
      this.blockCache.size >= BLOCK_CACHE_SIZE ||
      this.blockCacheUsed + bytes > this.blockCacheBytes
    ) {
      const [n, evicted] = this.blockCache.entries().next().value!;
      this.blockCache.delete(n);
      this.blockCacheUsed -= blockBytes(evicted);
    }
    this.blockCache.set(number, b);
    this.blockCacheUsed += bytes;
  }

  blockBytesAt(number: bigint): Uint8Array | undefined {
    return this.store.block(number);
  }

  receiptsAt(number: bigint): StoredReceipt[] {
    const r = this.store.receipts(number);
    return r ? decodeStoredReceipts(r) : [];
  }

  /**
   * Decodes a block's transactions (senders come from the decoder's cache when seen before). They
   * are kept in that cache: a block's transactions are read again when it commits and by RPC.
   */
  transactionsOf(block: Block): SignedTx[] {
    const last = this.lastWritten;
    // The block just written: its transactions as execution decoded them.
    if (last !== null && block === this.headBlock && equalBytes(last.hash, this.headHashValue))
      return last.txs;
    return block.transactions.map((raw) => this.decoder.decode(raw, { keep: true }));
  }

  stateAt(number: bigint): StateDB {
    const b = this.blockAt(number);
    if (!b) throw new ChainError('unknown-block', `no block ${number}`);
    return new StateDB(b.header.stateRoot, this.store);
  }

  /**
   * Executes committed block `number` again on its parent's state and writes nothing: for what
   * its state transition computed besides the state, such as the weights its election used.
   * Costs what importing the block cost.
   */
  reexecute(number: bigint): Promise<BlockOutcome> {
    const { state, env, txs } = this.committedRun(number);
    return executeBlock(state, env, txs);
  }

  /**
   * Runs committed block `number` again on its parent's state up to its transaction `index`,
   * which runs with `tracer` listening (debug_traceTransaction); writes nothing.
   */
  traceTransaction(number: bigint, index: number, tracer: EvmTracer): Promise<TracedRun> {
    const { state, env, txs } = this.committedRun(number);
    return traceBlockTransaction(state, env, txs, index, tracer);
  }

  /** The parent's state, environment and transactions of committed block `number`. */
  private committedRun(number: bigint): { state: StateDB; env: BlockEnv; txs: SignedTx[] } {
    const block = number > 0n ? this.blockAt(number) : undefined;
    if (!block) throw new ChainError('unknown-block', `no committed block ${number} to run again`);
    const h = block.header;
    const state = this.stateAt(number - 1n);
    const env: BlockEnv = {
      chainId: this.chainId,
      number,
      blockHash: (n) => this.blockHashBefore(number, n),
      round: BigInt(h.extra.proposalRound),
      timestamp: h.timestamp,
      coinbase: h.coinbase,
      baseFeePerGas: h.baseFeePerGas,
      gasLimit: h.gasLimit,
      params: readParams(state),
      validators: this.validatorsAt(number),
      randaoReveal: h.extra.randaoReveal,
      mixHash: h.mixHash,
      parentSealBitmap: h.extra.parentSealBitmap,
    };
    return { state, env, txs: this.transactionsOf(block) };
  }

  /** A fresh state of the head, reading the accounts the head's execution already decoded. */
  headState(): StateDB {
    const state = new StateDB(this.headBlock.header.stateRoot, this.store);
    return this.headView ? state.inheritAccounts(this.headView) : state;
  }

  /**
   * A state of the head for reads only (callers must not write to it): the one the head's
   * execution committed, whose touched accounts are already decoded, else a fresh one.
   */
  headReadState(): StateDB {
    return this.headView ?? new StateDB(this.headBlock.header.stateRoot, this.store);
  }

  /** Validators of `height` in proposer order. */
  validatorsAt(height: bigint): Address[] {
    let set = this.validatorSets[0]!.validators;
    for (const s of this.validatorSets) if (s.from <= height) set = s.validators;
    return set;
  }

  /**
   * Consensus keys that may sign messages of the heights after `height`, as far as this node
   * can know them: the set of `height`, the set after the next epoch boundary if announced, and
   * the next epoch's elected set (elected an epoch ahead, in the head's staking state).
   */
  upcomingValidators(height: bigint): Address[] {
    const out = new Map<string, Address>();
    const add = (set: readonly Address[]) => {
      for (const v of set) out.set(toHex(v), v);
    };
    // Epochs as the head's state places them: a length changed at the head's epoch end is in it.
    const schedule = this.nextParams();
    const epoch = epochOf(height, schedule);
    add(this.validatorsAt(height));
    add(this.validatorsAt(epochBounds(epoch + 1n, schedule).first));
    const next = stakingStores(this.headState()).elections.epochRecord(epoch + 1n);
    if (next) add(next.validators);
    return [...out.values()];
  }

  /** Base fee of the block after the head. */
  nextBaseFee(): bigint {
    const params = this.nextParams();
    const memo = this.headParams!;
    return (memo.baseFee ??= expectedBaseFee(this.headBlock.header, params));
  }

  /** Earliest time (ms) at which round 0 of the next height may propose. */
  nextProposalTimeMs(): bigint {
    return this.headBlock.header.timestamp * 1000n + this.nextParams().blockTimeMs;
  }

  private noteValidatorSet(b: Block): void {
    const next = b.header.extra.nextValidators;
    if (next.length > 0) this.validatorSets.push({ from: b.header.number + 1n, validators: next });
  }

  /** The parameters of the block after the head: those in the head's state. */
  nextParams(): ChainParams {
    if (this.headParams?.block !== this.headBlock)
      this.headParams = {
        block: this.headBlock,
        params: readParams(this.headState()),
        baseFee: null,
      };
    return this.headParams.params;
  }

  private env(
    number: bigint,
    round: number,
    timestamp: bigint,
    coinbase: Uint8Array,
    randaoReveal: Uint8Array,
  ): BlockEnv {
    return {
      chainId: this.chainId,
      number,
      round: BigInt(round),
      timestamp,
      coinbase,
      baseFeePerGas: this.nextBaseFee(),
      gasLimit: this.nextParams().blockGasLimit,
      params: this.nextParams(),
      validators: this.validatorsAt(number),
      randaoReveal,
      mixHash: nextMix(this.headBlock.header.mixHash, randaoReveal),
      blockHash: (n) => this.blockHashBefore(number, n),
    };
  }

  /** BLOCKHASH of block `n` as block `number` sees it: one of the 256 before it, else none. */
  private blockHashBefore(number: bigint, n: bigint): Uint8Array | undefined {
    if (n >= number || n + 256n < number) return undefined;
    const b = this.blockAt(n);
    return b ? blockHash(b) : undefined;
  }

  /** Runs `fn` after every block execution begun before it. */
  private exclusive<T>(fn: () => Promise<T>): Promise<T> {
    const run = this.serial.then(fn, fn);
    this.serial = run.catch(() => undefined);
    return run;
  }

  /**
   * The proposer of (height, round): order[(height + round) mod K], in bigint arithmetic so
   * that no height or round is too large for it.
   */
  proposerAt(height: bigint, round: number): Address {
    const set = this.validatorsAt(height);
    return set[Number((height + BigInt(round)) % BigInt(set.length))]!;
  }

  /** The head's commit certificate as the next block records it: round, bitmap and seals. */
  private headCertificate(): ParentCertificate {
    const head = this.headBlock;
    if (head.header.number === 0n) return { round: 0, bitmap: new Uint8Array(0), seals: [] };
    return parentCertificateOf(
      this.chainId,
      this.headHashValue,
      head.header.extra.round,
      head.header.extra.commitSeals,
      this.validatorsAt(head.header.number),
      this.recover,
    );
  }

  /**
   * Builds an unsealed block on the head for consensus round `round`, from candidate
   * transactions in the given order, skipping those that cannot be included. `coinbase` must
   * be the proposer of that round for the block to be valid.
   */
  buildBlock(
    coinbase: Uint8Array,
    candidates: SignedTx[],
    revealer: RandaoRevealer = () => null,
    round = 0,
  ): Promise<BuiltBlock> {
    return this.exclusive(() => this.buildOnHead(coinbase, candidates, revealer, round));
  }

  private async buildOnHead(
    coinbase: Uint8Array,
    candidates: SignedTx[],
    revealer: RandaoRevealer,
    round: number,
  ): Promise<BuiltBlock> {
    const number = this.headNumber + 1n;
    const minTs = this.headBlock.header.timestamp + minTimestampGap(this.nextParams());
    const nowS = this.nowMs() / 1000n;
    const timestamp = nowS > minTs ? nowS : minTs;
    const state = this.headState();
    const due = nextRevealOf(state, coinbase);
    let reveal: Uint8Array = new Uint8Array(0);
    if (due) {
      const r = revealer(due.index, due.hashesTo, due);
      if (!r)
        throw new ChainError(
          'no-randao-reveal',
          'cannot build a block: no RANDAO reveal for this validator',
        );
      reveal = r;
    }
    const parent = this.headCertificate();
    const env = {
      ...this.env(number, round, timestamp, coinbase, reveal),
      parentSealBitmap: parent.bitmap,
    };
    const body = await buildBlockBody(state, env, this.fitBytes(candidates));
    const { root, nodes } = state.commit();
    const block: Block = {
      header: {
        parentHash: this.headHashValue,
        coinbase,
        stateRoot: root,
        transactionsRoot: orderedTrieRoot(body.included.map((t) => t.raw)),
        receiptsRoot: orderedTrieRoot(body.receipts.map(encodeReceipt)),
        logsBloom: body.logsBloom,
        number,
        gasLimit: env.gasLimit,
        gasUsed: body.gasUsed,
        timestamp,
        extra: {
          vanity: new Uint8Array(32),
          round: 0,
          commitSeals: [],
          parentSealBitmap: parent.bitmap,
          randaoReveal: reveal,
          nextValidators: body.nextValidators,
          proposalRound: round,
          parentRound: parent.round,
          parentSeals: parent.seals,
        },
        mixHash: env.mixHash,
        baseFeePerGas: env.baseFeePerGas,
      },
      transactions: body.included.map((t) => t.raw),
    };
    const { bytes, info } = encodeProposal(block);
    const hash = info.digest;
    this.remember(bytes, {
      block,
      hash,
      txs: body.included,
      outcome: body,
      stateRoot: root,
      nodes,
      state,
    });
    return { bytes, block, included: body.included, skipped: body.skipped };
  }

  /**
   * Keeps the block within maxBlockBytes (a generous allowance is left for the header) and each
   * transaction within maxTxBytes.
   */
  private fitBytes(candidates: SignedTx[]): SignedTx[] {
    const { maxBlockBytes, maxTxBytes } = this.nextParams();
    // Byte counts: safe integers (maxBlockBytes is at most 64 MiB).
    let budget = Number(maxBlockBytes) - 4096;
    const maxTx = Number(maxTxBytes);
    const out: SignedTx[] = [];
    // Once a sender's transaction is left out, its later nonces cannot follow in this block.
    let leftOut: Set<string> | null = null;
    for (const tx of candidates) {
      const n = tx.raw.length;
      if (leftOut !== null && leftOut.has(bytesKey(tx.sender))) continue;
      if (n + 4 > budget || n > maxTx) {
        (leftOut ??= new Set()).add(bytesKey(tx.sender));
        continue;
      }
      budget -= n + 4;
      out.push(tx);
    }
    return out;
  }

  /** The wall clock only bounds timestamps; it never enters state, so rounding is harmless. */
  private nowMs(): bigint {
    return BigInt(this.now().toFixed(0));
  }

  /**
   * Keyed by the whole encoding, not the block hash: the hash covers the header only, and a
   * body that does not match its header's roots must be checked, not served from here.
   */
  private remember(bytes: Uint8Array, e: Executed): void {
    if (this.executed.size >= 16) this.executed.delete(this.executed.keys().next().value!);
    this.executed.set(toHex(keccak256(bytes)), e);
  }

  /**
   * Checks an unsealed block proposed on top of the head and executes it. Throws a BlockError
   * with the first rule it breaks. `checkClock` rejects timestamps too far in the future.
   */
  validateBlock(bytes: Uint8Array, checkClock = true): Promise<Executed> {
    return this.exclusive(() => this.validateOnHead(bytes, checkClock));
  }

  /** The stages of validation.ts in order, with the parameters of the head's state. */
  private async validateOnHead(bytes: Uint8Array, checkClock: boolean): Promise<Executed> {
    const params = this.nextParams();
    // A block this node built or already validated is not decoded again (a proposer's own).
    const known = this.executed.get(toHex(keccak256(bytes)));
    if (known && BigInt(bytes.length) <= params.maxBlockBytes) return known;
    const block = decodeCandidate(bytes, params.maxBlockBytes);
    const h = block.header;
    checkHeader(h, params, checkClock ? this.nowMs() : null);
    checkAgainstParent(h, {
      header: this.headBlock.header,
      hash: this.headHashValue,
      params,
      chainId: this.chainId,
      proposer: this.proposerAt(h.number, h.extra.proposalRound),
      parentValidators: this.validatorsAt(this.headNumber),
      recover: this.recover,
    });
    // After the header's checks (the proposer's signature among them), so a forged proposal costs
    // no recoveries.
    if (this.prefetch) await this.prefetch(block.transactions);
    const txs = checkBody(block, params, (raw) => this.decoder.decode(raw, { keep: true }));
    const state = this.headState();
    let env: BlockEnv = this.env(
      h.number,
      h.extra.proposalRound,
      h.timestamp,
      h.coinbase,
      h.extra.randaoReveal,
    );
    // Downtime is counted from the seals the block records of its parent.
    env = { ...env, parentSealBitmap: h.extra.parentSealBitmap };
    const outcome = await executeStage(state, env, txs);
    const { root, nodes } = state.commit();
    checkOutcome(h, outcome, root);
    const e: Executed = {
      block,
      hash: blockHash(block),
      txs,
      outcome,
      stateRoot: root,
      nodes,
      state,
    };
    this.remember(bytes, e);
    return e;
  }

  /** Commits a block decided by consensus: seals it with the gathered seals and writes it. */
  commitDecided(bytes: Uint8Array, round: number, seals: CommitSeal[]): Promise<Block> {
    return this.exclusive(async () => {
      await this.writeRoom();
      const e = await this.validateOnHead(bytes, false);
      return this.commitExecuted(e, round, seals);
    });
  }

  private commitExecuted(e: Executed, round: number, seals: CommitSeal[]): Block {
    checkCommitRound(e.block.header, round);
    const sealed: Block = {
      ...e.block,
      header: {
        ...e.block.header,
        extra: { ...e.block.header.extra, round, commitSeals: seals.map((s) => s.signature) },
      },
    };
    this.write(e, sealed);
    return sealed;
  }

  /** Imports a sealed block from a peer: certificate first (cheap to reject), then everything else. */
  importSealed(bytes: Uint8Array): Promise<Block> {
    return this.exclusive(() => this.importOnHead(bytes));
  }

  private async importOnHead(bytes: Uint8Array): Promise<Block> {
    // The seals are not part of the block hash, so a sealed block may exceed maxBlockBytes by
    // them; the unsealed block is held to it below.
    const block = decodeCandidate(bytes);
    checkSeals(block, this.chainId, this.validatorsAt(block.header.number), this.recover);
    await this.writeRoom();
    const e = await this.validateOnHead(encodeBlock(unsealed(block)), false);
    this.write(e, block);
    return block;
  }

  /**
   * Resolves once every block committed so far is on disk (blocks are written on LMDB's write
   * thread while the chain goes on from them in memory); rejects if a write failed. Nothing of
   * the next height may be signed or proposed before it resolves.
   */
  durable(): Promise<void> {
    return this.store.durable();
  }

  /** Waits for the writes under way when MAX_PENDING_WRITES blocks are held in memory. */
  private async writeRoom(): Promise<void> {
    if (this.store.pendingBlocks >= MAX_PENDING_WRITES) await this.store.durable();
  }

  private write(e: Executed, sealed: Block): void {
    // Not awaited here: durable() is, before anything that depends on the block being on disk.
    void this.store.commitBlockAsync({
      number: sealed.header.number,
      hash: e.hash,
      block: encodeBlock(sealed),
      receipts: encodeStoredReceipts(e.outcome.receipts),
      // A block-work receipt's derived hash is indexed after the transactions (docs/rpc.md).
      txHashes:
        e.outcome.receipts.length > e.txs.length
          ? [...e.txs.map((t) => t.hash), blockWorkHash(sealed.header.number)]
          : e.txs.map((t) => t.hash),
      nodes: e.nodes,
    });
    this.headBlock = sealed;
    this.headHashValue = e.hash;
    this.headView = e.state;
    this.lastWritten = { hash: e.hash, txs: e.txs };
    this.cacheBlock(sealed);
    this.executed.clear();
    this.noteValidatorSet(sealed);
  }

  /** Resolves once every block execution and write begun before it is done. */
  idle(): Promise<void> {
    return this.exclusive(() => Promise.resolve());
  }

  /**
   * Makes committed block `number` the head again, after every execution and write begun before
   * (the store's rollback); the validator sets the removed blocks named and the cached blocks
   * above it are forgotten. For the devnet's evm_revert only. Returns how many blocks went.
   */
  rollback(number: bigint): Promise<number> {
    return this.exclusive(async () => {
      if (number >= this.headNumber) return 0;
      const removed = await this.store.rollback(number);
      for (const [n, b] of [...this.blockCache])
        if (n > number) {
          this.blockCache.delete(n);
          this.blockCacheUsed -= blockBytes(b);
        }
      this.executed.clear();
      this.headParams = null;
      // The head's execution state and decoded transactions belonged to a removed block.
      this.headView = null;
      this.lastWritten = null;
      const head = this.blockAt(number);
      if (!head) throw new ChainError('unknown-block', `no block ${number} after the rollback`);
      this.headBlock = head;
      this.headHashValue = blockHash(head);
      // A set noted from block b applies from b + 1: those of removed blocks go.
      while (this.validatorSets.length > 1 && this.validatorSets.at(-1)!.from > number + 1n)
        this.validatorSets.pop();
      return removed;
    });
  }

  /** f and q of a height's set, for status displays. */
  faultTolerance(height: bigint): { validators: number; f: number; q: number } {
    const n = this.validatorsAt(height).length;
    return { validators: n, f: maxFaulty(n), q: quorumSize(n) };
  }
}
