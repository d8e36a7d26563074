/**
 * What dApp tools expect of the RPC, against a real devnet: a browser origin (CORS), viem's
 * default batch, polled filters as ethers uses them, pending transactions over WebSocket, the
 * pool, EIP-1186 proofs checked by an independent verifier, and the devnet's dev accounts used
 * through viem's JSON-RPC account and ethers' JsonRpcSigner.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  createPublicClient,
  createWalletClient,
  http,
  parseEther,
  verifyMessage,
  verifyTypedData,
  webSocket,
  type Hex,
  type PublicClient,
} from 'viem';
import { generatePrivateKey, privateKeyToAccount } from 'viem/accounts';
import { JsonRpcProvider, verifyMessage as ethersVerifyMessage, type Log } from 'ethers';
import { verifyMerkleProof } from '@ethereumjs/mpt';
import { fromHex, toHex } from '../../src/crypto/bytes.js';
import { keccak256 } from '../../src/crypto/keccak.js';
import { asBytes, rlpDecode } from '../../src/codec/rlp.js';
import { decodeAccount } from '../../src/state/account.js';
import { STAKING_ADDRESS } from '../../src/primitives/system-addresses.js';
import { STAKING_ABI } from '../../src/staking/abi.js';
import { slot } from '../../src/state/records.js';
import { DEV_ACCOUNT_BALANCE, type Devnet } from '../../src/node/devnet.js';
import { NodeRpcBackend } from '../../src/node/rpc-backend.js';
import { RpcHandler } from '../../src/rpc/handler.js';
import { devnet, etmChain, tempDir, waitForHeight } from './helpers.js';

const APP = 'http://localhost:5173';
const tmp = tempDir();
let d: Devnet;
let client: PublicClient;
let chain: ReturnType<typeof etmChain>;
const staking = toHex(STAKING_ADDRESS);

const rpc = async (body: unknown, headers: Record<string, string> = {}) => {
  const res = await fetch(d.httpUrl, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...headers },
    body: JSON.stringify(body),
  });
  return { res, body: (await res.json()) as unknown };
};
const call = async <T>(method: string, params: unknown[] = []): Promise<T> => {
  const { body } = await rpc({ jsonrpc: '2.0', id: 1, method, params });
  const reply = body as { result?: T; error?: { code: number; message: string } };
  if (reply.error) throw Object.assign(new Error(reply.error.message), reply.error);
  return reply.result as T;
};
const errorOf = async (method: string, params: unknown[] = []) =>
  ((await rpc({ jsonrpc: '2.0', id: 1, method, params })).body as { error: unknown }).error;

beforeAll(async () => {
  d = await devnet(tmp.dir, { validators: 1, blockTimeMs: 300, rpcCors: [APP] });
  chain = etmChain(d.httpUrl, d.wsUrl);
  client = createPublicClient({ chain, transport: http(d.httpUrl) });
  await waitForHeight(d, 1n);
});

afterAll(async () => {
  await d?.stop();
  tmp.remove();
});

describe('browsers', () => {
  it('a page of an allowed origin reads replies after its preflight; other origins cannot', async () => {
    const preflight = await fetch(d.httpUrl, {
      method: 'OPTIONS',
      headers: {
        origin: APP,
        'access-control-request-method': 'POST',
        'access-control-request-headers': 'content-type',
      },
    });
    expect(preflight.status).toBe(204);
    expect(preflight.headers.get('access-control-allow-origin')).toBe(APP);
    expect(preflight.headers.get('access-control-allow-methods')).toBe('POST, OPTIONS');
    expect(preflight.headers.get('access-control-allow-headers')).toBe('content-type');
    const allowed = await rpc({ jsonrpc: '2.0', id: 1, method: 'eth_chainId' }, { origin: APP });
    expect(allowed.res.headers.get('access-control-allow-origin')).toBe(APP);
    expect(allowed.body).toMatchObject({ result: '0x45544d' });
    const other = await rpc(
      { jsonrpc: '2.0', id: 1, method: 'eth_chainId' },
      { origin: 'https://evil.example' },
    );
    expect(other.res.headers.get('access-control-allow-origin')).toBeNull();
  });
});

describe('batches', () => {
  it("viem's default batch (up to 1,000 requests) is served; 1,001 is geth's error", async () => {
    const batched = createPublicClient({ chain, transport: http(d.httpUrl, { batch: true }) });
    const who = d.accounts[3]!.checksumAddress as Hex;
    const balances = await Promise.all(
      Array.from({ length: 1000 }, () => batched.getBalance({ address: who })),
    );
    expect(new Set(balances.map(String)).size).toBe(1);
    const over = Array.from({ length: 1001 }, (_, i) => ({
      jsonrpc: '2.0',
      id: i + 1,
      method: 'eth_chainId',
    }));
    expect((await rpc(over)).body).toEqual([
      { jsonrpc: '2.0', id: 1, error: { code: -32600, message: 'batch too large' } },
    ]);
  });
});

describe('logs', () => {
  it('eth_getLogs with a range past the head errs as geth does', async () => {
    const head = await client.getBlockNumber();
    await expect(client.getLogs({ fromBlock: 0n, toBlock: head + 100n })).rejects.toThrow(
      /block range extends beyond current head block/,
    );
    expect(await errorOf('eth_getLogs', [{ fromBlock: toQuantity(head + 100n) }])).toEqual({
      code: -32602,
      message: 'invalid block range params',
    });
  });
});

function toQuantity(n: bigint): string {
  return `0x${n.toString(16)}`;
}

describe('dev accounts (etm devnet only)', () => {
  it('eth_accounts lists the dev accounts; a configured node has none and no signing methods', async () => {
    expect(await call('eth_accounts')).toEqual(d.accounts.map((a) => toHex(a.address)));
    const plain = new RpcHandler({ backend: new NodeRpcBackend(d.nodes[0]!) });
    expect(await plain.call('eth_accounts', [])).toEqual([]);
    for (const m of ['eth_sendTransaction', 'eth_sign', 'personal_sign', 'evm_mine'])
      expect(plain.methodNames).not.toContain(m);
    expect(plain.methodNames).not.toContain('anvil_setBalance');
  });

  it('viem walletClient with a JSON-RPC account: transfers, a staking call, messages and typed data', async () => {
    const [address] = await createWalletClient({
      chain,
      transport: http(d.httpUrl),
    }).getAddresses();
    const wallet = createWalletClient({ account: address!, chain, transport: http(d.httpUrl) });
    const to = privateKeyToAccount(generatePrivateKey()).address;
    const hash = await wallet.sendTransaction({ to, value: parseEther('1.5') });
    const receipt = await client.waitForTransactionReceipt({ hash, timeout: 30_000 });
    expect(receipt.status).toBe('success');
    expect(receipt.from.toLowerCase()).toBe(address!.toLowerCase());
    expect(await client.getBalance({ address: to })).toBe(parseEther('1.5'));

    const lock = await wallet.writeContract({
      address: staking,
      abi: STAKING_ABI,
      functionName: 'lock',
      args: [parseEther('2000'), '0x0000000000000000000000000000000000000000'],
    });
    const locked = await client.waitForTransactionReceipt({ hash: lock, timeout: 30_000 });
    expect(locked.status).toBe('success');
    expect(locked.logs.length).toBeGreaterThan(0);

    const signature = await wallet.signMessage({ message: 'hello etm' });
    expect(await verifyMessage({ address: address!, message: 'hello etm', signature })).toBe(true);
    const typed = {
      domain: { name: 'Mail', version: '1', chainId: 4543565, verifyingContract: staking },
      types: {
        Person: [
          { name: 'name', type: 'string' },
          { name: 'wallet', type: 'address' },
        ],
        Mail: [
          { name: 'from', type: 'Person' },
          { name: 'contents', type: 'string' },
          { name: 'amount', type: 'uint256' },
        ],
      },
      primaryType: 'Mail' as const,
      message: { from: { name: 'Ann', wallet: to }, contents: 'hi', amount: 10n ** 30n },
    };
    const typedSig = await wallet.signTypedData(typed);
    expect(await verifyTypedData({ address: address!, signature: typedSig, ...typed })).toBe(true);
    // Only the dev accounts sign.
    expect(await errorOf('eth_sendTransaction', [{ from: to, to, value: '0x1' }])).toEqual({
      code: -32000,
      message: 'unknown account',
    });
  });

  it("ethers' JsonRpcSigner: sends, signs messages (personal_sign) and typed data", async () => {
    const provider = new JsonRpcProvider(d.httpUrl, undefined, { staticNetwork: true });
    try {
      const signer = await provider.getSigner(2);
      expect(signer.address).toBe(d.accounts[2]!.checksumAddress);
      const to = privateKeyToAccount(generatePrivateKey()).address;
      const tx = await signer.sendTransaction({ to, value: 12345n });
      const receipt = await tx.wait(1, 30_000);
      expect(receipt!.status).toBe(1);
      expect(await provider.getBalance(to)).toBe(12345n);
      const sig = await signer.signMessage('from ethers');
      expect(ethersVerifyMessage('from ethers', sig)).toBe(signer.address);
      const domain = { name: 'T', version: '1', chainId: 4543565 };
      const types = { Vote: [{ name: 'choice', type: 'uint8' }] };
      const typedSig = await signer.signTypedData(domain, types, { choice: 3 });
      expect(
        await verifyTypedData({
          address: signer.address as Hex,
          domain,
          types,
          primaryType: 'Vote',
          message: { choice: 3 },
          signature: typedSig as Hex,
        }),
      ).toBe(true);
    } finally {
      provider.destroy();
    }
  });

  it('evm_mine waits for the next block; balances are set by transfers', async () => {
    const before = BigInt(await call<string>('eth_blockNumber'));
    expect(await call('evm_mine')).toBe('0x0');
    expect(BigInt(await call<string>('eth_blockNumber'))).toBeGreaterThan(before);

    const fresh = privateKeyToAccount(generatePrivateKey()).address;
    expect(await call('anvil_setBalance', [fresh, toQuantity(parseEther('5'))])).toBeNull();
    expect(await client.getBalance({ address: fresh })).toBe(parseEther('5'));
    // Lowering needs the account's key: a dev account.
    const dev = d.accounts[5]!.checksumAddress;
    expect(await call('hardhat_setBalance', [dev, toQuantity(parseEther('7'))])).toBe(true);
    expect(await client.getBalance({ address: dev as Hex })).toBe(parseEther('7'));
    expect(await call('hardhat_setBalance', [dev, toQuantity(DEV_ACCOUNT_BALANCE)])).toBe(true);
    expect(await client.getBalance({ address: dev as Hex })).toBe(DEV_ACCOUNT_BALANCE);
    expect(await errorOf('anvil_setBalance', [fresh, '0x0'])).toEqual({
      code: -32000,
      message: 'cannot lower the balance of an account the devnet holds no key for',
    });
    // Bad requests are -32602 and change nothing.
    const dev0 = d.accounts[0]!.checksumAddress;
    expect(await errorOf('evm_mine', ['0x5f5e1000'])).toEqual({
      code: -32602,
      message: 'invalid argument 0 (timestamp): block times are set by consensus, not by request',
    });
    expect(await errorOf('eth_sendTransaction', [{ to: dev0, value: '0x1' }])).toEqual({
      code: -32602,
      message: 'invalid argument 0 (transaction): missing "from"',
    });
    expect(await errorOf('eth_signTypedData_v4', [dev0, '{"types":'])).toEqual({
      code: -32602,
      message: 'invalid argument 1 (typed data): not JSON',
    });
    expect(
      await errorOf('eth_signTypedData_v4', [
        dev0,
        { types: {}, primaryType: 'Nope', message: {} },
      ]),
    ).toMatchObject({
      code: -32602,
    });
    expect(await errorOf('eth_sign', [fresh, '0x00'])).toEqual({
      code: -32000,
      message: 'unknown account',
    });
    // Snapshots: test/e2e/dev-snapshot.test.ts. An unknown id is false, as in Hardhat.
    expect(await call('evm_revert', ['0x7fff'])).toBe(false);
  });
});

describe('filters and pending transactions', () => {
  it("ethers' provider.on('block'), on('pending') and a contract-less log filter are served by polled filters", async () => {
    const provider = new JsonRpcProvider(d.httpUrl, undefined, {
      staticNetwork: true,
      polling: false,
      pollingInterval: 100,
    });
    provider.pollingInterval = 100;
    try {
      const blocks: number[] = [];
      const pending: string[] = [];
      const logs: Log[] = [];
      await provider.on('block', (n: number) => blocks.push(n));
      await provider.on('pending', (h: string) => pending.push(h));
      await provider.on({ address: staking }, (log: Log) => logs.push(log));
      const wallet = createWalletClient({
        account: d.accounts[4]!.checksumAddress as Hex,
        chain,
        transport: http(d.httpUrl),
      });
      // ethers installs its filters (eth_newPendingTransactionFilter, eth_newFilter) when it
      // starts polling, in the background: lock until a lock made after that is seen by both.
      const sent: string[] = [];
      let hash = '';
      await until(async () => {
        sent.push(
          await wallet.writeContract({
            address: staking,
            abi: STAKING_ABI,
            functionName: 'lock',
            args: [parseEther('3000'), '0x0000000000000000000000000000000000000000'],
          }),
        );
        await new Promise((r) => setTimeout(r, 500));
        hash =
          sent.find((h) => pending.includes(h) && logs.some((l) => l.transactionHash === h)) ?? '';
        return hash !== '';
      });
      expect(blocks.length).toBeGreaterThan(0);
      const log = logs.find((l) => l.transactionHash === hash)!;
      expect(log.address.toLowerCase()).toBe(staking.toLowerCase());
    } finally {
      provider.destroy();
    }
  });

  it('viem watchPendingTransactions over WebSocket (newPendingTransactions)', async () => {
    const live = createPublicClient({ chain, transport: webSocket(d.wsUrl) });
    const seen: string[] = [];
    const unwatch = live.watchPendingTransactions({ onTransactions: (h) => seen.push(...h) });
    try {
      const wallet = createWalletClient({
        account: d.accounts[6]!.checksumAddress as Hex,
        chain,
        transport: http(d.httpUrl),
      });
      // viem subscribes in the background: send until a transaction sent after that is seen.
      const sent: string[] = [];
      await until(async () => {
        sent.push(await wallet.sendTransaction({ to: wallet.account.address, value: 1n }));
        await new Promise((r) => setTimeout(r, 300));
        return seen.some((h) => sent.includes(h));
      });
    } finally {
      unwatch();
      await (await live.transport.getRpcClient()).close();
    }
  });

  it('txpool_status and txpool_content see a transaction between its admission and its block', async () => {
    const from = d.accounts[7]!;
    const signer = privateKeyToAccount(toHex(from.privateKey));
    const nonce = await client.getTransactionCount({ address: signer.address });
    const raw = await signer.signTransaction({
      chainId: 4543565,
      type: 'eip1559',
      nonce,
      gas: 21_000n,
      maxFeePerGas: parseEther('0.0001'),
      maxPriorityFeePerGas: 10n ** 9n,
      to: signer.address,
      value: 1n,
    });
    // One batch runs in one go: no block can commit between its requests.
    const { body } = await rpc([
      { jsonrpc: '2.0', id: 1, method: 'eth_sendRawTransaction', params: [raw] },
      { jsonrpc: '2.0', id: 2, method: 'txpool_status', params: [] },
      { jsonrpc: '2.0', id: 3, method: 'txpool_content', params: [] },
    ]);
    const [sent, status, content] = body as { result: never }[];
    const hash = (sent as unknown as { result: string }).result;
    expect(
      Number((status as unknown as { result: { pending: string } }).result.pending),
    ).toBeGreaterThan(0);
    const pool = (
      content as unknown as {
        result: { pending: Record<string, Record<string, { hash: string }>> };
      }
    ).result;
    expect(pool.pending[from.checksumAddress]![String(nonce)]!.hash).toBe(hash);
  });
});

describe('proofs', () => {
  it('eth_getProof: account, absent account and a staking record, checked by @ethereumjs/mpt', async () => {
    const block = await client.getBlock();
    const root = fromHex(block.stateRoot);
    const check = async (address: Uint8Array, slots: Uint8Array[]) => {
      const p = await call<{
        accountProof: Hex[];
        balance: Hex;
        nonce: Hex;
        codeHash: Hex;
        storageHash: Hex;
        storageProof: { key: Hex; value: Hex; proof: Hex[] }[];
        locked: Hex;
      }>('eth_getProof', [toHex(address), slots.map(toHex), toQuantity(block.number)]);
      const leaf = await verifyMerkleProof(keccak256(address), p.accountProof.map(fromHex), {
        root,
      });
      if (leaf === null) {
        expect([p.balance, p.nonce, p.locked]).toEqual(['0x0', '0x0', '0x0']);
      } else {
        const account = decodeAccount(leaf);
        expect(BigInt(p.balance)).toBe(account.balance);
        expect(BigInt(p.nonce)).toBe(account.nonce);
        expect(BigInt(p.locked)).toBe(account.locked);
        expect(p.storageHash).toBe(toHex(account.storageRoot));
        expect(p.codeHash).toBe(toHex(account.codeHash));
      }
      const values: bigint[] = [];
      for (const s of p.storageProof) {
        const stored = await verifyMerkleProof(keccak256(fromHex(s.key)), s.proof.map(fromHex), {
          root: fromHex(p.storageHash),
        });
        const value = stored === null ? 0n : BigInt(toHex(asBytes(rlpDecode(stored), 'value')));
        expect(BigInt(s.value)).toBe(value);
        values.push(value);
      }
      return { p, values };
    };
    const dev = await check(d.accounts[0]!.address, []);
    expect(BigInt(dev.p.balance)).toBe(
      await client.getBalance({
        address: d.accounts[0]!.checksumAddress as Hex,
        blockNumber: block.number,
      }),
    );
    const absent = await check(fromHex(privateKeyToAccount(generatePrivateKey()).address), []);
    expect(absent.p.accountProof.length).toBeGreaterThan(0);
    const record = await check(STAKING_ADDRESS, [slot('econ'), slot('no such record')]);
    expect(record.values[0]).not.toBe(0n);
    expect(record.values[1]).toBe(0n);
    // A proof that does not lead to the root is refused by the verifier.
    const forged = [...dev.p.accountProof.map(fromHex)];
    forged[forged.length - 1] = fromHex('0xc0');
    await expect(
      verifyMerkleProof(keccak256(d.accounts[0]!.address), forged, { root }),
    ).rejects.toThrow();
  });
});

/** Polls `done` until it holds (bounded: vitest's own timeout ends a test that never gets there). */
async function until(done: () => boolean | Promise<boolean>): Promise<void> {
  while (!(await done())) await new Promise((r) => setTimeout(r, 50));
}
