/**
 * Replay (scenario 5): a chain of full blocks is recorded to disk by a single validator, then
 * a fresh node imports it block by block from that database, as a node catching up does:
 * commit certificate, every sender recovered anew (cold cache; the next block's on the worker
 * pool while this one is imported), execution, every root checked,
 * each block written in its own LMDB transaction. Recording is timed too: it is the same work
 * a proposer does, without consensus and networking.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { blockHash, decodeBlock } from '../chain/block.js';
import { Chain } from '../chain/chain.js';
import { ChainStore } from '../chain/store.js';
import { secp256k1Recover } from '../consensus/crypto.js';
import { cachedRecover, commitSealDigest } from '../consensus/messages.js';
import { RecoveryPool } from '../crypto/recovery-pool.js';
import { addressOf, sign } from '../crypto/secp256k1.js';
import { TxDecoder } from '../execution/tx.js';
import { benchGenesis, benchKey } from './load.js';
import type { TransferPool } from './throughput.js';
import { round } from './stats.js';

export interface ReplayResult {
  blocks: number;
  transactions: number;
  txsPerBlock: number;
  record: { seconds: number; transactionsPerSecond: number };
  replay: { seconds: number; blocksPerSecond: number; transactionsPerSecond: number };
}

export async function runReplay(o: {
  pool: TransferPool;
  blocks: number;
  txsPerBlock: number;
}): Promise<ReplayResult> {
  const key = benchKey(0, 'etm-bench-validator');
  const genesis = benchGenesis({
    senders: o.pool.senders,
    validatorKeys: [key],
    blockTimeMs: 1000,
  });
  const dir = mkdtempSync(join(tmpdir(), 'etm-bench-replay-'));
  const total = o.blocks * o.txsPerBlock;
  o.pool.ensure(total);
  const open = (path: string) => {
    const store = new ChainStore(path);
    const decoder = new TxDecoder({ chainId: genesis.chainId });
    const chain = new Chain({
      store,
      genesis,
      decoder,
      recover: cachedRecover(secp256k1Recover),
      now: () => Number(genesis.timestamp) * 1000,
    });
    return { store, chain, decoder };
  };
  const pool = new RecoveryPool();
  const recorded = open(join(dir, 'recorded'));
  const fresh = open(join(dir, 'replayed'));
  try {
    const decoder = new TxDecoder({ chainId: genesis.chainId });
    const txs = Array.from({ length: total }, (_, i) => decoder.decode(o.pool.raw(i)));
    const coinbase = addressOf(key);
    const r0 = performance.now();
    for (let b = 0; b < o.blocks; b++) {
      const built = await recorded.chain.buildBlock(
        coinbase,
        txs.slice(b * o.txsPerBlock, (b + 1) * o.txsPerBlock),
      );
      if (built.skipped.length > 0)
        throw new Error(`recording: ${built.skipped[0]!.error.message}`);
      const signature = sign(commitSealDigest(genesis.chainId, blockHash(built.block), 0), key);
      await recorded.chain.commitDecided(built.bytes, 0, [{ validator: coinbase, signature }]);
    }
    const recordS = (performance.now() - r0) / 1000;
    // Read back from disk and imported as a syncing node does (Node.importBatch): the senders
    // of the next block are recovered on the worker pool while this one is imported.
    const prefetch = async (n: bigint) => {
      if (n > BigInt(o.blocks)) return;
      const raws = decodeBlock(recorded.store.block(n)!).transactions;
      await fresh.decoder.prefetch(raws, pool);
    };
    const p0 = performance.now();
    let ahead = prefetch(1n);
    for (let n = 1n; n <= BigInt(o.blocks); n++) {
      await ahead;
      ahead = prefetch(n + 1n);
      await fresh.chain.importSealed(recorded.store.block(n)!);
    }
    await ahead;
    const replayS = (performance.now() - p0) / 1000;
    return {
      blocks: o.blocks,
      transactions: total,
      txsPerBlock: o.txsPerBlock,
      record: { seconds: round(recordS, 2), transactionsPerSecond: round(total / recordS, 0) },
      replay: {
        seconds: round(replayS, 2),
        blocksPerSecond: round(o.blocks / replayS, 1),
        transactionsPerSecond: round(total / replayS, 0),
      },
    };
  } finally {
    await pool.close();
    await recorded.store.close();
    await fresh.store.close();
    rmSync(dir, { recursive: true, force: true });
  }
}
