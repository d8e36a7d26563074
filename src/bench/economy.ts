/**
 * Economic simulation speed (scenario 8): one simulated year at 3-second blocks (10,512,000
 * blocks, 8,760 epochs of 1,200) with 10,000 agents of every kind, through `runScenario` as
 * `etm sim economy run` does. The target is a year in at most 60 s.
 */
import { performance } from 'node:perf_hooks';
import { parseScenario } from '../sim/economy/scenario.js';
import { runScenario } from '../sim/economy/run.js';

export interface EconomyResult {
  epochs: number;
  blocks: number;
  agents: number;
  seconds: number;
  blocksPerSecond: number;
  finalStakingRatio: number;
}

/** The benchmark's agents: 10,000 in all at full size (scaled down by `agentScale`). */
function economyBenchScenario(epochs: number, agentScale = 1) {
  const n = (x: number) => Math.max(1, Math.round(x * agentScale));
  return parseScenario({
    name: 'bench-year',
    seed: 1,
    epochs,
    supply: '475000000',
    agents: [
      { kind: 'candidate', count: n(100), balance: '200000', stakeShare: '0.5', uptime: '0.98' },
      { kind: 'holder', count: n(3080), balance: '40000' },
      { kind: 'holder', count: n(2000), balance: '20000', stakeShare: '1' },
      {
        kind: 'feedback',
        count: n(4800),
        balance: '40000',
        targetApy: ['0.05', '0.35'],
        everyEpochs: 24,
      },
      { kind: 'whale', count: 5, balance: '3000000', commissionBps: 500 },
      { kind: 'sybil', balance: '2000000', splits: 10 },
      { kind: 'cartel', members: n(80), candidates: 5, balance: '50000' },
      { kind: 'hopper', count: n(13), balance: '50000' },
    ],
  });
}

export function runEconomy(o: { epochs: number; agentScale: number }): EconomyResult {
  const s = economyBenchScenario(o.epochs, o.agentScale);
  const t0 = performance.now();
  const r = runScenario(s);
  const seconds = (performance.now() - t0) / 1000;
  return {
    epochs: s.epochs,
    blocks: r.blocks,
    agents: r.agents,
    seconds: Math.round(seconds * 10) / 10,
    blocksPerSecond: Math.round(r.blocks / seconds),
    finalStakingRatio: r.summary.finalStakingRatio,
  };
}
