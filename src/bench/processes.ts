/**
 * Scenario 3 as four processes: every validator is its own `etm node` OS process, connected over
 * libp2p on loopback, started exactly as `etm devnet --processes` starts them (process-devnet.ts)
 * on a benchmark genesis. The driver can only reach them through JSON-RPC: it submits the
 * pre-signed transfers as batched `eth_sendRawTransaction` and sees commits through a `newHeads`
 * subscription on node0, fetching each new block's transaction hashes with
 * `eth_getBlockByNumber`. The phases are the in-process scenario's (throughput.ts).
 *
 * Every child process is killed and the data directory removed when the run ends, fails, or
 * this process exits or is signalled while a cluster is up.
 */
import { EtmError } from '../primitives/errors.js';
import { existsSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { Agent } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { WebSocket, type RawData } from 'ws';
import { genesisToJson } from '../chain/genesis.js';
import { DEV_MNEMONIC, deriveAccounts } from '../crypto/mnemonic.js';
import { DEFAULT_MEMPOOL_LIMITS } from '../mempool/mempool.js';
import { DEV_VALIDATOR_PATH } from '../node/devnet.js';
import { startProcessDevnet, type ProcessDevnet } from '../node/process-devnet.js';
import { atExit } from './cleanup.js';
import { benchGenesis, type Sender } from './load.js';
import { round, sleep } from './stats.js';
import {
  Generator,
  measurePhases,
  postJson,
  type PhaseOptions,
  type SeenBlock,
  type ThroughputResult,
} from './throughput.js';

export class ProcessClusterError extends EtmError<'process-cluster'> {
  override name = 'ProcessClusterError';

  constructor(message: string, options?: ErrorOptions) {
    super('process-cluster', message, options);
  }
}

/**
 * Where batches go: 'every' spreads them over the validators' endpoints in turn, as clients of a
 * real network spread over its nodes; 'first' sends all of them to node0.
 */
export type SubmitTarget = 'every' | 'first';

export interface ProcessClusterOptions {
  validators: number;
  blockTimeMs: number;
  senders: Sender[];
  /** How long the processes may take to start, connect and commit their first blocks. */
  startTimeoutMs?: number;
  /** Runs node `profileNode` (default 1) with `--cpu-prof` writing into this directory. */
  cpuProfDir?: string | null;
  profileNode?: number;
  /** Parameters of the benchmark genesis besides the block time (decimal strings). */
  genesisParams?: Record<string, string>;
  /** Accounts funded at genesis besides the senders (e.g. a setup phase's). */
  funded?: Sender[];
  log?: (line: string) => void;
}

export interface ProcessCluster {
  devnet: ProcessDevnet;
  datadir: string;
  httpUrls: string[];
  wsUrls: string[];
  startupMs: number;
  /** Throws if a node process has exited. */
  check(): void;
  /** Stops every process (SIGTERM, then SIGKILL) and removes the data directory. */
  stop(): Promise<void>;
}

/** Height every node must have committed before the run starts. */
const READY_HEIGHT = 3n;

/** Kills a devnet's processes at once, synchronously (for exit and signal handlers). */
export function killNow(devnet: ProcessDevnet | null): void {
  for (const n of devnet?.nodes ?? []) {
    n.wanted = false;
    if (n.running) n.child!.kill('SIGKILL');
  }
}

/** Reads one JSON-RPC reply; throws its error. */
async function rpc(agent: Agent, url: string, method: string, params: unknown[]): Promise<unknown> {
  const reply = JSON.parse(
    await postJson(agent, url, JSON.stringify({ jsonrpc: '2.0', id: 1, method, params })),
  ) as { result?: unknown; error?: { message: string } };
  if (reply.error) throw new ProcessClusterError(`${method}: ${reply.error.message}`);
  return reply.result;
}

/**
 * Starts `validators` validator processes on a benchmark genesis (every sender funded, no
 * candidacies, no election within a run) and waits until each serves JSON-RPC, sees all the
 * others as peers, and the chain has committed blocks.
 */
async function startProcessCluster(o: ProcessClusterOptions): Promise<ProcessCluster> {
  const log = o.log ?? (() => {});
  const t0 = performance.now();
  const datadir = mkdtempSync(join(tmpdir(), 'etm-bench-procs-'));
  const entry: { devnet: ProcessDevnet | null } = { devnet: null };
  const release = atExit(() => {
    killNow(entry.devnet);
    rmSync(datadir, { recursive: true, force: true });
  });
  let stopped = false;
  const stop = async () => {
    if (stopped) return;
    stopped = true;
    try {
      await entry.devnet?.stop();
    } finally {
      rmSync(datadir, { recursive: true, force: true });
      release();
    }
  };
  try {
    // The processes load genesis.json from the data directory (prepareProcessDevnet keeps an
    // existing one); its validators are the devnet's, whose keystores it writes.
    const keys = deriveAccounts(DEV_MNEMONIC, o.validators, DEV_VALIDATOR_PATH);
    const genesis = benchGenesis({
      senders: [...o.senders, ...(o.funded ?? [])],
      validatorKeys: keys.map((k) => k.privateKey),
      blockTimeMs: o.blockTimeMs,
      ...(o.genesisParams ? { params: o.genesisParams } : {}),
    });
    writeFileSync(join(datadir, 'genesis.json'), JSON.stringify(genesisToJson(genesis)));
    const wsUrls: string[] = [];
    const profiled = o.profileNode ?? 1;
    const cpuProfDir = o.cpuProfDir ?? null;
    entry.devnet = await startProcessDevnet({
      validators: o.validators,
      blockTimeMs: o.blockTimeMs,
      datadir,
      reset: false,
      restartOnCrash: false,
      metricsPort: null,
      nodeArgs: (i) =>
        cpuProfDir !== null && i === profiled ? ['--cpu-prof', `--cpu-prof-dir=${cpuProfDir}`] : [],
      onEntry: (n, e) => {
        if (e.event === 'rpc') wsUrls[n.spec.index] = String(e.ws);
        else if (e.level === 'error') log(`  ${n.name}: error ${e.event}`);
      },
    });
    const devnet = entry.devnet;
    const check = () => {
      for (const n of devnet.nodes) {
        if (!n.running)
          throw new ProcessClusterError(`${n.name} exited during the benchmark:\n${n.tail(20)}`);
      }
    };
    // Every node committing blocks means every one hears consensus over libp2p (the RPC has no
    // peer count to ask).
    const deadline = performance.now() + (o.startTimeoutMs ?? 120_000);
    for (;;) {
      check();
      const nodes = devnet.nodes;
      if (nodes.every((n) => n.rpcUrl !== null && wsUrls[n.spec.index] && n.head >= READY_HEIGHT))
        break;
      if (performance.now() > deadline) {
        throw new ProcessClusterError(
          `the processes did not start within ${o.startTimeoutMs ?? 120_000} ms: ` +
            nodes
              .map((n) => `${n.name} head ${n.head}, rpc ${n.rpcUrl ?? 'none'}\n${n.tail(5)}`)
              .join('\n'),
        );
      }
      await sleep(100);
    }
    const startupMs = round(performance.now() - t0, 0);
    log(`  ${o.validators} validator processes up in ${round(startupMs / 1000, 1)} s`);
    return {
      devnet,
      datadir,
      httpUrls: devnet.nodes.map((n) => n.rpcUrl!),
      wsUrls,
      startupMs,
      check,
      stop,
    };
  } catch (e) {
    await stop();
    throw e;
  }
}

interface JsonRpcMessage {
  id?: number;
  result?: unknown;
  error?: { message: string };
  params?: { subscription: string; result: { number: string } };
}

/**
 * Commits as a client sees them: a newHeads subscription gives the time a block is known
 * committed, eth_getBlockByNumber its transaction hashes (fetched after, in order, over a
 * connection of its own so they never wait behind submissions).
 */
class CommitWatcher {
  private readonly agent = new Agent({ keepAlive: true, maxSockets: 1 });
  private fetching: Promise<void> = Promise.resolve();
  private failure: Error | null = null;
  private closing = false;

  private constructor(
    private readonly ws: WebSocket,
    private readonly httpUrl: string,
    private readonly generator: Generator,
    private readonly blocks: SeenBlock[],
    private last: bigint,
  ) {}

  static async open(
    wsUrl: string,
    httpUrl: string,
    generator: Generator,
    blocks: SeenBlock[],
  ): Promise<CommitWatcher> {
    const ws = new WebSocket(wsUrl);
    await new Promise<void>((resolve, reject) => {
      ws.once('open', () => resolve());
      ws.once('error', reject);
    });
    const subscribed = new Promise<void>((resolve, reject) => {
      ws.once('message', (data: RawData) => {
        const m = JSON.parse(data.toString()) as JsonRpcMessage;
        if (m.error) reject(new ProcessClusterError(`eth_subscribe: ${m.error.message}`));
        else resolve();
      });
    });
    ws.send(
      JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'eth_subscribe', params: ['newHeads'] }),
    );
    await subscribed;
    const agent = new Agent({ keepAlive: true, maxSockets: 1 });
    let head: bigint;
    try {
      head = BigInt(String(await rpc(agent, httpUrl, 'eth_blockNumber', [])));
    } finally {
      agent.destroy();
    }
    const w = new CommitWatcher(ws, httpUrl, generator, blocks, head);
    ws.on('message', (data: RawData) => w.onMessage(data));
    ws.on('error', (e) => w.fail(new ProcessClusterError(`newHeads subscription: ${e.message}`)));
    ws.on('close', () => {
      if (!w.closing) w.fail(new ProcessClusterError('the newHeads subscription closed'));
    });
    return w;
  }

  private fail(e: Error): void {
    this.failure ??= e;
  }

  private onMessage(data: RawData): void {
    const at = performance.now();
    let number: bigint;
    try {
      const m = JSON.parse(data.toString()) as JsonRpcMessage;
      if (!m.params) return;
      number = BigInt(m.params.result.number);
    } catch (e) {
      this.fail(e as Error);
      return;
    }
    if (number <= this.last) return;
    // A height skipped by the notifications (none expected) is fetched with the next one.
    const from = this.last + 1n;
    this.last = number;
    this.fetching = this.fetching
      .then(() => this.fetch(from, number, at))
      .catch((e: Error) =>
        this.fail(new ProcessClusterError(`eth_getBlockByNumber: ${e.message}`)),
      );
  }

  private async fetch(from: bigint, to: bigint, at: number): Promise<void> {
    const requests: string[] = [];
    for (let h = from; h <= to; h++) {
      requests.push(
        `{"jsonrpc":"2.0","id":${requests.length},"method":"eth_getBlockByNumber","params":["0x${h.toString(16)}",false]}`,
      );
    }
    const replies = JSON.parse(
      await postJson(this.agent, this.httpUrl, `[${requests.join(',')}]`),
    ) as { id: number; result?: { transactions: string[] } | null; error?: { message: string } }[];
    replies.sort((a, b) => a.id - b.id);
    for (const r of replies) {
      if (!r.result) throw new ProcessClusterError(`eth_getBlockByNumber: ${r.error?.message}`);
      this.generator.commit(r.result.transactions, at);
      this.blocks.push({ at, txs: r.result.transactions.length });
    }
  }

  /** Resolves once every block notified so far is counted. */
  async flush(): Promise<void> {
    await this.fetching;
  }

  check(): void {
    if (this.failure) throw this.failure;
  }

  close(): void {
    this.closing = true;
    this.ws.terminate();
    this.agent.destroy();
  }
}

export interface MultiProcessOptions extends Pick<
  PhaseOptions,
  'validators' | 'blockTimeMs' | 'pool' | 'saturateMs' | 'warmupMs' | 'halfLoadMs' | 'log'
> {
  submitTo?: SubmitTarget;
  batchSize?: number;
  cpuProfDir?: string | null;
  genesisParams?: Record<string, string>;
  funded?: Sender[];
  /** Runs once the processes are up, before the phases (e.g. deploys a contract). */
  setup?: (httpUrls: string[]) => Promise<void>;
}

export interface MultiProcessResult extends ThroughputResult {
  submitTo: SubmitTarget;
  /** From spawning the processes to all of them connected with blocks committed. */
  startupMs: number;
  /** CPU profiles written by the profiled node (with cpuProfDir). */
  cpuProfiles: string[];
}

/** Scenario 3, four processes: saturation and half-load phases through JSON-RPC only. */
export async function runMultiProcessThroughput(
  o: MultiProcessOptions,
): Promise<MultiProcessResult> {
  const submitTo = o.submitTo ?? 'every';
  const cluster = await startProcessCluster({
    validators: o.validators,
    blockTimeMs: o.blockTimeMs,
    senders: o.pool.senders,
    cpuProfDir: o.cpuProfDir,
    ...(o.genesisParams ? { genesisParams: o.genesisParams } : {}),
    ...(o.funded ? { funded: o.funded } : {}),
    log: o.log,
  });
  let g: Generator | null = null;
  let watcher: CommitWatcher | null = null;
  let result: ThroughputResult;
  try {
    await o.setup?.(cluster.httpUrls);
    const urls = submitTo === 'first' ? cluster.httpUrls.slice(0, 1) : cluster.httpUrls;
    g = new Generator(o.pool, null, 'rpc', urls, o.batchSize ?? 100, 4_000_000);
    const blocks: SeenBlock[] = [];
    watcher = await CommitWatcher.open(cluster.wsUrls[0]!, cluster.httpUrls[0]!, g, blocks);
    const w = watcher;
    result = await measurePhases({
      generator: g,
      blocks,
      validators: o.validators,
      blockTimeMs: o.blockTimeMs,
      pool: o.pool,
      saturateMs: o.saturateMs,
      warmupMs: o.warmupMs,
      halfLoadMs: o.halfLoadMs,
      maxCount: DEFAULT_MEMPOOL_LIMITS.maxCount,
      cluster: 'multi-process',
      log: o.log,
      check: () => {
        cluster.check();
        w.check();
      },
      flush: () => w.flush(),
    });
  } finally {
    watcher?.close();
    g?.close();
    await cluster.stop();
  }
  const dir = o.cpuProfDir ?? null;
  const cpuProfiles =
    dir !== null && existsSync(dir)
      ? readdirSync(dir)
          .filter((f) => f.endsWith('.cpuprofile'))
          .map((f) => join(dir, f))
      : [];
  return { ...result, submitTo, startupMs: cluster.startupMs, cpuProfiles };
}
