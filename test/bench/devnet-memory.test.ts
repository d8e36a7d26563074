import { describe, expect, it } from 'vitest';
import {
  lastHalfSlopes,
  runDevnetMemory,
  slope,
  type MemorySample,
} from '../../src/bench/devnet-memory.js';

const sample = (height: number, rssMiB: number): MemorySample => ({
  seconds: height,
  height,
  rssMiB,
  heapUsedMiB: rssMiB / 2,
  externalMiB: 0,
  anonMiB: rssMiB,
  fileMiB: 0,
});

describe('devnet memory scenario', () => {
  it('takes the least-squares slope of the last half, per 1,000 blocks', () => {
    expect(slope([])).toBe(0);
    expect(slope([[1, 5]])).toBe(0);
    expect(
      slope([
        [0, 1],
        [1, 3],
        [2, 5],
      ]),
    ).toBe(2);
    // Growing over the first half, flat over the second: the figure is 0.
    const samples = [0, 100, 200, 300, 400, 500, 600, 700].map((h) =>
      sample(h, h < 400 ? 100 + h : 500),
    );
    expect(lastHalfSlopes(samples)).toEqual({ rssSlope: 0, anonSlope: 0, heapSlope: 0 });
    expect(lastHalfSlopes(samples.map((s) => sample(s.height, s.height))).rssSlope).toBe(1000);
  });

  it('runs a devnet under load in a child process and samples its memory', async () => {
    const r = await runDevnetMemory({
      seconds: 4,
      blockTimeMs: 250,
      txsPerSecond: 50,
      sampleMs: 500,
    });
    expect(r.blocks).toBeGreaterThan(2);
    expect(r.transactions).toBeGreaterThan(0);
    expect(r.samples.length).toBeGreaterThan(3);
    expect(r.samples.at(-1)!.height).toBeGreaterThan(0);
    expect(r.peakRssMiB).toBeGreaterThan(0);
    expect(typeof r.rssSlope).toBe('number');
  }, 120_000);
});
