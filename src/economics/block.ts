/**
 * What the economics do in every block, after its transactions and fees (PROTOCOL §7):
 *
 * 1. mint floor(B·i_n + carry) at the rate of the block's year: δ of it to the proposer, the rest to all locks through the
 *    staking accumulator (to the DAO treasury when nothing is locked);
 * 2. split the proposer's share (its δ part, its base fee share and the priority fees, which the
 *    fee rules leave in the staking reward pool): commission to the operator, the rest to the
 *    locks voting for it through the candidate's accumulator (to the operator when none vote; to
 *    the proposer's own address when it has no candidacy);
 * 3. release this block's voter bonus from the pool (never beyond the genesis pool: the cap is
 *    the pool's genesis balance, not what the account holds), and at an epoch's last block pay
 *    what the epoch released: half in equal shares to the voters of each validator of the
 *    epoch, half to the voters of one validator drawn with the mix after the epoch's first
 *    block revealed by another proposer than the previous epoch's last one,
 *    each through the candidate's voter accumulator, so pro rata to the weights of the locks
 *    that have voted for it since before the epoch began (those the proposer's share goes to).
 *    A validator without such voters (or without a candidacy) forfeits its share: it stays in
 *    the pool, no longer counted as released, and is released again later.
 *
 * Supply B changes by what is minted and what the fee rules burn. O(1) per block, and O(K) at an
 * epoch's last block: no work per lock.
 */
import type { Address } from '../primitives/types.js';
import { bytesToBigint, concatBytes, equalBytes } from '../crypto/bytes.js';
import { keccak256 } from '../crypto/keccak.js';
import type { StateDB } from '../state/state-db.js';
import {
  DAO_TREASURY,
  STAKING_REWARD_POOL,
  VOTER_BONUS_POOL,
} from '../primitives/system-addresses.js';
import { recordServing } from '../staking/block-hooks.js';
import { epochBounds, epochOf, isEpochEnd } from '../staking/epochs.js';
import { RewardLedger } from './ledger.js';
import type { StakingParams } from '../params/registry.js';
import { share } from './accumulator.js';
import { bonusPerBlock } from './bonus.js';
import { inflationRateAt, mintBlock, perBlockRate, splitMint } from './inflation.js';
import type { EconomicsParams } from '../params/registry.js';
import { isSettled } from '../staking/settlement.js';
import { stakingStores, type StakingStores } from '../staking/stores.js';
import { type EconomicState, RewardStore } from './reward-store.js';

const BPS = 10_000n;

export interface BlockEconomicsInput {
  height: bigint;
  params: StakingParams & EconomicsParams;
  /** The block's proposer (a consensus key). */
  coinbase: Address;
  /** Validators of this height (consensus keys). */
  validators: readonly Address[];
  /** The proposer's fee income (base fee share + priority fees), held by the reward pool. */
  proposerFees: bigint;
  /** Base fees burned by this block. */
  burned: bigint;
  /** The proposer's RANDAO reveal (empty when it has none) and the block's mix after it. */
  randaoReveal: Uint8Array;
  mix: Uint8Array;
}

export interface BlockEconomicsOutput {
  minted: bigint;
  /** Paid to the proposer's operator (or its own address) and to its voters. */
  commission: bigint;
  voters: bigint;
  stakers: bigint;
  bonusReleased: bigint;
  bonusPaid: bigint;
}

function credit(state: StateDB, to: Address, amount: bigint): void {
  if (amount === 0n) return;
  const a = state.getAccount(to);
  state.putAccount(to, { ...a, balance: a.balance + amount });
}

function move(state: StateDB, from: Address, to: Address, amount: bigint): void {
  if (amount === 0n) return;
  credit(state, from, -amount);
  credit(state, to, amount);
}

/** Steps 1–3 in every block: mint, the proposer's share, the bonus (paid at an epoch's end). */
export function rewardsEndBlock(state: StateDB, input: BlockEconomicsInput): BlockEconomicsOutput {
  const store = stakingStores(state);
  const rewards = new RewardStore(state);
  const { params, height } = input;
  let econ = rewards.economics();

  // 1. Mint (nothing once a GlobalSettlement stopped the staking economy, nor a bonus).
  const settled = isSettled(state);
  const rate = settled ? 0n : perBlockRate(inflationRateAt(height, params), params.blocksPerYear);
  const { minted, carry } = mintBlock(econ.supply, rate, econ.mintCarry);
  const split = splitMint(minted, params.validatorInflationShare);
  econ = {
    ...econ,
    supply: econ.supply + minted - input.burned,
    mintCarry: carry,
    minted: econ.minted + minted,
    lastMinted: minted,
  };
  if (econ.totalLocked > 0n) {
    credit(state, STAKING_REWARD_POOL, split.stakers);
    const a = share({ acc: econ.stakeAcc, rem: econ.stakeRem }, split.stakers, econ.totalLocked);
    econ = { ...econ, stakeAcc: a.acc, stakeRem: a.rem };
  } else credit(state, DAO_TREASURY, split.stakers);

  // 2. The proposer's share.
  credit(state, STAKING_REWARD_POOL, split.proposer);
  const proposerTotal = split.proposer + input.proposerFees;
  const { commission, voters } = payProposer(state, store, rewards, input.coinbase, proposerTotal);

  // 3. The voter bonus. The epoch's draw uses the mix after its first block with a reveal by
  // another proposer than the previous epoch's last block's: nobody could know it while votes
  // that share the epoch's bonus could still be cast, and the epoch's last proposer cannot
  // change it.
  const first = epochBounds(epochOf(height, params), params).first;
  if (takesBonusSeed(econ, first, input.randaoReveal, input.coinbase))
    econ = { ...econ, bonusSeed: input.mix, bonusSeedAt: height };
  const offered = settled ? 0n : bonusPerBlock(height, params.bonusScheduleDivisor);
  const available = econ.bonusCap - econ.bonusReleased;
  const released = offered < available ? offered : available;
  econ = {
    ...econ,
    bonusPending: econ.bonusPending + released,
    bonusReleased: econ.bonusReleased + released,
  };
  let bonusPaid = 0n;
  if (isEpochEnd(height, params)) {
    // No such block in the whole epoch (every other proposer exhausted or absent): the
    // epoch's last mix, which only its proposer could bias, and only by withholding.
    const seed = econ.bonusSeedAt >= first ? econ.bonusSeed : input.mix;
    bonusPaid = payBonus(state, store, rewards, input, econ.bonusPending, seed);
    // What was not paid (forfeits, the odd units of the split) is released again later.
    econ = {
      ...econ,
      bonusPending: 0n,
      bonusReleased: econ.bonusReleased - (econ.bonusPending - bonusPaid),
      lastEpochProposer: input.coinbase,
    };
  }
  rewards.setEconomics(econ);
  return {
    minted,
    commission,
    voters,
    stakers: split.stakers,
    bonusReleased: released,
    bonusPaid,
  };
}

/**
 * At an epoch's last block, after the staking module's election: the voters of the next epoch's
 * validators are re-weighed (they share its rewards by their weight as it begins).
 */
export function rewardsEndEpoch(state: StateDB, input: BlockEconomicsInput): void {
  const { params, height } = input;
  const coming = recordServing(stakingStores(state), epochOf(height, params) + 1n);
  new RewardLedger(state, params, height).refreshVoters(coming.operators);
}

function payProposer(
  state: StateDB,
  store: StakingStores,
  rewards: RewardStore,
  coinbase: Address,
  total: bigint,
): { commission: bigint; voters: bigint } {
  const operator = store.candidates.operatorOfKey(coinbase);
  if (!operator) {
    move(state, STAKING_REWARD_POOL, coinbase, total);
    return { commission: total, voters: 0n };
  }
  const c = store.candidates.getCandidate(operator)!;
  const { commission, voters: rest } = splitProposerIncome(total, c.commissionBps);
  const cr = rewards.candidateRewards(operator);
  if (cr.totalWeight === 0n) {
    move(state, STAKING_REWARD_POOL, operator, total);
    return { commission: total, voters: 0n };
  }
  move(state, STAKING_REWARD_POOL, operator, commission);
  const a = share(cr, rest, cr.totalWeight);
  rewards.setCandidateRewards(operator, { ...cr, acc: a.acc, rem: a.rem });
  return { commission, voters: rest };
}

/**
 * Pays an epoch's released bonus into the voter accumulators of its validators' candidates;
 * returns what left the pool.
 */
function payBonus(
  state: StateDB,
  store: StakingStores,
  rewards: RewardStore,
  input: BlockEconomicsInput,
  amount: bigint,
  seed: Uint8Array,
): bigint {
  const K = BigInt(input.validators.length);
  if (amount === 0n || K === 0n) return 0n;
  const drawn = bonusDraw(seed, K);
  let paid = 0n;
  input.validators.forEach((key, k) => {
    const operator = store.candidates.operatorOfKey(key);
    if (!operator) return;
    const cr = rewards.candidateRewards(operator);
    if (cr.totalWeight === 0n) return;
    const due = bonusDue(amount, K, BigInt(k), drawn);
    const a = share(cr, due, cr.totalWeight);
    rewards.setCandidateRewards(operator, { ...cr, acc: a.acc, rem: a.rem });
    paid += due;
  });
  move(state, VOTER_BONUS_POOL, STAKING_REWARD_POOL, paid);
  return paid;
}

/**
 * Whether the block at `height` fixes its epoch's bonus seed: no block of the epoch (which
 * starts at `first`) has yet, it carries a reveal, and its proposer is not the previous epoch's
 * last one.
 */
export function takesBonusSeed(
  econ: Pick<EconomicState, 'bonusSeedAt' | 'lastEpochProposer'>,
  first: bigint,
  randaoReveal: Uint8Array,
  coinbase: Address,
): boolean {
  return (
    econ.bonusSeedAt < first &&
    randaoReveal.length > 0 &&
    !equalBytes(coinbase, econ.lastEpochProposer)
  );
}

/** A proposer's income split: commission (rounded down) to the operator, the rest to voters. */
export function splitProposerIncome(
  total: bigint,
  commissionBps: bigint,
): { commission: bigint; voters: bigint } {
  const commission = (total * commissionBps) / BPS;
  return { commission, voters: total - commission };
}

/**
 * The bonus due to the voters of the validator at position k of K when `amount` is paid: an
 * equal share ⌊amount/2/K⌋, and amount/2 more for the drawn one.
 */
export function bonusDue(amount: bigint, K: bigint, k: bigint, drawn: bigint): bigint {
  return amount / 2n / K + (k === drawn ? amount / 2n : 0n);
}

const BONUS_DRAW_TAG = new TextEncoder().encode('etm/voter-bonus');

/** Position of the validator whose voters draw the bonus's second half: keccak(seed ‖ tag) mod K. */
export function bonusDraw(seed: Uint8Array, K: bigint): bigint {
  return bytesToBigint(keccak256(concatBytes(seed, BONUS_DRAW_TAG))) % K;
}

/** Economic state as stored, for views. */
export function economicState(state: StateDB): EconomicState {
  return new RewardStore(state).economics();
}
