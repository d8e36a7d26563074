/** Logs of the governance contract, encoded by its ABI (src/governance/abi.ts). */
import { encodeAbiParameters, encodeEventTopics, type Hex } from 'viem';
import { fromHex } from '../crypto/bytes.js';
import type { Log } from '../primitives/receipt.js';
import { GOVERNANCE_ADDRESS } from '../primitives/system-addresses.js';
import { GOVERNANCE_ABI } from './abi.js';

export function governanceLog(eventName: string, args: Record<string, unknown>): Log {
  const event = GOVERNANCE_ABI.find((x) => x.type === 'event' && x.name === eventName);
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
  return {
    address: GOVERNANCE_ADDRESS,
    topics: topics.map((t) => fromHex(t as Hex)),
    data: fromHex(data),
  };
}
