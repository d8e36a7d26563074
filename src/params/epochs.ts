/**
 * Epoch arithmetic over the epoch schedule (docs/staking.md, Epochs). Block 0 is the genesis and
 * counts as epoch 0. While the genesis length E holds, epoch e holds blocks e·E+1 … (e+1)·E.
 *
 * A change of `epochBlocks` (a ParameterChange proposal) is written at an epoch's last block B
 * and starts a new segment of the schedule: the next epoch begins at B + 1 with the new length.
 * The state keeps every segment (ParamStore, `epochHistory`), so the epoch of any past height
 * stays what it was when that block was made; it holds no record while the genesis length holds
 * (the schedule is then the one segment {after 0, epoch 0, blocks epochBlocks}). Each segment
 * needs a passed proposal, so the list stays short; lookups walk it from the newest.
 */
import type { ChainParams } from './registry.js';

/** One stretch of the chain in which every epoch has the same length. */
export interface EpochSegment {
  /** The block before the segment's first: the last block of an epoch (0 for the genesis). */
  readonly after: bigint;
  /** The index of the segment's first epoch (the one starting at `after` + 1). */
  readonly epoch: bigint;
  /** Blocks per epoch in the segment. */
  readonly blocks: bigint;
}

/** What the epoch functions read: the length now and, after a change, the segments before. */
export type EpochParams = Pick<ChainParams, 'epochBlocks' | 'epochHistory'>;

/** The segments in force: the stored history, or the genesis length from block 0. */
export function epochSchedule(p: EpochParams): readonly EpochSegment[] {
  return p.epochHistory && p.epochHistory.length > 0
    ? p.epochHistory
    : [{ after: 0n, epoch: 0n, blocks: p.epochBlocks }];
}

/** The segment block `height` (≥ 1) belongs to: the newest one it comes after. */
function segmentOfHeight(height: bigint, s: readonly EpochSegment[]): EpochSegment {
  for (let i = s.length - 1; i > 0; i--) if (s[i]!.after < height) return s[i]!;
  return s[0]!;
}

/** The segment epoch `epoch` belongs to: the newest one starting at or before it. */
function segmentOfEpoch(epoch: bigint, s: readonly EpochSegment[]): EpochSegment {
  for (let i = s.length - 1; i > 0; i--) if (s[i]!.epoch <= epoch) return s[i]!;
  return s[0]!;
}

/** The genesis segment when no change happened (no list is built on that path). */
const genesisSegment = (p: EpochParams): EpochSegment | null =>
  p.epochHistory && p.epochHistory.length > 1
    ? null
    : (p.epochHistory?.[0] ?? { after: 0n, epoch: 0n, blocks: p.epochBlocks });

export function epochOf(height: bigint, p: EpochParams): bigint {
  if (height <= 0n) return 0n;
  const g = genesisSegment(p) ?? segmentOfHeight(height, p.epochHistory!);
  return g.epoch + (height - g.after - 1n) / g.blocks;
}

export function epochBounds(epoch: bigint, p: EpochParams): { first: bigint; last: bigint } {
  const g = genesisSegment(p) ?? segmentOfEpoch(epoch, p.epochHistory!);
  const first = g.after + (epoch - g.epoch) * g.blocks + 1n;
  return { first, last: first + g.blocks - 1n };
}

export function isEpochEnd(height: bigint, p: EpochParams): boolean {
  if (height <= 0n) return false;
  const g = genesisSegment(p) ?? segmentOfHeight(height, p.epochHistory!);
  return (height - g.after) % g.blocks === 0n;
}

/**
 * The schedule after `epochBlocks` becomes `blocks` at epoch end `height`: the next epoch starts
 * at `height` + 1 with the new length. A second change at the same block replaces the first; a
 * change back to the length in force adds nothing. Throws if `height` is not an epoch's end.
 */
export function scheduleWithLength(
  p: EpochParams,
  height: bigint,
  blocks: bigint,
): readonly EpochSegment[] {
  if (!isEpochEnd(height, p))
    throw new RangeError(
      `the epoch length can only change at an epoch's last block, not ${height}`,
    );
  const s = [...epochSchedule(p)];
  if (s.length > 1 && s[s.length - 1]!.after === height) s.pop();
  if (s[s.length - 1]!.blocks === blocks) return s;
  return [...s, { after: height, epoch: epochOf(height, { ...p, epochHistory: s }) + 1n, blocks }];
}

/** Why a stored schedule is inconsistent with itself or with `epochBlocks`, or null. */
export function scheduleProblem(s: readonly EpochSegment[], epochBlocks: bigint): string | null {
  if (s.length === 0) return 'the epoch schedule is empty';
  const first = s[0]!;
  if (first.after !== 0n || first.epoch !== 0n)
    return 'the epoch schedule does not start at the genesis';
  for (let i = 0; i < s.length; i++) {
    const g = s[i]!;
    if (g.blocks < 1n) return `epoch segment ${i} has length ${g.blocks}`;
    if (i === 0) continue;
    const prev = s[i - 1]!;
    const span = g.after - prev.after;
    if (span <= 0n || span % prev.blocks !== 0n || g.epoch !== prev.epoch + span / prev.blocks)
      return `epoch segment ${i} does not start at an epoch boundary of the one before`;
  }
  if (s[s.length - 1]!.blocks !== epochBlocks)
    return `the epoch schedule ends with length ${s[s.length - 1]!.blocks}, epochBlocks is ${epochBlocks}`;
  return null;
}
