/**
 * evm_snapshot / evm_revert on a devnet of four in-process validators, as Hardhat-style suites use
 * them through viem and ethers: after a revert balances, nonces, the block number, code, storage,
 * logs and receipts are those of the snapshot on every node, the next transaction is mined at the
 * snapshot's height + 1, filters go on from there, the transactions pending at the snapshot are
 * pending again, and used ids answer false. A node without the devnet's rollback refuses the
 * methods.
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
import { generatePrivateKey, privateKeyToAccount } from 'viem/accounts';
import { JsonRpcProvider } from 'ethers';
import { toHex } from '../../src/crypto/bytes.js';
import { DevRpc } from '../../src/node/dev-rpc.js';
import type { Devnet } from '../../src/node/devnet.js';
import { NodeRpcBackend } from '../../src/node/rpc-backend.js';
import { RpcHandler } from '../../src/rpc/handler.js';
import { compile } from '../evm/solidity.js';
import { devnet, etmChain, tempDir, waitForHeight } from './helpers.js';

const tmp = tempDir();
let d: Devnet;
let client: PublicClient;
const counter = compile('Basics.sol').Counter!;

const call = async <T>(method: string, params: unknown[] = []): Promise<T> => {
  const res = await fetch(d.httpUrl, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ jsonrpc: '2.0', id: 1, method, params }),
  });
  const reply = (await res.json()) as { result?: T; error?: { code: number; message: string } };
  if (reply.error) throw Object.assign(new Error(reply.error.message), reply.error);
  return reply.result as T;
};

beforeAll(async () => {
  d = await devnet(tmp.dir, { validators: 4, blockTimeMs: 500 });
  client = createPublicClient({ chain: etmChain(d.httpUrl, d.wsUrl), transport: http(d.httpUrl) });
  await waitForHeight(d, 1n);
});

afterAll(async () => {
  await d?.stop();
  tmp.remove();
});

describe('evm_snapshot / evm_revert', () => {
  it('a revert takes every node back to the snapshot; the next transaction is mined on it', async () => {
    const chain = etmChain(d.httpUrl, d.wsUrl);
    const account = privateKeyToAccount(toHex(d.accounts[0]!.privateKey) as Hex);
    const wallet = createWalletClient({ account, chain, transport: http(d.httpUrl) });
    const fresh = privateKeyToAccount(generatePrivateKey()).address;
    const abi = counter.abi;
    const mined = async (hash: Hex) => {
      const r = await client.waitForTransactionReceipt({ hash, pollingInterval: 100 });
      expect(r.status).toBe('success');
      return r;
    };
    const deployed = await mined(
      await wallet.deployContract({ abi, bytecode: counter.bytecode, args: [5n] }),
    );
    const address = deployed.contractAddress!;
    await mined(await wallet.writeContract({ address, abi, functionName: 'increment' }));
    await mined(await wallet.sendTransaction({ to: fresh, value: parseEther('1') }));

    const blockNumber = () => client.getBlockNumber({ cacheTime: 0 });
    // The snapshot's head is between these two (blocks keep coming at the block time).
    const before = await blockNumber();
    const id = await call<string>('evm_snapshot');
    const after = await blockNumber();
    expect(id).toBe('0x1');
    const read = async () => ({
      balances: [
        await client.getBalance({ address: account.address }),
        await client.getBalance({ address: fresh }),
      ],
      nonce: await client.getTransactionCount({ address: account.address }),
      count: await client.readContract({ address, abi, functionName: 'count' }),
      code: await client.getCode({ address }),
      logs: (await client.getLogs({ address, fromBlock: 0n })).map((l) => l.transactionHash),
    });
    const at = await read();
    expect(at.count).toBe(6n);
    expect(at.logs).toHaveLength(1);
    const blockFilter = await call<string>('eth_newBlockFilter');

    // After the snapshot: calls, a transfer, a second contract, a second snapshot.
    const later: Hex[] = [];
    for (const send of [
      () => wallet.writeContract({ address, abi, functionName: 'increment' }),
      () => wallet.writeContract({ address, abi, functionName: 'increment' }),
      () => wallet.sendTransaction({ to: fresh, value: parseEther('2') }),
    ]) {
      later.push(await send());
      await mined(later.at(-1)!);
    }
    const second = (
      await mined(await wallet.deployContract({ abi, bytecode: counter.bytecode, args: [1n] }))
    ).contractAddress!;
    expect(await call('evm_snapshot')).toBe('0x2');
    expect(await client.readContract({ address, abi, functionName: 'count' })).toBe(8n);
    expect((await client.getLogs({ address, fromBlock: 0n })).length).toBe(3);
    expect((await call<string[]>('eth_getFilterChanges', [blockFilter])).length).toBeGreaterThan(0);

    // The first transaction after the revert, signed ahead with the snapshot's nonce.
    const next = await wallet.signTransaction({
      to: fresh,
      value: parseEther('3'),
      nonce: at.nonce,
      gas: 21_000n,
      maxFeePerGas: parseEther('0.0001'),
      maxPriorityFeePerGas: 1_000_000_000n,
    });

    expect(await call('evm_revert', [id])).toBe(true);
    // No block comes for a block time after the revert.
    const head = await blockNumber();
    expect(head).toBeGreaterThanOrEqual(before);
    expect(head).toBeLessThanOrEqual(after);
    expect(await read()).toEqual(at);
    for (const n of d.nodes) expect(n.chain.headNumber).toBe(head);
    expect(await client.getCode({ address: second })).toBeUndefined();
    await expect(client.getTransactionReceipt({ hash: later[0]! })).rejects.toThrow(/not be found/);
    expect(await call('eth_getTransactionByHash', [later[2]])).toBeNull();
    expect(await call('txpool_status')).toEqual({ pending: '0x0', queued: '0x0' });

    const receipt = await mined(await client.sendRawTransaction({ serializedTransaction: next }));
    expect(receipt.blockNumber).toBe(head + 1n);
    expect(await client.getBalance({ address: fresh })).toBe(parseEther('4'));
    expect(await client.getTransactionCount({ address: account.address })).toBe(at.nonce + 1);
    // The block filter reports the new block at that height.
    const changes = await call<string[]>('eth_getFilterChanges', [blockFilter]);
    expect(changes).toContain(receipt.blockHash);
    for (const n of d.nodes) {
      for (let i = 0; i < 100 && n.chain.headNumber <= head; i++)
        await new Promise((r) => setTimeout(r, 50));
      expect(toHex(n.chain.blockAt(head + 1n)?.transactions[0] ?? new Uint8Array())).toBe(next);
    }

    // The reverted id and the later one are used up.
    expect(await call('evm_revert', [id])).toBe(false);
    expect(await call('evm_revert', ['0x2'])).toBe(false);
    expect(await call('evm_revert', ['0x99'])).toBe(false);
    await expect(call('evm_revert', [])).rejects.toMatchObject({ code: -32602 });
  });

  it('ethers: a balance changed after a snapshot is back after the revert', async () => {
    const provider = new JsonRpcProvider(d.httpUrl, undefined, {
      staticNetwork: true,
      // ethers answers a repeated request from its cache for 250 ms by default.
      cacheTimeout: -1,
    });
    try {
      const signer = await provider.getSigner(d.accounts[1]!.checksumAddress);
      const to = privateKeyToAccount(generatePrivateKey()).address;
      const before = await provider.getBlockNumber();
      const id = (await provider.send('evm_snapshot', [])) as string;
      const after = await provider.getBlockNumber();
      const tx = await signer.sendTransaction({ to, value: parseEther('1') });
      await tx.wait();
      expect(await provider.getBalance(to)).toBe(parseEther('1'));
      expect(await provider.send('evm_revert', [id])).toBe(true);
      expect(await provider.getBalance(to)).toBe(0n);
      const head = await provider.getBlockNumber();
      expect(head >= before && head <= after).toBe(true);
      expect(await provider.getTransactionReceipt(tx.hash)).toBeNull();
    } finally {
      provider.destroy();
    }
  });

  it('a transaction pending at the snapshot is pending again after the revert, and is mined', async () => {
    const chain = etmChain(d.httpUrl, d.wsUrl);
    const account = privateKeyToAccount(toHex(d.accounts[2]!.privateKey) as Hex);
    const wallet = createWalletClient({ account, chain, transport: http(d.httpUrl) });
    const to = privateKeyToAccount(generatePrivateKey()).address;
    const nonce = await client.getTransactionCount({ address: account.address });
    const sign = (n: number, value: bigint) =>
      wallet.signTransaction({
        to,
        value,
        nonce: n,
        gas: 21_000n,
        maxFeePerGas: parseEther('0.0001'),
        maxPriorityFeePerGas: 1_000_000_000n,
      });
    // Nonce + 1 waits in the pool for nonce: pending at the snapshot, whatever the block time.
    const gapped = await sign(nonce + 1, 2n);
    const gappedHash = await client.sendRawTransaction({ serializedTransaction: gapped });
    const id = await call<string>('evm_snapshot');
    const first = await sign(nonce, 1n);
    await client.waitForTransactionReceipt({
      hash: await client.sendRawTransaction({ serializedTransaction: first }),
    });
    await client.waitForTransactionReceipt({ hash: gappedHash });
    expect(await client.getBalance({ address: to })).toBe(3n);

    expect(await call('evm_revert', [id])).toBe(true);
    expect(await client.getBalance({ address: to })).toBe(0n);
    // Back in every node's pool (gossiped from the one that took the revert), still waiting.
    expect(await call('txpool_status')).toEqual({ pending: '0x0', queued: '0x1' });
    for (const n of d.nodes)
      for (let i = 0; i < 100 && n.mempool.all().length === 0; i++)
        await new Promise((r) => setTimeout(r, 50));
    for (const n of d.nodes)
      expect(n.mempool.all().map((tx) => toHex(tx.hash))).toEqual([gappedHash]);
    // The gap filled again, both are mined.
    await client.waitForTransactionReceipt({
      hash: await client.sendRawTransaction({ serializedTransaction: first }),
    });
    await client.waitForTransactionReceipt({ hash: gappedHash });
    expect(await client.getBalance({ address: to })).toBe(3n);
  });

  it('a node without the devnet rollback refuses them; a configured node has none', async () => {
    const node = d.nodes[0]!;
    const noRollback = new RpcHandler({
      backend: new NodeRpcBackend(
        node,
        (b) => new DevRpc(node, d.accounts, b, { blockWaitMs: 1000 }),
      ),
    });
    await expect(noRollback.call('evm_snapshot', [])).rejects.toMatchObject({
      code: -32004,
      message: expect.stringMatching(/every validator of the chain in this process/),
    });
    await expect(noRollback.call('evm_revert', ['0x1'])).rejects.toMatchObject({ code: -32004 });
    const configured = new RpcHandler({ backend: new NodeRpcBackend(node) });
    expect(configured.methodNames).not.toContain('evm_snapshot');
    await expect(configured.call('evm_revert', ['0x1'])).rejects.toMatchObject({ code: -32601 });
  });
});
