/**
 * The economic simulator against a real devnet: an action script (locks with and without a
 * vote, a candidate registration on a standby node, a vote change, an unvote, claims, an
 * unlock) is sent to the devnet as transactions; the simulator is then given the devnet's
 * genesis, the same actions at the blocks that included them, and the blocks' rounds, reveals,
 * mixes and fees. At every epoch's end the supply, locked total, minted total, treasury, bonus
 * pool and release, the staking accumulator, every candidate's voter accumulator and total
 * weight, and the elected validators must be identical; claims equal up to rounding.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  createPublicClient,
  createWalletClient,
  decodeEventLog,
  http,
  parseEther,
  type Hex,
} from 'viem';
import { mnemonicToAccount } from 'viem/accounts';
import { toHex } from '../../src/crypto/bytes.js';
import { DEV_MNEMONIC } from '../../src/crypto/mnemonic.js';
import {
  DAO_TREASURY,
  STAKING_ADDRESS,
  VOTER_BONUS_POOL,
} from '../../src/primitives/system-addresses.js';
import { STAKING_ABI } from '../../src/staking/abi.js';
import { stakingStores } from '../../src/staking/stores.js';
import { RewardStore } from '../../src/economics/reward-store.js';
import { epochOf } from '../../src/staking/epochs.js';
import { onionFromKey } from '../../src/node/randao.js';
import type { Devnet } from '../../src/node/devnet.js';
import { EconomySim } from '../../src/sim/economy/engine.js';
import { TracedBlocks, type TracedBlock } from '../../src/sim/economy/source.js';
import { devnet, etmChain, tempDir, waitForHeight } from './helpers.js';

const tmp = tempDir();
let d: Devnet;
const staking = toHex(STAKING_ADDRESS) as Hex;
const EPOCH = 10n;

type Step =
  | { fn: 'lock'; who: number; amount: bigint; candidate: Hex | null }
  | { fn: 'vote'; who: number; lock: number; candidate: Hex }
  | { fn: 'unvote' | 'unlock' | 'claim'; who: number; lock: number }
  | { fn: 'register'; who: number; deposit: bigint };

/** What the devnet did: the step, its block and position, and the lock id it made or used. */
interface Done {
  step: Step;
  block: bigint;
  index: number;
  lockId: bigint | null;
  claimed: bigint;
}

function wallet(index: number) {
  return createWalletClient({
    account: mnemonicToAccount(DEV_MNEMONIC, { addressIndex: index }),
    chain: etmChain(d.httpUrl, d.wsUrl),
    transport: http(d.httpUrl),
  });
}

beforeAll(async () => {
  d = await devnet(tmp.dir, {
    blockTimeMs: 250,
    standby: 1,
    staking: { epochBlocks: Number(EPOCH), rankedSeats: 2, lotterySeats: 1, randaoLayers: 256 },
  });
}, 120_000);

afterAll(async () => {
  await d?.stop();
  tmp.remove();
});

describe('economic simulator = a devnet', () => {
  it('the same actions give the same supply, locks, mint, rewards and validators every epoch', async () => {
    const chain = d.nodes[0]!.chain;
    const ops = d.genesis.candidates.map((c) => toHex(c.operator) as Hex);
    const standby = d.validatorKeys[d.validatorKeys.length - 1]!;
    const newOperator = mnemonicToAccount(DEV_MNEMONIC, { addressIndex: 1 }).address as Hex;
    const locks: bigint[] = [];
    const done: Done[] = [];
    const send = async (step: Step) => {
      const w = wallet(step.who);
      let hash: Hex;
      if (step.fn === 'register') {
        const onion = onionFromKey(standby.privateKey, 256);
        hash = await w.writeContract({
          address: staking,
          abi: STAKING_ABI,
          functionName: 'registerCandidate',
          args: [
            toHex(standby.address) as Hex,
            'standby',
            500,
            10_000,
            toHex(onion.commitment) as Hex,
          ],
          value: step.deposit,
        });
      } else if (step.fn === 'lock') {
        hash = await w.writeContract({
          address: staking,
          abi: STAKING_ABI,
          functionName: 'lock',
          args: [step.amount, step.candidate ?? '0x0000000000000000000000000000000000000000'],
        });
      } else if (step.fn === 'vote') {
        hash = await w.writeContract({
          address: staking,
          abi: STAKING_ABI,
          functionName: 'vote',
          args: [locks[step.lock]!, step.candidate],
        });
      } else {
        hash = await w.writeContract({
          address: staking,
          abi: STAKING_ABI,
          functionName: step.fn,
          args: [locks[step.lock]!],
        });
      }
      const c = createPublicClient({
        chain: etmChain(d.httpUrl, d.wsUrl),
        transport: http(d.httpUrl),
      });
      const r = await c.waitForTransactionReceipt({ hash, pollingInterval: 50 });
      expect(r.status).toBe('success');
      let lockId: bigint | null =
        step.fn === 'lock' || step.fn === 'register' ? null : locks[step.lock]!;
      let claimed = 0n;
      for (const log of r.logs) {
        if (log.address.toLowerCase() !== staking.toLowerCase()) continue;
        const ev = decodeEventLog({ abi: STAKING_ABI, data: log.data, topics: log.topics });
        if (ev.eventName === 'Locked' && step.fn === 'lock')
          lockId = (ev.args as { lockId: bigint }).lockId;
        if (ev.eventName === 'Claimed') claimed = (ev.args as { amount: bigint }).amount;
      }
      if (step.fn === 'lock') locks.push(lockId!);
      done.push({ step, block: r.blockNumber, index: r.transactionIndex, lockId, claimed });
    };
    const at = async (h: bigint, steps: Step[]) => {
      await waitForHeight(d, h - 1n, 60_000);
      for (const s of steps) await send(s);
    };
    const ETM = (n: number) => parseEther(String(n));
    await at(2n, [
      { fn: 'lock', who: 5, amount: ETM(50_000), candidate: ops[0]! },
      { fn: 'lock', who: 6, amount: ETM(30_000), candidate: ops[1]! },
      { fn: 'lock', who: 7, amount: ETM(10_000), candidate: null },
      { fn: 'register', who: 1, deposit: ETM(2_000) },
    ]);
    await at(2n * EPOCH + 3n, [
      { fn: 'lock', who: 8, amount: ETM(200_000), candidate: newOperator as Hex },
      { fn: 'claim', who: 6, lock: 1 },
    ]);
    await at(4n * EPOCH + 5n, [
      { fn: 'vote', who: 5, lock: 0, candidate: ops[2]! },
      { fn: 'unvote', who: 6, lock: 1 },
      { fn: 'claim', who: 5, lock: 0 },
    ]);
    await at(5n * EPOCH + 2n, [
      { fn: 'unlock', who: 7, lock: 2 },
      { fn: 'claim', who: 8, lock: 3 },
    ]);
    // Two more epochs after the last action, so that its effect reaches an election.
    const lastAction = done.reduce((m, x) => (x.block > m ? x.block : m), 0n);
    await waitForHeight(d, (lastAction / EPOCH + 2n) * EPOCH, 60_000);
    const last = (chain.headNumber / EPOCH) * EPOCH;
    expect(last).toBeGreaterThanOrEqual(6n * EPOCH);

    // The devnet's blocks as the simulator sees them, and its state at every epoch's end.
    const trace = new Map<bigint, TracedBlock>();
    const params = chain.params;
    for (let h = 1n; h <= last; h++) {
      const b = chain.blockAt(h)!;
      let baseFees = 0n;
      let tips = 0n;
      for (const r of chain.receiptsAt(h)) {
        baseFees += r.gasUsed * b.header.baseFeePerGas;
        tips += r.gasUsed * (r.effectiveGasPrice - b.header.baseFeePerGas);
      }
      const validators = chain.validatorsAt(h);
      const round = b.header.extra.proposalRound;
      expect(toHex(validators[Number((h + BigInt(round)) % BigInt(validators.length))]!)).toBe(
        toHex(b.header.coinbase),
      );
      trace.set(h, {
        round,
        hasReveal: b.header.extra.randaoReveal.length > 0,
        mix: b.header.mixHash,
        baseFees,
        tips,
      });
    }
    const chainEpochs: unknown[] = [];
    for (let h = EPOCH; h <= last; h += EPOCH) {
      const state = chain.stateAt(h);
      const store = stakingStores(state);
      const rewards = new RewardStore(state);
      const e = rewards.economics();
      chainEpochs.push({
        height: h,
        supply: e.supply,
        totalLocked: e.totalLocked,
        minted: e.minted,
        stakeAcc: e.stakeAcc,
        bonusReleased: e.bonusReleased,
        bonusPool: state.getAccount(VOTER_BONUS_POOL).balance,
        treasury: state.getAccount(DAO_TREASURY).balance,
        candidates: store.candidates.operators().map((op) => {
          const c = rewards.candidateRewards(op);
          return [toHex(op), c.acc, c.totalWeight];
        }),
        elected: store.elections.epochRecord(epochOf(h, params) + 2n)!.operators.map(toHex),
      });
    }

    // The simulator from the same genesis, actions and blocks.
    const g = d.genesis;
    const index = new Map(g.alloc.map((a, i) => [toHex(a.address), i]));
    const sim = new EconomySim(
      {
        params,
        accounts: g.alloc.map((a) => ({ address: a.address, balance: a.balance })),
        candidates: g.candidates.map((c) => ({
          account: index.get(toHex(c.operator))!,
          key: c.consensusKey,
          deposit: c.deposit,
          commissionBps: c.commissionBps,
        })),
        validators: g.validators,
      },
      new TracedBlocks(trace),
    );
    const simLocks: bigint[] = [];
    const simEpochs: unknown[] = [];
    const who = (n: number) =>
      index.get(mnemonicToAccount(DEV_MNEMONIC, { addressIndex: n }).address.toLowerCase() as Hex)!;
    const fromHexAddr = (h: string) => Uint8Array.from(Buffer.from(h.slice(2), 'hex'));
    const ordered = [...done].sort((a, b) =>
      a.block === b.block ? a.index - b.index : a.block < b.block ? -1 : 1,
    );
    const onEpoch = (o: { height: bigint }) => {
      simEpochs.push({
        height: o.height,
        supply: sim.supply,
        totalLocked: sim.totalLocked,
        minted: sim.mintedTotal,
        stakeAcc: sim.stakeAcc,
        bonusReleased: sim.bonusReleased,
        bonusPool: sim.bonusPool,
        treasury: sim.treasury,
        candidates: sim.candidates.map((c) => [c.hex, c.acc, c.totalWeight]),
        elected: sim.epochRecord(epochOf(o.height, params) + 2n)!.operators.map((c) => c.hex),
      });
    };
    const claimGaps: bigint[] = [];
    for (const x of ordered) {
      if (x.block > sim.height + 1n) sim.advanceTo(x.block, onEpoch);
      const s = x.step;
      const u = who(s.who);
      if (s.fn === 'lock')
        simLocks.push(
          sim.lock(u, s.amount, s.candidate ? fromHexAddr(s.candidate as string) : null),
        );
      else if (s.fn === 'register') sim.registerCandidate(u, standby.address, 500n, s.deposit);
      else if (s.fn === 'vote') sim.vote(u, simLocks[s.lock]!, fromHexAddr(s.candidate));
      else if (s.fn === 'unvote') sim.unvote(u, simLocks[s.lock]!);
      else {
        const paid =
          s.fn === 'claim' ? sim.claim(u, simLocks[s.lock]!) : sim.unlock(u, simLocks[s.lock]!);
        claimGaps.push(paid > x.claimed ? paid - x.claimed : x.claimed - paid);
      }
    }
    sim.run(last, onEpoch);
    expect(simLocks).toEqual(locks);
    expect(simEpochs).toEqual(chainEpochs);
    // A claim's amount is the chain's up to rounding: at most one unit per epoch it covers.
    for (const gap of claimGaps) expect(gap).toBeLessThanOrEqual(2n * (last / EPOCH) + 2n);
    // The registered candidate was elected at some point: the election really chose.
    const standbyOp = newOperator.toLowerCase();
    expect(chainEpochs.some((e) => (e as { elected: string[] }).elected.includes(standbyOp))).toBe(
      true,
    );
  }, 240_000);
});
