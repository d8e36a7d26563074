/**
 * Taking a share of a candidate's deposit (docs/slashing.md): from its deposit lock, then from
 * its unlocked deposit while that is still unbonding. Voters' locks are never touched. The slash
 * is rounded up, the reporter's reward down; the rest goes to the DAO treasury, so every unit
 * taken from the deposit lands in a balance (conservation).
 */
import { RewardLedger } from '../economics/ledger.js';
import { RewardStore } from '../economics/reward-store.js';
import type { ChainParams } from '../params/registry.js';
import { WAD } from '../params/registry.js';
import { assert } from '../primitives/errors.js';
import { DAO_TREASURY } from '../primitives/system-addresses.js';
import type { Address } from '../primitives/types.js';
import type { StateDB } from '../state/state-db.js';
import { equalBytes } from '../crypto/bytes.js';
import { stakingStores } from '../staking/stores.js';

export interface SlashOutcome {
  amount: bigint;
  reporterReward: bigint;
  toTreasury: bigint;
}

/** ⌈x · ratio / WAD⌉. */
function slashShare(x: bigint, ratio: bigint): bigint {
  return (x * ratio + WAD - 1n) / WAD;
}

/** The deposit a slash applies to: the deposit lock and an unlocked deposit still unbonding. */
function slashableDeposit(state: StateDB, operator: Address): { lock: bigint; unbonding: bigint } {
  const store = stakingStores(state);
  const c = store.candidates.getCandidate(operator);
  if (c === null) return { lock: 0n, unbonding: 0n };
  const lock = c.depositLockId === 0n ? 0n : (store.locks.getLock(c.depositLockId)?.amount ?? 0n);
  const unb = store.candidates.depositUnbonding(operator);
  const pending =
    unb !== null &&
    store.locks
      .unbondingOf(operator)
      .some((e) => e.releaseHeight === unb.releaseHeight && e.amount === unb.amount);
  return { lock, unbonding: pending ? unb.amount : 0n };
}

function credit(state: StateDB, to: Address, amount: bigint): void {
  if (amount === 0n) return;
  const a = state.getAccount(to);
  state.putAccount(to, { ...a, balance: a.balance + amount });
}

/**
 * Slashes ⌈deposit · ratio⌉ of the operator's deposit; pays `reporterShare` of it (rounded down)
 * to `reporter` and the rest to the treasury.
 */
export function slashDeposit(
  state: StateDB,
  params: ChainParams,
  height: bigint,
  operator: Address,
  ratio: bigint,
  reporter: Address | null,
  reporterShare: bigint,
): SlashOutcome {
  const store = stakingStores(state);
  const c = store.candidates.getCandidate(operator);
  assert(c !== null, 'slash of a non-candidate');
  const base = slashableDeposit(state, operator);
  // The lock may grow by compounding when settled; the share is of the deposit before that.
  const amount = slashShare(base.lock + base.unbonding, ratio);
  let fromLock = amount < base.lock ? amount : base.lock;
  const fromUnbonding = amount - fromLock;

  if (fromLock > 0n) {
    const ledger = new RewardLedger(state, params, height);
    const { lock, rewards } = ledger.detach(store.locks.getLock(c.depositLockId)!);
    if (fromLock > lock.amount) fromLock = lock.amount;
    const next = { ...lock, amount: lock.amount - fromLock };
    store.locks.putLock(next);
    const rs = new RewardStore(state);
    const econ = rs.economics();
    rs.setEconomics({ ...econ, totalLocked: econ.totalLocked - fromLock });
    ledger.attach(next, rewards, false);
  }
  if (fromUnbonding > 0n) {
    const unb = store.candidates.depositUnbonding(operator)!;
    const left = unb.amount - fromUnbonding;
    const entries = store.locks.unbondingOf(operator);
    const i = entries.findIndex(
      (e) => e.releaseHeight === unb.releaseHeight && e.amount === unb.amount,
    );
    assert(i >= 0, 'unbonding deposit entry missing');
    if (left === 0n) entries.splice(i, 1);
    else entries[i] = { amount: left, releaseHeight: unb.releaseHeight };
    store.locks.setUnbondingOf(operator, entries);
    const releases = store.locks.releasesAt(unb.releaseHeight);
    const j = releases.findIndex((r) => equalBytes(r.owner, operator) && r.amount === unb.amount);
    assert(j >= 0, 'unbonding deposit release missing');
    if (left === 0n) releases.splice(j, 1);
    else releases[j] = { owner: operator, amount: left };
    store.locks.setReleasesAt(unb.releaseHeight, releases);
    store.candidates.setDepositUnbonding(
      operator,
      left === 0n ? null : { amount: left, releaseHeight: unb.releaseHeight },
    );
  }
  const taken = fromLock + fromUnbonding;
  if (taken > 0n) {
    const a = state.getAccount(operator);
    assert(a.locked >= taken, 'slash exceeds the locked funds');
    state.putAccount(operator, { ...a, locked: a.locked - taken });
  }
  const reporterReward = reporter === null ? 0n : (taken * reporterShare) / WAD;
  if (reporter !== null) credit(state, reporter, reporterReward);
  credit(state, DAO_TREASURY, taken - reporterReward);
  return { amount: taken, reporterReward, toTreasury: taken - reporterReward };
}
