/**
 * Delegated proof of stake end to end, as users do it with viem: six candidates register with
 * their own consensus keys, holders lock and vote, the elections of the following epochs bring
 * the new candidates in, they produce blocks, and a candidate whose node stops loses v and weight.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  createPublicClient,
  createWalletClient,
  http,
  parseEther,
  type Hex,
  type PublicClient,
} from 'viem';
import { mnemonicToAccount } from 'viem/accounts';
import { toHex } from '../../src/crypto/bytes.js';
import { DEV_MNEMONIC } from '../../src/crypto/mnemonic.js';
import { STAKING_ADDRESS } from '../../src/primitives/system-addresses.js';
import { STAKING_ABI } from '../../src/staking/abi.js';
import { onionFromKey } from '../../src/node/randao.js';
import type { Devnet } from '../../src/node/devnet.js';
import { devnet, etmChain, tempDir, waitForHeight } from './helpers.js';

const EPOCH = 10n;
const tmp = tempDir();
let d: Devnet;
let client: PublicClient;
const staking = toHex(STAKING_ADDRESS) as Hex;

interface Candidate {
  address: string;
  consensusKey: string;
  name: string;
  status: string;
  elected: boolean;
  m: string;
  n: string;
  v: string;
  R: string;
  votes: string;
}

async function rpc<T>(method: string, params: unknown[] = []): Promise<T> {
  return client.request({ method: method as never, params: params as never }) as Promise<T>;
}

beforeAll(async () => {
  d = await devnet(tmp.dir, {
    blockTimeMs: 250,
    standby: 6,
    staking: { epochBlocks: Number(EPOCH), rankedSeats: 3, lotterySeats: 1 },
  });
  client = createPublicClient({ chain: etmChain(d.httpUrl, d.wsUrl), transport: http(d.httpUrl) });
}, 120_000);

afterAll(async () => {
  await d?.stop();
  tmp.remove();
});

function wallet(index: number) {
  return createWalletClient({
    account: mnemonicToAccount(DEV_MNEMONIC, { addressIndex: index }),
    chain: etmChain(d.httpUrl, d.wsUrl),
    transport: http(d.httpUrl),
  });
}

describe('staking on the devnet', () => {
  it('elects newly registered candidates, which then produce blocks; a stopped one loses weight', async () => {
    // Six candidates: operators are dev accounts 1–6, consensus keys the standby nodes 4–9.
    const standby = d.validatorKeys.slice(4);
    const registrations = await Promise.all(
      standby.map((key, i) =>
        wallet(i + 1).writeContract({
          address: staking,
          abi: STAKING_ABI,
          functionName: 'registerCandidate',
          args: [
            key.checksumAddress as Hex,
            `cand-${i}`,
            500,
            2000,
            toHex(onionFromKey(key.privateKey).commitment) as Hex,
          ],
          value: parseEther('1000'),
        }),
      ),
    );
    for (const hash of registrations) {
      const r = await client.waitForTransactionReceipt({ hash, timeout: 30_000 });
      expect(r.status).toBe('success');
      expect(r.logs[0]!.address.toLowerCase()).toBe(staking.toLowerCase());
    }

    // Holders lock and vote: a large lock for each of the first four new candidates.
    const operators = [1, 2, 3, 4].map(
      (i) => mnemonicToAccount(DEV_MNEMONIC, { addressIndex: i }).address,
    );
    const voters = [7, 8, 9, 0];
    const votes = await Promise.all(
      operators.map((op, i) =>
        wallet(voters[i]!).writeContract({
          address: staking,
          abi: STAKING_ABI,
          functionName: 'lock',
          args: [parseEther(String(50_000 + i * 10_000)), op],
        }),
      ),
    );
    for (const hash of votes)
      expect((await client.waitForTransactionReceipt({ hash, timeout: 30_000 })).status).toBe(
        'success',
      );
    const registeredAt = d.nodes[0]!.chain.headNumber;

    // The election at the end of the epoch after registration seats new candidates two
    // epochs on: wait for an epoch whose set holds new consensus keys.
    const newKeys = new Set(standby.map((k) => k.checksumAddress));
    const firstNewEpoch = (registeredAt + EPOCH - 1n) / EPOCH + 1n;
    await waitForHeight(d, (firstNewEpoch + 1n) * EPOCH + 4n, 60_000);
    const epoch = await rpc<{ epoch: string; validators: string[]; seed: string }>('etm_getEpoch');
    const seated = epoch.validators.filter((v) => newKeys.has(v));
    expect(seated.length).toBeGreaterThanOrEqual(3);
    const election = await rpc<{ ranked: string[]; drawn: unknown[]; order: string[] }>(
      'etm_getElection',
      [`0x${BigInt(epoch.epoch).toString(16)}`],
    );
    expect(election.ranked).toHaveLength(3);
    expect(new Set(election.order).size).toBe(4);

    // The new validators produce blocks in their epoch.
    const first = BigInt(epoch.epoch) * EPOCH + 1n;
    const miners = new Set<string>();
    for (let n = first; n < first + 4n; n++)
      miners.add((await client.getBlock({ blockNumber: n })).miner.toLowerCase());
    const lower = new Set([...newKeys].map((k) => k.toLowerCase()));
    expect([...miners].some((m) => lower.has(m))).toBe(true);

    // Stop the node of a newcomer seated now and in the next epoch too (that set is already
    // elected), so it has turns to miss however late in this epoch it stops: v and R fall.
    const next = await rpc<{ validators: string[] }>('etm_getElection', [
      `0x${(BigInt(epoch.epoch) + 1n).toString(16)}`,
    ]);
    const victimKey = seated.find((k) => next.validators.includes(k))!;
    expect(victimKey).toBeDefined();
    const victim = d.nodes[d.validatorKeys.findIndex((k) => k.checksumAddress === victimKey)]!;
    const before = (await rpc<Candidate[]>('etm_getCandidates')).find(
      (c) => c.consensusKey === victimKey,
    )!;
    await victim.stop();
    // Its next turn comes before the end of the next epoch.
    const lastTurnBy = (BigInt(epoch.epoch) + 2n) * EPOCH;
    let after = before;
    while (d.nodes[0]!.chain.headNumber <= lastTurnBy + 1n) {
      after = (await rpc<Candidate[]>('etm_getCandidates')).find(
        (c) => c.consensusKey === victimKey,
      )!;
      if (BigInt(after.n) > BigInt(after.m)) break;
      await new Promise((r) => setTimeout(r, 250));
    }
    expect(BigInt(after.n)).toBeGreaterThan(BigInt(after.m));
    expect(Number(after.v)).toBeLessThan(Number(before.v));
    expect(Number(after.R)).toBeLessThan(Number(before.R));

    // Locks and candidates as a user reads them.
    const locks = await rpc<Array<{ candidate: string; t: string }>>('etm_getLocks', [
      mnemonicToAccount(DEV_MNEMONIC, { addressIndex: 7 }).address,
    ]);
    expect(locks.length).toBeGreaterThan(0);
    expect(locks[0]!.t).toBe('0x1');
    const [, name, deposit] = await client.readContract({
      address: staking,
      abi: STAKING_ABI,
      functionName: 'getCandidate',
      args: [operators[0]!],
    });
    expect(name).toBe('cand-0');
    expect(deposit).toBe(parseEther('1000'));
  }, 180_000);

  it('reports a reverting call with its reason before anything is sent', async () => {
    await expect(
      wallet(5).writeContract({
        address: staking,
        abi: STAKING_ABI,
        functionName: 'lock',
        args: [1n, '0x0000000000000000000000000000000000000000'],
      }),
    ).rejects.toThrow(/below minLock/);
  });
});
