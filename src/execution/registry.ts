/**
 * The system modules of the chain and the one order their work runs in. Adding a module (see
 * docs/architecture.md) is adding it to SYSTEM_MODULES and its hooks to BLOCK_HOOKS.
 */
import type { Address } from '../primitives/types.js';
import { isEpochEnd } from '../staking/epochs.js';
import type {
  BlockContext,
  GenesisContext,
  HookPhase,
  HookReport,
  SystemContract,
  SystemModule,
} from './module.js';
import { governanceModule } from './modules/governance.js';
import { paramsModule } from './modules/params.js';
import { rewardsModule } from './modules/rewards.js';
import { stakingModule } from './modules/staking.js';

/**
 * Every module, in genesis order: the parameters first; the rewards module books the staking
 * module's deposits.
 */
export const SYSTEM_MODULES: readonly SystemModule[] = [
  paramsModule,
  stakingModule,
  rewardsModule,
  governanceModule,
];

/**
 * The block's module work after its transactions and fees, in this order. endEpoch hooks run at
 * an epoch's last block only. The rewards module pays the block's rewards (and at an epoch's
 * end its bonus) before the staking module's block work; at an epoch's end the staking module
 * elects, then the rewards module re-weighs the voters of the next epoch's validators.
 */
export const BLOCK_HOOKS: readonly (readonly [SystemModule, HookPhase])[] = [
  [rewardsModule, 'endBlock'],
  [stakingModule, 'endBlock'],
  [stakingModule, 'endEpoch'],
  [rewardsModule, 'endEpoch'],
  // Last: proposals close over the block's final locks, and what they change (parameters, a
  // settlement) applies from the next block.
  [governanceModule, 'endBlock'],
];

/** The system contract at an address, or null. */
export function contractAt(address: Address): SystemContract | null {
  for (const m of SYSTEM_MODULES) {
    const c = m.contract;
    if (c && c.address.length === address.length && c.address.every((b, i) => b === address[i]))
      return c;
  }
  return null;
}

/** Runs the hooks of `phases` in BLOCK_HOOKS order; merges what they report. */
export function runBlockHooks(ctx: BlockContext, phases: readonly HookPhase[]): HookReport {
  const epochEnd = isEpochEnd(ctx.number, ctx.params);
  let report: HookReport = {};
  for (const [module, phase] of BLOCK_HOOKS) {
    if (!phases.includes(phase) || (phase === 'endEpoch' && !epochEnd)) continue;
    const r = module[phase]?.(ctx);
    if (r) report = { ...report, ...r };
  }
  return report;
}

/** Writes every module's genesis records, in SYSTEM_MODULES order. */
export function writeModulesGenesis(ctx: GenesisContext): void {
  for (const m of SYSTEM_MODULES) m.genesis?.(ctx);
}
