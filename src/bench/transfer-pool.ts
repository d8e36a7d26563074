/**
 * Transactions signed once and reused by every throughput run (each run starts a fresh chain at
 * nonce 0), held compactly: every encoding in one byte buffer and every hash in another, with a
 * hash table of indices. The load generator shares its process with the node it measures, so a
 * pool of half a million transfers held as objects (about 170 MB of them: an array, a string and
 * a map entry each) would be marked by the node's garbage collector on every major collection;
 * held as a few large buffers it costs that collector next to nothing.
 */
import { performance } from 'node:perf_hooks';
import { fromHex } from '../crypto/bytes.js';
import { signTransfers, type Sender, type Transfer } from './load.js';

const HASH_BYTES = 32;

/** A growable byte buffer (doubling), read through views that stay valid until it grows. */
class Bytes {
  data = new Uint8Array(1 << 16);
  length = 0;

  append(b: Uint8Array): void {
    if (this.length + b.length > this.data.length) {
      let size = this.data.length * 2;
      while (size < this.length + b.length) size *= 2;
      const grown = new Uint8Array(size);
      grown.set(this.data.subarray(0, this.length));
      this.data = grown;
    }
    this.data.set(b, this.length);
    this.length += b.length;
  }
}

export class TransferPool {
  private readonly raws = new Bytes();
  /** Where encoding i starts in `raws`; entry `size` is where the next one will. */
  private starts = new Uint32Array(1024);
  private readonly hashes = new Bytes();
  /** Open addressing over the hashes' first four bytes: index + 1, 0 for an empty slot. */
  private table = new Uint32Array(2048);
  private count = 0;
  signMs = 0;

  /** `sign` makes a pool's transactions: plain transfers by default (signTransfers). */
  constructor(
    readonly senders: Sender[],
    private readonly sign: typeof signTransfers = signTransfers,
  ) {}

  get size(): number {
    return this.count;
  }

  /** Encoding i, a view into the pool (do not write to it). */
  raw(i: number): Uint8Array {
    if (i < 0 || i >= this.count) throw new RangeError(`no transaction ${i} in the pool`);
    return this.raws.data.subarray(this.starts[i]!, this.starts[i + 1]!);
  }

  /**
   * The index of the transaction with this hash, or undefined: its bytes (a committed block's
   * transaction, in process) or 0x-hex (read through JSON-RPC).
   */
  indexOf(hashOrHex: Uint8Array | string): number | undefined {
    const hash =
      typeof hashOrHex === 'string'
        ? Buffer.from(hashOrHex.startsWith('0x') ? hashOrHex.slice(2) : hashOrHex, 'hex')
        : Buffer.from(hashOrHex.buffer, hashOrHex.byteOffset, hashOrHex.byteLength);
    if (hash.length !== HASH_BYTES) return undefined;
    const mask = this.table.length - 1;
    for (let slot = hash.readUInt32BE(0) & mask; ; slot = (slot + 1) & mask) {
      const entry = this.table[slot]!;
      if (entry === 0) return undefined;
      const at = (entry - 1) * HASH_BYTES;
      if (hash.equals(this.hashes.data.subarray(at, at + HASH_BYTES))) return entry - 1;
    }
  }

  /** Signs more until at least `count` exist (rounded up to whole rounds of senders). */
  ensure(count: number): void {
    const s = this.senders.length;
    const target = Math.ceil(count / s) * s;
    if (target <= this.count) return;
    const t0 = performance.now();
    const firstRound = this.count / s;
    this.add(this.sign(this.senders, target - this.count, BigInt(firstRound)));
    this.signMs += performance.now() - t0;
  }

  private add(transfers: Transfer[]): void {
    if (this.starts.length < this.count + transfers.length + 1) {
      const grown = new Uint32Array(2 * (this.count + transfers.length + 1));
      grown.set(this.starts);
      this.starts = grown;
    }
    // At most half full, so that probes stay short.
    if (this.table.length < 2 * (this.count + transfers.length)) {
      let size = this.table.length;
      while (size < 2 * (this.count + transfers.length)) size *= 2;
      this.table = new Uint32Array(size);
      for (let i = 0; i < this.count; i++) this.place(i);
    }
    for (const t of transfers) {
      const i = this.count++;
      this.raws.append(t.raw);
      this.starts[i + 1] = this.raws.length;
      this.hashes.append(fromHex(t.hash));
      this.place(i);
    }
  }

  private place(i: number): void {
    const at = i * HASH_BYTES;
    const h = this.hashes.data;
    const mask = this.table.length - 1;
    let slot = ((h[at]! << 24) | (h[at + 1]! << 16) | (h[at + 2]! << 8) | h[at + 3]!) & mask;
    while (this.table[slot] !== 0) slot = (slot + 1) & mask;
    this.table[slot] = i + 1;
  }
}
