/**
 * The economics inside the block's state transition (src/execution/transition.ts finish():
 * settleFees → applyBlockEconomics → applyBlockStaking): base fees split between the proposer,
 * the treasury and the burn, priority fees to the proposer, and conservation B = Σ holdings =
 * genesis + minted − burned after every block (PROTOCOL §12.1).
 */
import { encodeFunctionData } from 'viem';
import { describe, expect, it } from 'vitest';
import { fromHex, toHex } from '../../src/crypto/bytes.js';
import { economicState } from '../../src/economics/block.js';
import { DAO_TREASURY, STAKING_ADDRESS } from '../../src/primitives/system-addresses.js';
import type { SignedTx } from '../../src/execution/tx.js';
import { STAKING_ABI } from '../../src/staking/abi.js';
import { stakingFunctions } from '../../src/execution/modules/staking.js';
import { ETM, makeWorld, TEST_PARAMS, ZERO } from './world.js';

const WAD = 10n ** 18n;

/** A transaction as the block executes it (applyTransaction does not look at the signature). */
function tx(
  sender: Uint8Array,
  nonce: bigint,
  to: Uint8Array,
  f: Partial<SignedTx> = {},
): SignedTx {
  return {
    raw: new Uint8Array(0),
    hash: new Uint8Array(32),
    hashHex: toHex(new Uint8Array(32)),
    type: 2,
    chainId: 1n,
    nonce,
    gasLimit: 200_000n,
    to,
    value: 0n,
    data: new Uint8Array(0),
    accessList: [],
    gasPrice: null,
    maxFeePerGas: 10n * 10n ** 9n,
    maxPriorityFeePerGas: 2n * 10n ** 9n,
    v: 0n,
    r: 0n,
    s: 0n,
    yParity: 0,
    sender,
    ...f,
  };
}

const stakingData = (fn: string, args: unknown[]) =>
  fromHex(encodeFunctionData({ abi: STAKING_ABI, functionName: fn, args } as never));

describe('fees and the mint through executeBlock', () => {
  const params = { ...TEST_PARAMS, feeBurnShare: WAD / 10n, feeValidatorShare: (7n * WAD) / 10n };

  it('conserves B with burns, pays the proposer its fees and δ, the treasury its share', async () => {
    const w = makeWorld({ params, users: [1_000n * ETM, 1_000n * ETM], bonusPool: 50n * ETM });
    const [u1, u2] = w.users as [Uint8Array, Uint8Array];
    const nonces = new Map<string, bigint>();
    const next = (a: Uint8Array) => {
      const n = nonces.get(toHex(a)) ?? 0n;
      nonces.set(toHex(a), n + 1n);
      return n;
    };
    let burnedTotal = 0n;
    let mintedTotal = 0n;
    for (let h = 1; h <= 12; h++) {
      const txs = [
        tx(u1, next(u1), u2, { value: ETM, gasLimit: 21_000n }),
        tx(u2, next(u2), STAKING_ADDRESS, {
          data: stakingData('lock', [BigInt(h) * ETM, toHex(h % 2 ? w.ops[h % 4]! : ZERO)]),
        }),
      ];
      const treasury = w.balance(DAO_TREASURY);
      const before = economicState(w.state).supply;
      const { outcome } = await w.execute(txs);
      expect(outcome.receipts.map((r) => r.status)).toEqual([1, 1]);
      const base = params.minBaseFee;
      // The staking call used its intrinsic gas plus the lock's fixed gas.
      expect(outcome.receipts[1]!.gasUsed > stakingFunctions.lock.gas).toBe(true);
      const baseFees = outcome.receipts.reduce((s, r) => s + r.gasUsed * base, 0n);
      const tips = outcome.receipts.reduce(
        (s, r) => s + r.gasUsed * (r.effectiveGasPrice - base),
        0n,
      );
      expect(outcome.fees.baseFees).toBe(baseFees);
      expect(outcome.fees.tips).toBe(tips);
      expect(outcome.fees.burned).toBe((baseFees * params.feeBurnShare) / WAD);
      expect(outcome.fees.proposer).toBe((baseFees * params.feeValidatorShare) / WAD);
      expect(w.balance(DAO_TREASURY) - treasury).toBe(
        baseFees - outcome.fees.burned - outcome.fees.proposer,
      );
      const e = outcome.economics;
      const delta = (e.minted * params.validatorInflationShare) / WAD;
      expect(e.commission + e.voters).toBe(delta + outcome.fees.proposer + tips);
      burnedTotal += outcome.fees.burned;
      mintedTotal += e.minted;
      const econ = economicState(w.state);
      expect(econ.supply).toBe(before + e.minted - outcome.fees.burned);
      expect(econ.supply).toBe(w.genesisSupply + mintedTotal - burnedTotal);
      expect(w.holdings()).toBe(econ.supply);
    }
    expect(burnedTotal > 0n).toBe(true);
  });

  it('a reverted staking call keeps its fee and changes no economics', async () => {
    const w = makeWorld({ params, users: [1_000n * ETM] });
    const u1 = w.users[0]!;
    const S = economicState(w.state).totalLocked;
    const { outcome } = await w.execute([
      tx(u1, 0n, STAKING_ADDRESS, { data: stakingData('lock', [10_000n * ETM, toHex(ZERO)]) }),
    ]);
    expect(outcome.receipts[0]!.status).toBe(0);
    expect(economicState(w.state).totalLocked).toBe(S);
    expect(w.holdings()).toBe(economicState(w.state).supply);
  });
});
