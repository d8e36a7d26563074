/**
 * Replacing a queued transaction (same sender and nonce): both the fee cap and the tip must rise
 * by at least priceBumpPercent (10%), rounded up, and strictly.
 */
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { SENDER } from '../execution/helpers.js';
import { Accounts, ETM, expectTxError, fakeTx, FLOOR, GWEI, pool, signed } from './helpers.js';

const view = (): Accounts => new Accounts().set(SENDER, { balance: 100n * ETM });
const RE = /^replacement transaction underpriced: needs a 10% higher fee/;

describe('replacement', () => {
  it('exactly +10% on both fee cap and tip replaces, returning the old transaction', () => {
    const p = pool();
    const old = signed(2, { maxFeePerGas: 10n * GWEI, maxPriorityFeePerGas: 2n * GWEI });
    p.add(old, view(), FLOOR);
    const next = signed(2, { maxFeePerGas: 11n * GWEI, maxPriorityFeePerGas: 2_200_000_000n });
    expect(p.add(next, view(), FLOOR)).toEqual({ replaced: old, evicted: [] });
    expect(p.has(old.hash)).toBe(false);
    expect(p.get(next.hash)).toBe(next);
    expect(p.size).toBe(1);
    expect(p.bytes).toBe(next.raw.length);
    expect(p.all()).toEqual([next]);
  });

  it('one unit short of +10% on the fee cap is refused', () => {
    const p = pool();
    const old = signed(2, { maxFeePerGas: 10n * GWEI, maxPriorityFeePerGas: 2n * GWEI });
    p.add(old, view(), FLOOR);
    const e = expectTxError(
      () =>
        p.add(
          signed(2, { maxFeePerGas: 11n * GWEI - 1n, maxPriorityFeePerGas: 4n * GWEI }),
          view(),
          FLOOR,
        ),
      'replacement-underpriced',
      RE,
    );
    expect(e.message).toContain('maxFeePerGas ≥ 11000000000, maxPriorityFeePerGas ≥ 2200000000');
    expect(p.all()).toEqual([old]);
  });

  it('one unit short of +10% on the tip is refused, whatever the fee cap', () => {
    const p = pool();
    const old = signed(2, { maxFeePerGas: 10n * GWEI, maxPriorityFeePerGas: 2n * GWEI });
    p.add(old, view(), FLOOR);
    expectTxError(
      () =>
        p.add(
          signed(2, { maxFeePerGas: 100n * GWEI, maxPriorityFeePerGas: 2_200_000_000n - 1n }),
          view(),
          FLOOR,
        ),
      'replacement-underpriced',
      RE,
    );
    expect(p.all()).toEqual([old]);
  });

  it('the same fees with other contents are refused', () => {
    const p = pool();
    p.add(signed(2, { value: 1n }), view(), FLOOR);
    expectTxError(
      () => p.add(signed(2, { value: 2n }), view(), FLOOR),
      'replacement-underpriced',
      RE,
    );
    expect(p.size).toBe(1);
  });

  it('a lower fee is refused', () => {
    const p = pool();
    p.add(signed(2, { maxFeePerGas: 10n * GWEI, maxPriorityFeePerGas: 2n * GWEI }), view(), FLOOR);
    expectTxError(
      () =>
        p.add(signed(2, { maxFeePerGas: 5n * GWEI, maxPriorityFeePerGas: GWEI }), view(), FLOOR),
      'replacement-underpriced',
      RE,
    );
  });

  it('the threshold rounds up: 10% of 15 wei is 1.5, so 17 is needed', () => {
    const p = pool({ priceBumpPercent: 10n });
    const base = { sender: SENDER, nonce: 0n };
    // Floor 1 gwei: use fee caps above it and tiny tips to see the rounding on the tip.
    p.add(fakeTx({ ...base, fee: 2n * GWEI, tip: 15n }), view(), FLOOR);
    expectTxError(
      () => p.add(fakeTx({ ...base, fee: 3n * GWEI, tip: 16n }), view(), FLOOR),
      'replacement-underpriced',
      /maxPriorityFeePerGas ≥ 17\)$/,
    );
    expect(p.add(fakeTx({ ...base, fee: 3n * GWEI, tip: 17n }), view(), FLOOR).replaced).not.toBe(
      null,
    );
  });

  it('a zero tip must rise to at least 1, and a 0% bump still needs a strict rise', () => {
    const p = pool();
    const base = { sender: SENDER, nonce: 0n };
    p.add(fakeTx({ ...base, fee: 2n * GWEI, tip: 0n }), view(), FLOOR);
    expectTxError(
      () => p.add(fakeTx({ ...base, fee: 3n * GWEI, tip: 0n }), view(), FLOOR),
      'replacement-underpriced',
      /maxPriorityFeePerGas ≥ 1\)$/,
    );
    p.add(fakeTx({ ...base, fee: 3n * GWEI, tip: 1n }), view(), FLOOR);

    const lax = pool({ priceBumpPercent: 0n });
    lax.add(fakeTx({ ...base, fee: 2n * GWEI, tip: 5n }), view(), FLOOR);
    expectTxError(
      () => lax.add(fakeTx({ ...base, fee: 2n * GWEI + 1n, tip: 5n }), view(), FLOOR),
      'replacement-underpriced',
      /^replacement transaction underpriced: needs a 0% higher fee \(maxFeePerGas ≥ 2000000001, maxPriorityFeePerGas ≥ 6\)$/,
    );
    lax.add(fakeTx({ ...base, fee: 2n * GWEI + 1n, tip: 6n }), view(), FLOOR);
    expect(lax.size).toBe(1);
  });

  it('legacy replaces legacy and 1559 alike: the gas price is both cap and tip', () => {
    const p = pool();
    const old = signed(0, { gasPrice: 10n * GWEI });
    p.add(old, view(), FLOOR);
    expectTxError(
      () => p.add(signed(0, { gasPrice: 11n * GWEI - 1n }), view(), FLOOR),
      'replacement-underpriced',
      RE,
    );
    const by1559 = signed(2, { maxFeePerGas: 11n * GWEI, maxPriorityFeePerGas: 11n * GWEI });
    expect(p.add(by1559, view(), FLOOR).replaced).toBe(old);
    expect(p.all()).toEqual([by1559]);
  });

  it('replacing does not count against the per-sender limit', () => {
    const p = pool({ maxPerSender: 2 });
    p.add(fakeTx({ sender: SENDER, nonce: 0n }), view(), FLOOR);
    p.add(fakeTx({ sender: SENDER, nonce: 1n }), view(), FLOOR);
    const r = p.add(
      fakeTx({ sender: SENDER, nonce: 1n, fee: 4n * GWEI, tip: 2n * GWEI }),
      view(),
      FLOOR,
    );
    expect(r.replaced?.nonce).toBe(1n);
    expect(p.size).toBe(2);
  });

  it('a replacement is paid for in place of the old one, and later nonces must stay payable', () => {
    const cost = 1n + 21_000n * 3n * GWEI;
    const newCost = 1n + 21_000n * 3_300_000_000n;
    const v = new Accounts().set(SENDER, { balance: newCost + cost - 1n });
    const p = pool();
    p.add(fakeTx({ sender: SENDER, nonce: 0n }), v, FLOOR);
    const n1 = fakeTx({ sender: SENDER, nonce: 1n });
    p.add(n1, v, FLOOR);
    const bump = { sender: SENDER, nonce: 0n, fee: 3_300_000_000n, tip: 1_100_000_000n };
    // Nonce 1 still has to be paid after the dearer nonce 0.
    expectTxError(
      () => p.add(fakeTx(bump), v, FLOOR),
      'insufficient-funds',
      new RegExp(`spendable ${newCost + cost - 1n}, cost ${newCost + cost} `),
    );
    expect(p.size).toBe(2);
    // Enough for the new nonce 0 and nonce 1; the old nonce 0 is not counted as well.
    v.set(SENDER, { balance: newCost + cost });
    const r = p.add(fakeTx(bump), v, FLOOR);
    expect(r.replaced?.nonce).toBe(0n);
    expect(p.size).toBe(2);
    expect(p.has(n1.hash)).toBe(true);
    expect(p.pendingNonce(SENDER, v)).toBe(2n);
  });

  it('property: a replacement is admitted iff both fields reach ceil(old × 1.1) and rise', () => {
    fc.assert(
      fc.property(
        fc.bigInt({ min: FLOOR, max: 4n * GWEI }),
        fc.bigInt({ min: 0n, max: 1000n }),
        fc.bigInt({ min: FLOOR, max: 5n * GWEI }),
        fc.bigInt({ min: 0n, max: 1200n }),
        (fee, tip, fee2, tip2) => {
          const p = pool();
          p.add(fakeTx({ sender: SENDER, fee, tip }), view(), FLOOR);
          const ceil = (x: bigint): bigint => {
            const up = (x * 110n + 99n) / 100n;
            return up > x ? up : x + 1n;
          };
          const ok = fee2 >= ceil(fee) && tip2 >= ceil(tip) && tip2 <= fee2;
          let got: string;
          try {
            p.add(fakeTx({ sender: SENDER, fee: fee2, tip: tip2 }), view(), FLOOR);
            got = 'ok';
          } catch (e) {
            got = (e as { code: string }).code;
          }
          if (tip2 > fee2) expect(got).toBe('tip-above-fee-cap');
          else expect(got).toBe(ok ? 'ok' : 'replacement-underpriced');
          // Both rules at once: 10% more, and at least one unit more.
          if (got === 'ok') {
            expect(fee2 * 100n >= fee * 110n && fee2 > fee).toBe(true);
            expect(tip2 * 100n >= tip * 110n && tip2 > tip).toBe(true);
          }
          expect(p.size).toBe(1);
        },
      ),
      { numRuns: 300 },
    );
  });
});
