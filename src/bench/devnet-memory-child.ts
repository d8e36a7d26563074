/**
 * The steady-state memory scenario's child process:
 * `node devnet-memory-child.js SECONDS BLOCK_TIME_MS TXS_PER_SECOND SAMPLE_MS [CACHE_MIB]`. One validator
 * commits blocks under a steady load of transfers between a fixed set of senders (so the state
 * does not grow with time: whatever memory grows is held by the node), and the process samples
 * its memory as it goes. Prints one JSON line (a DevnetMemoryResult) last.
 */
import { readFileSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { LocalNetwork } from '../p2p/local-network.js';
import { Node } from '../node/node.js';
import { benchGenesis, benchKey, makeSenders, signTransfer } from './load.js';
import type { DevnetMemoryResult, MemorySample } from './devnet-memory.js';
import { sleep } from './stats.js';

const MiB = 1024 * 1024;
const SENDERS = 2_000;

/** Resident anonymous and file-backed (mapped database) memory, from /proc on Linux. */
function residentSplit(): { anonMiB: number; fileMiB: number } {
  try {
    const status = readFileSync('/proc/self/status', 'utf8');
    const kib = (name: string) =>
      Number(/^(\w+):\s+(\d+)/m.exec(status.slice(status.indexOf(name)))?.[2] ?? 0);
    return {
      anonMiB: Math.round(kib('RssAnon') / 1024),
      fileMiB: Math.round(kib('RssFile') / 1024),
    };
  } catch {
    return { anonMiB: 0, fileMiB: 0 };
  }
}

async function main(): Promise<void> {
  const [seconds, blockTimeMs, rate, sampleMs, cacheMiB] = process.argv.slice(2).map(Number) as [
    number,
    number,
    number,
    number,
    number | undefined,
  ];
  const senders = makeSenders(SENDERS, 'etm-bench-devnet-memory');
  const key = benchKey(0, 'etm-bench-validator');
  const genesis = benchGenesis({ senders, validatorKeys: [key], blockTimeMs });
  const dir = mkdtempSync(join(tmpdir(), 'etm-bench-devnet-memory-'));
  const node = new Node({
    datadir: dir,
    genesis,
    validatorKey: key,
    cacheBytes: cacheMiB === undefined ? undefined : cacheMiB * MiB,
  });
  try {
    const network = new LocalNetwork();
    node.start(
      network.join(node.peerView(), {
        onConsensus: (b) => node.receiveConsensus(b),
        onTransaction: (raw) => node.receiveTransaction(raw),
      }),
    );
    let committed = 0;
    node.onCommitted((e) => (committed += e.transactions.length));
    const nonces = new Array<bigint>(SENDERS).fill(0n);
    const samples: MemorySample[] = [];
    const start = performance.now();
    let submitted = 0;
    let rejected = 0;
    let nextSample = start;
    let turn = 0;
    while (performance.now() - start < seconds * 1000) {
      // Transfers at `rate` per second, each sender in turn to the next one; a sender waits
      // while too many of its transactions are pending.
      const due = Math.floor(((performance.now() - start) / 1000) * rate);
      while (submitted < due && submitted - committed < rate * 4) {
        const i = turn++ % SENDERS;
        const tx = signTransfer(senders[i]!, nonces[i]!, senders[(i + 1) % SENDERS]!.address, 1n);
        try {
          node.submitTransaction(tx.raw);
          nonces[i]!++;
        } catch {
          rejected++;
        }
        submitted++;
      }
      const now = performance.now();
      if (now >= nextSample) {
        nextSample += sampleMs;
        const m = process.memoryUsage();
        samples.push({
          seconds: Math.round((now - start) / 100) / 10,
          height: Number(node.chain.headNumber),
          rssMiB: Math.round(m.rss / MiB),
          heapUsedMiB: Math.round(m.heapUsed / MiB),
          externalMiB: Math.round(m.external / MiB),
          ...residentSplit(),
        });
      }
      await sleep(10);
    }
    const result: DevnetMemoryResult = {
      seconds,
      blockTimeMs,
      txsPerSecond: rate,
      blocks: Number(node.chain.headNumber),
      transactions: committed,
      rejected,
      peakRssMiB: Math.round(process.resourceUsage().maxRSS / 1024),
      samples,
    };
    console.log(JSON.stringify(result));
  } finally {
    await node.stop();
    rmSync(dir, { recursive: true, force: true });
  }
}

await main();
