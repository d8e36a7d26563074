/**
 * The staking system contract, rule by rule, called with real ABI calldata as a wallet sends it.
 */
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import {
  decodeEventLog,
  decodeFunctionResult,
  encodeFunctionData,
  type ContractFunctionName,
  type Hex,
} from 'viem';
import { fromHex, toHex } from '../../src/crypto/bytes.js';
import { DEFAULT_PARAMS, ETM, type ChainParams } from '../../src/params/registry.js';
import { STAKING_ADDRESS } from '../../src/primitives/system-addresses.js';
import { STAKING_ABI } from '../../src/staking/abi.js';
import { callContract } from '../../src/execution/call.js';
import { stakingContract } from '../../src/execution/modules/staking.js';
import { Revert } from '../../src/primitives/errors.js';
import { StateDB } from '../../src/state/state-db.js';
import { EMPTY_TRIE_ROOT, MemoryNodeStore } from '../../src/state/trie.js';
import { stakingStores } from '../../src/staking/stores.js';

const PARAMS: ChainParams = { ...DEFAULT_PARAMS, blocksPerDay: 100n, epochBlocks: 20n };
const addr = (n: number) => new Uint8Array(20).fill(n);
const ALICE = addr(0xa1);
const BOB = addr(0xb0);
const OPERATOR = addr(0xc1);
const OPERATOR2 = addr(0xc2);
const KEY1 = addr(0xd1);
const KEY2 = addr(0xd2);
const COMMIT = new Uint8Array(32).fill(7);
const hexOf = (a: Uint8Array) => toHex(a) as Hex;

type Fn = ContractFunctionName<typeof STAKING_ABI>;

class World {
  state = new StateDB(EMPTY_TRIE_ROOT, new MemoryNodeStore());
  height = 1n;
  constructor(funds: Array<[Uint8Array, bigint]>) {
    for (const [a, b] of funds)
      this.state.putAccount(a, { ...this.state.getAccount(a), balance: b });
  }

  /** Calls like a transaction: a revert rolls back, and the reason comes back as a Revert. */
  call(sender: Uint8Array, fn: Fn, args: readonly unknown[] = [], value = 0n) {
    const data = encodeFunctionData({ abi: STAKING_ABI, functionName: fn, args } as never);
    this.state.checkpoint();
    try {
      const r = callContract(
        stakingContract,
        { state: this.state, params: PARAMS, height: this.height, sender, value },
        fromHex(data),
      );
      this.state.commitCheckpoint();
      return {
        result: decodeFunctionResult({
          abi: STAKING_ABI,
          functionName: fn,
          data: toHex(r.returnData) as Hex,
        } as never) as unknown,
        logs: r.logs.map((l) =>
          decodeEventLog({
            abi: STAKING_ABI,
            topics: l.topics.map((t) => toHex(t)) as [Hex, ...Hex[]],
            data: toHex(l.data) as Hex,
          }),
        ),
        raw: r.logs,
      };
    } catch (e) {
      this.state.revert();
      throw e;
    }
  }

  reverts(sender: Uint8Array, fn: Fn, args: readonly unknown[], reason: RegExp, value = 0n) {
    const before = this.state.commit().root;
    expect(() => this.call(sender, fn, args, value)).toThrow(reason);
    expect(toHex(this.state.commit().root)).toBe(toHex(before));
  }

  account(a: Uint8Array) {
    return this.state.getAccount(a);
  }

  register(operator = OPERATOR, key = KEY1, name = 'alpha', deposit = 1_000n * ETM) {
    return this.call(
      operator,
      'registerCandidate',
      [hexOf(key), name, 1000, 2000, toHex(COMMIT)],
      deposit,
    );
  }
}

describe('lock', () => {
  it('moves the amount from balance to locked, numbers locks, and logs Locked', () => {
    const w = new World([[ALICE, 100n * ETM]]);
    const r = w.call(ALICE, 'lock', [10n * ETM, hexOf(new Uint8Array(20))]);
    expect(r.result).toBe(1n);
    expect(w.account(ALICE).balance).toBe(90n * ETM);
    expect(w.account(ALICE).locked).toBe(10n * ETM);
    expect(r.logs).toHaveLength(1);
    expect(r.logs[0]!.eventName).toBe('Locked');
    expect(r.logs[0]!.args).toMatchObject({ lockId: 1n, amount: 10n * ETM });
    expect(toHex(r.raw[0]!.address)).toBe(toHex(STAKING_ADDRESS));
    expect(w.call(ALICE, 'lock', [ETM, hexOf(new Uint8Array(20))]).result).toBe(2n);
    expect(w.call(ALICE, 'getLocks', [hexOf(ALICE)]).result).toEqual([1n, 2n]);
  });

  it('rejects amounts below minLock, above the spendable balance, and too many locks', () => {
    const w = new World([[ALICE, 100n * ETM]]);
    const none = hexOf(new Uint8Array(20));
    w.reverts(ALICE, 'lock', [ETM - 1n, none], /below minLock/);
    w.reverts(ALICE, 'lock', [101n * ETM, none], /exceeds the spendable balance/);
    // Locked funds are not spendable: they cannot be locked twice either.
    w.call(ALICE, 'lock', [60n * ETM, none]);
    w.reverts(ALICE, 'lock', [41n * ETM, none], /exceeds the spendable balance/);
    const few = new World([[BOB, 1_000n * ETM]]);
    const limited: ChainParams = { ...PARAMS, maxLocksPerAccount: 2n };
    const call = (n: bigint) =>
      callContract(
        stakingContract,
        { state: few.state, params: limited, height: 1n, sender: BOB, value: 0n },
        fromHex(encodeFunctionData({ abi: STAKING_ABI, functionName: 'lock', args: [n, none] })),
      );
    call(ETM);
    call(ETM);
    expect(() => call(ETM)).toThrow(/at most 2 locks/);
  });

  it('is not payable, and votes only for registered candidates', () => {
    const w = new World([[ALICE, 100n * ETM]]);
    w.reverts(ALICE, 'lock', [ETM, hexOf(new Uint8Array(20))], /not payable/, 1n);
    w.reverts(ALICE, 'lock', [ETM, hexOf(BOB)], /is not a candidate/);
  });
});

describe('candidates', () => {
  it('registers with the value as a self-lock that votes for the candidate', () => {
    const w = new World([[OPERATOR, 5_000n * ETM]]);
    // The caller's transaction already took the value from the balance.
    w.state.putAccount(OPERATOR, { ...w.account(OPERATOR), balance: 4_000n * ETM });
    const r = w.register();
    expect(r.logs.map((l) => l.eventName)).toEqual(['CandidateRegistered', 'Locked']);
    expect(w.account(OPERATOR).locked).toBe(1_000n * ETM);
    const [key, name, deposit, commission, commissionMax, status, votes, count] = w.call(
      ALICE,
      'getCandidate',
      [hexOf(OPERATOR)],
    ).result as readonly unknown[];
    expect([
      String(key).toLowerCase(),
      name,
      deposit,
      commission,
      commissionMax,
      status,
      votes,
      count,
    ]).toEqual([toHex(KEY1), 'alpha', 1_000n * ETM, 1000, 2000, 0, 1_000n * ETM, 1n]);
    const all = w.call(ALICE, 'getCandidates').result as string[];
    expect(all.map((a) => a.toLowerCase())).toEqual([toHex(OPERATOR)]);
  });

  it('checks deposit, key, name, commission and commitment', () => {
    const w = new World([
      [OPERATOR, 5_000n * ETM],
      [OPERATOR2, 5_000n * ETM],
    ]);
    const reg = (args: unknown[], value: bigint, reason: RegExp, who = OPERATOR) =>
      w.reverts(who, 'registerCandidate', args, reason, value);
    const ok = [hexOf(KEY1), 'alpha', 1000, 2000, toHex(COMMIT)];
    reg(ok, 999n * ETM, /deposit below candidateDeposit/);
    reg(
      [hexOf(new Uint8Array(20)), 'alpha', 1000, 2000, toHex(COMMIT)],
      1_000n * ETM,
      /zero consensus key/,
    );
    for (const bad of ['', 'Alpha', 'a b', 'x'.repeat(21)])
      reg([hexOf(KEY1), bad, 1000, 2000, toHex(COMMIT)], 1_000n * ETM, /name must be/);
    reg([hexOf(KEY1), 'alpha', 2001, 2000, toHex(COMMIT)], 1_000n * ETM, /above commissionMaxBps/);
    reg([hexOf(KEY1), 'alpha', 0, 10_001, toHex(COMMIT)], 1_000n * ETM, /above 10000/);
    reg([hexOf(KEY1), 'alpha', 0, 0, toHex(new Uint8Array(32))], 1_000n * ETM, /zero randao/);
    w.register();
    reg(ok, 1_000n * ETM, /already a candidate/);
    reg(
      [hexOf(KEY1), 'beta', 0, 0, toHex(COMMIT)],
      1_000n * ETM,
      /consensus key already registered/,
      OPERATOR2,
    );
    reg([hexOf(KEY2), 'alpha', 0, 0, toHex(COMMIT)], 1_000n * ETM, /name already taken/, OPERATOR2);
    w.call(
      OPERATOR2,
      'registerCandidate',
      [hexOf(KEY2), 'beta', 0, 0, toHex(COMMIT)],
      1_000n * ETM,
    );
  });

  it('limits commission changes by size, ceiling and epochs', () => {
    const w = new World([[OPERATOR, 5_000n * ETM]]);
    w.register(); // commission 10.00%, max 20.00%, registered in epoch 0
    w.reverts(OPERATOR, 'updateCandidate', ['alpha', 1050], /commission changed in epoch 0/);
    w.height = PARAMS.epochBlocks + 1n; // epoch 1
    w.reverts(OPERATOR, 'updateCandidate', ['alpha', 1101], /at most 100 bps/);
    w.call(OPERATOR, 'updateCandidate', ['alpha', 1100]);
    w.reverts(OPERATOR, 'updateCandidate', ['alpha', 1000], /next change from epoch 2/);
    // Renaming is free; the old name becomes available.
    w.call(OPERATOR, 'updateCandidate', ['alpha2', 1100]);
    w.reverts(BOB, 'updateCandidate', ['x', 0], /not a candidate/);
    const max = new World([[OPERATOR, 5_000n * ETM]]);
    max.call(
      OPERATOR,
      'registerCandidate',
      [hexOf(KEY1), 'a', 2000, 2000, toHex(COMMIT)],
      1_000n * ETM,
    );
    max.height = 100n;
    max.reverts(OPERATOR, 'updateCandidate', ['a', 2001], /above commissionMaxBps/);
  });
});

describe('votes and unlocking', () => {
  function world() {
    const w = new World([
      [OPERATOR, 5_000n * ETM],
      [OPERATOR2, 5_000n * ETM],
      [ALICE, 100n * ETM],
      [BOB, 100n * ETM],
    ]);
    w.register(OPERATOR, KEY1, 'alpha');
    w.register(OPERATOR2, KEY2, 'beta');
    return w;
  }

  it('vote moves a lock between candidates and restarts its age; unvote stops it', () => {
    const w = world();
    const id = w.call(ALICE, 'lock', [10n * ETM, hexOf(OPERATOR)]).result as bigint;
    w.height = 250n;
    const [, , , since0, t0, x0] = w.call(ALICE, 'getLock', [id]).result as readonly bigint[];
    expect([since0, t0, x0]).toEqual([1n, 3n, 30n * ETM]); // age 249, 100 blocks a day: t = 3
    const r = w.call(ALICE, 'vote', [id, hexOf(OPERATOR2)]);
    expect(r.logs[0]!.eventName).toBe('Voted');
    const [, , cand, since1, t1] = w.call(ALICE, 'getLock', [id]).result as readonly unknown[];
    expect(String(cand).toLowerCase()).toBe(toHex(OPERATOR2));
    expect([since1, t1]).toEqual([250n, 1n]);
    const store = stakingStores(w.state);
    expect(store.locks.votesFor(OPERATOR)).toEqual([1n]); // only the deposit is left
    expect(store.locks.votesFor(OPERATOR2)).toEqual([2n, id]);
    w.reverts(ALICE, 'vote', [id, hexOf(OPERATOR2)], /already votes/);
    w.reverts(BOB, 'vote', [id, hexOf(OPERATOR)], /not the owner/);
    w.call(ALICE, 'unvote', [id]);
    expect(store.locks.votesFor(OPERATOR2)).toEqual([2n]);
    w.reverts(ALICE, 'unvote', [id], /does not vote/);
    w.reverts(OPERATOR, 'unvote', [1n], /deposit always votes/);
    w.reverts(OPERATOR, 'vote', [1n, hexOf(OPERATOR2)], /deposit always votes/);
    w.reverts(ALICE, 'vote', [99n, hexOf(OPERATOR)], /no lock 99/);
  });

  it('unlock turns a lock into an unbonding entry due after unbondingBlocks', () => {
    const w = world();
    const id = w.call(ALICE, 'lock', [10n * ETM, hexOf(OPERATOR)]).result as bigint;
    w.height = 7n;
    const r = w.call(ALICE, 'unlock', [id]);
    expect(r.logs[0]!.args).toMatchObject({
      lockId: id,
      amount: 10n * ETM,
      releaseHeight: 7n + PARAMS.unbondingBlocks,
    });
    expect(w.account(ALICE)).toMatchObject({ balance: 90n * ETM, locked: 10n * ETM });
    expect(w.call(ALICE, 'getLocks', [hexOf(ALICE)]).result).toEqual([]);
    expect(w.call(ALICE, 'getUnbonding', [hexOf(ALICE)]).result).toEqual([
      [10n * ETM],
      [7n + PARAMS.unbondingBlocks],
    ]);
    const store = stakingStores(w.state);
    expect(store.locks.votesFor(OPERATOR)).toEqual([1n]);
    expect(store.locks.releasesAt(7n + PARAMS.unbondingBlocks)).toEqual([
      { owner: ALICE, amount: 10n * ETM },
    ]);
    w.reverts(ALICE, 'unlock', [id], /no lock/);
  });

  it("unlocking a candidate's deposit takes the longer period and leaves it without a deposit", () => {
    const w = world();
    w.call(OPERATOR, 'unlock', [1n]);
    expect(stakingStores(w.state).candidates.getCandidate(OPERATOR)!.depositLockId).toBe(0n);
    expect(w.call(OPERATOR, 'getUnbonding', [hexOf(OPERATOR)]).result).toEqual([
      [1_000n * ETM],
      [1n + PARAMS.depositUnbondingBlocks],
    ]);
  });

  it('property: the vote index always lists exactly the locks voting for each candidate', () => {
    const ops = fc.array(
      fc.record({
        who: fc.constantFrom(ALICE, BOB),
        op: fc.constantFrom('lock', 'vote', 'unvote', 'unlock'),
        target: fc.constantFrom(OPERATOR, OPERATOR2, null),
        pick: fc.nat(20),
      }),
      { maxLength: 40 },
    );
    fc.assert(
      fc.property(ops, (steps) => {
        const w = world();
        for (const s of steps) {
          const mine = w.call(s.who, 'getLocks', [hexOf(s.who)]).result as bigint[];
          const id = mine.length ? mine[s.pick % mine.length]! : 99n;
          try {
            if (s.op === 'lock')
              w.call(s.who, 'lock', [ETM, hexOf(s.target ?? new Uint8Array(20))]);
            else if (s.op === 'vote') w.call(s.who, 'vote', [id, hexOf(s.target ?? OPERATOR)]);
            else if (s.op === 'unvote') w.call(s.who, 'unvote', [id]);
            else w.call(s.who, 'unlock', [id]);
          } catch (e) {
            if (!(e instanceof Revert)) throw e;
          }
        }
        const store = stakingStores(w.state);
        for (const c of [OPERATOR, OPERATOR2]) {
          const indexed = store.locks.votesFor(c).map(String).sort();
          const actual: string[] = [];
          for (const owner of [OPERATOR, OPERATOR2, ALICE, BOB])
            for (const id of store.locks.locksOf(owner)) {
              const l = store.locks.getLock(id)!;
              if (l.candidate && toHex(l.candidate) === toHex(c)) actual.push(String(id));
              if (l.candidate) expect(store.locks.voteAt(l.candidate, l.voteIndex)).toBe(id);
            }
          expect(indexed).toEqual(actual.sort());
        }
        // locked = Σ locks + Σ unbonding, for every account.
        for (const owner of [ALICE, BOB]) {
          let sum = 0n;
          for (const id of store.locks.locksOf(owner)) sum += store.locks.getLock(id)!.amount;
          for (const u of store.locks.unbondingOf(owner)) sum += u.amount;
          expect(w.account(owner).locked).toBe(sum);
          expect(w.account(owner).balance + sum).toBe(100n * ETM);
        }
      }),
      { numRuns: 60 },
    );
  });
});

describe('calldata', () => {
  it('reverts on unknown selectors and malformed arguments', () => {
    const w = new World([[ALICE, ETM]]);
    const raw = (data: Uint8Array) => () =>
      callContract(
        stakingContract,
        { state: w.state, params: PARAMS, height: 1n, sender: ALICE, value: 0n },
        data,
      );
    expect(raw(new Uint8Array(0))).toThrow(/no function selector/);
    expect(raw(new Uint8Array([1, 2, 3, 4]))).toThrow(/unknown function/);
    const lock = fromHex(
      encodeFunctionData({ abi: STAKING_ABI, functionName: 'unlock', args: [1n] }),
    );
    expect(raw(lock.subarray(0, 20))).toThrow(/bad arguments|unknown function/);
  });
});
