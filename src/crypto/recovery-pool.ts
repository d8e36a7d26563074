/**
 * Public-key recovery on worker threads, for the paths that meet many signatures at once
 * (a JSON-RPC batch of raw transactions, a gossiped batch, a block being imported). Recovery
 * is the one irreducible cost of admitting a transaction; on worker threads it runs beside
 * the event loop, which meanwhile decodes, admits and drives consensus.
 *
 * Inputs are checked here exactly as `recoverPublicKey` checks them (lengths, recovery id,
 * low s), so a signature gets the same answer either way; only well-formed ones travel to a
 * worker, which runs the native `ecdsaRecover` and hashes the public key into the signer's
 * address with the same WebAssembly keccak as the rest of the node (checked against this
 * thread's keccak when the worker starts: a worker that disagrees dies, and its batches are
 * recovered here).
 */
import { createRequire } from 'node:module';
import { availableParallelism } from 'node:os';
import { Worker } from 'node:worker_threads';
import { bigintToFixed } from './bytes.js';
import { keccak256 } from './keccak.js';
import { recoverAddress, SECP256K1_HALF_N, SignatureError, type Signature65 } from './secp256k1.js';

const ITEM_IN = 97; // digest 32 ‖ r 32 ‖ s 32 ‖ recid 1
const ITEM_OUT = 21; // ok 1 ‖ address 20

/** What a worker hashes when it starts, and must hash as this thread does. */
const KECCAK_PROBE = new Uint8Array(64).fill(0xa5);

/** The worker: CommonJS run from a string, so it needs no file of its own in src or dist. */
const WORKER_SOURCE = `
const { parentPort, workerData } = require('node:worker_threads');
const native = require(workerData.bindings);
const ready = require(workerData.hashWasm).createKeccak(256).then((keccak) => {
  keccak.init();
  keccak.update(workerData.probe);
  if (Buffer.compare(keccak.digest('binary'), workerData.probeHash) !== 0)
    throw new Error('keccak-256 in the recovery worker disagrees with the node');
  return keccak;
});
// Dies rather than answer nothing (whatever the process does with unhandled rejections).
ready.catch(() => process.exit(1));
parentPort.on('message', async ({ id, input }) => {
  const keccak = await ready;
  const bytes = new Uint8Array(input);
  const n = bytes.length / ${ITEM_IN};
  const out = new Uint8Array(n * ${ITEM_OUT});
  for (let i = 0; i < n; i++) {
    const at = i * ${ITEM_IN};
    try {
      const key = native.ecdsaRecover(
        bytes.subarray(at + 32, at + 96), bytes[at + 96], bytes.subarray(at, at + 32), false);
      keccak.init();
      keccak.update(key.subarray(1));
      out[i * ${ITEM_OUT}] = 1;
      out.set(keccak.digest('binary').subarray(12), i * ${ITEM_OUT} + 1);
    } catch {
      out[i * ${ITEM_OUT}] = 0;
    }
  }
  parentPort.postMessage({ id, output: out.buffer }, [out.buffer]);
});
`;

export interface RecoveryRequest {
  digest: Uint8Array;
  signature: Signature65;
}

/** The signer's 20-byte address, or why the signature has none. */
export type RecoveryResult = { address: Uint8Array } | { error: SignatureError };

export interface RecoveryPoolOptions {
  /** Worker threads; default: the machine's cores less one (at least one). */
  workers?: number;
  /** Batches smaller than this are recovered on the calling thread (a message costs more). */
  minBatch?: number;
}

/** secp256k1n/2 big-endian, to compare s with byte by byte. */
const HALF_N_BYTES = bigintToFixed(SECP256K1_HALF_N, 32);

/** Whether 0 < s ≤ secp256k1n/2, s being bytes 32–63 of the signature (big-endian). */
function lowS(signature: Uint8Array): boolean {
  let zero = true;
  for (let i = 32; i < 64 && zero; i++) zero = signature[i] === 0;
  if (zero) return false;
  for (let i = 0; i < 32; i++) {
    const b = signature[32 + i]!;
    const h = HALF_N_BYTES[i]!;
    if (b !== h) return b < h;
  }
  return true;
}

/** Validates like `recoverPublicKey` without recovering: the error it would throw, or null. */
function precheck(r: RecoveryRequest): SignatureError | null {
  if (r.digest.length !== 32) return new SignatureError('digest must be 32 bytes');
  if (r.signature.length !== 65) return new SignatureError('signature must be 65 bytes');
  if (r.signature[64]! > 1) return new SignatureError('recovery id must be 0 or 1');
  if (!lowS(r.signature)) return new SignatureError('signature s is not low');
  return null;
}

function recoverHere(r: RecoveryRequest): RecoveryResult {
  try {
    return { address: recoverAddress(r.digest, r.signature) };
  } catch (e) {
    if (e instanceof SignatureError) return { error: e };
    throw e;
  }
}

interface PoolWorker {
  worker: Worker;
  pending: Map<number, (output: ArrayBuffer) => void>;
  load: number;
}

export class RecoveryPool {
  readonly size: number;
  private readonly minBatch: number;
  private readonly workers: PoolWorker[] = [];
  private nextId = 0;
  private closed = false;

  constructor(o: RecoveryPoolOptions = {}) {
    this.size = Math.max(1, o.workers ?? availableParallelism() - 1);
    this.minBatch = o.minBatch ?? 8;
    const require = createRequire(import.meta.url);
    const workerData = {
      bindings: require.resolve('secp256k1/bindings'),
      hashWasm: require.resolve('hash-wasm'),
      probe: KECCAK_PROBE,
      probeHash: keccak256(KECCAK_PROBE),
    };
    for (let i = 0; i < this.size; i++) {
      const worker = new Worker(WORKER_SOURCE, { eval: true, workerData });
      const w: PoolWorker = { worker, pending: new Map(), load: 0 };
      worker.on('message', ({ id, output }: { id: number; output: ArrayBuffer }) => {
        const done = w.pending.get(id);
        w.pending.delete(id);
        done?.(output);
      });
      // A worker that dies fails nothing: its batches are recovered on this thread instead.
      worker.on('error', () => this.retire(w));
      worker.on('exit', () => this.retire(w));
      worker.unref();
      this.workers.push(w);
    }
  }

  /** The signers' addresses, in order; never rejects for a bad signature. */
  async recover(requests: readonly RecoveryRequest[]): Promise<RecoveryResult[]> {
    const results: RecoveryResult[] = new Array(requests.length);
    const valid: number[] = [];
    requests.forEach((r, i) => {
      const error = precheck(r);
      if (error) results[i] = { error };
      else valid.push(i);
    });
    const live = this.closed ? [] : [...this.workers];
    if (valid.length < this.minBatch || live.length === 0) {
      for (const i of valid) results[i] = recoverHere(requests[i]!);
      return results;
    }
    // Split over the workers, least loaded first.
    live.sort((a, b) => a.load - b.load);
    const parts = Math.min(live.length, Math.ceil(valid.length / this.minBatch));
    const per = Math.ceil(valid.length / parts);
    const jobs: Promise<void>[] = [];
    for (let p = 0; p < parts; p++) {
      const slice = valid.slice(p * per, (p + 1) * per);
      if (slice.length === 0) continue;
      jobs.push(
        this.run(
          live[p]!,
          slice.map((i) => requests[i]!),
        ).then(
          (out) => slice.forEach((i, k) => (results[i] = out[k]!)),
          // A worker that died: recover here. A pool being closed: nobody needs the answer.
          () =>
            slice.forEach(
              (i) =>
                (results[i] = this.closed
                  ? { error: new SignatureError('recovery pool closed') }
                  : recoverHere(requests[i]!)),
            ),
        ),
      );
    }
    await Promise.all(jobs);
    return results;
  }

  /** Workers still running (one that died, say its keccak disagreed, is retired). */
  get liveWorkers(): number {
    return this.workers.length;
  }

  async close(): Promise<void> {
    this.closed = true;
    await Promise.all(this.workers.splice(0).map((w) => w.worker.terminate()));
  }

  private run(w: PoolWorker, batch: RecoveryRequest[]): Promise<RecoveryResult[]> {
    const input = new Uint8Array(batch.length * ITEM_IN);
    batch.forEach((r, k) => {
      input.set(r.digest, k * ITEM_IN);
      input.set(r.signature, k * ITEM_IN + 32);
    });
    const id = this.nextId++;
    w.load += batch.length;
    return new Promise<RecoveryResult[]>((resolve, reject) => {
      // Referenced while it has work, so that awaiting a recovery keeps the process alive.
      if (w.pending.size === 0) w.worker.ref();
      w.pending.set(id, (output) => {
        w.load -= batch.length;
        if (w.pending.size === 0) w.worker.unref();
        if (output.byteLength === 0) return reject(new Error('recovery worker stopped'));
        const bytes = new Uint8Array(output);
        resolve(
          batch.map((_, k) =>
            bytes[k * ITEM_OUT] === 1
              ? { address: bytes.slice(k * ITEM_OUT + 1, (k + 1) * ITEM_OUT) }
              : { error: new SignatureError('signature recovery failed') },
          ),
        );
      });
      w.worker.postMessage({ id, input: input.buffer }, [input.buffer]);
    });
  }

  /** Takes a dead worker out and answers its batches with an empty output (recovered here). */
  private retire(w: PoolWorker): void {
    const i = this.workers.indexOf(w);
    if (i >= 0) this.workers.splice(i, 1);
    for (const done of w.pending.values()) done(new ArrayBuffer(0));
    w.pending.clear();
  }
}
