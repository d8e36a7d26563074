/**
 * The staking module's storage area, by concern: locks and votes, candidates, elections, under
 * disjoint tags in the storage of the staking system account, except the records of each lock
 * and unbonding entry, which are in the locks account's (lock-store.ts).
 */
import type { StateDB } from '../state/state-db.js';
import { CandidateStore } from './candidate-store.js';
import { ElectionStore } from './election-store.js';
import { LockStore } from './lock-store.js';

export interface StakingStores {
  readonly locks: LockStore;
  readonly candidates: CandidateStore;
  readonly elections: ElectionStore;
}

export function stakingStores(state: StateDB): StakingStores {
  return {
    locks: new LockStore(state),
    candidates: new CandidateStore(state),
    elections: new ElectionStore(state),
  };
}
