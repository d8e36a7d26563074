/** Small pieces shared by the pages: links to explorer pages, exact amounts, tables. */
import { html, nothing, type TemplateResult } from 'lit-html';
import type { Address, Block } from 'viem';
import { ago, checksum, etm, short } from './format.js';
import type { Candidate } from './rpc.js';

/** Names of candidates by operator and by consensus key (lower case). */
export class Names {
  private readonly byAddress = new Map<string, string>();

  constructor(candidates: readonly Candidate[] = []) {
    for (const c of candidates) {
      this.byAddress.set(c.address.toLowerCase(), c.name);
      this.byAddress.set(c.consensusKey.toLowerCase(), c.name);
    }
  }

  of(address: string | null | undefined): string | null {
    return address ? (this.byAddress.get(address.toLowerCase()) ?? null) : null;
  }
}

export function addressLink(address: string, names?: Names, full = false): TemplateResult {
  const a = checksum(address);
  const name = names?.of(a);
  return html`<a class="mono" href=${`#/address/${a}`} title=${a}
    >${name ? html`<strong>${name}</strong> ` : nothing}${full ? a : short(a)}</a
  >`;
}

export function blockLink(n: bigint): TemplateResult {
  return html`<a href=${`#/block/${n}`}>#${n}</a>`;
}

export function txLink(hash: string, full = false): TemplateResult {
  return html`<a class="mono" href=${`#/tx/${hash}`} title=${hash}
    >${full ? hash : short(hash, 8)}</a
  >`;
}

/** An exact ETM amount; the title gives the units. */
export function amount(units: bigint): TemplateResult {
  return html`<span class="amount" title=${`${units} units`}>${etm(units)} ETM</span>`;
}

export function table(
  caption: string,
  head: (string | TemplateResult)[],
  rows: TemplateResult[],
  testid?: string,
): TemplateResult {
  return html`<div class="table-wrap" role="region" aria-label=${caption} tabindex="0">
    <table data-testid=${testid ?? nothing}>
      <caption class="visually-hidden">
        ${caption}
      </caption>
      <thead>
        <tr>
          ${head.map((h) => html`<th scope="col">${h}</th>`)}
        </tr>
      </thead>
      <tbody>
        ${rows}
      </tbody>
    </table>
  </div>`;
}

/** Blocks, newest first: number, age, transactions, proposer, gas and base fee. */
export function blocksTable(caption: string, blocks: Block[], names: Names): TemplateResult {
  return table(
    caption,
    ['Block', 'Age', 'Transactions', 'Proposer', 'Gas used', 'Base fee (units)'],
    blocks.map(
      (b) =>
        html`<tr>
          <td>${blockLink(b.number!)}</td>
          <td>${ago(b.timestamp)}</td>
          <td>${b.transactions.length}</td>
          <td>${addressLink(b.miner, names)}</td>
          <td>${b.gasUsed}</td>
          <td>${b.baseFeePerGas ?? 0n}</td>
        </tr>`,
    ),
    'blocks',
  );
}

export function loading(): TemplateResult {
  return html`<p class="muted" aria-busy="true">Loading…</p>`;
}

export type { Address };
