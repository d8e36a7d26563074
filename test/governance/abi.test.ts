/** The governance ABI ships as a typed constant and as JSON; both must say the same. */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { GOVERNANCE_ABI } from '../../src/governance/abi.js';
import { governanceFunctions } from '../../src/execution/modules/governance.js';

describe('governance ABI', () => {
  it('abi/governance.json is the ABI constant', () => {
    const json = JSON.parse(
      readFileSync(join(import.meta.dirname, '../../abi/governance.json'), 'utf8'),
    );
    expect(json).toEqual(JSON.parse(JSON.stringify(GOVERNANCE_ABI)));
  });

  it('has one handler per function, payable exactly for propose and deposit', () => {
    const fns = GOVERNANCE_ABI.filter((x) => x.type === 'function');
    expect(Object.keys(governanceFunctions).sort()).toEqual(fns.map((f) => f.name).sort());
    expect(fns.filter((f) => f.stateMutability === 'payable').map((f) => f.name)).toEqual([
      'propose',
      'deposit',
    ]);
  });
});
