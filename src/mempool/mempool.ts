/**
 * The pool of signed transactions waiting for a block. Pure and deterministic: account reads come
 * through an AccountView, nothing here does I/O, and every output order is defined by the
 * transactions alone (never by insertion order or Map iteration).
 *
 * Per sender, transactions are kept by nonce; a nonce may run up to `maxNonceGap` ahead of the
 * state nonce, so a wallet can queue a few at once. Only the run of contiguous nonces starting at
 * the state nonce is executable.
 */
import { compareBytes, toHex } from '../crypto/bytes.js';
import { TxError } from '../execution/errors.js';
import { effectiveGasPrice } from '../execution/fees.js';
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
}

export const DEFAULT_MEMPOOL_LIMITS: Readonly<MempoolLimits> = Object.freeze({
  maxCount: 4096,
  maxBytes: 32 * 1024 * 1024,
  maxPerSender: 64,
  maxNonceGap: 64,
  priceBumpPercent: 10n,
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
}

/** A position in one sender's nonce-ordered list, with the tip of the transaction it points at. */
interface Cursor {
  entries: Entry[];
  index: number;
  tip: bigint;
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

/** Cheapest first: lower tip, then lower hash. */
function cheaper(a: Cursor, b: Cursor): boolean {
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
  readonly blockGasLimit: bigint;
  readonly limits: Readonly<MempoolLimits>;
  private readonly byHash = new Map<string, Entry>();
  /** sender hex → its entries in ascending nonce order. */
  private readonly bySender = new Map<string, Entry[]>();
  private totalBytes = 0;

  constructor(opts: MempoolOptions) {
    this.minBaseFee = opts.minBaseFee;
    this.blockGasLimit = opts.blockGasLimit;
    const limits = { ...DEFAULT_MEMPOOL_LIMITS, ...opts.limits };
    for (const k of ['maxCount', 'maxBytes', 'maxPerSender'] as const) {
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

  has(hash: Uint8Array): boolean {
    return this.byHash.has(toHex(hash));
  }

  get(hash: Uint8Array): SignedTx | undefined {
    return this.byHash.get(toHex(hash))?.tx;
  }

  /** Every transaction held, by sender address then nonce. */
  all(): SignedTx[] {
    const out: SignedTx[] = [];
    for (const entries of this.sendersInOrder()) for (const e of entries) out.push(e.tx);
    return out;
  }

  /** Drops one transaction; returns whether it was held. */
  remove(hash: Uint8Array): boolean {
    const e = this.byHash.get(toHex(hash));
    if (!e) return false;
    this.removeEntry(e);
    return true;
  }

  /**
   * Admits a transaction or throws TxError. `baseFee` is the next block's base fee: it ranks
   * transactions when a full pool must choose which to keep.
   */
  add(tx: SignedTx, view: AccountView, baseFee: bigint): AddResult {
    const key = toHex(tx.hash);
    if (this.byHash.has(key))
      throw new TxError('already-known', `already known: transaction ${key}`);
    if (tx.to === null) {
      throw new TxError(
        'contract-creation-unsupported',
        'contract creation is not supported: the transaction has no recipient',
      );
    }
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
    const queue = this.bySender.get(senderKey) ?? [];
    // The sender must be able to pay for every transaction it would have queued from the state
    // nonce on, this one included (in place of the one it replaces): one admitted now must never
    // leave an earlier-admitted later nonce unpayable.
    let cost = maxCost(tx);
    let old: Entry | undefined;
    for (const e of queue) {
      if (e.tx.nonce === tx.nonce) old = e;
      else if (e.tx.nonce >= stateNonce) cost += maxCost(e.tx);
    }
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
    }

    const entry: Entry = { tx, key, senderKey, size: tx.raw.length };
    const victims = this.planEviction(entry, old, baseFee);
    if (old) this.removeEntry(old);
    for (const v of victims) this.removeEntry(v);
    this.insert(entry);
    return { replaced: old ? old.tx : null, evicted: victims.map((v) => v.tx) };
  }

  /** The state nonce advanced past this sender's contiguous queued nonces (the 'pending' nonce). */
  pendingNonce(sender: Uint8Array, view: AccountView): bigint {
    let next = view.nonce(sender);
    for (const e of this.bySender.get(toHex(sender)) ?? []) {
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
    for (const entries of this.bySender.values()) {
      const chain = this.executable(entries, view, baseFee);
      if (chain.length > 0)
        heads.push({ entries: chain, index: 0, tip: tipAt(chain[0]!.tx, baseFee) });
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
        heads.push({ entries: c.entries, index: c.index + 1, tip: tipAt(next.tx, baseFee) });
    }
    return out;
  }

  /**
   * After a new head: drops transactions whose nonce is now used, and those the sender can no
   * longer afford (with every later one of that sender, which could only run after them).
   * Transactions waiting for a nonce gap to fill, or for the base fee to fall, stay.
   */
  onNewHead(view: AccountView, _baseFee: bigint): void {
    for (const entries of this.sendersInOrder()) {
      const sender = entries[0]!.tx.sender;
      const stateNonce = view.nonce(sender);
      const spendable = view.spendable(sender);
      let cost = 0n;
      let broke = false;
      for (const e of [...entries]) {
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
    }
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
   * The transactions to evict so that `entry` fits (replacing `old`, if any), cheapest first:
   * only a sender's highest nonce is evictable (no gaps), never the newcomer's own sender, and
   * only ones paying a strictly lower tip than the newcomer. Throws 'pool-full' if that is not
   * enough; nothing changes until the plan succeeds.
   */
  private planEviction(entry: Entry, old: Entry | undefined, baseFee: bigint): Entry[] {
    const { maxCount, maxBytes } = this.limits;
    let count = this.byHash.size + 1 - (old ? 1 : 0);
    let bytes = this.totalBytes + entry.size - (old ? old.size : 0);
    if (count <= maxCount && bytes <= maxBytes) return [];
    const tip = tipAt(entry.tx, baseFee);
    const full = (): TxError =>
      new TxError(
        'pool-full',
        `transaction pool is full (${this.byHash.size} of ${maxCount} transactions, ${this.totalBytes} of ${maxBytes} bytes): tip ${tip} does not outbid enough cheaper transactions`,
      );
    if (entry.size > maxBytes) throw full();
    const tails = new Heap<Cursor>(cheaper);
    for (const [senderKey, entries] of this.bySender) {
      if (senderKey === entry.senderKey) continue;
      const index = entries.length - 1;
      tails.push({ entries, index, tip: tipAt(entries[index]!.tx, baseFee) });
    }
    const victims: Entry[] = [];
    while (count > maxCount || bytes > maxBytes) {
      const c = tails.pop();
      if (!c || c.tip >= tip) throw full();
      const victim = c.entries[c.index]!;
      victims.push(victim);
      count--;
      bytes -= victim.size;
      if (c.index > 0) {
        const index = c.index - 1;
        tails.push({ entries: c.entries, index, tip: tipAt(c.entries[index]!.tx, baseFee) });
      }
    }
    return victims;
  }

  private insert(entry: Entry): void {
    let entries = this.bySender.get(entry.senderKey);
    if (!entries) {
      entries = [];
      this.bySender.set(entry.senderKey, entries);
    }
    let i = entries.length;
    while (i > 0 && entries[i - 1]!.tx.nonce > entry.tx.nonce) i--;
    entries.splice(i, 0, entry);
    this.byHash.set(entry.key, entry);
    this.totalBytes += entry.size;
  }

  private removeEntry(entry: Entry): void {
    if (!this.byHash.delete(entry.key)) return;
    this.totalBytes -= entry.size;
    const entries = this.bySender.get(entry.senderKey)!;
    entries.splice(entries.indexOf(entry), 1);
    if (entries.length === 0) this.bySender.delete(entry.senderKey);
  }

  /** Each sender's entries, senders by address bytes (the defined order of every sweep). */
  private sendersInOrder(): Entry[][] {
    return [...this.bySender.values()].sort((a, b) =>
      compareBytes(a[0]!.tx.sender, b[0]!.tx.sender),
    );
  }
}
