/**
 * The slashing module's block work (docs/slashing.md):
 *
 * - downtime: every block's parentSealBitmap says which validators of its parent's height sealed
 *   the parent. The module counts, per epoch, the blocks and each validator's missing seals; the
 *   block that records the seals of an epoch's last block judges that epoch: a validator with a
 *   candidacy, active, missing more than maxMissedSealsRatio of the epoch's recorded blocks is
 *   jailed for jailEpochs and slashed slashDowntime of its deposit;
 * - offences older than the evidence age are pruned (evidence of them is refused anyway).
 *
 * A jail appends the evidence contract's Slashed (reason downtime) and Jailed events to `logs`
 * (the block-work receipt's, docs/slashing.md); it is also in the candidate's slashing history
 * (SlashingStore.history, `etm_getCandidates`).
 */
import { bitmapIndices } from '../consensus/extra-data.js';
import type { ChainParams } from '../params/registry.js';
import { WAD } from '../params/registry.js';
import type { Address } from '../primitives/types.js';
import type { StateDB } from '../state/state-db.js';
import { recordServing } from '../staking/block-hooks.js';
import { epochBounds, epochOf } from '../staking/epochs.js';
import { stakingStores } from '../staking/stores.js';
import type { Log } from '../primitives/receipt.js';
import { SLASH_REASON } from './abi.js';
import { emit, hexAddr } from './events.js';
import { slashDeposit } from './slash.js';
import { SlashingStore } from './store.js';

/** Heights of old offences pruned per block at most (catching up after a parameter change). */
const PRUNE_PER_BLOCK = 64n;

export interface SlashingBlockInput {
  height: bigint;
  params: ChainParams;
  /** The block's parentSealBitmap; undefined when the caller has none (then nothing is counted). */
  parentSealBitmap: Uint8Array | undefined;
  /** Where the block work's logs go (none kept when absent). */
  logs?: Log[];
}

export interface Jailing {
  operator: Address;
  consensusKey: Address;
  epoch: bigint;
  missed: bigint;
  blocks: bigint;
  untilEpoch: bigint;
  slashed: bigint;
}

export function slashingGenesis(state: StateDB, chainId: bigint | undefined): void {
  if (chainId !== undefined) new SlashingStore(state).setChainId(chainId);
}

export function slashingEndBlock(state: StateDB, input: SlashingBlockInput): Jailing[] {
  const { height, params } = input;
  const store = new SlashingStore(state);
  if (height > params.evidenceMaxAgeBlocks + 1n)
    store.pruneOffences(height - params.evidenceMaxAgeBlocks - 1n, PRUNE_PER_BLOCK);
  const sealed = height - 1n;
  if (sealed < 1n || input.parentSealBitmap === undefined) return [];
  const staking = stakingStores(state);
  const epoch = epochOf(sealed, params);
  const set = recordServing(staking, epoch).validators;
  const signed = new Set(bitmapIndices(input.parentSealBitmap, set.length));
  const counts = store.sealCounts(epoch) ?? { blocks: 0n, missed: set.map(() => 0n) };
  const next = {
    blocks: counts.blocks + 1n,
    missed: set.map((_, i) => (counts.missed[i] ?? 0n) + (signed.has(i) ? 0n : 1n)),
  };
  if (sealed !== epochBounds(epoch, params).last) {
    store.setSealCounts(epoch, next);
    return [];
  }
  store.setSealCounts(epoch, null);
  return judgeEpoch(state, input, epoch, set, next);
}

function judgeEpoch(
  state: StateDB,
  input: SlashingBlockInput,
  epoch: bigint,
  set: readonly Address[],
  counts: { blocks: bigint; missed: bigint[] },
): Jailing[] {
  const { height, params } = input;
  const staking = stakingStores(state);
  const store = new SlashingStore(state);
  const out: Jailing[] = [];
  const untilEpoch = epochOf(height, params) + params.jailEpochs;
  for (let i = 0; i < set.length; i++) {
    const missed = counts.missed[i]!;
    // missed / blocks > ratio, exactly.
    if (missed * WAD <= params.maxMissedSealsRatio * counts.blocks) continue;
    const operator = staking.candidates.operatorOfKey(set[i]!);
    const c = operator === null ? null : staking.candidates.getCandidate(operator);
    if (operator === null || c === null || c.status !== 'active') continue;
    const s = slashDeposit(state, params, height, operator, params.slashDowntime, null, 0n);
    staking.candidates.putCandidate({
      ...staking.candidates.getCandidate(operator)!,
      status: 'jailed',
      jailedUntilEpoch: untilEpoch,
    });
    store.addHistory(operator, {
      reason: 'downtime',
      height,
      amount: s.amount,
      reporter: new Uint8Array(20),
      untilEpoch,
    });
    const logs = input.logs ?? [];
    emit(logs, 'Slashed', {
      operator: hexAddr(operator),
      reporter: hexAddr(new Uint8Array(20)),
      reason: SLASH_REASON.indexOf('downtime'),
      amount: s.amount,
      reporterReward: s.reporterReward,
      toTreasury: s.toTreasury,
    });
    emit(logs, 'Jailed', {
      operator: hexAddr(operator),
      consensusKey: hexAddr(set[i]!),
      epoch,
      missedSeals: missed,
      blocks: counts.blocks,
      untilEpoch,
    });
    out.push({
      operator,
      consensusKey: set[i]!,
      epoch,
      missed,
      blocks: counts.blocks,
      untilEpoch,
      slashed: s.amount,
    });
  }
  return out;
}
