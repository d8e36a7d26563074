/**
 * Transactions a node sends on its own, from its consensus key to a system contract (equivocation
 * evidence, a RANDAO renewal): the call's exact gas, a fee cap the next blocks accept, the next
 * nonce counting the mempool. The sender's account pays the fee like any other.
 */
import { createCustomCommon, Mainnet } from '@ethereumjs/common';
import { createFeeMarket1559Tx } from '@ethereumjs/tx';
import { callGas } from '../execution/call.js';
import type { SystemContract } from '../execution/module.js';
import { intrinsicGas } from '../execution/tx.js';
import { readParams } from '../params/store.js';
import type { Address } from '../primitives/types.js';
import type { StateDB } from '../state/state-db.js';

export interface SystemCallHost {
  chainId: bigint;
  /** Reads of the head state, and the height the next block will have. */
  head(): { state: StateDB; next: bigint };
  nextBaseFee(): bigint;
  /** The next nonce of an account, counting its transactions waiting in the mempool. */
  pendingNonce(address: Address): bigint;
  /** Submits a signed transaction (raw bytes) to the mempool and the network; throws if refused. */
  submit(raw: Uint8Array): void;
}

export type SystemCallOutcome =
  | { status: 'sent' }
  /** The account cannot pay the fee cap: nothing was sent. */
  | { status: 'unfunded'; balance: bigint; fee: bigint }
  /** The node's own mempool refused the transaction. */
  | { status: 'refused'; error: Error };

/** Signs a call of `data` to `contract` with `key` (whose address is `from`) and submits it. */
export function sendSystemCall(
  host: SystemCallHost,
  key: Uint8Array,
  from: Address,
  contract: SystemContract,
  data: Uint8Array,
): SystemCallOutcome {
  const state = host.head().state;
  const gasLimit =
    intrinsicGas({ to: contract.address, data, accessList: [] }) + callGas(contract, data);
  const tip = readParams(state).minBaseFee;
  const maxFee = 2n * host.nextBaseFee() + tip;
  const balance = state.getAccount(from).balance;
  if (balance < gasLimit * maxFee) return { status: 'unfunded', balance, fee: gasLimit * maxFee };
  const tx = createFeeMarket1559Tx(
    {
      chainId: host.chainId,
      nonce: host.pendingNonce(from),
      to: contract.address,
      value: 0n,
      data,
      gasLimit,
      maxFeePerGas: maxFee,
      maxPriorityFeePerGas: tip,
    },
    { common: createCustomCommon({ chainId: Number(host.chainId) }, Mainnet) },
  ).sign(key);
  try {
    host.submit(tx.serialize());
  } catch (e) {
    return { status: 'refused', error: e as Error };
  }
  return { status: 'sent' };
}
