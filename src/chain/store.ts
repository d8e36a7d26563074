/**
 * The node's disk: one LMDB environment with a sub-database per kind of record.
 *
 *   blocks    number (8 bytes BE) → sealed block        hashes  block hash → number
 *   receipts  number → the block's stored receipts      txs     tx hash → RLP [number, index]
 *   nodes     hash → state trie node or contract code   wal     sequence (8 bytes BE) → WAL record
 *   meta      'head', 'genesis' (block 0's hash), 'genesisDigest' (see genesisDigest)
 *
 * A block, its receipts, index entries, new state nodes and the new head are written in one
 * synchronous LMDB transaction, so a node killed at any moment (even `kill -9`) reopens at its
 * last committed block with everything that block needs. The genesis state is the exception:
 * it may hold millions of nodes, so they are written ahead in batches (`putNodes`), and block 0,
 * the head and the genesis hash and digest follow in one transaction once they all are. A node
 * killed during that build finds no genesis and builds it again (the nodes are keyed by hash,
 * so rewriting them is harmless). The devnet's evm_revert removes the blocks above a head in one
 * transaction too (`rollback`).
 *
 * Every write is one synchronous transaction whose callback only puts and removes (never returns
 * a promise, never reads, never starts an asynchronous write), so it cannot overlap another
 * write or an asynchronous commit. One failure is retried: lmdb-js 3.5 keeps its free-page list
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
import { bytesToBigint, uint64be } from '../crypto/bytes.js';
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
/** LMDB's MDB_BAD_TXN: the transaction could not commit (see the file comment). */
const MDB_BAD_TXN = -30782;
/** Attempts at one write transaction when its commit fails with MDB_BAD_TXN. */
const WRITE_ATTEMPTS = 3;

export interface ChainStoreOptions {
  /** Told when a write transaction failed with MDB_BAD_TXN and is run again. */
  onWriteRetry?: (error: Error, attempt: number) => void;
}

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
  private retries = 0;

  constructor(
    readonly path: string,
    private readonly options: ChainStoreOptions = {},
  ) {
    mkdirSync(path, { recursive: true });
    this.root = open({ path, maxDbs: 16, compression: false });
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

  /** Flushes and closes the environment; every committed block is already durable. */
  close(): Promise<void> {
    // Closing twice is harmless: later calls wait for the first.
    this.closing ??= this.root.close();
    return this.closing;
  }

  get(hash: Uint8Array): Uint8Array | undefined {
    return bytes(this.dbs.nodes.get(hash));
  }

  head(): bigint | null {
    const h = this.dbs.meta.get(Buffer.from('head'));
    return h === undefined ? null : bytesToBigint(h);
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
    return bytes(this.dbs.blocks.get(key(number)));
  }

  numberOf(hash: Uint8Array): bigint | undefined {
    const n = this.dbs.hashes.get(hash);
    return n === undefined ? undefined : bytesToBigint(n);
  }

  receipts(number: bigint): Uint8Array | undefined {
    return bytes(this.dbs.receipts.get(key(number)));
  }

  txLocation(hash: Uint8Array): { number: bigint; index: number } | undefined {
    const v = this.dbs.txs.get(hash);
    if (v === undefined) return undefined;
    const [n, i] = asList(rlpDecode(v), 'tx location', 2);
    return { number: asUint(n, 'number', 8), index: Number(asUint(i, 'index', 4)) };
  }

  /** Writes a committed block and everything it brings, and moves the head, atomically. */
  commitBlock(c: CommittedBlock, genesis = false): void {
    this.transact(() => {
      for (const [h, node] of c.nodes) this.dbs.nodes.put(h, node);
      this.dbs.blocks.put(key(c.number), c.block);
      this.dbs.hashes.put(c.hash, key(c.number));
      this.dbs.receipts.put(key(c.number), c.receipts);
      c.txHashes.forEach((h, i) => this.dbs.txs.put(h, rlpEncode([c.number, i])));
      this.dbs.meta.put(Buffer.from('head'), key(c.number));
      if (genesis) {
        this.dbs.meta.put(Buffer.from('genesis'), c.hash);
        if (c.genesisDigest) this.dbs.meta.put(Buffer.from('genesisDigest'), c.genesisDigest);
      }
    });
  }

  /**
   * Makes block `number` the head again: removes every block above it with its receipts, its
   * hash and transaction index entries, and the consensus WAL records of the heights above it,
   * in one transaction, after any write still pending. Returns how many blocks were removed.
   * State nodes stay: they are keyed by hash, and the kept states may share them. For the
   * devnet's evm_revert only (docs/rpc.md): the blocks of a real chain are final.
   */
  async rollback(number: bigint): Promise<number> {
    // Writes committed asynchronously land first: the rollback sees the store they leave.
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

  walPrune(height: number): void {
    const drop: Uint8Array[] = [];
    for (const { key: k, value } of this.dbs.wal.getRange({})) {
      if (decodeWalRecord(bytes(value as Uint8Array)!).height < height) drop.push(k as Uint8Array);
    }
    if (drop.length === 0) return;
    this.transact(() => {
      for (const k of drop) this.dbs.wal.remove(k);
    });
  }
}
