/**
 * State overrides of eth_call, eth_estimateGas, eth_createAccessList and debug_traceCall, in
 * geth's format: per address a balance, a nonce, code, and either the whole storage (`state`)
 * or some of its slots (`stateDiff`). They change a throwaway copy of the state the call runs
 * on, never the chain.
 *
 * Bounded: a request names at most MAX_OVERRIDE_ACCOUNTS accounts and MAX_OVERRIDE_SLOTS slots
 * in all, and code of at most MAX_OVERRIDE_CODE_BYTES. The system accounts and contracts (whose
 * code and storage the node's own modules keep) and Ethereum's precompiles cannot be
 * overridden: a call that needs them changed has no meaning on this chain.
 */
import { toHex } from '../../crypto/bytes.js';
import { EtmError } from '../../primitives/errors.js';
import { isSystemAccount } from '../../primitives/system-addresses.js';
import type { StateDB } from '../../state/state-db.js';
import { ETM_TOKEN_ADDRESS } from './addresses.js';

/** Most accounts one request may override. */
export const MAX_OVERRIDE_ACCOUNTS = 100;
/** Most storage slots one request may set, over all its accounts. */
export const MAX_OVERRIDE_SLOTS = 10_000;
/** Largest code one account may be given: twice EIP-170's limit, as initcode (EIP-3860). */
const MAX_OVERRIDE_CODE_BYTES = 49_152;

export interface AccountOverride {
  balance: bigint | null;
  nonce: bigint | null;
  code: Uint8Array | null;
  /** The whole storage: every other slot reads zero. */
  state: { key: Uint8Array; value: Uint8Array }[] | null;
  /** Slots changed; the others keep their values. */
  stateDiff: { key: Uint8Array; value: Uint8Array }[] | null;
}

export interface AccountOverrideEntry extends AccountOverride {
  address: Uint8Array;
}

/** Overrides in request order (an address appears at most once). */
export type StateOverride = AccountOverrideEntry[];

/** An override the node refuses (RPC: invalid params). */
export class OverrideError extends EtmError<'invalid-override'> {
  override name = 'OverrideError';
  constructor(message: string) {
    super('invalid-override', message);
  }
}

/** Ethereum's precompiles at Cancun: 0x01 … 0x0a. */
function isStandardPrecompile(a: Uint8Array): boolean {
  for (let i = 0; i < 19; i++) if (a[i] !== 0) return false;
  return a[19]! >= 1 && a[19]! <= 0x0a;
}

function sameBytes(a: Uint8Array, b: Uint8Array): boolean {
  return a.length === b.length && a.every((x, i) => x === b[i]);
}

/** Whether an address's account is the node's own (a system account or contract, a precompile). */
export function isProtectedAddress(address: Uint8Array): boolean {
  return (
    isSystemAccount(address) ||
    sameBytes(address, ETM_TOKEN_ADDRESS) ||
    isStandardPrecompile(address)
  );
}

/** Checks the bounds and the protected addresses; throws OverrideError. */
export function checkStateOverride(override: StateOverride): void {
  if (override.length > MAX_OVERRIDE_ACCOUNTS)
    throw new OverrideError(
      `state override names ${override.length} accounts; at most ${MAX_OVERRIDE_ACCOUNTS}`,
    );
  let slots = 0;
  const seen = new Set<string>();
  for (const o of override) {
    const hex = toHex(o.address);
    if (seen.has(hex)) throw new OverrideError(`state override names account ${hex} twice`);
    seen.add(hex);
    if (isProtectedAddress(o.address))
      throw new OverrideError(
        `account ${hex} is a system account, system contract or precompile and cannot be overridden`,
      );
    if (o.state !== null && o.stateDiff !== null)
      throw new OverrideError(`account ${hex} has both 'state' and 'stateDiff'`);
    if (o.code !== null && o.code.length > MAX_OVERRIDE_CODE_BYTES)
      throw new OverrideError(
        `code override of ${hex} has ${o.code.length} bytes; at most ${MAX_OVERRIDE_CODE_BYTES}`,
      );
    slots += (o.state?.length ?? 0) + (o.stateDiff?.length ?? 0);
  }
  if (slots > MAX_OVERRIDE_SLOTS)
    throw new OverrideError(
      `state override sets ${slots} storage slots; at most ${MAX_OVERRIDE_SLOTS}`,
    );
}

/** Strips leading zero bytes: storage holds a word without them. */
function unpad(value: Uint8Array): Uint8Array {
  let i = 0;
  while (i < value.length && value[i] === 0) i++;
  return value.subarray(i);
}

/** Applies checked overrides to `state` (a throwaway copy) and returns it. */
export function applyStateOverride(state: StateDB, override: StateOverride | null): StateDB {
  if (override === null || override.length === 0) return state;
  checkStateOverride(override);
  for (const o of override) {
    if (o.balance !== null || o.nonce !== null) {
      const a = state.getAccount(o.address);
      state.putAccount(o.address, {
        ...a,
        balance: o.balance ?? a.balance,
        nonce: o.nonce ?? a.nonce,
      });
    }
    if (o.code !== null) state.putCode(o.address, o.code);
    if (o.state !== null) state.clearStorage(o.address);
    for (const s of o.state ?? o.stateDiff ?? [])
      state.putStorage(o.address, s.key, unpad(s.value));
  }
  return state;
}
