/**
 * RANDAO renewal end to end: on a devnet whose onions have only 64 reveals, each validator node
 * renews its commitment by itself (a renewRandao transaction signed with its consensus key) well
 * before the onion runs out, and keeps proposing blocks with valid reveals long past 64 of them.
 */
import { afterAll, describe, expect, it } from 'vitest';
import { toHex } from '../../src/crypto/bytes.js';
import type { Devnet } from '../../src/node/devnet.js';
import { weighCandidates } from '../../src/staking/block-hooks.js';
import { epochOf } from '../../src/staking/epochs.js';
import { devnet, tempDir, waitForHeight } from './helpers.js';
import { stakingStores } from '../../src/staking/stores.js';

const tmp = tempDir();
let d: Devnet | undefined;

afterAll(async () => {
  await d?.stop();
  tmp.remove();
});

describe('RANDAO renewal on the devnet', () => {
  it('an onion of 64 reveals renews itself and the validator keeps proposing', async () => {
    const LAYERS = 64;
    d = await devnet(tmp.dir, {
      validators: 2,
      blockTimeMs: 150,
      staking: { epochBlocks: 8, rankedSeats: 1, lotterySeats: 1, randaoLayers: LAYERS },
    });
    const keys = d.validatorKeys.map((k) => toHex(k.address));
    const chain = d.nodes[0]!.chain;
    const store = () => stakingStores(chain.headState());
    const candidateOf = (i: number) =>
      store().candidates.getCandidate(d!.validatorKeys[i]!.address)!;

    // Each validator proposes about every other block: 2 × 64 + a few epochs of margin.
    const target = BigInt(2 * LAYERS + 40);
    await waitForHeight(d, target, 120_000);

    const proposed = keys.map(() => 0);
    for (let n = 1n; n <= target; n++) {
      const b = chain.blockAt(n)!;
      // Every block carries a reveal: no onion ever ran out.
      expect(b.header.extra.randaoReveal.length, `block ${n}`).toBe(32);
      proposed[keys.indexOf(toHex(b.header.coinbase))]!++;
    }
    for (const [i, count] of proposed.entries()) {
      // More blocks than one onion has reveals, all accepted by both nodes.
      expect(count, `validator ${i}`).toBeGreaterThan(LAYERS);
      const c = candidateOf(i);
      expect(c.randaoGeneration, `validator ${i}`).toBeGreaterThanOrEqual(1n);
      expect(c.randaoLayers).toBe(BigInt(LAYERS));
      expect(c.randaoReveals < c.randaoLayers).toBe(true);
    }
    // The renewals were transactions from the consensus keys, each a RandaoRenewed log.
    let renewals = 0;
    for (let n = 1n; n <= target; n++)
      for (const r of chain.receiptsAt(n)) {
        expect(r.status).toBe(1);
        renewals += r.logs.length;
      }
    expect(renewals).toBeGreaterThanOrEqual(4);
    // Both can still be elected.
    const h = chain.headNumber + 1n;
    const weighed = weighCandidates(
      store(),
      chain.params,
      h,
      store().elections.epochRecord(epochOf(h, chain.params)),
    );
    expect(weighed.map((w) => toHex(w.consensusKey)).sort()).toEqual([...keys].sort());
  }, 180_000);
});
