/** Reopening a devnet's data directory: the same chain resumes; another genesis is refused. */
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { DevnetError, startDevnet, type DevnetOptions } from '../../src/node/devnet.js';
import { tempDir } from '../e2e/helpers.js';

const tmp = tempDir();
afterAll(() => tmp.remove());

const options = (reset = false): DevnetOptions => ({
  validators: 1,
  blockTimeMs: 200,
  datadir: tmp.dir,
  rpcHost: '127.0.0.1',
  rpcPort: 0,
  reset,
  quiet: true,
  standby: 0,
});

async function runUntil(height: bigint): Promise<void> {
  const d = await startDevnet(options());
  try {
    while (d.nodes[0]!.chain.headNumber < height) await new Promise((r) => setTimeout(r, 50));
  } finally {
    await d.stop();
  }
}

describe('devnet data directory', () => {
  it('resumes the same chain, refuses a changed genesis with a hint, and --reset starts anew', async () => {
    await runUntil(2n);
    const resumed = await startDevnet(options());
    expect(resumed.nodes[0]!.chain.headNumber).toBeGreaterThanOrEqual(2n);
    expect(resumed.nodes[0]!.chain.genesisBuilt).toBe(false);
    await resumed.stop();

    const file = join(tmp.dir, 'genesis.json');
    const doc = JSON.parse(readFileSync(file, 'utf8')) as { timestamp: string };
    doc.timestamp = String(BigInt(doc.timestamp) + 1n);
    writeFileSync(file, JSON.stringify(doc));
    const refused = await startDevnet(options()).catch((e: unknown) => e);
    expect(refused).toBeInstanceOf(DevnetError);
    expect((refused as Error).message).toMatch(/different genesis.*use --reset to start anew/);

    const fresh = await startDevnet(options(true));
    expect(fresh.nodes[0]!.chain.genesisBuilt).toBe(true);
    await fresh.stop();
  }, 60_000);
});
