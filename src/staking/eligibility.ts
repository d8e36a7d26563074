/**
 * Whether a candidate can be elected (PROTOCOL §6), one rule for the election and for the votes
 * the staking contract accepts: active (not jailed or tombstoned), a deposit of at least
 * candidateDeposit, and RANDAO reveals for the epoch it would serve — reveals left on its
 * onion, or a new commitment that takes effect by then. The consensus key it would serve with
 * is the pending one once that takes effect.
 */
import type { Address } from '../primitives/types.js';
import type { StakingParams } from '../params/registry.js';
import type { Candidate } from './candidate-store.js';
import type { StakingStores } from './stores.js';

/** Why a candidate cannot be elected to serve in epoch `forEpoch`, or null when it can. */
export function electionBar(
  store: StakingStores,
  c: Candidate,
  params: Pick<StakingParams, 'candidateDeposit'>,
  forEpoch: bigint,
): string | null {
  if (c.status === 'tombstoned') return 'candidate is tombstoned';
  if (c.status === 'jailed') return 'candidate is jailed';
  if (c.depositLockId === 0n)
    return 'candidate has withdrawn its deposit (its operator can restore it with topUpDeposit)';
  const deposit = store.locks.lockAmount(c.depositLockId)!;
  if (deposit < params.candidateDeposit)
    return `candidate's deposit ${deposit} is below candidateDeposit ${params.candidateDeposit}`;
  if (!hasReveals(c, forEpoch))
    return "candidate's RANDAO onion is exhausted; it cannot be elected until it renews its commitment";
  return null;
}

/** The commitment in force at `epoch`'s first block has reveals left (a new one has all). */
function hasReveals(c: Candidate, epoch: bigint): boolean {
  if (c.pending !== null && c.pending.epoch <= epoch) return true;
  return c.randaoReveals < c.randaoLayers;
}

/** The consensus key the candidate signs with in `epoch`. */
export function keyInEpoch(c: Candidate, epoch: bigint): Address {
  return c.pending !== null && c.pending.epoch <= epoch ? c.pending.consensusKey : c.consensusKey;
}
