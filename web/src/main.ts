/** Entry point: connects to the node that served the page and starts the app. */
import { getAddress, type Address, type Hash } from 'viem';
import './style.css';
import { App, type NavItem, type Route } from './app.js';
import { CandidatesPage } from './pages/candidates.js';
import { EconomicsPage } from './pages/economics.js';
import { ElectionPage } from './pages/election.js';
import { AddressPage, BlockPage, BlocksPage, TxPage } from './pages/explorer.js';
import { OverviewPage } from './pages/overview.js';
import { StakePage } from './pages/stake.js';
import { Rpc } from './rpc.js';
import { nodeMessage } from './wallet.js';

const ADDRESS = '(0x[0-9a-fA-F]{40})';

const routes: Route[] = [
  { pattern: /^$/, page: (app) => new OverviewPage(app) },
  {
    pattern: /^blocks(?:\/(\d+))?$/,
    page: (app, [before]) => new BlocksPage(app, before ? BigInt(before) : null),
  },
  { pattern: /^block\/(\d+)$/, page: (app, [n]) => new BlockPage(app, BigInt(n!)) },
  { pattern: /^tx\/(0x[0-9a-fA-F]{64})$/, page: (app, [hash]) => new TxPage(app, hash as Hash) },
  {
    pattern: new RegExp(`^address/${ADDRESS}$`),
    page: (app, [a]) => new AddressPage(app, getAddress(a!)),
  },
  { pattern: /^candidates$/, page: (app) => new CandidatesPage(app) },
  {
    pattern: /^election(?:\/(\d+))?$/,
    page: (app, [e]) => new ElectionPage(app, e ? BigInt(e) : null),
  },
  {
    pattern: new RegExp(`^stake(?:/${ADDRESS})?$`),
    page: (app, [a]) => new StakePage(app, a ? (getAddress(a) as Address) : null),
  },
  { pattern: /^economics$/, page: (app) => new EconomicsPage(app) },
];

// Governance joins this list when the DAO exists on chain.
const nav: NavItem[] = [
  { href: '#/', label: 'Overview', section: '' },
  { href: '#/blocks', label: 'Blocks', section: 'blocks' },
  { href: '#/candidates', label: 'Candidates', section: 'candidates' },
  { href: '#/election', label: 'Election audit', section: 'election' },
  { href: '#/stake', label: 'My stake', section: 'stake' },
  { href: '#/economics', label: 'Economics', section: 'economics' },
];

const root = document.getElementById('app')!;
try {
  const { rpc, head } = await Rpc.connect();
  await new App(rpc, routes, nav, root).start(head);
} catch (error) {
  root.textContent = `Cannot reach the node: ${nodeMessage(error)}`;
  root.setAttribute('role', 'alert');
}
