/**
 * What a system module (a contract the node implements natively) is to the EVM: its address,
 * the gas each call costs, which calls only read, and the call itself, synchronous over the
 * StateDB. A module is reached by a transaction or, as a precompile, from any contract, with
 * `msg.sender` the caller either way (docs/contracts.md).
 */
import type { Log } from '../../primitives/receipt.js';
import type { ChainParams } from '../../params/registry.js';
import type { StateDB } from '../../state/state-db.js';

export interface ModuleCall {
  state: StateDB;
  params: ChainParams;
  /** The height of the block the call runs in. */
  height: bigint;
  sender: Uint8Array;
  /** The call's value, already taken from the sender (the module decides where it goes). */
  value: bigint;
}

export interface ModuleResult {
  returnData: Uint8Array;
  logs: Log[];
}

/** A call the module refuses: its state changes are undone and `message` is the reason. */
export class ModuleRevert extends Error {
  override name = 'ModuleRevert';
}

export interface PrecompileModule {
  readonly name: string;
  readonly address: Uint8Array;
  /** Gas of the call with this calldata (beyond the call's base cost). */
  gas(data: Uint8Array): bigint;
  /** Whether the call changes nothing, so a static call may make it. */
  isView(data: Uint8Array): boolean;
  /** Throws ModuleRevert to refuse. */
  call(ctx: ModuleCall, data: Uint8Array): ModuleResult;
}
