/**
 * Misbehaviour points per peer. Each offence adds points; points decay by half every
 * `halfLifeMs`, so an honest peer that once sent a stale message is soon forgiven; a peer that
 * reaches `banAt` points is disconnected and refused for `banMs`. The table is bounded: when it
 * is full the least-penalised entry makes room.
 */

export type Offence =
  | 'invalid-message'
  | 'oversized-message'
  | 'stale-message'
  | 'bad-request'
  | 'bad-response'
  | 'invalid-block'
  | 'wrong-network';

/** Points per offence: invalid data is expensive, things an honest node may do rarely are cheap. */
const OFFENCE_POINTS: Readonly<Record<Offence, number>> = {
  'invalid-message': 20,
  'oversized-message': 50,
  'stale-message': 2,
  'bad-request': 20,
  'bad-response': 25,
  'invalid-block': 50,
  'wrong-network': 100,
};

export interface PenaltyOptions {
  banAt?: number;
  banMs?: number;
  halfLifeMs?: number;
  maxPeers?: number;
  now?: () => number;
}

interface Entry {
  points: number;
  at: number;
  bannedUntil: number;
}

export class PeerPenalties {
  private readonly entries = new Map<string, Entry>();
  readonly banAt: number;
  private readonly banMs: number;
  private readonly halfLifeMs: number;
  private readonly maxPeers: number;
  private readonly now: () => number;

  constructor(o: PenaltyOptions = {}) {
    this.banAt = o.banAt ?? 100;
    this.banMs = o.banMs ?? 10 * 60_000;
    this.halfLifeMs = o.halfLifeMs ?? 60_000;
    this.maxPeers = o.maxPeers ?? 4096;
    this.now = o.now ?? Date.now;
  }

  /** Adds an offence; returns true when it makes the peer banned (only once per ban). */
  add(peer: string, offence: Offence): boolean {
    const e = this.current(peer) ?? this.insert(peer);
    const wasBanned = e.bannedUntil > this.now();
    e.points += OFFENCE_POINTS[offence];
    if (!wasBanned && e.points >= this.banAt) {
      e.bannedUntil = this.now() + this.banMs;
      return true;
    }
    return false;
  }

  points(peer: string): number {
    return this.current(peer)?.points ?? 0;
  }

  isBanned(peer: string): boolean {
    const e = this.entries.get(peer);
    return e !== undefined && e.bannedUntil > this.now();
  }

  /** Peers banned now. */
  banned(): string[] {
    const t = this.now();
    return [...this.entries].filter(([, e]) => e.bannedUntil > t).map(([p]) => p);
  }

  /** The entry with its points decayed to now. */
  private current(peer: string): Entry | undefined {
    const e = this.entries.get(peer);
    if (!e) return undefined;
    const t = this.now();
    const elapsed = t - e.at;
    if (elapsed > 0) {
      e.points *= 0.5 ** (elapsed / this.halfLifeMs);
      e.at = t;
    }
    return e;
  }

  private insert(peer: string): Entry {
    if (this.entries.size >= this.maxPeers) {
      let victim: string | null = null;
      let least = Infinity;
      const t = this.now();
      for (const [p, e] of this.entries) {
        if (e.bannedUntil > t) continue;
        const pts = this.current(p)!.points;
        if (pts < least) {
          least = pts;
          victim = p;
        }
      }
      this.entries.delete(victim ?? this.entries.keys().next().value!);
    }
    const e: Entry = { points: 0, at: this.now(), bannedUntil: 0 };
    this.entries.set(peer, e);
    return e;
  }
}
