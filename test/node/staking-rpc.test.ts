/**
 * What the election audit reads: etm_getElection publishes the weights each election used, and
 * running the election again from them (and the seed and seats it publishes) gives exactly the
 * recorded result, with auto-compounding voters' locks.
 * etm_getCandidates answers for past blocks as it did when they were the head.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { decodeFunctionResult, encodeFunctionData } from 'viem';
import { encodeBlock } from '../../src/chain/block.js';
import type { Chain } from '../../src/chain/chain.js';
import { ETM } from '../../src/params/registry.js';
import { equalBytes, fromHex, toHex } from '../../src/crypto/bytes.js';
import { keccak256 } from '../../src/crypto/keccak.js';
import { deriveAccounts, DEV_MNEMONIC } from '../../src/crypto/mnemonic.js';
import { sign } from '../../src/crypto/secp256k1.js';
import { commitSealDigest } from '../../src/consensus/messages.js';
import { blockHash } from '../../src/chain/block.js';
import { elect } from '../../src/election/election.js';
import { STAKING_ADDRESS } from '../../src/primitives/system-addresses.js';
import { TxDecoder, type SignedTx } from '../../src/execution/tx.js';
import { devGenesis, DEV_VALIDATOR_PATH } from '../../src/node/devnet.js';
import { onionFromKey } from '../../src/node/randao.js';
import { NodeStakingRpc } from '../../src/node/staking-rpc.js';
import { CANDIDATE_STATUS, STAKING_ABI } from '../../src/staking/abi.js';
import { callContract } from '../../src/execution/call.js';
import { stakingContract } from '../../src/execution/modules/staking.js';
import { readParams } from '../../src/params/store.js';
import { weighCandidates } from '../../src/staking/block-hooks.js';
import { epochOf } from '../../src/staking/epochs.js';
import { newChain, TempDirs } from '../chain/helpers.js';
import { signTx } from '../execution/helpers.js';
import { stakingStores } from '../../src/staking/stores.js';

const KEYS = deriveAccounts(DEV_MNEMONIC, 4, DEV_VALIDATOR_PATH);
const USERS = deriveAccounts(DEV_MNEMONIC, 2);
const genesis = devGenesis(4, 1000, 1_700_000_000n, {
  epochBlocks: 4,
  rankedSeats: 2,
  lotterySeats: 1,
});
const decoder = new TxDecoder({ chainId: genesis.chainId });
const t = new TempDirs();
let chain: Chain;
let rpc: NodeStakingRpc;
/** etm_getCandidates as it answered while block N was the head. */
const candidatesAtHead = new Map<bigint, ReturnType<NodeStakingRpc['candidates']>>();

function stakingCall(user: number, nonce: bigint, data: `0x${string}`): SignedTx {
  const { raw } = signTx(
    2,
    { nonce, to: STAKING_ADDRESS, value: 0n, data: fromHex(data), gasLimit: 200_000n },
    { key: USERS[user]!.privateKey },
  );
  return decoder.decode(raw);
}

/** Builds the next block as its round-0 proposer and commits it with every seal. */
async function commitNext(txs: SignedTx[] = []): Promise<void> {
  const h = chain.headNumber + 1n;
  const set = chain.validatorsAt(h);
  const proposer = set[Number(h % BigInt(set.length))]!;
  const onion = onionFromKey(KEYS.find((k) => equalBytes(k.address, proposer))!.privateKey);
  const built = await chain.buildBlock(proposer, txs, (index, hashesTo) => {
    const r = onion.reveal(Number(index));
    return equalBytes(keccak256(r), hashesTo) ? r : null;
  });
  expect(built.skipped).toEqual([]);
  const digest = commitSealDigest(chain.chainId, blockHash(built.block), 0);
  await chain.commitDecided(
    encodeBlock(built.block),
    0,
    KEYS.map((k) => ({ validator: k.address, signature: sign(digest, k.privateKey) })),
  );
  candidatesAtHead.set(chain.headNumber, rpc.candidates(chain.headNumber));
}

beforeAll(async () => {
  chain = newChain(t, genesis);
  rpc = new NodeStakingRpc(chain);
  // Holders vote for genesis candidates, with rewards compounding into their locks: node1 and
  // node2 take the ranked seats, node3 (with a small vote) and node0 share the lottery.
  const [, node1, node2, node3] = KEYS.map((k) => toHex(k.address) as `0x${string}`);
  const lock = (amount: bigint, candidate: `0x${string}`) =>
    encodeFunctionData({ abi: STAKING_ABI, functionName: 'lock', args: [amount, candidate] });
  await commitNext([
    stakingCall(0, 0n, lock(5_000n * ETM, node1!)),
    stakingCall(1, 0n, lock(3_000n * ETM, node2!)),
    stakingCall(0, 1n, lock(200n * ETM, node3!)),
  ]);
  const store = stakingStores(chain.headState());
  const ids = [
    ...store.locks.locksOf(USERS[0]!.address),
    ...store.locks.locksOf(USERS[1]!.address),
  ];
  const compound = (id: bigint) =>
    encodeFunctionData({ abi: STAKING_ABI, functionName: 'setAutoCompound', args: [id, true] });
  await commitNext([
    stakingCall(0, 2n, compound(ids[0]!)),
    stakingCall(0, 3n, compound(ids[1]!)),
    stakingCall(1, 1n, compound(ids[2]!)),
  ]);
  while (chain.headNumber < 24n) await commitNext();
});

afterAll(() => t.cleanup());

describe('etm_getElection publishes what an audit needs', () => {
  it('the genesis epochs were set by the genesis: no weights to recompute', async () => {
    const e = (await rpc.election(1n))!;
    expect(e.electedAt).toBe(0n);
    expect(e.candidates).toBeNull();
  });

  it('running the election again from the published weights gives the recorded result', async () => {
    for (let epoch = 2n; epoch <= 7n; epoch++) {
      const e = (await rpc.election(epoch))!;
      expect(e.electedAt).toBe((epoch - 2n) * 4n + 4n);
      // The seed is the electing block's RANDAO mix.
      expect(toHex(e.seed)).toBe(toHex(chain.blockAt(e.electedAt)!.header.mixHash));
      expect(e.candidates!.length).toBe(4);
      const again = elect({
        candidates: e.candidates!.map((c) => ({ address: c.address, weight: c.R })),
        rankedSeats: Number(e.rankedSeats),
        lotterySeats: Number(e.lotterySeats),
        seed: e.seed,
      });
      expect(again.ranked.map(toHex)).toEqual(e.ranked.map(toHex));
      expect(again.drawn.map((d) => [toHex(d.address), d.w, d.W, d.z])).toEqual(
        e.drawn.map((d) => [toHex(d.address), d.w, d.W, d.z]),
      );
      expect(again.filled.map(toHex)).toEqual(e.filled.map(toHex));
      expect(again.validators.map(toHex)).toEqual(e.operators.map(toHex));
    }
  });

  it('the weights are those of the moment of the election, which the rest of its block keeps', async () => {
    // The voters' refresh after the election rewrites their vote buckets (t, accumulators,
    // merges) but settles and compounds no lock: weighing the block's end state agrees.
    let differs = 0;
    for (let epoch = 3n; epoch <= 7n; epoch++) {
      const e = (await rpc.election(epoch))!;
      const store = stakingStores(chain.stateAt(e.electedAt));
      const current = store.elections.epochRecord(epochOf(e.electedAt, chain.params));
      const after = weighCandidates(store, chain.params, e.electedAt, current);
      const used = new Map(e.candidates!.map((c) => [toHex(c.address), c.R]));
      if (after.some((w) => used.get(toHex(w.operator)) !== w.R)) differs++;
    }
    expect(differs).toBe(0);
  });
});

describe('etm_getCandidates at a past block', () => {
  it('answers as it did when that block was the head', () => {
    for (const n of [1n, 4n, 9n, 16n, chain.headNumber])
      expect(rpc.candidates(n)).toEqual(candidatesAtHead.get(n));
    // Weights change over time, so the blocks are really told apart.
    expect(rpc.candidates(1n)).not.toEqual(rpc.candidates(chain.headNumber));
  });
});

describe('etm_getCandidates and etm_getLocks answer what the contract’s views answer', () => {
  /** eth_call of a staking view on the head's state, decoded. */
  function view<N extends 'getCandidate' | 'getLock' | 'getRewards' | 'getLocks'>(
    functionName: N,
    args: readonly unknown[],
  ): readonly unknown[] | unknown {
    const state = chain.headState();
    const data = encodeFunctionData({ abi: STAKING_ABI, functionName, args } as never);
    const { returnData } = callContract(
      stakingContract,
      {
        state,
        params: readParams(state),
        height: chain.headNumber + 1n,
        sender: new Uint8Array(20),
        value: 0n,
      },
      fromHex(data),
    );
    return decodeFunctionResult({
      abi: STAKING_ABI,
      functionName,
      data: toHex(returnData) as `0x${string}`,
    } as never);
  }

  it('candidates: key, name, deposit, commission and status', () => {
    const rows = rpc.candidates(chain.headNumber);
    expect(rows.length).toBe(4);
    for (const c of rows) {
      const [key, name, deposit, bps, maxBps, status] = view('getCandidate', [
        toHex(c.operator),
      ]) as readonly [string, string, bigint, number, number, number];
      expect([toHex(c.consensusKey), c.name, c.deposit]).toEqual([
        key.toLowerCase(),
        name,
        deposit,
      ]);
      expect([c.commissionBps, c.commissionMaxBps]).toEqual([BigInt(bps), BigInt(maxBps)]);
      expect(CANDIDATE_STATUS.indexOf(c.status)).toBe(status);
    }
  });

  it('locks: amount, candidate, age, weight and rewards', () => {
    for (const user of USERS) {
      const locks = rpc.locks(user.address);
      expect(locks.map((l) => l.id)).toEqual(view('getLocks', [toHex(user.address)]));
      expect(locks.length).toBeGreaterThan(0);
      for (const l of locks) {
        const [owner, amount, candidate, since, t, x] = view('getLock', [l.id]) as readonly [
          string,
          bigint,
          string,
          bigint,
          bigint,
          bigint,
        ];
        expect(owner.toLowerCase()).toBe(toHex(l.owner));
        expect(candidate.toLowerCase()).toBe(toHex(l.candidate ?? new Uint8Array(20)));
        expect([l.amount, l.since, l.t, l.x]).toEqual([amount, since, t, x]);
        expect(view('getRewards', [l.id])).toEqual([l.pending, l.autoCompound]);
        expect(l.autoCompound).toBe(true); // set by every holder in the setup
      }
    }
  });
});
