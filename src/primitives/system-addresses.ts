/**
 * Fixed addresses of the system contracts and system accounts (PROTOCOL §3), in their EIP-55
 * form. They have no private key; the node moves their funds by protocol rules only.
 */
import type { Address } from './types.js';

/** The 20 bytes of a 0x-prefixed 40-digit hex literal (only these constants use it). */
function systemAddress(hex: string): Address {
  const out = new Uint8Array(20);
  for (let i = 0; i < 20; i++) out[i] = Number.parseInt(hex.slice(2 + 2 * i, 4 + 2 * i), 16);
  return out;
}

export const STAKING_ADDRESS = systemAddress('0xE7a0000000000000000000000000000000000001');
export const GOVERNANCE_ADDRESS = systemAddress('0xE7a0000000000000000000000000000000000002');
export const EVIDENCE_ADDRESS = systemAddress('0xE7A0000000000000000000000000000000000003');
/** Holds the protocol parameters in its storage (src/params/store.ts). */
export const PARAMETERS_ADDRESS = systemAddress('0xE7A0000000000000000000000000000000000004');
/**
 * Holds the records of each lock and unbonding entry (src/staking/lock-store.ts), which grow
 * with the holders; the staking account keeps those of candidates, vote buckets and epochs,
 * so an epoch's end reads and rehashes a trie whose size does not depend on the locks.
 */
export const LOCKS_ADDRESS = systemAddress('0xE7a0000000000000000000000000000000000005');
export const STAKING_REWARD_POOL = systemAddress('0xE7A00000000000000000000000000000000000A0');
export const VOTER_BONUS_POOL = systemAddress('0xE7a00000000000000000000000000000000000b0');
export const DAO_TREASURY = systemAddress('0xe7A00000000000000000000000000000000000f0');

/** Every system address: value reaches them only through a payable system call. */
export const SYSTEM_ACCOUNTS: readonly Address[] = [
  STAKING_ADDRESS,
  GOVERNANCE_ADDRESS,
  EVIDENCE_ADDRESS,
  PARAMETERS_ADDRESS,
  LOCKS_ADDRESS,
  STAKING_REWARD_POOL,
  VOTER_BONUS_POOL,
  DAO_TREASURY,
];

export function isSystemAccount(address: Address): boolean {
  return SYSTEM_ACCOUNTS.some(
    (a) => a.length === address.length && a.every((b, i) => b === address[i]),
  );
}
