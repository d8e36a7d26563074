/**
 * The staking system's per-block work (PROTOCOL §5, §6) with worked examples: RANDAO reveals,
 * proposer turns, unbonding release, halving, weights, and the election at an epoch's end.
 */
import { describe, expect, it } from 'vitest';
import { encodeFunctionData } from 'viem';
import { fromHex, toHex } from '../../src/crypto/bytes.js';
import { keccak256 } from '../../src/crypto/keccak.js';
import { DEFAULT_PARAMS, ETM, type ChainParams } from '../../src/params/registry.js';
import { createOnion } from '../../src/election/randao.js';
import { SCALE, toDecimalString } from '../../src/math/fixed.js';
import { STAKING_ABI } from '../../src/staking/abi.js';
import {
  stakingEndBlock,
  stakingEndEpoch,
  halveProducers,
  nextMix,
  weighCandidates,
} from '../../src/staking/block-hooks.js';
import { BlockError } from '../../src/primitives/block-error.js';
import { callContract } from '../../src/execution/call.js';
import { stakingContract } from '../../src/execution/modules/staking.js';
import { writeModulesGenesis } from '../../src/execution/registry.js';
import { CONCAVE_ON_LOCK } from '../../src/params/registry.js';
import { epochOf } from '../../src/staking/epochs.js';
import { candidateWeight, performance, timeGain } from '../../src/staking/weights.js';
import { StateDB } from '../../src/state/state-db.js';
import { EMPTY_TRIE_ROOT, MemoryNodeStore } from '../../src/state/trie.js';
import { halvedSince } from '../../src/staking/lock-store.js';
import { stakingStores } from '../../src/staking/stores.js';
import { isEpochEnd } from '../../src/staking/epochs.js';

/** The staking module's block work: endBlock, and endEpoch at an epoch's last block. */
function applyBlockStaking(state: StateDB, input: Parameters<typeof stakingEndBlock>[1]) {
  stakingEndBlock(state, input);
  return isEpochEnd(input.height, input.params)
    ? stakingEndEpoch(state, input)
    : { nextValidators: [], electionWeights: null };
}

const P: ChainParams = {
  ...DEFAULT_PARAMS,
  epochBlocks: 10n,
  blocksPerDay: 10n,
  candidateDeposit: ETM,
  rankedSeats: 2n,
  lotterySeats: 1n,
};
const a = (n: number) => new Uint8Array(20).fill(n);
const OPS = [a(0xa1), a(0xa2), a(0xa3), a(0xa4)];
const KEYS = [a(0xb1), a(0xb2), a(0xb3), a(0xb4)];
const onions = KEYS.map((_, i) => createOnion(new Uint8Array(32).fill(i + 1), 100));

function world(params = P) {
  const state = new StateDB(EMPTY_TRIE_ROOT, new MemoryNodeStore());
  OPS.forEach((op) => state.putAccount(op, { ...state.getAccount(op), balance: 100n * ETM }));
  writeModulesGenesis({
    state,
    validators: KEYS,
    candidates: OPS.map((op, i) => ({
      operator: op,
      consensusKey: KEYS[i]!,
      name: `c${i}`,
      deposit: ETM,
      commissionBps: 0n,
      commissionMaxBps: 0n,
      randaoCommitment: onions[i]!.commitment,
    })),
    params,
    supply: 400n * ETM,
  });
  let mix: Uint8Array = new Uint8Array(32);
  const reveals = [0, 0, 0, 0];
  /** Runs the hooks of block `height` proposed by validator `who` (index into KEYS). */
  const block = (height: bigint, who: number, order = KEYS) => {
    const reveal = onions[who]!.reveal(reveals[who]!++);
    mix = nextMix(mix, reveal);
    return applyBlockStaking(state, {
      height,
      // The round whose proposer `who` is: (its place − height) mod K.
      round: (((BigInt(order.indexOf(KEYS[who]!)) - height) % 4n) + 4n) % 4n,
      params,
      coinbase: KEYS[who]!,
      validators: order,
      randaoReveal: reveal,
      mix,
    });
  };
  const call = (sender: Uint8Array, height: bigint, fn: string, args: unknown[]) =>
    callContract(
      stakingContract,
      { state, params, height, sender, value: 0n },
      fromHex(encodeFunctionData({ abi: STAKING_ABI, functionName: fn, args } as never)),
    );
  return { state, store: stakingStores(state), block, call, mix: () => mix };
}

describe('RANDAO in blocks', () => {
  it('accepts the next layer, records it, and rejects anything else', () => {
    const w = world();
    w.block(1n, 1);
    const c = w.store.candidates.getCandidate(OPS[1]!)!;
    expect(toHex(c.randaoLast)).toBe(toHex(onions[1]!.reveal(0)));
    expect(c.randaoReveals).toBe(1n);
    const bad = () =>
      applyBlockStaking(w.state, {
        height: 2n,
        round: 0n,
        params: P,
        coinbase: KEYS[2]!,
        validators: KEYS,
        randaoReveal: onions[2]!.reveal(1), // skips a layer
        mix: new Uint8Array(32),
      });
    expect(bad).toThrow(BlockError);
    expect(bad).toThrow(expect.objectContaining({ code: 'exec.randao-wrong' }));
    const missing = () =>
      applyBlockStaking(w.state, {
        height: 2n,
        round: 0n,
        params: P,
        coinbase: KEYS[2]!,
        validators: KEYS,
        randaoReveal: new Uint8Array(0),
        mix: new Uint8Array(32),
      });
    expect(missing).toThrow(expect.objectContaining({ code: 'exec.randao-missing' }));
  });

  it('folds reveals into the mix: keccak256(mix xor reveal)', () => {
    const mix = new Uint8Array(32).fill(1);
    const reveal = new Uint8Array(32).fill(3);
    expect(toHex(nextMix(mix, reveal))).toBe(toHex(keccak256(new Uint8Array(32).fill(2))));
    expect(nextMix(mix, new Uint8Array(0))).toBe(mix);
  });
});

describe('proposer turns', () => {
  it('credits the proposer and charges the rounds before it', () => {
    const w = world();
    // Height 5, K = 4: round 0 → KEYS[1], round 1 → KEYS[2], round 2 → KEYS[3].
    w.block(5n, 3);
    expect(w.store.elections.perf(OPS[3]!)).toEqual([{ epoch: 0n, m: 1n, n: 1n }]);
    expect(w.store.elections.perf(OPS[1]!)).toEqual([{ epoch: 0n, m: 0n, n: 1n }]);
    expect(w.store.elections.perf(OPS[2]!)).toEqual([{ epoch: 0n, m: 0n, n: 1n }]);
    expect(w.store.elections.perf(OPS[0]!)).toEqual([]);
    w.block(6n, 2); // round 0 at height 6 is KEYS[2]
    expect(w.store.elections.perf(OPS[2]!)).toEqual([{ epoch: 0n, m: 1n, n: 2n }]);
    expect(w.store.elections.produced(0n).map(toHex)).toEqual([OPS[2]!, OPS[3]!].map(toHex));
  });

  it('keeps only the last perfWindowEpochs epochs', () => {
    const w = world({ ...P, perfWindowEpochs: 2n });
    w.block(2n, 2); // epoch 0
    w.block(12n, 0); // epoch 1
    w.block(22n, 2); // epoch 2: epoch 0 drops out
    expect(w.store.elections.perf(OPS[2]!).map((e) => e.epoch)).toEqual([2n]);
  });
});

describe('weights', () => {
  it('t grows by one a day up to tMax', () => {
    expect([0n, 9n, 10n, 25n, 10_000n].map((age) => timeGain(age, P))).toEqual([
      1n,
      1n,
      2n,
      3n,
      32n,
    ]);
  });

  it('X = (Σx)^u per candidate, or Σ x^u per lock', () => {
    // 16 ETM of weight: 16^0.75 = 8.
    expect(toDecimalString(candidateWeight([ETM, 15n * ETM], P), 30)).toBe(
      '8.000000000000000000000000000000',
    );
    const perLock = candidateWeight([ETM, 15n * ETM], { ...P, concaveOn: CONCAVE_ON_LOCK });
    // 1 + 15^0.75 = 1 + 7.62199…
    expect(toDecimalString(perLock, 5)).toBe('8.62199');
    expect(candidateWeight([], P)).toBe(0n);
  });

  it('v = m/n, the newcomer value, or 1/(10 n²)', () => {
    expect(performance(3n, 4n, SCALE)).toBe((3n * SCALE) / 4n);
    expect(performance(0n, 0n, SCALE / 2n)).toBe(SCALE / 2n);
    expect(performance(0n, 2n, SCALE)).toBe(SCALE / 40n);
  });

  it('weighs a candidate: deposit plus aged votes, times v', () => {
    const w = world();
    // A 5 ETM lock for candidate 0 at height 1, weighed at height 21: age 20, t = 3, x = 15.
    w.call(OPS[1]!, 1n, 'lock', [5n * ETM, toHex(OPS[0]!)]);
    w.block(3n, 3); // height 3: round 0 → KEYS[3]: candidate 3 has m = n = 1
    const weighed = weighCandidates(w.store, P, 21n, w.store.elections.epochRecord(0n));
    const c0 = weighed.find((c) => toHex(c.operator) === toHex(OPS[0]!))!;
    // deposit 1 ETM since 0: t = 3 → 3; lock 5 ETM since 1: t = 3 → 15. Σx = 18 ETM.
    expect(c0.votes).toBe(18n * ETM);
    expect(toDecimalString(c0.X, 6)).toBe('8.738851'); // 18^0.75 = 8.73885…
    expect(c0.v).toBe(SCALE); // a newcomer: the validators' average (all at 1)
    const c3 = weighed.find((c) => toHex(c.operator) === toHex(OPS[3]!))!;
    expect([c3.m, c3.n, c3.v]).toEqual([1n, 1n, SCALE]);
  });
});

describe('unbonding', () => {
  it('releases an unlocked amount into the balance at its height, not before', () => {
    const w = world({ ...P, unbondingBlocks: 3n });
    const id = 5n; // locks 1–4 are the genesis deposits
    w.call(OPS[1]!, 1n, 'lock', [5n * ETM, toHex(new Uint8Array(20))]);
    w.call(OPS[1]!, 2n, 'unlock', [id]);
    w.block(4n, 0);
    expect(w.state.getAccount(OPS[1]!)).toMatchObject({ balance: 94n * ETM, locked: 6n * ETM });
    w.block(5n, 1);
    expect(w.state.getAccount(OPS[1]!)).toMatchObject({ balance: 99n * ETM, locked: ETM });
    expect(w.store.locks.unbondingOf(OPS[1]!)).toEqual([]);
    expect(w.store.locks.releasesAt(5n)).toEqual([]);
  });
});

describe('end of an epoch', () => {
  it('halves the ages behind producers, elects the epoch after next, announces the next', () => {
    const w = world();
    w.call(OPS[1]!, 1n, 'lock', [5n * ETM, toHex(OPS[0]!)]); // lock 5 votes for candidate 0
    w.call(OPS[1]!, 1n, 'lock', [5n * ETM, toHex(OPS[2]!)]); // lock 6 votes for candidate 2
    for (let h = 1n; h < 10n; h++) {
      expect(w.block(h, Number(h % 4n)).nextValidators).toEqual([]);
    }
    // Block 10 ends epoch 0, in which all four candidates produced blocks.
    const out = w.block(10n, 2);
    expect(out.nextValidators.map(toHex)).toEqual(KEYS.map(toHex)); // epoch 1: the genesis set
    // Every candidate produced in epoch 0, so every lock's age was halved at height 10:
    // lock 5: since 1, age 9 → since 1 + ceil(9/2) = 6; deposits: since 0 → 5.
    expect(w.store.locks.getLock(5n)!.since).toBe(6n);
    expect(w.store.locks.getLock(1n)!.since).toBe(5n);
    expect(w.store.elections.produced(0n)).toEqual([]);
    const e2 = w.store.elections.epochRecord(2n)!;
    expect(toHex(e2.seed)).toBe(toHex(w.mix()));
    expect(e2.electedAt).toBe(10n);
    expect(e2.ranked).toHaveLength(2);
    expect(e2.drawn).toHaveLength(1);
    expect(e2.validators).toHaveLength(3);
    // The heaviest two (candidates 0 and 2, with 5 ETM of votes each) hold the ranked seats.
    expect(e2.ranked.map(toHex).sort()).toEqual([OPS[0]!, OPS[2]!].map(toHex).sort());
    expect(
      e2.operators.map((op) => toHex(w.store.candidates.getCandidate(op)!.consensusKey)),
    ).toEqual(e2.validators.map(toHex));
  });

  it('halving halves t even for old locks: the age is capped at (tMax − 1)·blocksPerDay first', () => {
    const w = world();
    // The deposit of candidate 0 (lock 1, since 0) at height 1,000: age 1,000, t = 32 (the cap
    // is 31 days of 10 blocks). Halved five times over at that height, t goes 32 → 16 → 8 → 4 →
    // 2 → 1; halving the uncapped age (1,000 → 500) would have left t = 32.
    const h = 1_000n;
    const ts: bigint[] = [timeGain(h - w.store.locks.getLock(1n)!.since, P)];
    for (let i = 0; i < 6; i++) {
      w.store.elections.setProduced(epochOf(h, P), [OPS[0]!]);
      halveProducers(w.store, P, epochOf(h, P), h);
      ts.push(timeGain(h - w.store.locks.getLock(1n)!.since, P));
    }
    expect(ts).toEqual([32n, 16n, 8n, 4n, 2n, 1n, 1n]);
    // The first halving: age min(1,000, 310) = 310 → since = 1,000 − 155.
    expect(halvedSince(0n, h, P)).toBe(845n);
    // Below the cap it is the plain halving: since + ⌈age/2⌉.
    expect(halvedSince(990n, h, P)).toBe(995n);
    expect(halvedSince(991n, h, P)).toBe(996n);
    // The vote buckets moved with the lock.
    expect(w.store.locks.bucketsOf(OPS[0]!).map((b) => b.since)).toEqual([
      w.store.locks.getLock(1n)!.since,
    ]);
  });

  it('does not halve locks behind candidates that produced nothing', () => {
    const w = world();
    w.call(OPS[1]!, 1n, 'lock', [5n * ETM, toHex(OPS[0]!)]);
    // Only candidates 1–3 propose (candidate 0 is never the coinbase).
    for (let h = 1n; h <= 10n; h++) w.block(h, 1 + Number(h % 3n), [KEYS[1]!, KEYS[2]!, KEYS[3]!]);
    expect(w.store.locks.getLock(5n)!.since).toBe(1n);
    expect(w.store.locks.getLock(1n)!.since).toBe(0n);
    expect(w.store.locks.getLock(2n)!.since).toBe(5n);
  });
});
