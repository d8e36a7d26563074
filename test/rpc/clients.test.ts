/**
 * The server as applications use it: viem (http and webSocket transports) and ethers v6
 * (JsonRpcProvider, which batches, and WebSocketProvider) against a real RpcServer.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  BaseError,
  ContractFunctionRevertedError,
  createPublicClient,
  defineChain,
  http,
  InvalidInputRpcError,
  parseAbi,
  parseAbiItem,
  webSocket,
  type Chain,
  type Hex,
} from 'viem';
import { privateKeyToAccount } from 'viem/accounts';
import {
  getAddress,
  isError,
  JsonRpcProvider,
  Transaction,
  Wallet,
  WebSocketProvider,
  type Log as EthersLog,
} from 'ethers';
import { toHex } from '../../src/crypto/bytes.js';
import {
  CHAIN_ID,
  DEV_ADDRESS,
  DEV_KEY,
  GWEI,
  OTHER_TOPIC,
  RECIPIENT,
  REVERTER,
  TOKEN,
  TRANSFER_TOPIC,
  VALIDATORS,
  type FakeBackend,
} from './fake-backend.js';
import { result, startServer, type TestServer } from './helpers.js';

const dev = DEV_ADDRESS as Hex;
const token = TOKEN as Hex;
const recipient = RECIPIENT as Hex;
/** viem and ethers hand addresses back EIP-55 checksummed. */
const devChecksummed = getAddress(DEV_ADDRESS);
const recipientChecksummed = getAddress(RECIPIENT);
const transferEvent = parseAbiItem(
  'event Transfer(address indexed from, address indexed to, uint256 value)',
);

/**
 * Resolves once `check` holds, looking again every few milliseconds. Gives up after many looks
 * with a message saying what never happened (a guard against hanging, not a timing check).
 */
function until(check: () => boolean, what: () => string): Promise<void> {
  return new Promise((resolve, reject) => {
    let looks = 0;
    const poll = (): void => {
      if (check()) resolve();
      else if (++looks > 4000) reject(new Error(`gave up waiting: ${what()}`));
      else setTimeout(poll, 5);
    };
    poll();
  });
}

/** A block with the fake's Transfer log (TOKEN, DEV_ADDRESS → RECIPIENT, value 1) and another. */
function emitTransfer(be: FakeBackend): void {
  be.emitHead((block) => {
    const tx = be.blocks[1]!.transactions[2]!;
    return [
      be.makeLog(block, tx, 0n, TOKEN, [TRANSFER_TOPIC, DEV_ADDRESS, RECIPIENT]),
      be.makeLog(block, tx, 1n, TOKEN, [OTHER_TOPIC]),
    ];
  });
}

describe('viem', () => {
  const etm = (httpUrl: string, wsUrl: string) =>
    defineChain({
      id: Number(CHAIN_ID),
      name: 'ETM/P test',
      nativeCurrency: { name: 'ETM', symbol: 'ETM', decimals: 18 },
      rpcUrls: { default: { http: [httpUrl], webSocket: [wsUrl] } },
    });
  const httpClient = (chain: Chain, url: string) =>
    createPublicClient({ chain, transport: http(url), cacheTime: 0 });
  let s: TestServer;
  let chain: Chain;
  let client: ReturnType<typeof httpClient>;

  beforeAll(async () => {
    s = await startServer();
    chain = etm(s.httpUrl, s.wsUrl);
    client = httpClient(chain, s.httpUrl);
  });
  afterAll(() => s.close());

  it('reads chain, blocks and state', async () => {
    expect(await client.getChainId()).toBe(4543565);
    expect(await client.getBlockNumber()).toBe(2n);
    const block = await client.getBlock({ blockNumber: 1n, includeTransactions: true });
    expect(block.number).toBe(1n);
    expect(block.hash).toBe(toHex(s.backend.blocks[1]!.hash));
    expect(block.transactions.map((tx) => [tx.type, tx.nonce, tx.from])).toEqual([
      ['legacy', 0, dev],
      ['eip2930', 1, dev],
      ['eip1559', 2, dev],
    ]);
    expect(block.transactions[2]).toMatchObject({
      maxFeePerGas: 20n * GWEI,
      maxPriorityFeePerGas: 2n * GWEI,
      gasPrice: 9n * GWEI,
      value: 5n,
      chainId: 4543565,
    });
    expect((await client.getBlock({ blockHash: block.hash })).transactions).toEqual(
      block.transactions.map((tx) => tx.hash),
    );
    for (const blockTag of ['latest', 'pending', 'safe', 'finalized'] as const) {
      expect((await client.getBlock({ blockTag })).number).toBe(2n);
    }
    expect((await client.getBlock({ blockTag: 'earliest' })).number).toBe(0n);
    expect(await client.getBlockTransactionCount({ blockNumber: 1n })).toBe(3);
    expect(await client.getBalance({ address: dev })).toBe(10n ** 24n);
    expect(await client.getBalance({ address: dev, blockNumber: 0n })).toBe(0n);
    expect(await client.getTransactionCount({ address: dev })).toBe(3);
    expect(await client.getCode({ address: token })).toBe('0x6080604052');
    expect(await client.getCode({ address: dev })).toBeUndefined();
    expect(await client.getStorageAt({ address: token, slot: '0x0' })).toBe(
      `0x${'2a'.padStart(64, '0')}`,
    );
  });

  it('fees and estimates', async () => {
    expect(await client.getGasPrice()).toBe(9n * GWEI);
    expect(await client.estimateMaxPriorityFeePerGas()).toBe(2n * GWEI);
    expect(await client.estimateFeesPerGas()).toEqual({
      // viem: 1.2 × the latest base fee + the suggested tip.
      maxFeePerGas: (7n * GWEI * 12n) / 10n + 2n * GWEI,
      maxPriorityFeePerGas: 2n * GWEI,
    });
    expect(await client.getFeeHistory({ blockCount: 2, rewardPercentiles: [25, 75] })).toEqual({
      oldestBlock: 1n,
      baseFeePerGas: [7n * GWEI, 7n * GWEI, 7n * GWEI],
      gasUsedRatio: [0.0021, 0],
      reward: [
        [25n * GWEI, 75n * GWEI],
        [25n * GWEI, 75n * GWEI],
      ],
    });
    expect(await client.estimateGas({ account: dev, to: token, data: '0x0102' })).toBe(21_032n);
    expect(await client.call({ account: dev, to: token, data: '0xabcd' })).toEqual({
      data: '0xabcd',
    });
  });

  it('decodes a revert reason', async () => {
    const error = await client
      .readContract({
        address: REVERTER as Hex,
        abi: parseAbi(['function f() view returns (uint256)']),
        functionName: 'f',
      })
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(BaseError);
    const reverted = (error as BaseError).walk((e) => e instanceof ContractFunctionRevertedError);
    expect((reverted as ContractFunctionRevertedError).reason).toBe('nope');
  });

  it('sends a signed transaction and reads it back, pending', async () => {
    const account = privateKeyToAccount(DEV_KEY as Hex);
    const serializedTransaction = await account.signTransaction({
      chainId: Number(CHAIN_ID),
      type: 'eip1559',
      nonce: 3,
      to: recipient,
      value: 1000n,
      gas: 21_000n,
      maxFeePerGas: 20n * GWEI,
      maxPriorityFeePerGas: GWEI,
    });
    const hash = await client.sendRawTransaction({ serializedTransaction });
    expect(hash).toBe(Transaction.from(serializedTransaction).hash);
    const tx = await client.getTransaction({ hash });
    expect(tx).toMatchObject({
      hash,
      from: dev,
      to: recipient,
      value: 1000n,
      nonce: 3,
      blockHash: null,
      blockNumber: null,
      transactionIndex: null,
      type: 'eip1559',
    });
    expect(await client.getTransactionCount({ address: dev, blockTag: 'pending' })).toBe(4);

    // A refusal keeps its code and message; viem classifies it.
    const error = await client
      .sendRawTransaction({ serializedTransaction })
      .catch((e: unknown) => e as BaseError);
    const rpc = (error as BaseError).walk((e) => e instanceof InvalidInputRpcError);
    expect(rpc).toBeInstanceOf(InvalidInputRpcError);
    expect((rpc as InvalidInputRpcError).code).toBe(-32000);
    expect((error as BaseError).details).toBe(`already known: transaction ${hash}`);
  });

  it('reads receipts and decoded logs', async () => {
    const hash = toHex(s.backend.blocks[1]!.transactions[2]!.hash);
    const receipt = await client.getTransactionReceipt({ hash });
    expect(receipt).toMatchObject({
      status: 'success',
      blockNumber: 1n,
      gasUsed: 21_000n,
      effectiveGasPrice: 9n * GWEI,
      type: 'eip1559',
      contractAddress: null,
    });
    expect(receipt.logs).toHaveLength(2);
    const logs = await client.getLogs({ address: token, event: transferEvent, fromBlock: 0n });
    expect(logs.map((l) => [l.blockNumber, l.logIndex, l.args])).toEqual([
      [1n, 0, { from: devChecksummed, to: recipientChecksummed, value: 1n }],
    ]);
    expect(
      await client.getLogs({ event: transferEvent, args: { to: dev }, fromBlock: 'earliest' }),
    ).toEqual([]);
  });

  it('webSocket transport: requests, watchBlocks (newHeads) and watchEvent (logs)', async () => {
    const ws = createPublicClient({ chain, transport: webSocket(s.wsUrl), cacheTime: 0 });
    expect(await ws.getChainId()).toBe(4543565);
    const head = await ws.getBlockNumber();

    const blocks: bigint[] = [];
    const unwatchBlocks = ws.watchBlocks({ onBlock: (b) => blocks.push(b.number) });
    const transfers: unknown[] = [];
    const unwatchLogs = ws.watchEvent({
      address: token,
      event: transferEvent,
      onLogs: (logs) => transfers.push(...logs.map((l) => l.args)),
    });
    await until(
      () => s.subscriptionCount() === 2,
      () => `subscriptions ${s.subscriptionCount()}`,
    );
    emitTransfer(s.backend);
    s.backend.emitHead();
    await until(
      () => blocks.length === 2 && transfers.length === 1,
      () => `blocks ${blocks.join()}, transfers ${transfers.length}`,
    );
    expect(blocks).toEqual([head + 1n, head + 2n]);
    expect(transfers).toEqual([{ from: devChecksummed, to: recipientChecksummed, value: 1n }]);

    unwatchBlocks();
    unwatchLogs();
    await until(
      () => s.subscriptionCount() === 0,
      () => `subscriptions ${s.subscriptionCount()}`,
    );
    expect(s.backend.listeners.size).toBe(0);
    expect(await ws.getChainId()).toBe(4543565); // the eth_unsubscribe replies are in too
    (await ws.transport.getRpcClient()).close();
  });
});

describe('ethers', () => {
  let s: TestServer;
  let provider: JsonRpcProvider;

  beforeAll(async () => {
    s = await startServer();
    provider = new JsonRpcProvider(s.httpUrl, undefined, { cacheTimeout: -1 });
  });
  afterAll(async () => {
    provider.destroy();
    await s.close();
  });

  it('reads chain, blocks and state (requests go out as batches)', async () => {
    const [network, number, block, balance, nonce, code, slot] = await Promise.all([
      provider.getNetwork(),
      provider.getBlockNumber(),
      provider.getBlock(1, true),
      provider.getBalance(DEV_ADDRESS),
      provider.getTransactionCount(DEV_ADDRESS, 'latest'),
      provider.getCode(TOKEN),
      provider.getStorage(TOKEN, 0),
    ]);
    expect(network.chainId).toBe(CHAIN_ID);
    expect(number).toBe(2);
    expect(block!.hash).toBe(toHex(s.backend.blocks[1]!.hash));
    expect(block!.miner).toBe(VALIDATORS[1]);
    expect(block!.prefetchedTransactions.map((tx) => [tx.type, tx.nonce])).toEqual([
      [0, 0],
      [1, 1],
      [2, 2],
    ]);
    // ethers rebuilds each transaction's signature from v, r, s and yParity.
    for (const tx of block!.prefetchedTransactions) {
      const rebuilt = Transaction.from(tx);
      expect(rebuilt.hash).toBe(tx.hash);
      expect(rebuilt.from).toBe(tx.from);
    }
    expect(balance).toBe(10n ** 24n);
    expect(nonce).toBe(3);
    expect(code).toBe('0x6080604052');
    expect(slot).toBe(`0x${'2a'.padStart(64, '0')}`);
    for (const tag of ['finalized', 'safe', 'earliest', 'pending'] as const) {
      expect((await provider.getBlock(tag))!.number).toBe(tag === 'earliest' ? 0 : 2);
    }
  });

  it('fee data, estimates and calls', async () => {
    expect(await provider.getFeeData()).toMatchObject({
      gasPrice: 9n * GWEI,
      maxPriorityFeePerGas: 2n * GWEI,
      // ethers: 2 × the latest base fee + the tip.
      maxFeePerGas: 2n * 7n * GWEI + 2n * GWEI,
    });
    expect(await provider.estimateGas({ from: DEV_ADDRESS, to: TOKEN, data: '0x01' })).toBe(
      21_016n,
    );
    expect(await provider.call({ from: DEV_ADDRESS, to: TOKEN, data: '0xbeef' })).toBe('0xbeef');
    const error = await provider.call({ to: REVERTER, data: '0x' }).catch((e: unknown) => e);
    expect(isError(error, 'CALL_EXCEPTION')).toBe(true);
    expect((error as { reason: string }).reason).toBe('nope');
  });

  it('broadcasts a signed transaction; refusals map to ethers error codes', async () => {
    const wallet = new Wallet(DEV_KEY, provider);
    const signed = await wallet.signTransaction({
      type: 2,
      chainId: CHAIN_ID,
      nonce: 3,
      to: RECIPIENT,
      value: 9n,
      gasLimit: 21_000n,
      maxFeePerGas: 20n * GWEI,
      maxPriorityFeePerGas: GWEI,
    });
    // ethers compares the returned hash with the one it computes.
    const response = await provider.broadcastTransaction(signed);
    expect(response.hash).toBe(Transaction.from(signed).hash);
    const fetched = await provider.getTransaction(response.hash);
    expect(fetched).toMatchObject({ blockNumber: null, nonce: 3, value: 9n, from: wallet.address });
    expect(await provider.getTransactionCount(DEV_ADDRESS, 'pending')).toBe(4);

    const stale = await wallet.signTransaction({
      type: 2,
      chainId: CHAIN_ID,
      nonce: 0,
      to: RECIPIENT,
      gasLimit: 21_000n,
      maxFeePerGas: 20n * GWEI,
      maxPriorityFeePerGas: GWEI,
    });
    const error = await provider.broadcastTransaction(stale).catch((e: unknown) => e);
    expect(isError(error, 'NONCE_EXPIRED')).toBe(true);
    const wrongChain = await wallet.signTransaction({
      type: 2,
      chainId: 1n,
      nonce: 4,
      to: RECIPIENT,
      gasLimit: 21_000n,
      maxFeePerGas: 20n * GWEI,
      maxPriorityFeePerGas: GWEI,
    });
    const chainError = await provider.broadcastTransaction(wrongChain).catch((e: unknown) => e);
    expect((chainError as { error: { code: number; message: string } }).error).toMatchObject({
      code: -32000,
      message: 'invalid chain id: expected 4543565, got 1',
    });
  });

  it('receipts and logs', async () => {
    const hash = toHex(s.backend.blocks[1]!.transactions[2]!.hash);
    const receipt = await provider.getTransactionReceipt(hash);
    expect(receipt).toMatchObject({ status: 1, blockNumber: 1, index: 2, gasUsed: 21_000n });
    expect(receipt!.logs.map((l) => l.topics[0])).toEqual([TRANSFER_TOPIC, OTHER_TOPIC]);
    const logs = await provider.getLogs({ fromBlock: 0, address: TOKEN, topics: [TRANSFER_TOPIC] });
    expect(logs.map((l) => [l.blockNumber, l.index, l.transactionHash])).toEqual([[1, 0, hash]]);
  });

  it('WebSocketProvider: block and log events come from subscriptions', async () => {
    const ws = new WebSocketProvider(s.wsUrl);
    try {
      expect(await ws.getBlockNumber()).toBe(2);
      const blocks: number[] = [];
      const logs: EthersLog[] = [];
      await ws.on('block', (n: number) => blocks.push(n));
      await ws.on({ address: TOKEN, topics: [TRANSFER_TOPIC] }, (log: EthersLog) => logs.push(log));
      await until(
        () => s.subscriptionCount() === 2,
        () => `subscriptions ${s.subscriptionCount()}`,
      );
      emitTransfer(s.backend);
      await until(
        () => blocks.length === 1 && logs.length === 1,
        () => `blocks ${blocks.join()}, logs ${logs.length}`,
      );
      expect(blocks).toEqual([3]);
      expect(logs[0]).toMatchObject({ address: getAddress(TOKEN), index: 0 });
      expect(logs[0]!.topics).toEqual([
        TRANSFER_TOPIC,
        `0x${DEV_ADDRESS.slice(2).padStart(64, '0')}`,
        `0x${RECIPIENT.slice(2).padStart(64, '0')}`,
      ]);
      await ws.removeAllListeners();
      await until(
        () => s.subscriptionCount() === 0,
        () => `subscriptions ${s.subscriptionCount()}`,
      );
      expect(s.backend.listeners.size).toBe(0);
      // Replies come in order: once this one is in, so are those to the eth_unsubscribe calls
      // (destroying the provider before would leave ethers with cancelled requests).
      expect(await ws.send('eth_chainId', [])).toBe('0x45544d');
    } finally {
      await ws.destroy();
    }
    expect(await result(s.httpUrl, 'eth_chainId')).toBe('0x45544d');
  });
});
