/**
 * A small seeded PRNG (sfc32) on 32-bit integer operations, identical on every platform.
 * Probabilities are integers in parts per million so no float decides a simulated event.
 */
export class Prng {
  private a: number;
  private b: number;
  private c: number;
  private d: number;

  constructor(seed: number) {
    this.a = 0x9e3779b9;
    this.b = 0x243f6a88;
    this.c = 0xb7e15162;
    this.d = seed >>> 0;
    for (let i = 0; i < 16; i++) this.next();
  }

  /** Uniform 32-bit unsigned integer. */
  next(): number {
    const t = (((this.a + this.b) | 0) + this.d) | 0;
    this.d = (this.d + 1) | 0;
    this.a = this.b ^ (this.b >>> 9);
    this.b = (this.c + (this.c << 3)) | 0;
    this.c = (this.c << 21) | (this.c >>> 11);
    this.c = (this.c + t) | 0;
    return t >>> 0;
  }

  /** Uniform integer in [0, n), n <= 2^32, without modulo bias. */
  below(n: number): number {
    if (n <= 1) return 0;
    const limit = 0x100000000 - (0x100000000 % n);
    for (;;) {
      const x = this.next();
      if (x < limit) return x % n;
    }
  }

  /** Uniform integer in [lo, hi]. */
  between(lo: number, hi: number): number {
    return lo + this.below(hi - lo + 1);
  }

  /** True with probability ppm / 1,000,000. */
  chance(ppm: number): boolean {
    return this.below(1_000_000) < ppm;
  }

  pick<T>(items: readonly T[]): T {
    return items[this.below(items.length)]!;
  }

  shuffle<T>(items: T[]): T[] {
    for (let i = items.length - 1; i > 0; i--) {
      const j = this.below(i + 1);
      [items[i], items[j]] = [items[j]!, items[i]!];
    }
    return items;
  }

  /** An independent generator derived from this one. */
  fork(): Prng {
    return new Prng(this.next());
  }
}

/** 64-bit FNV-1a style running hash of a trace, as two 32-bit lanes. */
export class TraceHash {
  private h1 = 0x811c9dc5;
  private h2 = 0x01000193;

  add(...values: number[]): void {
    for (const v of values) {
      let x = v >>> 0;
      for (let i = 0; i < 4; i++) {
        this.h1 = Math.imul(this.h1 ^ (x & 0xff), 0x01000193);
        this.h2 = Math.imul(this.h2 ^ (x & 0xff), 0x5bd1e995) ^ (this.h2 >>> 15);
        x >>>= 8;
      }
      const hi = Math.floor(v / 0x100000000) >>> 0;
      this.h1 = Math.imul(this.h1 ^ hi, 0x01000193);
    }
  }

  addBytes(bytes: Uint8Array): void {
    for (let i = 0; i < bytes.length; i += 4) {
      this.add(
        ((bytes[i]! << 24) | (bytes[i + 1]! << 16) | (bytes[i + 2]! << 8) | bytes[i + 3]!) >>> 0,
      );
    }
  }

  hex(): string {
    return (
      (this.h1 >>> 0).toString(16).padStart(8, '0') + (this.h2 >>> 0).toString(16).padStart(8, '0')
    );
  }
}
