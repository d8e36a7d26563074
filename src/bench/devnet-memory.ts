/**
 * Steady-state memory (scenario 7b): one validator under a steady transfer load for a while,
 * in a child process of its own, its memory sampled as it goes. The figure is how fast the
 * resident set still grows over the last half of the run, per 1,000 blocks: a node whose
 * caches are bounded levels off.
 */
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { round } from './stats.js';

export interface MemorySample {
  seconds: number;
  height: number;
  rssMiB: number;
  heapUsedMiB: number;
  externalMiB: number;
  /** Linux only (0 elsewhere): resident anonymous memory and mapped files (the database). */
  anonMiB: number;
  fileMiB: number;
}

export interface DevnetMemoryResult {
  seconds: number;
  blockTimeMs: number;
  txsPerSecond: number;
  blocks: number;
  transactions: number;
  rejected: number;
  peakRssMiB: number;
  samples: MemorySample[];
  /** Least-squares slopes over the samples of the last half, in MiB per 1,000 blocks. */
  rssSlope?: number;
  anonSlope?: number;
  heapSlope?: number;
}

export interface DevnetMemoryPlan {
  seconds: number;
  blockTimeMs: number;
  txsPerSecond: number;
  sampleMs: number;
}

/**
 * How to start the child: the built devnet-memory-child.js next to this module, or, when this
 * module runs from source (tests), the one in dist/ (built by `npx tsc -p tsconfig.build.json`,
 * as the end-to-end tests need too).
 */
function childCommand(): string[] {
  for (const rel of ['./devnet-memory-child.js', '../../dist/bench/devnet-memory-child.js']) {
    const js = fileURLToPath(new URL(rel, import.meta.url));
    if (existsSync(js)) return [js];
  }
  throw new Error('devnet-memory-child.js not found: build with npx tsc -p tsconfig.build.json');
}

/** Slope of y over x by least squares (0 with fewer than two distinct x). */
export function slope(points: Array<[x: number, y: number]>): number {
  const n = points.length;
  if (n < 2) return 0;
  let sx = 0;
  let sy = 0;
  for (const [x, y] of points) {
    sx += x;
    sy += y;
  }
  const mx = sx / n;
  const my = sy / n;
  let num = 0;
  let den = 0;
  for (const [x, y] of points) {
    num += (x - mx) * (y - my);
    den += (x - mx) * (x - mx);
  }
  return den === 0 ? 0 : num / den;
}

/** The slopes of the last half of the samples, in MiB per 1,000 blocks. */
export function lastHalfSlopes(samples: MemorySample[]) {
  const half = samples.slice(Math.floor(samples.length / 2));
  const per1000 = (f: (s: MemorySample) => number) =>
    round(slope(half.map((s) => [s.height, f(s)])) * 1000, 1);
  return {
    rssSlope: per1000((s) => s.rssMiB),
    anonSlope: per1000((s) => s.anonMiB),
    heapSlope: per1000((s) => s.heapUsedMiB),
  };
}

export function runDevnetMemory(o: DevnetMemoryPlan) {
  return new Promise<DevnetMemoryResult>((resolve, reject) => {
    execFile(
      process.execPath,
      [
        ...childCommand(),
        String(o.seconds),
        String(o.blockTimeMs),
        String(o.txsPerSecond),
        String(o.sampleMs),
      ],
      { maxBuffer: 64 * 1024 * 1024, timeout: (o.seconds + 300) * 1000 },
      (error, stdout, stderr) => {
        if (error) {
          reject(new Error(`devnet memory child failed: ${error.message}\n${stderr}`));
          return;
        }
        const last = stdout.trim().split('\n').pop() ?? '';
        try {
          const r = JSON.parse(last) as DevnetMemoryResult;
          resolve({ ...r, ...lastHalfSlopes(r.samples) });
        } catch {
          reject(
            new Error(`devnet memory child printed no result: ${stdout.slice(-500)}\n${stderr}`),
          );
        }
      },
    );
  });
}
