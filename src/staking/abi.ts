/**
 * The Solidity ABI of the staking system contract at STAKING_ADDRESS (PROTOCOL §3, §5, §6).
 * The node implements it natively; any Ethereum tool calls it like a deployed contract, e.g.
 * viem's `writeContract({ address: STAKING_ADDRESS, abi: STAKING_ABI, functionName: 'lock', … })`.
 * The same ABI ships as JSON in `abi/staking.json`.
 */
import { parseAbi } from 'viem';

export const STAKING_ABI = parseAbi([
  // Locks and votes
  'function lock(uint256 amount, address candidate) returns (uint256 lockId)',
  'function vote(uint256 lockId, address candidate)',
  'function unvote(uint256 lockId)',
  'function unlock(uint256 lockId)',
  // Rewards
  'function claim(uint256 lockId) returns (uint256 amount)',
  'function setAutoCompound(uint256 lockId, bool on)',
  // Candidates
  'function registerCandidate(address consensusKey, string name, uint16 commissionBps, uint16 commissionMaxBps, bytes32 randaoCommitment) payable',
  'function updateCandidate(string name, uint16 commissionBps)',
  'function updateCandidate(string name, uint16 commissionBps, address consensusKey, bytes32 randaoCommitment)',
  'function renewRandao(bytes32 randaoCommitment)',
  'function topUpDeposit() payable',
  // Views
  'function getLock(uint256 lockId) view returns (address owner, uint256 amount, address candidate, uint64 since, uint256 timeGain, uint256 weight)',
  'function getLocks(address owner) view returns (uint256[] lockIds)',
  'function getUnbonding(address owner) view returns (uint256[] amounts, uint64[] releaseHeights)',
  'function getCandidate(address operator) view returns (address consensusKey, string name, uint256 deposit, uint16 commissionBps, uint16 commissionMaxBps, uint8 status, uint256 votes, uint256 lockCount)',
  'function getCandidates() view returns (address[] operators)',
  'function getRewards(uint256 lockId) view returns (uint256 pending, bool autoCompound)',
  'function currentEpoch() view returns (uint64 epoch, uint64 firstBlock, uint64 lastBlock)',
  'function getRandao(address operator) view returns (bytes32 last, uint64 reveals, uint64 layers, uint64 generation, address nextConsensusKey, bytes32 nextCommitment, uint64 nextFromBlock)',
  'function randaoLayers() view returns (uint64 layers)',
  // Logs
  'event Locked(uint256 indexed lockId, address indexed owner, address indexed candidate, uint256 amount)',
  'event Voted(uint256 indexed lockId, address indexed owner, address indexed candidate)',
  'event Unvoted(uint256 indexed lockId, address indexed owner, address indexed candidate)',
  'event Unlocked(uint256 indexed lockId, address indexed owner, uint256 amount, uint64 releaseHeight)',
  'event CandidateRegistered(address indexed operator, address indexed consensusKey, string name, uint256 deposit, uint16 commissionBps, uint16 commissionMaxBps)',
  'event CandidateUpdated(address indexed operator, string name, uint16 commissionBps)',
  'event RandaoRenewed(address indexed operator, address indexed consensusKey, bytes32 commitment, uint64 generation, uint64 fromBlock)',
  'event DepositToppedUp(address indexed operator, uint256 indexed lockId, uint256 amount, uint256 deposit)',
  'event Claimed(uint256 indexed lockId, address indexed owner, uint256 amount, bool compounded)',
  'event AutoCompoundSet(uint256 indexed lockId, address indexed owner, bool on)',
  // Reverts carry the standard Error(string) reason.
  'error Error(string reason)',
]);

/**
 * Candidate status: `getCandidate` returns, and the state stores, its index in this list.
 */
export const CANDIDATE_STATUS = ['active', 'jailed', 'tombstoned'] as const;
export type CandidateStatus = (typeof CANDIDATE_STATUS)[number];
