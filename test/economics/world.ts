/**
 * A state world for the economics tests: candidates registered at genesis (deposits as
 * self-locks), a funded voter bonus pool, users with balances, and a block runner that does what
 * a block's state transition does after its transactions (the system modules' block hooks in
 * their declared order, with the proposer's RANDAO reveal).
 */
import type { Log } from '../../src/primitives/receipt.js';
import type { Address } from '../../src/primitives/types.js';
import { encodeFunctionData } from 'viem';
import { fromHex, toHex } from '../../src/crypto/bytes.js';
import { DEFAULT_PARAMS, ETM, type ChainParams } from '../../src/params/registry.js';
import type { BlockEconomicsOutput } from '../../src/economics/block.js';
import { executeBlock, type BlockOutcome } from '../../src/execution/transition.js';
import type { SignedTx } from '../../src/execution/tx.js';
import { createOnion, type Onion } from '../../src/election/randao.js';
import { keccak256 } from '../../src/crypto/keccak.js';
import {
  DAO_TREASURY,
  STAKING_ADDRESS,
  STAKING_REWARD_POOL,
  VOTER_BONUS_POOL,
} from '../../src/primitives/system-addresses.js';
import { STAKING_ABI } from '../../src/staking/abi.js';
import { nextMix, nextRevealOf } from '../../src/staking/block-hooks.js';
import { callContract, type CallResult } from '../../src/execution/call.js';
import type { BlockContext } from '../../src/execution/module.js';
import { stakingContract } from '../../src/execution/modules/staking.js';
import { rewardsModule } from '../../src/execution/modules/rewards.js';
import { BLOCK_HOOKS, writeModulesGenesis } from '../../src/execution/registry.js';
import { Revert } from '../../src/primitives/errors.js';
import { epochOf, isEpochEnd } from '../../src/staking/epochs.js';
import { StateDB } from '../../src/state/state-db.js';
import { EMPTY_TRIE_ROOT, MemoryNodeStore } from '../../src/state/trie.js';
import { stakingStores } from '../../src/staking/stores.js';
import { RewardStore } from '../../src/economics/reward-store.js';

export { ETM };
export const addr = (n: number) => new Uint8Array(20).fill(n);
export const ZERO = new Uint8Array(20);
export const SYSTEM = [STAKING_ADDRESS, STAKING_REWARD_POOL, VOTER_BONUS_POOL, DAO_TREASURY];

/** Small epochs, short days, 10% a year over 1,000 blocks (a visible mint per block). */
export const TEST_PARAMS: ChainParams = {
  ...DEFAULT_PARAMS,
  epochBlocks: 5n,
  blocksPerDay: 3n,
  candidateDeposit: ETM,
  rankedSeats: 2n,
  lotterySeats: 1n,
  unbondingBlocks: 3n,
  depositUnbondingBlocks: 4n,
  evidenceMaxAgeBlocks: 3n,
  blocksPerYear: 1_000n,
  randaoLayers: 400n,
};

export interface CandidateSpec {
  commissionBps: bigint;
  deposit: bigint;
}

export interface WorldOptions {
  params?: ChainParams;
  /** Candidates registered at genesis (operator 0xa1…, key 0xb1…, …). */
  candidates?: CandidateSpec[];
  /** Extra genesis validators without a candidacy (keys 0xc1…). */
  bareValidators?: number;
  /** Users 0xd1… with these balances. */
  users?: bigint[];
  operatorBalance?: bigint;
  bonusPool?: bigint;
  /** Layers of the candidates' RANDAO onions (each proposal uses one): params.randaoLayers. */
  onionLength?: number;
}

export interface BlockOptions {
  /** Proposer index into the height's validators; default h mod K (round 0). */
  proposer?: number;
  proposerFees?: bigint;
  burned?: bigint;
  /** Runs between applyBlockEconomics and applyBlockStaking (to look at the payouts alone). */
  afterEconomics?: (b: AfterEconomics) => void;
}

export interface AfterEconomics {
  height: bigint;
  coinbase: Address;
  validators: Address[];
  reveal: Uint8Array;
  mix: Uint8Array;
  economics: BlockEconomicsOutput;
}

export type World = ReturnType<typeof makeWorld>;

/** The round whose proposer `coinbase` is at `height`: (its place in the order − height) mod K. */
function roundOf(validators: readonly Address[], coinbase: Address, height: bigint): bigint {
  const K = BigInt(validators.length);
  const i = BigInt(validators.findIndex((v) => toHex(v) === toHex(coinbase)));
  return (((i - height) % K) + K) % K;
}

const economicsOf = (r: Partial<BlockEconomicsOutput> | void): BlockEconomicsOutput => ({
  minted: r?.minted ?? 0n,
  commission: r?.commission ?? 0n,
  voters: r?.voters ?? 0n,
  stakers: r?.stakers ?? 0n,
  bonusReleased: r?.bonusReleased ?? 0n,
  bonusPaid: r?.bonusPaid ?? 0n,
});

export function makeWorld(opts: WorldOptions = {}) {
  const base = opts.params ?? TEST_PARAMS;
  const params: ChainParams =
    opts.onionLength === undefined ? base : { ...base, randaoLayers: BigInt(opts.onionLength) };
  const specs = opts.candidates ?? [
    { commissionBps: 1000n, deposit: 10n * ETM },
    { commissionBps: 0n, deposit: 10n * ETM },
    { commissionBps: 2500n, deposit: 10n * ETM },
    { commissionBps: 500n, deposit: 10n * ETM },
  ];
  const ops = specs.map((_, i) => addr(0xa1 + i));
  const keys = specs.map((_, i) => addr(0xb1 + i));
  const bare = Array.from({ length: opts.bareValidators ?? 0 }, (_, i) => addr(0xc1 + i));
  const users = (opts.users ?? []).map((_, i) => addr(0xd1 + i));
  const layers = Number(params.randaoLayers);
  const onions = new Map<string, Onion>();
  /**
   * Onion `generation` of candidate i (whichever key it signs with): its secret is 32 bytes of
   * i + 1 for generation 0, else keccak256 of those bytes and the generation (8 bytes).
   */
  const onionOf = (i: number, generation = 0n, n = layers): Onion => {
    const id = `${i}/${generation}/${n}`;
    let o = onions.get(id);
    if (!o) {
      const seed = new Uint8Array(generation === 0n ? 32 : 40).fill(i + 1);
      if (generation > 0n) new DataView(seed.buffer).setBigUint64(32, generation);
      o = createOnion(generation === 0n ? seed : keccak256(seed), n);
      onions.set(id, o);
    }
    return o;
  };
  /** The proposer's reveal as the chain asks for it (empty without one: exhausted, no candidacy). */
  const revealFor = (coinbase: Address): Uint8Array => {
    const due = nextRevealOf(state, coinbase);
    if (!due) return new Uint8Array(0);
    const ci = ops.findIndex((op) => toHex(op) === toHex(due.operator));
    return onionOf(ci, due.generation, Number(due.layers)).reveal(Number(due.index));
  };

  const state = new StateDB(EMPTY_TRIE_ROOT, new MemoryNodeStore());
  let supply = 0n;
  const fund = (a: Address, amount: bigint) => {
    state.putAccount(a, { ...state.getAccount(a), balance: state.getAccount(a).balance + amount });
    supply += amount;
  };
  const opBalance = opts.operatorBalance ?? 1_000n * ETM;
  ops.forEach((op) => fund(op, opBalance));
  (opts.users ?? []).forEach((b, i) => fund(users[i]!, b));
  fund(VOTER_BONUS_POOL, opts.bonusPool ?? 0n);
  writeModulesGenesis({
    state,
    validators: [...keys, ...bare],
    candidates: specs.map((s, i) => ({
      operator: ops[i]!,
      consensusKey: keys[i]!,
      name: `c${i}`,
      deposit: s.deposit,
      commissionBps: s.commissionBps,
      commissionMaxBps: 10_000n,
      randaoCommitment: onionOf(i).commitment,
    })),
    params,
    supply,
  });
  const genesisSupply = supply;
  const store = stakingStores(state);
  const rewards = new RewardStore(state);
  let mix: Uint8Array = new Uint8Array(32);
  let height = 0n;

  /** Runs a staking call in a checkpoint, as a transaction does; null when it reverted. */
  const call = (sender: Address, fn: string, args: unknown[], value = 0n): CallResult | null => {
    state.checkpoint();
    try {
      if (value > 0n) {
        const a = state.getAccount(sender);
        if (a.balance < value) throw new Revert('value above balance');
        state.putAccount(sender, { ...a, balance: a.balance - value });
      }
      const r = callContract(
        stakingContract,
        { state, params, height: height + 1n, sender, value },
        fromHex(encodeFunctionData({ abi: STAKING_ABI, functionName: fn, args } as never)),
      );
      state.commitCheckpoint();
      return r;
    } catch (e) {
      state.revert();
      if (e instanceof Revert) return null;
      throw e;
    }
  };

  /** Every block's hook logs, in order (what the block-work receipts carry). */
  const hookLogs: Log[] = [];

  const validatorsAt = (h: bigint): Address[] =>
    store.elections.epochRecord(epochOf(h, params))!.validators;

  /**
   * Closes the next block (its transactions were the calls made since the last one). Fees given
   * here are taken as already paid into the reward pool (proposer part) and burned.
   */
  const block = (o: BlockOptions = {}) => {
    height += 1n;
    const validators = validatorsAt(height);
    const K = validators.length;
    const coinbase = validators[o.proposer ?? Number(height % BigInt(K))]!;
    const reveal = revealFor(coinbase);
    mix = nextMix(mix, reveal);
    const ctx: BlockContext = {
      state,
      params,
      number: height,
      round: roundOf(validators, coinbase, height),
      coinbase,
      validators,
      randaoReveal: reveal,
      mixHash: mix,
      fees: { proposer: o.proposerFees ?? 0n, tips: 0n, burned: o.burned ?? 0n },
      logs: hookLogs,
    };
    // The hooks in their declared order; afterEconomics runs after the rewards module's endBlock.
    const hooks = BLOCK_HOOKS.filter(
      ([, phase]) => phase !== 'endEpoch' || isEpochEnd(height, params),
    );
    const lastRewards = hooks.findIndex(
      ([m, phase]) => m === rewardsModule && phase === 'endBlock',
    );
    let report: ReturnType<NonNullable<typeof rewardsModule.endBlock>> = {};
    hooks.forEach(([m, phase], i) => {
      report = { ...report, ...(m[phase]?.(ctx) ?? {}) };
      if (i === lastRewards)
        o.afterEconomics?.({
          height,
          coinbase,
          validators,
          reveal,
          mix,
          economics: economicsOf(report),
        });
    });
    return {
      height,
      coinbase,
      validators,
      mix,
      reveal,
      economics: economicsOf(report),
      nextValidators: report?.nextValidators ?? [],
      electionWeights: report?.electionWeights ?? null,
    };
  };

  /** Closes the next block through the state transition itself (executeBlock). */
  const execute = async (txs: SignedTx[], baseFeePerGas = params.minBaseFee, proposer?: number) => {
    height += 1n;
    const validators = validatorsAt(height);
    const coinbase = validators[proposer ?? Number(height % BigInt(validators.length))]!;
    const reveal = revealFor(coinbase);
    mix = nextMix(mix, reveal);
    const outcome: BlockOutcome = await executeBlock(
      state,
      {
        chainId: 1n,
        number: height,
        round: roundOf(validators, coinbase, height),
        timestamp: height * 3n,
        coinbase,
        baseFeePerGas,
        gasLimit: params.blockGasLimit,
        params,
        validators,
        randaoReveal: reveal,
        mixHash: mix,
      },
      txs,
    );
    return { height, coinbase, outcome };
  };

  /** Σ (balance + locked) over every account the world uses. */
  const holdings = () => {
    let sum = 0n;
    for (const a of [...ops, ...keys, ...bare, ...users, ...SYSTEM]) {
      const acc = state.getAccount(a);
      sum += acc.balance + acc.locked;
    }
    return sum;
  };

  /** Moves spendable balance between two accounts (a plain transfer). */
  const transfer = (from: Address, to: Address, amount: bigint) => {
    const a = state.getAccount(from);
    if (a.balance < amount) return false;
    state.putAccount(from, { ...a, balance: a.balance - amount });
    const b = state.getAccount(to);
    state.putAccount(to, { ...b, balance: b.balance + amount });
    return true;
  };

  /**
   * A block's fees as the transition books them: `fee` leaves the payer's balance; the
   * proposer's part waits in the reward pool, the treasury's is credited, the rest is burned.
   */
  const payFee = (payer: Address, proposerPart: bigint, treasuryPart: bigint, burned: bigint) => {
    const total = proposerPart + treasuryPart + burned;
    const a = state.getAccount(payer);
    if (a.balance < total) return false;
    state.putAccount(payer, { ...a, balance: a.balance - total });
    const p = state.getAccount(STAKING_REWARD_POOL);
    state.putAccount(STAKING_REWARD_POOL, { ...p, balance: p.balance + proposerPart });
    const t = state.getAccount(DAO_TREASURY);
    state.putAccount(DAO_TREASURY, { ...t, balance: t.balance + treasuryPart });
    return true;
  };

  return {
    params,
    state,
    store,
    rewards,
    ops,
    keys,
    bare,
    users,
    genesisSupply,
    call,
    block,
    execute,
    holdings,
    transfer,
    payFee,
    validatorsAt,
    onionOf,
    height: () => height,
    hookLogs,
    balance: (a: Address) => state.getAccount(a).balance,
    lockIdOf: (r: CallResult | null) => {
      if (!r) throw new Error('the lock call reverted');
      return BigInt(toHex(r.returnData));
    },
  };
}
