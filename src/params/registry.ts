/**
 * The registry of every protocol parameter (PROTOCOL §10): its type, hard bounds, default,
 * devnet value and when a change takes effect. Genesis checks a chain's parameters against it
 * and writes them into the state (src/params/store.ts); the state transition reads them from the
 * state of the block it executes. Fractions are bigint scaled by 10^18 (WAD: 10^18 = 1.0),
 * commissions basis points (10,000 = 100%).
 */
import { EtmError } from '../primitives/errors.js';
import type { EpochSegment } from './epochs.js';

export const WAD = 10n ** 18n;
export const ETM = 10n ** 18n;

export const CONCAVE_ON_CANDIDATE = 0n;
export const CONCAVE_ON_LOCK = 1n;

/** Parameters of blocks, fees and transactions. */
export interface BlockParams {
  /** Target time between blocks, in milliseconds. */
  blockTimeMs: bigint;
  /** A block's timestamp may be at most this far ahead of the validating node's clock (seconds). */
  maxClockDriftSeconds: bigint;
  /** Gas limit of every block (fixed by genesis). */
  blockGasLimit: bigint;
  /** Floor of the EIP-1559 base fee, in units per gas. */
  minBaseFee: bigint;
  /** Share of the base fee paid to the proposer (WAD); the rest goes to the DAO treasury. */
  feeValidatorShare: bigint;
  /** Share of the base fee burned before the split (WAD); 0 by default. */
  feeBurnShare: bigint;
  /** Largest accepted encoded transaction, in bytes. */
  maxTxBytes: bigint;
  /** Largest accepted encoded block, in bytes. */
  maxBlockBytes: bigint;
  /**
   * Most gas a block's EVM transactions may use together (their gas limits count while the
   * block is built): bounds the time a block of contract code takes to execute, which per gas
   * is far above a transfer's (docs/contracts.md).
   */
  maxContractGasPerBlock: bigint;
}

/** Parameters of locks, votes, candidates and the election (PROTOCOL §5, §6). */
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

/** Parameters of inflation, staking rewards and the voter bonus (PROTOCOL §7). */
export interface EconomicsParams {
  /**
   * Yearly inflation by year (WAD): entry y applies to the blocks of year y + 1, blocks
   * y·n + 1 … (y + 1)·n with n = blocksPerYear; the last entry applies to every later year.
   */
  inflationSchedule: readonly bigint[];
  /** Blocks per year n; derived from the block time unless given (10,512,000 at 3 s). */
  blocksPerYear: bigint;
  /** δ (WAD): share of each block's mint paid to its proposer; the rest goes to all locks. */
  validatorInflationShare: bigint;
  /** Share of the genesis supply (WAD) that funds the voter bonus pool at genesis. */
  bonusPoolShare: bigint;
  /**
   * Divides the bonus schedule's stage lengths and multiplies its per-block amounts, so that a
   * chain with short epochs pays the same bonus per epoch as the reference one (1 = as specified).
   */
  bonusScheduleDivisor: bigint;
}

/** Parameters of slashing and jail (docs/slashing.md). */
export interface SlashingParams {
  /** Share of the deposit a double-signing validator loses (WAD). */
  slashDoubleSign: bigint;
  /** Share of the deposit a validator jailed for downtime loses (WAD). */
  slashDowntime: bigint;
  /** Share of a double-sign slash paid to the evidence's reporter (WAD); the rest to the treasury. */
  reporterReward: bigint;
  /** Evidence of an offence at a height older than this many blocks is refused. */
  evidenceMaxAgeBlocks: bigint;
  /** A validator missing more than this share of an epoch's seals is jailed (WAD). */
  maxMissedSealsRatio: bigint;
  /** Epochs a validator jailed for downtime stays jailed before it may unjail. */
  jailEpochs: bigint;
}

/** Parameters of the DAO (PROTOCOL §9): deposits, periods in blocks, fractions in WAD. */
export interface GovernanceParams {
  /** Smallest deposit a proposal is submitted with. */
  minProposalDeposit: bigint;
  /** Deposit at which a proposal enters its vote. */
  proposalDeposit: bigint;
  /** Blocks a proposal has to reach proposalDeposit. */
  depositPeriod: bigint;
  /** Blocks of a proposal's vote. */
  votingPeriod: bigint;
  /** Share of the locked tokens that must vote (WAD). */
  quorum: bigint;
  /** Share of the non-abstaining votes that must be yes, exceeded (WAD). */
  threshold: bigint;
  /** Share of the votes that vetoes (WAD). */
  vetoThreshold: bigint;
  /** Share of all locked tokens that must vote yes on an emergency proposal (WAD). */
  emergencyThreshold: bigint;
  /** Blocks of an emergency proposal's vote. */
  emergencyVotingPeriod: bigint;
  /** Blocks between an emergency proposal's passing and its execution. */
  emergencyTimelock: bigint;
}

/** The DAO's parameters (their devnet values are what `etm devnet` runs with). */
export const GOVERNANCE_PARAM_NAMES: readonly (keyof GovernanceParams)[] = [
  'minProposalDeposit',
  'proposalDeposit',
  'depositPeriod',
  'votingPeriod',
  'quorum',
  'threshold',
  'vetoThreshold',
  'emergencyThreshold',
  'emergencyVotingPeriod',
  'emergencyTimelock',
];

export interface ChainParams
  extends BlockParams, StakingParams, EconomicsParams, SlashingParams, GovernanceParams {
  /**
   * Not a parameter: the epoch schedule once `epochBlocks` was changed, read from the state with
   * the parameters (src/params/epochs.ts); absent while the genesis length holds.
   */
  readonly epochHistory?: readonly EpochSegment[];
}

/** The name of a parameter of the registry. */
export type ParamName = Exclude<keyof ChainParams, 'epochHistory'>;

/**
 * When a changed value is first read: by the next block, or from the first block of the next
 * epoch (values an epoch is built on: its length, seats, weights and rates).
 */
export type TakesEffect = 'next-block' | 'next-epoch';

interface Bounds {
  min: bigint;
  max: bigint;
  /** The unit, for messages and docs. */
  what: string;
}

export interface UintParam extends Bounds {
  type: 'uint';
  default: bigint;
  /** The value `etm devnet` uses (short epochs, few seats). */
  devnet: bigint;
  takesEffect: TakesEffect;
}

export interface UintListParam extends Bounds {
  type: 'uint[]';
  minLength: number;
  maxLength: number;
  default: readonly bigint[];
  devnet: readonly bigint[];
  takesEffect: TakesEffect;
}

export type ParamDef = UintParam | UintListParam;

type DefOf<V> = V extends readonly bigint[] ? UintListParam : UintParam;

const uint = (
  min: bigint,
  max: bigint,
  what: string,
  dflt: bigint,
  takesEffect: TakesEffect,
  devnet = dflt,
): UintParam => ({ type: 'uint', min, max, what, default: dflt, devnet, takesEffect });

const DAY_MS = 86_400_000n;
const YEAR_MS = 365n * DAY_MS;

/** n = 365 days / block time. */
export function blocksPerYearFor(blockTimeMs: bigint): bigint {
  return YEAR_MS / blockTimeMs;
}

/** Devnet epochs: 20 blocks (the reference chain's are 1,200). */
const DEVNET_EPOCH_BLOCKS = 20n;

/**
 * Every parameter. A parameter of ChainParams without an entry here is a compile error. Defaults
 * are for a 3-second block; parameters counted in days or years follow the block time unless
 * given (withDerivedParams).
 */
export const PARAMS: { readonly [K in ParamName]: DefOf<ChainParams[K]> } = {
  blockTimeMs: uint(100n, 60_000n, 'milliseconds', 3000n, 'next-block'),
  maxClockDriftSeconds: uint(1n, 300n, 'seconds', 15n, 'next-block'),
  blockGasLimit: uint(1_000_000n, 1_000_000_000n, 'gas', 150_000_000n, 'next-block'),
  minBaseFee: uint(0n, 10n ** 15n, 'units per gas', 1_000_000_000n, 'next-block'),
  feeValidatorShare: uint(0n, WAD, 'WAD fraction', (8n * WAD) / 10n, 'next-block'),
  feeBurnShare: uint(0n, WAD, 'WAD fraction', 0n, 'next-block'),
  maxTxBytes: uint(1024n, 1024n * 1024n, 'bytes', 128n * 1024n, 'next-block'),
  maxBlockBytes: uint(64n * 1024n, 64n * 1024n * 1024n, 'bytes', 16n * 1024n * 1024n, 'next-block'),
  maxContractGasPerBlock: uint(1_000_000n, 1_000_000_000n, 'gas', 15_000_000n, 'next-block'),
  // Next-epoch only: a new length starts a segment of the epoch schedule after an epoch's last
  // block (src/params/epochs.ts). At least 4: an election looks two epochs ahead.
  epochBlocks: uint(4n, 1_000_000n, 'blocks', 1_200n, 'next-epoch', DEVNET_EPOCH_BLOCKS),
  rankedSeats: uint(0n, 256n, 'seats', 15n, 'next-epoch', 3n),
  lotterySeats: uint(0n, 256n, 'seats', 6n, 'next-epoch', 1n),
  blocksPerDay: uint(1n, 10_000_000n, 'blocks', 28_800n, 'next-epoch'),
  tMax: uint(1n, 1_000n, '', 32n, 'next-epoch'),
  stakeExponent: uint(1n, WAD, 'WAD fraction', (3n * WAD) / 4n, 'next-epoch'),
  concaveOn: uint(0n, 1n, '(0 = candidate, 1 = lock)', CONCAVE_ON_CANDIDATE, 'next-epoch'),
  perfWindowEpochs: uint(1n, 10_000n, 'epochs', 30n, 'next-epoch'),
  candidateDeposit: uint(ETM, 10n ** 9n * ETM, 'units', 1_000n * ETM, 'next-epoch'),
  minLock: uint(1n, 10n ** 9n * ETM, 'units', ETM, 'next-block'),
  maxLocksPerAccount: uint(1n, 1_000n, 'locks', 64n, 'next-block'),
  unbondingBlocks: uint(1n, 100_000_000n, 'blocks', 3n * 28_800n, 'next-block'),
  depositUnbondingBlocks: uint(1n, 100_000_000n, 'blocks', 28n * 28_800n, 'next-block'),
  maxCommissionChangeBps: uint(0n, 10_000n, 'basis points', 100n, 'next-block'),
  commissionChangeEpochs: uint(0n, 10_000n, 'epochs', 1n, 'next-block'),
  randaoLayers: uint(16n, 1n << 24n, 'reveals', 65_536n, 'next-block'),
  inflationSchedule: {
    type: 'uint[]',
    min: 0n,
    max: WAD,
    what: 'WAD fraction per year',
    minLength: 1,
    maxLength: 200,
    default: [WAD / 10n],
    devnet: [WAD / 10n],
    takesEffect: 'next-epoch',
  },
  blocksPerYear: uint(1n, 10n ** 10n, 'blocks', blocksPerYearFor(3000n), 'next-epoch'),
  validatorInflationShare: uint(0n, WAD, 'WAD fraction', WAD / 10n, 'next-block'),
  bonusPoolShare: uint(0n, WAD / 2n, 'WAD fraction', WAD / 20n, 'next-epoch'),
  // The devnet pays the same voter bonus per epoch as the reference chain's 1,200-block epochs.
  bonusScheduleDivisor: uint(1n, 1_000_000n, '', 1n, 'next-epoch', 1_200n / DEVNET_EPOCH_BLOCKS),
  slashDoubleSign: uint(0n, WAD, 'WAD fraction', WAD / 10n, 'next-block'),
  slashDowntime: uint(0n, WAD, 'WAD fraction', WAD / 1_000n, 'next-block'),
  reporterReward: uint(0n, WAD, 'WAD fraction', WAD / 10n, 'next-block'),
  // 7 days (derived from the block time unless given); a deposit's unbonding must outlast it.
  evidenceMaxAgeBlocks: uint(1n, 100_000_000n, 'blocks', 7n * 28_800n, 'next-block'),
  // A block records only the seals its proposer gathered (at least a quorum), so a live but slow
  // validator can be missing from most of them; its own blocks always carry its seal.
  maxMissedSealsRatio: uint(0n, WAD, 'WAD fraction', (95n * WAD) / 100n, 'next-epoch'),
  jailEpochs: uint(1n, 10_000n, 'epochs', 24n, 'next-block', 2n),
  // Governance: days counted at the 3-second block; the devnet's periods are a few blocks.
  minProposalDeposit: uint(ETM, 10n ** 9n * ETM, 'units', 100n * ETM, 'next-block', ETM),
  proposalDeposit: uint(ETM, 10n ** 9n * ETM, 'units', 10_000n * ETM, 'next-block', 10n * ETM),
  depositPeriod: uint(1n, 100_000_000n, 'blocks', 14n * 28_800n, 'next-block', 40n),
  votingPeriod: uint(1n, 100_000_000n, 'blocks', 7n * 28_800n, 'next-block', 15n),
  quorum: uint(WAD / 100n, WAD, 'WAD fraction', (334n * WAD) / 1000n, 'next-block'),
  threshold: uint(WAD / 2n, WAD, 'WAD fraction', WAD / 2n, 'next-block'),
  vetoThreshold: uint(WAD / 100n, WAD, 'WAD fraction', (334n * WAD) / 1000n, 'next-block'),
  emergencyThreshold: uint(WAD / 2n, WAD, 'WAD fraction', (667n * WAD) / 1000n, 'next-block'),
  emergencyVotingPeriod: uint(1n, 100_000_000n, 'blocks', 28_800n, 'next-block', 10n),
  emergencyTimelock: uint(1n, 100_000_000n, 'blocks', 28_800n, 'next-block', 5n),
};

/** Every parameter name, sorted: the order genesis commits to them and stores them in. */
export const PARAM_NAMES: readonly ParamName[] = (Object.keys(PARAMS) as ParamName[]).sort();

/** The parameters that are lists of integers. */
export type ListParamKey = {
  [K in ParamName]: ChainParams[K] extends readonly bigint[] ? K : never;
}[ParamName];

export const isListParam = (k: string): k is ListParamKey =>
  (PARAMS as Record<string, ParamDef>)[k]?.type === 'uint[]';

const valuesOf = (pick: 'default' | 'devnet'): ChainParams =>
  Object.fromEntries(PARAM_NAMES.map((k) => [k, PARAMS[k][pick]])) as unknown as ChainParams;

export const DEFAULT_PARAMS: ChainParams = valuesOf('default');
export const DEVNET_PARAMS: ChainParams = valuesOf('devnet');

/**
 * Parameters counted in days or years follow the block time unless given: blocksPerDay, the
 * unbonding periods (3 and 28 days), the evidence age (7 days) and blocksPerYear.
 */
export function withDerivedParams(p: ChainParams, given: ReadonlySet<string>): ChainParams {
  const perDay = given.has('blocksPerDay') ? p.blocksPerDay : DAY_MS / p.blockTimeMs;
  return {
    ...p,
    blocksPerDay: perDay,
    unbondingBlocks: given.has('unbondingBlocks') ? p.unbondingBlocks : 3n * perDay,
    depositUnbondingBlocks: given.has('depositUnbondingBlocks')
      ? p.depositUnbondingBlocks
      : 28n * perDay,
    evidenceMaxAgeBlocks: given.has('evidenceMaxAgeBlocks') ? p.evidenceMaxAgeBlocks : 7n * perDay,
    blocksPerYear: given.has('blocksPerYear') ? p.blocksPerYear : blocksPerYearFor(p.blockTimeMs),
  };
}

export class ParamError extends EtmError<'param'> {
  override name = 'ParamError';

  constructor(message: string, options?: ErrorOptions) {
    super('param', message, options);
  }
}

/** Why one value is outside its parameter's hard bounds, or null. */
export function paramProblem(key: ParamName, v: unknown): string | null {
  const d: ParamDef = PARAMS[key];
  if (d.type === 'uint[]') {
    if (!Array.isArray(v) || v.some((x) => typeof x !== 'bigint'))
      return `parameter ${key} is missing`;
    if (v.length < d.minLength || v.length > d.maxLength)
      return `parameter ${key} has ${v.length} entries; expected ${d.minLength} to ${d.maxLength}`;
    const i = (v as bigint[]).findIndex((x) => x < d.min || x > d.max);
    return i < 0
      ? null
      : `parameter ${key}[${i}] = ${v[i]} is outside [${d.min}, ${d.max}] ${d.what}`;
  }
  if (typeof v !== 'bigint') return `parameter ${key} is missing`;
  return v < d.min || v > d.max
    ? `parameter ${key} = ${v} is outside [${d.min}, ${d.max}] ${d.what}`
    : null;
}

/** Rules between parameters; the first broken one, or null. */
export function crossParamProblem(p: ChainParams): string | null {
  if (p.feeBurnShare + p.feeValidatorShare > WAD)
    return 'feeValidatorShare + feeBurnShare must not exceed 1';
  const seats = p.rankedSeats + p.lotterySeats;
  if (seats < 1n) return 'rankedSeats + lotterySeats must be at least 1';
  if (seats > 256n) return 'rankedSeats + lotterySeats must be at most 256';
  if (p.minLock > p.candidateDeposit) return 'minLock must not exceed candidateDeposit';
  if (p.minProposalDeposit > p.proposalDeposit)
    return 'minProposalDeposit must not exceed proposalDeposit';
  // An offender must not get its deposit back before evidence against it expires.
  if (p.depositUnbondingBlocks <= p.evidenceMaxAgeBlocks)
    return 'depositUnbondingBlocks must exceed evidenceMaxAgeBlocks';
  return null;
}

/** Checks every parameter against its hard bounds; throws ParamError naming the first violation. */
export function checkParams(p: ChainParams): void {
  for (const key of PARAM_NAMES) {
    const problem = paramProblem(key, p[key]);
    if (problem) throw new ParamError(problem);
  }
  const cross = crossParamProblem(p);
  if (cross) throw new ParamError(cross);
}
