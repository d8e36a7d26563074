/**
 * The staking module's records of locks, their votes and unbonding (src/state/records.ts). Those
 * that grow with the holders (global, lock, locksOf, votesN, votesAt and the unbonding records)
 * are in the storage of the locks account; the vote buckets, kept per candidate and height, are
 * in the staking account's, so an epoch's end, which reads and writes buckets and reads no lock
 * but the candidates' deposits, works in a trie whose size does not depend on the number of locks:
 *
 *   ['global']              [nextLockId]
 *   ['lock', id]            [owner, amount, candidate | empty, since, voteIndex, isDeposit, bucket]
 *   ['locksOf', owner]      [lockId…]                        (at most maxLocksPerAccount)
 *   ['votesN', operator]    number of locks voting for the candidate
 *   ['votesAt', operator, i] lock id at position i (swap-remove keeps positions dense)
 *   ['bktNext']             the next vote bucket id (ids start at 1; 0 is "no bucket")
 *   ['bktN', operator]      number of the candidate's vote buckets
 *   ['bktPage', operator, p] [[id, since, amount, count, refs, rank, t, acc, snap]…]: the
 *                           buckets at positions 32p … 32p+31 (swap-remove keeps them dense)
 *   ['bktPos', operator, id] position of bucket `id`
 *   ['bktMerged', operator, id] [into, offset < 0, |offset|, refs]: bucket `id`, merged into
 *                           bucket `into` (itself maybe merged further)
 *   ['bktNew', operator]    id of the candidate's newest bucket: new votes with its `since` join it
 *   ['unbOf', owner]        [[amount, releaseHeight]…]
 *   ['unbAt', height]       [[owner, amount]…] released at that height
 *   ['unbOwnersN']          number of accounts with unbonding entries
 *   ['unbOwnerAt', i]       the account at position i (swap-remove keeps positions dense)
 *   ['unbOwnerPos', owner]  its position
 *
 * Every list is bounded or indexed, so no operation rewrites a record that grows with the number
 * of locks.
 *
 * The vote buckets aggregate a candidate's votes by the height their age counts from: the locks
 * that started voting for it at one height share a bucket, and a lock stays in its bucket until
 * it is written with another candidate or `since` (a vote, an unvote, a top-up) or deleted. A
 * voting lock's `since` is its bucket's: the halving moves a whole bucket's `since` (halveVotes)
 * without writing a lock, so it costs O(buckets), and getLock resolves it, so no reader of a lock
 * sees the difference. Weighing a candidate reads one record per 32 buckets; a page holds at
 * most 32 buckets, so no record grows with the number of locks. Only putLock and deleteLock move
 * locks between buckets, from the difference between the stored lock and the new one, so every
 * writer of locks keeps them exact. Two buckets of a candidate may share a `since` after a
 * halving; they are weighed alike.
 *
 * Every change of a bucket's amount or `since` also goes to the candidate's vote tally
 * (vote-tally.ts), which keeps Σ x per candidate so that an election reads no bucket.
 *
 * A bucket also carries the rewards module's bookkeeping of its voters (src/economics/ledger.ts),
 * which this module keeps but never interprets: `t`, the time gain its locks are weighed with
 * (0: not weighed yet), and `acc`, the voter reward per unit of amount its locks have earned, up
 * to `snap`, the candidate's voter accumulator when `acc` was brought up to date.
 */
import { asBytes, asList, asUint, rlpDecode, rlpEncode } from '../codec/rlp.js';
import { equalBytes, toHex } from '../crypto/bytes.js';
import { assert } from '../primitives/errors.js';
import { LOCKS_ADDRESS, STAKING_ADDRESS } from '../primitives/system-addresses.js';
import type { Address } from '../primitives/types.js';
import { AccountRecords, RecordStore, slot } from '../state/records.js';
import type { StateDB } from '../state/state-db.js';
import { VoteTallyStore } from './vote-tally.js';

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

/** The votes for a candidate whose locks started voting at one height (see the header). */
export interface VoteBucket {
  /** Stable identity: locks record it, positions change. */
  id: bigint;
  since: bigint;
  /** Σ amount of those locks. */
  amount: bigint;
  /** Number of those locks (those of the buckets merged into it included). */
  count: bigint;
  /** Locks that record this bucket, plus buckets merged into it (see mergeBuckets). */
  refs: bigint;
  /** Union rank: a bound on how many merged buckets a lock's path to it passes through. */
  rank: bigint;
  /** The rewards module's: time gain the bucket is weighed with (0: not weighed). */
  t: bigint;
  /** The rewards module's: voter reward per unit of amount (×10^36) earned up to `snap`. */
  acc: bigint;
  /** The rewards module's: the candidate's voter accumulator when `acc` was last raised. */
  snap: bigint;
}

/** A lock as stored: a voting lock's `since` is its bucket's (`bucket`, 0 without a vote). */
interface StoredLock extends Lock {
  bucket: bigint;
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
  /** Each candidate's Σ x, which follows every change of a bucket's amount or `since`. */
  readonly tally: VoteTallyStore;
  /** The records of locks, vote indexes and unbonding, in the locks account. */
  private readonly ledger: AccountRecords;

  constructor(state: StateDB) {
    super(state, STAKING_ADDRESS);
    this.tally = new VoteTallyStore(state);
    this.ledger = new AccountRecords(state, LOCKS_ADDRESS);
  }

  nextLockId(): bigint {
    const v = this.ledger.read(slot('global'));
    return v === null ? 1n : u(asList(rlpDecode(v), 'global')[0], 'nextLockId');
  }

  setNextLockId(id: bigint): void {
    this.ledger.write(slot('global'), rlpEncode([id]));
  }

  // ---- locks ------------------------------------------------------------------------------

  /** A lock, with the `since` of its vote bucket if it votes. */
  getLock(id: bigint): Lock | null {
    const l = this.storedLock(id);
    if (l === null) return null;
    const { bucket, ...lock } = l;
    if (bucket !== 0n) lock.since = this.resolve(lock.candidate!, bucket).bucket.since;
    return lock;
  }

  /** A lock's amount (null when there is no such lock), without resolving its `since`. */
  lockAmount(id: bigint): bigint | null {
    const v = this.ledger.read(slot('lock', id));
    return v === null ? null : u(asList(rlpDecode(v), 'lock', 7)[1], 'amount');
  }

  private storedLock(id: bigint): StoredLock | null {
    const v = this.ledger.read(slot('lock', id));
    if (v === null) return null;
    const [owner, amount, candidate, since, voteIndex, isDeposit, bucket] = asList(
      rlpDecode(v),
      'lock',
      7,
    );
    return {
      id,
      owner: asBytes(owner, 'owner', 20),
      amount: u(amount, 'amount'),
      candidate: optAddress(asBytes(candidate, 'candidate')),
      since: u(since, 'since'),
      voteIndex: u(voteIndex, 'voteIndex'),
      isDeposit: u(isDeposit, 'isDeposit') === 1n,
      bucket: u(bucket, 'bucket'),
    };
  }

  /**
   * Writes a lock; its candidate's vote buckets follow the change from the stored lock. A lock
   * that keeps its candidate and `since` stays in its bucket; otherwise it joins the candidate's
   * newest bucket if that has its `since`, else a new one.
   */
  putLock(l: Lock): void {
    const prev = this.storedLock(l.id);
    let bucket = 0n;
    if (l.candidate) {
      const same =
        prev !== null &&
        prev.bucket !== 0n &&
        equalBytes(prev.candidate!, l.candidate) &&
        this.resolve(l.candidate, prev.bucket).bucket.since === l.since;
      bucket = same ? prev.bucket : this.bucketFor(l.candidate, l.since);
    }
    this.moveBuckets(prev, { ...l, bucket });
    this.ledger.write(
      slot('lock', l.id),
      rlpEncode([
        l.owner,
        l.amount,
        l.candidate ?? new Uint8Array(0),
        l.since,
        l.voteIndex,
        l.isDeposit ? 1n : 0n,
        bucket,
      ]),
    );
  }

  deleteLock(id: bigint): void {
    this.moveBuckets(this.storedLock(id), null);
    this.ledger.write(slot('lock', id), null);
  }

  locksOf(owner: Address): bigint[] {
    return this.ledger.readList(slot('locksOf', owner), 'locks').map((x) => u(x, 'lock id'));
  }

  setLocksOf(owner: Address, ids: bigint[]): void {
    this.ledger.write(slot('locksOf', owner), ids.length === 0 ? null : rlpEncode(ids));
  }

  // ---- vote index -------------------------------------------------------------------------

  voteCount(operator: Address): bigint {
    const v = this.ledger.read(slot('votesN', operator));
    return v === null ? 0n : u(rlpDecode(v), 'vote count');
  }

  voteAt(operator: Address, i: bigint): bigint {
    const v = this.ledger.read(slot('votesAt', operator, i));
    assert(v !== null, () => `vote index ${toHex(operator)}[${i}] is missing`);
    return u(rlpDecode(v), 'lock id');
  }

  /** Adds a lock to its candidate's vote index and records its position in the lock. */
  addVote(l: Lock & { candidate: Address }): Lock {
    const n = this.voteCount(l.candidate);
    this.ledger.write(slot('votesAt', l.candidate, n), rlpEncode(l.id));
    this.ledger.write(slot('votesN', l.candidate), rlpEncode(n + 1n));
    return { ...l, voteIndex: n };
  }

  /** Removes a lock from its candidate's vote index (the last entry takes its place). */
  removeVote(l: Lock & { candidate: Address }): Lock {
    const n = this.voteCount(l.candidate);
    const last = n - 1n;
    if (l.voteIndex !== last) {
      const movedId = this.voteAt(l.candidate, last);
      const moved = this.getLock(movedId)!;
      this.ledger.write(slot('votesAt', l.candidate, l.voteIndex), rlpEncode(movedId));
      this.putLock({ ...moved, voteIndex: l.voteIndex });
    }
    this.ledger.write(slot('votesAt', l.candidate, last), null);
    this.ledger.write(slot('votesN', l.candidate), last === 0n ? null : rlpEncode(last));
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
      const [id, since, amount, count, refs, rank, t, acc, snap] = asList(e, 'vote bucket', 9);
      return {
        id: u(id, 'id'),
        since: u(since, 'since'),
        amount: u(amount, 'amount'),
        count: u(count, 'count'),
        refs: u(refs, 'refs'),
        rank: u(rank, 'rank'),
        t: u(t, 't'),
        acc: u(acc, 'acc'),
        snap: u(snap, 'snap'),
      };
    });
  }

  private putPage(operator: Address, p: bigint, buckets: VoteBucket[]): void {
    this.write(
      slot('bktPage', operator, p),
      buckets.length === 0
        ? null
        : rlpEncode(
            buckets.map((b) => [
              b.id,
              b.since,
              b.amount,
              b.count,
              b.refs,
              b.rank,
              b.t,
              b.acc,
              b.snap,
            ]),
          ),
    );
  }

  private position(operator: Address, id: bigint): bigint | null {
    const v = this.read(slot('bktPos', operator, id));
    return v === null ? null : u(rlpDecode(v), 'bucket position');
  }

  /** A candidate's vote buckets, in index order. */
  bucketsOf(operator: Address): VoteBucket[] {
    const n = this.bucketCount(operator);
    const out: VoteBucket[] = [];
    for (let p = 0n; p * BUCKETS_PER_PAGE < n; p++) out.push(...this.page(operator, p));
    assert(BigInt(out.length) === n, () => `vote buckets of ${toHex(operator)} are short`);
    return out;
  }

  /**
   * A candidate's votes per bucket, `since` and Σ amount only: what weighing needs, decoded
   * without the rest of each bucket.
   */
  votesBySince(operator: Address): { since: bigint; amount: bigint }[] {
    const n = this.bucketCount(operator);
    const out: { since: bigint; amount: bigint }[] = [];
    for (let p = 0n; p * BUCKETS_PER_PAGE < n; p++)
      for (const e of this.readList(slot('bktPage', operator, p), 'bucket page')) {
        const b = asList(e, 'vote bucket', 9);
        out.push({ since: u(b[1], 'since'), amount: u(b[2], 'amount') });
      }
    assert(BigInt(out.length) === n, () => `vote buckets of ${toHex(operator)} are short`);
    return out;
  }

  /** Bucket `id` of a candidate. */
  bucketAt(operator: Address, id: bigint): VoteBucket {
    const i = this.position(operator, id);
    assert(i !== null, () => `vote bucket ${toHex(operator)}#${id} is missing`);
    return this.bucketAtPosition(operator, id, i);
  }

  private bucketAtPosition(operator: Address, id: bigint, i: bigint): VoteBucket {
    const b = this.page(operator, i / BUCKETS_PER_PAGE)[Number(i % BUCKETS_PER_PAGE)];
    assert(b !== undefined && b.id === id, () => `vote bucket ${toHex(operator)}#${id} moved`);
    return b;
  }

  /**
   * The vote bucket of a voting lock (null for a lock that does not vote), and the offset of its
   * reward accumulator: the lock earns as `acc + offset` of that bucket, where offset is what
   * the buckets it was merged through had earned beyond the ones they joined (see mergeBuckets).
   */
  bucketOfLock(id: bigint): { bucket: VoteBucket; offset: bigint } | null {
    const l = this.storedLock(id);
    return l === null || l.bucket === 0n ? null : this.resolve(l.candidate!, l.bucket);
  }

  /** Follows a bucket id through the merges to the candidate's bucket that holds its locks. */
  private resolve(operator: Address, id: bigint): { bucket: VoteBucket; offset: bigint } {
    let offset = 0n;
    for (;;) {
      const i = this.position(operator, id);
      if (i !== null) return { bucket: this.bucketAtPosition(operator, id, i), offset };
      const m = this.merged(operator, id);
      offset += m.offset;
      id = m.into;
    }
  }

  /** A bucket merged into another: where to, its accumulator offset, and its refs. */
  private merged(operator: Address, id: bigint): { into: bigint; offset: bigint; refs: bigint } {
    const v = this.read(slot('bktMerged', operator, id));
    assert(v !== null, () => `vote bucket ${toHex(operator)}#${id} is missing`);
    const [into, negative, magnitude, refs] = asList(rlpDecode(v), 'merged bucket', 4);
    const m = u(magnitude, 'offset');
    return {
      into: u(into, 'into'),
      offset: u(negative, 'offset sign') === 1n ? -m : m,
      refs: u(refs, 'refs'),
    };
  }

  private putMerged(
    operator: Address,
    id: bigint,
    m: { into: bigint; offset: bigint; refs: bigint } | null,
  ): void {
    this.write(
      slot('bktMerged', operator, id),
      m === null
        ? null
        : rlpEncode([
            m.into,
            m.offset < 0n ? 1n : 0n,
            m.offset < 0n ? -m.offset : m.offset,
            m.refs,
          ]),
    );
  }

  /** One lock or merged bucket less records bucket `id`: a merged bucket nobody records goes. */
  private release(operator: Address, id: bigint): void {
    for (;;) {
      const i = this.position(operator, id);
      if (i !== null) {
        const p = i / BUCKETS_PER_PAGE;
        const page = this.page(operator, p);
        const b = page[Number(i % BUCKETS_PER_PAGE)]!;
        page[Number(i % BUCKETS_PER_PAGE)] = { ...b, refs: b.refs - 1n };
        this.putPage(operator, p, page);
        return;
      }
      const m = this.merged(operator, id);
      if (m.refs > 1n) {
        this.putMerged(operator, id, { ...m, refs: m.refs - 1n });
        return;
      }
      this.putMerged(operator, id, null);
      id = m.into;
    }
  }

  /**
   * Merges the candidate's buckets that share a `since` (the halving makes neighbours equal),
   * which the rewards module does once it has brought them to one `snap` and t: each group
   * keeps the bucket of the highest rank (then the most locks); the others are recorded as
   * merged into it with the difference of their accumulators, so their locks, which still
   * record them, earn exactly as before. No lock is written. O(buckets).
   *
   * Union by rank: a bucket's rank grows only when it absorbs one of equal rank, so a rank r
   * bucket has absorbed 2^r buckets, and no lock's path passes through more than
   * log2(buckets ever made for the candidate) merged ones, however long it stays untouched.
   * `current`: the candidate's buckets as just written, which saves reading them again.
   */
  mergeBuckets(operator: Address, current?: readonly VoteBucket[]): void {
    const all = current ?? this.bucketsOf(operator);
    const keep = new Map<bigint, VoteBucket>();
    for (const b of all) {
      const k = keep.get(b.since);
      if (k === undefined || b.rank > k.rank || (b.rank === k.rank && b.count > k.count))
        keep.set(b.since, b);
    }
    if (keep.size === all.length) return;
    const kept: VoteBucket[] = [];
    for (const b of all) {
      const k = keep.get(b.since)!;
      if (k.id === b.id) {
        kept.push(b);
        continue;
      }
      assert(
        k.t === b.t && k.snap === b.snap,
        () => `vote buckets ${toHex(operator)}#${b.id}, #${k.id} merged unsettled`,
      );
      this.putMerged(operator, b.id, { into: k.id, offset: b.acc - k.acc, refs: b.refs });
      this.write(slot('bktPos', operator, b.id), null);
      keep.set(b.since, {
        ...k,
        amount: k.amount + b.amount,
        count: k.count + b.count,
        refs: k.refs + 1n,
        rank: b.rank === k.rank ? k.rank + 1n : k.rank,
      });
    }
    const out = kept.map((b) => keep.get(b.since)!);
    const pages = (n: number) => (BigInt(n) + BUCKETS_PER_PAGE - 1n) / BUCKETS_PER_PAGE;
    for (let p = 0n; p < pages(all.length); p++) {
      const from = Number(p * BUCKETS_PER_PAGE);
      this.putPage(operator, p, out.slice(from, from + Number(BUCKETS_PER_PAGE)));
    }
    out.forEach((b, i) => {
      if (all[i]!.id !== b.id) this.write(slot('bktPos', operator, b.id), rlpEncode(BigInt(i)));
    });
    this.write(slot('bktN', operator), rlpEncode(BigInt(out.length)));
  }

  /**
   * Rewrites a candidate's buckets, as bucketsOf returned them, with new rewards bookkeeping
   * (t, acc, snap): the rewards module's refresh. Ids, `since`, amounts and counts must not change.
   */
  setBuckets(operator: Address, buckets: readonly VoteBucket[]): void {
    assert(
      BigInt(buckets.length) === this.bucketCount(operator),
      () => `vote buckets of ${toHex(operator)} rewritten with another count`,
    );
    for (let p = 0n; p * BUCKETS_PER_PAGE < BigInt(buckets.length); p++) {
      const from = Number(p * BUCKETS_PER_PAGE);
      this.putPage(operator, p, buckets.slice(from, from + Number(BUCKETS_PER_PAGE)));
    }
  }

  /** Rewrites one bucket's rewards bookkeeping (t, acc, snap). */
  setBucket(operator: Address, b: VoteBucket): void {
    const i = this.position(operator, b.id);
    assert(i !== null, () => `vote bucket ${toHex(operator)}#${b.id} is missing`);
    const p = i / BUCKETS_PER_PAGE;
    const page = this.page(operator, p);
    page[Number(i % BUCKETS_PER_PAGE)] = b;
    this.putPage(operator, p, page);
  }

  /**
   * Halves the age of every lock voting for `operator` at `height` (halvedSince, PROTOCOL §5):
   * each bucket's `since` moves (the new one depends on the old one only), no lock is written.
   * O(buckets).
   */
  halveVotes(operator: Address, height: bigint, p: { tMax: bigint; blocksPerDay: bigint }): void {
    const before = this.bucketsOf(operator);
    const buckets = before.map((b) =>
      b.since < height ? { ...b, since: halvedSince(b.since, height, p) } : b,
    );
    this.setBuckets(operator, buckets);
    this.tally.replace(operator, before, buckets);
  }

  /** The bucket a lock starting to vote for `operator` with `since` joins (created if needed). */
  private bucketFor(operator: Address, since: bigint): bigint {
    const newest = this.read(slot('bktNew', operator));
    if (newest !== null) {
      const id = u(rlpDecode(newest), 'newest bucket');
      const i = this.position(operator, id);
      if (i !== null && this.bucketAtPosition(operator, id, i).since === since) return id;
    }
    const nv = this.read(slot('bktNext'));
    const id = nv === null ? 1n : u(rlpDecode(nv), 'next bucket id');
    this.write(slot('bktNext'), rlpEncode(id + 1n));
    const n = this.bucketCount(operator);
    const p = n / BUCKETS_PER_PAGE;
    const b: VoteBucket = {
      id,
      since,
      amount: 0n,
      count: 0n,
      refs: 0n,
      rank: 0n,
      t: 0n,
      acc: 0n,
      snap: 0n,
    };
    this.putPage(operator, p, [...this.page(operator, p), b]);
    this.write(slot('bktPos', operator, id), rlpEncode(n));
    this.write(slot('bktN', operator), rlpEncode(n + 1n));
    this.write(slot('bktNew', operator), rlpEncode(id));
    return id;
  }

  /**
   * Moves a lock's amount between buckets. The lock's new bucket is its old one (same candidate
   * and `since`: only the amount may change) or a bucket of its candidate's (bucketFor).
   */
  private moveBuckets(prev: StoredLock | null, next: StoredLock | null): void {
    const p = prev && prev.bucket !== 0n ? prev : null;
    const n = next && next.bucket !== 0n ? next : null;
    if (p && n && p.bucket === n.bucket) {
      if (p.amount !== n.amount) {
        const root = this.resolve(n.candidate!, n.bucket).bucket.id;
        this.addToBucket(n.candidate!, root, n.amount - p.amount, 0n, 0n);
      }
      return;
    }
    if (n) this.addToBucket(n.candidate!, n.bucket, n.amount, 1n, 1n);
    if (p) {
      const root = this.resolve(p.candidate!, p.bucket).bucket.id;
      if (root !== p.bucket) this.release(p.candidate!, p.bucket);
      this.addToBucket(p.candidate!, root, -p.amount, -1n, root === p.bucket ? -1n : 0n);
    }
  }

  /** Adds `amount`, `count` and `refs` (any may be negative) to bucket `id` of `operator`. */
  private addToBucket(
    operator: Address,
    id: bigint,
    amount: bigint,
    count: bigint,
    refs: bigint,
  ): void {
    const i = this.position(operator, id);
    assert(i !== null, () => `vote bucket ${toHex(operator)}#${id} is missing`);
    const p = i / BUCKETS_PER_PAGE;
    const page = this.page(operator, p);
    const b = page[Number(i % BUCKETS_PER_PAGE)];
    assert(b && b.id === id, () => `vote bucket ${toHex(operator)}#${id} moved`);
    if (amount !== 0n) this.tally.apply(operator, [{ since: b.since, amount }]);
    const left = { ...b, amount: b.amount + amount, count: b.count + count, refs: b.refs + refs };
    if (left.count > 0n) {
      assert(left.amount >= 0n, () => `vote bucket ${toHex(operator)}#${id} underflow`);
      page[Number(i % BUCKETS_PER_PAGE)] = left;
      this.putPage(operator, p, page);
      return;
    }
    assert(
      left.count === 0n && left.amount === 0n && left.refs === 0n,
      () => `vote bucket ${toHex(operator)}#${id} does not match its locks`,
    );
    // The last bucket takes the emptied one's place.
    const last = this.bucketCount(operator) - 1n;
    const lp = last / BUCKETS_PER_PAGE;
    const lastPage = lp === p ? page : this.page(operator, lp);
    const moved = lastPage.pop()!;
    if (i !== last) {
      page[Number(i % BUCKETS_PER_PAGE)] = moved;
      this.write(slot('bktPos', operator, moved.id), rlpEncode(i));
    }
    this.putPage(operator, p, page);
    if (lp !== p) this.putPage(operator, lp, lastPage);
    this.write(slot('bktPos', operator, id), null);
    this.write(slot('bktN', operator), last === 0n ? null : rlpEncode(last));
  }

  // ---- unbonding --------------------------------------------------------------------------

  unbondingOf(owner: Address): { amount: bigint; releaseHeight: bigint }[] {
    return this.ledger.readList(slot('unbOf', owner), 'unbonding').map((e) => {
      const [amount, h] = asList(e, 'unbonding entry', 2);
      return { amount: u(amount, 'amount'), releaseHeight: u(h, 'releaseHeight') };
    });
  }

  setUnbondingOf(owner: Address, entries: { amount: bigint; releaseHeight: bigint }[]): void {
    this.ledger.write(
      slot('unbOf', owner),
      entries.length === 0 ? null : rlpEncode(entries.map((e) => [e.amount, e.releaseHeight])),
    );
    // The index of accounts with entries follows every write (a settlement releases them all).
    const pos = this.ledger.read(slot('unbOwnerPos', owner));
    if (entries.length > 0 && pos === null) {
      const n = this.unbondingOwnerCount();
      this.ledger.write(slot('unbOwnerAt', n), rlpEncode(owner));
      this.ledger.write(slot('unbOwnerPos', owner), rlpEncode(n));
      this.ledger.write(slot('unbOwnersN'), rlpEncode(n + 1n));
    } else if (entries.length === 0 && pos !== null) {
      const i = u(rlpDecode(pos), 'unbonding owner position');
      const last = this.unbondingOwnerCount() - 1n;
      if (i !== last) {
        const moved = this.unbondingOwnerAt(last);
        this.ledger.write(slot('unbOwnerAt', i), rlpEncode(moved));
        this.ledger.write(slot('unbOwnerPos', moved), rlpEncode(i));
      }
      this.ledger.write(slot('unbOwnerAt', last), null);
      this.ledger.write(slot('unbOwnerPos', owner), null);
      this.ledger.write(slot('unbOwnersN'), last === 0n ? null : rlpEncode(last));
    }
  }

  unbondingOwnerCount(): bigint {
    const v = this.ledger.read(slot('unbOwnersN'));
    return v === null ? 0n : u(rlpDecode(v), 'unbonding owners');
  }

  private unbondingOwnerAt(i: bigint): Address {
    const v = this.ledger.read(slot('unbOwnerAt', i));
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
    return this.ledger.readList(slot('unbAt', height), 'releases').map((e) => {
      const [owner, amount] = asList(e, 'release', 2);
      return { owner: asBytes(owner, 'owner', 20), amount: u(amount, 'amount') };
    });
  }

  setReleasesAt(height: bigint, entries: { owner: Address; amount: bigint }[]): void {
    this.ledger.write(
      slot('unbAt', height),
      entries.length === 0 ? null : rlpEncode(entries.map((e) => [e.owner, e.amount])),
    );
  }
}
