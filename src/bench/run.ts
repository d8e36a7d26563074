/**
 * The benchmark suite (`etm bench`, `npm run bench`): every scenario of docs/benchmarks in one
 * run, each figure printed next to this machine's signature limit measured in the same run,
 * the results written to bench/results/*.json and the table to bench/results/latest.md.
 * `--quick` runs every scenario small, in under a minute; figures from it are indicative only.
 */
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import {
  machineInfo,
  measureRecoveries,
  type MachineInfo,
  type SignatureBaseline,
} from './machine.js';
import { benchKey, makeSenders } from './load.js';
import {
  runThroughput,
  TransferPool,
  type SubmitMode,
  type ThroughputResult,
} from './throughput.js';
import {
  runMultiProcessThroughput,
  type MultiProcessResult,
  type SubmitTarget,
} from './processes.js';
import { runStateRoot, type StateRootResult } from './state-root.js';
import { runReplay, type ReplayResult } from './replay.js';
import { runContracts, type ContractsResult } from './contracts.js';
import { runContractsProcesses } from './contracts-processes.js';
import { runEpoch, type EpochResult } from './epoch.js';
import { runMemory, type MemoryResult } from './memory.js';
import { runDevnetMemory, type DevnetMemoryResult } from './devnet-memory.js';
import { runEconomy, type EconomyResult } from './economy.js';
import { figuresOf, markdownTable, mergeResults, type Figure, type PartialRun } from './report.js';
import { round } from './stats.js';

export const SCENARIOS = [
  'baseline',
  'one-validator',
  'four-validators',
  'four-processes',
  'state-root',
  'replay',
  'contracts',
  'epoch',
  'memory',
  'devnet-memory',
  'economy',
] as const;
export type ScenarioName = (typeof SCENARIOS)[number];

export interface BenchOptions {
  quick: boolean;
  /** Scenarios to run (default all); the baseline always runs. */
  only?: ScenarioName[];
  /** Where results go (default bench/results under the working directory). */
  outDir?: string;
  /** Block time of the throughput chains (ms). */
  blockTimeMs?: number;
  /** Sizes to change from the plan (tests make every scenario tiny). */
  sizes?: Partial<Plan>;
  log?: (line: string) => void;
}

export interface BenchResults {
  schema: 1;
  quick: boolean;
  machine: MachineInfo;
  baseline: SignatureBaseline;
  durationSeconds: number;
  scenarios: {
    oneValidator?: ThroughputResult[];
    fourValidators?: ThroughputResult[];
    /** Four validators as four processes (earlier results: `{ status: 'todo' }`). */
    fourValidatorsMultiProcess?: MultiProcessResult[] | { status: 'todo'; reason: string };
    stateRoot?: StateRootResult;
    replay?: ReplayResult;
    contracts?: ContractsResult;
    epoch?: EpochResult;
    memory?: MemoryResult;
    devnetMemory?: DevnetMemoryResult;
    economy?: EconomyResult;
  };
  /** Scenarios that failed, with their error (the others still ran). */
  errors: Record<string, string>;
  figures: Figure[];
  /** Runs of some scenarios (`--only`) whose figures replaced this run's in these results. */
  partialRuns?: PartialRun[];
}

/** Sizes of each scenario, full and quick. */
export function plan(quick: boolean) {
  return quick
    ? {
        baselineMs: 1_000,
        senders: 2_048,
        presign: 8_000,
        saturateMs: 3_000,
        warmupMs: 500,
        halfLoadMs: 2_000,
        oneValidatorModes: ['inject', 'rpc'] as SubmitMode[],
        fourValidatorModes: ['inject'] as SubmitMode[],
        fourSaturateMs: 3_000,
        fourHalfLoadMs: 2_000,
        // Long enough for a few blocks: under load the first ones take several rounds.
        processSaturateMs: 6_000,
        processHalfLoadMs: 3_000,
        processSubmitTo: 'every' as SubmitTarget,
        stateRoot: { accounts: 20_000, changes: 10_000, blocks: 2 },
        replay: { blocks: 4, txsPerBlock: 500 },
        contracts: { blocks: 3, txsPerBlock: 500, worstCase: true },
        contractsProcesses: { senders: 1_024, saturateMs: 6_000 },
        epoch: { candidates: 100, lockSteps: [1_000, 3_000], blocks: 3 },
        memory: { accounts: 50_000, blocks: 2, txsPerBlock: 200 },
        devnetMemory: { seconds: 20, blockTimeMs: 250, txsPerSecond: 200, sampleMs: 1_000 },
        economy: { epochs: 200, agentScale: 0.2 },
      }
    : {
        baselineMs: 3_000,
        senders: 8_192,
        presign: 150_000,
        saturateMs: 60_000,
        warmupMs: 5_000,
        halfLoadMs: 20_000,
        oneValidatorModes: ['inject', 'rpc'] as SubmitMode[],
        fourValidatorModes: ['inject', 'rpc'] as SubmitMode[],
        fourSaturateMs: 30_000,
        fourHalfLoadMs: 15_000,
        processSaturateMs: 30_000,
        processHalfLoadMs: 15_000,
        processSubmitTo: 'every' as SubmitTarget,
        stateRoot: { accounts: 100_000, changes: 10_000, blocks: 5 },
        replay: { blocks: 30, txsPerBlock: 2_000 },
        contracts: { blocks: 10, txsPerBlock: 2_000, worstCase: true },
        contractsProcesses: { senders: 1_024, saturateMs: 30_000 },
        epoch: { candidates: 1_000, lockSteps: [10_000, 100_000], blocks: 5 },
        memory: { accounts: 1_000_000, blocks: 5, txsPerBlock: 1_000 },
        // Short by default; `etm bench --devnet-seconds` runs it longer.
        devnetMemory: { seconds: 120, blockTimeMs: 250, txsPerSecond: 400, sampleMs: 2_000 },
        economy: { epochs: 8_760, agentScale: 1 },
      };
}

export type Plan = ReturnType<typeof plan>;

export async function runBench(o: BenchOptions): Promise<BenchResults> {
  const log = o.log ?? (() => {});
  const p = { ...plan(o.quick), ...o.sizes };
  const wanted = new Set<ScenarioName>(o.only ?? SCENARIOS);
  const blockTimeMs = o.blockTimeMs ?? 1000;
  const started = performance.now();
  const machine = machineInfo();
  log(
    `machine: ${machine.cpuModel}, ${machine.cores} cores, ${machine.memoryGiB} GiB, node ${machine.node}, load ${machine.loadAverage1m}`,
  );
  const baseline = measureRecoveries(p.baselineMs);
  log(
    `baseline: ${baseline.recoveriesPerSecondPerCore} recoveries/s per core, L = ${baseline.signatureLimit}/s`,
  );
  const results: BenchResults = {
    schema: 1,
    quick: o.quick,
    machine,
    baseline,
    durationSeconds: 0,
    scenarios: {},
    errors: {},
    figures: [],
  };
  const attempt = async (name: ScenarioName, fn: () => Promise<void> | void) => {
    if (!wanted.has(name)) return;
    const t0 = performance.now();
    log(`${name} …`);
    try {
      await fn();
    } catch (e) {
      results.errors[name] = (e as Error).stack ?? String(e);
      log(`${name} failed: ${(e as Error).message}`);
    }
    log(`${name} done in ${round((performance.now() - t0) / 1000, 1)} s`);
  };

  let pool: TransferPool | null = null;
  const transfers = () => {
    if (!pool) {
      pool = new TransferPool(makeSenders(p.senders));
      pool.ensure(p.presign);
      log(`  signed ${pool.size} transfers in ${round(pool.signMs / 1000, 1)} s`);
    }
    return pool;
  };
  const validators = (n: number) =>
    Array.from({ length: n }, (_, i) => benchKey(i, 'etm-bench-validator'));
  const throughput = async (n: number, modes: SubmitMode[], saturateMs: number, halfMs: number) => {
    const out: ThroughputResult[] = [];
    for (const mode of modes) {
      log(`  ${n} validator(s), ${mode}`);
      const pool = transfers();
      // Enough signed ahead for the best rate seen so far (at least 5,000/s, above any this
      // machine gave), with room to spare: transfers signed during a run take the node's CPU.
      const best = Math.max(5_000, ...out.map((r) => r.saturation.transfersPerSecond));
      pool.ensure(Math.ceil((best * 1.2 * (saturateMs + halfMs / 2)) / 1000));
      out.push(
        await runThroughput({
          validators: validators(n),
          mode,
          blockTimeMs,
          pool,
          saturateMs,
          warmupMs: p.warmupMs,
          halfLoadMs: halfMs,
          log,
        }),
      );
    }
    return out;
  };

  await attempt('one-validator', async () => {
    results.scenarios.oneValidator = await throughput(
      1,
      p.oneValidatorModes,
      p.saturateMs,
      p.halfLoadMs,
    );
  });
  await attempt('four-validators', async () => {
    results.scenarios.fourValidators = await throughput(
      4,
      p.fourValidatorModes,
      p.fourSaturateMs,
      p.fourHalfLoadMs,
    );
  });
  await attempt('four-processes', async () => {
    const pool = transfers();
    pool.ensure(
      Math.ceil((pool.size / 90) * 1.5 * ((p.processSaturateMs + p.processHalfLoadMs) / 1000)),
    );
    log(
      `  4 validator processes, rpc to ${p.processSubmitTo === 'every' ? 'every node' : 'node0'}`,
    );
    results.scenarios.fourValidatorsMultiProcess = [
      await runMultiProcessThroughput({
        validators: 4,
        blockTimeMs,
        pool,
        saturateMs: p.processSaturateMs,
        warmupMs: p.warmupMs,
        halfLoadMs: p.processHalfLoadMs,
        submitTo: p.processSubmitTo,
        // Profiles node1 (`node --cpu-prof`) into this directory when set.
        cpuProfDir: process.env.ETM_BENCH_CPU_PROF ?? null,
        log,
      }),
    ];
  });
  await attempt('state-root', () => {
    results.scenarios.stateRoot = runStateRoot(p.stateRoot);
    log(
      `  ${p.stateRoot.changes} changed accounts in ${p.stateRoot.accounts}: commit ${results.scenarios.stateRoot.commitMs} ms`,
    );
  });
  await attempt('replay', async () => {
    results.scenarios.replay = await runReplay({ pool: transfers(), ...p.replay });
    const r = results.scenarios.replay;
    log(`  replay ${r.replay.blocksPerSecond} blocks/s, ${r.replay.transactionsPerSecond} txs/s`);
  });
  await attempt('contracts', async () => {
    results.scenarios.contracts = await runContracts(p.contracts);
    const c = results.scenarios.contracts;
    log(
      `  ERC-20 ${c.erc20.transactionsPerSecond} txs/s, plain ${c.plain.transactionsPerSecond} txs/s; worst blocks ${c.worstCase.map((w) => `${w.code} ${w.blockMs} ms`).join(', ')}`,
    );
    c.processes = await runContractsProcesses({
      ...p.contractsProcesses,
      blockTimeMs,
      warmupMs: p.warmupMs,
      log,
    });
    log(
      `  four processes: ERC-20 ${c.processes.erc20.saturation.transfersPerSecond} txs/s, plain ${c.processes.plain.saturation.transfersPerSecond} txs/s`,
    );
  });
  await attempt('epoch', async () => {
    results.scenarios.epoch = await runEpoch(p.epoch);
    const e = results.scenarios.epoch;
    log(
      `  epoch transition ${e.epochTransition.totalMs} ms; per block ${e.perBlock.map((b) => `${b.locks}: ${b.totalMs} ms`).join(', ')}`,
    );
    const s = e.transitionSteps;
    log(
      `  steps alone: vote tally ${s.tallyMs} ms, halving ${s.halvingMs} ms, weighing ${s.weighingMs} ms, election ${s.electionMs} ms, reward refresh ${s.refreshMs} ms`,
    );
    log(
      `  transition by locks: ${e.transitions.map((t) => `${t.locks}: ${t.totalMs} ms (${t.buckets} buckets)`).join(', ')}`,
    );
  });
  await attempt('memory', async () => {
    results.scenarios.memory = await runMemory(p.memory);
    log(`  ${p.memory.accounts} accounts: peak RSS ${results.scenarios.memory.peakRssMiB} MiB`);
  });
  await attempt('devnet-memory', async () => {
    const d = (results.scenarios.devnetMemory = await runDevnetMemory(p.devnetMemory));
    log(
      `  ${d.blocks} blocks, ${d.transactions} transfers: RSS ${d.samples.at(-1)?.rssMiB} MiB at the end, last half ${d.rssSlope} MiB per 1,000 blocks`,
    );
  });
  await attempt('economy', () => {
    results.scenarios.economy = runEconomy(p.economy);
    const e = results.scenarios.economy;
    log(
      `  ${e.epochs} epochs (${e.blocks} blocks), ${e.agents} agents: ${e.seconds} s, ${e.blocksPerSecond} blocks/s`,
    );
  });
  results.durationSeconds = round((performance.now() - started) / 1000, 1);
  results.figures = figuresOf(results);
  const outDir = o.outDir ?? join(process.cwd(), 'bench', 'results');
  mkdirSync(outDir, { recursive: true });
  const stamp = machine.date.replace(/[:.]/g, '-');
  const kind = o.quick ? 'quick' : 'full';
  writeFileSync(join(outDir, `${kind}-${stamp}.json`), JSON.stringify(results, null, 2) + '\n');
  // A run of some scenarios updates their figures in the latest results and keeps the others.
  const latestFile = join(outDir, `latest-${kind}.json`);
  let latest = results;
  if (
    o.only &&
    SCENARIOS.some((s) => s !== 'baseline' && !wanted.has(s)) &&
    existsSync(latestFile)
  ) {
    try {
      const previous = JSON.parse(readFileSync(latestFile, 'utf8')) as BenchResults;
      latest = mergeResults(previous, results, [...wanted]);
      log(`merged into the results of ${previous.machine.date}`);
    } catch (e) {
      log(`could not merge into ${latestFile} (${(e as Error).message}); replacing it`);
    }
  }
  writeFileSync(latestFile, JSON.stringify(latest, null, 2) + '\n');
  writeFileSync(join(outDir, `latest-${kind}.md`), markdownTable(latest));
  log(`results: ${latestFile}`);
  return results;
}
