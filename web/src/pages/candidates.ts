/**
 * Candidates: each one's votes (Σx), X, performance v with its turns m/n, election weight R,
 * chance of election, deposit, commission, status, the epochs it was elected for and its missed
 * turns, as the next election would weigh them now.
 */
import { html, nothing, type TemplateResult } from 'lit-html';
import { parseUnits } from 'viem';
import type { App, Page } from '../app.js';
import { addressLink, amount, loading, table } from '../components.js';
import { bps, decimal, etm, percent } from '../format.js';
import type { Candidate, Epoch } from '../rpc.js';

/** Epochs of elected history shown (the next one, already elected, included). */
const HISTORY = 8n;

export class CandidatesPage implements Page {
  readonly title = 'Candidates';
  private candidates: Candidate[] | null = null;
  private epochs: Epoch[] = [];

  constructor(private readonly app: App) {}

  async load(): Promise<void> {
    const { rpc } = this.app;
    const [candidates, current] = await Promise.all([rpc.candidates(), rpc.epoch()]);
    const wanted: bigint[] = [];
    if (current)
      for (let e = current.epoch + 1n; e >= 0n && e > current.epoch + 1n - HISTORY; e--)
        wanted.push(e);
    const epochs = await Promise.all(wanted.map((e) => rpc.epoch(e)));
    this.epochs = epochs.filter((e): e is Epoch => e !== null);
    this.candidates = [...candidates].sort((a, b) =>
      rawR(b.R) === rawR(a.R) ? a.address.localeCompare(b.address) : rawR(b.R) > rawR(a.R) ? 1 : -1,
    );
  }

  view(): TemplateResult {
    const list = this.candidates;
    if (!list) return loading();
    const electedIn = (c: Candidate) =>
      this.epochs
        .filter((e) => e.operators.some((o) => o.toLowerCase() === c.address.toLowerCase()))
        .map((e) => e.epoch)
        .sort((a, b) => (a < b ? -1 : 1));
    return html`<h1>Candidates</h1>
      <p class="muted">
        Weights as the next election would use them now. Σx is the sum of the vote weights x = t·T
        of the locks voting for a candidate; X = (Σx / 1 ETM)^0.75; v = m/n over the performance
        window; R = v·X; the chance of election is R / ΣR. See
        <a href="#/election">the election audit</a>.
      </p>
      ${table(
        'Candidates',
        [
          'Candidate',
          'Status',
          'Votes Σx',
          'X',
          'v (m/n)',
          'R',
          'Chance',
          'Deposit',
          'Commission',
          html`Elected <span class="muted">(epochs)</span>`,
          'Missed turns',
          '',
        ],
        list.map((c) => {
          const history = electedIn(c);
          return html`<tr data-candidate=${c.name}>
            <td>${addressLink(c.address, undefined)} <strong>${c.name}</strong></td>
            <td>${c.status}${c.elected ? html` <span class="tag">validating</span>` : nothing}</td>
            <td class="num" title=${`${c.votes} units`}>${etm(c.votes)}</td>
            <td class="num" title=${c.X}>${decimal(c.X)}</td>
            <td class="num" title=${c.v}>${decimal(c.v, 4)} (${c.m}/${c.n})</td>
            <td class="num" title=${c.R}>${decimal(c.R)}</td>
            <td class="num" title=${c.probability}>${percent(c.probability)}</td>
            <td class="num">${amount(c.deposit)}</td>
            <td class="num">
              ${bps(c.commissionBps)} <span class="muted">≤ ${bps(c.commissionMaxBps)}</span>
            </td>
            <td>${history.length ? history.join(', ') : '—'}</td>
            <td class="num">${c.n - c.m}</td>
            <td><a href=${`#/stake/${c.address}`}>Vote</a></td>
          </tr>`;
        }),
        'candidates',
      )}
      <p class="muted">
        Elected history covers epochs ${this.epochs.at(-1)?.epoch ?? '—'} to
        ${this.epochs[0]?.epoch ?? '—'}.
      </p>`;
  }
}

/** A 36-decimal figure as an integer, for exact comparison. */
const rawR = (value: string): bigint => parseUnits(value, 36);
