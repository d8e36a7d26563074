/** The evidence ABI ships as a typed constant and as JSON; both must say the same. */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { EVIDENCE_ABI } from '../../src/slashing/abi.js';

describe('evidence ABI', () => {
  it('abi/evidence.json is the ABI constant', () => {
    const json = JSON.parse(
      readFileSync(join(import.meta.dirname, '../../abi/evidence.json'), 'utf8'),
    );
    expect(json).toEqual(JSON.parse(JSON.stringify(EVIDENCE_ABI)));
  });
});
