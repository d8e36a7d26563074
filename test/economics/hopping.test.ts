/**
 * Vote hopping (docs/economics.md "The proposer's share"): a lock earns a candidate's voters'
 * share only from the first epoch that begins after it voted for that candidate, so re-voting
 * for each block's proposer earns nothing, and no sequence of vote changes earns more than
 * keeping the vote with the same stake.
 */
import fc from 'fast-check';
import { voteWeight } from '../../src/economics/ledger.js';
import { decodeFunctionResult } from 'viem';
import { describe, expect, it } from 'vitest';
import { toHex } from '../../src/crypto/bytes.js';
import type { ChainParams } from '../../src/params/registry.js';
import { STAKING_ABI } from '../../src/staking/abi.js';
import { ETM, makeWorld, TEST_PARAMS, type World } from './world.js';

/** Four candidates, all elected every epoch (3 ranked + 1 drawn), 2 blocks each per epoch. */
const PARAMS: ChainParams = {
  ...TEST_PARAMS,
  epochBlocks: 8n,
  rankedSeats: 3n,
  lotterySeats: 1n,
  inflationSchedule: [0n],
};
const FEE = 10n * ETM;

function hopWorld(params = PARAMS) {
  const w = makeWorld({
    params,
    // Equal candidates: the same commission and deposit.
    candidates: [0, 1, 2, 3].map(() => ({ commissionBps: 1000n, deposit: 10n * ETM })),
    users: [1_000n * ETM, 1_000n * ETM, 1_000_000n * ETM],
  });
  const [hopper, stayer, payer] = w.users as [Uint8Array, Uint8Array, Uint8Array];
  // Both lock 100 ETM for candidate 0 in block 1.
  const h = w.lockIdOf(w.call(hopper, 'lock', [100n * ETM, toHex(w.ops[0]!)]));
  const s = w.lockIdOf(w.call(stayer, 'lock', [100n * ETM, toHex(w.ops[0]!)]));
  /** A block whose proposer earns FEE (commission 10%, the rest to its voters). */
  const block = () => {
    expect(w.payFee(payer, FEE, 0n, 0n)).toBe(true);
    return w.block({ proposerFees: FEE });
  };
  return { w, hopper, stayer, h, s, block };
}

/** What a lock has earned so far: its claim pays everything settled and unsettled. */
function claimAll(w: World, owner: Uint8Array, id: bigint): bigint {
  const r = w.call(owner, 'claim', [id])!;
  return decodeFunctionResult({
    abi: STAKING_ABI,
    functionName: 'claim',
    data: toHex(r.returnData),
  }) as bigint;
}

/** The operator of the round-0 proposer of the next block. */
function nextProposer(w: World): Uint8Array {
  const h = w.height() + 1n;
  const set = w.validatorsAt(h);
  const key = set[Number(h % BigInt(set.length))]!;
  return w.ops[w.keys.findIndex((k) => toHex(k) === toHex(key))]!;
}

describe('vote hopping', () => {
  it("re-voting for every block's proposer earns no more than keeping the vote", () => {
    const { w, hopper, stayer, h, s, block } = hopWorld();
    let hops = 0;
    for (let i = 0; i < 80; i++) {
      if (w.call(hopper, 'vote', [h, toHex(nextProposer(w))])) hops++;
      block();
    }
    expect(hops).toBeGreaterThan(50);
    const hopped = claimAll(w, hopper, h);
    const stayed = claimAll(w, stayer, s);
    // The stayer shares candidate 0's voters' part with its deposit (2 blocks of 9 ETM an
    // epoch). The hopper earns only when the vote it cast in an epoch's last block happens to
    // be for a proposer of the next epoch and stays put until that proposer's turn.
    expect(stayed).toBeGreaterThan(100n * ETM);
    expect(hopped * 10n < stayed, `hopper ${hopped}, stayer ${stayed}`).toBe(true);
  });

  it('a vote changed during an epoch earns from the next epoch on', () => {
    const { w, hopper, h, block } = hopWorld();
    while (w.height() < 8n) block(); // epoch 0 ends at block 8
    // Block 9 (epoch 1): the hopper moves to candidate 1 and stays.
    expect(w.call(hopper, 'vote', [h, toHex(w.ops[1]!)])).not.toBeNull();
    expect(voteWeight(w.state, w.store.locks.getLock(h)!)).toBe(0n);
    while (w.height() < 16n) block();
    expect(claimAll(w, hopper, h)).toBe(0n); // nothing from candidate 1 in epoch 1
    // Refreshed at block 16 for epoch 2: age 7 halved to 3 (candidate 1 produced in epoch 1),
    // so t = 2 at 3 blocks a day: x = 200 ETM.
    expect(voteWeight(w.state, w.store.locks.getLock(h)!)).toBe(200n * ETM);
    while (w.height() < 24n) block();
    expect(claimAll(w, hopper, h) > 0n).toBe(true); // candidate 1's two blocks of epoch 2
  });

  it('property: no sequence of vote changes earns more than staying put with the same stake', () => {
    type Step = { target: number; blocks: number };
    fc.assert(
      fc.property(
        fc.array(
          fc.record({
            // 0–3: vote for that candidate; 4: unvote; 5: leave the vote as it is.
            target: fc.integer({ min: 0, max: 5 }),
            blocks: fc.integer({ min: 0, max: 5 }),
          }),
          { minLength: 1, maxLength: 24 },
        ),
        (steps: Step[]) => {
          const { w, hopper, stayer, h, s, block } = hopWorld();
          for (const step of steps) {
            if (step.target < 4) w.call(hopper, 'vote', [h, toHex(w.ops[step.target]!)]);
            else if (step.target === 4) w.call(hopper, 'unvote', [h]);
            for (let i = 0; i < step.blocks; i++) block();
          }
          // To the end of the epoch after next, so that a last vote can earn too.
          const end = (w.height() / 8n + 2n) * 8n;
          while (w.height() < end) block();
          const hopped = claimAll(w, hopper, h);
          const stayed = claimAll(w, stayer, s);
          // Up to rounding: each settlement rounds a lock's due down by less than one unit.
          expect(hopped <= stayed + 1n, `hopper ${hopped} > stayer ${stayed}`).toBe(true);
        },
      ),
      { seed: 1201, numRuns: 60 },
    );
  });
});
