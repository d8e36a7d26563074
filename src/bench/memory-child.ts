/**
 * The memory scenario's child process: `node memory-child.js ACCOUNTS BLOCKS TXS_PER_BLOCK`.
 * Prints one JSON line (a MemoryResult) last.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { toHex, uint64be } from '../crypto/bytes.js';
import { genesisToJson, parseGenesis } from '../chain/genesis.js';
import { keccak256 } from '../crypto/keccak.js';
import { LocalNetwork } from '../p2p/local-network.js';
import { Node } from '../node/node.js';
import { benchGenesis, benchKey, makeSenders, SENDER_BALANCE, signTransfers } from './load.js';
import type { MemoryResult } from './memory.js';
import { sleep } from './stats.js';

const MiB = 1024 * 1024;

async function main(): Promise<void> {
  const [accounts, blocks, txsPerBlock] = process.argv.slice(2).map(Number) as [
    number,
    number,
    number,
  ];
  const senders = makeSenders(Math.min(1000, accounts), 'etm-bench-memory');
  const key = benchKey(0, 'etm-bench-validator');
  // A short block time: the blocks are the point, not the wait between them. The genesis is
  // benchGenesis's with the extra accounts written straight into the document (no array of
  // addresses, one shared entry object), so that preparing the input weighs little next to
  // the node it measures.
  const alloc: Record<string, { balance: string }> = {};
  const funded = { balance: SENDER_BALANCE.toString() };
  for (const s of senders) alloc[toHex(s.address)] = funded;
  const one = { balance: '1' };
  for (let i = senders.length; i < accounts; i++)
    alloc[toHex(keccak256(uint64be(i)).subarray(12))] = one;
  const genesis = parseGenesis({
    ...genesisToJson(benchGenesis({ senders: [], validatorKeys: [key], blockTimeMs: 1000 })),
    alloc,
  });
  const transfers = signTransfers(senders, blocks * txsPerBlock);
  const dir = mkdtempSync(join(tmpdir(), 'etm-bench-memory-'));
  try {
    let t0 = performance.now();
    let node = new Node({ datadir: dir, genesis, validatorKey: key });
    const genesisBuildMs = performance.now() - t0;
    const network = new LocalNetwork();
    node.start(
      network.join(node.peerView(), {
        onConsensus: (b) => node.receiveConsensus(b),
        onTransaction: (raw) => node.receiveTransaction(raw),
      }),
    );
    let next = 0;
    let committed = 0;
    node.onCommitted((e) => (committed += e.transactions.length));
    const deadline = performance.now() + 30_000 + blocks * 3_000;
    while (committed < transfers.length && performance.now() < deadline) {
      while (next < transfers.length && next - committed < txsPerBlock * 2) {
        node.submitTransaction(transfers[next++]!.raw);
      }
      await sleep(20);
    }
    const head = node.chain.headNumber;
    await node.stop();
    (globalThis as { gc?: () => void }).gc?.();
    const mem = process.memoryUsage();
    t0 = performance.now();
    node = new Node({ datadir: dir, genesis, validatorKey: key });
    const reopenMs = performance.now() - t0;
    await node.stop();
    const result: MemoryResult = {
      accounts,
      peakRssMiB: process.resourceUsage().maxRSS / 1024,
      rssAfterMiB: Math.round(mem.rss / MiB),
      heapUsedAfterMiB: Math.round(mem.heapUsed / MiB),
      genesisBuildMs: Math.round(genesisBuildMs),
      reopenMs: Math.round(reopenMs),
      blocks: Number(head),
      transactions: committed,
    };
    console.log(JSON.stringify(result));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

await main();
