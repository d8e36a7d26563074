/**
 * A faster frame for @ethereumjs/evm's interpreter, with the same results.
 *
 * @ethereumjs/evm runs every instruction through an async step (a promise and an await per
 * instruction) and analyses a contract's jump destinations again for every call to it. Here
 * an instruction with a synchronous handler whose gas depends on the stack and memory only (PUSH,
 * DUP, ADD, JUMP, MLOAD, MSTORE, KECCAK256, …: most of them) runs without the awaits, and the analysis of a code is kept for the block: the
 * instructions themselves, their gas and their errors are the library's own. Everything else
 * (dynamic gas, state access, calls, tracing, debugging) takes the library's step unchanged.
 *
 * The library does not export its Interpreter class, so it is loaded from the package's own
 * file next to its entry point (the same module instance the EVM uses). Should that fail, or
 * should the EVM run with a profiler, in debug mode or at a hardfork with EOF or binary-tree
 * witnesses, the library's interpreter runs as it is. Because this reads the package's internal
 * files, package.json pins @ethereumjs/evm to one exact version; the differential tests against
 * @ethereumjs/vm (test/evm) are what an upgrade must pass.
 */
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { EVMError, type EVM } from '@ethereumjs/evm';
import type { Common } from '@ethereumjs/common';
import { Account, bytesToBigInt, createZeroAddress } from '@ethereumjs/util';

/* eslint-disable @typescript-eslint/no-explicit-any --
   the library's internal classes carry no types at this path */

interface OpInfo {
  code: number;
  feeBigInt: bigint;
  isAsync: boolean;
  dynamicGas: boolean;
  isInvalid: boolean;
}
interface OpEntry {
  opcodeInfo: OpInfo;
  opHandler: (runState: any, common: Common) => unknown;
}
interface JumpAnalysis {
  jumps: Uint8Array;
  pushes: Record<number, bigint>;
  opcodesCached: OpEntry[];
}

const JUMP = 0x56;
const JUMPI = 0x57;
const JUMPSUB = 0x5e;

type GasFn = (rs: any, gas: bigint, common: Common) => bigint;

interface Internals {
  Interpreter: new (...args: any[]) => any;
  subMemUsage: (rs: any, offset: bigint, length: bigint, common: Common) => bigint;
  divCeil: (a: bigint, b: bigint) => bigint;
}

/** The library's Interpreter class and gas helpers, or null when not the EVM's own. */
async function loadInternals(): Promise<Internals | null> {
  try {
    // The package's CommonJS entry point locates its directory; its ES modules sit beside it.
    const entry = createRequire(import.meta.url).resolve('@ethereumjs/evm');
    const esm = join(dirname(dirname(entry)), 'esm');
    const [interp, errors, util] = await Promise.all([
      import(pathToFileURL(join(esm, 'interpreter.js')).href),
      import(pathToFileURL(join(esm, 'errors.js')).href),
      import(pathToFileURL(join(esm, 'opcodes', 'util.js')).href),
    ]);
    // The same module instances as the EVM's: its error class is the package's export.
    if (errors.EVMError !== EVMError) return null;
    if (
      typeof interp.Interpreter !== 'function' ||
      typeof util.subMemUsage !== 'function' ||
      typeof util.divCeil !== 'function'
    )
      return null;
    return {
      Interpreter: interp.Interpreter,
      subMemUsage: util.subMemUsage,
      divCeil: util.divCeil,
    };
  } catch {
    return null;
  }
}

const internals = await loadInternals();
const Base = internals?.Interpreter ?? null;

/**
 * The library's dynamic gas of instructions whose gas depends on the stack and memory only (its
 * handlers are async functions, which cost a promise each): by opcode.
 */
const SYNC_GAS: (GasFn | undefined)[] = [];
if (internals !== null) {
  const { subMemUsage, divCeil } = internals;
  // KECCAK256
  SYNC_GAS[0x20] = (rs, gas, common) => {
    const [offset, length] = rs.stack.peek(2);
    gas += subMemUsage(rs, offset, length, common);
    return gas + common.param('keccak256WordGas') * divCeil(length, 32n);
  };
  // CALLDATACOPY
  SYNC_GAS[0x37] = (rs, gas, common) => {
    const [memOffset, , dataLength] = rs.stack.peek(3);
    gas += subMemUsage(rs, memOffset, dataLength, common);
    if (dataLength !== 0n) gas += common.param('copyGas') * divCeil(dataLength, 32n);
    return gas;
  };
  // MLOAD, MSTORE, MSTORE8
  SYNC_GAS[0x51] = (rs, gas, common) => gas + subMemUsage(rs, rs.stack.peek()[0], 32n, common);
  SYNC_GAS[0x52] = (rs, gas, common) => gas + subMemUsage(rs, rs.stack.peek()[0], 32n, common);
  SYNC_GAS[0x53] = (rs, gas, common) => gas + subMemUsage(rs, rs.stack.peek()[0], 1n, common);
  // RETURN
  SYNC_GAS[0xf3] = (rs, gas, common) => {
    const [offset, length] = rs.stack.peek(2);
    return gas + subMemUsage(rs, offset, length, common);
  };
}

/** Jump analyses by EVM (its opcode table) and code: a block's EVM sees each code once. */
const analyses = new WeakMap<object, WeakMap<Uint8Array, JumpAnalysis>>();

function makeFastInterpreter(B: new (...args: any[]) => any) {
  return class FastInterpreter extends B {
    _getValidJumpDestinations(code: Uint8Array): JumpAnalysis {
      let byCode = analyses.get(this._evm);
      if (byCode === undefined) analyses.set(this._evm, (byCode = new WeakMap()));
      let a = byCode.get(code);
      if (a === undefined) {
        // Read only once made: the interpreter only reads validJumps and cachedPushes.
        a = super._getValidJumpDestinations(code) as JumpAnalysis;
        byCode.set(code, a);
      }
      return a;
    }

    async run(code: Uint8Array, opts: { pc?: number } = {}): Promise<any> {
      const evm = this._evm;
      if (opts.pc !== undefined || evm.DEBUG || this.profilerOpts?.enabled === true)
        return super.run(code, opts);
      const rs = this._runState;
      rs.code = code;
      const common: Common = this.common;
      // A tracer listens to every step: then every step takes the library's path.
      const stepListeners = evm.events.listenerCount('step') > 0;
      const opcodeMap: OpEntry[] = evm._opcodeMap;
      let err: any;
      let cachedOpcodes: OpEntry[] | undefined;
      let doJumpAnalysis = true;
      while (rs.programCounter < rs.code.length) {
        const pc: number = rs.programCounter;
        let opCode: number;
        let entry: OpEntry;
        if (cachedOpcodes === undefined) {
          opCode = rs.code[pc];
          entry = opcodeMap[opCode]!;
          if (doJumpAnalysis && (opCode === JUMP || opCode === JUMPI || opCode === JUMPSUB)) {
            const a = this._getValidJumpDestinations(rs.code);
            rs.validJumps = a.jumps;
            rs.cachedPushes = a.pushes;
            rs.shouldDoJumpAnalysis = false;
            cachedOpcodes = a.opcodesCached;
            doJumpAnalysis = false;
          }
        } else {
          entry = cachedOpcodes[pc]!;
          opCode = entry.opcodeInfo.code;
        }
        rs.opCode = opCode;
        const info = entry.opcodeInfo;
        const syncGas = info.dynamicGas ? SYNC_GAS[opCode] : undefined;
        try {
          if (
            (!info.dynamicGas || syncGas !== undefined) &&
            !info.isAsync &&
            !info.isInvalid &&
            !stepListeners &&
            rs.eip7928PostTargetCallOog === undefined
          ) {
            // The library's step for such an instruction, without its promises.
            const gas =
              syncGas === undefined ? info.feeBigInt : syncGas(rs, info.feeBigInt, common);
            this.useGas(gas, info);
            rs.programCounter++;
            entry.opHandler(rs, common);
            rs.env.accessWitness?.commit();
          } else {
            await this.runStep(entry);
          }
        } catch (e: any) {
          rs.env.accessWitness?.revert();
          if (!(typeof e === 'object' && e !== null && e.errorType === 'EVMError')) throw e;
          if (e.error !== EVMError.errorMessages.STOP) err = e;
          break;
        }
      }
      if (
        err === undefined &&
        rs.eip8037BurnLeftoverAfterCreateHaltOntoAlive === true &&
        rs.gasLeft > 0n
      ) {
        rs.gasLeft = 0n;
        err = new EVMError(EVMError.errorMessages.OUT_OF_GAS);
      }
      return { runState: rs, exceptionError: err };
    }
  };
}

const Fast = Base === null ? null : makeFastInterpreter(Base);

/** Whether the faster interpreter could be set up (the tests hold it to be). */
export const FAST_INTERPRETER_AVAILABLE = Fast !== null;

/** x (below 2^256) as a 32-byte big-endian word, written into `out` through `view`. */
function writeWord(view: DataView, x: bigint): void {
  view.setBigUint64(0, BigInt.asUintN(64, x >> 192n));
  view.setBigUint64(8, BigInt.asUintN(64, x >> 128n));
  view.setBigUint64(16, BigInt.asUintN(64, x >> 64n));
  view.setBigUint64(24, BigInt.asUintN(64, x));
}

/** A fresh 32-byte word: the library pads through array spreads and hex strings. */
function word(x: bigint): Uint8Array {
  const out = new Uint8Array(32);
  writeWord(new DataView(out.buffer), x);
  return out;
}

/** A 32-byte big-endian word as a number. */
function wordValue(b: Uint8Array): bigint {
  const v = new DataView(b.buffer, b.byteOffset, 32);
  return (
    (v.getBigUint64(0) << 192n) |
    (v.getBigUint64(8) << 128n) |
    (v.getBigUint64(16) << 64n) |
    v.getBigUint64(24)
  );
}

const scratch = new Uint8Array(32);
const scratchView = new DataView(scratch.buffer);

/**
 * Handlers doing what the library's do with fewer allocations: MSTORE (memory copies the
 * word), SLOAD's key, KECCAK256's result, LOG's topics. Gas, errors and stack effects are
 * the library's (the same stack calls, in the same order).
 */
const HANDLERS: Record<number, (rs: any, common: Common) => unknown> = {
  0x52: (rs) => {
    const [offset, value] = rs.stack.popN(2);
    writeWord(scratchView, value);
    rs.memory.write(Number(offset), 32, scratch);
  },
  0x54: async (rs) => {
    const key: bigint = rs.stack.pop();
    const value: Uint8Array = await rs.interpreter.storageLoad(word(key));
    rs.stack.push(
      value.length === 32 ? wordValue(value) : value.length ? bytesToBigInt(value) : 0n,
    );
  },
  0x20: (rs, common) => {
    const [offset, length] = rs.stack.popN(2);
    let data = new Uint8Array(0);
    if (length !== 0n) data = rs.memory.read(Number(offset), Number(length));
    rs.stack.push(wordValue(common.customCrypto.keccak256!(data)));
  },
};
for (let n = 0; n <= 4; n++)
  HANDLERS[0xa0 + n] = (rs) => {
    const [memOffset, memLength] = rs.stack.popN(2);
    const topicsCount: number = rs.opCode - 0xa0;
    const topics: bigint[] = rs.stack.popN(topicsCount);
    const topicsBuf = topics.map(word);
    let mem = new Uint8Array(0);
    if (memLength !== 0n) mem = rs.memory.read(Number(memOffset), Number(memLength));
    rs.interpreter.log(mem, topicsCount, topicsBuf);
  };

/** EIPs under which the library's own loop must run (EOF, binary-tree witnesses). */
const SLOW_EIPS = [3540, 6800, 7864];

/**
 * Makes `evm` run its frames on the faster interpreter (this EVM instance only; the library's
 * class is untouched). A no-op when that interpreter is not available or does not apply.
 */
export function useFastInterpreter(evm: EVM): void {
  const F = Fast;
  if (F === null || SLOW_EIPS.some((e) => evm.common.isActivatedEIP(e))) return;
  const self = evm as any;
  // This EVM's own opcode table (built per EVM): its entries take the handlers above.
  const map: OpEntry[] = self._opcodeMap;
  for (const [op, handler] of Object.entries(HANDLERS)) {
    const entry = map[Number(op)];
    // KECCAK256 here takes the Common's keccak, which the chain's Common always has.
    if (Number(op) === 0x20 && evm.common.customCrypto.keccak256 === undefined) continue;
    if (entry !== undefined && !entry.opcodeInfo.isInvalid) entry.opHandler = handler;
  }
  // The library's runInterpreter, constructing the faster interpreter.
  self.runInterpreter = async function (
    this: any,
    message: any,
    opts: { pc?: number; initialLogs?: unknown[] } = {},
  ) {
    let contract: Account | undefined = await this.stateManager.getAccount(
      message.to ?? createZeroAddress(),
    );
    if (!contract) contract = new Account();
    const env = {
      address: message.to ?? createZeroAddress(),
      caller: message.caller ?? createZeroAddress(),
      callData: message.data ?? Uint8Array.from([0]),
      callValue: message.value ?? 0n,
      code: message.code,
      isStatic: message.isStatic ?? false,
      isCreate: message.isCreate ?? false,
      depth: message.depth ?? 0,
      gasPrice: this._tx.gasPrice,
      origin: this._tx.origin ?? message.caller ?? createZeroAddress(),
      block: this._block,
      contract,
      codeAddress: message.codeAddress,
      gasRefund: message.gasRefund,
      chargeCodeAccesses: message.chargeCodeAccesses,
      blobVersionedHashes: message.blobVersionedHashes ?? [],
      accessWitness: message.accessWitness,
      createdAddresses: message.createdAddresses,
      initialLogs: opts.initialLogs,
    };
    const interpreter = new F(
      this,
      this.stateManager,
      this.blockchain,
      env,
      message.gasLimit,
      this.journal,
      this.performanceLogger,
      this._optsCached.profiler,
    );
    if (message.selfdestruct) interpreter._result.selfdestruct = message.selfdestruct;
    if (message.createdAddresses) interpreter._result.createdAddresses = message.createdAddresses;
    const interpreterRes: any = await interpreter.run(message.code, opts);
    let result = interpreter._result;
    let gasUsed: bigint =
      (message.gasLimit as bigint) - (interpreterRes.runState.gasLeft as bigint);
    if (interpreterRes.exceptionError) {
      if (
        interpreterRes.exceptionError.error !== EVMError.errorMessages.REVERT &&
        interpreterRes.exceptionError.error !== EVMError.errorMessages.INVALID_EOF_FORMAT
      ) {
        gasUsed = message.gasLimit;
      }
      result = { ...result, logs: [], selfdestruct: new Map(), createdAddresses: new Set() };
    }
    message.accessWitness?.commit();
    return {
      ...result,
      runState: { ...interpreterRes.runState, ...result, ...interpreter._env },
      exceptionError: interpreterRes.exceptionError,
      gas: interpreterRes.runState?.gasLeft,
      executionGasUsed: gasUsed,
      gasRefund: interpreterRes.runState.gasRefund,
      stateGasSpilled: interpreterRes.runState.stateGasSpilled,
      returnValue: result.returnValue ?? new Uint8Array(0),
    };
  };
}
