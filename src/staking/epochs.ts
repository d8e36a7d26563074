/**
 * Epoch arithmetic. Block 0 is the genesis; epoch e holds blocks e·E+1 … (e+1)·E, so the last
 * block of epoch e is (e+1)·E and the genesis counts as epoch 0.
 */
import type { StakingParams } from '../params/registry.js';

type EpochParams = Pick<StakingParams, 'epochBlocks'>;

export function epochOf(height: bigint, p: EpochParams): bigint {
  return height === 0n ? 0n : (height - 1n) / p.epochBlocks;
}

export function epochBounds(epoch: bigint, p: EpochParams): { first: bigint; last: bigint } {
  return { first: epoch * p.epochBlocks + 1n, last: (epoch + 1n) * p.epochBlocks };
}

export function isEpochEnd(height: bigint, p: EpochParams): boolean {
  return height > 0n && height % p.epochBlocks === 0n;
}
