/**
 * The staking contract decodes calldata strictly: only the canonical ABI encoding of the
 * arguments is a call. viem's decoder alone reads an address from the low 20 bytes of its word and
 * ignores trailing bytes, so one call had many encodings (and a tool that checks arguments could
 * be shown one thing while the chain did another).
 */
import { describe, expect, it } from 'vitest';
import { encodeFunctionData, type Hex } from 'viem';
import { DEFAULT_PARAMS } from '../../src/params/registry.js';
import { concatBytes, fromHex, toHex } from '../../src/crypto/bytes.js';
import { STAKING_ABI } from '../../src/staking/abi.js';
import { callContract, callGas } from '../../src/execution/call.js';
import { stakingContract } from '../../src/execution/modules/staking.js';
import { Revert } from '../../src/primitives/errors.js';
import { decodeCallStrict } from '../../src/codec/abi.js';
import { stakingFunctions } from '../../src/execution/modules/staking.js';

const decodeStakingCall = (data: Uint8Array) => decodeCallStrict(STAKING_ABI, data);
import { StateDB } from '../../src/state/state-db.js';
import { EMPTY_TRIE_ROOT, MemoryNodeStore } from '../../src/state/trie.js';

const OWNER = new Uint8Array(20).fill(0xa1);
const encode = (functionName: string, args: unknown[]): Uint8Array =>
  fromHex(encodeFunctionData({ abi: STAKING_ABI, functionName, args } as never));

function reason(data: Uint8Array): string {
  const state = new StateDB(EMPTY_TRIE_ROOT, new MemoryNodeStore());
  try {
    callContract(
      stakingContract,
      { state, params: DEFAULT_PARAMS, height: 1n, sender: OWNER, value: 0n },
      data,
    );
    return 'ok';
  } catch (e) {
    if (!(e instanceof Revert)) throw e;
    return e.message;
  }
}

const BAD = 'staking: unknown function or bad arguments';
/** Sets byte `i` of the calldata to `v`. */
const poke = (data: Uint8Array, i: number, v: number): Uint8Array => {
  const out = data.slice();
  out[i] = v;
  return out;
};

describe('strict ABI decoding of staking calls', () => {
  it('an address with non-zero upper 12 bytes reverts', () => {
    const data = encode('getLocks', [toHex(OWNER) as Hex]);
    expect(reason(data)).toBe('ok');
    // The word is bytes 4..36; the address its last 20.
    for (const i of [4, 10, 15]) expect(reason(poke(data, i, 1))).toBe(BAD);
    expect(decodeStakingCall(poke(data, 4, 1))).toBeNull();
  });

  it('a bool other than 0 or 1 reverts', () => {
    const data = encode('setAutoCompound', [1n, true]);
    expect(reason(data)).toBe('staking: no lock 1');
    expect(reason(poke(data, 4 + 63, 2))).toBe(BAD);
    expect(reason(poke(data, 4 + 40, 1))).toBe(BAD); // dirty upper bytes of a bool
  });

  it('a uint16 above 65,535 reverts', () => {
    const data = encode('updateCandidate', ['node-1', 700]);
    expect(reason(data)).toBe('staking: not a candidate');
    // commissionBps is the second head word: set a byte above its low 2.
    expect(reason(poke(data, 4 + 32 + 29, 1))).toBe(BAD);
  });

  it('calldata longer or shorter than the arguments need reverts', () => {
    const data = encode('getLocks', [toHex(OWNER) as Hex]);
    expect(reason(concatBytes(data, Uint8Array.of(0)))).toBe(BAD);
    expect(reason(concatBytes(data, new Uint8Array(32)))).toBe(BAD);
    expect(reason(data.subarray(0, data.length - 1))).toBe(BAD);
    const none = encode('getCandidates', []);
    expect(reason(none)).toBe('ok');
    expect(reason(concatBytes(none, Uint8Array.of(0)))).toBe(BAD);
    expect(reason(new Uint8Array(3))).toBe('staking: no function selector');
  });

  it('dynamic arguments must use the canonical offset and zero padding', () => {
    const data = encode('updateCandidate', ['node-1', 700]);
    // The string's offset (first head word) is 0x40; 0x60 points past a stray word.
    const moved = concatBytes(
      poke(data.subarray(0, 36), 35, 0x60),
      data.subarray(36, 68),
      new Uint8Array(32),
      data.subarray(68),
    );
    expect(decodeStakingCall(moved)).toBeNull();
    expect(reason(moved)).toBe(BAD);
    // Garbage in the padding after the string's bytes.
    expect(reason(poke(data, data.length - 1, 1))).toBe(BAD);
  });

  it('gas is charged as for the call the calldata strictly encodes', () => {
    const lock = encode('lock', [10n ** 18n, toHex(new Uint8Array(20)) as Hex]);
    expect(callGas(stakingContract, lock)).toBe(stakingFunctions.lock.gas);
    expect(callGas(stakingContract, concatBytes(lock, Uint8Array.of(0)))).toBe(
      stakingContract.unknownGas,
    );
  });
});
