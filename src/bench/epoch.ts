/**
 * Staking cost (scenario 6): the per-block work of an empty block (fees, economics, unbonding,
 * RANDAO, turns) and the epoch transition (bringing the vote tally forward, halving the
 * producers' vote buckets, weighing every candidate from the tally, the election, the voters'
 * reward refresh per bucket, the voter bonus; nothing per lock, so it should not grow with the
 * locks), with C candidates, at each of several lock counts. Each count is a chain of its own
 * with the same history: candidates and locks made through the staking contract, as
 * transactions would, at SINCE_HEIGHTS heights an hour apart so that votes differ in age, for
 * the same (candidate, height) pairs at every count, so the same vote buckets. The
 * epoch that ends is served and produced by `producers` candidates (the popular ones first),
 * which are also the next epoch's validators, so that the transition halves and refreshes their
 * voters' buckets as a real chain's does. Each figure is one block executed on a fresh StateDB
 * at the committed root (in an LMDB store, as a node's), plus its state root, as a validator
 * runs it.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { encodeFunctionData } from 'viem';
import { toChecksumAddress } from '../crypto/address.js';
import { compareBytes, fromHex, toHex, uint64be } from '../crypto/bytes.js';
import { keccak256 } from '../crypto/keccak.js';
import { addressOf } from '../crypto/secp256k1.js';
import { buildGenesis, DEVNET_CHAIN_ID, parseGenesis } from '../chain/genesis.js';
import { ETM, type ChainParams } from '../params/registry.js';
import { executeBlock, type BlockEnv } from '../execution/transition.js';
import { callContract } from '../execution/call.js';
import { stakingContract } from '../execution/modules/staking.js';
import { STAKING_ABI } from '../staking/abi.js';
import { advanceTally, halveProducers, weighCandidates } from '../staking/block-hooks.js';
import { epochOf } from '../staking/epochs.js';
import { RewardLedger } from '../economics/ledger.js';
import { elect } from '../election/election.js';
import { StateDB } from '../state/state-db.js';
import type { TrieNodeStore } from '../state/trie.js';
import { ChainStore } from '../chain/store.js';
import { cacheShares, DEFAULT_CACHE_BYTES } from '../node/node.js';
import { setNodeCache, TrieNodeCache } from '../state/node-cache.js';
import { benchKey } from './load.js';
import { median, round } from './stats.js';
import { stakingStores } from '../staking/stores.js';
import type { EpochRecord } from '../staking/election-store.js';

export interface EpochResult {
  candidates: number;
  /** Per-block cost (ms, median) by number of locks, in the order measured. */
  perBlock: { locks: number; executeMs: number; commitMs: number; totalMs: number }[];
  /** The epoch's last block at the largest lock count (median of TRANSITION_RUNS). */
  epochTransition: { locks: number; executeMs: number; commitMs: number; totalMs: number };
  /** The epoch's last block at each lock count, with the vote buckets there were. */
  transitions: {
    locks: number;
    buckets: number;
    executeMs: number;
    commitMs: number;
    totalMs: number;
    /**
     * The first of the runs (execute + commit): the transition's code not yet optimised, and
     * of the records it reads only those the writing of the locks left in the node cache.
     */
    firstMs: number;
  }[];
  /** The transition at the most locks ÷ at the fewest: 1 means it does not grow. */
  transitionGrowth: number;
  /**
   * The transition's staking steps at the largest lock count, each timed alone on a fresh
   * StateDB at the same root (ms): bringing the vote tally forward one epoch, weighing every
   * candidate from it, halving the producers' buckets, the election, refreshing the next
   * validators' voters. The rest of executeMs is the economics (voter bonus) and the block.
   */
  transitionSteps: {
    tallyMs: number;
    halvingMs: number;
    weighingMs: number;
    electionMs: number;
    refreshMs: number;
  };
  /**
   * The transition's shape: producers, the locks behind them (which it no longer walks), and
   * the candidates' vote buckets (which it does).
   */
  transitionShape: { producers: number; producerLocks: number; buckets: number };
  /** perBlock at the most locks ÷ perBlock at the fewest: 1 means it does not grow. */
  perBlockGrowth: number;
  setupMs: number;
}

const EPOCH_BLOCKS = 1200n;
/** Locks one voter account holds (the default cap is 64). */
const LOCKS_PER_VOTER = 50;
/** Distinct heights the locks are made at, SINCE_SPACING blocks (an hour of 1 s blocks) apart. */
const SINCE_HEIGHTS = 300;
const SINCE_SPACING = 3600;
/** Times the epoch's last block is executed (each on a fresh StateDB); the median is reported. */
const TRANSITION_RUNS = 3;
/** The timed epoch's last block: the first epoch end after the last lock. */
const TRANSITION =
  ((BigInt(SINCE_HEIGHTS * SINCE_SPACING) + EPOCH_BLOCKS) / EPOCH_BLOCKS) * EPOCH_BLOCKS;

function addr(domain: string, i: number): Uint8Array {
  return keccak256(new Uint8Array([...new TextEncoder().encode(domain), ...uint64be(i)])).subarray(
    12,
  );
}

export async function runEpoch(o: {
  candidates: number;
  lockSteps: number[];
  blocks: number;
  /** Validators and producers of the timed epoch and the next one (default 21). */
  producers?: number;
}): Promise<EpochResult> {
  const t0 = performance.now();
  const validatorKey = benchKey(0, 'etm-bench-epoch-validator');
  const validator = addressOf(validatorKey);
  const maxLocks = Math.max(...o.lockSteps);
  // Every count votes for the same (candidate, height) pairs, those of the smallest, and puts
  // more locks on each: its candidates then have the same vote buckets, so that what changes
  // from one count to the next is the number of locks alone.
  const pairs = Math.min(...o.lockSteps);
  const { trieNodes } = cacheShares(DEFAULT_CACHE_BYTES);
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
  let setupMs = performance.now() - t0;
  const perBlock: EpochResult['perBlock'] = [];
  const transitions: EpochResult['transitions'] = [];
  let steps: EpochResult['transitionSteps'] | null = null;
  let shape: EpochResult['transitionShape'] | null = null;
  // Each lock count is a chain of its own with the same history (the same pairs of candidate
  // and vote height), so that what changes between them is the number of locks alone.
  for (const step of [...o.lockSteps].sort((a, b) => a - b)) {
    const s0 = performance.now();
    // On disk, as a node keeps it: the heap then holds the caches, not a million locks' state.
    const dir = mkdtempSync(join(tmpdir(), 'etm-bench-epoch-'));
    const store = new ChainStore(join(dir, 'chain'));
    // The trie-node cache a node has at the default cache budget (src/node/node.ts).
    setNodeCache(store, new TrieNodeCache(trieNodes.count, trieNodes.bytes));
    let root = buildGenesis(genesis, store).block.header.stateRoot;
    const call = (
      state: StateDB,
      sender: Uint8Array,
      value: bigint,
      data: Uint8Array,
      height = 1n,
    ) => {
      if (value > 0n) {
        const a = state.getAccount(sender);
        state.putAccount(sender, { ...a, balance: a.balance - value });
      }
      callContract(stakingContract, { state, params, height, sender, value }, data);
    };
    const commit = (state: StateDB) => {
      const c = state.commit();
      store.putNodes([...c.nodes]);
      root = c.root;
    };
    let state = new StateDB(root, store);
    operators.forEach((op, i) => {
      const data = fromHex(
        encodeFunctionData({
          abi: STAKING_ABI,
          functionName: 'registerCandidate',
          args: [
            toHex(addr('consensus', i)),
            `c${i}`,
            1000,
            2000,
            toHex(keccak256(uint64be(i + 1))),
          ],
        }),
      );
      call(state, op, params.candidateDeposit, data);
    });
    commit(state);
    state = new StateDB(root, store);
    for (let locks = 0; locks < step; locks++) {
      const voter = voterAddrs[Math.floor(locks / LOCKS_PER_VOTER)]!;
      // The lock's pair; consecutive locks share one, so a candidate's heights never go back.
      const pair = Math.floor((locks * pairs) / step);
      // Votes spread over the candidates, a few of them popular (as stake concentrates).
      const c = (pair % 3 === 0 ? pair % 10 : pair) % o.candidates;
      const data = fromHex(
        encodeFunctionData({
          abi: STAKING_ABI,
          functionName: 'lock',
          args: [10n * ETM, toHex(operators[c]!)],
        }),
      );
      // Consecutive locks share a height, as the locks of one block do.
      const height = 1n + BigInt(Math.floor((pair * SINCE_HEIGHTS) / pairs) * SINCE_SPACING);
      call(state, voter, 0n, data, height);
      if (locks % 5000 === 4999) {
        commit(state);
        state = new StateDB(root, store);
      }
    }
    commit(state);
    setupMs += performance.now() - s0;
    const samples: { executeMs: number; commitMs: number }[] = [];
    for (let b = 0; b < o.blocks; b++)
      samples.push(
        await timeBlock(root, store, params, validator, [validator], TRANSITION - 10n + BigInt(b)),
      );
    perBlock.push({
      locks: step,
      executeMs: round(median(samples.map((x) => x.executeMs)), 2),
      commitMs: round(median(samples.map((x) => x.commitMs)), 2),
      totalMs: round(median(samples.map((x) => x.executeMs + x.commitMs)), 2),
    });
    // The epoch's validators (popular candidates first) produced it and serve the next one; the
    // previous epoch's end brought the vote tally to its height, as the chain's did.
    const producers = operators.slice(0, o.producers ?? 21);
    const keys = producers.map((_, i) => addr('consensus', i));
    const epoch = epochOf(TRANSITION, params);
    state = new StateDB(root, store);
    const staking = stakingStores(state);
    const record: EpochRecord = {
      validators: keys,
      operators: producers,
      seed: new Uint8Array(32),
      ranked: producers,
      drawn: [],
      filled: [],
      electedAt: TRANSITION - 2n * EPOCH_BLOCKS,
    };
    staking.elections.setEpochRecord(epoch, record);
    staking.elections.setEpochRecord(epoch + 1n, record);
    staking.elections.setProduced(epoch, [...producers].sort(compareBytes));
    advanceTally(staking, params, TRANSITION - EPOCH_BLOCKS);
    commit(state);
    const runs: { executeMs: number; commitMs: number }[] = [];
    for (let i = 0; i < TRANSITION_RUNS; i++)
      runs.push(await timeBlock(root, store, params, validator, keys, TRANSITION));
    const s = stakingStores(new StateDB(root, store));
    let buckets = 0;
    for (const op of operators) buckets += Number(s.locks.bucketCount(op));
    transitions.push({
      locks: step,
      buckets,
      executeMs: round(median(runs.map((x) => x.executeMs)), 1),
      commitMs: round(median(runs.map((x) => x.commitMs)), 1),
      totalMs: round(median(runs.map((x) => x.executeMs + x.commitMs)), 1),
      firstMs: round(runs[0]!.executeMs + runs[0]!.commitMs, 1),
    });
    if (step === maxLocks) {
      steps = timeSteps(root, store, params, epoch, record);
      let producerLocks = 0;
      for (const op of producers) producerLocks += Number(s.locks.voteCount(op));
      shape = { producers: producers.length, producerLocks, buckets };
    }
    await store.close();
    rmSync(dir, { recursive: true, force: true });
  }
  const last = transitions[transitions.length - 1]!;
  return {
    candidates: o.candidates,
    perBlock,
    epochTransition: {
      locks: last.locks,
      executeMs: last.executeMs,
      commitMs: last.commitMs,
      totalMs: last.totalMs,
    },
    transitions,
    transitionGrowth: round(last.totalMs / transitions[0]!.totalMs, 2),
    transitionSteps: steps!,
    transitionShape: shape!,
    perBlockGrowth: round(perBlock[perBlock.length - 1]!.totalMs / perBlock[0]!.totalMs, 2),
    setupMs: round(setupMs, 0),
  };
}

/** The transition's staking steps, each alone on a fresh StateDB at `root`, as the block runs them. */
function timeSteps(
  root: Uint8Array,
  store: TrieNodeStore,
  params: ChainParams,
  epoch: bigint,
  current: EpochRecord,
): EpochResult['transitionSteps'] {
  const fresh = () => stakingStores(new StateDB(root, store));
  const timed = <T>(f: () => T): [T, number] => {
    const t0 = performance.now();
    const r = f();
    return [r, performance.now() - t0];
  };
  const tallied = fresh();
  const [, tallyMs] = timed(() => advanceTally(tallied, params, TRANSITION));
  const [weighed, weighingMs] = timed(() => weighCandidates(tallied, params, TRANSITION, current));
  const [, halvingMs] = timed(() => halveProducers(fresh(), params, epoch, TRANSITION));
  const [, electionMs] = timed(() =>
    elect({
      candidates: weighed.map((c) => ({ address: c.operator, weight: c.R })),
      rankedSeats: Number(params.rankedSeats),
      lotterySeats: Number(params.lotterySeats),
      seed: keccak256(uint64be(TRANSITION)),
    }),
  );
  const [, refreshMs] = timed(() =>
    new RewardLedger(new StateDB(root, store), params, TRANSITION).refreshVoters(current.operators),
  );
  return {
    tallyMs: round(tallyMs, 1),
    halvingMs: round(halvingMs, 1),
    weighingMs: round(weighingMs, 1),
    electionMs: round(electionMs, 1),
    refreshMs: round(refreshMs, 1),
  };
}

/** Executes an empty block at `height` on the committed state and computes its root. */
async function timeBlock(
  root: Uint8Array,
  store: TrieNodeStore,
  params: ChainParams,
  validator: Uint8Array,
  validators: Uint8Array[],
  height: bigint,
): Promise<{ executeMs: number; commitMs: number }> {
  const state = new StateDB(root, store);
  const env: BlockEnv = {
    chainId: DEVNET_CHAIN_ID,
    number: height,
    round: 0n,
    timestamp: 1_700_000_000n + height,
    coinbase: validator,
    baseFeePerGas: params.minBaseFee,
    gasLimit: params.blockGasLimit,
    params,
    validators,
    randaoReveal: new Uint8Array(0),
    mixHash: keccak256(uint64be(height)),
  };
  const t0 = performance.now();
  await executeBlock(state, env, []);
  const t1 = performance.now();
  state.commit();
  return { executeMs: t1 - t0, commitMs: performance.now() - t1 };
}
