/** Logs of the governance contract, encoded by its ABI (src/governance/abi.ts). */
import { encodeEventLog } from '../codec/abi.js';
import type { Log } from '../primitives/receipt.js';
import { GOVERNANCE_ADDRESS } from '../primitives/system-addresses.js';
import { GOVERNANCE_ABI } from './abi.js';

export function governanceLog(eventName: string, args: Record<string, unknown>): Log {
  return encodeEventLog(GOVERNANCE_ABI, GOVERNANCE_ADDRESS, eventName, args);
}
