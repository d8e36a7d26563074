/**
 * Block parameters changed by the DAO on a running devnet: a ParameterChange of blockTimeMs
 * and one of blockGasLimit pass, and the blocks after the closing block follow the new values
 * (timestamps spaced by the new block time, headers carrying the new gas limit) while the
 * chain goes on; the node's consensus timeouts and limits follow the head's parameters.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  createPublicClient,
  createWalletClient,
  http,
  parseEventLogs,
  type Account,
  type Hex,
  type PublicClient,
} from 'viem';
import { mnemonicToAccount, privateKeyToAccount } from 'viem/accounts';
import { toHex } from '../../src/crypto/bytes.js';
import { deriveAccounts, DEV_MNEMONIC } from '../../src/crypto/mnemonic.js';
import { GOVERNANCE_ABI, PROPOSAL_KINDS, VOTE_OPTION } from '../../src/governance/abi.js';
import { encodePayload, type Payload } from '../../src/governance/payload.js';
import { DEV_VALIDATOR_PATH, type Devnet } from '../../src/node/devnet.js';
import { ETM } from '../../src/params/registry.js';
import { GOVERNANCE_ADDRESS } from '../../src/primitives/system-addresses.js';
import { devnet, etmChain, tempDir, waitForHeight } from './helpers.js';

const tmp = tempDir();
let d: Devnet;
let client: PublicClient;
const gov = toHex(GOVERNANCE_ADDRESS) as Hex;
const validators = deriveAccounts(DEV_MNEMONIC, 4, DEV_VALIDATOR_PATH).map((k) =>
  privateKeyToAccount(toHex(k.privateKey) as Hex),
);
const user = (i: number) => mnemonicToAccount(DEV_MNEMONIC, { addressIndex: i });

beforeAll(async () => {
  d = await devnet(tmp.dir, {
    blockTimeMs: 400,
    staking: { epochBlocks: 10, rankedSeats: 3, lotterySeats: 1 },
  });
  client = createPublicClient({
    chain: etmChain(d.httpUrl, d.wsUrl),
    transport: http(d.httpUrl),
    pollingInterval: 100,
  });
}, 120_000);

afterAll(async () => {
  await d?.stop();
  tmp.remove();
});

const wallet = (account: Account) =>
  createWalletClient({ account, chain: etmChain(d.httpUrl, d.wsUrl), transport: http(d.httpUrl) });

async function mined(hash: Hex) {
  const r = await client.waitForTransactionReceipt({ hash, pollingInterval: 100, timeout: 20_000 });
  expect(r.status).toBe('success');
  return r;
}

async function propose(from: Account, p: Payload): Promise<bigint> {
  const r = await mined(
    await wallet(from).writeContract({
      address: gov,
      abi: GOVERNANCE_ABI,
      functionName: 'propose',
      args: [PROPOSAL_KINDS.indexOf(p.kind), toHex(encodePayload(p)) as Hex],
      value: 10n * ETM,
    }),
  );
  const [log] = parseEventLogs({
    abi: GOVERNANCE_ABI,
    logs: r.logs,
    eventName: 'ProposalSubmitted',
  });
  return log!.args.id;
}

interface ProposalJson {
  status: string;
  timeline: { executeAt: Hex | null; closedAt: Hex | null };
}

async function executed(id: bigint, ms = 40_000): Promise<bigint> {
  const deadline = Date.now() + ms;
  for (;;) {
    const p = (await client.request({
      method: 'etm_getProposal' as never,
      params: ['0x' + id.toString(16)] as never,
    })) as ProposalJson;
    if (p.status === 'executed') return BigInt(p.timeline.executeAt ?? p.timeline.closedAt!);
    if (!['deposit', 'voting', 'scheduled'].includes(p.status))
      throw new Error(`proposal ${id} is ${p.status}`);
    if (Date.now() > deadline) throw new Error(`proposal ${id} is still ${p.status}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

describe('block parameters changed by the DAO', () => {
  it('a new block time and block gas limit apply from the block after the close', async () => {
    const [time, gas] = await Promise.all([
      propose(user(0), { kind: 'parameter-change', name: 'blockTimeMs', value: 2000n }),
      propose(user(1), { kind: 'parameter-change', name: 'blockGasLimit', value: 30_000_000n }),
    ]);
    // Each validator votes yes on both, one after the other (nonces), the validators in parallel.
    await Promise.all(
      validators.map(async (v) => {
        const hashes: Hex[] = [];
        for (const id of [time, gas])
          hashes.push(
            await wallet(v).writeContract({
              address: gov,
              abi: GOVERNANCE_ABI,
              functionName: 'vote',
              args: [id, VOTE_OPTION.yes],
            }),
          );
        await Promise.all(hashes.map(mined));
      }),
    );
    // The two proposals close in the blocks their periods end at.
    const at = await executed(time);
    const gasAt = await executed(gas);

    const block = (n: bigint) => client.getBlock({ blockNumber: n });
    expect((await block(gasAt)).gasLimit).toBe(150_000_000n);
    const old = await block(at);
    // Before the change, 400 ms blocks: ten of them take at most a few seconds.
    expect(old.timestamp - (await block(at - 10n)).timestamp).toBeLessThanOrEqual(6n);

    // The chain goes on at the new pace.
    const last = (at > gasAt ? at : gasAt) + 5n;
    const started = Date.now();
    await waitForHeight(d, last, 30_000);
    expect(Date.now() - started).toBeGreaterThanOrEqual(2 * 2000 - 500);
    for (let n = gasAt + 1n; n <= last; n++) expect((await block(n)).gasLimit).toBe(30_000_000n);
    let prev = old;
    for (let n = at + 1n; n <= last; n++) {
      const b = await block(n);
      expect(b.timestamp - prev.timestamp).toBeGreaterThanOrEqual(2n);
      prev = b;
      // Decided in round 0: the round timeout grew with the block time (with the old 800 ms
      // timeout every height would change round before its proposal is due).
      expect(d.nodes[0]!.chain.blockAt(n)!.header.extra.round).toBe(0);
    }
    // The head carries the new limit too.
    const pending = await client.getBlock({ blockTag: 'latest' });
    expect(pending.gasLimit).toBe(30_000_000n);
  }, 120_000);
});
