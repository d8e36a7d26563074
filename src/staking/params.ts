/**
 * Parameters of locks, votes, candidates and the election (PROTOCOL §5, §6, §10), with their
 * hard bounds. They are part of the chain parameters; fractions are WAD-scaled (10^18 = 1.0),
 * commissions are basis points (10,000 = 100%).
 */
const WAD = 10n ** 18n;
const ETM = 10n ** 18n;

export const CONCAVE_ON_CANDIDATE = 0n;
export const CONCAVE_ON_LOCK = 1n;

export interface StakingParams {
  /** Blocks per epoch: one election per epoch. */
  epochBlocks: bigint;
  /** Seats filled by the largest election weights. */
  rankedSeats: bigint;
  /** Seats drawn by lottery among the other candidates. */
  lotterySeats: bigint;
  /** Blocks per day: the time gain coefficient grows by one every this many blocks. */
  blocksPerDay: bigint;
  /** Largest time gain coefficient. */
  tMax: bigint;
  /** Concave exponent u (WAD), 0 < u ≤ 1. */
  stakeExponent: bigint;
  /** Where the exponent applies: 0 = to a candidate's total (default), 1 = to each lock. */
  concaveOn: bigint;
  /** Epochs over which the performance coefficient counts proposer turns. */
  perfWindowEpochs: bigint;
  /** Smallest self-lock a candidate needs to have election weight. */
  candidateDeposit: bigint;
  /** Smallest lock. */
  minLock: bigint;
  /** Most locks one account may hold (unbonding entries count separately, with the same cap). */
  maxLocksPerAccount: bigint;
  /** Blocks from unlock() until the tokens return to the balance. */
  unbondingBlocks: bigint;
  /** Blocks from unlocking a candidate's deposit until it returns. */
  depositUnbondingBlocks: bigint;
  /** Largest change of a candidate's commission per update, in basis points. */
  maxCommissionChangeBps: bigint;
  /** Epochs between two commission changes of one candidate. */
  commissionChangeEpochs: bigint;
  /**
   * Layers N of every RANDAO onion committed from now on (c = H^N(secret)): a candidate can
   * reveal N times, then must have renewed its commitment (renewRandao) to be elected again.
   */
  randaoLayers: bigint;
}

interface Bound {
  min: bigint;
  max: bigint;
  what: string;
}

export const STAKING_PARAM_BOUNDS: Record<keyof StakingParams, Bound> = {
  epochBlocks: { min: 4n, max: 1_000_000n, what: 'blocks' },
  rankedSeats: { min: 0n, max: 256n, what: 'seats' },
  lotterySeats: { min: 0n, max: 256n, what: 'seats' },
  blocksPerDay: { min: 1n, max: 10_000_000n, what: 'blocks' },
  tMax: { min: 1n, max: 1_000n, what: '' },
  stakeExponent: { min: 1n, max: WAD, what: 'WAD fraction' },
  concaveOn: { min: 0n, max: 1n, what: '(0 = candidate, 1 = lock)' },
  perfWindowEpochs: { min: 1n, max: 10_000n, what: 'epochs' },
  candidateDeposit: { min: ETM, max: 10n ** 9n * ETM, what: 'units' },
  minLock: { min: 1n, max: 10n ** 9n * ETM, what: 'units' },
  maxLocksPerAccount: { min: 1n, max: 1_000n, what: 'locks' },
  unbondingBlocks: { min: 1n, max: 100_000_000n, what: 'blocks' },
  depositUnbondingBlocks: { min: 1n, max: 100_000_000n, what: 'blocks' },
  maxCommissionChangeBps: { min: 0n, max: 10_000n, what: 'basis points' },
  commissionChangeEpochs: { min: 0n, max: 10_000n, what: 'epochs' },
  randaoLayers: { min: 16n, max: 1n << 24n, what: 'reveals' },
};

/** Defaults for a 3-second block (PROTOCOL §10). */
export const DEFAULT_STAKING_PARAMS: StakingParams = {
  epochBlocks: 1_200n,
  rankedSeats: 15n,
  lotterySeats: 6n,
  blocksPerDay: 28_800n,
  tMax: 32n,
  stakeExponent: (3n * WAD) / 4n,
  concaveOn: CONCAVE_ON_CANDIDATE,
  perfWindowEpochs: 30n,
  candidateDeposit: 1_000n * ETM,
  minLock: ETM,
  maxLocksPerAccount: 64n,
  unbondingBlocks: 3n * 28_800n,
  depositUnbondingBlocks: 28n * 28_800n,
  maxCommissionChangeBps: 100n,
  commissionChangeEpochs: 1n,
  randaoLayers: 65_536n,
};

/** Cross-parameter rules; returns the first broken one. */
export function stakingParamsProblem(p: StakingParams): string | null {
  const seats = p.rankedSeats + p.lotterySeats;
  if (seats < 1n) return 'rankedSeats + lotterySeats must be at least 1';
  if (seats > 256n) return 'rankedSeats + lotterySeats must be at most 256';
  if (p.minLock > p.candidateDeposit) return 'minLock must not exceed candidateDeposit';
  return null;
}
