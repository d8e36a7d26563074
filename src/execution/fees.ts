/**
 * EIP-1559 fee market (PROTOCOL §3): the base fee update rule with a floor, the price a
 * transaction pays, and the split of a block's base fees between proposer, treasury and burn.
 */
import { WAD } from '../params/registry.js';
import { TxError } from './errors.js';
import type { SignedTx } from './tx.js';

/** Gas target = gasLimit / ELASTICITY_MULTIPLIER. */
const ELASTICITY_MULTIPLIER = 2n;
/** The base fee moves by at most 1/BASE_FEE_CHANGE_DENOMINATOR of itself per block. */
const BASE_FEE_CHANGE_DENOMINATOR = 8n;

/**
 * The base fee of the block after `parent`: EIP-1559's rule (a full block raises it by 1/8, an
 * empty one lowers it by 1/8; a block above target raises it by at least 1 so that a tiny base
 * fee can still climb), then raised to the floor `minBaseFee`.
 */
export function nextBaseFee(
  parent: { gasUsed: bigint; gasLimit: bigint; baseFeePerGas: bigint },
  minBaseFee: bigint,
): bigint {
  const base = parent.baseFeePerGas;
  const target = parent.gasLimit / ELASTICITY_MULTIPLIER;
  let next = base;
  // A zero target cannot occur under the parameter bounds; without it the rule is undefined.
  if (target > 0n && parent.gasUsed > target) {
    const delta = (base * (parent.gasUsed - target)) / target / BASE_FEE_CHANGE_DENOMINATOR;
    next = base + (delta > 1n ? delta : 1n);
  } else if (target > 0n && parent.gasUsed < target) {
    next = base - (base * (target - parent.gasUsed)) / target / BASE_FEE_CHANGE_DENOMINATOR;
  }
  return next > minBaseFee ? next : minBaseFee;
}

/** Price per gas actually paid: min(maxFeePerGas, baseFee + maxPriorityFeePerGas). */
export function effectiveGasPrice(
  tx: Pick<SignedTx, 'maxFeePerGas' | 'maxPriorityFeePerGas'>,
  baseFee: bigint,
): bigint {
  const capped = baseFee + tx.maxPriorityFeePerGas;
  return tx.maxFeePerGas < capped ? tx.maxFeePerGas : capped;
}

/**
 * Per-gas payment to the proposer beyond the base fee. Throws 'fee-cap-below-base-fee' when the
 * fee cap does not cover the base fee (such a transaction cannot be included at all).
 */
export function effectiveTip(
  tx: Pick<SignedTx, 'maxFeePerGas' | 'maxPriorityFeePerGas'>,
  baseFee: bigint,
): bigint {
  if (tx.maxFeePerGas < baseFee) {
    throw new TxError(
      'fee-cap-below-base-fee',
      `max fee per gas less than block base fee: maxFeePerGas ${tx.maxFeePerGas}, baseFee ${baseFee}`,
    );
  }
  return effectiveGasPrice(tx, baseFee) - baseFee;
}

export interface BaseFeeSplit {
  proposer: bigint;
  treasury: bigint;
  burned: bigint;
}

/**
 * Splits a block's total base fees: `feeBurnShare` of it burned and `feeValidatorShare` of it to
 * the proposer, both rounded down; the treasury takes the remainder, so the parts sum exactly
 * to the total. Priority fees are not part of this: they go wholly to the proposer.
 */
export function splitBaseFee(
  totalBaseFee: bigint,
  params: { feeValidatorShare: bigint; feeBurnShare: bigint },
): BaseFeeSplit {
  const { feeValidatorShare: share, feeBurnShare: burn } = params;
  if (totalBaseFee < 0n) throw new RangeError(`negative base fee total ${totalBaseFee}`);
  if (share < 0n || burn < 0n || share + burn > WAD) {
    throw new RangeError(`fee shares out of range: validator ${share}, burn ${burn} (WAD)`);
  }
  const burned = (totalBaseFee * burn) / WAD;
  const proposer = (totalBaseFee * share) / WAD;
  return { proposer, treasury: totalBaseFee - burned - proposer, burned };
}
