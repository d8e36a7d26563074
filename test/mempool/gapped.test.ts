/**
 * Gapped transactions (waiting for an earlier nonce) cost their sender nothing until the gap is
 * filled, so they have their own bounds: a count per sender and in total, a lower rank than every
 * executable transaction, and a lifetime. The lockout this prevents: funded accounts sending
 * nonces 1..64 (nonce 0 never) at a high tip used to fill every slot of the pool, and honest
 * transactions were refused with 'pool-full' until the node restarted.
 */
import { describe, expect, it } from 'vitest';
import { DEFAULT_MEMPOOL_LIMITS } from '../../src/mempool/mempool.js';
import type { SignedTx } from '../../src/execution/tx.js';
import { Accounts, addr, ETM, expectTxError, fakeTx, FLOOR, GWEI, pool } from './helpers.js';

/** A transfer at fee cap 200 gwei paying `tip` gwei above the base fee. */
function tx(sender: Uint8Array, nonce: bigint, tip: bigint): SignedTx {
  return fakeTx({ sender, nonce, tip: tip * GWEI, fee: 200n * GWEI });
}

const funded = (senders: Uint8Array[]): Accounts => {
  const v = new Accounts();
  for (const s of senders) v.set(s, { balance: 1000n * ETM });
  return v;
};

describe('the gapped-nonce lockout', () => {
  it('64 accounts sending nonces 1..64 at a high tip do not keep honest transactions out', () => {
    const attackers = Array.from({ length: 64 }, (_, i) => addr(10_000 + i));
    const honest = Array.from({ length: 512 }, (_, i) => addr(20_000 + i));
    const v = funded([...attackers, ...honest]);
    const p = pool();
    let admitted = 0;
    for (const a of attackers) {
      for (let n = 1n; n <= 64n; n++) {
        try {
          p.add(tx(a, n, 100n), v, FLOOR);
          admitted++;
        } catch (e) {
          expect((e as Error).message).toMatch(/waiting for an earlier nonce/);
        }
      }
    }
    // 16 per sender: 1,024 in all, the gapped cap.
    expect(admitted).toBe(64 * DEFAULT_MEMPOOL_LIMITS.maxGappedPerSender);
    expect(p.gapped).toBe(DEFAULT_MEMPOOL_LIMITS.maxGapped);
    // Enough honest transactions at a 100× lower tip to fill the whole pool: every one is taken.
    for (const h of honest) for (let n = 0n; n < 8n; n++) p.add(tx(h, n, 1n), v, FLOOR);
    expect(p.size).toBe(DEFAULT_MEMPOOL_LIMITS.maxCount);
    expect(p.gapped).toBe(0);
    // And a proposer gets them all.
    expect(p.selectForBlock(v, FLOOR, 150_000_000n, 16 << 20)).toHaveLength(4096);
  });

  it('a gapped transaction never displaces an executable one, whatever its tip', () => {
    const [a, b, c] = [addr(1), addr(2), addr(3)];
    const v = funded([a, b, c]);
    const p = pool({ maxCount: 3 });
    for (const t of [tx(a, 0n, 1n), tx(b, 0n, 1n), tx(b, 1n, 1n)]) p.add(t, v, FLOOR);
    expectTxError(() => p.add(tx(c, 1n, 150n), v, FLOOR), 'pool-full', /pool is full/);
    // An executable newcomer still outbids the cheapest executable one.
    expect(p.add(tx(c, 0n, 2n), v, FLOOR).evicted).toHaveLength(1);
  });

  it('an executable newcomer evicts gapped transactions before any executable one, at any tip', () => {
    const [a, b, c] = [addr(1), addr(2), addr(3)];
    const v = funded([a, b, c]);
    const p = pool({ maxCount: 3 });
    const gapped = tx(a, 5n, 150n);
    for (const t of [gapped, tx(b, 0n, 1n), tx(b, 1n, 1n)]) p.add(t, v, FLOOR);
    expect(p.add(tx(c, 0n, 0n), v, FLOOR).evicted).toEqual([gapped]);
  });

  it('the gapped total is bounded: a gapped newcomer must outbid the cheapest gapped one', () => {
    const senders = [1, 2, 3, 4].map(addr);
    const v = funded(senders);
    const p = pool({ maxGapped: 3 });
    const held = [tx(senders[0]!, 1n, 5n), tx(senders[1]!, 1n, 3n), tx(senders[2]!, 1n, 4n)];
    for (const t of held) p.add(t, v, FLOOR);
    expectTxError(
      () => p.add(tx(senders[3]!, 1n, 3n), v, FLOOR),
      'pool-full',
      /^transaction pool is full of transactions waiting for an earlier nonce \(3 of 3\): tip 3000000000 does not outbid enough cheaper ones$/,
    );
    expect(p.add(tx(senders[3]!, 1n, 9n), v, FLOOR).evicted).toEqual([held[1]]);
    expect(p.gapped).toBe(3);
  });

  it('bounds the gapped transactions of one sender', () => {
    const a = addr(1);
    const v = funded([a]);
    const p = pool({ maxGappedPerSender: 2 });
    p.add(tx(a, 2n, 1n), v, FLOOR);
    p.add(tx(a, 3n, 1n), v, FLOOR);
    expectTxError(
      () => p.add(tx(a, 5n, 1n), v, FLOOR),
      'sender-limit',
      /^sender has too many transactions waiting for an earlier nonce \(next nonce 0, tx nonce 5\): limit 2$/,
    );
    // Executable ones are not held to it; filling the gap makes the rest executable.
    p.add(tx(a, 0n, 1n), v, FLOOR);
    p.add(tx(a, 1n, 1n), v, FLOOR);
    expect(p.gapped).toBe(0);
    p.add(tx(a, 5n, 1n), v, FLOOR);
    p.add(tx(a, 6n, 1n), v, FLOOR);
    expect(p.gapped).toBe(2);
  });

  it('drops a transaction still gapped gappedLifetimeBlocks blocks after it became gapped', () => {
    const [a, b] = [addr(1), addr(2)];
    const v = funded([a, b]);
    const p = pool({ gappedLifetimeBlocks: 3 });
    const stuck = tx(a, 1n, 1n);
    const saved = tx(b, 1n, 1n);
    p.add(stuck, v, FLOOR);
    p.add(saved, v, FLOOR);
    p.onNewHead(v, FLOOR);
    p.onNewHead(v, FLOOR);
    // b's gap is filled in time: its transaction is executable and no longer expires.
    p.add(tx(b, 0n, 1n), v, FLOOR);
    p.onNewHead(v, FLOOR);
    expect(p.has(stuck.hash)).toBe(false);
    expect(p.has(saved.hash)).toBe(true);
    for (let i = 0; i < 10; i++) p.onNewHead(v, FLOOR);
    expect(p.has(saved.hash)).toBe(true);
  });

  it('a removal that opens a gap subjects the later transactions to the gapped limits', () => {
    const a = addr(1);
    const v = funded([a]);
    const p = pool({ maxGappedPerSender: 2 });
    const txs = [0n, 1n, 2n, 3n, 4n].map((n) => tx(a, n, 1n));
    for (const t of txs) p.add(t, v, FLOOR);
    expect(p.gapped).toBe(0);
    p.remove(txs[0]!.hash);
    // 1..4 now wait for nonce 0: two may stay, the lowest.
    expect(p.all()).toEqual(txs.slice(1, 3));
    expect(p.gapped).toBe(2);
  });
});
