/**
 * Staking records in the storage of the staking system account, so that they are part of the
 * state root like any contract's storage. Each record is one storage value, RLP-encoded, under
 * `keccak256(RLP [tag, …key parts])`:
 *
 *   ['global']              [nextLockId]
 *   ['lock', id]            [owner, amount, candidate | empty, since, voteIndex, isDeposit]
 *   ['locksOf', owner]      [lockId…]                        (at most maxLocksPerAccount)
 *   ['cand', operator]      candidate record (see encodeCandidate)
 *   ['candKey', key]        operator of a consensus key
 *   ['candName', name]      operator of a name
 *   ['cands']               [operator…] ascending
 *   ['switches', e]         [operator…] ascending: candidates whose pending key / RANDAO change
 *                           takes effect at the first block of epoch e
 *   ['votesN', operator]    number of locks voting for the candidate
 *   ['votesAt', operator, i] lock id at position i (swap-remove keeps positions dense)
 *   ['bktN', operator]      number of the candidate's vote buckets
 *   ['bktPage', operator, p] [[since, Σ amount, count]…]: the buckets at positions 32p … 32p+31,
 *                           one per distinct `since` of the locks voting for the candidate
 *                           (swap-remove keeps positions dense)
 *   ['bktOf', operator, since] position of that bucket
 *   ['unbOf', owner]        [[amount, releaseHeight]…]
 *   ['unbAt', height]       [[owner, amount]…] released at that height
 *   ['perf', operator]      [[epoch, m, n]…] the last perfWindowEpochs epochs with turns
 *   ['epoch', e]            election record of epoch e (see EpochRecord)
 *   ['produced', e]         [operator…] ascending: candidates that produced a block in epoch e
 *   ['econ']                economic totals and accumulators (see EconomicState)
 *   ['lockEcon', id]        a lock's rewards bookkeeping (see LockRewards)
 *   ['candEcon', operator]  a candidate's voter accumulator and total vote weight
 *
 * Every list is bounded or indexed, so no operation rewrites a record that grows with the number
 * of locks.
 *
 * The vote buckets aggregate a candidate's votes by the height their age counts from, so that
 * weighing a candidate reads one record per 32 distinct `since` values instead of two records
 * per lock; a page holds at most 32 buckets, so no record grows with the number of locks. Only
 * putLock and deleteLock maintain them, from the difference between the stored lock and the
 * new one, so every writer of locks keeps them exact.
 */
import { asBytes, asList, asUint, DecodeError, rlpDecode, rlpEncode } from '../codec/rlp.js';
import {
  rlpBytesLength,
  rlpListHeaderLength,
  rlpUintLength,
  writeRlpBytes,
  writeRlpListHeader,
  writeRlpUint,
} from '../codec/rlp-writer.js';
import { compareBytes, equalBytes, toHex } from '../crypto/bytes.js';
import { keccak256 } from '../crypto/keccak.js';
import type { StateDB } from '../state/state-db.js';
import type { Address } from '../primitives/types.js';
import { STAKING_ADDRESS } from '../primitives/system-addresses.js';

export interface Lock {
  id: bigint;
  owner: Address;
  amount: bigint;
  /** Operator address of the candidate it votes for, or null. */
  candidate: Address | null;
  /** Height the lock's age counts from (reset by a vote change, moved forward by halvings). */
  since: bigint;
  /** Position in the candidate's vote index (meaningless without a candidate). */
  voteIndex: bigint;
  /** The self-lock a candidate registered with: it always votes for its candidate. */
  isDeposit: boolean;
}

export const STATUS_ACTIVE = 0;
export const STATUS_JAILED = 1;
export const STATUS_TOMBSTONED = 2;

export interface Candidate {
  operator: Address;
  consensusKey: Address;
  name: string;
  depositLockId: bigint;
  commissionBps: bigint;
  commissionMaxBps: bigint;
  /** Epoch of the last commission change (registration counts). */
  commissionEpoch: bigint;
  status: number;
  jailedUntilEpoch: bigint;
  /** The last revealed RANDAO preimage, initially the registered commitment. */
  randaoLast: Uint8Array;
  /** Reveals made since the commitment: the next reveal is the onion's layer at this index. */
  randaoReveals: bigint;
  registeredAt: bigint;
  /** Layers of the current commitment's onion: after this many reveals it is exhausted. */
  randaoLayers: bigint;
  /** Commitments made before the current one (0 for the registered one). */
  randaoGeneration: bigint;
  /** A consensus key and RANDAO commitment taking effect at the first block of `epoch`. */
  pending: PendingSwitch | null;
}

/** A change of a candidate's consensus key and RANDAO commitment, announced ahead. */
export interface PendingSwitch {
  consensusKey: Address;
  commitment: Uint8Array;
  layers: bigint;
  /** The epoch from whose first block it applies. */
  epoch: bigint;
}

/** The votes for a candidate whose locks share one `since`. */
export interface VoteBucket {
  since: bigint;
  /** Σ amount of those locks. */
  amount: bigint;
  /** Number of those locks. */
  count: bigint;
}

export interface PerfEntry {
  epoch: bigint;
  /** Turns whose proposal was committed. */
  m: bigint;
  /** Turns given. */
  n: bigint;
}

export interface DrawRecord {
  address: Address;
  w: bigint;
  W: bigint;
}

/** What an election decided for one epoch, kept for `etm_getElection`. */
export interface EpochRecord {
  /** Consensus keys in proposer order. */
  validators: Address[];
  /** Operators in the same order (empty for genesis validators without a candidacy). */
  operators: Address[];
  /** The RANDAO seed the election used (zero for the genesis epochs). */
  seed: Uint8Array;
  ranked: Address[];
  drawn: DrawRecord[];
  /** Seated without weight because fewer than K candidates had any. */
  filled: Address[];
  /** Height of the block whose state transition ran the election (0 for genesis). */
  electedAt: bigint;
}

/** Economic totals of the chain (PROTOCOL §2 "global economic state", §7). */
export interface EconomicState {
  /** Total supply B: every balance, lock, unbonding entry and system account. */
  supply: bigint;
  /** Total locked S: the amounts of all locks (unbonding entries excluded). */
  totalLocked: bigint;
  /** Fraction of a unit of mint carried to the next block (10^-36 units). */
  mintCarry: bigint;
  /** Staking reward per locked unit, scaled by 10^36, and its division remainder. */
  stakeAcc: bigint;
  stakeRem: bigint;
  /** Bonus released from the pool since the last epoch payout, not yet paid. */
  bonusPending: bigint;
  /**
   * Bonus released since genesis and not returned: paid, or pending. What an epoch's payout
   * leaves (forfeits, odd units) is subtracted again, so it is never counted twice.
   */
  bonusReleased: bigint;
  /** Units minted since genesis. */
  minted: bigint;
  /** Units minted by the last block. */
  lastMinted: bigint;
  /** The most the bonus pool ever releases: its genesis balance (value sent to it later is not). */
  bonusCap: bigint;
  /**
   * Seed of the epoch's bonus draw (32 bytes): the RANDAO mix after its first block that carries
   * a reveal by another proposer than the previous epoch's last block's; taken at `bonusSeedAt`.
   */
  bonusSeed: Uint8Array;
  bonusSeedAt: bigint;
  /** The proposer (consensus key) of the last block of the previous epoch; empty at genesis. */
  lastEpochProposer: Uint8Array;
}

/** A lock's reward bookkeeping. */
export interface LockRewards {
  autoCompound: boolean;
  /** stakeAcc when the lock was last settled. */
  stakeSnap: bigint;
  /** The time gain t taken with the weight (at the vote, or at the start of an epoch). */
  timeGain: bigint;
  /** The lock's vote weight x = t·T as its candidate's voters share rewards. */
  weight: bigint;
  /** Its candidate's voter accumulator when the lock was last settled. */
  voteSnap: bigint;
  /** Settled rewards not yet claimed (held by the staking reward pool). */
  owed: bigint;
}

/** A candidate's share of its proposer rewards among its voters (F1 style). */
export interface CandidateRewards {
  acc: bigint;
  rem: bigint;
  /** Σ weight over the locks voting for it. */
  totalWeight: bigint;
}

const enc = (x: string) => new TextEncoder().encode(x);
const dec = (b: Uint8Array) => new TextDecoder().decode(b);

/** RLP of each record tag, encoded once. */
const TAG_RLP = new Map<string, Uint8Array>();

/**
 * The storage slot of a record: keccak256(RLP [tag, …key parts]), written straight into one
 * buffer (the same bytes as rlpEncode; every staking operation computes several).
 */
export function slot(tag: string, ...parts: (Uint8Array | bigint)[]): Uint8Array {
  let tagRlp = TAG_RLP.get(tag);
  if (tagRlp === undefined) {
    tagRlp = rlpEncode(enc(tag));
    TAG_RLP.set(tag, tagRlp);
  }
  let payload = tagRlp.length;
  for (const p of parts) payload += typeof p === 'bigint' ? rlpUintLength(p) : rlpBytesLength(p);
  const out = new Uint8Array(rlpListHeaderLength(payload) + payload);
  let pos = writeRlpListHeader(out, 0, payload);
  out.set(tagRlp, pos);
  pos += tagRlp.length;
  for (const p of parts)
    pos = typeof p === 'bigint' ? writeRlpUint(out, pos, p) : writeRlpBytes(out, pos, p);
  return keccak256(out);
}

const optAddress = (b: Uint8Array): Address | null => (b.length === 0 ? null : b);
const u = (item: Parameters<typeof asUint>[0], what: string) => asUint(item, what);

/** Vote buckets per storage record: weighing reads a page, a lock change rewrites one or two. */
const BUCKETS_PER_PAGE = 32n;

/**
 * A `since` after halving at `height` (PROTOCOL §5): the age is capped at (tMax − 1)·blocksPerDay,
 * where t reaches tMax, then halved: height − ⌊min(age, cap) / 2⌋. Without the cap a lock older
 * than twice that would keep t = tMax after halving; with it t really halves (32 → 16 → 8 …).
 * Below the cap this is since + ⌈age / 2⌉. Monotone in `since`, so the order of locks by age
 * never changes.
 */
export function halvedSince(
  since: bigint,
  height: bigint,
  p: { tMax: bigint; blocksPerDay: bigint },
): bigint {
  const cap = (p.tMax - 1n) * p.blocksPerDay;
  const age = height - since;
  return height - (age < cap ? age : cap) / 2n;
}

/** Typed access to the staking records of a state. */
export class StakingStore {
  constructor(private readonly state: StateDB) {}

  private read(key: Uint8Array): Uint8Array | null {
    const v = this.state.getStorage(STAKING_ADDRESS, key);
    return v.length === 0 ? null : v;
  }

  private write(key: Uint8Array, value: Uint8Array | null): void {
    this.state.putStorage(STAKING_ADDRESS, key, value ?? new Uint8Array(0));
  }

  private readList(key: Uint8Array, what: string) {
    const v = this.read(key);
    return v === null ? [] : asList(rlpDecode(v), what);
  }

  // ---- global -----------------------------------------------------------------------------

  nextLockId(): bigint {
    const v = this.read(slot('global'));
    return v === null ? 1n : u(asList(rlpDecode(v), 'global')[0], 'nextLockId');
  }

  setNextLockId(id: bigint): void {
    this.write(slot('global'), rlpEncode([id]));
  }

  // ---- economics ---------------------------------------------------------------------------

  economics(): EconomicState {
    const v = this.read(slot('econ'));
    if (v === null)
      return {
        supply: 0n,
        totalLocked: 0n,
        mintCarry: 0n,
        stakeAcc: 0n,
        stakeRem: 0n,
        bonusPending: 0n,
        bonusReleased: 0n,
        minted: 0n,
        lastMinted: 0n,
        bonusCap: 0n,
        bonusSeed: new Uint8Array(32),
        bonusSeedAt: 0n,
        lastEpochProposer: new Uint8Array(0),
      };
    const items = asList(rlpDecode(v), 'economics', 13);
    const f = items.slice(0, 10).map((x) => u(x, 'economics field'));
    return {
      supply: f[0]!,
      totalLocked: f[1]!,
      mintCarry: f[2]!,
      stakeAcc: f[3]!,
      stakeRem: f[4]!,
      bonusPending: f[5]!,
      bonusReleased: f[6]!,
      minted: f[7]!,
      lastMinted: f[8]!,
      bonusCap: f[9]!,
      bonusSeed: asBytes(items[10], 'bonusSeed', 32),
      bonusSeedAt: u(items[11], 'bonusSeedAt'),
      lastEpochProposer: asBytes(items[12], 'lastEpochProposer'),
    };
  }

  setEconomics(e: EconomicState): void {
    this.write(
      slot('econ'),
      rlpEncode([
        e.supply,
        e.totalLocked,
        e.mintCarry,
        e.stakeAcc,
        e.stakeRem,
        e.bonusPending,
        e.bonusReleased,
        e.minted,
        e.lastMinted,
        e.bonusCap,
        e.bonusSeed,
        e.bonusSeedAt,
        e.lastEpochProposer,
      ]),
    );
  }

  lockRewards(id: bigint): LockRewards {
    const v = this.read(slot('lockEcon', id));
    if (v === null)
      return {
        autoCompound: false,
        stakeSnap: 0n,
        timeGain: 0n,
        weight: 0n,
        voteSnap: 0n,
        owed: 0n,
      };
    const [auto, stakeSnap, t, weight, voteSnap, owed] = asList(rlpDecode(v), 'lock rewards', 6);
    return {
      autoCompound: u(auto, 'autoCompound') === 1n,
      stakeSnap: u(stakeSnap, 'stakeSnap'),
      timeGain: u(t, 'timeGain'),
      weight: u(weight, 'weight'),
      voteSnap: u(voteSnap, 'voteSnap'),
      owed: u(owed, 'owed'),
    };
  }

  setLockRewards(id: bigint, r: LockRewards | null): void {
    this.write(
      slot('lockEcon', id),
      r === null
        ? null
        : rlpEncode([
            r.autoCompound ? 1n : 0n,
            r.stakeSnap,
            r.timeGain,
            r.weight,
            r.voteSnap,
            r.owed,
          ]),
    );
  }

  candidateRewards(operator: Address): CandidateRewards {
    const v = this.read(slot('candEcon', operator));
    if (v === null) return { acc: 0n, rem: 0n, totalWeight: 0n };
    const [acc, rem, total] = asList(rlpDecode(v), 'candidate rewards', 3);
    return { acc: u(acc, 'acc'), rem: u(rem, 'rem'), totalWeight: u(total, 'totalWeight') };
  }

  setCandidateRewards(operator: Address, r: CandidateRewards): void {
    this.write(slot('candEcon', operator), rlpEncode([r.acc, r.rem, r.totalWeight]));
  }

  // ---- locks ------------------------------------------------------------------------------

  getLock(id: bigint): Lock | null {
    const v = this.read(slot('lock', id));
    if (v === null) return null;
    const [owner, amount, candidate, since, voteIndex, isDeposit] = asList(rlpDecode(v), 'lock', 6);
    return {
      id,
      owner: asBytes(owner, 'owner', 20),
      amount: u(amount, 'amount'),
      candidate: optAddress(asBytes(candidate, 'candidate')),
      since: u(since, 'since'),
      voteIndex: u(voteIndex, 'voteIndex'),
      isDeposit: u(isDeposit, 'isDeposit') === 1n,
    };
  }

  /** Writes a lock; its candidate's vote buckets follow the change from the stored lock. */
  putLock(l: Lock): void {
    this.moveBuckets(this.getLock(l.id), l);
    this.writeLock(l);
  }

  private writeLock(l: Lock): void {
    this.write(
      slot('lock', l.id),
      rlpEncode([
        l.owner,
        l.amount,
        l.candidate ?? new Uint8Array(0),
        l.since,
        l.voteIndex,
        l.isDeposit ? 1n : 0n,
      ]),
    );
  }

  deleteLock(id: bigint): void {
    this.moveBuckets(this.getLock(id), null);
    this.write(slot('lock', id), null);
  }

  locksOf(owner: Address): bigint[] {
    return this.readList(slot('locksOf', owner), 'locks').map((x) => u(x, 'lock id'));
  }

  setLocksOf(owner: Address, ids: bigint[]): void {
    this.write(slot('locksOf', owner), ids.length === 0 ? null : rlpEncode(ids));
  }

  // ---- vote index -------------------------------------------------------------------------

  voteCount(operator: Address): bigint {
    const v = this.read(slot('votesN', operator));
    return v === null ? 0n : u(rlpDecode(v), 'vote count');
  }

  voteAt(operator: Address, i: bigint): bigint {
    const v = this.read(slot('votesAt', operator, i));
    if (v === null) throw new Error(`vote index ${toHex(operator)}[${i}] is missing`);
    return u(rlpDecode(v), 'lock id');
  }

  /** Adds a lock to its candidate's vote index and records its position in the lock. */
  addVote(l: Lock & { candidate: Address }): Lock {
    const n = this.voteCount(l.candidate);
    this.write(slot('votesAt', l.candidate, n), rlpEncode(l.id));
    this.write(slot('votesN', l.candidate), rlpEncode(n + 1n));
    return { ...l, voteIndex: n };
  }

  /** Removes a lock from its candidate's vote index (the last entry takes its place). */
  removeVote(l: Lock & { candidate: Address }): Lock {
    const n = this.voteCount(l.candidate);
    const last = n - 1n;
    if (l.voteIndex !== last) {
      const movedId = this.voteAt(l.candidate, last);
      const moved = this.getLock(movedId)!;
      this.write(slot('votesAt', l.candidate, l.voteIndex), rlpEncode(movedId));
      this.putLock({ ...moved, voteIndex: l.voteIndex });
    }
    this.write(slot('votesAt', l.candidate, last), null);
    this.write(slot('votesN', l.candidate), last === 0n ? null : rlpEncode(last));
    return { ...l, candidate: null, voteIndex: 0n };
  }

  /** Lock ids voting for a candidate, in index order. */
  votesFor(operator: Address): bigint[] {
    const n = this.voteCount(operator);
    const out: bigint[] = [];
    for (let i = 0n; i < n; i++) out.push(this.voteAt(operator, i));
    return out;
  }

  // ---- vote buckets -----------------------------------------------------------------------

  bucketCount(operator: Address): bigint {
    const v = this.read(slot('bktN', operator));
    return v === null ? 0n : u(rlpDecode(v), 'bucket count');
  }

  /** Buckets at positions p·BUCKETS_PER_PAGE … of a candidate (a page is full unless last). */
  private page(operator: Address, p: bigint): VoteBucket[] {
    return this.readList(slot('bktPage', operator, p), 'bucket page').map((e) => {
      const [since, amount, count] = asList(e, 'vote bucket', 3);
      return { since: u(since, 'since'), amount: u(amount, 'amount'), count: u(count, 'count') };
    });
  }

  private putPage(operator: Address, p: bigint, buckets: VoteBucket[]): void {
    this.write(
      slot('bktPage', operator, p),
      buckets.length === 0 ? null : rlpEncode(buckets.map((b) => [b.since, b.amount, b.count])),
    );
  }

  /** A candidate's vote buckets, in index order (one per distinct `since` of its votes). */
  bucketsOf(operator: Address): VoteBucket[] {
    const n = this.bucketCount(operator);
    const out: VoteBucket[] = [];
    for (let p = 0n; p * BUCKETS_PER_PAGE < n; p++) out.push(...this.page(operator, p));
    if (BigInt(out.length) !== n) throw new Error(`vote buckets of ${toHex(operator)} are short`);
    return out;
  }

  /**
   * Halves the age of every lock voting for `operator` at `height` (halvedSince, PROTOCOL §5).
   * Each lock is rewritten; the buckets are remapped as a whole, since the new `since` depends on
   * the old one only (neighbouring buckets may merge, and every lock older than the cap lands in
   * one bucket).
   */
  halveVotes(operator: Address, height: bigint, p: { tMax: bigint; blocksPerDay: bigint }): void {
    for (const id of this.votesFor(operator)) {
      const l = this.getLock(id)!;
      if (l.since < height) this.writeLock({ ...l, since: halvedSince(l.since, height, p) });
    }
    const before = this.bucketsOf(operator);
    const after: VoteBucket[] = [];
    const at = new Map<bigint, number>();
    for (const b of before) {
      const since = b.since < height ? halvedSince(b.since, height, p) : b.since;
      const i = at.get(since);
      if (i === undefined) {
        at.set(since, after.length);
        after.push({ ...b, since });
      } else {
        const m = after[i]!;
        after[i] = { since, amount: m.amount + b.amount, count: m.count + b.count };
      }
    }
    for (const b of before) this.write(slot('bktOf', operator, b.since), null);
    after.forEach((b, i) => this.write(slot('bktOf', operator, b.since), rlpEncode(BigInt(i))));
    const pages = (n: number) => (BigInt(n) + BUCKETS_PER_PAGE - 1n) / BUCKETS_PER_PAGE;
    for (let p = 0n; p < pages(before.length); p++) {
      const from = Number(p * BUCKETS_PER_PAGE);
      this.putPage(operator, p, after.slice(from, from + Number(BUCKETS_PER_PAGE)));
    }
    this.write(slot('bktN', operator), after.length === 0 ? null : rlpEncode(BigInt(after.length)));
  }

  private moveBuckets(prev: Lock | null, next: Lock | null): void {
    const p = prev?.candidate ? prev : null;
    const n = next?.candidate ? next : null;
    if (p && n && equalBytes(p.candidate!, n.candidate!) && p.since === n.since) {
      if (p.amount !== n.amount) this.addToBucket(n.candidate!, n.since, n.amount - p.amount, 0n);
      return;
    }
    if (p) this.addToBucket(p.candidate!, p.since, -p.amount, -1n);
    if (n) this.addToBucket(n.candidate!, n.since, n.amount, 1n);
  }

  /** Adds `amount` and `count` (either may be negative) to the bucket (operator, since). */
  private addToBucket(operator: Address, since: bigint, amount: bigint, count: bigint): void {
    const posKey = slot('bktOf', operator, since);
    const pos = this.read(posKey);
    if (pos === null) {
      if (count <= 0n) throw new Error(`vote bucket ${toHex(operator)}@${since} is missing`);
      const n = this.bucketCount(operator);
      const p = n / BUCKETS_PER_PAGE;
      this.putPage(operator, p, [...this.page(operator, p), { since, amount, count }]);
      this.write(posKey, rlpEncode(n));
      this.write(slot('bktN', operator), rlpEncode(n + 1n));
      return;
    }
    const i = u(rlpDecode(pos), 'bucket position');
    const p = i / BUCKETS_PER_PAGE;
    const page = this.page(operator, p);
    const b = page[Number(i % BUCKETS_PER_PAGE)];
    if (!b || b.since !== since) throw new Error(`vote bucket ${toHex(operator)}@${since} moved`);
    const left = { since, amount: b.amount + amount, count: b.count + count };
    if (left.count > 0n) {
      if (left.amount < 0n) throw new Error(`vote bucket ${toHex(operator)}@${since} underflow`);
      page[Number(i % BUCKETS_PER_PAGE)] = left;
      this.putPage(operator, p, page);
      return;
    }
    if (left.count < 0n || left.amount !== 0n)
      throw new Error(`vote bucket ${toHex(operator)}@${since} does not match its locks`);
    // The last bucket takes the emptied one's place.
    const last = this.bucketCount(operator) - 1n;
    const lp = last / BUCKETS_PER_PAGE;
    const lastPage = lp === p ? page : this.page(operator, lp);
    const moved = lastPage.pop()!;
    if (i !== last) {
      page[Number(i % BUCKETS_PER_PAGE)] = moved;
      this.write(slot('bktOf', operator, moved.since), rlpEncode(i));
    }
    this.putPage(operator, p, page);
    if (lp !== p) this.putPage(operator, lp, lastPage);
    this.write(posKey, null);
    this.write(slot('bktN', operator), last === 0n ? null : rlpEncode(last));
  }

  // ---- candidates -------------------------------------------------------------------------

  getCandidate(operator: Address): Candidate | null {
    const v = this.read(slot('cand', operator));
    if (v === null) return null;
    const f = asList(rlpDecode(v), 'candidate', 14);
    const p = asList(f[13], 'pending switch');
    if (p.length !== 0 && p.length !== 4)
      throw new DecodeError(`pending switch: expected 0 or 4 items, got ${p.length}`);
    return {
      operator,
      consensusKey: asBytes(f[0], 'consensusKey', 20),
      name: dec(asBytes(f[1], 'name')),
      depositLockId: u(f[2], 'depositLockId'),
      commissionBps: u(f[3], 'commissionBps'),
      commissionMaxBps: u(f[4], 'commissionMaxBps'),
      commissionEpoch: u(f[5], 'commissionEpoch'),
      status: Number(u(f[6], 'status')),
      jailedUntilEpoch: u(f[7], 'jailedUntilEpoch'),
      randaoLast: asBytes(f[8], 'randaoLast', 32),
      registeredAt: u(f[9], 'registeredAt'),
      randaoReveals: u(f[10], 'randaoReveals'),
      randaoLayers: u(f[11], 'randaoLayers'),
      randaoGeneration: u(f[12], 'randaoGeneration'),
      pending:
        p.length === 0
          ? null
          : {
              consensusKey: asBytes(p[0], 'pending consensusKey', 20),
              commitment: asBytes(p[1], 'pending commitment', 32),
              layers: u(p[2], 'pending layers'),
              epoch: u(p[3], 'pending epoch'),
            },
    };
  }

  putCandidate(c: Candidate): void {
    this.write(
      slot('cand', c.operator),
      rlpEncode([
        c.consensusKey,
        enc(c.name),
        c.depositLockId,
        c.commissionBps,
        c.commissionMaxBps,
        c.commissionEpoch,
        c.status,
        c.jailedUntilEpoch,
        c.randaoLast,
        c.registeredAt,
        c.randaoReveals,
        c.randaoLayers,
        c.randaoGeneration,
        c.pending === null
          ? []
          : [c.pending.consensusKey, c.pending.commitment, c.pending.layers, c.pending.epoch],
      ]),
    );
  }

  operatorOfKey(consensusKey: Address): Address | null {
    const v = this.read(slot('candKey', consensusKey));
    return v === null ? null : v;
  }

  setOperatorOfKey(consensusKey: Address, operator: Address): void {
    this.write(slot('candKey', consensusKey), operator);
  }

  operatorOfName(name: string): Address | null {
    const v = this.read(slot('candName', enc(name)));
    return v === null ? null : v;
  }

  setOperatorOfName(name: string, operator: Address | null): void {
    this.write(slot('candName', enc(name)), operator);
  }

  candidates(): Address[] {
    return this.readList(slot('cands'), 'candidates').map((a) => asBytes(a, 'operator', 20));
  }

  addCandidate(operator: Address): void {
    const all = [...this.candidates(), operator].sort(compareBytes);
    this.write(slot('cands'), rlpEncode(all));
  }

  /** Candidates whose pending switch takes effect at the first block of `epoch`. */
  switchesAt(epoch: bigint): Address[] {
    return this.readList(slot('switches', epoch), 'switches').map((a) =>
      asBytes(a, 'operator', 20),
    );
  }

  setSwitchesAt(epoch: bigint, operators: Address[]): void {
    this.write(slot('switches', epoch), operators.length === 0 ? null : rlpEncode(operators));
  }

  // ---- unbonding --------------------------------------------------------------------------

  unbondingOf(owner: Address): { amount: bigint; releaseHeight: bigint }[] {
    return this.readList(slot('unbOf', owner), 'unbonding').map((e) => {
      const [amount, h] = asList(e, 'unbonding entry', 2);
      return { amount: u(amount, 'amount'), releaseHeight: u(h, 'releaseHeight') };
    });
  }

  setUnbondingOf(owner: Address, entries: { amount: bigint; releaseHeight: bigint }[]): void {
    this.write(
      slot('unbOf', owner),
      entries.length === 0 ? null : rlpEncode(entries.map((e) => [e.amount, e.releaseHeight])),
    );
  }

  releasesAt(height: bigint): { owner: Address; amount: bigint }[] {
    return this.readList(slot('unbAt', height), 'releases').map((e) => {
      const [owner, amount] = asList(e, 'release', 2);
      return { owner: asBytes(owner, 'owner', 20), amount: u(amount, 'amount') };
    });
  }

  setReleasesAt(height: bigint, entries: { owner: Address; amount: bigint }[]): void {
    this.write(
      slot('unbAt', height),
      entries.length === 0 ? null : rlpEncode(entries.map((e) => [e.owner, e.amount])),
    );
  }

  // ---- performance, production and epochs ------------------------------------------------

  perf(operator: Address): PerfEntry[] {
    return this.readList(slot('perf', operator), 'perf').map((e) => {
      const [epoch, m, n] = asList(e, 'perf entry', 3);
      return { epoch: u(epoch, 'epoch'), m: u(m, 'm'), n: u(n, 'n') };
    });
  }

  setPerf(operator: Address, entries: PerfEntry[]): void {
    this.write(
      slot('perf', operator),
      entries.length === 0 ? null : rlpEncode(entries.map((e) => [e.epoch, e.m, e.n])),
    );
  }

  produced(epoch: bigint): Address[] {
    return this.readList(slot('produced', epoch), 'produced').map((a) =>
      asBytes(a, 'operator', 20),
    );
  }

  setProduced(epoch: bigint, operators: Address[]): void {
    this.write(slot('produced', epoch), operators.length === 0 ? null : rlpEncode(operators));
  }

  epochRecord(epoch: bigint): EpochRecord | null {
    const v = this.read(slot('epoch', epoch));
    if (v === null) return null;
    const [validators, operators, seed, ranked, drawn, electedAt, filled] = asList(
      rlpDecode(v),
      'epoch record',
      7,
    );
    const addrs = (x: Parameters<typeof asList>[0], what: string) =>
      asList(x, what).map((a) => asBytes(a, what, 20));
    return {
      validators: addrs(validators, 'validators'),
      operators: addrs(operators, 'operators'),
      seed: asBytes(seed, 'seed', 32),
      ranked: addrs(ranked, 'ranked'),
      drawn: asList(drawn, 'drawn').map((d) => {
        const [address, w, W] = asList(d, 'draw', 3);
        return { address: asBytes(address, 'address', 20), w: u(w, 'w'), W: u(W, 'W') };
      }),
      electedAt: u(electedAt, 'electedAt'),
      filled: addrs(filled, 'filled'),
    };
  }

  setEpochRecord(epoch: bigint, r: EpochRecord): void {
    this.write(
      slot('epoch', epoch),
      rlpEncode([
        r.validators,
        r.operators,
        r.seed,
        r.ranked,
        r.drawn.map((d) => [d.address, d.w, d.W]),
        r.electedAt,
        r.filled,
      ]),
    );
  }
}
