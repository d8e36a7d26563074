/** Equivocation evidence, and nodes that follow consensus without a key. */
import { describe, expect, it } from 'vitest';
import { equalBytes, toHex } from '../../src/crypto/bytes.js';
import { rlpDecode } from '../../src/codec/rlp.js';
import { verifyCommitCertificate } from '../../src/consensus/certificate.js';
import {
  decodeSignedPayload,
  encodeMessage,
  signCommit,
  signPrepare,
} from '../../src/consensus/messages.js';
import { MessageType, type EngineEffect } from '../../src/consensus/types.js';
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
  recover,
  roundChangeMsg,
  startInput,
  TestNet,
} from './helpers.js';

const signers = makeSigners(4);
const validators = signers.map((s) => s.address);
const stranger = makeSigners(1, 9)[0]!;
const B = makeBlock(1, 'one');
const D = digestOf(B);
const B2 = makeBlock(1, 'two');
const D2 = digestOf(B2);
const D3 = digestOf(makeBlock(1, 'three'));

function fresh(): QbftEngine {
  const e = newEngine(signers[0]!);
  e.handle(startInput(1, validators));
  return e;
}

function send(e: QbftEngine, bytes: Uint8Array): EngineEffect[] {
  return e.handle({ kind: 'message', bytes });
}

describe('equivocation evidence', () => {
  it('two PREPAREs of one validator for one (height, round): exactly one verifiable evidence', () => {
    const e = fresh();
    const first = signPrepare(signers[2]!, CHAIN_ID, 1, 0, D);
    const second = signPrepare(signers[2]!, CHAIN_ID, 1, 0, D2);
    expect(send(e, encodeMessage({ type: MessageType.Prepare, signed: first }))).toEqual([]);
    const fx = send(e, encodeMessage({ type: MessageType.Prepare, signed: second }));
    expect(fx).toEqual([
      {
        kind: 'evidence',
        evidence: {
          validator: signers[2]!.address,
          height: 1,
          round: 0,
          type: MessageType.Prepare,
          first: first.encoded,
          second: second.encoded,
        },
      },
    ]);
    // Anyone can check it: both payloads decode, are signed by the validator, and differ.
    const ev = ofKind(fx, 'evidence')[0]!.evidence;
    const a = decodeSignedPayload(rlpDecode(ev.first), recover, CHAIN_ID);
    const b = decodeSignedPayload(rlpDecode(ev.second), recover, CHAIN_ID);
    expect([toHex(a.author), toHex(b.author)]).toEqual([
      toHex(signers[2]!.address),
      toHex(signers[2]!.address),
    ]);
    expect([a.height, a.round, a.type]).toEqual([b.height, b.round, b.type]);
    expect(equalBytes(a.digest, b.digest)).toBe(false);

    // A third digest, or the first again, raises nothing more.
    expect(send(e, prepareMsg(signers[2]!, 1, 0, D3))).toEqual([]);
    expect(send(e, prepareMsg(signers[2]!, 1, 0, D))).toEqual([]);
    // Another round is another slot.
    expect(send(e, prepareMsg(signers[2]!, 1, 1, D))).toEqual([]);
    expect(ofKind(send(e, prepareMsg(signers[2]!, 1, 1, D2)), 'evidence')).toHaveLength(1);
  });

  it('two PROPOSALs of the proposer with different blocks', () => {
    const e = fresh();
    const p1 = proposalMsg(signers[1]!, 1, 0, B);
    const p2 = proposalMsg(signers[1]!, 1, 0, B2);
    expect(ofKind(send(e, p1), 'validate-block')).toHaveLength(1);
    const fx = send(e, p2);
    // The first proposal keeps the round: the second is evidence only.
    expect(fx.map((x) => x.kind)).toEqual(['evidence']);
    const ev = ofKind(fx, 'evidence')[0]!.evidence;
    expect([toHex(ev.validator), ev.type, ev.height, ev.round]).toEqual([
      toHex(signers[1]!.address),
      MessageType.Proposal,
      1,
      0,
    ]);
    expect(toHex(decodeSignedPayload(rlpDecode(ev.first), recover, CHAIN_ID).digest)).toBe(
      toHex(D),
    );
    expect(toHex(decodeSignedPayload(rlpDecode(ev.second), recover, CHAIN_ID).digest)).toBe(
      toHex(D2),
    );
  });

  it('two COMMITs, and two ROUND-CHANGEs for one round', () => {
    const e = fresh();
    const commit = (d: Uint8Array): Uint8Array =>
      encodeMessage({
        type: MessageType.Commit,
        signed: signCommit(signers[3]!, CHAIN_ID, 1, 0, d),
      });
    send(e, commit(D));
    expect(ofKind(send(e, commit(D2)), 'evidence').map((x) => x.evidence.type)).toEqual([
      MessageType.Commit,
    ]);
    send(e, roundChangeMsg(signers[3]!, 1, 4));
    const prepared = {
      ref: { round: 0, digest: D },
      block: B,
      prepares: [0, 1, 2].map((i) => signPrepare(signers[i]!, CHAIN_ID, 1, 0, D)),
    };
    const fx = send(e, roundChangeMsg(signers[3]!, 1, 4, prepared));
    expect(ofKind(fx, 'evidence').map((x) => [x.evidence.type, x.evidence.round])).toEqual([
      [MessageType.RoundChange, 4],
    ]);
  });

  it('a PREPARE seen inside a justification and a conflicting one seen directly', () => {
    const e = fresh();
    const prepares = [1, 2, 3].map((i) => signPrepare(signers[i]!, CHAIN_ID, 1, 0, D));
    send(
      e,
      roundChangeMsg(signers[1]!, 1, 1, { ref: { round: 0, digest: D }, block: B, prepares }),
    );
    const fx = send(e, prepareMsg(signers[3]!, 1, 0, D2));
    const ev = ofKind(fx, 'evidence');
    expect(ev).toHaveLength(1);
    expect(toHex(ev[0]!.evidence.first)).toBe(toHex(prepares[2]!.encoded));
  });

  it('nothing for non-validators or exact duplicates', () => {
    const e = fresh();
    send(e, prepareMsg(stranger, 1, 0, D));
    expect(ofKind(send(e, prepareMsg(stranger, 1, 0, D2)), 'evidence')).toEqual([]);
    const p = prepareMsg(signers[1]!, 1, 0, D);
    expect(send(e, p)).toEqual([]);
    expect(send(e, p)).toEqual([]);
  });

  it('honest validators never produce evidence against each other', () => {
    const net = new TestNet(4, {
      link: (_f, _t, b) => !(b.type === MessageType.Commit && b.round === 0),
    });
    net.start(1);
    for (const n of net.nodes) net.timer(n.index);
    expect(net.nodes.flatMap((n) => ofKind(n.log, 'evidence'))).toEqual([]);
    expect(net.commits().map((c) => c.length)).toEqual([1, 1, 1, 1]);
  });
});

describe('observer (no signer)', () => {
  it('follows and commits the same block, never signs or broadcasts', () => {
    const net = new TestNet(4, { observers: 1 });
    net.start(1);
    const observer = net.nodes[4]!;
    const commits = ofKind(observer.log, 'commit');
    expect(commits).toHaveLength(1);
    expect(toHex(commits[0]!.digest)).toBe(toHex(ofKind(net.nodes[0]!.log, 'commit')[0]!.digest));
    verifyCommitCertificate(
      CHAIN_ID,
      commits[0]!.digest,
      0,
      commits[0]!.seals,
      net.validators,
      recover,
    );
    expect(broadcasts(observer.log)).toEqual([]);
    expect(ofKind(observer.log, 'wal-write')).toEqual([]);
    expect(ofKind(observer.log, 'build-block')).toEqual([]);
    expect(ofKind(observer.log, 'validate-block')).toHaveLength(1);
  });

  it('does not leave a round on its own timer but follows f + 1 ROUND-CHANGEs', () => {
    // The round-0 proposer is silent; the validators time out and commit in round 1.
    const net = new TestNet(4, { observers: 1, link: (from) => from !== 1 });
    net.start(1);
    const observer = net.nodes[4]!;
    expect(observer.engine.round).toBe(0);
    expect(net.timer(4)).toEqual([]);
    expect(observer.engine.round).toBe(0);
    for (const i of [0, 2, 3]) net.timer(i);
    expect(ofKind(observer.log, 'round-changed').map((r) => [r.round, r.reason])).toEqual([
      [1, 'f+1'],
    ]);
    const c = ofKind(observer.log, 'commit');
    expect(c.map((x) => x.round)).toEqual([1]);
    expect(broadcasts(observer.log)).toEqual([]);
  });

  it('a validator key outside the set behaves as an observer', () => {
    const e = newEngine(stranger);
    expect(e.handle(startInput(1, validators)).map((x) => x.kind)).toEqual(['schedule-timer']);
    expect(e.handle({ kind: 'timer', timer: 'round', height: 1, round: 0 })).toEqual([]);
    const fx = send(e, proposalMsg(signers[1]!, 1, 0, B));
    const ok = e.handle({ kind: 'block-validated', height: 1, digest: D, valid: true });
    expect(fx.map((x) => x.kind)).toEqual(['validate-block']);
    expect(ok).toEqual([]);
  });
});
