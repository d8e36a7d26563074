/**
 * The mainnet-shaped network (`etm bench network`): validators as separate `etm node`
 * processes, each in its own network namespace, every pair joined by a link with its own
 * one-way delay and loss (relay.ts), blocks at mainnet's pace. It measures
 *
 * - finality: from a client sending a transfer to a validator (eth_sendRawTransaction) until
 *   that validator logs the block holding it committed, p50 and p99;
 * - rounds above 0 per 1,000 blocks: blocks not decided in their first round;
 * - recovery: `kill` validators are killed (SIGKILL) together; the time until the chain
 *   commits again, then, after `downBlocks` blocks without them, they are restarted: the time
 *   until each is back at the head (its head reaches the reference node's);
 * - agreement: every node's hash and state root at every height it committed, and one final
 *   height that all reach;
 * - memory: every node process's resident set, sampled through the run.
 *
 * Node 0 is the reference (never killed). Every process, namespace and link is removed when
 * the run ends, fails, or this process exits or is signalled.
 */
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { genesisToJson } from '../chain/genesis.js';
import { DEV_MNEMONIC, deriveAccounts } from '../crypto/mnemonic.js';
import { DEV_VALIDATOR_PATH } from '../node/devnet.js';
import {
  prepareProcessDevnet,
  ProcessDevnet,
  type DevnetProcess,
  type LogEntry,
} from '../node/process-devnet.js';
import { atExit } from './cleanup.js';
import { benchGenesis, makeSenders, signTransfer, type Transfer } from './load.js';
import {
  machineInfo,
  measureRecoveries,
  type MachineInfo,
  type SignatureBaseline,
} from './machine.js';
import { Namespaces } from './netns.js';
import { killNow } from './processes.js';
import { DelayRelay, linkDelayMs, type RelayStats } from './relay.js';
import { quantile, round, sleep } from './stats.js';

export class NetworkBenchError extends Error {
  override name = 'NetworkBenchError';
}

export interface NetworkBenchOptions {
  validators: number;
  blockTimeMs: number;
  /** Blocks measured in the steady phase (finality, rounds). */
  blocks: number;
  /** Decides every link's delay and the loss draws. */
  seed: string;
  minDelayMs: number;
  maxDelayMs: number;
  lossPercent: number;
  /** Validators killed and restarted together (0 skips the recovery phase). */
  kill: number;
  /** Blocks the others commit while the killed ones are down. */
  downBlocks: number;
  /** A transfer every this many ms during the steady phase, to each validator in turn. */
  txIntervalMs: number;
  /** The steady phase ends after this long even short of `blocks` (the result says how many). */
  maxSteadyMs?: number;
  /** How long starting, each phase and catching up may take before the run gives up. */
  timeoutMs?: number;
  /**
   * Peers each node dials (dialTargets); null: every other node (a full mesh). Gossip carries
   * messages across the rest.
   */
  dialPeers?: number | null;
  /** Node.js flags for every node process (e.g. a heap limit). */
  nodeArgs?: string[];
  log?: (line: string) => void;
}

export interface Quantiles {
  count: number;
  p50Ms: number;
  p99Ms: number;
  maxMs: number;
}

export interface NetworkBenchResult {
  validators: number;
  blockTimeMs: number;
  seed: string;
  links: {
    count: number;
    minDelayMs: number;
    maxDelayMs: number;
    medianDelayMs: number;
    lossPercent: number;
    model: 'tcp-relay';
  };
  /** From spawning the processes until every node has committed block 2. */
  startupMs: number;
  steady: {
    fromHeight: number;
    toHeight: number;
    blocks: number;
    durationMs: number;
    blockInterval: Quantiles;
    roundsAboveZero: number;
    roundsAboveZeroPer1000Blocks: number;
    maxRound: number;
    /** CPU of all node processes over the steady phase. */
    cpu: {
      /** Average cores busy (CPU seconds per second). */
      coresUsed: number;
      perNodePercentOfCore: { p50: number; max: number };
      /** CPU seconds of all nodes together per block. */
      secondsPerBlock: number;
    };
    finality: Quantiles & { submitted: number; rejected: number; uncommitted: number };
  };
  recovery: {
    killed: string[];
    killedAtHeight: number;
    /** From the kill until the reference node commits the next block. */
    firstCommitAfterKillMs: number | null;
    blocksWhileDown: number;
    roundsAboveZeroWhileDown: number;
    restartedAtHeight: number;
    /** From the restart until each restarted process logged 'started'. */
    processStartMs: number[];
    /** From the restart until each restarted node's head reached the reference's. */
    caughtUpMs: (number | null)[];
    allCaughtUp: boolean;
  } | null;
  agreement: {
    heightsCompared: number;
    mismatches: string[];
    /** A height every node committed, with the same hash and state root everywhere. */
    finalHeight: number;
    sameFinalRoot: boolean;
  };
  memory: {
    samples: number;
    /** Each node's largest resident set, p50 and max over the nodes (MiB). */
    perNodePeakRssMiB: { p50: number; max: number };
    /** The same for the anonymous part alone (without mapped file pages). */
    perNodePeakAnonMiB: { p50: number; max: number };
    /** Largest sum over all node processes at one sample (MiB). */
    totalPeakRssMiB: number;
  };
  relay: RelayStats;
  /** The machine's 1-minute load average over the run (other work skews every figure). */
  loadAverage1m: { p50: number; max: number };
  durationMs: number;
}

/** The first p2p port inside every namespace (each has its own port space). */
const P2P_PORT = 30303;
const RPC_PORT = 8545;
/** Node processes started together. */
const START_BATCH = 3;

function quantiles(xs: number[]): Quantiles {
  return {
    count: xs.length,
    p50Ms: round(quantile(xs, 0.5), 0),
    p99Ms: round(quantile(xs, 0.99), 0),
    maxMs: round(xs.length ? Math.max(...xs) : NaN, 0),
  };
}

/**
 * Resident set of a process in MiB, and its anonymous part (heap and other private memory; the
 * rest is mapped file pages, e.g. LMDB's, which the kernel reclaims), null once it is gone.
 */
function rssMiB(pid: number | undefined): { rss: number; anon: number } | null {
  if (pid === undefined) return null;
  try {
    const status = readFileSync(`/proc/${pid}/status`, 'utf8');
    const kb = (field: string) =>
      Number(new RegExp(`^${field}:\\s+(\\d+) kB$`, 'm').exec(status)?.[1]);
    const rss = kb('VmRSS');
    return Number.isFinite(rss) ? { rss: rss / 1024, anon: kb('RssAnon') / 1024 } : null;
  } catch {
    return null;
  }
}

/** CPU seconds a process has used (user + system), null once it is gone. */
function cpuSeconds(pid: number | undefined): number | null {
  if (pid === undefined) return null;
  try {
    // Fields after the command name (which may hold spaces): utime and stime are 12th and 13th.
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return (Number(f[11]) + Number(f[12])) / CLOCK_TICKS;
  } catch {
    return null;
  }
}

/** Linux's USER_HZ: /proc reports CPU time in hundredths of a second. */
const CLOCK_TICKS = 100;

/**
 * Who node i dials: nodes i + 1, i + 2, i + 4, … (mod n), the first `peers` of them; links are
 * two-way, so a node has about 2 × peers neighbours and any two are a few hops apart.
 */
export function dialTargets(i: number, n: number, peers: number): number[] {
  const out: number[] = [];
  for (let s = 1; s < n && out.length < peers; s *= 2) out.push((i + s) % n);
  return out;
}

async function rpc(url: string, body: unknown): Promise<unknown> {
  const res = await fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(body),
    signal: AbortSignal.timeout(15_000),
  });
  return res.json();
}

export async function runNetworkBench(o: NetworkBenchOptions): Promise<NetworkBenchResult> {
  const log = o.log ?? (() => {});
  const n = o.validators;
  if (!Number.isInteger(n) || n < 4) throw new NetworkBenchError('at least 4 validators');
  if (!Number.isInteger(o.kill) || o.kill < 0 || 3 * o.kill >= n)
    throw new NetworkBenchError(`kill must leave a quorum: at most ${Math.floor((n - 1) / 3)}`);
  const timeoutMs = o.timeoutMs ?? 300_000;
  const t0 = performance.now();
  const datadir = mkdtempSync(join(tmpdir(), 'etm-bench-network-'));
  const state: { devnet: ProcessDevnet | null } = { devnet: null };
  const releaseProcesses = atExit(() => {
    killNow(state.devnet);
    rmSync(datadir, { recursive: true, force: true });
  });
  let namespaces: Namespaces | null = null;
  let relay: DelayRelay | null = null;
  try {
    namespaces = Namespaces.create(n);
    const ns = namespaces;
    // One relay listener per directed pair, on the dialer's gateway.
    const pairs: { from: number; to: number }[] = [];
    for (let i = 0; i < n; i++)
      for (let j = 0; j < n; j++) if (i !== j) pairs.push({ from: i, to: j });
    const delay = (i: number, j: number) => linkDelayMs(o.seed, i, j, o.minDelayMs, o.maxDelayMs);
    const started = await DelayRelay.start(
      pairs.map(({ from, to }) => ({
        listenHost: ns.gatewayOf(from),
        listenPort: 0,
        sourceHost: ns.peerAddressOf(to, from),
        targetHost: ns.hostOf(to),
        targetPort: P2P_PORT + to,
        delayMs: delay(from, to),
      })),
      o.lossPercent,
      o.seed,
    );
    relay = started.relay;
    const relayPort = new Map(pairs.map((p, k) => [`${p.from}/${p.to}`, started.ports[k]!]));
    const delays: number[] = [];
    for (let i = 0; i < n; i++) for (let j = i + 1; j < n; j++) delays.push(delay(i, j));
    log(
      `  ${n} namespaces, ${delays.length} links: one-way delay ${Math.min(...delays)}–${Math.max(...delays)} ms ` +
        `(median ${quantile(delays, 0.5)}), loss ${o.lossPercent}%`,
    );

    // Genesis: the dev validator keys, funded senders, no candidacies, no election in a run.
    const senders = makeSenders(64, 'etm-bench-network');
    const keys = deriveAccounts(DEV_MNEMONIC, n, DEV_VALIDATOR_PATH);
    const genesis = benchGenesis({
      senders,
      validatorKeys: keys.map((k) => k.privateKey),
      blockTimeMs: o.blockTimeMs,
    });
    writeFileSync(join(datadir, 'genesis.json'), JSON.stringify(genesisToJson(genesis)));

    // What the logs say, as they arrive: commit time of every height at every node.
    const commitAt: Map<number, number>[] = Array.from({ length: n }, () => new Map());
    const roundOf = new Map<number, number>();
    const startedAt: number[] = new Array<number>(n).fill(NaN);
    const peers: number[] = new Array<number>(n).fill(0);
    const warnings = new Map<string, number>();
    let onBlock: ((node: DevnetProcess, height: number, at: number) => void) | null = null;
    const onEntry = (node: DevnetProcess, e: LogEntry) => {
      const at = performance.now();
      if (e.event === 'block') {
        const h = Number(e.height);
        if (!commitAt[node.spec.index]!.has(h)) commitAt[node.spec.index]!.set(h, at);
        roundOf.set(h, Number(e.round));
        onBlock?.(node, h, at);
      } else if (e.event === 'peer-connected' || e.event === 'peer-disconnected') {
        peers[node.spec.index] = Number(e.peers);
      } else if (e.event === 'started') {
        startedAt[node.spec.index] = at;
        onBlock?.(node, Number(e.head), at);
      }
      if (e.level === 'warn' || e.level === 'error') {
        const key = `${e.level} ${e.event}`;
        warnings.set(key, (warnings.get(key) ?? 0) + 1);
        if (process.env.ETM_BENCH_DEBUG) log(`  ${node.name}: ${JSON.stringify(e)}`);
      }
    };
    const options = {
      validators: n,
      blockTimeMs: o.blockTimeMs,
      datadir,
      reset: false,
      restartOnCrash: false,
      metricsPort: null,
      hostOf: (i: number) => ns.hostOf(i),
      p2pPort: P2P_PORT,
      rpcPort: RPC_PORT,
      commandPrefix: (i: number) => ns.prefixOf(i),
      nodeArgs: () => o.nodeArgs ?? [],
      // Node i reaches node j only through the relay on its own gateway.
      bootnodesOf: (node: { index: number }, all: readonly { index: number; peerId: string }[]) =>
        (o.dialPeers === null || o.dialPeers === undefined
          ? all.filter((m) => m.index !== node.index)
          : dialTargets(node.index, n, o.dialPeers).map((j) => all[j]!)
        ).map(
          (m) =>
            `/ip4/${ns.gatewayOf(node.index)}/tcp/${relayPort.get(`${node.index}/${m.index}`)}/p2p/${m.peerId}`,
        ),
      onEntry,
      onOutput: process.env.ETM_BENCH_DEBUG
        ? (node: DevnetProcess, line: string) => log(`  ${node.name}: ${line}`)
        : undefined,
    };
    const prepared = await prepareProcessDevnet(options);
    const devnet = new ProcessDevnet(prepared.genesis, prepared.nodes, options);
    state.devnet = devnet;
    const nodes = devnet.nodes;
    const ref = nodes[0]!;
    const heads = () =>
      `${startedAt.filter((t) => t >= 0).length} started; head/peers ` +
      nodes.map((x) => `${x.name}:${x.head}/${peers[x.spec.index]}`).join(' ') +
      `; warnings ${JSON.stringify(Object.fromEntries(warnings))}`;
    const check = () => {
      for (const x of nodes)
        if (x.wanted && !x.running) throw new NetworkBenchError(`${x.name} exited:\n${x.tail(20)}`);
    };
    const waitFor = async (cond: () => boolean, what: string, ms = timeoutMs) => {
      const deadline = performance.now() + ms;
      let report = performance.now() + 30_000;
      while (!cond()) {
        check();
        if (performance.now() > report) {
          report += 30_000;
          log(`  waiting for ${what}: ${heads()}`);
        }
        if (performance.now() > deadline)
          throw new NetworkBenchError(`timed out after ${ms} ms waiting for ${what}: ${heads()}`);
        await sleep(50);
      }
    };

    // Memory: every running node's resident set, every 5 s.
    const peakRss: number[] = new Array<number>(n).fill(0);
    const peakAnon: number[] = new Array<number>(n).fill(0);
    let totalPeakRss = 0;
    let samples = 0;
    const loads: number[] = [];
    const sample = () => {
      let total = 0;
      for (const x of nodes) {
        const r = x.running ? rssMiB(x.child?.pid) : null;
        if (r === null) continue;
        total += r.rss;
        if (r.rss > peakRss[x.spec.index]!) peakRss[x.spec.index] = r.rss;
        if (r.anon > peakAnon[x.spec.index]!) peakAnon[x.spec.index] = r.anon;
      }
      if (total > totalPeakRss) totalPeakRss = total;
      loads.push(loadavg()[0]!);
      samples++;
    };
    const sampler = setInterval(sample, 5000);

    try {
      // A few at a time: twenty cold starts at once starve each other on a small machine
      // long enough for their peers' liveness pings to give up on them.
      for (let k = 0; k < n; k += START_BATCH) {
        const batch = nodes.slice(k, k + START_BATCH);
        for (const x of batch) devnet.startNode(x.spec.index);
        await waitFor(
          () => batch.every((x) => startedAt[x.spec.index]! >= 0),
          'processes to start',
        );
      }
      await waitFor(() => nodes.every((x) => x.head >= 2n && x.rpcUrl !== null), 'startup');
      const startupMs = round(performance.now() - t0, 0);
      log(
        `  ${n} validator processes up, every one at block 2, in ${round(startupMs / 1000, 1)} s`,
      );

      // Steady phase: transfers to each validator in turn while `blocks` blocks commit.
      const fromHeight = Number(ref.head);
      const toHeight = fromHeight + o.blocks;
      // Transfer k: sender k mod S at nonce k div S, paying the next sender (signed as needed).
      const transfer = (k: number): Transfer =>
        signTransfer(
          senders[k % senders.length]!,
          BigInt(Math.floor(k / senders.length)),
          senders[(k + 1) % senders.length]!.address,
          1n,
        );
      const sent: { hash: string; node: number; at: number }[] = [];
      let rejected = 0;
      let next = 0;
      const cpuAt = () => nodes.map((x) => cpuSeconds(x.child?.pid) ?? NaN);
      const cpuStart = cpuAt();
      const steadyStart = performance.now();
      let lastReport = steadyStart;
      const steadyEnd = steadyStart + (o.maxSteadyMs ?? Infinity);
      while (Number(ref.head) < toHeight && performance.now() < steadyEnd) {
        check();
        const tx = transfer(next);
        const target = next % n;
        next++;
        const at = performance.now();
        const reply = (await rpc(nodes[target]!.rpcUrl!, {
          jsonrpc: '2.0',
          id: 1,
          method: 'eth_sendRawTransaction',
          params: [`0x${Buffer.from(tx.raw).toString('hex')}`],
        }).catch((e: Error) => ({ error: { message: e.message } }))) as {
          error?: { message: string };
        };
        if (reply.error) rejected++;
        else sent.push({ hash: tx.hash, node: target, at });
        if (performance.now() - lastReport > 30_000) {
          lastReport = performance.now();
          log(`  steady: block ${ref.head} of ${toHeight}, ${sent.length} transfers sent`);
        }
        const wait = at + o.txIntervalMs - performance.now();
        if (wait > 0) await sleep(wait);
      }
      const steadyMs = performance.now() - steadyStart;
      const measured = Number(ref.head) - fromHeight;
      const lastHeight = fromHeight + measured;
      const cpuEnd = cpuAt();
      const cpuUsed = cpuEnd.map((c, i) => c - cpuStart[i]!);
      const cpuTotal = cpuUsed.reduce((a, b) => a + b, 0);
      // Where each transfer landed: receipts from the reference node once they are in.
      const heightOf = new Map<string, number>();
      const receiptDeadline = performance.now() + 20 * o.blockTimeMs + 30_000;
      while (heightOf.size < sent.length && performance.now() < receiptDeadline) {
        const missing = sent.filter((s) => !heightOf.has(s.hash));
        for (let k = 0; k < missing.length; k += 100) {
          const replies = (await rpc(
            ref.rpcUrl!,
            missing.slice(k, k + 100).map((s, id) => ({
              jsonrpc: '2.0',
              id,
              method: 'eth_getTransactionReceipt',
              params: [s.hash],
            })),
          )) as { id: number; result: { blockNumber: string } | null }[];
          for (const r of replies)
            if (r.result)
              heightOf.set(missing[k + r.id]!.hash, Number(BigInt(r.result.blockNumber)));
        }
        if (heightOf.size < sent.length) await sleep(o.blockTimeMs);
      }
      const finalities: number[] = [];
      for (const s of sent) {
        const h = heightOf.get(s.hash);
        const at = h === undefined ? undefined : commitAt[s.node]!.get(h);
        if (at !== undefined) finalities.push(at - s.at);
      }
      const intervals: number[] = [];
      let aboveZero = 0;
      let maxRound = 0;
      for (let h = fromHeight + 1; h <= lastHeight; h++) {
        const r = roundOf.get(h) ?? 0;
        if (r > 0) aboveZero++;
        if (r > maxRound) maxRound = r;
        const a = commitAt[0]!.get(h - 1);
        const b = commitAt[0]!.get(h);
        if (a !== undefined && b !== undefined) intervals.push(b - a);
      }
      const steady: NetworkBenchResult['steady'] = {
        fromHeight,
        toHeight: lastHeight,
        blocks: measured,
        durationMs: round(steadyMs, 0),
        blockInterval: quantiles(intervals),
        roundsAboveZero: aboveZero,
        roundsAboveZeroPer1000Blocks: round((aboveZero * 1000) / measured, 1),
        maxRound,
        cpu: {
          coresUsed: round((cpuTotal * 1000) / steadyMs, 2),
          perNodePercentOfCore: {
            p50: round((quantile(cpuUsed, 0.5) * 100_000) / steadyMs, 1),
            max: round((Math.max(...cpuUsed) * 100_000) / steadyMs, 1),
          },
          secondsPerBlock: round(cpuTotal / measured, 2),
        },
        finality: {
          ...quantiles(finalities),
          submitted: sent.length,
          rejected,
          uncommitted: sent.length - finalities.length,
        },
      };
      log(
        `  steady: ${measured} blocks in ${round(steadyMs / 1000, 1)} s; finality p50 ${steady.finality.p50Ms} ms, ` +
          `p99 ${steady.finality.p99Ms} ms over ${finalities.length} transfers; ${aboveZero} blocks with round > 0; ` +
          `nodes used ${steady.cpu.coresUsed} cores`,
      );

      // Recovery: kill the last `kill` validators together, let the rest go on, restart them.
      let recovery: NetworkBenchResult['recovery'] = null;
      if (o.kill > 0) {
        const victims = nodes.slice(n - o.kill);
        const killT = performance.now();
        await Promise.all(victims.map((v) => devnet.killNode(v.spec.index, 'SIGKILL')));
        const killedAt = Number(
          nodes.slice(0, n - o.kill).reduce((m, x) => (x.head > m ? x.head : m), -1n),
        );
        log(`  killed ${victims.map((v) => v.name).join(', ')} at height ${killedAt}`);
        await waitFor(() => Number(ref.head) > killedAt, 'a commit after the kill');
        const firstAfterKill = commitAt[0]!.get(killedAt + 1);
        await waitFor(
          () => Number(ref.head) >= killedAt + o.downBlocks,
          `${o.downBlocks} blocks without the killed validators`,
        );
        let downRounds = 0;
        for (let h = killedAt + 1; h <= Number(ref.head); h++)
          if ((roundOf.get(h) ?? 0) > 0) downRounds++;
        const restartedAt = Number(ref.head);
        const caughtUp = new Map<number, number>();
        const restartT = performance.now();
        onBlock = (node, height, at) => {
          if (
            victims.includes(node) &&
            !caughtUp.has(node.spec.index) &&
            startedAt[node.spec.index]! > restartT
          ) {
            if (BigInt(height) >= ref.head) caughtUp.set(node.spec.index, at);
          }
        };
        for (const v of victims) {
          devnet.startNode(v.spec.index);
        }
        let allCaughtUp = true;
        try {
          await waitFor(
            () => victims.every((v) => caughtUp.has(v.spec.index)),
            'the restarted validators to reach the head',
          );
        } catch (e) {
          if (!(e instanceof NetworkBenchError) || !e.message.startsWith('timed out')) throw e;
          allCaughtUp = false;
        }
        onBlock = null;
        recovery = {
          killed: victims.map((v) => v.name),
          killedAtHeight: killedAt,
          firstCommitAfterKillMs:
            firstAfterKill === undefined ? null : round(firstAfterKill - killT, 0),
          blocksWhileDown: restartedAt - killedAt,
          roundsAboveZeroWhileDown: downRounds,
          restartedAtHeight: restartedAt,
          processStartMs: victims.map((v) => round(startedAt[v.spec.index]! - restartT, 0)),
          caughtUpMs: victims.map((v) => {
            const at = caughtUp.get(v.spec.index);
            return at === undefined ? null : round(at - restartT, 0);
          }),
          allCaughtUp,
        };
        log(
          `  recovery: next commit ${recovery.firstCommitAfterKillMs} ms after the kill; ` +
            `restarted validators at the head after ${recovery.caughtUpMs.join(', ')} ms`,
        );
      }

      // Agreement: one more height that every node commits, then every pair at every height.
      const finalHeight = Number(ref.head) + 2;
      await waitFor(
        () => nodes.every((x) => Number(x.head) >= finalHeight),
        `every node at ${finalHeight}`,
      );
      const mismatches: string[] = [];
      let compared = 0;
      for (const [h, b] of ref.blocks) {
        for (const x of nodes.slice(1)) {
          const other = x.blocks.get(h);
          if (!other) continue;
          compared++;
          if (other.hash !== b.hash || other.stateRoot !== b.stateRoot)
            mismatches.push(`${x.name} at ${h}: ${other.hash} vs ${b.hash}`);
        }
      }
      const finalBlock = ref.blocks.get(BigInt(finalHeight));
      const sameFinalRoot =
        finalBlock !== undefined &&
        nodes.every((x) => {
          const b = x.blocks.get(BigInt(finalHeight));
          return (
            b !== undefined && b.hash === finalBlock.hash && b.stateRoot === finalBlock.stateRoot
          );
        });
      sample();
      const sortedPeaks = peakRss.filter((r) => r > 0);
      return {
        validators: n,
        blockTimeMs: o.blockTimeMs,
        seed: o.seed,
        links: {
          count: delays.length,
          minDelayMs: Math.min(...delays),
          maxDelayMs: Math.max(...delays),
          medianDelayMs: quantile(delays, 0.5),
          lossPercent: o.lossPercent,
          model: 'tcp-relay',
        },
        startupMs,
        steady,
        recovery,
        agreement: { heightsCompared: compared, mismatches, finalHeight, sameFinalRoot },
        memory: {
          samples,
          perNodePeakRssMiB: {
            p50: round(quantile(sortedPeaks, 0.5), 0),
            max: round(Math.max(0, ...sortedPeaks), 0),
          },
          perNodePeakAnonMiB: {
            p50: round(
              quantile(
                peakAnon.filter((r) => r > 0),
                0.5,
              ),
              0,
            ),
            max: round(Math.max(0, ...peakAnon), 0),
          },
          totalPeakRssMiB: round(totalPeakRss, 0),
        },
        loadAverage1m: { p50: round(quantile(loads, 0.5), 1), max: round(Math.max(...loads), 1) },
        relay: { ...relay.stats },
        durationMs: round(performance.now() - t0, 0),
      };
    } finally {
      clearInterval(sampler);
    }
  } finally {
    await state.devnet?.stop();
    relay?.close();
    namespaces?.destroy();
    rmSync(datadir, { recursive: true, force: true });
    releaseProcesses();
  }
}

export interface NetworkBenchReport {
  schema: 1;
  scenario: 'network';
  machine: MachineInfo;
  baseline: SignatureBaseline;
  options: Omit<NetworkBenchOptions, 'log'>;
  result: NetworkBenchResult;
}

/** Runs the scenario on this machine and writes network-<date>.json and latest-network.{json,md}. */
export async function runNetworkReport(
  o: NetworkBenchOptions & { outDir: string },
): Promise<NetworkBenchReport> {
  const machine = machineInfo();
  o.log?.(
    `machine: ${machine.cpuModel}, ${machine.cores} cores, ${machine.memoryGiB} GiB, node ${machine.node}, load ${machine.loadAverage1m}`,
  );
  const baseline = measureRecoveries(1_000);
  const { log: _log, outDir, ...options } = o;
  const report: NetworkBenchReport = {
    schema: 1,
    scenario: 'network',
    machine,
    baseline,
    options,
    result: await runNetworkBench(o),
  };
  mkdirSync(outDir, { recursive: true });
  const text = JSON.stringify(report, null, 2) + '\n';
  writeFileSync(join(outDir, `network-${machine.date.replace(/[:.]/g, '-')}.json`), text);
  writeFileSync(join(outDir, 'latest-network.json'), text);
  writeFileSync(join(outDir, 'latest-network.md'), networkMarkdown(report));
  return report;
}

/** The figures of a run as a Markdown table. */
export function networkMarkdown(report: NetworkBenchReport): string {
  const { machine: m, result: r } = report;
  const s = r.steady;
  const rows: [string, string][] = [
    ['validators (processes, one namespace each)', String(r.validators)],
    ['block time', `${r.blockTimeMs} ms`],
    [
      'links',
      `${r.links.count}, one-way delay ${r.links.minDelayMs}–${r.links.maxDelayMs} ms (median ${r.links.medianDelayMs}), loss ${r.links.lossPercent}% (seed "${r.seed}")`,
    ],
    ['blocks measured (steady)', `${s.blocks} (heights ${s.fromHeight + 1}–${s.toHeight})`],
    ['block interval p50 / p99', `${s.blockInterval.p50Ms} / ${s.blockInterval.p99Ms} ms`],
    [
      'finality p50 / p99 (max)',
      `${s.finality.p50Ms} / ${s.finality.p99Ms} ms (${s.finality.maxMs}) over ${s.finality.count} transfers`,
    ],
    [
      'blocks with round > 0',
      `${s.roundsAboveZero} of ${s.blocks} = ${s.roundsAboveZeroPer1000Blocks} per 1,000 blocks (max round ${s.maxRound})`,
    ],
  ];
  const rec = r.recovery;
  if (rec) {
    rows.push(
      [
        `${rec.killed.length} validators killed at ${rec.killedAtHeight}`,
        `next commit after ${rec.firstCommitAfterKillMs ?? '—'} ms; ${rec.blocksWhileDown} blocks while down, ${rec.roundsAboveZeroWhileDown} with round > 0`,
      ],
      [
        'restarted: process up / back at the head',
        `${rec.processStartMs.join(', ')} ms / ${rec.caughtUpMs.map((x) => x ?? 'never').join(', ')} ms`,
      ],
    );
  }
  rows.push(
    [
      'agreement',
      `${r.agreement.mismatches.length} mismatches in ${r.agreement.heightsCompared} comparisons; same root at ${r.agreement.finalHeight} everywhere: ${r.agreement.sameFinalRoot}`,
    ],
    [
      'CPU of all node processes (steady)',
      `${s.cpu.coresUsed} cores; per node p50 ${s.cpu.perNodePercentOfCore.p50}%, max ${s.cpu.perNodePercentOfCore.max}% of a core; ${s.cpu.secondsPerBlock} CPU s per block`,
    ],
    [
      'load average (1 min) during the run, p50 / max',
      `${r.loadAverage1m.p50} / ${r.loadAverage1m.max}`,
    ],
    [
      'node RSS peak p50 / max, all nodes',
      `${r.memory.perNodePeakRssMiB.p50} / ${r.memory.perNodePeakRssMiB.max} MiB (anonymous ${r.memory.perNodePeakAnonMiB.p50} / ${r.memory.perNodePeakAnonMiB.max}), ${r.memory.totalPeakRssMiB} MiB`,
    ],
  );
  return (
    `Network scenario, ${m.date}: ${m.cpuModel}, ${m.cores} cores, ${m.memoryGiB} GiB, ` +
    `node ${m.node}, load ${m.loadAverage1m} at start; run ${round(r.durationMs / 60_000, 1)} min\n\n` +
    `| what | figure |\n| --- | --- |\n` +
    rows.map(([a, b]) => `| ${a} | ${b} |`).join('\n') +
    '\n'
  );
}
