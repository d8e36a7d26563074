/**
 * The block error codes are documented and tested: docs/architecture.md tables exactly the codes
 * of BLOCK_ERROR_CODES, and every code is expected by some test that makes a block break it.
 */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { BLOCK_ERROR_CODES } from '../../src/primitives/block-error.js';

const ROOT = join(import.meta.dirname, '..', '..');

function walk(dir: string): string[] {
  return readdirSync(dir).flatMap((f) => {
    const p = join(dir, f);
    return statSync(p).isDirectory() ? walk(p) : p.endsWith('.test.ts') ? [p] : [];
  });
}

describe('block error codes', () => {
  it('docs/architecture.md tables every code, and no other', () => {
    const doc = readFileSync(join(ROOT, 'docs', 'architecture.md'), 'utf8');
    const tabled = [...doc.matchAll(/^\| `([a-z]+\.[a-z-]+)` \|/gm)].map((m) => m[1]);
    expect(tabled).toEqual([...BLOCK_ERROR_CODES]);
  });

  it('every code is expected by a test', () => {
    const tests = walk(join(ROOT, 'test'))
      .filter((f) => !f.endsWith('block-errors.test.ts'))
      .map((f) => readFileSync(f, 'utf8'))
      .join('\n');
    expect(BLOCK_ERROR_CODES.filter((c) => !tests.includes(`'${c}'`))).toEqual([]);
  });
});
