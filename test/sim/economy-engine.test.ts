/**
 * The economic simulator against the chain's state transition on a real StateDB: the same
 * random action scripts (locks, votes, unvotes, unlocks, claims, candidate registrations), the
 * same proposers, reveals and fees; every epoch the supply, locked total, minted total,
 * treasury, bonus pool and release, the staking accumulator, every candidate's voter
 * accumulator and total weight, and the elected validators must be identical, and each lock's
 * rewards equal up to rounding (one unit per epoch).
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { toHex } from '../../src/crypto/bytes.js';
import { pendingRewards } from '../../src/economics/ledger.js';
import { mintBlock, perBlockRate, inflationRateAt } from '../../src/economics/inflation.js';
import { splitBaseFee } from '../../src/execution/fees.js';
import { DAO_TREASURY, VOTER_BONUS_POOL } from '../../src/primitives/system-addresses.js';
import { epochOf } from '../../src/staking/epochs.js';
import { EconomySim, SimRevert } from '../../src/sim/economy/engine.js';
import { TracedBlocks, type TracedBlock } from '../../src/sim/economy/source.js';
import { Prng } from '../../src/sim/prng.js';
import { addr, ETM, makeWorld, TEST_PARAMS } from '../economics/world.js';

type Action =
  | { kind: 'lock'; user: number; amount: bigint; candidate: number | null }
  | { kind: 'vote'; user: number; lock: number; candidate: number }
  | { kind: 'unvote'; user: number; lock: number }
  | { kind: 'unlock'; user: number; lock: number }
  | { kind: 'claim'; user: number; lock: number }
  | { kind: 'register'; user: number; deposit: bigint; bps: bigint };

const USERS = 5;

function runScenario(seed: number, blocks: number, concaveOn: bigint) {
  const prng = new Prng(seed);
  const params = { ...TEST_PARAMS, concaveOn, bonusScheduleDivisor: 1n };
  const userBalance = 500n * ETM;
  const w = makeWorld({ params, users: Array(USERS).fill(userBalance), bonusPool: 40n * ETM });
  const script = new Map<number, Action[]>();
  const trace = new Map<bigint, TracedBlock>();
  /** Lock ids the chain gave, by user (the simulator must give the same). */
  const chainLocks: bigint[][] = Array.from({ length: USERS }, () => []);
  const registered = new Set<number>();
  const candCount = () => w.ops.length;
  const epochs: Record<string, unknown>[] = [];
  const fees = new Map<bigint, { baseFees: bigint; tips: bigint }>();

  for (let b = 1; b <= blocks; b++) {
    const actions: Action[] = [];
    const n = prng.below(3);
    for (let i = 0; i < n; i++) {
      const user = prng.below(USERS);
      const own = chainLocks[user]!;
      const roll = prng.below(100);
      let a: Action;
      if (roll < 35 || own.length === 0)
        a = {
          kind: 'lock',
          user,
          amount: BigInt(1 + prng.below(40)) * ETM + BigInt(prng.below(1000)),
          candidate: prng.below(4) === 0 ? null : prng.below(candCount()),
        };
      else if (roll < 55)
        a = {
          kind: 'vote',
          user,
          lock: prng.below(own.length),
          candidate: prng.below(candCount()),
        };
      else if (roll < 65) a = { kind: 'unvote', user, lock: prng.below(own.length) };
      else if (roll < 78) a = { kind: 'unlock', user, lock: prng.below(own.length) };
      else if (roll < 95) a = { kind: 'claim', user, lock: prng.below(own.length) };
      else if (!registered.has(user))
        a = {
          kind: 'register',
          user,
          deposit: BigInt(1 + prng.below(5)) * ETM,
          bps: BigInt(prng.below(3000)),
        };
      else continue;
      const sender = w.users[a.user]!;
      let ok = true;
      if (a.kind === 'lock') {
        const r = w.call(sender, 'lock', [
          a.amount,
          a.candidate === null ? toHex(addr(0)) : toHex(w.ops[a.candidate]!),
        ]);
        if (r) chainLocks[a.user]!.push(w.lockIdOf(r));
        ok = r !== null;
      } else if (a.kind === 'register') {
        // The user becomes a candidate with a fresh key and onion (index = the next candidate).
        const i = w.ops.length;
        const key = addr(0x60 + i);
        w.ops.push(sender);
        w.keys.push(key);
        const r = w.call(
          sender,
          'registerCandidate',
          [toHex(key), `u${a.user}`, a.bps, 10_000n, toHex(w.onionOf(i).commitment)],
          a.deposit,
        );
        if (!r) {
          w.ops.pop();
          w.keys.pop();
        } else registered.add(a.user);
        ok = r !== null;
      } else {
        const id = chainLocks[a.user]![a.lock]!;
        const fn = a.kind;
        const args = a.kind === 'vote' ? [id, toHex(w.ops[a.candidate]!)] : [id];
        const r = w.call(sender, fn, args);
        ok = r !== null;
        if (r && a.kind === 'unlock') chainLocks[a.user]!.splice(a.lock, 1);
      }
      if (ok) actions.push(a);
    }
    if (actions.length > 0) script.set(b, actions);
    const h = BigInt(b);
    const K = w.validatorsAt(h).length;
    const proposer = prng.below(4) === 0 ? prng.below(K) : Number(h % BigInt(K));
    const round = (((proposer - Number(h % BigInt(K))) % K) + K) % K;
    let baseFees = 0n;
    let tips = 0n;
    if (prng.below(3) === 0) {
      baseFees = BigInt(prng.below(1_000_000)) * 10n ** 9n;
      tips = BigInt(prng.below(1000)) * 10n ** 9n;
      const s = splitBaseFee(baseFees, params);
      w.payFee(w.users[0]!, s.proposer + tips, s.treasury, s.burned);
    }
    fees.set(h, { baseFees, tips });
    const s = splitBaseFee(baseFees, params);
    const r = w.block({ proposer, proposerFees: s.proposer + tips, burned: s.burned });
    trace.set(h, { round, hasReveal: r.reveal.length > 0, mix: r.mix, baseFees, tips });
    if (h % params.epochBlocks === 0n) {
      const e = w.rewards.economics();
      const rec = w.store.elections.epochRecord(epochOf(h, params) + 2n)!;
      epochs.push({
        height: h,
        supply: e.supply,
        totalLocked: e.totalLocked,
        minted: e.minted,
        stakeAcc: e.stakeAcc,
        bonusReleased: e.bonusReleased,
        bonusPool: w.state.getAccount(VOTER_BONUS_POOL).balance,
        treasury: w.state.getAccount(DAO_TREASURY).balance,
        candidates: w.ops.map((op) => {
          const c = w.rewards.candidateRewards(op);
          return [toHex(op), c.acc, c.totalWeight];
        }),
        elected: rec.operators.map(toHex),
      });
    }
  }

  // The simulator: the same genesis, then the same script over the traced blocks.
  const genesisOps = w.ops.slice(0, 4);
  const sim = new EconomySim(
    {
      params,
      accounts: [
        ...genesisOps.map((a) => ({ address: a, balance: 1_000n * ETM })),
        ...w.users.map((a) => ({ address: a, balance: userBalance })),
      ],
      candidates: genesisOps.map((_, i) => ({
        account: i,
        key: w.keys[i]!,
        deposit: 10n * ETM,
        commissionBps: [1000n, 0n, 2500n, 500n][i]!,
      })),
      validators: w.keys.slice(0, 4),
      bonusPool: 40n * ETM,
    },
    new TracedBlocks(trace),
  );
  const simLocks: bigint[][] = Array.from({ length: USERS }, () => []);
  const simEpochs: Record<string, unknown>[] = [];
  const onEpoch = (o: { height: bigint }) => {
    const epoch = epochOf(o.height, params);
    simEpochs.push({
      height: o.height,
      supply: sim.supply,
      totalLocked: sim.totalLocked,
      minted: sim.mintedTotal,
      stakeAcc: sim.stakeAcc,
      bonusReleased: sim.bonusReleased,
      bonusPool: sim.bonusPool,
      treasury: sim.treasury,
      candidates: w.ops.slice(0, sim.candidates.length).map((op) => {
        const c = sim.candidateOf(op)!;
        return [toHex(op), c.acc, c.totalWeight];
      }),
      elected: sim.epochRecord(epoch + 2n)!.operators.map((c) => c.hex),
    });
  };
  let registeredSoFar = 4;
  for (let b = 1; b <= blocks; b++) {
    const actions = script.get(b);
    if (actions) {
      sim.advanceTo(BigInt(b));
      for (const a of actions) {
        const u = 4 + a.user;
        if (a.kind === 'lock') {
          simLocks[a.user]!.push(
            sim.lock(u, a.amount, a.candidate === null ? null : w.ops[a.candidate]!),
          );
        } else if (a.kind === 'register') {
          sim.registerCandidate(u, w.keys[registeredSoFar++]!, a.bps, a.deposit);
        } else {
          const id = simLocks[a.user]![a.lock]!;
          if (a.kind === 'vote') sim.vote(u, id, w.ops[a.candidate]!);
          else if (a.kind === 'unvote') sim.unvote(u, id);
          else if (a.kind === 'claim') sim.claim(u, id);
          else {
            sim.unlock(u, id);
            simLocks[a.user]!.splice(a.lock, 1);
          }
        }
      }
    }
    sim.run(BigInt(b), onEpoch);
  }
  // Rewards of every open lock: equal up to one unit per epoch of rounding.
  const lockGaps: bigint[] = [];
  for (let u = 0; u < USERS; u++) {
    expect(simLocks[u]).toEqual(chainLocks[u]);
    for (const id of chainLocks[u]!) {
      const chain = pendingRewards(w.state, w.store.locks.getLock(id)!);
      const simulated = sim.pendingRewards(sim.locks.get(id)!);
      lockGaps.push(chain > simulated ? chain - simulated : simulated - chain);
    }
  }
  return { epochs, simEpochs, lockGaps, epochCount: BigInt(blocks) / params.epochBlocks };
}

describe('economic simulator = the state transition', () => {
  it('random action scripts, proposers and fees: identical supply, locks, mint, rewards, elections', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 2 ** 31 }), fc.boolean(), (seed, perLock) => {
        const r = runScenario(seed, 60, perLock ? 1n : 0n);
        expect(r.simEpochs).toEqual(r.epochs);
        for (const gap of r.lockGaps) expect(gap).toBeLessThanOrEqual(2n * r.epochCount + 2n);
      }),
      { numRuns: 12 },
    );
  });

  it('rejects what the contract rejects, and changes nothing', () => {
    const r = runScenario(7, 10, 0n);
    expect(r.simEpochs).toEqual(r.epochs);
    const sim = new EconomySim(
      {
        params: TEST_PARAMS,
        accounts: [
          { address: addr(1), balance: 100n * ETM },
          { address: addr(2), balance: 5n * ETM },
        ],
        candidates: [{ account: 0, key: addr(0xb1), deposit: 10n * ETM, commissionBps: 0n }],
        validators: [addr(0xb1)],
      },
      new TracedBlocks(new Map()),
    );
    const before = JSON.stringify([sim.totalLocked, sim.accounts], (_, v) =>
      typeof v === 'bigint' ? v.toString() : v,
    );
    expect(() => sim.lock(1, 6n * ETM, addr(1))).toThrow(SimRevert);
    expect(() => sim.lock(1, 1n, addr(1))).toThrow(/minLock/);
    expect(() => sim.lock(1, ETM, addr(9))).toThrow(/not a candidate/);
    expect(() => sim.unlock(1, 1n)).toThrow(/no lock/);
    expect(() => sim.vote(0, 1n, addr(1))).toThrow(/deposit always votes/);
    expect(
      JSON.stringify([sim.totalLocked, sim.accounts], (_, v) =>
        typeof v === 'bigint' ? v.toString() : v,
      ),
    ).toBe(before);
  });
});

describe('minting over a span = block by block', () => {
  it('supply and carry after N blocks equal N applications of mintBlock', () => {
    const params = { ...TEST_PARAMS, inflationSchedule: [10n ** 17n, 5n * 10n ** 16n] };
    const sim = new EconomySim(
      {
        params,
        accounts: [{ address: addr(1), balance: 1_000_000n * ETM + 12_345n }],
        candidates: [{ account: 0, key: addr(0xb1), deposit: 10n * ETM, commissionBps: 0n }],
        validators: [addr(0xb1)],
        bonusPool: 0n,
      },
      new TracedBlocks(
        new Map(
          Array.from({ length: 2_600 }, (_, i) => [
            BigInt(i + 1),
            {
              round: 0,
              hasReveal: true,
              mix: new Uint8Array(32).fill(i % 256),
              baseFees: 0n,
              tips: 0n,
            },
          ]),
        ),
      ),
    );
    let supply = sim.supply;
    let carry = 0n;
    let minted = 0n;
    for (let h = 1n; h <= 2_600n; h++) {
      const m = mintBlock(
        supply,
        perBlockRate(inflationRateAt(h, params), params.blocksPerYear),
        carry,
      );
      supply += m.minted;
      carry = m.carry;
      minted += m.minted;
    }
    sim.run(2_600n);
    expect([sim.supply, sim.mintCarry, sim.mintedTotal]).toEqual([supply, carry, minted]);
  });
});
