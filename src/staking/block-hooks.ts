/**
 * What the staking system does in every block after its transactions (PROTOCOL §5, §6):
 *
 * 1. releases the unbonding entries due at this height;
 * 2. checks and records the proposer's RANDAO reveal (none from a proposer whose onion is
 *    exhausted: its block adds no randomness, but the chain goes on);
 * 3. counts proposer turns for the performance coefficient: the proposer of this block gets a
 *    committed turn; the designated proposers of the rounds before it at this height get a missed
 *    turn each. The round is the one the block records (its proposal round, part of its hash;
 *    the coinbase is checked to be that round's proposer), so rounds past K count every turn;
 * 4. at the last block of epoch e: brings the vote tally (every candidate's Σ x) to this height,
 *    halves the age of every lock behind a candidate that produced
 *    a block in epoch e (by moving its vote buckets' `since`, no lock is written), switches the consensus keys and RANDAO commitments due at epoch e+1,
 *    elects epoch e+2 with the seed randao(e) among the candidates that can serve then, and
 *    announces the validators of epoch e+1 (whose voters' reward weights the rewards module then
 *    refreshes, src/economics/block.ts).
 *
 * Per-block work is bounded by the number of validators. The epoch's last block brings the vote
 * tally forward and weighs every candidate from it (a few records per candidate), and halves the
 * producers' buckets: O(candidates + the producers' buckets), no lock is read — except with
 * concaveOn = lock, whose weighing needs each lock's own weight and so reads every voting lock.
 */
import { assert } from '../primitives/errors.js';
import { BlockError } from '../primitives/block-error.js';
import type { Address } from '../primitives/types.js';
import { compareBytes, equalBytes, toHex } from '../crypto/bytes.js';
import { elect } from '../election/election.js';
import { mixReveal, verifyReveal } from '../election/randao.js';
import { SCALE } from '../math/fixed.js';
import type { StateDB } from '../state/state-db.js';
import { epochOf } from './epochs.js';
import { CONCAVE_ON_LOCK, type StakingParams } from '../params/registry.js';
import { electionBar, keyInEpoch } from './eligibility.js';
import { candidateWeight, electionWeight, lockWeight, performance, timeGain } from './weights.js';
import { isSettled } from './settlement.js';
import { stakingStores, type StakingStores } from './stores.js';
import type { EpochRecord } from './election-store.js';
import { votesWeight } from './vote-tally.js';

export interface BlockStakingInput {
  height: bigint;
  /** The round the block was built for: the designated proposers of rounds 0..round-1 missed. */
  round: bigint;
  params: StakingParams;
  /** The block's proposer (a consensus key). */
  coinbase: Address;
  /** Validators of this height in proposer order (consensus keys). */
  validators: readonly Address[];
  /** The proposer's RANDAO reveal (32 bytes), or empty when its validator has no candidacy. */
  randaoReveal: Uint8Array;
  /** The RANDAO mix after this block (its header's mixHash). */
  mix: Uint8Array;
}

/** The candidate weighing an election uses, kept for `etm_getCandidates`. */
export interface CandidateWeighing {
  operator: Address;
  /** The key it would validate with (a pending key once that takes effect). */
  consensusKey: Address;
  /** Σ x over the locks voting for it (units). */
  votes: bigint;
  /** X, v and R in 36-decimal fixed point. */
  X: bigint;
  v: bigint;
  m: bigint;
  n: bigint;
  R: bigint;
}

/** The mix after a reveal: keccak256(mix xor reveal); no reveal keeps the mix. */
export function nextMix(mix: Uint8Array, reveal: Uint8Array): Uint8Array {
  return reveal.length === 0 ? mix : mixReveal(mix, reveal);
}

/** What a proposer must reveal next. */
export interface RevealDue {
  operator: Address;
  /** The reveal must hash to this: the candidate's last reveal, initially its commitment. */
  hashesTo: Uint8Array;
  /** Layer of the onion counted from the commitment (0 = the first reveal). */
  index: bigint;
  /** Which commitment of the candidate (0 = the registered one) and its onion's layers. */
  generation: bigint;
  layers: bigint;
}

/**
 * What a proposer must reveal next: the preimage of `hashesTo`. Null when it reveals nothing:
 * it has no candidacy, or its onion is exhausted.
 */
export function nextRevealOf(state: StateDB, coinbase: Address): RevealDue | null {
  const store = stakingStores(state);
  const operator = store.candidates.operatorOfKey(coinbase);
  if (!operator) return null;
  const c = store.candidates.getCandidate(operator)!;
  if (c.randaoReveals >= c.randaoLayers) return null;
  return {
    operator,
    hashesTo: c.randaoLast,
    index: c.randaoReveals,
    generation: c.randaoGeneration,
    layers: c.randaoLayers,
  };
}

/**
 * The staking system's work in every block after its transactions: unbonding releases, the
 * proposer's RANDAO reveal, proposer turns.
 */
export function stakingEndBlock(state: StateDB, input: BlockStakingInput): void {
  const store = stakingStores(state);
  releaseUnbonding(state, store, input.height);
  const proposer = recordReveal(store, input);
  countTurns(store, input, proposer);
}

/**
 * The staking system's work at the last block of an epoch, after its per-block work: halving,
 * key switches, and the election of the epoch after next.
 */
export function stakingEndEpoch(
  state: StateDB,
  input: BlockStakingInput,
): { nextValidators: Address[]; electionWeights: CandidateWeighing[] } {
  const store = stakingStores(state);
  const { height, params } = input;
  const epoch = epochOf(height, params);
  // The tally first: the halving then moves votes within it, at this height.
  advanceTally(store, params, height);
  halveProducers(store, params, epoch, height);
  store.elections.setProduced(epoch, []);
  applySwitches(store, epoch + 1n);
  const current = store.elections.epochRecord(epoch);
  const weighed = weighCandidates(store, params, height, current);
  // After a GlobalSettlement the validator set is frozen: nobody is elected again.
  const elected = isSettled(state) ? null : runElection(weighed, params, height, input.mix);
  const next = store.elections.epochRecord(epoch + 1n);
  // The epoch after next was elected here; keep the current set if nobody could be.
  store.elections.setEpochRecord(
    epoch + 2n,
    elected ?? { ...(next ?? current!), electedAt: height },
  );
  return { nextValidators: (next ?? current!).validators, electionWeights: weighed };
}

/**
 * The election record in force in `epoch`: its own, or (never expected: every epoch's end
 * elects the one after next) the previous epoch's.
 */
export function recordServing(store: StakingStores, epoch: bigint): EpochRecord {
  const r = store.elections.epochRecord(epoch) ?? store.elections.epochRecord(epoch - 1n);
  assert(r !== null, `no election record for epoch ${epoch}`);
  return r;
}

function releaseUnbonding(state: StateDB, store: StakingStores, height: bigint): void {
  const due = store.locks.releasesAt(height);
  if (due.length === 0) return;
  for (const { owner, amount } of due) {
    const a = state.getAccount(owner);
    state.putAccount(owner, { ...a, balance: a.balance + amount, locked: a.locked - amount });
    const entries = store.locks.unbondingOf(owner);
    const i = entries.findIndex((e) => e.releaseHeight === height && e.amount === amount);
    entries.splice(i, 1);
    store.locks.setUnbondingOf(owner, entries);
  }
  store.locks.setReleasesAt(height, []);
}

function recordReveal(store: StakingStores, input: BlockStakingInput): Address | null {
  const operator = store.candidates.operatorOfKey(input.coinbase);
  if (!operator) {
    if (input.randaoReveal.length !== 0)
      throw new BlockError(
        'exec.randao-unexpected',
        'randao reveal from a validator without a candidacy',
      );
    return null;
  }
  const c = store.candidates.getCandidate(operator)!;
  if (c.randaoReveals >= c.randaoLayers) {
    // An exhausted onion: the block is valid without a reveal (and the candidate unelectable
    // until its renewal takes effect), so a validator that ran out never halts the chain.
    if (input.randaoReveal.length !== 0)
      throw new BlockError(
        'exec.randao-unexpected',
        'randao reveal from a proposer whose onion is exhausted',
      );
  } else {
    if (input.randaoReveal.length !== 32)
      throw new BlockError('exec.randao-missing', 'randao reveal missing');
    if (!verifyReveal(input.randaoReveal, c.randaoLast))
      throw new BlockError(
        'exec.randao-wrong',
        `randao reveal ${toHex(input.randaoReveal)} does not hash to the proposer's last reveal`,
      );
    store.candidates.putCandidate({
      ...c,
      randaoLast: input.randaoReveal,
      randaoReveals: c.randaoReveals + 1n,
    });
  }
  const epoch = epochOf(input.height, input.params);
  const produced = store.elections.produced(epoch);
  if (!produced.some((p) => equalBytes(p, operator)))
    store.elections.setProduced(epoch, [...produced, operator].sort(compareBytes));
  return operator;
}

function countTurns(
  store: StakingStores,
  input: BlockStakingInput,
  proposer: Address | null,
): void {
  const { validators, height, params, round } = input;
  const K = BigInt(validators.length);
  if (K === 0n || !validators.some((v) => equalBytes(v, input.coinbase))) return;
  const epoch = epochOf(height, params);
  const turn = (operator: Address, committed: boolean, turns: bigint) => {
    const window = store.elections
      .perf(operator)
      .filter((e) => e.epoch + params.perfWindowEpochs > epoch);
    const last = window[window.length - 1];
    const add = { m: committed ? 1n : 0n, n: turns };
    if (last && last.epoch === epoch) {
      window[window.length - 1] = { epoch, m: last.m + add.m, n: last.n + add.n };
    } else window.push({ epoch, ...add });
    store.elections.setPerf(operator, window);
  };
  // Rounds 0..round-1 were proposed by order[(h + r) mod K]: every position missed
  // floor(round / K) turns, and the first round mod K positions after h's one more. O(K).
  const cycles = round / K;
  const rest = round % K;
  for (let i = 0n; i < K; i++) {
    const offset = (((i - height) % K) + K) % K;
    const missed = cycles + (offset < rest ? 1n : 0n);
    if (missed === 0n) continue;
    const operator = store.candidates.operatorOfKey(validators[Number(i)]!);
    if (operator) turn(operator, false, missed);
  }
  if (proposer) turn(proposer, true, 1n);
}

/** Brings every candidate's Σ x to `height`, an epoch's last block (vote-tally.ts). */
export function advanceTally(store: StakingStores, params: StakingParams, height: bigint): void {
  store.locks.tally.advance(height, params, store.candidates.operators(), (op) =>
    store.locks.votesBySince(op),
  );
}

/** Halves the age of every lock voting for a producer of `epoch`: O(its vote buckets). */
export function halveProducers(
  store: StakingStores,
  params: StakingParams,
  epoch: bigint,
  height: bigint,
): void {
  for (const operator of store.elections.produced(epoch))
    store.locks.halveVotes(operator, height, params);
}

/**
 * At the last block before `epoch`: the pending consensus keys and RANDAO commitments due at
 * its first block take effect (the election that chose `epoch`'s validators already used them).
 */
function applySwitches(store: StakingStores, epoch: bigint): void {
  const due = store.candidates.switchesAt(epoch);
  if (due.length === 0) return;
  for (const operator of due) {
    const c = store.candidates.getCandidate(operator)!;
    const p = c.pending!;
    store.candidates.putCandidate({
      ...c,
      consensusKey: p.consensusKey,
      randaoLast: p.commitment,
      randaoReveals: 0n,
      randaoLayers: p.layers,
      randaoGeneration: c.randaoGeneration + 1n,
      pending: null,
    });
  }
  store.candidates.setSwitchesAt(epoch, []);
}

/** Performance over the window ending with `epoch`: Σm and Σn. */
function turnsOf(store: StakingStores, operator: Address, epoch: bigint, window: bigint) {
  let m = 0n;
  let n = 0n;
  for (const e of store.elections.perf(operator)) {
    if (e.epoch + window > epoch) {
      m += e.m;
      n += e.n;
    }
  }
  return { m, n };
}

/**
 * Σ x and X of a candidate's votes at `height`. Σ x = Σ amount·t(height − since) is the vote
 * tally's at an epoch's end, else taken over its vote buckets (locks sharing a `since` share t):
 * both are the per-lock sum exactly. With
 * the exponent on each lock, X needs every lock's own x, so that mode (not the default) walks
 * the locks: O(locks), each read through its bucket for its `since`.
 */
function votesOf(
  store: StakingStores,
  params: StakingParams,
  height: bigint,
  operator: Address,
  tally: ((operator: Address) => bigint) | null,
) {
  if (params.concaveOn === CONCAVE_ON_LOCK) {
    const xs: bigint[] = [];
    for (const id of store.locks.votesFor(operator)) {
      const l = store.locks.getLock(id)!;
      xs.push(lockWeight(l.amount, timeGain(height - l.since, params)));
    }
    let votes = 0n;
    for (const x of xs) votes += x;
    return { votes, X: candidateWeight(xs, params) };
  }
  // Not at an epoch's end (a view at another height): from the buckets.
  const votes =
    tally?.(operator) ?? votesWeight(store.locks.votesBySince(operator), height, params);
  return { votes, X: candidateWeight([votes], params) };
}

/**
 * Weighs, in operator order, every candidate that can be elected at `height`'s epoch end to
 * serve two epochs later (eligibility.ts), with the consensus key it will serve with.
 */
export function weighCandidates(
  store: StakingStores,
  params: StakingParams,
  height: bigint,
  current: EpochRecord | null,
): CandidateWeighing[] {
  const epoch = epochOf(height, params);
  const serves = epoch + 2n;
  // v of a newcomer: the average v of this epoch's validators (1 when none has turns yet).
  let sum = 0n;
  let count = 0n;
  for (const op of current?.operators ?? []) {
    const { m, n } = turnsOf(store, op, epoch, params.perfWindowEpochs);
    sum += performance(m, n, SCALE);
    count++;
  }
  const newcomer = count === 0n ? SCALE : sum / count;
  const out: CandidateWeighing[] = [];
  const tally = store.locks.tally.at(height, params);
  for (const operator of store.candidates.operators()) {
    const c = store.candidates.getCandidate(operator)!;
    if (electionBar(store, c, params, serves) !== null) continue;
    const { votes, X } = votesOf(store, params, height, operator, tally);
    const { m, n } = turnsOf(store, operator, epoch, params.perfWindowEpochs);
    const v = performance(m, n, newcomer);
    out.push({
      operator,
      consensusKey: keyInEpoch(c, serves),
      votes,
      X,
      v,
      m,
      n,
      R: electionWeight(v, X),
    });
  }
  return out;
}

function runElection(
  weighed: CandidateWeighing[],
  params: StakingParams,
  height: bigint,
  seed: Uint8Array,
): EpochRecord | null {
  if (weighed.length === 0) return null;
  const result = elect({
    candidates: weighed.map((c) => ({ address: c.operator, weight: c.R })),
    rankedSeats: Number(params.rankedSeats),
    lotterySeats: Number(params.lotterySeats),
    seed,
  });
  if (result.validators.length === 0) return null;
  const keyOf = new Map(weighed.map((c) => [toHex(c.operator), c.consensusKey]));
  return {
    validators: result.validators.map((op) => keyOf.get(toHex(op))!),
    operators: result.validators,
    seed,
    ranked: result.ranked,
    drawn: result.drawn.map((d) => ({ address: d.address, w: d.w, W: d.W })),
    filled: result.filled,
    electedAt: height,
  };
}
