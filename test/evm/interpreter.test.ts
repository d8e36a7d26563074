/**
 * The chain's EVM runs on the faster interpreter (src/execution/evm/interpreter.ts), so the
 * differential test (differential.test.ts), which compares the chain's results with
 * @ethereumjs/vm's own, covers it; the library's classes stay untouched for other users.
 */
import { describe, expect, it } from 'vitest';
import { createEVM } from '@ethereumjs/evm';
import { createCustomCommon, Hardfork, Mainnet } from '@ethereumjs/common';
import {
  FAST_INTERPRETER_AVAILABLE,
  useFastInterpreter,
} from '../../src/execution/evm/interpreter.js';

describe('faster interpreter', () => {
  it('is available: the library internals it builds on load as the EVM’s own modules', () => {
    expect(FAST_INTERPRETER_AVAILABLE).toBe(true);
  });

  it('replaces the frame runner of the given EVM only', async () => {
    const common = createCustomCommon({ chainId: 1 }, Mainnet, { hardfork: Hardfork.Cancun });
    const evm = await createEVM({ common });
    const other = await createEVM({ common });
    useFastInterpreter(evm);
    expect(Object.hasOwn(evm, 'runInterpreter')).toBe(true);
    expect(Object.hasOwn(other, 'runInterpreter')).toBe(false);
    // Only this EVM's opcode table takes the faster handlers.
    const table = (e: unknown) =>
      (e as { _opcodeMap: { opHandler: unknown }[] })._opcodeMap[0x52]!.opHandler;
    expect(table(evm)).not.toBe(table(other));
  });

  it('gives the library’s results: a frame with memory, hashing, jumps and an out-of-gas end', async () => {
    const common = createCustomCommon({ chainId: 1 }, Mainnet, { hardfork: Hardfork.Cancun });
    const fast = await createEVM({ common });
    const plain = await createEVM({ common });
    useFastInterpreter(fast);
    // Loop: i = 0; while (true) { mem[i*32] = keccak(mem[0..32]) ; i++ } — runs out of gas.
    // PUSH1 0 ; JUMPDEST(2) ; DUP1 PUSH1 32 MUL ; PUSH1 32 PUSH1 0 SHA3 ; SWAP1 MSTORE ;
    // PUSH1 1 ADD ; PUSH1 2 JUMP
    const code = Uint8Array.from([
      0x60, 0x00, 0x5b, 0x80, 0x60, 0x20, 0x02, 0x60, 0x20, 0x60, 0x00, 0x20, 0x90, 0x52, 0x60,
      0x01, 0x01, 0x60, 0x02, 0x56,
    ]);
    for (const gasLimit of [50n, 1_000n, 30_000n, 100_000n]) {
      const a = await fast.runCode({ code, gasLimit });
      const b = await plain.runCode({ code, gasLimit });
      expect(a.executionGasUsed).toBe(b.executionGasUsed);
      expect(a.exceptionError?.error).toBe(b.exceptionError?.error);
      expect(a.runState?.memoryWordCount).toBe(b.runState?.memoryWordCount);
      expect(a.runState?.memory._store).toEqual(b.runState?.memory._store);
    }
  });
});
