/**
 * The engine's memory is bounded whatever validators and strangers send (docs/consensus.md,
 * "Limits"): per-round state only within the round window and after the sender's budget, far
 * rounds as one number per validator, later heights only from keys that may validate them and
 * within each sender's messages and bytes. The assertions are on the engine's own sizes.
 */
import { describe, expect, it } from 'vitest';
import type { QbftEngine } from '../../src/consensus/engine.js';
import { encodeMessage, signCommit } from '../../src/consensus/messages.js';
import { Secp256k1Signer } from '../../src/consensus/crypto.js';
import { MessageType, type EngineEffect } from '../../src/consensus/types.js';
import { keccak256 } from '../../src/crypto/keccak.js';
import { utf8 } from '../../src/crypto/bytes.js';
import {
  CHAIN_ID,
  digestOf,
  makeBlock,
  makeSigners,
  newEngine,
  ofKind,
  prepareMsg,
  privateKey,
  proposalMsg,
  payloadOf,
  roundChangeMsg,
  startInput,
} from './helpers.js';

const signers = makeSigners(4);
const validators = signers.map((s) => s.address);
const D = keccak256(utf8('some block'));
const send = (e: QbftEngine, bytes: Uint8Array): EngineEffect[] =>
  e.handle({ kind: 'message', bytes });
const commitMsg = (i: number, height: number, round: number) =>
  encodeMessage({
    type: MessageType.Commit,
    signed: signCommit(signers[i]!, CHAIN_ID, height, round, D),
  });

function started(config = {}): QbftEngine {
  const e = newEngine(signers[0]!, { config });
  e.handle(startInput(1, validators));
  return e;
}

describe('later rounds of the current height', () => {
  it('20,000 rounds from one validator leave the engine’s state bounded', () => {
    const e = started();
    const empty = e.stats();
    // Validator 1 sends a PREPARE, a COMMIT or a ROUND-CHANGE for every round 1..20,000.
    for (let r = 1; r <= 20_000; r++) {
      const bytes =
        r % 3 === 0
          ? prepareMsg(signers[1]!, 1, r, D)
          : r % 3 === 1
            ? commitMsg(1, 1, r)
            : roundChangeMsg(signers[1]!, 1, r);
      send(e, bytes);
    }
    const s = e.stats();
    expect(e.round).toBe(0); // one validator is not f + 1
    // Only rounds 1..10 (the window) hold state, within the sender's 32 messages.
    expect(s.rounds).toBeLessThanOrEqual(10);
    expect(s.roundChangeRounds).toBeLessThanOrEqual(10);
    expect(s.futureRoundMessages).toBeLessThanOrEqual(32);
    expect(s.seen).toBeLessThanOrEqual(empty.seen + 10);
    // Every ROUND-CHANGE beyond the window is one number: the highest round it reached.
    expect(s.farRoundChanges).toBe(1);
    expect(s.futureHeightMessages).toBe(0);
  });

  it('keeps nothing beyond the window but ROUND-CHANGE rounds, which still count for f + 1', () => {
    const e = started({ maxFutureRounds: 4 });
    send(e, prepareMsg(signers[1]!, 1, 5, D));
    send(e, commitMsg(1, 1, 5));
    expect(e.stats()).toMatchObject({ rounds: 0, seen: 0, futureRoundMessages: 0 });
    send(e, prepareMsg(signers[1]!, 1, 4, D));
    expect(e.stats()).toMatchObject({ rounds: 1, seen: 1, futureRoundMessages: 1 });
    // Two validators (f + 1) far ahead: the node joins the lower of their rounds.
    send(e, roundChangeMsg(signers[1]!, 1, 1_000_000));
    expect(e.round).toBe(0);
    const fx = send(e, roundChangeMsg(signers[2]!, 1, 500));
    expect(fx[0]).toEqual({ kind: 'round-changed', height: 1, round: 500, reason: 'f+1' });
    // The window moved with it: the old state is gone.
    expect(e.stats()).toMatchObject({ rounds: 0, farRoundChanges: 1 });
  });

  it('a sender over its byte budget leaves no per-round state, and others are unaffected', () => {
    const one = prepareMsg(signers[1]!, 1, 1, D).length;
    const e = started({ maxFutureRoundBytesPerSender: 2 * one });
    // Two fit; the third does not, for any round.
    for (const r of [1, 2, 3, 4]) send(e, prepareMsg(signers[1]!, 1, r, D));
    expect(e.stats()).toMatchObject({ rounds: 2, futureRoundMessages: 2 });
    send(e, prepareMsg(signers[2]!, 1, 3, D));
    expect(e.stats()).toMatchObject({ rounds: 3, futureRoundMessages: 3 });
    // A ROUND-CHANGE carrying a certificate (larger than the budget) from a sender is dropped.
    const b0 = makeBlock(1, 'block');
    const prepares = [1, 2, 3].map((i) => payloadOf(prepareMsg(signers[i]!, 1, 0, digestOf(b0))));
    const big = roundChangeMsg(signers[3]!, 1, 2, {
      ref: { round: 0, digest: digestOf(b0) },
      block: b0,
      prepares,
    });
    expect(big.length).toBeGreaterThan(2 * one);
    send(e, big);
    expect(e.stats()).toMatchObject({ roundChangeRounds: 0, futureRoundMessages: 3 });
  });

  it('a justified proposal far beyond the window still moves the node', () => {
    const e = started({ maxFutureRounds: 2 });
    const round = 10_000; // proposer of (1, 10000) is order[10001 mod 4] = 1
    const rcs = [0, 2, 3].map((i) => payloadOf(roundChangeMsg(signers[i]!, 1, round)));
    const fx = send(e, proposalMsg(signers[1]!, 1, round, makeBlock(1, 'far'), rcs));
    expect(fx[0]).toEqual({ kind: 'round-changed', height: 1, round, reason: 'proposal' });
    expect(ofKind(fx, 'validate-block')).toHaveLength(1);
  });

  it('rounds further back than maxPastRounds are forgotten', () => {
    const e = started({ maxPastRounds: 2 });
    // Round 0's proposal is accepted, then the node times out 6 rounds in a row.
    const b = makeBlock(1, 'old');
    send(e, proposalMsg(signers[1]!, 1, 0, b));
    e.handle({ kind: 'block-validated', height: 1, digest: digestOf(b), valid: true });
    expect(e.stats().rounds).toBe(1);
    for (let r = 0; r < 6; r++) e.handle({ kind: 'timer', timer: 'round', height: 1, round: r });
    expect(e.round).toBe(6);
    expect(e.stats().rounds).toBe(0);
    expect(e.stats().signed).toBe(1); // only the ROUND-CHANGE of round 6
  });
});

describe('later heights', () => {
  const stranger = (i: number) => new Secp256k1Signer(privateKey(1000 + i));

  it('are buffered only for keys that may validate them, so strangers cannot crowd anyone out', () => {
    const e = started();
    // 300 strangers each send a PREPARE for height 2.
    for (let i = 0; i < 300; i++) send(e, prepareMsg(stranger(i), 2, 0, D));
    expect(e.stats()).toMatchObject({ futureHeightSenders: 0, futureHeightMessages: 0 });
    // A real validator's message for height 2 is kept, and used when the height starts.
    const b2 = makeBlock(2, 'two');
    send(e, proposalMsg(signers[2]!, 2, 0, b2));
    expect(e.stats()).toMatchObject({ futureHeightSenders: 1, futureHeightMessages: 1 });
    const fx = e.handle(startInput(2, validators));
    expect(ofKind(fx, 'validate-block').map((v) => v.height)).toEqual([2]);
    expect(e.stats().futureHeightMessages).toBe(0);
  });

  it('keys of the next epoch (the candidates) are buffered too', () => {
    const next = stranger(7);
    const e = newEngine(signers[0]!);
    e.handle({
      kind: 'start-height',
      height: 1,
      validators,
      candidates: [...validators, next.address],
    });
    send(e, prepareMsg(next, 2, 0, D));
    send(e, prepareMsg(stranger(8), 2, 0, D));
    expect(e.stats()).toMatchObject({ futureHeightSenders: 1, futureHeightMessages: 1 });
  });

  it('hold at most the sender’s messages and bytes, across all later heights', () => {
    const one = prepareMsg(signers[1]!, 2, 0, D).length;
    const e = started({
      maxFutureHeightMessagesPerSender: 3,
      maxFutureHeightBytesPerSender: 10 * one,
    });
    for (let h = 2; h <= 10; h++) send(e, prepareMsg(signers[1]!, h, 0, D));
    expect(e.stats()).toMatchObject({ futureHeightMessages: 3, futureHeightBytes: 3 * one });
    const f = started({ maxFutureHeightBytesPerSender: 2 * one + 1 });
    for (let h = 2; h <= 10; h++) send(f, prepareMsg(signers[1]!, h, 0, D));
    for (let h = 2; h <= 10; h++) send(f, prepareMsg(signers[2]!, h, 0, D));
    expect(f.stats()).toMatchObject({
      futureHeightSenders: 2,
      futureHeightMessages: 4,
      futureHeightBytes: 4 * one,
    });
  });
});
