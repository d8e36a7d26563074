/**
 * The node's RANDAO keeper (src/node/randao.ts): onions by generation, when it renews, what it
 * sends, and the loud warnings for an exhausted, foreign or unaffordable onion.
 */
import { describe, expect, it } from 'vitest';
import { decodeFunctionData } from 'viem';
import { DEFAULT_PARAMS, ETM, type ChainParams } from '../../src/params/registry.js';
import { concatBytes, toHex, uint64be, utf8 } from '../../src/crypto/bytes.js';
import { keccak256 } from '../../src/crypto/keccak.js';
import { addressOf } from '../../src/crypto/secp256k1.js';
import { createOnion } from '../../src/election/randao.js';
import { STAKING_ADDRESS } from '../../src/primitives/system-addresses.js';
import { TxDecoder } from '../../src/execution/tx.js';
import { onionFromKey, RandaoKeeper, renewalDue } from '../../src/node/randao.js';
import { STAKING_ABI } from '../../src/staking/abi.js';
import { writeModulesGenesis } from '../../src/execution/registry.js';
import { StateDB } from '../../src/state/state-db.js';
import { EMPTY_TRIE_ROOT, MemoryNodeStore } from '../../src/state/trie.js';
import { stakingStores } from '../../src/staking/stores.js';
import type { Candidate } from '../../src/staking/candidate-store.js';

const KEY = new Uint8Array(32).fill(0x11);
const ADDRESS = addressOf(KEY);
const PARAMS: ChainParams = { ...DEFAULT_PARAMS, epochBlocks: 8n, randaoLayers: 64n };

describe('onions by generation', () => {
  it('generation 0 is the registered onion; later ones add the generation to the secret', () => {
    const tag = utf8('etm-randao-onion');
    expect(toHex(onionFromKey(KEY, 64).commitment)).toBe(
      toHex(createOnion(keccak256(concatBytes(KEY, tag)), 64).commitment),
    );
    expect(toHex(onionFromKey(KEY, 64, 3n).commitment)).toBe(
      toHex(createOnion(keccak256(concatBytes(KEY, tag, uint64be(3n))), 64).commitment),
    );
    expect(onionFromKey(KEY, 64, 1n).length).toBe(64);
  });

  it('renews at max(N/2, 2·epochBlocks + 16) reveals left, never with a change pending', () => {
    const c = (reveals: bigint, layers: bigint, pending = false) =>
      ({ randaoReveals: reveals, randaoLayers: layers, pending: pending ? {} : null }) as Candidate;
    // N = 64, 8-block epochs: the margin is 32 = N/2.
    expect(renewalDue(c(31n, 64n), PARAMS)).toBe(false);
    expect(renewalDue(c(32n, 64n), PARAMS)).toBe(true);
    expect(renewalDue(c(60n, 64n, true), PARAMS)).toBe(false);
    // 20-block epochs: 56 reveals left already.
    expect(renewalDue(c(8n, 64n), { epochBlocks: 20n })).toBe(true);
    expect(renewalDue(c(7n, 64n), { epochBlocks: 20n })).toBe(false);
    // The defaults: half of 65,536.
    expect(renewalDue(c(32_767n, 65_536n), DEFAULT_PARAMS)).toBe(false);
    expect(renewalDue(c(32_768n, 65_536n), DEFAULT_PARAMS)).toBe(true);
  });
});

function setup(commitment: Uint8Array, balance: bigint) {
  const state = new StateDB(EMPTY_TRIE_ROOT, new MemoryNodeStore());
  state.putAccount(ADDRESS, { ...state.getAccount(ADDRESS), balance: balance + 10n * ETM });
  writeModulesGenesis({
    state,
    validators: [ADDRESS],
    candidates: [
      {
        operator: ADDRESS,
        consensusKey: ADDRESS,
        name: 'v',
        deposit: 10n * ETM,
        commissionBps: 0n,
        commissionMaxBps: 0n,
        randaoCommitment: commitment,
      },
    ],
    params: { ...PARAMS, candidateDeposit: ETM },
    supply: 100n * ETM,
  });
  const sent: Uint8Array[] = [];
  const logs: { level: string; event: string; text: string }[] = [];
  let next = 100n;
  const keeper = new RandaoKeeper(KEY, {
    params: PARAMS,
    chainId: 7n,
    head: () => ({ state, next }),
    nextBaseFee: () => PARAMS.minBaseFee,
    pendingNonce: () => 5n,
    submit: (raw) => void sent.push(raw),
    log: (level, event, _fields, text) => void logs.push({ level, event, text }),
  });
  const store = stakingStores(state);
  const spend = (reveals: bigint) =>
    store.candidates.putCandidate({
      ...store.candidates.getCandidate(ADDRESS)!,
      randaoReveals: reveals,
      randaoLast: reveals === 0n ? commitment : onionFromKey(KEY, 64).reveal(Number(reveals) - 1),
    });
  return { state, store, keeper, sent, logs, spend, advance: (n: bigint) => (next += n) };
}

describe('RandaoKeeper', () => {
  it('sends renewRandao, signed by the consensus key, with the next generation’s commitment', () => {
    const w = setup(onionFromKey(KEY, 64).commitment, 10n * ETM);
    w.spend(31n);
    w.keeper.afterCommit();
    expect(w.sent).toEqual([]);
    w.spend(32n);
    w.keeper.afterCommit();
    expect(w.sent).toHaveLength(1);
    const tx = new TxDecoder({ chainId: 7n }).decode(w.sent[0]!);
    expect(toHex(tx.sender)).toBe(toHex(ADDRESS));
    expect(toHex(tx.to!)).toBe(toHex(STAKING_ADDRESS));
    expect(tx.nonce).toBe(5n);
    const call = decodeFunctionData({ abi: STAKING_ABI, data: toHex(tx.data) });
    expect(call.functionName).toBe('renewRandao');
    expect(call.args).toEqual([toHex(onionFromKey(KEY, 64, 1n).commitment)]);
    expect(w.logs.map((l) => l.event)).toEqual(['randao-renewing']);
    // Not again at once: only after 10 blocks without the change showing on the chain.
    w.keeper.afterCommit();
    expect(w.sent).toHaveLength(1);
    w.advance(10n);
    w.keeper.afterCommit();
    expect(w.sent).toHaveLength(2);
    // Once the chain holds the pending change, nothing more is sent.
    w.store.candidates.putCandidate({
      ...w.store.candidates.getCandidate(ADDRESS)!,
      pending: {
        consensusKey: ADDRESS,
        commitment: new Uint8Array(32).fill(1),
        layers: 64n,
        epoch: 20n,
      },
    });
    w.advance(10n);
    w.keeper.afterCommit();
    expect(w.sent).toHaveLength(2);
  });

  it('warns loudly and renews at once when the onion on the chain is not its own', () => {
    const w = setup(new Uint8Array(32).fill(9), 10n * ETM);
    const due = {
      operator: ADDRESS,
      hashesTo: new Uint8Array(32).fill(9),
      index: 0n,
      generation: 0n,
      layers: 64n,
    };
    expect(w.keeper.reveal(due)).toBeNull();
    expect(w.logs[0]).toMatchObject({ level: 'error', event: 'randao-missing' });
    w.keeper.afterCommit();
    expect(w.sent).toHaveLength(1);
  });

  it('warns when its onion is exhausted, and when its account cannot pay for the renewal', () => {
    const w = setup(onionFromKey(KEY, 64).commitment, 0n);
    w.spend(64n);
    w.keeper.afterCommit();
    expect(w.sent).toEqual([]);
    expect(w.logs.map((l) => [l.level, l.event])).toEqual([
      ['error', 'randao-exhausted'],
      ['error', 'randao-unfunded'],
    ]);
    expect(w.logs[1]!.text).toMatch(/etm candidate renew-randao/);
    // The same warnings are not repeated every block.
    w.advance(1n);
    w.keeper.afterCommit();
    expect(w.logs).toHaveLength(2);
  });
});
