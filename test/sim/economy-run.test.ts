/**
 * `etm sim economy`: scenario files are checked (a bad one gets a ScenarioError naming the
 * field), a run is deterministic by seed and its figures hold together, the statistics are
 * right on known inputs, the capture analysis agrees with Monte Carlo on the chain's election,
 * and the command writes CSV, JSON, SVG charts and an HTML report.
 */
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { Command } from 'commander';
import { simCommand } from '../../src/cli/sim.js';
import { captureAnalytic, captureMonteCarlo, parseMixes } from '../../src/sim/economy/capture.js';
import { runScenario } from '../../src/sim/economy/run.js';
import {
  parseScenario,
  readScenarioText,
  ScenarioError,
  withParam,
} from '../../src/sim/economy/scenario.js';
import { gini, nakamoto } from '../../src/sim/economy/stats.js';

const dir = mkdtempSync(join(tmpdir(), 'etm-sim-economy-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const SMALL = {
  name: 'small',
  seed: 3,
  epochs: 12,
  params: {
    epochBlocks: 20,
    rankedSeats: 3,
    lotterySeats: 1,
    blocksPerDay: 40,
    blocksPerYear: 2000,
  },
  supply: '10000000',
  agents: [
    {
      kind: 'candidate',
      count: 6,
      balance: '100000',
      stakeShare: '0.3',
      uptime: [{ fromEpoch: 0, uptime: '0.9' }],
    },
    { kind: 'holder', count: 10, balance: '50000', stakeShare: '0.5' },
    { kind: 'feedback', count: 20, balance: '50000', targetApy: ['0.2', '0.9'] },
    { kind: 'whale', count: 1, balance: '1000000' },
    { kind: 'sybil', balance: '300000', splits: 3 },
    { kind: 'cartel', members: 4, candidates: 2, balance: '50000' },
    { kind: 'hopper', count: 2, balance: '20000' },
  ],
};

describe('scenario files', () => {
  it.each([
    [{ ...SMALL, agents: [] }, /agents: a list/],
    [{ ...SMALL, agents: [{ kind: 'miner' }] }, /agents\[0\]\.kind/],
    [{ ...SMALL, params: { stakeExponent: '1.5' } }, /params\.stakeExponent/],
    [{ ...SMALL, params: { rankedSeats: 9999 } }, /params\.rankedSeats/],
    [{ ...SMALL, params: { noSuch: 1 } }, /unknown parameter/],
    [{ ...SMALL, params: { rankedSeats: 0, lotterySeats: 0 } }, /at least 1/],
    [{ ...SMALL, supply: '100' }, /supply: the agents hold more/],
    [{ ...SMALL, agents: [{ kind: 'holder', balance: '-5' }] }, /balance/],
    [{ ...SMALL, epochs: 0 }, /epochs/],
    [{ ...SMALL, agents: [{ kind: 'holder', count: 2 }] }, /must run candidates/],
  ])('refuses a bad scenario (%#)', (doc, message) => {
    expect(() => parseScenario(doc)).toThrow(ScenarioError);
    expect(() => parseScenario(doc)).toThrow(message);
  });

  it('reads YAML and JSON alike, and a sweep changes one parameter', () => {
    const yaml =
      'name: y\nepochs: 3\nagents:\n  - { kind: candidate, count: 2, balance: "5000" }\n';
    const s = readScenarioText(yaml);
    expect(s.epochs).toBe(3);
    expect(
      readScenarioText(
        JSON.stringify({ epochs: 3, agents: [{ kind: 'candidate', count: 2, balance: '5000' }] }),
      ).agents,
    ).toEqual(s.agents);
    const u = withParam(s, 'u', '0.5');
    expect(u.params.stakeExponent).toBe(5n * 10n ** 17n);
    expect({ ...u.params, stakeExponent: 0n }).toEqual({ ...s.params, stakeExponent: 0n });
    expect(withParam(s, 'lotterySeats', '21').params.lotterySeats).toBe(21n);
    expect(withParam(s, 'i', '0.05').params.inflationSchedule).toEqual([5n * 10n ** 16n]);
    expect(() => withParam(s, 'tMax', '0')).toThrow(/tMax/);
    expect(() => readScenarioText('{ not json')).toThrow(ScenarioError);
  });
});

describe('a run', () => {
  const s = parseScenario(SMALL);
  const a = runScenario(s);

  it('is deterministic by seed and differs with another seed', () => {
    expect(runScenario(s).rows).toEqual(a.rows);
    expect(runScenario({ ...s, seed: 4 }).rows).not.toEqual(a.rows);
  });

  it('has figures that hold together', () => {
    expect(a.rows).toHaveLength(12);
    expect(a.blocks).toBe(240);
    for (const r of a.rows) {
      expect(r.stakingRatio).toBeCloseTo(r.locked / r.supply, 12);
      const seats = Object.values(r.seats).reduce((x, y) => x + y, 0);
      expect(seats).toBeCloseTo(1, 9);
      expect(r.nakamoto).toBeGreaterThanOrEqual(1);
      expect(r.nakamoto).toBeLessThanOrEqual(2);
    }
    // Every strategy that runs candidates is reported; supply only grows (no fees here).
    expect(Object.keys(a.rows[0]!.seats).sort()).toEqual(['candidate', 'cartel', 'sybil', 'whale']);
    for (let i = 1; i < a.rows.length; i++)
      expect(a.rows[i]!.supply).toBeGreaterThan(a.rows[i - 1]!.supply);
  });
});

describe('statistics', () => {
  it('Gini and Nakamoto on known inputs', () => {
    expect(gini([1, 1, 1, 1])).toBe(0);
    expect(gini([0, 0, 0, 1])).toBeCloseTo(0.75, 12);
    expect(gini([1, 2, 3, 4])).toBeCloseTo(0.25, 12);
    expect(nakamoto([7, 7, 7], 21)).toBe(1);
    expect(nakamoto([6, 1, 1, 13], 21)).toBe(1);
    expect(nakamoto(Array(21).fill(1), 21)).toBe(7);
    expect(nakamoto([3, 3, 3, 3, 3, 3, 3], 21)).toBe(3);
  });
});

describe('committee capture', () => {
  const base = {
    rankedSeats: 0,
    lotterySeats: 21,
    u: 75n * 10n ** 16n,
    honest: 50,
    epochsPerYear: 8760,
  };

  it('a pure lottery: analytic and Monte Carlo on the chain election agree', () => {
    const a = captureAnalytic({ ...base, share: 0.25 });
    expect(a.K).toBe(21);
    expect(a.f).toBe(6);
    const m = captureMonteCarlo(a, 1500, 9).monteCarlo!;
    // 4 standard errors of a proportion near 0.2 over 1,500 trials.
    expect(Math.abs(m.fPlus1 - a.analytic.fPlus1)).toBeLessThan(4 * Math.sqrt(0.25 / 1500));
    expect(Math.abs(m.meanSeats - a.analytic.meanSeats)).toBeLessThan(0.25);
    expect(a.analytic.fPlus1Year).toBeGreaterThan(a.analytic.fPlus1);
  });

  it('ranked seats are all or nothing: a heavier split takes them', () => {
    const small = captureAnalytic({ ...base, rankedSeats: 21, lotterySeats: 0, share: 0.01 });
    expect(small.analytic.fPlus1).toBe(0);
    const big = captureAnalytic({ ...base, rankedSeats: 21, lotterySeats: 0, share: 0.4 });
    expect(big.analytic.twoFPlus1).toBe(1);
    expect(captureMonteCarlo(big, 20, 1).monteCarlo!.twoFPlus1).toBe(1);
    expect(() => parseMixes('15+6,x')).toThrow(/ranked\+lottery/);
  });
});

describe('etm sim economy run', () => {
  it('writes CSV, JSON, SVG charts and an HTML report', async () => {
    const file = join(dir, 'small.json');
    writeFileSync(file, JSON.stringify(SMALL));
    const out = join(dir, 'out');
    const logs: string[] = [];
    const log = console.log;
    console.log = (...a: unknown[]) => logs.push(a.join(' '));
    try {
      await new Command()
        .addCommand(simCommand())
        .parseAsync(['node', 'etm', 'sim', 'economy', 'run', file, '--out', out, '--quiet']);
    } finally {
      console.log = log;
    }
    expect(logs.join('\n')).toMatch(/small: 12 epochs, \d+ agents/);
    const csv = readFileSync(join(out, 'epochs.csv'), 'utf8').trim().split('\n');
    expect(csv[0]).toMatch(/^epoch,height,supply,locked,stakingRatio/);
    expect(csv).toHaveLength(13);
    const json = JSON.parse(readFileSync(join(out, 'run.json'), 'utf8')) as { rows: unknown[] };
    expect(json.rows).toHaveLength(12);
    for (const name of ['staking', 'apy', 'pools', 'decentralisation', 'seats']) {
      const svg = readFileSync(join(out, `${name}.svg`), 'utf8');
      expect(svg.startsWith('<svg')).toBe(true);
      expect(svg).toContain('<path');
    }
    const html = readFileSync(join(out, 'report.html'), 'utf8');
    expect(html).toContain('<svg');
    expect(existsSync(join(out, 'report.html'))).toBe(true);
  });
});
