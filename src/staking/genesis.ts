/**
 * Staking state at genesis: the candidates registered from the start (each with its deposit as
 * a self-lock and its RANDAO commitment to an onion of `randaoLayers` layers) and the election
 * records of epochs 0 and 1, which both use the genesis validators.
 */
import type { Address } from '../primitives/types.js';
import type { StateDB } from '../state/state-db.js';
import { toHex } from '../crypto/bytes.js';
import { RewardLedger } from '../economics/ledger.js';
import { VOTER_BONUS_POOL } from '../primitives/system-addresses.js';
import type { StakingParams } from './params.js';
import { StakingStore, STATUS_ACTIVE, type Lock } from './store.js';

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
 * `supply` is the genesis supply B (every allocation, the voter bonus pool included); the
 * candidates' deposits are the locked total S, each earning rewards from block 1. The voter
 * bonus pool must already hold its genesis balance: that is the bonus cap.
 */
export function writeGenesisStaking(
  state: StateDB,
  validators: Address[],
  candidates: GenesisCandidate[],
  params: StakingParams,
  supply: bigint,
): void {
  const store = new StakingStore(state);
  // The bonus pool's genesis balance is all it will ever release.
  const bonusCap = state.getAccount(VOTER_BONUS_POOL).balance;
  store.setEconomics({ ...store.economics(), supply, bonusCap });
  const ledger = new RewardLedger(state, params, 0n);
  const deposits: Lock[] = [];
  let nextId = 1n;
  for (const c of candidates) {
    const account = state.getAccount(c.operator);
    state.putAccount(c.operator, {
      ...account,
      balance: account.balance - c.deposit,
      locked: account.locked + c.deposit,
    });
    const id = nextId++;
    const lock = store.addVote({
      id,
      owner: c.operator,
      amount: c.deposit,
      candidate: c.operator,
      since: 0n,
      voteIndex: 0n,
      isDeposit: true,
    });
    store.putLock(lock);
    deposits.push(lock);
    store.setLocksOf(c.operator, [...store.locksOf(c.operator), id]);
    store.putCandidate({
      operator: c.operator,
      consensusKey: c.consensusKey,
      name: c.name,
      depositLockId: id,
      commissionBps: c.commissionBps,
      commissionMaxBps: c.commissionMaxBps,
      commissionEpoch: 0n,
      status: STATUS_ACTIVE,
      jailedUntilEpoch: 0n,
      randaoLast: c.randaoCommitment,
      randaoReveals: 0n,
      registeredAt: 0n,
      randaoLayers: params.randaoLayers,
      randaoGeneration: 0n,
      pending: null,
    });
    store.addCandidate(c.operator);
    store.setOperatorOfKey(c.consensusKey, c.operator);
    store.setOperatorOfName(c.name, c.operator);
  }
  store.setNextLockId(nextId);
  for (const lock of deposits) ledger.open(lock);
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
  store.setEpochRecord(0n, record);
  store.setEpochRecord(1n, record);
}

const keyOf = (a: Address) => toHex(a);
