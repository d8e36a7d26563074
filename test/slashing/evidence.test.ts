/**
 * The evidence contract's rules (docs/slashing.md): a double signature slashes slashDoubleSign of
 * the deposit (rounded up), pays reporterReward of it to the reporter (rounded down), the rest to
 * the treasury, tombstones the candidate; forged, duplicate, stale and wrong-set evidence is
 * refused and changes nothing.
 */
import { describe, expect, it } from 'vitest';
import { toHex } from '../../src/crypto/bytes.js';
import { Revert } from '../../src/primitives/errors.js';
import { DAO_TREASURY, EVIDENCE_ADDRESS } from '../../src/primitives/system-addresses.js';
import { slot } from '../../src/state/records.js';
import { getAddress } from 'viem';
import { WAD } from '../../src/params/registry.js';
import { SlashingStore } from '../../src/slashing/store.js';
import { weighCandidates } from '../../src/staking/block-hooks.js';
import { Secp256k1Signer } from '../../src/consensus/crypto.js';
import {
  BARE,
  CHAIN_ID,
  DEPOSIT,
  doubleCommit,
  doublePrepare,
  doubleRoundChange,
  OPS,
  P,
  REPORTER,
  SIGNERS,
  world,
} from './world.js';

const checksum = (a: Uint8Array) => getAddress(toHex(a));
const ceilShare = (x: bigint, r: bigint) => (x * r + WAD - 1n) / WAD;

/** Runs `f`, expects a Revert whose reason matches, and that the state root did not move. */
function refused(w: ReturnType<typeof world>, f: () => unknown, reason: RegExp): void {
  const before = toHex(w.state.commit().root);
  let err: unknown = null;
  try {
    f();
  } catch (e) {
    err = e;
  }
  expect(err).toBeInstanceOf(Revert);
  expect((err as Error).message).toMatch(reason);
  expect(toHex(w.state.commit().root)).toBe(before);
}

describe('double-sign evidence', () => {
  it('slashes the deposit, pays the reporter and the treasury, tombstones, to the unit', () => {
    const w = world();
    const total = w.total();
    const treasury = w.state.getAccount(DAO_TREASURY).balance;
    const reporter = w.state.getAccount(REPORTER).balance;
    const { logs } = w.evidence(REPORTER, 12n, doublePrepare(SIGNERS[1]!, 10));
    const slashed = ceilShare(DEPOSIT, P.slashDoubleSign);
    const reward = (slashed * P.reporterReward) / WAD;
    expect(w.deposit(1)).toBe(DEPOSIT - slashed);
    expect(w.state.getAccount(OPS[1]!).locked).toBe(DEPOSIT - slashed);
    expect(w.state.getAccount(REPORTER).balance - reporter).toBe(reward);
    expect(w.state.getAccount(DAO_TREASURY).balance - treasury).toBe(slashed - reward);
    expect(w.total()).toBe(total);
    expect(w.store.candidates.getCandidate(OPS[1]!)!.status).toBe('tombstoned');
    // EvidenceAccepted, Slashed, Tombstoned.
    expect(logs).toHaveLength(3);
    const store = new SlashingStore(w.state);
    expect(store.recent()).toHaveLength(1);
    expect(store.recent()[0]!.slashed).toBe(slashed);
    expect(store.history(OPS[1]!)).toEqual([
      { reason: 'double-sign', height: 12n, amount: slashed, reporter: REPORTER, untilEpoch: 0n },
    ]);
    // The next election passes it over; the other candidates keep their deposits.
    const weighed = weighCandidates(w.store, P, 12n, w.store.elections.epochRecord(1n));
    expect(weighed.map((c) => toHex(c.operator))).not.toContain(toHex(OPS[1]!));
    expect(w.deposit(0)).toBe(DEPOSIT);
  });

  it('accepts COMMIT and ROUND-CHANGE equivocation too', () => {
    const w = world();
    w.evidence(REPORTER, 5n, doubleCommit(SIGNERS[0]!, 5));
    w.evidence(REPORTER, 5n, doubleRoundChange(SIGNERS[2]!, 4));
    expect(w.store.candidates.getCandidate(OPS[0]!)!.status).toBe('tombstoned');
    expect(w.store.candidates.getCandidate(OPS[2]!)!.status).toBe('tombstoned');
  });

  it('refuses the same offence twice, in either order, and a tombstoned validator', () => {
    const w = world();
    const pair = doublePrepare(SIGNERS[1]!, 10);
    w.evidence(REPORTER, 12n, pair);
    refused(w, () => w.evidence(REPORTER, 13n, pair), /already punished/);
    refused(w, () => w.evidence(OPS[0]!, 13n, [pair[1], pair[0]]), /already punished/);
    refused(w, () => w.evidence(REPORTER, 13n, doublePrepare(SIGNERS[1]!, 11)), /tombstoned/);
  });

  it('refuses forged evidence: tampered, foreign-chain, garbage, mixed signers, no conflict', () => {
    const w = world();
    const [first, second] = doublePrepare(SIGNERS[1]!, 10);
    // A flipped digest byte recovers another signer, who is no validator.
    const tampered = second.slice();
    tampered[10] = tampered[10]! ^ 1;
    refused(w, () => w.evidence(REPORTER, 12n, [first, tampered]), /different signers/);
    refused(
      w,
      () => w.evidence(REPORTER, 12n, doublePrepare(SIGNERS[1]!, 10, 0, CHAIN_ID + 1n)),
      /different signers|not a validator/,
    );
    refused(
      w,
      () => w.evidence(REPORTER, 12n, [first, new Uint8Array([1, 2, 3])]),
      /second message/,
    );
    refused(w, () => w.evidence(REPORTER, 12n, [first, new Uint8Array(600)]), /exceeds/);
    const other = doublePrepare(SIGNERS[0]!, 10)[1];
    refused(w, () => w.evidence(REPORTER, 12n, [first, other]), /different signers/);
    refused(w, () => w.evidence(REPORTER, 12n, [first, first]), /same value/);
    refused(
      w,
      () => w.evidence(REPORTER, 12n, [first, doublePrepare(SIGNERS[1]!, 11)[1]]),
      /same height/,
    );
    const commit = doubleCommit(SIGNERS[1]!, 10)[0];
    refused(w, () => w.evidence(REPORTER, 12n, [first, commit]), /same height, round and type/);
  });

  it('refuses stale and future evidence', () => {
    const w = world();
    const pair = doublePrepare(SIGNERS[1]!, 3);
    refused(w, () => w.evidence(REPORTER, 3n + P.evidenceMaxAgeBlocks + 1n, pair), /older than/);
    refused(w, () => w.evidence(REPORTER, 2n, pair), /future/);
    w.evidence(REPORTER, 3n + P.evidenceMaxAgeBlocks, pair);
  });

  it('refuses a signer outside the validator set of that height, or without a candidacy', () => {
    const w = world(P, { bareValidator: true });
    // Candidate c3 (and c2 here) was never elected.
    refused(w, () => w.evidence(REPORTER, 12n, doublePrepare(SIGNERS[3]!, 10)), /not a validator/);
    refused(w, () => w.evidence(REPORTER, 12n, doublePrepare(SIGNERS[2]!, 10)), /not a validator/);
    refused(w, () => w.evidence(REPORTER, 12n, doublePrepare(BARE, 10)), /no candidacy/);
    const stranger = new Secp256k1Signer(new Uint8Array(32).fill(9));
    refused(w, () => w.evidence(REPORTER, 12n, doublePrepare(stranger, 10)), /not a validator/);
  });

  it('refuses a chain without a recorded chain id', () => {
    const w = world();
    // Erase the record, as a state written without a chain id has it.
    w.state.putStorage(EVIDENCE_ADDRESS, slot('chainId'), new Uint8Array(0));
    refused(w, () => w.evidence(REPORTER, 12n, doublePrepare(SIGNERS[1]!, 10)), /chain id/);
  });

  it('slashes an unlocked deposit that is still unbonding, and releases only the rest', () => {
    const w = world();
    const c = w.store.candidates.getCandidate(OPS[1]!)!;
    w.staking(OPS[1]!, 11n, 'unlock', [c.depositLockId]);
    const release = 11n + P.depositUnbondingBlocks;
    const total = w.total();
    w.evidence(REPORTER, 12n, doublePrepare(SIGNERS[1]!, 10));
    const slashed = ceilShare(DEPOSIT, P.slashDoubleSign);
    expect(w.store.locks.unbondingOf(OPS[1]!)).toEqual([
      { amount: DEPOSIT - slashed, releaseHeight: release },
    ]);
    expect(w.store.locks.releasesAt(release)).toEqual([
      { owner: OPS[1]!, amount: DEPOSIT - slashed },
    ]);
    expect(w.state.getAccount(OPS[1]!).locked).toBe(DEPOSIT - slashed);
    expect(w.total()).toBe(total);
  });

  it('answers getEvidence and getJail', () => {
    const w = world();
    w.evidence(REPORTER, 12n, doublePrepare(SIGNERS[1]!, 10));
    const slashed = ceilShare(DEPOSIT, P.slashDoubleSign);
    expect(w.view('getEvidence', [toHex(SIGNERS[1]!.address), 10n, 0n, 1])).toEqual([
      true,
      checksum(REPORTER),
      checksum(OPS[1]!),
      slashed,
      12n,
    ]);
    expect(w.view('getEvidence', [toHex(SIGNERS[1]!.address), 10n, 1n, 1])).toEqual([
      false,
      checksum(new Uint8Array(20)),
      checksum(new Uint8Array(20)),
      0n,
      0n,
    ]);
    expect(w.view('getJail', [toHex(OPS[1]!)])).toEqual([2, 0n, 1n, slashed]);
  });
});
