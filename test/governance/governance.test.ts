/**
 * The DAO's rules over a state (docs/governance.md): proposals, deposits, the tally at the
 * close (once per lock, inheritance of the candidate's vote), parameter changes at the
 * registry's time, treasury spends, vetoes and missed quorums, the emergency kinds with their
 * timelock and cancel, and conservation of the supply through all of them.
 */
import { getAddress } from 'viem';
import { describe, expect, it } from 'vitest';
import { PROPOSAL_STATUS } from '../../src/governance/abi.js';
import { toHex } from '../../src/crypto/bytes.js';
import { DEFAULT_PARAMS, ETM, WAD } from '../../src/params/registry.js';
import { parameterChangeProblem } from '../../src/governance/payload.js';
import { readParams } from '../../src/params/store.js';
import { DAO_TREASURY, GOVERNANCE_ADDRESS } from '../../src/primitives/system-addresses.js';
import { epochBounds, epochOf } from '../../src/staking/epochs.js';
import { isSettled } from '../../src/staking/settlement.js';
import { addr } from '../economics/world.js';
import { GOV_PARAMS, makeGovWorld } from './world.js';

const users = [1_000n * ETM, 1_000n * ETM, 1_000n * ETM];

describe('the tally at the close', () => {
  it('counts moved tokens once: unlock, transfer, lock elsewhere; and a vote moved between candidates', () => {
    const w = makeGovWorld({ users });
    const [u1, u2, u3] = w.users as [Uint8Array, Uint8Array, Uint8Array];
    const [op0, op1] = w.ops as [Uint8Array, Uint8Array];
    const l1 = w.lockIdOf(w.call(u1, 'lock', [100n * ETM, toHex(op0)]));
    const l3 = w.lockIdOf(w.call(u3, 'lock', [50n * ETM, toHex(op0)]));
    const id = w.propose(u2, { kind: 'text', text: 'moving tokens' });
    expect(w.proposal(id).status).toBe('voting');
    w.vote(u1, id, 'yes');
    w.vote(op0, id, 'no');
    w.vote(op1, id, 'abstain');
    expect(w.call(u1, 'unlock', [l1])).not.toBeNull();
    w.block(); // 1
    const end = w.proposal(id).votingEnd;
    w.until(end - 1n); // the unbonding entry is released (3 blocks)
    expect(w.balance(u1) >= 100n * ETM).toBe(true);
    // The same tokens, sent on and locked again by a second voter, who votes yes too.
    expect(w.transfer(u1, u2, 100n * ETM)).toBe(true);
    w.lockIdOf(w.call(u2, 'lock', [100n * ETM, toHex(op1)]));
    w.vote(u2, id, 'yes');
    // u3's lock leaves op0 (voted no) for op1 (voted abstain): it inherits abstain, once.
    expect(w.call(u3, 'vote', [l3, toHex(op1)])).not.toBeNull();
    w.block(); // closes the vote
    const p = w.proposal(id);
    expect(p.status).toBe('executed');
    expect(p.tally).toEqual({
      yes: 100n * ETM,
      no: 10n * ETM,
      abstain: 10n * ETM + 50n * ETM,
      veto: 0n,
      totalLocked: 4n * 10n * ETM + 100n * ETM + 50n * ETM,
    });
    expect(p.tally.totalLocked).toBe(w.rewards.economics().totalLocked);
  });

  it('a lock whose owner voted is not overridden by its candidate', () => {
    const w = makeGovWorld({ users });
    const [u1, u2] = w.users as [Uint8Array, Uint8Array];
    const [op0] = w.ops as [Uint8Array];
    w.lockIdOf(w.call(u1, 'lock', [200n * ETM, toHex(op0)]));
    const id = w.propose(u2, { kind: 'text', text: 'x' });
    w.vote(op0, id, 'yes');
    w.vote(u1, id, 'no');
    w.until(w.proposal(id).votingEnd);
    const t = w.proposal(id).tally;
    expect([t.yes, t.no]).toEqual([10n * ETM, 200n * ETM]);
    expect(w.proposal(id).status).toBe('rejected');
  });
});

describe('deposits', () => {
  it('refuses a deposit below the minimum, enters the vote at proposalDeposit, returns it on pass', () => {
    const w = makeGovWorld({ users });
    const [u1, u2] = w.users as [Uint8Array, Uint8Array];
    const kind = 0;
    const payload = '0x' + '00'.repeat(31) + '20' + '00'.repeat(32);
    const low = w.govCall(u1, 'propose', [kind, payload], ETM / 2n);
    expect(low.ok).toBe(false);
    const id = w.propose(u1, { kind: 'text', text: 'hello' }, 4n * ETM);
    expect(w.proposal(id).status).toBe('deposit');
    expect(w.govCall(u2, 'deposit', [id], 6n * ETM).ok).toBe(true);
    expect(w.proposal(id).status).toBe('voting');
    expect(w.state.getAccount(GOVERNANCE_ADDRESS).balance).toBe(10n * ETM);
    for (const op of w.ops) w.vote(op, id, 'yes');
    const before = [w.balance(u1), w.balance(u2)];
    w.until(w.proposal(id).votingEnd);
    expect(w.proposal(id).status).toBe('executed');
    expect([w.balance(u1) - before[0]!, w.balance(u2) - before[1]!]).toEqual([4n * ETM, 6n * ETM]);
    expect(w.state.getAccount(GOVERNANCE_ADDRESS).balance).toBe(0n);
  });

  it('returns the deposits of a proposal that never reached proposalDeposit', () => {
    const w = makeGovWorld({ users });
    const [u1] = w.users as [Uint8Array];
    const id = w.propose(u1, { kind: 'text', text: 'too little' }, 2n * ETM);
    const before = w.balance(u1);
    w.until(w.proposal(id).depositEnd);
    expect(w.proposal(id).status).toBe('expired');
    expect(w.balance(u1) - before).toBe(2n * ETM);
    expect(w.govCall(u1, 'deposit', [id], ETM).ok).toBe(false);
  });

  it('sends the deposit to the treasury when vetoed or below quorum', () => {
    const w = makeGovWorld({ users });
    const [u1] = w.users as [Uint8Array];
    const a = w.propose(u1, { kind: 'text', text: 'vetoed' });
    const b = w.propose(u1, { kind: 'text', text: 'ignored' });
    w.vote(w.ops[0]!, a, 'yes');
    w.vote(w.ops[1]!, a, 'veto');
    w.vote(w.ops[0]!, b, 'yes'); // 25% of the locked tokens: below the 33.4% quorum
    const treasury = w.balance(DAO_TREASURY);
    w.until(w.proposal(a).votingEnd);
    expect(w.proposal(a).status).toBe('vetoed');
    expect(w.proposal(b).status).toBe('no-quorum');
    expect(w.balance(DAO_TREASURY) - treasury).toBe(20n * ETM);
    expect(w.state.getAccount(GOVERNANCE_ADDRESS).balance).toBe(0n);
  });
});

describe('parameter changes', () => {
  it('refuses values outside the hard bounds', () => {
    const w = makeGovWorld({ users });
    const [u1] = w.users as [Uint8Array];
    const bad = [
      { kind: 'parameter-change', name: 'lotterySeats', value: 257n },
      { kind: 'parameter-change', name: 'quorum', value: WAD + 1n },
      { kind: 'parameter-change', name: 'inflationSchedule', value: [WAD * 2n] },
      { kind: 'parameter-change', name: 'epochBlocks', value: 3n },
      { kind: 'parameter-change', name: 'epochBlocks', value: 1_000_001n },
      // Epochs of 5 blocks: 6 seats would leave a validator without a proposer turn in some.
      { kind: 'parameter-change', name: 'rankedSeats', value: 5n },
      { kind: 'parameter-change', name: 'blockTimeMs', value: 50n },
      { kind: 'parameter-change', name: 'maxBlockBytes', value: 128n * 1024n * 1024n },
      { kind: 'parameter-change', name: 'minLock', value: 10n ** 9n * ETM },
    ] as const;
    for (const p of bad) expect(() => w.propose(u1, p)).toThrow(/governance: /);
    expect(w.gov.count()).toBe(0n);
    // The block parameters are read from the state by headers and nodes alike.
    for (const [name, value] of [
      ['blockTimeMs', 2000n],
      ['maxClockDriftSeconds', 30n],
      ['blockGasLimit', 30_000_000n],
      ['maxTxBytes', 256n * 1024n],
      ['maxBlockBytes', 32n * 1024n * 1024n],
      ['epochBlocks', 4n],
      ['epochBlocks', 1_000_000n],
    ] as const)
      w.propose(u1, { kind: 'parameter-change', name, value });
    expect(w.gov.count()).toBe(7n);
  });

  it('refuses an epoch length below the seats, unless it only shortens the gap', () => {
    const p = { ...DEFAULT_PARAMS }; // 1,200 blocks, 15 + 6 seats
    expect(parameterChangeProblem('epochBlocks', 21n, p)).toBeNull();
    expect(parameterChangeProblem('epochBlocks', 20n, p)).toMatch(/below the 21 seats/);
    expect(parameterChangeProblem('lotterySeats', 7n, { ...p, epochBlocks: 21n })).toMatch(
      /below the 22 seats/,
    );
    // A chain started with short epochs may lengthen them step by step.
    expect(parameterChangeProblem('epochBlocks', 10n, { ...p, epochBlocks: 4n })).toBeNull();
    expect(parameterChangeProblem('rankedSeats', 3n, { ...p, epochBlocks: 4n })).toBeNull();
  });

  it('writes no epoch schedule for a change to the length in force', () => {
    const w = makeGovWorld({ users });
    const [u1] = w.users as [Uint8Array];
    const id = w.propose(u1, {
      kind: 'parameter-change',
      name: 'epochBlocks',
      value: GOV_PARAMS.epochBlocks,
    });
    for (const op of w.ops) w.vote(op, id, 'yes');
    w.until(w.proposal(id).votingEnd);
    w.until(w.proposal(id).executeAt);
    expect(w.proposal(id).status).toBe('executed');
    expect(readParams(w.state).epochHistory).toBeUndefined();
  });

  it('changes the epoch length at the epoch’s last block: the next epoch starts after it', () => {
    const w = makeGovWorld({ users });
    const [u1] = w.users as [Uint8Array];
    const E = GOV_PARAMS.epochBlocks;
    // Two changes pending for the same epoch end: applied in id order, the last one holds.
    const a = w.propose(u1, { kind: 'parameter-change', name: 'epochBlocks', value: 9n });
    const b = w.propose(u1, { kind: 'parameter-change', name: 'epochBlocks', value: 7n });
    for (const id of [a, b]) for (const op of w.ops) w.vote(op, id, 'yes');
    const close = w.proposal(a).votingEnd;
    w.until(close);
    const end = epochBounds(epochOf(close, w.params), w.params).last;
    expect(w.proposal(b).executeAt).toBe(end);
    if (end > close) expect(readParams(w.state).epochHistory).toBeUndefined();
    w.until(end);
    const p = readParams(w.state);
    expect(p.epochBlocks).toBe(7n);
    const next = epochOf(end, w.params) + 1n;
    expect(p.epochHistory).toEqual([
      { after: 0n, epoch: 0n, blocks: E },
      { after: end, epoch: next, blocks: 7n },
    ]);
    // The past keeps its epochs; the next one is 7 blocks from the block after the change.
    expect(epochOf(end, p)).toBe(next - 1n);
    expect(epochBounds(next, p)).toEqual({ first: end + 1n, last: end + 7n });
    const changed = w
      .events()
      .filter(([n]) => n === 'ParameterChanged')
      .map(([, x]) => [x.id, x.value, x.effectiveBlock]);
    expect(changed).toEqual([
      [a, [9n], end + 1n],
      [b, [7n], end + 1n],
    ]);
  });

  it('writes a next-block parameter at the close, and a next-epoch one at the epoch’s last block', () => {
    const w = makeGovWorld({ users });
    const [u1] = w.users as [Uint8Array];
    const a = w.propose(u1, { kind: 'parameter-change', name: 'minLock', value: ETM / 2n });
    const b = w.propose(u1, { kind: 'parameter-change', name: 'lotterySeats', value: 2n });
    const c = w.propose(u1, {
      kind: 'parameter-change',
      name: 'inflationSchedule',
      value: [WAD / 20n, WAD / 50n],
    });
    for (const id of [a, b, c]) for (const op of w.ops) w.vote(op, id, 'yes');
    const close = w.proposal(a).votingEnd;
    w.until(close);
    expect(readParams(w.state).minLock).toBe(ETM / 2n);
    expect(w.proposal(a).status).toBe('executed');
    const epochEnd = epochBounds(epochOf(close, w.params), w.params).last;
    if (epochEnd > close) {
      expect(w.proposal(b).status).toBe('scheduled');
      expect(readParams(w.state).lotterySeats).toBe(GOV_PARAMS.lotterySeats);
    }
    expect(w.proposal(b).executeAt).toBe(epochEnd);
    w.until(epochEnd);
    expect(readParams(w.state).lotterySeats).toBe(2n);
    expect(readParams(w.state).inflationSchedule).toEqual([WAD / 20n, WAD / 50n]);
    expect(w.proposal(c).status).toBe('executed');
    // The block work logged each close, execution and change, with the block it applies from.
    const ev = w.events();
    const changed = ev.filter(([n]) => n === 'ParameterChanged').map(([, x]) => x);
    expect(changed).toEqual([
      { id: a, name: 'minLock', value: [ETM / 2n], effectiveBlock: close + 1n },
      { id: b, name: 'lotterySeats', value: [2n], effectiveBlock: epochEnd + 1n },
      {
        id: c,
        name: 'inflationSchedule',
        value: [WAD / 20n, WAD / 50n],
        effectiveBlock: epochEnd + 1n,
      },
    ]);
    const closed = ev.filter(([n]) => n === 'ProposalClosed').map(([, x]) => x);
    expect(closed.map((x) => x.id)).toEqual([a, b, c]);
    expect(closed[0]).toMatchObject({ status: PROPOSAL_STATUS.indexOf('executed') });
    expect((closed[0]!.yes as bigint) > 0n).toBe(true);
    const executed = ev.filter(([n]) => n === 'ProposalExecuted').map(([, x]) => x);
    expect(executed.map((x) => [x.id, x.kind, x.status])).toEqual(
      [a, b, c].map((id) => [id, 1, PROPOSAL_STATUS.indexOf('executed')]),
    );
  });
});

describe('treasury, settlement, rescind, cancel', () => {
  it('pays a treasury spend, and fails one the treasury cannot pay', () => {
    const w = makeGovWorld({ users });
    const [u1] = w.users as [Uint8Array];
    const to = addr(0x77);
    w.transfer(u1, DAO_TREASURY, 50n * ETM);
    const a = w.propose(u1, { kind: 'treasury-spend', to, amount: 30n * ETM });
    const b = w.propose(u1, { kind: 'treasury-spend', to, amount: 10n ** 6n * ETM });
    for (const id of [a, b]) for (const op of w.ops) w.vote(op, id, 'yes');
    w.until(w.proposal(a).votingEnd);
    expect(w.balance(to)).toBe(30n * ETM);
    expect(w.proposal(a).status).toBe('executed');
    expect(w.proposal(b).status).toBe('failed');
    const ev = w.events();
    expect(ev.filter(([n]) => n === 'TreasurySpent').map(([, x]) => x)).toEqual([
      { id: a, to: getAddress(toHex(to)), amount: 30n * ETM },
    ]);
    expect(ev.filter(([n]) => n === 'ProposalExecuted').map(([, x]) => [x.id, x.status])).toEqual([
      [a, PROPOSAL_STATUS.indexOf('executed')],
      [b, PROPOSAL_STATUS.indexOf('failed')],
    ]);
  });

  it('settles the economy after the timelock: every lock and entry released, supply kept, no mint', () => {
    const w = makeGovWorld({ users });
    const [u1, u2] = w.users as [Uint8Array, Uint8Array];
    const l = w.lockIdOf(w.call(u1, 'lock', [300n * ETM, toHex(w.ops[0]!)]));
    w.lockIdOf(w.call(u2, 'lock', [100n * ETM, toHex(w.ops[1]!)]));
    w.call(u2, 'setAutoCompound', [6n, true]);
    w.block();
    w.call(u1, 'unlock', [l]); // an unbonding entry, released by the settlement
    const id = w.propose(u1, { kind: 'global-settlement' });
    // 66.7% of all locked: the four deposits and u2's lock are 140 of 140 ETM.
    for (const voter of [...w.ops, u2]) w.vote(voter, id, 'yes');
    w.until(w.proposal(id).votingEnd);
    expect(w.proposal(id).status).toBe('timelock');
    expect(isSettled(w.state)).toBe(false);
    w.until(w.proposal(id).executeAt);
    expect(w.proposal(id).status).toBe('executed');
    expect(isSettled(w.state)).toBe(true);
    const settled = w.events().filter(([n]) => n === 'EconomySettled');
    expect(settled).toHaveLength(1);
    // The four deposits' self-locks and u2's lock (u1's is unbonding).
    expect(settled[0]![1]).toMatchObject({ id, locks: 5n });
    // Closed into its timelock first; settled and executed after it.
    expect(
      w
        .events()
        .filter(([, x]) => x.id === id)
        .map(([n, x]) => [n, 'status' in x ? x.status : null]),
    ).toEqual([
      ['ProposalClosed', PROPOSAL_STATUS.indexOf('timelock')],
      ['EconomySettled', null],
      ['ProposalExecuted', PROPOSAL_STATUS.indexOf('executed')],
    ]);
    expect(w.rewards.economics().totalLocked).toBe(0n);
    for (const a of [...w.ops, ...w.users]) expect(w.state.getAccount(a).locked).toBe(0n);
    expect(w.holdings()).toBe(w.supply());
    const supply = w.supply();
    for (let i = 0; i < 12; i++) w.block();
    expect(w.supply()).toBe(supply);
    expect(w.holdings()).toBe(supply);
    expect(w.call(u1, 'lock', [ETM, toHex(w.ops[0]!)])).toBeNull();
    // Everyone can move everything they hold.
    expect(w.transfer(u1, u2, w.balance(u1))).toBe(true);
  });

  it('rescinds a transfer once: min(amount, what the recipient can spend) goes back', () => {
    const w = makeGovWorld({ users });
    const [u1, u2, u3] = w.users as [Uint8Array, Uint8Array, Uint8Array];
    const thief = addr(0x66);
    w.transfer(u1, thief, 100n * ETM);
    w.transfer(thief, u3, 60n * ETM); // spent on: 40 remain
    const txHash = new Uint8Array(32).fill(9);
    const id = w.propose(u2, { kind: 'rescind', txHash, from: u1, to: thief, amount: 100n * ETM });
    for (const op of w.ops) w.vote(op, id, 'yes');
    const before = w.balance(u1);
    w.until(w.proposal(id).executeAt || w.proposal(id).votingEnd);
    w.until(w.proposal(id).executeAt);
    expect(w.proposal(id).status).toBe('executed');
    expect(w.balance(u1) - before).toBe(40n * ETM);
    expect(w.balance(thief)).toBe(0n);
    expect(w.events().filter(([n]) => n === 'TransactionRescinded')).toEqual([
      [
        'TransactionRescinded',
        {
          id,
          txHash: toHex(txHash),
          from: getAddress(toHex(u1)),
          to: getAddress(toHex(thief)),
          amount: 40n * ETM,
        },
      ],
    ]);
    expect(() =>
      w.propose(u2, { kind: 'rescind', txHash, from: u1, to: thief, amount: 100n * ETM }),
    ).toThrow(/already rescinded/);
  });

  it('an emergency proposal short of 66.7% of all locked tokens is rejected; a cancel stops one in its timelock', () => {
    const w = makeGovWorld({ users });
    const [u1] = w.users as [Uint8Array];
    const weak = w.propose(u1, { kind: 'global-settlement' });
    for (const op of w.ops.slice(0, 2)) w.vote(op, weak, 'yes'); // 50%
    w.vote(w.ops[2]!, weak, 'no');
    w.until(w.proposal(weak).votingEnd);
    expect(w.proposal(weak).status).toBe('rejected');

    const id = w.propose(u1, { kind: 'global-settlement' });
    for (const op of w.ops) w.vote(op, id, 'yes');
    w.until(w.proposal(id).votingEnd);
    expect(w.proposal(id).status).toBe('timelock');
    // A cancel during the timelock: its vote closes by the target's execution block, first.
    const cancel = w.propose(u1, { kind: 'cancel', proposalId: id });
    expect(w.proposal(cancel).votingEnd).toBe(w.proposal(id).executeAt);
    for (const op of w.ops.slice(0, 3)) w.vote(op, cancel, 'yes');
    w.until(w.proposal(id).executeAt + 1n);
    expect(w.proposal(cancel).status).toBe('executed');
    expect(w.proposal(id).status).toBe('cancelled');
    expect(isSettled(w.state)).toBe(false);
    expect(w.holdings()).toBe(w.supply());
  });
});
