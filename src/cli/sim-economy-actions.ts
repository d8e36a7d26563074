/**
 * What the `etm sim economy` commands do. src/cli/sim-economy.ts loads this module only when
 * one of them runs, so that the simulator and its chart library add nothing to the start of
 * every other command.
 */
import { readFileSync } from 'node:fs';
import { SingleBar, Presets } from 'cli-progress';
import { readScenarioText, withParam, type Scenario } from '../sim/economy/scenario.js';
import { runScenario, type EpochRow, type RunResult } from '../sim/economy/run.js';
import { captureCharts, runCharts, sweepCharts, type Chart } from '../sim/economy/charts.js';
import {
  captureAnalytic,
  captureMonteCarlo,
  parseMixes,
  type CaptureResult,
} from '../sim/economy/capture.js';
import { toCsv, toHtml, toJson, writeFiles, type Cell } from '../sim/economy/output.js';

/** Shows a bar once a job has run for this long. */
const BAR_AFTER_MS = 2000;

/** A progress bar on stderr that appears only after BAR_AFTER_MS, redrawn on a TTY, else logged. */
export function progress(label: string, quiet = false) {
  const started = Date.now();
  let bar: SingleBar | null = null;
  return {
    update(done: number, total: number) {
      if (quiet) return;
      if (!bar && Date.now() - started < BAR_AFTER_MS) return;
      if (!bar) {
        bar = new SingleBar(
          {
            stream: process.stderr,
            format: `${label} [{bar}] {percentage}% | {value}/{total} epochs | {duration_formatted} elapsed, eta {eta_formatted}`,
            noTTYOutput: true,
            notTTYSchedule: 5000,
            hideCursor: process.stderr.isTTY === true,
          },
          Presets.shades_classic,
        );
        bar.start(total, done);
      }
      bar.update(done);
    },
    stop() {
      bar?.stop();
    },
  };
}

function loadScenario(path: string, o: { epochs?: number; seed?: number }): Scenario {
  let s = readScenarioText(readFileSync(path, 'utf8'));
  if (o.epochs !== undefined) s = { ...s, epochs: o.epochs };
  if (o.seed !== undefined) s = { ...s, seed: o.seed };
  return s;
}

const ROW_HEADER = (strategies: string[]) => [
  'epoch',
  'height',
  'supply',
  'locked',
  'stakingRatio',
  'inflation',
  'minted',
  'apyEstimate',
  'apyRealised',
  'bonusPool',
  'bonusPaid',
  'treasury',
  'churn',
  'nakamoto',
  'giniRewards',
  ...strategies.map((s) => `seats_${s}`),
];

function rowCells(r: EpochRow, strategies: string[]): Cell[] {
  return [
    r.epoch,
    r.height,
    r.supply,
    r.locked,
    r.stakingRatio,
    r.inflation,
    r.minted,
    r.apyEstimate,
    r.apyRealised,
    r.bonusPool,
    r.bonusPaid,
    r.treasury,
    r.churn,
    r.nakamoto,
    r.giniRewards,
    ...strategies.map((s) => r.seats[s] ?? 0),
  ];
}

const pct = (x: number | null) => (x === null ? '—' : `${(x * 100).toFixed(2)}%`);

function summaryTable(runs: { label: string; r: RunResult }[]) {
  const strategies = [...new Set(runs.flatMap((x) => Object.keys(x.r.summary.seatShare)))].sort();
  const header = [
    'run',
    'final supply',
    'final staking ratio',
    'mean staking ratio',
    'mean inflation',
    'median APY estimate',
    'median APY realised',
    'mean churn',
    'mean Nakamoto',
    'mean Gini',
    'treasury',
    ...strategies.map((s) => `seats ${s}`),
  ];
  const rows: Cell[][] = runs.map(({ label, r }) => {
    const s = r.summary;
    return [
      label,
      Math.round(s.finalSupply),
      s.finalStakingRatio,
      s.meanStakingRatio,
      s.meanInflation,
      s.medianApyEstimate,
      s.medianApyRealised,
      s.meanChurn,
      s.meanNakamoto,
      s.meanGini,
      Math.round(s.treasury),
      ...strategies.map((st) => s.seatShare[st] ?? 0),
    ];
  });
  return { header, rows };
}

function runFiles(r: RunResult, charts: Chart[] | null): Record<string, string> {
  const strategies = Object.keys(r.rows[0]?.seats ?? {});
  const t = summaryTable([{ label: r.scenario.name, r }]);
  const files: Record<string, string> = {
    'epochs.csv': toCsv(
      ROW_HEADER(strategies),
      r.rows.map((row) => rowCells(row, strategies)),
    ),
    'run.json': toJson({
      scenario: r.scenario,
      summary: r.summary,
      seconds: r.seconds,
      blocks: r.blocks,
      agents: r.agents,
      rows: r.rows,
    }),
  };
  if (charts) {
    for (const c of charts) files[`${c.name}.svg`] = c.svg;
    files['report.html'] = toHtml({
      title: `etm sim economy: ${r.scenario.name}`,
      facts: [
        ['seed', String(r.scenario.seed)],
        ['epochs', `${r.scenario.epochs} (${r.blocks.toLocaleString('en-US')} blocks)`],
        ['agents', String(r.agents)],
        [
          'seats',
          `${r.scenario.params.rankedSeats} ranked + ${r.scenario.params.lotterySeats} lottery`,
        ],
        [
          'u, δ, tMax',
          `${Number(r.scenario.params.stakeExponent) / 1e18}, ${Number(r.scenario.params.validatorInflationShare) / 1e18}, ${r.scenario.params.tMax}`,
        ],
        ['simulated in', `${r.seconds.toFixed(1)} s`],
      ],
      tables: [{ caption: 'Summary', ...t }],
      charts,
    });
  }
  return files;
}

function printSummary(runs: { label: string; r: RunResult }[]) {
  for (const { label, r } of runs) {
    const s = r.summary;
    console.log(
      `${label}: ${r.scenario.epochs} epochs, ${r.agents} agents in ${r.seconds.toFixed(1)} s; ` +
        `staking ratio ${pct(s.finalStakingRatio)} (mean ${pct(s.meanStakingRatio)}), inflation ${pct(s.meanInflation)}, ` +
        `APY estimate ${pct(s.medianApyEstimate)} / realised ${pct(s.medianApyRealised)} (medians), churn ${pct(s.meanChurn)}, ` +
        `Nakamoto ${s.meanNakamoto.toFixed(2)}, Gini ${s.meanGini === null ? '—' : s.meanGini.toFixed(3)}; seats ` +
        Object.entries(s.seatShare)
          .map(([k, v]) => `${k} ${pct(v)}`)
          .join(', '),
    );
  }
}

export const runAction = (
  file: string,
  o: { out?: string; epochs?: number; seed?: number; charts: boolean; quiet?: boolean },
) => {
  const s = loadScenario(file, o);
  const bar = progress(s.name, o.quiet);
  const r = runScenario(s, { onEpoch: (d, t) => bar.update(d, t) });
  bar.stop();
  printSummary([{ label: s.name, r }]);
  if (o.out) {
    const paths = writeFiles(o.out, runFiles(r, o.charts ? runCharts(r) : null));
    console.log(`wrote ${paths.length} files to ${o.out}`);
  }
};

export const sweepAction = (
  file: string,
  o: {
    out?: string;
    epochs?: number;
    seed?: number;
    charts: boolean;
    quiet?: boolean;
    param: string;
    values: string;
  },
) => {
  const base = loadScenario(file, o);
  const values = o.values
    .split(',')
    .map((v) => v.trim())
    .filter((v) => v !== '');
  if (values.length < 1 || values.length > 50) throw new Error('--values: 1 to 50 values');
  const runs: { value: string; result: RunResult }[] = [];
  const bar = progress(`sweep ${o.param}`, o.quiet);
  const total = values.length * base.epochs;
  values.forEach((v, i) => {
    const s = withParam(base, o.param, v);
    const r = runScenario(
      { ...s, name: `${o.param}=${v}` },
      { onEpoch: (d) => bar.update(i * base.epochs + d, total) },
    );
    runs.push({ value: v, result: r });
  });
  bar.stop();
  const labelled = runs.map((x) => ({ label: `${o.param}=${x.value}`, r: x.result }));
  printSummary(labelled);
  if (o.out) {
    const t = summaryTable(labelled);
    const files: Record<string, string> = {
      'sweep.csv': toCsv(t.header, t.rows),
      'sweep.json': toJson({
        param: o.param,
        runs: runs.map((x) => ({ value: x.value, summary: x.result.summary })),
      }),
    };
    if (o.charts) {
      const charts = sweepCharts(o.param, runs);
      for (const c of charts) files[`${c.name}.svg`] = c.svg;
      files['report.html'] = toHtml({
        title: `etm sim economy sweep: ${base.name}, ${o.param}`,
        facts: [
          ['values', values.join(', ')],
          ['epochs', String(base.epochs)],
          ['seed', String(base.seed)],
        ],
        tables: [{ caption: `Outcomes by ${o.param}`, ...t }],
        charts,
      });
    }
    const paths = writeFiles(o.out, files);
    console.log(`wrote ${paths.length} files to ${o.out}`);
  }
};

export const captureAction = (o: {
  shares: string;
  mixes: string;
  u: string;
  honest: number;
  trials: number;
  epochsPerYear: number;
  seed: number;
  out?: string;
  charts: boolean;
  quiet?: boolean;
}) => {
  const shares = o.shares.split(',').map((x) => {
    const v = Number(x);
    if (!(v > 0 && v < 1)) throw new Error(`--shares: ${x} is not between 0 and 1`);
    return v;
  });
  const us = o.u.split(',').map((x) => {
    const m = /^\s*(0(\.\d{1,18})?|1(\.0*)?)\s*$/.exec(x);
    if (!m || Number(x) <= 0) throw new Error(`--u: ${x} is not in (0, 1]`);
    const [i, f = ''] = x.trim().split('.');
    return BigInt(i!) * 10n ** 18n + BigInt(f.padEnd(18, '0') || '0');
  });
  const mixes = parseMixes(o.mixes);
  const cases = mixes.flatMap((m) =>
    us.flatMap((u) =>
      shares.map((share) => ({
        ...m,
        u,
        share,
        honest: o.honest,
        epochsPerYear: o.epochsPerYear,
      })),
    ),
  );
  const bar = progress('capture', o.quiet);
  const results: CaptureResult[] = cases.map((c, i) => {
    const a = captureAnalytic(c);
    const r = o.trials > 0 ? captureMonteCarlo(a, o.trials, o.seed) : a;
    bar.update(i + 1, cases.length);
    return r;
  });
  bar.stop();
  const header = [
    'share',
    'mix',
    'u',
    'split',
    'P(≥f+1) analytic',
    'P(≥f+1) MC',
    'P(≥2f+1) analytic',
    'P(≥2f+1) MC',
    'year P(≥f+1)',
    'year P(≥2f+1)',
    'mean seats',
  ];
  const rows: Cell[][] = results.map((r) => [
    r.share,
    `${r.rankedSeats}+${r.lotterySeats}`,
    Number(r.u) / 1e18,
    r.split,
    r.analytic.fPlus1,
    r.monteCarlo?.fPlus1 ?? null,
    r.analytic.twoFPlus1,
    r.monteCarlo?.twoFPlus1 ?? null,
    r.analytic.fPlus1Year,
    r.analytic.twoFPlus1Year,
    r.analytic.meanSeats,
  ]);
  for (const r of results)
    console.log(
      `s=${r.share} ${r.rankedSeats}+${r.lotterySeats} u=${Number(r.u) / 1e18}: split ${r.split}, ` +
        `P(≥${r.f + 1}) ${r.analytic.fPlus1.toPrecision(4)} analytic / ${r.monteCarlo?.fPlus1.toPrecision(4) ?? '—'} MC, ` +
        `P(≥${2 * r.f + 1}) ${r.analytic.twoFPlus1.toPrecision(4)} / ${r.monteCarlo?.twoFPlus1.toPrecision(4) ?? '—'}; ` +
        `within a year ${r.analytic.fPlus1Year.toPrecision(4)} / ${r.analytic.twoFPlus1Year.toPrecision(4)}`,
    );
  if (o.out) {
    const files: Record<string, string> = {
      'capture.csv': toCsv(header, rows),
      'capture.json': toJson(results),
    };
    if (o.charts) {
      const charts = captureCharts(results);
      for (const c of charts) files[`${c.name}.svg`] = c.svg;
      files['report.html'] = toHtml({
        title: 'etm sim economy capture',
        facts: [
          ['honest candidates', String(o.honest)],
          ['Monte Carlo trials', String(o.trials)],
          ['epochs per year', String(o.epochsPerYear)],
        ],
        tables: [{ caption: 'Capture probabilities', header, rows }],
        charts,
      });
    }
    const paths = writeFiles(o.out, files);
    console.log(`wrote ${paths.length} files to ${o.out}`);
  }
};
