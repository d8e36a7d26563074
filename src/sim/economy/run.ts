/**
 * A scenario run: the agents act on the simulated chain epoch by epoch, and every epoch gives a
 * row of figures. Agents decide from what a node could read (the APY estimate, the validator
 * sets, the candidates' weights), act through the staking calls, and every amount they move is
 * bigint; their randomness is the seeded PRNG, so a seed gives the same run everywhere.
 *
 * Agent kinds (docs/simulation.md): holder (keeps its tokens liquid, or locks a share once),
 * feedback (locks when the APY estimate is above its target, unlocks below it), candidate
 * (runs a candidacy with an uptime profile), whale (a candidate with a large stake), sybil
 * (its stake split over several candidates or several locks), cartel (members voting for the
 * cartel's candidates), hopper (moves its vote at each epoch's last block to the next epoch's
 * least-backed validator).
 */
import { concatBytes, uint64be } from '../../crypto/bytes.js';
import { keccak256 } from '../../crypto/keccak.js';
import { apyEstimateOf } from '../../economics/figures.js';
import { inflationRateAt } from '../../economics/inflation.js';
import { SCALE } from '../../math/fixed.js';
import { epochBounds } from '../../staking/epochs.js';
import type { Address } from '../../primitives/types.js';
import { Prng } from '../prng.js';
import {
  EconomySim,
  SimRevert,
  type BlockSource,
  type EpochOutcome,
  type SimCandidate,
} from './engine.js';
import type { AgentGroup, AgentKind, Scenario } from './scenario.js';
import { SeededBlocks } from './source.js';
import { etm, faultTolerance, fixed, gini, nakamoto } from './stats.js';
import { WAD } from '../../params/registry.js';

interface Agent {
  kind: AgentKind;
  group: AgentGroup;
  /** Accounts it controls (engine indices). */
  accounts: number[];
  /** The entity controlling its candidates (Nakamoto coefficient). */
  entity: number;
  candidates: SimCandidate[];
  targetApy: bigint;
  staked: boolean;
  /** Rewards paid to it (claims, unlocks), and its earnings at the last Gini sample. */
  paid: bigint;
  sampled: bigint;
  phase: number;
}

/** One epoch's figures. Amounts in ETM, rates and shares as fractions (numbers: reports only). */
export interface EpochRow {
  epoch: number;
  height: number;
  supply: number;
  locked: number;
  stakingRatio: number;
  /** Minted in the epoch over the supply, compounded over a year. */
  inflation: number;
  minted: number;
  /** (1+i)^((1−δ)·B/S) − 1 at the epoch's start; null when nothing is locked. */
  apyEstimate: number | null;
  /** What the epoch paid the locks (stakers' mint, voters' part, bonus) over S, annualised. */
  apyRealised: number | null;
  bonusPool: number;
  bonusPaid: number;
  treasury: number;
  /** Seats of the set elected at the epoch's end that were not in the set before it. */
  churn: number;
  nakamoto: number;
  /** Gini of the agents' earnings since the last sample (null between samples). */
  giniRewards: number | null;
  /** Seats of the set elected at the epoch's end, by the strategy that runs the candidate. */
  seats: Record<string, number>;
}

export interface RunResult {
  scenario: Scenario;
  rows: EpochRow[];
  summary: RunSummary;
  /** Wall time of the simulation itself. */
  seconds: number;
  blocks: number;
  agents: number;
}

export interface RunSummary {
  finalSupply: number;
  finalStakingRatio: number;
  meanStakingRatio: number;
  meanInflation: number;
  /** Medians over the run (the estimate is huge while little is locked). */
  medianApyEstimate: number | null;
  medianApyRealised: number | null;
  meanChurn: number;
  meanNakamoto: number;
  meanGini: number | null;
  /** Mean seat share by strategy over the run. */
  seatShare: Record<string, number>;
  /** Epochs in which one strategy other than `candidate` held ≥ f+1 and ≥ 2f+1 seats. */
  captureEpochs: Record<string, { fPlus1: number; twoFPlus1: number }>;
  treasury: number;
  bonusPool: number;
}

const addressFor = (tag: string, i: number): Address =>
  keccak256(concatBytes(new TextEncoder().encode(tag), uint64be(i))).slice(12);

interface Built {
  sim: EconomySim;
  agents: Agent[];
  /** Strategy of every candidate by operator hex. */
  strategyOf: Map<string, string>;
  entityOf: Map<string, number>;
}

/** The genesis of a scenario and its agents. */
function buildScenario(s: Scenario, source: BlockSource = new SeededBlocks(s.seed)): Built {
  const p = s.params;
  const accounts: { address: Address; balance: bigint }[] = [];
  const account = (balance: bigint) => {
    accounts.push({ address: addressFor('etm/sim-account', accounts.length), balance });
    return accounts.length - 1;
  };
  const prng = new Prng(s.seed ^ 0x5eed);
  const agents: Agent[] = [];
  const registrations: { agent: Agent; account: number; deposit: bigint; bps: bigint }[] = [];
  let held = 0n;
  for (const g of s.agents) {
    for (let n = 0; n < g.count; n++) {
      const agent: Agent = {
        kind: g.kind,
        group: g,
        accounts: [],
        entity: agents.length,
        candidates: [],
        targetApy:
          g.targetApy[0] +
          ((g.targetApy[1] - g.targetApy[0]) * BigInt(prng.below(1_000_001))) / 1_000_000n,
        staked: false,
        paid: 0n,
        sampled: 0n,
        phase: prng.below(g.everyEpochs),
      };
      const stakeOf = (balance: bigint) => (balance * g.stakeShare) / WAD;
      if (g.kind === 'candidate' || g.kind === 'whale') {
        const a = account(g.balance);
        held += g.balance;
        agent.accounts.push(a);
        const stake = stakeOf(g.balance);
        registrations.push({
          agent,
          account: a,
          deposit: stake > g.deposit ? stake : g.deposit,
          bps: g.commissionBps,
        });
      } else if (g.kind === 'sybil') {
        const each = g.balance / BigInt(g.splits);
        for (let i = 0; i < g.splits; i++) {
          const a = account(each);
          held += each;
          agent.accounts.push(a);
          // In candidates mode the stake of each may be split into `locks` locks: the deposit
          // and locks − 1 more, made at the first epoch.
          const stake = stakeOf(each) / BigInt(g.mode === 'candidates' ? g.locks : 1);
          if (g.mode === 'candidates' || i === 0)
            registrations.push({
              agent,
              account: a,
              deposit: stake > g.deposit ? stake : g.deposit,
              bps: g.commissionBps,
            });
        }
      } else if (g.kind === 'cartel') {
        for (let i = 0; i < g.candidates; i++) {
          const a = account(g.deposit);
          held += g.deposit;
          agent.accounts.push(a);
          registrations.push({ agent, account: a, deposit: g.deposit, bps: g.commissionBps });
        }
        for (let i = 0; i < g.members; i++) {
          agent.accounts.push(account(g.balance));
          held += g.balance;
        }
      } else {
        agent.accounts.push(account(g.balance));
        held += g.balance;
      }
      agents.push(agent);
    }
  }
  if (held > s.supply) throw new SimRevert(`the agents hold more than the supply`);
  if (held < s.supply) account(s.supply - held);
  const K = Number(p.rankedSeats + p.lotterySeats);
  const keys = registrations.map((_, i) => addressFor('etm/sim-key', i));
  const sim = new EconomySim(
    {
      params: p,
      accounts,
      candidates: registrations.map((r, i) => ({
        account: r.account,
        key: keys[i]!,
        deposit: r.deposit,
        commissionBps: r.bps,
      })),
      // The genesis validators: the first K candidates in the scenario's order.
      validators: keys.slice(0, K),
    },
    source,
  );
  const strategyOf = new Map<string, string>();
  const entityOf = new Map<string, number>();
  registrations.forEach((r, i) => {
    const c = sim.candidateOfKey(keys[i]!)!;
    r.agent.candidates.push(c);
    strategyOf.set(c.hex, r.agent.kind);
    entityOf.set(c.hex, r.agent.entity);
  });
  return { sim, agents, strategyOf, entityOf };
}

export interface RunOptions {
  /** Called after every epoch with the epochs done (for a progress bar). */
  onEpoch?: (done: number, total: number) => void;
  source?: BlockSource;
}

export function runScenario(s: Scenario, o: RunOptions = {}): RunResult {
  const started = performance.now();
  const { sim, agents, strategyOf, entityOf } = buildScenario(s, o.source);
  const p = s.params;
  const prng = new Prng(s.seed ^ 0xa9e47);
  const epochsPerYear = Number(p.blocksPerYear) / Number(p.epochBlocks);
  const giniEvery = s.giniEvery > 0 ? s.giniEvery : Math.max(1, Math.ceil(s.epochs / 365));
  const strategies = [...new Set(strategyOf.values())].sort();
  const K = Number(p.rankedSeats + p.lotterySeats);
  const rows: EpochRow[] = [];
  const hoppers = agents.filter((a) => a.kind === 'hopper');
  const feedback = agents.filter((a) => a.kind === 'feedback');
  let previousElected: SimCandidate[] = sim.epochRecord(1n)?.operators ?? [];

  const tryCall = <T>(f: () => T): T | null => {
    try {
      return f();
    } catch (e) {
      if (e instanceof SimRevert) return null;
      throw e;
    }
  };
  /** A candidate a voter picks: one of the current validators, uniformly. */
  const pick = (epoch: bigint): SimCandidate => {
    const ops = sim.epochRecord(epoch)!.operators;
    return ops[prng.below(ops.length)]!;
  };
  const lockShare = (agent: Agent, account: number, candidate: SimCandidate) => {
    const amount = (sim.accounts[account]!.balance * agent.group.stakeShare) / WAD;
    if (amount < p.minLock) return false;
    return tryCall(() => sim.lock(account, amount, candidate.operator)) !== null;
  };
  const unlockAll = (agent: Agent, account: number) => {
    for (const l of sim.locksOfAccount(account)) {
      if (l.isDeposit) continue;
      const paid = tryCall(() => sim.unlock(account, l.id));
      if (paid !== null) agent.paid += paid;
    }
  };
  const earned = (agent: Agent): bigint => {
    let e = agent.paid;
    for (const a of agent.accounts)
      for (const l of sim.locksOfAccount(a)) e += sim.pendingRewards(l);
    for (const c of agent.candidates) e += c.commissionPaid;
    return e;
  };

  for (let e = 0n; e < BigInt(s.epochs); e++) {
    const { first, last } = epochBounds(e, p);
    sim.advanceTo(first);
    const epochNo = Number(e);
    // Uptime profiles of this epoch.
    for (const a of agents)
      for (const c of a.candidates) {
        let ppm = 1_000_000;
        for (const [from, u] of a.group.uptime) if (from <= epochNo) ppm = u;
        c.uptimePpm = ppm;
      }
    const apy = apyEstimateOf(
      sim.supply,
      sim.totalLocked,
      inflationRateAt(first, p),
      p.validatorInflationShare,
    );
    if (e === 0n) {
      for (const a of agents) {
        if (a.kind === 'holder' && a.group.stakeShare > 0n) lockShare(a, a.accounts[0]!, pick(e));
        if (a.kind === 'hopper') a.staked = lockShare(a, a.accounts[0]!, pick(e));
        if (a.kind === 'cartel')
          a.accounts
            .slice(a.group.candidates)
            .forEach((acct, i) => lockShare(a, acct, a.candidates[i % a.candidates.length]!));
        if (a.kind === 'sybil' && a.group.mode === 'candidates' && a.group.locks > 1)
          a.candidates.forEach((c, i) => {
            const acct = a.accounts[i]!;
            const each = sim.locksOfAccount(acct)[0]!.amount;
            for (let k = 1; k < a.group.locks; k++) tryCall(() => sim.lock(acct, each, c.operator));
          });
        if (a.kind === 'sybil' && a.group.mode === 'locks')
          a.accounts.slice(1).forEach((acct) => lockShare(a, acct, a.candidates[0]!));
      }
    }
    for (const a of feedback) {
      if ((epochNo + a.phase) % a.group.everyEpochs !== 0) continue;
      const acct = a.accounts[0]!;
      if (!a.staked && apy !== null && apy * WAD > a.targetApy * SCALE) {
        a.staked = lockShare(a, acct, pick(e));
      } else if (!a.staked && apy === null) {
        a.staked = lockShare(a, acct, pick(e));
      } else if (
        a.staked &&
        apy !== null &&
        apy * WAD * WAD < a.targetApy * (WAD - a.group.hysteresis) * SCALE
      ) {
        unlockAll(a, acct);
        a.staked = false;
      }
    }
    if (hoppers.length > 0) {
      sim.advanceTo(last);
      // The next epoch's validators are known; a vote cast now weighs from the next epoch on.
      const coming = sim.epochRecord(e + 1n)!.operators;
      let target = coming[0]!;
      for (const c of coming) if (c.totalWeight < target.totalWeight) target = c;
      for (const a of hoppers) {
        for (const l of sim.locksOfAccount(a.accounts[0]!))
          if (l.candidate !== target)
            tryCall(() => sim.vote(a.accounts[0]!, l.id, target.operator));
      }
    }
    let outcome: EpochOutcome | null = null;
    sim.run(last, (x) => (outcome = x));
    const out = outcome as unknown as EpochOutcome;
    const elected = out.elected ?? sim.epochRecord(e + 2n)!.operators;
    const seats: Record<string, number> = {};
    for (const st of strategies) seats[st] = 0;
    const byEntity = new Map<number, number>();
    for (const c of elected) {
      seats[strategyOf.get(c.hex)!]! += 1 / elected.length;
      const ent = entityOf.get(c.hex)!;
      byEntity.set(ent, (byEntity.get(ent) ?? 0) + 1);
    }
    const before = new Set(previousElected);
    const churn = elected.filter((c) => !before.has(c)).length / Math.max(1, elected.length);
    previousElected = elected;
    let giniRewards: number | null = null;
    if ((epochNo + 1) % giniEvery === 0 || epochNo === s.epochs - 1) {
      const values: number[] = [];
      for (const a of agents) {
        const now = earned(a);
        const d = now - a.sampled;
        a.sampled = now;
        if (d > 0n) values.push(etm(d));
      }
      giniRewards = gini(values);
    }
    const lockersIncome =
      (out.totalLocked > 0n ? out.toStakers : 0n) + out.toVoters + out.bonusPaid;
    const realised = out.totalLocked > 0n ? etm(lockersIncome) / etm(out.totalLocked) : null;
    const supplyBefore = etm(out.supply) - etm(out.minted) + etm(out.burned);
    rows.push({
      epoch: epochNo,
      height: Number(out.height),
      supply: etm(out.supply),
      locked: etm(out.totalLocked),
      stakingRatio: etm(out.totalLocked) / etm(out.supply),
      inflation: Math.pow(1 + etm(out.minted) / supplyBefore, epochsPerYear) - 1,
      minted: etm(out.minted),
      apyEstimate: apy === null ? null : fixed(apy),
      apyRealised: realised === null ? null : Math.pow(1 + realised, epochsPerYear) - 1,
      bonusPool: etm(out.bonusPool),
      bonusPaid: etm(out.bonusPaid),
      treasury: etm(out.treasury),
      churn,
      nakamoto: nakamoto([...byEntity.values()], elected.length),
      giniRewards,
      seats,
    });
    o.onEpoch?.(epochNo + 1, s.epochs);
  }
  const seconds = (performance.now() - started) / 1000;
  return {
    scenario: s,
    rows,
    summary: summarise(rows, strategies, K),
    seconds,
    blocks: Number(sim.height),
    agents: agents.length,
  };
}

const mean = (xs: readonly number[]) =>
  xs.length === 0 ? 0 : xs.reduce((a, b) => a + b, 0) / xs.length;
const meanOrNull = (xs: readonly (number | null)[]) => {
  const v = xs.filter((x): x is number => x !== null && Number.isFinite(x));
  return v.length === 0 ? null : mean(v);
};

const medianOrNull = (xs: readonly (number | null)[]) => {
  const v = xs.filter((x): x is number => x !== null && Number.isFinite(x)).sort((a, b) => a - b);
  return v.length === 0 ? null : v[Math.floor(v.length / 2)]!;
};

function summarise(
  rows: readonly EpochRow[],
  strategies: readonly string[],
  K: number,
): RunSummary {
  const last = rows[rows.length - 1]!;
  const f = faultTolerance(K);
  const seatShare: Record<string, number> = {};
  const captureEpochs: RunSummary['captureEpochs'] = {};
  for (const st of strategies) {
    seatShare[st] = mean(rows.map((r) => r.seats[st] ?? 0));
    if (st === 'candidate') continue;
    captureEpochs[st] = {
      fPlus1: rows.filter((r) => Math.round((r.seats[st] ?? 0) * K) >= f + 1).length,
      twoFPlus1: rows.filter((r) => Math.round((r.seats[st] ?? 0) * K) >= 2 * f + 1).length,
    };
  }
  return {
    finalSupply: last.supply,
    finalStakingRatio: last.stakingRatio,
    meanStakingRatio: mean(rows.map((r) => r.stakingRatio)),
    meanInflation: mean(rows.map((r) => r.inflation)),
    medianApyEstimate: medianOrNull(rows.map((r) => r.apyEstimate)),
    medianApyRealised: medianOrNull(rows.map((r) => r.apyRealised)),
    meanChurn: mean(rows.map((r) => r.churn)),
    meanNakamoto: mean(rows.map((r) => r.nakamoto)),
    meanGini: meanOrNull(rows.map((r) => r.giniRewards)),
    seatShare,
    captureEpochs,
    treasury: last.treasury,
    bonusPool: last.bonusPool,
  };
}
