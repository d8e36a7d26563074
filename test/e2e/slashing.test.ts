/**
 * Slashing end to end on an in-process devnet (docs/slashing.md): a validator that double-signs
 * is reported by the honest nodes, slashed and tombstoned, and leaves the validator set at the
 * next election while the chain goes on; a validator stopped for an epoch is jailed and slashed,
 * unjails, and is elected again. Conservation holds to the unit throughout.
 */
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { createPublicClient, encodeFunctionData, getAddress, http, type Hex } from 'viem';
import { blockWorkHash } from '../../src/execution/block-work.js';
import { toHex } from '../../src/crypto/bytes.js';
import { DEV_MNEMONIC, deriveAccounts } from '../../src/crypto/mnemonic.js';
import { economicState } from '../../src/economics/block.js';
import { Node } from '../../src/node/node.js';
import { DEV_ACCOUNT_COUNT, type Devnet } from '../../src/node/devnet.js';
import {
  EVIDENCE_ADDRESS,
  STAKING_ADDRESS,
  SYSTEM_ACCOUNTS,
} from '../../src/primitives/system-addresses.js';
import { STAKING_ABI } from '../../src/staking/abi.js';
import { EVIDENCE_ABI } from '../../src/slashing/abi.js';
import { SlashingStore } from '../../src/slashing/store.js';
import { epochOf } from '../../src/staking/epochs.js';
import { stakingStores } from '../../src/staking/stores.js';
import { createCustomCommon, Mainnet } from '@ethereumjs/common';
import { createFeeMarket1559Tx } from '@ethereumjs/tx';
import { devnet, tempDir } from './helpers.js';

const STAKING = { epochBlocks: 8, rankedSeats: 3, lotterySeats: 1 };
const BLOCK_MS = 300;

let tmp: ReturnType<typeof tempDir> | null = null;
let d: Devnet | null = null;
const extra: Node[] = [];

afterEach(async () => {
  for (const n of extra.splice(0)) await n.stop();
  await d?.stop();
  d = null;
  tmp?.remove();
  tmp = null;
});

async function until<T>(what: string, f: () => T | null | undefined | false, ms: number) {
  const deadline = Date.now() + ms;
  for (;;) {
    const v = f();
    if (v) return v;
    if (Date.now() > deadline) throw new Error(`${what}: not within ${ms} ms`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

/** Σ balance + locked over every account the devnet touches, against the booked supply. */
function conservation(net: Devnet, node = net.nodes[0]!) {
  const state = node.chain.headState();
  const accounts = [
    ...deriveAccounts(DEV_MNEMONIC, DEV_ACCOUNT_COUNT).map((a) => a.address),
    ...net.validatorKeys.map((k) => k.address),
    ...SYSTEM_ACCOUNTS,
  ];
  let sum = 0n;
  for (const a of accounts) {
    const acc = state.getAccount(a);
    sum += acc.balance + acc.locked;
  }
  return { sum, supply: economicState(state).supply };
}

const statusOf = (net: Devnet, i: number) =>
  stakingStores(net.nodes[0]!.chain.headState()).candidates.getCandidate(
    net.validatorKeys[i]!.address,
  )!;

const depositOf = (net: Devnet, i: number) => {
  const s = stakingStores(net.nodes[0]!.chain.headState());
  const c = s.candidates.getCandidate(net.validatorKeys[i]!.address)!;
  return c.depositLockId === 0n ? 0n : s.locks.getLock(c.depositLockId)!.amount;
};

const inSet = (net: Devnet, i: number, height: bigint) =>
  net.nodes[0]!.chain.validatorsAt(height).some(
    (v) => toHex(v) === toHex(net.validatorKeys[i]!.address),
  );

describe('slashing on a devnet', () => {
  it('slashes and tombstones a double-signer; it leaves the set and the chain goes on', async () => {
    tmp = tempDir();
    d = await devnet(tmp.dir, {
      blockTimeMs: BLOCK_MS,
      staking: STAKING,
      equivocators: [3],
    });
    const net = d;
    const bad = net.validatorKeys[3]!.address;
    const c = await until('tombstone', () => statusOf(net, 3).status === 'tombstoned', 30_000);
    expect(c).toBe(true);
    const head = net.nodes[0]!.chain.headNumber;
    const state = net.nodes[0]!.chain.headState();
    const recent = new SlashingStore(state).recent();
    expect(recent).toHaveLength(1);
    expect(toHex(recent[0]!.validator)).toBe(toHex(bad));
    // An honest node reported it.
    const honest = net.validatorKeys.slice(0, 3).map((k) => toHex(k.address));
    expect(honest).toContain(toHex(recent[0]!.reporter));
    expect(recent[0]!.slashed).toBe(100n * 10n ** 18n);
    // Every honest node raised evidence.
    for (const n of net.nodes.slice(0, 3)) expect(n.evidence!.received).toBeGreaterThan(0);
    // It leaves the set at the next election (an epoch ahead), and blocks keep coming.
    const epoch = epochOf(head, net.genesis.params);
    const out = (epoch + 3n) * BigInt(STAKING.epochBlocks) + 1n;
    await until(
      'blocks after the election',
      () => net.nodes[0]!.chain.headNumber >= out + 3n,
      40_000,
    );
    expect(inSet(net, 3, net.nodes[0]!.chain.headNumber)).toBe(false);
    const { sum, supply } = conservation(net);
    expect(sum).toBe(supply);
  }, 90_000);

  it('jails a validator stopped for an epoch; it unjails and is elected again', async () => {
    tmp = tempDir();
    d = await devnet(tmp.dir, { blockTimeMs: BLOCK_MS, staking: STAKING });
    const net = d;
    const p = net.genesis.params;
    const E = BigInt(STAKING.epochBlocks);
    await until('block 2', () => net.nodes[0]!.chain.headNumber >= 2n, 20_000);
    await net.nodes[2]!.stop();
    const jailed = await until(
      'jail',
      () => (statusOf(net, 2).status === 'jailed' ? statusOf(net, 2) : null),
      60_000,
    );
    const history = new SlashingStore(net.nodes[0]!.chain.headState()).history(
      net.validatorKeys[2]!.address,
    );
    expect(history.map((h) => h.reason)).toEqual(['downtime']);
    expect(history[0]!.amount).toBe(10n ** 18n); // 0.1% of 1,000 ETM
    // The jail is logged in its block's block-work receipt, seen by eth_getLogs.
    const client = createPublicClient({ transport: http(net.httpUrl) });
    const [log] = await client.getContractEvents({
      address: toHex(EVIDENCE_ADDRESS) as Hex,
      abi: EVIDENCE_ABI,
      eventName: 'Jailed',
      fromBlock: history[0]!.height,
      toBlock: history[0]!.height,
    });
    expect(log!.args).toMatchObject({
      operator: getAddress(toHex(net.validatorKeys[2]!.address)),
      untilEpoch: jailed.jailedUntilEpoch,
    });
    expect(log!.transactionHash).toBe(toHex(blockWorkHash(history[0]!.height)));
    // Back online: a new node on the same data directory.
    const back = new Node({
      datadir: join(tmp.dir, 'node2'),
      genesis: net.genesis,
      validatorKey: net.validatorKeys[2]!.privateKey,
      name: 'node2',
      recoveryPool: null,
    });
    extra.push(back);
    net.network.startNodes([back]);
    // Unjail once the jail has ended, with an ordinary transaction from the operator.
    await until(
      'jail end',
      () => epochOf(net.nodes[0]!.chain.headNumber + 1n, p) >= jailed.jailedUntilEpoch,
      60_000,
    );
    const key = net.validatorKeys[2]!;
    const send = (to: Uint8Array, data: `0x${string}`, value: bigint) => {
      const n = net.nodes[0]!;
      const tx = createFeeMarket1559Tx(
        {
          chainId: net.genesis.chainId,
          nonce: n.mempool.pendingNonce(key.address, n.accountView()),
          to,
          value,
          data,
          gasLimit: 200_000n,
          maxFeePerGas: 10n * n.chain.nextBaseFee(),
          maxPriorityFeePerGas: 1n,
        },
        { common: createCustomCommon({ chainId: Number(net.genesis.chainId) }, Mainnet) },
      ).sign(key.privateKey);
      n.submitTransaction(tx.serialize());
    };
    send(EVIDENCE_ADDRESS, encodeFunctionData({ abi: EVIDENCE_ABI, functionName: 'unjail' }), 0n);
    // The slash took the deposit below candidateDeposit: the operator tops it up.
    send(
      STAKING_ADDRESS,
      encodeFunctionData({ abi: STAKING_ABI, functionName: 'topUpDeposit' }),
      10n ** 18n,
    );
    await until(
      'unjailed and topped up',
      () => statusOf(net, 2).status === 'active' && depositOf(net, 2) >= p.candidateDeposit,
      20_000,
    );
    const unjailedAt = net.nodes[0]!.chain.headNumber;
    // Elected at the next epoch's end, it serves two epochs later.
    const serves = (epochOf(unjailedAt, p) + 2n) * E + 1n;
    await until('elected again', () => net.nodes[0]!.chain.headNumber >= serves + 1n, 40_000);
    expect(inSet(net, 2, serves)).toBe(true);
    const { sum, supply } = conservation(net);
    expect(sum).toBe(supply);
  }, 150_000);
});
