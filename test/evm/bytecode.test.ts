/**
 * The bytecode the chain and the benchmark ship is what their sources compile to: Multicall3's
 * runtime code in genesis, the benchmark's ERC-20 and worst-case contracts.
 */
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { toHex } from '../../src/crypto/bytes.js';
import { MULTICALL3_RUNTIME_HEX } from '../../src/execution/evm/multicall3.js';
import { BENCH_TOKEN_CREATION, BURNER_CREATION } from '../../src/bench/contract-code.js';

const require = createRequire(import.meta.url);
const solc = require('solc') as { compile(input: string, opts?: unknown): string };
const ROOT = join(import.meta.dirname, '..', '..');

function build(file: string, name: string, runs: number, what: 'bytecode' | 'deployedBytecode') {
  const input = {
    language: 'Solidity',
    sources: { [file]: { content: readFileSync(join(ROOT, file), 'utf8') } },
    settings: {
      evmVersion: 'cancun',
      optimizer: { enabled: true, runs },
      metadata: { bytecodeHash: 'none', appendCBOR: false },
      outputSelection: { '*': { '*': [`evm.${what}.object`] } },
    },
  };
  const out = JSON.parse(
    solc.compile(JSON.stringify(input), {
      import: (p: string) => ({ contents: readFileSync(join(ROOT, 'node_modules', p), 'utf8') }),
    }),
  ) as { contracts: Record<string, Record<string, { evm: Record<string, { object: string }> }>> };
  return `0x${out.contracts[file]![name]!.evm[what]!.object}`;
}

describe('shipped bytecode', () => {
  it('Multicall3 in genesis is contracts/Multicall3.sol compiled', () => {
    expect(build('contracts/Multicall3.sol', 'Multicall3', 10_000, 'deployedBytecode')).toBe(
      MULTICALL3_RUNTIME_HEX,
    );
  });

  it("the benchmark's contracts are contracts/bench compiled", () => {
    expect(build('contracts/bench/BenchToken.sol', 'BenchToken', 200, 'bytecode')).toBe(
      toHex(BENCH_TOKEN_CREATION),
    );
    expect(build('contracts/bench/Burner.sol', 'Burner', 200, 'bytecode')).toBe(
      toHex(BURNER_CREATION),
    );
  });
});
