/**
 * The contract gas budget of a block (maxContractGasPerBlock): the builder leaves EVM
 * transactions past it for a later block and drops one that could never fit; validation
 * refuses a block past it; plain transfers are not counted.
 */
import { afterAll, describe, expect, it } from 'vitest';
import { encodeDeployData, encodeFunctionData, getContractAddress, type Hex } from 'viem';
import { parseGenesis } from '../../src/chain/genesis.js';
import { fromHex, toHex } from '../../src/crypto/bytes.js';
import { EvmBlockRun } from '../../src/execution/evm/block-run.js';
import { TxError } from '../../src/execution/errors.js';
import { TxDecoder, type SignedTx } from '../../src/execution/tx.js';
import { STAKING_REWARD_POOL } from '../../src/primitives/system-addresses.js';
import { signTx } from '../execution/helpers.js';
import {
  buildNext,
  CHAIN_ID,
  commitNext,
  genesisDoc,
  newChain,
  TempDirs,
  transfer,
  USER_KEYS,
  USERS,
} from '../chain/helpers.js';
import { compile } from './solidity.js';

const t = new TempDirs();
afterAll(() => t.cleanup());
const decoder = new TxDecoder({ chainId: CHAIN_ID });
const { Counter } = compile('Basics.sol');
const BUDGET = 1_000_000n;
const genesis = parseGenesis(
  genesisDoc({
    params: { blockTimeMs: '1000', epochBlocks: '4', maxContractGasPerBlock: BUDGET.toString() },
  }),
);

function send(user: number, nonce: bigint, to: Uint8Array | null, data: Hex, gasLimit: bigint) {
  const { raw } = signTx(
    2,
    { nonce, to, value: 0n, data: fromHex(data), gasLimit, maxFeePerGas: 100_000_000_000n },
    { key: USER_KEYS[user]! },
  );
  return decoder.decode(raw);
}

describe('the contract gas budget of a block', () => {
  const c = newChain(t, genesis);
  const counter = fromHex(getContractAddress({ from: toHex(USERS[0]!) as Hex, nonce: 0n }));
  // burn(10^6) runs out of gas: it spends its whole gas limit.
  const burn = encodeFunctionData({ abi: Counter!.abi, functionName: 'burn', args: [10n ** 6n] });
  const burns = (nonce: bigint, n: number): SignedTx[] =>
    Array.from({ length: n }, (_, i) => send(0, nonce + BigInt(i), counter, burn, 400_000n));

  it('is a parameter of the chain', () => {
    expect(c.params.maxContractGasPerBlock).toBe(BUDGET);
  });

  it('the builder stops EVM transactions at the budget, keeps plain transfers, drops what never fits', async () => {
    const deploy = encodeDeployData({ abi: Counter!.abi, bytecode: Counter!.bytecode, args: [1n] });
    await commitNext(c, [send(0, 0n, null, deploy, 900_000n)]);
    const tooBig = send(1, 0n, counter, burn, BUDGET + 1n);
    const built = await buildNext(c, [...burns(1n, 3), transfer(2, 0n, USERS[1]!, 5n), tooBig]);
    // Two burns of 400,000 fit in 1,000,000; the third would pass it.
    expect(built.included).toHaveLength(3);
    expect(built.included[2]!.to).toEqual(USERS[1]);
    expect(built.skipped.map((s) => s.error.code)).toEqual(['gas-limit-too-high', 'evm-rejected']);
    expect(built.skipped[1]!.error.message).toMatch(/contract gas budget of a block \(1000000\)/);
    expect(built.block.header.gasUsed).toBe(800_000n + 21_000n);
  });

  it('validation refuses EVM transactions past the budget (the rule block execution applies)', async () => {
    const state = c.headState();
    const head = c.head.header;
    const run = new EvmBlockRun(state, {
      chainId: CHAIN_ID,
      number: head.number + 1n,
      timestamp: head.timestamp + 1n,
      coinbase: head.coinbase,
      baseFeePerGas: head.baseFeePerGas,
      gasLimit: head.gasLimit,
      mixHash: head.mixHash,
      params: c.params,
    });
    const [a, b, third] = burns(c.headState().getAccount(USERS[0]!).nonce, 3);
    expect((await run.run(a!, STAKING_REWARD_POOL)).gasUsed).toBe(400_000n);
    expect((await run.run(b!, STAKING_REWARD_POOL)).gasUsed).toBe(400_000n);
    await expect(run.run(third!, STAKING_REWARD_POOL)).rejects.toThrow(TxError);
    await expect(run.run(third!, STAKING_REWARD_POOL)).rejects.toThrow(
      /remaining contract gas 200000/,
    );
  });
});
