/** The staking ABI ships as a typed constant and as JSON; both must say the same. */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { toFunctionSelector } from 'viem';
import { STAKING_ABI } from '../../src/staking/abi.js';

describe('staking ABI', () => {
  it('abi/staking.json is the ABI constant', () => {
    const json = JSON.parse(
      readFileSync(join(import.meta.dirname, '../../abi/staking.json'), 'utf8'),
    );
    expect(json).toEqual(JSON.parse(JSON.stringify(STAKING_ABI)));
  });

  it('has the documented function selectors', () => {
    expect(toFunctionSelector('lock(uint256,address)')).toBe('0x66dfbfb4');
    const names = STAKING_ABI.filter((x) => x.type === 'function').map((x) => x.name);
    expect(names).toEqual([
      'lock',
      'vote',
      'unvote',
      'unlock',
      'claim',
      'setAutoCompound',
      'registerCandidate',
      'updateCandidate',
      'updateCandidate',
      'renewRandao',
      'topUpDeposit',
      'getLock',
      'getLocks',
      'getUnbonding',
      'getCandidate',
      'getCandidates',
      'getRewards',
      'currentEpoch',
      'getRandao',
      'randaoLayers',
    ]);
    // updateCandidate is overloaded: the two-argument form keeps its selector.
    expect(toFunctionSelector('updateCandidate(string,uint16)')).toBe('0xf9dd1c01');
  });
});
