/**
 * Compiles the test contracts with the bundled solc (no download), OpenZeppelin imports read
 * from node_modules. Results are cached per process: a compile takes seconds.
 */
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Abi, Hex } from 'viem';

const require = createRequire(import.meta.url);
const solc = require('solc') as {
  compile(
    input: string,
    opts: { import(path: string): { contents?: string; error?: string } },
  ): string;
};
const HERE = dirname(fileURLToPath(import.meta.url));
const ROOT = join(HERE, '..', '..');

export interface Compiled {
  abi: Abi;
  bytecode: Hex;
  deployedBytecode: Hex;
}

const cache = new Map<string, Record<string, Compiled>>();

/** Every contract of test/evm/contracts/`file`, by name. */
export function compile(file: string): Record<string, Compiled> {
  const hit = cache.get(file);
  if (hit) return hit;
  const input = {
    language: 'Solidity',
    sources: { [file]: { content: readFileSync(join(HERE, 'contracts', file), 'utf8') } },
    settings: {
      evmVersion: 'cancun',
      optimizer: { enabled: true, runs: 200 },
      outputSelection: {
        '*': { '*': ['abi', 'evm.bytecode.object', 'evm.deployedBytecode.object'] },
      },
    },
  };
  const out = JSON.parse(
    solc.compile(JSON.stringify(input), {
      import: (path) => {
        try {
          const p = path.startsWith('@')
            ? join(ROOT, 'node_modules', path)
            : join(HERE, 'contracts', path);
          return { contents: readFileSync(p, 'utf8') };
        } catch {
          return { error: `not found: ${path}` };
        }
      },
    }),
  ) as {
    errors?: { severity: string; formattedMessage: string }[];
    contracts: Record<
      string,
      Record<
        string,
        { abi: Abi; evm: { bytecode: { object: string }; deployedBytecode: { object: string } } }
      >
    >;
  };
  const errors = (out.errors ?? []).filter((e) => e.severity === 'error');
  if (errors.length > 0) throw new Error(errors.map((e) => e.formattedMessage).join('\n'));
  const result: Record<string, Compiled> = {};
  for (const [name, c] of Object.entries(out.contracts[file] ?? {})) {
    result[name] = {
      abi: c.abi,
      bytecode: `0x${c.evm.bytecode.object}`,
      deployedBytecode: `0x${c.evm.deployedBytecode.object}`,
    };
  }
  cache.set(file, result);
  return result;
}
