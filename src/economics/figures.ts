/**
 * The economy's figures at a block (PROTOCOL §7.2), for `etm_getEconomics` and `etm economics`:
 * staking ratio, per-block rates and the two APY figures. Rates are 36-decimal fixed point.
 * Views only: nothing here decides state.
 */
import { MathError, ONE, powInt, powReal, SCALE, WAD_TO_FIXED } from '../math/fixed.js';
import type { StateDB } from '../state/state-db.js';
import {
  DAO_TREASURY,
  STAKING_REWARD_POOL,
  VOTER_BONUS_POOL,
} from '../primitives/system-addresses.js';
import { inflationRateAt, inflationYear, nextInflationSwitch, perBlockRate } from './inflation.js';
import type { EconomicsParams } from '../params/registry.js';
import { RewardStore } from './reward-store.js';
import { WAD } from '../params/registry.js';

export interface EconomicsFigures {
  supply: bigint;
  totalLocked: bigint;
  /** S/B; null when B = 0. */
  stakingRatio: bigint | null;
  /** The yearly rate i of the block's year, the year (from 1), and the first block of the next
   * entry of the schedule (null once the last entry applies for good). */
  inflationRate: bigint;
  inflationYear: bigint;
  nextInflationSwitch: bigint | null;
  blocksPerYear: bigint;
  validatorInflationShare: bigint;
  perBlockRate: bigint;
  /** r = B·i_n·(1−δ)/S per locked token per block; null when S = 0. */
  rewardPerTokenPerBlock: bigint | null;
  /** Units minted by the block, and since genesis. */
  minted: bigint;
  mintedTotal: bigint;
  /** (1+i)^((1−δ)·B/S) − 1; null when S = 0 or too large to represent. */
  apyEstimate: bigint | null;
  /** (1+r)^n − 1; null when S = 0 or too large to represent. */
  apyCurrent: bigint | null;
  bonusReleased: bigint;
  bonusPending: bigint;
  bonusPool: bigint;
  treasury: bigint;
  rewardPool: bigint;
}

/** null instead of an overflow: a figure too large for the fixed-point range. */
function orNull(f: () => bigint): bigint | null {
  try {
    return f();
  } catch (e) {
    if (e instanceof MathError) return null;
    throw e;
  }
}

/**
 * The seed's APY estimate (1+i)^((1−δ)·B/S) − 1 in fixed point, from the yearly rate i and δ
 * (WAD); null when S = 0 or too large to represent.
 */
export function apyEstimateOf(
  B: bigint,
  S: bigint,
  inflationRateWad: bigint,
  deltaWad: bigint,
): bigint | null {
  if (S === 0n) return null;
  return orNull(
    () =>
      powReal(ONE + inflationRateWad * WAD_TO_FIXED, (B * (WAD - deltaWad) * WAD_TO_FIXED) / S) -
      ONE,
  );
}

/** The figures at the end of block `height` (its state); rates are those of the block's year. */
export function economicsFigures(
  state: StateDB,
  params: EconomicsParams,
  height: bigint,
): EconomicsFigures {
  const e = new RewardStore(state).economics();
  const B = e.supply;
  const S = e.totalLocked;
  const rate = inflationRateAt(height, params);
  const i = rate * WAD_TO_FIXED;
  const delta = params.validatorInflationShare;
  const iN = perBlockRate(rate, params.blocksPerYear);
  const r = S === 0n ? null : (B * iN * (WAD - delta)) / WAD / S;
  return {
    supply: B,
    totalLocked: S,
    stakingRatio: B === 0n ? null : (S * SCALE) / B,
    inflationRate: i,
    inflationYear: inflationYear(height, params.blocksPerYear) + 1n,
    nextInflationSwitch: nextInflationSwitch(height, params),
    blocksPerYear: params.blocksPerYear,
    validatorInflationShare: delta * WAD_TO_FIXED,
    perBlockRate: iN,
    rewardPerTokenPerBlock: r,
    minted: e.lastMinted,
    mintedTotal: e.minted,
    apyEstimate: apyEstimateOf(B, S, rate, delta),
    apyCurrent: r === null ? null : orNull(() => powInt(ONE + r, params.blocksPerYear) - ONE),
    bonusReleased: e.bonusReleased,
    bonusPending: e.bonusPending,
    bonusPool: state.getAccount(VOTER_BONUS_POOL).balance,
    treasury: state.getAccount(DAO_TREASURY).balance,
    rewardPool: state.getAccount(STAKING_REWARD_POOL).balance,
  };
}
