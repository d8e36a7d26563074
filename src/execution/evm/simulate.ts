/**
 * eth_call and eth_estimateGas for what runs in the EVM: the call runs as a transaction on a
 * throwaway copy of the state (the nonce the sender has, no signature), as geth runs it.
 *
 * Without a fee in the request the call pays nothing (its block's base fee is 0 for it, so
 * BASEFEE reads 0); with one, the sender must afford gas × fee + value. The estimate is geth's
 * search: the gas the call used with the most gas it could have, then the least gas limit with
 * which it still succeeds (a binary search with an optimistic first guess), exact to the unit.
 */
import type { StateDB } from '../../state/state-db.js';
import { intrinsicGas } from '../tx.js';
import { EvmSession, type EvmBlockEnv, type EvmOutcome, type EvmTx } from './runner.js';
import { FailedEstimate, SimulationError } from './sim-errors.js';

export { FailedEstimate, SimulationError };

export interface SimRequest {
  from: Uint8Array | null;
  to: Uint8Array | null;
  gas: bigint | null;
  gasPrice: bigint | null;
  maxFeePerGas: bigint | null;
  maxPriorityFeePerGas: bigint | null;
  value: bigint | null;
  data: Uint8Array | null;
  nonce: bigint | null;
}

const ZERO_ADDRESS = new Uint8Array(20);
/** Gas a CALL forwards on top of what it is given when it sends value (EIP-150's stipend). */
const CALL_STIPEND = 2_300n;

/**
 * Runs `request` on a fresh state from `freshState`, with `gasLimit` gas. The state is never
 * committed.
 */
export async function simulate(
  freshState: () => StateDB,
  env: EvmBlockEnv,
  request: SimRequest,
  gasLimit: bigint,
): Promise<EvmOutcome> {
  const state = freshState();
  const sender = request.from ?? ZERO_ADDRESS;
  const priced =
    request.gasPrice !== null ||
    request.maxFeePerGas !== null ||
    request.maxPriorityFeePerGas !== null;
  const maxFee = request.maxFeePerGas ?? request.gasPrice ?? (priced ? env.baseFeePerGas : 0n);
  const tip = request.maxPriorityFeePerGas ?? request.gasPrice ?? 0n;
  const tx: EvmTx = {
    type: 2,
    nonce: request.nonce ?? state.getAccount(sender).nonce,
    gasLimit,
    to: request.to,
    value: request.value ?? 0n,
    data: request.data ?? new Uint8Array(0),
    accessList: [],
    gasPrice: null,
    maxFeePerGas: maxFee,
    maxPriorityFeePerGas: tip < maxFee ? tip : maxFee,
    sender,
  };
  const session = await EvmSession.open(state, priced ? env : { ...env, baseFeePerGas: 0n });
  try {
    return await session.run(tx, env.coinbase);
  } catch (e) {
    throw new SimulationError((e as Error).message);
  }
}

/**
 * The least gas limit with which `request` succeeds, at most `cap`. Throws the failing outcome
 * (as FailedEstimate) when it fails even with `cap`.
 */
export async function estimateGas(
  freshState: () => StateDB,
  env: EvmBlockEnv,
  request: SimRequest,
  cap: bigint,
): Promise<bigint> {
  const floor = intrinsicGas({
    to: request.to,
    data: request.data ?? new Uint8Array(0),
    accessList: [],
  });
  if (cap < floor) throw new SimulationError(`gas required exceeds allowance (${cap})`);
  const attempt = (gas: bigint) => simulate(freshState, env, request, gas);
  const first = await attempt(cap);
  if (first.status === 0) throw new FailedEstimate(first, cap);
  let lo = (first.gasUsed > floor ? first.gasUsed : floor) - 1n;
  let hi = cap;
  // Most calls need little more than they used (refunds, the 63/64 rule): try that first.
  const optimistic = ((first.gasUsed + first.refund + CALL_STIPEND) * 64n) / 63n;
  if (optimistic < hi) {
    if ((await attempt(optimistic)).status === 1) hi = optimistic;
    else lo = optimistic;
  }
  while (lo + 1n < hi) {
    const mid = (lo + hi) / 2n;
    if ((await attempt(mid)).status === 1) hi = mid;
    else lo = mid;
  }
  return hi;
}
