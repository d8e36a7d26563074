/** Mempool.selectForBlock: which transactions a proposer takes, and in what order. */
import { describe, expect, it } from 'vitest';
import { compareBytes } from '../../src/crypto/bytes.js';
import type { SignedTx } from '../../src/execution/tx.js';
import { Accounts, addr, BLOCK_GAS, ETM, fakeTx, FLOOR, GWEI, pool } from './helpers.js';

const A = addr(1);
const B = addr(2);
const C = addr(3);
const BIG = 1 << 30;

function richView(...senders: Uint8Array[]): Accounts {
  const v = new Accounts();
  for (const s of senders) v.set(s, { balance: 1000n * ETM });
  return v;
}

function filled(view: Accounts, txs: SignedTx[]): ReturnType<typeof pool> {
  const p = pool();
  for (const tx of txs) p.add(tx, view, FLOOR);
  return p;
}

describe('selectForBlock', () => {
  it('an empty pool, or less gas than a transfer, gives nothing', () => {
    const v = richView(A);
    expect(pool().selectForBlock(v, FLOOR, BLOCK_GAS, BIG)).toEqual([]);
    const p = filled(v, [fakeTx({ sender: A })]);
    expect(p.selectForBlock(v, FLOOR, 20_999n, BIG)).toEqual([]);
    expect(p.selectForBlock(v, FLOOR, 21_000n, BIG)).toHaveLength(1);
  });

  it('orders senders by tip, highest first', () => {
    const v = richView(A, B, C);
    const a = fakeTx({ sender: A, tip: 1n * GWEI, fee: 10n * GWEI });
    const b = fakeTx({ sender: B, tip: 3n * GWEI, fee: 10n * GWEI });
    const c = fakeTx({ sender: C, tip: 2n * GWEI, fee: 10n * GWEI });
    const p = filled(v, [a, b, c]);
    expect(p.selectForBlock(v, FLOOR, BLOCK_GAS, BIG)).toEqual([b, c, a]);
  });

  it('ranks by the effective tip at the base fee: min(tip, feeCap − baseFee)', () => {
    const v = richView(A, B);
    const base = 2n * GWEI;
    // A offers a 3 gwei tip but its 3.5 gwei cap leaves only 1.5 gwei above this base fee.
    const a = fakeTx({ sender: A, tip: 3n * GWEI, fee: 3_500_000_000n });
    const b = fakeTx({ sender: B, tip: 2n * GWEI, fee: 10n * GWEI });
    const p = filled(v, [a, b]);
    expect(p.selectForBlock(v, base, BLOCK_GAS, BIG)).toEqual([b, a]);
    // At the floor A pays 2.5 gwei above it and B 2 gwei.
    expect(p.selectForBlock(v, FLOOR, BLOCK_GAS, BIG)).toEqual([a, b]);
  });

  it('breaks tip ties by the lower transaction hash', () => {
    const v = richView(A, B, C);
    const txs = [A, B, C].map((s) => fakeTx({ sender: s, tip: GWEI }));
    const p = filled(v, txs);
    const want = [...txs].sort((x, y) => compareBytes(x.hash, y.hash));
    expect(p.selectForBlock(v, FLOOR, BLOCK_GAS, BIG)).toEqual(want);
  });

  it("keeps each sender's nonce order, whatever the tips of its later transactions", () => {
    const v = richView(A, B);
    const a0 = fakeTx({ sender: A, nonce: 0n, tip: 1n, fee: 5n * GWEI });
    const a1 = fakeTx({ sender: A, nonce: 1n, tip: 4n * GWEI, fee: 5n * GWEI });
    const a2 = fakeTx({ sender: A, nonce: 2n, tip: 3n * GWEI, fee: 5n * GWEI });
    const b0 = fakeTx({ sender: B, nonce: 0n, tip: 2n * GWEI, fee: 5n * GWEI });
    const b1 = fakeTx({ sender: B, nonce: 1n, tip: 1n * GWEI, fee: 5n * GWEI });
    // Added out of order on purpose.
    const p = filled(v, [a2, b1, a1, b0, a0]);
    // Heads: a0 (1 wei) and b0 (2 gwei) → b0; then b1 (1 gwei) beats a0 → b1; then a0, a1, a2.
    expect(p.selectForBlock(v, FLOOR, BLOCK_GAS, BIG)).toEqual([b0, b1, a0, a1, a2]);
  });

  it('a higher-tip later nonce is pulled in as soon as its predecessor is taken', () => {
    const v = richView(A, B);
    const a0 = fakeTx({ sender: A, nonce: 0n, tip: 3n * GWEI, fee: 9n * GWEI });
    const a1 = fakeTx({ sender: A, nonce: 1n, tip: 5n * GWEI, fee: 9n * GWEI });
    const b0 = fakeTx({ sender: B, nonce: 0n, tip: 4n * GWEI, fee: 9n * GWEI });
    const p = filled(v, [a0, a1, b0]);
    expect(p.selectForBlock(v, FLOOR, BLOCK_GAS, BIG)).toEqual([b0, a0, a1]);
    const p2 = filled(v, [
      fakeTx({ sender: A, nonce: 0n, tip: 5n * GWEI, fee: 9n * GWEI, salt: 1 }),
      fakeTx({ sender: A, nonce: 1n, tip: 5n * GWEI, fee: 9n * GWEI, salt: 2 }),
      fakeTx({ sender: B, nonce: 0n, tip: 4n * GWEI, fee: 9n * GWEI, salt: 3 }),
    ]);
    expect(p2.selectForBlock(v, FLOOR, BLOCK_GAS, BIG).map((t) => t.nonce)).toEqual([0n, 1n, 0n]);
  });

  it('starts at the state nonce, skips used nonces and stops at a gap', () => {
    const v = richView(A, B);
    const a0 = fakeTx({ sender: A, nonce: 0n });
    const a1 = fakeTx({ sender: A, nonce: 1n });
    const a3 = fakeTx({ sender: A, nonce: 3n });
    const b1 = fakeTx({ sender: B, nonce: 1n });
    const p = filled(v, [a0, a1, a3, b1]);
    expect(p.selectForBlock(v, FLOOR, BLOCK_GAS, BIG)).toEqual([a0, a1]);
    // A block used A's nonce 0; the pool has not been told yet.
    v.set(A, { nonce: 1n });
    expect(p.selectForBlock(v, FLOOR, BLOCK_GAS, BIG)).toEqual([a1]);
    v.set(B, { nonce: 1n });
    expect(new Set(p.selectForBlock(v, FLOOR, BLOCK_GAS, BIG))).toEqual(new Set([a1, b1]));
  });

  it('skips a sender whose next fee cap is below the base fee, with its later nonces', () => {
    const v = richView(A, B);
    const base = 3n * GWEI;
    const a0 = fakeTx({ sender: A, nonce: 0n, fee: base - 1n, tip: GWEI });
    const a1 = fakeTx({ sender: A, nonce: 1n, fee: 10n * GWEI, tip: 5n * GWEI });
    const b0 = fakeTx({ sender: B, nonce: 0n, fee: base, tip: GWEI / 2n });
    const p = filled(v, [a0, a1, b0]);
    expect(p.selectForBlock(v, base, BLOCK_GAS, BIG)).toEqual([b0]);
    // When the base fee falls back, A is executable again.
    expect(p.selectForBlock(v, FLOOR, BLOCK_GAS, BIG)).toEqual([a0, a1, b0]);
    // They stay in the pool meanwhile.
    expect(p.size).toBe(3);
  });

  it('takes only what the sender can pay in sequence (value + gas × fee cap each)', () => {
    const cost = 1n + 21_000n * 3n * GWEI;
    const v = new Accounts().set(A, { balance: 3n * cost });
    const txs = [0n, 1n, 2n].map((nonce) => fakeTx({ sender: A, nonce }));
    const p = filled(v, txs);
    expect(p.selectForBlock(v, FLOOR, BLOCK_GAS, BIG)).toEqual(txs);
    // The balance fell (the pool was not told): only two are payable now.
    v.set(A, { balance: 3n * cost - 1n });
    expect(p.selectForBlock(v, FLOOR, BLOCK_GAS, BIG)).toEqual(txs.slice(0, 2));
  });

  it('never exceeds the gas limit; a sender whose next does not fit is cut, others go on', () => {
    const v = richView(A, B, C);
    const a0 = fakeTx({ sender: A, nonce: 0n, gasLimit: 60_000n, tip: 5n * GWEI, fee: 9n * GWEI });
    const b0 = fakeTx({ sender: B, nonce: 0n, gasLimit: 50_000n, tip: 4n * GWEI, fee: 9n * GWEI });
    const b1 = fakeTx({ sender: B, nonce: 1n, gasLimit: 21_000n, tip: 8n * GWEI, fee: 9n * GWEI });
    const c0 = fakeTx({ sender: C, nonce: 0n, gasLimit: 21_000n, tip: 1n * GWEI, fee: 9n * GWEI });
    const p = filled(v, [a0, b0, b1, c0]);
    // 60000 + 21000 fit in 100000; b0 (50000) does not, and b1 may not go without it.
    expect(p.selectForBlock(v, FLOOR, 100_000n, BIG)).toEqual([a0, c0]);
    expect(p.selectForBlock(v, FLOOR, 152_000n, BIG)).toEqual([a0, b0, b1, c0]);
    expect(p.selectForBlock(v, FLOOR, 151_999n, BIG)).toEqual([a0, b0, b1]);
    // b1 does not fit after b0; neither does c0.
    expect(p.selectForBlock(v, FLOOR, 130_999n, BIG)).toEqual([a0, b0]);
  });

  it('never exceeds the byte budget, in the same way', () => {
    const v = richView(A, B);
    const a0 = fakeTx({ sender: A, nonce: 0n, size: 500, tip: 5n * GWEI, fee: 9n * GWEI });
    const b0 = fakeTx({ sender: B, nonce: 0n, size: 400, tip: 4n * GWEI, fee: 9n * GWEI });
    const b1 = fakeTx({ sender: B, nonce: 1n, size: 100, tip: 4n * GWEI, fee: 9n * GWEI });
    const p = filled(v, [a0, b0, b1]);
    expect(p.selectForBlock(v, FLOOR, BLOCK_GAS, 1000)).toEqual([a0, b0, b1]);
    expect(p.selectForBlock(v, FLOOR, BLOCK_GAS, 999)).toEqual([a0, b0]);
    expect(p.selectForBlock(v, FLOOR, BLOCK_GAS, 899)).toEqual([a0]);
    // a0 does not fit at all; b0 does, then b1 no longer.
    expect(p.selectForBlock(v, FLOOR, BLOCK_GAS, 499)).toEqual([b0]);
    expect(p.selectForBlock(v, FLOOR, BLOCK_GAS, 399)).toEqual([]);
  });

  it('does not change the pool', () => {
    const v = richView(A, B);
    const p = filled(v, [fakeTx({ sender: A }), fakeTx({ sender: B })]);
    const before = p.all();
    const bytes = p.bytes;
    p.selectForBlock(v, FLOOR, BLOCK_GAS, BIG);
    expect(p.all()).toEqual(before);
    expect(p.bytes).toBe(bytes);
  });
});
