/**
 * The staking module's storage area, by concern: locks and votes, candidates, elections. All
 * three live in the storage of the staking system account under disjoint tags.
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
