/** Why eth_call or eth_estimateGas could not give a result (src/execution/evm/simulate.ts). */
import type { EvmOutcome } from './runner.js';

/** Why a simulated call could not run at all (not a revert: the EVM refused it). */
export class SimulationError extends Error {
  override name = 'SimulationError';
}

/** The call fails even with all the gas it may have. */
export class FailedEstimate extends Error {
  override name = 'FailedEstimate';
  constructor(
    readonly outcome: EvmOutcome,
    readonly cap: bigint,
  ) {
    super(outcome.error ?? 'execution failed');
  }
}
