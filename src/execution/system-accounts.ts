/**
 * Fixed addresses of the system contracts and system accounts (PROTOCOL §3), in their EIP-55
 * form. They have no private key; the node moves their funds by protocol rules only.
 */
import { equalBytes, fromHex } from '../crypto/bytes.js';

export const STAKING_ADDRESS = fromHex('0xE7a0000000000000000000000000000000000001');
export const GOVERNANCE_ADDRESS = fromHex('0xE7a0000000000000000000000000000000000002');
export const EVIDENCE_ADDRESS = fromHex('0xE7A0000000000000000000000000000000000003');
export const STAKING_REWARD_POOL = fromHex('0xE7A00000000000000000000000000000000000A0');
export const VOTER_BONUS_POOL = fromHex('0xE7a00000000000000000000000000000000000b0');
export const DAO_TREASURY = fromHex('0xe7A00000000000000000000000000000000000f0');

/** Every system address: value reaches them only through a payable system call. */
export const SYSTEM_ACCOUNTS: readonly Uint8Array[] = [
  STAKING_ADDRESS,
  GOVERNANCE_ADDRESS,
  EVIDENCE_ADDRESS,
  STAKING_REWARD_POOL,
  VOTER_BONUS_POOL,
  DAO_TREASURY,
];

export function isSystemAccount(address: Uint8Array): boolean {
  return SYSTEM_ACCOUNTS.some((a) => equalBytes(a, address));
}
