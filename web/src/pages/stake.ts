/**
 * My stake: the signing account's balance, locks (amount, time gain t, weight x, pending
 * rewards), unbonding funds and the APY estimate; lock, vote, unvote, unlock, claim and
 * auto-compound as transactions to the staking contract, signed by a wallet or (devnet) a dev
 * account. Errors are shown in the node's words.
 */
import { html, nothing, type TemplateResult } from 'lit-html';
import {
  decodeEventLog,
  parseUnits,
  zeroAddress,
  type Address,
  type Hash,
  type TransactionReceipt,
} from 'viem';
import { STAKING_ABI } from '../../../src/staking/abi.js';
import type { App, Page } from '../app.js';
import { addressLink, amount, blockLink, loading, Names, table, txLink } from '../components.js';
import { etm, parseEtm, percent } from '../format.js';
import type { Candidate, Economics, Lock } from '../rpc.js';
import { connectWallet, devSigner, nodeMessage } from '../wallet.js';
import { STAKING_ADDRESS } from './explorer.js';

interface Data {
  balance: bigint;
  locks: Lock[];
  unbonding: { amount: bigint; releaseHeight: bigint }[];
  candidates: Candidate[];
  economics: Economics;
}

type Call =
  | { fn: 'lock'; args: [bigint, Address] }
  | { fn: 'vote'; args: [bigint, Address] }
  | { fn: 'unvote' | 'unlock' | 'claim'; args: [bigint] }
  | { fn: 'setAutoCompound'; args: [bigint, boolean] };

interface TxState {
  what: string;
  phase: 'signing' | 'pending' | 'done' | 'failed';
  hash?: Hash;
  message?: string;
}

export class StakePage implements Page {
  readonly title = 'My stake';
  private data: Data | null = null;
  private tx: TxState | null = null;
  private busy = false;
  private names = new Names();

  constructor(
    private readonly app: App,
    /** A candidate to preselect in the lock form (from the candidates page). */
    private readonly preselect: Address | null,
  ) {}

  async load(): Promise<void> {
    const { rpc, signer } = this.app;
    if (!signer) {
      this.data = null;
      return;
    }
    const [balance, locks, unbonding, candidates, economics] = await Promise.all([
      rpc.client.getBalance({ address: signer.address }),
      rpc.locks(signer.address),
      rpc.client.readContract({
        address: STAKING_ADDRESS,
        abi: STAKING_ABI,
        functionName: 'getUnbonding',
        args: [signer.address],
      }),
      rpc.candidates(),
      rpc.economics(),
    ]);
    const [amounts, heights] = unbonding;
    this.data = {
      balance,
      locks,
      unbonding: amounts.map((a, i) => ({ amount: a, releaseHeight: heights[i]! })),
      candidates,
      economics,
    };
    this.names = new Names(candidates);
  }

  view(): TemplateResult {
    return html`<h1>My stake</h1>
      ${this.signerPicker()} ${this.status()} ${this.app.signer ? this.body() : nothing}`;
  }

  private signerPicker(): TemplateResult {
    const { rpc, signer, wallets } = this.app;
    const dev = rpc.info.devnet ? rpc.info.devAccounts : [];
    return html`<section class="signer" aria-label="Account">
      ${
        signer
          ? html`<p>
              Signing as
              <strong data-testid="signer">${signer.label}</strong>
              ${addressLink(signer.address, undefined, true)}
            </p>`
          : html`<p>
              Choose who signs:
              ${wallets.length === 0 && dev.length === 0 ? 'no wallet found in this browser.' : ''}
            </p>`
      }
      <div class="row">
        ${wallets.map(
          (w) =>
            html`<button type="button" data-testid="wallet" @click=${() => this.connect(w.uuid)}>
              ${w.icon ? html`<img src=${w.icon} alt="" width="20" height="20" />` : nothing}
              Connect ${w.name}
            </button>`,
        )}
        ${
          dev.length > 0
            ? html`<label
                  >Dev account
                  <select data-testid="dev-account" @change=${(e: Event) => this.pickDev(e)}>
                    <option value="">—</option>
                    ${dev.map((a, i) => html`<option value=${i} ?selected=${signer?.address === a.address}>${i}: ${a.address}</option>`)}
                  </select></label
                >
                <span class="muted"
                  >devnet only: the node's well-known dev keys sign in this page</span
                >`
            : nothing
        }
      </div>
    </section>`;
  }

  private status(): TemplateResult {
    const t = this.tx;
    return html`<div class="tx-status" aria-live="polite" data-testid="tx-status">
      ${
        t === null
          ? nothing
          : html`<p
              class=${t.phase === 'failed' ? 'error' : t.phase === 'done' ? 'good' : ''}
              data-phase=${t.phase}
            >
              ${t.what}:
              ${t.phase === 'signing' ? 'signing…' : t.phase === 'pending' ? 'waiting for a block…' : ''}
              ${t.hash ? txLink(t.hash) : nothing} ${t.message ?? ''}
            </p>`
      }
    </div>`;
  }

  private body(): TemplateResult {
    const d = this.data;
    if (!d) return loading();
    const locked = d.locks.reduce((s, l) => s + l.amount, 0n);
    const pending = d.locks.reduce((s, l) => s + l.pending, 0n);
    const apy = d.economics.apyEstimate;
    const yearly = apy === null ? null : (locked * parseUnits(apy, 36)) / 10n ** 36n;
    const candidateOptions = (selected: Address | null) => html`
      ${d.candidates.map(
        (c) =>
          html`<option
            value=${c.address}
            ?selected=${selected?.toLowerCase() === c.address.toLowerCase()}
          >
            ${c.name} (${c.address})
          </option>`,
      )}
    `;
    return html`<section class="cards">
        <div class="card">
          <h2>Balance</h2>
          <p class="big" data-testid="my-balance">${amount(d.balance)}</p>
        </div>
        <div class="card">
          <h2>Locked</h2>
          <p class="big">${amount(locked)}</p>
          <p>pending rewards ${amount(pending)}</p>
        </div>
        <div class="card">
          <h2>APY estimate</h2>
          <p class="big" data-testid="apy">${percent(apy)}</p>
          <p>
            at today's staking ratio ${percent(d.economics.stakingRatio)}; the current rate
            annualised is
            ${percent(d.economics.apyCurrent)}${yearly !== null ? html`; on your locks about ${amount(yearly)} a year` : nothing}
            (before the proposers' and voter bonus shares)
          </p>
        </div>
      </section>
      <section>
        <h2>Lock ETM</h2>
        <form class="lock-form" @submit=${(e: Event) => this.lock(e)}>
          <label
            >Amount (ETM)
            <input name="amount" inputmode="decimal" required data-testid="lock-amount"
          /></label>
          <label
            >Vote for
            <select name="candidate" data-testid="lock-candidate">
              <option value=${zeroAddress}>nobody (no vote)</option>
              ${candidateOptions(this.preselect)}
            </select></label
          >
          <button type="submit" ?disabled=${this.busy} data-testid="lock-submit">Lock</button>
        </form>
      </section>
      <section>
        <h2>Locks</h2>
        ${
          d.locks.length === 0
            ? html`<p class="muted">No locks yet.</p>`
            : table(
                'My locks',
                [
                  'Lock',
                  'Amount',
                  'Votes for',
                  'Since',
                  't',
                  'Weight x = t·T',
                  'Pending rewards',
                  'Actions',
                ],
                d.locks.map(
                  (l) =>
                    html`<tr data-lock=${l.id}>
                      <td>${l.id}</td>
                      <td data-testid="lock-amount-cell">${amount(l.amount)}</td>
                      <td>${l.candidate ? addressLink(l.candidate, this.names) : '—'}</td>
                      <td>${blockLink(l.since)}</td>
                      <td>${l.t}</td>
                      <td data-testid="lock-weight" title=${`${l.x} units`}>${etm(l.x)}</td>
                      <td data-testid="lock-pending">${amount(l.pending)}</td>
                      <td class="actions">
                        <form @submit=${(e: Event) => this.vote(e, l)}>
                          <label class="visually-hidden" for=${`vote-${l.id}`}
                            >New candidate for lock ${l.id}</label
                          >
                          <select id=${`vote-${l.id}`} name="candidate">
                            ${candidateOptions(l.candidate)}
                          </select>
                          <button type="submit" ?disabled=${this.busy}>Vote</button>
                        </form>
                        ${
                          l.candidate
                            ? html`<button
                                type="button"
                                ?disabled=${this.busy}
                                @click=${() => this.send({ fn: 'unvote', args: [l.id] }, `unvote lock ${l.id}`)}
                              >
                                Unvote
                              </button>`
                            : nothing
                        }
                        <button
                          type="button"
                          ?disabled=${this.busy || l.pending === 0n}
                          data-testid="claim"
                          @click=${() => this.send({ fn: 'claim', args: [l.id] }, `claim lock ${l.id}`)}
                        >
                          Claim
                        </button>
                        <button
                          type="button"
                          ?disabled=${this.busy}
                          aria-pressed=${l.autoCompound ? 'true' : 'false'}
                          @click=${() => this.send({ fn: 'setAutoCompound', args: [l.id, !l.autoCompound] }, `auto-compound ${l.autoCompound ? 'off' : 'on'} for lock ${l.id}`)}
                        >
                          Auto-compound ${l.autoCompound ? 'on' : 'off'}
                        </button>
                        <button
                          type="button"
                          ?disabled=${this.busy}
                          @click=${() => this.send({ fn: 'unlock', args: [l.id] }, `unlock lock ${l.id}`)}
                        >
                          Unlock
                        </button>
                      </td>
                    </tr>`,
                ),
                'locks',
              )
        }
      </section>
      ${
        d.unbonding.length > 0
          ? html`<section>
              <h2>Unbonding</h2>
              ${table(
                'Unbonding',
                ['Amount', 'Released at'],
                d.unbonding.map(
                  (u) =>
                    html`<tr>
                      <td>${amount(u.amount)}</td>
                      <td>${blockLink(u.releaseHeight)}</td>
                    </tr>`,
                ),
              )}
            </section>`
          : nothing
      }`;
  }

  private pickDev(e: Event): void {
    const value = (e.target as HTMLSelectElement).value;
    this.data = null;
    this.app.setSigner(value === '' ? null : devSigner(this.app.rpc, Number(value)));
  }

  private async connect(uuid: string): Promise<void> {
    const wallet = this.app.wallets.find((w) => w.uuid === uuid);
    if (!wallet) return;
    try {
      this.data = null;
      this.app.setSigner(await connectWallet(wallet, this.app.rpc));
    } catch (error) {
      this.tx = { what: `connect ${wallet.name}`, phase: 'failed', message: nodeMessage(error) };
      this.app.render();
    }
  }

  private lock(e: Event): void {
    e.preventDefault();
    const form = new FormData(e.target as HTMLFormElement);
    let units: bigint;
    try {
      units = parseEtm(String(form.get('amount')));
    } catch (error) {
      this.tx = { what: 'lock', phase: 'failed', message: (error as Error).message };
      this.app.render();
      return;
    }
    const candidate = String(form.get('candidate')) as Address;
    void this.send({ fn: 'lock', args: [units, candidate] }, `lock ${etm(units)} ETM`);
  }

  private vote(e: Event, l: Lock): void {
    e.preventDefault();
    const candidate = String(new FormData(e.target as HTMLFormElement).get('candidate')) as Address;
    void this.send(
      { fn: 'vote', args: [l.id, candidate] },
      `vote with lock ${l.id} for ${this.names.of(candidate) ?? candidate}`,
    );
  }

  private async send(call: Call, what: string): Promise<void> {
    const signer = this.app.signer;
    if (!signer || this.busy) return;
    this.busy = true;
    this.tx = { what, phase: 'signing' };
    this.app.render();
    try {
      const hash = await signer.client.writeContract({
        address: STAKING_ADDRESS,
        abi: STAKING_ABI,
        functionName: call.fn,
        args: call.args,
        account: signer.client.account ?? signer.address,
        chain: this.app.rpc.chain,
      } as Parameters<typeof signer.client.writeContract>[0]);
      this.tx = { what, phase: 'pending', hash };
      this.app.render();
      const receipt = await this.app.waitForReceipt(hash);
      this.tx = {
        what,
        hash,
        phase: receipt.status === 'success' ? 'done' : 'failed',
        message:
          receipt.status === 'success'
            ? `included in block ${receipt.blockNumber}${claimed(receipt)}`
            : `failed in block ${receipt.blockNumber}`,
      };
    } catch (error) {
      this.tx = { ...this.tx, what, phase: 'failed', message: nodeMessage(error) };
    } finally {
      this.busy = false;
    }
    await this.app.refresh();
  }
}

/** "; claimed N ETM" from a receipt's Claimed events. */
function claimed(receipt: TransactionReceipt): string {
  let paid = 0n;
  let any = false;
  for (const log of receipt.logs) {
    try {
      const e = decodeEventLog({ abi: STAKING_ABI, data: log.data, topics: log.topics });
      if (e.eventName === 'Claimed') {
        any = true;
        paid += e.args.amount;
      }
    } catch {
      // not a staking event
    }
  }
  return any ? `; paid ${etm(paid)} ETM` : '';
}
