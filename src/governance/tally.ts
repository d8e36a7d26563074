/**
 * The tally of a proposal (docs/governance.md): voting power is locked tokens T, not weighted
 * by time. Every lock counts once, for its owner's vote; a lock whose owner did not vote
 * inherits the vote of the candidate it backs, if that candidate's operator voted; otherwise it
 * counts only in the total. The tally is taken over the locks as they are at the close, so
 * tokens moved during the vote (unlocked, sent, locked again, or a vote moved to another
 * candidate) are counted where they are then, once.
 */
import { WAD } from '../params/registry.js';
import type { GovernanceParams } from '../params/registry.js';
import type { Address } from '../primitives/types.js';
import { LockStore } from '../staking/lock-store.js';
import type { StateDB } from '../state/state-db.js';
import type { Tally } from './store.js';

export interface TallyLock {
  owner: Address;
  amount: bigint;
  /** The candidate (operator) the lock votes for, or null. */
  candidate: Address | null;
}

/** Option 1 yes, 2 no, 3 abstain, 4 veto; 0 when the account did not vote. */
export type VoteLookup = (voter: Address) => number;

export function tallyLocks(locks: Iterable<TallyLock>, voteOf: VoteLookup): Tally {
  const t = { yes: 0n, no: 0n, abstain: 0n, veto: 0n, totalLocked: 0n };
  for (const l of locks) {
    t.totalLocked += l.amount;
    let option = voteOf(l.owner);
    if (option === 0 && l.candidate !== null) option = voteOf(l.candidate);
    if (option === 1) t.yes += l.amount;
    else if (option === 2) t.no += l.amount;
    else if (option === 3) t.abstain += l.amount;
    else if (option === 4) t.veto += l.amount;
  }
  return t;
}

/** Every lock of the state, by id (ascending). */
export function* locksOf(state: StateDB): Generator<TallyLock> {
  const store = new LockStore(state);
  const next = store.nextLockId();
  for (let id = 1n; id < next; id++) {
    const l = store.getLock(id);
    if (l) yield { owner: l.owner, amount: l.amount, candidate: l.candidate };
  }
}

export type Outcome = 'passed' | 'rejected' | 'vetoed' | 'no-quorum';

type OutcomeParams = Pick<
  GovernanceParams,
  'quorum' | 'threshold' | 'vetoThreshold' | 'emergencyThreshold'
>;

/**
 * A vote's result: no quorum when the votes (abstentions included) are below `quorum` of the
 * locked tokens; vetoed when veto is at least `vetoThreshold` of the votes; else passed when
 * yes is more than `threshold` of the non-abstaining votes — or, for an emergency proposal, at
 * least `emergencyThreshold` of all locked tokens.
 */
export function outcomeOf(t: Tally, p: OutcomeParams, emergency: boolean): Outcome {
  const turnout = t.yes + t.no + t.abstain + t.veto;
  if (t.totalLocked === 0n || turnout * WAD < p.quorum * t.totalLocked) return 'no-quorum';
  if (t.veto * WAD >= p.vetoThreshold * turnout) return 'vetoed';
  if (emergency) return t.yes * WAD >= p.emergencyThreshold * t.totalLocked ? 'passed' : 'rejected';
  return t.yes * WAD > p.threshold * (t.yes + t.no + t.veto) ? 'passed' : 'rejected';
}
