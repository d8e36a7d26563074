/**
 * The chain as the app sees it: JSON-RPC over HTTP to the node that served the page (requests of
 * one moment go out as one batch) and a WebSocket `newHeads` subscription for live updates. The
 * etm_ staking methods are typed and decoded here: quantities to bigint, fixed-point figures
 * kept as the exact decimal strings the node sends.
 */
import {
  createPublicClient,
  defineChain,
  http,
  webSocket,
  type Address,
  type Block,
  type Chain,
  type Hex,
  type PublicClient,
} from 'viem';

export const rpcUrl = new URL('.', location.href).href.replace(/\/$/, '');
export const wsUrl = rpcUrl.replace(/^http/, 'ws');

/** What the node says about itself in /etm-ui.json. */
export interface UiInfo {
  /** Decimal. */
  chainId: string;
  devnet: boolean;
  devAccounts: { address: Address; privateKey: Hex }[];
}

export interface Candidate {
  address: Address;
  consensusKey: Address;
  name: string;
  deposit: bigint;
  status: string;
  commissionBps: bigint;
  commissionMaxBps: bigint;
  votes: bigint;
  X: string;
  v: string;
  m: bigint;
  n: bigint;
  R: string;
  probability: string;
  elected: boolean;
}

export interface Lock {
  id: bigint;
  owner: Address;
  amount: bigint;
  candidate: Address | null;
  since: bigint;
  t: bigint;
  x: bigint;
  pending: bigint;
  autoCompound: boolean;
}

export interface Epoch {
  epoch: bigint;
  firstBlock: bigint;
  lastBlock: bigint;
  validators: Address[];
  operators: Address[];
  seed: Hex;
}

export interface ValidatorSet {
  height: bigint;
  epoch: bigint;
  validators: Address[];
  proposer: Address;
}

export interface Election {
  epoch: bigint;
  electedAt: bigint;
  seed: Hex;
  rankedSeats: bigint;
  lotterySeats: bigint;
  candidates: { address: Address; R: string }[] | null;
  ranked: Address[];
  drawn: { address: Address; w: bigint; W: bigint; z: bigint; probability: string }[];
  filled: Address[];
  order: Address[];
  validators: Address[];
}

export interface Economics {
  block: bigint;
  supply: bigint;
  totalLocked: bigint;
  stakingRatio: string | null;
  inflationRate: string | null;
  blocksPerYear: bigint;
  validatorInflationShare: string | null;
  perBlockRate: string | null;
  rewardPerTokenPerBlock: string | null;
  minted: bigint;
  mintedTotal: bigint;
  apyEstimate: string | null;
  apyCurrent: string | null;
  bonusReleased: bigint;
  bonusPending: bigint;
  bonusPool: bigint;
  treasury: bigint;
  rewardPool: bigint;
}

type Raw = Record<string, unknown>;

/** Converts the listed quantity fields of a reply to bigint. */
function quantities<T>(raw: Raw, fields: readonly string[]): T {
  const out: Raw = { ...raw };
  for (const f of fields) if (typeof raw[f] === 'string') out[f] = BigInt(raw[f] as string);
  return out as T;
}

const hex = (n: bigint): Hex => `0x${n.toString(16)}`;

/** Committed blocks kept in the page: they are final, so a cached one is never stale. */
const BLOCK_CACHE = 256;

export class Rpc {
  readonly client: PublicClient;
  readonly chain: Chain;
  private ws: PublicClient | null = null;
  private readonly blocks = new Map<bigint, Block>();
  /** Elected epochs never change; only those are kept. */
  private readonly epochs = new Map<bigint, Epoch>();

  constructor(
    readonly chainId: number,
    readonly info: UiInfo,
  ) {
    this.chain = defineChain({
      id: chainId,
      name: info.devnet ? 'ETM/P devnet' : 'ETM/P',
      nativeCurrency: { name: 'ETM', symbol: 'ETM', decimals: 18 },
      rpcUrls: { default: { http: [rpcUrl], webSocket: [wsUrl] } },
    });
    this.client = createPublicClient({
      chain: this.chain,
      transport: http(rpcUrl, { batch: { wait: 0 }, retryCount: 0 }),
    });
  }

  /** Connects to the node that served the page. */
  /** Connects to the node that served the page; also gives the head's number, asked alongside. */
  static async connect(): Promise<{ rpc: Rpc; head: bigint }> {
    const [info, head] = await Promise.all([
      fetch(new URL('etm-ui.json', location.href)).then((response) => {
        if (!response.ok) throw new Error(`etm-ui.json: HTTP ${response.status}`);
        return response.json() as Promise<UiInfo>;
      }),
      createPublicClient({ transport: http(rpcUrl, { retryCount: 0 }) }).getBlockNumber(),
    ]);
    return { rpc: new Rpc(Number(info.chainId), info), head };
  }

  request<T>(method: string, params: unknown[] = []): Promise<T> {
    return this.client.request({ method: method as never, params: params as never }) as Promise<T>;
  }

  /** Calls `onHead` with each new head's number (one WebSocket subscription, no polling). */
  watchHeads(onHead: (n: bigint) => void, onError: (e: Error) => void): () => void {
    this.ws ??= createPublicClient({
      chain: this.chain,
      transport: webSocket(wsUrl, { retryCount: 1_000_000, retryDelay: 2_000 }),
    });
    return this.ws.watchBlockNumber({ onBlockNumber: onHead, onError, emitMissed: false });
  }

  async candidates(block?: bigint): Promise<Candidate[]> {
    const raw = await this.request<Raw[]>(
      'etm_getCandidates',
      block === undefined ? [] : [hex(block)],
    );
    return raw.map((c) =>
      quantities<Candidate>(c, ['deposit', 'commissionBps', 'commissionMaxBps', 'votes', 'm', 'n']),
    );
  }

  async locks(owner: Address): Promise<Lock[]> {
    const raw = await this.request<Raw[]>('etm_getLocks', [owner]);
    return raw.map((l) => quantities<Lock>(l, ['id', 'amount', 'since', 't', 'x', 'pending']));
  }

  /** A committed block (cached: every committed block is final). */
  async block(number: bigint): Promise<Block> {
    const cached = this.blocks.get(number);
    if (cached) return cached;
    const block = await this.client.getBlock({ blockNumber: number });
    if (this.blocks.size >= BLOCK_CACHE) this.blocks.delete(this.blocks.keys().next().value!);
    this.blocks.set(number, block);
    return block;
  }

  async epoch(epoch?: bigint): Promise<Epoch | null> {
    const cached = epoch === undefined ? undefined : this.epochs.get(epoch);
    if (cached) return cached;
    const raw = await this.request<Raw | null>(
      'etm_getEpoch',
      epoch === undefined ? [] : [hex(epoch)],
    );
    const e = raw && quantities<Epoch>(raw, ['epoch', 'firstBlock', 'lastBlock']);
    if (e && epoch !== undefined) this.epochs.set(epoch, e);
    return e;
  }

  async validators(): Promise<ValidatorSet> {
    return quantities<ValidatorSet>(await this.request<Raw>('etm_getValidators'), [
      'height',
      'epoch',
    ]);
  }

  async election(epoch: bigint): Promise<Election | null> {
    const raw = await this.request<Raw | null>('etm_getElection', [hex(epoch)]);
    if (raw === null) return null;
    const e = quantities<Election>(raw, ['epoch', 'electedAt', 'rankedSeats', 'lotterySeats']);
    e.drawn = (raw.drawn as Raw[]).map((d) => quantities(d, ['w', 'W', 'z']));
    return e;
  }

  async economics(block?: bigint): Promise<Economics> {
    const raw = await this.request<Raw>(
      'etm_getEconomics',
      block === undefined ? [] : [hex(block)],
    );
    return quantities<Economics>(raw, [
      'block',
      'supply',
      'totalLocked',
      'blocksPerYear',
      'minted',
      'mintedTotal',
      'bonusReleased',
      'bonusPending',
      'bonusPool',
      'treasury',
      'rewardPool',
    ]);
  }
}
