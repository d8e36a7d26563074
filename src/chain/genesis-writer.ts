/**
 * Writes the genesis state's nodes to the node store in the order of their hashes (LMDB's key
 * order), with bounded memory.
 *
 * A genesis of a million accounts has over a million nodes keyed by random hashes. Written as
 * they come, every insert lands on a random page of the database, so by the end each page has
 * been read back into the process's mapping (all of it resident). Written in key order, the
 * database grows at its end and pages once written are not read again. Nodes are gathered up
 * to a batch; when a `spillDir` is given and there are more than one batch, each batch is
 * spread over 256 files by the first byte of the hash, and at the end each file in turn is
 * read, sorted and written. Without `spillDir` each batch is written sorted on its own.
 */
import { closeSync, mkdirSync, openSync, readFileSync, rmSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import { compareBytes } from '../crypto/bytes.js';
import type { GenesisNodeStore } from './genesis.js';

const BUCKETS = 256;
/** Nodes handed to one putNodes call when files are read back. */
const WRITE_BYTES = 32 * 1024 * 1024;

type Entry = [hash: Uint8Array, encoded: Uint8Array];

export class GenesisNodeWriter {
  private batch: Entry[] = [];
  private batchBytes = 0;
  private files: number[] | null = null;
  private dir: string | null = null;
  /** Nodes handed to the store so far. */
  written = 0;

  constructor(
    private readonly store: GenesisNodeStore,
    /** Bytes of nodes gathered in memory before they are written or spilled. */
    private readonly batchLimit: number,
    private readonly spillDir?: string,
  ) {}

  add(hash: Uint8Array, encoded: Uint8Array): void {
    this.batch.push([hash, encoded]);
    this.batchBytes += hash.length + encoded.length + 64;
    if (this.batchBytes >= this.batchLimit) this.flushBatch();
  }

  /** Writes whatever is gathered or spilled; the nodes are readable from the store after it. */
  finish(): void {
    if (this.files === null) {
      this.write(this.batch);
      this.batch = [];
      this.batchBytes = 0;
      return;
    }
    this.spill();
    const files = this.files;
    const dir = this.dir!;
    this.files = null;
    try {
      for (const fd of files) closeSync(fd);
      let out: Entry[] = [];
      let outBytes = 0;
      for (let b = 0; b < BUCKETS; b++) {
        const buf = readFileSync(join(dir, bucketName(b)));
        const entries: Entry[] = [];
        for (let pos = 0; pos < buf.length;) {
          const n = buf.readUInt32BE(pos + 32);
          entries.push([buf.subarray(pos, pos + 32), buf.subarray(pos + 36, pos + 36 + n)]);
          pos += 36 + n;
        }
        entries.sort((x, y) => compareBytes(x[0], y[0]));
        for (const e of entries) out.push(e);
        outBytes += buf.length;
        if (outBytes >= WRITE_BYTES) {
          this.put(out);
          out = [];
          outBytes = 0;
        }
      }
      this.put(out);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }

  /** Removes the spill files after a failed build. */
  abort(): void {
    if (this.files !== null) for (const fd of this.files) closeSync(fd);
    this.files = null;
    if (this.dir !== null) rmSync(this.dir, { recursive: true, force: true });
  }

  private flushBatch(): void {
    if (this.spillDir === undefined) {
      this.write(this.batch);
    } else {
      if (this.files === null) {
        this.dir = join(this.spillDir, 'genesis-nodes.tmp');
        rmSync(this.dir, { recursive: true, force: true });
        mkdirSync(this.dir, { recursive: true });
        const dir = this.dir;
        this.files = Array.from({ length: BUCKETS }, (_, b) =>
          openSync(join(dir, bucketName(b)), 'w'),
        );
      }
      this.spill();
    }
    this.batch = [];
    this.batchBytes = 0;
  }

  /** Appends the batch to the bucket files, one write per bucket. */
  private spill(): void {
    const sizes = new Array<number>(BUCKETS).fill(0);
    for (const [h, e] of this.batch) sizes[h[0]!]! += 36 + e.length;
    const bufs = sizes.map((n) => Buffer.allocUnsafe(n));
    const at = new Array<number>(BUCKETS).fill(0);
    for (const [h, e] of this.batch) {
      const b = h[0]!;
      const buf = bufs[b]!;
      let pos = at[b]!;
      buf.set(h, pos);
      buf.writeUInt32BE(e.length, pos + 32);
      buf.set(e, pos + 36);
      pos += 36 + e.length;
      at[b] = pos;
    }
    for (let b = 0; b < BUCKETS; b++) {
      const buf = bufs[b]!;
      for (let done = 0; done < buf.length;) done += writeSync(this.files![b]!, buf, done);
    }
  }

  /** Writes nodes sorted by hash. */
  private write(entries: Entry[]): void {
    entries.sort((x, y) => compareBytes(x[0], y[0]));
    this.put(entries);
  }

  private put(entries: Entry[]): void {
    if (entries.length === 0) return;
    this.written += entries.length;
    const store = this.store;
    if ('putNodes' in store) store.putNodes(entries);
    else for (const [h, n] of entries) store.put(h, n);
  }
}

function bucketName(b: number): string {
  return `${b.toString(16).padStart(2, '0')}.nodes`;
}
