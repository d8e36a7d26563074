/** Overview: the head, its finality, the epoch's progress and the validator set in proposer order. */
import { html, nothing, type TemplateResult } from 'lit-html';
import type { Block } from 'viem';
import type { App, Page } from '../app.js';
import { addressLink, blockLink, blocksTable, loading, Names } from '../components.js';
import { ago, short } from '../format.js';
import type { Epoch, ValidatorSet } from '../rpc.js';

interface Data {
  head: Block;
  recent: Block[];
  set: ValidatorSet;
  epoch: Epoch | null;
  names: Names;
  epochBlocks: bigint;
}

/** Blocks listed under the head. */
const RECENT = 8n;

export class OverviewPage implements Page {
  readonly title = 'Overview';
  private data: Data | null = null;

  constructor(private readonly app: App) {}

  async load(): Promise<void> {
    const { rpc } = this.app;
    // One batch: the head and the blocks under it, the validators, the epoch, the names.
    const n = this.app.head;
    const blocks: Promise<Block>[] = [];
    for (let i = 0n; i < RECENT && n - i >= 0n; i++) blocks.push(rpc.block(n - i));
    const [set, epoch, candidates, [head, ...recent]] = await Promise.all([
      rpc.validators(),
      rpc.epoch(),
      rpc.candidates(),
      Promise.all(blocks),
    ]);
    const epochBlocks = epoch ? epoch.lastBlock - epoch.firstBlock + 1n : 0n;
    this.data = {
      head: head!,
      recent: [head!, ...recent],
      set,
      epoch,
      names: new Names(candidates),
      epochBlocks,
    };
  }

  view(): TemplateResult {
    const d = this.data;
    if (!d) return loading();
    const h = d.head;
    const names = d.names;
    const e = d.epoch;
    const done = e ? d.set.height - e.firstBlock : 0n;
    return html`<h1>Overview</h1>
      <section class="cards" data-testid="overview" data-ready="true">
        <div class="card">
          <h2>Head</h2>
          <p class="big">${blockLink(h.number!)}</p>
          <p class="mono" title=${h.hash!}>${short(h.hash!, 10)}</p>
          <p>${ago(h.timestamp)} · ${h.transactions.length} transactions</p>
          <p>proposer ${addressLink(h.miner, names)}</p>
        </div>
        <div class="card">
          <h2>Finality</h2>
          <p class="big" data-testid="finalized">final at #${h.number}</p>
          <p>
            Every committed block carries a quorum of validator seals (QBFT): it is final at once
            and never reverted, so the head is also the finalized block.
          </p>
        </div>
        <div class="card">
          <h2>Epoch ${e ? e.epoch : '—'}</h2>
          ${
            e
              ? html`<progress
                    max=${Number(d.epochBlocks)}
                    value=${Number(done)}
                    aria-label=${`epoch progress: ${done} of ${d.epochBlocks} blocks`}
                  ></progress>
                  <p>
                    ${done} of ${d.epochBlocks} blocks
                    (${blockLink(e.firstBlock)}–${blockLink(e.lastBlock)}),
                    ${e.lastBlock - d.set.height + 1n} to go
                  </p>
                  <p>
                    Block ${blockLink(e.lastBlock)} elects epoch ${e.epoch + 2n}:
                    <a href=${`#/election/${e.epoch}`}>audit this epoch's election</a>
                  </p>`
              : html`<p>not known</p>`
          }
        </div>
      </section>
      <section>
        <h2>Validators of block #${d.set.height}, in proposer order</h2>
        <p class="muted">
          The proposer of height h, round r is validator (h + r) mod ${d.set.validators.length}.
        </p>
        <ol class="validators" data-testid="validator-set" start="0">
          ${d.set.validators.map((v, i) => {
            const operator = e?.operators[i];
            const next = v.toLowerCase() === d.set.proposer.toLowerCase();
            return html`<li class=${next ? 'next' : ''}>
              ${addressLink(v, names)}
              ${
                operator && operator.toLowerCase() !== v.toLowerCase()
                  ? html`<span class="muted">operator ${addressLink(operator)}</span>`
                  : nothing
              }
              ${next ? html`<span class="tag">proposes next</span>` : nothing}
            </li>`;
          })}
        </ol>
      </section>
      <section>
        <h2>Latest blocks</h2>
        ${blocksTable('Latest blocks', d.recent, names)}
        <p><a href="#/blocks">All blocks</a></p>
      </section>`;
  }
}
