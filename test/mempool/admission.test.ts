/** Mempool.add: every admission rule, its error code and the geth-like message users see. */
import { describe, expect, it } from 'vitest';
import { toHex } from '../../src/crypto/bytes.js';
import { MemoryNodeStore, EMPTY_TRIE_ROOT } from '../../src/state/trie.js';
import { StateDB } from '../../src/state/state-db.js';
import { emptyAccount } from '../../src/state/account.js';
import { Node } from '../../src/node/node.js';
import { DEFAULT_MEMPOOL_LIMITS, Mempool } from '../../src/mempool/mempool.js';
import { SENDER } from '../execution/helpers.js';
import {
  Accounts,
  addr,
  BLOCK_GAS,
  ETM,
  expectTxError,
  fakeTx,
  FLOOR,
  GWEI,
  pool,
  signed,
} from './helpers.js';

/** Cost of the default signed transaction: value 1 + 21000 gas at a 3 gwei fee cap. */
const COST = 1n + 21_000n * 3n * GWEI;
const rich = (): Accounts => new Accounts().set(SENDER, { balance: 100n * ETM });

describe('accepting transactions', () => {
  it('admits legacy (EIP-155), EIP-2930 and EIP-1559 transactions and accounts for their bytes', () => {
    const p = pool();
    const view = rich();
    const txs = [signed(0, { nonce: 0n }), signed(1, { nonce: 1n }), signed(2, { nonce: 2n })];
    for (const tx of txs) {
      expect(p.add(tx, view, FLOOR)).toEqual({ replaced: null, evicted: [] });
    }
    expect(p.size).toBe(3);
    expect(p.bytes).toBe(txs.reduce((n, t) => n + t.raw.length, 0));
    for (const tx of txs) {
      expect(p.has(tx.hash)).toBe(true);
      expect(p.get(tx.hash)).toBe(tx);
    }
    expect(p.all()).toEqual(txs);
    expect(p.pendingNonce(SENDER, view)).toBe(3n);
  });

  it('has/get answer false/undefined for unknown hashes', () => {
    const p = pool();
    const tx = signed(2);
    expect(p.has(tx.hash)).toBe(false);
    expect(p.get(tx.hash)).toBeUndefined();
  });

  it('uses the documented default limits', () => {
    expect(DEFAULT_MEMPOOL_LIMITS).toEqual({
      maxCount: 4096,
      maxBytes: 32 * 1024 * 1024,
      maxPerSender: 64,
      maxNonceGap: 64,
      priceBumpPercent: 10n,
      maxGappedPerSender: 16,
      maxGapped: 1024,
      gappedLifetimeBlocks: 600,
    });
    const p = new Mempool({ minBaseFee: FLOOR, blockGasLimit: BLOCK_GAS });
    expect(p.limits).toEqual(DEFAULT_MEMPOOL_LIMITS);
    expect(pool({ maxCount: 7 }).limits).toEqual({ ...DEFAULT_MEMPOOL_LIMITS, maxCount: 7 });
  });

  it('refuses nonsensical limits', () => {
    for (const bad of [
      { maxCount: 0 },
      { maxBytes: -1 },
      { maxPerSender: 1.5 },
      { maxGapped: 0 },
      { maxGappedPerSender: -1 },
      { gappedLifetimeBlocks: 0 },
    ]) {
      expect(() => pool(bad)).toThrow(RangeError);
    }
    expect(() => pool({ maxNonceGap: -1 })).toThrow(RangeError);
    expect(() => pool({ priceBumpPercent: -1n })).toThrow(RangeError);
    expect(pool({ maxNonceGap: 0, priceBumpPercent: 0n }).limits.maxNonceGap).toBe(0);
  });
});

describe('refusals', () => {
  it('already-known: the same transaction twice', () => {
    const p = pool();
    const tx = signed(2);
    p.add(tx, rich(), FLOOR);
    expectTxError(() => p.add(tx, rich(), FLOOR), 'already-known', /^already known/);
    // Another decoding of the same bytes is the same transaction.
    expectTxError(() => p.add(signed(2), rich(), FLOOR), 'already-known', /^already known/);
    expect(p.size).toBe(1);
  });

  it('a contract creation is admitted; its intrinsic gas counts the initcode words (EIP-3860)', () => {
    const p = pool();
    const data = new Uint8Array(33).fill(1); // 33 × 16 + 2 words × 2 = 532
    expectTxError(
      () => p.add(signed(2, { to: null, data, gasLimit: 53_531n }), rich(), FLOOR),
      'intrinsic-gas-too-low',
      /want 53532$/,
    );
    p.add(signed(2, { to: null, data, gasLimit: 53_532n }), rich(), FLOOR);
    expect(p.size).toBe(1);
  });

  it('intrinsic-gas-too-low: gas below 21000 + calldata + access list; exactly enough is fine', () => {
    const p = pool();
    const data = Uint8Array.of(0, 1, 2, 0); // 2 zero bytes × 4 + 2 non-zero × 16 = 40
    expectTxError(
      () => p.add(signed(2, { data, gasLimit: 21_039n }), rich(), FLOOR),
      'intrinsic-gas-too-low',
      /^intrinsic gas too low: have 21039, want 21040$/,
    );
    p.add(signed(2, { data, gasLimit: 21_040n }), rich(), FLOOR);
    const access = [[new Uint8Array(20).fill(0x33), [new Uint8Array(32)]]];
    // 21000 + 2400 + 1900
    expectTxError(
      () => p.add(signed(1, { nonce: 1n, gasLimit: 25_299n, accessList: access }), rich(), FLOOR),
      'intrinsic-gas-too-low',
      /want 25300$/,
    );
    p.add(signed(1, { nonce: 1n, gasLimit: 25_300n, accessList: access }), rich(), FLOOR);
    expect(p.size).toBe(2);
  });

  it('gas-limit-too-high: more gas than a block holds', () => {
    const p = pool({}, 1_000_000n);
    expectTxError(
      () => p.add(signed(2, { gasLimit: 1_000_001n }), rich(), FLOOR),
      'gas-limit-too-high',
      /^exceeds block gas limit: gas 1000001, block gas limit 1000000$/,
    );
    p.add(signed(2, { gasLimit: 1_000_000n }), rich(), FLOOR);
    expect(p.size).toBe(1);
  });

  it('tip-above-fee-cap: a tip larger than the fee cap', () => {
    // The decoder refuses such EIP-1559 bytes already; the pool checks the fields itself too.
    const p = pool();
    expectTxError(
      () => p.add(fakeTx({ sender: SENDER, fee: 2n * GWEI, tip: 2n * GWEI + 1n }), rich(), FLOOR),
      'tip-above-fee-cap',
      /^max priority fee per gas higher than max fee per gas/,
    );
    p.add(fakeTx({ sender: SENDER, fee: 2n * GWEI, tip: 2n * GWEI }), rich(), FLOOR);
    expect(p.size).toBe(1);
  });

  it('underpriced: a fee cap (or legacy gas price) below the base fee floor', () => {
    const p = pool();
    expectTxError(
      () => p.add(signed(2, { maxFeePerGas: FLOOR - 1n, maxPriorityFeePerGas: 0n }), rich(), FLOOR),
      'underpriced',
      /^transaction underpriced: maxFeePerGas 999999999 below minimum base fee 1000000000$/,
    );
    expectTxError(
      () => p.add(signed(0, { gasPrice: FLOOR - 1n }), rich(), FLOOR),
      'underpriced',
      /^transaction underpriced/,
    );
    // At the floor exactly it is admitted, even when the current base fee is higher (it waits).
    p.add(signed(2, { maxFeePerGas: FLOOR, maxPriorityFeePerGas: 0n }), rich(), 5n * FLOOR);
    expect(p.size).toBe(1);
  });

  it('nonce-too-low: a nonce the account has already used', () => {
    const p = pool();
    const view = rich().set(SENDER, { nonce: 5n });
    expectTxError(
      () => p.add(signed(2, { nonce: 4n }), view, FLOOR),
      'nonce-too-low',
      /^nonce too low: next nonce 5, tx nonce 4$/,
    );
    p.add(signed(2, { nonce: 5n }), view, FLOOR);
    expect(p.size).toBe(1);
  });

  it('nonce-too-high: more than maxNonceGap ahead of the state nonce', () => {
    const p = pool({ maxNonceGap: 3 });
    const view = rich().set(SENDER, { nonce: 10n });
    expectTxError(
      () => p.add(signed(2, { nonce: 14n }), view, FLOOR),
      'nonce-too-high',
      /^nonce too high: next nonce 10, tx nonce 14, at most 3 ahead$/,
    );
    p.add(signed(2, { nonce: 13n }), view, FLOOR);
    expect(p.size).toBe(1);
    expect(p.pendingNonce(SENDER, view)).toBe(10n); // 13 waits for 10, 11 and 12

    const strict = pool({ maxNonceGap: 0 });
    expectTxError(() => strict.add(signed(2, { nonce: 11n }), view, FLOOR), 'nonce-too-high', /./);
    strict.add(signed(2, { nonce: 10n }), view, FLOOR);
    expect(strict.size).toBe(1);
  });

  it('the default nonce gap is 64', () => {
    const p = pool();
    const view = rich();
    expectTxError(
      () => p.add(fakeTx({ sender: SENDER, nonce: 65n }), view, FLOOR),
      'nonce-too-high',
      /at most 64 ahead/,
    );
    p.add(fakeTx({ sender: SENDER, nonce: 64n }), view, FLOOR);
    expect(p.size).toBe(1);
  });
});

describe('insufficient funds: only the spendable balance counts', () => {
  it('value + gasLimit × maxFeePerGas must be covered; exactly enough is fine', () => {
    const p = pool();
    expectTxError(
      () => p.add(signed(2), new Accounts().set(SENDER, { balance: COST - 1n }), FLOOR),
      'insufficient-funds',
      new RegExp(
        `^insufficient funds for gas \\* price \\+ value: spendable ${COST - 1n}, cost ${COST} \\(locked funds are not spendable\\)$`,
      ),
    );
    p.add(signed(2), new Accounts().set(SENDER, { balance: COST }), FLOOR);
    expect(p.size).toBe(1);
  });

  it('the fee cap, not the base fee, is what must be affordable', () => {
    const p = pool();
    // At a base fee of 1 gwei the transfer would cost 21000 × 2 gwei; the cap is 3 gwei.
    const view = new Accounts().set(SENDER, { balance: 21_000n * 2n * GWEI + 1n });
    expectTxError(() => p.add(signed(2), view, FLOOR), 'insufficient-funds', /cost 63000000000001/);
  });

  it('locked funds do not count, however large', () => {
    const p = pool();
    const view = new Accounts().set(SENDER, { balance: COST - 1n, locked: 1_000_000n * ETM });
    expectTxError(() => p.add(signed(2), view, FLOOR), 'insufficient-funds', /locked funds/);
    expect(p.size).toBe(0);
  });

  it("the node's account view offers the balance, never the locked funds", () => {
    const state = new StateDB(EMPTY_TRIE_ROOT, new MemoryNodeStore());
    state.putAccount(SENDER, { ...emptyAccount(), nonce: 2n, balance: COST - 1n, locked: ETM });
    const view = Node.prototype.accountView.call(null as unknown as Node, state);
    expect(view.spendable(SENDER)).toBe(COST - 1n);
    expect(view.nonce(SENDER)).toBe(2n);
    const p = pool();
    expectTxError(() => p.add(signed(2, { nonce: 2n }), view, FLOOR), 'insufficient-funds', /./);
    state.putAccount(SENDER, { ...emptyAccount(), nonce: 2n, balance: COST, locked: 0n });
    p.add(signed(2, { nonce: 2n }), view, FLOOR);
    expect(p.size).toBe(1);
  });

  it('queued transactions of the sender count before a new one', () => {
    const p = pool();
    const view = new Accounts().set(SENDER, { balance: 2n * COST + 1n });
    p.add(signed(2, { nonce: 0n }), view, FLOOR);
    p.add(signed(2, { nonce: 1n }), view, FLOOR);
    expectTxError(
      () => p.add(signed(2, { nonce: 2n }), view, FLOOR),
      'insufficient-funds',
      new RegExp(`spendable ${2n * COST + 1n}, cost ${3n * COST}`),
    );
    expect(p.size).toBe(2);
  });

  it('transactions whose nonce the state has passed do not count', () => {
    const p = pool();
    const view = new Accounts().set(SENDER, { balance: COST });
    p.add(signed(2, { nonce: 0n }), view, FLOOR);
    // Block with nonce 0 applied, pool not yet told: nonce 0 is stale and costs nothing more.
    view.set(SENDER, { nonce: 1n, balance: COST });
    p.add(signed(2, { nonce: 1n }), view, FLOOR);
    expect(p.size).toBe(2);
  });

  it('a transaction that would make a later queued one unaffordable is refused', () => {
    // Nonce 1 waits for nonce 0; once nonce 0 arrives, both must still be payable.
    const p = pool();
    const view = new Accounts().set(SENDER, { balance: COST + COST / 2n });
    p.add(signed(2, { nonce: 1n }), view, FLOOR);
    expectTxError(
      () => p.add(signed(2, { nonce: 0n }), view, FLOOR),
      'insufficient-funds',
      new RegExp(`cost ${2n * COST}`),
    );
    expect(p.pendingNonce(SENDER, view)).toBe(0n);
    p.add(signed(2, { nonce: 0n, value: 0n, gasLimit: 21_000n, maxFeePerGas: GWEI }), view, FLOOR);
    expect(p.pendingNonce(SENDER, view)).toBe(2n);
  });

  it('other senders are independent', () => {
    const p = pool();
    const a = addr(1);
    const b = addr(2);
    const view = new Accounts().set(a, { balance: COST }).set(b, { balance: COST });
    p.add(fakeTx({ sender: a, value: 1n }), view, FLOOR);
    p.add(fakeTx({ sender: b, value: 1n }), view, FLOOR);
    expect(p.size).toBe(2);
    expect(toHex(p.all()[0]!.sender)).toBe(toHex(a));
  });
});
