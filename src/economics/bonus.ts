/**
 * The voter bonus schedule (PROTOCOL §7.4): ETM released per block by stage. The pool is a hard
 * cap: the stages sum to 25,031,680 ETM, more than a 25,000,000 ETM pool, so release stops when
 * the pool is empty. A divisor s shortens every stage s-fold and multiplies its rate s-fold (the
 * same bonus per epoch for a chain whose epochs are s times shorter).
 */
import { ETM } from '../params/registry.js';

export interface BonusStage {
  /** First block after the stage. */
  end: bigint;
  /** Units released per block during the stage. */
  perBlock: bigint;
}

export const BONUS_STAGES: readonly BonusStage[] = [
  { end: 10_112_000n, perBlock: ETM },
  { end: 20_224_000n, perBlock: ETM / 2n },
  { end: 50_560_000n, perBlock: ETM / 4n },
  { end: 59_328_000n, perBlock: (26n * ETM) / 100n },
];

/** Units the schedule offers at height h (before the pool's cap). */
export function bonusPerBlock(height: bigint, divisor: bigint): bigint {
  for (const s of BONUS_STAGES) if (height < s.end / divisor) return s.perBlock * divisor;
  return 0n;
}

/** Units the schedule offers over blocks [0, height) (before the pool's cap). */
export function bonusScheduleTotal(height: bigint, divisor: bigint): bigint {
  let total = 0n;
  let start = 0n;
  for (const s of BONUS_STAGES) {
    const end = s.end / divisor;
    if (height <= start) break;
    const until = height < end ? height : end;
    total += (until - start) * s.perBlock * divisor;
    start = end;
  }
  return total;
}
