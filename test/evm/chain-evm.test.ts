/**
 * Contracts through the chain itself: built by one chain, imported by another, with the
 * receipts, logs, revert data and state an Ethereum node would give.
 */
import { afterAll, describe, expect, it } from 'vitest';
import {
  decodeEventLog,
  encodeDeployData,
  encodeFunctionData,
  getContractAddress,
  type Hex,
} from 'viem';
import type { Chain } from '../../src/chain/chain.js';
import {
  bigintToFixed,
  bytesToBigint,
  concatBytes,
  fromHex,
  toHex,
  utf8,
} from '../../src/crypto/bytes.js';
import { keccak256 } from '../../src/crypto/keccak.js';
import { sign } from '../../src/crypto/secp256k1.js';
import { NodeEvmCalls } from '../../src/node/evm-calls.js';
import { TxDecoder, type SignedTx } from '../../src/execution/tx.js';
import { EMPTY_CODE_HASH } from '../../src/state/account.js';
import { STAKING_REWARD_POOL } from '../../src/primitives/system-addresses.js';
import { signTx } from '../execution/helpers.js';
import { CHAIN_ID, commitNext, newChain, TempDirs, USER_KEYS, USERS } from '../chain/helpers.js';
import { compile } from './solidity.js';

const t = new TempDirs();
afterAll(() => t.cleanup());
const decoder = new TxDecoder({ chainId: CHAIN_ID });
const { Counter, Factory, Ephemeral } = compile('Basics.sol');

function send(
  user: number,
  nonce: bigint,
  to: Uint8Array | null,
  data: Hex,
  value = 0n,
  gasLimit = 3_000_000n,
): SignedTx {
  const { raw } = signTx(
    2,
    { nonce, to, value, data: fromHex(data), gasLimit, maxFeePerGas: 100_000_000_000n },
    { key: USER_KEYS[user]! },
  );
  return decoder.decode(raw);
}

async function run(c: Chain, txs: SignedTx[]) {
  const block = await commitNext(c, txs);
  return { block, receipts: c.receiptsAt(block.header.number) };
}

describe('contracts on the chain', () => {
  const a = newChain(t);
  const b = newChain(t);
  const user = USERS[0]!;
  const counter = fromHex(getContractAddress({ from: toHex(user) as Hex, nonce: 0n }));
  let nonce = 0n;

  it('deploys a contract with a creation transaction', async () => {
    const deploy = encodeDeployData({ abi: Counter!.abi, bytecode: Counter!.bytecode, args: [5n] });
    const { receipts, block } = await run(a, [send(0, nonce++, null, deploy)]);
    expect(receipts[0]!.status).toBe(1);
    expect(receipts[0]!.gasUsed).toBeGreaterThan(53_000n);
    const state = a.headState();
    expect(toHex(state.getCode(counter))).toBe(Counter!.deployedBytecode);
    expect(state.getAccount(counter).nonce).toBe(1n);
    expect(bytesToBigint(state.getStorage(counter, new Uint8Array(32)))).toBe(5n);
    await b.importSealed(a.blockBytesAt(block.header.number)!);
    expect(b.head.header.stateRoot).toEqual(a.head.header.stateRoot);
  });

  it('calls it: logs, storage, return data; an importer agrees', async () => {
    const inc = encodeFunctionData({ abi: Counter!.abi, functionName: 'increment' });
    const { receipts, block } = await run(a, [
      send(0, nonce++, counter, inc),
      send(1, 0n, counter, inc),
    ]);
    expect(receipts.map((r) => r.status)).toEqual([1, 1]);
    expect(receipts[1]!.logs).toHaveLength(1);
    const log = receipts[1]!.logs[0]!;
    expect(log.address).toEqual(counter);
    const ev = decodeEventLog({
      abi: Counter!.abi,
      topics: log.topics.map((x) => toHex(x)) as [Hex, ...Hex[]],
      data: toHex(log.data),
    });
    expect(ev.eventName).toBe('Counted');
    expect((ev.args as unknown as { count: bigint }).count).toBe(7n);
    expect(bytesToBigint(block.header.logsBloom)).not.toBe(0n);
    await b.importSealed(a.blockBytesAt(block.header.number)!);
    expect(b.head.header.stateRoot).toEqual(a.head.header.stateRoot);
  });

  it('a revert keeps the fee and nonce, undoes the state; refunds lower the gas of a reset', async () => {
    const before = a.headState().getAccount(user);
    const bad = encodeFunctionData({ abi: Counter!.abi, functionName: 'add', args: [13n] });
    const tooLarge = encodeFunctionData({ abi: Counter!.abi, functionName: 'add', args: [5000n] });
    const reset = encodeFunctionData({ abi: Counter!.abi, functionName: 'reset' });
    const { receipts, block } = await run(a, [
      send(0, nonce++, counter, bad),
      send(0, nonce++, counter, tooLarge),
      send(0, nonce++, counter, reset),
    ]);
    expect(receipts.map((r) => r.status)).toEqual([0, 0, 1]);
    const after = a.headState().getAccount(user);
    expect(after.nonce).toBe(before.nonce + 3n);
    const paid = receipts.reduce((s, r) => s + r.gasUsed * r.effectiveGasPrice, 0n);
    expect(before.balance - after.balance).toBe(paid);
    // reset clears two slots: the refund (4,800 each, at most a fifth of the gas) is taken off.
    expect(receipts[2]!.gasUsed).toBeLessThan(30_000n);
    expect(bytesToBigint(a.headState().getStorage(counter, new Uint8Array(32)))).toBe(0n);
    await b.importSealed(a.blockBytesAt(block.header.number)!);
    expect(b.head.header.stateRoot).toEqual(a.head.header.stateRoot);
  });

  it('CREATE2, a creation that reverts, and SELFDESTRUCT in the creating transaction', async () => {
    const factory = fromHex(getContractAddress({ from: toHex(user) as Hex, nonce }));
    const deployFactory = encodeDeployData({ abi: Factory!.abi, bytecode: Factory!.bytecode });
    const salt = `0x${'ab'.repeat(32)}` as Hex;
    const make = encodeFunctionData({ abi: Factory!.abi, functionName: 'make', args: [salt, 9n] });
    const makeRevert = encodeFunctionData({
      abi: Factory!.abi,
      functionName: 'makeAndRevert',
      args: [1n],
    });
    const ephemeral = encodeDeployData({
      abi: Ephemeral!.abi,
      bytecode: Ephemeral!.bytecode,
      args: [toHex(USERS[2]!) as Hex],
    });
    const gone = fromHex(getContractAddress({ from: toHex(user) as Hex, nonce: nonce + 3n }));
    const before2 = a.headState().getAccount(USERS[2]!).balance;
    const { receipts, block } = await run(a, [
      send(0, nonce++, null, deployFactory),
      send(0, nonce++, factory, make),
      send(0, nonce++, factory, makeRevert),
      send(0, nonce++, null, ephemeral, 7n),
    ]);
    expect(receipts.map((r) => r.status)).toEqual([1, 1, 0, 1]);
    const child = fromHex(
      getContractAddress({
        opcode: 'CREATE2',
        from: toHex(factory) as Hex,
        salt,
        bytecode: encodeDeployData({ abi: Counter!.abi, bytecode: Counter!.bytecode, args: [9n] }),
      }),
    );
    const state = a.headState();
    expect(toHex(state.getCode(child))).toBe(Counter!.deployedBytecode);
    expect(state.getAccount(factory).nonce).toBe(2n);
    // The self-destructed contract is gone; its value went to the beneficiary.
    expect(state.getAccount(gone).codeHash).toEqual(EMPTY_CODE_HASH);
    expect(state.getAccount(gone).nonce).toBe(0n);
    expect(state.getAccount(USERS[2]!).balance).toBe(before2 + 7n);
    await b.importSealed(a.blockBytesAt(block.header.number)!);
    expect(b.head.header.stateRoot).toEqual(a.head.header.stateRoot);
  });

  it('no value reaches a system account from a contract, not even by SELFDESTRUCT', async () => {
    const pool = STAKING_REWARD_POOL;
    const toPool = encodeDeployData({
      abi: Ephemeral!.abi,
      bytecode: Ephemeral!.bytecode,
      args: [toHex(pool) as Hex],
    });
    const before = a.headState().getAccount(user);
    const tx = send(0, nonce++, null, toPool, 5n, 200_000n);
    const { receipts, block } = await run(a, [tx]);
    expect(receipts[0]!.status).toBe(0);
    expect(receipts[0]!.gasUsed).toBe(200_000n);
    const after = a.headState().getAccount(user);
    expect(before.balance - after.balance).toBe(200_000n * receipts[0]!.effectiveGasPrice);
    await b.importSealed(a.blockBytesAt(block.header.number)!);
    expect(b.head.header.stateRoot).toEqual(a.head.header.stateRoot);
  });

  it('precompiles: ecrecover through libsecp256k1 (high s too); KZG point evaluation fails cleanly', async () => {
    const calls = new NodeEvmCalls(() => a);
    const digest = keccak256(utf8('etm'));
    const sig = sign(digest, USER_KEYS[1]!);
    const word = (x: bigint) => bigintToFixed(x, 32);
    const r = bytesToBigint(sig.subarray(0, 32));
    const s = bytesToBigint(sig.subarray(32, 64));
    const input = (v: number, sv: bigint) =>
      concatBytes(digest, word(BigInt(v)), word(r), word(sv));
    const run = (to: string, data: Uint8Array) =>
      calls.simulate(
        {
          from: user,
          to: fromHex(to),
          data,
          gas: null,
          gasPrice: null,
          maxFeePerGas: null,
          maxPriorityFeePerGas: null,
          value: null,
          nonce: null,
        },
        a.headNumber,
        1_000_000n,
      );
    const low = await run('0x0000000000000000000000000000000000000001', input(27 + sig[64]!, s));
    expect(toHex(low.returnData.subarray(12))).toBe(toHex(USERS[1]!));
    // The same signature with s' = n − s and the other parity recovers the same key.
    const N = 0xfffffffffffffffffffffffffffffffebaaedce6af48a03bbfd25e8cd0364141n;
    const high = await run(
      '0x0000000000000000000000000000000000000001',
      input(28 - sig[64]!, N - s),
    );
    expect(toHex(high.returnData.subarray(12))).toBe(toHex(USERS[1]!));
    const kzg = await run('0x000000000000000000000000000000000000000a', new Uint8Array(192));
    expect(kzg.status).toBe(0);
    expect(kzg.gasUsed).toBe(1_000_000n);
  });

  it('eth_estimateGas is exact: the estimate succeeds, one unit less fails', async () => {
    const calls = new NodeEvmCalls(() => a);
    const deployFactory = encodeDeployData({ abi: Factory!.abi, bytecode: Factory!.bytecode });
    const factory = fromHex(getContractAddress({ from: toHex(user) as Hex, nonce }));
    await run(a, [send(0, nonce++, null, deployFactory)]);
    const request = (data: Hex) => ({
      from: user,
      to: factory,
      data: fromHex(data),
      gas: null,
      gasPrice: null,
      maxFeePerGas: null,
      maxPriorityFeePerGas: null,
      value: null,
      nonce: null,
    });
    // A CREATE2 inside a call: the 63/64 rule makes the gas needed exceed the gas used.
    const make = request(
      encodeFunctionData({
        abi: Factory!.abi,
        functionName: 'make',
        args: [`0x${'cd'.repeat(32)}`, 1n],
      }),
    );
    const estimate = await calls.estimate(make, a.headNumber);
    const used = (await calls.simulate(make, a.headNumber, 10_000_000n)).gasUsed;
    expect(estimate).toBeGreaterThan(used);
    expect((await calls.simulate(make, a.headNumber, estimate)).status).toBe(1);
    expect((await calls.simulate(make, a.headNumber, estimate - 1n)).status).toBe(0);
    // A call that reverts whatever its gas is reported as a revert, with its reason.
    const bad = request(
      encodeFunctionData({ abi: Factory!.abi, functionName: 'makeAndRevert', args: [1n] }),
    );
    await expect(calls.estimate(bad, a.headNumber)).rejects.toMatchObject({
      code: 3,
      message: 'execution reverted: made, then reverted',
    });
  });
});
