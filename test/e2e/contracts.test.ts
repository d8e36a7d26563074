/**
 * Contracts end to end on a devnet, as dApp developers use it with viem and ethers: OpenZeppelin
 * ERC-20 and ERC-721 deployed and used (events, getLogs), revert reasons and custom errors as
 * both clients show them, multicall through Multicall3, ETM as an ERC-20 over the native
 * balance, and a liquid-staking contract that locks, votes and claims through the staking
 * system contract.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  BaseError,
  ContractFunctionRevertedError,
  createPublicClient,
  createWalletClient,
  defineChain,
  erc20Abi,
  http,
  parseEther,
  type Hex,
  type PublicClient,
  type WalletClient,
} from 'viem';
import { mnemonicToAccount } from 'viem/accounts';
import { ethers } from 'ethers';
import { toHex } from '../../src/crypto/bytes.js';
import { DEV_MNEMONIC } from '../../src/crypto/mnemonic.js';
import { ETM_TOKEN_ADDRESS, MULTICALL3_ADDRESS } from '../../src/execution/evm/addresses.js';
import { STAKING_ADDRESS } from '../../src/primitives/system-addresses.js';
import { STAKING_ABI } from '../../src/staking/abi.js';
import type { Devnet } from '../../src/node/devnet.js';
import { compile } from '../evm/solidity.js';
import { devnet, tempDir } from './helpers.js';

const tmp = tempDir();
let d: Devnet;
let client: PublicClient;
let wallet: WalletClient;
let other: WalletClient;
const alice = mnemonicToAccount(DEV_MNEMONIC, { addressIndex: 0 });
const bob = mnemonicToAccount(DEV_MNEMONIC, { addressIndex: 1 });
const apps = compile('Apps.sol');
const etm = toHex(ETM_TOKEN_ADDRESS) as Hex;
const staking = toHex(STAKING_ADDRESS) as Hex;

beforeAll(async () => {
  d = await devnet(tmp.dir, { validators: 2, blockTimeMs: 250 });
  const chain = defineChain({
    id: 4543565,
    name: 'ETM/P devnet',
    nativeCurrency: { name: 'ETM', symbol: 'ETM', decimals: 18 },
    rpcUrls: { default: { http: [d.httpUrl] } },
    contracts: { multicall3: { address: toHex(MULTICALL3_ADDRESS) as Hex } },
  });
  client = createPublicClient({ chain, transport: http(d.httpUrl), pollingInterval: 100 });
  wallet = createWalletClient({ chain, account: alice, transport: http(d.httpUrl) });
  other = createWalletClient({ chain, account: bob, transport: http(d.httpUrl) });
}, 60_000);

afterAll(async () => {
  await d?.stop();
  tmp.remove();
});

async function deploy(name: string, args: unknown[] = []): Promise<Hex> {
  const c = apps[name]!;
  const hash = await wallet.deployContract({
    abi: c.abi,
    bytecode: c.bytecode,
    args,
    account: alice,
    chain: wallet.chain,
  });
  const receipt = await client.waitForTransactionReceipt({ hash });
  expect(receipt.status).toBe('success');
  expect(receipt.contractAddress).not.toBeNull();
  return receipt.contractAddress!;
}

async function write(
  address: Hex,
  name: string,
  functionName: string,
  args: unknown[] = [],
  from: WalletClient = wallet,
  value?: bigint,
) {
  const hash = await from.writeContract({
    address,
    abi: apps[name]?.abi ?? (name === 'erc20' ? erc20Abi : STAKING_ABI),
    functionName,
    args,
    value,
    account: from.account!,
    chain: from.chain,
  } as never);
  return client.waitForTransactionReceipt({ hash });
}

describe('an OpenZeppelin ERC-20 and ERC-721 with viem', () => {
  let token: Hex;
  let nft: Hex;

  it('deploys, transfers, and finds the Transfer events with getLogs', async () => {
    token = await deploy('TestToken', [parseEther('1000')]);
    expect(await client.getCode({ address: token })).toBe(apps.TestToken!.deployedBytecode);
    const r = await write(token, 'TestToken', 'transfer', [bob.address, parseEther('12')]);
    expect(r.status).toBe('success');
    const abi = apps.TestToken!.abi;
    expect(
      await client.readContract({
        address: token,
        abi,
        functionName: 'balanceOf',
        args: [bob.address],
      }),
    ).toBe(parseEther('12'));
    const logs = await client.getContractEvents({
      address: token,
      abi: erc20Abi,
      eventName: 'Transfer',
      args: { to: bob.address },
      fromBlock: 0n,
    });
    expect(logs).toHaveLength(1);
    expect(logs[0]!.args.value).toBe(parseEther('12'));
    expect(logs[0]!.transactionHash).toBe(r.transactionHash);
  });

  it('mints an ERC-721 and reads its owner', async () => {
    nft = await deploy('TestNft');
    const r = await write(nft, 'TestNft', 'mint', [bob.address]);
    expect(r.logs).toHaveLength(1);
    expect(
      await client.readContract({
        address: nft,
        abi: apps.TestNft!.abi,
        functionName: 'ownerOf',
        args: [1n],
      }),
    ).toBe(bob.address);
  });

  it('multicall reads many contracts in one eth_call through Multicall3', async () => {
    const results = await client.multicall({
      contracts: [
        { address: token, abi: erc20Abi, functionName: 'balanceOf', args: [bob.address] },
        { address: token, abi: erc20Abi, functionName: 'symbol' },
        { address: etm, abi: erc20Abi, functionName: 'symbol' },
        { address: nft, abi: apps.TestNft!.abi, functionName: 'ownerOf', args: [99n] },
      ],
    });
    expect(results.map((x) => x.status)).toEqual(['success', 'success', 'success', 'failure']);
    expect(results[0]!.result).toBe(parseEther('12'));
    expect(results[1]!.result).toBe('TT');
    expect(results[2]!.result).toBe('ETM');
  });
});

describe('reverts as viem and ethers show them', () => {
  let reverter: Hex;
  beforeAll(async () => {
    reverter = await deploy('Reverter');
  });

  it('viem: the reason string and the decoded custom error', async () => {
    const abi = apps.Reverter!.abi;
    const reason = await client
      .simulateContract({ address: reverter, abi, functionName: 'withReason', account: alice })
      .catch((e: unknown) => e);
    expect(reason).toBeInstanceOf(BaseError);
    const revert = (reason as BaseError).walk((e) => e instanceof ContractFunctionRevertedError);
    expect((revert as ContractFunctionRevertedError).reason).toBe('nope: not today');
    const custom = await client
      .readContract({ address: reverter, abi, functionName: 'withCustom' })
      .catch((e: unknown) => e);
    const c = (custom as BaseError).walk((e) => e instanceof ContractFunctionRevertedError);
    expect((c as ContractFunctionRevertedError).data?.errorName).toBe('Denied');
    // eth_estimateGas reports the revert the same way.
    await expect(
      client.estimateContractGas({
        address: reverter,
        abi,
        functionName: 'withReason',
        account: alice,
      }),
    ).rejects.toThrow(/nope: not today/);
  });

  it('ethers: error.reason, the custom error, and a panic', async () => {
    const provider = new ethers.JsonRpcProvider(d.httpUrl, undefined, { staticNetwork: true });
    const c = new ethers.Contract(reverter, apps.Reverter!.abi as ethers.InterfaceAbi, provider);
    const reason = await c
      .getFunction('withReason')
      .staticCall()
      .catch((e: unknown) => e);
    expect((reason as ethers.CallExceptionError).reason).toBe('nope: not today');
    const custom = await c
      .getFunction('withCustom')
      .staticCall()
      .catch((e: unknown) => e);
    expect((custom as ethers.CallExceptionError).revert?.name).toBe('Denied');
    const panic = await c
      .getFunction('withPanic')
      .staticCall(0n)
      .catch((e: unknown) => e);
    expect((panic as ethers.CallExceptionError).reason).toMatch(/DIVIDE_BY_ZERO/);
    provider.destroy();
  });

  it('ethers deploys and sends to a contract too', async () => {
    const provider = new ethers.JsonRpcProvider(d.httpUrl, undefined, { staticNetwork: true });
    provider.pollingInterval = 100;
    const signer = ethers.HDNodeWallet.fromPhrase(
      DEV_MNEMONIC,
      undefined,
      "m/44'/60'/0'/0/2",
    ).connect(provider);
    const factory = new ethers.ContractFactory(
      apps.TestToken!.abi as ethers.InterfaceAbi,
      apps.TestToken!.bytecode,
      signer,
    );
    const token = await factory.deploy(1000n);
    await token.waitForDeployment();
    const tx = await token.getFunction('transfer')(bob.address, 5n);
    const receipt = await tx.wait();
    expect(receipt!.status).toBe(1);
    const parsed = token.interface.parseLog(receipt!.logs[0]!);
    expect(parsed?.name).toBe('Transfer');
    expect(await token.getFunction('balanceOf')(bob.address)).toBe(5n);
    provider.destroy();
  });
});

describe('ETM as an ERC-20 over the native balance', () => {
  it('balanceOf is the balance; transfer moves native units and logs Transfer', async () => {
    expect(await client.getCode({ address: etm })).toBe('0xfe');
    expect(await client.getCode({ address: staking })).toBe('0xfe');
    const read = (functionName: string, args: unknown[] = []) =>
      client.readContract({
        address: etm,
        abi: erc20Abi,
        functionName,
        args,
      } as never) as Promise<unknown>;
    expect(await read('name')).toBe('ETM');
    expect(await read('decimals')).toBe(18);
    expect((await read('totalSupply')) as bigint).toBeGreaterThan(0n);
    expect(await read('balanceOf', [bob.address])).toBe(
      await client.getBalance({ address: bob.address }),
    );
    const to = '0x00000000000000000000000000000000000e7e20';
    const r = await write(etm, 'erc20', 'transfer', [to, 1234n]);
    expect(r.status).toBe('success');
    expect(await client.getBalance({ address: to })).toBe(1234n);
    const logs = await client.getContractEvents({
      address: etm,
      abi: erc20Abi,
      eventName: 'Transfer',
      fromBlock: 0n,
    });
    expect(logs.at(-1)!.args).toMatchObject({
      from: alice.address,
      to: expect.stringMatching(/e7e20$/i),
      value: 1234n,
    });
    // A plain transfer moves the same balance without a token event (docs/contracts.md).
    const plain = '0x00000000000000000000000000000000000e7e22';
    const hash = await wallet.sendTransaction({
      to: plain,
      value: 777n,
      account: alice,
      chain: wallet.chain,
    });
    expect((await client.waitForTransactionReceipt({ hash })).logs).toEqual([]);
    expect(await read('balanceOf', [plain])).toBe(777n);
    expect(await read('balanceOf', [alice.address])).toBe(
      await client.getBalance({ address: alice.address }),
    );
  });

  it('approve and transferFrom spend the owner native balance by allowance', async () => {
    await write(etm, 'erc20', 'approve', [bob.address, 1000n]);
    expect(
      await client.readContract({
        address: etm,
        abi: erc20Abi,
        functionName: 'allowance',
        args: [alice.address, bob.address],
      }),
    ).toBe(1000n);
    const to = '0x00000000000000000000000000000000000e7e21';
    const r = await write(etm, 'erc20', 'transferFrom', [alice.address, to, 600n], other);
    expect(r.status).toBe('success');
    expect(await client.getBalance({ address: to })).toBe(600n);
    expect(
      await client.readContract({
        address: etm,
        abi: erc20Abi,
        functionName: 'allowance',
        args: [alice.address, bob.address],
      }),
    ).toBe(400n);
    await expect(
      client.simulateContract({
        address: etm,
        abi: erc20Abi,
        functionName: 'transferFrom',
        args: [alice.address, to, 401n],
        account: bob,
      }),
    ).rejects.toThrow(/insufficient allowance/);
  });
});

describe('a liquid-staking contract through the staking system contract', () => {
  let liquid: Hex;
  let candidates: readonly Hex[];
  const locksOf = (owner: Hex) =>
    client.readContract({
      address: staking,
      abi: STAKING_ABI,
      functionName: 'getLocks',
      args: [owner],
    });

  it('locks its deposits with msg.sender = the contract, and a reverted frame undoes its lock', async () => {
    candidates = await client.readContract({
      address: staking,
      abi: STAKING_ABI,
      functionName: 'getCandidates',
    });
    expect(candidates.length).toBe(2);
    liquid = await deploy('LiquidStaking');
    await write(liquid, 'LiquidStaking', 'deposit', [], wallet, parseEther('50'));
    const staked = await write(liquid, 'LiquidStaking', 'stake', [candidates[0]]);
    expect(staked.status).toBe('success');
    // The staking module's Locked event is in the receipt, from the staking address.
    expect(staked.logs.some((l) => l.address.toLowerCase() === staking.toLowerCase())).toBe(true);
    const ids = await locksOf(liquid);
    expect(ids).toHaveLength(1);
    const lock = await client.readContract({
      address: staking,
      abi: STAKING_ABI,
      functionName: 'getLock',
      args: [ids[0]!],
    });
    expect(lock[0].toLowerCase()).toBe(liquid.toLowerCase());
    expect(lock[1]).toBe(parseEther('50'));
    expect(await client.getBalance({ address: liquid })).toBe(0n);
    // A lock inside a frame that reverts is undone with it; the outer call goes on.
    await write(liquid, 'LiquidStaking', 'deposit', [], wallet, parseEther('5'));
    await expect(
      client.simulateContract({
        address: liquid,
        abi: apps.LiquidStaking!.abi,
        functionName: 'stakeThenFail',
        args: [candidates[0]!],
        account: alice,
      }),
    ).rejects.toThrow(/undo the lock/);
    const child = await write(liquid, 'LiquidStaking', 'stakeInChild', [candidates[0]]);
    expect(child.status).toBe('success');
    expect(await locksOf(liquid)).toHaveLength(1);
    expect(await client.getBalance({ address: liquid })).toBe(parseEther('5'));
  });

  it('votes for another candidate and claims its rewards', async () => {
    const r = await write(liquid, 'LiquidStaking', 'revote', [candidates[1]]);
    expect(r.status).toBe('success');
    const [id] = await locksOf(liquid);
    const lock = await client.readContract({
      address: staking,
      abi: STAKING_ABI,
      functionName: 'getLock',
      args: [id!],
    });
    expect(lock[2].toLowerCase()).toBe(candidates[1]!.toLowerCase());
    await write(liquid, 'LiquidStaking', 'revote', [candidates[0]]);
    // Rewards accrue per block to the lock; a claim pays them to the contract.
    const start = await client.getBlockNumber();
    while ((await client.getBlockNumber()) < start + 4n)
      await new Promise((x) => setTimeout(x, 100));
    const before = await client.getBalance({ address: liquid });
    const claimed = await write(liquid, 'LiquidStaking', 'claim');
    expect(claimed.status).toBe('success');
    const amount = (await client.readContract({
      address: liquid,
      abi: apps.LiquidStaking!.abi,
      functionName: 'claimed',
    })) as bigint;
    expect(amount).toBeGreaterThan(0n);
    expect(await client.getBalance({ address: liquid })).toBe(before + amount);
  });
});
