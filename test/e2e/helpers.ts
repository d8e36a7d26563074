import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { defineChain, type Chain as ViemChain } from 'viem';
import { startDevnet, type Devnet, type DevnetOptions } from '../../src/node/devnet.js';

export function tempDir(prefix = 'etm-e2e-'): { dir: string; remove(): void } {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  return { dir, remove: () => rmSync(dir, { recursive: true, force: true }) };
}

export async function devnet(
  datadir: string,
  options: Partial<DevnetOptions> = {},
): Promise<Devnet> {
  return startDevnet({
    validators: 4,
    blockTimeMs: 500,
    datadir,
    rpcHost: '127.0.0.1',
    rpcPort: 0,
    reset: false,
    quiet: true,
    standby: 0,
    ...options,
  });
}

export function etmChain(httpUrl: string, wsUrl: string): ViemChain {
  return defineChain({
    id: 4543565,
    name: 'ETM/P devnet',
    nativeCurrency: { name: 'ETM', symbol: 'ETM', decimals: 18 },
    rpcUrls: { default: { http: [httpUrl], webSocket: [wsUrl] } },
  });
}

/** Resolves when the node reaches `height`, or rejects after `ms`. */
export async function waitForHeight(d: Devnet, height: bigint, ms = 20_000): Promise<void> {
  const deadline = Date.now() + ms;
  while (d.nodes[0]!.chain.headNumber < height) {
    if (Date.now() > deadline)
      throw new Error(
        `height ${height} not reached in ${ms} ms (at ${d.nodes[0]!.chain.headNumber})`,
      );
    await new Promise((r) => setTimeout(r, 50));
  }
}
