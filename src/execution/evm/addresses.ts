/**
 * Fixed addresses and code of the contracts the EVM finds at genesis (docs/contracts.md).
 */
import { fromHex } from '../../crypto/bytes.js';
import { keccak256 } from '../../crypto/keccak.js';
import { rlpEncode } from '../../codec/rlp.js';
import {
  EVIDENCE_ADDRESS,
  GOVERNANCE_ADDRESS,
  STAKING_ADDRESS,
} from '../../primitives/system-addresses.js';

/** ETM as an ERC-20 over the native balance: a system module, like staking. */
export const ETM_TOKEN_ADDRESS = fromHex('0xE7a0000000000000000000000000000000000020');

/** Multicall3 at the address it has on every EVM chain. */
export const MULTICALL3_ADDRESS = fromHex('0xcA11bde05977b3631167028862bE2a173976CA11');

/**
 * The code every system contract holds: one INVALID byte. It never runs (the module answers
 * at its address first); it is there so that tools, `extcodesize` and Solidity's check before
 * a call see a contract.
 */
export const SYSTEM_MARKER_CODE = Uint8Array.of(0xfe);

/** The system contracts that hold the marker code. */
export const SYSTEM_CONTRACTS: readonly Uint8Array[] = [
  STAKING_ADDRESS,
  GOVERNANCE_ADDRESS,
  EVIDENCE_ADDRESS,
  ETM_TOKEN_ADDRESS,
];

/** The address a creation by `sender` with `nonce` gives: keccak256(rlp([sender, nonce]))[12:]. */
export function createdAddress(sender: Uint8Array, nonce: bigint): Uint8Array {
  return keccak256(rlpEncode([sender, nonce])).slice(12);
}
