/**
 * Imports point inward: every folder of src/ sits in one layer, and a file may import only from
 * its own folder or from a folder of a lower layer (docs/architecture.md draws them). Folders of
 * one layer never import each other, so there are no cycles between folders.
 */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve, sep } from 'node:path';
import { describe, expect, it } from 'vitest';

const ROOT = join(import.meta.dirname, '..', '..');
const SRC = join(ROOT, 'src');

/** Layers from the innermost; a folder may import folders of lower layers only. */
export const LAYERS: readonly (readonly string[])[] = [
  ['primitives'],
  ['math', 'crypto'],
  ['codec'],
  ['state'],
  ['params'],
  ['election', 'consensus'],
  ['staking'],
  ['economics'],
  ['governance'],
  ['execution'],
  ['chain'],
  ['log'],
  ['mempool', 'rpc', 'p2p'],
  ['node'],
  ['sim'],
  ['bench'],
  ['cli'],
];

const rank = new Map(LAYERS.flatMap((folders, i) => folders.map((f) => [f, i] as const)));

function walk(dir: string): string[] {
  return readdirSync(dir).flatMap((f) => {
    const p = join(dir, f);
    return statSync(p).isDirectory() ? walk(p) : p.endsWith('.ts') ? [p] : [];
  });
}

/** Relative module specifiers of a file: static imports, re-exports and dynamic imports. */
function specifiers(code: string): string[] {
  const out: string[] = [];
  for (const m of code.matchAll(/(?:^|\n)\s*(?:import|export)\b[^'"`;]*?from\s*['"]([^'"]+)['"]/g))
    out.push(m[1]!);
  for (const m of code.matchAll(/(?:^|\n)\s*import\s*['"]([^'"]+)['"]/g)) out.push(m[1]!);
  for (const m of code.matchAll(/\bimport\(\s*['"]([^'"]+)['"]\s*\)/g)) out.push(m[1]!);
  return out.filter((s) => s.startsWith('.'));
}

const folderOf = (file: string): string => relative(SRC, file).split(sep)[0]!;

interface Edge {
  file: string;
  from: string;
  to: string;
}

function edges(): Edge[] {
  const out: Edge[] = [];
  for (const file of walk(SRC)) {
    const from = folderOf(file);
    for (const s of specifiers(readFileSync(file, 'utf8'))) {
      const target = resolve(dirname(file), s);
      if (!target.startsWith(SRC + sep)) continue; // package.json and the like
      const to = folderOf(target);
      if (to !== from) out.push({ file: relative(ROOT, file), from, to });
    }
  }
  return out;
}

describe('import directions', () => {
  const all = edges();

  it('every folder of src/ has a layer', () => {
    const folders = readdirSync(SRC).filter((f) => statSync(join(SRC, f)).isDirectory());
    expect(folders.filter((f) => !rank.has(f))).toEqual([]);
  });

  it('finds the imports it checks', () => {
    // The parser must see imports at all: execution imports state, the CLI imports node.
    expect(all.some((e) => e.from === 'execution' && e.to === 'state')).toBe(true);
    expect(all.some((e) => e.from === 'cli' && e.to === 'node')).toBe(true);
  });

  it('no file imports a folder of its own or a higher layer', () => {
    const wrong = all
      .filter((e) => rank.get(e.to)! >= rank.get(e.from)!)
      .map((e) => `${e.file}: ${e.from} → ${e.to}`);
    expect(wrong).toEqual([]);
  });

  it('the check catches an import outward and an import within a layer', () => {
    const bad = (from: string, to: string) => rank.get(to)! >= rank.get(from)!;
    expect(bad('staking', 'execution')).toBe(true);
    expect(bad('staking', 'chain')).toBe(true);
    expect(bad('rpc', 'p2p')).toBe(true);
    expect(bad('execution', 'staking')).toBe(false);
    expect(
      specifiers(
        "import { a } from '../chain/x.js';\nimport type {\n  B,\n} from './y.js';\nexport * from '../z.js';\nconst m = await import('../node/w.js');\n",
      ),
    ).toEqual(['../chain/x.js', './y.js', '../z.js', '../node/w.js']);
  });
});
