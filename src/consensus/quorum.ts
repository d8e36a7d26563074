/** Seat arithmetic of QBFT (PROTOCOL §4). Integer code only. */
import type { Address } from '../primitives/types.js';
import { equalBytes } from '../crypto/bytes.js';

/** Largest number of faulty validators tolerated: floor((K-1)/3). */
export function maxFaulty(validatorCount: number): number {
  return ((validatorCount - 1) / 3) | 0;
}

/** Quorum: ceil(2K/3). */
export function quorumSize(validatorCount: number): number {
  return ((2 * validatorCount + 2) / 3) | 0;
}

/** Proposer of (h, r): order[(h + r) mod K]. */
export function proposerOf(order: readonly Address[], height: number, round: number): Address {
  return order[(height + round) % order.length]!;
}

/** Round timeout: min(base × 2^r, max). Doubling stops at the cap so large rounds cannot overflow. */
export function roundTimeoutMs(baseMs: number, maxMs: number, round: number): number {
  let t = baseMs;
  for (let i = 0; i < round && t < maxMs; i++) t *= 2;
  return t < maxMs ? t : maxMs;
}

export function indexOfValidator(validators: readonly Address[], address: Address): number {
  for (let i = 0; i < validators.length; i++) if (equalBytes(validators[i]!, address)) return i;
  return -1;
}
