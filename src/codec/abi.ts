/**
 * Strict Solidity ABI decoding of calldata for the system contracts: the calldata must be
 * exactly the canonical encoding of its arguments. So an `address` with non-zero upper 12 bytes,
 * a `bool` other than 0 or 1, a `uint16` above 65,535, an offset or padding that is not the
 * canonical one, and calldata shorter or longer than the arguments need are all refused (viem's
 * decoder alone would read the low 20 bytes of an address and ignore trailing bytes).
 */
import {
  decodeFunctionData,
  encodeAbiParameters,
  encodeEventTopics,
  encodeFunctionData,
  type Abi,
  type DecodeFunctionDataReturnType,
  type Hex,
} from 'viem';
import { fromHex, toHex } from '../crypto/bytes.js';
import type { Log } from '../primitives/receipt.js';
import type { Address } from '../primitives/types.js';

/** The call in calldata, strictly decoded, or null when it selects no function of `abi`. */
export function decodeCallStrict<const A extends Abi>(
  abi: A,
  data: Uint8Array,
): DecodeFunctionDataReturnType<A> | null {
  const hex = toHex(data);
  let call: DecodeFunctionDataReturnType<A>;
  try {
    call = decodeFunctionData({ abi, data: hex });
  } catch {
    return null;
  }
  let canonical: Hex;
  try {
    canonical = encodeFunctionData({
      abi,
      functionName: call.functionName,
      args: call.args,
    } as Parameters<typeof encodeFunctionData>[0]);
  } catch {
    return null; // a value out of its type's range (e.g. a uint16 above 65,535)
  }
  return canonical.toLowerCase() === hex.toLowerCase() ? call : null;
}

/** The log of event `eventName` of `abi` emitted by `address`: indexed arguments as topics. */
export function encodeEventLog(
  abi: Abi,
  address: Address,
  eventName: string,
  args: Record<string, unknown>,
): Log {
  const event = abi.find((x) => x.type === 'event' && x.name === eventName);
  if (!event || event.type !== 'event') throw new Error(`no event ${eventName}`);
  const topics = encodeEventTopics({
    abi: [event],
    eventName,
    args,
  } as Parameters<typeof encodeEventTopics>[0]);
  const unindexed = event.inputs.filter((i) => !('indexed' in i && i.indexed));
  const data = encodeAbiParameters(
    unindexed,
    unindexed.map((i) => args[i.name!]),
  );
  return { address, topics: topics.map((t) => fromHex(t as Hex)), data: fromHex(data) };
}
