/**
 * The queue of gossiped transaction batches waiting for admission. Batches are admitted in
 * arrival order, a slice of `sliceMs` of work per event-loop turn, so that a flood of
 * transactions cannot hold consensus messages (validated as they arrive, delivered in the next
 * turn) behind it; gossipsub handles each message on its own, so a batch waiting here delays
 * nothing else. A full queue, or a peer with `perPeer` batches already waiting, gets new batches
 * answered at once with `whenFull` (backpressure): their transactions come again from other
 * peers or in blocks.
 */
export interface AdmissionQueueOptions<V> {
  /** Batches that may wait. */
  capacity: number;
  /** Batches one peer may have waiting, so that one peer cannot fill the queue for all. */
  perPeer: number;
  /** Admission work per turn before yielding. */
  sliceMs: number;
  /** The verdict on one batch (synchronous: the admission itself). */
  admit(peer: string, data: Uint8Array): V;
  /**
   * Work a batch may do before its turn, concurrently with the batches ahead of it (recovering
   * its senders on worker threads). A batch is admitted once it is prepared and every batch
   * ahead of it is admitted. Must not reject.
   */
  prepare?(data: Uint8Array): Promise<void>;
  /** The verdict given to batches refused or cut short by `close`. */
  whenFull: V;
  /** Called for each batch refused because the queue is full. */
  onDrop?(): void;
  now?(): number;
  schedule?(run: () => void): void;
}

interface Waiting<V> {
  peer: string;
  data: Uint8Array;
  ready: boolean;
  done: (verdict: V) => void;
}

export class AdmissionQueue<V> {
  private readonly waiting: Waiting<V>[] = [];
  private readonly byPeer = new Map<string, number>();
  private scheduled = false;
  private closed = false;
  private readonly now: () => number;
  private readonly schedule: (run: () => void) => void;

  constructor(private readonly o: AdmissionQueueOptions<V>) {
    this.now = o.now ?? (() => performance.now());
    this.schedule = o.schedule ?? ((run) => setImmediate(run));
  }

  get length(): number {
    return this.waiting.length;
  }

  /** The verdict on a batch once its turn has come. */
  submit(peer: string, data: Uint8Array): Promise<V> {
    const mine = this.byPeer.get(peer) ?? 0;
    if (this.closed || this.waiting.length >= this.o.capacity || mine >= this.o.perPeer) {
      this.o.onDrop?.();
      return Promise.resolve(this.o.whenFull);
    }
    this.byPeer.set(peer, mine + 1);
    return new Promise((resolve) => {
      const done = (verdict: V) => {
        const left = (this.byPeer.get(peer) ?? 1) - 1;
        if (left > 0) this.byPeer.set(peer, left);
        else this.byPeer.delete(peer);
        resolve(verdict);
      };
      const w: Waiting<V> = { peer, data, ready: !this.o.prepare, done };
      this.waiting.push(w);
      if (w.ready) return this.wake();
      void this.o.prepare!(data)
        .catch(() => {})
        .then(() => {
          w.ready = true;
          this.wake();
        });
    });
  }

  /** Answers everything still waiting with `whenFull` and refuses what comes later. */
  close(): void {
    this.closed = true;
    for (const w of this.waiting.splice(0)) w.done(this.o.whenFull);
  }

  private wake(): void {
    if (this.scheduled || this.closed) return;
    this.scheduled = true;
    this.schedule(() => this.run());
  }

  private run(): void {
    this.scheduled = false;
    const start = this.now();
    while (this.waiting.length > 0 && this.waiting[0]!.ready && !this.closed) {
      const next = this.waiting.shift()!;
      next.done(this.o.admit(next.peer, next.data));
      if (this.now() - start >= this.o.sliceMs) break;
    }
    // Woken again by the head's preparation when it is not ready yet.
    if (this.waiting.length > 0 && this.waiting[0]!.ready) this.wake();
  }
}
