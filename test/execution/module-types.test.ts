/**
 * A system contract's handler table is typed from its ABI: a handler without `gas`, a `payable`
 * that disagrees with the ABI, or a missing function does not compile.
 */
import { join } from 'node:path';
import ts from 'typescript';
import { describe, expect, it } from 'vitest';

const ROOT = join(import.meta.dirname, '..', '..');
const FILE = join(ROOT, 'test', 'execution', '__handlers__.ts');

/** Type errors of `body` compiled after the staking ABI and the module types are imported. */
function typeErrors(body: string): string[] {
  const source = `import type { Handler, Handlers } from '../../src/execution/module.js';
import type { STAKING_ABI } from '../../src/staking/abi.js';
type Abi = typeof STAKING_ABI;
${body}
`;
  const options: ts.CompilerOptions = {
    target: ts.ScriptTarget.ES2022,
    module: ts.ModuleKind.NodeNext,
    moduleResolution: ts.ModuleResolutionKind.NodeNext,
    strict: true,
    noEmit: true,
    skipLibCheck: true,
  };
  const host = ts.createCompilerHost(options);
  const read = host.readFile.bind(host);
  host.readFile = (f) => (f === FILE ? source : read(f));
  const exists = host.fileExists.bind(host);
  host.fileExists = (f) => f === FILE || exists(f);
  const getSource = host.getSourceFile.bind(host);
  host.getSourceFile = (f, v, ...rest) =>
    f === FILE ? ts.createSourceFile(f, source, v) : getSource(f, v, ...rest);
  const program = ts.createProgram([FILE], options, host);
  return ts
    .getPreEmitDiagnostics(program, program.getSourceFile(FILE))
    .map((d) => ts.flattenDiagnosticMessageText(d.messageText, '\n'));
}

describe('handler tables typed from the ABI', () => {
  it('accept a complete handler, refuse one without gas or with the wrong payable flag', () => {
    const errors = typeErrors(`
export const ok: Handler<Abi, 'claim', unknown> = { gas: 1n, payable: false, run: () => 0n };
export const noGas: Handler<Abi, 'claim', unknown> = { payable: false, run: () => 0n };
export const payable: Handler<Abi, 'claim', unknown> = { gas: 1n, payable: true, run: () => 0n };
export const deposit: Handler<Abi, 'topUpDeposit', unknown> = { gas: 1n, payable: false, run: () => {} };
export const missing: Pick<Handlers<Abi, unknown>, 'lock' | 'vote'> = {
  lock: { gas: 1n, payable: false, run: () => 1n },
};
`);
    expect(errors.some((e) => /'gas' is missing/.test(e))).toBe(true);
    expect(
      errors.filter((e) => /Type 'true' is not assignable to type 'false'/.test(e)),
    ).toHaveLength(1);
    expect(
      errors.filter((e) => /Type 'false' is not assignable to type 'true'/.test(e)),
    ).toHaveLength(1);
    expect(errors.some((e) => /'vote' is missing/.test(e))).toBe(true);
    expect(errors).toHaveLength(4);
  });
});
