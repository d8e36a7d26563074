/**
 * Staking state at genesis: the candidates registered from the start (each with its deposit as
 * a self-lock and its RANDAO commitment to an onion of `randaoLayers` layers) and the election
 * records of epochs 0 and 1, which both use the genesis validators.
 */
import type { Address } from '../primitives/types.js';
import type { StateDB } from '../state/state-db.js';
import { toHex } from '../crypto/bytes.js';
import type { StakingParams } from '../params/registry.js';
import { stakingStores } from './stores.js';

export interface GenesisCandidate {
  operator: Address;
  consensusKey: Address;
  name: string;
  deposit: bigint;
  commissionBps: bigint;
  commissionMaxBps: bigint;
  randaoCommitment: Uint8Array;
}

/**
 * Writes the genesis candidates, their deposit locks and the election records (the rewards
 * module books the deposits, src/economics/genesis.ts).
 */
export function writeGenesisStaking(
  state: StateDB,
  validators: Address[],
  candidates: GenesisCandidate[],
  params: StakingParams,
): void {
  const store = stakingStores(state);
  let nextId = 1n;
  for (const c of candidates) {
    const account = state.getAccount(c.operator);
    state.putAccount(c.operator, {
      ...account,
      balance: account.balance - c.deposit,
      locked: account.locked + c.deposit,
    });
    const id = nextId++;
    const lock = store.locks.addVote({
      id,
      owner: c.operator,
      amount: c.deposit,
      candidate: c.operator,
      since: 0n,
      voteIndex: 0n,
      isDeposit: true,
    });
    store.locks.putLock(lock);
    store.locks.setLocksOf(c.operator, [...store.locks.locksOf(c.operator), id]);
    store.candidates.putCandidate({
      operator: c.operator,
      consensusKey: c.consensusKey,
      name: c.name,
      depositLockId: id,
      commissionBps: c.commissionBps,
      commissionMaxBps: c.commissionMaxBps,
      commissionEpoch: 0n,
      status: 'active',
      jailedUntilEpoch: 0n,
      randaoLast: c.randaoCommitment,
      randaoReveals: 0n,
      registeredAt: 0n,
      randaoLayers: params.randaoLayers,
      randaoGeneration: 0n,
      pending: null,
    });
    store.candidates.addCandidate(c.operator);
    store.candidates.setOperatorOfKey(c.consensusKey, c.operator);
    store.candidates.setOperatorOfName(c.name, c.operator);
  }
  store.locks.setNextLockId(nextId);
  const byKey = new Map(candidates.map((c) => [keyOf(c.consensusKey), c.operator]));
  const record = {
    validators,
    operators: validators.flatMap((v) => byKey.get(keyOf(v)) ?? []),
    seed: new Uint8Array(32),
    ranked: [],
    drawn: [],
    filled: [],
    electedAt: 0n,
  };
  store.elections.setEpochRecord(0n, record);
  store.elections.setEpochRecord(1n, record);
}

const keyOf = (a: Address) => toHex(a);
