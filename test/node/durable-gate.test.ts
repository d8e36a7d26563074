/**
 * A block is written on LMDB's write thread after the chain has moved to it: the node builds
 * the next block meanwhile, but proposes nothing of the next height until the block is on disk.
 */
import { afterAll, describe, expect, it } from 'vitest';
import { startDevnet } from '../../src/node/devnet.js';
import { tempDir } from '../e2e/helpers.js';

const tmp = tempDir();
afterAll(() => tmp.remove());

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe('the durability gate', () => {
  it('holds the next height until the committed block is on disk', async () => {
    const d = await startDevnet({
      validators: 1,
      blockTimeMs: 200,
      datadir: tmp.dir,
      rpcHost: '127.0.0.1',
      rpcPort: 0,
      reset: true,
      quiet: true,
      standby: 0,
    });
    try {
      const node = d.nodes[0]!;
      const chain = node.chain as unknown as { durable: () => Promise<void> };
      while (node.chain.headNumber < 2n) await sleep(20);
      // From now on the store "has not flushed yet".
      const real = chain.durable.bind(chain);
      let release!: () => void;
      const held = new Promise<void>((r) => (release = r));
      let asked = 0;
      chain.durable = () => {
        asked++;
        return held.then(real);
      };
      const at = node.chain.headNumber;
      await sleep(1_000);
      // At most the block already under way when the gate closed; then nothing, for 5 block times.
      expect(node.chain.headNumber).toBeLessThanOrEqual(at + 1n);
      expect(asked).toBeGreaterThan(0);
      release();
      const by = Date.now() + 10_000;
      while (node.chain.headNumber < at + 3n && Date.now() < by) await sleep(20);
      expect(node.chain.headNumber).toBeGreaterThanOrEqual(at + 3n);
    } finally {
      await d.stop();
    }
  }, 30_000);
});
