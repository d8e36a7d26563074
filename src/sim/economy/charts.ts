/**
 * Charts of simulation results as SVG, rendered without a browser by ECharts' server-side SVG
 * renderer (`renderer: 'svg', ssr: true`).
 */
import * as echarts from 'echarts';
import type { CaptureResult } from './capture.js';
import type { EpochRow, RunResult } from './run.js';

export interface Chart {
  /** File name without extension. */
  name: string;
  title: string;
  svg: string;
}

const WIDTH = 900;
const HEIGHT = 420;

interface Line {
  name: string;
  data: [number, number | null][];
  area?: boolean;
  stack?: string;
  dashed?: boolean;
  points?: boolean;
}

function render(
  title: string,
  xName: string,
  yName: string,
  lines: Line[],
  yPercent = false,
): string {
  const chart = echarts.init(null, null, {
    renderer: 'svg',
    ssr: true,
    width: WIDTH,
    height: HEIGHT,
  });
  try {
    chart.setOption({
      animation: false,
      backgroundColor: '#ffffff',
      title: { text: title, left: 'center', textStyle: { fontSize: 15 } },
      legend: { top: 28, type: 'plain' },
      grid: { left: 80, right: 30, top: 70, bottom: 55 },
      xAxis: { type: 'value', name: xName, nameLocation: 'middle', nameGap: 30, scale: true },
      yAxis: {
        type: 'value',
        name: yName,
        scale: !yPercent,
        axisLabel: yPercent ? { formatter: (v: number) => `${Math.round(v * 1000) / 10}%` } : {},
      },
      series: lines.map((l) => ({
        name: l.name,
        type: l.points ? 'scatter' : 'line',
        data: l.data,
        showSymbol: l.points ?? l.data.length <= 40,
        symbolSize: l.points ? 8 : 4,
        stack: l.stack,
        areaStyle: l.area ? {} : undefined,
        lineStyle: l.dashed ? { type: 'dashed' } : undefined,
        connectNulls: false,
        sampling: 'lttb',
      })),
    });
    return chart.renderToSVGString();
  } finally {
    chart.dispose();
  }
}

/** At most ~2,000 points per line: every n-th row (the figures are per epoch). */
function thin(rows: readonly EpochRow[]): EpochRow[] {
  const step = Math.max(1, Math.ceil(rows.length / 2000));
  return rows.filter((_, i) => i % step === 0 || i === rows.length - 1);
}

export function runCharts(r: RunResult): Chart[] {
  const rows = thin(r.rows);
  const x = (f: (row: EpochRow) => number | null) =>
    rows.map((row) => [row.epoch, f(row)] as [number, number | null]);
  const strategies = Object.keys(r.rows[0]?.seats ?? {});
  const charts: Chart[] = [
    {
      name: 'staking',
      title: 'Staking ratio and inflation',
      svg: render(
        'Staking ratio S/B and inflation (annualised)',
        'epoch',
        '',
        [
          { name: 'staking ratio', data: x((row) => row.stakingRatio) },
          { name: 'inflation', data: x((row) => row.inflation) },
        ],
        true,
      ),
    },
    {
      name: 'apy',
      title: 'APY: estimate and realised',
      svg: render(
        'APY estimate (1+i)^((1−δ)B/S) − 1 vs realised by the locks',
        'epoch',
        '',
        [
          { name: 'estimate', data: x((row) => row.apyEstimate) },
          { name: 'realised', data: x((row) => row.apyRealised) },
        ],
        true,
      ),
    },
    {
      name: 'pools',
      title: 'Supply, bonus pool, treasury',
      svg: render('Bonus pool and treasury (ETM)', 'epoch', 'ETM', [
        { name: 'bonus pool', data: x((row) => row.bonusPool) },
        { name: 'treasury', data: x((row) => row.treasury) },
      ]),
    },
    {
      name: 'decentralisation',
      title: 'Churn, Nakamoto coefficient, Gini',
      svg: render('Validator churn, Nakamoto coefficient and Gini of rewards', 'epoch', '', [
        { name: 'churn', data: x((row) => row.churn) },
        { name: 'Gini of rewards', data: x((row) => row.giniRewards) },
        {
          name: 'Nakamoto / K',
          data: x(
            (row) =>
              row.nakamoto / Number(r.scenario.params.rankedSeats + r.scenario.params.lotterySeats),
          ),
        },
      ]),
    },
    {
      name: 'seats',
      title: 'Seat share by strategy',
      svg: render(
        'Seats of the elected set by strategy',
        'epoch',
        '',
        strategies.map((s) => ({
          name: s,
          data: x((row) => row.seats[s] ?? 0),
          area: true,
          stack: 'seats',
        })),
        true,
      ),
    },
  ];
  return charts;
}

/** One chart per figure: the runs of a sweep side by side. */
export function sweepCharts(param: string, runs: { value: string; result: RunResult }[]): Chart[] {
  const over = (
    name: string,
    title: string,
    f: (row: EpochRow) => number | null,
    pct = true,
  ): Chart => ({
    name,
    title,
    svg: render(
      `${title} by ${param}`,
      'epoch',
      '',
      runs.map((run) => {
        const rows = thin(run.result.rows);
        return {
          name: `${param} = ${run.value}`,
          data: rows.map((row) => [row.epoch, f(row)] as [number, number | null]),
        };
      }),
      pct,
    ),
  });
  return [
    over('sweep-staking', 'Staking ratio', (r) => r.stakingRatio),
    over('sweep-apy', 'APY estimate', (r) => r.apyEstimate),
    over('sweep-nakamoto', 'Nakamoto coefficient', (r) => r.nakamoto, false),
  ];
}

/** P(≥ f+1 seats) and P(≥ 2f+1 seats) in an epoch against the coalition's share, per mix. */
export function captureCharts(results: CaptureResult[]): Chart[] {
  const mixes = [...new Set(results.map((r) => `${r.rankedSeats}+${r.lotterySeats}`))];
  const lines = (which: 'fPlus1' | 'twoFPlus1'): Line[] =>
    mixes.flatMap((m) => {
      const rs = results
        .filter((r) => `${r.rankedSeats}+${r.lotterySeats}` === m)
        .sort((a, b) => a.share - b.share);
      const out: Line[] = [
        { name: `${m} analytic`, data: rs.map((r) => [r.share, r.analytic[which]]) },
      ];
      if (rs.some((r) => r.monteCarlo))
        out.push({
          name: `${m} Monte Carlo`,
          data: rs.map((r) => [r.share, r.monteCarlo?.[which] ?? null]),
          points: true,
        });
      return out;
    });
  return [
    {
      name: 'capture-f1',
      title: 'P(≥ f+1 seats)',
      svg: render(
        'P(coalition holds ≥ f+1 seats in an epoch)',
        'coalition stake share s',
        '',
        lines('fPlus1'),
        true,
      ),
    },
    {
      name: 'capture-2f1',
      title: 'P(≥ 2f+1 seats)',
      svg: render(
        'P(coalition holds ≥ 2f+1 seats in an epoch)',
        'coalition stake share s',
        '',
        lines('twoFPlus1'),
        true,
      ),
    },
  ];
}
