/**
 * RANDAO with hash onions (PROTOCOL §6). Pure and I/O-free.
 *
 * A candidate picks a 32-byte secret and registers the commitment c = H^N(secret), H = keccak256.
 * Every block it proposes carries its next reveal: after k reveals (k = 0, 1, …, N−1) the next one
 * is H^(N−1−k)(secret), i.e. the step-s reveal (s = k + 1) is H^(N−s)(secret). Each reveal hashes
 * to the one before it (the first to c), which is all a verifier checks. The last reveal is the
 * secret itself; after N reveals the onion is exhausted.
 *
 * The chain's randomness folds every reveal in: mix := keccak256(mix xor reveal), starting from
 * keccak256("etm-genesis" ‖ uint64be(chainId)).
 *
 * An onion stores a checkpoint every `step` = floor(√N) layers (checkpoint i = H^(i·step)(secret)),
 * so building it costs N hashes once, memory is O(√N), and a reveal costs at most `step` − 1
 * hashes. The segment between two checkpoints is cached (again O(√N)), so revealing in order, as
 * a validator does, costs about one hash per reveal.
 */
import { EtmError } from '../primitives/errors.js';
import { concatBytes, equalBytes, fromHex, toHex, uint64be, utf8 } from '../crypto/bytes.js';
import { keccak256 } from '../crypto/keccak.js';
import { isqrt } from '../math/fixed.js';

export class RandaoError extends EtmError<'randao'> {
  override name = 'RandaoError';

  constructor(message: string, options?: ErrorOptions) {
    super('randao', message, options);
  }
}

/** The largest onion accepted (2^24 layers: about 17 million hashes to build). */
export const MAX_ONION_LAYERS = 1 << 24;

/**
 * The stored form of an onion (JSON with 0x-hex). Checkpoint 0 is the secret and the others are
 * future reveals: keep it as private as a key.
 */
export interface OnionState {
  version: 1;
  /** N: the number of reveals. */
  length: number;
  /** Layers between checkpoints. */
  step: number;
  /** H^N(secret). */
  commitment: string;
  /** checkpoints[i] = H^(i·step)(secret), i = 0 … ceil(N/step) − 1. */
  checkpoints: string[];
}

export interface Onion {
  /** Number of reveals it holds (N). */
  readonly length: number;
  /** H^N(secret): what the candidate registers. */
  readonly commitment: Uint8Array;
  /** Layers between checkpoints (floor(√N) for a new onion). */
  readonly step: number;
  /**
   * The reveal to publish after `k` earlier reveals (the candidate's reveal count):
   * H^(N−1−k)(secret). Throws a RandaoError once the onion is exhausted (k ≥ N).
   */
  reveal(k: number): Uint8Array;
  /** How many reveals are left after `k` have been made. */
  remaining(k: number): number;
  /** The serialisable state (contains the secret: store it like a key). */
  exportState(): OnionState;
}

function iterate(x: Uint8Array, times: number): Uint8Array {
  let v = x;
  for (let i = 0; i < times; i++) v = keccak256(v);
  return v;
}

function checkLength(length: unknown): number {
  if (
    typeof length !== 'number' ||
    !Number.isSafeInteger(length) ||
    length < 1 ||
    length > MAX_ONION_LAYERS
  )
    throw new RandaoError(`onion length must be an integer from 1 to ${MAX_ONION_LAYERS}`);
  return length;
}

function checkpointCount(length: number, step: number): number {
  return (length - (length % step)) / step + (length % step === 0 ? 0 : 1);
}

class HashOnion implements Onion {
  /** Segment cache: layers base·step … base·step + segment.length − 1. */
  private segmentBase = -1;
  private segment: Uint8Array[] = [];

  constructor(
    readonly length: number,
    readonly step: number,
    private readonly checkpoints: Uint8Array[],
    private readonly commitmentBytes: Uint8Array,
  ) {}

  get commitment(): Uint8Array {
    return this.commitmentBytes.slice();
  }

  reveal(k: number): Uint8Array {
    this.checkIndex(k);
    if (k >= this.length)
      throw new RandaoError(
        `the RANDAO onion is exhausted: all ${this.length} reveals have been used`,
      );
    const layer = this.length - 1 - k;
    const base = (layer - (layer % this.step)) / this.step;
    if (base !== this.segmentBase) {
      const start = base * this.step;
      const rest = this.length - start;
      const size = rest < this.step ? rest : this.step;
      const segment: Uint8Array[] = [this.checkpoints[base]!];
      for (let i = 1; i < size; i++) segment.push(keccak256(segment[i - 1]!));
      this.segment = segment;
      this.segmentBase = base;
    }
    return this.segment[layer - base * this.step]!.slice();
  }

  remaining(k: number): number {
    this.checkIndex(k);
    return k >= this.length ? 0 : this.length - k;
  }

  exportState(): OnionState {
    return {
      version: 1,
      length: this.length,
      step: this.step,
      commitment: toHex(this.commitmentBytes),
      checkpoints: this.checkpoints.map((c) => toHex(c)),
    };
  }

  private checkIndex(k: number): void {
    if (typeof k !== 'number' || !Number.isSafeInteger(k) || k < 0)
      throw new RandaoError(`reveal index must be a non-negative integer, got ${String(k)}`);
  }
}

/** Build the onion of `secret` (32 bytes) with `length` reveals: `length` hashes. */
export function createOnion(secret: Uint8Array, length: number): Onion {
  if (!(secret instanceof Uint8Array) || secret.length !== 32)
    throw new RandaoError('the onion secret must be 32 bytes');
  const n = checkLength(length);
  const step = Number(isqrt(BigInt(n)));
  const checkpoints: Uint8Array[] = [];
  let v: Uint8Array = secret.slice();
  for (let layer = 0; layer < n; layer++) {
    if (layer % step === 0) checkpoints.push(v);
    v = keccak256(v);
  }
  return new HashOnion(n, step, checkpoints, v);
}

function hex32(value: unknown, what: string): Uint8Array {
  if (typeof value !== 'string') throw new RandaoError(`onion state: ${what} must be a hex string`);
  let bytes: Uint8Array;
  try {
    bytes = fromHex(value);
  } catch {
    throw new RandaoError(`onion state: ${what} is not valid hex`);
  }
  if (bytes.length !== 32) throw new RandaoError(`onion state: ${what} must be 32 bytes`);
  return bytes;
}

/**
 * Restore an onion from `exportState()` (or its JSON.parse). Always checks the shape and that the
 * last checkpoint hashes to the commitment (at most `step` hashes); `verify: 'full'` also checks
 * that every checkpoint hashes to the next (N hashes).
 */
export function onionFromState(state: unknown, options: { verify?: 'quick' | 'full' } = {}): Onion {
  if (typeof state !== 'object' || state === null)
    throw new RandaoError('onion state must be an object');
  const s = state as Partial<OnionState>;
  if (s.version !== 1) throw new RandaoError(`unknown onion state version ${String(s.version)}`);
  const length = checkLength(s.length);
  const step = s.step;
  if (typeof step !== 'number' || !Number.isSafeInteger(step) || step < 1 || step > length)
    throw new RandaoError(`onion state: step must be an integer from 1 to ${length}`);
  const commitment = hex32(s.commitment, 'commitment');
  if (!Array.isArray(s.checkpoints))
    throw new RandaoError('onion state: checkpoints must be an array');
  const expected = checkpointCount(length, step);
  if (s.checkpoints.length !== expected)
    throw new RandaoError(
      `onion state: ${s.checkpoints.length} checkpoints, expected ${expected} for length ${length} and step ${step}`,
    );
  const checkpoints = s.checkpoints.map((c, i) => hex32(c, `checkpoint ${i}`));
  if (options.verify === 'full') {
    for (let i = 0; i + 1 < checkpoints.length; i++)
      if (!equalBytes(iterate(checkpoints[i]!, step), checkpoints[i + 1]!))
        throw new RandaoError(`onion state: checkpoint ${i} does not hash to checkpoint ${i + 1}`);
  }
  const last = checkpoints.length - 1;
  if (!equalBytes(iterate(checkpoints[last]!, length - last * step), commitment))
    throw new RandaoError('onion state: the checkpoints do not hash to the commitment');
  return new HashOnion(length, step, checkpoints, commitment);
}

/** A reveal is valid when it is 32 bytes and hashes to the previous reveal (first: the commitment). */
export function verifyReveal(reveal: Uint8Array, previous: Uint8Array): boolean {
  return reveal.length === 32 && previous.length === 32 && equalBytes(keccak256(reveal), previous);
}

/** mix := keccak256(mix xor reveal). */
export function mixReveal(mix: Uint8Array, reveal: Uint8Array): Uint8Array {
  if (mix.length !== 32 || reveal.length !== 32)
    throw new RandaoError('mix and reveal are 32 bytes');
  const x = new Uint8Array(32);
  for (let i = 0; i < 32; i++) x[i] = mix[i]! ^ reveal[i]!;
  return keccak256(x);
}

/** The mix before the first block: keccak256("etm-genesis" ‖ uint64be(chainId)). */
export function genesisMix(chainId: bigint | number): Uint8Array {
  if (typeof chainId === 'number' && !Number.isSafeInteger(chainId))
    throw new RandaoError(`chain id must be an integer, got ${chainId}`);
  const id = BigInt(chainId);
  if (id < 0n || id >= 1n << 64n) throw new RandaoError(`chain id ${id} does not fit in uint64`);
  return keccak256(concatBytes(utf8('etm-genesis'), uint64be(id)));
}
