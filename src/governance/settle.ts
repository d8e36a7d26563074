/**
 * A GlobalSettlement (docs/governance.md): stops the staking economy for good at the block that
 * runs it. Every lock is closed — its accrued rewards paid (or compounded, then released), its
 * amount returned to its owner's balance — and every unbonding entry is released at once; the
 * settled flag then stops minting and the bonus, refuses new locks and freezes the validator set
 * (src/staking/settlement.ts). Blocks go on, so everyone can move what they hold. Value only
 * moves between accounts' `locked` and `balance` and out of the reward pool: supply is unchanged.
 */
import { RewardLedger } from '../economics/ledger.js';
import type { ChainParams } from '../params/registry.js';
import type { Address } from '../primitives/types.js';
import { SettlementStore } from '../staking/settlement.js';
import { stakingStores } from '../staking/stores.js';
import type { StateDB } from '../state/state-db.js';

function release(state: StateDB, owner: Address, amount: bigint): void {
  const a = state.getAccount(owner);
  state.putAccount(owner, { ...a, balance: a.balance + amount, locked: a.locked - amount });
}

export interface SettlementReport {
  locks: number;
  released: bigint;
  rewardsPaid: bigint;
  unbondingReleased: bigint;
}

export function settleEconomy(
  state: StateDB,
  params: ChainParams,
  height: bigint,
): SettlementReport {
  const { locks, candidates } = stakingStores(state);
  const ledger = new RewardLedger(state, params, height);
  const report: SettlementReport = {
    locks: 0,
    released: 0n,
    rewardsPaid: 0n,
    unbondingReleased: 0n,
  };
  const next = locks.nextLockId();
  for (let id = 1n; id < next; id++) {
    const own = locks.getLock(id);
    if (!own) continue;
    const { lock, rewards } = ledger.detach(own);
    report.rewardsPaid += ledger.close(lock, rewards);
    // Removing a vote may move another lock's index position: it is read afresh when reached.
    if (lock.candidate) locks.removeVote({ ...lock, candidate: lock.candidate });
    locks.deleteLock(id);
    locks.setLocksOf(
      lock.owner,
      locks.locksOf(lock.owner).filter((x) => x !== id),
    );
    release(state, lock.owner, lock.amount);
    report.locks++;
    report.released += lock.amount;
  }
  for (const operator of candidates.operators()) {
    const c = candidates.getCandidate(operator)!;
    if (c.depositLockId !== 0n) candidates.putCandidate({ ...c, depositLockId: 0n });
  }
  // Every unbonding entry, through the index of accounts that have any (this block's own were
  // released by the staking module's block work already). Every entry of a release height's
  // list is among them, so those lists empty.
  const heights = new Set<bigint>();
  for (const owner of locks.unbondingOwners()) {
    for (const e of locks.unbondingOf(owner)) {
      release(state, owner, e.amount);
      report.unbondingReleased += e.amount;
      heights.add(e.releaseHeight);
    }
    locks.setUnbondingOf(owner, []);
  }
  for (const h of [...heights].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0)))
    locks.setReleasesAt(h, []);
  new SettlementStore(state).settle(height);
  return report;
}
