/**
 * Smoke test of the benchmark suite: its smallest pieces run end to end and write results of
 * the documented shape. Timings are never asserted: the machine is shared and noisy. The
 * four-processes scenario spawns bin/etm.js, which runs dist/: `npm run build` first.
 */
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { runBench, type BenchResults } from '../../src/bench/run.js';
import { markdownTable } from '../../src/bench/report.js';
import type { MultiProcessResult } from '../../src/bench/processes.js';
import { quantile } from '../../src/bench/stats.js';

const out = mkdtempSync(join(tmpdir(), 'etm-bench-test-'));
afterAll(() => rmSync(out, { recursive: true, force: true }));

describe('benchmark statistics', () => {
  it('takes quantiles by nearest rank', () => {
    const xs = Array.from({ length: 100 }, (_, i) => 100 - i);
    expect(quantile(xs, 0.5)).toBe(50);
    expect(quantile(xs, 0.99)).toBe(99);
    expect(quantile([3, Infinity], 0.99)).toBe(Infinity);
    expect(Number.isNaN(quantile([], 0.5))).toBe(true);
  });
});

describe('etm bench --quick, smallest sizes', () => {
  let results: BenchResults;

  it('runs throughput, state root, replay and epoch and writes their results', async () => {
    const lines: string[] = [];
    results = await runBench({
      quick: true,
      only: ['one-validator', 'state-root', 'replay', 'epoch', 'economy'],
      outDir: out,
      log: (l) => lines.push(l),
      sizes: {
        baselineMs: 200,
        senders: 64,
        presign: 640,
        saturateMs: 2_500,
        warmupMs: 500,
        halfLoadMs: 1_500,
        oneValidatorModes: ['inject', 'rpc'],
        stateRoot: { accounts: 500, changes: 200, blocks: 1 },
        replay: { blocks: 2, txsPerBlock: 32 },
        epoch: { candidates: 5, lockSteps: [20, 60], blocks: 1 },
        economy: { epochs: 3, agentScale: 0.01 },
      },
    });
    expect(results.errors).toEqual({});
    expect(lines.some((l) => l.startsWith('baseline:'))).toBe(true);

    const written = JSON.parse(
      readFileSync(join(out, 'latest-quick.json'), 'utf8'),
    ) as BenchResults;
    expect(written).toEqual(JSON.parse(JSON.stringify(results)));
    expect(written.schema).toBe(1);
    expect(written.quick).toBe(true);
    expect(written.machine.cores).toBeGreaterThan(0);
    expect(written.machine.node).toBe(process.version);
    expect(written.baseline.signatureLimit).toBe(
      Math.round(written.baseline.recoveriesPerSecondPerCore * written.baseline.cores),
    );
  }, 120_000);

  it('measures committed transfers through both submission paths', () => {
    const runs = results.scenarios.oneValidator!;
    expect(runs.map((r) => r.mode)).toEqual(['inject', 'rpc']);
    for (const r of runs) {
      expect(r.validators).toBe(1);
      expect(r.saturation.rejected).toBe(0);
      expect(r.saturation.blocks).toBeGreaterThan(0);
      expect(r.saturation.latency.samples).toBeGreaterThan(0);
      expect(r.halfLoad?.latency.samples).toBeGreaterThan(0);
    }
  });

  it('reports the state root, replay and staking figures', () => {
    const { stateRoot, replay, epoch } = results.scenarios;
    expect(stateRoot).toMatchObject({ accounts: 500, changedAccounts: 200, blocks: 1 });
    expect(stateRoot!.newNodes).toBeGreaterThan(200);
    expect(replay).toMatchObject({ blocks: 2, transactions: 64, txsPerBlock: 32 });
    expect(epoch!.candidates).toBe(5);
    expect(epoch!.perBlock.map((b) => b.locks)).toEqual([20, 60]);
    expect(epoch!.epochTransition.locks).toBe(60);
    // The transition at each lock count, and its split with the vote tally's step.
    expect(epoch!.transitions.map((t) => t.locks)).toEqual([20, 60]);
    // The same vote buckets at each count: only the number of locks changes.
    expect(epoch!.transitions[1]!.buckets).toBe(epoch!.transitions[0]!.buckets);
    expect(epoch!.transitionSteps.tallyMs).toBeGreaterThan(0);
    for (const t of epoch!.transitions) expect(t.firstMs).toBeGreaterThan(0);
    const economy = results.scenarios.economy!;
    expect(economy).toMatchObject({ epochs: 3, blocks: 3600 });
    expect(economy.agents).toBeGreaterThan(100);
  });

  it('gives every figure a ratio and a target, and judges none in quick mode', () => {
    const ids = results.figures.map((f) => f.id);
    expect(ids).toEqual([
      'baseline.recoveriesPerCore',
      'oneValidator.inject.tps',
      'oneValidator.inject.p99',
      'oneValidator.rpc.tps',
      'oneValidator.rpc.p99',
      'stateRoot.commitMs',
      'replay.tps',
      'epoch.transitionMs',
      'epoch.transitionGrowth',
      'epoch.perBlockGrowth',
      'economy.yearSeconds',
    ]);
    for (const f of results.figures) {
      expect(f.met).toBeNull();
      expect(f.ratioText.length).toBeGreaterThan(0);
      expect(f.target.length).toBeGreaterThan(0);
    }
    const tps = results.figures.find((f) => f.id === 'oneValidator.inject.tps')!;
    expect(tps.ratio).toBeCloseTo(tps.value! / results.baseline.signatureLimit, 3);
    const table = markdownTable(results);
    // Header, separator, one row per figure.
    expect(table.split('\n').filter((l) => l.startsWith('| ')).length).toBe(
      2 + results.figures.length,
    );
    expect(readFileSync(join(out, 'latest-quick.md'), 'utf8')).toBe(table);
  });
});

/** Data directories of process clusters in the temp directory. */
const clusterDirs = () => readdirSync(tmpdir()).filter((f) => f.startsWith('etm-bench-procs-'));

/** Processes whose command line names a process cluster's directory (Linux /proc). */
function clusterProcesses(): string[] {
  if (!existsSync('/proc/self/cmdline')) return [];
  const found: string[] = [];
  for (const pid of readdirSync('/proc').filter((f) => /^\d+$/.test(f))) {
    try {
      const cmd = readFileSync(`/proc/${pid}/cmdline`, 'utf8').replace(/\0/g, ' ');
      if (cmd.includes('etm-bench-procs-')) found.push(`${pid}: ${cmd}`);
    } catch {
      // The process ended while we looked.
    }
  }
  return found;
}

describe('four validators as four processes, smallest size', () => {
  it('drives the node processes through JSON-RPC, sees commits, and leaves nothing behind', async () => {
    const dirsBefore = new Set(clusterDirs());
    const procsBefore = new Set(clusterProcesses());
    const results = await runBench({
      quick: true,
      only: ['four-processes'],
      outDir: out,
      sizes: {
        baselineMs: 200,
        senders: 512,
        presign: 1_024,
        warmupMs: 500,
        processSaturateMs: 3_000,
        processHalfLoadMs: 0,
      },
    });
    expect(results.errors).toEqual({});
    const runs = results.scenarios.fourValidatorsMultiProcess as MultiProcessResult[];
    expect(runs).toHaveLength(1);
    const run = runs[0]!;
    expect(run).toMatchObject({
      validators: 4,
      mode: 'rpc',
      cluster: 'multi-process',
      rpcEndpoints: 4,
      submitTo: 'every',
      halfLoad: null,
    });
    expect(run.saturation.rejected).toBe(0);
    // Transfers submitted in the measured window were seen committed through newHeads.
    const l = run.saturation.latency;
    expect(l.samples - l.uncommitted).toBeGreaterThan(0);

    // Every child process is gone and the data directory removed.
    expect(clusterProcesses().filter((p) => !procsBefore.has(p))).toEqual([]);
    expect(clusterDirs().filter((d) => !dirsBefore.has(d))).toEqual([]);

    // The run of one scenario updated the latest results and kept the earlier run's figures.
    const latest = JSON.parse(readFileSync(join(out, 'latest-quick.json'), 'utf8')) as BenchResults;
    expect(latest.figures.map((f) => f.id)).toEqual([
      'baseline.recoveriesPerCore',
      'oneValidator.inject.tps',
      'oneValidator.inject.p99',
      'oneValidator.rpc.tps',
      'oneValidator.rpc.p99',
      'fourValidatorsMultiProcess.rpc.tps',
      'stateRoot.commitMs',
      'replay.tps',
      'epoch.transitionMs',
      'epoch.transitionGrowth',
      'epoch.perBlockGrowth',
      'economy.yearSeconds',
    ]);
    expect(latest.machine.date).not.toBe(results.machine.date);
    expect(latest.partialRuns?.map((p) => p.scenarios)).toEqual([['four-processes']]);
    expect(
      latest.figures.find((f) => f.id === 'fourValidatorsMultiProcess.rpc.tps')?.note,
    ).toContain(`L = ${results.baseline.signatureLimit.toLocaleString('en-US')}/s`);
    expect(readFileSync(join(out, 'latest-quick.md'), 'utf8')).toBe(markdownTable(latest));
  }, 90_000);
});
