/**
 * eth_call and eth_estimateGas through the EVM, on the state of a committed block, and the
 * errors they answer with, as geth does: a revert is error 3 "execution reverted[: reason]" with
 * the revert data (so viem and ethers decode reasons and custom errors); any other failure is
 * -32000 with the EVM's error.
 */
import { decodeErrorResult, parseAbi } from 'viem';
import type { Chain } from '../chain/chain.js';
import { blockHash } from '../chain/block.js';
import { toHex } from '../crypto/bytes.js';
import type { EvmBlockEnv, EvmOutcome } from '../execution/evm/runner.js';
import type { SimRequest } from '../execution/evm/simulate.js';
import { FailedEstimate, SimulationError } from '../execution/evm/sim-errors.js';

/** The EVM is loaded on first use (it takes half a second to load). */
const evm = () => import('../execution/evm/simulate.js');
import { RpcError, RpcErrorCode } from '../rpc/backend.js';

const ERROR_ABI = parseAbi(['error Error(string reason)']);

export class NodeEvmCalls {
  constructor(private readonly chain: () => Chain) {}

  /** The block a call on the state of `block` runs in: the next one, by the head's figures. */
  env(block: bigint): EvmBlockEnv {
    const chain = this.chain();
    const b = chain.blockAt(block)!;
    const h = b.header;
    const number = block + 1n;
    return {
      chainId: chain.chainId,
      number,
      timestamp: h.timestamp + chain.params.blockTimeMs / 1000n,
      coinbase: h.coinbase,
      baseFeePerGas: block === chain.headNumber ? chain.nextBaseFee() : h.baseFeePerGas,
      gasLimit: chain.params.blockGasLimit,
      mixHash: h.mixHash,
      params: chain.params,
      blockHash: (n) => {
        if (n >= number || n + 256n < number) return undefined;
        const at = chain.blockAt(n);
        return at ? blockHash(at) : undefined;
      },
    };
  }

  async simulate(request: SimRequest, block: bigint, gas: bigint): Promise<EvmOutcome> {
    const { simulate } = await evm();
    return simulate(() => this.chain().stateAt(block), this.env(block), request, gas);
  }

  async estimate(request: SimRequest, block: bigint): Promise<bigint> {
    const chain = this.chain();
    let cap = request.gas ?? chain.params.blockGasLimit;
    // With a fee, the gas the sender can pay for bounds the search (geth's allowance).
    const fee = request.maxFeePerGas ?? request.gasPrice;
    if (fee !== null && fee > 0n && request.from !== null) {
      const spendable =
        chain.stateAt(block).getAccount(request.from).balance - (request.value ?? 0n);
      const affordable = spendable > 0n ? spendable / fee : 0n;
      if (affordable < cap) cap = affordable;
    }
    const { estimateGas } = await evm();
    try {
      return await estimateGas(() => chain.stateAt(block), this.env(block), request, cap);
    } catch (e) {
      if (e instanceof FailedEstimate) {
        if (e.outcome.error === 'revert') throw evmFailure(e.outcome);
        throw new RpcError(RpcErrorCode.InvalidInput, `gas required exceeds allowance (${cap})`);
      }
      return simulationFailure(e);
    }
  }
}

/** The RPC error of a call that failed in the EVM. */
export function evmFailure(out: EvmOutcome): RpcError {
  if (out.error !== 'revert')
    return new RpcError(RpcErrorCode.InvalidInput, out.error ?? 'execution failed');
  const data = toHex(out.returnData);
  let reason: string | null = null;
  try {
    const decoded = decodeErrorResult({ abi: ERROR_ABI, data });
    reason = decoded.args[0];
  } catch {
    // Not Error(string): a custom error or none; the data says which.
  }
  return new RpcError(
    RpcErrorCode.ExecutionReverted,
    reason === null ? 'execution reverted' : `execution reverted: ${reason}`,
    data,
  );
}

/** A call the EVM would not run (a fee below the base fee, funds short, …): -32000. */
export function simulationFailure(e: unknown): never {
  if (e instanceof SimulationError) throw new RpcError(RpcErrorCode.InvalidInput, e.message);
  throw e;
}
