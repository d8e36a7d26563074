/**
 * Blocks decided by consensus are written on lmdb-js's write thread: the chain reads them from
 * memory at once, they are on disk when `durable()` resolves, and a write that never reaches
 * the disk (a crash, a disk error) leaves a directory that reopens at the block before, from
 * which the lost block is imported again as a peer would serve it.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { ChainStore, StoreError } from '../../src/chain/store.js';
import { blockHash, decodeBlock } from '../../src/chain/block.js';
import { keccak256 } from '../../src/crypto/keccak.js';
import { toHex } from '../../src/crypto/bytes.js';
import { decodeStoredReceipts } from '../../src/codec/receipt.js';
import { commitNext, openChain, STRANGER, TempDirs, workload } from './helpers.js';

const t = new TempDirs();
afterEach(() => t.cleanup());

/** A gate the store's asynchronous writes wait at, opened or failed by the test. */
function gate() {
  let open!: () => void;
  let fail!: (e: Error) => void;
  const at = new Promise<void>((resolve, reject) => {
    open = resolve;
    fail = reject;
  });
  return { at, open, fail };
}

describe('asynchronous block writes', () => {
  it('are readable at once, durable when awaited, and survive reopening', async () => {
    const dir = t.make();
    const held = gate();
    const writing: bigint[] = [];
    const store = t.adopt(
      new ChainStore(dir, {
        beforeAsyncWrite: async (n) => {
          writing.push(n);
          await held.at;
        },
      }),
    );
    const c = openChain(store);
    const b1 = await commitNext(c, workload(1n));
    const b2 = await commitNext(c, workload(2n));
    // Both blocks wait at the gate; everything about them reads from memory meanwhile.
    expect(store.pendingBlocks).toBe(2);
    expect(store.head()).toBe(2n);
    expect(c.headNumber).toBe(2n);
    for (const b of [b1, b2]) {
      const n = b.header.number;
      expect(decodeBlock(store.block(n)!).header.stateRoot).toEqual(b.header.stateRoot);
      expect(store.numberOf(blockHash(b))).toBe(n);
      expect(decodeStoredReceipts(store.receipts(n)!)).toHaveLength(b.transactions.length);
      for (const [i, raw] of b.transactions.entries())
        expect(store.txLocation(keccak256(raw))).toEqual({ number: n, index: i });
    }
    // The head state reads through the pending state nodes.
    expect(c.headState().getAccount(STRANGER).balance).toBeGreaterThan(0n);
    const building = commitNext(c, workload(3n));
    let durable = false;
    const flushed = c.durable().then(() => (durable = true));
    await new Promise((r) => setTimeout(r, 20));
    expect(durable).toBe(false);
    held.open();
    await building;
    await flushed;
    await c.durable();
    expect(store.pendingBlocks).toBe(0);
    // Written in order, each once.
    expect(writing).toEqual([1n, 2n, 3n]);
    const head = { hash: toHex(c.headHash), root: toHex(c.head.header.stateRoot) };
    const balance = c.headState().getAccount(STRANGER).balance;
    await store.close();

    const reopened = openChain(t.store(dir));
    expect(reopened.headNumber).toBe(3n);
    expect({ hash: toHex(reopened.headHash), root: toHex(reopened.head.header.stateRoot) }).toEqual(
      head,
    );
    expect(reopened.headState().getAccount(STRANGER).balance).toBe(balance);
  });

  it('a write that fails stops the store, and the reopened chain takes the block again from a peer', async () => {
    const dir = t.make();
    const crash = gate();
    const store = t.adopt(
      new ChainStore(dir, {
        beforeAsyncWrite: (n) => (n === 2n ? crash.at : Promise.resolve()),
      }),
    );
    const c = openChain(store);
    await commitNext(c, workload(1n));
    await c.durable();
    // Decided and committed in memory, then the write is lost before it reaches the disk.
    const b2 = await commitNext(c, workload(2n));
    const sealed2 = c.blockBytesAt(2n)!;
    expect(c.headNumber).toBe(2n);
    crash.fail(new Error('simulated crash before the flush'));
    await expect(c.durable()).rejects.toThrow(StoreError);
    await expect(c.durable()).rejects.toThrow(/block 2 could not be written/);
    // Nothing more is written on top of a lost block.
    await expect(commitNext(c, workload(3n))).rejects.toThrow(StoreError);
    await store.close();

    const reopened = openChain(t.store(dir));
    expect(reopened.headNumber).toBe(1n);
    expect(reopened.blockBytesAt(2n)).toBeUndefined();
    // The block the network decided, as a peer serves it: imported, it gives the same chain.
    await reopened.importSealed(sealed2);
    await reopened.durable();
    expect(reopened.headNumber).toBe(2n);
    expect(reopened.headHash).toEqual(blockHash(b2));
    expect(reopened.head.header.stateRoot).toEqual(b2.header.stateRoot);
    await commitNext(reopened, workload(3n));
    await reopened.durable();
    expect(reopened.headNumber).toBe(3n);
  });
});
