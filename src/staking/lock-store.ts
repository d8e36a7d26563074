/**
 * The staking module's records of locks, their votes and unbonding, in the storage of the staking
 * system account (src/state/records.ts):
 *
 *   ['global']              [nextLockId]
 *   ['lock', id]            [owner, amount, candidate | empty, since, voteIndex, isDeposit]
 *   ['locksOf', owner]      [lockId…]                        (at most maxLocksPerAccount)
 *   ['votesN', operator]    number of locks voting for the candidate
 *   ['votesAt', operator, i] lock id at position i (swap-remove keeps positions dense)
 *   ['bktN', operator]      number of the candidate's vote buckets
 *   ['bktPage', operator, p] [[since, Σ amount, count]…]: the buckets at positions 32p … 32p+31,
 *                           one per distinct `since` of the locks voting for the candidate
 *                           (swap-remove keeps positions dense)
 *   ['bktOf', operator, since] position of that bucket
 *   ['unbOf', owner]        [[amount, releaseHeight]…]
 *   ['unbAt', height]       [[owner, amount]…] released at that height
 *   ['unbOwnersN']          number of accounts with unbonding entries
 *   ['unbOwnerAt', i]       the account at position i (swap-remove keeps positions dense)
 *   ['unbOwnerPos', owner]  its position
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
import { asBytes, asList, asUint, rlpDecode, rlpEncode } from '../codec/rlp.js';
import { equalBytes, toHex } from '../crypto/bytes.js';
import { assert } from '../primitives/errors.js';
import { STAKING_ADDRESS } from '../primitives/system-addresses.js';
import type { Address } from '../primitives/types.js';
import { RecordStore, slot } from '../state/records.js';
import type { StateDB } from '../state/state-db.js';

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

/** The votes for a candidate whose locks share one `since`. */
export interface VoteBucket {
  since: bigint;
  /** Σ amount of those locks. */
  amount: bigint;
  /** Number of those locks. */
  count: bigint;
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

/** Locks, the vote index and buckets of each candidate, and unbonding entries. */
export class LockStore extends RecordStore {
  constructor(state: StateDB) {
    super(state, STAKING_ADDRESS);
  }

  nextLockId(): bigint {
    const v = this.read(slot('global'));
    return v === null ? 1n : u(asList(rlpDecode(v), 'global')[0], 'nextLockId');
  }

  setNextLockId(id: bigint): void {
    this.write(slot('global'), rlpEncode([id]));
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
    assert(v !== null, () => `vote index ${toHex(operator)}[${i}] is missing`);
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
    assert(BigInt(out.length) === n, () => `vote buckets of ${toHex(operator)} are short`);
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
      assert(count > 0n, () => `vote bucket ${toHex(operator)}@${since} is missing`);
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
    assert(b && b.since === since, () => `vote bucket ${toHex(operator)}@${since} moved`);
    const left = { since, amount: b.amount + amount, count: b.count + count };
    if (left.count > 0n) {
      assert(left.amount >= 0n, () => `vote bucket ${toHex(operator)}@${since} underflow`);
      page[Number(i % BUCKETS_PER_PAGE)] = left;
      this.putPage(operator, p, page);
      return;
    }
    assert(
      left.count === 0n && left.amount === 0n,
      () => `vote bucket ${toHex(operator)}@${since} does not match its locks`,
    );
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
    // The index of accounts with entries follows every write (a settlement releases them all).
    const pos = this.read(slot('unbOwnerPos', owner));
    if (entries.length > 0 && pos === null) {
      const n = this.unbondingOwnerCount();
      this.write(slot('unbOwnerAt', n), rlpEncode(owner));
      this.write(slot('unbOwnerPos', owner), rlpEncode(n));
      this.write(slot('unbOwnersN'), rlpEncode(n + 1n));
    } else if (entries.length === 0 && pos !== null) {
      const i = u(rlpDecode(pos), 'unbonding owner position');
      const last = this.unbondingOwnerCount() - 1n;
      if (i !== last) {
        const moved = this.unbondingOwnerAt(last);
        this.write(slot('unbOwnerAt', i), rlpEncode(moved));
        this.write(slot('unbOwnerPos', moved), rlpEncode(i));
      }
      this.write(slot('unbOwnerAt', last), null);
      this.write(slot('unbOwnerPos', owner), null);
      this.write(slot('unbOwnersN'), last === 0n ? null : rlpEncode(last));
    }
  }

  unbondingOwnerCount(): bigint {
    const v = this.read(slot('unbOwnersN'));
    return v === null ? 0n : u(rlpDecode(v), 'unbonding owners');
  }

  private unbondingOwnerAt(i: bigint): Address {
    const v = this.read(slot('unbOwnerAt', i));
    assert(v !== null, () => `unbonding owner ${i} is missing`);
    return asBytes(rlpDecode(v), 'unbonding owner', 20);
  }

  /** Every account with unbonding entries, in index order. */
  unbondingOwners(): Address[] {
    const n = this.unbondingOwnerCount();
    const out: Address[] = [];
    for (let i = 0n; i < n; i++) out.push(this.unbondingOwnerAt(i));
    return out;
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
}
