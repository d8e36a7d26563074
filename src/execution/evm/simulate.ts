/**
 * eth_call and eth_estimateGas for what runs in the EVM: the call runs as a transaction on a
 * throwaway copy of the state (the nonce the sender has, no signature), as geth runs it.
 *
 * Without a fee in the request the call pays nothing (its block's base fee is 0 for it, so
 * BASEFEE reads 0); with one, the sender must afford gas × fee + value. The estimate is geth's
 * search: the gas the call used with the most gas it could have, then the least gas limit with
 * which it still succeeds (a binary search with an optimistic first guess), exact to the unit.
 */
import { ZERO_ADDRESS } from '../../primitives/types.js';
import { equalBytes, toHex } from '../../crypto/bytes.js';
import type { StateDB } from '../../state/state-db.js';
import { createdAddress } from './addresses.js';
import { intrinsicGas } from '../tx.js';
import {
  EvmSession,
  type EvmBlockEnv,
  type EvmOutcome,
  type EvmTx,
  type RunOptions,
} from './runner.js';
import { TraceLimitError, TraceTimeoutError } from './tracer.js';
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

/** What a simulation may carry and report besides its outcome. */
export interface SimOptions extends RunOptions {
  /** The transaction's access list (eth_createAccessList runs with the list it found). */
  accessList?: EvmTx['accessList'];
}

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
  options: SimOptions = {},
): Promise<EvmOutcome> {
  const state = freshState();
  const sender = request.from ?? ZERO_ADDRESS;
  const priced =
    request.gasPrice !== null ||
    request.maxFeePerGas !== null ||
    request.maxPriorityFeePerGas !== null;
  const maxFee = request.maxFeePerGas ?? request.gasPrice ?? (priced ? env.baseFeePerGas : 0n);
  const tip = request.maxPriorityFeePerGas ?? request.gasPrice ?? 0n;
  // As geth, a call skips the nonce check: a nonce ahead of the account's (a wallet estimating
  // its next transaction while earlier ones are pending) runs as if the account had it, which
  // also gives a creation the address it will get.
  const account = state.getAccount(sender);
  if (request.nonce !== null && request.nonce !== account.nonce)
    state.putAccount(sender, { ...account, nonce: request.nonce });
  const tx: EvmTx = {
    type: 2,
    nonce: request.nonce ?? account.nonce,
    gasLimit,
    to: request.to,
    value: request.value ?? 0n,
    data: request.data ?? new Uint8Array(0),
    accessList: options.accessList ?? [],
    gasPrice: null,
    maxFeePerGas: maxFee,
    maxPriorityFeePerGas: tip < maxFee ? tip : maxFee,
    sender,
  };
  const session = await EvmSession.open(state, priced ? env : { ...env, baseFeePerGas: 0n });
  try {
    return await session.run(tx, env.coinbase, options);
  } catch (e) {
    if (e instanceof TraceLimitError || e instanceof TraceTimeoutError) throw e;
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

/** A list of accounts and slots with the gas a call uses with it (eth_createAccessList). */
export interface AccessListResult {
  accessList: { address: Uint8Array; storageKeys: Uint8Array[] }[];
  gasUsed: bigint;
  /** Why the call failed with that list, if it did (its outcome's error). */
  outcome: EvmOutcome;
}

/** Most rounds eth_createAccessList runs before it settles on the last list it found. */
const MAX_ACCESS_LIST_ROUNDS = 10;

/**
 * The access list of a call, as geth builds it: run the call, collect what it touched (without
 * its sender, its recipient or created contract, and the precompiles, which are warm anyway),
 * run it again with that list, until the list no longer changes. `excluded` says which
 * addresses are warm without a list (the precompiles, the system modules).
 */
export async function createAccessList(
  freshState: () => StateDB,
  env: EvmBlockEnv,
  request: SimRequest,
  gasLimit: bigint,
  excluded: (address: Uint8Array) => boolean,
): Promise<AccessListResult> {
  const sender = request.from ?? ZERO_ADDRESS;
  let list: EvmTx['accessList'] = [];
  let key = '';
  for (let round = 0; ; round++) {
    const out = await simulate(freshState, env, request, gasLimit, {
      accessList: list,
      reportAccessList: true,
    });
    const target =
      request.to ?? createdAddress(sender, request.nonce ?? freshState().getAccount(sender).nonce);
    const next = (out.accessList ?? [])
      .filter(
        (e) =>
          !equalBytes(e.address, sender) && !equalBytes(e.address, target) && !excluded(e.address),
      )
      .map((e) => ({
        address: e.address,
        storageKeys: [...e.storageKeys].sort(compareBytes),
      }))
      .sort((a, b) => compareBytes(a.address, b.address));
    const nextKey = next
      .map((e) => toHex(e.address) + e.storageKeys.map((k) => toHex(k)).join(''))
      .join('|');
    if (nextKey === key || round + 1 >= MAX_ACCESS_LIST_ROUNDS)
      return { accessList: list, gasUsed: out.gasUsed, outcome: out };
    list = next;
    key = nextKey;
  }
}

function compareBytes(a: Uint8Array, b: Uint8Array): number {
  for (let i = 0; i < a.length && i < b.length; i++) if (a[i] !== b[i]) return a[i]! - b[i]!;
  return a.length - b.length;
}
