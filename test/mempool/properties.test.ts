/**
 * Properties of the mempool under random sequences of adds, removals, new heads and block
 * selections, with small limits so that every bound is hit often. After every step the pool is
 * checked against its invariants; every add's outcome against the rule it names; every selection
 * against a plain reference (linear scans, no heap).
 */
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { compareBytes, equalBytes, toHex } from '../../src/crypto/bytes.js';
import { DEFAULT_PARAMS } from '../../src/params/registry.js';
import { TxError } from '../../src/execution/errors.js';
import { effectiveGasPrice } from '../../src/execution/fees.js';
import { applyTransaction, type BlockEnv } from '../../src/execution/transition.js';
import type { SignedTx } from '../../src/execution/tx.js';
import type { Mempool, MempoolLimits } from '../../src/mempool/mempool.js';
import { emptyAccount } from '../../src/state/account.js';
import { StateDB } from '../../src/state/state-db.js';
import { EMPTY_TRIE_ROOT, MemoryNodeStore } from '../../src/state/trie.js';
import { CHAIN_ID } from '../execution/helpers.js';
import { Accounts, addr, fakeTx, FLOOR, GWEI, pool } from './helpers.js';

const SENDERS = [1, 2, 3, 4].map(addr);
const LIMITS: MempoolLimits = {
  maxCount: 8,
  maxBytes: 1200,
  maxPerSender: 4,
  maxNonceGap: 4,
  priceBumpPercent: 10n,
  maxGappedPerSender: 2,
  maxGapped: 3,
  gappedLifetimeBlocks: 3,
};
const TX_GAS = 21_000n;

const maxCost = (t: SignedTx): bigint => t.value + t.gasLimit * t.maxFeePerGas;
const tipAt = (t: SignedTx, base: bigint): bigint => effectiveGasPrice(t, base) - base;
/** Cheaper under the pool's eviction order: lower tip, then lower hash. */
const cheaper = (a: SignedTx, b: SignedTx, base: bigint): boolean =>
  tipAt(a, base) !== tipAt(b, base)
    ? tipAt(a, base) < tipAt(b, base)
    : compareBytes(a.hash, b.hash) < 0;
const ceilBump = (x: bigint): bigint => {
  const up = (x * 110n + 99n) / 100n;
  return up > x ? up : x + 1n;
};

type AddOp = {
  t: 'add';
  s: number;
  /** Nonce relative to the state nonce; −1 is too low, above maxNonceGap too high. */
  dn: number;
  fee: bigint;
  tip: bigint;
  gas: bigint;
  value: bigint;
  size: number;
  base: bigint;
};
type Op =
  | AddOp
  | { t: 'remove'; pick: number }
  | { t: 'head'; dn: number[]; balance: (bigint | null)[] }
  | { t: 'select'; base: bigint; gas: bigint; bytes: number };

const feeArb = fc.oneof(
  fc.constantFrom(FLOOR, 2n * GWEI, 3n * GWEI, 3_300_000_000n, 4n * GWEI),
  fc.bigInt({ min: FLOOR - 2n, max: 5n * GWEI }),
);
const baseArb = fc.constantFrom(FLOOR, 2n * GWEI, 3n * GWEI);
const addArb: fc.Arbitrary<AddOp> = fc
  .record({
    s: fc.nat(SENDERS.length - 1),
    dn: fc.oneof(
      { weight: 3, arbitrary: fc.integer({ min: 0, max: 1 }) },
      { weight: 1, arbitrary: fc.integer({ min: -1, max: LIMITS.maxNonceGap + 1 }) },
    ),
    fee: feeArb,
    tipShare: fc.integer({ min: 0, max: 11 }),
    gas: fc.oneof(
      { weight: 8, arbitrary: fc.constantFrom(21_000n, 30_000n, 60_000n) },
      { weight: 1, arbitrary: fc.constantFrom(20_999n, 200_001n) },
    ),
    value: fc.bigInt({ min: 0n, max: 10n ** 14n }),
    size: fc.integer({ min: 60, max: 500 }),
    base: baseArb,
  })
  // tipShare 11 makes tip > fee cap once in a while.
  .map(({ tipShare, ...r }) => ({
    t: 'add' as const,
    ...r,
    tip: (r.fee * BigInt(tipShare)) / 10n,
  }));
const opArb: fc.Arbitrary<Op> = fc.oneof(
  { weight: 8, arbitrary: addArb },
  { weight: 1, arbitrary: fc.record({ t: fc.constant('remove' as const), pick: fc.nat(20) }) },
  {
    weight: 1,
    arbitrary: fc.record({
      t: fc.constant('head' as const),
      dn: fc.array(fc.nat(2), { minLength: 4, maxLength: 4 }),
      balance: fc.array(fc.option(fc.bigInt({ min: 0n, max: 10n ** 15n })), {
        minLength: 4,
        maxLength: 4,
      }),
    }),
  },
  {
    weight: 2,
    arbitrary: fc.record({
      t: fc.constant('select' as const),
      base: baseArb,
      gas: fc.oneof(
        fc.constantFrom(20_999n, 21_000n, 81_000n, 250_000n),
        fc.bigInt({ min: 0n, max: 250_000n }),
      ),
      bytes: fc.oneof(fc.constantFrom(0, 500, 1500), fc.integer({ min: 0, max: 1500 })),
    }),
  },
);
const balancesArb = fc.array(fc.bigInt({ min: 0n, max: 10n ** 16n }), {
  minLength: 4,
  maxLength: 4,
});

/** Whether `t` waits for an earlier nonce: some nonce from the state nonce up to it is missing. */
function isGapped(t: SignedTx, all: readonly SignedTx[], view: Accounts): boolean {
  for (let n = view.nonce(t.sender); n < t.nonce; n++)
    if (!all.some((o) => equalBytes(o.sender, t.sender) && o.nonce === n)) return true;
  return false;
}

function groups(txs: readonly SignedTx[]): Map<string, SignedTx[]> {
  const m = new Map<string, SignedTx[]>();
  for (const t of txs) m.set(toHex(t.sender), [...(m.get(toHex(t.sender)) ?? []), t]);
  return m;
}

/** Everything that must hold of the pool between operations. */
function checkInvariants(p: Mempool, view: Accounts): void {
  const all = p.all();
  expect(p.size).toBe(all.length);
  expect(new Set(all.map((t) => toHex(t.hash))).size).toBe(all.length);
  expect(p.bytes).toBe(all.reduce((n, t) => n + t.raw.length, 0));
  expect(p.size).toBeLessThanOrEqual(LIMITS.maxCount);
  expect(p.bytes).toBeLessThanOrEqual(LIMITS.maxBytes);
  for (const t of all) {
    expect(p.has(t.hash)).toBe(true);
    expect(p.get(t.hash)).toBe(t);
    expect(p.isGapped(t.hash)).toBe(isGapped(t, all, view));
  }
  // Gapped transactions: their own bounds, per sender and in total.
  const gapped = all.filter((t) => isGapped(t, all, view));
  expect(p.gapped).toBe(gapped.length);
  expect(gapped.length).toBeLessThanOrEqual(LIMITS.maxGapped);
  for (const txs of groups(gapped).values())
    expect(txs.length).toBeLessThanOrEqual(LIMITS.maxGappedPerSender);
  // all(): by sender address, then strictly increasing nonce.
  for (let i = 1; i < all.length; i++) {
    const c = compareBytes(all[i - 1]!.sender, all[i]!.sender);
    expect(c < 0 || (c === 0 && all[i - 1]!.nonce < all[i]!.nonce)).toBe(true);
  }
  for (const txs of groups(all).values()) {
    const sender = txs[0]!.sender;
    const nonce = view.nonce(sender);
    expect(txs.length).toBeLessThanOrEqual(LIMITS.maxPerSender);
    let cost = 0n;
    for (const t of txs) {
      expect(t.nonce >= nonce && t.nonce <= nonce + BigInt(LIMITS.maxNonceGap)).toBe(true);
      expect(t.maxFeePerGas >= FLOOR && t.maxPriorityFeePerGas <= t.maxFeePerGas).toBe(true);
      cost += maxCost(t);
    }
    // Every held transaction stays payable, all of a sender's together.
    expect(cost).toBeLessThanOrEqual(view.spendable(sender));
    // pendingNonce: the contiguous run from the state nonce.
    let next = nonce;
    while (txs.some((t) => t.nonce === next)) next++;
    expect(p.pendingNonce(sender, view)).toBe(next);
  }
}

/** The selection rule written plainly: executable chains, then greedy by tip with linear scans. */
function referenceSelect(
  all: readonly SignedTx[],
  view: Accounts,
  base: bigint,
  gasLimit: bigint,
  maxBytes: number,
): SignedTx[] {
  const chains: SignedTx[][] = [];
  for (const txs of groups(all).values()) {
    let nonce = view.nonce(txs[0]!.sender);
    let budget = view.spendable(txs[0]!.sender);
    const chain: SignedTx[] = [];
    for (const t of txs) {
      if (t.nonce < nonce) continue;
      if (t.nonce !== nonce || t.maxFeePerGas < base || maxCost(t) > budget) break;
      budget -= maxCost(t);
      chain.push(t);
      nonce++;
    }
    if (chain.length > 0) chains.push(chain);
  }
  const out: SignedTx[] = [];
  let gas = 0n;
  let bytes = 0;
  while (chains.length > 0 && gasLimit - gas >= TX_GAS) {
    let best = 0;
    for (let i = 1; i < chains.length; i++) {
      const a = chains[i]![0]!;
      const b = chains[best]![0]!;
      const ta = tipAt(a, base);
      const tb = tipAt(b, base);
      if (ta > tb || (ta === tb && compareBytes(a.hash, b.hash) < 0)) best = i;
    }
    const t = chains[best]!.shift()!;
    if (gas + t.gasLimit > gasLimit || bytes + t.raw.length > maxBytes) {
      chains.splice(best, 1);
      continue;
    }
    out.push(t);
    gas += t.gasLimit;
    bytes += t.raw.length;
    if (chains[best]!.length === 0) chains.splice(best, 1);
  }
  return out;
}

/** Checks one add against the rules, given the pool before and after. */
function checkAdd(
  p: Mempool,
  view: Accounts,
  op: AddOp,
  tx: SignedTx,
  before: SignedTx[],
  beforeBytes: number,
  outcome: { replaced: SignedTx | null; evicted: SignedTx[] } | TxError,
): void {
  const state = view.nonce(tx.sender);
  const own = before.filter((t) => equalBytes(t.sender, tx.sender));
  const old = own.find((t) => t.nonce === tx.nonce) ?? null;
  const queued = own
    .filter((t) => t !== old && t.nonce >= state)
    .reduce((n, t) => n + maxCost(t), 0n);
  const gapped = isGapped(tx, before, view);
  const gappedBefore = before.filter((t) => isGapped(t, before, view));
  const ownGapped = gappedBefore.filter((t) => equalBytes(t.sender, tx.sender));
  if (outcome instanceof TxError) {
    // Nothing changes on a refusal.
    expect(p.all()).toEqual(before);
    expect(p.bytes).toBe(beforeBytes);
    const why: Record<string, boolean> = {
      'intrinsic-gas-too-low': tx.gasLimit < TX_GAS,
      'gas-limit-too-high': tx.gasLimit > 200_000n,
      'tip-above-fee-cap': tx.maxPriorityFeePerGas > tx.maxFeePerGas,
      underpriced: tx.maxFeePerGas < FLOOR,
      'nonce-too-low': tx.nonce < state,
      'nonce-too-high': tx.nonce > state + BigInt(LIMITS.maxNonceGap),
      'insufficient-funds': queued + maxCost(tx) > view.spendable(tx.sender),
      'replacement-underpriced':
        old !== null &&
        (tx.maxFeePerGas < ceilBump(old.maxFeePerGas) ||
          tx.maxPriorityFeePerGas < ceilBump(old.maxPriorityFeePerGas)),
      'sender-limit':
        old === null &&
        (own.length >= LIMITS.maxPerSender ||
          (gapped && ownGapped.length >= LIMITS.maxGappedPerSender)),
      'pool-full':
        before.length + (old ? 0 : 1) > LIMITS.maxCount ||
        beforeBytes + tx.raw.length - (old?.raw.length ?? 0) > LIMITS.maxBytes ||
        (gapped && old === null && gappedBefore.length + 1 > LIMITS.maxGapped),
    };
    expect(why[outcome.code], `${outcome.code}: ${outcome.message}`).toBe(true);
    return;
  }
  // Admitted: every rule was met.
  expect(tx.gasLimit >= TX_GAS && tx.gasLimit <= 200_000n).toBe(true);
  expect(tx.maxPriorityFeePerGas <= tx.maxFeePerGas && tx.maxFeePerGas >= FLOOR).toBe(true);
  expect(tx.nonce >= state && tx.nonce <= state + BigInt(LIMITS.maxNonceGap)).toBe(true);
  expect(queued + maxCost(tx)).toBeLessThanOrEqual(view.spendable(tx.sender));
  expect(p.get(tx.hash)).toBe(tx);
  expect(outcome.replaced).toBe(old);
  if (old) {
    expect(tx.maxFeePerGas * 100n >= old.maxFeePerGas * 110n).toBe(true);
    expect(tx.maxPriorityFeePerGas * 100n >= old.maxPriorityFeePerGas * 110n).toBe(true);
    expect(tx.maxFeePerGas > old.maxFeePerGas).toBe(true);
    expect(tx.maxPriorityFeePerGas > old.maxPriorityFeePerGas).toBe(true);
    expect(p.has(old.hash)).toBe(false);
  } else {
    expect(own.length).toBeLessThan(LIMITS.maxPerSender);
    if (gapped) expect(ownGapped.length).toBeLessThan(LIMITS.maxGappedPerSender);
  }
  const tip = tipAt(tx, op.base);
  const ev = outcome.evicted;
  const wasGapped = (v: SignedTx) => gappedBefore.includes(v);
  for (const v of ev) {
    expect(p.has(v.hash)).toBe(false);
    expect(equalBytes(v.sender, tx.sender)).toBe(false);
    // A gapped newcomer never displaces an executable transaction; an executable newcomer
    // displaces any gapped one; otherwise only a strictly lower tip goes.
    if (gapped) expect(wasGapped(v)).toBe(true);
    if (gapped || !wasGapped(v)) expect(tipAt(v, op.base)).toBeLessThan(tip);
    // Only from the top: nothing of that sender above an evicted nonce stays.
    expect(p.all().some((t) => equalBytes(t.sender, v.sender) && t.nonce > v.nonce)).toBe(false);
  }
  if (ev.length > 0) {
    // Just enough: without the last victim the pool would not have fit.
    const lastOut = ev[ev.length - 1]!;
    const gappedAfter = p.all().filter((t) => isGapped(t, p.all(), view)).length;
    expect(
      p.size + 1 > LIMITS.maxCount ||
        p.bytes + lastOut.raw.length > LIMITS.maxBytes ||
        (gapped && wasGapped(lastOut) && gappedAfter + 1 > LIMITS.maxGapped),
    ).toBe(true);
    // Gapped before executable, then cheapest first: the tail of a sender left untouched was
    // never ahead of a victim in that order.
    const ahead = (a: SignedTx, b: SignedTx) =>
      wasGapped(a) !== wasGapped(b) ? wasGapped(a) : cheaper(a, b, op.base);
    for (const txs of groups(p.all()).values()) {
      const tail = txs[txs.length - 1]!;
      if (equalBytes(tail.sender, tx.sender)) continue;
      if (ev.some((v) => equalBytes(v.sender, tail.sender))) continue;
      for (const v of ev) expect(ahead(tail, v)).toBe(false);
    }
  }
  // Exactly: before − replaced − evicted + new.
  const gone = new Set([...(old ? [old] : []), ...ev].map((t) => toHex(t.hash)));
  const want = before.filter((t) => !gone.has(toHex(t.hash)));
  expect(new Set(p.all().map((t) => toHex(t.hash)))).toEqual(
    new Set([...want, tx].map((t) => toHex(t.hash))),
  );
}

describe('mempool properties', () => {
  it('random operations keep every invariant, and each outcome follows the rules', () => {
    fc.assert(
      fc.property(
        balancesArb,
        fc.array(opArb, { minLength: 20, maxLength: 80 }),
        (balances, ops) => {
          const p = pool(LIMITS, 200_000n);
          const view = new Accounts();
          SENDERS.forEach((s, i) => view.set(s, { balance: balances[i]! }));
          const seen: SignedTx[] = [];
          for (const op of ops) {
            if (op.t === 'add') {
              const sender = SENDERS[op.s]!;
              const nonce = view.nonce(sender) + BigInt(op.dn);
              if (nonce < 0n) continue;
              const tx = fakeTx({
                sender,
                nonce,
                fee: op.fee,
                tip: op.tip,
                gasLimit: op.gas,
                value: op.value,
                size: op.size,
              });
              seen.push(tx);
              const before = p.all();
              const bytes = p.bytes;
              let outcome;
              try {
                outcome = p.add(tx, view, op.base);
              } catch (e) {
                if (!(e instanceof TxError)) throw e;
                outcome = e;
              }
              checkAdd(p, view, op, tx, before, bytes, outcome);
              // The same transaction again is always 'already-known' once held.
              if (!(outcome instanceof TxError)) {
                expect(() => p.add(tx, view, op.base)).toThrow(/^already known/);
              }
            } else if (op.t === 'remove') {
              const all = p.all();
              const target = seen.length > 0 ? seen[op.pick % seen.length]! : fakeTx();
              const held = p.has(target.hash);
              expect(p.remove(target.hash)).toBe(held);
              expect(p.has(target.hash)).toBe(false);
              // Whatever else goes is gapped once the target is gone (beyond the gapped limits).
              const rest = all.filter((t) => t !== target);
              const after = p.all();
              expect(after.every((t) => rest.includes(t))).toBe(true);
              for (const t of rest)
                if (!after.includes(t)) expect(isGapped(t, rest, view)).toBe(true);
            } else if (op.t === 'head') {
              const before = p.all();
              SENDERS.forEach((s, i) => {
                const b = op.balance[i];
                view.set(s, {
                  nonce: view.nonce(s) + BigInt(op.dn[i]!),
                  ...(b === null ? {} : { balance: b }),
                });
              });
              p.onNewHead(view, FLOOR);
              const after = p.all();
              // Only removals; and what goes is what is used or no longer payable, or gapped
              // (expired, or beyond the gapped limits).
              expect(after.every((t) => before.includes(t))).toBe(true);
              const kept: SignedTx[] = [];
              for (const txs of groups(before).values()) {
                const sender = txs[0]!.sender;
                let cost = 0n;
                let broke = false;
                for (const t of txs) {
                  if (t.nonce < view.nonce(sender)) {
                    expect(after.includes(t)).toBe(false);
                    continue;
                  }
                  cost += maxCost(t);
                  broke ||= cost > view.spendable(sender);
                  if (broke) expect(after.includes(t)).toBe(false);
                  else kept.push(t);
                }
              }
              for (const t of kept)
                if (!after.includes(t)) expect(isGapped(t, kept, view)).toBe(true);
            } else {
              const got = p.selectForBlock(view, op.base, op.gas, op.bytes);
              expect(got).toEqual(referenceSelect(p.all(), view, op.base, op.gas, op.bytes));
              let gas = 0n;
              let bytes = 0;
              const next = new Map<string, bigint>();
              for (const t of got) {
                gas += t.gasLimit;
                bytes += t.raw.length;
                expect(t.maxFeePerGas >= op.base).toBe(true);
                // Per sender: the state nonce, then one more each time, never a gap.
                const k = toHex(t.sender);
                expect(t.nonce).toBe(next.get(k) ?? view.nonce(t.sender));
                next.set(k, t.nonce + 1n);
              }
              expect(gas).toBeLessThanOrEqual(op.gas);
              expect(bytes).toBeLessThanOrEqual(op.bytes);
            }
            checkInvariants(p, view);
          }
        },
      ),
      { numRuns: 400 },
    );
  });

  it('the pool and its block selection depend on the transactions, not the order they came in', () => {
    const txsArb = fc
      .array(
        fc.record({
          s: fc.nat(SENDERS.length - 1),
          fee: fc.bigInt({ min: FLOOR, max: 5n * GWEI }),
          tipShare: fc.integer({ min: 0, max: 10 }),
          gas: fc.bigInt({ min: 21_000n, max: 90_000n }),
          size: fc.integer({ min: 60, max: 300 }),
        }),
        { maxLength: 16 },
      )
      .map((rs) => {
        const nonces = [0n, 0n, 0n, 0n];
        return rs.map((r) =>
          fakeTx({
            sender: SENDERS[r.s]!,
            nonce: nonces[r.s]!++,
            fee: r.fee,
            tip: (r.fee * BigInt(r.tipShare)) / 10n,
            gasLimit: r.gas,
            size: r.size,
          }),
        );
      });
    fc.assert(
      fc.property(
        txsArb.chain((txs) =>
          fc.tuple(fc.constant(txs), fc.shuffledSubarray(txs, { minLength: txs.length })),
        ),
        baseArb,
        fc.bigInt({ min: 21_000n, max: 600_000n }),
        ([txs, shuffled], base, gas) => {
          const view = new Accounts();
          for (const s of SENDERS) view.set(s, { balance: 10n ** 18n });
          const p1 = pool({ maxPerSender: 16, maxNonceGap: 16 });
          const p2 = pool({ maxPerSender: 16, maxNonceGap: 16 });
          for (const t of txs) p1.add(t, view, FLOOR);
          for (const t of shuffled) p2.add(t, view, FLOOR);
          expect(p2.all()).toEqual(p1.all());
          expect(p2.selectForBlock(view, base, gas, 2000)).toEqual(
            p1.selectForBlock(view, base, gas, 2000),
          );
        },
      ),
      { numRuns: 200 },
    );
  });

  it('every selected transaction executes, in order, against the state the pool was shown', () => {
    fc.assert(
      fc.property(
        balancesArb,
        fc.array(addArb, { minLength: 5, maxLength: 30 }),
        baseArb,
        fc.bigInt({ min: 21_000n, max: 400_000n }),
        (balances, adds, base, gasLimit) => {
          const state = new StateDB(EMPTY_TRIE_ROOT, new MemoryNodeStore());
          SENDERS.forEach((s, i) =>
            state.putAccount(s, { ...emptyAccount(), balance: balances[i]!, locked: 10n ** 20n }),
          );
          // The node's view: nonce and balance; locked funds never count.
          const view = {
            nonce: (a: Uint8Array) => state.getAccount(a).nonce,
            spendable: (a: Uint8Array) => state.getAccount(a).balance,
          };
          const p = pool({ ...LIMITS, maxCount: 32, maxBytes: 10_000 }, 200_000n);
          for (const op of adds) {
            const sender = SENDERS[op.s]!;
            const nonce = view.nonce(sender) + BigInt(op.dn);
            if (nonce < 0n) continue;
            try {
              p.add(
                fakeTx({
                  sender,
                  nonce,
                  fee: op.fee,
                  tip: op.tip,
                  gasLimit: op.gas,
                  value: op.value,
                  size: op.size,
                }),
                view,
                op.base,
              );
            } catch (e) {
              if (!(e instanceof TxError)) throw e;
            }
          }
          const env: BlockEnv = {
            chainId: CHAIN_ID,
            number: 1n,
            round: 0n,
            timestamp: 1n,
            coinbase: addr(99),
            baseFeePerGas: base,
            gasLimit,
            params: DEFAULT_PARAMS,
            validators: [],
            randaoReveal: new Uint8Array(0),
            mixHash: new Uint8Array(32),
          };
          let used = 0n;
          for (const tx of p.selectForBlock(view, base, gasLimit, 1 << 20)) {
            const r = applyTransaction(state, env, tx, used);
            expect(r.status).toBe(1);
            used = r.cumulativeGasUsed;
          }
          expect(used).toBeLessThanOrEqual(gasLimit);
          // Afterwards the pool's sweep leaves nothing that was just included.
          p.onNewHead(view, base);
          for (const t of p.all()) expect(t.nonce >= view.nonce(t.sender)).toBe(true);
        },
      ),
      { numRuns: 200 },
    );
  });
});
