/** Pool bounds: count, bytes, per sender; eviction of the cheapest when full. */
import { describe, expect, it } from 'vitest';
import type { SignedTx } from '../../src/execution/tx.js';
import { Accounts, addr, ETM, expectTxError, fakeTx, FLOOR, GWEI, hexes, pool } from './helpers.js';

const [A, B, C, D] = [addr(1), addr(2), addr(3), addr(4)];
const view = (): Accounts => {
  const v = new Accounts();
  for (const s of [A, B, C, D]) v.set(s, { balance: 1000n * ETM });
  return v;
};
const FULL =
  /^transaction pool is full \(\d+ of \d+ transactions, \d+ of \d+ bytes\): tip -?\d+ does not outbid enough cheaper transactions$/;

/** A transfer from `sender` paying `tip` gwei above the base fee (fee cap 100 gwei). */
function tx(sender: Uint8Array, nonce: bigint, tip: bigint, size = 110): SignedTx {
  return fakeTx({ sender, nonce, tip, fee: 100n * GWEI, size });
}

describe('count bound', () => {
  it('a full pool evicts the cheapest transaction for a better-paying one', () => {
    const p = pool({ maxCount: 3 });
    const v = view();
    const [a, b, c] = [tx(A, 0n, 1n), tx(B, 0n, 2n), tx(C, 0n, 3n)];
    for (const t of [a, b, c]) p.add(t, v, FLOOR);
    const d = tx(D, 0n, 4n);
    expect(p.add(d, v, FLOOR)).toEqual({ replaced: null, evicted: [a] });
    expect(p.size).toBe(3);
    expect(p.has(a.hash)).toBe(false);
    expect(new Set(hexes(p.all()))).toEqual(new Set(hexes([b, c, d])));
  });

  it('a newcomer paying no more than the cheapest is refused and nothing changes', () => {
    const p = pool({ maxCount: 3 });
    const v = view();
    const held = [tx(A, 0n, 2n), tx(B, 0n, 3n), tx(C, 0n, 4n)];
    for (const t of held) p.add(t, v, FLOOR);
    const e = expectTxError(() => p.add(tx(D, 0n, 1n), v, FLOOR), 'pool-full', FULL);
    expect(e.message).toContain('(3 of 3 transactions');
    // An equal tip does not outbid.
    expectTxError(() => p.add(tx(D, 0n, 2n), v, FLOOR), 'pool-full', FULL);
    expect(p.all()).toEqual(held);
  });

  it("only a sender's highest nonce may be evicted (no gaps)", () => {
    const p = pool({ maxCount: 3 });
    const v = view();
    const a0 = tx(A, 0n, 1n);
    const a1 = tx(A, 1n, 9n);
    const b0 = tx(B, 0n, 2n);
    for (const t of [a0, a1, b0]) p.add(t, v, FLOOR);
    // a0 is the cheapest, but evicting it would strand a1: b0 goes.
    expect(p.add(tx(C, 0n, 3n), v, FLOOR).evicted).toEqual([b0]);
    expect(p.has(a0.hash) && p.has(a1.hash)).toBe(true);
  });

  it('evicts a whole tail, highest nonce first, when the newcomer outbids it', () => {
    const p = pool({ maxCount: 3 });
    const v = view();
    const a0 = tx(A, 0n, 1n);
    const a1 = tx(A, 1n, 1n);
    const b0 = tx(B, 0n, 5n);
    for (const t of [a0, a1, b0]) p.add(t, v, FLOOR);
    const c0 = tx(C, 0n, 3n, 110);
    expect(p.add(c0, v, FLOOR).evicted).toEqual([a1]);
    expect(p.add(tx(D, 0n, 4n), v, FLOOR).evicted).toEqual([a0]);
    expect(p.pendingNonce(A, v)).toBe(0n);
  });

  it("never evicts the newcomer's own sender", () => {
    const p = pool({ maxCount: 3 });
    const v = view();
    for (const t of [tx(A, 0n, 1n), tx(A, 1n, 1n), tx(B, 0n, 10n)]) p.add(t, v, FLOOR);
    // A's own cheap transactions are not candidates; B pays more than the newcomer.
    expectTxError(() => p.add(tx(A, 2n, 9n), v, FLOOR), 'pool-full', FULL);
    const b = p.all().find((t) => t.sender === B)!;
    expect(p.add(tx(A, 2n, 11n), v, FLOOR).evicted).toEqual([b]);
  });

  it('ranks by the effective tip at the base fee given to add', () => {
    const a0 = fakeTx({ sender: A, fee: 3n * GWEI, tip: 2n * GWEI });
    const b0 = fakeTx({ sender: B, fee: 10n * GWEI, tip: 1_500_000_000n });
    const c0 = fakeTx({ sender: C, fee: 10n * GWEI, tip: 1_800_000_000n });
    const v = view();
    // At 1 gwei, A pays 2 gwei above it, B 1.5: B is the cheapest.
    const p1 = pool({ maxCount: 2 });
    p1.add(a0, v, FLOOR);
    p1.add(b0, v, FLOOR);
    expect(p1.add(c0, v, GWEI).evicted).toEqual([b0]);
    // At 2 gwei, A's cap leaves it 1 gwei: A is the cheapest.
    const p2 = pool({ maxCount: 2 });
    p2.add(a0, v, FLOOR);
    p2.add(b0, v, FLOOR);
    expect(p2.add(c0, v, 2n * GWEI).evicted).toEqual([a0]);
  });

  it('a replacement in a full pool needs no room', () => {
    const p = pool({ maxCount: 2 });
    const v = view();
    const a0 = tx(A, 0n, 1n);
    p.add(a0, v, FLOOR);
    p.add(tx(B, 0n, 1n), v, FLOOR);
    const r = p.add(fakeTx({ sender: A, nonce: 0n, tip: 2n, fee: 110n * GWEI }), v, FLOOR);
    expect(r).toEqual({ replaced: a0, evicted: [] });
    expect(p.size).toBe(2);
  });
});

describe('byte bound', () => {
  it('evicts as many cheaper transactions as the bytes need, cheapest first', () => {
    const p = pool({ maxBytes: 1000 });
    const v = view();
    const [a, b, c] = [tx(A, 0n, 1n, 300), tx(B, 0n, 2n, 300), tx(C, 0n, 3n, 300)];
    for (const t of [a, b, c]) p.add(t, v, FLOOR);
    expect(p.bytes).toBe(900);
    const d = tx(D, 0n, 4n, 700);
    expect(p.add(d, v, FLOOR).evicted).toEqual([a, b]);
    expect(p.bytes).toBe(1000);
    expect(p.size).toBe(2);
  });

  it('if not enough can be evicted, nothing is', () => {
    const p = pool({ maxBytes: 1000 });
    const v = view();
    const held = [tx(A, 0n, 1n, 300), tx(B, 0n, 3n, 300), tx(C, 0n, 3n, 300)];
    for (const t of held) p.add(t, v, FLOOR);
    // Outbids A (1) but not B or C (3): freeing A alone leaves 1300 bytes.
    const e = expectTxError(() => p.add(tx(D, 0n, 2n, 700), v, FLOOR), 'pool-full', FULL);
    expect(e.message).toContain('900 of 1000 bytes');
    expect(p.all()).toEqual(held);
    expect(p.bytes).toBe(900);
  });

  it('a transaction larger than the whole pool is refused', () => {
    const p = pool({ maxBytes: 1000 });
    expectTxError(() => p.add(tx(A, 0n, 100n, 1001), view(), FLOOR), 'pool-full', FULL);
    p.add(tx(A, 0n, 100n, 1000), view(), FLOOR);
    expect(p.bytes).toBe(1000);
  });

  it('a larger replacement may evict others for its extra bytes', () => {
    const p = pool({ maxBytes: 1000 });
    const v = view();
    const a0 = tx(A, 0n, 5n, 500);
    const b0 = tx(B, 0n, 1n, 500);
    p.add(a0, v, FLOOR);
    p.add(b0, v, FLOOR);
    const bigger = fakeTx({ sender: A, nonce: 0n, tip: 6n, fee: 110n * GWEI, size: 600 });
    expect(p.add(bigger, v, FLOOR)).toEqual({ replaced: a0, evicted: [b0] });
    expect(p.bytes).toBe(600);
  });
});

describe('per-sender bound', () => {
  it('a sender may queue at most maxPerSender transactions', () => {
    const p = pool({ maxPerSender: 2 });
    const v = view();
    p.add(tx(A, 0n, 1n), v, FLOOR);
    const a1 = tx(A, 1n, 1n);
    p.add(a1, v, FLOOR);
    expectTxError(
      () => p.add(tx(A, 2n, 1n), v, FLOOR),
      'sender-limit',
      /^sender has too many queued transactions: limit 2$/,
    );
    // Others are not affected.
    p.add(tx(B, 0n, 1n), v, FLOOR);
    // Room again once one leaves.
    expect(p.remove(a1.hash)).toBe(true);
    p.add(tx(A, 2n, 1n), v, FLOOR);
    expect(p.size).toBe(3);
  });

  it('the default is 64 per sender', () => {
    const p = pool();
    const v = view();
    for (let n = 0n; n < 64n; n++) p.add(tx(A, n, 1n), v, FLOOR);
    expectTxError(() => p.add(tx(A, 64n, 1n), v, FLOOR), 'sender-limit', /limit 64$/);
    expect(p.pendingNonce(A, v)).toBe(64n);
  });
});
