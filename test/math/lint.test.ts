import { ESLint } from 'eslint';
import { describe, expect, it } from 'vitest';

// src/math decides consensus values: the determinism lint rule must cover it.
const eslint = new ESLint({ cwd: process.cwd() });

async function ruleIds(code: string): Promise<string[]> {
  const [result] = await eslint.lintText(code, { filePath: 'src/math/example.ts' });
  return (result?.messages ?? []).map((m) => m.ruleId ?? m.message);
}

describe('determinism lint rule in src/math', () => {
  it.each([
    ['Math.*', 'export const x = Math.log(2);\n', 'no-restricted-properties'],
    ['parseFloat', "export const x = parseFloat('0.75');\n", 'no-restricted-globals'],
    ['a float literal', 'export const x = 0.75;\n', 'no-restricted-syntax'],
    ['an exponent float', 'export const x = 1e-30;\n', 'no-restricted-syntax'],
  ])('rejects %s', async (_name, code, rule) => {
    expect(await ruleIds(code)).toContain(rule);
  });

  it('accepts bigint code', async () => {
    expect(await ruleIds('export const x = (3n << 256n) / 7n;\n')).toEqual([]);
  });
});
