/**
 * The Solidity ABI of the governance system contract at GOVERNANCE_ADDRESS (docs/governance.md).
 * The node implements it natively; any Ethereum tool calls it like a deployed contract, e.g.
 * viem's `writeContract({ address: GOVERNANCE_ADDRESS, abi: GOVERNANCE_ABI, functionName:
 * 'vote', args: [id, VOTE_OPTION.yes] })`. The same ABI ships as JSON in `abi/governance.json`.
 */
import { parseAbi } from 'viem';

export const GOVERNANCE_ABI = parseAbi([
  // Proposals and votes
  'function propose(uint8 kind, bytes payload) payable returns (uint256 id)',
  'function deposit(uint256 id) payable',
  'function vote(uint256 id, uint8 option)',
  // Views
  'function proposalCount() view returns (uint256 count)',
  'function getProposal(uint256 id) view returns (uint8 kind, uint8 status, address proposer, bytes payload, uint256 deposit, uint64 submitHeight, uint64 depositEnd, uint64 votingEnd, uint64 executeAt)',
  'function getTally(uint256 id) view returns (uint256 yes, uint256 no, uint256 abstain, uint256 veto, uint256 totalLocked)',
  'function getVote(uint256 id, address voter) view returns (uint8 option)',
  'function getDeposit(uint256 id, address depositor) view returns (uint256 amount)',
  // Logs
  'event ProposalSubmitted(uint256 indexed id, address indexed proposer, uint8 kind, uint256 deposit)',
  'event DepositAdded(uint256 indexed id, address indexed depositor, uint256 amount, uint256 total)',
  'event VotingStarted(uint256 indexed id, uint64 votingEnd)',
  'event VoteCast(uint256 indexed id, address indexed voter, uint8 option)',
  // Block work (in the block's block-work receipt, docs/governance.md)
  'event ProposalClosed(uint256 indexed id, uint8 status, uint256 yes, uint256 no, uint256 abstain, uint256 veto, uint256 totalLocked)',
  'event ProposalExecuted(uint256 indexed id, uint8 kind, uint8 status, string note)',
  'event ParameterChanged(uint256 indexed id, string name, uint256[] value, uint64 effectiveBlock)',
  'event TreasurySpent(uint256 indexed id, address indexed to, uint256 amount)',
  'event EconomySettled(uint256 indexed id, uint256 locks, uint256 released, uint256 unbondingReleased, uint256 rewardsPaid)',
  'event TransactionRescinded(uint256 indexed id, bytes32 indexed txHash, address from, address to, uint256 amount)',
  // Reverts carry the standard Error(string) reason.
  'error Error(string reason)',
]);

/** Proposal kinds: `propose` takes, and the state stores, the index in this list. */
export const PROPOSAL_KINDS = [
  'text',
  'parameter-change',
  'treasury-spend',
  'global-settlement',
  'rescind',
  'cancel',
] as const;
export type ProposalKind = (typeof PROPOSAL_KINDS)[number];

/** Kinds that need the emergency threshold, and run after a timelock. */
export const EMERGENCY_KINDS: readonly ProposalKind[] = ['global-settlement', 'rescind'];

/** Vote options: 0 is "no vote". */
export const VOTE_OPTIONS = ['none', 'yes', 'no', 'abstain', 'veto'] as const;
export type VoteOption = (typeof VOTE_OPTIONS)[number];
export const VOTE_OPTION = { yes: 1, no: 2, abstain: 3, veto: 4 } as const;

/** Proposal statuses: `getProposal` returns, and the state stores, the index in this list. */
export const PROPOSAL_STATUS = [
  'deposit',
  'voting',
  'timelock',
  'scheduled',
  'executed',
  'rejected',
  'vetoed',
  'no-quorum',
  'expired',
  'cancelled',
  'failed',
] as const;
export type ProposalStatus = (typeof PROPOSAL_STATUS)[number];
