/** pendingNonce, remove and the sweep after a new head. */
import { describe, expect, it } from 'vitest';
import type { SignedTx } from '../../src/execution/tx.js';
import { Accounts, addr, ETM, fakeTx, FLOOR, GWEI, pool } from './helpers.js';

const A = addr(1);
const B = addr(2);
/** Cost of a default fake transfer: value 1 + 21000 gas at 3 gwei. */
const COST = 1n + 21_000n * 3n * GWEI;

function queue(sender: Uint8Array, nonces: bigint[]): SignedTx[] {
  return nonces.map((nonce) => fakeTx({ sender, nonce }));
}

describe('pendingNonce', () => {
  it('is the state nonce for a sender with nothing queued', () => {
    const v = new Accounts().set(A, { nonce: 7n });
    expect(pool().pendingNonce(A, v)).toBe(7n);
  });

  it('counts the contiguous run from the state nonce and stops at a gap', () => {
    const p = pool();
    const v = new Accounts().set(A, { nonce: 3n, balance: ETM });
    for (const t of queue(A, [3n, 4n, 6n, 7n])) p.add(t, v, FLOOR);
    expect(p.pendingNonce(A, v)).toBe(5n);
    p.add(fakeTx({ sender: A, nonce: 5n }), v, FLOOR);
    expect(p.pendingNonce(A, v)).toBe(8n);
    expect(p.pendingNonce(B, v)).toBe(0n);
  });

  it('skips transactions the state nonce has passed', () => {
    const p = pool();
    const v = new Accounts().set(A, { balance: ETM });
    for (const t of queue(A, [0n, 1n, 2n])) p.add(t, v, FLOOR);
    v.set(A, { nonce: 2n });
    expect(p.pendingNonce(A, v)).toBe(3n);
    v.set(A, { nonce: 5n });
    expect(p.pendingNonce(A, v)).toBe(5n);
  });
});

describe('remove', () => {
  it('drops one transaction, with its bytes; false for an unknown hash', () => {
    const p = pool();
    const v = new Accounts().set(A, { balance: ETM }).set(B, { balance: ETM });
    const [a0, a1, a2] = queue(A, [0n, 1n, 2n]);
    const b0 = fakeTx({ sender: B, size: 300 });
    for (const t of [a0!, a1!, a2!, b0]) p.add(t, v, FLOOR);
    expect(p.bytes).toBe(3 * 110 + 300);
    expect(p.remove(b0.hash)).toBe(true);
    expect(p.remove(b0.hash)).toBe(false);
    expect(p.has(b0.hash)).toBe(false);
    expect(p.bytes).toBe(330);
    expect(p.size).toBe(3);
    // Removing from the middle opens a gap: the rest waits.
    expect(p.remove(a1!.hash)).toBe(true);
    expect(p.pendingNonce(A, v)).toBe(1n);
    expect(p.selectForBlock(v, FLOOR, 10_000_000n, 1 << 20)).toEqual([a0]);
    expect(p.all()).toEqual([a0, a2]);
    // The hash may come back.
    p.add(a1!, v, FLOOR);
    expect(p.pendingNonce(A, v)).toBe(3n);
    expect(p.remove(fakeTx().hash)).toBe(false);
  });
});

describe('onNewHead', () => {
  it('drops transactions whose nonce is used and keeps the rest', () => {
    const p = pool();
    const v = new Accounts().set(A, { balance: ETM }).set(B, { balance: ETM });
    const a = queue(A, [0n, 1n, 2n, 3n]);
    const b = queue(B, [0n, 1n]);
    for (const t of [...a, ...b]) p.add(t, v, FLOOR);
    v.set(A, { nonce: 2n, balance: ETM - 2n * COST });
    p.onNewHead(v, FLOOR);
    expect(p.all()).toEqual([a[2], a[3], ...b]);
    expect(p.size).toBe(4);
    expect(p.bytes).toBe(4 * 110);
    expect(p.pendingNonce(A, v)).toBe(4n);
    // Every transaction of a sender mined: the sender is gone from the pool.
    v.set(B, { nonce: 2n });
    p.onNewHead(v, FLOOR);
    expect(p.all()).toEqual([a[2], a[3]]);
  });

  it('drops what the sender can no longer pay, and every later nonce', () => {
    const p = pool();
    const v = new Accounts().set(A, { balance: 4n * COST });
    const a = queue(A, [0n, 1n, 2n, 3n]);
    for (const t of a) p.add(t, v, FLOOR);
    // A spent elsewhere: only two remain payable.
    v.set(A, { balance: 3n * COST - 1n });
    p.onNewHead(v, FLOOR);
    expect(p.all()).toEqual(a.slice(0, 2));
    expect(p.pendingNonce(A, v)).toBe(2n);
  });

  it('funds that became locked are not spendable: the transactions go', () => {
    const p = pool();
    const v = new Accounts().set(A, { balance: 2n * COST });
    const a = queue(A, [0n, 1n]);
    for (const t of a) p.add(t, v, FLOOR);
    // A locked most of its balance (stake): same total, less spendable.
    v.set(A, { balance: COST, locked: COST });
    p.onNewHead(v, FLOOR);
    expect(p.all()).toEqual([a[0]]);
  });

  it('counts gapped transactions after the ones before them', () => {
    const p = pool();
    const v = new Accounts().set(A, { balance: 3n * COST });
    const a = queue(A, [0n, 2n, 3n]);
    for (const t of a) p.add(t, v, FLOOR);
    v.set(A, { balance: 2n * COST });
    p.onNewHead(v, FLOOR);
    expect(p.all()).toEqual(a.slice(0, 2));
  });

  it('keeps transactions waiting for a gap or for the base fee to fall', () => {
    const p = pool();
    const v = new Accounts().set(A, { balance: ETM }).set(B, { balance: ETM });
    const gapped = fakeTx({ sender: A, nonce: 5n });
    const cheap = fakeTx({ sender: B, nonce: 0n, fee: FLOOR, tip: 0n });
    p.add(gapped, v, FLOOR);
    p.add(cheap, v, FLOOR);
    p.onNewHead(v, 50n * GWEI);
    expect(p.all()).toEqual([gapped, cheap]);
  });

  it('leaves an untouched pool as it is', () => {
    const p = pool();
    const v = new Accounts().set(A, { balance: ETM }).set(B, { balance: ETM });
    const txs = [...queue(A, [0n, 1n]), ...queue(B, [0n])];
    for (const t of txs) p.add(t, v, FLOOR);
    p.onNewHead(v, FLOOR);
    expect(p.all()).toEqual(txs);
  });
});
