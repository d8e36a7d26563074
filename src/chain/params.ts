/**
 * Protocol parameters (PROTOCOL §10) with their hard bounds, checked at genesis. Fractions are
 * bigint scaled by 10^18 (WAD: 10^18 = 1.0). Parameters of later subsystems (staking, rewards,
 * governance) join this table as those subsystems land; staking's live in src/staking/params.ts,
 * economics' in src/economics/params.ts.
 */
import { EtmError } from '../primitives/errors.js';
import {
  DEFAULT_STAKING_PARAMS,
  STAKING_PARAM_BOUNDS,
  stakingParamsProblem,
  type StakingParams,
} from '../staking/params.js';
import {
  blocksPerYearFor,
  DEFAULT_ECONOMICS_PARAMS,
  ECONOMICS_LIST_PARAM_BOUNDS,
  ECONOMICS_PARAM_BOUNDS,
  type EconomicsParams,
  type ListBound,
  type ListParamKey,
} from '../economics/params.js';

export type { ListParamKey } from '../economics/params.js';

export const WAD = 10n ** 18n;
export const ETM = 10n ** 18n;

export interface ChainParams extends StakingParams, EconomicsParams {
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
}

interface Bound {
  min: bigint;
  max: bigint;
  what: string;
}

/** The parameters that are single integers. */
export type ScalarParamKey = Exclude<keyof ChainParams, ListParamKey>;

export const PARAM_BOUNDS: Record<ScalarParamKey, Bound> = {
  blockTimeMs: { min: 100n, max: 60_000n, what: 'milliseconds' },
  maxClockDriftSeconds: { min: 1n, max: 300n, what: 'seconds' },
  blockGasLimit: { min: 1_000_000n, max: 1_000_000_000n, what: 'gas' },
  minBaseFee: { min: 0n, max: 10n ** 15n, what: 'units per gas' },
  feeValidatorShare: { min: 0n, max: WAD, what: 'WAD fraction' },
  feeBurnShare: { min: 0n, max: WAD, what: 'WAD fraction' },
  maxTxBytes: { min: 1024n, max: 1024n * 1024n, what: 'bytes' },
  maxBlockBytes: { min: 64n * 1024n, max: 64n * 1024n * 1024n, what: 'bytes' },
  ...STAKING_PARAM_BOUNDS,
  ...ECONOMICS_PARAM_BOUNDS,
};

/** Bounds of the list parameters: their length and every entry. */
export const LIST_PARAM_BOUNDS: Record<ListParamKey, ListBound> = ECONOMICS_LIST_PARAM_BOUNDS;

/** Every parameter name, sorted: the order the genesis commits to them. */
export const PARAM_NAMES: readonly (keyof ChainParams)[] = (
  [...Object.keys(PARAM_BOUNDS), ...Object.keys(LIST_PARAM_BOUNDS)] as (keyof ChainParams)[]
).sort();

export const isListParam = (k: string): k is ListParamKey => k in LIST_PARAM_BOUNDS;

export const DEFAULT_PARAMS: ChainParams = {
  blockTimeMs: 3000n,
  maxClockDriftSeconds: 15n,
  blockGasLimit: 150_000_000n,
  minBaseFee: 1_000_000_000n,
  feeValidatorShare: (8n * WAD) / 10n,
  feeBurnShare: 0n,
  maxTxBytes: 128n * 1024n,
  maxBlockBytes: 16n * 1024n * 1024n,
  ...DEFAULT_STAKING_PARAMS,
  ...DEFAULT_ECONOMICS_PARAMS,
};

const DAY_MS = 86_400_000n;

/**
 * Parameters counted in days or years follow the block time unless given: blocksPerDay, the
 * unbonding periods (3 and 28 days) and blocksPerYear.
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
    blocksPerYear: given.has('blocksPerYear') ? p.blocksPerYear : blocksPerYearFor(p.blockTimeMs),
  };
}

export class ParamError extends EtmError<'param'> {
  override name = 'ParamError';

  constructor(message: string, options?: ErrorOptions) {
    super('param', message, options);
  }
}

/** Checks every parameter against its hard bounds; throws ParamError naming the first violation. */
export function checkParams(p: ChainParams): void {
  for (const key of PARAM_NAMES) {
    if (isListParam(key)) {
      const v = p[key];
      const b = LIST_PARAM_BOUNDS[key];
      if (!Array.isArray(v) || v.some((x) => typeof x !== 'bigint'))
        throw new ParamError(`parameter ${key} is missing`);
      if (v.length < b.minLength || v.length > b.maxLength)
        throw new ParamError(
          `parameter ${key} has ${v.length} entries; expected ${b.minLength} to ${b.maxLength}`,
        );
      v.forEach((x, i) => {
        if (x < b.min || x > b.max)
          throw new ParamError(
            `parameter ${key}[${i}] = ${x} is outside [${b.min}, ${b.max}] ${b.what}`,
          );
      });
      continue;
    }
    const v = p[key];
    const b = PARAM_BOUNDS[key];
    if (typeof v !== 'bigint') throw new ParamError(`parameter ${key} is missing`);
    if (v < b.min || v > b.max) {
      throw new ParamError(`parameter ${key} = ${v} is outside [${b.min}, ${b.max}] ${b.what}`);
    }
  }
  if (p.feeBurnShare + p.feeValidatorShare > WAD) {
    throw new ParamError('feeValidatorShare + feeBurnShare must not exceed 1');
  }
  const staking = stakingParamsProblem(p);
  if (staking) throw new ParamError(staking);
}
