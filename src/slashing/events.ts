/** Logs of the evidence contract, encoded by its ABI (src/slashing/abi.ts). */
import type { Hex } from 'viem';
import { encodeEventLog } from '../codec/abi.js';
import { toHex } from '../crypto/bytes.js';
import type { Log } from '../primitives/receipt.js';
import { EVIDENCE_ADDRESS } from '../primitives/system-addresses.js';
import type { Address } from '../primitives/types.js';
import { EVIDENCE_ABI } from './abi.js';

export const hexAddr = (a: Address): Hex => toHex(a);

export function emit(logs: Log[], eventName: string, args: Record<string, unknown>): void {
  logs.push(encodeEventLog(EVIDENCE_ABI, EVIDENCE_ADDRESS, eventName, args));
}
