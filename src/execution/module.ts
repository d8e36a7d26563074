/**
 * System modules: the native parts of the state transition (staking, rewards; later slashing and
 * governance). A module may expose a system contract at a fixed address — its Solidity ABI and
 * one handler per ABI function — and may hook into every block. The state transition knows
 * modules only through this interface and the registry (src/execution/registry.ts): it
 * dispatches a call by its `to` address and runs the hooks in the registry's declared order.
 *
 * A handler table is typed from the ABI: a function without a handler, a handler without a
 * `gas`, a `payable` flag that disagrees with the ABI's stateMutability, or arguments and a
 * result of the wrong types are compile errors.
 */
import type {
  Abi,
  AbiStateMutability,
  ContractFunctionArgs,
  ContractFunctionName,
  ContractFunctionReturnType,
} from 'viem';
import type { ChainParams } from '../params/registry.js';
import type { BlockEconomicsOutput } from '../economics/block.js';
import type { Log } from '../primitives/receipt.js';
import type { Address } from '../primitives/types.js';
import type { StateDB } from '../state/state-db.js';
import type { CandidateWeighing } from '../staking/block-hooks.js';
import type { GenesisCandidate } from '../staking/genesis.js';

/** What one call to a system contract runs with. */
export interface CallContext {
  state: StateDB;
  params: ChainParams;
  /** The executing block's number. */
  height: bigint;
  sender: Address;
  value: bigint;
  /** The call's logs, in order (handlers append). */
  logs: Log[];
}

type FunctionOf<A extends Abi, N extends string> = Extract<
  A[number],
  { type: 'function'; name: N }
>;

/** What a handler returns: nothing for a function without outputs, else its ABI result. */
type Result<A extends Abi, N extends ContractFunctionName<A>> = FunctionOf<
  A,
  N
>['outputs'] extends readonly []
  ? void
  : ContractFunctionReturnType<A, AbiStateMutability, N>;

/** One ABI function's handler. `S` is what `bind` makes of a call's context. */
export interface Handler<A extends Abi, N extends ContractFunctionName<A>, S> {
  /** Gas beyond the transaction's intrinsic gas. */
  gas: bigint;
  /** Must match the ABI: true exactly for a payable function. */
  payable: 'payable' extends FunctionOf<A, N>['stateMutability'] ? true : false;
  run(self: S, args: ContractFunctionArgs<A, AbiStateMutability, N>): Result<A, N>;
}

/** One handler for every function of the ABI. */
export type Handlers<A extends Abi, S> = {
  [N in ContractFunctionName<A>]: Handler<A, N, S>;
};

export interface SystemContract<A extends Abi = Abi, S = unknown> {
  /** Names the contract in revert reasons (`staking: …`). */
  name: string;
  address: Address;
  abi: A;
  /** Gas of calldata that selects no function (the call reverts). */
  unknownGas: bigint;
  /** The contract's rules bound to one call's context. */
  bind(ctx: CallContext): S;
  functions: Handlers<A, S>;
}

/** A block as its hooks see it. */
export interface BlockContext {
  state: StateDB;
  params: ChainParams;
  number: bigint;
  /** The consensus round the block was built for (its header's proposal round). */
  round: bigint;
  /** The proposer's address (its consensus key). */
  coinbase: Address;
  /** Validators of this height in proposer order. */
  validators: readonly Address[];
  /** The proposer's RANDAO reveal (empty when its validator has no candidacy). */
  randaoReveal: Uint8Array;
  /** The block's RANDAO mix (its header's mixHash). */
  mixHash: Uint8Array;
  /**
   * Which validators of the parent's height sealed the parent (the header's parentSealBitmap);
   * undefined where the caller has no header (then no seals are counted).
   */
  parentSealBitmap?: Uint8Array;
  /** The block's fees once its transactions ran (zero in beginBlock). */
  fees: { proposer: bigint; tips: bigint; burned: bigint };
  /**
   * The block work's logs, in order: a hook appends logs with its module's contract address, as
   * a contract call does. The endBlock/endEpoch logs end the block's receipts in one block-work
   * receipt (src/execution/block-work.ts, docs/architecture.md).
   */
  logs: Log[];
}

/** What a hook reports about the block (merged into its outcome). */
export type HookReport = Partial<
  BlockEconomicsOutput & {
    /** Validators of the next epoch (set by the epoch's last block). */
    nextValidators: Address[];
    /** The candidates' weights the block's election used. */
    electionWeights: CandidateWeighing[];
  }
>;

export type HookPhase = 'beginBlock' | 'endBlock' | 'endEpoch';

/** Genesis input every module may read. */
export interface GenesisContext {
  state: StateDB;
  params: ChainParams;
  /** Genesis validators (consensus keys) in proposer order. */
  validators: Address[];
  /** Candidates registered from the start. */
  candidates: GenesisCandidate[];
  /** The genesis supply: every allocation, the voter bonus pool included. */
  supply: bigint;
  /** The chain id consensus signatures are bound to (evidence checks them). */
  chainId?: bigint;
}

export interface SystemModule {
  name: string;
  contract?: SystemContract;
  /** Writes the module's genesis records, after the allocations (in registry order). */
  genesis?(ctx: GenesisContext): void;
  /** Before the block's transactions. */
  beginBlock?(ctx: BlockContext): HookReport | void;
  /** After the block's transactions and fees. */
  endBlock?(ctx: BlockContext): HookReport | void;
  /** After every endBlock, at an epoch's last block only. */
  endEpoch?(ctx: BlockContext): HookReport | void;
}

/**
 * Declares a system contract: its handler table is checked against its ABI, then the types are
 * erased for the registry, which dispatches by selector.
 */
export function defineContract<const A extends Abi, S>(c: SystemContract<A, S>): SystemContract {
  return c as unknown as SystemContract;
}
