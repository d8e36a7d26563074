/**
 * lmdb-js 3.5 can fail a commit spuriously with MDB_BAD_TXN ("reserved freelist had a data entry
 * with zero-size") while saving the free-page list it keeps in memory between transactions; the
 * abort makes it reload that list, so the same writes then succeed. The store runs such a write
 * again (and reports it) instead of failing the block or the consensus WAL record.
 */
import { afterEach, describe, expect, it } from 'vitest';
import type { RootDatabase } from 'lmdb';
import { ChainStore } from '../../src/chain/store.js';
import { keccak256 } from '../../src/crypto/keccak.js';
import { MessageType } from '../../src/consensus/types.js';
import { TempDirs } from './helpers.js';

const t = new TempDirs();
afterEach(() => t.cleanup());

/** Makes the next `failures` write transactions of a store fail as lmdb-js fails them. */
function failWrites(store: ChainStore, failures: number, error: () => Error): void {
  const root = (store as unknown as { root: RootDatabase }).root;
  const real = root.transactionSync.bind(root);
  let left = failures;
  root.transactionSync = ((callback: () => unknown) => {
    if (left-- > 0) {
      // As lmdb-js: the callback's writes happen, then the commit fails and nothing is kept.
      return real(() => {
        callback();
        throw error();
      });
    }
    return real(callback);
  }) as typeof root.transactionSync;
}

function badTxn(): Error {
  const e = new Error(
    'MDB_BAD_TXN: Transaction must abort, has a child, or is invalid: reserved freelist had a data entry with zero-size, last id 12',
  );
  (e as Error & { code: number }).code = -30782;
  return e;
}

const block = (n: bigint) => {
  const node = new Uint8Array(64).fill(Number(n));
  return {
    number: n,
    hash: keccak256(Uint8Array.of(Number(n))),
    block: Uint8Array.of(1, 2, 3),
    receipts: Uint8Array.of(4),
    txHashes: [keccak256(Uint8Array.of(9, Number(n)))],
    nodes: [[keccak256(node), node]] as Array<[Uint8Array, Uint8Array]>,
  };
};

describe('ChainStore write retries', () => {
  it('runs a block commit and a WAL append again after a spurious MDB_BAD_TXN', () => {
    const retried: number[] = [];
    const store = new ChainStore(t.make(), { onWriteRetry: (_, attempt) => retried.push(attempt) });
    t.adopt(store);
    failWrites(store, 1, badTxn);
    store.commitBlock(block(1n));
    expect(store.head()).toBe(1n);
    expect(store.numberOf(block(1n).hash)).toBe(1n);
    failWrites(store, 2, badTxn);
    const record = {
      kind: 'signed' as const,
      height: 2,
      round: 0,
      type: MessageType.Prepare,
      digest: new Uint8Array(32),
      message: Uint8Array.of(7),
    };
    store.walAppend(record);
    expect(store.walLoad()).toEqual([record]);
    expect(retried).toEqual([1, 1, 2]);
    expect(store.writeRetries).toBe(3);
  });

  it('gives up after three attempts, and never retries other errors', () => {
    const store = new ChainStore(t.make());
    t.adopt(store);
    failWrites(store, 3, badTxn);
    expect(() => store.commitBlock(block(1n))).toThrow(/MDB_BAD_TXN/);
    expect(store.head()).toBeNull();
    failWrites(store, 1, () => new Error('MDB_MAP_FULL: Environment mapsize limit reached'));
    expect(() => store.commitBlock(block(1n))).toThrow(/MDB_MAP_FULL/);
    expect(store.writeRetries).toBe(2);
    store.commitBlock(block(1n));
    expect(store.head()).toBe(1n);
  });
});

/** Makes the next `failures` asynchronous batches of a store fail after their writes ran. */
function failBatches(store: ChainStore, failures: number): void {
  const root = (store as unknown as { root: RootDatabase }).root;
  const real = root.batch.bind(root);
  let left = failures;
  root.batch = ((callback: () => void) => {
    if (left-- > 0) return Promise.reject(badTxn());
    return real(callback);
  }) as typeof root.batch;
}

describe('asynchronous write retries', () => {
  it('runs a block batch again after a spurious MDB_BAD_TXN, and reports it', async () => {
    const retried: number[] = [];
    const store = new ChainStore(t.make(), { onWriteRetry: (_, attempt) => retried.push(attempt) });
    t.adopt(store);
    failBatches(store, 2);
    await store.commitBlockAsync(block(1n));
    expect(retried).toEqual([1, 2]);
    expect(store.pendingBlocks).toBe(0);
    expect(store.head()).toBe(1n);
    expect(store.numberOf(block(1n).hash)).toBe(1n);
  });

  it('fails the block after three attempts, and the store takes no more', async () => {
    const store = new ChainStore(t.make());
    t.adopt(store);
    failBatches(store, 3);
    await expect(store.commitBlockAsync(block(1n))).rejects.toThrow(/block 1 could not be written/);
    expect(() => store.commitBlockAsync(block(2n))).toThrow(/block 1 could not be written/);
  });
});
