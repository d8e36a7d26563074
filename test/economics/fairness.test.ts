/**
 * What the lazy bookkeeping must not let a holder gain (docs/economics.md "Staking rewards"):
 * splitting a lock, and choosing when to claim, change nothing beyond rounding; a lock earns for
 * every block whose end it was locked at, so one created and unlocked in one block earns nothing.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { toHex } from '../../src/crypto/bytes.js';
import { economicState } from '../../src/economics/block.js';
import { pendingRewards } from '../../src/economics/ledger.js';
import { isEpochEnd } from '../../src/staking/epochs.js';
import { ETM, makeWorld, TEST_PARAMS, ZERO, type World } from './world.js';

const pending = (w: World, id: bigint) => pendingRewards(w.state, w.store.locks.getLock(id)!);
const abs = (x: bigint) => (x < 0n ? -x : x);

type Noise =
  | { kind: 'block' }
  | { kind: 'lock'; who: number; amount: bigint; cand: number }
  | { kind: 'unlock'; which: number }
  | { kind: 'fee'; amount: bigint };

const noiseArb: fc.Arbitrary<Noise> = fc.oneof(
  { weight: 6, arbitrary: fc.constant({ kind: 'block' as const }) },
  {
    weight: 2,
    arbitrary: fc.record({
      kind: fc.constant('lock' as const),
      who: fc.nat(1),
      amount: fc.bigInt({ min: ETM, max: 200n * ETM }),
      cand: fc.nat(4),
    }),
  },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('unlock' as const), which: fc.nat() }) },
  {
    weight: 1,
    arbitrary: fc.record({
      kind: fc.constant('fee' as const),
      amount: fc.bigInt({ min: 0n, max: ETM }),
    }),
  },
);

describe('no gain from splitting a lock or from the timing of claims', () => {
  // The time gain t is held at 1 (long days): a claim also re-takes the lock's vote weight, so a
  // holder that claims right after its t grows would weigh more until the next epoch's refresh
  // (see payouts.test.ts for the bonus). With t fixed the weights of all four locks stay equal.
  const params = { ...TEST_PARAMS, blocksPerDay: 1_000_000n };

  it('one lock of 2a vs two of a; claiming every block vs once at the end', () => {
    fc.assert(
      fc.property(
        fc.bigInt({ min: ETM, max: 100n * ETM }),
        fc.nat(4),
        fc.array(noiseArb, { minLength: 20, maxLength: 60 }),
        (a, c, noise) => {
          const w = makeWorld({
            params,
            users: [
              1_000n * ETM,
              1_000n * ETM,
              1_000n * ETM,
              1_000n * ETM,
              1_000n * ETM,
              1_000n * ETM,
            ],
            bonusPool: 100n * ETM,
          });
          const [whole, halves, claimer, holder, n1, n2] = w.users as Uint8Array[];
          const cand = toHex(c < 4 ? w.ops[c]! : ZERO);
          const big = w.lockIdOf(w.call(whole!, 'lock', [2n * a, cand]));
          const s1 = w.lockIdOf(w.call(halves!, 'lock', [a, cand]));
          const s2 = w.lockIdOf(w.call(halves!, 'lock', [a, cand]));
          const cl = w.lockIdOf(w.call(claimer!, 'lock', [a, cand]));
          const ho = w.lockIdOf(w.call(holder!, 'lock', [a, cand]));
          const noiseLocks: [Uint8Array, bigint][] = [];
          const claimerStart = w.balance(claimer!);
          let claims = 0n;
          let epochs = 0n;
          for (const s of noise) {
            if (s.kind === 'block') {
              if (w.call(claimer!, 'claim', [cl])) claims++;
              const out = w.block();
              if (isEpochEnd(out.height, params)) epochs++;
            } else if (s.kind === 'lock') {
              const who = [n1!, n2!][s.who]!;
              const r = w.call(who, 'lock', [s.amount, toHex(s.cand < 4 ? w.ops[s.cand]! : ZERO)]);
              if (r) noiseLocks.push([who, w.lockIdOf(r)]);
            } else if (s.kind === 'unlock' && noiseLocks.length > 0) {
              const [who, id] = noiseLocks.splice(s.which % noiseLocks.length, 1)[0]!;
              w.call(who, 'unlock', [id]);
            } else if (s.kind === 'fee') {
              w.payFee(n1!, s.amount, 0n, 0n);
            }
          }
          w.block(); // the fees paid last are the next block's
          // Each lock loses < 1 unit per rounding: ≤ 2 per settlement (a refresh at most once
          // an epoch, or a claim), ≤ 1 per epoch's bonus, 2 for the pending view.
          const perLock = 3n * (epochs + 1n) + 2n;
          const bigTotal = pending(w, big);
          const halvesTotal = pending(w, s1) + pending(w, s2);
          expect(abs(bigTotal - halvesTotal) <= 3n * perLock, `${bigTotal} vs ${halvesTotal}`).toBe(
            true,
          );
          const claimed = w.balance(claimer!) - claimerStart + pending(w, cl);
          const held = pending(w, ho);
          expect(
            abs(claimed - held) <= perLock + 2n * claims + perLock,
            `${claimed} vs ${held}`,
          ).toBe(true);
          // They all did earn something (the mint reaches every lock every block).
          expect(held > 0n).toBe(true);
          expect(w.holdings()).toBe(economicState(w.state).supply);
        },
      ),
      { seed: 7401, numRuns: 30 },
    );
  });
});

describe('claim timing with a growing time gain t', () => {
  // A claim does not re-take the lock's time gain t, so a voter that claims as soon as its t
  // grows gets no larger share of its candidate's proposer rewards than an equal lock that waits.
  it('claiming every block earns the same as claiming once (bonus pool empty)', () => {
    const params = { ...TEST_PARAMS, blocksPerDay: 3n };
    const w = makeWorld({ params, users: [1_000n * ETM, 1_000n * ETM], bonusPool: 0n });
    const [u1, u2] = w.users as [Uint8Array, Uint8Array];
    const x = w.lockIdOf(w.call(u1, 'lock', [10n * ETM, toHex(w.ops[1]!)]));
    const y = w.lockIdOf(w.call(u2, 'lock', [10n * ETM, toHex(w.ops[1]!)]));
    const start = w.balance(u1);
    let claims = 0n;
    for (let h = 1; h <= 15; h++) {
      if (h > 1 && w.call(u1, 'claim', [x])) claims++;
      w.block();
    }
    const claimed = w.balance(u1) - start + pending(w, x);
    const held = pending(w, y);
    // Rounding allows 2 units per claim and a few per epoch.
    expect(abs(claimed - held) <= 2n * claims + 20n, `claimer ${claimed} vs holder ${held}`).toBe(
      true,
    );
  });
});

describe('a lock earns for every block whose end it was locked at', () => {
  it('created and unlocked in one block: nothing; held across one block end: that block', () => {
    const w = makeWorld({ users: [1_000n * ETM, 1_000n * ETM] });
    const [u1, u2] = w.users as [Uint8Array, Uint8Array];
    w.block();
    const S0 = economicState(w.state).totalLocked;
    const id = w.lockIdOf(w.call(u1, 'lock', [50n * ETM, toHex(w.ops[0]!)]));
    expect(w.call(u1, 'setAutoCompound', [id, true])).not.toBeNull();
    expect(w.call(u1, 'unlock', [id])).not.toBeNull();
    expect(w.balance(u1)).toBe(950n * ETM);
    expect(w.store.locks.unbondingOf(u1)).toEqual([
      { amount: 50n * ETM, releaseHeight: 2n + TEST_PARAMS.unbondingBlocks },
    ]);
    expect(economicState(w.state).totalLocked).toBe(S0);
    w.block();
    // Another lock held over the end of block 3 only: it earns block 3's stakers' part.
    const other = w.lockIdOf(w.call(u2, 'lock', [50n * ETM, toHex(ZERO)]));
    const S = economicState(w.state).totalLocked;
    const out = w.block();
    const exactNum = out.economics.stakers * 50n * ETM; // over S
    const before = w.balance(u2);
    expect(w.call(u2, 'unlock', [other])).not.toBeNull();
    const paid = w.balance(u2) - before;
    expect(paid * S <= exactNum).toBe(true);
    expect((paid + 2n) * S > exactNum).toBe(true);
    expect(paid > 0n).toBe(true);
  });
});
