/**
 * The pool of signed transactions waiting for a block. Pure and deterministic: account reads come
 * through an AccountView, nothing here does I/O, and every output order is defined by the
 * transactions alone (never by insertion order or Map iteration).
 *
 * Per sender, transactions are kept by nonce; a nonce may run up to `maxNonceGap` ahead of the
 * state nonce, so a wallet can queue a few at once. Only the run of contiguous nonces starting at
 * the state nonce is executable; the rest wait for an earlier nonce ("gapped"). Gapped
 * transactions cost their sender nothing until the gap is filled, so they are held apart: a small
 * count per sender and in total, below every executable transaction when the pool must choose
 * (an executable newcomer may evict any gapped one, a gapped newcomer never evicts an executable
 * one), and dropped after `gappedLifetimeBlocks` blocks.
 */
import { compareBytes, toHex } from '../crypto/bytes.js';
import { TxError } from '../execution/errors.js';
import { effectiveGasPrice } from '../execution/fees.js';
import { systemValueError } from '../execution/transition.js';
import { intrinsicGas, TX_GAS, type SignedTx } from '../execution/tx.js';
import { Heap } from './heap.js';

/** The head state as the pool sees an account. */
export interface AccountView {
  nonce(address: Uint8Array): bigint;
  /** Balance that may be spent: locked funds excluded. */
  spendable(address: Uint8Array): bigint;
}

export interface MempoolLimits {
  /** Transactions held at most. */
  maxCount: number;
  /** Sum of encoded transaction sizes held at most. */
  maxBytes: number;
  /** Transactions of one sender held at most. */
  maxPerSender: number;
  /** A transaction's nonce may be at most stateNonce + maxNonceGap. */
  maxNonceGap: number;
  /** A replacement must raise both maxFeePerGas and maxPriorityFeePerGas by this many percent. */
  priceBumpPercent: bigint;
  /** Gapped transactions (waiting for an earlier nonce) of one sender held at most. */
  maxGappedPerSender: number;
  /** Gapped transactions held at most, over all senders. */
  maxGapped: number;
  /** A transaction still gapped this many blocks after it became gapped is dropped. */
  gappedLifetimeBlocks: number;
}

export const DEFAULT_MEMPOOL_LIMITS: Readonly<MempoolLimits> = Object.freeze({
  maxCount: 4096,
  maxBytes: 32 * 1024 * 1024,
  maxPerSender: 64,
  maxNonceGap: 64,
  priceBumpPercent: 10n,
  maxGappedPerSender: 16,
  maxGapped: 1024,
  gappedLifetimeBlocks: 600,
});

export interface MempoolOptions {
  /** The base fee floor: a fee cap below it can never be included. */
  minBaseFee: bigint;
  /** No transaction may ask for more gas than a block holds. */
  blockGasLimit: bigint;
  limits?: Partial<MempoolLimits>;
}

export interface AddResult {
  /** The transaction of the same sender and nonce this one replaced. */
  replaced: SignedTx | null;
  /** Cheaper transactions dropped to make room in a full pool. */
  evicted: SignedTx[];
}

interface Entry {
  tx: SignedTx;
  key: string;
  senderKey: string;
  size: number;
  /** The pool's block count when the transaction became gapped; null while executable. */
  gappedSince: number | null;
}

/** One sender's transactions in ascending nonce order, and its state nonce as last seen. */
interface Queue {
  entries: Entry[];
  nonce: bigint;
}

/** A position in one sender's nonce-ordered list, with the tip of the transaction it points at. */
interface Cursor {
  entries: Entry[];
  index: number;
  tip: bigint;
  /** Whether the transaction it points at is gapped (evicted before any executable one). */
  gapped: boolean;
}

/** Most a transaction can cost its sender: value plus gas at the fee cap. */
function maxCost(tx: SignedTx): bigint {
  return tx.value + tx.gasLimit * tx.maxFeePerGas;
}

/**
 * What a transaction pays per gas above `baseFee`; negative when its fee cap is below the base fee
 * (it then pays nothing now, and ranks below every includable transaction).
 */
function tipAt(tx: SignedTx, baseFee: bigint): bigint {
  return effectiveGasPrice(tx, baseFee) - baseFee;
}

/** Best first: higher tip, then lower hash. Hashes are unique in the pool: a total order. */
function better(a: Cursor, b: Cursor): boolean {
  if (a.tip !== b.tip) return a.tip > b.tip;
  return compareBytes(a.entries[a.index]!.tx.hash, b.entries[b.index]!.tx.hash) < 0;
}

/** First to evict: gapped before executable, then lower tip, then lower hash. */
function cheaper(a: Cursor, b: Cursor): boolean {
  if (a.gapped !== b.gapped) return a.gapped;
  if (a.tip !== b.tip) return a.tip < b.tip;
  return compareBytes(a.entries[a.index]!.tx.hash, b.entries[b.index]!.tx.hash) < 0;
}

/** ceil(x · (100 + percent) / 100), and at least x + 1: a replacement must strictly raise it. */
function bumped(x: bigint, percent: bigint): bigint {
  const up = (x * (100n + percent) + 99n) / 100n;
  return up > x ? up : x + 1n;
}

export class Mempool {
  readonly minBaseFee: bigint;
  /** The node sets it to the head's before each admission (the DAO may change it). */
  blockGasLimit: bigint;
  readonly limits: Readonly<MempoolLimits>;
  private readonly byHash = new Map<string, Entry>();
  /** sender hex → its queue. */
  private readonly bySender = new Map<string, Queue>();
  private totalBytes = 0;
  private gappedCount = 0;
  /** Blocks seen (onNewHead calls): the clock of gapped transactions' expiry. */
  private blocks = 0;

  constructor(opts: MempoolOptions) {
    this.minBaseFee = opts.minBaseFee;
    this.blockGasLimit = opts.blockGasLimit;
    const limits = { ...DEFAULT_MEMPOOL_LIMITS, ...opts.limits };
    for (const k of [
      'maxCount',
      'maxBytes',
      'maxPerSender',
      'maxGappedPerSender',
      'maxGapped',
      'gappedLifetimeBlocks',
    ] as const) {
      if (!Number.isSafeInteger(limits[k]) || limits[k] < 1) {
        throw new RangeError(`mempool limit ${k} must be a positive integer, got ${limits[k]}`);
      }
    }
    if (!Number.isSafeInteger(limits.maxNonceGap) || limits.maxNonceGap < 0) {
      throw new RangeError(
        `mempool limit maxNonceGap must be a non-negative integer, got ${limits.maxNonceGap}`,
      );
    }
    if (limits.priceBumpPercent < 0n) {
      throw new RangeError(
        `mempool limit priceBumpPercent must not be negative, got ${limits.priceBumpPercent}`,
      );
    }
    this.limits = Object.freeze(limits);
  }

  /** Number of transactions held. */
  get size(): number {
    return this.byHash.size;
  }

  /** Sum of the encoded sizes of the transactions held. */
  get bytes(): number {
    return this.totalBytes;
  }

  /** Number of transactions held that wait for an earlier nonce. */
  get gapped(): number {
    return this.gappedCount;
  }

  has(hash: Uint8Array): boolean {
    return this.byHash.has(toHex(hash));
  }

  get(hash: Uint8Array): SignedTx | undefined {
    return this.byHash.get(toHex(hash))?.tx;
  }

  /** Whether a transaction held waits for an earlier nonce (undefined when not held). */
  isGapped(hash: Uint8Array): boolean | undefined {
    const e = this.byHash.get(toHex(hash));
    return e === undefined ? undefined : e.gappedSince !== null;
  }

  /** Every transaction held, by sender address then nonce. */
  all(): SignedTx[] {
    const out: SignedTx[] = [];
    for (const q of this.sendersInOrder()) for (const e of q.entries) out.push(e.tx);
    return out;
  }

  /**
   * Drops one transaction; returns whether it was held. The sender's later transactions then
   * wait for the nonce it leaves open (they are gapped, within the gapped limits).
   */
  remove(hash: Uint8Array): boolean {
    const e = this.byHash.get(toHex(hash));
    if (!e) return false;
    this.removeEntry(e);
    const q = this.bySender.get(e.senderKey);
    if (q) {
      this.classify(q);
      this.trimSender(q);
    }
    this.trimGapped();
    return true;
  }

  /**
   * Admits a transaction or throws TxError. `baseFee` is the next block's base fee: it ranks
   * transactions when a full pool must choose which to keep.
   */
  add(tx: SignedTx, view: AccountView, baseFee: bigint): AddResult {
    const key = tx.hashHex;
    if (this.byHash.has(key))
      throw new TxError('already-known', `already known: transaction ${key}`);
    const lost = systemValueError(tx);
    if (lost) throw lost;
    const gas = intrinsicGas(tx);
    if (tx.gasLimit < gas) {
      throw new TxError(
        'intrinsic-gas-too-low',
        `intrinsic gas too low: have ${tx.gasLimit}, want ${gas}`,
      );
    }
    if (tx.gasLimit > this.blockGasLimit) {
      throw new TxError(
        'gas-limit-too-high',
        `exceeds block gas limit: gas ${tx.gasLimit}, block gas limit ${this.blockGasLimit}`,
      );
    }
    if (tx.maxPriorityFeePerGas > tx.maxFeePerGas) {
      throw new TxError(
        'tip-above-fee-cap',
        `max priority fee per gas higher than max fee per gas: maxPriorityFeePerGas ${tx.maxPriorityFeePerGas}, maxFeePerGas ${tx.maxFeePerGas}`,
      );
    }
    if (tx.maxFeePerGas < this.minBaseFee) {
      throw new TxError(
        'underpriced',
        `transaction underpriced: maxFeePerGas ${tx.maxFeePerGas} below minimum base fee ${this.minBaseFee}`,
      );
    }
    const stateNonce = view.nonce(tx.sender);
    if (tx.nonce < stateNonce) {
      throw new TxError(
        'nonce-too-low',
        `nonce too low: next nonce ${stateNonce}, tx nonce ${tx.nonce}`,
      );
    }
    const maxNonce = stateNonce + BigInt(this.limits.maxNonceGap);
    if (tx.nonce > maxNonce) {
      throw new TxError(
        'nonce-too-high',
        `nonce too high: next nonce ${stateNonce}, tx nonce ${tx.nonce}, at most ${this.limits.maxNonceGap} ahead`,
      );
    }

    const senderKey = toHex(tx.sender);
    const queue = this.bySender.get(senderKey)?.entries ?? [];
    // The sender must be able to pay for every transaction it would have queued from the state
    // nonce on, this one included (in place of the one it replaces): one admitted now must never
    // leave an earlier-admitted later nonce unpayable.
    let cost = maxCost(tx);
    let old: Entry | undefined;
    let gappedOfSender = 0;
    // The newcomer is executable when every nonce from the state nonce up to it is queued.
    let next = stateNonce;
    for (const e of queue) {
      if (e.tx.nonce === tx.nonce) old = e;
      else if (e.tx.nonce >= stateNonce) cost += maxCost(e.tx);
      if (e.tx.nonce === next && next < tx.nonce) next++;
      if (e.gappedSince !== null) gappedOfSender++;
    }
    const gapped = next < tx.nonce;
    const spendable = view.spendable(tx.sender);
    if (cost > spendable) {
      throw new TxError(
        'insufficient-funds',
        `insufficient funds for gas * price + value: spendable ${spendable}, cost ${cost} (locked funds are not spendable)`,
      );
    }
    if (old) {
      const bump = this.limits.priceBumpPercent;
      const minFee = bumped(old.tx.maxFeePerGas, bump);
      const minTip = bumped(old.tx.maxPriorityFeePerGas, bump);
      if (tx.maxFeePerGas < minFee || tx.maxPriorityFeePerGas < minTip) {
        throw new TxError(
          'replacement-underpriced',
          `replacement transaction underpriced: needs a ${bump}% higher fee (maxFeePerGas ≥ ${minFee}, maxPriorityFeePerGas ≥ ${minTip})`,
        );
      }
    } else if (queue.length >= this.limits.maxPerSender) {
      throw new TxError(
        'sender-limit',
        `sender has too many queued transactions: limit ${this.limits.maxPerSender}`,
      );
    } else if (gapped && gappedOfSender >= this.limits.maxGappedPerSender) {
      throw new TxError(
        'sender-limit',
        `sender has too many transactions waiting for an earlier nonce (next nonce ${next}, tx nonce ${tx.nonce}): limit ${this.limits.maxGappedPerSender}`,
      );
    }

    const entry: Entry = {
      tx,
      key,
      senderKey,
      size: tx.raw.length,
      gappedSince: gapped ? this.blocks : null,
    };
    const victims = this.planEviction(entry, old, baseFee);
    if (old) this.removeEntry(old);
    for (const v of victims) this.removeEntry(v);
    const q = this.insert(entry, stateNonce);
    // Filling a gap makes the sender's later transactions executable.
    this.classify(q);
    return { replaced: old ? old.tx : null, evicted: victims.map((v) => v.tx) };
  }

  /** The state nonce advanced past this sender's contiguous queued nonces (the 'pending' nonce). */
  pendingNonce(sender: Uint8Array, view: AccountView): bigint {
    let next = view.nonce(sender);
    for (const e of this.bySender.get(toHex(sender))?.entries ?? []) {
      if (e.tx.nonce < next) continue;
      if (e.tx.nonce !== next) break;
      next++;
    }
    return next;
  }

  /**
   * Transactions for the next block, in inclusion order: only executable ones (each sender's
   * contiguous nonces from its state nonce, fee cap ≥ baseFee, affordable in sequence), highest
   * effective tip first (ties by lower hash), each sender's in nonce order. When a sender's next
   * transaction does not fit the remaining gas or bytes, the rest of that sender's chain is left
   * out; others may still fit.
   */
  selectForBlock(
    view: AccountView,
    baseFee: bigint,
    gasLimit: bigint,
    maxBytes: number,
  ): SignedTx[] {
    const heads = new Heap<Cursor>(better);
    for (const { entries } of this.bySender.values()) {
      const chain = this.executable(entries, view, baseFee);
      if (chain.length > 0)
        heads.push({ entries: chain, index: 0, tip: tipAt(chain[0]!.tx, baseFee), gapped: false });
    }
    const out: SignedTx[] = [];
    let gas = 0n;
    let bytes = 0;
    // Every transaction needs at least TX_GAS: below that, nothing more can fit.
    while (heads.size > 0 && gasLimit - gas >= TX_GAS) {
      const c = heads.pop()!;
      const e = c.entries[c.index]!;
      if (gas + e.tx.gasLimit > gasLimit || bytes + e.size > maxBytes) continue;
      out.push(e.tx);
      gas += e.tx.gasLimit;
      bytes += e.size;
      const next = c.entries[c.index + 1];
      if (next)
        heads.push({
          entries: c.entries,
          index: c.index + 1,
          tip: tipAt(next.tx, baseFee),
          gapped: false,
        });
    }
    return out;
  }

  /**
   * After a new head: drops transactions whose nonce is now used, and those the sender can no
   * longer afford (with every later one of that sender, which could only run after them); then
   * gapped transactions older than `gappedLifetimeBlocks`, and gapped ones beyond the limits
   * (the cheapest first). Transactions waiting for the base fee to fall stay.
   */
  onNewHead(view: AccountView, baseFee: bigint): void {
    this.blocks++;
    const lifetime = this.limits.gappedLifetimeBlocks;
    for (const q of this.sendersInOrder()) {
      const sender = q.entries[0]!.tx.sender;
      const stateNonce = view.nonce(sender);
      const spendable = view.spendable(sender);
      let cost = 0n;
      let broke = false;
      for (const e of [...q.entries]) {
        if (e.tx.nonce < stateNonce) {
          this.removeEntry(e);
          continue;
        }
        cost += maxCost(e.tx);
        if (broke || cost > spendable) {
          broke = true;
          this.removeEntry(e);
        }
      }
      if (q.entries.length === 0) continue;
      q.nonce = stateNonce;
      this.classify(q);
      for (const e of [...q.entries])
        if (e.gappedSince !== null && this.blocks - e.gappedSince >= lifetime) this.removeEntry(e);
      this.trimSender(q);
    }
    this.trimGapped(baseFee);
  }

  /** The executable prefix of one sender's nonce-ordered entries. */
  private executable(entries: Entry[], view: AccountView, baseFee: bigint): Entry[] {
    const sender = entries[0]!.tx.sender;
    let nonce = view.nonce(sender);
    let budget = view.spendable(sender);
    const chain: Entry[] = [];
    for (const e of entries) {
      if (e.tx.nonce < nonce) continue;
      if (e.tx.nonce !== nonce || e.tx.maxFeePerGas < baseFee) break;
      const cost = maxCost(e.tx);
      if (cost > budget) break;
      budget -= cost;
      chain.push(e);
      nonce++;
    }
    return chain;
  }

  /**
   * The transactions to evict so that `entry` fits (replacing `old`, if any), gapped ones before
   * executable ones and the cheapest first: only a sender's highest nonce is evictable (no new
   * gaps), never the newcomer's own sender; a gapped transaction may go for any executable
   * newcomer, and for a gapped newcomer paying a strictly higher tip; an executable one only for
   * an executable newcomer paying a strictly higher tip. Throws 'pool-full' if that is not
   * enough; nothing changes until the plan succeeds.
   */
  private planEviction(entry: Entry, old: Entry | undefined, baseFee: bigint): Entry[] {
    const { maxCount, maxBytes, maxGapped } = this.limits;
    const gapped = entry.gappedSince !== null;
    let count = this.byHash.size + 1 - (old ? 1 : 0);
    let bytes = this.totalBytes + entry.size - (old ? old.size : 0);
    let gappedCount = this.gappedCount + (gapped && !old ? 1 : 0);
    const over = () => count > maxCount || bytes > maxBytes || (gapped && gappedCount > maxGapped);
    if (!over()) return [];
    const tip = tipAt(entry.tx, baseFee);
    const full = (): TxError =>
      gapped && gappedCount > maxGapped
        ? new TxError(
            'pool-full',
            `transaction pool is full of transactions waiting for an earlier nonce (${this.gappedCount} of ${maxGapped}): tip ${tip} does not outbid enough cheaper ones`,
          )
        : new TxError(
            'pool-full',
            `transaction pool is full (${this.byHash.size} of ${maxCount} transactions, ${this.totalBytes} of ${maxBytes} bytes): tip ${tip} does not outbid enough cheaper transactions`,
          );
    if (entry.size > maxBytes) throw full();
    const tails = new Heap<Cursor>(cheaper);
    for (const [senderKey, q] of this.bySender) {
      if (senderKey === entry.senderKey) continue;
      tails.push(this.cursorAt(q.entries, q.entries.length - 1, baseFee));
    }
    const victims: Entry[] = [];
    while (over()) {
      const c = tails.pop();
      if (!c) throw full();
      // An executable newcomer outranks every gapped transaction; otherwise only a strictly
      // higher tip of the same class wins, and a gapped newcomer never displaces an executable one.
      const evictable = c.gapped ? !gapped || c.tip < tip : !gapped && c.tip < tip;
      if (!evictable) throw full();
      const victim = c.entries[c.index]!;
      victims.push(victim);
      count--;
      bytes -= victim.size;
      if (c.gapped) gappedCount--;
      if (c.index > 0) tails.push(this.cursorAt(c.entries, c.index - 1, baseFee));
    }
    return victims;
  }

  private cursorAt(entries: Entry[], index: number, baseFee: bigint): Cursor {
    const e = entries[index]!;
    return { entries, index, tip: tipAt(e.tx, baseFee), gapped: e.gappedSince !== null };
  }

  /**
   * Marks which of a sender's transactions are gapped: those after the first nonce missing from
   * its state nonce on. A transaction that becomes gapped starts its lifetime now.
   */
  private classify(q: Queue): void {
    let next = q.nonce;
    for (const e of q.entries) {
      const isGapped = e.tx.nonce > next;
      if (!isGapped && e.tx.nonce === next) next++;
      if (isGapped && e.gappedSince === null) {
        e.gappedSince = this.blocks;
        this.gappedCount++;
      } else if (!isGapped && e.gappedSince !== null) {
        e.gappedSince = null;
        this.gappedCount--;
      }
    }
  }

  /** Drops a sender's gapped transactions beyond maxGappedPerSender, highest nonces first. */
  private trimSender(q: Queue): void {
    let excess = -this.limits.maxGappedPerSender;
    for (const e of q.entries) if (e.gappedSince !== null) excess++;
    for (let i = q.entries.length - 1; excess > 0 && i >= 0; i--) {
      const e = q.entries[i]!;
      if (e.gappedSince === null) continue;
      this.removeEntry(e);
      excess--;
    }
  }

  /**
   * Drops gapped transactions beyond maxGapped, the cheapest first (by tip at `baseFee`; the
   * floor when not known), each sender's highest nonce first.
   */
  private trimGapped(baseFee: bigint = this.minBaseFee): void {
    if (this.gappedCount <= this.limits.maxGapped) return;
    const tails = new Heap<Cursor>(cheaper);
    for (const q of this.bySender.values())
      tails.push(this.cursorAt(q.entries, q.entries.length - 1, baseFee));
    while (this.gappedCount > this.limits.maxGapped) {
      const c = tails.pop()!;
      // Gapped tails come out first; every gapped transaction is some sender's tail in turn.
      this.removeEntry(c.entries[c.index]!);
      if (c.index > 0) tails.push(this.cursorAt(c.entries, c.index - 1, baseFee));
    }
  }

  private insert(entry: Entry, stateNonce: bigint): Queue {
    let q = this.bySender.get(entry.senderKey);
    if (!q) {
      q = { entries: [], nonce: stateNonce };
      this.bySender.set(entry.senderKey, q);
    }
    q.nonce = stateNonce;
    const { entries } = q;
    let i = entries.length;
    while (i > 0 && entries[i - 1]!.tx.nonce > entry.tx.nonce) i--;
    entries.splice(i, 0, entry);
    this.byHash.set(entry.key, entry);
    this.totalBytes += entry.size;
    if (entry.gappedSince !== null) this.gappedCount++;
    return q;
  }

  private removeEntry(entry: Entry): void {
    if (!this.byHash.delete(entry.key)) return;
    this.totalBytes -= entry.size;
    if (entry.gappedSince !== null) this.gappedCount--;
    const q = this.bySender.get(entry.senderKey)!;
    q.entries.splice(q.entries.indexOf(entry), 1);
    if (q.entries.length === 0) this.bySender.delete(entry.senderKey);
  }

  /** Each sender's queue, senders by address bytes (the defined order of every sweep). */
  private sendersInOrder(): Queue[] {
    // Keys are lower-case hex of one length: their string order is the addresses' byte order,
    // and a native string sort is several times cheaper than comparing the bytes (every block).
    return [...this.bySender.keys()].sort().map((k) => this.bySender.get(k)!);
  }
}
