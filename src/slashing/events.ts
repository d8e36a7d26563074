/** Logs of the evidence contract, encoded by its ABI (src/slashing/abi.ts). */
import { encodeAbiParameters, encodeEventTopics, type Hex } from 'viem';
import { fromHex, toHex } from '../crypto/bytes.js';
import type { Log } from '../primitives/receipt.js';
import { EVIDENCE_ADDRESS } from '../primitives/system-addresses.js';
import type { Address } from '../primitives/types.js';
import { EVIDENCE_ABI } from './abi.js';

export const hexAddr = (a: Address): Hex => toHex(a);

export function emit(logs: Log[], eventName: string, args: Record<string, unknown>): void {
  const event = EVIDENCE_ABI.find((x) => x.type === 'event' && x.name === eventName);
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
  logs.push({
    address: EVIDENCE_ADDRESS,
    topics: topics.map((t) => fromHex(t as Hex)),
    data: fromHex(data),
  });
}
