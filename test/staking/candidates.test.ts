/**
 * Candidates that can and cannot be elected (docs/staking.md, docs/election.md): a withdrawn
 * deposit restored with topUpDeposit, votes only for candidates that can be elected, RANDAO
 * onions that run out (blocks without a reveal, no seat) and are renewed with renewRandao or
 * with a consensus key rotated through updateCandidate, effective at a defined height.
 */
import type { Address } from '../../src/primitives/types.js';
import { voteWeight } from '../../src/economics/ledger.js';
import { describe, expect, it } from 'vitest';
import { decodeEventLog, decodeFunctionResult, encodeFunctionData, type Hex } from 'viem';
import { fromHex, toHex } from '../../src/crypto/bytes.js';
import { economicState } from '../../src/economics/block.js';
import { STAKING_ABI } from '../../src/staking/abi.js';
import {
  stakingEndBlock,
  stakingEndEpoch,
  nextRevealOf,
  weighCandidates,
} from '../../src/staking/block-hooks.js';
import { BlockError } from '../../src/primitives/block-error.js';
import { callContract } from '../../src/execution/call.js';
import { stakingContract } from '../../src/execution/modules/staking.js';
import { Revert } from '../../src/primitives/errors.js';
import { epochBounds, epochOf } from '../../src/staking/epochs.js';
import { ETM, makeWorld, TEST_PARAMS, ZERO, type World } from '../economics/world.js';
import type { StateDB } from '../../src/state/state-db.js';
import { isEpochEnd } from '../../src/staking/epochs.js';

/** The staking module's block work: endBlock, and endEpoch at an epoch's last block. */
function applyBlockStaking(state: StateDB, input: Parameters<typeof stakingEndBlock>[1]) {
  stakingEndBlock(state, input);
  return isEpochEnd(input.height, input.params)
    ? stakingEndEpoch(state, input)
    : { nextValidators: [], electionWeights: null };
}

const hex = (a: Uint8Array) => toHex(a) as Hex;

/** A staking call at the next block's height: its logs, or the revert's reason. */
function tx(w: World, sender: Address, fn: string, args: unknown[] = [], value = 0n) {
  w.state.checkpoint();
  try {
    if (value > 0n) {
      const a = w.state.getAccount(sender);
      w.state.putAccount(sender, { ...a, balance: a.balance - value });
    }
    const r = callContract(
      stakingContract,
      { state: w.state, params: w.params, height: w.height() + 1n, sender, value },
      fromHex(encodeFunctionData({ abi: STAKING_ABI, functionName: fn, args } as never)),
    );
    w.state.commitCheckpoint();
    return {
      reverted: null,
      data: r.returnData,
      events: r.logs.map((l) =>
        decodeEventLog({
          abi: STAKING_ABI,
          topics: l.topics.map((t) => toHex(t)) as [Hex, ...Hex[]],
          data: toHex(l.data) as Hex,
        }),
      ),
    };
  } catch (e) {
    w.state.revert();
    if (!(e instanceof Revert)) throw e;
    return { reverted: e.message, data: new Uint8Array(0), events: [] };
  }
}

const weighed = (w: World) =>
  weighCandidates(
    w.store,
    w.params,
    w.height() + 1n,
    w.store.elections.epochRecord(epochOf(w.height() + 1n, w.params)),
  ).map((c) => toHex(c.operator));

/** Runs blocks up to and including `height`. */
function runTo(w: World, height: bigint) {
  const out = [];
  while (w.height() < height) out.push(w.block());
  return out;
}

describe('a candidate without its deposit', () => {
  it('is not weighed and gets no votes; topUpDeposit restores it', () => {
    const w = makeWorld({ users: [1_000n * ETM] });
    const [user] = w.users as [Uint8Array];
    const c1 = w.ops[1]!;
    expect(tx(w, c1, 'unlock', [2n]).reverted).toBeNull(); // lock 2: c1's deposit
    expect(weighed(w)).not.toContain(toHex(c1));
    expect(tx(w, user, 'lock', [ETM, hex(c1)]).reverted).toMatch(
      /candidate has withdrawn its deposit \(its operator can restore it with topUpDeposit\)/,
    );
    const register = tx(
      w,
      c1,
      'registerCandidate',
      [hex(w.keys[1]!), 'c1', 0, 0, toHex(new Uint8Array(32).fill(9))],
      5n * ETM,
    );
    expect(register.reverted).toMatch(
      /already a candidate: restore its withdrawn deposit with topUpDeposit/,
    );

    const S = economicState(w.state).totalLocked;
    const locked = w.state.getAccount(c1).locked;
    const top = tx(w, c1, 'topUpDeposit', [], 5n * ETM);
    expect(top.reverted).toBeNull();
    expect(top.events.map((e) => e.eventName)).toEqual(['Locked', 'DepositToppedUp']);
    const c = w.store.candidates.getCandidate(c1)!;
    const deposit = w.store.locks.getLock(c.depositLockId)!;
    expect(deposit).toMatchObject({ amount: 5n * ETM, isDeposit: true, since: w.height() + 1n });
    expect(toHex(deposit.candidate!)).toBe(toHex(c1));
    expect(top.events[1]!.args).toMatchObject({
      lockId: c.depositLockId,
      amount: 5n * ETM,
      deposit: 5n * ETM,
    });
    expect(economicState(w.state).totalLocked).toBe(S + 5n * ETM);
    expect(w.state.getAccount(c1).locked).toBe(locked + 5n * ETM);
    expect(weighed(w)).toContain(toHex(c1));
    expect(tx(w, user, 'lock', [ETM, hex(c1)]).reverted).toBeNull();
  });

  it('topUpDeposit adds to the deposit and restarts its age; it is refused to others', () => {
    const w = makeWorld({ users: [1_000n * ETM] });
    const [user] = w.users as [Uint8Array];
    runTo(w, 7n);
    const c0 = w.ops[0]!;
    expect(voteWeight(w.state, w.store.locks.getLock(1n)!) > 0n).toBe(true);
    expect(tx(w, c0, 'topUpDeposit', [], 3n * ETM).reverted).toBeNull();
    // Like a new vote: the deposit weighs from the next epoch, its age counts from now.
    expect(w.store.locks.getLock(1n)).toMatchObject({ amount: 13n * ETM, since: 8n });
    expect(voteWeight(w.state, w.store.locks.getLock(1n)!)).toBe(0n);
    expect(tx(w, user, 'topUpDeposit', [], ETM).reverted).toMatch(/not a candidate/);
    expect(tx(w, c0, 'topUpDeposit', [], ETM - 1n).reverted).toMatch(/top-up below minLock/);
    w.store.candidates.putCandidate({
      ...w.store.candidates.getCandidate(w.ops[2]!)!,
      status: 'tombstoned',
    });
    expect(tx(w, w.ops[2]!, 'topUpDeposit', [], ETM).reverted).toMatch(/tombstoned/);
    expect(tx(w, user, 'lock', [ETM, hex(w.ops[2]!)]).reverted).toMatch(/candidate is tombstoned/);
  });

  it('a deposit below candidateDeposit: no votes until topped up', () => {
    const w = makeWorld({
      params: { ...TEST_PARAMS, candidateDeposit: 20n * ETM },
      users: [1_000n * ETM],
    });
    const [user] = w.users as [Uint8Array];
    expect(tx(w, user, 'lock', [ETM, hex(w.ops[0]!)]).reverted).toMatch(
      /deposit 10000000000000000000 is below candidateDeposit 20000000000000000000/,
    );
    expect(weighed(w)).toEqual([]);
    expect(tx(w, w.ops[0]!, 'topUpDeposit', [], 10n * ETM).reverted).toBeNull();
    expect(tx(w, user, 'lock', [ETM, hex(w.ops[0]!)]).reverted).toBeNull();
    expect(weighed(w)).toEqual([toHex(w.ops[0]!)]);
  });
});

describe('an exhausted RANDAO onion', () => {
  it('its blocks carry no reveal and keep the mix; the candidate is not elected and gets no votes', () => {
    // 16 reveals each; 3 validators of 4 candidates.
    const w = makeWorld({ onionLength: 16, users: [1_000n * ETM] });
    const [user] = w.users as [Uint8Array];
    let exhausted: number | null = null;
    let blocksAfter = 0;
    let lastMix: Uint8Array = new Uint8Array(32);
    for (let h = 1; h <= 150 && blocksAfter < 3; h++) {
      const coinbase = w.validatorsAt(w.height() + 1n)[Number((w.height() + 1n) % 3n)]!;
      const mixBefore = lastMix;
      const i = w.keys.findIndex((k) => toHex(k) === toHex(coinbase));
      const spent = w.store.candidates.getCandidate(w.ops[i]!)!.randaoReveals === 16n;
      if (spent) {
        exhausted = i;
        expect(nextRevealOf(w.state, coinbase)).toBeNull();
        // A reveal is refused: there is none left to give.
        w.state.checkpoint();
        expect(() =>
          applyBlockStaking(w.state, {
            height: w.height() + 1n,
            params: w.params,
            coinbase,
            validators: w.validatorsAt(w.height() + 1n),
            round: 0n,
            randaoReveal: new Uint8Array(32).fill(1),
            mix: new Uint8Array(32),
          }),
        ).toThrow(BlockError);
        w.state.revert();
      }
      const before = w.store.candidates.getCandidate(w.ops[i]!)!.randaoLast;
      const out = w.block();
      lastMix = out.mix;
      if (spent) {
        blocksAfter++;
        // The block is valid and adds nothing to the mix; the reveal count stays.
        expect(toHex(w.store.candidates.getCandidate(w.ops[i]!)!.randaoLast)).toBe(toHex(before));
        expect(toHex(out.mix)).toBe(toHex(mixBefore));
        expect(w.store.candidates.getCandidate(w.ops[i]!)!.randaoReveals).toBe(16n);
      }
    }
    expect(exhausted).not.toBeNull();
    const op = w.ops[exhausted!]!;
    expect(weighed(w)).not.toContain(toHex(op));
    expect(tx(w, user, 'lock', [ETM, hex(op)]).reverted).toMatch(
      /RANDAO onion is exhausted; it cannot be elected until it renews its commitment/,
    );
    // A renewal makes it electable again (for the epoch it takes effect in) at once.
    const renew = tx(w, op, 'renewRandao', [toHex(w.onionOf(exhausted!, 1n, 16).commitment)]);
    expect(renew.reverted).toBeNull();
    expect(weighed(w)).toContain(toHex(op));
    expect(tx(w, user, 'lock', [ETM, hex(op)]).reverted).toBeNull();
  });
});

describe('renewRandao', () => {
  it('takes effect at the first block of the epoch after next; the old onion serves until then', () => {
    const w = makeWorld({ onionLength: 64 });
    runTo(w, 7n); // epoch 1 (blocks 6–10)
    const op = w.ops[0]!;
    const next = w.onionOf(0, 1n, 64);
    const r = tx(w, op, 'renewRandao', [toHex(next.commitment)]);
    expect(r.reverted).toBeNull();
    expect(r.events[0]).toMatchObject({
      eventName: 'RandaoRenewed',
      args: { commitment: toHex(next.commitment), generation: 1n, fromBlock: 16n },
    });
    expect((r.events[0]!.args as { operator: Hex }).operator.toLowerCase()).toBe(toHex(op));
    const view = decodeFunctionResult({
      abi: STAKING_ABI,
      functionName: 'getRandao',
      data: toHex(tx(w, op, 'getRandao', [hex(op)]).data) as Hex,
    });
    expect([view[3], view[4].toLowerCase(), view[5], view[6]]).toEqual([
      0n,
      toHex(w.keys[0]!),
      toHex(next.commitment),
      16n,
    ]);
    // A second change while one is pending is refused.
    expect(tx(w, op, 'renewRandao', [toHex(w.onionOf(0, 2n, 64).commitment)]).reverted).toMatch(
      /a key or randao change is pending until block 16/,
    );
    runTo(w, 14n);
    const old = w.store.candidates.getCandidate(op)!;
    expect(old.randaoGeneration).toBe(0n);
    runTo(w, 15n); // the last block of epoch 2 switches
    const c = w.store.candidates.getCandidate(op)!;
    expect(c).toMatchObject({
      randaoGeneration: 1n,
      randaoReveals: 0n,
      randaoLayers: 64n,
      pending: null,
    });
    expect(toHex(c.randaoLast)).toBe(toHex(next.commitment));
    expect(w.store.candidates.switchesAt(3n)).toEqual([]);
    // From block 16 it reveals the new onion (the world reveals what the chain asks for).
    const outs = runTo(w, 30n);
    expect(outs.some((o) => toHex(o.coinbase) === toHex(w.keys[0]!))).toBe(true);
    expect(w.store.candidates.getCandidate(op)!.randaoReveals > 0n).toBe(true);
    expect(toHex(w.store.candidates.getCandidate(op)!.randaoLast)).toBe(
      toHex(next.reveal(Number(w.store.candidates.getCandidate(op)!.randaoReveals) - 1)),
    );
  });

  it('is sent by the operator or its current consensus key; bad calls are refused', () => {
    const w = makeWorld({ users: [1_000n * ETM] });
    const [user] = w.users as [Uint8Array];
    const commit = toHex(w.onionOf(1, 1n).commitment);
    expect(tx(w, user, 'renewRandao', [commit]).reverted).toMatch(
      /not a candidate's operator or consensus key/,
    );
    expect(tx(w, w.keys[1]!, 'renewRandao', [toHex(new Uint8Array(32))]).reverted).toMatch(
      /zero randao commitment/,
    );
    expect(tx(w, w.keys[1]!, 'renewRandao', [commit]).reverted).toBeNull();
    expect(w.store.candidates.getCandidate(w.ops[1]!)!.pending).toMatchObject({
      epoch: 2n,
      layers: 400n,
    });
  });
});

describe('consensus key rotation through updateCandidate', () => {
  it('the new key is elected for the epoch after next and serves from its first block', () => {
    const w = makeWorld({ users: [100_000n * ETM] });
    const [user] = w.users as [Uint8Array];
    const op = w.ops[0]!;
    // A heavy vote keeps c0 in a ranked seat.
    tx(w, user, 'lock', [50_000n * ETM, hex(op)]);
    runTo(w, 6n); // block 6 opens epoch 1
    const newKey = new Uint8Array(20).fill(0xee);
    const commit = toHex(w.onionOf(0, 1n).commitment);
    const r = tx(w, op, 'updateCandidate', ['c0', 1000, hex(newKey), commit]);
    expect(r.reverted).toBeNull();
    expect(r.events.map((e) => e.eventName)).toEqual(['CandidateUpdated', 'RandaoRenewed']);
    expect(r.events[1]!.args).toMatchObject({ generation: 1n, fromBlock: 16n });
    expect(toHex(w.store.candidates.operatorOfKey(newKey)!)).toBe(toHex(op));
    runTo(w, 10n); // epoch 1 ends: elects epoch 3 with the new key; epoch 2 keeps the old one
    const inEpoch = (e: bigint) => w.store.elections.epochRecord(e)!.validators.map(toHex);
    expect(inEpoch(2n)).toContain(toHex(w.keys[0]!));
    expect(inEpoch(2n)).not.toContain(toHex(newKey));
    expect(inEpoch(3n)).toContain(toHex(newKey));
    expect(inEpoch(3n)).not.toContain(toHex(w.keys[0]!));
    // The old key proposes in epoch 2 with the old onion, booked to c0.
    const e2 = runTo(w, 15n);
    expect(e2.some((o) => toHex(o.coinbase) === toHex(w.keys[0]!))).toBe(true);
    expect(toHex(w.store.candidates.getCandidate(op)!.consensusKey)).toBe(toHex(newKey));
    const e3 = runTo(w, 20n);
    const byNew = e3.filter((o) => toHex(o.coinbase) === toHex(newKey));
    expect(byNew.length).toBeGreaterThan(0);
    const c = w.store.candidates.getCandidate(op)!;
    expect(c.randaoGeneration).toBe(1n);
    expect(c.randaoReveals).toBe(BigInt(byNew.length));
    // The old key stays bound to its operator, but can no longer act for it.
    expect(toHex(w.store.candidates.operatorOfKey(w.keys[0]!)!)).toBe(toHex(op));
    expect(tx(w, w.keys[0]!, 'renewRandao', [commit]).reverted).toMatch(
      /not a candidate's operator or consensus key/,
    );
    // The operator may take its old key back (no one else can have it).
    const back = toHex(w.onionOf(0, 2n).commitment);
    expect(tx(w, op, 'updateCandidate', ['c0', 1000, hex(w.keys[0]!), back]).reverted).toBeNull();
    expect(tx(w, w.ops[1]!, 'updateCandidate', ['c1', 0, hex(newKey), back]).reverted).toMatch(
      /consensus key already registered/,
    );
  });

  it('refuses a registered key, a validating key, a zero key or a new key without a commitment', () => {
    const w = makeWorld({ bareValidators: 1 });
    const op = w.ops[0]!;
    const commit = toHex(w.onionOf(0, 1n).commitment);
    const rotate = (key: Uint8Array, c = commit) =>
      tx(w, op, 'updateCandidate', ['c0', 1000, hex(key), c]).reverted;
    expect(rotate(w.keys[1]!)).toMatch(/consensus key already registered/);
    expect(rotate(w.bare[0]!)).toMatch(/consensus key is in a current validator set/);
    expect(rotate(ZERO)).toMatch(/zero consensus key/);
    expect(rotate(new Uint8Array(20).fill(0xee), toHex(new Uint8Array(32)))).toMatch(
      /a new consensus key needs its onion's randao commitment/,
    );
    // The same key with a zero commitment changes nothing but the name and commission.
    expect(rotate(w.keys[0]!, toHex(new Uint8Array(32)))).toBeNull();
    expect(w.store.candidates.getCandidate(op)!.pending).toBeNull();
    // The same key with a commitment is a RANDAO renewal.
    expect(rotate(w.keys[0]!)).toBeNull();
    expect(w.store.candidates.getCandidate(op)!.pending).toMatchObject({ epoch: 2n });
    expect(toHex(w.store.candidates.getCandidate(op)!.pending!.consensusKey)).toBe(
      toHex(w.keys[0]!),
    );
    expect(epochBounds(2n, w.params).first).toBe(11n);
  });
});
