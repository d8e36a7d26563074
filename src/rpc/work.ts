/**
 * Time slices for long RPC work (a log query scanning thousands of blocks, a fee history). The
 * node runs consensus on the same event loop, so no request may hold it for long: such work runs
 * in slices of at most `sliceMs`, and all requests together get one slice per turn of the event
 * loop, in turn (first come, first served). Timers, I/O and consensus messages run between slices.
 */
export interface WorkSchedulerOptions {
  /** Work per slice before yielding (default 5 ms). */
  sliceMs?: number;
  now?: () => number;
  /** Runs a callback in a later turn of the event loop (default setImmediate). */
  schedule?: (run: () => void) => void;
}

const DEFAULT_SLICE_MS = 5;

/** One request's share of the scheduler. */
export interface WorkTask {
  /** Whether this slice is used up (then `next()` before doing more). */
  readonly due: boolean;
  /** Resolves when the task's next slice begins. */
  next(): Promise<void>;
  /** Milliseconds since the task began (waiting included). */
  readonly elapsedMs: number;
}

export class WorkScheduler {
  readonly sliceMs: number;
  private readonly now: () => number;
  private readonly schedule: (run: () => void) => void;
  private readonly waiting: (() => void)[] = [];
  private scheduled = false;

  constructor(o: WorkSchedulerOptions = {}) {
    this.sliceMs = o.sliceMs ?? DEFAULT_SLICE_MS;
    this.now = o.now ?? (() => performance.now());
    this.schedule = o.schedule ?? ((run) => setImmediate(run));
  }

  /** Tasks waiting for a slice. */
  get queued(): number {
    return this.waiting.length;
  }

  /** A new task; its first slice comes in turn, like every other (await `next()` first). */
  task(): WorkTask {
    const { now, sliceMs } = this;
    const started = now();
    let sliceStart = Number.NEGATIVE_INFINITY;
    return {
      get due() {
        return now() - sliceStart >= sliceMs;
      },
      next: () =>
        new Promise<void>((resolve) => {
          this.waiting.push(() => {
            sliceStart = now();
            resolve();
          });
          this.wake();
        }),
      get elapsedMs() {
        return now() - started;
      },
    };
  }

  private wake(): void {
    if (this.scheduled || this.waiting.length === 0) return;
    this.scheduled = true;
    this.schedule(() => this.run());
  }

  /** One slice per turn: the first waiting task runs (in this turn's microtasks), then yields. */
  private run(): void {
    this.scheduled = false;
    this.waiting.shift()?.();
    this.wake();
  }
}
