/**
 * The staking system module: the staking contract at STAKING_ADDRESS (its rules are
 * src/staking/contract.ts, its ABI src/staking/abi.ts) and the staking system's block work
 * (src/staking/block-hooks.ts). The contract's lock changes are booked by the rewards ledger.
 */
import { fromHex } from '../../crypto/bytes.js';
import { RewardLedger } from '../../economics/ledger.js';
import { STAKING_ADDRESS } from '../../primitives/system-addresses.js';
import { STAKING_ABI } from '../../staking/abi.js';
import {
  stakingEndBlock,
  stakingEndEpoch,
  type BlockStakingInput,
} from '../../staking/block-hooks.js';
import { StakingContract } from '../../staking/contract.js';
import { writeGenesisStaking } from '../../staking/genesis.js';
import { defineContract, type BlockContext, type Handlers, type SystemModule } from '../module.js';

/** Gas of a view (only eth_call runs them; a transaction may call one too). */
const VIEW_GAS = 10_000n;

/** One handler per function of the staking ABI: its gas, whether it is payable, its rule. */
export const stakingFunctions: Handlers<typeof STAKING_ABI, StakingContract> = {
  lock: { gas: 60_000n, payable: false, run: (s, [amount, c]) => s.lock(amount, fromHex(c)) },
  vote: { gas: 40_000n, payable: false, run: (s, [id, c]) => s.vote(id, fromHex(c)) },
  unvote: { gas: 30_000n, payable: false, run: (s, [id]) => s.unvote(id) },
  unlock: { gas: 50_000n, payable: false, run: (s, [id]) => s.unlock(id) },
  claim: { gas: 40_000n, payable: false, run: (s, [id]) => s.claim(id) },
  setAutoCompound: {
    gas: 30_000n,
    payable: false,
    run: (s, [id, on]) => s.setAutoCompound(id, on),
  },
  registerCandidate: {
    gas: 120_000n,
    payable: true,
    run: (s, [key, name, bps, maxBps, commitment]) =>
      s.registerCandidate(fromHex(key), name, BigInt(bps), BigInt(maxBps), fromHex(commitment)),
  },
  updateCandidate: {
    gas: 40_000n,
    payable: false,
    run: (s, args) =>
      args.length === 4
        ? s.updateCandidate(args[0], BigInt(args[1]), fromHex(args[2]), fromHex(args[3]))
        : s.updateCandidate(args[0], BigInt(args[1])),
  },
  renewRandao: { gas: 40_000n, payable: false, run: (s, [c]) => s.renewRandao(fromHex(c)) },
  topUpDeposit: { gas: 60_000n, payable: true, run: (s) => s.topUpDeposit() },
  getLock: { gas: VIEW_GAS, payable: false, run: (s, [id]) => s.getLock(id) },
  getLocks: { gas: VIEW_GAS, payable: false, run: (s, [owner]) => s.getLocks(fromHex(owner)) },
  getUnbonding: {
    gas: VIEW_GAS,
    payable: false,
    run: (s, [owner]) => s.getUnbonding(fromHex(owner)),
  },
  getCandidate: {
    gas: VIEW_GAS,
    payable: false,
    run: (s, [operator]) => s.getCandidate(fromHex(operator)),
  },
  getCandidates: { gas: VIEW_GAS, payable: false, run: (s) => s.getCandidates() },
  getRewards: { gas: VIEW_GAS, payable: false, run: (s, [id]) => s.getRewards(id) },
  currentEpoch: { gas: VIEW_GAS, payable: false, run: (s) => s.currentEpoch() },
  getRandao: {
    gas: VIEW_GAS,
    payable: false,
    run: (s, [operator]) => s.getRandao(fromHex(operator)),
  },
  randaoLayers: { gas: VIEW_GAS, payable: false, run: (s) => s.randaoLayers() },
};

export const stakingContract = defineContract({
  name: 'staking',
  address: STAKING_ADDRESS,
  abi: STAKING_ABI,
  unknownGas: VIEW_GAS,
  bind: (ctx) =>
    new StakingContract({
      ...ctx,
      rewards: new RewardLedger(ctx.state, ctx.params, ctx.height),
    }),
  functions: stakingFunctions,
});

const input = (b: BlockContext): BlockStakingInput => ({
  height: b.number,
  round: b.round,
  params: b.params,
  coinbase: b.coinbase,
  validators: b.validators,
  randaoReveal: b.randaoReveal,
  mix: b.mixHash,
});

export const stakingModule: SystemModule = {
  name: 'staking',
  contract: stakingContract,
  genesis: (g) => writeGenesisStaking(g.state, g.validators, g.candidates, g.params),
  // Throws BlockError (exec.randao-…) when the block's RANDAO reveal is wrong.
  endBlock: (b) => stakingEndBlock(b.state, input(b)),
  endEpoch: (b) => stakingEndEpoch(b.state, input(b)),
};
