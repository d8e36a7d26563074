/**
 * The economy of a chain, block by block, on the chain's own rules (docs/simulation.md): every
 * amount, weight, rate and election is computed by the functions the state transition uses
 * (src/economics, src/staking, src/election), in bigint, over aggregates instead of a state trie:
 *
 * - minting is applied per block with `mintBlock`/`splitMint`, so supply and carry are exact;
 * - shares of a reward over a constant total weight (the stakers' part over S, a proposer's
 *   voters' part over its candidate's total weight) are summed over the blocks between two
 *   changes of that total and shared once: `share` carries its remainder, so one share of a
 *   sum is the sequence of shares of its parts, to the unit;
 * - the locks voting for a candidate are kept in cohorts of equal `since` and equal time gain
 *   (the chain's vote buckets, split by the weight they were last given), so halving, weighing
 *   and the voters' refresh walk cohorts, not locks. A cohort carries the voter reward per unit
 *   of amount; cohorts that become equal are merged, the merged one remembering its offset.
 *
 * What the chain computes per lock at every refresh (its rewards, rounded down each time) the
 * simulator computes when the lock is settled (claim, vote, unlock): a lock's rewards differ
 * from the chain's by rounding only, less than one unit per epoch of voting. Everything else —
 * supply, locked total, minted, treasury, bonus, the accumulators, candidate weights and
 * elections — is the chain's value exactly.
 */
import { compareBytes, toHex } from '../../crypto/bytes.js';
import { elect } from '../../election/election.js';
import { share } from '../../economics/accumulator.js';
import { bonusDraw, bonusDue, splitProposerIncome, takesBonusSeed } from '../../economics/block.js';
import { bonusScheduleTotal } from '../../economics/bonus.js';
import {
  inflationRateAt,
  mintBlock,
  nextInflationSwitch,
  perBlockRate,
  splitMint,
} from '../../economics/inflation.js';
import type { EconomicsParams } from '../../params/registry.js';
import { splitBaseFee } from '../../execution/fees.js';
import { SCALE } from '../../math/fixed.js';
import { epochBounds, epochOf, isEpochEnd } from '../../staking/epochs.js';
import { CONCAVE_ON_LOCK, type StakingParams } from '../../params/registry.js';
import { halvedSince } from '../../staking/lock-store.js';
import type { Address } from '../../primitives/types.js';
import {
  candidateWeight,
  electionWeight,
  lockWeight,
  performance,
  timeGain,
} from '../../staking/weights.js';
import { ETM } from '../../params/registry.js';

export type SimParams = StakingParams &
  EconomicsParams & { feeValidatorShare: bigint; feeBurnShare: bigint };

/** A call the chain would revert: nothing changes. */
export class SimRevert extends Error {
  override name = 'SimRevert';
}

/** What decides each block besides the economy: its round, its reveal, its mix and its fees. */
export interface BlockSource {
  /** The round block `h` was committed in; `uptimePpm(r)` is the uptime of round r's proposer. */
  round(h: bigint, positions: number, uptimePpm: (round: number) => number): number;
  /** Whether the block carries a RANDAO reveal. */
  hasReveal(h: bigint): boolean;
  /** The RANDAO mix after block `h`. */
  mix(h: bigint): Uint8Array;
  /** Base fees (base fee × gas used) and priority fees of block `h`. */
  fees(h: bigint): { baseFees: bigint; tips: bigint };
  /** Rounds come from the proposers' uptime only: all up means round 0 (no draw needed). */
  readonly roundsFromUptime?: boolean;
  /** No block has fees. */
  readonly feeFree?: boolean;
}

export interface Account {
  address: Address;
  balance: bigint;
  /** Locked and unbonding. */
  locked: bigint;
}

interface Cohort {
  since: bigint;
  /** Time gain its locks were last weighed with (0: not weighed yet). */
  t: bigint;
  amount: bigint;
  /** Voter reward per unit of amount (×10^36) when accStart was taken. */
  rpuBase: bigint;
  accStart: bigint;
  /** Set once merged into another cohort: rpu = rpu(parent) + offset. */
  parent: Cohort | null;
  offset: bigint;
}

export interface SimLock {
  id: bigint;
  owner: number;
  amount: bigint;
  candidate: SimCandidate | null;
  since: bigint;
  cohort: Cohort | null;
  isDeposit: boolean;
  stakeSnap: bigint;
  rpuSnap: bigint;
  owed: bigint;
}

export interface SimCandidate {
  operator: Address;
  hex: string;
  key: Address;
  account: number;
  commissionBps: bigint;
  deposit: SimLock | null;
  /** The voter accumulator, its remainder and the total vote weight (the chain's candEcon). */
  acc: bigint;
  rem: bigint;
  totalWeight: bigint;
  cohorts: Map<string, Cohort>;
  locks: Set<SimLock>;
  /** Turns per epoch: [epoch, m, n]. */
  perf: { epoch: bigint; m: bigint; n: bigint }[];
  /** Uptime in parts per million (a block source may use it to decide rounds). */
  uptimePpm: number;
  /** Voters' part summed since the last share (the total weight has not changed since). */
  pending: bigint;
  /** Commission and whole shares paid to the operator, since genesis. */
  commissionPaid: bigint;
  /** The last Σx weighed and its X (concaveOn = candidate). */
  weighed?: { votes: bigint; X: bigint };
}

export interface EpochRecordSim {
  operators: SimCandidate[];
  keys: Address[];
  seed: Uint8Array;
}

export interface SimGenesis {
  params: SimParams;
  /** Allocations (the bonus pool is added on top, as the genesis does). */
  accounts: { address: Address; balance: bigint }[];
  /** Candidates from genesis: account index, key, deposit (moved from its balance), commission. */
  candidates: { account: number; key: Address; deposit: bigint; commissionBps: bigint }[];
  /** Validators of epochs 0 and 1 (consensus keys, proposer order). */
  validators: Address[];
  /** The voter bonus pool at genesis; default bonusPoolShare of the supply, as the genesis funds it. */
  bonusPool?: bigint;
}

/** Flows of one epoch, and the state at its end. */
export interface EpochOutcome {
  epoch: bigint;
  height: bigint;
  supply: bigint;
  totalLocked: bigint;
  minted: bigint;
  mintedTotal: bigint;
  /** Minted for all locks (or the treasury when nothing was locked). */
  toStakers: bigint;
  /** Proposers' income: commission (to operators) and voters' part. */
  commission: bigint;
  toVoters: bigint;
  bonusReleased: bigint;
  bonusPaid: bigint;
  burned: bigint;
  treasury: bigint;
  bonusPool: bigint;
  rewardPool: bigint;
  stakeAcc: bigint;
  /** Validators of this epoch and those elected at its end (for epoch + 2), operators. */
  validators: SimCandidate[];
  elected: SimCandidate[] | null;
  /** Candidates as weighed for the election: operator, R. */
  weights: { candidate: SimCandidate; votes: bigint; X: bigint; v: bigint; R: bigint }[];
}

export class EconomySim {
  readonly params: SimParams;
  readonly accounts: Account[];
  readonly candidates: SimCandidate[] = [];
  readonly locks = new Map<bigint, SimLock>();
  private readonly byKey = new Map<string, SimCandidate>();
  private readonly byOperator = new Map<string, SimCandidate>();
  private readonly epochs = new Map<bigint, EpochRecordSim>();
  private readonly locksOf = new Map<number, bigint[]>();
  private readonly unbonding = new Map<bigint, { owner: number; amount: bigint }[]>();
  private nextLockId = 1n;

  /** Last executed block. */
  height = 0n;
  supply = 0n;
  totalLocked = 0n;
  mintCarry = 0n;
  mintedTotal = 0n;
  stakeAcc = 0n;
  stakeRem = 0n;
  treasury = 0n;
  bonusPool = 0n;
  bonusCap = 0n;
  bonusReleased = 0n;
  bonusPending = 0n;
  bonusSeed: Uint8Array = new Uint8Array(32);
  bonusSeedAt = 0n;
  lastEpochProposer: Address = new Uint8Array(0);
  rewardPool = 0n;
  /** Stakers' part summed since the last share over S (S has not changed since). */
  private stakersPending = 0n;
  private readonly dirty = new Set<SimCandidate>();
  private epochFlows = emptyFlows();

  constructor(
    genesis: SimGenesis,
    private readonly source: BlockSource,
  ) {
    if (genesis.validators.length === 0) throw new SimRevert('the genesis has no validators');
    this.params = genesis.params;
    let allocated = 0n;
    this.accounts = genesis.accounts.map((a) => {
      allocated += a.balance;
      return { address: a.address, balance: a.balance, locked: 0n };
    });
    const shareWad = this.params.bonusPoolShare;
    this.bonusPool = genesis.bonusPool ?? (allocated * shareWad) / (ETM - shareWad);
    this.bonusCap = this.bonusPool;
    this.supply = allocated + this.bonusPool;
    for (const c of genesis.candidates)
      this.addCandidate(c.account, c.key, c.commissionBps, c.deposit, 0n);
    const record = this.recordOf(genesis.validators, new Uint8Array(32));
    this.epochs.set(0n, record);
    this.epochs.set(1n, record);
  }

  // ---- accounts and views ------------------------------------------------------------------

  candidateOf(operator: Address): SimCandidate | undefined {
    return this.byOperator.get(toHex(operator));
  }

  candidateOfKey(key: Address): SimCandidate | undefined {
    return this.byKey.get(toHex(key));
  }

  epochRecord(epoch: bigint): EpochRecordSim | undefined {
    return this.epochs.get(epoch);
  }

  locksOfAccount(account: number): SimLock[] {
    return (this.locksOf.get(account) ?? []).map((id) => this.locks.get(id)!);
  }

  /** What a lock could claim now (settled and unsettled). */
  pendingRewards(lock: SimLock): bigint {
    this.flush();
    return lock.owed + this.unsettled(lock);
  }

  /** The voter reward per unit a lock's cohort has earned (×10^36), for reports. */
  rewardPerUnit(lock: SimLock): bigint {
    return lock.cohort ? this.rpuOf(lock.cohort, lock.candidate!) : 0n;
  }

  // ---- blocks ------------------------------------------------------------------------------

  /** Executes blocks up to `target` − 1: the calls that follow are transactions of `target`. */
  advanceTo(target: bigint, onEpoch?: (o: EpochOutcome) => void): void {
    if (target <= this.height) throw new RangeError(`block ${target} is already executed`);
    if (target - 1n > this.height) this.run(target - 1n, onEpoch);
    this.flush();
  }

  /** Executes blocks up to and including `target`; `onEpoch` sees every epoch that ends. */
  run(target: bigint, onEpoch?: (o: EpochOutcome) => void): void {
    const p = this.params;
    while (this.height < target) {
      const h = this.height + 1n;
      const epoch = epochOf(h, p);
      const last = epochBounds(epoch, p).last;
      let end = last < target ? last : target;
      const yearSwitch = nextInflationSwitch(h, p);
      if (yearSwitch !== null && yearSwitch <= end) end = yearSwitch === h ? h : yearSwitch - 1n;
      this.span(h, end, epoch);
      this.height = end;
      if (end === last) {
        const o = this.endEpoch(epoch, end);
        onEpoch?.(o);
      }
    }
  }

  /**
   * Blocks h0 … h1 of one epoch and one inflation year, without transactions. Per block: the
   * round, the mint (floor(B·i_n + carry), the carry kept: mintBlock), the proposer's part δ
   * (splitMint) and its commission (splitProposerIncome), each rounded per block as the chain
   * does; what goes to the same total weight is summed and shared at the span's end.
   */
  private span(h0: bigint, h1: bigint, epoch: bigint): void {
    const p = this.params;
    const rec = this.epochs.get(epoch)!;
    const K = rec.keys.length;
    const rate = perBlockRate(inflationRateAt(h0, p), p.blocksPerYear);
    const delta = p.validatorInflationShare;
    const first = epochBounds(epoch, p).first;
    const cands = rec.keys.map((k) => this.byKey.get(toHex(k)) ?? null);
    if (this.turnsM.length !== K) {
      this.turnsM = new Array<number>(K).fill(0);
      this.turnsN = new Array<number>(K).fill(0);
    }
    const tm = this.turnsM;
    const tn = this.turnsN;
    // Per position: the proposers' income, and the commission when its candidate has voters.
    const income = new Array<bigint>(K).fill(0n);
    const commission = new Array<bigint>(K).fill(0n);
    const bps = cands.map((c) => (c && c.totalWeight > 0n ? c.commissionBps : -1n));
    const allUp =
      this.source.roundsFromUptime === true && cands.every((c) => !c || c.uptimePpm >= 1_000_000);
    const withFees = this.source.feeFree !== true;
    let base = Number(h0 % BigInt(K));
    // Uptime of the proposer of round r of the current block.
    const uptime = (r: number) => cands[(base + r) % K]?.uptimePpm ?? 1_000_000;
    let supply = this.supply;
    let carry = this.mintCarry;
    let burnedSum = 0n;
    let treasuryFees = 0n;
    let proposerFeesSum = 0n;
    let pos = base;
    for (let h = h0; h <= h1; h++) {
      const round = allUp ? 0 : this.source.round(h, K, uptime);
      pos = round === 0 ? base : (base + round) % K;
      for (let r = 0; r < round; r++) tn[(base + r) % K]!++;
      tm[pos]!++;
      tn[pos]!++;
      let burned = 0n;
      let proposerFees = 0n;
      if (withFees) {
        const fees = this.source.fees(h);
        if (fees.baseFees !== 0n || fees.tips !== 0n) {
          const f = splitBaseFee(fees.baseFees, p);
          proposerFees = f.proposer + fees.tips;
          burned = f.burned;
          treasuryFees += f.treasury;
          burnedSum += burned;
          proposerFeesSum += proposerFees;
        }
      }
      const mint = mintBlock(supply, rate, carry);
      carry = mint.carry;
      supply += burned === 0n ? mint.minted : mint.minted - burned;
      const proposer = splitMint(mint.minted, delta).proposer;
      const total = proposerFees === 0n ? proposer : proposer + proposerFees;
      income[pos] = income[pos]! + total;
      const b = bps[pos]!;
      if (b > 0n) commission[pos] = commission[pos]! + splitProposerIncome(total, b).commission;
      if (this.bonusSeedAt < first) {
        const coinbase = rec.keys[pos]!;
        if (takesBonusSeed(this, first, this.source.hasReveal(h) ? ONE_BYTE : NONE, coinbase)) {
          this.bonusSeed = this.source.mix(h);
          this.bonusSeedAt = h;
        }
      }
      if (h === this.nextRelease) this.release(h);
      base = base + 1 === K ? 0 : base + 1;
    }
    for (let i = 0; i < K; i++) {
      const total = income[i]!;
      if (tm[i]! > 0 && cands[i]) this.produced.add(cands[i]!);
      if (total === 0n) continue;
      const c = cands[i];
      if (!c) {
        // A proposer without a candidacy keeps all of it.
        this.epochFlows.commission += total;
      } else if (bps[i]! < 0n) {
        // Nobody votes for it with weight: its operator takes the whole share.
        c.commissionPaid += total;
        this.accounts[c.account]!.balance += total;
        this.epochFlows.commission += total;
      } else {
        const comm = commission[i]!;
        c.commissionPaid += comm;
        this.accounts[c.account]!.balance += comm;
        this.epochFlows.commission += comm;
        this.epochFlows.toVoters += total - comm;
        this.rewardPool += total - comm;
        c.pending += total - comm;
        this.dirty.add(c);
      }
    }
    // What was minted and what of it went to proposers, from the sums kept.
    const minted = supply - this.supply + burnedSum;
    let toProposers = -proposerFeesSum;
    for (const x of income) toProposers += x;
    const stakers = minted - toProposers;
    if (this.totalLocked > 0n) {
      this.stakersPending += stakers;
      this.rewardPool += stakers;
    } else this.treasury += stakers;
    this.treasury += treasuryFees;
    this.supply = supply;
    this.mintCarry = carry;
    this.mintedTotal += minted;
    this.epochFlows.minted += minted;
    this.epochFlows.toStakers += stakers;
    this.epochFlows.burned += burnedSum;
    this.epochFlows.proposerFees += proposerFeesSum;
    // The bonus released by these blocks: per block min(offered, cap − released), whose sum is
    // min(Σ offered, cap − released) as nothing else changes `released` within an epoch.
    const offered =
      bonusScheduleTotal(h1 + 1n, p.bonusScheduleDivisor) -
      bonusScheduleTotal(h0, p.bonusScheduleDivisor);
    const available = this.bonusCap - this.bonusReleased;
    const released = offered < available ? offered : available;
    this.bonusPending += released;
    this.bonusReleased += released;
    this.epochFlows.bonusReleased += released;
    this.lastProposer = rec.keys[pos]!;
  }

  private turnsM: number[] = [];
  private turnsN: number[] = [];
  private lastProposer: Address = new Uint8Array(0);
  private produced = new Set<SimCandidate>();
  private nextRelease: bigint | null = null;

  private release(h: bigint): void {
    for (const { owner, amount } of this.unbonding.get(h) ?? []) {
      const a = this.accounts[owner]!;
      a.balance += amount;
      a.locked -= amount;
    }
    this.unbonding.delete(h);
    let next: bigint | null = null;
    for (const k of this.unbonding.keys()) if (next === null || k < next) next = k;
    this.nextRelease = next;
  }

  /** Shares what was summed since the last change of a total weight. */
  private flush(): void {
    if (this.stakersPending > 0n) {
      const a = share(
        { acc: this.stakeAcc, rem: this.stakeRem },
        this.stakersPending,
        this.totalLocked,
      );
      this.stakeAcc = a.acc;
      this.stakeRem = a.rem;
      this.stakersPending = 0n;
    }
    for (const c of this.dirty) {
      if (c.pending > 0n) {
        const a = share(c, c.pending, c.totalWeight);
        c.acc = a.acc;
        c.rem = a.rem;
        c.pending = 0n;
      }
    }
    this.dirty.clear();
  }

  // ---- the epoch's last block --------------------------------------------------------------

  private endEpoch(epoch: bigint, h: bigint): EpochOutcome {
    const p = this.params;
    this.flush();
    const rec = this.epochs.get(epoch)!;
    // The voter bonus released during the epoch.
    const amount = this.bonusPending;
    let paid = 0n;
    const K = BigInt(rec.keys.length);
    if (amount > 0n && K > 0n) {
      const seed =
        this.bonusSeedAt >= epochBounds(epoch, p).first ? this.bonusSeed : this.source.mix(h);
      const drawn = bonusDraw(seed, K);
      rec.keys.forEach((key, k) => {
        const c = this.byKey.get(toHex(key));
        if (!c || c.totalWeight === 0n) return;
        const due = bonusDue(amount, K, BigInt(k), drawn);
        const a = share(c, due, c.totalWeight);
        c.acc = a.acc;
        c.rem = a.rem;
        paid += due;
      });
    }
    this.bonusPool -= paid;
    this.rewardPool += paid;
    this.bonusReleased -= amount - paid;
    this.bonusPending = 0n;
    this.lastEpochProposer = this.lastProposer;
    const flows = this.epochFlows;
    this.epochFlows = emptyFlows();

    // Turns of the epoch into each validator's performance window.
    rec.keys.forEach((key, i) => {
      const c = this.byKey.get(toHex(key));
      if (!c || (this.turnsN[i] ?? 0) === 0) return;
      const window = c.perf.filter((e) => e.epoch + p.perfWindowEpochs > epoch);
      window.push({ epoch, m: BigInt(this.turnsM[i]!), n: BigInt(this.turnsN[i]!) });
      c.perf = window;
    });
    this.turnsM = [];
    this.turnsN = [];

    // Halving behind the producers, the election of epoch + 2, the next validators' refresh.
    const producers = [...this.produced].sort((a, b) => compareBytes(a.operator, b.operator));
    this.produced = new Set();
    for (const c of producers) this.halve(c, h);
    const weights = this.weigh(epoch, h, rec);
    let elected: SimCandidate[] | null = null;
    if (weights.length > 0) {
      const result = elect({
        candidates: weights.map((w) => ({ address: w.candidate.operator, weight: w.R })),
        rankedSeats: Number(p.rankedSeats),
        lotterySeats: Number(p.lotterySeats),
        seed: this.source.mix(h),
      });
      if (result.validators.length > 0)
        elected = result.validators.map((op) => this.byOperator.get(toHex(op))!);
    }
    const next = this.epochs.get(epoch + 1n);
    this.epochs.set(
      epoch + 2n,
      elected
        ? { operators: elected, keys: elected.map((c) => c.key), seed: this.source.mix(h) }
        : (next ?? rec),
    );
    this.epochs.delete(epoch - 1n);
    const coming = next ?? rec;
    const seen = new Set<SimCandidate>();
    for (const c of coming.operators) {
      if (seen.has(c)) continue;
      seen.add(c);
      this.refresh(c, h);
    }
    return {
      epoch,
      height: h,
      supply: this.supply,
      totalLocked: this.totalLocked,
      minted: flows.minted,
      mintedTotal: this.mintedTotal,
      toStakers: flows.toStakers,
      commission: flows.commission,
      toVoters: flows.toVoters,
      bonusReleased: flows.bonusReleased,
      bonusPaid: paid,
      burned: flows.burned,
      treasury: this.treasury,
      bonusPool: this.bonusPool,
      rewardPool: this.rewardPool,
      stakeAcc: this.stakeAcc,
      validators: rec.operators,
      elected,
      weights,
    };
  }

  /** weighCandidates of the staking hooks, over cohorts. */
  private weigh(epoch: bigint, h: bigint, current: EpochRecordSim) {
    const p = this.params;
    let sum = 0n;
    let count = 0n;
    for (const c of current.operators) {
      const { m, n } = this.turnsOf(c, epoch);
      sum += performance(m, n, SCALE);
      count++;
    }
    const newcomer = count === 0n ? SCALE : sum / count;
    const out: EpochOutcome['weights'] = [];
    for (const c of this.candidates) {
      if (!c.deposit || c.deposit.amount < p.candidateDeposit) continue;
      let votes = 0n;
      let X: bigint;
      if (p.concaveOn === CONCAVE_ON_LOCK) {
        const xs: bigint[] = [];
        for (const l of [...c.locks].sort((a, b) => (a.id < b.id ? -1 : 1))) {
          const x = lockWeight(l.amount, timeGain(h - this.sinceOf(l), p));
          xs.push(x);
          votes += x;
        }
        X = candidateWeight(xs, p);
      } else {
        for (const k of c.cohorts.values()) votes += lockWeight(k.amount, timeGain(h - k.since, p));
        // The same votes weigh the same: a candidate whose votes did not change (all at tMax,
        // nothing moved) needs no new power.
        if (c.weighed?.votes !== votes) c.weighed = { votes, X: candidateWeight([votes], p) };
        X = c.weighed.X;
      }
      const { m, n } = this.turnsOf(c, epoch);
      const v = performance(m, n, newcomer);
      out.push({ candidate: c, votes, X, v, R: electionWeight(v, X) });
    }
    return out;
  }

  private turnsOf(c: SimCandidate, epoch: bigint) {
    let m = 0n;
    let n = 0n;
    for (const e of c.perf) {
      if (e.epoch + this.params.perfWindowEpochs > epoch) {
        m += e.m;
        n += e.n;
      }
    }
    return { m, n };
  }

  // ---- cohorts -----------------------------------------------------------------------------

  private root(k: Cohort): Cohort {
    let r = k;
    while (r.parent) r = r.parent;
    return r;
  }

  private rpuOf(k: Cohort, c: SimCandidate): bigint {
    let off = 0n;
    let r = k;
    while (r.parent) {
      off += r.offset;
      r = r.parent;
    }
    // Path compression: k now points at the root with the whole offset.
    if (k !== r) {
      k.parent = r;
      k.offset = off;
    }
    return off + r.rpuBase + r.t * (c.acc - r.accStart);
  }

  private cohortFor(c: SimCandidate, since: bigint, t: bigint): Cohort {
    const key = `${since}:${t}`;
    let k = c.cohorts.get(key);
    if (!k) {
      k = { since, t, amount: 0n, rpuBase: 0n, accStart: c.acc, parent: null, offset: 0n };
      c.cohorts.set(key, k);
    }
    return k;
  }

  /** Re-files a candidate's cohorts after their `since` or `t` changed, merging equal ones. */
  private refile(c: SimCandidate, roots: Cohort[]): void {
    c.cohorts = new Map();
    for (const k of roots) {
      const key = `${k.since}:${k.t}`;
      const into = c.cohorts.get(key);
      if (!into) {
        c.cohorts.set(key, k);
        continue;
      }
      const rk = this.rpuOf(k, c);
      const ri = this.rpuOf(into, c);
      k.parent = into;
      k.offset = rk - ri;
      into.amount += k.amount;
    }
  }

  /** halveVotes: every lock of a producer has its age halved (weights change at its refresh). */
  private halve(c: SimCandidate, h: bigint): void {
    const roots = [...c.cohorts.values()];
    for (const k of roots) if (k.since < h) k.since = halvedSince(k.since, h, this.params);
    this.refile(c, roots);
  }

  /** refreshVoters: every lock of the candidate is settled and weighed anew (t at `h`). */
  private refresh(c: SimCandidate, h: bigint): void {
    const roots = [...c.cohorts.values()];
    let total = 0n;
    for (const k of roots) {
      k.rpuBase = this.rpuOf(k, c);
      k.accStart = c.acc;
      k.t = timeGain(h - k.since, this.params);
      total += lockWeight(k.amount, k.t);
    }
    c.totalWeight = total;
    this.refile(c, roots);
  }

  // ---- locks -------------------------------------------------------------------------------

  private unsettled(l: SimLock): bigint {
    let due = (l.amount * (this.stakeAcc - l.stakeSnap)) / SCALE;
    if (l.cohort) due += (l.amount * (this.rpuOf(l.cohort, l.candidate!) - l.rpuSnap)) / SCALE;
    return due;
  }

  /** Settles a lock and takes it out of its cohort (the chain's detach). */
  private detach(l: SimLock): void {
    l.owed += this.unsettled(l);
    l.stakeSnap = this.stakeAcc;
    if (l.cohort) {
      const r = this.root(l.cohort);
      r.amount -= l.amount;
      l.candidate!.totalWeight -= lockWeight(l.amount, r.t);
      if (r.amount === 0n) {
        const key = `${r.since}:${r.t}`;
        const cohorts = l.candidate!.cohorts;
        if (cohorts.get(key) === r) cohorts.delete(key);
      }
      l.cohort = null;
    }
  }

  /** Puts a lock (already settled) into the cohort of its `since` with time gain `t` (attach). */
  private attach(l: SimLock, t: bigint): void {
    if (!l.candidate) return;
    const k = this.cohortFor(l.candidate, l.since, t);
    k.amount += l.amount;
    l.candidate.totalWeight += lockWeight(l.amount, t);
    l.cohort = k;
    l.rpuSnap = this.rpuOf(k, l.candidate);
  }

  /** The height a lock's age counts from (its cohort's, which halving moves). */
  sinceOf(l: SimLock): bigint {
    return l.cohort ? this.root(l.cohort).since : l.since;
  }

  /** A vote weighs only once it is older than the current epoch (RewardLedger.attach). */
  private weighs(since: bigint, h: bigint): boolean {
    return since < epochBounds(epochOf(h, this.params), this.params).first;
  }

  /** The time gain an attach with a new vote takes at `h`, 0 while the vote is this epoch's. */
  private attachGain(since: bigint, h: bigint): bigint {
    return this.weighs(since, h) ? timeGain(h - since, this.params) : 0n;
  }

  private current(): bigint {
    return this.height + 1n;
  }

  private votable(target: SimCandidate | undefined): SimCandidate {
    if (!target) throw new SimRevert('staking: not a candidate');
    if (!target.deposit || target.deposit.amount < this.params.candidateDeposit)
      throw new SimRevert('staking: candidate has withdrawn its deposit');
    return target;
  }

  private newLock(
    owner: number,
    amount: bigint,
    candidate: SimCandidate | null,
    isDeposit: boolean,
    since: bigint,
  ): SimLock {
    const l: SimLock = {
      id: this.nextLockId++,
      owner,
      amount,
      candidate,
      since,
      cohort: null,
      isDeposit,
      stakeSnap: this.stakeAcc,
      rpuSnap: 0n,
      owed: 0n,
    };
    this.locks.set(l.id, l);
    this.locksOf.set(owner, [...(this.locksOf.get(owner) ?? []), l.id]);
    const a = this.accounts[owner]!;
    a.balance -= amount;
    a.locked += amount;
    this.totalLocked += amount;
    if (candidate) candidate.locks.add(l);
    return l;
  }

  private addCandidate(
    account: number,
    key: Address,
    commissionBps: bigint,
    deposit: bigint,
    at: bigint,
  ): SimCandidate {
    const operator = this.accounts[account]!.address;
    const c: SimCandidate = {
      operator,
      hex: toHex(operator),
      key,
      account,
      commissionBps,
      deposit: null,
      acc: 0n,
      rem: 0n,
      totalWeight: 0n,
      cohorts: new Map(),
      locks: new Set(),
      perf: [],
      uptimePpm: 1_000_000,
      pending: 0n,
      commissionPaid: 0n,
    };
    this.byKey.set(toHex(key), c);
    this.byOperator.set(c.hex, c);
    this.candidates.push(c);
    this.candidates.sort((a, b) => compareBytes(a.operator, b.operator));
    const l = this.newLock(account, deposit, c, true, at);
    c.deposit = l;
    this.attach(l, this.attachGain(at, at));
    return c;
  }

  private own(owner: number, lockId: bigint): SimLock {
    const l = this.locks.get(lockId);
    if (!l || l.owner !== owner) throw new SimRevert(`staking: no lock ${lockId} of the sender`);
    return l;
  }

  /** Shares summed so far must not be shared over a total that a call is about to change. */
  private beforeCall(): bigint {
    this.flush();
    return this.current();
  }

  lock(owner: number, amount: bigint, candidate: Address | null): bigint {
    const h = this.beforeCall();
    const p = this.params;
    if (amount < p.minLock) throw new SimRevert(`staking: lock below minLock ${p.minLock}`);
    const target = candidate ? this.votable(this.candidateOf(candidate)) : null;
    if (BigInt(this.locksOf.get(owner)?.length ?? 0) >= p.maxLocksPerAccount)
      throw new SimRevert(`staking: at most ${p.maxLocksPerAccount} locks per account`);
    if (this.accounts[owner]!.balance < amount) throw new SimRevert('insufficient balance');
    const l = this.newLock(owner, amount, target, false, h);
    this.attach(l, this.attachGain(l.since, h));
    return l.id;
  }

  vote(owner: number, lockId: bigint, candidate: Address): void {
    const h = this.beforeCall();
    const l = this.own(owner, lockId);
    if (l.isDeposit) throw new SimRevert("staking: a candidate's deposit always votes for it");
    const target = this.votable(this.candidateOf(candidate));
    if (l.candidate === target)
      throw new SimRevert('staking: the lock already votes for this candidate');
    this.detach(l);
    l.candidate?.locks.delete(l);
    l.candidate = target;
    target.locks.add(l);
    l.since = h;
    this.attach(l, this.attachGain(h, h));
  }

  unvote(owner: number, lockId: bigint): void {
    const h = this.beforeCall();
    const l = this.own(owner, lockId);
    if (l.isDeposit) throw new SimRevert("staking: a candidate's deposit always votes for it");
    if (!l.candidate) throw new SimRevert('staking: the lock does not vote');
    this.detach(l);
    l.candidate.locks.delete(l);
    l.candidate = null;
    l.since = h;
  }

  /** Pays the lock's rewards; returns the amount. */
  claim(owner: number, lockId: bigint): bigint {
    this.beforeCall();
    const l = this.own(owner, lockId);
    const had = l.cohort ? this.root(l.cohort).t : 0n;
    l.since = this.sinceOf(l);
    this.detach(l);
    const paid = l.owed;
    this.pay(l);
    // The chain keeps the time gain of the lock's vote bucket: 0 for a vote no refresh has
    // weighed yet, whatever its age.
    this.attach(l, had);
    return paid;
  }

  unlock(owner: number, lockId: bigint): bigint {
    const h = this.beforeCall();
    const p = this.params;
    const l = this.own(owner, lockId);
    this.detach(l);
    const paid = l.owed;
    this.pay(l);
    this.totalLocked -= l.amount;
    l.candidate?.locks.delete(l);
    if (l.isDeposit) l.candidate!.deposit = null;
    this.locks.delete(l.id);
    this.locksOf.set(
      owner,
      this.locksOf.get(owner)!.filter((id) => id !== l.id),
    );
    const at = h + (l.isDeposit ? p.depositUnbondingBlocks : p.unbondingBlocks);
    const list = this.unbonding.get(at) ?? [];
    list.push({ owner, amount: l.amount });
    this.unbonding.set(at, list);
    if (this.nextRelease === null || at < this.nextRelease) this.nextRelease = at;
    return paid;
  }

  registerCandidate(
    account: number,
    key: Address,
    commissionBps: bigint,
    deposit: bigint,
  ): SimCandidate {
    const h = this.beforeCall();
    if (this.byOperator.has(toHex(this.accounts[account]!.address)))
      throw new SimRevert('staking: already a candidate');
    if (deposit < this.params.candidateDeposit)
      throw new SimRevert(
        `staking: deposit below candidateDeposit ${this.params.candidateDeposit}`,
      );
    if (this.byKey.has(toHex(key)))
      throw new SimRevert('staking: consensus key already registered');
    if (this.accounts[account]!.balance < deposit) throw new SimRevert('insufficient balance');
    return this.addCandidate(account, key, commissionBps, deposit, h);
  }

  private pay(l: SimLock): void {
    this.rewardPool -= l.owed;
    this.accounts[l.owner]!.balance += l.owed;
    l.owed = 0n;
  }

  private recordOf(keys: Address[], seed: Uint8Array): EpochRecordSim {
    return {
      keys,
      operators: keys.flatMap((k) => this.byKey.get(toHex(k)) ?? []),
      seed,
    };
  }

  /** Whether `h` ends an epoch. */
  isEpochEnd(h: bigint): boolean {
    return isEpochEnd(h, this.params);
  }
}

const ONE_BYTE = new Uint8Array(1);
const NONE = new Uint8Array(0);

function emptyFlows() {
  return {
    minted: 0n,
    toStakers: 0n,
    commission: 0n,
    toVoters: 0n,
    proposerFees: 0n,
    bonusReleased: 0n,
    burned: 0n,
  };
}
