/**
 * ETM as an ERC-20 (docs/contracts.md): a system module at ETM_TOKEN_ADDRESS whose balances ARE
 * the native spendable balances, so there is one balance, never two. `transfer` and
 * `transferFrom` move native units and log the standard Transfer event; allowances live in the
 * module's own storage with Solidity's layout (mapping(owner => mapping(spender => uint256)) at
 * slot 1), so eth_getStorageAt reads them as it would a compiled token's. `totalSupply` is the
 * chain's supply B (every balance, lock, unbonding entry and system account). Pure and
 * synchronous over a StateDB; the caller rolls the state back when a call reverts.
 */
import { decodeFunctionData, encodeFunctionData, encodeFunctionResult, erc20Abi } from 'viem';
import {
  bigintToBytes,
  bigintToFixed,
  bytesToBigint,
  concatBytes,
  equalBytes,
  fromHex,
  toHex,
} from '../../crypto/bytes.js';
import { keccak256 } from '../../crypto/keccak.js';
import { encodeEventLog } from '../../codec/abi.js';
import type { Log } from '../../primitives/receipt.js';
import type { StateDB } from '../../state/state-db.js';
import { RewardStore } from '../../economics/reward-store.js';
import { isSystemAccount } from '../../primitives/system-addresses.js';
import { MAX_UINT256 } from '../../state/account.js';
import { ETM_TOKEN_ADDRESS } from './addresses.js';
import { ModuleRevert, type ModuleCall, type ModuleResult } from './module.js';

/** Gas of each function (beyond the call's own costs), near what a compiled ERC-20 spends. */
const ETM_TOKEN_GAS: Record<string, bigint> = {
  transfer: 25_000n,
  approve: 22_000n,
  transferFrom: 30_000n,
};
const ETM_TOKEN_VIEW_GAS = 2_600n;

const ALLOWANCE_SLOT = bigintToFixed(1n, 32);

type Decoded = ReturnType<typeof decodeFunctionData<typeof erc20Abi>>;

/** The call in calldata if it is the canonical encoding of one function's arguments, else null. */
function decode(data: Uint8Array): Decoded | null {
  const hex = toHex(data);
  try {
    const call = decodeFunctionData({ abi: erc20Abi, data: hex });
    const canonical = encodeFunctionData({
      abi: erc20Abi,
      functionName: call.functionName,
      args: call.args,
    } as Parameters<typeof encodeFunctionData>[0]);
    return canonical.toLowerCase() === hex.toLowerCase() ? call : null;
  } catch {
    return null;
  }
}

/** Gas of a call to the token (unknown calldata: a view's). */
export function etmTokenGas(data: Uint8Array): bigint {
  const fn = decode(data)?.functionName;
  return fn === undefined ? ETM_TOKEN_VIEW_GAS : (ETM_TOKEN_GAS[fn] ?? ETM_TOKEN_VIEW_GAS);
}

/** Whether the calldata selects a function that changes nothing (callable in a static call). */
export function etmTokenIsView(data: Uint8Array): boolean {
  const fn = decode(data)?.functionName;
  return fn === undefined || ETM_TOKEN_GAS[fn] === undefined;
}

/** The storage slot of allowance[owner][spender], as Solidity lays the mapping out. */
function allowanceSlot(owner: Uint8Array, spender: Uint8Array): Uint8Array {
  const inner = keccak256(concatBytes(bigintToFixed(0n, 12), owner, ALLOWANCE_SLOT));
  return keccak256(concatBytes(bigintToFixed(0n, 12), spender, inner));
}

export function callEtmToken(ctx: ModuleCall, data: Uint8Array): ModuleResult {
  const call = decode(data);
  if (call === null)
    throw new ModuleRevert(
      data.length < 4 ? 'ETM: no function selector' : 'ETM: unknown function or bad arguments',
    );
  if (ctx.value !== 0n) throw new ModuleRevert('ETM: the token accepts no value');
  const logs: Log[] = [];
  const ret = (value: unknown): Uint8Array =>
    fromHex(
      encodeFunctionResult({
        abi: erc20Abi,
        functionName: call.functionName,
        result: value,
      } as Parameters<typeof encodeFunctionResult>[0]),
    );
  const { state, sender } = ctx;
  switch (call.functionName) {
    case 'name':
      return { returnData: ret('ETM'), logs };
    case 'symbol':
      return { returnData: ret('ETM'), logs };
    case 'decimals':
      return { returnData: ret(18), logs };
    case 'totalSupply':
      return { returnData: ret(new RewardStore(state).economics().supply), logs };
    case 'balanceOf':
      return { returnData: ret(state.getAccount(fromHex(call.args[0])).balance), logs };
    case 'allowance':
      return {
        returnData: ret(allowance(state, fromHex(call.args[0]), fromHex(call.args[1]))),
        logs,
      };
    case 'approve': {
      const spender = fromHex(call.args[0]);
      setAllowance(state, sender, spender, call.args[1]);
      logs.push(
        event('Approval', { owner: toHex(sender), spender: call.args[0], value: call.args[1] }),
      );
      return { returnData: ret(true), logs };
    }
    case 'transfer':
      move(state, sender, fromHex(call.args[0]), call.args[1], logs);
      return { returnData: ret(true), logs };
    case 'transferFrom': {
      const from = fromHex(call.args[0]);
      const amount = call.args[2];
      const allowed = allowance(state, from, sender);
      if (allowed < amount)
        throw new ModuleRevert(`ETM: insufficient allowance ${allowed}, needed ${amount}`);
      // An unlimited allowance stays unlimited, as OpenZeppelin's ERC-20 keeps it.
      if (allowed !== MAX_UINT256) setAllowance(state, from, sender, allowed - amount);
      move(state, from, fromHex(call.args[1]), amount, logs);
      return { returnData: ret(true), logs };
    }
    default:
      throw new ModuleRevert('ETM: unknown function');
  }
}

function allowance(state: StateDB, owner: Uint8Array, spender: Uint8Array): bigint {
  return bytesToBigint(state.getStorage(ETM_TOKEN_ADDRESS, allowanceSlot(owner, spender)));
}

function setAllowance(state: StateDB, owner: Uint8Array, spender: Uint8Array, value: bigint) {
  if (isZero(spender)) throw new ModuleRevert('ETM: approve to the zero address');
  state.putStorage(ETM_TOKEN_ADDRESS, allowanceSlot(owner, spender), bigintToBytes(value));
}

function move(state: StateDB, from: Uint8Array, to: Uint8Array, amount: bigint, logs: Log[]) {
  if (isZero(to)) throw new ModuleRevert('ETM: transfer to the zero address');
  if (isSystemAccount(to) || equalBytes(to, ETM_TOKEN_ADDRESS))
    throw new ModuleRevert('ETM: a system account takes no transfers');
  const a = state.getAccount(from);
  if (a.balance < amount)
    throw new ModuleRevert(
      `ETM: transfer amount ${amount} exceeds the spendable balance ${a.balance}`,
    );
  state.putAccount(from, { ...a, balance: a.balance - amount });
  const b = state.getAccount(to);
  state.putAccount(to, { ...b, balance: b.balance + amount });
  logs.push(event('Transfer', { from: toHex(from), to: toHex(to), value: amount }));
}

function event(eventName: 'Transfer' | 'Approval', args: Record<string, unknown>): Log {
  return encodeEventLog(erc20Abi, ETM_TOKEN_ADDRESS, eventName, args);
}

function isZero(a: Uint8Array): boolean {
  return a.every((b) => b === 0);
}
