/**
 * The chain: genesis, the head, validator sets, and the rules that take a block from bytes to
 * committed state. Proposals are validated against the head; committed blocks (own or synced)
 * are checked in full — seals against the parent's validator set, every transaction, every
 * root — before they are written. Reads are synchronous; the only I/O is the store.
 */
import { EtmError } from '../primitives/errors.js';
import type { Address } from '../primitives/types.js';
import { toHex, equalBytes } from '../crypto/bytes.js';
import { keccak256 } from '../crypto/keccak.js';
import { MAX_VALIDATORS } from '../consensus/extra-data.js';
import {
  CertificateError,
  parentCertificateOf,
  verifyCommitCertificate,
  verifyParentCertificate,
  type ParentCertificate,
} from '../consensus/certificate.js';
import { maxFaulty, quorumSize } from '../consensus/quorum.js';
import type { CommitSeal, Recover } from '../consensus/types.js';
import { DecodeError } from '../codec/rlp.js';
import { nextBaseFee } from '../execution/fees.js';
import { TxError } from '../execution/errors.js';
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
import {
  nextMix,
  nextRevealOf,
  StakingBlockError,
  type RevealDue,
} from '../staking/block-hooks.js';
import { epochOf } from '../staking/epochs.js';
import { MemoryNodeStore, orderedTrieRoot } from '../state/trie.js';
import { blockHash, decodeBlock, encodeBlock, type Block } from './block.js';
import { buildGenesis, genesisDigest, type Genesis } from './genesis.js';
import { encodeReceipt, encodeStoredReceipts, decodeStoredReceipts } from '../codec/receipt.js';
import type { StoredReceipt } from '../primitives/receipt.js';
import type { ChainStore } from './store.js';
import type { ChainParams } from '../params/registry.js';
import { readParams } from '../params/store.js';
import { stakingStores } from '../staking/stores.js';

/** Blocks kept decoded in memory (the head and recent ones serve RPC and import). */
const BLOCK_CACHE_SIZE = 256;

export class ImportError extends EtmError<'import'> {
  override name = 'ImportError';

  constructor(message: string, options?: ErrorOptions) {
    super('import', message, options);
  }
}

/** The data directory was created with another genesis: it belongs to another chain. */
export class GenesisMismatchError extends ImportError {
  override name = 'GenesisMismatchError';
}

/** The result of executing a block on top of its parent, kept until the block is committed. */
interface Executed {
  block: Block;
  hash: Uint8Array;
  txs: SignedTx[];
  outcome: BlockOutcome;
  stateRoot: Uint8Array;
  nodes: Array<[Uint8Array, Uint8Array]>;
}

export interface ChainOptions {
  store: ChainStore;
  genesis: Genesis;
  decoder: TxDecoder;
  recover: Recover;
  /** Wall clock in ms; injected so that tests and simulations control time. */
  now?: () => number;
  /** Allocations per commit while building the genesis state (tests force small chunks). */
  genesisChunkAccounts?: number;
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
  readonly params: ChainParams;
  /** The parameters in the head's state, by its state root. */
  private headParams: { root: string; params: ChainParams } | null = null;
  readonly chainId: bigint;
  readonly genesisHash: Uint8Array;
  /**
   * Whether opening built the genesis state: true on a new data directory (or one written
   * before genesis digests were kept), false when the stored genesis was recognised.
   */
  readonly genesisBuilt: boolean;
  private readonly decoder: TxDecoder;
  private readonly recover: Recover;
  private readonly now: () => number;
  private headBlock: Block;
  private headHashValue: Uint8Array;
  /** Validator sets by the first height they apply to, ascending. */
  private readonly validatorSets: { from: bigint; validators: Address[] }[] = [];
  /** Executed blocks on top of the head, by hash (proposals being decided). */
  private readonly executed = new Map<string, Executed>();
  private readonly blockCache = new Map<bigint, Block>();
  /**
   * Block executions run one at a time (the EVM makes them async): each reads the head it
   * starts from and may write a new one.
   */
  private serial: Promise<unknown> = Promise.resolve();

  constructor(o: ChainOptions) {
    this.store = o.store;
    this.genesis = o.genesis;
    this.params = o.genesis.params;
    this.chainId = o.genesis.chainId;
    this.decoder = o.decoder;
    this.recover = o.recover;
    this.now = o.now ?? Date.now;
    const digest = genesisDigest(o.genesis);
    const stored = o.store.genesisHash();
    const chunkAccounts = o.genesisChunkAccounts;
    if (stored === undefined) {
      // A new directory (or a first build cut short): the state goes to the store as it is
      // built; block 0, the head and the genesis records follow in one transaction.
      const { block: genesisBlock } = buildGenesis(o.genesis, o.store, { chunkAccounts });
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
    const epoch = this.params.epochBlocks;
    this.noteValidatorSet(head === 0n ? this.headBlock : this.blockAt(0n)!);
    for (let n = epoch; n <= head; n += epoch)
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
    this.blockCache.delete(number);
    if (this.blockCache.size >= BLOCK_CACHE_SIZE)
      this.blockCache.delete(this.blockCache.keys().next().value!);
    this.blockCache.set(number, b);
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
    return block.transactions.map((raw) => this.decoder.decode(raw, { keep: true }));
  }

  stateAt(number: bigint): StateDB {
    const b = this.blockAt(number);
    if (!b) throw new ImportError(`no block ${number}`);
    return new StateDB(b.header.stateRoot, this.store);
  }

  /**
   * Executes committed block `number` again on its parent's state and writes nothing: for what
   * its state transition computed besides the state, such as the weights its election used.
   * Costs what importing the block cost.
   */
  reexecute(number: bigint): Promise<BlockOutcome> {
    const block = number > 0n ? this.blockAt(number) : undefined;
    if (!block) throw new ImportError(`no block ${number} to execute again`);
    const h = block.header;
    const state = this.stateAt(number - 1n);
    return executeBlock(
      state,
      {
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
      },
      this.transactionsOf(block),
    );
  }

  /**
   * Runs committed block `number` again on its parent's state up to its transaction `index`,
   * which runs with `tracer` listening (debug_traceTransaction); writes nothing.
   */
  traceTransaction(number: bigint, index: number, tracer: EvmTracer): Promise<TracedRun> {
    const block = number > 0n ? this.blockAt(number) : undefined;
    if (!block) throw new ImportError(`no block ${number} to trace`);
    const h = block.header;
    const state = this.stateAt(number - 1n);
    return traceBlockTransaction(
      state,
      {
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
      },
      this.transactionsOf(block),
      index,
      tracer,
    );
  }

  headState(): StateDB {
    return new StateDB(this.headBlock.header.stateRoot, this.store);
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
    add(this.validatorsAt(height));
    add(this.validatorsAt(height + this.params.epochBlocks));
    const next = stakingStores(this.headState()).elections.epochRecord(
      epochOf(height, this.params) + 1n,
    );
    if (next) add(next.validators);
    return [...out.values()];
  }

  /** Base fee of the block after the head. */
  nextBaseFee(): bigint {
    return nextBaseFee(this.headBlock.header, this.params.minBaseFee);
  }

  /** Earliest time (ms) at which round 0 of the next height may propose. */
  nextProposalTimeMs(): bigint {
    return this.headBlock.header.timestamp * 1000n + this.params.blockTimeMs;
  }

  private noteValidatorSet(b: Block): void {
    const next = b.header.extra.nextValidators;
    if (next.length > 0) this.validatorSets.push({ from: b.header.number + 1n, validators: next });
  }

  /** The parameters of the block after the head: those in the head's state. */
  private paramsAfterHead(): ChainParams {
    const root = toHex(this.headBlock.header.stateRoot);
    if (this.headParams?.root !== root)
      this.headParams = { root, params: readParams(this.headState()) };
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
      gasLimit: this.params.blockGasLimit,
      params: this.paramsAfterHead(),
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
    const minTs = this.headBlock.header.timestamp + this.minTimestampGap();
    const nowS = this.nowMs() / 1000n;
    const timestamp = nowS > minTs ? nowS : minTs;
    const state = this.headState();
    const due = nextRevealOf(state, coinbase);
    let reveal: Uint8Array = new Uint8Array(0);
    if (due) {
      const r = revealer(due.index, due.hashesTo, due);
      if (!r) throw new ImportError('cannot build a block: no RANDAO reveal for this validator');
      reveal = r;
    }
    const env = this.env(number, round, timestamp, coinbase, reveal);
    const body = await buildBlockBody(state, env, this.fitBytes(candidates));
    const { root, nodes } = state.commit();
    const parent = this.headCertificate();
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
    const hash = blockHash(block);
    const bytes = encodeBlock(block);
    this.remember(bytes, {
      block,
      hash,
      txs: body.included,
      outcome: body,
      stateRoot: root,
      nodes,
    });
    return { bytes, block, included: body.included, skipped: body.skipped };
  }

  /** Keeps the block within maxBlockBytes (a generous allowance is left for the header). */
  private fitBytes(candidates: SignedTx[]): SignedTx[] {
    let budget = this.params.maxBlockBytes - 4096n;
    const out: SignedTx[] = [];
    // Once a sender's transaction is left out, its later nonces cannot follow in this block.
    const leftOut = new Set<string>();
    for (const tx of candidates) {
      const sender = toHex(tx.sender);
      const size = BigInt(tx.raw.length + 4);
      if (leftOut.has(sender) || size > budget) {
        leftOut.add(sender);
        continue;
      }
      budget -= size;
      out.push(tx);
    }
    return out;
  }

  /** The wall clock only bounds timestamps; it never enters state, so rounding is harmless. */
  private nowMs(): bigint {
    return BigInt(this.now().toFixed(0));
  }

  private minTimestampGap(): bigint {
    return this.params.blockTimeMs / 1000n;
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
   * Checks an unsealed block proposed on top of the head and executes it. Throws ImportError
   * with the first rule it breaks. `checkClock` rejects timestamps too far in the future.
   */
  validateBlock(bytes: Uint8Array, checkClock = true): Promise<Executed> {
    return this.exclusive(() => this.validateOnHead(bytes, checkClock));
  }

  private async validateOnHead(bytes: Uint8Array, checkClock: boolean): Promise<Executed> {
    let block: Block;
    try {
      if (BigInt(bytes.length) > this.params.maxBlockBytes)
        throw new ImportError(`block of ${bytes.length} bytes exceeds maxBlockBytes`);
      block = decodeBlock(bytes);
    } catch (e) {
      if (e instanceof ImportError) throw e;
      throw new ImportError(`malformed block: ${(e as Error).message}`);
    }
    const hash = blockHash(block);
    const known = this.executed.get(toHex(keccak256(bytes)));
    if (known) return known;
    const h = block.header;
    const parent = this.headBlock.header;
    const fail = (why: string): never => {
      throw new ImportError(`block ${h.number}: ${why}`);
    };
    if (h.number !== parent.number + 1n) fail(`expected number ${parent.number + 1n}`);
    if (!equalBytes(h.parentHash, this.headHashValue))
      fail(`parent hash ${toHex(h.parentHash)} is not the head ${toHex(this.headHashValue)}`);
    if (h.timestamp < parent.timestamp + this.minTimestampGap())
      fail(`timestamp ${h.timestamp} too early after parent ${parent.timestamp}`);
    if (
      checkClock &&
      h.timestamp * 1000n > this.nowMs() + this.params.maxClockDriftSeconds * 1000n
    ) {
      fail(
        `timestamp ${h.timestamp} is more than ${this.params.maxClockDriftSeconds}s in the future`,
      );
    }
    if (h.gasLimit !== this.params.blockGasLimit)
      fail(`gas limit ${h.gasLimit}, expected ${this.params.blockGasLimit}`);
    const baseFee = this.nextBaseFee();
    if (h.baseFeePerGas !== baseFee) fail(`base fee ${h.baseFeePerGas}, expected ${baseFee}`);
    const proposer = this.proposerAt(h.number, h.extra.proposalRound);
    if (!equalBytes(h.coinbase, proposer))
      fail(
        `coinbase ${toHex(h.coinbase)} is not the proposer of round ${h.extra.proposalRound} (${toHex(proposer)})`,
      );
    if (!equalBytes(h.mixHash, nextMix(parent.mixHash, h.extra.randaoReveal)))
      fail('mixHash is not the parent mix combined with the randao reveal');
    this.checkParentCertificate(h, fail);

    let txs: SignedTx[];
    try {
      txs = this.transactionsOf(block);
    } catch (e) {
      return fail(`invalid transaction: ${(e as Error).message}`);
    }
    const seen = new Set<string>();
    for (const tx of txs) {
      const k = toHex(tx.hash);
      if (seen.has(k)) fail(`transaction ${k} appears twice`);
      seen.add(k);
    }
    if (!equalBytes(h.transactionsRoot, orderedTrieRoot(block.transactions)))
      fail('transactions root mismatch');
    const state = this.headState();
    let outcome: BlockOutcome;
    try {
      outcome = await executeBlock(
        state,
        {
          ...this.env(
            h.number,
            h.extra.proposalRound,
            h.timestamp,
            h.coinbase,
            h.extra.randaoReveal,
          ),
          baseFeePerGas: baseFee,
        },
        txs,
      );
    } catch (e) {
      if (e instanceof TxError || e instanceof StakingBlockError) return fail(e.message);
      throw e;
    }
    if (!sameAddresses(h.extra.nextValidators, outcome.nextValidators))
      fail(
        outcome.nextValidators.length === 0
          ? 'nextValidators must be empty except in the last block of an epoch'
          : 'nextValidators differ from the election result',
      );
    if (outcome.gasUsed !== h.gasUsed)
      fail(`gas used ${h.gasUsed}, execution gives ${outcome.gasUsed}`);
    if (!equalBytes(h.receiptsRoot, orderedTrieRoot(outcome.receipts.map(encodeReceipt))))
      fail('receipts root mismatch');
    if (!equalBytes(h.logsBloom, outcome.logsBloom)) fail('logs bloom mismatch');
    const { root, nodes } = state.commit();
    if (!equalBytes(h.stateRoot, root))
      fail(`state root ${toHex(h.stateRoot)}, execution gives ${toHex(root)}`);
    const e: Executed = { block, hash, txs, outcome, stateRoot: root, nodes };
    this.remember(bytes, e);
    return e;
  }

  /**
   * The parent's commit certificate the block records must be exactly one: its bitmap marks
   * precisely the validators whose seals it carries, each seal valid for the parent in the
   * recorded round, at least a quorum of them. Downtime accounting reads the bitmap, so no
   * proposer may leave out or add anyone.
   */
  private checkParentCertificate(h: Block['header'], fail: (why: string) => never): void {
    const { parentSealBitmap: bitmap, parentRound: round, parentSeals: seals } = h.extra;
    if (h.number === 1n) {
      if (bitmap.length !== 0 || seals.length !== 0 || round !== 0)
        fail('parent seal bitmap must be empty after genesis');
      return;
    }
    try {
      verifyParentCertificate(
        this.chainId,
        h.parentHash,
        this.validatorsAt(h.number - 1n),
        { round, bitmap, seals },
        this.recover,
      );
    } catch (e) {
      if (e instanceof CertificateError) fail(e.message);
      throw e;
    }
  }

  /** Commits a block decided by consensus: seals it with the gathered seals and writes it. */
  commitDecided(bytes: Uint8Array, round: number, seals: CommitSeal[]): Promise<Block> {
    return this.exclusive(async () => {
      const e = await this.validateOnHead(bytes, false);
      return this.commitExecuted(e, round, seals);
    });
  }

  private commitExecuted(e: Executed, round: number, seals: CommitSeal[]): Block {
    if (round < e.block.header.extra.proposalRound)
      throw new ImportError(
        `block ${e.block.header.number}: committed in round ${round}, before its proposal round ${e.block.header.extra.proposalRound}`,
      );
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
    let block: Block;
    try {
      block = decodeBlock(bytes);
    } catch (e) {
      throw new ImportError(`malformed block: ${(e as Error).message}`);
    }
    const { round, commitSeals } = block.header.extra;
    const validators = this.validatorsAt(block.header.number);
    if (commitSeals.length > MAX_VALIDATORS) throw new ImportError('too many commit seals');
    if (round < block.header.extra.proposalRound)
      throw new ImportError(
        `block ${block.header.number}: committed in round ${round}, before its proposal round ${block.header.extra.proposalRound}`,
      );
    try {
      verifyCommitCertificate(
        this.chainId,
        blockHash(block),
        round,
        commitSeals.map((signature) => ({ validator: new Uint8Array(20), signature })),
        validators,
        this.recover,
      );
    } catch (e) {
      if (e instanceof CertificateError || e instanceof DecodeError)
        throw new ImportError(`block ${block.header.number}: ${e.message}`);
      throw e;
    }
    const unsealedBlock: Block = {
      ...block,
      header: { ...block.header, extra: { ...block.header.extra, round: 0, commitSeals: [] } },
    };
    const e = await this.validateOnHead(encodeBlock(unsealedBlock), false);
    this.write(e, block);
    return block;
  }

  private write(e: Executed, sealed: Block): void {
    this.store.commitBlock({
      number: sealed.header.number,
      hash: e.hash,
      block: encodeBlock(sealed),
      receipts: encodeStoredReceipts(e.outcome.receipts),
      txHashes: e.txs.map((t) => t.hash),
      nodes: e.nodes,
    });
    this.headBlock = sealed;
    this.headHashValue = e.hash;
    this.cacheBlock(sealed);
    this.executed.clear();
    this.noteValidatorSet(sealed);
  }

  /** f and q of a height's set, for status displays. */
  faultTolerance(height: bigint): { validators: number; f: number; q: number } {
    const n = this.validatorsAt(height).length;
    return { validators: n, f: maxFaulty(n), q: quorumSize(n) };
  }
}

function sameAddresses(a: readonly Uint8Array[], b: readonly Uint8Array[]): boolean {
  return a.length === b.length && a.every((x, i) => equalBytes(x, b[i]!));
}
