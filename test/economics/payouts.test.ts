/**
 * Worked examples of the proposer's share (PROTOCOL §7.3) and the voter bonus (§7.4): commission
 * to the operator and the rest pro rata to the voters' weights; no voters → the operator; no
 * candidacy → the coinbase. At an epoch's end A/2 in K equal shares and A/2 to the drawn
 * validator's voters, locks that began voting in the epoch or stopped during it excluded,
 * forfeits in the pool, release capped by the genesis pool.
 */
import { describe, expect, it } from 'vitest';
import { toHex } from '../../src/crypto/bytes.js';
import { bonusDraw, economicState } from '../../src/economics/block.js';
import { pendingRewards, voteWeight } from '../../src/economics/ledger.js';
import {
  DAO_TREASURY,
  STAKING_REWARD_POOL,
  VOTER_BONUS_POOL,
} from '../../src/primitives/system-addresses.js';
import type { ChainParams } from '../../src/params/registry.js';
import { ETM, makeWorld, TEST_PARAMS, type World } from './world.js';

const NO_MINT: ChainParams = { ...TEST_PARAMS, inflationSchedule: [0n] };
const pending = (w: World, id: bigint) => pendingRewards(w.state, w.store.locks.getLock(id)!);

/** c0 (10% commission), c1 (0%), c2 (25%), deposits 10 ETM (locks 1–3); one bare validator. */
const THREE_CANDIDATES_ONE_BARE = {
  candidates: [
    { commissionBps: 1000n, deposit: 10n * ETM },
    { commissionBps: 0n, deposit: 10n * ETM },
    { commissionBps: 2500n, deposit: 10n * ETM },
  ],
  bareValidators: 1,
  users: [1_000n * ETM, 1_000n * ETM],
};

function proposerWorld(params = NO_MINT) {
  const w = makeWorld({
    params,
    ...THREE_CANDIDATES_ONE_BARE,
  });
  const [u1, u2] = w.users as [Uint8Array, Uint8Array];
  const a = w.lockIdOf(w.call(u1, 'lock', [30n * ETM, toHex(w.ops[0]!)])); // lock 4
  const b = w.lockIdOf(w.call(u2, 'lock', [10n * ETM, toHex(w.ops[0]!)])); // lock 5
  // Votes cast in epoch 0 (blocks 1–5) share c0's rewards from epoch 1 on.
  expect(voteWeight(w.state, w.store.locks.getLock(a)!)).toBe(0n);
  for (let h = 1; h <= 5; h++) w.block();
  return { w, u1, u2, a, b };
}

describe("the proposer's share", () => {
  it('commission to the operator, the rest pro rata to the weights x = t·T of its voters', () => {
    const { w, u1, a, b } = proposerWorld();
    expect(w.payFee(u1, 100n * ETM, 0n, 0n)).toBe(true);
    const op0 = w.balance(w.ops[0]!);
    const before = [1n, a, b].map((id) => pending(w, id));
    // All three weights were taken at block 5, the end of epoch 0, after c0's halving: age 2,
    // t = 1: 10, 30 and 10 ETM.
    expect([1n, a, b].map((id) => voteWeight(w.state, w.store.locks.getLock(id)!))).toEqual([
      10n * ETM,
      30n * ETM,
      10n * ETM,
    ]);
    expect(w.rewards.candidateRewards(w.ops[0]!).totalWeight).toBe(50n * ETM);
    const out = w.block({
      proposer: 0,
      proposerFees: 100n * ETM,
      afterEconomics: () => {
        expect(w.balance(w.ops[0]!) - op0).toBe(10n * ETM);
        const gained = [1n, a, b].map((id, i) => pending(w, id) - before[i]!);
        expect(gained).toEqual([18n * ETM, 54n * ETM, 18n * ETM]);
      },
    });
    expect(out.economics.commission).toBe(10n * ETM);
    expect(out.economics.voters).toBe(90n * ETM);
    expect(w.holdings()).toBe(economicState(w.state).supply);
  });

  it('with inflation: the δ part of the mint joins the fees; commission rounds down', () => {
    const { w, u1, a } = proposerWorld(TEST_PARAMS);
    w.payFee(u1, 7n, 0n, 0n);
    const op2 = w.balance(w.ops[2]!);
    w.call(u1, 'vote', [a, toHex(w.ops[2]!)]);
    const out = w.block({ proposer: 2, proposerFees: 7n });
    const delta = (out.economics.minted * TEST_PARAMS.validatorInflationShare) / ETM;
    const total = delta + 7n;
    expect(out.economics.commission).toBe((total * 2500n) / 10_000n);
    expect(out.economics.voters).toBe(total - out.economics.commission);
    expect(w.balance(w.ops[2]!) - op2).toBe(out.economics.commission);
    expect(out.economics.stakers).toBe(out.economics.minted - delta);
  });

  it('a candidate nobody votes for: the operator receives the whole share', () => {
    const { w, u1 } = proposerWorld();
    // c1's only voter is its deposit; unlocking it leaves c1 without voters.
    expect(w.call(w.ops[1]!, 'unlock', [2n])).not.toBeNull();
    expect(w.rewards.candidateRewards(w.ops[1]!).totalWeight).toBe(0n);
    w.payFee(u1, 40n * ETM, 0n, 0n);
    const op1 = w.balance(w.ops[1]!);
    const out = w.block({
      proposer: 1,
      proposerFees: 40n * ETM,
      afterEconomics: () => expect(w.balance(w.ops[1]!) - op1).toBe(40n * ETM),
    });
    expect(out.economics).toMatchObject({ commission: 40n * ETM, voters: 0n });
  });

  it('a proposer without a candidacy receives it all at its own address', () => {
    const { w, u1 } = proposerWorld();
    w.payFee(u1, 25n * ETM, 0n, 0n);
    const bare = w.bare[0]!;
    const pool = w.balance(STAKING_REWARD_POOL);
    const out = w.block({ proposer: 3, proposerFees: 25n * ETM });
    expect(toHex(out.coinbase)).toBe(toHex(bare));
    expect(w.balance(bare)).toBe(25n * ETM);
    expect(w.balance(STAKING_REWARD_POOL)).toBe(pool - 25n * ETM);
    expect(out.economics).toMatchObject({ commission: 25n * ETM, voters: 0n });
  });
});

describe('nothing locked', () => {
  it("the stakers' part goes to the DAO treasury, the δ part to a bare proposer", () => {
    const w = makeWorld({ candidates: [], bareValidators: 2, users: [1_000_000n * ETM] });
    expect(economicState(w.state).totalLocked).toBe(0n);
    const supply = economicState(w.state).supply;
    const out = w.block();
    expect(out.economics.minted > 0n).toBe(true);
    expect(w.balance(DAO_TREASURY)).toBe(out.economics.stakers);
    expect(w.balance(out.coinbase)).toBe(out.economics.minted - out.economics.stakers);
    expect(w.balance(STAKING_REWARD_POOL)).toBe(0n);
    expect(economicState(w.state).supply).toBe(supply + out.economics.minted);
    expect(w.holdings()).toBe(economicState(w.state).supply);
  });
});

describe('the voter bonus at an epoch end', () => {
  /**
   * Epochs 0 (blocks 1–5) and 1 (6–10) have the genesis set [c0, c1, c2, bare] (K = 4); 1 ETM
   * is released a block, no mint, no fees: at an epoch's end only the bonus moves the locks'
   * pending rewards. The draw uses the mix of the epoch's first block.
   */
  function bonusWorld(pool = 1_000n * ETM) {
    return makeWorld({
      params: NO_MINT,
      ...THREE_CANDIDATES_ONE_BARE,
      bonusPool: pool,
    });
  }
  const HALF_EVEN = (A: bigint, K: bigint) => A / 2n / K;

  it('epoch 0: locks that began voting in it are excluded, a bare validator forfeits', () => {
    const w = bonusWorld();
    const lock = w.lockIdOf(w.call(w.users[0]!, 'lock', [31n * ETM, toHex(w.ops[0]!)]));
    const seed = w.block().mix; // block 1 opens epoch 0
    for (let h = 2; h < 5; h++) w.block();
    const ids = [1n, 2n, 3n, lock];
    const before = ids.map((id) => pending(w, id));
    const out = w.block({
      afterEconomics: ({ economics }) => {
        const got = ids.map((id, i) => pending(w, id) - before[i]!);
        // A = 5 ETM: 0.625 ETM for each validator's voters, 2.5 ETM more for the drawn one's.
        // The deposits (since 0) are c0–c2's only eligible voters; u1's lock (since 1) is not.
        const d = Number(bonusDraw(seed, 4n));
        const share = (k: number) => HALF_EVEN(5n * ETM, 4n) + (k === d ? (5n * ETM) / 2n : 0n);
        expect(got).toEqual([share(0), share(1), share(2), 0n]);
        expect(economics.bonusPaid).toBe(share(0) + share(1) + share(2));
      },
    });
    const e = economicState(w.state);
    expect(e.bonusPending).toBe(0n);
    // The bare validator's share (and the lottery's half if it drew it) stays in the pool, and
    // is no longer counted as released: it will be released again.
    expect(e.bonusReleased).toBe(out.economics.bonusPaid);
    expect(w.balance(VOTER_BONUS_POOL)).toBe(1_000n * ETM - out.economics.bonusPaid);
    expect(w.holdings()).toBe(e.supply);
  });

  it('epoch 1: pro rata to the weights; a lock that stops voting mid-epoch has no share', () => {
    const w = bonusWorld();
    const [u1, u2] = w.users as [Uint8Array, Uint8Array];
    const stays = w.lockIdOf(w.call(u1, 'lock', [31n * ETM, toHex(w.ops[0]!)]));
    const leaves = w.lockIdOf(w.call(u2, 'lock', [20n * ETM, toHex(w.ops[0]!)]));
    for (let h = 1; h <= 5; h++) w.block();
    const seed = w.block().mix; // block 6 opens epoch 1
    // Refreshed at block 5 (epoch 1's start) after the halving: all c0 voters since 3, t = 1.
    expect(
      [1n, stays, leaves].map((id) => voteWeight(w.state, w.store.locks.getLock(id)!)),
    ).toEqual([10n * ETM, 31n * ETM, 20n * ETM]);
    // Block 7: u2's lock stops voting, a new voter for c0 (excluded this epoch), and c2's
    // deposit leaves (c2 forfeits).
    expect(w.call(u2, 'unvote', [leaves])).not.toBeNull();
    const fresh = w.lockIdOf(w.call(u1, 'lock', [20n * ETM, toHex(w.ops[0]!)]));
    expect(w.call(w.ops[2]!, 'unlock', [3n])).not.toBeNull();
    for (let h = 7; h < 10; h++) w.block();
    const ids = [1n, stays, leaves, fresh, 2n];
    const before = ids.map((id) => pending(w, id));
    const poolBefore = w.balance(VOTER_BONUS_POOL);
    w.block({
      afterEconomics: ({ economics }) => {
        const A = 5n * ETM;
        const d = Number(bonusDraw(seed, 4n));
        const share = (k: number) => HALF_EVEN(A, 4n) + (k === d ? A / 2n : 0n);
        const got = ids.map((id, i) => pending(w, id) - before[i]!);
        const c0 = share(0);
        // c0's share goes to the deposit and the lock that stayed, 10 : 31 (each rounded down);
        // the lock that unvoted gets nothing, and nothing of it is lost: the stayers share it.
        expect(got[0]).toBe((c0 * 10n) / 41n);
        expect(got[1]).toBe((c0 * 31n) / 41n);
        expect(got[2]).toBe(0n);
        expect(got[3]).toBe(0n); // began voting in epoch 1
        expect(got[4]).toBe(share(1));
        // Whole shares leave the pool for the voters of c0 and c1; c2 (no voters) and the bare
        // validator forfeit theirs, which stay in the pool.
        expect(economics.bonusPaid).toBe(share(0) + share(1));
        expect(w.balance(VOTER_BONUS_POOL)).toBe(poolBefore - economics.bonusPaid);
      },
    });
  });

  it('the draw uses the mix after the epoch’s first block revealed by a proposer other than the previous epoch’s last', () => {
    // The deposits are the only voters: each validator's deposit gets A/2/K, the drawn one's
    // A/2 more. Over epochs where the seed and the epoch's last mix would draw differently, the
    // chain follows the seed.
    const w = bonusWorld();
    let checked = 0;
    let lastProposer = '';
    for (let e = 0; e < 10; e++) {
      let seed: Uint8Array | null = null;
      for (let i = 0; i < 4; i++) {
        const b = w.block();
        if (!seed && b.reveal.length > 0 && toHex(b.coinbase) !== lastProposer) seed = b.mix;
      }
      const before = [1n, 2n, 3n].map((id) => pending(w, id));
      const A = economicState(w.state).bonusPending;
      const out = w.block();
      if (!seed && out.reveal.length > 0 && toHex(out.coinbase) !== lastProposer) seed = out.mix;
      lastProposer = toHex(out.coinbase);
      const released = A + out.economics.bonusReleased;
      const K = BigInt(out.validators.length);
      const drawn = bonusDraw(seed!, K);
      if (drawn === bonusDraw(out.mix, K)) continue;
      checked++;
      out.validators.forEach((key, k) => {
        const i = w.keys.findIndex((x) => toHex(x) === toHex(key));
        if (i < 0) return; // the bare validator: forfeits
        const got = pending(w, BigInt(i + 1)) - before[i]!;
        expect(got).toBe(released / 2n / K + (BigInt(k) === drawn ? released / 2n : 0n));
      });
    }
    expect(checked).toBeGreaterThan(2);
  });

  it('the previous epoch’s last proposer cannot know the draw: its own next block, or a block without a reveal, is skipped', () => {
    // Validators [c0, c1, c2, bare]; choose the proposers: c2 ends epoch 0 (block 5) and opens
    // epoch 1 (block 6), the bare validator (no reveal) proposes block 7, c0 block 8.
    const w = bonusWorld();
    for (let h = 1; h < 5; h++) w.block();
    expect(toHex(w.block({ proposer: 2 }).coinbase)).toBe(toHex(w.keys[2]!));
    const six = w.block({ proposer: 2 });
    const seven = w.block({ proposer: 3 });
    expect(seven.reveal.length).toBe(0);
    const eight = w.block({ proposer: 0 });
    const e = economicState(w.state);
    expect(e.bonusSeedAt).toBe(8n);
    expect(toHex(e.bonusSeed)).toBe(toHex(eight.mix));
    expect(toHex(e.bonusSeed)).not.toBe(toHex(six.mix));
    // It stays the seed for the rest of the epoch.
    w.block();
    w.block();
    expect(economicState(w.state).bonusSeedAt).toBe(8n);
  });

  it('never releases more than the genesis pool, whatever the pool account receives later', () => {
    const w = bonusWorld(2n * ETM);
    // 10 ETM sent to the pool account after genesis: not part of the bonus.
    expect(w.transfer(w.users[0]!, VOTER_BONUS_POOL, 10n * ETM)).toBe(true);
    let paid = 0n;
    let released = 0n;
    for (let h = 1; h <= 40; h++) {
      const { economics } = w.block();
      paid += economics.bonusPaid;
      released += economics.bonusReleased;
      const e = economicState(w.state);
      expect(e.bonusReleased).toBe(paid + e.bonusPending);
      expect(e.bonusReleased <= 2n * ETM).toBe(true);
      expect(paid + w.balance(VOTER_BONUS_POOL)).toBe(12n * ETM);
    }
    expect(released > 2n * ETM).toBe(true); // forfeits of the epochs 0 and 1 released again
    expect(paid > 2n * ETM - 10n && paid <= 2n * ETM).toBe(true);
    expect(w.balance(VOTER_BONUS_POOL) >= 10n * ETM).toBe(true);
  });

  // A claim does not re-take the time gain t: the weight stays the epoch's start's.
  it('two equal locks with the same history get equal bonus, whoever claimed mid-epoch', () => {
    const w = bonusWorld();
    const [u1, u2] = w.users as [Uint8Array, Uint8Array];
    const x = w.lockIdOf(w.call(u1, 'lock', [10n * ETM, toHex(w.ops[1]!)]));
    const y = w.lockIdOf(w.call(u2, 'lock', [10n * ETM, toHex(w.ops[1]!)]));
    for (let h = 1; h <= 6; h++) w.block();
    expect(w.call(u1, 'claim', [x])).not.toBeNull(); // block 7
    for (let h = 7; h < 10; h++) w.block();
    const bx = pending(w, x);
    const by = pending(w, y);
    w.block();
    const gx = pending(w, x) - bx;
    const gy = pending(w, y) - by;
    expect(gy > 0n).toBe(true);
    const diff = gx > gy ? gx - gy : gy - gx;
    expect(diff <= 1n, `claimer ${gx} vs holder ${gy}`).toBe(true);
  });
});
