/**
 * Economics over time: supply, staking ratio, inflation, the reward rate r, the APY estimate
 * against the realised rate, the bonus pool and the treasury, drawn with uPlot from
 * etm_getEconomics sampled across the chain's history (one batch), then one more point per new
 * head. Charts plot floats (display only); the table under them gives the exact figures.
 */
import { html, type TemplateResult } from 'lit-html';
import uPlot from 'uplot';
import 'uplot/dist/uPlot.min.css';
import type { App, Page } from '../app.js';
import { amount, blockLink, loading, table } from '../components.js';
import { decimal, percent } from '../format.js';
import type { Economics } from '../rpc.js';

/** Points sampled across history when the page opens (one JSON-RPC batch, under its limit of 100). */
const SAMPLES = 48n;
/** Points kept as new heads arrive. */
const MAX_POINTS = 400;

const toEtm = (units: bigint) => Number(units / 10n ** 12n) / 1e6;
const rate = (value: string | null) => (value === null ? null : Number(value));
const pct = (value: string | null) => (value === null ? null : Number(value) * 100);

/** Axis labels: compact for large values, significant digits for tiny rates. */
function tick(v: number): string {
  const a = Math.abs(v);
  if (a === 0) return '0';
  if (a >= 1e6) return `${(v / 1e6).toPrecision(4).replace(/\.?0+$/, '')}M`;
  if (a >= 1) return v.toLocaleString('en-US', { maximumFractionDigits: 2 });
  return v.toPrecision(3);
}

interface ChartSpec {
  id: string;
  title: string;
  unit: string;
  series: { label: string; color: string; value: (e: Economics) => number | null }[];
}

const CHARTS: ChartSpec[] = [
  {
    id: 'supply',
    title: 'Supply B and locked S',
    unit: 'ETM',
    series: [
      { label: 'supply B', color: '#2a6fdb', value: (e) => toEtm(e.supply) },
      { label: 'locked S', color: '#d9822b', value: (e) => toEtm(e.totalLocked) },
    ],
  },
  {
    id: 'ratio',
    title: 'Staking ratio S/B',
    unit: '%',
    series: [{ label: 'staking ratio', color: '#2a6fdb', value: (e) => pct(e.stakingRatio) }],
  },
  {
    id: 'inflation',
    title: 'Inflation: yearly i and per block i_n',
    unit: '%',
    series: [
      { label: 'i (yearly)', color: '#2a6fdb', value: (e) => pct(e.inflationRate) },
      {
        label: 'i_n × blocks per year',
        color: '#7a3fb3',
        value: (e) => (rate(e.perBlockRate) ?? 0) * Number(e.blocksPerYear) * 100,
      },
    ],
  },
  {
    id: 'r',
    title: 'Reward per locked token per block r',
    unit: 'ETM per ETM',
    series: [{ label: 'r', color: '#1f8a4c', value: (e) => rate(e.rewardPerTokenPerBlock) }],
  },
  {
    id: 'apy',
    title: 'APY: estimate against the realised rate',
    unit: '%',
    series: [
      {
        label: 'estimate (1+i)^((1−δ)B/S) − 1',
        color: '#2a6fdb',
        value: (e) => pct(e.apyEstimate),
      },
      { label: 'realised (1+r)^n − 1', color: '#d9822b', value: (e) => pct(e.apyCurrent) },
    ],
  },
  {
    id: 'pools',
    title: 'Voter bonus pool and DAO treasury',
    unit: 'ETM',
    series: [
      { label: 'bonus pool', color: '#7a3fb3', value: (e) => toEtm(e.bonusPool) },
      { label: 'treasury', color: '#1f8a4c', value: (e) => toEtm(e.treasury) },
      { label: 'reward pool', color: '#d9822b', value: (e) => toEtm(e.rewardPool) },
    ],
  },
];

export class EconomicsPage implements Page {
  readonly title = 'Economics';
  private points: Economics[] = [];
  private readonly charts = new Map<string, { plot: uPlot; el: HTMLElement }>();

  constructor(private readonly app: App) {}

  async load(): Promise<void> {
    const { rpc } = this.app;
    const head = this.app.head;
    const last = this.points.at(-1)?.block ?? -1n;
    if (this.points.length === 0) {
      const blocks = new Set<bigint>();
      for (let i = 0n; i < SAMPLES; i++) blocks.add((head * i) / (SAMPLES - 1n));
      this.points = await Promise.all([...blocks].map((b) => rpc.economics(b)));
    } else if (head > last) {
      this.points.push(await rpc.economics(head));
      if (this.points.length > MAX_POINTS) this.points.splice(0, this.points.length - MAX_POINTS);
    }
  }

  view(): TemplateResult {
    const latest = this.points.at(-1);
    if (!latest) return loading();
    queueMicrotask(() => this.draw());
    return html`<h1>Economics</h1>
      <p class="muted">
        ${this.points.length} points from block ${this.points[0]!.block} to
        ${blockLink(latest.block)}; rules in docs/economics.md.
      </p>
      <div class="charts" data-testid="charts">
        ${CHARTS.map(
          (c) =>
            html`<figure class="chart">
              <figcaption>${c.title} <span class="muted">(${c.unit})</span></figcaption>
              <div
                class="plot"
                id=${`chart-${c.id}`}
                role="img"
                aria-label=${`${c.title}, chart; exact values in the table below`}
              ></div>
            </figure>`,
        )}
      </div>
      ${
        latest.apyEstimate === null
          ? html`<p class="muted">
              The APY is undefined or beyond the 36-decimal range while so little is locked: the
              chart has no points for it then.
            </p>`
          : ''
      }
      <h2>At block #${latest.block}</h2>
      ${table(
        'Economics at the head',
        ['Figure', 'Value'],
        [
          ['supply B', amount(latest.supply)],
          ['locked S', amount(latest.totalLocked)],
          ['staking ratio S/B', percent(latest.stakingRatio, 6)],
          ['inflation i', percent(latest.inflationRate, 6)],
          ['per-block rate i_n', decimal(latest.perBlockRate, 36)],
          ['reward per token per block r', decimal(latest.rewardPerTokenPerBlock, 36)],
          ['APY estimate', percent(latest.apyEstimate, 6)],
          ['APY realised (current r)', percent(latest.apyCurrent, 6)],
          ['minted by this block', amount(latest.minted)],
          ['minted since genesis', amount(latest.mintedTotal)],
          ['voter bonus pool', amount(latest.bonusPool)],
          [
            'bonus released / not yet paid',
            html`${amount(latest.bonusReleased)} / ${amount(latest.bonusPending)}`,
          ],
          ['DAO treasury', amount(latest.treasury)],
          ['staking reward pool', amount(latest.rewardPool)],
        ].map(
          ([k, v]) =>
            html`<tr>
              <th scope="row">${k}</th>
              <td>${v}</td>
            </tr>`,
        ),
        'economics',
      )}`;
  }

  /** Creates the charts (again, if their containers were replaced) and gives them the points. */
  private draw(): void {
    const x = this.points.map((p) => Number(p.block));
    for (const spec of CHARTS) {
      const el = document.getElementById(`chart-${spec.id}`);
      if (!el) continue;
      const data: uPlot.AlignedData = [x, ...spec.series.map((s) => this.points.map(s.value))];
      const existing = this.charts.get(spec.id);
      if (existing && existing.el === el) {
        existing.plot.setData(data);
        continue;
      }
      existing?.plot.destroy();
      const width = Math.max(260, Math.min(el.clientWidth || 600, 900));
      const plot = new uPlot(
        {
          width,
          height: 200,
          scales: { x: { time: false } },
          axes: [{ label: 'block' }, { size: 80, values: (_u, splits) => splits.map(tick) }],
          series: [
            { label: 'block' },
            ...spec.series.map((s) => ({ label: s.label, stroke: s.color, width: 2 })),
          ],
        },
        data,
        el,
      );
      this.charts.set(spec.id, { plot, el });
    }
  }
}
