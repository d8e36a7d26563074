/** Messages for later rounds and heights are kept (within bounds) and used later; old ones dropped. */
import { describe, expect, it } from 'vitest';
import { toHex } from '../../src/crypto/bytes.js';
import {
  encodeMessage,
  signCommit,
  signPrepare,
  signRoundChange,
} from '../../src/consensus/messages.js';
import { MessageType, type EngineConfig, type EngineEffect } from '../../src/consensus/types.js';
import type { QbftEngine } from '../../src/consensus/engine.js';
import {
  CHAIN_ID,
  broadcasts,
  digestOf,
  makeBlock,
  makeSigners,
  newEngine,
  ofKind,
  prepareMsg,
  proposalMsg,
  roundChangeMsg,
  startInput,
} from './helpers.js';

const signers = makeSigners(4);
const validators = signers.map((s) => s.address);

const commitMsg = (i: number, height: number, round: number, digest: Uint8Array): Uint8Array =>
  encodeMessage({
    type: MessageType.Commit,
    signed: signCommit(signers[i]!, CHAIN_ID, height, round, digest),
  });

function send(e: QbftEngine, bytes: Uint8Array): EngineEffect[] {
  return e.handle({ kind: 'message', bytes });
}

/** Answers every validate-block of `fx` with valid and returns all effects. */
function validateAll(e: QbftEngine, fx: EngineEffect[]): EngineEffect[] {
  const out = [...fx];
  for (const v of ofKind(fx, 'validate-block'))
    out.push(
      ...e.handle({ kind: 'block-validated', height: v.height, digest: v.digest, valid: true }),
    );
  return out;
}

describe('later heights', () => {
  // Height 2: proposer of (2, 0) is validator 2.
  const B2 = makeBlock(2, 'height two');
  const D2 = digestOf(B2);

  function buffered(config: Partial<EngineConfig>): { e: QbftEngine; fx: EngineEffect[] } {
    const e = newEngine(signers[0]!, { config });
    e.handle(startInput(1, validators));
    const early = [
      proposalMsg(signers[2]!, 2, 0, B2),
      prepareMsg(signers[2]!, 2, 0, D2),
      prepareMsg(signers[3]!, 2, 0, D2),
    ];
    for (const m of early) expect(send(e, m)).toEqual([]);
    expect(e.height).toBe(1);
    const fx = validateAll(e, e.handle(startInput(2, validators)));
    return { e, fx };
  }

  it('are buffered silently and handled when the height starts', () => {
    const { fx } = buffered({});
    expect(ofKind(fx, 'validate-block').map((v) => toHex(v.digest))).toEqual([toHex(D2)]);
    // Own PREPARE plus the two buffered ones: prepared, so it commits its vote.
    expect(broadcasts(fx).map((b) => [b.type, b.height])).toEqual([
      [MessageType.Prepare, 2],
      [MessageType.Commit, 2],
    ]);
  });

  it('keep at most maxFutureHeightMessagesPerSender per sender; the excess is dropped', () => {
    const { e, fx } = buffered({ maxFutureHeightMessagesPerSender: 1 });
    // Validator 2's PREPARE came second and was dropped: two PREPAREs of three.
    expect(broadcasts(fx).map((b) => b.type)).toEqual([MessageType.Prepare]);
    const late = send(e, prepareMsg(signers[2]!, 2, 0, D2));
    expect(broadcasts(late).map((b) => b.type)).toEqual([MessageType.Commit]);
  });

  it('keep at most maxFutureHeightBytesPerSender bytes per sender', () => {
    // Validator 2's proposal fits; its PREPARE after it does not.
    const proposalBytes = proposalMsg(signers[2]!, 2, 0, B2).length;
    const { e, fx } = buffered({ maxFutureHeightBytesPerSender: proposalBytes + 10 });
    expect(ofKind(fx, 'validate-block')).toHaveLength(1);
    expect(broadcasts(fx).map((b) => b.type)).toEqual([MessageType.Prepare]);
    const late = send(e, prepareMsg(signers[2]!, 2, 0, D2));
    expect(broadcasts(late).map((b) => b.type)).toEqual([MessageType.Commit]);
  });

  it('are not kept beyond maxFutureHeights ahead', () => {
    const e = newEngine(signers[1]!, { config: { maxFutureHeights: 2 } });
    e.handle(startInput(1, validators));
    // Proposers: (3, 0) is validator 3, (4, 0) is validator 0.
    const b3 = makeBlock(3, 'three');
    const b4 = makeBlock(4, 'four');
    expect(send(e, proposalMsg(signers[3]!, 3, 0, b3))).toEqual([]);
    expect(send(e, proposalMsg(signers[0]!, 4, 0, b4))).toEqual([]);
    expect(ofKind(e.handle(startInput(3, validators)), 'validate-block')).toHaveLength(1);
    expect(ofKind(e.handle(startInput(4, validators)), 'validate-block')).toHaveLength(0);
  });

  it('messages for older heights are dropped without effect', () => {
    const e = newEngine(signers[0]!);
    e.handle(startInput(1, validators));
    e.handle(startInput(2, validators));
    const b1 = makeBlock(1, 'old');
    expect(send(e, proposalMsg(signers[1]!, 1, 0, b1))).toEqual([]);
    expect(send(e, prepareMsg(signers[1]!, 1, 0, digestOf(b1)))).toEqual([]);
    expect(send(e, commitMsg(1, 1, 0, digestOf(b1)))).toEqual([]);
    expect(send(e, roundChangeMsg(signers[1]!, 1, 5))).toEqual([]);
    expect(send(e, roundChangeMsg(signers[2]!, 1, 5))).toEqual([]);
    expect([e.height, e.round]).toEqual([2, 0]);
    // Starting an older or the same height again is ignored.
    expect(e.handle(startInput(1, validators))).toEqual([]);
    expect(e.handle(startInput(2, validators))).toEqual([]);
  });
});

describe('later rounds of the current height', () => {
  // Round 1: proposer is validator 2; this node is validator 0.
  const B = makeBlock(1, 'round one');
  const D = digestOf(B);
  const rcs = [1, 2, 3].map((i) => signRoundChange(signers[i]!, CHAIN_ID, 1, 1, null));

  function early(e: QbftEngine): void {
    for (const i of [1, 3]) {
      expect(send(e, prepareMsg(signers[i]!, 1, 1, D))).toEqual([]);
      expect(send(e, commitMsg(i, 1, 1, D))).toEqual([]);
    }
    expect(e.round).toBe(0);
  }

  it('PREPAREs and COMMITs for a later round count once the node gets there', () => {
    const e = newEngine(signers[0]!);
    e.handle(startInput(1, validators));
    early(e);
    const fx = validateAll(e, send(e, proposalMsg(signers[2]!, 1, 1, B, rcs)));
    expect(fx[0]).toEqual({ kind: 'round-changed', height: 1, round: 1, reason: 'proposal' });
    const commit = ofKind(fx, 'commit');
    expect(commit).toHaveLength(1);
    expect([commit[0]!.round, toHex(commit[0]!.digest), commit[0]!.seals.length]).toEqual([
      1,
      toHex(D),
      3,
    ]);
  });

  it('keep at most maxFutureRoundMessagesPerSender per sender; a dropped vote counts when sent again', () => {
    const e = newEngine(signers[0]!, { config: { maxFutureRoundMessagesPerSender: 1 } });
    e.handle(startInput(1, validators));
    early(e); // each sender's COMMIT is over the bound
    const fx = validateAll(e, send(e, proposalMsg(signers[2]!, 1, 1, B, rcs)));
    expect(broadcasts(fx).map((b) => b.type)).toEqual([
      MessageType.RoundChange,
      MessageType.Prepare,
      MessageType.Commit,
    ]);
    expect(ofKind(fx, 'commit')).toEqual([]);
    expect(ofKind(send(e, commitMsg(1, 1, 1, D)), 'commit')).toEqual([]);
    expect(ofKind(send(e, commitMsg(3, 1, 1, D)), 'commit')).toHaveLength(1);
  });

  it('the bound is per sender: a flood from one validator does not crowd out the others', () => {
    const e = newEngine(signers[0]!, { config: { maxFutureRoundMessagesPerSender: 2 } });
    e.handle(startInput(1, validators));
    // Validator 1 floods rounds 2..40 with PREPAREs.
    for (let r = 2; r <= 40; r++) send(e, prepareMsg(signers[1]!, 1, r, D));
    early(e);
    const fx = validateAll(e, send(e, proposalMsg(signers[2]!, 1, 1, B, rcs)));
    // Validator 3's PREPARE and COMMIT were kept; validator 1's were over its bound.
    expect(broadcasts(fx).map((b) => b.type)).toEqual([
      MessageType.RoundChange,
      MessageType.Prepare,
    ]);
    send(e, prepareMsg(signers[1]!, 1, 1, D));
    expect(ofKind(send(e, commitMsg(1, 1, 1, D)), 'commit')).toHaveLength(1);
  });

  it('a PREPARE first seen inside a justification still counts when it arrives itself', () => {
    // This node is still in round 0 when a ROUND-CHANGE for round 1 carries the round-0
    // certificate: its PREPAREs must still count when they arrive on their own.
    const B0 = makeBlock(1, 'round zero');
    const D0 = digestOf(B0);
    const e = newEngine(signers[0]!);
    e.handle(startInput(1, validators));
    validateAll(e, send(e, proposalMsg(signers[1]!, 1, 0, B0)));
    const prepares = [1, 2, 3].map((i) => signPrepare(signers[i]!, CHAIN_ID, 1, 0, D0));
    const rc = roundChangeMsg(signers[3]!, 1, 1, {
      ref: { round: 0, digest: D0 },
      block: B0,
      prepares,
    });
    expect(send(e, rc)).toEqual([]);
    expect(send(e, prepareMsg(signers[1]!, 1, 0, D0))).toEqual([]);
    const fx = send(e, prepareMsg(signers[2]!, 1, 0, D0));
    expect(broadcasts(fx).map((b) => [b.type, b.round])).toEqual([[MessageType.Commit, 0]]);
  });
});
