/**
 * Downtime (docs/slashing.md): each block's parentSealBitmap counts the parent's missing seals; at
 * the block recording an epoch's last seals, a validator that missed more than
 * maxMissedSealsRatio of them is jailed for jailEpochs and slashed slashDowntime; it may unjail
 * once the jail ends, and is elected again.
 */
import fc from 'fast-check';
import { decodeEventLog, getAddress, type Hex } from 'viem';
import type { Log } from '../../src/primitives/receipt.js';
import { EVIDENCE_ABI, SLASH_REASON } from '../../src/slashing/abi.js';
import { describe, expect, it } from 'vitest';
import { toHex } from '../../src/crypto/bytes.js';
import { sealBitmap } from '../../src/consensus/extra-data.js';
import { Revert } from '../../src/primitives/errors.js';
import { DAO_TREASURY, EVIDENCE_ADDRESS } from '../../src/primitives/system-addresses.js';
import { WAD, type ChainParams } from '../../src/params/registry.js';
import { slashingEndBlock } from '../../src/slashing/block-hooks.js';
import { SlashingStore } from '../../src/slashing/store.js';
import { jailsAt } from '../../src/node/evidence.js';
import { weighCandidates } from '../../src/staking/block-hooks.js';
import { DEPOSIT, doublePrepare, OPS, P, REPORTER, SIGNERS, world } from './world.js';

const PD: ChainParams = { ...P, maxMissedSealsRatio: WAD / 2n };
const ceilShare = (x: bigint, r: bigint) => (x * r + WAD - 1n) / WAD;

/** Runs the hook of blocks from..to; `sealers(h)` are the set positions that sealed block h. */
function run(
  w: ReturnType<typeof world>,
  from: bigint,
  to: bigint,
  sealers: (h: bigint) => number[],
  params = PD,
  logs: Log[] = [],
) {
  const jailed = [];
  for (let h = from; h <= to; h++)
    jailed.push(
      ...slashingEndBlock(w.state, {
        height: h,
        params,
        parentSealBitmap: h === 1n ? new Uint8Array(0) : sealBitmap(3, sealers(h - 1n)),
        logs,
      }),
    );
  return jailed;
}

describe('downtime', () => {
  it('jails and slashes a validator missing more than the ratio of an epoch, to the unit', () => {
    const w = world(PD);
    const total = w.total();
    const treasury = w.state.getAccount(DAO_TREASURY).balance;
    // Validator 2 seals blocks 1–4 only: 6 of 10 missing.
    const logs: Log[] = [];
    const jailed = run(w, 1n, 11n, (h) => (h <= 4n ? [0, 1, 2] : [0, 1]), PD, logs);
    const slashed = ceilShare(DEPOSIT, PD.slashDowntime);
    // The block work logs Slashed (reason downtime) and Jailed, from the evidence contract.
    const events = logs.map((l) =>
      decodeEventLog({
        abi: EVIDENCE_ABI,
        data: toHex(l.data) as Hex,
        topics: l.topics.map((x) => toHex(x)) as [Hex, ...Hex[]],
      }),
    );
    expect(logs.every((l) => toHex(l.address) === toHex(EVIDENCE_ADDRESS))).toBe(true);
    expect(events.map((e) => e.eventName)).toEqual(['Slashed', 'Jailed']);
    expect(events[0]!.args).toMatchObject({
      reason: SLASH_REASON.indexOf('downtime'),
      amount: slashed,
    });
    expect(events[1]!.args).toMatchObject({
      operator: getAddress(toHex(OPS[2]!)),
      epoch: 0n,
      missedSeals: 6n,
      blocks: 10n,
      untilEpoch: 3n,
    });
    expect(jailed.map((j) => [toHex(j.operator), j.missed, j.blocks, j.untilEpoch])).toEqual([
      [toHex(OPS[2]!), 6n, 10n, 3n],
    ]);
    const c = w.store.candidates.getCandidate(OPS[2]!)!;
    expect([c.status, c.jailedUntilEpoch]).toEqual(['jailed', 3n]);
    expect(w.deposit(2)).toBe(DEPOSIT - slashed);
    expect(w.state.getAccount(DAO_TREASURY).balance - treasury).toBe(slashed);
    expect(w.total()).toBe(total);
    expect(new SlashingStore(w.state).history(OPS[2]!)).toEqual([
      {
        reason: 'downtime',
        height: 11n,
        amount: slashed,
        reporter: new Uint8Array(20),
        untilEpoch: 3n,
      },
    ]);
    // The node reports the jail too.
    expect(
      jailsAt(w.state, 11n, PD).map((j) => [toHex(j.operator), j.amount, j.untilEpoch]),
    ).toEqual([[toHex(OPS[2]!), slashed, 3n]]);
    expect(jailsAt(w.state, 12n, PD)).toEqual([]);
    // The epoch's counts are gone once judged.
    expect(new SlashingStore(w.state).sealCounts(0n)).toBeNull();
    // Not electable while jailed.
    const weighed = weighCandidates(w.store, PD, 12n, w.store.elections.epochRecord(1n));
    expect(weighed.map((x) => toHex(x.operator))).not.toContain(toHex(OPS[2]!));
  });

  it('does not jail at exactly the ratio, nor twice while jailed', () => {
    const w = world(PD);
    expect(run(w, 1n, 11n, (h) => (h <= 5n ? [0, 1, 2] : [0, 1]))).toEqual([]);
    const w2 = world(PD);
    expect(run(w2, 1n, 11n, () => [0, 1])).toHaveLength(1);
    expect(run(w2, 12n, 21n, () => [0, 1])).toEqual([]);
    expect(w2.store.candidates.getCandidate(OPS[2]!)!.jailedUntilEpoch).toBe(3n);
  });

  it('unjails only once the jail has ended, and the candidate is electable again', () => {
    const w = world(PD);
    run(w, 1n, 11n, () => [0, 1]);
    const refuse = (h: bigint, from: Uint8Array, re: RegExp) => {
      expect(() => w.unjail(from, h)).toThrow(Revert);
      expect(() => w.unjail(from, h)).toThrow(re);
    };
    refuse(25n, OPS[2]!, /jailed until epoch 3; this is epoch 2/);
    refuse(31n, OPS[0]!, /not jailed/);
    refuse(31n, REPORTER, /not a candidate/);
    const { logs } = w.unjail(OPS[2]!, 31n);
    expect(logs).toHaveLength(1);
    expect(w.store.candidates.getCandidate(OPS[2]!)!.status).toBe('active');
    // Its deposit is below candidateDeposit? No: 1,234 ETM less 0.1% stays above 1,000 ETM.
    const weighed = weighCandidates(w.store, PD, 31n, w.store.elections.epochRecord(1n));
    expect(weighed.map((x) => toHex(x.operator))).toContain(toHex(OPS[2]!));
  });

  it('a tombstoned candidate cannot unjail', () => {
    const w = world(PD);
    w.evidence(REPORTER, 5n, doublePrepare(SIGNERS[0]!, 4));
    expect(() => w.unjail(OPS[0]!, 40n)).toThrow(/tombstoned/);
  });

  it('prunes offences older than the evidence age', () => {
    const w = world(PD);
    w.evidence(REPORTER, 5n, doublePrepare(SIGNERS[0]!, 4));
    const o = { validator: SIGNERS[0]!.address, height: 4n, round: 0n, type: 1n };
    const s = new SlashingStore(w.state);
    run(w, 6n, 4n + PD.evidenceMaxAgeBlocks, () => [0, 1, 2]);
    expect(s.offenceRecordedAt(o)).toBe(5n);
    run(w, 5n + PD.evidenceMaxAgeBlocks, 5n + PD.evidenceMaxAgeBlocks, () => [0, 1, 2]);
    expect(s.offenceRecordedAt(o)).toBeNull();
    expect(s.recent()).toHaveLength(1);
  });
});

describe('conservation (property)', () => {
  it('slashes move every unit from locked funds to balances, whatever the sequence', () => {
    fc.assert(
      fc.property(
        fc.array(
          fc.oneof(
            fc.record({
              kind: fc.constant('evidence' as const),
              who: fc.integer({ min: 0, max: 3 }),
              h: fc.integer({ min: 1, max: 20 }),
            }),
            fc.record({
              kind: fc.constant('unlock' as const),
              who: fc.integer({ min: 0, max: 3 }),
            }),
            fc.record({ kind: fc.constant('epoch' as const), sealers: fc.subarray([0, 1, 2]) }),
          ),
          { maxLength: 8 },
        ),
        fc.bigInt({ min: 0n, max: WAD }),
        fc.bigInt({ min: 0n, max: WAD }),
        (actions, slashDoubleSign, reporterReward) => {
          const params = {
            ...PD,
            slashDoubleSign,
            reporterReward,
            slashDowntime: slashDoubleSign / 7n,
          };
          const w = world(params);
          const total = w.total();
          let height = 1n;
          for (const a of actions) {
            if (a.kind === 'epoch') {
              const end = height + 9n;
              run(w, height, end, () => a.sealers, params);
              height = end + 1n;
              continue;
            }
            try {
              if (a.kind === 'evidence')
                w.evidence(REPORTER, height, doublePrepare(SIGNERS[a.who]!, a.h));
              else {
                const c = w.store.candidates.getCandidate(OPS[a.who]!)!;
                if (c.depositLockId !== 0n)
                  w.staking(OPS[a.who]!, height, 'unlock', [c.depositLockId]);
              }
            } catch (e) {
              if (!(e instanceof Revert)) throw e;
            }
            expect(w.total()).toBe(total);
          }
          expect(w.total()).toBe(total);
        },
      ),
      { numRuns: 40 },
    );
  });
});
