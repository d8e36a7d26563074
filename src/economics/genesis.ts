/**
 * Rewards state at genesis: the supply B and the bonus cap, and the genesis candidates' deposits
 * booked as locks that earn from block 1.
 */
import { VOTER_BONUS_POOL } from '../primitives/system-addresses.js';
import type { StateDB } from '../state/state-db.js';
import { stakingStores } from '../staking/stores.js';
import type { StakingParams } from '../params/registry.js';
import { RewardLedger } from './ledger.js';
import { RewardStore } from './reward-store.js';

/**
 * Runs after the staking module's genesis (src/staking/genesis.ts). `supply` is the genesis
 * supply B (every allocation, the voter bonus pool included); the deposits are the locked total
 * S. The voter bonus pool must already hold its genesis balance: that is the bonus cap, all it
 * will ever release.
 */
export function writeGenesisRewards(state: StateDB, params: StakingParams, supply: bigint): void {
  const rewards = new RewardStore(state);
  const bonusCap = state.getAccount(VOTER_BONUS_POOL).balance;
  rewards.setEconomics({ ...rewards.economics(), supply, bonusCap });
  const ledger = new RewardLedger(state, params, 0n);
  const { locks, candidates } = stakingStores(state);
  for (const operator of candidates.operators()) {
    const c = candidates.getCandidate(operator)!;
    ledger.open(locks.getLock(c.depositLockId)!);
  }
}
