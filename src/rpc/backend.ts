/**
 * What the JSON-RPC server needs from a node. The server validates and decodes parameters,
 * calls these methods and formats the results as Ethereum JSON (quantities and data as 0x hex).
 * All values here are domain values: bigint quantities and Uint8Array data, never hex strings.
 */

/** A block selector after parsing: a number, a tag or a hash (EIP-1898). */
export type BlockSelector =
  | { kind: 'number'; number: bigint }
  | { kind: 'tag'; tag: 'latest' | 'earliest' | 'pending' | 'safe' | 'finalized' }
  | { kind: 'hash'; hash: Uint8Array; requireCanonical?: boolean };

export interface RpcAccessListEntry {
  address: Uint8Array;
  storageKeys: Uint8Array[];
}

export interface RpcTransaction {
  hash: Uint8Array;
  /** 0 legacy, 1 EIP-2930, 2 EIP-1559. */
  type: number;
  /** Absent only for pre-EIP-155 legacy transactions. */
  chainId: bigint | null;
  nonce: bigint;
  from: Uint8Array;
  to: Uint8Array | null;
  value: bigint;
  gas: bigint;
  input: Uint8Array;
  /** Legacy and EIP-2930: the gas price; EIP-1559: the effective price once mined, else maxFeePerGas. */
  gasPrice: bigint;
  maxFeePerGas: bigint | null;
  maxPriorityFeePerGas: bigint | null;
  accessList: RpcAccessListEntry[] | null;
  v: bigint;
  r: bigint;
  s: bigint;
  /** Typed transactions only. */
  yParity: bigint | null;
  /** Null while pending. */
  blockHash: Uint8Array | null;
  blockNumber: bigint | null;
  transactionIndex: bigint | null;
}

export interface RpcLog {
  address: Uint8Array;
  topics: Uint8Array[];
  data: Uint8Array;
  blockNumber: bigint;
  blockHash: Uint8Array;
  transactionHash: Uint8Array;
  transactionIndex: bigint;
  logIndex: bigint;
  removed: boolean;
}

export interface RpcReceipt {
  transactionHash: Uint8Array;
  transactionIndex: bigint;
  blockHash: Uint8Array;
  blockNumber: bigint;
  from: Uint8Array;
  to: Uint8Array | null;
  cumulativeGasUsed: bigint;
  gasUsed: bigint;
  effectiveGasPrice: bigint;
  contractAddress: Uint8Array | null;
  logs: RpcLog[];
  logsBloom: Uint8Array;
  /** 1 success, 0 failure. */
  status: bigint;
  type: number;
}

export interface RpcBlock {
  hash: Uint8Array;
  parentHash: Uint8Array;
  number: bigint;
  timestamp: bigint;
  miner: Uint8Array;
  stateRoot: Uint8Array;
  transactionsRoot: Uint8Array;
  receiptsRoot: Uint8Array;
  logsBloom: Uint8Array;
  gasLimit: bigint;
  gasUsed: bigint;
  baseFeePerGas: bigint;
  extraData: Uint8Array;
  mixHash: Uint8Array;
  sha3Uncles: Uint8Array;
  nonce: Uint8Array;
  difficulty: bigint;
  /** Encoded size in bytes. */
  size: bigint;
  /** The transactions' hashes, in block order (all a block without full transactions needs). */
  transactionHashes: Uint8Array[];
  /** The transactions in full (a backend may compute them only when read). */
  transactions: RpcTransaction[];
}

/** A call or gas estimate request, parsed. Absent fields are null (the EVM's simulation request). */
export type CallRequest = SimRequest;

export interface FeeHistory {
  oldestBlock: bigint;
  /** One more entry than blocks: the base fee of the block after the newest. */
  baseFeePerGas: bigint[];
  /** gasUsed / gasLimit per block, as a decimal fraction in [0, 1]. Presentation only. */
  gasUsedRatio: number[];
  /** Present when percentiles were asked for. */
  reward: bigint[][] | null;
}

export interface SyncStatus {
  startingBlock: bigint;
  currentBlock: bigint;
  highestBlock: bigint;
}

export interface ValidatorSetView {
  /** The height whose set this is (the next block to be produced). */
  height: bigint;
  epoch: bigint;
  validators: Uint8Array[];
  /** Proposer of round 0 of `height`. */
  proposer: Uint8Array;
}

/**
 * Errors the backend throws for the client's own mistakes. The server maps `code` to the
 * JSON-RPC error code (EIP-1474) and passes `message` and `data` through.
 */
export class RpcError extends Error {
  override name = 'RpcError';
  constructor(
    readonly code: number,
    message: string,
    readonly data?: unknown,
  ) {
    super(message);
  }
}

/** EIP-1474 / JSON-RPC 2.0 error codes used by the server and backends. */
export const RpcErrorCode = {
  ParseError: -32700,
  InvalidRequest: -32600,
  MethodNotFound: -32601,
  InvalidParams: -32602,
  InternalError: -32603,
  /** Missing or invalid parameters of a transaction, nonce too low, etc. */
  InvalidInput: -32000,
  ResourceNotFound: -32001,
  ResourceUnavailable: -32002,
  TransactionRejected: -32003,
  MethodNotSupported: -32004,
  LimitExceeded: -32005,
  /** Execution reverted (eth_call / eth_estimateGas), with the revert data. */
  ExecutionReverted: 3,
} as const;

/** An epoch: its blocks, validators (consensus keys) in proposer order, and seed. */
import type { EconomicsFigures } from '../economics/figures.js';
import type { Payload } from '../governance/payload.js';
import type { Proposal, Tally } from '../governance/store.js';
import type { SimRequest } from '../execution/evm/simulate.js';
import type { StateOverride } from '../execution/evm/overrides.js';
import type { TraceJson, TraceSpec } from '../execution/evm/tracer.js';
import type { LogMatcher } from './log-filter.js';
import type { WorkTask } from './work.js';

export interface EpochView {
  epoch: bigint;
  firstBlock: bigint;
  lastBlock: bigint;
  validators: Uint8Array[];
  /** The candidates (operator addresses) behind them. */
  operators: Uint8Array[];
  /** The RANDAO seed the epoch was elected with (zero for the genesis epochs). */
  seed: Uint8Array;
}

/** A candidate as the next election would weigh it. Fixed-point figures are 36-decimal. */
export interface CandidateView {
  operator: Uint8Array;
  consensusKey: Uint8Array;
  name: string;
  deposit: bigint;
  status: 'active' | 'jailed' | 'tombstoned';
  commissionBps: bigint;
  commissionMaxBps: bigint;
  /** Σx over the locks voting for it, in units (x = t·T). */
  votes: bigint;
  X: bigint;
  v: bigint;
  m: bigint;
  n: bigint;
  R: bigint;
  /** R / ΣR over the weighed candidates. */
  probability: bigint;
  /** In the current epoch's validator set. */
  elected: boolean;
  /** While jailed: the epoch from which it may unjail. */
  jailedUntilEpoch?: bigint;
  /** Its last slashes (docs/slashing.md), oldest first. */
  slashes?: SlashView[];
}

export interface SlashView {
  reason: 'double-sign' | 'downtime';
  /** The block that slashed. */
  block: bigint;
  amount: bigint;
  /** The evidence's reporter (double signing), else null. */
  reporter: Uint8Array | null;
  /** Jailed until this epoch (downtime), else null. */
  untilEpoch: bigint | null;
}

/** Accepted equivocation evidence (docs/slashing.md). */
export interface EvidenceView {
  validator: Uint8Array;
  operator: Uint8Array;
  height: bigint;
  round: bigint;
  /** Consensus message type: 0 PROPOSAL, 1 PREPARE, 2 COMMIT, 3 ROUND-CHANGE. */
  type: bigint;
  reporter: Uint8Array;
  slashed: bigint;
  /** The block that accepted it. */
  block: bigint;
}

export interface LockView {
  id: bigint;
  owner: Uint8Array;
  amount: bigint;
  candidate: Uint8Array | null;
  since: bigint;
  t: bigint;
  x: bigint;
  /** Rewards the lock can claim now. */
  pending: bigint;
  autoCompound: boolean;
}

export interface ElectionView {
  epoch: bigint;
  /** The block whose state transition ran the election (0: set by the genesis). */
  electedAt: bigint;
  seed: Uint8Array;
  rankedSeats: bigint;
  lotterySeats: bigint;
  /**
   * Every candidate the election weighed, with its election weight R (36-decimal), by address:
   * with the seed and the seats, all it takes to run the election again. Null when no election
   * chose the set (the genesis epochs).
   */
  candidates: { address: Uint8Array; R: bigint }[] | null;
  ranked: Uint8Array[];
  /** Lottery winners in draw order: w, the draw's total W and its point z. */
  drawn: { address: Uint8Array; w: bigint; W: bigint; z: bigint }[];
  /** Seated without weight because fewer than K candidates had any. */
  filled: Uint8Array[];
  validators: Uint8Array[];
  operators: Uint8Array[];
}

/** Staking reads (etm_getEpoch, etm_getCandidates, etm_getLocks, etm_getElection, etm_getEconomics). */
export interface StakingRpcBackend {
  /** The economy's figures at a block (already resolved to a number that exists). */
  economics(block: bigint): EconomicsFigures;
  /** The epoch `epoch`, or the current one; null when it is not known yet. */
  epoch(epoch: bigint | null): EpochView | null;
  /** The candidates as the next election would weigh them after block `block` (resolved). */
  candidates(block: bigint): CandidateView[];
  locks(owner: Uint8Array): LockView[];
  election(epoch: bigint): Promise<ElectionView | null> | ElectionView | null;
  /** The last accepted equivocation evidence at block `block` (resolved), oldest first. */
  evidence?(block: bigint): EvidenceView[];
}

/** A DAO proposal as etm_getProposal shows it (docs/governance.md). */
export interface ProposalView {
  proposal: Proposal;
  /** The payload decoded (null only if the state holds one that does not decode). */
  details: Payload | null;
  /** The tally: final once the vote closed, else taken over the head's locks now. */
  tally: Tally;
  final: boolean;
  /**
   * For a rescind: whether the named transaction, as this node's chain holds it, succeeded and
   * sent `amount` from `from` to `to` (null when the node does not know the transaction).
   */
  rescindMatches: boolean | null;
}

/** DAO reads (etm_getProposals, etm_getProposal). */
export interface GovernanceRpcBackend {
  /** Proposals by id, newest first, at most `limit` from `before` (exclusive; null: newest). */
  proposals(before: bigint | null, limit: number): ProposalView[];
  proposal(id: bigint): ProposalView | null;
}

export interface NewHeadEvent {
  block: RpcBlock;
  logs: RpcLog[];
}

export interface RpcBackend {
  readonly chainId: bigint;
  readonly clientVersion: string;

  headNumber(): bigint;
  /** Resolves a selector to a block number, or null if no such block. 'pending' resolves to latest. */
  resolveBlock(selector: BlockSelector): bigint | null;
  blockByNumber(number: bigint): RpcBlock | null;
  blockByHash(hash: Uint8Array): RpcBlock | null;

  /** State at the given block (already resolved to a number that exists). */
  balance(address: Uint8Array, block: bigint): bigint;
  nonce(address: Uint8Array, block: bigint): bigint;
  code(address: Uint8Array, block: bigint): Uint8Array;
  storageAt(address: Uint8Array, slot: Uint8Array, block: bigint): Uint8Array;
  /** Nonce including transactions waiting in the mempool (the 'pending' tag). */
  pendingNonce(address: Uint8Array): bigint;

  /** Adds a signed transaction to the mempool; returns its hash or throws RpcError. */
  sendRawTransaction(raw: Uint8Array): Uint8Array;
  /**
   * Told of the raw transactions of a batch before they are sent one by one, to recover their
   * senders together (on worker threads). Must not throw for bad transactions.
   */
  prepareRawTransactions?(raws: Uint8Array[]): Promise<void>;
  transactionByHash(hash: Uint8Array): RpcTransaction | null;
  receiptByHash(hash: Uint8Array): RpcReceipt | null;
  /** Every receipt of a block, in order; null when there is no such block. */
  blockReceipts(number: bigint): RpcReceipt[] | null;
  /**
   * The logs of one block that pass the filter, in order; null when there is no such block.
   * Cheap for a block whose bloom rules the filter out (eth_getLogs calls this for every block of
   * its range, in time slices).
   */
  blockLogs(number: bigint, filter: LogMatcher): RpcLog[] | null;

  /** `override` (geth's state override) changes the state the call runs on; null: none. */
  call(
    request: CallRequest,
    block: bigint,
    override?: StateOverride | null,
  ): Uint8Array | Promise<Uint8Array>;
  estimateGas(
    request: CallRequest,
    block: bigint,
    override?: StateOverride | null,
  ): bigint | Promise<bigint>;
  /** eth_createAccessList; absent: not served. */
  createAccessList?(
    request: CallRequest,
    block: bigint,
    override: StateOverride | null,
  ): Promise<AccessListReply>;
  /** debug_traceCall; absent: not served. */
  traceCall?(
    request: CallRequest,
    block: bigint,
    spec: TraceSpec,
    override: StateOverride | null,
  ): Promise<TraceJson>;
  /** debug_traceTransaction; null when the transaction is unknown. Absent: not served. */
  traceTransaction?(hash: Uint8Array, spec: TraceSpec): Promise<TraceJson | null>;
  gasPrice(): bigint;
  maxPriorityFeePerGas(): bigint;
  /**
   * Reads one block after another: between blocks, when `work` says its time slice is used up,
   * it awaits `work.next()` so that the event loop (and consensus) runs in between.
   */
  feeHistory(
    blockCount: bigint,
    newest: bigint,
    percentiles: number[] | null,
    work: WorkTask,
  ): FeeHistory | Promise<FeeHistory>;

  syncing(): SyncStatus | false;
  validators(): ValidatorSetView;
  /** Staking reads; a backend without them answers the etm_ staking methods with -32004. */
  staking?: StakingRpcBackend;
  /** DAO reads; a backend without them answers etm_getProposals/etm_getProposal with -32004. */
  governance?: GovernanceRpcBackend;
  /** Connected peers (net_peerCount); absent means 0. */
  peerCount?(): number;

  /** Called after every committed block; returns an unsubscribe function. */
  onNewHead(listener: (event: NewHeadEvent) => void): () => void;

  /** A committed block's hash, cheaper than blockByNumber; null when there is no such block. */
  blockHashAt?(number: bigint): Uint8Array | null;
  /**
   * Called with the hash of every transaction the pool admits (pending filters,
   * newPendingTransactions); returns an unsubscribe function. Absent: not served.
   */
  onPendingTransaction?(listener: (hash: Uint8Array) => void): () => void;
  /** Told when the chain was rolled back (the devnet's evm_revert), with the new head. */
  onRewound?(listener: (head: bigint) => void): () => void;
  /** The pool's transactions (txpool_status, txpool_content); absent: not served. */
  txpool?(): TxPoolView;
  /** EIP-1186 proofs of an account and storage slots at a block (resolved); absent: not served. */
  proof?(address: Uint8Array, slots: Uint8Array[], block: bigint): AccountProof;
  /** Methods of a development chain (eth_sendTransaction, evm_mine, …); never on a real node. */
  dev?: DevRpcBackend;
}

/** eth_createAccessList's answer: `error` is the EVM's when the call fails with the list. */
export interface AccessListReply {
  accessList: { address: Uint8Array; storageKeys: Uint8Array[] }[];
  gasUsed: bigint;
  error: string | null;
}

/** The pool: executable transactions, and those that wait for an earlier nonce. */
export interface TxPoolView {
  /** By sender, then nonce. */
  pending: RpcTransaction[];
  queued: RpcTransaction[];
}

export interface StorageProof {
  /** The slot as asked (32 bytes). */
  key: Uint8Array;
  value: bigint;
  /** RLP-encoded trie nodes from the storage root down (EIP-1186). */
  proof: Uint8Array[];
}

export interface AccountProof {
  address: Uint8Array;
  /** RLP-encoded trie nodes from the state root down to the account (or to its absence). */
  accountProof: Uint8Array[];
  balance: bigint;
  codeHash: Uint8Array;
  nonce: bigint;
  storageHash: Uint8Array;
  storageProof: StorageProof[];
  /** The units the account has locked (the fifth field of an ETM/P account). */
  locked: bigint;
}

/** A transaction request to sign with a dev account (eth_sendTransaction); absent fields null. */
export type DevTransactionRequest = CallRequest & { from: Uint8Array };

/**
 * The development chain's accounts and controls (etm devnet only). Each method throws RpcError
 * for what it refuses.
 */
export interface DevRpcBackend {
  /** The addresses the chain holds keys for (eth_accounts). */
  accounts(): Uint8Array[];
  /** Fills, signs with `from`'s key and submits; resolves with the transaction hash. */
  sendTransaction(request: DevTransactionRequest): Promise<Uint8Array>;
  /** EIP-191 personal message signature by `address` (65 bytes). */
  signMessage(address: Uint8Array, message: Uint8Array): Promise<Uint8Array>;
  /** EIP-712 signature by `address` of typed data (the eth_signTypedData_v4 JSON). */
  signTypedData(address: Uint8Array, typedData: unknown): Promise<Uint8Array>;
  /** Resolves once the next block is committed, with its number. */
  mine(): Promise<bigint>;
  /** Makes `address` hold `balance` (see the implementation for how). */
  setBalance(address: Uint8Array, balance: bigint): Promise<void>;
  /** Records the head; resolves with the snapshot's id (evm_snapshot). */
  snapshot(): Promise<bigint>;
  /**
   * Rolls the chain back to snapshot `id`'s head; false for an unknown or used id. The snapshot
   * and every later one are used up (evm_revert).
   */
  revert(id: bigint): Promise<boolean>;
}
