/**
 * eth_syncing's view of a node: while it imports blocks a peer offers, it reports where the sync
 * started, its head and the best head it was offered; once caught up, nothing.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { Node } from '../../src/node/node.js';
import type { NodeNetwork } from '../../src/p2p/local-network.js';
import { commitNext, GENESIS, newChain, NOW_MS, TempDirs } from '../chain/helpers.js';

const t = new TempDirs();
const dirs: string[] = [];
afterEach(async () => {
  await t.cleanup();
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

describe('Node.syncStatus', () => {
  it('reports a sync under way, then nothing once the node has caught up', async () => {
    // A peer's chain of 6 blocks, served in batches the test releases one at a time.
    const source = newChain(t);
    for (let i = 0; i < 6; i++) await commitNext(source);
    const releases: (() => void)[] = [];
    const network: NodeNetwork = {
      broadcastConsensus: () => undefined,
      broadcastTransaction: () => undefined,
      peers: () => [
        {
          id: 'peer',
          headNumber: () => source.headNumber,
          blocks: (from, count) =>
            new Promise((resolve) => {
              releases.push(() => {
                const out: Uint8Array[] = [];
                for (let h = from; h < from + BigInt(Math.min(count, 2)); h++)
                  out.push(source.blockBytesAt(h)!);
                resolve(out);
              });
            }),
        },
      ],
    };
    const datadir = mkdtempSync(join(tmpdir(), 'etm-sync-'));
    dirs.push(datadir);
    const node = new Node({ datadir, genesis: GENESIS, validatorKey: null, now: () => NOW_MS });
    try {
      expect(node.syncStatus()).toBeNull();
      (node as unknown as { network: NodeNetwork }).network = network;
      const done = node.syncFromPeers();
      const next = async () => {
        while (releases.length === 0) await new Promise((r) => setImmediate(r));
        releases.shift()!();
        await new Promise((r) => setImmediate(r));
      };
      expect(node.syncStatus()).toEqual({ startingBlock: 0n, currentBlock: 0n, highestBlock: 6n });
      await next();
      expect(node.syncStatus()).toEqual({ startingBlock: 0n, currentBlock: 2n, highestBlock: 6n });
      await next();
      await next();
      await done;
      expect(node.chain.headNumber).toBe(6n);
      expect(node.syncStatus()).toBeNull();
    } finally {
      await node.stop();
    }
  });
});
