/**
 * The election audit of one epoch: what the chain published (seed, seats, every candidate's
 * weight, the ranked seats, each draw's w, W and z, the order) and the browser's own run of the
 * election on it, marked "verified" or "mismatch".
 */
import { html, nothing, type TemplateResult } from 'lit-html';
import { parseUnits, type Address, type Hex } from 'viem';
import { lotteryWeight } from '../../../src/election/election.js';
import type { App, Page } from '../app.js';
import { audit, type AuditResult } from '../audit.js';
import { addressLink, blockLink, loading, Names, table } from '../components.js';
import { decimal } from '../format.js';
import type { Election } from '../rpc.js';

export class ElectionPage implements Page {
  readonly title: string;
  private election: Election | null = null;
  private result: AuditResult | null = null;
  private names = new Names();
  private missing = false;
  private epoch: bigint | null;

  constructor(
    private readonly app: App,
    epoch: bigint | null,
  ) {
    this.epoch = epoch;
    this.title = epoch === null ? 'Election audit' : `Election of epoch ${epoch}`;
  }

  async load(): Promise<void> {
    const { rpc } = this.app;
    // By default the newest election: the next epoch's, held since the previous epoch ended.
    if (this.epoch === null) {
      const current = await rpc.epoch();
      this.epoch = current ? current.epoch + 1n : 0n;
    }
    // An audited election does not change: load it once.
    if (this.result) return;
    const epoch = this.epoch;
    const [election, candidates] = await Promise.all([rpc.election(epoch), rpc.candidates()]);
    this.names = new Names(candidates);
    if (election === null) {
      this.missing = true;
      return;
    }
    this.missing = false;
    const [block, previous] = await Promise.all([
      election.electedAt > 0n ? rpc.block(election.electedAt) : null,
      election.candidates?.length === 0 && epoch > 0n ? rpc.election(epoch - 1n) : null,
    ]);
    this.election = election;
    this.result = audit(
      election,
      (block?.mixHash as Hex | undefined) ?? null,
      previous?.order ?? null,
    );
  }

  view(): TemplateResult {
    const epoch = this.epoch;
    if (epoch === null) return loading();
    const nav = html`<p class="pager">
      ${epoch > 0n ? html`<a href=${`#/election/${epoch - 1n}`}>Epoch ${epoch - 1n}</a>` : nothing}
      <a href=${`#/election/${epoch + 1n}`}>Epoch ${epoch + 1n}</a>
    </p>`;
    if (this.missing)
      return html`<h1>Election of epoch ${epoch}</h1>
        ${nav}
        <p>
          Epoch ${epoch} has not been elected yet: each epoch's last block elects the epoch two on.
        </p>`;
    const e = this.election;
    const r = this.result;
    if (!e || !r) return loading();
    const names = this.names;
    const wOf = new Map(
      (e.candidates ?? []).map((c) => [c.address.toLowerCase(), lotteryWeightOf(c.R)]),
    );
    return html`<h1>Election of epoch ${epoch}</h1>
      ${nav} ${status(r)}
      <dl class="facts">
        <dt>Elected at</dt>
        <dd>${e.electedAt > 0n ? blockLink(e.electedAt) : 'the genesis'}</dd>
        <dt>Seed</dt>
        <dd class="mono" data-testid="seed">${e.seed}</dd>
        <dt>Seats</dt>
        <dd>${e.rankedSeats} ranked + ${e.lotterySeats} by lottery</dd>
      </dl>
      ${
        e.candidates && e.candidates.length > 0
          ? html`<h2>Candidates as weighed (${e.candidates.length})</h2>
              ${table(
                'Candidates as weighed',
                ['Candidate', 'R', 'Lottery weight w = ⌊R·10¹⁸⌋'],
                e.candidates.map(
                  (c) =>
                    html`<tr>
                      <td>${addressLink(c.address, names)}</td>
                      <td class="num" title=${c.R}>${decimal(c.R, 12)}</td>
                      <td class="num">${lotteryWeightOf(c.R)}</td>
                    </tr>`,
                ),
                'weights',
              )}`
          : nothing
      }
      <h2>Ranked seats</h2>
      ${list(e.ranked, names)}
      <h2>Lottery draws</h2>
      ${
        e.drawn.length === 0
          ? html`<p class="muted">None.</p>`
          : table(
              'Lottery draws',
              [
                'Draw i',
                'Total W',
                'Point z = keccak256(seed ‖ "draw" ‖ i) mod W',
                'Winner',
                'w',
                'Chance w/W',
              ],
              e.drawn.map(
                (d, i) =>
                  html`<tr>
                    <td>${i}</td>
                    <td class="num">${d.W}</td>
                    <td class="num">${d.z}</td>
                    <td>${addressLink(d.address, names)}</td>
                    <td class="num">
                      ${d.w}${
                        wOf.has(d.address.toLowerCase()) && wOf.get(d.address.toLowerCase()) !== d.w
                          ? html` <span class="bad"
                              >(weights give ${wOf.get(d.address.toLowerCase())})</span
                            >`
                          : nothing
                      }
                    </td>
                    <td class="num">${decimal(d.probability, 6)}</td>
                  </tr>`,
              ),
              'draws',
            )
      }
      ${
        e.filled.length > 0
          ? html`<h2>Seats filled without weight</h2>
              ${list(e.filled, names)}`
          : nothing
      }
      <h2>Proposer order</h2>
      <ol class="validators" data-testid="order" start="0">
        ${e.order.map((o, i) => html`<li>${addressLink(o, names)} <span class="muted">key ${addressLink(e.validators[i] ?? o)}</span></li>`)}
      </ol>`;
  }
}

function status(r: AuditResult): TemplateResult {
  if (r.status === 'genesis')
    return html`<p class="audit neutral" data-testid="audit-status" role="status">
      set by the genesis: no election to recompute
    </p>`;
  return html`<p
      class=${`audit ${r.status === 'verified' ? 'good' : 'bad'}`}
      data-testid="audit-status"
      role="status"
    >
      ${r.status}
    </p>
    <p class="muted">
      Recomputed in this browser from the published weights, seed and seats with the chain's
      election rules (docs/election.md).
    </p>
    <ul class="checks" data-testid="audit-checks">
      ${r.checks.map(
        (c) =>
          html`<li class=${c.ok ? 'good' : 'bad'}>
            <span aria-hidden="true">${c.ok ? '✓' : '✗'}</span>
            ${c.what}${c.ok ? nothing : html`: <span class="mono">${c.detail}</span>`}
          </li>`,
      )}
    </ul>`;
}

function list(addresses: Address[], names: Names): TemplateResult {
  return addresses.length === 0
    ? html`<p class="muted">None.</p>`
    : html`<ol>
        ${addresses.map((a) => html`<li>${addressLink(a, names)}</li>`)}
      </ol>`;
}

/** The lottery weight w = floor(R · 10^18) of a published R. */
const lotteryWeightOf = (R: string): bigint => lotteryWeight(parseUnits(R, 36));
