/**
 * Peak memory (scenario 7): a node whose state holds N accounts, measured in a child process of
 * its own so that nothing else counts. The child builds the genesis (N funded accounts), opens
 * the node on it, commits blocks of transfers, reopens the data directory as a restart does
 * (which finds the stored genesis and does not build it again), and reports its peak resident
 * set size.
 */
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { round } from './stats.js';

export interface MemoryResult {
  accounts: number;
  /** Peak resident set size of the whole child process (MiB). */
  peakRssMiB: number;
  /** Resident set and V8 heap after the blocks, once garbage is collected (MiB). */
  rssAfterMiB: number;
  heapUsedAfterMiB: number;
  genesisBuildMs: number;
  /** Opening the node on an existing data directory (a restart). */
  reopenMs: number;
  blocks: number;
  transactions: number;
}

/**
 * How to start the child: the built memory-child.js next to this module, or, when this module
 * runs from source (vite-node), memory-child.ts through vite-node.
 */
function childCommand(): string[] {
  const js = fileURLToPath(new URL('./memory-child.js', import.meta.url));
  if (existsSync(js)) return [js];
  const ts = fileURLToPath(new URL('./memory-child.ts', import.meta.url));
  const viteNode = fileURLToPath(
    new URL('../../node_modules/vite-node/vite-node.mjs', import.meta.url),
  );
  return [viteNode, ts];
}

export function runMemory(o: { accounts: number; blocks: number; txsPerBlock: number }) {
  return new Promise<MemoryResult>((resolve, reject) => {
    execFile(
      process.execPath,
      [
        '--expose-gc',
        ...childCommand(),
        String(o.accounts),
        String(o.blocks),
        String(o.txsPerBlock),
      ],
      { maxBuffer: 16 * 1024 * 1024, timeout: 15 * 60_000 },
      (error, stdout, stderr) => {
        if (error) {
          reject(new Error(`memory child failed: ${error.message}\n${stderr}`));
          return;
        }
        const last = stdout.trim().split('\n').pop() ?? '';
        try {
          const r = JSON.parse(last) as MemoryResult;
          resolve({ ...r, peakRssMiB: round(r.peakRssMiB, 0) });
        } catch {
          reject(new Error(`memory child printed no result: ${stdout.slice(-500)}\n${stderr}`));
        }
      },
    );
  });
}
