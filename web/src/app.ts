/**
 * The app's frame: hash routes to pages, the head kept current from `newHeads`, and one data
 * refresh of the current page per new head (a refresh still running when the next head comes
 * is followed by exactly one more, so a slow node is never sent a pile of requests).
 */
import { html, nothing, render, type TemplateResult } from 'lit-html';
import { TransactionReceiptNotFoundError, type Hash, type TransactionReceipt } from 'viem';
import type { Rpc } from './rpc.js';
import { discoverWallets, type InjectedWallet, type Signer } from './wallet.js';

export interface Page {
  /** Fetches what the page shows; called on entry and on every new head. */
  load(): Promise<void>;
  view(): TemplateResult;
  /** Screen-reader and tab title. */
  readonly title: string;
}

export type PageFactory = (app: App, params: string[]) => Page;

export interface Route {
  pattern: RegExp;
  page: PageFactory;
}

export interface NavItem {
  href: string;
  label: string;
  /** The first path segment this item stands for. */
  section: string;
}

export class App {
  head = 0n;
  signer: Signer | null = null;
  wallets: InjectedWallet[] = [];
  private page: Page | null = null;
  private pageKey = '';
  private routed = false;
  private error: string | null = null;
  private loading: Promise<void> | null = null;
  private again = false;
  private connection: 'live' | 'offline' = 'live';
  private readonly headListeners = new Set<(head: bigint) => void>();

  constructor(
    readonly rpc: Rpc,
    private readonly routes: Route[],
    private readonly nav: NavItem[],
    private readonly root: HTMLElement,
  ) {}

  async start(head: bigint): Promise<void> {
    this.root.replaceChildren();
    this.wallets = discoverWallets((w) => {
      this.wallets = w;
      this.render();
    });
    window.addEventListener('hashchange', () => void this.route());
    this.head = head;
    this.rpc.watchHeads(
      (n) => {
        this.connection = 'live';
        if (n <= this.head) return;
        this.head = n;
        for (const listener of this.headListeners) listener(n);
        void this.refresh();
      },
      (error) => {
        console.error('newHeads subscription:', error);
        this.connection = 'offline';
        this.render();
      },
    );
    await this.route();
  }

  /** Re-renders without fetching (after a page changed its own state). */
  render(): void {
    render(this.frame(), this.root);
  }

  /** Resolves with a transaction's receipt, asking once now and once per new head. */
  waitForReceipt(hash: Hash): Promise<TransactionReceipt> {
    return new Promise((resolve, reject) => {
      let asking = false;
      const ask = () => {
        if (asking) return;
        asking = true;
        this.rpc.client.getTransactionReceipt({ hash }).then(
          (r) => {
            this.headListeners.delete(ask);
            resolve(r);
          },
          (e: unknown) => {
            asking = false;
            if (!(e instanceof TransactionReceiptNotFoundError)) {
              this.headListeners.delete(ask);
              reject(e as Error);
            }
          },
        );
      };
      this.headListeners.add(ask);
      ask();
    });
  }

  setSigner(signer: Signer | null): void {
    this.signer = signer;
    void this.refresh();
  }

  /** Loads the current page's data again; coalesces calls made while one runs. */
  async refresh(): Promise<void> {
    if (this.loading) {
      this.again = true;
      return this.loading;
    }
    const page = this.page;
    if (!page) return;
    const run = (async () => {
      do {
        this.again = false;
        try {
          await page.load();
          this.error = null;
        } catch (e) {
          this.error = e instanceof Error ? e.message : String(e);
        }
        if (page !== this.page) return;
        this.render();
      } while (this.again);
    })();
    this.loading = run;
    await run.finally(() => {
      if (this.loading === run) this.loading = null;
    });
  }

  private async route(): Promise<void> {
    const first = !this.routed;
    this.routed = true;
    const path = location.hash.replace(/^#\/?/, '');
    const parts = path.split('/').map(decodeURIComponent);
    const key = path;
    if (key === this.pageKey && this.page) return;
    for (const r of this.routes) {
      const m = r.pattern.exec(path);
      if (!m) continue;
      this.pageKey = key;
      this.page = r.page(this, m.slice(1));
      document.title = `${this.page.title} · ETM/P`;
      this.error = null;
      this.render();
      // A new page waits for no refresh of the old one.
      this.loading = null;
      await this.refresh();
      // After a navigation, keyboard and screen-reader users continue at the new content.
      if (!first) document.getElementById('main')?.focus({ preventScroll: true });
      return;
    }
    this.page = null;
    this.pageKey = key;
    this.error = `no page at #/${parts.join('/')}`;
    this.render();
  }

  private frame(): TemplateResult {
    const section = location.hash.replace(/^#\/?/, '').split('/')[0] ?? '';
    return html`
      <a class="skip" href="#main" @click=${skipToMain}>Skip to content</a>
      <header>
        <a class="brand" href="#/"
          >ETM/P${this.rpc.info.devnet ? html` <span class="tag">devnet</span>` : nothing}</a
        >
        <nav aria-label="Pages">
          ${this.nav.map(
            (n) =>
              html`<a href=${n.href} aria-current=${n.section === section ? 'page' : 'false'}
                >${n.label}</a
              >`,
          )}
        </nav>
        <form class="search" role="search" @submit=${(e: Event) => this.search(e)}>
          <label class="visually-hidden" for="search"
            >Block, transaction, address or candidate</label
          >
          <input
            id="search"
            name="q"
            type="search"
            placeholder="Block, tx hash, address, name"
            autocomplete="off"
          />
          <button type="submit">Search</button>
        </form>
        <span class="head" aria-live="polite" title="Every committed block is final (QBFT)">
          <span class=${`dot ${this.connection}`} aria-hidden="true"></span>
          <span data-testid="head">#${this.head}</span
          >${this.connection === 'offline' ? ' (offline)' : ''}
        </span>
      </header>
      <main id="main" tabindex="-1">
        ${this.error ? html`<p class="error" role="alert" data-testid="page-error">${this.error}</p>` : nothing}
        ${this.page ? this.page.view() : nothing}
      </main>
    `;
  }

  private async search(e: Event): Promise<void> {
    e.preventDefault();
    const form = e.target as HTMLFormElement;
    const q = (new FormData(form).get('q') as string).trim();
    if (!q) return;
    const target = await resolveSearch(this.rpc, q);
    if (target) {
      form.reset();
      location.hash = target;
    } else {
      this.error = `nothing found for “${q}”`;
      this.render();
    }
  }
}

function skipToMain(e: Event): void {
  e.preventDefault();
  document.getElementById('main')?.focus();
}

/** Where a search goes: a block number, a transaction or block hash, an address or a candidate's name. */
export async function resolveSearch(rpc: Rpc, q: string): Promise<string | null> {
  if (/^\d+$/.test(q)) return `#/block/${BigInt(q)}`;
  if (/^0x[0-9a-fA-F]{40}$/.test(q)) return `#/address/${q}`;
  if (/^0x[0-9a-fA-F]{64}$/.test(q)) {
    const hash = q.toLowerCase() as `0x${string}`;
    const [tx, block] = await Promise.all([
      rpc.request('eth_getTransactionByHash', [hash]),
      rpc.request<{ number: string } | null>('eth_getBlockByHash', [hash, false]),
    ]);
    if (tx) return `#/tx/${hash}`;
    if (block) return `#/block/${BigInt(block.number)}`;
    return null;
  }
  const name = q.toLowerCase();
  const found = (await rpc.candidates()).find((c) => c.name === name);
  return found ? `#/address/${found.address}` : null;
}
