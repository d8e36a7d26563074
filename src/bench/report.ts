/**
 * Figures, their ratios to the machine's limits and their targets, as JSON rows and as the
 * markdown table of BENCHMARKS.md. Throughput is divided by the signature limit L (or L/4 for
 * four validators in one process, which authenticate every transaction four times); times are
 * expressed as the number of signature recoveries one core does in that time.
 */
import type { EpochResult } from './epoch.js';
import type { SignatureBaseline } from './machine.js';
import type { BenchResults } from './run.js';
import type { ThroughputResult } from './throughput.js';
import { round } from './stats.js';

export interface Figure {
  id: string;
  scenario: string;
  what: string;
  value: number | null;
  unit: string;
  /** The figure over the machine limit named in ratioText. */
  ratio: number | null;
  ratioText: string;
  target: string;
  /** null: no target, or not judged (quick mode or not run). */
  met: boolean | null;
  note?: string;
}

const pct = (x: number) => `${round(x * 100, 1)}%`;
const fmt = (x: number) => x.toLocaleString('en-US', { maximumFractionDigits: 2 });

export function figuresOf(r: BenchResults): Figure[] {
  const L = r.baseline.signatureLimit;
  const perCore = r.baseline.recoveriesPerSecondPerCore;
  /** A duration as signature recoveries on one core. */
  const asRecoveries = (ms: number) => round((ms / 1000) * perCore, 0);
  const judged = (ok: boolean) => (r.quick ? null : ok);
  const out: Figure[] = [
    {
      id: 'baseline.recoveriesPerCore',
      scenario: '1 baseline',
      what: 'native secp256k1 recoveries per second, one core',
      value: perCore,
      unit: '/s',
      ratio: null,
      ratioText: `× ${r.baseline.cores} cores = L = ${fmt(L)}/s`,
      target: '—',
      met: null,
    },
  ];
  const tput = (
    scenario: string,
    label: string,
    runs: ThroughputResult[] | undefined,
    limit: number,
    limitText: string,
    minTps: number,
    minRatio: number | null,
  ) => {
    for (const t of runs ?? []) {
      const tps = t.saturation.transfersPerSecond;
      const ratio = tps / limit;
      const endpoints = t.rpcEndpoints ?? 1;
      const how =
        t.mode === 'inject'
          ? 'injected into the mempool'
          : endpoints > 1
            ? `JSON-RPC batches spread over ${endpoints} nodes`
            : 'JSON-RPC batches';
      out.push({
        id: `${label}.${t.mode}.tps`,
        scenario,
        what: `committed transfers/s, ${how}, ${t.saturation.durationMs / 1000} s sustained`,
        value: tps,
        unit: '/s',
        ratio: round(ratio, 4),
        ratioText: `${pct(ratio)} of ${limitText}`,
        target:
          minRatio === null ? `≥ ${fmt(minTps)}/s` : `≥ ${fmt(minTps)}/s (≥ ${pct(minRatio)} of L)`,
        met: judged(tps >= minTps && (minRatio === null || ratio >= minRatio)),
        note:
          `${t.saturation.meanTxsPerBlock} txs/block, block every ${t.saturation.meanBlockIntervalMs} ms; saturated p99 ${fmt(t.saturation.latency.p99Ms)} ms` +
          (t.saturation.rejected > 0 ? `; ${fmt(t.saturation.rejected)} rejected` : '') +
          ('startupMs' in t ? `; processes up in ${fmt((t.startupMs as number) / 1000)} s` : ''),
      });
      if (t.halfLoad) {
        const l = t.halfLoad.latency;
        out.push({
          id: `${label}.${t.mode}.p99`,
          scenario,
          what: `p50 / p99 submission → commit at half load (${fmt(t.halfLoad.targetPerSecond)}/s), ${t.mode}`,
          value: l.p99Ms,
          unit: 'ms',
          ratio: l.p99Blocks,
          ratioText: `p50 ${fmt(l.p50Ms)} ms; p99 = ${l.p99Blocks} block times (${t.blockTimeMs} ms)`,
          target: 'p99 ≤ 2 block times',
          met: judged(l.p99Blocks <= 2),
        });
      }
    }
  };
  tput('2 one validator', 'oneValidator', r.scenarios.oneValidator, L, 'L', 5000, 0.25);
  tput(
    '3 four validators, one process',
    'fourValidators',
    r.scenarios.fourValidators,
    L / 4,
    'L/4',
    2000,
    null,
  );
  const mp = r.scenarios.fourValidatorsMultiProcess;
  if (Array.isArray(mp)) {
    tput(
      '3 four validators, four processes',
      'fourValidatorsMultiProcess',
      mp,
      L / 4,
      'L/4',
      2000,
      null,
    );
  } else if (mp) {
    // Results written before the scenario existed.
    out.push({
      id: 'fourValidatorsMultiProcess.tps',
      scenario: '3 four validators, four processes',
      what: 'committed transfers/s',
      value: null,
      unit: '/s',
      ratio: null,
      ratioText: 'L/4',
      target: '—',
      met: null,
      note: `TODO: ${mp.reason}`,
    });
  }
  const sr = r.scenarios.stateRoot;
  if (sr) {
    const budget = (sr.changedAccounts / perCore) * 1000;
    out.push({
      id: 'stateRoot.commitMs',
      scenario: '4 state root',
      what: `commit of a block changing ${fmt(sr.changedAccounts)} accounts (state of ${fmt(sr.accounts)})`,
      value: sr.commitMs,
      unit: 'ms',
      ratio: round(sr.commitMs / budget, 3),
      ratioText: `${round(sr.commitMs / budget, 2)}× the time to recover ${fmt(sr.changedAccounts)} signatures on one core`,
      target: '≤ 150 ms',
      met: judged(sr.commitMs <= 150 && sr.changedAccounts >= 10_000),
      note: `reads + writes before it ${sr.readWriteMs} ms; ${fmt(sr.newNodes)} new nodes; keccak256 of a branch node ${sr.branchHashMicros} µs`,
    });
  }
  const rp = r.scenarios.replay;
  if (rp) {
    out.push({
      id: 'replay.tps',
      scenario: '5 replay',
      what: `import of a recorded chain from disk (${rp.blocks} blocks × ${fmt(rp.txsPerBlock)} transfers)`,
      value: rp.replay.transactionsPerSecond,
      unit: 'txs/s',
      ratio: round(rp.replay.transactionsPerSecond / L, 4),
      ratioText: `${pct(rp.replay.transactionsPerSecond / L)} of L; ${rp.replay.blocksPerSecond} blocks/s`,
      target: '≥ 20,000 txs/s',
      met: judged(rp.replay.transactionsPerSecond >= 20_000),
      note: `recording (building the same blocks): ${fmt(rp.record.transactionsPerSecond)} txs/s`,
    });
  }
  const ct = r.scenarios.contracts;
  if (ct) {
    const gasNote = `${fmt(ct.erc20.gasPerTx)} gas per ERC-20 transfer, ${fmt(ct.plain.gasPerTx)} per plain one`;
    out.push({
      id: 'contracts.erc20Tps',
      scenario: '8 contracts',
      what: `committed OpenZeppelin ERC-20 transfers, one validator, block recording (${ct.blocks} blocks × ${fmt(ct.txsPerBlock)})`,
      value: ct.erc20.transactionsPerSecond,
      unit: 'txs/s',
      ratio: round(ct.erc20.transactionsPerSecond / L, 4),
      ratioText: `${pct(ct.erc20.transactionsPerSecond / L)} of L; plain transfers the same way ${fmt(ct.plain.transactionsPerSecond)} txs/s (${pct(ct.plain.transactionsPerSecond / L)} of L)`,
      target: '≥ 1,500 txs/s',
      met: judged(ct.erc20.transactionsPerSecond >= 1_500),
      note: `${gasNote}; per CPU second of the process: ${fmt(ct.erc20.transactionsPerCpuSecond)} ERC-20, ${fmt(ct.plain.transactionsPerCpuSecond)} plain`,
    });
    const cp = ct.processes;
    if (cp) {
      const e = cp.erc20.saturation;
      const pl = cp.plain.saturation;
      out.push({
        id: 'contracts.processes.erc20Tps',
        scenario: '8 contracts',
        what: `committed OpenZeppelin ERC-20 transfers/s, four validators as four processes, JSON-RPC batches spread over 4 nodes, ${round(e.durationMs / 1000, 0)} s sustained`,
        value: e.transfersPerSecond,
        unit: 'txs/s',
        ratio: round(e.transfersPerSecond / (L / 4), 4),
        ratioText: `${pct(e.transfersPerSecond / (L / 4))} of L/4; plain transfers the same way ${fmt(pl.transfersPerSecond)} txs/s (${pct(pl.transfersPerSecond / (L / 4))} of L/4)`,
        target: '—',
        met: null,
        note: `${fmt(cp.senders)} senders; ERC-20: ${e.meanTxsPerBlock} txs/block, block every ${e.meanBlockIntervalMs} ms, token set-up ${round(cp.setupMs / 1000, 1)} s; plain: ${pl.meanTxsPerBlock} txs/block, block every ${pl.meanBlockIntervalMs} ms`,
      });
    }
    for (const w of ct.worstCase)
      out.push({
        id: `contracts.worst.${w.code}`,
        scenario: '8 contracts',
        what: `a block of one transaction spending ${fmt(w.gasUsed)} gas on ${w.code}`,
        value: w.blockMs,
        unit: 'ms',
        ratio: asRecoveries(w.blockMs),
        ratioText: `= ${fmt(asRecoveries(w.blockMs))} recoveries on one core; ${w.megaGasPerSecond} Mgas/s`,
        target: '—',
        met: null,
        note: `default contract gas budget of a block ${fmt(ct.contractGasBudget)} (block gas limit ${fmt(ct.blockGasLimit)}); ${fmt(w.cpuMs)} ms of CPU time`,
      });
  }
  const ep = r.scenarios.epoch;
  if (ep) {
    const t = ep.epochTransition;
    out.push({
      id: 'epoch.transitionMs',
      scenario: '6 epoch',
      what: `epoch transition, ${fmt(ep.candidates)} candidates, ${fmt(t.locks)} locks`,
      value: t.totalMs,
      unit: 'ms',
      ratio: asRecoveries(t.totalMs),
      ratioText: `= ${fmt(asRecoveries(t.totalMs))} recoveries on one core`,
      target: '≤ 1,000 ms',
      met: judged(t.totalMs <= 1000 && t.locks >= 100_000 && ep.candidates >= 1000),
      note: epochNote(ep),
    });
    const ts = ep.transitions as EpochResult['transitions'] | undefined;
    if (ts && ts.length > 1)
      out.push({
        id: 'epoch.transitionGrowth',
        scenario: '6 epoch',
        what: `epoch transition at ${ts.map((x) => fmt(x.locks)).join(' / ')} locks (${ts.map((x) => fmt(x.buckets)).join(' / ')} vote buckets)`,
        value: ts[ts.length - 1]!.totalMs,
        unit: 'ms',
        ratio: ep.transitionGrowth,
        ratioText:
          `${ts.map((x) => `${x.totalMs} ms`).join(' / ')}: growth ×${ep.transitionGrowth}` +
          (ts.every((x) => x.firstMs !== undefined)
            ? ` (first run ${ts.map((x) => `${x.firstMs} ms`).join(' / ')})`
            : ''),
        target: 'flat (≤ ×1.5, noise) from 10,000 locks up',
        met: judged(ep.transitionGrowth <= 1.5 && ts[0]!.locks >= 10_000),
      });
    out.push({
      id: 'epoch.perBlockGrowth',
      scenario: '6 epoch',
      what: `per-block staking cost (empty block) at ${ep.perBlock.map((b) => fmt(b.locks)).join(' / ')} locks`,
      value: ep.perBlock[ep.perBlock.length - 1]!.totalMs,
      unit: 'ms',
      ratio: ep.perBlockGrowth,
      ratioText: `${ep.perBlock.map((b) => `${b.totalMs} ms`).join(' / ')}: growth ×${ep.perBlockGrowth}`,
      target: 'must not grow (≤ ×1.5, noise)',
      met: judged(ep.perBlockGrowth <= 1.5),
    });
  }
  const m = r.scenarios.memory;
  if (m) {
    const totalMiB = r.machine.memoryGiB * 1024;
    out.push({
      id: 'memory.peakRss',
      scenario: '7 memory',
      what: `peak RSS of a node holding ${fmt(m.accounts)} accounts`,
      value: m.peakRssMiB,
      unit: 'MiB',
      ratio: round(m.peakRssMiB / totalMiB, 3),
      ratioText: `${pct(m.peakRssMiB / totalMiB)} of ${r.machine.memoryGiB} GiB`,
      target: '≤ 1.5 GiB at 1,000,000 accounts',
      met: judged(m.peakRssMiB <= 1536 && m.accounts >= 1_000_000),
      note: `genesis build ${fmt(m.genesisBuildMs)} ms, restart ${fmt(m.reopenMs)} ms, after ${m.blocks} blocks RSS ${m.rssAfterMiB} MiB (heap ${m.heapUsedAfterMiB} MiB)`,
    });
  }
  const dm = r.scenarios.devnetMemory;
  if (dm) {
    const last = dm.samples.at(-1);
    out.push({
      id: 'devnetMemory.rssSlope',
      scenario: '7 memory',
      what: `RSS growth over the last half of a steady devnet (${fmt(dm.blocks)} blocks of ${dm.blockTimeMs} ms, ${fmt(dm.txsPerSecond)} transfers/s)`,
      value: dm.rssSlope ?? null,
      unit: 'MiB per 1,000 blocks',
      ratio: null,
      ratioText: `RSS ${last?.rssMiB ?? '—'} MiB at the end (anonymous ${last?.anonMiB ?? '—'}, mapped database ${last?.fileMiB ?? '—'}), peak ${dm.peakRssMiB} MiB`,
      target: 'levels off',
      met: null,
      note: `heap ${dm.heapSlope} and anonymous ${dm.anonSlope} MiB per 1,000 blocks over the last half; ${fmt(dm.transactions)} transfers committed`,
    });
  }
  const ec = r.scenarios.economy;
  if (ec) {
    out.push({
      id: 'economy.yearSeconds',
      scenario: '9 economy',
      what: `etm sim economy: ${fmt(ec.epochs)} epochs (${fmt(ec.blocks)} blocks of 3 s), ${fmt(ec.agents)} agents`,
      value: ec.seconds,
      unit: 's',
      ratio: asRecoveries(ec.seconds * 1000),
      ratioText: `= ${fmt(asRecoveries(ec.seconds * 1000))} recoveries on one core; ${fmt(ec.blocksPerSecond)} blocks/s`,
      target: '≤ 60 s for a year with 10,000 agents',
      met: judged(ec.seconds <= 60 && ec.epochs >= 8760 && ec.agents >= 10_000),
    });
  }
  for (const [name, error] of Object.entries(r.errors)) {
    out.push({
      id: `${name}.error`,
      scenario: name,
      what: 'failed',
      value: null,
      unit: '',
      ratio: null,
      ratioText: '',
      target: '',
      met: false,
      note: error.split('\n')[0],
    });
  }
  return out;
}

/** A run of some scenarios whose figures were merged into earlier results. */
export interface PartialRun {
  date: string;
  quick: boolean;
  scenarios: string[];
  durationSeconds: number;
  loadAverage1m: number;
  baseline: SignatureBaseline;
}

/** Scenario names in table order, each with the key its results and figure ids use. */
const SCENARIO_KEYS: [string, string][] = [
  ['baseline', 'baseline'],
  ['one-validator', 'oneValidator'],
  ['four-validators', 'fourValidators'],
  ['four-processes', 'fourValidatorsMultiProcess'],
  ['state-root', 'stateRoot'],
  ['replay', 'replay'],
  ['contracts', 'contracts'],
  ['epoch', 'epoch'],
  ['memory', 'memory'],
  ['devnet-memory', 'devnetMemory'],
  ['economy', 'economy'],
];

/** The scenario a figure belongs to (figure ids start with its key, errors with its name). */
function ownerOf(f: Figure): string {
  const head = f.id.slice(0, f.id.indexOf('.'));
  return SCENARIO_KEYS.find(([name, key]) => key === head || name === head)?.[0] ?? head;
}

const order = (f: Figure) => {
  const i = SCENARIO_KEYS.findIndex(([name]) => name === ownerOf(f));
  return i < 0 ? SCENARIO_KEYS.length : i;
};

/**
 * `previous` with the scenarios `next` ran replaced by next's: their results, errors and
 * figures (each figure noting the run it comes from and that run's L, against which its ratio
 * was taken). Everything else in `previous` (its baseline, machine, date) stays.
 */
export function mergeResults(
  previous: BenchResults,
  next: BenchResults,
  ran: string[],
): BenchResults {
  const replaced = new Set(ran.filter((s) => s !== 'baseline'));
  const merged = structuredClone(previous);
  const scenarios = merged.scenarios as Record<string, unknown>;
  for (const name of replaced) {
    const key = SCENARIO_KEYS.find(([n]) => n === name)?.[1];
    if (!key) continue;
    const value = (next.scenarios as Record<string, unknown>)[key];
    if (value === undefined) delete scenarios[key];
    else scenarios[key] = value;
    delete merged.errors[name];
    if (next.errors[name] !== undefined) merged.errors[name] = next.errors[name];
  }
  const tag = `separate run ${next.machine.date}, L = ${fmt(next.baseline.signatureLimit)}/s`;
  const incoming = next.figures
    .filter((f) => replaced.has(ownerOf(f)))
    .map((f) => ({ ...f, note: f.note ? `${f.note}; ${tag}` : tag }));
  const kept = previous.figures.filter((f) => !replaced.has(ownerOf(f)));
  merged.figures = [...kept, ...incoming]
    .map((f, i) => ({ f, i }))
    .sort((a, b) => order(a.f) - order(b.f) || a.i - b.i)
    .map((x) => x.f);
  const run: PartialRun = {
    date: next.machine.date,
    quick: next.quick,
    scenarios: [...replaced],
    durationSeconds: next.durationSeconds,
    loadAverage1m: next.machine.loadAverage1m,
    baseline: next.baseline,
  };
  merged.partialRuns = [
    ...(previous.partialRuns ?? []).filter((p) => p.scenarios.some((s) => !replaced.has(s))),
    run,
  ];
  return merged;
}

const cell = (s: string) => s.replace(/\|/g, '\\|');

/** The results table: scenario, figure, value, ratio, target, met, notes. */
export function markdownTable(r: BenchResults): string {
  const m = r.machine;
  const lines = [
    `Run ${m.date} (${r.quick ? 'quick: indicative only, targets not judged' : 'full'}), ${r.durationSeconds} s. ` +
      `Machine: ${m.cpuModel}, ${m.cores} cores, ${m.memoryGiB} GiB, ${m.os}, Node ${m.node}, load average ${m.loadAverage1m} at start. ` +
      `Baseline in the same run: ${fmt(r.baseline.recoveriesPerSecondPerCore)} recoveries/s per core, L = ${fmt(r.baseline.signatureLimit)}/s.`,
    ...(r.partialRuns ?? []).flatMap((p) => [
      '',
      `Figures of ${p.scenarios.join(', ')} from a separate run ${p.date}, ${p.durationSeconds} s, ` +
        `load average ${p.loadAverage1m} at start, L = ${fmt(p.baseline.signatureLimit)}/s (their ratios are to that L).`,
    ]),
    '',
    '| scenario | figure | value | ratio to this machine | target | met? | notes |',
    '| --- | --- | --- | --- | --- | --- | --- |',
  ];
  for (const f of r.figures) {
    const value = f.value === null ? '—' : `${fmt(f.value)} ${f.unit}`;
    const met = f.met === null ? '—' : f.met ? 'yes' : '**no**';
    lines.push(
      `| ${cell(f.scenario)} | ${cell(f.what)} | ${cell(value)} | ${cell(f.ratioText)} | ${cell(f.target)} | ${met} | ${cell(f.note ?? '')} |`,
    );
  }
  return lines.join('\n') + '\n';
}

/** How an epoch transition splits (results written before the split was measured lack it). */
function epochNote(ep: EpochResult): string {
  const t = ep.epochTransition;
  const head = `execute ${t.executeMs} ms + state root ${t.commitMs} ms`;
  const steps = ep.transitionSteps as EpochResult['transitionSteps'] | undefined;
  const shape = ep.transitionShape as EpochResult['transitionShape'] | undefined;
  if (!steps || !shape) return head;
  return (
    `${head}; each step alone: ${steps.tallyMs === undefined ? '' : `vote tally ${steps.tallyMs} ms, `}` +
    `halving ${steps.halvingMs} ms, weighing ${steps.weighingMs} ms, ` +
    `election ${steps.electionMs} ms, voters' reward refresh ${steps.refreshMs} ms; ` +
    `${shape.producers} producers over ${fmt(shape.producerLocks)} locks, ` +
    `${fmt(shape.buckets)} vote buckets`
  );
}
