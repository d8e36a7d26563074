/**
 * The RPC a dApp developer debugs with, against a real devnet through viem and ethers: eth_call
 * and eth_estimateGas with state overrides, eth_createAccessList (its list used in a real
 * transaction costs exactly the gas it reported), and debug_traceTransaction /
 * debug_traceCall with the call tracer and geth's struct logs.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  createPublicClient,
  createWalletClient,
  decodeFunctionResult,
  defineChain,
  encodeFunctionData,
  http,
  keccak256 as viemKeccak,
  parseEther,
  toHex as viemHex,
  type Hex,
  type PublicClient,
  type WalletClient,
} from 'viem';
import { mnemonicToAccount } from 'viem/accounts';
import { ethers } from 'ethers';
import { toHex } from '../../src/crypto/bytes.js';
import { DEV_MNEMONIC } from '../../src/crypto/mnemonic.js';
import { MULTICALL3_ADDRESS } from '../../src/execution/evm/addresses.js';
import { STAKING_ADDRESS } from '../../src/primitives/system-addresses.js';
import type { Devnet } from '../../src/node/devnet.js';
import { compile } from '../evm/solidity.js';
import { devnet, tempDir } from './helpers.js';

const tmp = tempDir();
let d: Devnet;
let client: PublicClient;
let wallet: WalletClient;
let provider: ethers.JsonRpcProvider;
const alice = mnemonicToAccount(DEV_MNEMONIC, { addressIndex: 0 });
const bob = mnemonicToAccount(DEV_MNEMONIC, { addressIndex: 1 });
const basics = compile('Basics.sol');
const counterAbi = basics.Counter!.abi;
const factoryAbi = basics.Factory!.abi;
let counter: Hex;
let factory: Hex;

const rpc = async <T>(method: string, params: unknown[]): Promise<T> => {
  const res = await fetch(d.httpUrl, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ jsonrpc: '2.0', id: 1, method, params }),
  });
  const reply = (await res.json()) as { result?: T; error?: { code: number; message: string } };
  if (reply.error) throw Object.assign(new Error(reply.error.message), reply.error);
  return reply.result as T;
};
const rpcError = (method: string, params: unknown[]) =>
  rpc(method, params).then(
    () => {
      throw new Error('expected an error');
    },
    (e: { code: number; message: string }) => ({ code: e.code, message: e.message }),
  );

async function deploy(name: string, args: unknown[] = []): Promise<Hex> {
  const c = basics[name]!;
  const hash = await wallet.deployContract({
    abi: c.abi,
    bytecode: c.bytecode,
    args,
    account: alice,
    chain: wallet.chain,
  });
  const receipt = await client.waitForTransactionReceipt({ hash });
  expect(receipt.status).toBe('success');
  return receipt.contractAddress!;
}

beforeAll(async () => {
  d = await devnet(tmp.dir, { validators: 1, blockTimeMs: 250 });
  const chain = defineChain({
    id: 4543565,
    name: 'ETM/P devnet',
    nativeCurrency: { name: 'ETM', symbol: 'ETM', decimals: 18 },
    rpcUrls: { default: { http: [d.httpUrl] } },
  });
  client = createPublicClient({ chain, transport: http(d.httpUrl), pollingInterval: 100 });
  wallet = createWalletClient({ chain, account: alice, transport: http(d.httpUrl) });
  provider = new ethers.JsonRpcProvider(d.httpUrl, 4543565, { staticNetwork: true });
  counter = await deploy('Counter', [7n]);
  factory = await deploy('Factory');
}, 60_000);

afterAll(async () => {
  provider?.destroy();
  await d?.stop();
  tmp.remove();
});

describe('state overrides', () => {
  it('viem reads a contract with a storage slot, a balance and code overridden', async () => {
    const count = () =>
      client.readContract({ address: counter, abi: counterAbi, functionName: 'count' });
    expect(await count()).toBe(7n);
    const slot0 = viemHex(0n, { size: 32 });
    const { data } = await client.call({
      to: counter,
      data: encodeFunctionData({ abi: counterAbi, functionName: 'count' }),
      stateOverride: [
        { address: counter, stateDiff: [{ slot: slot0, value: viemHex(41n, { size: 32 }) }] },
      ],
    });
    expect(BigInt(data!)).toBe(41n);
    // Code at an empty address: a fresh Counter whose storage is empty.
    const elsewhere = '0x00000000000000000000000000000000000c0de0' as Hex;
    const r = await client.call({
      to: elsewhere,
      data: encodeFunctionData({ abi: counterAbi, functionName: 'count' }),
      stateOverride: [{ address: elsewhere, code: basics.Counter!.deployedBytecode }],
    });
    expect(BigInt(r.data!)).toBe(0n);
    // A balance override seen by Multicall3's getEthBalance.
    const mc = toHex(MULTICALL3_ADDRESS) as Hex;
    const getEthBalance = [
      {
        type: 'function',
        name: 'getEthBalance',
        stateMutability: 'view',
        inputs: [{ name: 'addr', type: 'address' }],
        outputs: [{ name: 'balance', type: 'uint256' }],
      },
    ] as const;
    const b = await client.call({
      to: mc,
      data: encodeFunctionData({
        abi: getEthBalance,
        functionName: 'getEthBalance',
        args: [bob.address],
      }),
      stateOverride: [{ address: bob.address, balance: 12345n }],
    });
    expect(BigInt(b.data!)).toBe(12345n);
    // Nothing changed on the chain.
    expect(await count()).toBe(7n);
  });

  it('`state` replaces the whole storage; ethers sends the override as the third argument', async () => {
    const data = encodeFunctionData({
      abi: counterAbi,
      functionName: 'byCaller',
      args: [alice.address],
    });
    // byCaller (slot 1) has no entry for alice: give her one, then wipe the whole storage.
    const mapSlot = viemKeccak(
      `0x${alice.address.slice(2).toLowerCase().padStart(64, '0')}${'1'.padStart(64, '0')}` as Hex,
    );
    const withEntry = await provider.send('eth_call', [
      { to: counter, data },
      'latest',
      { [counter]: { stateDiff: { [mapSlot]: viemHex(5n, { size: 32 }) } } },
    ]);
    expect(BigInt(withEntry as string)).toBe(5n);
    const wiped = await provider.send('eth_call', [
      { to: counter, data: encodeFunctionData({ abi: counterAbi, functionName: 'count' }) },
      'latest',
      { [counter]: { state: {} } },
    ]);
    expect(BigInt(wiped as string)).toBe(0n);
  });

  it('eth_estimateGas runs with overrides: a call that reverts without one succeeds with it', async () => {
    const data = encodeFunctionData({ abi: counterAbi, functionName: 'increment' });
    const elsewhere = '0x00000000000000000000000000000000000c0de1' as Hex;
    // No code there: a plain call.
    expect(await client.estimateGas({ account: alice.address, to: elsewhere, data })).toBeLessThan(
      30_000n,
    );
    const gas = await rpc<Hex>('eth_estimateGas', [
      { from: alice.address, to: elsewhere, data },
      'latest',
      { [elsewhere]: { code: basics.Counter!.deployedBytecode } },
    ]);
    // Two fresh SSTOREs (count, byCaller) and an event: well above a transfer.
    expect(BigInt(gas)).toBeGreaterThan(60_000n);
  });

  it('eth_estimateGas and eth_call skip the nonce check, as geth: a nonce ahead is estimated', async () => {
    const nonce = await client.getTransactionCount({ address: alice.address });
    const data = encodeFunctionData({ abi: counterAbi, functionName: 'increment' });
    const at = async (n: number) =>
      BigInt(
        await rpc<Hex>('eth_estimateGas', [
          { from: alice.address, to: counter, data, nonce: viemHex(n) },
        ]),
      );
    expect(await at(nonce + 3)).toBe(await at(nonce));
    // A creation with a nonce ahead runs too.
    const deployed = await rpc<Hex>('eth_call', [
      {
        from: alice.address,
        // The constructor's argument: start = 0.
        data: basics.Counter!.bytecode + '0'.repeat(64),
        nonce: viemHex(nonce + 3),
      },
    ]);
    expect(deployed).toBe(basics.Counter!.deployedBytecode);
  });

  it('refuses system accounts, both state and stateDiff, and oversized overrides', async () => {
    const call = { to: counter, data: '0x06661abd' };
    const sys = await rpcError('eth_call', [
      call,
      'latest',
      { [toHex(STAKING_ADDRESS)]: { balance: '0x1' } },
    ]);
    expect(sys.code).toBe(-32602);
    expect(sys.message).toMatch(/system account.*cannot be overridden/);
    const both = await rpcError('eth_call', [
      call,
      'latest',
      { [counter]: { state: {}, stateDiff: {} } },
    ]);
    expect(both.message).toMatch(/both 'state' and 'stateDiff'/);
    const many: Record<string, unknown> = {};
    for (let i = 1; i <= 101; i++) many[viemHex(i, { size: 20 })] = { balance: '0x1' };
    expect((await rpcError('eth_call', [call, 'latest', many])).message).toMatch(
      /more than 100 accounts/,
    );
    const typo = await rpcError('eth_call', [call, 'latest', { [counter]: { balanse: '0x1' } }]);
    expect(typo.message).toMatch(/unknown field "balanse"/);
  });
});

describe('eth_createAccessList', () => {
  it('lists what a call through Multicall3 touches; a transaction with the list costs the gas it reported', async () => {
    const mc = toHex(MULTICALL3_ADDRESS) as Hex;
    const aggregate3 = [
      {
        type: 'function',
        name: 'aggregate3',
        stateMutability: 'payable',
        inputs: [
          {
            name: 'calls',
            type: 'tuple[]',
            components: [
              { name: 'target', type: 'address' },
              { name: 'allowFailure', type: 'bool' },
              { name: 'callData', type: 'bytes' },
            ],
          },
        ],
        outputs: [
          {
            name: 'returnData',
            type: 'tuple[]',
            components: [
              { name: 'success', type: 'bool' },
              { name: 'returnData', type: 'bytes' },
            ],
          },
        ],
      },
    ] as const;
    const data = encodeFunctionData({
      abi: aggregate3,
      functionName: 'aggregate3',
      args: [
        [
          {
            target: counter,
            allowFailure: false,
            callData: encodeFunctionData({ abi: counterAbi, functionName: 'increment' }),
          },
        ],
      ],
    });
    const r = await client.createAccessList({ account: alice.address, to: mc, data });
    expect(r.accessList).toHaveLength(1);
    expect(r.accessList[0]!.address.toLowerCase()).toBe(counter.toLowerCase());
    // count (slot 0) and byCaller[multicall]
    expect(r.accessList[0]!.storageKeys).toHaveLength(2);
    expect(r.accessList[0]!.storageKeys).toContain(viemHex(0n, { size: 32 }));
    const hash = await wallet.sendTransaction({
      account: alice,
      chain: wallet.chain,
      to: mc,
      data,
      accessList: r.accessList,
      gas: r.gasUsed + 10_000n,
    });
    const receipt = await client.waitForTransactionReceipt({ hash });
    expect(receipt.status).toBe('success');
    expect(receipt.gasUsed).toBe(r.gasUsed);
  });

  it('says why the call fails with the list (error), as geth does', async () => {
    const r = await rpc<{ accessList: unknown[]; gasUsed: Hex; error?: string }>(
      'eth_createAccessList',
      [
        {
          from: alice.address,
          to: counter,
          data: encodeFunctionData({ abi: counterAbi, functionName: 'add', args: [13n] }),
        },
        'latest',
      ],
    );
    expect(r.error).toBe('execution reverted');
    expect(BigInt(r.gasUsed)).toBeGreaterThan(21_000n);
  });
});

interface Frame {
  type: string;
  from: Hex;
  to?: Hex;
  gas: Hex;
  gasUsed: Hex;
  input: Hex;
  output?: Hex;
  error?: string;
  revertReason?: string;
  value?: Hex;
  calls?: Frame[];
  logs?: { address: Hex; topics: Hex[]; data: Hex; position: Hex }[];
}
interface StructLog {
  pc: number;
  op: string;
  gas: number;
  gasCost: number;
  depth: number;
  stack?: string[];
  memory?: string[];
  storage?: Record<string, string>;
}
interface StructTrace {
  gas: number;
  failed: boolean;
  returnValue: string;
  structLogs: StructLog[];
}

describe('debug_traceTransaction and debug_traceCall', () => {
  let madeHash: Hex;
  let made: Hex;

  it('the call tracer shows a factory creating a child with CREATE2, its logs with withLog', async () => {
    const salt = viemHex(9n, { size: 32 });
    madeHash = await wallet.writeContract({
      address: factory,
      abi: factoryAbi,
      functionName: 'make',
      args: [salt, 3n],
      account: alice,
      chain: wallet.chain,
    });
    const receipt = await client.waitForTransactionReceipt({ hash: madeHash });
    expect(receipt.status).toBe('success');
    made = `0x${receipt.logs[0]!.data.slice(26)}` as Hex;
    const tx = await client.getTransaction({ hash: madeHash });
    const top = await provider.send('debug_traceTransaction', [
      madeHash,
      { tracer: 'callTracer', tracerConfig: { withLog: true } },
    ]);
    const t = top as Frame;
    expect(t.type).toBe('CALL');
    expect(t.from).toBe(alice.address.toLowerCase());
    expect(t.to).toBe(factory.toLowerCase());
    expect(BigInt(t.gas)).toBe(tx.gas);
    expect(BigInt(t.gasUsed)).toBe(receipt.gasUsed);
    expect(t.input).toBe(tx.input);
    expect(t.calls).toHaveLength(1);
    const child = t.calls![0]!;
    expect(child.type).toBe('CREATE2');
    expect(child.from).toBe(factory.toLowerCase());
    expect(child.to).toBe(made.toLowerCase());
    expect(child.output).toBe(basics.Counter!.deployedBytecode);
    expect(t.logs).toHaveLength(1);
    expect(t.logs![0]!.position).toBe('0x1'); // after the one child call
    expect(t.logs![0]!.address).toBe(factory.toLowerCase());
    const decoded = decodeFunctionResult({
      abi: factoryAbi,
      functionName: 'make',
      data: t.output!,
    });
    expect((decoded as string).toLowerCase()).toBe(made.toLowerCase());
  });

  it('struct logs follow geth: gas goes down by each step’s cost, SSTORE shows the storage', async () => {
    const hash = await wallet.writeContract({
      address: counter,
      abi: counterAbi,
      functionName: 'increment',
      account: alice,
      chain: wallet.chain,
    });
    const receipt = await client.waitForTransactionReceipt({ hash });
    const tx = await client.getTransaction({ hash });
    const t = (await rpc<StructTrace>('debug_traceTransaction', [hash])) as StructTrace;
    expect(t.failed).toBe(false);
    expect(BigInt(t.gas)).toBe(receipt.gasUsed);
    const logs = t.structLogs;
    expect(logs[0]).toMatchObject({ pc: 0, op: 'PUSH1', depth: 1 });
    // The first step has the gas left after the intrinsic gas (21,000 + calldata 4 nonzero bytes).
    expect(BigInt(logs[0]!.gas)).toBe(tx.gas - 21_000n - 4n * 16n);
    for (let i = 1; i < logs.length; i++) {
      if (logs[i - 1]!.depth === logs[i]!.depth && !logs[i - 1]!.op.includes('CALL'))
        expect(logs[i]!.gas).toBe(logs[i - 1]!.gas - logs[i - 1]!.gasCost);
    }
    expect(logs[logs.length - 1]!.op).toBe('RETURN');
    const sstore = logs.filter((l) => l.op === 'SSTORE');
    expect(sstore).toHaveLength(2);
    const count = await client.readContract({
      address: counter,
      abi: counterAbi,
      functionName: 'count',
    });
    expect(sstore[0]!.storage!['0'.repeat(64)]).toBe(
      (count as bigint).toString(16).padStart(64, '0'),
    );
    expect(logs[0]!.memory).toBeUndefined();
    const lean = await rpc<StructTrace>('debug_traceTransaction', [
      hash,
      { disableStack: true, disableStorage: true, enableMemory: true },
    ]);
    expect(lean.structLogs[0]!.stack).toBeUndefined();
    expect(lean.structLogs.find((l) => l.op === 'SSTORE')!.storage).toBeUndefined();
    expect(lean.structLogs.some((l) => (l.memory?.length ?? 0) > 0)).toBe(true);
  });

  it('a reverted transaction: error and revert reason in the frame, failed struct logs', async () => {
    const hash = await wallet.writeContract({
      address: counter,
      abi: counterAbi,
      functionName: 'add',
      args: [13n],
      account: alice,
      chain: wallet.chain,
      gas: 100_000n,
    });
    const receipt = await client.waitForTransactionReceipt({ hash });
    expect(receipt.status).toBe('reverted');
    const f = await rpc<Frame>('debug_traceTransaction', [hash, { tracer: 'callTracer' }]);
    expect(f.error).toBe('execution reverted');
    expect(f.revertReason).toBe('unlucky number');
    expect(BigInt(f.gasUsed)).toBe(receipt.gasUsed);
    const s = await rpc<StructTrace>('debug_traceTransaction', [hash]);
    expect(s.failed).toBe(true);
    expect(s.structLogs[s.structLogs.length - 1]!.op).toBe('REVERT');
  });

  it('a plain transfer and a staking call have a top frame and no opcodes', async () => {
    const hash = await wallet.sendTransaction({
      account: alice,
      chain: wallet.chain,
      to: bob.address,
      value: parseEther('1'),
    });
    await client.waitForTransactionReceipt({ hash });
    const f = await rpc<Frame>('debug_traceTransaction', [hash, { tracer: 'callTracer' }]);
    expect(f).toEqual({
      from: alice.address.toLowerCase(),
      gas: '0x5208',
      gasUsed: '0x5208',
      to: bob.address.toLowerCase(),
      input: '0x',
      output: '0x',
      value: viemHex(parseEther('1')),
      type: 'CALL',
    });
    expect(await rpc<StructTrace>('debug_traceTransaction', [hash])).toEqual({
      gas: 21_000,
      failed: false,
      returnValue: '',
      structLogs: [],
    });
  });

  it('debug_traceCall traces a call on the head state, with state overrides', async () => {
    const f = await rpc<Frame>('debug_traceCall', [
      {
        from: alice.address,
        to: counter,
        data: encodeFunctionData({ abi: counterAbi, functionName: 'increment' }),
      },
      'latest',
      {
        tracer: 'callTracer',
        tracerConfig: { withLog: true },
        stateOverrides: {
          [counter]: { stateDiff: { [viemHex(0n, { size: 32 })]: viemHex(99n, { size: 32 }) } },
        },
      },
    ]);
    expect(BigInt(f.output!)).toBe(100n);
    expect(f.logs).toHaveLength(1);
    expect(f.logs![0]!.topics[1]).toBe(viemHex(BigInt(alice.address), { size: 32 }));
  });

  it('a constructor that self-destructs shows a SELFDESTRUCT frame with the value it sent', async () => {
    const hash = await wallet.deployContract({
      abi: basics.Ephemeral!.abi,
      bytecode: basics.Ephemeral!.bytecode,
      args: [bob.address],
      value: 1234n,
      account: alice,
      chain: wallet.chain,
    });
    const receipt = await client.waitForTransactionReceipt({ hash });
    expect(receipt.status).toBe('success');
    for (const withLog of [false, true]) {
      const f = await rpc<Frame>('debug_traceTransaction', [
        hash,
        { tracer: 'callTracer', tracerConfig: { withLog } },
      ]);
      expect(f.type).toBe('CREATE');
      expect(f.to).toBe(receipt.contractAddress);
      expect(f.value).toBe('0x4d2');
      expect(f.calls).toEqual([
        {
          from: receipt.contractAddress,
          gas: '0x0',
          gasUsed: '0x0',
          to: bob.address.toLowerCase(),
          input: '0x',
          value: '0x4d2',
          type: 'SELFDESTRUCT',
        },
      ]);
    }
  });

  it('refuses traces beyond the step limit, unknown tracers and unknown transactions', async () => {
    // A timeout long enough for the step limit to come first.
    const big = await rpcError('debug_traceCall', [
      {
        to: counter,
        data: encodeFunctionData({ abi: counterAbi, functionName: 'burn', args: [40_000n] }),
      },
      'latest',
      { timeout: '60s' },
    ]);
    expect(big.code).toBe(-32000);
    expect(big.message).toMatch(/trace exceeds/);
    // The call tracer of the same call is small.
    const f = await rpc<Frame>('debug_traceCall', [
      {
        to: counter,
        data: encodeFunctionData({ abi: counterAbi, functionName: 'burn', args: [40_000n] }),
      },
      'latest',
      { tracer: 'callTracer' },
    ]);
    expect(f.error).toBeUndefined();
    const js = await rpcError('debug_traceCall', [
      { to: counter },
      'latest',
      { tracer: 'prestateTracer' },
    ]);
    expect(js.code).toBe(-32602);
    expect(js.message).toMatch(/unsupported tracer/);
    const none = await rpcError('debug_traceTransaction', [viemHex(1n, { size: 32 })]);
    expect(none.message).toBe('transaction not found');
  });
});

describe("trace timeouts (geth's `timeout`)", () => {
  const burn = (rounds: bigint) => ({
    to: counter,
    data: encodeFunctionData({ abi: counterAbi, functionName: 'burn', args: [rounds] }),
  });

  it('a trace that runs past its timeout stops with "execution timeout"; the default is 5 s', async () => {
    // One long loop in one frame: the call tracer follows opcodes for the clock when asked.
    for (const config of [{ timeout: '1ms' }, { tracer: 'callTracer', timeout: '1ms' }])
      expect(
        await rpcError('debug_traceCall', [burn(40_000n), 'latest', config]),
        JSON.stringify(config),
      ).toEqual({
        code: -32000,
        message: 'execution timeout',
      });
    const hash = await wallet.sendTransaction({
      ...burn(300n),
      gas: 5_000_000n,
      account: alice,
      chain: wallet.chain,
    });
    await client.waitForTransactionReceipt({ hash });
    expect(await rpcError('debug_traceTransaction', [hash, { timeout: '500us' }])).toEqual({
      code: -32000,
      message: 'execution timeout',
    });
    const t = await rpc<StructTrace>('debug_traceTransaction', [hash, { timeout: '30s' }]);
    expect(t.failed).toBe(false);
    expect(t.structLogs.length).toBeGreaterThan(3_000);
    // Without one, the default 5 s is ample for this trace.
    const d = await rpc<StructTrace>('debug_traceTransaction', [hash]);
    expect(d.structLogs.length).toBe(t.structLogs.length);
    // geth's `limit` keeps the first opcodes only; the run completes.
    const limited = await rpc<StructTrace>('debug_traceTransaction', [hash, { limit: 10 }]);
    expect(limited.structLogs).toEqual(t.structLogs.slice(0, 10));
    expect(limited.gas).toBe(t.gas);
  });

  it('refuses what is not a duration, and timeouts above 60 s', async () => {
    const bad = (timeout: unknown) =>
      rpcError('debug_traceCall', [burn(1n), 'latest', { timeout }]);
    expect(await bad('abc')).toEqual({
      code: -32602,
      message: 'invalid argument 2 (trace config).timeout: time: invalid duration "abc"',
    });
    expect(await bad(5)).toMatchObject({ code: -32602 });
    expect(await bad('2m')).toEqual({
      code: -32602,
      message: 'invalid argument 2 (trace config).timeout: at most 60s, got "2m"',
    });
    expect(await rpcError('debug_traceCall', [burn(1n), 'latest', { limit: -1 }])).toMatchObject({
      code: -32602,
    });
  });
});

describe('the contract gas budget of a block', () => {
  it('a contract call whose gas limit alone passes it is refused when sent', async () => {
    const send = wallet.writeContract({
      address: counter,
      abi: counterAbi,
      functionName: 'increment',
      account: alice,
      chain: wallet.chain,
      gas: 15_000_001n,
    });
    await expect(send).rejects.toThrow(
      /contract gas budget of a block: gas 15000001, budget 15000000/,
    );
  });
});
