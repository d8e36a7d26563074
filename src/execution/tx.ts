/**
 * Ethereum-compatible signed transactions (PROTOCOL §1, §3): legacy with EIP-155 replay
 * protection, EIP-2930 and EIP-1559. Every field is parsed and range-checked here, with the
 * rules of Ethereum's Prague fork (the ones @ethereumjs/tx applies, which the tests use as the
 * reference); the signing hash is computed from the encoding itself (its unsigned items, taken
 * as bytes), so admitting a transaction builds no library transaction object. The sender is
 * recovered with the native libsecp256k1 (the JS recovery is ~20× slower). Decoded transactions
 * are remembered by hash only when the caller keeps them (the mempool admitted them, or a block
 * holds them), within a byte budget, so a transaction met twice (gossip, then block import) is
 * recovered once while one that is refused costs no memory once refused.
 */
import { LRUCache } from 'lru-cache';
import { bigintToBytes, equalBytes, toHex } from '../crypto/bytes.js';
import { keccak256 } from '../crypto/keccak.js';
import type { RecoveryPool } from '../crypto/recovery-pool.js';
import {
  recoverAddress,
  SECP256K1_HALF_N,
  SECP256K1_N,
  SignatureError,
} from '../crypto/secp256k1.js';
import { asUint, DecodeError, rlpDecode, rlpItemOffset, type RlpItem } from '../codec/rlp.js';
import {
  rlpBytesLength,
  rlpListHeaderLength,
  writeRlpBytes,
  writeRlpListHeader,
} from '../codec/rlp-writer.js';
import { TxError } from './errors.js';
import { MAX_UINT256 } from '../state/account.js';

export interface AccessListEntry {
  address: Uint8Array;
  storageKeys: Uint8Array[];
}

export interface SignedTx {
  /** Canonical network encoding: legacy = RLP list, typed = type byte ‖ RLP. */
  readonly raw: Uint8Array;
  /** keccak256(raw). */
  readonly hash: Uint8Array;
  /** The hash as 0x-prefixed lowercase hex: the key the caches and the mempool file it under. */
  readonly hashHex: `0x${string}`;
  readonly type: 0 | 1 | 2;
  readonly chainId: bigint;
  readonly nonce: bigint;
  readonly gasLimit: bigint;
  readonly to: Uint8Array | null;
  readonly value: bigint;
  readonly data: Uint8Array;
  readonly accessList: AccessListEntry[];
  /** Legacy and EIP-2930 only. */
  readonly gasPrice: bigint | null;
  /** = gasPrice for legacy and EIP-2930. */
  readonly maxFeePerGas: bigint;
  /** = gasPrice for legacy and EIP-2930. */
  readonly maxPriorityFeePerGas: bigint;
  readonly v: bigint;
  readonly r: bigint;
  readonly s: bigint;
  /** Typed transactions only. */
  readonly yParity: 0 | 1 | null;
  readonly sender: Uint8Array;
}

export const DEFAULT_MAX_TX_BYTES = 131_072;
const DEFAULT_SENDER_CACHE_SIZE = 65_536;
/** Bytes the remembered transactions may take (see entryBytes). */
const DEFAULT_TX_CACHE_BYTES = 64 * 1024 * 1024;
/** Bytes the transactions recovered ahead (prefetch) may take while they wait to be decoded. */
const DEFAULT_PREFETCH_BYTES = 32 * 1024 * 1024;

/**
 * What a decoded transaction holds in memory, as the caches count it: its encoding (its data,
 * recipient and access list are views into it) and about 600 bytes of fields and object headers.
 */
export function entryBytes(tx: Pick<SignedTx, 'raw'>): number {
  return tx.raw.length + 600;
}

export const TX_GAS = 21_000n;
const TX_CREATE_GAS = 32_000n;
const TX_DATA_ZERO_GAS = 4n;
const TX_DATA_NON_ZERO_GAS = 16n;
const ACCESS_LIST_ADDRESS_GAS = 2_400n;
const ACCESS_LIST_STORAGE_KEY_GAS = 1_900n;

/** EIP-3860: gas per 32-byte word of a creation's initcode. */
const INITCODE_WORD_GAS = 2n;

/** Gas charged before any execution: base cost, calldata, initcode words and access list. */
export function intrinsicGas(tx: Pick<SignedTx, 'to' | 'data' | 'accessList'>): bigint {
  let gas = TX_GAS;
  if (tx.to === null)
    gas += TX_CREATE_GAS + INITCODE_WORD_GAS * ((BigInt(tx.data.length) + 31n) / 32n);
  let zeros = 0;
  for (let i = 0; i < tx.data.length; i++) if (tx.data[i] === 0) zeros++;
  gas += BigInt(zeros) * TX_DATA_ZERO_GAS + BigInt(tx.data.length - zeros) * TX_DATA_NON_ZERO_GAS;
  for (const entry of tx.accessList) {
    gas += ACCESS_LIST_ADDRESS_GAS + BigInt(entry.storageKeys.length) * ACCESS_LIST_STORAGE_KEY_GAS;
  }
  return gas;
}

/** Number of RLP items of a signed transaction, by type. */
const SIGNED_FIELDS = { 0: 9, 1: 11, 2: 12 } as const;

/** Largest 256-bit value: no fee, value or fee × gas product may exceed it. */
/** EIP-2681: a nonce is below 2^64 − 1 (the account nonce must still be incrementable). */
const MAX_NONCE = (1n << 64n) - 1n;
/** EIP-3860 (Prague): largest initcode of a contract-creation transaction. */
export const MAX_INITCODE_BYTES = 49_152;

export interface TxDecoderOptions {
  chainId: bigint;
  /** Largest accepted encoding, in bytes (default 131072). */
  maxTxBytes?: number;
  /** Transactions remembered by hash (default 65,536; 0 disables the cache). */
  cacheSize?: number;
  /** Bytes the remembered transactions may take, as entryBytes counts them (default 64 MiB). */
  cacheBytes?: number;
  /** Bytes prefetched transactions may take while they wait to be decoded (default 32 MiB). */
  prefetchBytes?: number;
}

/** Whether decode remembers what it decodes. */
export interface DecodeOptions {
  /**
   * Remember the transaction (default false): for transactions that are worth it — admitted to
   * the mempool (see keep), or in a block. Never for anything a peer or client merely sent.
   */
  keep?: boolean;
}

/**
 * Decoded transactions by hash hex, least recently used evicted first, within a count and a byte
 * budget (entryBytes). lru-cache evicts in constant time: a Map trimmed from its front scans the
 * holes its deletions left, which cost ~20 µs per eviction at 65,536 entries.
 */
class TxCache {
  private readonly lru: LRUCache<string, SignedTx> | null;

  constructor(maxCount: number, maxBytes: number) {
    this.lru =
      maxCount === 0
        ? null
        : new LRUCache<string, SignedTx>({
            max: maxCount,
            maxSize: maxBytes,
            sizeCalculation: entryBytes,
          });
  }

  get count(): number {
    return this.lru?.size ?? 0;
  }

  get bytes(): number {
    return this.lru?.calculatedSize ?? 0;
  }

  /** The entry, made the most recently used. */
  get(key: string): SignedTx | undefined {
    return this.lru?.get(key);
  }

  has(key: string): boolean {
    return this.lru?.has(key) ?? false;
  }

  /** Remembers `tx` (an entry larger than the whole byte budget is not kept). */
  set(key: string, tx: SignedTx): void {
    this.lru?.set(key, tx);
  }
}

/**
 * Transactions recovered ahead, by hash hex, until decode takes them: oldest dropped first,
 * within a count and a byte budget (entryBytes). The order is a queue of keys beside the map,
 * each with the number it was queued under, so that a key taken and queued again is not dropped
 * for its earlier place. (Not lru-cache: taking its last entry clears arrays as long as its count
 * limit, ~200 µs at 65,536, and the prefetched batches are all taken after nearly every batch.
 * Nor a Map iterator kept for eviction: it keeps every table the map has outgrown, with their
 * entries, until it moves.)
 */
class PrefetchQueue {
  private readonly txs = new Map<string, { tx: SignedTx; seq: number }>();
  private keys: string[] = [];
  private seqs: number[] = [];
  /** The oldest place of the queue not yet dropped. */
  private head = 0;
  private seq = 0;
  private size = 0;

  constructor(
    private readonly maxCount: number,
    private readonly maxBytes: number,
  ) {}

  get count(): number {
    return this.txs.size;
  }

  /** The entry, removed. */
  take(key: string): SignedTx | undefined {
    const e = this.txs.get(key);
    if (e === undefined) return undefined;
    this.txs.delete(key);
    this.size -= entryBytes(e.tx);
    // Emptied (after nearly every batch): the queue's places go with it.
    if (this.txs.size === 0) this.clearOrder();
    return e.tx;
  }

  /** Queues `tx` (an entry larger than the whole byte budget is not kept), dropping the oldest. */
  set(key: string, tx: SignedTx): void {
    const bytes = entryBytes(tx);
    if (this.maxCount === 0 || bytes > this.maxBytes || this.txs.has(key)) return;
    const seq = ++this.seq;
    this.txs.set(key, { tx, seq });
    this.keys.push(key);
    this.seqs.push(seq);
    this.size += bytes;
    while (this.txs.size > this.maxCount || this.size > this.maxBytes) {
      const k = this.keys[this.head]!;
      const s = this.seqs[this.head]!;
      this.head++;
      // A place whose entry was taken since (or taken and queued again) is skipped.
      if (this.txs.get(k)?.seq === s) this.take(k);
    }
    // Places taken or dropped are let go once they outnumber the entries waiting.
    if (this.keys.length > 2 * this.txs.size + 64) this.compact();
  }

  private clearOrder(): void {
    this.keys = [];
    this.seqs = [];
    this.head = 0;
  }

  private compact(): void {
    const keys: string[] = [];
    const seqs: number[] = [];
    for (let i = this.head; i < this.keys.length; i++) {
      const k = this.keys[i]!;
      if (this.txs.get(k)?.seq === this.seqs[i]) {
        keys.push(k);
        seqs.push(this.seqs[i]!);
      }
    }
    this.keys = keys;
    this.seqs = seqs;
    this.head = 0;
  }
}

/** The fields of a transaction, read from its decoded RLP items. */
interface Fields {
  nonce: bigint;
  gasPrice: bigint | null;
  maxFeePerGas: bigint;
  maxPriorityFeePerGas: bigint;
  gasLimit: bigint;
  to: Uint8Array | null;
  value: bigint;
  data: Uint8Array;
}

/**
 * Decodes and authenticates raw transactions for one chain. Every refusal is a TxError:
 * 'oversized', 'malformed' (bad RLP, wrong field count or width, trailing bytes, non-canonical
 * encoding, unknown type, a nonce, gas limit or value out of range, a fee × gas product above
 * 2^256 − 1, an initcode above 49,152 bytes), 'wrong-chain-id', 'unprotected' (legacy without
 * EIP-155), 'bad-signature' (invalid v / yParity, r or s out of range, high s, unrecoverable)
 * and 'tip-above-fee-cap' (an EIP-1559 tip above its fee cap). Contract creation (to = null)
 * decodes; the mempool and execution refuse it.
 */
export class TxDecoder {
  readonly chainId: bigint;
  readonly maxTxBytes: number;
  readonly cacheSize: number;
  /** The chain id as a minimal big-endian integer: the EIP-155 signing payload's 7th item. */
  private readonly chainIdBytes: Uint8Array;
  /**
   * hash hex → the transaction decoded from those bytes (the same bytes always decode the same
   * way for one chain), for the transactions kept.
   */
  private readonly decoded: TxCache;
  /** Transactions recovered ahead, until decode takes them (oldest dropped first). */
  private readonly prefetched: PrefetchQueue;
  /**
   * Their keys by the very array each was parsed from: decode of that array (a batch recovered,
   * then admitted one by one) finds its transaction without hashing the bytes again. Weak, and
   * only the key: an entry holds a short string no longer than the caller holds its array.
   */
  private readonly prefetchedByInput = new WeakMap<Uint8Array, string>();
  private recoveries = 0;
  private hits = 0;

  constructor(opts: TxDecoderOptions) {
    this.chainId = opts.chainId;
    this.maxTxBytes = opts.maxTxBytes ?? DEFAULT_MAX_TX_BYTES;
    this.cacheSize = opts.cacheSize ?? DEFAULT_SENDER_CACHE_SIZE;
    if (opts.chainId <= 0n) throw new RangeError(`chain id must be positive, got ${opts.chainId}`);
    this.chainIdBytes = bigintToBytes(opts.chainId);
    this.decoded = new TxCache(this.cacheSize, opts.cacheBytes ?? DEFAULT_TX_CACHE_BYTES);
    this.prefetched = new PrefetchQueue(
      this.cacheSize,
      opts.prefetchBytes ?? DEFAULT_PREFETCH_BYTES,
    );
  }

  /**
   * Sender recoveries done and cache hits so far; transactions (and their bytes) remembered, and
   * prefetched ones waiting to be decoded.
   */
  stats(): {
    recoveries: number;
    cacheHits: number;
    cached: number;
    cachedBytes: number;
    prefetched: number;
  } {
    return {
      recoveries: this.recoveries,
      cacheHits: this.hits,
      cached: this.decoded.count,
      cachedBytes: this.decoded.bytes,
      prefetched: this.prefetched.count,
    };
  }

  /**
   * Decodes and authenticates a transaction; throws TxError. What it returns is shared with the
   * caches (a transaction met twice is the same object): no one writes to a SignedTx.
   */
  decode(input: Uint8Array, opts: DecodeOptions = {}): SignedTx {
    const parsed = this.parse(input);
    const tx = 'sender' in parsed ? parsed : withSender(parsed, this.sender(parsed));
    if (opts.keep) this.keep(tx);
    return tx;
  }

  /** Remembers a decoded transaction (the mempool admitted it), so it is not recovered again. */
  keep(tx: SignedTx): void {
    if (this.cacheSize === 0) return;
    this.decoded.set(tx.hashHex, tx);
  }

  /**
   * Recovers the senders of many transactions at once on a worker pool and holds the decoded
   * transactions (within prefetchBytes) until `decode` of the same bytes takes them. What does
   * not decode or recover is left alone: `decode` reports it as it always does.
   */
  async prefetch(inputs: readonly Uint8Array[], pool: RecoveryPool): Promise<void> {
    if (this.cacheSize === 0) return;
    const pending: Parsed[] = [];
    const pendingInputs: Uint8Array[] = [];
    for (const input of inputs) {
      try {
        const parsed = this.parse(input);
        if (!('sender' in parsed)) {
          pending.push(parsed);
          pendingInputs.push(input);
        }
      } catch {
        // decode will refuse it with the same error.
      }
    }
    if (pending.length === 0) return;
    const results = await pool.recover(
      pending.map((p) => ({ digest: p.digest, signature: p.signature })),
    );
    results.forEach((r, i) => {
      if (!('address' in r)) return;
      this.recoveries++;
      const p = pending[i]!;
      if (this.decoded.has(p.tx.hashHex)) return;
      const tx = withSender(p, r.address);
      this.prefetched.set(tx.hashHex, tx);
      this.prefetchedByInput.set(pendingInputs[i]!, tx.hashHex);
    });
  }

  /** Everything but the sender: a cache hit is returned whole. Throws TxError. */
  private parse(input: Uint8Array): SignedTx | Parsed {
    if (!(input instanceof Uint8Array)) throw malformed('expected bytes');
    if (input.length > this.maxTxBytes) {
      throw new TxError(
        'oversized',
        `oversized transaction: ${input.length} bytes, limit ${this.maxTxBytes}`,
      );
    }
    if (input.length === 0) throw malformed('empty input');
    const prefetchedKey = this.prefetchedByInput.get(input);
    if (prefetchedKey !== undefined) {
      this.prefetchedByInput.delete(input);
      const tx = this.prefetched.take(prefetchedKey);
      // Unless it was dropped for room, or the caller wrote to its array since.
      if (tx !== undefined && equalBytes(tx.raw, input)) {
        this.hits++;
        return tx;
      }
    }
    // A transaction met before (gossip, then the block that includes it) is not decoded again.
    const hash = keccak256(input);
    const key = toHex(hash);
    const cached =
      this.cacheSize > 0 ? (this.decoded.get(key) ?? this.prefetched.take(key)) : undefined;
    if (cached) {
      this.hits++;
      return cached;
    }
    // Own copy, safe from the caller reusing its buffer.
    const raw = input.slice();
    const first = raw[0]!;
    let type: 0 | 1 | 2;
    if (first >= 0xc0) type = 0;
    else if (first === 1 || first === 2) type = first;
    else if (first < 0x80) throw malformed(`unsupported transaction type ${first}`);
    else throw malformed('not an RLP list');

    let item: RlpItem;
    try {
      // Strict: a non-minimal length or a single byte below 0x80 in a string header is refused.
      // Views into raw: the transaction keeps raw, and its data and recipient are parts of it.
      item = rlpDecode(type === 0 ? raw : raw.subarray(1), true);
    } catch (e) {
      throw malformed((e as Error).message);
    }
    if (!Array.isArray(item)) throw malformed('not an RLP list');
    if (item.length !== SIGNED_FIELDS[type]) {
      throw malformed(
        `type ${type} transaction needs ${SIGNED_FIELDS[type]} fields, got ${item.length}`,
      );
    }

    const recid = this.checkReplayProtection(type, item);
    const accessList = type === 0 ? [] : accessListOf(item[type === 1 ? 7 : 8]);
    const rBytes = item[item.length - 2];
    const sBytes = item[item.length - 1];
    const r = uint(rBytes, 'r');
    const s = uint(sBytes, 's');
    if (r === 0n || r >= SECP256K1_N || s === 0n || s >= SECP256K1_N) {
      throw new TxError('bad-signature', 'invalid transaction signature: r or s out of range');
    }
    if (s > SECP256K1_HALF_N) {
      throw new TxError(
        'bad-signature',
        'invalid transaction signature: s above secp256k1n/2 (EIP-2)',
      );
    }
    // EIP-1559 fees, read once: checked here, before the other fields, and kept by fieldsOf.
    let fees: Fees | null = null;
    if (type === 2) {
      fees = { tip: uint(item[2], 'maxPriorityFeePerGas'), cap: uint(item[3], 'maxFeePerGas') };
      if (fees.tip > fees.cap) {
        throw new TxError(
          'tip-above-fee-cap',
          `max priority fee per gas higher than max fee per gas: maxPriorityFeePerGas ${fees.tip}, maxFeePerGas ${fees.cap}`,
        );
      }
    }

    // One transaction, one encoding, one hash: the RLP decoder refuses every non-canonical
    // length, and fieldsOf every integer with a leading zero.
    const fields = fieldsOf(type, item, fees);
    const digest = signingHash(type, raw, this.chainIdBytes);
    const signature = new Uint8Array(65);
    signature.set(rBytes as Uint8Array, 32 - (rBytes as Uint8Array).length);
    signature.set(sBytes as Uint8Array, 64 - (sBytes as Uint8Array).length);
    signature[64] = recid;
    return {
      digest,
      signature,
      tx: {
        raw,
        hash,
        hashHex: key,
        type,
        chainId: this.chainId,
        ...fields,
        accessList,
        v: type === 0 ? uint(item[6], 'v') : BigInt(recid),
        r,
        s,
        yParity: type === 0 ? null : recid,
        sender: NO_SENDER,
      },
    };
  }

  /** Checks the chain id (EIP-155 `v` or the typed field) and returns the recovery id. */
  private checkReplayProtection(type: 0 | 1 | 2, item: RlpItem[]): 0 | 1 {
    if (type === 0) {
      const v = uint(item[6], 'v');
      if (v === 27n || v === 28n) {
        throw new TxError(
          'unprotected',
          `only replay-protected (EIP-155) transactions allowed: v ${v} carries no chain id, expected chain id ${this.chainId}`,
        );
      }
      if (v < 35n) throw new TxError('bad-signature', `invalid transaction v value ${v}`);
      const chainId = (v - 35n) / 2n;
      if (chainId !== this.chainId) throw wrongChain(this.chainId, chainId);
      return Number((v - 35n) % 2n) as 0 | 1;
    }
    const chainId = uint(item[0], 'chainId');
    if (chainId !== this.chainId) throw wrongChain(this.chainId, chainId);
    const yParity = uint(item[type === 1 ? 8 : 9], 'yParity');
    if (yParity > 1n) throw new TxError('bad-signature', `invalid transaction yParity ${yParity}`);
    return Number(yParity) as 0 | 1;
  }

  private sender({ digest, signature }: Parsed): Uint8Array {
    try {
      const sender = recoverAddress(digest, signature).slice();
      this.recoveries++;
      return sender;
    } catch (e) {
      if (e instanceof SignatureError)
        throw new TxError('bad-signature', `invalid transaction signature: ${e.message}`);
      throw e;
    }
  }
}

/** A transaction decoded and checked up to its sender. */
interface Parsed {
  /** What the sender signed, and r ‖ s ‖ recovery id. */
  digest: Uint8Array;
  signature: Uint8Array;
  /** Complete but for its sender (NO_SENDER), which withSender sets once, before it is shared. */
  tx: SignedTx;
}

/** The sender of a parsed transaction not yet recovered: never seen outside this module. */
const NO_SENDER = new Uint8Array(0);

/** The parsed transaction with its recovered sender (set on the object parse made: no copy). */
function withSender(p: Parsed, sender: Uint8Array): SignedTx {
  (p.tx as { sender: Uint8Array }).sender = sender;
  return p.tx;
}

/**
 * The digest the sender signed: keccak256(type ‖ rlp(items without yParity, r, s)) for a typed
 * transaction; keccak256(rlp([nonce, gasPrice, gas, to, value, data, chainId, 0, 0])) for a
 * legacy one (EIP-155; the decoder refuses unprotected ones). `raw` is a signed transaction that
 * decoded strictly (one encoding per item: test/codec/rlp.test.ts), so the unsigned items are its
 * own leading bytes, taken as they are under a new list header. `chainId` is the chain id as a
 * minimal big-endian integer.
 */
export function signingHash(type: 0 | 1 | 2, raw: Uint8Array, chainId: Uint8Array): Uint8Array {
  const list = type === 0 ? raw : raw.subarray(1);
  const from = rlpItemOffset(list, 0);
  const to = rlpItemOffset(list, SIGNED_FIELDS[type] - 3);
  // Legacy: chainId, 0, 0 take the place of v, r, s.
  const tail = type === 0 ? rlpBytesLength(chainId) + 2 : 0;
  const payload = to - from + tail;
  const at = type === 0 ? 0 : 1;
  const out = new Uint8Array(at + rlpListHeaderLength(payload) + payload);
  if (at === 1) out[0] = type;
  let pos = writeRlpListHeader(out, at, payload);
  out.set(list.subarray(from, to), pos);
  pos += to - from;
  if (type === 0) {
    pos = writeRlpBytes(out, pos, chainId);
    out[pos] = 0x80;
    out[pos + 1] = 0x80;
  }
  return keccak256(out);
}

/**
 * Nonce, fees, gas, recipient, value and data, checked as Ethereum (Prague) checks them:
 * integers minimal, nonce < 2^64 − 1, gas limit < 2^64, fees and value < 2^256, gas × fee cap
 * ≤ 2^256 − 1, recipient empty or 20 bytes, data a byte string (at most 49,152 bytes when it
 * is initcode).
 */
/** An EIP-1559 transaction's tip and fee cap, as parse read them. */
interface Fees {
  tip: bigint;
  cap: bigint;
}

function fieldsOf(type: 0 | 1 | 2, item: RlpItem[], fees: Fees | null): Fields {
  const at = type === 0 ? 0 : 1; // typed transactions start with the chain id
  const nonce = uint(item[at], 'nonce', 8);
  if (nonce >= MAX_NONCE) throw malformed(`nonce ${nonce} at or above 2^64-1 (EIP-2681)`);
  let gasPrice: bigint | null = null;
  let maxFeePerGas: bigint;
  let maxPriorityFeePerGas: bigint;
  let next = at + 1;
  if (type === 2) {
    // Read by parse, which checked the tip against the cap.
    maxPriorityFeePerGas = fees!.tip;
    maxFeePerGas = fees!.cap;
    next += 2;
  } else {
    gasPrice = uint(item[next++], 'gasPrice');
    maxFeePerGas = maxPriorityFeePerGas = gasPrice;
  }
  const gasLimit = uint(item[next++], 'gasLimit', 8);
  const toItem = item[next++];
  if (!(toItem instanceof Uint8Array) || (toItem.length !== 0 && toItem.length !== 20))
    throw malformed('to: expected an empty string or a 20-byte address');
  const value = uint(item[next++], 'value');
  const data = item[next];
  if (!(data instanceof Uint8Array)) throw malformed('data: expected bytes');
  if (gasLimit * maxFeePerGas > MAX_UINT256) throw malformed('gas limit × fee cap above 2^256-1');
  const to = toItem.length === 0 ? null : toItem;
  if (to === null && data.length > MAX_INITCODE_BYTES) {
    throw malformed(
      `initcode of ${data.length} bytes above the limit of ${MAX_INITCODE_BYTES} (EIP-3860)`,
    );
  }
  return { nonce, gasPrice, maxFeePerGas, maxPriorityFeePerGas, gasLimit, to, value, data };
}

function malformed(why: string): TxError {
  return new TxError('malformed', `malformed transaction: ${why}`);
}

function wrongChain(expected: bigint, got: bigint): TxError {
  return new TxError('wrong-chain-id', `invalid chain id: expected ${expected}, got ${got}`);
}

function uint(item: RlpItem | undefined, what: string, maxBytes?: number): bigint {
  try {
    return asUint(item, what, maxBytes);
  } catch (e) {
    if (e instanceof DecodeError) throw malformed(e.message);
    throw e;
  }
}

/** The access list as decoded RLP; its shape is checked here, strictly (ethereumjs is lenient). */
function accessListOf(item: RlpItem | undefined): AccessListEntry[] {
  if (!Array.isArray(item)) throw malformed('access list: expected a list');
  return item.map((entry) => {
    if (!Array.isArray(entry) || entry.length !== 2)
      throw malformed('access list entry: expected [address, keys]');
    const [address, keys] = entry;
    if (!(address instanceof Uint8Array) || address.length !== 20)
      throw malformed('access list address: expected 20 bytes');
    if (!Array.isArray(keys)) throw malformed('access list storage keys: expected a list');
    const storageKeys = keys.map((k) => {
      if (!(k instanceof Uint8Array) || k.length !== 32)
        throw malformed('access list storage key: expected 32 bytes');
      return k;
    });
    return { address, storageKeys };
  });
}
