/**
 * Fixed addresses of the system contracts and system accounts (PROTOCOL §3). They have no
 * private key; the node moves their funds by protocol rules only.
 */
import { fromHex } from '../crypto/bytes.js';

export const STAKING_ADDRESS = fromHex('0xE7A0000000000000000000000000000000000001');
export const GOVERNANCE_ADDRESS = fromHex('0xE7A0000000000000000000000000000000000002');
export const EVIDENCE_ADDRESS = fromHex('0xE7A0000000000000000000000000000000000003');
export const STAKING_REWARD_POOL = fromHex('0xE7A00000000000000000000000000000000000A0');
export const VOTER_BONUS_POOL = fromHex('0xE7A00000000000000000000000000000000000B0');
export const DAO_TREASURY = fromHex('0xE7A00000000000000000000000000000000000F0');
