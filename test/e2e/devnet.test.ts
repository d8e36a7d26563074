/**
 * The devnet driven as users drive it: viem and ethers v6 over JSON-RPC and WebSocket, against
 * four validators committing real blocks.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  createPublicClient,
  createWalletClient,
  http,
  parseEther,
  webSocket,
  type Hash,
  type PublicClient,
} from 'viem';
import { mnemonicToAccount, privateKeyToAccount, generatePrivateKey } from 'viem/accounts';
import { JsonRpcProvider, Wallet } from 'ethers';
import { toHex } from '../../src/crypto/bytes.js';
import { blockHash } from '../../src/chain/block.js';
import { DEV_MNEMONIC } from '../../src/crypto/mnemonic.js';
import { DAO_TREASURY } from '../../src/primitives/system-addresses.js';
import { DEV_ACCOUNT_BALANCE, type Devnet } from '../../src/node/devnet.js';
import { Node } from '../../src/node/node.js';
import { devnet, etmChain, tempDir, waitForHeight } from './helpers.js';

const WAD = 10n ** 18n;
const tmp = tempDir();
let d: Devnet;
let client: PublicClient;

beforeAll(async () => {
  d = await devnet(tmp.dir);
  client = createPublicClient({ chain: etmChain(d.httpUrl, d.wsUrl), transport: http(d.httpUrl) });
});

afterAll(async () => {
  await d?.stop();
  tmp.remove();
});

describe('devnet over JSON-RPC', () => {
  it('commits blocks with four validators taking turns', async () => {
    await waitForHeight(d, 5n);
    expect(await client.getChainId()).toBe(4543565);
    // The RPC node's peers: the other three validators.
    expect(await client.request({ method: 'net_peerCount' as never })).toBe('0x3');
    const proposers = new Set<string>();
    for (let n = 1n; n <= 4n; n++)
      proposers.add((await client.getBlock({ blockNumber: n })).miner.toLowerCase());
    expect(proposers.size).toBe(4);
    expect(new Set(d.genesis.validators.map((v) => toHex(v)))).toEqual(proposers);
  });

  it('viem: concurrent transfers from several accounts, receipts, balances, fees and the treasury', async () => {
    const recipient = privateKeyToAccount(generatePrivateKey()).address;
    const chain = etmChain(d.httpUrl, d.wsUrl);
    const senders = [1, 2, 3, 4].map((i) => mnemonicToAccount(DEV_MNEMONIC, { addressIndex: i }));
    const before = await Promise.all(senders.map((s) => client.getBalance({ address: s.address })));
    const treasuryBefore = await client.getBalance({ address: toHex(DAO_TREASURY) });
    const hashes: Hash[][] = await Promise.all(
      senders.map(async (account, i) => {
        const wallet = createWalletClient({ account, chain, transport: http(d.httpUrl) });
        const nonce = await client.getTransactionCount({
          address: account.address,
          blockTag: 'pending',
        });
        const sent: Hash[] = [];
        for (let k = 0; k < 3; k++) {
          sent.push(
            await wallet.sendTransaction({
              to: recipient,
              value: parseEther(`${i + 1}`),
              nonce: nonce + k,
            }),
          );
        }
        return sent;
      }),
    );
    const receipts = await Promise.all(
      hashes.flat().map((hash) => client.waitForTransactionReceipt({ hash, timeout: 30_000 })),
    );
    expect(receipts.every((r) => r.status === 'success')).toBe(true);
    expect(await client.getBalance({ address: recipient })).toBe(parseEther('30')); // 3 × (1 + 2 + 3 + 4)

    for (const [i, account] of senders.entries()) {
      const mine = receipts.filter((r) => r.from.toLowerCase() === account.address.toLowerCase());
      expect(mine).toHaveLength(3);
      const fees = mine.reduce((s, r) => s + r.gasUsed * r.effectiveGasPrice, 0n);
      expect(mine.every((r) => r.gasUsed === 21_000n)).toBe(true);
      expect(await client.getBalance({ address: account.address })).toBe(
        before[i]! - 3n * parseEther(`${i + 1}`) - fees,
      );
    }

    // The treasury gets the base fee minus the proposer's 80% (rounded down) of every block.
    const blocks = [...new Set(receipts.map((r) => r.blockNumber))];
    let treasury = 0n;
    for (const n of blocks) {
      const block = await client.getBlock({ blockNumber: n });
      const baseFees = receipts
        .filter((r) => r.blockNumber === n)
        .reduce((s, r) => s + r.gasUsed * block.baseFeePerGas!, 0n);
      treasury += baseFees - (baseFees * 8n * WAD) / 10n / WAD;
    }
    expect(await client.getBalance({ address: toHex(DAO_TREASURY) })).toBe(
      treasuryBefore + treasury,
    );
  });

  it('ethers v6: transfer, nonce too low, and replacement needing a 10% fee bump', async () => {
    const provider = new JsonRpcProvider(
      d.httpUrl,
      { chainId: 4543565, name: 'etm' },
      // ethers answers a repeated request from its cache for 250 ms by default: the balance read
      // again after the next block, when that block follows at once, would be the one before it.
      { staticNetwork: true, pollingInterval: 100, cacheTimeout: -1 },
    );
    const key = toHex(mnemonicToAccount(DEV_MNEMONIC, { addressIndex: 5 }).getHdKey().privateKey!);
    const signer = new Wallet(key, provider);
    const to = Wallet.createRandom().address;
    const tx = await signer.sendTransaction({ to, value: 12345n });
    const receipt = await tx.wait(1, 30_000);
    expect(receipt!.status).toBe(1);
    expect(await provider.getBalance(to)).toBe(12345n);

    await expect(signer.sendTransaction({ to, value: 1n, nonce: tx.nonce })).rejects.toThrow(
      /nonce too low/,
    );

    const next = await provider.getTransactionCount(signer.address, 'pending');
    const fee = {
      maxFeePerGas: 10_000_000_000n,
      maxPriorityFeePerGas: 2_000_000_000n,
      gasLimit: 21_000n,
      chainId: 4543565n,
      type: 2,
    };
    // A gap keeps these queued until the missing nonce arrives.
    const queued = await signer.sendTransaction({ ...fee, to, value: 1n, nonce: next + 1 });
    await expect(
      signer.sendTransaction({ ...fee, to, value: 2n, nonce: next + 1 }),
    ).rejects.toThrow(/replacement transaction underpriced/);
    const bumped = { maxFeePerGas: 11_000_000_000n, maxPriorityFeePerGas: 2_200_000_000n };
    const replacement = await signer.sendTransaction({
      ...fee,
      ...bumped,
      to,
      value: 3n,
      nonce: next + 1,
    });
    const filler = await signer.sendTransaction({ ...fee, to, value: 4n, nonce: next });
    await filler.wait(1, 30_000);
    const r = await replacement.wait(1, 30_000);
    expect(r!.status).toBe(1);
    expect(await provider.getTransaction(queued.hash)).toBeNull();
    expect(await provider.getBalance(to)).toBe(12345n + 3n + 4n);
    provider.destroy();
  });

  it('answers a JSON-RPC batch in order, with -32601 for an unknown method', async () => {
    const res = await fetch(d.httpUrl, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify([
        { jsonrpc: '2.0', id: 1, method: 'eth_chainId', params: [] },
        { jsonrpc: '2.0', id: 2, method: 'eth_fillTransaction', params: [{}] },
        {
          jsonrpc: '2.0',
          id: 3,
          method: 'eth_getBalance',
          params: [toHex(DAO_TREASURY), 'latest'],
        },
      ]),
    });
    const body = (await res.json()) as { id: number; result?: string; error?: { code: number } }[];
    expect(body.map((b) => b.id)).toEqual([1, 2, 3]);
    expect(body[0]!.result).toBe('0x45544d');
    expect(body[1]!.error!.code).toBe(-32601);
    expect(BigInt(body[2]!.result!)).toBeGreaterThanOrEqual(0n);
  });

  it('pushes newHeads over WebSocket', async () => {
    const ws = createPublicClient({
      chain: etmChain(d.httpUrl, d.wsUrl),
      transport: webSocket(d.wsUrl),
    });
    const seen: bigint[] = [];
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error('no heads')), 10_000);
      const unwatch = ws.watchBlocks({
        onBlock: (b) => {
          seen.push(b.number!);
          if (seen.length === 3) {
            clearTimeout(timer);
            unwatch();
            resolve();
          }
        },
        onError: reject,
      });
    });
    expect(seen[1]! - seen[0]!).toBe(1n);
    expect(seen[2]! - seen[1]!).toBe(1n);
    await ws.transport.getRpcClient?.().then((c) => c.close());
  });

  it('gives every validator, and a follower that syncs from scratch, identical blocks and state roots', async () => {
    const follower = tempDir();
    const node = new Node({
      datadir: follower.dir,
      genesis: d.genesis,
      validatorKey: null,
      name: 'follower',
    });
    const link = d.network.join(node.peerView(), {
      onConsensus: (b) => node.receiveConsensus(b),
      onTransaction: (raw) => node.receiveTransaction(raw),
    });
    node.start(link);
    try {
      const target = d.nodes[0]!.chain.headNumber;
      const deadline = Date.now() + 20_000;
      while (node.chain.headNumber < target && Date.now() < deadline)
        await new Promise((r) => setTimeout(r, 50));
      expect(node.chain.headNumber).toBeGreaterThanOrEqual(target);
      for (let n = 1n; n <= target; n++) {
        const roots = [...d.nodes, node].map((x) => toHex(x.chain.blockAt(n)!.header.stateRoot));
        expect(new Set(roots).size).toBe(1);
        const hashes = [...d.nodes, node].map((x) => toHex(blockHash(x.chain.blockAt(n)!)));
        expect(new Set(hashes).size).toBe(1);
      }
    } finally {
      link.leave();
      await node.stop();
      follower.remove();
    }
  });
});

describe('devnet restart', () => {
  it('keeps height and balances across a stop and start', async () => {
    const dir = tempDir();
    try {
      let net = await devnet(dir.dir);
      await waitForHeight(net, 3n);
      const c1 = createPublicClient({ transport: http(net.httpUrl) });
      const to = privateKeyToAccount(generatePrivateKey()).address;
      const wallet = createWalletClient({
        account: mnemonicToAccount(DEV_MNEMONIC, { addressIndex: 7 }),
        chain: etmChain(net.httpUrl, net.wsUrl),
        transport: http(net.httpUrl),
      });
      const hash = await wallet.sendTransaction({ to, value: 777n });
      await c1.waitForTransactionReceipt({ hash, timeout: 30_000 });
      await net.stop();
      const height = net.nodes[0]!.chain.headNumber;

      net = await devnet(dir.dir);
      expect(net.nodes[0]!.chain.headNumber).toBe(height);
      const c2 = createPublicClient({ transport: http(net.httpUrl) });
      expect(await c2.getBalance({ address: to })).toBe(777n);
      expect(
        await c2.getBalance({
          address: mnemonicToAccount(DEV_MNEMONIC, { addressIndex: 0 }).address,
        }),
      ).toBe(DEV_ACCOUNT_BALANCE);
      await waitForHeight(net, height + 2n);
      await net.stop();
    } finally {
      dir.remove();
    }
  });
});
