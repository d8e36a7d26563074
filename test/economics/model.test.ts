/**
 * Lazy = eager (PROTOCOL §12.1, §12.3): random sequences of transfers, fees, lock, vote, unvote,
 * unlock, claim, setAutoCompound and blocks run on a state world and, side by side, on a naive
 * reference that pays every lock every block eagerly in exact rationals, as docs/economics.md
 * states the rules:
 *
 * - the stakers' part of the mint to every lock pro rata to its amount;
 * - the proposer's share: commission (rounded down) to the operator, the rest to the voters of
 *   its candidate that voted for it before the epoch began, pro rata to their weight x = t·T,
 *   T the lock's current amount and t its time gain taken at the refresh of the next epoch's
 *   validators' voters at an epoch's end (after the halving of the ages behind the epoch's
 *   producers); a vote cast during an epoch weighs 0 (t = 0) until that refresh; claims and
 *   compounding change T only; the refresh settles no lock (nothing is compounded there);
 * - at an epoch's end the released bonus: A/2 in K equal shares plus A/2 to the validator drawn
 *   with the mix after the epoch's first block revealed by another proposer than the previous
 *   epoch's last one, each to the voters that voted for it before the
 *   epoch began, pro rata to weight (a validator without them forfeits; release stops at the
 *   genesis pool and what is not paid is released again).
 *
 * The reference takes from the chain only what the owners received (balance moved by a claim or
 * an unlock, amount added by compounding) and the epoch's elected set; everything else it computes.
 *
 * Bound checked for every lock after every call and every block. A lock's rewards on the chain
 * (paid + compounded + pending) never exceed the exact eager total by more than ε, and fall short
 * by less than F + 2 units, where F counts the chain's roundings down for that lock: 2 per
 * settlement (its stake due and its vote due, the bonus included), and 2 for the pending view
 * itself. Settlements are the lock's own calls only: the chain keeps the vote reward per vote
 * bucket and unit of amount without rounding (src/economics/ledger.ts), so epoch ends add no
 * rounding to a lock, however many refreshes, halvings and bucket merges it went through. ε = 10^-3 unit covers the accumulators' carried remainders being divided by a changed
 * total (< amount·Σ S'/S·10^-36 ≈ 10^-10 units here; see accumulator.test.ts).
 */
import type { Address } from '../../src/primitives/types.js';
import fc from 'fast-check';
import { decodeFunctionResult } from 'viem';
import { describe, expect, it } from 'vitest';
import { bytesToBigint, concatBytes, fromHex, toHex } from '../../src/crypto/bytes.js';
import { keccak256 } from '../../src/crypto/keccak.js';
import { economicState } from '../../src/economics/block.js';
import { bonusPerBlock } from '../../src/economics/bonus.js';
import { perBlockRate } from '../../src/economics/inflation.js';
import type { ChainParams } from '../../src/params/registry.js';
import { pendingRewards, voteWeight } from '../../src/economics/ledger.js';
import { STAKING_REWARD_POOL, VOTER_BONUS_POOL } from '../../src/primitives/system-addresses.js';
import { STAKING_ABI } from '../../src/staking/abi.js';
import { epochBounds, epochOf, isEpochEnd } from '../../src/staking/epochs.js';

import { add, cmp, q, show, sub, ZERO_Q, type Q } from './rational.js';
import { ETM, makeWorld, TEST_PARAMS, ZERO, type AfterEconomics, type World } from './world.js';

const SCALE = 10n ** 36n;
const WAD = 10n ** 18n;
const EPS = q(1n, 1000n);
const TAG = new TextEncoder().encode('etm/voter-bonus');
const COMMISSIONS = [1000n, 0n, 2500n, 500n];

/** The yearly rate of block h: schedule entry ⌊(h − 1) / n⌋, the last one repeating. */
function rateOfYear(p: ChainParams, h: bigint): bigint {
  const y = Number((h - 1n) / p.blocksPerYear);
  return p.inflationSchedule[Math.min(y, p.inflationSchedule.length - 1)]!;
}

type Step =
  | { kind: 'block' }
  | { kind: 'transfer'; from: number; to: number; amount: bigint }
  | { kind: 'fee'; who: number; proposer: bigint; treasury: bigint; burned: bigint }
  | { kind: 'lock'; who: number; amount: bigint; cand: number }
  | { kind: 'vote'; lock: number; cand: number }
  | { kind: 'unvote'; lock: number }
  | { kind: 'unlock'; lock: number }
  | { kind: 'claim'; lock: number }
  | { kind: 'auto'; lock: number; on: boolean }
  | { kind: 'topUp'; cand: number; amount: bigint };

const stepArb: fc.Arbitrary<Step> = fc.oneof(
  { weight: 9, arbitrary: fc.constant({ kind: 'block' as const }) },
  {
    weight: 1,
    arbitrary: fc.record({
      kind: fc.constant('transfer' as const),
      from: fc.nat(6),
      to: fc.nat(6),
      amount: fc.bigInt({ min: 1n, max: 100n * ETM }),
    }),
  },
  {
    weight: 1,
    arbitrary: fc.record({
      kind: fc.constant('fee' as const),
      who: fc.nat(6),
      proposer: fc.bigInt({ min: 0n, max: 3n * ETM }),
      treasury: fc.bigInt({ min: 0n, max: ETM }),
      burned: fc.bigInt({ min: 0n, max: ETM }),
    }),
  },
  {
    weight: 5,
    arbitrary: fc.record({
      kind: fc.constant('lock' as const),
      who: fc.nat(6),
      amount: fc.bigInt({ min: ETM, max: 300n * ETM }),
      cand: fc.nat(4),
    }),
  },
  {
    weight: 2,
    arbitrary: fc.record({ kind: fc.constant('vote' as const), lock: fc.nat(), cand: fc.nat(3) }),
  },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('unvote' as const), lock: fc.nat() }) },
  { weight: 2, arbitrary: fc.record({ kind: fc.constant('unlock' as const), lock: fc.nat() }) },
  { weight: 3, arbitrary: fc.record({ kind: fc.constant('claim' as const), lock: fc.nat() }) },
  {
    weight: 2,
    arbitrary: fc.record({ kind: fc.constant('auto' as const), lock: fc.nat(), on: fc.boolean() }),
  },
  {
    weight: 1,
    arbitrary: fc.record({
      kind: fc.constant('topUp' as const),
      cand: fc.nat(3),
      amount: fc.bigInt({ min: ETM, max: 5n * ETM }),
    }),
  },
);

interface RefLock {
  id: bigint;
  owner: Address;
  amount: bigint;
  candidate: string | null;
  since: bigint;
  auto: boolean;
  /** Time gain taken at the vote or the epoch's start, and the vote weight x = t·T. */
  t: bigint;
  weight: bigint;
  /** Exact eager total earned since the lock opened. */
  exact: Q;
  /** Paid to the balance or compounded so far (from the chain). */
  out: bigint;
  /** Roundings down the chain made for this lock. */
  floors: bigint;
  openedAt: bigint;
  /**
   * The eager per-lock reference (the ledger before vote buckets carried the rewards): every
   * lock settled, rounding down, at each of its touches and at each refresh of its candidate.
   * `eager` is what it settled so far; `eagerStake`/`eagerVote` its snapshots of the chain's
   * accumulators; `refreshes` the refreshes it went through.
   */
  eager: bigint;
  eagerStake: bigint;
  eagerVote: bigint;
  refreshes: bigint;
}

/** The eager reference next to a world. */
class Reference {
  readonly locks = new Map<bigint, RefLock>();
  B: bigint;
  carry = 0n;
  minted = 0n;
  burned = 0n;
  bonusPool: bigint;
  bonusCap: bigint;
  bonusPending = 0n;
  bonusReleased = 0n;
  bonusSeed: Uint8Array = new Uint8Array(32);
  seedAt = 0n;
  lastProposer = '';
  produced = new Set<string>();
  readonly keyToOp = new Map<string, string>();
  readonly commission = new Map<string, bigint>();
  /** Checks where the lazy ledger was above the eager reference (its roundings saved). */
  lazyAbove = 0;

  constructor(readonly w: World) {
    this.B = w.genesisSupply;
    this.bonusPool = w.balance(VOTER_BONUS_POOL);
    this.bonusCap = this.bonusPool;
    w.keys.forEach((k, i) => this.keyToOp.set(toHex(k), toHex(w.ops[i]!)));
    w.ops.forEach((op, i) => this.commission.set(toHex(op), COMMISSIONS[i]!));
    for (const id of [1n, 2n, 3n, 4n]) {
      const l = w.store.locks.getLock(id)!;
      this.locks.set(id, {
        id,
        owner: l.owner,
        amount: l.amount,
        candidate: toHex(l.candidate!),
        since: 0n,
        auto: false,
        t: 1n,
        weight: l.amount,
        exact: ZERO_Q,
        out: 0n,
        floors: 0n,
        openedAt: 0n,
        eager: 0n,
        eagerStake: 0n,
        eagerVote: 0n,
        refreshes: 0n,
      });
    }
  }

  get S(): bigint {
    let s = 0n;
    for (const l of this.locks.values()) s += l.amount;
    return s;
  }

  sorted(): RefLock[] {
    return [...this.locks.values()].sort((a, b) => (a.id < b.id ? -1 : 1));
  }

  t(age: bigint): bigint {
    const p = this.w.params;
    const t = 1n + (age < 0n ? 0n : age / p.blocksPerDay);
    return t < p.tMax ? t : p.tMax;
  }

  /**
   * Takes the time gain now (a vote, an epoch's start). A vote weighs only if cast before
   * `votedBefore`: the first block of the epoch being weighed.
   */
  reweigh(l: RefLock, height: bigint, votedBefore: bigint): void {
    l.t = l.candidate !== null && l.since < votedBefore ? this.t(height - l.since) : 0n;
    this.rescale(l);
  }

  /** Keeps the time gain (0 until the vote is weighed); the weight follows the amount. */
  rescale(l: RefLock): void {
    l.weight = l.amount * l.t;
  }

  /** The block's economics, eagerly; checks the chain's outputs against it. */
  economics(b: AfterEconomics, proposerFees: bigint, burned: bigint): void {
    const p = this.w.params;
    const e = b.economics;
    expect(economicState(this.w.state).totalLocked).toBe(this.S);
    // 1. Mint.
    const x = this.B * perBlockRate(rateOfYear(p, b.height), p.blocksPerYear) + this.carry;
    const minted = x / SCALE;
    this.carry = x % SCALE;
    expect(e.minted).toBe(minted);
    this.minted += minted;
    this.burned += burned;
    this.B += minted - burned;
    const proposerPart = (minted * p.validatorInflationShare) / WAD;
    const stakers = minted - proposerPart;
    const S = this.S;
    if (S > 0n)
      for (const l of this.locks.values()) l.exact = add(l.exact, q(stakers * l.amount, S));
    // 2. The proposer's share.
    const total = proposerPart + proposerFees;
    const op = this.keyToOp.get(toHex(b.coinbase));
    let toVoters = 0n;
    if (op !== undefined) {
      const rest = total - (total * this.commission.get(op)!) / 10_000n;
      const voters = [...this.locks.values()].filter((l) => l.candidate === op);
      const W = voters.reduce((s, l) => s + l.weight, 0n);
      if (W > 0n) {
        toVoters = rest;
        for (const l of voters) l.exact = add(l.exact, q(rest * l.weight, W));
      }
    }
    expect(e.voters).toBe(toVoters);
    expect(e.commission).toBe(total - toVoters);
    // 3. The bonus: the seed of an epoch's draw is the mix after its first block revealed by
    // another proposer than the previous epoch's last one (else the epoch's last mix); release
    // stops at the genesis pool; what an epoch's payout leaves is released again.
    const first = epochBounds(epochOf(b.height, p), p).first;
    if (this.seedAt < first && b.reveal.length > 0 && toHex(b.coinbase) !== this.lastProposer) {
      this.bonusSeed = b.mix;
      this.seedAt = b.height;
    }
    const offered = bonusPerBlock(b.height, p.bonusScheduleDivisor);
    const avail = this.bonusCap - this.bonusReleased;
    const released = offered < avail ? offered : avail;
    expect(e.bonusReleased).toBe(released);
    this.bonusPending += released;
    this.bonusReleased += released;
    if (!isEpochEnd(b.height, p)) {
      expect(e.bonusPaid).toBe(0n);
      return;
    }
    const A = this.bonusPending;
    const K = BigInt(b.validators.length);
    let paid = 0n;
    if (A > 0n && K > 0n) {
      const seed = this.seedAt >= first ? this.bonusSeed : b.mix;
      const drawn = bytesToBigint(keccak256(concatBytes(seed, TAG))) % K;
      b.validators.forEach((key, k) => {
        const vop = this.keyToOp.get(toHex(key));
        if (vop === undefined) return;
        const due = A / 2n / K + (BigInt(k) === drawn ? A / 2n : 0n);
        // The voters the proposer's share goes to: voting for it since before the epoch.
        const eligible = [...this.locks.values()].filter(
          (l) => l.candidate === vop && l.weight > 0n,
        );
        const T = eligible.reduce((s, l) => s + l.weight, 0n);
        if (T === 0n) return; // forfeited: stays in the pool
        paid += due;
        for (const l of eligible) l.exact = add(l.exact, q(due * l.weight, T));
      });
    }
    // Paid whole into the voter accumulators: the locks' roundings come at settlement.
    expect(e.bonusPaid).toBe(paid);
    this.bonusPool -= paid;
    this.bonusReleased -= A - paid;
    this.bonusPending = 0n;
    this.lastProposer = toHex(b.coinbase);
  }

  /** The staking hooks' part: the halving behind producers, the refresh of the next voters. */
  staking(b: AfterEconomics, amountsBefore: Map<bigint, bigint>): void {
    const p = this.w.params;
    const op = this.keyToOp.get(toHex(b.coinbase));
    if (op !== undefined) this.produced.add(op);
    if (!isEpochEnd(b.height, p)) return;
    // The age, capped at (tMax − 1)·blocksPerDay, is halved.
    const cap = (p.tMax - 1n) * p.blocksPerDay;
    for (const l of this.locks.values()) {
      if (l.candidate === null || !this.produced.has(l.candidate)) continue;
      const age = b.height - l.since;
      if (age > 0n) l.since = b.height - (age < cap ? age : cap) / 2n;
    }
    this.produced = new Set();
    const coming = new Set<string>(
      this.w.store.elections.epochRecord(epochOf(b.height, p) + 1n)!.operators.map((o) => toHex(o)),
    );
    // The refresh re-weighs the voters without settling them: no lock is touched or compounded.
    for (const l of this.locks.values()) {
      expect(this.w.store.locks.getLock(l.id)!.amount).toBe(amountsBefore.get(l.id));
      if (l.candidate === null || !coming.has(l.candidate)) continue;
      this.eagerSettle(l);
      l.refreshes++;
      this.reweigh(l, b.height, b.height + 1n);
    }
  }

  /** A settlement on the chain: `paid` went to the balance, `comp` into the lock. */
  touched(l: RefLock, paid: bigint, comp: bigint): void {
    expect(paid >= 0n && comp >= 0n && (paid === 0n || comp === 0n)).toBe(true);
    if (comp > 0n) expect(l.auto).toBe(true);
    l.floors += 2n;
    l.out += paid + comp;
    l.amount += comp;
    this.checkLock(
      l,
      this.w.store.locks.getLock(l.id)
        ? pendingRewards(this.w.state, this.w.store.locks.getLock(l.id)!)
        : 0n,
    );
  }

  /** What the eager reference would settle for the lock now, with the chain's accumulators. */
  eagerDue(l: RefLock): bigint {
    const stake = economicState(this.w.state).stakeAcc;
    let due = (l.amount * (stake - l.eagerStake)) / SCALE;
    if (l.candidate !== null) {
      const acc = this.w.rewards.candidateRewards(fromHex(l.candidate)).acc;
      due += (l.weight * (acc - l.eagerVote)) / SCALE;
    }
    return due;
  }

  eagerSettle(l: RefLock): void {
    l.eager += this.eagerDue(l);
    this.eagerSnap(l);
  }

  eagerSnap(l: RefLock): void {
    l.eagerStake = economicState(this.w.state).stakeAcc;
    l.eagerVote =
      l.candidate === null ? 0n : this.w.rewards.candidateRewards(fromHex(l.candidate)).acc;
  }

  checkLock(l: RefLock, pending: bigint): void {
    // Against the eager per-lock reference: never less, and more by at most its extra roundings
    // (a stake and a vote rounding per refresh the lock went through).
    const lazy = l.out + pending;
    const eager = l.eager + this.eagerDue(l);
    const gap = `lock ${l.id}: lazy ${lazy}, eager ${eager}, refreshes ${l.refreshes}`;
    expect(lazy >= eager, gap).toBe(true);
    expect(lazy - eager <= 2n * l.refreshes, gap).toBe(true);
    if (lazy > eager) this.lazyAbove++;
    const chain = q(l.out + pending);
    const what = `lock ${l.id}: chain ${l.out}+${pending}, exact ${show(l.exact)}, floors ${l.floors}`;
    expect(cmp(chain, add(l.exact, EPS)) <= 0, `over: ${what}`).toBe(true);
    expect(cmp(chain, sub(l.exact, q(l.floors + 2n))) > 0, `under: ${what}`).toBe(true);
  }

  /** Everything after a block. */
  checkAll(): void {
    const w = this.w;
    const e = economicState(w.state);
    expect(e.supply).toBe(this.B);
    expect(e.supply).toBe(w.genesisSupply + this.minted - this.burned);
    expect(e.minted).toBe(this.minted);
    expect(w.holdings()).toBe(e.supply); // conservation
    expect(e.totalLocked).toBe(this.S);
    expect(w.balance(VOTER_BONUS_POOL)).toBe(this.bonusPool);
    expect(e.bonusPending).toBe(this.bonusPending);
    expect(e.bonusReleased).toBe(this.bonusReleased);
    const weights = new Map<string, bigint>();
    let claimable = 0n;
    for (const l of this.locks.values()) {
      const c = w.store.locks.getLock(l.id)!;
      expect(c.amount).toBe(l.amount);
      expect(c.since).toBe(l.since);
      expect(c.candidate === null ? null : toHex(c.candidate)).toBe(l.candidate);
      const r = w.rewards.lockRewards(l.id);
      expect(voteWeight(w.state, c), `weight of lock ${l.id}`).toBe(l.weight);
      expect(r.autoCompound).toBe(l.auto);
      if (l.candidate) weights.set(l.candidate, (weights.get(l.candidate) ?? 0n) + l.weight);
      const p = pendingRewards(w.state, c);
      claimable += p;
      this.checkLock(l, p);
      // The view the contract exposes says the same.
      const view = w.call(l.owner, 'getRewards', [l.id])!;
      const [viewPending, viewAuto] = decodeFunctionResult({
        abi: STAKING_ABI,
        functionName: 'getRewards',
        data: toHex(view.returnData),
      }) as readonly [bigint, boolean];
      expect([viewPending, viewAuto]).toEqual([p, l.auto]);
    }
    // Solvency: the reward pool holds everything the locks can claim (the rest is dust).
    expect(claimable <= w.balance(STAKING_REWARD_POOL)).toBe(true);
    for (const op of w.ops) {
      expect(w.rewards.candidateRewards(op).totalWeight).toBe(weights.get(toHex(op)) ?? 0n);
    }
  }
}

interface RunStats {
  calls: number;
  blocks: number;
  epochEnds: number;
  bonusPaid: bigint;
  sameBlockUnlocks: number;
  compounded: number;
  paidOut: number;
  toppedUp: number;
  /** Checks where the lazy ledger kept a unit the eager reference rounded away. */
  lazyAboveEager: number;
}

function run(steps: Step[], bonusPool: bigint, stats: RunStats): void {
  const w = makeWorld({
    params: TEST_PARAMS,
    candidates: COMMISSIONS.map((c) => ({ commissionBps: c, deposit: 10n * ETM })),
    users: [1_000n * ETM, 1_000n * ETM, 1_000n * ETM],
    bonusPool,
  });
  const ref = new Reference(w);
  const accounts = [...w.users, ...w.ops];
  let fees = { proposer: 0n, burned: 0n };
  const pick = (i: number): RefLock | undefined => {
    const all = ref.sorted();
    return all.length === 0 ? undefined : all[i % all.length];
  };
  const cand = (i: number) => (i < 4 ? w.ops[i]! : ZERO);

  /** Calls the contract on a lock; syncs what the owner received. */
  const onLock = (
    l: RefLock,
    fn: string,
    args: unknown[],
    after: (l: RefLock) => void,
    value = 0n,
  ) => {
    const bal = w.balance(l.owner);
    const unb = w.store.locks.unbondingOf(l.owner).length;
    const eagerBefore = { eager: l.eager, stake: l.eagerStake, vote: l.eagerVote };
    ref.eagerSettle(l);
    if (!w.call(l.owner, fn, args, value)) {
      Object.assign(l, {
        eager: eagerBefore.eager,
        eagerStake: eagerBefore.stake,
        eagerVote: eagerBefore.vote,
      });
      return;
    }
    stats.calls++;
    const chain = w.store.locks.getLock(l.id);
    let amount: bigint;
    if (chain) amount = chain.amount;
    else {
      const entries = w.store.locks.unbondingOf(l.owner);
      expect(entries.length).toBe(unb + 1);
      amount = entries[entries.length - 1]!.amount;
    }
    const paid = w.balance(l.owner) - bal + value;
    const comp = amount - l.amount - value;
    if (comp > 0n) stats.compounded++;
    if (paid > 0n) stats.paidOut++;
    if (fn === 'topUpDeposit') stats.toppedUp++;
    if (!chain) ref.locks.delete(l.id);
    if (!chain && l.openedAt === w.height() + 1n) {
      // Created and unlocked in one block: nothing earned.
      expect(paid + comp).toBe(0n);
      stats.sameBlockUnlocks++;
    }
    ref.touched(l, paid, comp);
    after(l);
    ref.eagerSnap(l);
  };

  for (const s of steps) {
    const h = w.height() + 1n; // the height of the block the calls go into
    const votedBefore = epochBounds(epochOf(h, w.params), w.params).first;
    switch (s.kind) {
      case 'block': {
        const before = new Map<bigint, bigint>();
        const out = w.block({
          proposerFees: fees.proposer,
          burned: fees.burned,
          afterEconomics: (b) => {
            ref.economics(b, fees.proposer, fees.burned);
            for (const l of ref.locks.values())
              before.set(l.id, w.store.locks.getLock(l.id)!.amount);
          },
        });
        ref.staking(
          {
            height: out.height,
            coinbase: out.coinbase,
            validators: out.validators,
            reveal: out.reveal,
            mix: out.mix,
            economics: out.economics,
          },
          before,
        );
        fees = { proposer: 0n, burned: 0n };
        stats.blocks++;
        if (isEpochEnd(out.height, w.params)) stats.epochEnds++;
        stats.bonusPaid += out.economics.bonusPaid;
        ref.checkAll();
        break;
      }
      case 'transfer':
        w.transfer(accounts[s.from]!, accounts[s.to]!, s.amount);
        break;
      case 'fee':
        if (w.payFee(accounts[s.who]!, s.proposer, s.treasury, s.burned)) {
          fees = { proposer: fees.proposer + s.proposer, burned: fees.burned + s.burned };
        }
        break;
      case 'lock': {
        const owner = accounts[s.who]!;
        const r = w.call(owner, 'lock', [s.amount, toHex(cand(s.cand))]);
        if (!r) break;
        stats.calls++;
        const id = w.lockIdOf(r);
        const l: RefLock = {
          id,
          owner,
          amount: s.amount,
          candidate: s.cand < 4 ? toHex(cand(s.cand)) : null,
          since: h,
          auto: false,
          t: 0n,
          weight: 0n,
          exact: ZERO_Q,
          out: 0n,
          floors: 0n,
          openedAt: h,
          eager: 0n,
          eagerStake: economicState(w.state).stakeAcc,
          eagerVote: s.cand < 4 ? w.rewards.candidateRewards(cand(s.cand)).acc : 0n,
          refreshes: 0n,
        };
        ref.reweigh(l, h, votedBefore);
        ref.locks.set(id, l);
        break;
      }
      case 'vote': {
        const l = pick(s.lock);
        if (!l) break;
        onLock(l, 'vote', [l.id, toHex(cand(s.cand))], (x) => {
          x.candidate = toHex(cand(s.cand));
          x.since = h;
          ref.reweigh(x, h, votedBefore);
        });
        break;
      }
      case 'unvote': {
        const l = pick(s.lock);
        if (!l) break;
        onLock(l, 'unvote', [l.id], (x) => {
          x.candidate = null;
          x.since = h;
          ref.reweigh(x, h, votedBefore);
        });
        break;
      }
      case 'unlock': {
        const l = pick(s.lock);
        if (!l) break;
        onLock(l, 'unlock', [l.id], () => undefined);
        break;
      }
      case 'claim': {
        const l = pick(s.lock);
        if (!l) break;
        onLock(l, 'claim', [l.id], (x) => ref.rescale(x));
        break;
      }
      case 'topUp': {
        // A candidate adds to its deposit lock: its age restarts, like a new vote's.
        const op = w.ops[s.cand]!;
        const l = ref.locks.get(w.store.candidates.getCandidate(op)!.depositLockId);
        if (!l) break;
        onLock(
          l,
          'topUpDeposit',
          [],
          (x) => {
            x.amount += s.amount;
            x.since = h;
            ref.reweigh(x, h, votedBefore);
          },
          s.amount,
        );
        break;
      }
      case 'auto': {
        const l = pick(s.lock);
        if (!l) break;
        onLock(l, 'setAutoCompound', [l.id, s.on], (x) => {
          x.auto = s.on;
          ref.rescale(x);
        });
        break;
      }
    }
  }
  stats.lazyAboveEager += ref.lazyAbove;
}

describe('lazy rewards = an eager exact reference', () => {
  it('random histories of transfers, fees, locks, votes, claims, compounding and blocks', () => {
    const stats: RunStats = {
      calls: 0,
      blocks: 0,
      epochEnds: 0,
      bonusPaid: 0n,
      sameBlockUnlocks: 0,
      compounded: 0,
      paidOut: 0,
      toppedUp: 0,
      lazyAboveEager: 0,
    };
    fc.assert(
      fc.property(
        fc.array(stepArb, { minLength: 20, maxLength: 60 }),
        fc.bigInt({ min: 0n, max: 60n * ETM }),
        (steps, pool) => run(steps, pool, stats),
      ),
      { seed: 7301, numRuns: 40 },
    );
    // The runs did exercise the rules.
    expect(stats.blocks).toBeGreaterThan(300);
    expect(stats.epochEnds).toBeGreaterThan(40);
    expect(stats.calls).toBeGreaterThan(300);
    expect(stats.bonusPaid > 0n).toBe(true);
    expect(stats.sameBlockUnlocks).toBeGreaterThan(0);
    expect(stats.compounded).toBeGreaterThan(10);
    expect(stats.paidOut).toBeGreaterThan(50);
    expect(stats.toppedUp).toBeGreaterThan(5);
    expect(stats.lazyAboveEager).toBeGreaterThan(0);
  });
});
