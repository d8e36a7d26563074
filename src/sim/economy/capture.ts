/**
 * Committee capture: the chance that a coalition with a share s of the locked stake holds at
 * least f+1 (it can stop finality) or 2f+1 (it can finalise alone) of the K seats in one epoch
 * and within a year, for a mix of ranked and lottery seats and an exponent u.
 *
 * The model: N honest candidates share 1 − s equally; the coalition splits s equally over c
 * candidates, choosing the c (1 … K) that maximises its chance of f+1 seats. All have the same
 * time gain and performance, so a candidate's election weight is its stake to the power u (the
 * chain's candidateWeight). Ranked seats go to the heaviest; lottery draws pick among the rest
 * in proportion to weight, without replacement; epochs draw independently.
 *
 * Analytic: an exact dynamic programme over the lottery draws. Monte Carlo: the chain's own
 * `elect` on those weights with seeds keccak256(seed ‖ trial). Probabilities are reports:
 * numbers. The weights passed to `elect` are the chain's bigint values.
 */
import { concatBytes, uint64be } from '../../crypto/bytes.js';
import { keccak256 } from '../../crypto/keccak.js';
import { elect } from '../../election/election.js';
import { CONCAVE_ON_CANDIDATE } from '../../params/registry.js';
import { candidateWeight } from '../../staking/weights.js';
import { faultTolerance } from './stats.js';
import { ETM } from '../../params/registry.js';

export interface CaptureCase {
  /** Coalition share of the stake, 0 < s < 1. */
  share: number;
  rankedSeats: number;
  lotterySeats: number;
  /** Exponent u as a WAD bigint (0.75 = 75·10^16). */
  u: bigint;
  /** Honest candidates. */
  honest: number;
  epochsPerYear: number;
}

export interface CaptureResult extends CaptureCase {
  K: number;
  f: number;
  /** The coalition's candidates (the best split for f+1). */
  split: number;
  analytic: {
    fPlus1: number;
    twoFPlus1: number;
    fPlus1Year: number;
    twoFPlus1Year: number;
    meanSeats: number;
  };
  monteCarlo: {
    trials: number;
    fPlus1: number;
    twoFPlus1: number;
    fPlus1Year: number;
    twoFPlus1Year: number;
    meanSeats: number;
  } | null;
}

/** Total stake of the model, in ETM (only ratios matter; large enough for exact shares). */
const TOTAL_ETM = 1_000_000_000n;

/** Election weights (fixed point) of a coalition candidate and an honest one. */
function weights(c: CaptureCase, split: number): { a: bigint; b: bigint } {
  const ppm = BigInt(Math.round(c.share * 1_000_000));
  const coalition = (TOTAL_ETM * ETM * ppm) / 1_000_000n;
  const honest = TOTAL_ETM * ETM - coalition;
  const p = { stakeExponent: c.u, concaveOn: CONCAVE_ON_CANDIDATE };
  return {
    a: candidateWeight([coalition / BigInt(split)], p),
    b: candidateWeight([honest / BigInt(c.honest)], p),
  };
}

/** Distribution of the coalition's seats for a split: probabilities of 0 … K seats. */
function seatDistribution(c: CaptureCase, split: number): number[] {
  const K = c.rankedSeats + c.lotterySeats;
  const { a, b } = weights(c, split);
  // Ranked seats: the heavier side first (a tie goes to the coalition: the worse case).
  let ranked = 0;
  if (a >= b) ranked = Math.min(split, c.rankedSeats);
  else ranked = Math.max(0, c.rankedSeats - c.honest);
  ranked = Math.min(ranked, split);
  const cLeft = split - ranked;
  const hLeft = c.honest - (c.rankedSeats - ranked);
  const ratio = Number((a * 1_000_000_000n) / (b === 0n ? 1n : b)) / 1e9;
  // P[x] after j draws: x coalition seats among the j drawn.
  let P = [1];
  for (let j = 0; j < c.lotterySeats; j++) {
    const next = new Array<number>(j + 2).fill(0);
    for (let x = 0; x <= j; x++) {
      const pr = P[x]!;
      if (pr === 0) continue;
      const cw = (cLeft - x) * ratio;
      const hw = hLeft - (j - x);
      if (cw <= 0 && hw <= 0) {
        next[x] = next[x]! + pr;
        continue;
      }
      const pc = cw <= 0 ? 0 : cw / (cw + Math.max(0, hw));
      next[x + 1] = next[x + 1]! + pr * pc;
      next[x] = next[x]! + pr * (1 - pc);
    }
    P = next;
  }
  const dist = new Array<number>(K + 1).fill(0);
  P.forEach((pr, x) => {
    const seats = Math.min(K, ranked + x);
    dist[seats] = dist[seats]! + pr;
  });
  return dist;
}

const atLeast = (dist: readonly number[], n: number) => dist.slice(n).reduce((s, x) => s + x, 0);
const perYear = (p: number, n: number) => 1 - Math.pow(1 - p, n);

/** The analytic figures, with the coalition's best split. */
export function captureAnalytic(c: CaptureCase): CaptureResult {
  const K = c.rankedSeats + c.lotterySeats;
  const f = faultTolerance(K);
  let best = { split: 1, dist: seatDistribution(c, 1) };
  for (let split = 2; split <= K; split++) {
    const dist = seatDistribution(c, split);
    const [p, q] = [atLeast(dist, f + 1), atLeast(best.dist, f + 1)];
    const mean = (d: number[]) => d.reduce((s, x, i) => s + x * i, 0);
    if (p > q + 1e-12 || (Math.abs(p - q) <= 1e-12 && mean(dist) > mean(best.dist)))
      best = { split, dist };
  }
  const d = best.dist;
  const p1 = atLeast(d, f + 1);
  const p2 = atLeast(d, 2 * f + 1);
  return {
    ...c,
    K,
    f,
    split: best.split,
    analytic: {
      fPlus1: p1,
      twoFPlus1: p2,
      fPlus1Year: perYear(p1, c.epochsPerYear),
      twoFPlus1Year: perYear(p2, c.epochsPerYear),
      meanSeats: d.reduce((s, x, i) => s + x * i, 0),
    },
    monteCarlo: null,
  };
}

const addr = (tag: number, i: number) => {
  const a = new Uint8Array(20);
  a[0] = tag;
  a[16] = (i >>> 24) & 255;
  a[17] = (i >>> 16) & 255;
  a[18] = (i >>> 8) & 255;
  a[19] = i & 255;
  return a;
};

/** Monte Carlo over `trials` elections run by the chain's `elect`, at the analytic best split. */
export function captureMonteCarlo(r: CaptureResult, trials: number, seed: number): CaptureResult {
  const { a, b } = weights(r, r.split);
  const candidates = [
    ...Array.from({ length: r.split }, (_, i) => ({ address: addr(0x20, i), weight: a })),
    ...Array.from({ length: r.honest }, (_, i) => ({ address: addr(0x40, i), weight: b })),
  ];
  // The coalition's addresses are the lower ones: a tie for a ranked seat goes to it, as in
  // the analytic model (the worse case).
  const seedBytes = uint64be(seed);
  let hit1 = 0;
  let hit2 = 0;
  let seats = 0;
  for (let t = 0; t < trials; t++) {
    const out = elect({
      candidates,
      rankedSeats: r.rankedSeats,
      lotterySeats: r.lotterySeats,
      seed: keccak256(concatBytes(seedBytes, uint64be(t))),
    });
    const x = out.validators.filter((v) => v[0] === 0x20).length;
    seats += x;
    if (x >= r.f + 1) hit1++;
    if (x >= 2 * r.f + 1) hit2++;
  }
  const p1 = hit1 / trials;
  const p2 = hit2 / trials;
  return {
    ...r,
    monteCarlo: {
      trials,
      fPlus1: p1,
      twoFPlus1: p2,
      fPlus1Year: perYear(p1, r.epochsPerYear),
      twoFPlus1Year: perYear(p2, r.epochsPerYear),
      meanSeats: seats / trials,
    },
  };
}

/** Parses "15+6,21+0" into seat mixes. */
export function parseMixes(text: string): { rankedSeats: number; lotterySeats: number }[] {
  return text.split(',').map((m) => {
    const x = /^\s*(\d{1,3})\+(\d{1,3})\s*$/.exec(m);
    if (!x)
      throw new RangeError(`seat mix ${JSON.stringify(m)}: expected ranked+lottery, e.g. 15+6`);
    const r = { rankedSeats: Number(x[1]), lotterySeats: Number(x[2]) };
    if (r.rankedSeats + r.lotterySeats < 1 || r.rankedSeats + r.lotterySeats > 256)
      throw new RangeError(`seat mix ${m}: 1 to 256 seats`);
    return r;
  });
}
