/**
 * Proposer turns count by the round a block records (its proposal round, which its coinbase is
 * checked against), not by the coinbase's place in the order: rounds of K and more give every
 * designated proposer of an earlier round its missed turn.
 */
import { describe, expect, it } from 'vitest';
import { DEFAULT_PARAMS, ETM, type ChainParams } from '../../src/params/registry.js';
import { createOnion } from '../../src/election/randao.js';
import { stakingEndBlock, stakingEndEpoch } from '../../src/staking/block-hooks.js';
import { writeModulesGenesis } from '../../src/execution/registry.js';
import { StateDB } from '../../src/state/state-db.js';
import { EMPTY_TRIE_ROOT, MemoryNodeStore } from '../../src/state/trie.js';
import { stakingStores } from '../../src/staking/stores.js';
import { isEpochEnd } from '../../src/staking/epochs.js';

/** The staking module's block work: endBlock, and endEpoch at an epoch's last block. */
function applyBlockStaking(state: StateDB, input: Parameters<typeof stakingEndBlock>[1]) {
  stakingEndBlock(state, input);
  return isEpochEnd(input.height, input.params)
    ? stakingEndEpoch(state, input)
    : { nextValidators: [], electionWeights: null };
}

const P: ChainParams = {
  ...DEFAULT_PARAMS,
  epochBlocks: 10n,
  blocksPerDay: 10n,
  candidateDeposit: ETM,
};
const a = (n: number) => new Uint8Array(20).fill(n);
const OPS = [a(0xa1), a(0xa2), a(0xa3), a(0xa4)];
const KEYS = [a(0xb1), a(0xb2), a(0xb3), a(0xb4)];

/** Four candidates; block 1 at `round`, proposed by that round's proposer order[(1 + round) mod 4]. */
function blockAtRound(round: bigint) {
  const onions = KEYS.map((_, i) => createOnion(new Uint8Array(32).fill(i + 1), 4));
  const state = new StateDB(EMPTY_TRIE_ROOT, new MemoryNodeStore());
  OPS.forEach((op) => state.putAccount(op, { ...state.getAccount(op), balance: 100n * ETM }));
  writeModulesGenesis({
    state,
    validators: KEYS,
    candidates: OPS.map((op, i) => ({
      operator: op,
      consensusKey: KEYS[i]!,
      name: `c${i}`,
      deposit: ETM,
      commissionBps: 0n,
      commissionMaxBps: 0n,
      randaoCommitment: onions[i]!.commitment,
    })),
    params: P,
    supply: 400n * ETM,
  });
  const who = Number((1n + round) % 4n);
  applyBlockStaking(state, {
    height: 1n,
    round,
    params: P,
    coinbase: KEYS[who]!,
    validators: KEYS,
    randaoReveal: onions[who]!.reveal(0),
    mix: new Uint8Array(32),
  });
  const store = stakingStores(state);
  return OPS.map((op) => {
    const e = store.elections.perf(op)[0];
    return e ? [Number(e.m), Number(e.n)] : [0, 0];
  });
}

describe('proposer turns by the recorded round', () => {
  it('round 2: the proposers of rounds 0 and 1 missed, the block’s proposer committed', () => {
    // Height 1: rounds 0, 1, 2 belong to order[1], order[2], order[3].
    expect(blockAtRound(2n)).toEqual([
      [0, 0],
      [0, 1],
      [0, 1],
      [1, 1],
    ]);
  });

  it('round K + 1 = 5: every validator missed once, order[1] (rounds 0 and 4) twice', () => {
    // Rounds 0..4 belong to order[1], [2], [3], [0], [1]; round 5 to order[2].
    expect(blockAtRound(5n)).toEqual([
      [0, 1],
      [0, 2],
      [1, 2],
      [0, 1],
    ]);
  });

  it('a round far beyond K is counted in cycles, not one turn at a time', () => {
    // 10^12 + 2 rounds: every validator missed floor(R / 4) = 250,000,000,000 turns, and the
    // first R mod 4 = 2 positions after the height's own (order[1], order[2]) one more.
    const R = 10n ** 12n + 2n; // proposer: order[(1 + R) mod 4] = order[3]
    const cycles = Number(R / 4n);
    expect(blockAtRound(R)).toEqual([
      [0, cycles],
      [0, cycles + 1],
      [0, cycles + 1],
      [1, cycles + 1],
    ]);
  });
});
