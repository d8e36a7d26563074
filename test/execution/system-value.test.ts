/**
 * Value reaches a system address only through a payable staking call (registerCandidate). Sent
 * anywhere else among them (governance, evidence, the reward and bonus pools, the treasury, or a
 * non-payable staking function) it was lost for good — and counted as the pool's funds. The
 * mempool refuses it; a block that includes one anyway reverts it, the value left with the sender.
 */
import { describe, expect, it } from 'vitest';
import { encodeFunctionData, type Hex } from 'viem';
import { DEFAULT_PARAMS } from '../../src/params/registry.js';
import { toChecksumAddress } from '../../src/crypto/address.js';
import { fromHex, toHex } from '../../src/crypto/bytes.js';
import {
  DAO_TREASURY,
  EVIDENCE_ADDRESS,
  GOVERNANCE_ADDRESS,
  STAKING_ADDRESS,
  STAKING_REWARD_POOL,
  SYSTEM_ACCOUNTS,
  VOTER_BONUS_POOL,
} from '../../src/primitives/system-addresses.js';
import { applyTransaction, type BlockEnv } from '../../src/execution/transition.js';
import { STAKING_ABI } from '../../src/staking/abi.js';
import { StateDB } from '../../src/state/state-db.js';
import { EMPTY_TRIE_ROOT, MemoryNodeStore } from '../../src/state/trie.js';
import {
  Accounts,
  addr,
  ETM,
  expectTxError,
  fakeTx,
  FLOOR,
  GWEI,
  pool,
} from '../mempool/helpers.js';
import { CHAIN_ID } from './helpers.js';

const SENDER = addr(1);
const call = (functionName: string, args: unknown[]): Uint8Array =>
  fromHex(encodeFunctionData({ abi: STAKING_ABI, functionName, args } as never));
const LOCK = call('lock', [ETM, toHex(new Uint8Array(20)) as Hex]);
const REGISTER = call('registerCandidate', [
  toHex(new Uint8Array(20).fill(9)) as Hex,
  'node-1',
  500,
  2000,
  toHex(new Uint8Array(32).fill(7)) as Hex,
]);

const tx = (
  to: Uint8Array,
  value: bigint,
  data: Uint8Array = new Uint8Array(0),
  gasLimit = 21_000n,
) => fakeTx({ sender: SENDER, to, value, data, gasLimit, fee: 10n * GWEI, tip: GWEI });

describe('value sent to system accounts', () => {
  const view = new Accounts().set(SENDER, { balance: 10_000n * ETM });

  it('is refused at admission, except a payable staking call', () => {
    for (const to of [EVIDENCE_ADDRESS, STAKING_REWARD_POOL, VOTER_BONUS_POOL, DAO_TREASURY]) {
      const e = expectTxError(
        () => pool().add(tx(to, 1n), view, FLOOR),
        'value-to-system-account',
        /^system account 0x[0-9a-fA-F]{40} does not accept value: send it with value 0$/,
      );
      expect(e.message).toContain(toChecksumAddress(to));
      // Without value it is an ordinary (pointless) transfer.
      expect(pool().add(tx(to, 0n), view, FLOOR).replaced).toBeNull();
    }
    // The governance contract takes value only with propose and deposit (the proposal deposit).
    expectTxError(
      () => pool().add(tx(GOVERNANCE_ADDRESS, 1n), view, FLOOR),
      'value-to-system-account',
      /^governance contract 0x[0-9a-fA-F]{40} accepts value only with a payable function \(propose, deposit\); the calldata is empty$/,
    );
    expectTxError(
      () => pool().add(tx(STAKING_ADDRESS, ETM, LOCK, 200_000n), view, FLOOR),
      'value-to-system-account',
      /^staking function lock is not payable: send it with value 0$/,
    );
    expectTxError(
      () => pool().add(tx(STAKING_ADDRESS, 1n), view, FLOOR),
      'value-to-system-account',
      /accepts value only with a payable function \(registerCandidate, topUpDeposit\); the calldata is empty$/,
    );
    expectTxError(
      () => pool().add(tx(STAKING_ADDRESS, 1n, Uint8Array.of(1, 2, 3, 4), 50_000n), view, FLOOR),
      'value-to-system-account',
      /the calldata \(selector 0x01020304\) selects none$/,
    );
    // registerCandidate takes its deposit as value.
    const p = pool();
    expect(
      p.add(tx(STAKING_ADDRESS, 1000n * ETM, REGISTER, 300_000n), view, FLOOR).evicted,
    ).toEqual([]);
  });

  it('reverts in a block, leaving the value with the sender', () => {
    const env: BlockEnv = {
      chainId: CHAIN_ID,
      number: 1n,
      round: 0n,
      timestamp: 1n,
      coinbase: addr(99),
      baseFeePerGas: FLOOR,
      gasLimit: 30_000_000n,
      params: DEFAULT_PARAMS,
      validators: [],
      randaoReveal: new Uint8Array(0),
      mixHash: new Uint8Array(32),
    };
    for (const to of SYSTEM_ACCOUNTS) {
      const state = new StateDB(EMPTY_TRIE_ROOT, new MemoryNodeStore());
      state.putAccount(SENDER, { ...state.getAccount(SENDER), balance: 100n * ETM });
      const before = state.getAccount(to).balance;
      const data = to === STAKING_ADDRESS ? LOCK : new Uint8Array(0);
      const gas = to === STAKING_ADDRESS ? 200_000n : 21_000n;
      const receipt = applyTransaction(state, env, tx(to, 5n * ETM, data, gas), 0n);
      expect(receipt.status).toBe(0);
      // Only the fee left the sender; the system account got nothing.
      const fee = receipt.gasUsed * receipt.effectiveGasPrice;
      expect(state.getAccount(SENDER).balance).toBe(100n * ETM - fee);
      expect(state.getAccount(SENDER).nonce).toBe(1n);
      // (The reward pool takes the priority fee, as from every transaction.)
      const tip =
        to === STAKING_REWARD_POOL ? receipt.gasUsed * (receipt.effectiveGasPrice - FLOOR) : 0n;
      expect(state.getAccount(to).balance).toBe(before + tip);
    }
  });
});
