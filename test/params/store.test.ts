/** The protocol parameters live in the state: genesis writes them, blocks read them. */
import { describe, expect, it } from 'vitest';
import { rlpEncode } from '../../src/codec/rlp.js';
import { PARAMETERS_ADDRESS } from '../../src/primitives/system-addresses.js';
import {
  checkParams,
  DEFAULT_PARAMS,
  DEVNET_PARAMS,
  PARAM_NAMES,
  PARAMS,
  ParamError,
} from '../../src/params/registry.js';
import { paramSlot, ParamStore, readParams } from '../../src/params/store.js';
import { StateDB } from '../../src/state/state-db.js';
import { EMPTY_TRIE_ROOT, MemoryNodeStore } from '../../src/state/trie.js';

const fresh = () => new StateDB(EMPTY_TRIE_ROOT, new MemoryNodeStore());

describe('parameter registry', () => {
  it('has a type, bounds, a default and a devnet value inside the bounds, and an effect time', () => {
    for (const name of PARAM_NAMES) {
      const d = PARAMS[name];
      expect(['next-block', 'next-epoch']).toContain(d.takesEffect);
      expect(d.min <= d.max).toBe(true);
    }
    expect(() => checkParams(DEFAULT_PARAMS)).not.toThrow();
    expect(() => checkParams(DEVNET_PARAMS)).not.toThrow();
    expect(DEVNET_PARAMS.epochBlocks).toBe(20n);
  });
});

describe('parameters in the state', () => {
  it('are one record per parameter at its documented slot, and read back exactly', () => {
    const state = fresh();
    new ParamStore(state).setParams(DEFAULT_PARAMS);
    for (const name of PARAM_NAMES)
      expect(state.getStorage(PARAMETERS_ADDRESS, paramSlot(name))).toEqual(
        rlpEncode(DEFAULT_PARAMS[name] as bigint),
      );
    expect(readParams(state)).toEqual(DEFAULT_PARAMS);
  });

  it('a value written into the state is the one read (what governance will change)', () => {
    const state = fresh();
    new ParamStore(state).setParams(DEFAULT_PARAMS);
    state.putStorage(PARAMETERS_ADDRESS, paramSlot('minLock'), rlpEncode(7n));
    expect(readParams(state).minLock).toBe(7n);
  });

  it('refuses a missing, malformed or out-of-bounds record with ParamError', () => {
    expect(() => readParams(fresh())).toThrow(ParamError);
    const state = fresh();
    new ParamStore(state).setParams(DEFAULT_PARAMS);
    state.putStorage(PARAMETERS_ADDRESS, paramSlot('epochBlocks'), rlpEncode(1n));
    expect(() => readParams(state)).toThrow(/epochBlocks = 1 is outside/);
    state.putStorage(PARAMETERS_ADDRESS, paramSlot('epochBlocks'), rlpEncode([1n]));
    expect(() => readParams(state)).toThrow(ParamError);
    expect(() => new ParamStore(fresh()).setParams({ ...DEFAULT_PARAMS, tMax: 0n })).toThrow(
      ParamError,
    );
  });
});
