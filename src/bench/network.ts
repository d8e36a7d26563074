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
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
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
import { benchGenesis, makeSenders, signTransfers, type Transfer } from './load.js';
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
  /** How long starting, each phase and catching up may take before the run gives up. */
  timeoutMs?: number;
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
    /** Largest sum over all node processes at one sample (MiB). */
    totalPeakRssMiB: number;
  };
  relay: RelayStats;
  durationMs: number;
}

/** The first p2p port inside every namespace (each has its own port space). */
const P2P_PORT = 30303;
const RPC_PORT = 8545;

function quantiles(xs: number[]): Quantiles {
  return {
    count: xs.length,
    p50Ms: round(quantile(xs, 0.5), 0),
    p99Ms: round(quantile(xs, 0.99), 0),
    maxMs: round(xs.length ? Math.max(...xs) : NaN, 0),
  };
}

/** Resident set of a process in MiB, null once it is gone. */
function rssMiB(pid: number | undefined): number | null {
  if (pid === undefined) return null;
  try {
    const m = /^VmRSS:\s+(\d+) kB$/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return m ? Number(m[1]) / 1024 : null;
  } catch {
    return null;
  }
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
    let onBlock: ((node: DevnetProcess, height: number, at: number) => void) | null = null;
    const onEntry = (node: DevnetProcess, e: LogEntry) => {
      const at = performance.now();
      if (e.event === 'block') {
        const h = Number(e.height);
        if (!commitAt[node.spec.index]!.has(h)) commitAt[node.spec.index]!.set(h, at);
        roundOf.set(h, Number(e.round));
        onBlock?.(node, h, at);
      } else if (e.event === 'started') {
        startedAt[node.spec.index] = at;
        onBlock?.(node, Number(e.head), at);
      } else if (e.level === 'error') {
        log(`  ${node.name}: error ${e.event} ${String(e.error ?? '')}`);
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
        all
          .filter((m) => m.index !== node.index)
          .map(
            (m) =>
              `/ip4/${ns.gatewayOf(node.index)}/tcp/${relayPort.get(`${node.index}/${m.index}`)}/p2p/${m.peerId}`,
          ),
      onEntry,
    };
    const prepared = await prepareProcessDevnet(options);
    const devnet = new ProcessDevnet(prepared.genesis, prepared.nodes, options);
    state.devnet = devnet;
    const nodes = devnet.nodes;
    const ref = nodes[0]!;
    const heads = () => nodes.map((x) => `${x.name}:${x.head}`).join(' ');
    const wanted = new Set(nodes.map((x) => x.spec.index));
    const check = () => {
      for (const x of nodes)
        if (wanted.has(x.spec.index) && !x.running)
          throw new NetworkBenchError(`${x.name} exited:\n${x.tail(20)}`);
    };
    const waitFor = async (cond: () => boolean, what: string, ms = timeoutMs) => {
      const deadline = performance.now() + ms;
      while (!cond()) {
        check();
        if (performance.now() > deadline)
          throw new NetworkBenchError(`timed out after ${ms} ms waiting for ${what}: ${heads()}`);
        await sleep(50);
      }
    };

    // Memory: every running node's resident set, every 5 s.
    const peakRss: number[] = new Array<number>(n).fill(0);
    let totalPeakRss = 0;
    let samples = 0;
    const sample = () => {
      let total = 0;
      for (const x of nodes) {
        const r = x.running ? rssMiB(x.child?.pid) : null;
        if (r === null) continue;
        total += r;
        if (r > peakRss[x.spec.index]!) peakRss[x.spec.index] = r;
      }
      if (total > totalPeakRss) totalPeakRss = total;
      samples++;
    };
    const sampler = setInterval(sample, 5000);

    try {
      devnet.startAll();
      await waitFor(() => nodes.every((x) => x.head >= 2n && x.rpcUrl !== null), 'startup');
      const startupMs = round(performance.now() - t0, 0);
      log(
        `  ${n} validator processes up, every one at block 2, in ${round(startupMs / 1000, 1)} s`,
      );

      // Steady phase: transfers to each validator in turn while `blocks` blocks commit.
      const fromHeight = Number(ref.head);
      const toHeight = fromHeight + o.blocks;
      const transfers: Transfer[] = signTransfers(
        senders,
        Math.ceil(((o.blocks + 5) * o.blockTimeMs) / o.txIntervalMs) + 64,
      );
      const sent: { hash: string; node: number; at: number }[] = [];
      let rejected = 0;
      let next = 0;
      const steadyStart = performance.now();
      let lastReport = steadyStart;
      while (Number(ref.head) < toHeight) {
        check();
        if (performance.now() > steadyStart + timeoutMs + o.blocks * o.blockTimeMs * 3)
          throw new NetworkBenchError(`the steady phase did not reach ${toHeight}: ${heads()}`);
        const tx = transfers[next]!;
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
      for (let h = fromHeight + 1; h <= toHeight; h++) {
        const r = roundOf.get(h) ?? 0;
        if (r > 0) aboveZero++;
        if (r > maxRound) maxRound = r;
        const a = commitAt[0]!.get(h - 1);
        const b = commitAt[0]!.get(h);
        if (a !== undefined && b !== undefined) intervals.push(b - a);
      }
      const steady: NetworkBenchResult['steady'] = {
        fromHeight,
        toHeight,
        blocks: o.blocks,
        durationMs: round(steadyMs, 0),
        blockInterval: quantiles(intervals),
        roundsAboveZero: aboveZero,
        roundsAboveZeroPer1000Blocks: round((aboveZero * 1000) / o.blocks, 1),
        maxRound,
        finality: {
          ...quantiles(finalities),
          submitted: sent.length,
          rejected,
          uncommitted: sent.length - finalities.length,
        },
      };
      log(
        `  steady: ${o.blocks} blocks in ${round(steadyMs / 1000, 1)} s; finality p50 ${steady.finality.p50Ms} ms, ` +
          `p99 ${steady.finality.p99Ms} ms over ${finalities.length} transfers; ${aboveZero} blocks with round > 0`,
      );

      // Recovery: kill the last `kill` validators together, let the rest go on, restart them.
      let recovery: NetworkBenchResult['recovery'] = null;
      if (o.kill > 0) {
        const victims = nodes.slice(n - o.kill);
        for (const v of victims) wanted.delete(v.spec.index);
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
          wanted.add(v.spec.index);
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
          totalPeakRssMiB: round(totalPeakRss, 0),
        },
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
