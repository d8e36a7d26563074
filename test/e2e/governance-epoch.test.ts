/**
 * The epoch length changed by the DAO on a running devnet: a ParameterChange of epochBlocks
 * passes, is written at the epoch's last block, and the next epoch starts right after it with
 * the new length — etm_getEpoch reports its blocks, and the headers name the next validator set
 * exactly at the new epoch ends while the chain goes on.
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
import { decodeExtraData } from '../../src/consensus/extra-data.js';
import { fromHex, toHex } from '../../src/crypto/bytes.js';
import { deriveAccounts, DEV_MNEMONIC } from '../../src/crypto/mnemonic.js';
import { GOVERNANCE_ABI, PROPOSAL_KINDS, VOTE_OPTION } from '../../src/governance/abi.js';
import { encodePayload } from '../../src/governance/payload.js';
import { DEV_VALIDATOR_PATH, type Devnet } from '../../src/node/devnet.js';
import { ETM } from '../../src/params/registry.js';
import { GOVERNANCE_ADDRESS } from '../../src/primitives/system-addresses.js';
import { devnet, etmChain, tempDir, waitForHeight } from './helpers.js';

const EPOCH = 8n;
const NEW_EPOCH = 5n;
const tmp = tempDir();
let d: Devnet;
let client: PublicClient;
const gov = toHex(GOVERNANCE_ADDRESS) as Hex;
const validators = deriveAccounts(DEV_MNEMONIC, 4, DEV_VALIDATOR_PATH).map((k) =>
  privateKeyToAccount(toHex(k.privateKey) as Hex),
);
const q = (n: bigint) => '0x' + n.toString(16);
const user = mnemonicToAccount(DEV_MNEMONIC, { addressIndex: 0 });

beforeAll(async () => {
  d = await devnet(tmp.dir, {
    blockTimeMs: 400,
    staking: { epochBlocks: Number(EPOCH), rankedSeats: 3, lotterySeats: 1 },
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

async function rpc<T>(method: string, params: unknown[] = []): Promise<T> {
  return client.request({ method: method as never, params: params as never }) as Promise<T>;
}

interface ProposalJson {
  status: string;
  timeline: { executeAt: Hex | null };
}

interface EpochJson {
  epoch: Hex;
  firstBlock: Hex;
  lastBlock: Hex;
}

/** Whether block `n`'s header names the next validator set (an epoch's last block does). */
async function namesSet(n: bigint): Promise<boolean> {
  const b = await client.getBlock({ blockNumber: n });
  return decodeExtraData(fromHex(b.extraData)).nextValidators.length > 0;
}

describe('the epoch length changed by the DAO', () => {
  it('the epoch after the change has the new length', async () => {
    const r = await mined(
      await wallet(user).writeContract({
        address: gov,
        abi: GOVERNANCE_ABI,
        functionName: 'propose',
        args: [
          PROPOSAL_KINDS.indexOf('parameter-change'),
          toHex(
            encodePayload({ kind: 'parameter-change', name: 'epochBlocks', value: NEW_EPOCH }),
          ) as Hex,
        ],
        value: 10n * ETM,
      }),
    );
    const id = parseEventLogs({
      abi: GOVERNANCE_ABI,
      logs: r.logs,
      eventName: 'ProposalSubmitted',
    })[0]!.args.id;
    await Promise.all(
      validators.map(async (v) =>
        mined(
          await wallet(v).writeContract({
            address: gov,
            abi: GOVERNANCE_ABI,
            functionName: 'vote',
            args: [id, VOTE_OPTION.yes],
          }),
        ),
      ),
    );
    // Passed, it waits for the epoch's last block.
    let p: ProposalJson;
    const deadline = Date.now() + 40_000;
    do {
      p = await rpc<ProposalJson>('etm_getProposal', [q(id)]);
      if (!['deposit', 'voting', 'scheduled', 'executed'].includes(p.status))
        throw new Error(`proposal ${id} is ${p.status}`);
      if (Date.now() > deadline) throw new Error(`proposal ${id} is still ${p.status}`);
      await new Promise((r) => setTimeout(r, 100));
    } while (p.status !== 'executed');
    const at = BigInt(p.timeline.executeAt!);
    expect(at % EPOCH).toBe(0n);
    const changed = parseEventLogs({
      abi: GOVERNANCE_ABI,
      logs: await client.getLogs({ address: gov, fromBlock: at, toBlock: at }),
      eventName: 'ParameterChanged',
    });
    expect(changed.map((l) => [l.args.name, l.args.value, l.args.effectiveBlock])).toEqual([
      ['epochBlocks', [NEW_EPOCH], at + 1n],
    ]);

    // Two more epochs at the new length, then what the node reports and what the headers say.
    await waitForHeight(d, at + 2n * NEW_EPOCH + 1n, 30_000);
    const e = at / EPOCH; // the first epoch at the new length (epoch 0 holds blocks 1 … 8)
    const epoch = (n: bigint) => rpc<EpochJson>('etm_getEpoch', [q(n)]);
    expect(await epoch(e - 1n)).toMatchObject({
      firstBlock: q(at - EPOCH + 1n),
      lastBlock: q(at),
    });
    for (const k of [0n, 1n])
      expect(await epoch(e + k)).toMatchObject({
        epoch: q(e + k),
        firstBlock: q(at + k * NEW_EPOCH + 1n),
        lastBlock: q(at + (k + 1n) * NEW_EPOCH),
      });
    const named: bigint[] = [];
    for (let n = at - EPOCH; n <= at + 2n * NEW_EPOCH; n++) if (await namesSet(n)) named.push(n);
    expect(named).toEqual([at - EPOCH, at, at + NEW_EPOCH, at + 2n * NEW_EPOCH]);
    const v = await rpc<{ height: Hex; epoch: Hex }>('etm_getValidators');
    const height = BigInt(v.height);
    expect(BigInt(v.epoch)).toBe(e + (height - at - 1n) / NEW_EPOCH);
  }, 90_000);
});
