/**
 * Economics end to end, as a holder sees them with viem: a lock's pending reward grows every
 * block by the reward per token `r` that etm_getEconomics reports, claim pays it to the balance,
 * a voter earns its candidate's share and the epoch's bonus on top, and the DAO treasury takes its
 * share of every block's base fees.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  createPublicClient,
  createWalletClient,
  decodeEventLog,
  http,
  parseEther,
  type Hex,
  type PublicClient,
} from 'viem';
import { mnemonicToAccount } from 'viem/accounts';
import { toHex } from '../../src/crypto/bytes.js';
import { DEV_MNEMONIC } from '../../src/crypto/mnemonic.js';
import { DAO_TREASURY, STAKING_ADDRESS } from '../../src/primitives/system-addresses.js';
import { STAKING_ABI } from '../../src/staking/abi.js';
import type { Devnet } from '../../src/node/devnet.js';
import { devnet, etmChain, tempDir, waitForHeight } from './helpers.js';

const tmp = tempDir();
let d: Devnet;
let client: PublicClient;
const staking = toHex(STAKING_ADDRESS) as Hex;
const treasury = toHex(DAO_TREASURY) as Hex;
const SCALE = 10n ** 36n;

interface Economics {
  supply: string;
  totalLocked: string;
  rewardPerTokenPerBlock: string | null;
  stakingRatio: string | null;
  apyEstimate: string | null;
}

async function rpc<T>(method: string, params: unknown[] = []): Promise<T> {
  return client.request({ method: method as never, params: params as never }) as Promise<T>;
}

/** A 36-decimal rate string as a bigint scaled by 10^36. */
function fixed(text: string): bigint {
  const [int, frac = ''] = text.split('.');
  return BigInt(int!) * SCALE + BigInt(frac.padEnd(36, '0'));
}

function wallet(index: number) {
  return createWalletClient({
    account: mnemonicToAccount(DEV_MNEMONIC, { addressIndex: index }),
    chain: etmChain(d.httpUrl, d.wsUrl),
    transport: http(d.httpUrl),
  });
}

/** The head, uncached (viem's getBlockNumber caches for its polling interval). */
async function head(): Promise<bigint> {
  return BigInt(await rpc<string>('eth_blockNumber'));
}

async function pendingAt(lockId: bigint, block: bigint): Promise<bigint> {
  const [pending] = await client.readContract({
    address: staking,
    abi: STAKING_ABI,
    functionName: 'getRewards',
    args: [lockId],
    blockNumber: block,
  });
  return pending;
}

async function lock(index: number, amount: bigint, candidate: Hex): Promise<bigint> {
  const hash = await wallet(index).writeContract({
    address: staking,
    abi: STAKING_ABI,
    functionName: 'lock',
    args: [amount, candidate],
  });
  const receipt = await client.waitForTransactionReceipt({ hash });
  expect(receipt.status).toBe('success');
  const log = receipt.logs.find((l) => l.address.toLowerCase() === staking.toLowerCase())!;
  const event = decodeEventLog({ abi: STAKING_ABI, data: log.data, topics: log.topics });
  return (event.args as { lockId: bigint }).lockId;
}

beforeAll(async () => {
  d = await devnet(tmp.dir, {
    blockTimeMs: 250,
    staking: { epochBlocks: 10, rankedSeats: 3, lotterySeats: 1 },
  });
  client = createPublicClient({ chain: etmChain(d.httpUrl, d.wsUrl), transport: http(d.httpUrl) });
}, 120_000);

afterAll(async () => {
  await d?.stop();
  tmp.remove();
});

describe('economics on the devnet', () => {
  it('a lock earns r per token per block, claim pays it, the treasury takes its fee share', async () => {
    const zero = '0x0000000000000000000000000000000000000000' as Hex;
    const amount = parseEther('100000');
    const id = await lock(1, amount, zero);

    // Pending grows by amount·r each block, r as etm_getEconomics reports it at the block before.
    const start = await head();
    await waitForHeight(d, start + 4n);
    for (let h = start; h < start + 3n; h++) {
      const e = await rpc<Economics>('etm_getEconomics', [`0x${h.toString(16)}`]);
      const r = fixed(e.rewardPerTokenPerBlock!);
      const grown = (await pendingAt(id, h + 1n)) - (await pendingAt(id, h));
      const expected = (amount * r) / SCALE;
      expect(grown).toBeGreaterThan(0n);
      // Rounding of the mint, its split and the accumulator: a few units at most.
      expect(grown - expected).toBeLessThanOrEqual(3n);
      expect(expected - grown).toBeLessThanOrEqual(3n);
      // r = B·i_n·(1−δ)/S with the figures the node reports.
      expect(BigInt(e.totalLocked)).toBeGreaterThanOrEqual(amount);
    }

    // Claim: the Claimed amount reaches the balance (minus the fee), and nothing is left pending.
    const owner = wallet(1).account.address;
    const before = await client.getBalance({ address: owner });
    const hash = await wallet(1).writeContract({
      address: staking,
      abi: STAKING_ABI,
      functionName: 'claim',
      args: [id],
    });
    const receipt = await client.waitForTransactionReceipt({ hash });
    expect(receipt.status).toBe('success');
    const claimed = receipt.logs
      .filter((l) => l.address.toLowerCase() === staking.toLowerCase())
      .map((l) => decodeEventLog({ abi: STAKING_ABI, data: l.data, topics: l.topics }))
      .find((e) => e.eventName === 'Claimed')!.args as { amount: bigint; compounded: boolean };
    expect(claimed.compounded).toBe(false);
    expect(claimed.amount).toBeGreaterThan(0n);
    const after = await client.getBalance({ address: owner, blockNumber: receipt.blockNumber });
    expect(after - before).toBe(claimed.amount - receipt.gasUsed * receipt.effectiveGasPrice);
    // What is pending after the claim is the claim block's own reward (paid at its end).
    const prior = await rpc<Economics>('etm_getEconomics', [
      `0x${(receipt.blockNumber - 1n).toString(16)}`,
    ]);
    const oneBlock = (amount * fixed(prior.rewardPerTokenPerBlock!)) / SCALE;
    const left = await pendingAt(id, receipt.blockNumber);
    expect(left <= oneBlock + 3n && left + 3n >= oneBlock).toBe(true);

    // The treasury's part of the block's base fees: all of it but feeValidatorShare (80%).
    const block = await client.getBlock({ blockNumber: receipt.blockNumber });
    const baseFees = block.gasUsed * block.baseFeePerGas!;
    const t0 = await client.getBalance({ address: treasury, blockNumber: block.number - 1n });
    const t1 = await client.getBalance({ address: treasury, blockNumber: block.number });
    expect(baseFees).toBeGreaterThan(0n);
    expect(t1 - t0).toBe(baseFees - (baseFees * 8n) / 10n);
  });

  it('a voter earns more than a plain lock: its candidate’s share and the epoch bonus', async () => {
    const zero = '0x0000000000000000000000000000000000000000' as Hex;
    const candidate = d.validatorKeys[1]!.checksumAddress as Hex; // node1 is its own operator
    const amount = parseEther('50000');
    const plain = await lock(2, amount, zero);
    const voter = await lock(3, amount, candidate);
    const from = await head();
    // Two whole epochs later the voter has shared node1's proposer income and a bonus payout.
    await waitForHeight(d, from + 21n);
    const to = await head();
    const p = (await pendingAt(plain, to)) - (await pendingAt(plain, from));
    const v = (await pendingAt(voter, to)) - (await pendingAt(voter, from));
    expect(p).toBeGreaterThan(0n);
    expect(v).toBeGreaterThan(p);
    const locks = await rpc<{ id: string; pending: string; autoCompound: boolean }[]>(
      'etm_getLocks',
      [wallet(3).account.address],
    );
    expect(BigInt(locks.find((l) => BigInt(l.id) === voter)!.pending)).toBeGreaterThan(0n);
  });
});
