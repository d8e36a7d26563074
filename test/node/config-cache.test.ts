/** The node's cache budget: the configuration field and how the budget is shared. */
import { describe, expect, it } from 'vitest';
import { ConfigError, DEFAULT_CACHE_MIB, parseNodeConfig } from '../../src/node/config.js';
import { cacheShares, DEFAULT_CACHE_BYTES } from '../../src/node/node.js';

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
