/**
 * The Solidity ABI of the evidence system contract at EVIDENCE_ADDRESS (docs/slashing.md). The
 * node implements it natively; any Ethereum tool calls it like a deployed contract, e.g. viem's
 * `writeContract({ address: EVIDENCE_ADDRESS, abi: EVIDENCE_ABI, functionName: 'submitEvidence',
 * … })`. The same ABI ships as JSON in `abi/evidence.json`.
 */
import { parseAbi } from 'viem';

export const EVIDENCE_ABI = parseAbi([
  // Double signing: two signed consensus payloads, each RLP [payload, signature].
  'function submitEvidence(bytes first, bytes second)',
  // A candidate jailed for downtime returns once its jail has ended (by its operator).
  'function unjail()',
  // Views
  'function getEvidence(address validator, uint64 height, uint64 round, uint8 msgType) view returns (bool recorded, address reporter, address operator, uint256 slashed, uint64 recordedAt)',
  'function getJail(address operator) view returns (uint8 status, uint64 jailedUntilEpoch, uint64 offences, uint256 slashedTotal)',
  // Logs
  'event EvidenceAccepted(address indexed validator, address indexed operator, address indexed reporter, uint64 height, uint64 round, uint8 msgType)',
  'event Slashed(address indexed operator, address indexed reporter, uint8 reason, uint256 amount, uint256 reporterReward, uint256 toTreasury)',
  'event Tombstoned(address indexed operator, address indexed consensusKey)',
  'event Jailed(address indexed operator, address indexed consensusKey, uint64 epoch, uint64 missedSeals, uint64 blocks, uint64 untilEpoch)',
  'event Unjailed(address indexed operator, uint64 epoch)',
  // Reverts carry the standard Error(string) reason.
  'error Error(string reason)',
]);

/** Why a deposit was slashed: the `reason` of the Slashed event and of a history entry. */
export const SLASH_REASON = ['double-sign', 'downtime'] as const;
export type SlashReason = (typeof SLASH_REASON)[number];
