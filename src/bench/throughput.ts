/**
 * Sustained throughput and latency of committed transfers (scenarios 2 and 3): a load generator
 * with many funded senders and transfers signed ahead of time submits either through JSON-RPC
 * (`eth_sendRawTransaction` in batches over HTTP keep-alive) or straight into the node
 * (`Node.prepareTransactions` for the batch, then `Node.submitTransaction` for each: decode, sender
 * recovery, mempool, gossip). Each run has two phases:
 *
 * 1. saturation: the generator keeps the first node's mempool nearly full for the whole phase;
 *    the figure is committed transfers per second after a warm-up;
 * 2. half load: an open-loop generator submits at half the saturation rate; the figure is the
 *    p50/p99 latency from submission to commit, in ms and in block times.
 *
 * The multi-process variant (processes.ts) reuses the generator and the phases (`measurePhases`)
 * against node processes it can reach through JSON-RPC only.
 */
import { Agent, request } from 'node:http';
import { performance } from 'node:perf_hooks';
import { toHex } from '../crypto/bytes.js';
import type { Node } from '../node/node.js';
import { benchGenesis } from './load.js';
import { TransferPool } from './transfer-pool.js';

export { TransferPool };
import { startCluster, type ClusterKind } from './cluster.js';
import { quantile, round, sleep, yieldToLoop } from './stats.js';

export type SubmitMode = 'rpc' | 'inject';

export interface ThroughputOptions {
  validators: Uint8Array[];
  mode: SubmitMode;
  blockTimeMs: number;
  pool: TransferPool;
  /** Length of the saturation phase, warm-up included. */
  saturateMs: number;
  warmupMs: number;
  /** Length of the half-load phase; 0 skips it. */
  halfLoadMs: number;
  /** Transactions per RPC batch (the server accepts up to 1,000). */
  batchSize?: number;
  log?: (line: string) => void;
}

export interface LatencyFigures {
  p50Ms: number;
  p99Ms: number;
  p50Blocks: number;
  p99Blocks: number;
  samples: number;
  /** Submitted in the window but not committed when the run ended (counted as unbounded). */
  uncommitted: number;
}

export interface ThroughputResult {
  validators: number;
  mode: SubmitMode;
  /** Absent in results written before the multi-process scenario (they were in-process). */
  cluster?: ClusterKind;
  /** JSON-RPC endpoints the batches were spread over (0 when injected). */
  rpcEndpoints?: number;
  blockTimeMs: number;
  senders: number;
  mempoolMaxCount: number;
  saturation: {
    durationMs: number;
    transfersPerSecond: number;
    blocks: number;
    meanTxsPerBlock: number;
    maxTxsPerBlock: number;
    /** Mean wall-clock time between blocks during the measured window. */
    meanBlockIntervalMs: number;
    rejected: number;
    latency: LatencyFigures;
  };
  halfLoad: {
    targetPerSecond: number;
    achievedPerSecond: number;
    latency: LatencyFigures;
  } | null;
  /** Transfers that had to be signed during the run (they cost the node CPU time). */
  signedDuringRun: number;
  rejectReasons: Record<string, number>;
}

/** A block as the generator saw it committed. */
export interface SeenBlock {
  at: number;
  txs: number;
}

/** The generator's state shared by both phases. */
export class Generator {
  next = 0;
  committed = 0;
  rejected = 0;
  readonly reasons: Record<string, number> = {};
  readonly submitAt: Float64Array;
  readonly commitAt: Float64Array;
  signedDuringRun = 0;
  /** Up to four requests in flight per endpoint (the agent's sockets are per endpoint). */
  private readonly agent = new Agent({ keepAlive: true, maxSockets: 4 });
  private batches = 0;
  /** Batches handed over and not yet answered: JSON-RPC requests, or injected batches recovering. */
  inFlight = 0;
  readonly maxInFlight: number;

  /**
   * `httpUrls`: the JSON-RPC endpoints batches go to, in turn (rpc mode); `node`: where
   * transfers are injected (inject mode).
   */
  constructor(
    readonly pool: TransferPool,
    readonly node: Node | null,
    readonly mode: SubmitMode,
    readonly httpUrls: string[],
    readonly batchSize: number,
    capacity: number,
  ) {
    if (mode === 'inject' && !node) throw new Error('inject mode needs a node');
    if (mode === 'rpc' && httpUrls.length === 0) throw new Error('rpc mode needs an endpoint');
    this.maxInFlight = 4 * Math.max(1, httpUrls.length);
    this.submitAt = new Float64Array(capacity).fill(NaN);
    this.commitAt = new Float64Array(capacity).fill(NaN);
  }

  /** Notes the pool's transfers among `hashes` as committed at `at`; returns how many. */
  commit(hashes: Iterable<Uint8Array | string>, at: number): number {
    let ours = 0;
    for (const h of hashes) {
      const i = this.pool.indexOf(h);
      if (i !== undefined && Number.isNaN(this.commitAt[i]!)) {
        this.commitAt[i] = at;
        ours++;
      }
    }
    this.committed += ours;
    return ours;
  }

  get pending(): number {
    return this.next - this.committed - this.rejected;
  }

  reject(reason: string): void {
    this.rejected++;
    this.reasons[reason] = (this.reasons[reason] ?? 0) + 1;
  }

  /** Takes the next `count` transfers, signing more (and noting it) if the pool runs out. */
  private take(count: number): number {
    if (this.next + count > this.pool.size) {
      const before = this.pool.size;
      this.pool.ensure(this.next + count + 20 * this.batchSize);
      this.signedDuringRun += this.pool.size - before;
    }
    const first = this.next;
    this.next += count;
    return first;
  }

  /** Submits `count` transfers; resolves once they are handed to the node. */
  async submit(count: number): Promise<void> {
    const first = this.take(count);
    if (first + count > this.submitAt.length) throw new Error('generator capacity exceeded');
    if (this.mode === 'inject') {
      const now = performance.now();
      for (let i = first; i < first + count; i++) this.submitAt[i] = now;
      this.inFlight++;
      // As the JSON-RPC path does with a batch: senders recovered together on the worker pool,
      // then each admitted (from the same arrays, as a server's batch would be).
      const raws = Array.from({ length: count }, (_, k) => this.pool.raw(first + k));
      try {
        await this.node!.prepareTransactions(raws);
      } finally {
        this.inFlight--;
      }
      for (let i = first; i < first + count; i++) {
        try {
          this.node!.submitTransaction(raws[i - first]!);
        } catch (e) {
          this.reject((e as { code?: string }).code ?? (e as Error).message);
        }
      }
      return;
    }
    const parts: string[] = [];
    for (let i = first; i < first + count; i++) {
      parts.push(
        `{"jsonrpc":"2.0","id":${i},"method":"eth_sendRawTransaction","params":["${toHex(this.pool.raw(i))}"]}`,
      );
    }
    const body = `[${parts.join(',')}]`;
    const url = this.httpUrls[this.batches++ % this.httpUrls.length]!;
    const now = performance.now();
    for (let i = first; i < first + count; i++) this.submitAt[i] = now;
    this.inFlight++;
    try {
      const reply = await this.post(url, body);
      const answers = JSON.parse(reply) as { id: number; error?: { message: string } }[];
      for (const a of answers) if (a.error) this.reject(a.error.message.split(':')[0]!);
    } catch (e) {
      for (let i = 0; i < count; i++) this.reject(`http: ${(e as Error).message}`);
    } finally {
      this.inFlight--;
    }
  }

  private post(url: string, body: string): Promise<string> {
    return postJson(this.agent, url, body);
  }

  close(): void {
    this.agent.destroy();
  }
}

/**
 * POSTs a JSON body and resolves with the reply's text. A kept-alive socket the server closed
 * while it was idle (its keep-alive timeout) fails with ECONNRESET before the server read
 * anything: that request is sent again once, on a fresh socket.
 */
export function postJson(
  agent: Agent,
  httpUrl: string,
  body: string,
  retry = true,
): Promise<string> {
  const url = new URL(httpUrl);
  return new Promise((resolve, reject) => {
    const req = request(
      {
        host: url.hostname,
        port: url.port,
        method: 'POST',
        path: '/',
        agent,
        headers: {
          'content-type': 'application/json',
          'content-length': Buffer.byteLength(body),
        },
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
        res.on('error', reject);
      },
    );
    req.on('error', (e: NodeJS.ErrnoException) => {
      if (retry && req.reusedSocket && e.code === 'ECONNRESET')
        resolve(postJson(agent, httpUrl, body, false));
      else reject(e);
    });
    req.end(body);
  });
}

function latencyOf(
  g: Generator,
  from: number,
  to: number,
  windowStart: number,
  windowEnd: number,
  blockTimeMs: number,
): LatencyFigures {
  const samples: number[] = [];
  let uncommitted = 0;
  for (let i = from; i < to; i++) {
    const s = g.submitAt[i]!;
    if (!(s >= windowStart && s < windowEnd)) continue;
    const c = g.commitAt[i]!;
    if (Number.isNaN(c)) uncommitted++;
    else samples.push(c - s);
  }
  // Uncommitted transfers count as slower than any committed one.
  for (let i = 0; i < uncommitted; i++) samples.push(Infinity);
  const p50 = quantile(samples, 0.5);
  const p99 = quantile(samples, 0.99);
  return {
    p50Ms: round(p50),
    p99Ms: round(p99),
    p50Blocks: round(p50 / blockTimeMs, 2),
    p99Blocks: round(p99 / blockTimeMs, 2),
    samples: samples.length,
    uncommitted,
  };
}

/**
 * One in-process validator's mempool: four times the default, so that a saturated pool holds
 * more than a block's worth (about 6,000–9,000 transfers a second) — with the default 4,096 the
 * pool, not the node, would cap the figure (an operator sets it with `mempool` in the
 * configuration).
 */
const BENCH_MEMPOOL = { maxCount: 16_384, maxBytes: 128 * 1024 * 1024 };

/**
 * The throughput chains' block gas limit: 450 Mgas, 21,428 transfers a block. At the default
 * 150 Mgas a block of 1 s holds 7,142 transfers, so the parameter, not the node, would cap the
 * figure on a machine whose L is above 28,568/s (25% of L).
 */
export const BENCH_BLOCK_GAS_LIMIT = 450_000_000n;

/** Scenarios 2 and 3 in one process: validators over the in-process network. */
export async function runThroughput(o: ThroughputOptions): Promise<ThroughputResult> {
  const batchSize = o.batchSize ?? 100;
  const genesis = benchGenesis({
    senders: o.pool.senders,
    validatorKeys: o.validators,
    blockTimeMs: o.blockTimeMs,
    params: { blockGasLimit: BENCH_BLOCK_GAS_LIMIT.toString() },
  });
  const cluster = await startCluster({
    genesis,
    validatorKeys: o.validators,
    rpc: o.mode === 'rpc',
    // Four validators stay far below a pool's worth per block: they keep the default.
    mempool: o.validators.length === 1 ? BENCH_MEMPOOL : undefined,
  });
  const node = cluster.nodes[0]!;
  const g = new Generator(
    o.pool,
    node,
    o.mode,
    cluster.httpUrl ? [cluster.httpUrl] : [],
    batchSize,
    4_000_000,
  );
  const blocks: SeenBlock[] = [];
  node.onCommitted((e) => {
    const now = performance.now();
    g.commit(
      e.transactions.map((tx) => tx.hash),
      now,
    );
    blocks.push({ at: now, txs: e.transactions.length });
  });
  try {
    return await measurePhases({
      ...o,
      validators: o.validators.length,
      generator: g,
      blocks,
      // What the pool can hold of these senders (each may have maxPerSender waiting).
      maxCount: Math.min(
        node.mempool.limits.maxCount,
        o.pool.senders.length * node.mempool.limits.maxPerSender,
      ),
      cluster: 'in-process',
    });
  } finally {
    g.close();
    await cluster.stop();
  }
}

export interface PhaseOptions {
  generator: Generator;
  /** Filled by the caller as blocks commit (on the node whose commits count). */
  blocks: SeenBlock[];
  /** How many validators the cluster has. */
  validators: number;
  blockTimeMs: number;
  pool: TransferPool;
  saturateMs: number;
  warmupMs: number;
  halfLoadMs: number;
  /** The mempool's size: saturation keeps this many transfers pending, less two batches. */
  maxCount: number;
  cluster: ClusterKind;
  log?: (line: string) => void;
  /** Called while waiting; throws to abort the run (a node process died). */
  check?: () => void;
  /** Resolves once every commit seen so far is counted (commits that arrive asynchronously). */
  flush?: () => Promise<void>;
}

/** Runs the saturation and half-load phases against a started cluster. */
export async function measurePhases(o: PhaseOptions): Promise<ThroughputResult> {
  const log = o.log ?? (() => {});
  const g = o.generator;
  const blocks = o.blocks;
  const batchSize = g.batchSize;
  const check = o.check ?? (() => {});
  const flush = o.flush ?? (() => Promise.resolve());
  const maxCount = o.maxCount;
  // Keep the pool nearly full, leaving room for a batch in flight.
  const window = Math.max(batchSize, maxCount - 2 * batchSize);
  // Phase 1: saturation.
  const t0 = performance.now();
  const measureFrom = t0 + o.warmupMs;
  const end = t0 + o.saturateMs;
  while (performance.now() < end) {
    check();
    if (g.pending + batchSize <= window && g.inFlight < g.maxInFlight) {
      // Batches overlap as a client's requests do: up to maxInFlight recovering at once.
      void g.submit(batchSize);
      await yieldToLoop();
    } else {
      await sleep(2);
    }
  }
  await flush();
  const inWindow = blocks.filter((b) => b.at >= measureFrom && b.at < end);
  const committedInWindow = countCommitted(g, measureFrom, end);
  const seconds = (end - measureFrom) / 1000;
  const tps = committedInWindow / seconds;
  const saturatedUpTo = g.next;
  // Let the pool drain before the next phase (bounded: a stuck pool is reported, not awaited).
  const drainBy = performance.now() + Math.max(10_000, 10 * o.blockTimeMs);
  while (g.pending > 0 && performance.now() < drainBy) {
    check();
    await sleep(20);
  }
  await flush();
  const saturationLatency = latencyOf(g, 0, saturatedUpTo, measureFrom, end, o.blockTimeMs);
  const intervals = inWindow.slice(1).map((b, i) => b.at - inWindow[i]!.at);
  const result: ThroughputResult = {
    validators: o.validators,
    mode: g.mode,
    cluster: o.cluster,
    rpcEndpoints: g.mode === 'rpc' ? g.httpUrls.length : 0,
    blockTimeMs: o.blockTimeMs,
    senders: o.pool.senders.length,
    mempoolMaxCount: maxCount,
    saturation: {
      durationMs: round(end - measureFrom, 0),
      transfersPerSecond: round(tps, 0),
      blocks: inWindow.length,
      meanTxsPerBlock: round(
        inWindow.reduce((a, b) => a + b.txs, 0) / Math.max(1, inWindow.length),
        0,
      ),
      maxTxsPerBlock: inWindow.reduce((a, b) => Math.max(a, b.txs), 0),
      meanBlockIntervalMs: round(
        intervals.reduce((a, b) => a + b, 0) / Math.max(1, intervals.length),
        0,
      ),
      rejected: g.rejected,
      latency: saturationLatency,
    },
    halfLoad: null,
    signedDuringRun: 0,
    rejectReasons: g.reasons,
  };
  log(
    `  saturation: ${result.saturation.transfersPerSecond} transfers/s, ${inWindow.length} blocks, ` +
      `${result.saturation.meanTxsPerBlock} txs/block, p99 ${saturationLatency.p99Ms} ms`,
  );

  // Phase 2: open loop at half the saturation rate.
  if (o.halfLoadMs > 0 && tps > 0) {
    const rate = tps / 2;
    const from = g.next;
    const h0 = performance.now();
    const settle = h0 + Math.min(2_000, o.halfLoadMs / 4);
    const hEnd = h0 + o.halfLoadMs;
    let sent = 0;
    while (performance.now() < hEnd) {
      const due = Math.floor(((performance.now() - h0) / 1000) * rate) - sent;
      if (due > 0) {
        const count = Math.min(due, batchSize);
        sent += count;
        if (g.mode === 'rpc') void g.submit(count);
        else await g.submit(count);
      }
      check();
      await sleep(5);
    }
    const upTo = g.next;
    const waitBy = performance.now() + Math.max(5_000, 4 * o.blockTimeMs);
    while (g.pending > 0 && performance.now() < waitBy) {
      check();
      await sleep(20);
    }
    await flush();
    const latency = latencyOf(g, from, upTo, settle, hEnd, o.blockTimeMs);
    result.halfLoad = {
      targetPerSecond: round(rate, 0),
      achievedPerSecond: round(countCommitted(g, settle, hEnd) / ((hEnd - settle) / 1000), 0),
      latency,
    };
    log(
      `  half load ${result.halfLoad.targetPerSecond}/s: p50 ${latency.p50Ms} ms, p99 ${latency.p99Ms} ms ` +
        `(${latency.p99Blocks} block times)`,
    );
  }
  result.signedDuringRun = g.signedDuringRun;
  result.saturation.rejected = g.rejected;
  return result;
}

function countCommitted(g: Generator, from: number, to: number): number {
  let n = 0;
  for (let i = 0; i < g.next; i++) {
    const c = g.commitAt[i]!;
    if (c >= from && c < to) n++;
  }
  return n;
}
