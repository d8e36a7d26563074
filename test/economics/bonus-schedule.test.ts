/**
 * The voter bonus schedule and the pool's cap (PROTOCOL §7.4, §12.4): stage edges, the divisor,
 * the schedule's total, and release under the cap min(offered, pool − pending), both by stage
 * arithmetic over the full 59,328,000 blocks and block by block through applyBlockEconomics.
 */
import { describe, expect, it } from 'vitest';
import { economicState } from '../../src/economics/block.js';
import { BONUS_STAGES, bonusPerBlock, bonusScheduleTotal } from '../../src/economics/bonus.js';
import { VOTER_BONUS_POOL } from '../../src/primitives/system-addresses.js';
import { ETM, makeWorld, TEST_PARAMS } from './world.js';

const CENT = ETM / 100n;

describe('bonusPerBlock', () => {
  it('divisor 1: the table of PROTOCOL §7.4 at every stage edge', () => {
    const table: [bigint, bigint][] = [
      [0n, ETM],
      [10_111_999n, ETM],
      [10_112_000n, 50n * CENT],
      [20_223_999n, 50n * CENT],
      [20_224_000n, 25n * CENT],
      [50_559_999n, 25n * CENT],
      [50_560_000n, 26n * CENT],
      [59_327_999n, 26n * CENT],
      [59_328_000n, 0n],
      [10n ** 12n, 0n],
    ];
    for (const [h, v] of table) expect(bonusPerBlock(h, 1n), `h=${h}`).toBe(v);
  });

  it('divisor 60: stages 60 times shorter (ends rounded down), rates 60 times larger', () => {
    // 10,112,000 / 60 = 168,533.3…: the first stage ends at 168,533.
    const table: [bigint, bigint][] = [
      [0n, 60n * ETM],
      [168_532n, 60n * ETM],
      [168_533n, 30n * ETM],
      [337_065n, 30n * ETM],
      [337_066n, 15n * ETM],
      [842_665n, 15n * ETM],
      [842_666n, (1560n * ETM) / 100n],
      [988_799n, (1560n * ETM) / 100n],
      [988_800n, 0n],
    ];
    for (const [h, v] of table) expect(bonusPerBlock(h, 60n), `h=${h}`).toBe(v);
    // One devnet epoch of 20 blocks pays 60 ETM per block-equivalent of the reference epoch.
    expect(bonusScheduleTotal(21n, 60n) - bonusScheduleTotal(1n, 60n)).toBe(1200n * ETM);
  });

  it('bonusScheduleTotal is the sum of bonusPerBlock (checked around every stage edge)', () => {
    for (const s of [1n, 7n, 60n, 100_000n]) {
      const edges = BONUS_STAGES.map((st) => st.end / s);
      for (const e of [0n, 1n, ...edges]) {
        for (const h of [e - 2n, e - 1n, e, e + 1n, e + 2n]) {
          if (h < 0n) continue;
          expect(bonusScheduleTotal(h + 1n, s) - bonusScheduleTotal(h, s), `s=${s} h=${h}`).toBe(
            bonusPerBlock(h, s),
          );
        }
      }
    }
    expect(bonusScheduleTotal(0n, 1n)).toBe(0n);
  });
});

describe('the full schedule', () => {
  it('sums to 25,031,680 ETM over its 59,328,000 blocks', () => {
    let total = 0n;
    let start = 0n;
    for (const s of BONUS_STAGES) {
      total += (s.end - start) * s.perBlock; // by stages, not block by block
      start = s.end;
    }
    expect(start).toBe(59_328_000n);
    expect(total).toBe(25_031_680n * ETM);
    expect(bonusScheduleTotal(59_328_000n, 1n)).toBe(total);
    expect(bonusScheduleTotal(10n ** 12n, 1n)).toBe(total);
  });

  it('with divisor 60 sums to 25,031,660.4 ETM (stage ends 60 ∤ 10,112,000 are rounded down)', () => {
    // 168,533·60 + 168,533·30 + 505,600·15 + 146,134·15.6 ETM.
    expect(bonusScheduleTotal(988_800n, 60n)).toBe(250_316_604n * (ETM / 10n));
  });

  /** Release under the cap, by stages: released(h) = min(scheduleTotal(h), pool) when all is paid. */
  function releaseByStages(pool: bigint, divisor: bigint) {
    let released = 0n;
    let start = 0n;
    for (const s of BONUS_STAGES) {
      const end = s.end / divisor;
      const rate = s.perBlock * divisor;
      const stageTotal = (end - start) * rate;
      if (released + stageTotal >= pool) {
        const full = (pool - released) / rate; // blocks that release a full rate
        const rest = pool - released - full * rate; // the last, partial release
        return {
          released: pool,
          lastFull: start + full - 1n,
          partial: rest,
          partialAt: start + full,
        };
      }
      released += stageTotal;
      start = end;
    }
    return { released, lastFull: start - 1n, partial: 0n, partialAt: start };
  }

  it('a 25,000,000 ETM pool pays exactly the pool, then release stops', () => {
    const pool = 25_000_000n * ETM;
    const r = releaseByStages(pool, 1n);
    expect(r.released).toBe(pool);
    // Stages 1–3 release 22,752,000 ETM; 2,248,000 ETM remain for 0.26 ETM blocks:
    // 8,646,153 full blocks and a last one of 0.22 ETM at height 59,206,153.
    expect(bonusScheduleTotal(50_560_000n, 1n)).toBe(22_752_000n * ETM);
    expect(r.lastFull).toBe(50_560_000n + 8_646_153n - 1n);
    expect(r.partialAt).toBe(59_206_153n);
    expect(r.partial).toBe(22n * CENT);
    // Cross-check with the cap rule min(offered, genesis pool − released) applied at the edges.
    const available = (h: bigint) => pool - bonusScheduleTotal(h, 1n);
    expect(available(r.partialAt)).toBe(r.partial);
    expect(bonusPerBlock(r.partialAt, 1n) > available(r.partialAt)).toBe(true);
    expect(bonusScheduleTotal(r.partialAt, 1n) + r.partial).toBe(pool);
  });
});

describe('release block by block (divisor 100,000: the schedule ends at block 593)', () => {
  const params = { ...TEST_PARAMS, bonusScheduleDivisor: 100_000n, inflationSchedule: [0n] };

  it('pays at most the pool; paid + left = initial; release 0 once the pool is spent', () => {
    // 25,013,000 ETM offered; a 20,000,000 ETM pool is spent during stage 3 (blocks 202–504).
    const initial = 20_000_000n * ETM;
    const w = makeWorld({ params, bonusPool: initial, bareValidators: 1, onionLength: 400 });
    let paid = 0n;
    let releasedSum = 0n;
    let emptyAt = -1n;
    for (let h = 1n; h <= 700n; h++) {
      const before = w.state.getAccount(VOTER_BONUS_POOL).balance;
      const releasedBefore = economicState(w.state).bonusReleased;
      const { economics } = w.block();
      const e = economicState(w.state);
      const pool = w.state.getAccount(VOTER_BONUS_POOL).balance;
      paid += economics.bonusPaid;
      releasedSum += economics.bonusReleased;
      // The cap: released = min(offered, genesis pool − released and not returned).
      const offered = bonusPerBlock(h, 100_000n);
      const avail = initial - releasedBefore;
      expect(economics.bonusReleased).toBe(offered < avail ? offered : avail);
      // Released and not returned = paid + pending: nothing is counted twice.
      expect(e.bonusReleased).toBe(paid + e.bonusPending);
      expect(e.bonusPending <= pool).toBe(true);
      expect(economics.bonusPaid <= before).toBe(true);
      expect(paid + pool).toBe(initial);
      expect(w.holdings()).toBe(e.supply);
      if (emptyAt < 0n && e.bonusReleased === initial) emptyAt = h;
      // Once spent, only what a payout leaves (a few units) is released again.
      if (emptyAt >= 0n && h > emptyAt) expect(economics.bonusReleased < 1_000n).toBe(true);
      if (h >= 593n) expect(economics.bonusReleased).toBe(0n);
    }
    expect(emptyAt > 0n && emptyAt < 505n).toBe(true);
    // Epochs 0 and 1 had a validator without a candidacy: its shares were forfeited and
    // released again (counted once in bonusReleased, more than once in the blocks' releases).
    expect(releasedSum > paid).toBe(true);
    expect(economicState(w.state).bonusReleased).toBe(paid);
    const left = w.state.getAccount(VOTER_BONUS_POOL).balance;
    expect(paid + left).toBe(initial);
    expect(left < 1_000n).toBe(true);
  });

  it('a pool without voters to pay keeps everything: every share is forfeited', () => {
    const initial = 1_000_000n * ETM;
    const w = makeWorld({ params, bonusPool: initial, candidates: [], bareValidators: 3 });
    for (let h = 1n; h <= 40n; h++) {
      const { economics } = w.block();
      expect(economics.bonusPaid).toBe(0n);
      expect(w.state.getAccount(VOTER_BONUS_POOL).balance).toBe(initial);
      expect(economicState(w.state).bonusPending <= initial).toBe(true);
    }
  });
});
