/**
 * Property tests of the tally (docs/governance.md): against an independent reference that sums
 * voting power per voter first, then hands the unvoted locks to their candidates; and over
 * random sequences of lock moves, votes and blocks, that a vote never counts more tokens than
 * are locked at the close and that the supply is conserved.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { toHex } from '../../src/crypto/bytes.js';
import { outcomeOf, tallyLocks, type TallyLock } from '../../src/governance/tally.js';
import { ETM, WAD } from '../../src/params/registry.js';
import { addr } from '../economics/world.js';
import type { Payload } from '../../src/governance/payload.js';
import { DAO_TREASURY } from '../../src/primitives/system-addresses.js';
import { GOV_PARAMS, makeGovWorld } from './world.js';

const OPTIONS = ['none', 'yes', 'no', 'abstain', 'veto'] as const;

/** Reference: per account, the power it holds itself; then what each candidate gathers. */
function referenceTally(locks: TallyLock[], votes: Map<string, number>) {
  const own = new Map<string, bigint>();
  const backing = new Map<string, bigint>();
  let total = 0n;
  for (const l of locks) {
    total += l.amount;
    const o = toHex(l.owner);
    if ((votes.get(o) ?? 0) !== 0) own.set(o, (own.get(o) ?? 0n) + l.amount);
    else if (l.candidate) {
      const c = toHex(l.candidate);
      backing.set(c, (backing.get(c) ?? 0n) + l.amount);
    }
  }
  const by = [0n, 0n, 0n, 0n, 0n];
  for (const [a, p] of own) by[votes.get(a)!]! += p;
  for (const [c, p] of backing) by[votes.get(c) ?? 0]! += p;
  return { yes: by[1]!, no: by[2]!, abstain: by[3]!, veto: by[4]!, totalLocked: total };
}

const account = fc.integer({ min: 1, max: 8 }).map((n) => addr(n));

describe('tally properties', () => {
  it('equals the reference tally for any locks and votes', () => {
    fc.assert(
      fc.property(
        fc.array(
          fc.record({
            owner: account,
            amount: fc.bigInt({ min: 1n, max: 10n ** 24n }),
            candidate: fc.option(account, { nil: null }),
          }),
          { maxLength: 40 },
        ),
        fc.array(fc.tuple(account, fc.integer({ min: 0, max: 4 })), { maxLength: 8 }),
        (locks, votePairs) => {
          const votes = new Map(votePairs.map(([a, o]) => [toHex(a), o]));
          const got = tallyLocks(locks, (a) => votes.get(toHex(a)) ?? 0);
          expect(got).toEqual(referenceTally(locks, votes));
          expect(got.yes + got.no + got.abstain + got.veto <= got.totalLocked).toBe(true);
        },
      ),
      { numRuns: 300 },
    );
  });

  it('more yes never turns a passing vote into another result; more veto never un-vetoes', () => {
    const amount = fc.bigInt({ min: 0n, max: 10n ** 21n });
    fc.assert(
      fc.property(
        amount,
        amount,
        amount,
        amount,
        amount,
        amount,
        fc.boolean(),
        (y, n, a, v, idle, more, em) => {
          const t = { yes: y, no: n, abstain: a, veto: v, totalLocked: y + n + a + v + idle };
          const before = outcomeOf(t, GOV_PARAMS, em);
          // `more` tokens move from idle (or newly locked) to yes / to veto.
          const yes = outcomeOf(
            { ...t, yes: y + more, totalLocked: t.totalLocked + more },
            GOV_PARAMS,
            em,
          );
          if (before === 'passed') expect(yes).toBe('passed');
          const veto = outcomeOf(
            { ...t, veto: v + more, totalLocked: t.totalLocked + more },
            GOV_PARAMS,
            em,
          );
          if (before === 'vetoed') expect(veto).toBe('vetoed');
          // The thresholds themselves, in rationals.
          const turnout = y + n + a + v;
          if (before === 'passed') {
            expect(turnout * 1000n >= 334n * t.totalLocked).toBe(true);
            expect(v * 1000n < 334n * turnout).toBe(true);
            if (em) expect(y * 1000n >= 667n * t.totalLocked).toBe(true);
            else expect(2n * y > y + n + v).toBe(true);
          }
        },
      ),
      { numRuns: 500 },
    );
    expect(WAD).toBe(10n ** 18n);
  });

  it('over random moves of tokens during a vote, the tally never exceeds what is locked and the supply holds, whatever the proposal runs', () => {
    const action = fc.oneof(
      fc.record({
        t: fc.constant('lock' as const),
        u: fc.nat(2),
        c: fc.nat(3),
        amt: fc.integer({ min: 1, max: 50 }),
      }),
      fc.record({ t: fc.constant('unlock' as const), u: fc.nat(2) }),
      fc.record({ t: fc.constant('revote' as const), u: fc.nat(2), c: fc.nat(3) }),
      fc.record({
        t: fc.constant('send' as const),
        u: fc.nat(2),
        to: fc.nat(2),
        amt: fc.integer({ min: 1, max: 80 }),
      }),
      fc.record({
        t: fc.constant('vote' as const),
        v: fc.nat(6),
        o: fc.integer({ min: 1, max: 4 }),
      }),
      fc.record({ t: fc.constant('block' as const) }),
    );
    fc.assert(
      fc.property(fc.array(action, { minLength: 5, maxLength: 40 }), fc.nat(3), (actions, k) => {
        const w = makeGovWorld({ users: [200n * ETM, 200n * ETM, 200n * ETM] });
        const [u0, u1] = w.users as [Uint8Array, Uint8Array];
        w.transfer(u0, DAO_TREASURY, 5n * ETM);
        const payloads: Payload[] = [
          { kind: 'text', text: 'property' },
          { kind: 'treasury-spend', to: u1, amount: 5n * ETM },
          { kind: 'global-settlement' },
          {
            kind: 'rescind',
            txHash: new Uint8Array(32).fill(1),
            from: u0,
            to: u1,
            amount: 9n * ETM,
          },
        ];
        const id = w.propose(u0, payloads[k]!);
        // The candidates back the emergency kinds, so that they mostly pass (votes may change).
        if (k >= 2) for (const op of w.ops) w.vote(op, id, 'yes');
        const voters = [...w.users, ...w.ops];
        for (const a of actions) {
          if (w.proposal(id).status !== 'voting') break;
          const u = 'u' in a ? w.users[a.u]! : null;
          if (a.t === 'lock') w.call(u!, 'lock', [BigInt(a.amt) * ETM, toHex(w.ops[a.c]!)]);
          else if (a.t === 'unlock') {
            const ids = w.store.locks.locksOf(u!);
            if (ids.length) w.call(u!, 'unlock', [ids[0]!]);
          } else if (a.t === 'revote') {
            const ids = w.store.locks.locksOf(u!);
            if (ids.length) w.call(u!, 'vote', [ids[ids.length - 1]!, toHex(w.ops[a.c]!)]);
          } else if (a.t === 'send') w.transfer(u!, w.users[a.to]!, BigInt(a.amt) * ETM);
          else if (a.t === 'vote') w.vote(voters[a.v]!, id, OPTIONS[a.o] as 'yes');
          else w.block();
        }
        w.until(w.proposal(id).votingEnd);
        const t = w.proposal(id).tally;
        // Before anything ran (a settlement releases every lock).
        if (w.proposal(id).status !== 'executed' || k !== 2)
          expect(t.totalLocked).toBe(w.rewards.economics().totalLocked);
        expect(t.yes + t.no + t.abstain + t.veto <= t.totalLocked).toBe(true);
        expect(w.holdings()).toBe(w.supply());
        if (w.proposal(id).status === 'timelock') w.until(w.proposal(id).executeAt);
        expect(w.holdings()).toBe(w.supply());
        if (w.proposal(id).kind === 'global-settlement' && w.proposal(id).status === 'executed')
          expect(w.rewards.economics().totalLocked).toBe(0n);
      }),
      { numRuns: 25 },
    );
  });
});
