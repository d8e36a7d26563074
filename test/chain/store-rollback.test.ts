/**
 * Rolling the chain back (the devnet's evm_revert): the blocks above the target go with their
 * receipts, hash and transaction index entries and the WAL records of their heights, in one
 * transaction; everything at and below the target is as it was, the chain goes on from it, and
 * a reopened directory finds the rolled-back head.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { blockHash } from '../../src/chain/block.js';
import type { Chain } from '../../src/chain/chain.js';
import { StoreError } from '../../src/chain/store.js';
import { MessageType, type WalRecord } from '../../src/consensus/types.js';
import { toHex } from '../../src/crypto/bytes.js';
import { blockWorkHash } from '../../src/execution/block-work.js';
import {
  commitNext,
  openChain,
  STRANGER,
  TempDirs,
  USERS,
  VALIDATORS,
  workload,
} from './helpers.js';

const t = new TempDirs();
afterEach(() => t.cleanup());

const signed = (height: number): WalRecord => ({
  kind: 'signed',
  height,
  round: 0,
  type: MessageType.Prepare,
  digest: new Uint8Array(32).fill(height),
  message: new Uint8Array([height]),
});

/** What a client can read of the chain at and below `upTo`. */
function view(c: Chain, upTo: bigint) {
  const out = [];
  for (let n = 0n; n <= upTo; n++) {
    const block = c.blockAt(n)!;
    out.push({
      hash: toHex(blockHash(block)),
      bytes: toHex(c.blockBytesAt(n)!),
      receipts: toHex(c.store.receipts(n)!),
      txs: c.transactionsOf(block).map((tx) => c.store.txLocation(tx.hash)),
      validators: c.validatorsAt(n).map(toHex),
    });
  }
  return out;
}

const accounts = (c: Chain) =>
  [...USERS, STRANGER, ...VALIDATORS].map((a) => c.headState().getAccount(a));

describe('rollback', () => {
  it('removes the blocks above the target and their records, atomically; the chain goes on', async () => {
    const dir = t.make();
    const store = t.store(dir);
    const c = openChain(store);
    for (let h = 1n; h <= 3n; h++) await commitNext(c, workload(h));
    const before = { view: view(c, 3n), accounts: accounts(c), hash: toHex(c.headHash) };
    const baseFee = c.nextBaseFee();
    for (let h = 4n; h <= 6n; h++) await commitNext(c, workload(h));
    const removed = [4n, 5n, 6n].map((n) => {
      const block = c.blockAt(n)!;
      return {
        n,
        hash: blockHash(block),
        txs: [...c.transactionsOf(block).map((tx) => tx.hash), blockWorkHash(n)],
      };
    });
    for (const r of removed) expect(store.txLocation(r.txs[0]!)?.number).toBe(r.n);
    store.walAppend(signed(3));
    store.walAppend(signed(7));
    store.walAppend(signed(8));

    expect(await c.rollback(3n)).toBe(3);

    expect(c.headNumber).toBe(3n);
    expect(toHex(c.headHash)).toBe(before.hash);
    expect(view(c, 3n)).toEqual(before.view);
    expect(accounts(c)).toEqual(before.accounts);
    expect(c.nextBaseFee()).toBe(baseFee);
    expect(store.head()).toBe(3n);
    for (const r of removed) {
      expect(c.blockAt(r.n)).toBeUndefined();
      expect(store.block(r.n)).toBeUndefined();
      expect(store.receipts(r.n)).toBeUndefined();
      expect(store.numberOf(r.hash)).toBeUndefined();
      for (const h of r.txs) expect(store.txLocation(h)).toBeUndefined();
    }
    expect(store.walLoad().map((r) => r.height)).toEqual([3]);

    // The same transactions fit again on the old head; and the directory reopens at the new one.
    for (let h = 4n; h <= 5n; h++) await commitNext(c, workload(h));
    expect(c.headNumber).toBe(5n);
    const tx = c.transactionsOf(c.blockAt(5n)!)[0]!;
    expect(store.txLocation(tx.hash)).toEqual({ number: 5n, index: 0 });
    const after = { view: view(c, 5n), accounts: accounts(c) };
    await store.close();
    const reopened = openChain(t.store(dir));
    expect(reopened.headNumber).toBe(5n);
    expect(view(reopened, 5n)).toEqual(after.view);
    expect(accounts(reopened)).toEqual(after.accounts);
  });

  it('to the head or above removes nothing; to a block the store lacks is an error', async () => {
    const store = t.store(t.make());
    const c = openChain(store);
    await commitNext(c, workload(1n));
    expect(await c.rollback(1n)).toBe(0);
    expect(await c.rollback(9n)).toBe(0);
    expect(await store.rollback(5n)).toBe(0);
    await expect(store.rollback(-1n)).rejects.toThrow(StoreError);
    expect(c.headNumber).toBe(1n);
    // Back to genesis: only block 0 stays.
    expect(await c.rollback(0n)).toBe(1);
    expect(c.headNumber).toBe(0n);
    expect(store.block(1n)).toBeUndefined();
    await commitNext(c, workload(1n));
    expect(c.headNumber).toBe(1n);
  });
});
