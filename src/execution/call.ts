/**
 * Calls to system contracts: strict ABI decoding, gas, the payable rule, the handler's run and
 * its ABI-encoded result. Any failure is a Revert; the caller rolls the state back.
 */
import { encodeFunctionResult, type Abi } from 'viem';
import { decodeCallStrict } from '../codec/abi.js';
import { fromHex, toHex } from '../crypto/bytes.js';
import { Revert } from '../primitives/errors.js';
import type { Log } from '../primitives/receipt.js';
import type { CallContext, Handler, SystemContract } from './module.js';

export interface CallResult {
  returnData: Uint8Array;
  logs: Log[];
}

type AnyHandler = Handler<Abi, string, unknown>;

/** The handler calldata selects (strictly decoded) with its arguments, or null. */
function select(
  contract: SystemContract,
  data: Uint8Array,
): { name: string; handler: AnyHandler; args: readonly unknown[] } | null {
  const call = decodeCallStrict(contract.abi, data);
  if (call === null) return null;
  const handler = (contract.functions as Record<string, AnyHandler>)[call.functionName]!;
  return { name: call.functionName, handler, args: call.args ?? [] };
}

/** Which function calldata selects, or null when it selects none. */
export function functionOf(contract: SystemContract, data: Uint8Array): string | null {
  return decodeCallStrict(contract.abi, data)?.functionName ?? null;
}

/** Gas a call costs beyond intrinsic gas (calldata that selects nothing: `unknownGas`). */
export function callGas(contract: SystemContract, data: Uint8Array): bigint {
  return select(contract, data)?.handler.gas ?? contract.unknownGas;
}

/** Whether calldata selects a payable function. */
export function isPayableCall(contract: SystemContract, data: Uint8Array): boolean {
  return select(contract, data)?.handler.payable === true;
}

/** The payable functions, by name (for messages). */
export function payableFunctions(contract: SystemContract): string[] {
  return Object.entries(contract.functions as Record<string, AnyHandler>)
    .filter(([, h]) => h.payable)
    .map(([name]) => name);
}

/** Runs a call; throws Revert (the caller undoes its state changes). */
export function callContract(
  contract: SystemContract,
  ctx: Omit<CallContext, 'logs'>,
  data: Uint8Array,
): CallResult {
  const call = select(contract, data);
  if (call === null) {
    throw new Revert(
      data.length < 4
        ? `${contract.name}: no function selector`
        : `${contract.name}: unknown function or bad arguments`,
    );
  }
  const logs: Log[] = [];
  const self = contract.bind({ ...ctx, logs });
  if (!call.handler.payable && ctx.value !== 0n)
    throw new Revert(`${contract.name}: function is not payable`);
  const result = call.handler.run(self, call.args as never);
  const fn = contract.abi.find(
    (x) => x.type === 'function' && x.name === call.name && x.outputs.length > 0,
  );
  const returnData =
    fn === undefined
      ? new Uint8Array(0)
      : fromHex(
          encodeFunctionResult({
            abi: contract.abi,
            functionName: call.name,
            result,
          } as Parameters<typeof encodeFunctionResult>[0]),
        );
  return { returnData, logs };
}

/** The selector calldata starts with, for messages. */
export const selectorOf = (data: Uint8Array): string => toHex(data.subarray(0, 4));
