/**
 * The EVM's precompiles beyond Ethereum's: every system module answers at its address, so a
 * contract calls staking or the ETM token like any contract, with `msg.sender` the contract.
 * The module changes the StateDB directly inside the calling frame's checkpoint: when that
 * frame (or any frame above it) reverts, the module's changes revert with it. Its events come
 * back as the frame's logs.
 *
 * The other system accounts (evidence, the reward and bonus pools, the treasury)
 * refuse every call from a contract, so no contract can move value into them. The KZG point
 * evaluation precompile (0x0a) fails like an invalid proof, consuming the gas given to it: the
 * chain carries no blobs and links no KZG library.
 */
import { EVMError, type EVM, type PrecompileInput } from '@ethereumjs/evm';
import type { CustomPrecompile } from '@ethereumjs/evm';
import type { Message } from '@ethereumjs/evm';
import { encodeErrorResult, parseAbi } from 'viem';
import { equalBytes, fromHex, toHex } from '../../crypto/bytes.js';
import type { ChainParams } from '../../params/registry.js';
import { callContract, callGas, functionOf } from '../call.js';
import type { SystemContract } from '../module.js';
import { SYSTEM_MODULES as REGISTRY_MODULES } from '../registry.js';
import { Revert } from '../../primitives/errors.js';
import { SYSTEM_ACCOUNTS } from '../../primitives/system-addresses.js';
import { ETM_TOKEN_ADDRESS } from './addresses.js';
import { callEtmToken, etmTokenGas, etmTokenIsView } from './etm-token.js';
import { ModuleRevert, type PrecompileModule } from './module.js';
import type { EvmStateAdapter } from './state-adapter.js';

const ERROR_ABI = parseAbi(['error Error(string reason)']);

/** A registry contract (src/execution/registry.ts) as the EVM reaches it. */
function registryModule(contract: SystemContract): PrecompileModule {
  const views: ReadonlySet<string> = new Set(
    contract.abi
      .filter((x) => x.type === 'function' && x.stateMutability === 'view')
      .map((x) => (x as { name: string }).name),
  );
  return {
    name: contract.name,
    address: contract.address,
    gas: (data) => callGas(contract, data),
    isView: (data) => {
      const fn = functionOf(contract, data);
      return fn === null || views.has(fn);
    },
    call: (ctx, data) => {
      try {
        return callContract(contract, ctx, data);
      } catch (e) {
        if (e instanceof Revert) throw new ModuleRevert(e.message);
        throw e;
      }
    },
  };
}

const ETM_TOKEN_MODULE: PrecompileModule = {
  name: 'ETM token',
  address: ETM_TOKEN_ADDRESS,
  gas: etmTokenGas,
  isView: etmTokenIsView,
  call: callEtmToken,
};

/** Every system contract of the registry, then the ETM token. */
export const SYSTEM_MODULES: readonly PrecompileModule[] = [
  ...REGISTRY_MODULES.flatMap((m) => (m.contract ? [registryModule(m.contract)] : [])),
  ETM_TOKEN_MODULE,
];

function systemModuleAt(address: Uint8Array): PrecompileModule | undefined {
  return SYSTEM_MODULES.find((m) => equalBytes(m.address, address));
}

/** Error(string) revert data, as Solidity's `revert("…")` returns it. */
function revertData(reason: string): Uint8Array {
  return fromHex(encodeErrorResult({ abi: ERROR_ABI, errorName: 'Error', args: [reason] }));
}

/** The messages the EVM is running, innermost last: a precompile reads its caller here. */
export class MessageStack {
  private readonly stack: Message[] = [];

  attach(evm: EVM): void {
    evm.events.on('beforeMessage', (m: Message) => {
      this.stack.push(m);
    });
    evm.events.on('afterMessage', () => {
      this.stack.pop();
    });
  }

  get current(): Message | undefined {
    return this.stack[this.stack.length - 1];
  }

  reset(): void {
    this.stack.length = 0;
  }
}

export interface PrecompileEnv {
  params: ChainParams;
  height: bigint;
  messages: MessageStack;
}

const reverted = (reason: string, gas: bigint) => ({
  returnValue: revertData(reason),
  executionGasUsed: gas,
  exceptionError: new EVMError(EVMError.errorMessages.REVERT),
});

function modulePrecompile(module: PrecompileModule, env: PrecompileEnv) {
  return (input: PrecompileInput) => {
    const gas = module.gas(input.data);
    if (input.gasLimit < gas) {
      return {
        returnValue: new Uint8Array(0),
        executionGasUsed: input.gasLimit,
        exceptionError: new EVMError(EVMError.errorMessages.OUT_OF_GAS),
      };
    }
    const m = env.messages.current;
    if (
      m === undefined ||
      m.delegatecall ||
      m.to === undefined ||
      !equalBytes(m.to.bytes, module.address)
    )
      return reverted(`${module.name}: only a direct CALL reaches a system contract`, gas);
    if (m.isStatic && !module.isView(input.data))
      return reverted(`${module.name}: state change in a static call`, gas);
    const state = (input._EVM.stateManager as EvmStateAdapter).state;
    if (m.value > 0n) {
      // The EVM credited the value to the module's address; the module decides where it goes.
      const a = state.getAccount(module.address);
      state.putAccount(module.address, { ...a, balance: a.balance - m.value });
    }
    try {
      const r = module.call(
        { state, params: env.params, height: env.height, sender: m.caller.bytes, value: m.value },
        input.data,
      );
      return {
        returnValue: r.returnData,
        executionGasUsed: gas,
        logs: r.logs.map(
          (l) => [l.address, l.topics, l.data] as [Uint8Array, Uint8Array[], Uint8Array],
        ),
      };
    } catch (e) {
      if (e instanceof ModuleRevert) return reverted(e.message, gas);
      throw e;
    }
  };
}

/** Precompiles of one block: the modules, the closed system accounts, and 0x0a. */
export function chainPrecompiles(env: PrecompileEnv): CustomPrecompile[] {
  const out: CustomPrecompile[] = SYSTEM_MODULES.map((m) => ({
    address: toHex(m.address),
    function: modulePrecompile(m, env),
  }));
  for (const a of SYSTEM_ACCOUNTS) {
    if (systemModuleAt(a)) continue;
    const where = toHex(a);
    out.push({
      address: where,
      function: () => reverted(`system account ${where} takes no calls from contracts`, 0n),
    });
  }
  out.push({
    address: '0x000000000000000000000000000000000000000a',
    function: (input: PrecompileInput) => ({
      returnValue: new Uint8Array(0),
      executionGasUsed: input.gasLimit,
      exceptionError: new EVMError(EVMError.errorMessages.INVALID_PROOF),
    }),
  });
  return out;
}
