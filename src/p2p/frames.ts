/**
 * Length-prefixed frames on a libp2p stream: an unsigned LEB128 length, then that many bytes.
 * The reader refuses a frame above its limit as soon as the length is known, before buffering
 * it, so a peer cannot make a node hold more than one frame's worth of its data.
 */
import { EtmError } from '../primitives/errors.js';
import './polyfill.js';
import type { Libp2p } from 'libp2p';
import { concatBytes } from '../crypto/bytes.js';

export type Stream = Awaited<ReturnType<Libp2p['dialProtocol']>>;

export class FrameError extends EtmError<'frame'> {
  override name = 'FrameError';

  constructor(message: string, options?: ErrorOptions) {
    super('frame', message, options);
  }
}

/** Lengths are at most 2^35 - 1 (5 bytes of varint); limits are far smaller. */
const MAX_VARINT_BYTES = 5;

export function encodeFrame(payload: Uint8Array): Uint8Array {
  const prefix: number[] = [];
  let n = payload.length;
  while (n >= 0x80) {
    prefix.push((n & 0x7f) | 0x80);
    n = Math.floor(n / 128);
  }
  prefix.push(n);
  return concatBytes(Uint8Array.from(prefix), payload);
}

/** Writes frames, waiting for the stream to drain when its buffer is full. */
export async function writeFrames(
  stream: Stream,
  payloads: Iterable<Uint8Array>,
  signal?: AbortSignal,
): Promise<void> {
  for (const p of payloads) {
    if (!stream.send(encodeFrame(p))) await stream.onDrain({ signal });
  }
}

type Chunk = Uint8Array | { subarray(): Uint8Array };

/** Reads frames from a stream (or any source of chunks) with a per-frame size limit. */
export class FrameReader {
  private readonly iterator: AsyncIterator<Chunk>;
  private chunks: Uint8Array[] = [];
  private buffered = 0;
  private ended = false;

  constructor(
    source: AsyncIterable<Chunk>,
    private readonly maxFrameBytes: number,
  ) {
    this.iterator = source[Symbol.asyncIterator]();
  }

  /** The next frame, or null when the stream ended cleanly between frames. */
  async next(): Promise<Uint8Array | null> {
    const length = await this.readLength();
    if (length === null) return null;
    if (length > this.maxFrameBytes)
      throw new FrameError(`frame of ${length} bytes exceeds the limit of ${this.maxFrameBytes}`);
    if (!(await this.fill(length))) throw new FrameError('stream ended inside a frame');
    return this.take(length);
  }

  private async readLength(): Promise<number | null> {
    let value = 0;
    let scale = 1;
    for (let i = 0; i < MAX_VARINT_BYTES; i++) {
      if (!(await this.fill(1))) {
        if (i === 0) return null;
        throw new FrameError('stream ended inside a frame length');
      }
      const byte = this.take(1)[0]!;
      value += (byte & 0x7f) * scale;
      if ((byte & 0x80) === 0) {
        if (i > 0 && byte === 0) throw new FrameError('frame length is not minimally encoded');
        return value;
      }
      scale *= 128;
    }
    throw new FrameError('frame length is too long');
  }

  /** Buffers at least `n` bytes; false if the source ended first. */
  private async fill(n: number): Promise<boolean> {
    while (this.buffered < n) {
      if (this.ended) return false;
      const r = await this.iterator.next();
      if (r.done) {
        this.ended = true;
        return false;
      }
      const bytes = r.value instanceof Uint8Array ? r.value : r.value.subarray();
      if (bytes.length === 0) continue;
      this.chunks.push(bytes);
      this.buffered += bytes.length;
    }
    return true;
  }

  private take(n: number): Uint8Array {
    const joined = this.chunks.length === 1 ? this.chunks[0]! : concatBytes(...this.chunks);
    const out = joined.slice(0, n);
    const rest = joined.subarray(n);
    this.chunks = rest.length > 0 ? [rest] : [];
    this.buffered = rest.length;
    return out;
  }
}
