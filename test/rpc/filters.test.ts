/**
 * Polled filters and pending-transaction notifications under attack: every structure a client
 * can make the node hold is bounded in count, and idle filters go.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Wallet, type HDNodeWallet } from 'ethers';
import { RpcError, type RpcBackend } from '../../src/rpc/backend.js';
import { FilterManager } from '../../src/rpc/filters.js';
import { RpcHandler } from '../../src/rpc/handler.js';
import { CHAIN_ID, FakeBackend, GWEI, RECIPIENT, TOKEN } from './fake-backend.js';
import { post, startServer, WsClient, type TestServer } from './helpers.js';

let be: FakeBackend;
let signer: HDNodeWallet;
let nonce = 0;

beforeAll(async () => {
  be = await FakeBackend.create();
  signer = Wallet.createRandom();
});

/** A new pending transaction in the fake backend's pool; its hash. */
async function send(h: RpcHandler): Promise<string> {
  const raw = await signer.signTransaction({
    type: 2,
    chainId: CHAIN_ID,
    nonce: nonce++,
    maxFeePerGas: 20n * GWEI,
    maxPriorityFeePerGas: GWEI,
    gasLimit: 21_000n,
    to: RECIPIENT,
    value: 1n,
  });
  return (await h.call('eth_sendRawTransaction', [raw])) as string;
}

function code(error: unknown): number | undefined {
  return error instanceof RpcError ? error.code : undefined;
}

describe('bounds', () => {
  it('a million filter requests leave at most maxFilters, each refusal a -32005', () => {
    const filters = new FilterManager(be);
    const { maxFilters, maxFiltersPerClient } = filters.limits;
    expect([maxFilters, maxFiltersPerClient]).toEqual([4096, 256]);
    let made = 0;
    const refused = new Map<number | undefined, number>();
    for (let i = 0; i < 1_000_000; i++) {
      try {
        // 1,000 clients (addresses) of a thousand requests each.
        filters.installBlocks(`http:10.0.${i % 1000}`);
        made++;
      } catch (e) {
        refused.set(code(e), (refused.get(code(e)) ?? 0) + 1);
      }
    }
    expect(made).toBe(maxFilters);
    expect([...refused]).toEqual([[-32005, 1_000_000 - maxFilters]]);
    expect(filters.size).toBe(maxFilters);
    filters.close();
    expect(filters.size).toBe(0);
  });

  it('one client is held to its own share; others still get filters', () => {
    const filters = new FilterManager(be);
    for (let i = 0; i < 256; i++) filters.installPending('ws:1');
    expect(() => filters.installBlocks('ws:1')).toThrow(
      'too many filters for this client (limit 256)',
    );
    expect(filters.installBlocks('ws:2')).toMatch(/^0x[0-9a-f]{32}$/);
    // A connection that closes takes its filters with it, and the pool listener goes last.
    filters.closeClient('ws:1');
    expect(filters.size).toBe(1);
    expect(filters.recordingPending).toBe(false);
    expect(be.pendingListeners.size).toBe(0);
  });

  it("log filters' addresses and topics are counted per client and in all", () => {
    const filters = new FilterManager(be, { maxFilterEntries: 10_000 });
    const addresses = Array.from({ length: 1000 }, (_, i) => {
      const a = new Uint8Array(20);
      a[0] = i >> 8;
      a[1] = i & 255;
      return a;
    });
    const criteria = { fromBlock: null, toBlock: null, addresses, topics: [] };
    for (let i = 0; i < 4; i++) filters.installLogs('http:a', criteria);
    expect(() => filters.installLogs('http:a', criteria)).toThrow(
      "too many addresses and topics in this client's log filters (limit 4096)",
    );
    for (let i = 0; i < 4; i++) filters.installLogs('http:b', criteria);
    filters.installLogs('http:c', criteria);
    filters.installLogs('http:c', criteria);
    expect(() => filters.installLogs('http:d', criteria)).toThrow(
      'too many addresses and topics in log filters on this server (limit 10000)',
    );
    // Small filters still fit.
    expect(filters.installLogs('http:d', { ...criteria, addresses: [] })).toBeTruthy();
  });

  it('a pending filter polled too rarely gets the newest hashes, never more than the ring', async () => {
    const h = new RpcHandler({ backend: be, filterLimits: { pendingRingSize: 4 } });
    const id = (await h.call('eth_newPendingTransactionFilter', [])) as string;
    const hashes: string[] = [];
    for (let i = 0; i < 10; i++) hashes.push(await send(h));
    expect(await h.call('eth_getFilterChanges', [id])).toEqual(hashes.slice(6));
    const more = await send(h);
    expect(await h.call('eth_getFilterChanges', [id])).toEqual([more]);
    h.filters.close();
  });

  it('a block filter far behind gets maxBlocksPerPoll hashes per poll, oldest first, none lost', async () => {
    const h = new RpcHandler({ backend: be, filterLimits: { maxBlocksPerPoll: 2 } });
    const id = (await h.call('eth_newBlockFilter', [])) as string;
    const made = [1, 2, 3, 4, 5].map(() => be.emitHead().block.hash);
    const polls: unknown[] = [];
    for (let i = 0; i < 4; i++) polls.push(await h.call('eth_getFilterChanges', [id]));
    const hex = made.map((x) => '0x' + Buffer.from(x).toString('hex'));
    expect(polls).toEqual([hex.slice(0, 2), hex.slice(2, 4), hex.slice(4), []]);
  });
});

describe('idle filters expire (5 minutes, as geth)', () => {
  it('a filter not polled for 5 minutes is gone; each poll restarts its clock', async () => {
    let now = 1_000_000;
    const h = new RpcHandler({ backend: be, now: () => now });
    expect(h.filters.limits.idleTimeoutMs).toBe(300_000);
    const kept = (await h.call('eth_newBlockFilter', [])) as string;
    const idle = (await h.call('eth_newFilter', [{ address: TOKEN }])) as string;
    const pending = (await h.call('eth_newPendingTransactionFilter', [])) as string;
    now += 299_000;
    await h.call('eth_getFilterChanges', [kept]);
    now += 2_000;
    await h.call('eth_getFilterChanges', [kept]);
    for (const id of [idle, pending]) {
      const error = await h.call('eth_getFilterChanges', [id]).catch((e: unknown) => e);
      expect(error).toMatchObject({ code: -32000, message: 'filter not found' });
    }
    expect(h.filters.size).toBe(1);
    // The pool is no longer listened to once no pending filter is left.
    expect(h.filters.recordingPending).toBe(false);
    expect(await h.call('eth_uninstallFilter', [kept])).toBe(true);
  });
});

describe('over the server', () => {
  let t: TestServer;
  beforeAll(async () => {
    t = await startServer({ filterLimits: { maxFiltersPerClient: 50 } }, be);
  });
  afterAll(() => t.close());

  it('a batch of 1,000 eth_newFilter from one address: 50 filters, 950 -32005', async () => {
    const batch = Array.from({ length: 1000 }, (_, i) => ({
      jsonrpc: '2.0',
      id: i,
      method: 'eth_newBlockFilter',
      params: [],
    }));
    const replies = (await post(t.httpUrl, batch)).body as { result?: string; error?: unknown }[];
    expect(replies.filter((r) => r.result !== undefined)).toHaveLength(50);
    expect(replies.filter((r) => r.error !== undefined)).toHaveLength(950);
    expect(replies[50]!.error).toEqual({
      code: -32005,
      message: 'too many filters for this client (limit 50)',
    });
    // A WebSocket connection is a client of its own; its filters end with it.
    const ws = await WsClient.open(t.wsUrl);
    const id = (await ws.request('eth_newBlockFilter')).result as string;
    expect(id).toMatch(/^0x[0-9a-f]{32}$/);
    await ws.close();
    await new Promise((r) => setTimeout(r, 50));
    const gone = await post(t.httpUrl, {
      jsonrpc: '2.0',
      id: 1,
      method: 'eth_getFilterChanges',
      params: [id],
    });
    expect(gone.body).toMatchObject({ error: { code: -32000, message: 'filter not found' } });
  });

  it('newPendingTransactions over WebSocket: each admitted hash, the pool unwatched after', async () => {
    const ws = await WsClient.open(t.wsUrl);
    const sub = await ws.subscribe(['newPendingTransactions']);
    const hash = await send(new RpcHandler({ backend: be }));
    expect(await ws.notification(sub)).toBe(hash);
    expect((await ws.request('eth_unsubscribe', [sub])).result).toBe(true);
    expect(be.pendingListeners.size).toBe(0);
    await ws.close();
  });
});

describe('a rolled-back chain (the devnet evm_revert)', () => {
  it('block and log filters ahead of the new head go on from it; others are untouched', () => {
    let head = 10n;
    let rewound: ((head: bigint) => void) | null = null;
    const backend = {
      headNumber: () => head,
      onRewound: (l: (head: bigint) => void) => {
        rewound = l;
        return () => (rewound = null);
      },
    } as unknown as RpcBackend;
    const filters = new FilterManager(backend);
    const criteria = { fromBlock: null, toBlock: null, addresses: [], topics: [] };
    const blocks = filters.installBlocks('c');
    const logs = filters.installLogs('c', criteria);
    head = 20n;
    const behind = filters.installBlocks('c');
    head = 30n;
    for (const id of [blocks, logs, behind]) {
      const f = filters.use(id);
      if (f.kind !== 'pending') f.next = id === behind ? 11n : 31n;
    }
    rewound!(15n);
    const next = (id: string) => (filters.use(id) as { next: bigint }).next;
    expect([next(blocks), next(logs), next(behind)]).toEqual([16n, 16n, 11n]);
    filters.close();
    expect(rewound).toBeNull();
  });
});
