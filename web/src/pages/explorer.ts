/** Blocks, one block, one transaction and one address. */
import { html, nothing, type TemplateResult } from 'lit-html';
import {
  bytesToHex,
  decodeEventLog,
  decodeFunctionData,
  isAddressEqual,
  type Address,
  type Block,
  type Hash,
  type Transaction,
  type TransactionReceipt,
} from 'viem';
import { STAKING_ADDRESS as STAKING_BYTES } from '../../../src/primitives/system-addresses.js';
import { STAKING_ABI } from '../../../src/staking/abi.js';
import type { App, Page } from '../app.js';
import {
  addressLink,
  amount,
  blockLink,
  blocksTable,
  loading,
  Names,
  table,
  txLink,
} from '../components.js';
import { ago, bps, checksum, decimal, etm } from '../format.js';
import type { Candidate, Lock } from '../rpc.js';

export const STAKING_ADDRESS: Address = checksum(bytesToHex(STAKING_BYTES));
const PAGE = 20n;

function stakingCall(tx: Transaction): string | null {
  if (!tx.to || !isAddressEqual(tx.to, STAKING_ADDRESS)) return null;
  try {
    const { functionName, args } = decodeFunctionData({ abi: STAKING_ABI, data: tx.input });
    const shown = (args ?? []).map((a) =>
      typeof a === 'bigint' ? a.toString() : typeof a === 'string' ? a : JSON.stringify(a),
    );
    return `${functionName}(${shown.join(', ')})`;
  } catch {
    return 'staking call (not decodable)';
  }
}

export class BlocksPage implements Page {
  readonly title = 'Blocks';
  private blocks: Block[] | null = null;
  private names = new Names();

  constructor(
    private readonly app: App,
    private readonly before: bigint | null,
  ) {}

  async load(): Promise<void> {
    const { rpc } = this.app;
    const top = this.before === null ? this.app.head : this.before - 1n;
    const wanted: bigint[] = [];
    for (let n = top; n >= 0n && wanted.length < Number(PAGE); n--) wanted.push(n);
    const [blocks, candidates] = await Promise.all([
      Promise.all(wanted.map((n) => rpc.block(n))),
      rpc.candidates(),
    ]);
    this.blocks = blocks;
    this.names = new Names(candidates);
  }

  view(): TemplateResult {
    if (!this.blocks) return loading();
    const last = this.blocks[this.blocks.length - 1]?.number ?? 0n;
    return html`<h1>Blocks</h1>
      ${blocksTable('Blocks', this.blocks, this.names)}
      <p class="pager">
        ${this.before !== null ? html`<a href="#/blocks">Newest</a>` : nothing}
        ${last > 0n ? html`<a href=${`#/blocks/${last}`}>Older</a>` : nothing}
      </p>`;
  }
}

export class BlockPage implements Page {
  readonly title: string;
  private block: Block<bigint, true> | null = null;
  private missing = false;
  private names = new Names();

  constructor(
    private readonly app: App,
    private readonly number: bigint,
  ) {
    this.title = `Block ${number}`;
  }

  async load(): Promise<void> {
    if (this.block) return;
    const { rpc } = this.app;
    if (this.number > this.app.head) {
      this.missing = true;
      return;
    }
    const [block, candidates] = await Promise.all([
      rpc.client.getBlock({ blockNumber: this.number, includeTransactions: true }),
      rpc.candidates(),
    ]);
    this.block = block;
    this.names = new Names(candidates);
    this.missing = false;
  }

  view(): TemplateResult {
    if (this.missing)
      return html`<h1>Block #${this.number}</h1>
        <p>Not committed yet (head #${this.app.head}).</p>`;
    const b = this.block;
    if (!b) return loading();
    return html`<h1>Block #${b.number}</h1>
      <p class="pager">
        ${b.number! > 0n ? html`<a href=${`#/block/${b.number! - 1n}`}>Previous</a>` : nothing}
        <a href=${`#/block/${b.number! + 1n}`}>Next</a>
      </p>
      <dl class="facts" data-testid="block">
        <dt>Hash</dt>
        <dd class="mono">${b.hash}</dd>
        <dt>Parent</dt>
        <dd class="mono">
          ${b.number! > 0n ? html`<a href=${`#/block/${b.number! - 1n}`}>${b.parentHash}</a>` : b.parentHash}
        </dd>
        <dt>Time</dt>
        <dd>${new Date(Number(b.timestamp) * 1000).toISOString()} (${ago(b.timestamp)})</dd>
        <dt>Proposer</dt>
        <dd>${addressLink(b.miner, this.names, true)}</dd>
        <dt>Finality</dt>
        <dd>final (committed by a quorum of seals)</dd>
        <dt>RANDAO mix</dt>
        <dd class="mono">${b.mixHash}</dd>
        <dt>State root</dt>
        <dd class="mono">${b.stateRoot}</dd>
        <dt>Gas</dt>
        <dd>${b.gasUsed} used of ${b.gasLimit}; base fee ${b.baseFeePerGas ?? 0n} units</dd>
        <dt>Size</dt>
        <dd>${b.size} bytes</dd>
      </dl>
      <h2>Transactions (${b.transactions.length})</h2>
      ${
        b.transactions.length === 0
          ? html`<p class="muted">None.</p>`
          : table(
              'Transactions',
              ['Hash', 'From', 'To', 'Value', 'Call'],
              b.transactions.map(
                (tx) =>
                  html`<tr>
                    <td>${txLink(tx.hash)}</td>
                    <td>${addressLink(tx.from, this.names)}</td>
                    <td>${tx.to ? addressLink(tx.to, this.names) : '—'}</td>
                    <td>${amount(tx.value)}</td>
                    <td>${stakingCall(tx) ?? (tx.input === '0x' ? 'transfer' : 'data')}</td>
                  </tr>`,
              ),
            )
      }`;
  }
}

export class TxPage implements Page {
  readonly title = 'Transaction';
  private tx: Transaction | null = null;
  private receipt: TransactionReceipt | null = null;
  private missing = false;

  constructor(
    private readonly app: App,
    private readonly hash: Hash,
  ) {}

  async load(): Promise<void> {
    if (this.receipt) return;
    const { rpc } = this.app;
    const [tx, receipt] = await Promise.all([
      rpc.request<unknown>('eth_getTransactionByHash', [this.hash]),
      rpc.request<unknown>('eth_getTransactionReceipt', [this.hash]),
    ]);
    this.missing = tx === null;
    if (tx === null) return;
    this.tx = await rpc.client.getTransaction({ hash: this.hash });
    this.receipt =
      receipt === null ? null : await rpc.client.getTransactionReceipt({ hash: this.hash });
  }

  view(): TemplateResult {
    if (this.missing)
      return html`<h1>Transaction</h1>
        <p>No transaction ${this.hash} is known to this node.</p>`;
    const tx = this.tx;
    if (!tx) return loading();
    const r = this.receipt;
    const events = (r?.logs ?? []).flatMap((log) => {
      try {
        const e = decodeEventLog({ abi: STAKING_ABI, data: log.data, topics: log.topics });
        return [
          `${e.eventName}(${Object.entries(e.args ?? {})
            .map(([k, v]) => `${k}: ${typeof v === 'bigint' ? v.toString() : String(v)}`)
            .join(', ')})`,
        ];
      } catch {
        return [];
      }
    });
    return html`<h1>Transaction</h1>
      <dl class="facts" data-testid="tx">
        <dt>Hash</dt>
        <dd class="mono">${tx.hash}</dd>
        <dt>Status</dt>
        <dd data-testid="tx-status">
          ${r ? (r.status === 'success' ? 'success' : 'failed') : 'pending'}
        </dd>
        <dt>Block</dt>
        <dd>${tx.blockNumber !== null ? blockLink(tx.blockNumber) : 'pending'}</dd>
        <dt>From</dt>
        <dd>${addressLink(tx.from, undefined, true)}</dd>
        <dt>To</dt>
        <dd>${tx.to ? addressLink(tx.to, undefined, true) : '—'}</dd>
        <dt>Value</dt>
        <dd>${amount(tx.value)}</dd>
        <dt>Call</dt>
        <dd class="mono">${stakingCall(tx) ?? (tx.input === '0x' ? 'transfer' : tx.input)}</dd>
        <dt>Nonce</dt>
        <dd>${tx.nonce}</dd>
        <dt>Gas</dt>
        <dd>
          ${r ? `${r.gasUsed} used of ${tx.gas}, ${r.effectiveGasPrice} units each (${etm(r.gasUsed * r.effectiveGasPrice)} ETM)` : `limit ${tx.gas}`}
        </dd>
        <dt>Type</dt>
        <dd>${tx.type}</dd>
      </dl>
      ${
        events.length > 0
          ? html`<h2>Events</h2>
              <ul class="mono">
                ${events.map((e) => html`<li>${e}</li>`)}
              </ul>`
          : nothing
      }`;
  }
}

export class AddressPage implements Page {
  readonly title = 'Address';
  private data: {
    balance: bigint;
    nonce: number;
    locks: Lock[];
    candidate: Candidate | null;
    names: Names;
  } | null = null;

  constructor(
    private readonly app: App,
    private readonly address: Address,
  ) {}

  async load(): Promise<void> {
    const { rpc } = this.app;
    const [balance, nonce, locks, candidates] = await Promise.all([
      rpc.client.getBalance({ address: this.address }),
      rpc.client.getTransactionCount({ address: this.address }),
      rpc.locks(this.address),
      rpc.candidates(),
    ]);
    const a = this.address.toLowerCase();
    const candidate =
      candidates.find((c) => c.address.toLowerCase() === a || c.consensusKey.toLowerCase() === a) ??
      null;
    this.data = { balance, nonce, locks, candidate, names: new Names(candidates) };
  }

  view(): TemplateResult {
    const d = this.data;
    const a = checksum(this.address);
    if (!d) return loading();
    const c = d.candidate;
    const locked = d.locks.reduce((s, l) => s + l.amount, 0n);
    return html`<h1>Address</h1>
      <p class="mono" data-testid="address">${a}</p>
      <dl class="facts">
        <dt>Balance</dt>
        <dd data-testid="balance">${amount(d.balance)}</dd>
        <dt>Locked</dt>
        <dd>${amount(locked)} in ${d.locks.length} locks</dd>
        <dt>Transactions sent</dt>
        <dd>${d.nonce}</dd>
      </dl>
      ${
        c
          ? html`<h2>Candidate ${c.name}</h2>
              <dl class="facts">
                <dt>Operator</dt>
                <dd>${addressLink(c.address, undefined, true)}</dd>
                <dt>Consensus key</dt>
                <dd>${addressLink(c.consensusKey, undefined, true)}</dd>
                <dt>Status</dt>
                <dd>${c.status}${c.elected ? ', validating this epoch' : ''}</dd>
                <dt>Deposit</dt>
                <dd>${amount(c.deposit)}</dd>
                <dt>Commission</dt>
                <dd>${bps(c.commissionBps)} (at most ${bps(c.commissionMaxBps)})</dd>
                <dt>Votes Σx</dt>
                <dd>${etm(c.votes)}</dd>
                <dt>R</dt>
                <dd>${decimal(c.R)} (v ${decimal(c.v)}, ${c.m}/${c.n} turns)</dd>
              </dl>
              <p><a href="#/candidates">All candidates</a></p>`
          : nothing
      }
      <h2>Locks</h2>
      ${
        d.locks.length === 0
          ? html`<p class="muted">None.</p>`
          : table(
              'Locks',
              ['Lock', 'Amount', 'Votes for', 'Since', 't', 'Weight x', 'Pending rewards'],
              d.locks.map(
                (l) =>
                  html`<tr>
                    <td>${l.id}</td>
                    <td>${amount(l.amount)}</td>
                    <td>${l.candidate ? addressLink(l.candidate, d.names) : '—'}</td>
                    <td>${blockLink(l.since)}</td>
                    <td>${l.t}</td>
                    <td>${etm(l.x)}</td>
                    <td>${amount(l.pending)}</td>
                  </tr>`,
              ),
            )
      }
      <p class="muted">
        The node keeps no index of transactions by address; search a transaction by its hash.
      </p>`;
  }
}
