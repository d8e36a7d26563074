/**
 * Wide-area links in user space: a TCP relay per directed pair of nodes that delivers every
 * byte one link delay late, in order, and models packet loss the way TCP experiences it.
 *
 * Why not `tc netem`: kernels built without sch_netem (as some VM kernels are) cannot delay
 * packets at all, and this relay runs wherever TCP does. What it models:
 * - delay: each chunk read from one side is written to the other `delayMs` after it arrived
 *   (one-way delay of the link, the same both ways);
 * - loss: each chunk is lost with probability `lossPercent` %; TCP then resends it after its
 *   retransmission timeout, srtt + 200 ms (Linux's floor for the variance term), so the chunk
 *   and everything behind it on that connection (in-order delivery) arrive that much later.
 *   A chunk is what one read returns: one segment for consensus-sized messages, more for
 *   large blocks (whose loss this then understates).
 * Connection set-up and close take the link delay too.
 */
import { createServer, connect, type Server, type Socket } from 'node:net';
import { performance } from 'node:perf_hooks';
import { bytesToBigint, utf8 } from '../crypto/bytes.js';
import { keccak256 } from '../crypto/keccak.js';

export class RelayError extends Error {
  override name = 'RelayError';
}

/** Linux's minimum retransmission-timeout variance term (TCP_RTO_MIN). */
const RTO_MIN_MS = 200;
/** A destination holding this much unsent data stops reading from its source until drained. */
const HIGH_WATER_BYTES = 4 * 1024 * 1024;

/**
 * One-way delay of the link between nodes i and j (either direction), in ms: uniform in
 * [min, max] from keccak256(seed ‖ lower index ‖ higher index).
 */
export function linkDelayMs(seed: string, i: number, j: number, min: number, max: number): number {
  if (!(Number.isInteger(min) && Number.isInteger(max) && 0 <= min && min <= max))
    throw new RelayError(`bad delay range ${min}–${max} ms`);
  const [a, b] = i < j ? [i, j] : [j, i];
  const draw = bytesToBigint(keccak256(utf8(`etm-link/${seed}/${a}/${b}`)));
  return min + Number(draw % BigInt(max - min + 1));
}

/** A small deterministic generator (xorshift32) for loss draws; wall-clock only, never state. */
export function lossDraw(seed: number): () => number {
  let x = seed >>> 0 || 1;
  return () => {
    x ^= x << 13;
    x >>>= 0;
    x ^= x >>> 17;
    x ^= x << 5;
    x >>>= 0;
    return x / 2 ** 32;
  };
}

export interface LinkSpec {
  /** Where the relay listens (the dialing node's gateway); port 0 picks a free one. */
  listenHost: string;
  listenPort: number;
  /** The address it connects from (the dialer as the dialed node sees it). */
  sourceHost?: string;
  /** Where it connects (the dialed node's listen address). */
  targetHost: string;
  targetPort: number;
  delayMs: number;
}

export interface RelayStats {
  connections: number;
  chunks: number;
  bytes: number;
  /** Chunks that paid a retransmission timeout. */
  lost: number;
}

/** Bytes from one socket to another, each chunk released at its due time, in order. */
class DelayedPipe {
  private readonly queue: { at: number; data: Buffer | null }[] = [];
  private head = 0;
  private timer: NodeJS.Timeout | null = null;
  private last = 0;

  constructor(
    private readonly from: Socket,
    private readonly to: Socket,
    private readonly delayMs: number,
    private readonly lose: () => boolean,
    private readonly stats: RelayStats,
  ) {
    from.on('data', (data: Buffer) => this.push(data));
    from.on('end', () => this.push(null));
    to.on('drain', () => from.resume());
  }

  /** `null` is the end of the stream (FIN), delayed like data. */
  private push(data: Buffer | null): void {
    let at = performance.now() + this.delayMs;
    if (data) {
      this.stats.chunks++;
      this.stats.bytes += data.length;
      if (this.lose()) {
        this.stats.lost++;
        at += 2 * this.delayMs + RTO_MIN_MS;
      }
    }
    // In-order delivery: nothing overtakes a chunk waiting for its retransmission.
    if (at < this.last) at = this.last;
    this.last = at;
    this.queue.push({ at, data });
    this.schedule();
  }

  private schedule(): void {
    if (this.timer !== null || this.head >= this.queue.length) return;
    const wait = this.queue[this.head]!.at - performance.now();
    this.timer = setTimeout(() => this.release(), wait > 0 ? wait : 0);
  }

  private release(): void {
    this.timer = null;
    const now = performance.now();
    while (this.head < this.queue.length && this.queue[this.head]!.at <= now + 0.5) {
      const { data } = this.queue[this.head++]!;
      if (this.to.destroyed) continue;
      if (data === null) this.to.end();
      else if (!this.to.write(data) && this.to.writableLength > HIGH_WATER_BYTES) this.from.pause();
    }
    if (this.head > 1024 && this.head * 2 > this.queue.length) {
      this.queue.splice(0, this.head);
      this.head = 0;
    }
    this.schedule();
  }

  stop(): void {
    if (this.timer !== null) clearTimeout(this.timer);
    this.timer = null;
  }
}

/** Every link's relay: start() listens, close() drops every connection. */
export class DelayRelay {
  readonly stats: RelayStats = { connections: 0, chunks: 0, bytes: 0, lost: 0 };
  private readonly servers: Server[] = [];
  private readonly sockets = new Set<Socket>();
  private readonly pipes = new Set<DelayedPipe>();
  private readonly lose: () => boolean;

  private constructor(lossPercent: number, seed: string) {
    if (!(lossPercent >= 0 && lossPercent <= 100))
      throw new RelayError(`loss must be 0–100 %, got ${lossPercent}`);
    const draw = lossDraw(Number(bytesToBigint(keccak256(utf8(`etm-loss/${seed}`))) % 2n ** 32n));
    this.lose = () => lossPercent > 0 && draw() * 100 < lossPercent;
  }

  /** Listens for every link; resolves with the port each one got, in the order given. */
  static async start(
    links: LinkSpec[],
    lossPercent: number,
    seed: string,
  ): Promise<{ relay: DelayRelay; ports: number[] }> {
    const relay = new DelayRelay(lossPercent, seed);
    try {
      const ports: number[] = [];
      for (const link of links) ports.push(await relay.listen(link));
      return { relay, ports };
    } catch (e) {
      relay.close();
      throw e;
    }
  }

  private listen(link: LinkSpec): Promise<number> {
    const server = createServer({ allowHalfOpen: true }, (a) => this.accept(a, link));
    this.servers.push(server);
    return new Promise((resolve, reject) => {
      server.once('error', (e) =>
        reject(new RelayError(`listen ${link.listenHost}:${link.listenPort}: ${e.message}`)),
      );
      server.listen(link.listenPort, link.listenHost, () =>
        resolve((server.address() as { port: number }).port),
      );
    });
  }

  private accept(a: Socket, link: LinkSpec): void {
    this.stats.connections++;
    a.pause();
    const track = (s: Socket) => {
      this.sockets.add(s);
      s.setNoDelay(true);
      s.on('close', () => this.sockets.delete(s));
    };
    track(a);
    // The far side hears of the connection one delay later, as a SYN would take.
    setTimeout(() => {
      if (a.destroyed) return;
      const b = connect({
        host: link.targetHost,
        port: link.targetPort,
        localAddress: link.sourceHost,
        allowHalfOpen: true,
      });
      track(b);
      const ab = new DelayedPipe(a, b, link.delayMs, this.lose, this.stats);
      const ba = new DelayedPipe(b, a, link.delayMs, this.lose, this.stats);
      this.pipes.add(ab).add(ba);
      const down = () => {
        ab.stop();
        ba.stop();
        this.pipes.delete(ab);
        this.pipes.delete(ba);
        a.destroy();
        b.destroy();
      };
      // A reset (a killed process) reaches the other side one delay later.
      a.on('error', () => setTimeout(down, link.delayMs));
      b.on('error', () => setTimeout(down, link.delayMs));
      a.on('close', () => setTimeout(down, link.delayMs));
      b.on('close', () => setTimeout(down, link.delayMs));
      a.resume();
    }, link.delayMs);
  }

  close(): void {
    for (const s of this.servers) s.close();
    for (const p of this.pipes) p.stop();
    for (const s of this.sockets) s.destroy();
    this.servers.length = 0;
    this.pipes.clear();
    this.sockets.clear();
  }
}
