/** The node's cache budget: the configuration field and how the budget is shared. */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ConfigError, DEFAULT_CACHE_MIB, parseNodeConfig } from '../../src/node/config.js';
import { cacheShares, DEFAULT_CACHE_BYTES, Node } from '../../src/node/node.js';
import { GENESIS, NOW_MS } from '../chain/helpers.js';

const base = { datadir: 'd', genesis: 'g.json' };
const MiB = 1024 * 1024;

describe('node configuration: cacheMiB', () => {
  it('defaults to 256 MiB and reads an integer in range', () => {
    expect(parseNodeConfig(base, '/').cacheMiB).toBe(DEFAULT_CACHE_MIB);
    expect(DEFAULT_CACHE_MIB * MiB).toBe(DEFAULT_CACHE_BYTES);
    expect(parseNodeConfig({ ...base, cacheMiB: 1024 }, '/').cacheMiB).toBe(1024);
    for (const bad of [15, 0, -1, 1.5, '256'])
      expect(() => parseNodeConfig({ ...base, cacheMiB: bad }, '/')).toThrow(ConfigError);
  });

  it('shares the budget among the caches without exceeding it', () => {
    for (const total of [16 * MiB, DEFAULT_CACHE_BYTES, 4096 * MiB]) {
      const s = cacheShares(total);
      const sum = s.trieNodes.bytes + s.transactions + s.prefetched + s.blocks + s.signers.bytes;
      expect(sum).toBeLessThanOrEqual(total);
      expect(sum).toBeGreaterThan(total * 0.99);
      expect(s.trieNodes.count).toBeGreaterThanOrEqual(2);
      expect(s.signers.count).toBeGreaterThanOrEqual(1);
    }
    const d = cacheShares(DEFAULT_CACHE_BYTES);
    // The transaction caches keep their earlier defaults (64 and 32 MiB).
    expect([d.transactions, d.prefetched]).toEqual([64 * MiB, 32 * MiB]);
    expect(() => cacheShares(1000)).toThrow(RangeError);
  });
});

describe('node configuration: mempool', () => {
  it('defaults to 4,096 transactions and 32 MiB, and reads both in range', () => {
    expect(parseNodeConfig(base, '/').mempool).toEqual({ slots: 4096, MiB: 32 });
    expect(parseNodeConfig({ ...base, mempool: { slots: 16_384 } }, '/').mempool).toEqual({
      slots: 16_384,
      MiB: 32,
    });
    expect(parseNodeConfig({ ...base, mempool: { MiB: 128 } }, '/').mempool).toEqual({
      slots: 4096,
      MiB: 128,
    });
    for (const bad of [
      { slots: 15 },
      { slots: 2_000_000 },
      { slots: 1.5 },
      { MiB: 0 },
      { MiB: '32' },
      { size: 10 },
      7,
    ])
      expect(() => parseNodeConfig({ ...base, mempool: bad }, '/')).toThrow(ConfigError);
  });
});

describe('node: the mempool size', () => {
  it('a node holds as many transactions and bytes as it is told', async () => {
    const datadir = mkdtempSync(join(tmpdir(), 'etm-pool-'));
    const node = new Node({
      datadir,
      genesis: GENESIS,
      validatorKey: null,
      now: () => NOW_MS,
      mempool: { maxCount: 16_384, maxBytes: 128 * MiB },
    });
    try {
      expect(node.mempool.limits.maxCount).toBe(16_384);
      expect(node.mempool.limits.maxBytes).toBe(128 * MiB);
      // What is not given keeps its default.
      expect(node.mempool.limits.maxPerSender).toBe(64);
    } finally {
      await node.stop();
      rmSync(datadir, { recursive: true, force: true });
    }
  });
});
