/**
 * The rewards system module (PROTOCOL §7): mint, the proposer's share and the voter bonus in
 * every block (paid out at an epoch's last block), and at an epoch's end, after the election,
 * the re-weighing of the next validators' voters (src/economics/block.ts). It has no contract of its own: locks' rewards are claimed through
 * the staking contract.
 */
import {
  rewardsEndBlock,
  rewardsEndEpoch,
  type BlockEconomicsInput,
} from '../../economics/block.js';
import { writeGenesisRewards } from '../../economics/genesis.js';
import type { BlockContext, SystemModule } from '../module.js';

const input = (b: BlockContext): BlockEconomicsInput => ({
  height: b.number,
  params: b.params,
  coinbase: b.coinbase,
  validators: b.validators,
  proposerFees: b.fees.proposer + b.fees.tips,
  burned: b.fees.burned,
  randaoReveal: b.randaoReveal,
  mix: b.mixHash,
});

export const rewardsModule: SystemModule = {
  name: 'rewards',
  genesis: (g) => writeGenesisRewards(g.state, g.params, g.supply),
  endBlock: (b) => rewardsEndBlock(b.state, input(b)),
  endEpoch: (b) => rewardsEndEpoch(b.state, input(b)),
};
