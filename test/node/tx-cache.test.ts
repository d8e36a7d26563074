/**
 * The node's decoded-transaction cache holds what the mempool admitted (and blocks' transactions),
 * never what it refused: an unfunded key sending large transactions over RPC or gossip used to
 * leave each one decoded in memory (≈2× its size, 65,536 of them: gigabytes).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { TxError } from '../../src/execution/errors.js';
import { Node } from '../../src/node/node.js';
import { GENESIS, NOW_MS, USER_KEYS } from '../chain/helpers.js';
import { signTx } from '../execution/helpers.js';

const dirs: string[] = [];
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

function newNode(): Node {
  const datadir = mkdtempSync(join(tmpdir(), 'etm-txcache-'));
  dirs.push(datadir);
  return new Node({ datadir, genesis: GENESIS, validatorKey: null, now: () => NOW_MS });
}

const UNFUNDED = new Uint8Array(32).fill(0x77);
/** A 125 KB transaction from a key with no funds. */
const big = (nonce: bigint, value: bigint): Uint8Array =>
  signTx(
    2,
    { nonce, value, data: new Uint8Array(125_000).fill(1), gasLimit: 2_100_000n },
    { key: UNFUNDED },
  ).raw;

describe('the decoded-transaction cache', () => {
  it('keeps nothing the mempool refuses, over RPC or gossip', async () => {
    const node = newNode();
    try {
      for (let i = 0n; i < 40n; i++) {
        expect(() => node.submitTransaction(big(i, 1n))).toThrow(TxError);
        expect(node.receiveTransaction(big(i, 2n))).toEqual({
          added: false,
          code: 'insufficient-funds',
        });
      }
      expect(node.decoder.stats()).toMatchObject({ cached: 0, cachedBytes: 0 });
      // What the pool admits is kept, so that the block including it recovers no sender again.
      const ok = signTx(2, { nonce: 0n }, { key: USER_KEYS[0]! }).raw;
      node.submitTransaction(ok);
      expect(node.decoder.stats()).toMatchObject({ cached: 1 });
      const recoveries = node.decoder.stats().recoveries;
      node.decoder.decode(ok);
      expect(node.decoder.stats().recoveries).toBe(recoveries);
    } finally {
      await node.stop();
    }
  });
});
