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
import type { SimOptions, SimRequest } from '../execution/evm/simulate.js';
import type { StateDB } from '../state/state-db.js';
import { readParams } from '../params/store.js';
import { FailedEstimate, SimulationError } from '../execution/evm/sim-errors.js';
import { isProtectedAddress } from '../execution/evm/overrides.js';
import {
  makeTracer,
  TraceLimitError,
  TraceTimeoutError,
  type TraceTimeout,
  type TraceJson,
  type TraceSpec,
} from '../execution/evm/tracer.js';
import type { SignedTx } from '../execution/tx.js';
import type { AccessListReply } from '../rpc/backend.js';

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
    // The next block is made under the parameters in this block's state.
    const params =
      block === chain.headNumber ? chain.nextParams() : readParams(chain.stateAt(block));
    return {
      chainId: chain.chainId,
      number,
      timestamp: h.timestamp + params.blockTimeMs / 1000n,
      coinbase: h.coinbase,
      baseFeePerGas: block === chain.headNumber ? chain.nextBaseFee() : h.baseFeePerGas,
      gasLimit: params.blockGasLimit,
      mixHash: h.mixHash,
      params,
      blockHash: (n) => {
        if (n >= number || n + 256n < number) return undefined;
        const at = chain.blockAt(n);
        return at ? blockHash(at) : undefined;
      },
    };
  }

  /** `fresh` gives a throwaway copy of the state at `block` (with any overrides applied). */
  async simulate(
    request: SimRequest,
    block: bigint,
    gas: bigint,
    fresh: () => StateDB = () => this.chain().stateAt(block),
    options: SimOptions = {},
  ): Promise<EvmOutcome> {
    const { simulate } = await evm();
    return simulate(fresh, this.env(block), request, gas, options);
  }

  async estimate(
    request: SimRequest,
    block: bigint,
    fresh: () => StateDB = () => this.chain().stateAt(block),
  ): Promise<bigint> {
    let cap = request.gas ?? this.env(block).gasLimit;
    // With a fee, the gas the sender can pay for bounds the search (geth's allowance).
    const fee = request.maxFeePerGas ?? request.gasPrice;
    if (fee !== null && fee > 0n && request.from !== null) {
      const spendable = fresh().getAccount(request.from).balance - (request.value ?? 0n);
      const affordable = spendable > 0n ? spendable / fee : 0n;
      if (affordable < cap) cap = affordable;
    }
    const { estimateGas } = await evm();
    try {
      return await estimateGas(fresh, this.env(block), request, cap);
    } catch (e) {
      if (e instanceof FailedEstimate) {
        if (e.outcome.error === 'revert') throw evmFailure(e.outcome);
        throw new RpcError(RpcErrorCode.InvalidInput, `gas required exceeds allowance (${cap})`);
      }
      return simulationFailure(e);
    }
  }

  /** eth_createAccessList: the list geth's method finds, and the gas the call uses with it. */
  async createAccessList(
    request: SimRequest,
    block: bigint,
    fresh: () => StateDB,
  ): Promise<AccessListReply> {
    const { createAccessList } = await evm();
    const gas = request.gas ?? this.env(block).gasLimit;
    try {
      const r = await createAccessList(fresh, this.env(block), request, gas, isProtectedAddress);
      return {
        accessList: r.accessList,
        gasUsed: r.gasUsed,
        error: r.outcome.status === 0 ? gethError(r.outcome.error) : null,
      };
    } catch (e) {
      return simulationFailure(e);
    }
  }

  /** debug_traceCall: the call as eth_call runs it, traced. */
  async traceCall(
    request: SimRequest,
    block: bigint,
    fresh: () => StateDB,
    spec: TraceSpec,
  ): Promise<TraceJson> {
    const tracer = makeTracer(spec, traceTimeout(spec));
    const gas = request.gas ?? this.env(block).gasLimit;
    try {
      const out = await this.simulate(request, block, gas, fresh, { tracer });
      return tracer.result(out, {
        from: request.from ?? new Uint8Array(20),
        to: request.to,
        value: request.value ?? 0n,
        gasLimit: gas,
        data: request.data ?? new Uint8Array(0),
      });
    } catch (e) {
      return traceFailure(e);
    }
  }

  /** debug_traceTransaction: the block run again on its parent's state up to the transaction. */
  async traceTransaction(block: bigint, index: number, tx: SignedTx, spec: TraceSpec) {
    const tracer = makeTracer(spec, traceTimeout(spec));
    try {
      const run = await this.chain().traceTransaction(block, index, tracer);
      return tracer.result(run.outcome, {
        from: tx.sender,
        to: tx.to,
        value: tx.value,
        gasLimit: tx.gasLimit,
        data: tx.data,
      });
    } catch (e) {
      return traceFailure(e);
    }
  }
}

/** geth's words for an EVM error. */
function gethError(error: string | null): string {
  return error === null || error === 'revert' ? 'execution reverted' : error;
}

/** geth's default trace timeout. */
export const DEFAULT_TRACE_TIMEOUT_MS = 5_000;

/** The time budget of a trace, on the wall clock of this node (never in state). */
function traceTimeout(spec: TraceSpec): TraceTimeout {
  return {
    ms: spec.timeoutMs ?? DEFAULT_TRACE_TIMEOUT_MS,
    now: () => performance.now(),
    everyStep: spec.timeoutGiven === true,
  };
}

/** A trace too large is -32000 with the limit it passed; one too slow geth's words. */
function traceFailure(e: unknown): never {
  if (e instanceof TraceLimitError || e instanceof TraceTimeoutError)
    throw new RpcError(RpcErrorCode.InvalidInput, e.message);
  return simulationFailure(e);
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
