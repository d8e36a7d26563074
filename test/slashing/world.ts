/**
 * A small staking world for the slashing rules: four candidates with real consensus keys (their
 * signatures are evidence), three of them genesis validators, and helpers to call the evidence
 * and staking contracts and to sum every unit the rules may move.
 */
import { decodeFunctionResult, encodeFunctionData, type Abi } from 'viem';
import { fromHex, toHex } from '../../src/crypto/bytes.js';
import { keccak256 } from '../../src/crypto/keccak.js';
import { utf8 } from '../../src/crypto/bytes.js';
import { Secp256k1Signer } from '../../src/consensus/crypto.js';
import { signCommit, signPrepare, signRoundChange } from '../../src/consensus/messages.js';
import { callContract } from '../../src/execution/call.js';
import type { SystemContract } from '../../src/execution/module.js';
import { evidenceContract } from '../../src/execution/modules/slashing.js';
import { stakingContract } from '../../src/execution/modules/staking.js';
import { writeModulesGenesis } from '../../src/execution/registry.js';
import { createOnion } from '../../src/election/randao.js';
import { DEFAULT_PARAMS, ETM, type ChainParams } from '../../src/params/registry.js';
import { SYSTEM_ACCOUNTS } from '../../src/primitives/system-addresses.js';
import type { Address } from '../../src/primitives/types.js';
import { EVIDENCE_ABI } from '../../src/slashing/abi.js';
import { STAKING_ABI } from '../../src/staking/abi.js';
import { stakingStores } from '../../src/staking/stores.js';
import { StateDB } from '../../src/state/state-db.js';
import { EMPTY_TRIE_ROOT, MemoryNodeStore } from '../../src/state/trie.js';

export const CHAIN_ID = 77n;

export const P: ChainParams = {
  ...DEFAULT_PARAMS,
  epochBlocks: 10n,
  blocksPerDay: 10n,
  candidateDeposit: 1_000n * ETM,
  rankedSeats: 2n,
  lotterySeats: 1n,
  unbondingBlocks: 20n,
  depositUnbondingBlocks: 40n,
  evidenceMaxAgeBlocks: 30n,
  jailEpochs: 2n,
};

const a = (n: number) => new Uint8Array(20).fill(n);
export const OPS = [a(0xa1), a(0xa2), a(0xa3), a(0xa4)];
export const SIGNERS = [1, 2, 3, 4].map(
  (i) => new Secp256k1Signer(keccak256(utf8(`slashing-test-key-${i}`))),
);
export const KEYS = SIGNERS.map((s) => s.address);
/** A genesis validator without a candidacy. */
export const BARE = new Secp256k1Signer(keccak256(utf8('slashing-test-bare')));
export const REPORTER = a(0xee);
export const DEPOSIT = 1_234n * ETM + 7n;

export function world(params: ChainParams = P, opts: { bareValidator?: boolean } = {}) {
  const state = new StateDB(EMPTY_TRIE_ROOT, new MemoryNodeStore());
  for (const op of OPS) state.putAccount(op, { ...state.getAccount(op), balance: 10_000n * ETM });
  state.putAccount(REPORTER, { ...state.getAccount(REPORTER), balance: 5n * ETM });
  const validators = opts.bareValidator ? [KEYS[0]!, KEYS[1]!, BARE.address] : KEYS.slice(0, 3);
  writeModulesGenesis({
    state,
    validators,
    candidates: OPS.map((op, i) => ({
      operator: op,
      consensusKey: KEYS[i]!,
      name: `c${i}`,
      deposit: DEPOSIT,
      commissionBps: 0n,
      commissionMaxBps: 0n,
      randaoCommitment: createOnion(new Uint8Array(32).fill(i + 1), 100).commitment,
    })),
    params,
    supply: 40_005n * ETM,
    chainId: CHAIN_ID,
  });
  const call = (
    contract: SystemContract,
    abi: Abi,
    sender: Address,
    height: bigint,
    fn: string,
    args: unknown[],
  ) => {
    state.checkpoint();
    try {
      const r = callContract(
        contract,
        { state, params, height, sender, value: 0n },
        fromHex(encodeFunctionData({ abi, functionName: fn, args } as never)),
      );
      state.commitCheckpoint();
      return r;
    } catch (e) {
      state.revert();
      throw e;
    }
  };
  const evidence = (sender: Address, height: bigint, pair: readonly [Uint8Array, Uint8Array]) =>
    call(
      evidenceContract,
      EVIDENCE_ABI,
      sender,
      height,
      'submitEvidence',
      pair.map((x) => toHex(x)),
    );
  const staking = (sender: Address, height: bigint, fn: string, args: unknown[]) =>
    call(stakingContract, STAKING_ABI, sender, height, fn, args);
  const unjail = (sender: Address, height: bigint) =>
    call(evidenceContract, EVIDENCE_ABI, sender, height, 'unjail', []);
  const store = stakingStores(state);
  // No elections run here: the genesis set serves every epoch the tests reach.
  const genesisSet = store.elections.epochRecord(1n)!;
  for (let e = 2n; e < 12n; e++) store.elections.setEpochRecord(e, genesisSet);
  const deposit = (i: number) => {
    const c = store.candidates.getCandidate(OPS[i]!)!;
    return c.depositLockId === 0n ? 0n : store.locks.getLock(c.depositLockId)!.amount;
  };
  /** Σ balance + locked over every account the rules may touch. */
  const total = () => {
    let sum = 0n;
    for (const x of [...OPS, ...KEYS, REPORTER, BARE.address, ...SYSTEM_ACCOUNTS]) {
      const acc = state.getAccount(x);
      sum += acc.balance + acc.locked;
    }
    return sum;
  };
  const view = (fn: string, args: unknown[]) =>
    decodeFunctionResult({
      abi: EVIDENCE_ABI,
      functionName: fn,
      data: toHex(call(evidenceContract, EVIDENCE_ABI, OPS[0]!, 0n, fn, args).returnData),
    } as never) as unknown;
  return { state, store, evidence, staking, unjail, view, deposit, total };
}

const digest = (s: string) => keccak256(utf8(s));

/** Two PREPAREs of signer `s` for one (height, round) with different digests. */
export function doublePrepare(
  s: Secp256k1Signer,
  height: number,
  round = 0,
  chainId = CHAIN_ID,
): [Uint8Array, Uint8Array] {
  return [
    signPrepare(s, chainId, height, round, digest(`a${height}`)).encoded,
    signPrepare(s, chainId, height, round, digest(`b${height}`)).encoded,
  ];
}

export function doubleCommit(s: Secp256k1Signer, height: number, round = 0) {
  return [
    signCommit(s, CHAIN_ID, height, round, digest(`a${height}`)).encoded,
    signCommit(s, CHAIN_ID, height, round, digest(`b${height}`)).encoded,
  ] as [Uint8Array, Uint8Array];
}

export function doubleRoundChange(s: Secp256k1Signer, height: number, round = 1) {
  return [
    signRoundChange(s, CHAIN_ID, height, round, null).encoded,
    signRoundChange(s, CHAIN_ID, height, round, { round: 0, digest: digest('x') }).encoded,
  ] as [Uint8Array, Uint8Array];
}
