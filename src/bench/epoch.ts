/**
 * Staking cost (scenario 6): the per-block work of an empty block (fees, economics, unbonding,
 * RANDAO, turns) and the epoch transition (lock halving, weighing every candidate over its
 * votes, the election, the voters' reward refresh), with C candidates and growing numbers of
 * locks. Candidates and locks are made through the staking contract, as transactions would.
 * Each figure is one block executed on a fresh StateDB at the committed root, plus its state
 * root, as a validator runs it.
 */
import { performance } from 'node:perf_hooks';
import { encodeFunctionData } from 'viem';
import { toChecksumAddress } from '../crypto/address.js';
import { fromHex, toHex, uint64be } from '../crypto/bytes.js';
import { keccak256 } from '../crypto/keccak.js';
import { addressOf } from '../crypto/secp256k1.js';
import { buildGenesis, DEVNET_CHAIN_ID, parseGenesis } from '../chain/genesis.js';
import { ETM, type ChainParams } from '../chain/params.js';
import { executeBlock, type BlockEnv } from '../execution/transition.js';
import { callStaking } from '../staking/contract.js';
import { STAKING_ABI } from '../staking/abi.js';
import { StateDB } from '../state/state-db.js';
import { MemoryNodeStore } from '../state/trie.js';
import { benchKey } from './load.js';
import { median, round } from './stats.js';

export interface EpochResult {
  candidates: number;
  /** Per-block cost (ms, median) by number of locks, in the order measured. */
  perBlock: { locks: number; executeMs: number; commitMs: number; totalMs: number }[];
  /** The epoch's last block at the largest lock count. */
  epochTransition: { locks: number; executeMs: number; commitMs: number; totalMs: number };
  /** perBlock at the most locks ÷ perBlock at the fewest: 1 means it does not grow. */
  perBlockGrowth: number;
  setupMs: number;
}

const EPOCH_BLOCKS = 1200n;
/** Locks one voter account holds (the default cap is 64). */
const LOCKS_PER_VOTER = 50;

function addr(domain: string, i: number): Uint8Array {
  return keccak256(new Uint8Array([...new TextEncoder().encode(domain), ...uint64be(i)])).subarray(
    12,
  );
}

export function runEpoch(o: {
  candidates: number;
  lockSteps: number[];
  blocks: number;
}): EpochResult {
  const t0 = performance.now();
  const validatorKey = benchKey(0, 'etm-bench-epoch-validator');
  const validator = addressOf(validatorKey);
  const maxLocks = Math.max(...o.lockSteps);
  const voters = Math.ceil(maxLocks / LOCKS_PER_VOTER);
  const operators = Array.from({ length: o.candidates }, (_, i) => addr('operator', i));
  const voterAddrs = Array.from({ length: voters }, (_, i) => addr('voter', i));
  const alloc: Record<string, { balance: string }> = {};
  for (const a of [...operators, ...voterAddrs])
    alloc[toChecksumAddress(a)] = { balance: (1_000_000n * ETM).toString() };
  const genesis = parseGenesis({
    chainId: DEVNET_CHAIN_ID.toString(),
    timestamp: '1700000000',
    params: { blockTimeMs: '1000', epochBlocks: EPOCH_BLOCKS.toString() },
    alloc,
    validators: [toChecksumAddress(validator)],
  });
  const params = genesis.params;
  const store = new MemoryNodeStore();
  const g = buildGenesis(genesis, store);
  for (const [h, b] of g.nodes) store.put(h, b);
  let root = g.block.header.stateRoot;

  const call = (state: StateDB, sender: Uint8Array, value: bigint, data: Uint8Array) => {
    if (value > 0n) {
      const a = state.getAccount(sender);
      state.putAccount(sender, { ...a, balance: a.balance - value });
    }
    callStaking({ state, params, height: 1n, sender, value }, data);
  };
  const commit = (state: StateDB) => {
    const c = state.commit();
    for (const [h, b] of c.nodes) store.put(h, b);
    root = c.root;
  };

  let state = new StateDB(root, store);
  operators.forEach((op, i) => {
    const data = fromHex(
      encodeFunctionData({
        abi: STAKING_ABI,
        functionName: 'registerCandidate',
        args: [toHex(addr('consensus', i)), `c${i}`, 1000, 2000, toHex(keccak256(uint64be(i + 1)))],
      }),
    );
    call(state, op, params.candidateDeposit, data);
  });
  commit(state);

  let locks = 0;
  const perBlock: EpochResult['perBlock'] = [];
  let setupMs = performance.now() - t0;
  let transition: EpochResult['epochTransition'] | null = null;
  for (const step of [...o.lockSteps].sort((a, b) => a - b)) {
    const s0 = performance.now();
    state = new StateDB(root, store);
    for (; locks < step; locks++) {
      const voter = voterAddrs[Math.floor(locks / LOCKS_PER_VOTER)]!;
      // Votes spread over the candidates, a few of them popular (as stake concentrates).
      const c = (locks % 3 === 0 ? locks % 10 : locks) % o.candidates;
      const data = fromHex(
        encodeFunctionData({
          abi: STAKING_ABI,
          functionName: 'lock',
          args: [10n * ETM, toHex(operators[c]!)],
        }),
      );
      call(state, voter, 0n, data);
      if (locks % 5000 === 4999) {
        commit(state);
        state = new StateDB(root, store);
      }
    }
    commit(state);
    setupMs += performance.now() - s0;
    const samples = Array.from({ length: o.blocks }, (_, b) =>
      timeBlock(root, store, params, validator, 2n + BigInt(b)),
    );
    perBlock.push({
      locks: step,
      executeMs: round(median(samples.map((x) => x.executeMs)), 2),
      commitMs: round(median(samples.map((x) => x.commitMs)), 2),
      totalMs: round(median(samples.map((x) => x.executeMs + x.commitMs)), 2),
    });
    if (step === maxLocks) {
      const e = timeBlock(root, store, params, validator, EPOCH_BLOCKS);
      transition = {
        locks: step,
        executeMs: round(e.executeMs, 1),
        commitMs: round(e.commitMs, 1),
        totalMs: round(e.executeMs + e.commitMs, 1),
      };
    }
  }
  return {
    candidates: o.candidates,
    perBlock,
    epochTransition: transition!,
    perBlockGrowth: round(perBlock[perBlock.length - 1]!.totalMs / perBlock[0]!.totalMs, 2),
    setupMs: round(setupMs, 0),
  };
}

/** Executes an empty block at `height` on the committed state and computes its root. */
function timeBlock(
  root: Uint8Array,
  store: MemoryNodeStore,
  params: ChainParams,
  validator: Uint8Array,
  height: bigint,
): { executeMs: number; commitMs: number } {
  const state = new StateDB(root, store);
  const env: BlockEnv = {
    chainId: DEVNET_CHAIN_ID,
    number: height,
    timestamp: 1_700_000_000n + height,
    coinbase: validator,
    baseFeePerGas: params.minBaseFee,
    gasLimit: params.blockGasLimit,
    params,
    validators: [validator],
    randaoReveal: new Uint8Array(0),
    mixHash: keccak256(uint64be(height)),
  };
  const t0 = performance.now();
  executeBlock(state, env, []);
  const t1 = performance.now();
  state.commit();
  return { executeMs: t1 - t0, commitMs: performance.now() - t1 };
}
