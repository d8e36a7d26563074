/**
 * Vote buckets: a candidate's votes aggregated by `since` (src/staking/store.ts). Random runs of
 * the contract's lock, vote, unvote and unlock, reward compounding, the epoch's halving and the
 * voters' refresh, with commits in between, must keep the buckets equal to the aggregation of the
 * locks, and weighing from the buckets must give exactly what the per-lock formula gives.
 */
import type { Address } from '../../src/primitives/types.js';
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { encodeFunctionData } from 'viem';
import { fromHex, toHex } from '../../src/crypto/bytes.js';
import { DEFAULT_PARAMS, ETM, type ChainParams } from '../../src/params/registry.js';
import { pendingRewards, RewardLedger } from '../../src/economics/ledger.js';
import {
  LOCKS_ADDRESS,
  STAKING_ADDRESS,
  STAKING_REWARD_POOL,
} from '../../src/primitives/system-addresses.js';
import { slot } from '../../src/state/records.js';
import { SCALE } from '../../src/math/fixed.js';
import { STAKING_ABI } from '../../src/staking/abi.js';
import { advanceTally, halveProducers, weighCandidates } from '../../src/staking/block-hooks.js';
import { callContract } from '../../src/execution/call.js';
import { stakingContract } from '../../src/execution/modules/staking.js';
import { Revert } from '../../src/primitives/errors.js';
import { epochOf } from '../../src/staking/epochs.js';
import { writeModulesGenesis } from '../../src/execution/registry.js';
import { CONCAVE_ON_CANDIDATE, CONCAVE_ON_LOCK } from '../../src/params/registry.js';
import {
  candidateWeight,
  electionWeight,
  lockWeight,
  performance,
  timeGain,
} from '../../src/staking/weights.js';
import { StateDB } from '../../src/state/state-db.js';
import { EMPTY_TRIE_ROOT, MemoryNodeStore } from '../../src/state/trie.js';
import { stakingStores, type StakingStores } from '../../src/staking/stores.js';
import type { Lock, VoteBucket } from '../../src/staking/lock-store.js';
import { RewardStore } from '../../src/economics/reward-store.js';

const P: ChainParams = {
  ...DEFAULT_PARAMS,
  epochBlocks: 10n,
  blocksPerDay: 3n,
  tMax: 6n,
  candidateDeposit: ETM,
};
const a = (n: number) => new Uint8Array(20).fill(n);
const OPS = [a(0xa1), a(0xa2), a(0xa3)];
const VOTERS = [a(0xc1), a(0xc2)];
const OWNERS = [...OPS, ...VOTERS];

function world(params: ChainParams) {
  const nodes = new MemoryNodeStore();
  let state = new StateDB(EMPTY_TRIE_ROOT, nodes);
  for (const o of OWNERS) state.putAccount(o, { ...state.getAccount(o), balance: 1000n * ETM });
  state.putAccount(STAKING_REWARD_POOL, {
    ...state.getAccount(STAKING_REWARD_POOL),
    balance: 10n ** 30n,
  });
  writeModulesGenesis({
    state,
    validators: OPS.map((_, i) => a(0xb1 + i)),
    candidates: OPS.map((op, i) => ({
      operator: op,
      consensusKey: a(0xb1 + i),
      name: `c${i}`,
      deposit: ETM + BigInt(i),
      commissionBps: 0n,
      commissionMaxBps: 0n,
      randaoCommitment: new Uint8Array(32).fill(i + 1),
    })),
    params,
    supply: 10n ** 24n,
  });
  return {
    get state() {
      return state;
    },
    store: () => stakingStores(state),
    call(sender: Address, height: bigint, fn: string, args: unknown[]) {
      state.checkpoint();
      try {
        callContract(
          stakingContract,
          { state, params, height, sender, value: 0n },
          fromHex(encodeFunctionData({ abi: STAKING_ABI, functionName: fn, args } as never)),
        );
        state.commitCheckpoint();
      } catch (e) {
        state.revert();
        if (!(e instanceof Revert)) throw e;
      }
    },
    commit() {
      const c = state.commit();
      for (const [h, b] of c.nodes) nodes.put(h, b);
      state = new StateDB(c.root, nodes);
    },
  };
}

function allLocks(store: StakingStores): Lock[] {
  return OWNERS.flatMap((o) => store.locks.locksOf(o).map((id) => store.locks.getLock(id)!));
}

/** The buckets a candidate must have: Σ amount and count per `since` of its locks. */
function expectedBuckets(store: StakingStores, op: Address) {
  const by = new Map<bigint, { since: bigint; amount: bigint; count: bigint }>();
  for (const l of allLocks(store)) {
    if (!l.candidate || toHex(l.candidate) !== toHex(op)) continue;
    const b = by.get(l.since) ?? { since: l.since, amount: 0n, count: 0n };
    by.set(l.since, { since: l.since, amount: b.amount + l.amount, count: b.count + 1n });
  }
  return bySince([...by.values()]);
}

const bySince = <T extends { since: bigint }>(xs: T[]) =>
  [...xs].sort((x, y) => (x.since < y.since ? -1 : 1));

/** A candidate's buckets summed per `since` (two buckets may share one until they merge). */
function aggregate(buckets: readonly VoteBucket[]) {
  const by = new Map<bigint, { since: bigint; amount: bigint; count: bigint }>();
  for (const b of buckets) {
    const x = by.get(b.since) ?? { since: b.since, amount: 0n, count: 0n };
    by.set(b.since, { since: b.since, amount: x.amount + b.amount, count: x.count + b.count });
  }
  return bySince([...by.values()]);
}

/** The weighing as it was before buckets: every lock of every candidate, one at a time. */
function referenceWeighing(store: StakingStores, params: ChainParams, height: bigint) {
  return store.candidates.operators().flatMap((operator) => {
    const c = store.candidates.getCandidate(operator)!;
    if (c.depositLockId === 0n) return [];
    if (store.locks.getLock(c.depositLockId)!.amount < params.candidateDeposit) return [];
    const xs = store.locks
      .votesFor(operator)
      .map((id) => store.locks.getLock(id)!)
      .map((l) => lockWeight(l.amount, timeGain(height - l.since, params)));
    const X = candidateWeight(xs, params);
    const v = performance(0n, 0n, SCALE);
    return [
      {
        operator: toHex(operator),
        votes: xs.reduce((s, x) => s + x, 0n),
        X,
        R: electionWeight(v, X),
      },
    ];
  });
}

/**
 * The tally's invariant at its height H: every candidate's Σ x is the per-lock sum
 * Σ amount · t(H − since) (undefined before the first frame).
 */
function expectTally(store: StakingStores, params: ChainParams) {
  const f = store.locks.tally.frame();
  if (f === null) return;
  for (const op of OPS) {
    let x = 0n;
    for (const id of store.locks.votesFor(op)) {
      const l = store.locks.getLock(id)!;
      x += lockWeight(l.amount, timeGain(f.height - l.since, params));
    }
    expect(store.locks.tally.votesAt(op, f.height, params)).toBe(x);
  }
}

const step = fc.record({
  op: fc.constantFrom(
    'lock',
    'lock',
    'vote',
    'unvote',
    'unlock',
    'compound',
    'halve',
    'refresh',
    'advance',
    'advance',
    'commit',
  ),
  who: fc.nat(VOTERS.length - 1),
  target: fc.nat(OPS.length),
  pick: fc.nat(50),
  amount: fc.bigInt(1n, 5n * ETM),
  dt: fc.integer({ min: 0, max: 4 }),
});

describe('vote buckets', () => {
  it('property: buckets aggregate the locks, and weighing from them or the tally is the per-lock weighing', () => {
    fc.assert(
      fc.property(
        fc.constantFrom(CONCAVE_ON_CANDIDATE, CONCAVE_ON_LOCK),
        // Bins of one height (D = 3, E = 10: a gap over a day rebuilds), and bins of two
        // heights in three residues (D = 6, E = 4), with t up to 4 or 6.
        fc.constantFrom({}, { epochBlocks: 4n, blocksPerDay: 6n, tMax: 4n }),
        fc.array(step, { minLength: 1, maxLength: 40 }),
        (concaveOn, shape, steps) => {
          const params = { ...P, ...shape, concaveOn };
          const w = world(params);
          let height = 1n;
          for (const s of steps) {
            height += BigInt(s.dt);
            const voter = VOTERS[s.who]!;
            const mine = w.store().locks.locksOf(voter);
            const id = mine.length ? mine[s.pick % mine.length]! : 999n;
            const target =
              s.target < OPS.length ? toHex(OPS[s.target]!) : toHex(new Uint8Array(20));
            switch (s.op) {
              case 'lock':
                w.call(voter, height, 'lock', [ETM + s.amount, target]);
                break;
              case 'vote':
                w.call(voter, height, 'vote', [id, toHex(OPS[s.target % OPS.length]!)]);
                break;
              case 'unvote':
                w.call(voter, height, 'unvote', [id]);
                break;
              case 'unlock':
                w.call(voter, height, 'unlock', [id]);
                break;
              case 'compound': {
                // Rewards accrue, and a claim with autoCompound grows the lock.
                w.call(voter, height, 'setAutoCompound', [id, true]);
                const rewards = new RewardStore(w.state);
                const econ = rewards.economics();
                rewards.setEconomics({ ...econ, stakeAcc: econ.stakeAcc + SCALE / 100n });
                w.call(voter, height, 'claim', [id]);
                break;
              }
              case 'halve': {
                const store = w.store();
                const epoch = epochOf(height, params);
                const producers = OPS.filter((_, i) => (s.pick >> i) & 1);
                store.elections.setProduced(epoch, producers);
                const before = new Map(allLocks(store).map((l) => [l.id, l]));
                halveProducers(store, params, epoch, height);
                for (const l of allLocks(store)) {
                  const b = before.get(l.id)!;
                  const halved =
                    l.candidate &&
                    producers.some((p) => toHex(p) === toHex(l.candidate!)) &&
                    b.since < height;
                  // The age capped at (tMax − 1)·blocksPerDay, halved; or unchanged.
                  const cap = (params.tMax - 1n) * params.blocksPerDay;
                  const age = height - b.since;
                  expect(l.since).toBe(halved ? height - (age < cap ? age : cap) / 2n : b.since);
                }
                break;
              }
              case 'refresh':
                new RewardLedger(w.state, params, height).refreshVoters(OPS);
                break;
              case 'advance': {
                // To the next epoch's end (a later one every few steps): kept, or rebuilt.
                const e = params.epochBlocks;
                height = ((height + e - 1n) / e) * e + (s.pick % 4 === 0 ? e : 0n);
                advanceTally(w.store(), params, height);
                break;
              }
              case 'commit':
                w.commit();
                break;
            }
            const store = w.store();
            for (const op of OPS) {
              const got = store.locks.bucketsOf(op);
              expect(aggregate(got)).toEqual(expectedBuckets(store, op));
              expect(store.locks.bucketCount(op)).toBe(BigInt(got.length));
            }
            expectTally(store, params);
          }
          const store = w.store();
          const weigh = (h: bigint) =>
            weighCandidates(store, params, h, null).map((c) => ({
              operator: toHex(c.operator),
              votes: c.votes,
              X: c.X,
              R: c.R,
            }));
          // From the buckets (the tally is elsewhere), then from the tally brought to h.
          for (const h of [height + 1n, height + 7n, height + 100n])
            expect(weigh(h)).toEqual(referenceWeighing(store, params, h));
          const e = params.epochBlocks;
          for (let h = ((height + e) / e) * e, i = 0; i < 12; h += e, i++) {
            advanceTally(store, params, h);
            expect(store.locks.tally.frame()!.height).toBe(h);
            expect(weigh(h)).toEqual(referenceWeighing(store, params, h));
          }
        },
      ),
      { numRuns: 80 },
    );
  });

  it('keeps a bucket per vote height across pages; the refresh merges those the halving made equal', () => {
    // tMax 32: every age here is below the halving's cap (31 days of 3 blocks).
    const P32 = { ...P, tMax: 32n };
    const w = world(P32);
    // 40 locks at 40 heights: more than one page of buckets.
    for (let h = 1n; h <= 40n; h++) {
      w.call(VOTERS[Number(h % 2n)]!, h, 'lock', [ETM, toHex(OPS[0]!)]);
      if (h % 10n === 0n) w.commit();
    }
    const store = w.store();
    expect(store.locks.bucketCount(OPS[0]!)).toBe(41n); // the deposit's since 0 and heights 1 … 40
    // At height 41 the since values s and s + 1 with 41 + s odd map to one: ⌈(41 + s)/2⌉.
    store.elections.setProduced(epochOf(41n, P), [OPS[0]!]);
    halveProducers(store, P32, epochOf(41n, P), 41n);
    // The halving moves each bucket's since and writes no lock; equal ones stay apart for now.
    expect(store.locks.bucketCount(OPS[0]!)).toBe(41n);
    expect(aggregate(store.locks.bucketsOf(OPS[0]!))).toEqual(expectedBuckets(store, OPS[0]!));
    // Rewards accrue to the candidate's voters; the refresh settles the buckets and merges them.
    const ledger = new RewardLedger(w.state, P32, 41n);
    ledger.refreshVoters([OPS[0]!]);
    const rewards = new RewardStore(w.state);
    const cr = rewards.candidateRewards(OPS[0]!);
    rewards.setCandidateRewards(OPS[0]!, { ...cr, acc: cr.acc + SCALE / 7n });
    const pendingBefore = allLocks(store).map((l) => pendingRewards(w.state, l));
    store.elections.setProduced(epochOf(61n, P), [OPS[0]!]);
    halveProducers(store, P32, epochOf(61n, P), 61n);
    new RewardLedger(w.state, P32, 61n).refreshVoters([OPS[0]!]);
    expect(store.locks.bucketsOf(OPS[0]!).map((b) => b.since)).toEqual(
      bySince(expectedBuckets(store, OPS[0]!)).map((b) => b.since),
    );
    expect(store.locks.bucketCount(OPS[0]!)).toBe(BigInt(expectedBuckets(store, OPS[0]!).length));
    expect(store.locks.bucketCount(OPS[0]!) < 41n).toBe(true);
    expect(aggregate(store.locks.bucketsOf(OPS[0]!))).toEqual(expectedBuckets(store, OPS[0]!));
    // Merging changes no lock's rewards.
    expect(allLocks(store).map((l) => pendingRewards(w.state, l))).toEqual(pendingBefore);
    // Locks leave merged buckets one by one; the last one out removes the bucket.
    for (const voter of VOTERS)
      for (const id of store.locks.locksOf(voter)) w.call(voter, 62n, 'unlock', [id]);
    expect(store.locks.bucketsOf(OPS[0]!).map((b) => [b.count, b.refs])).toEqual([[1n, 1n]]);
    w.commit();
  });

  it("an epoch's halving and voters' refresh read and write nothing per lock", () => {
    // The same vote heights with 1 and with 4 locks per candidate each: the same traffic.
    const traffic = (perHeight: number) => {
      const w = world(P);
      for (let h = 1n; h <= 6n; h++)
        for (let i = 0; i < perHeight; i++)
          w.call(VOTERS[i % 2]!, h, 'lock', [ETM, toHex(OPS[i % 3]!)]);
      w.commit();
      const store = w.store();
      const votes = OPS.reduce((n, op) => n + store.locks.voteCount(op), 0n);
      expect(votes).toBe(BigInt(6 * perHeight + OPS.length)); // the deposits too
      store.elections.setProduced(epochOf(10n, P), OPS);
      const state = w.state;
      let reads = 0;
      let writes = 0;
      const get = state.getStorage.bind(state);
      const put = state.putStorage.bind(state);
      state.getStorage = (a, k) => (reads++, get(a, k));
      state.putStorage = (a, k, v) => (writes++, put(a, k, v));
      halveProducers(store, P, epochOf(10n, P), 10n);
      new RewardLedger(state, P, 10n).refreshVoters(OPS);
      return { reads, writes };
    };
    const few = traffic(3);
    expect(few.writes).toBeGreaterThan(0);
    expect(traffic(12)).toEqual(few);
  });

  it("keeps locks in the locks account, where an epoch's end reads the deposits alone", () => {
    const w = world(P);
    for (let h = 1n; h <= 6n; h++)
      w.call(VOTERS[Number(h % 2n)]!, h, 'lock', [ETM, toHex(OPS[0]!)]);
    w.commit();
    const store = w.store();
    const id = store.locks.locksOf(VOTERS[0]!)[0]!;
    expect(w.state.getStorage(LOCKS_ADDRESS, slot('lock', id)).length).toBeGreaterThan(0);
    expect(w.state.getStorage(STAKING_ADDRESS, slot('lock', id)).length).toBe(0);
    expect(w.state.getStorage(LOCKS_ADDRESS, slot('lockEcon', id)).length).toBeGreaterThan(0);
    store.elections.setProduced(epochOf(10n, P), OPS);
    const state = w.state;
    const deposits = new Set(
      OPS.map((op) => toHex(slot('lock', store.candidates.getCandidate(op)!.depositLockId))),
    );
    const reads: string[] = [];
    let writes = 0;
    const get = state.getStorage.bind(state);
    const put = state.putStorage.bind(state);
    const locks = (a: Uint8Array) => toHex(a) === toHex(LOCKS_ADDRESS);
    state.getStorage = (a, k) => (locks(a) && reads.push(toHex(k)), get(a, k));
    state.putStorage = (a, k, v) => (locks(a) && writes++, put(a, k, v));
    advanceTally(store, P, 10n);
    weighCandidates(store, P, 10n, null);
    halveProducers(store, P, epochOf(10n, P), 10n);
    new RewardLedger(state, P, 10n).refreshVoters(OPS);
    // The weighing checks each candidate's deposit (eligibility.ts); no other lock is read.
    expect(new Set(reads)).toEqual(deposits);
    expect(reads.length).toBe(OPS.length);
    expect(writes).toBe(0);
    // The halving reached the locks all the same, through their buckets.
    expect(store.locks.getLock(id)!.since).toBeGreaterThan(1n);
  });

  it('the tally: a vote leaves its bin at its last day boundary, and a change of blocksPerDay rebuilds it', () => {
    // E = 4, D = 6, tMax = 4: bins of 2 heights in 3 residues; t reaches 4 at an age of 18.
    const PT = { ...P, epochBlocks: 4n, blocksPerDay: 6n, tMax: 4n };
    const w = world(PT);
    advanceTally(w.store(), PT, 4n); // the first frame: taken from the buckets
    w.call(VOTERS[0]!, 5n, 'lock', [2n * ETM, toHex(OPS[0]!)]);
    w.call(VOTERS[1]!, 6n, 'lock', [3n * ETM, toHex(OPS[0]!)]);
    w.call(VOTERS[1]!, 7n, 'lock', [5n * ETM, toHex(OPS[0]!)]);
    let store = w.store();
    for (let h = 8n; h <= 24n; h += 4n) {
      advanceTally(store, PT, h);
      expectTally(store, PT);
    }
    // At 24 the votes of heights 5 and 6 (age 19, 18) weigh tMax and left their bin; 7's did not.
    const f = store.locks.tally.frame()!;
    expect([f.height, f.width, f.offset]).toEqual([24n, 2n, 1n]);
    w.commit();
    store = w.store();
    // Unlocking a vote whose bin is spent, and one whose bin is not, keeps the tally exact.
    w.call(VOTERS[0]!, 25n, 'unlock', [store.locks.locksOf(VOTERS[0]!)[0]!]);
    expectTally(w.store(), PT);
    w.call(VOTERS[1]!, 25n, 'unlock', [store.locks.locksOf(VOTERS[1]!)[1]!]);
    expectTally(w.store(), PT);
    advanceTally(w.store(), PT, 28n);
    expectTally(w.store(), PT);
    // Another blocksPerDay: the frame is taken again from the buckets, in bins of 4.
    const PD = { ...PT, blocksPerDay: 8n };
    advanceTally(w.store(), PD, 32n);
    expect(w.store().locks.tally.frame()).toMatchObject({
      height: 32n,
      blocksPerDay: 8n,
      width: 4n,
    });
    expectTally(w.store(), PD);
    w.call(VOTERS[1]!, 33n, 'lock', [ETM, toHex(OPS[1]!)]);
    for (let h = 36n; h <= 60n; h += 4n) {
      advanceTally(w.store(), PD, h);
      expectTally(w.store(), PD);
    }
  });

  it("an epoch's tally and weighing read nothing per vote bucket", () => {
    // E = 50 = g, D = 150: one bin record per candidate per epoch. Votes for one candidate at 1
    // or at 40 heights per epoch: one page of buckets or three.
    const PE = { ...P, epochBlocks: 50n, blocksPerDay: 150n };
    const traffic = (heights: bigint) => {
      const w = world(PE);
      advanceTally(w.store(), PE, 50n);
      for (let h = 51n; h < 51n + heights; h++)
        w.call(VOTERS[Number(h % 2n)]!, h, 'lock', [ETM, toHex(OPS[0]!)]);
      advanceTally(w.store(), PE, 100n);
      for (let h = 101n; h < 101n + heights; h++)
        w.call(VOTERS[Number(h % 2n)]!, h, 'lock', [ETM, toHex(OPS[0]!)]);
      w.commit();
      const store = w.store();
      const state = w.state;
      let reads = 0;
      const get = state.getStorage.bind(state);
      state.getStorage = (a, k) => (reads++, get(a, k));
      advanceTally(store, PE, 150n);
      const weighed = weighCandidates(store, PE, 150n, null);
      state.getStorage = get;
      expect(weighed.map((c) => c.votes)).toEqual(
        referenceWeighing(store, PE, 150n).map((c) => c.votes),
      );
      return { buckets: store.locks.bucketCount(OPS[0]!), reads };
    };
    const few = traffic(1n);
    const many = traffic(40n);
    expect(many.buckets).toBe(few.buckets + 78n);
    expect(many.reads).toBe(few.reads);
  });

  it('pins the state root of votes at several heights, a compounded lock and a halving', () => {
    const w = world(P);
    for (let h = 1n; h <= 12n; h++)
      w.call(VOTERS[Number(h % 2n)]!, h, 'lock', [ETM * h, toHex(OPS[Number(h % 3n)]!)]);
    w.call(VOTERS[1]!, 13n, 'vote', [w.store().locks.locksOf(VOTERS[1]!)[0]!, toHex(OPS[2]!)]);
    w.call(VOTERS[0]!, 14n, 'unlock', [w.store().locks.locksOf(VOTERS[0]!)[1]!]);
    w.commit();
    const store = w.store();
    store.elections.setProduced(epochOf(20n, P), [OPS[0]!, OPS[1]!]);
    // As an epoch's end: the tally (its first frame) at 20, then the halving moves votes in it.
    advanceTally(store, P, 20n);
    halveProducers(store, P, epochOf(20n, P), 20n);
    expectTally(store, P);
    for (const op of OPS)
      expect(aggregate(store.locks.bucketsOf(op))).toEqual(expectedBuckets(store, op));
    // The deposits (age 20) were older than the cap (15): all at 20 − ⌊15/2⌋ = 13.
    for (const id of [1n, 2n]) expect(store.locks.getLock(id)!.since).toBe(13n);
    // Changes only with the layout of the system records (src/staking/*-store.ts, the parameters
    // in src/params/store.ts, the slashing records, the vote tally) or the rules that
    // write them (halving, reward weights, the tally's bins):
    // deliberately.
    expect(toHex(w.state.commit().root)).toBe(
      '0x3db3e91fefa6ff7caa1ed790b117a05f2d4a987458b3db531aae9b58aa7d7889',
    );
  });
});
