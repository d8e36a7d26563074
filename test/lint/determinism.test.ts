import { describe, expect, it } from 'vitest';
import { ESLint } from 'eslint';

// The lint rule that keeps floating point out of consensus-critical folders must really fire.
const eslint = new ESLint({ cwd: process.cwd() });

async function ruleIds(code: string, filePath: string): Promise<string[]> {
  const [result] = await eslint.lintText(code, { filePath });
  return (result?.messages ?? []).map((m) => m.ruleId ?? m.message);
}

describe('determinism lint rule', () => {
  const critical = 'src/consensus/example.ts';
  it.each([
    ['Math.floor', 'export const x = Math.floor(3 / 2);\n', 'no-restricted-properties'],
    ['Math.random', 'export const x = Math.random();\n', 'no-restricted-properties'],
    ['parseFloat', "export const x = parseFloat('1.5');\n", 'no-restricted-globals'],
    [
      'Number.parseFloat',
      "export const x = Number.parseFloat('1.5');\n",
      'no-restricted-properties',
    ],
    ['a float literal', 'export const x = 0.75;\n', 'no-restricted-syntax'],
    ['an exponent float', 'export const x = 1e-9;\n', 'no-restricted-syntax'],
  ])('rejects %s in consensus code', async (_name, code, rule) => {
    expect(await ruleIds(code, critical)).toContain(rule);
  });

  it('accepts bigint and integer code in consensus code', async () => {
    expect(await ruleIds('export const x = 3n / 2n + BigInt(10);\n', critical)).toEqual([]);
  });

  it('allows Math in shells (timers, logs)', async () => {
    expect(await ruleIds('export const x = Math.floor(3 / 2);\n', 'src/cli/example.ts')).toEqual(
      [],
    );
  });
});
