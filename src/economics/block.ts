/**
 * What the economics do in every block, after its transactions and fees (PROTOCOL §7):
 *
 * 1. mint floor(B·i_n + carry) at the rate of the block's year: δ of it to the proposer, the rest to all locks through the
 *    staking accumulator (to the DAO treasury when nothing is locked);
 * 2. split the proposer's share (its δ part, its base fee share and the priority fees, which the
 *    fee rules leave in the staking reward pool): commission to the operator, the rest to the
 *    locks voting for it through the candidate's accumulator (to the operator when none vote; to
 *    the proposer's own address when it has no candidacy);
 * 3. release this block's voter bonus from the pool, and at an epoch's last block pay what the
 *    epoch released: half in equal shares to the voters of each validator of the epoch, half to
 *    the voters of one validator drawn with the block's RANDAO mix, pro rata to vote weight.
 *    Locks that began voting during the epoch do not share its bonus; a validator without voters
 *    forfeits its share; rounding dust stays in the pool.
 *
 * Supply B changes by what is minted and what the fee rules burn. O(1) per block, plus the
 * epoch's voters at its last block.
 */
import { bytesToBigint, concatBytes, equalBytes } from '../crypto/bytes.js';
import { keccak256 } from '../crypto/keccak.js';
import type { StateDB } from '../state/state-db.js';
import {
  DAO_TREASURY,
  STAKING_REWARD_POOL,
  VOTER_BONUS_POOL,
} from '../execution/system-accounts.js';
import { epochBounds, epochOf, isEpochEnd } from '../staking/epochs.js';
import type { StakingParams } from '../staking/params.js';
import { StakingStore, type Address, type EconomicState } from '../staking/store.js';
import { share } from './accumulator.js';
import { bonusPerBlock } from './bonus.js';
import { inflationRateAt, mintBlock, perBlockRate, splitMint } from './inflation.js';
import type { EconomicsParams } from './params.js';

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
  /** The block's RANDAO mix (draws the bonus lottery at an epoch's end). */
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

export function applyBlockEconomics(
  state: StateDB,
  input: BlockEconomicsInput,
): BlockEconomicsOutput {
  const store = new StakingStore(state);
  const { params, height } = input;
  let econ = store.economics();

  // 1. Mint.
  const rate = perBlockRate(inflationRateAt(height, params), params.blocksPerYear);
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
  const { commission, voters } = payProposer(state, store, input.coinbase, proposerTotal);

  // 3. The voter bonus.
  const pool = state.getAccount(VOTER_BONUS_POOL).balance;
  const offered = bonusPerBlock(height, params.bonusScheduleDivisor);
  const available = pool - econ.bonusPending;
  const released = offered < available ? offered : available;
  econ = {
    ...econ,
    bonusPending: econ.bonusPending + released,
    bonusReleased: econ.bonusReleased + released,
  };
  let bonusPaid = 0n;
  if (isEpochEnd(height, params)) {
    bonusPaid = payBonus(state, store, input, econ.bonusPending);
    econ = { ...econ, bonusPending: 0n };
  }
  store.setEconomics(econ);
  return {
    minted,
    commission,
    voters,
    stakers: split.stakers,
    bonusReleased: released,
    bonusPaid,
  };
}

function payProposer(
  state: StateDB,
  store: StakingStore,
  coinbase: Address,
  total: bigint,
): { commission: bigint; voters: bigint } {
  const operator = store.operatorOfKey(coinbase);
  if (!operator) {
    move(state, STAKING_REWARD_POOL, coinbase, total);
    return { commission: total, voters: 0n };
  }
  const c = store.getCandidate(operator)!;
  const commission = (total * c.commissionBps) / BPS;
  const rest = total - commission;
  const cr = store.candidateRewards(operator);
  if (cr.totalWeight === 0n) {
    move(state, STAKING_REWARD_POOL, operator, total);
    return { commission: total, voters: 0n };
  }
  move(state, STAKING_REWARD_POOL, operator, commission);
  const a = share(cr, rest, cr.totalWeight);
  store.setCandidateRewards(operator, { ...cr, acc: a.acc, rem: a.rem });
  return { commission, voters: rest };
}

/** Pays an epoch's released bonus; returns what left the pool. */
function payBonus(
  state: StateDB,
  store: StakingStore,
  input: BlockEconomicsInput,
  amount: bigint,
): bigint {
  const K = BigInt(input.validators.length);
  if (amount === 0n || K === 0n) return 0n;
  const epochFirst = epochBounds(epochOf(input.height, input.params), input.params).first;
  const even = amount / 2n / K;
  const drawn = bytesToBigint(keccak256(concatBytes(input.mix, BONUS_DRAW_TAG))) % K;
  let paid = 0n;
  input.validators.forEach((key, k) => {
    const operator = store.operatorOfKey(key);
    if (!operator) return;
    const due = even + (BigInt(k) === drawn ? amount / 2n : 0n);
    paid += payVoters(store, operator, due, epochFirst);
  });
  move(state, VOTER_BONUS_POOL, STAKING_REWARD_POOL, paid);
  return paid;
}

const BONUS_DRAW_TAG = new TextEncoder().encode('etm/voter-bonus');

/** Adds `amount` pro rata to the owed rewards of a candidate's eligible voters; returns the sum. */
function payVoters(
  store: StakingStore,
  operator: Address,
  amount: bigint,
  epochFirst: bigint,
): bigint {
  const eligible: { id: bigint; weight: bigint }[] = [];
  let total = 0n;
  for (const id of store.votesFor(operator)) {
    const lock = store.getLock(id)!;
    if (lock.since >= epochFirst || !lock.candidate || !equalBytes(lock.candidate, operator))
      continue;
    const weight = store.lockRewards(id).weight;
    if (weight === 0n) continue;
    eligible.push({ id, weight });
    total += weight;
  }
  if (total === 0n) return 0n;
  let paid = 0n;
  for (const { id, weight } of eligible) {
    const due = (amount * weight) / total;
    if (due === 0n) continue;
    const r = store.lockRewards(id);
    store.setLockRewards(id, { ...r, owed: r.owed + due });
    paid += due;
  }
  return paid;
}

/** Economic state as stored, for views. */
export function economicState(state: StateDB): EconomicState {
  return new StakingStore(state).economics();
}
