/**
 * The payload of each proposal kind: the ABI encoding of its arguments (docs/governance.md).
 *
 *   text               (string text)
 *   parameter-change   (string name, uint256[] value)   one entry for an integer parameter
 *   treasury-spend     (address to, uint256 amount)
 *   global-settlement  empty
 *   rescind            (bytes32 txHash, address from, address to, uint256 amount)
 *   cancel             (uint256 proposalId)
 *
 * Decoding is strict: the payload must be exactly the canonical encoding of its arguments.
 */
import { decodeAbiParameters, encodeAbiParameters, parseAbiParameters, type Hex } from 'viem';
import { equalBytes, fromHex, toHex } from '../crypto/bytes.js';
import {
  crossParamProblem,
  PARAM_NAMES,
  PARAMS,
  paramProblem,
  type ChainParams,
  type ParamName,
} from '../params/registry.js';
import { isSystemAccount } from '../primitives/system-addresses.js';
import type { Address } from '../primitives/types.js';
import type { ProposalKind } from './abi.js';

/** Largest payload: a text proposal's text, or a parameter list (inflation schedule). */
const MAX_PAYLOAD_BYTES = 8192;

export type Payload =
  | { kind: 'text'; text: string }
  | { kind: 'parameter-change'; name: ParamName; value: bigint | readonly bigint[] }
  | { kind: 'treasury-spend'; to: Address; amount: bigint }
  | { kind: 'global-settlement' }
  | { kind: 'rescind'; txHash: Uint8Array; from: Address; to: Address; amount: bigint }
  | { kind: 'cancel'; proposalId: bigint };

const SCHEMA = {
  text: parseAbiParameters('string text'),
  'parameter-change': parseAbiParameters('string name, uint256[] value'),
  'treasury-spend': parseAbiParameters('address to, uint256 amount'),
  rescind: parseAbiParameters('bytes32 txHash, address from, address to, uint256 amount'),
  cancel: parseAbiParameters('uint256 proposalId'),
} as const;

export class PayloadError extends Error {
  override name = 'PayloadError';
}

export function encodePayload(p: Payload): Uint8Array {
  switch (p.kind) {
    case 'text':
      return fromHex(encodeAbiParameters(SCHEMA.text, [p.text]));
    case 'parameter-change':
      return fromHex(
        encodeAbiParameters(SCHEMA['parameter-change'], [
          p.name,
          typeof p.value === 'bigint' ? [p.value] : [...p.value],
        ]),
      );
    case 'treasury-spend':
      return fromHex(encodeAbiParameters(SCHEMA['treasury-spend'], [toHex(p.to), p.amount]));
    case 'global-settlement':
      return new Uint8Array(0);
    case 'rescind':
      return fromHex(
        encodeAbiParameters(SCHEMA.rescind, [
          toHex(p.txHash),
          toHex(p.from),
          toHex(p.to),
          p.amount,
        ]),
      );
    case 'cancel':
      return fromHex(encodeAbiParameters(SCHEMA.cancel, [p.proposalId]));
  }
}

function decodeStrict<K extends keyof typeof SCHEMA>(kind: K, data: Uint8Array) {
  let out;
  try {
    out = decodeAbiParameters(SCHEMA[kind], toHex(data) as Hex);
  } catch {
    throw new PayloadError(`payload is not an ABI encoding of ${kind} arguments`);
  }
  const again = fromHex(encodeAbiParameters(SCHEMA[kind], out as never));
  if (!equalBytes(again, data))
    throw new PayloadError(`payload is not the canonical encoding of ${kind} arguments`);
  return out;
}

/** Decodes a payload of a kind; PayloadError when it is not the kind's canonical encoding. */
export function decodePayload(kind: ProposalKind, data: Uint8Array): Payload {
  if (data.length > MAX_PAYLOAD_BYTES)
    throw new PayloadError(`payload of ${data.length} bytes exceeds ${MAX_PAYLOAD_BYTES}`);
  switch (kind) {
    case 'text':
      return { kind, text: decodeStrict(kind, data)[0] };
    case 'parameter-change': {
      const [name, value] = decodeStrict(kind, data);
      if (!(PARAM_NAMES as readonly string[]).includes(name))
        throw new PayloadError(`no parameter ${JSON.stringify(name)}`);
      const key = name as ParamName;
      if (PARAMS[key].type === 'uint') {
        if (value.length !== 1)
          throw new PayloadError(`parameter ${key} is an integer: give exactly one value`);
        return { kind, name: key, value: value[0]! };
      }
      return { kind, name: key, value: [...value] };
    }
    case 'treasury-spend': {
      const [to, amount] = decodeStrict(kind, data);
      return { kind, to: fromHex(to), amount };
    }
    case 'global-settlement':
      if (data.length !== 0) throw new PayloadError('a global settlement takes no payload');
      return { kind };
    case 'rescind': {
      const [txHash, from, to, amount] = decodeStrict(kind, data);
      return { kind, txHash: fromHex(txHash), from: fromHex(from), to: fromHex(to), amount };
    }
    case 'cancel':
      return { kind, proposalId: decodeStrict(kind, data)[0] };
  }
}

/** Why a parameter change cannot apply to `params`, or null. */
export function parameterChangeProblem(
  name: ParamName,
  value: bigint | readonly bigint[],
  params: ChainParams,
): string | null {
  const bound = paramProblem(name, value);
  if (bound) return bound;
  const next = { ...params, [name]: value } as ChainParams;
  // Asked of changes only (a genesis may have short epochs and more seats than validators):
  // every seat gets a proposer turn in each epoch, so that an epoch shortened by the DAO cannot
  // judge the downtime and performance of validators that had no turn in it.
  if (
    EPOCH_SHAPE.includes(name) &&
    next.epochBlocks < next.rankedSeats + next.lotterySeats &&
    (next.epochBlocks < params.epochBlocks ||
      next.rankedSeats + next.lotterySeats > params.rankedSeats + params.lotterySeats)
  )
    return `epochBlocks ${next.epochBlocks} would be below the ${next.rankedSeats + next.lotterySeats} seats: every seat needs a proposer turn in each epoch`;
  return crossParamProblem(next);
}

const EPOCH_SHAPE: readonly ParamName[] = ['epochBlocks', 'rankedSeats', 'lotterySeats'];

/** Rules of a payload that need no state beyond the parameters; the first broken, or null. */
export function payloadProblem(p: Payload, params: ChainParams): string | null {
  switch (p.kind) {
    case 'parameter-change':
      return parameterChangeProblem(p.name, p.value, params);
    case 'treasury-spend':
      if (p.amount === 0n) return 'a treasury spend of 0';
      if (isSystemAccount(p.to)) return 'a treasury spend to a system account';
      return null;
    case 'rescind':
      if (p.amount === 0n) return 'a rescind of 0';
      if (equalBytes(p.from, p.to)) return 'a rescind from an account to itself';
      if (isSystemAccount(p.from) || isSystemAccount(p.to))
        return 'a rescind to or from a system account';
      return null;
    default:
      return null;
  }
}
