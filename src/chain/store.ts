/**
 * The node's disk: one LMDB environment with a sub-database per kind of record.
 *
 *   blocks    number (8 bytes BE) → sealed block        hashes  block hash → number
 *   receipts  number → the block's stored receipts      txs     tx hash → RLP [number, index]
 *   nodes     hash → state trie node or contract code   wal     sequence (8 bytes BE) → WAL record
 *   meta      'head', 'genesis' (block 0's hash), 'genesisDigest' (see genesisDigest)
 *
 * A block, its receipts, index entries, new state nodes and the new head are written in one
 * LMDB transaction, so a node killed at any moment (even `kill -9`) reopens at its last durable
 * block with everything that block needs. A block decided by consensus is written
 * asynchronously (`commitBlockAsync`): lmdb-js applies and commits the batch on its own write
 * thread, and the returned promise resolves once it is on disk. Until then the block is held in
 * memory (`pending`) and every read sees it, so the chain moves to the new head at once; the
 * node waits for that promise before it signs or proposes anything of the next height
 * (docs/node.md#storage). A node killed before the write is flushed reopens at the block
 * before, and gets the lost one again from its peers or re-decides it from its consensus WAL.
 * The genesis state is the exception:
 * it may hold millions of nodes, so they are written ahead in batches (`putNodes`), and block 0,
 * the head and the genesis hash and digest follow in one transaction once they all are. A node
 * killed during that build finds no genesis and builds it again (the nodes are keyed by hash,
 * so rewriting them is harmless). The devnet's evm_revert removes the blocks above a head in one
 * transaction too (`rollback`).
 *
 * Every other write is one synchronous transaction whose callback only puts and removes (never
 * returns a promise, never reads, never starts an asynchronous write); lmdb-js orders it after
 * the asynchronous batches already queued. One failure is retried (asynchronous ones too): lmdb-js 3.5 keeps its free-page list
 * in memory between write transactions, and saving it can fail spuriously with MDB_BAD_TXN
 * ("reserved freelist had a data entry with zero-size": its check reads the record it looked up
 * before checking that the lookup found one). The failed transaction is aborted, which makes
 * lmdb-js drop that in-memory list and reload it from the file, so the same writes succeed when
 * run again. See docs/node.md#storage.
 */
import { EtmError } from '../primitives/errors.js';
import { mkdirSync } from 'node:fs';
import { open, type Database, type RootDatabase } from 'lmdb';
import { asList, asUint, rlpDecode, rlpEncode } from '../codec/rlp.js';
import { bytesToBigint, equalBytes, uint64be } from '../crypto/bytes.js';
import { decodeWalRecord, encodeWalRecord } from '../consensus/wal.js';
import { keccak256 } from '../crypto/keccak.js';
import { blockWorkHash } from '../execution/block-work.js';
import { blockHash, decodeBlock } from './block.js';
import type { WalRecord } from '../consensus/types.js';
import type { TrieNodeStore } from '../state/trie.js';

export interface CommittedBlock {
  number: bigint;
  hash: Uint8Array;
  /** Sealed block encoding. */
  block: Uint8Array;
  receipts: Uint8Array;
  txHashes: Uint8Array[];
  nodes: Array<[Uint8Array, Uint8Array]>;
  /** For block 0: the digest of the genesis it was built from (see genesisDigest). */
  genesisDigest?: Uint8Array;
}

/** State nodes putNodes writes per LMDB transaction (a genesis chunk is ~65,000 nodes). */
const NODE_BATCH = 20_000;
/** Address space reserved for the database file's mapping (1 TiB; not memory, not disk). */
const MAP_BYTES = 2 ** 40;
/** LMDB's MDB_BAD_TXN: the transaction could not commit (see the file comment). */
const MDB_BAD_TXN = -30782;
/** Attempts at one write transaction when its commit fails with MDB_BAD_TXN. */
const WRITE_ATTEMPTS = 3;

export interface ChainStoreOptions {
  /** Told when a write transaction failed with MDB_BAD_TXN and is run again. */
  onWriteRetry?: (error: Error, attempt: number) => void;
  /**
   * Test only: awaited before an asynchronous block write is handed to LMDB; a rejection fails
   * that write as a disk error would (a crash between the commit decision and the flush).
   */
  beforeAsyncWrite?: (number: bigint) => Promise<void>;
}

/** A block written asynchronously, readable from memory until its write is on disk. */
interface PendingBlock {
  c: CommittedBlock;
  /** The block's index entries, as the store holds them once written, in txHashes order. */
  locations: Uint8Array[];
  /** The same by transaction hash. */
  txs: Map<string, Uint8Array>;
}

/** Map key of a hash: one char per byte. */
const hashKey = (b: Uint8Array) =>
  Buffer.from(b.buffer, b.byteOffset, b.byteLength).toString('latin1');

/** Whether a failed write is lmdb-js's spurious free-list error, worth running again. */
function isBadTxn(e: unknown): e is Error {
  return (
    e instanceof Error &&
    ((e as { code?: unknown }).code === MDB_BAD_TXN || e.message.includes('MDB_BAD_TXN'))
  );
}

export class StoreError extends EtmError<'store'> {
  override name = 'StoreError';

  constructor(message: string, options?: ErrorOptions) {
    super('store', message, options);
  }
}

const key = (n: bigint) => uint64be(n);
const bytes = (b: Buffer | Uint8Array | undefined) =>
  b === undefined ? undefined : new Uint8Array(b.buffer, b.byteOffset, b.byteLength);

export class ChainStore implements TrieNodeStore {
  /** lmdb's get returns a fresh copy: the trie need not copy a node it reads. */
  readonly stableBytes = true;
  private readonly root: RootDatabase;
  private readonly dbs: Record<
    'meta' | 'blocks' | 'hashes' | 'receipts' | 'txs' | 'nodes' | 'wal',
    Database<Uint8Array, Uint8Array>
  >;
  private walSeq = 0n;
  private closing: Promise<void> | undefined;
  /** Asynchronous WAL writes (appends, prunes) under way: closing waits for them. */
  private readonly walWrites = new Set<Promise<unknown>>();
  private retries = 0;
  /** Blocks written asynchronously and not yet on disk, in height order. */
  private readonly pending: PendingBlock[] = [];
  /** State nodes of the pending blocks, by hash. */
  private readonly pendingNodes = new Map<string, Uint8Array>();
  /** Resolves once every asynchronous write so far is on disk. */
  private flushing: Promise<void> = Promise.resolve();
  /** The first asynchronous write that failed: nothing after it can be written. */
  private failure: Error | null = null;

  constructor(
    readonly path: string,
    private readonly options: ChainStoreOptions = {},
  ) {
    mkdirSync(path, { recursive: true });
    // One mapping of the whole file: without a size, lmdb-js maps the file again each time it
    // grows and keeps the earlier mappings, whose pages then count several times in the
    // process's resident set. The size is address space only (the file grows as it fills).
    this.root = open({ path, maxDbs: 16, compression: false, mapSize: MAP_BYTES });
    const sub = (name: string) =>
      this.root.openDB<Uint8Array, Uint8Array>({
        name,
        encoding: 'binary',
        keyEncoding: 'binary',
        compression: false,
      });
    this.dbs = {
      meta: sub('meta'),
      blocks: sub('blocks'),
      hashes: sub('hashes'),
      receipts: sub('receipts'),
      txs: sub('txs'),
      nodes: sub('nodes'),
      wal: sub('wal'),
    };
    for (const { key: k } of this.dbs.wal.getRange({ reverse: true, limit: 1 })) {
      this.walSeq = bytesToBigint(k as Uint8Array) + 1n;
    }
  }

  /** Write transactions run again after MDB_BAD_TXN, since the store was opened. */
  get writeRetries(): number {
    return this.retries;
  }

  /**
   * Runs `write` (puts and removes only) in one synchronous transaction, again after a spurious
   * MDB_BAD_TXN (the aborted attempt wrote nothing, and the writes are the same).
   */
  private transact(write: () => void): void {
    for (let attempt = 1; ; attempt++) {
      try {
        this.root.transactionSync(write);
        return;
      } catch (e) {
        if (attempt >= WRITE_ATTEMPTS || !isBadTxn(e)) throw e;
        this.retries++;
        this.options.onWriteRetry?.(e, attempt);
      }
    }
  }

  /** Waits for the asynchronous writes under way, then closes the environment. */
  close(): Promise<void> {
    // Closing twice is harmless: later calls wait for the first. A failed write is reported
    // where it was awaited; closing still closes.
    this.closing ??= Promise.allSettled([this.flushing, ...this.walWrites]).then(() =>
      this.root.close(),
    );
    return this.closing;
  }

  /**
   * Resolves once every block written so far is on disk; rejects if one of their writes
   * failed (then the store takes no more blocks: the node must be restarted, and reopens at
   * its last durable block).
   */
  durable(): Promise<void> {
    return this.flushing;
  }

  /** Blocks whose asynchronous write is not yet on disk. */
  get pendingBlocks(): number {
    return this.pending.length;
  }

  get(hash: Uint8Array): Uint8Array | undefined {
    if (this.pendingNodes.size > 0) {
      const node = this.pendingNodes.get(hashKey(hash));
      if (node !== undefined) return node;
    }
    return bytes(this.dbs.nodes.get(hash));
  }

  head(): bigint | null {
    if (this.pending.length > 0) return this.pending[this.pending.length - 1]!.c.number;
    const h = this.dbs.meta.get(Buffer.from('head'));
    return h === undefined ? null : bytesToBigint(h);
  }

  /** The pending block of that number, if its write is still under way. */
  private pendingAt(number: bigint): PendingBlock | undefined {
    for (const p of this.pending) if (p.c.number === number) return p;
    return undefined;
  }

  genesisHash(): Uint8Array | undefined {
    return bytes(this.dbs.meta.get(Buffer.from('genesis')));
  }

  /** Digest of the genesis this directory was created with; absent in older directories. */
  genesisDigest(): Uint8Array | undefined {
    return bytes(this.dbs.meta.get(Buffer.from('genesisDigest')));
  }

  /** Records the genesis digest of a directory written before digests were kept. */
  setGenesisDigest(digest: Uint8Array): void {
    this.transact(() => {
      this.dbs.meta.put(Buffer.from('genesisDigest'), digest);
    });
  }

  /**
   * Writes state nodes ahead of the block that refers to them (the genesis state), in one
   * transaction per NODE_BATCH nodes; readable once this returns.
   */
  putNodes(nodes: Array<[Uint8Array, Uint8Array]>): void {
    for (let start = 0; start < nodes.length; start += NODE_BATCH) {
      this.transact(() => {
        const end = start + NODE_BATCH < nodes.length ? start + NODE_BATCH : nodes.length;
        for (let i = start; i < end; i++) this.dbs.nodes.put(nodes[i]![0], nodes[i]![1]);
      });
    }
  }

  block(number: bigint): Uint8Array | undefined {
    if (this.pending.length > 0) {
      const p = this.pendingAt(number);
      if (p) return p.c.block;
    }
    return bytes(this.dbs.blocks.get(key(number)));
  }

  numberOf(hash: Uint8Array): bigint | undefined {
    for (const p of this.pending) if (equalBytes(p.c.hash, hash)) return p.c.number;
    const n = this.dbs.hashes.get(hash);
    return n === undefined ? undefined : bytesToBigint(n);
  }

  receipts(number: bigint): Uint8Array | undefined {
    if (this.pending.length > 0) {
      const p = this.pendingAt(number);
      if (p) return p.c.receipts;
    }
    return bytes(this.dbs.receipts.get(key(number)));
  }

  txLocation(hash: Uint8Array): { number: bigint; index: number } | undefined {
    let v: Uint8Array | undefined;
    if (this.pending.length > 0) {
      const k = hashKey(hash);
      for (const p of this.pending) v ??= p.txs.get(k);
    }
    v ??= this.dbs.txs.get(hash);
    if (v === undefined) return undefined;
    const [n, i] = asList(rlpDecode(v), 'tx location', 2);
    return { number: asUint(n, 'number', 8), index: Number(asUint(i, 'index', 4)) };
  }

  /** Writes a committed block and everything it brings, and moves the head, atomically. */
  commitBlock(c: CommittedBlock, genesis = false): void {
    if (this.failure) throw this.failure;
    this.transact(() => this.putBlock(c, genesis));
  }

  /** The puts of a block (see commitBlock). */
  private putBlock(c: CommittedBlock, genesis = false, locations?: Uint8Array[]): void {
    for (const [h, node] of c.nodes) this.dbs.nodes.put(h, node);
    this.dbs.blocks.put(key(c.number), c.block);
    this.dbs.hashes.put(c.hash, key(c.number));
    this.dbs.receipts.put(key(c.number), c.receipts);
    c.txHashes.forEach((h, i) =>
      this.dbs.txs.put(h, locations ? locations[i]! : rlpEncode([c.number, i])),
    );
    this.dbs.meta.put(Buffer.from('head'), key(c.number));
    if (genesis) {
      this.dbs.meta.put(Buffer.from('genesis'), c.hash);
      if (c.genesisDigest) this.dbs.meta.put(Buffer.from('genesisDigest'), c.genesisDigest);
    }
  }

  /**
   * Writes a committed block as commitBlock does, but on lmdb-js's write thread: readable at
   * once (from memory), on disk when the returned promise resolves. Writes complete in the
   * order they are made. A failed write rejects this promise and every later one (see durable);
   * once one has failed, this throws.
   */
  commitBlockAsync(c: CommittedBlock): Promise<void> {
    if (this.closing) throw new StoreError('the store is closed');
    if (this.failure) throw this.failure;
    const locations = c.txHashes.map((_, i) => rlpEncode([c.number, i]));
    const txs = new Map<string, Uint8Array>();
    c.txHashes.forEach((h, i) => txs.set(hashKey(h), locations[i]!));
    const p: PendingBlock = { c, locations, txs };
    this.pending.push(p);
    for (const [h, node] of c.nodes) this.pendingNodes.set(hashKey(h), node);
    const written = this.flushing.then(() => this.writeAsync(p));
    this.flushing = written.then(
      () => this.settle(p),
      (e: unknown) => {
        // The block stays readable from memory; nothing more is written (see durable).
        this.failure ??= new StoreError(
          `block ${c.number} could not be written: ${(e as Error).message}`,
          { cause: e },
        );
        throw this.failure;
      },
    );
    // Whoever awaits durable() hears of a failure; this promise must not be an unhandled one.
    this.flushing.catch(() => undefined);
    return this.flushing;
  }

  /** One asynchronous batch, on disk when it resolves; again after a spurious MDB_BAD_TXN. */
  private async writeAsync(p: PendingBlock): Promise<void> {
    if (this.failure) throw this.failure;
    await this.options.beforeAsyncWrite?.(p.c.number);
    for (let attempt = 1; ; attempt++) {
      try {
        const committed = this.root.batch(() => this.putBlock(p.c, false, p.locations));
        // With lmdb-js's overlapping sync a batch resolves once committed; `flushed` once the
        // commit is on disk. Asked now, it covers this batch.
        const flushed = new Promise((resolve, reject) => {
          this.root.flushed.then(resolve, reject);
        });
        await committed;
        await flushed;
        return;
      } catch (e) {
        if (attempt >= WRITE_ATTEMPTS || !isBadTxn(e)) throw e;
        this.retries++;
        this.options.onWriteRetry?.(e, attempt);
      }
    }
  }

  /** A pending block is on disk: LMDB serves it from now on. */
  private settle(p: PendingBlock): void {
    const i = this.pending.indexOf(p);
    if (i >= 0) this.pending.splice(i, 1);
    // Even a node a later pending block also holds is on disk now (nodes are keyed by hash).
    for (const [h] of p.c.nodes) this.pendingNodes.delete(hashKey(h));
  }

  /**
   * Makes block `number` the head again: removes every block above it with its receipts, its
   * hash and transaction index entries, and the consensus WAL records of the heights above it,
   * in one transaction, after any write still pending. Returns how many blocks were removed.
   * State nodes stay: they are keyed by hash, and the kept states may share them. For the
   * devnet's evm_revert only (docs/rpc.md): the blocks of a real chain are final.
   */
  async rollback(number: bigint): Promise<number> {
    // Blocks and WAL records still being written land first (they are read from memory until
    // then): the rollback sees the store they leave.
    await this.durable();
    await Promise.all([...this.walWrites]);
    await this.root.committed;
    const head = this.head();
    if (head === null || number >= head) return 0;
    if (number < 0n || this.dbs.blocks.get(key(number)) === undefined)
      throw new StoreError(`cannot roll back to block ${number}: the store does not hold it`);
    // Read first: a write transaction's callback only puts and removes (see the file comment).
    const removeBlocks: { number: bigint; hash: Uint8Array }[] = [];
    const removeTxs: Uint8Array[] = [];
    for (let n = number + 1n; n <= head; n++) {
      const raw = this.block(n);
      if (raw === undefined) continue;
      const b = decodeBlock(raw);
      removeBlocks.push({ number: n, hash: blockHash(b) });
      // Only entries that point into the removed blocks (a hash indexed twice keeps the other).
      for (const h of [...b.transactions.map((t) => keccak256(t)), blockWorkHash(n)])
        if ((this.txLocation(h)?.number ?? -1n) === n) removeTxs.push(h);
    }
    const removeWal: Uint8Array[] = [];
    for (const { key: k, value } of this.dbs.wal.getRange({})) {
      if (BigInt(decodeWalRecord(bytes(value as Uint8Array)!).height) > number)
        removeWal.push(k as Uint8Array);
    }
    this.transact(() => {
      for (const b of removeBlocks) {
        this.dbs.blocks.remove(key(b.number));
        this.dbs.receipts.remove(key(b.number));
        this.dbs.hashes.remove(b.hash);
      }
      for (const h of removeTxs) this.dbs.txs.remove(h);
      for (const k of removeWal) this.dbs.wal.remove(k);
      this.dbs.meta.put(Buffer.from('head'), key(number));
    });
    return removeBlocks.length;
  }

  // ---- consensus write-ahead log ---------------------------------------------------------

  walLoad(): WalRecord[] {
    const out: WalRecord[] = [];
    for (const { value } of this.dbs.wal.getRange({})) {
      try {
        out.push(decodeWalRecord(bytes(value as Uint8Array)!));
      } catch {
        throw new StoreError(
          'the consensus WAL holds an unreadable record; the data directory is damaged',
        );
      }
    }
    return out;
  }

  /** Durable before it returns: the message it protects is sent right after. */
  walAppend(record: WalRecord): void {
    const seq = this.walSeq++;
    // The callback must not return put's promise: lmdb would then hold the transaction open.
    this.transact(() => {
      this.dbs.wal.put(key(seq), encodeWalRecord(record));
    });
  }

  /**
   * As walAppend, on lmdb-js's write thread: durable when the promise resolves, after every
   * block written before it. The event loop goes on meanwhile; the caller sends nothing the
   * record protects before then.
   */
  walAppendAsync(record: WalRecord): Promise<void> {
    return this.walWrite(this.walAppendNow(record));
  }

  /** Keeps `write` among the WAL writes closing waits for, until it settles. */
  private walWrite(write: Promise<void>): Promise<void> {
    this.walWrites.add(write);
    const done = () => void this.walWrites.delete(write);
    write.then(done, done);
    return write;
  }

  private async walAppendNow(record: WalRecord): Promise<void> {
    if (this.closing) throw new StoreError('the store is closed');
    if (this.failure) throw this.failure;
    const seq = this.walSeq++;
    const value = encodeWalRecord(record);
    for (let attempt = 1; ; attempt++) {
      try {
        const committed = this.dbs.wal.put(key(seq), value);
        const flushed = new Promise((resolve, reject) => {
          this.root.flushed.then(resolve, reject);
        });
        await committed;
        await flushed;
        return;
      } catch (e) {
        if (attempt >= WRITE_ATTEMPTS || !isBadTxn(e)) throw e;
        this.retries++;
        this.options.onWriteRetry?.(e, attempt);
      }
    }
  }

  walPrune(height: number): void {
    const drop = this.walBelow(height);
    if (drop.length === 0) return;
    this.transact(() => {
      for (const k of drop) this.dbs.wal.remove(k);
    });
  }

  /**
   * As walPrune, on the write thread: records of decided heights are never needed again (a
   * node reopens at its head and ignores them), so their removal need not hold the event loop.
   */
  walPruneAsync(height: number): Promise<void> {
    if (this.closing) return Promise.resolve();
    const drop = this.walBelow(height);
    if (drop.length === 0) return Promise.resolve();
    return this.walWrite(
      this.root
        .batch(() => {
          for (const k of drop) void this.dbs.wal.remove(k);
        })
        .then(() => undefined),
    );
  }

  private walBelow(height: number): Uint8Array[] {
    const drop: Uint8Array[] = [];
    for (const { key: k, value } of this.dbs.wal.getRange({})) {
      if (decodeWalRecord(bytes(value as Uint8Array)!).height < height) drop.push(k as Uint8Array);
    }
    return drop;
  }
}
