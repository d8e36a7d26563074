/**
 * Parameters of inflation, staking rewards and the voter bonus (PROTOCOL §7, §10), with their
 * hard bounds. Fractions are WAD-scaled (10^18 = 1.0).
 */
const WAD = 10n ** 18n;

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

interface Bound {
  min: bigint;
  max: bigint;
  what: string;
}

/** The parameters that are lists of integers, each with bounds on its length and entries. */
export type ListParamKey = 'inflationSchedule';

export interface ListBound extends Bound {
  minLength: number;
  maxLength: number;
}

export const ECONOMICS_LIST_PARAM_BOUNDS: Record<ListParamKey, ListBound> = {
  inflationSchedule: {
    min: 0n,
    max: WAD,
    what: 'WAD fraction per year',
    minLength: 1,
    maxLength: 200,
  },
};

export const ECONOMICS_PARAM_BOUNDS: Record<Exclude<keyof EconomicsParams, ListParamKey>, Bound> = {
  blocksPerYear: { min: 1n, max: 10n ** 10n, what: 'blocks' },
  validatorInflationShare: { min: 0n, max: WAD, what: 'WAD fraction' },
  bonusPoolShare: { min: 0n, max: WAD / 2n, what: 'WAD fraction' },
  bonusScheduleDivisor: { min: 1n, max: 1_000_000n, what: '' },
};

const YEAR_MS = 365n * 86_400_000n;

/** Defaults for a 3-second block (PROTOCOL §10). */
export const DEFAULT_ECONOMICS_PARAMS: EconomicsParams = {
  inflationSchedule: [WAD / 10n],
  blocksPerYear: YEAR_MS / 3000n,
  validatorInflationShare: WAD / 10n,
  bonusPoolShare: WAD / 20n,
  bonusScheduleDivisor: 1n,
};

/** n = 365 days / block time. */
export function blocksPerYearFor(blockTimeMs: bigint): bigint {
  return YEAR_MS / blockTimeMs;
}
