/**
 * The value agreed on determines the whole block (docs/consensus.md, "What the digest binds"):
 * with chain blocks, whose digest is the header hash, a body that does not match its header is
 * refused before any vote, validity is remembered for exact bytes only, a prepared block taken
 * from a ROUND-CHANGE is validated before it is re-proposed, and a decided block that cannot be
 * written does not leave the engine committed.
 */
import { describe, expect, it } from 'vitest';
import {
  chainBlockCodec,
  decodeBlock,
  encodeBlock,
  encodeProposal,
} from '../../src/chain/block.js';
import { asBytes, asList, asUint, rlpDecode, rlpEncode } from '../../src/codec/rlp.js';
import { toHex } from '../../src/crypto/bytes.js';
import { keccak256 } from '../../src/crypto/keccak.js';
import type { QbftEngine } from '../../src/consensus/engine.js';
import {
  encodeMessage,
  signCommit,
  signPrepare,
  signProposalPayload,
} from '../../src/consensus/messages.js';
import { MessageType, type BlockCodec, type EngineEffect } from '../../src/consensus/types.js';
import { buildSimBlock, SIM_GENESIS } from '../../src/sim/consensus/block.js';
import {
  broadcasts,
  CHAIN_ID,
  makeSigners,
  newEngine,
  ofKind,
  prepareMsg,
  proposalMsg,
  payloadOf,
  roundChangeMsg,
  startInput,
} from './helpers.js';

const signers = makeSigners(4);
const validators = signers.map((s) => s.address);
const codec = chainBlockCodec;

/** A chain block of height 1 (header + body bound by its transactions root). */
function block(round: number, proposer: number, nonce = 0): Uint8Array {
  return buildSimBlock({
    height: 1,
    round,
    parent: SIM_GENESIS,
    proposer: validators[proposer]!,
    valid: true,
    nonce,
    parentCertificate: { round: 0, bitmap: new Uint8Array(0), seals: [] },
  });
}

/** The same header over another body: what a byzantine sender substitutes. */
function otherBody(bytes: Uint8Array, extra = 'substituted'): Uint8Array {
  const b = decodeBlock(bytes);
  return encodeBlock({ ...b, transactions: [...b.transactions, new TextEncoder().encode(extra)] });
}

const digest = (bytes: Uint8Array) => codec.inspect(bytes).digest;
const commitMsg = (i: number, d: Uint8Array) =>
  encodeMessage({ type: MessageType.Commit, signed: signCommit(signers[i]!, CHAIN_ID, 1, 0, d) });
const send = (e: QbftEngine, bytes: Uint8Array) => e.handle({ kind: 'message', bytes });
const reasons = (fx: EngineEffect[]) => ofKind(fx, 'rejected').map((r) => r.reason);

/** A node that accepted B0 = block(0, 1) in round 0 and has every PREPARE: prepared, not committed. */
function preparedNode(index: number): { e: QbftEngine; b0: Uint8Array } {
  const b0 = block(0, 1);
  const e = newEngine(signers[index]!, { codec });
  e.handle(startInput(1, validators));
  const fx = send(e, proposalMsg(signers[1]!, 1, 0, b0, [], [], digest(b0)));
  const v = ofKind(fx, 'validate-block')[0];
  if (v) e.handle({ kind: 'block-validated', height: 1, digest: v.digest, valid: true });
  for (const i of [1, 2, 3]) if (i !== index) send(e, prepareMsg(signers[i]!, 1, 0, digest(b0)));
  return { e, b0 };
}

const preparesFor = (b0: Uint8Array) =>
  [1, 2, 3].map((i) => signPrepare(signers[i]!, CHAIN_ID, 1, 0, digest(b0)));

describe('the chain codec binds the body to the header', () => {
  it('refuses a block whose body is not the one its transactions root names', () => {
    const b = block(0, 1);
    expect(() => codec.inspect(b)).not.toThrow();
    expect(() => codec.inspect(otherBody(b))).toThrow(/transactions root mismatch/);
    const dropped = decodeBlock(b);
    expect(() =>
      codec.inspect(encodeBlock({ ...dropped, transactions: dropped.transactions.slice(1) })),
    ).toThrow(/transactions root mismatch/);
    expect(() => codec.inspect(encodeBlock({ ...dropped, transactions: [] }))).toThrow(
      /transactions root mismatch/,
    );
  });

  it('refuses a proposed block that carries a commit round or seals', () => {
    const b = decodeBlock(block(0, 1));
    const sealed = { ...b, header: { ...b.header, extra: { ...b.header.extra, round: 2 } } };
    expect(() => codec.inspect(encodeBlock(sealed))).toThrow(/no commit round or seals/);
  });

  it('reports the round the block was built for', () => {
    expect(codec.inspect(block(5, 2)).round).toBe(5);
    expect(codec.inspect(block(5, 2)).height).toBe(1);
  });

  it('knows a block this process encoded as its proposal by its bytes object; a copy is inspected in full', () => {
    const b = decodeBlock(block(3, 1));
    const own = encodeProposal(b).bytes;
    expect(codec.inspect(own)).toEqual(codec.inspect(own.slice()));
    // The shortcut is by identity: the same bytes from anywhere else (a peer) are checked, and
    // a body the header does not name is refused there even if this process encoded it.
    const unbound = encodeProposal({ ...b, transactions: [new TextEncoder().encode('x')] }).bytes;
    expect(codec.inspect(unbound).digest).toEqual(codec.inspect(own).digest);
    expect(() => codec.inspect(unbound.slice())).toThrow(/transactions root mismatch/);
    // Only proposals: a sealed block is not one.
    const sealed = { ...b, header: { ...b.header, extra: { ...b.header.extra, round: 2 } } };
    expect(() => encodeProposal(sealed)).toThrow(/no commit round or seals/);
  });

  it('the proposer inspects the block it proposes once, not again when its PROPOSAL comes back', () => {
    const inspected: Uint8Array[] = [];
    const counting: BlockCodec = {
      inspect(bytes) {
        inspected.push(bytes);
        return codec.inspect(bytes);
      },
    };
    const e = newEngine(signers[1]!, { codec: counting });
    const start = e.handle(startInput(1, validators));
    expect(ofKind(start, 'build-block')).toHaveLength(1);
    const b = block(0, 1);
    const fx = e.handle({ kind: 'block-built', height: 1, round: 0, block: b });
    expect(broadcasts(fx, MessageType.Proposal)).toHaveLength(1);
    expect(broadcasts(fx, MessageType.Prepare)).toHaveLength(1);
    expect(inspected).toEqual([b]);
  });
});

describe('a body substituted under a prepared header', () => {
  it('in a ROUND-CHANGE is refused before it counts, and leaves no state', () => {
    const { e, b0 } = preparedNode(0);
    const before = e.stats();
    // Validator 3 reports the genuine round-0 certificate with another body under its header.
    const forged = roundChangeMsg(signers[3]!, 1, 1, {
      ref: { round: 0, digest: digest(b0) },
      block: otherBody(b0),
      prepares: preparesFor(b0),
    });
    const fx = send(e, forged);
    expect(reasons(fx)).toEqual([
      expect.stringMatching(/invalid ROUND-CHANGE: malformed block: transactions root mismatch/),
    ]);
    expect(e.stats()).toEqual(before);
    // It does not count towards f + 1 either: one more honest ROUND-CHANGE is not enough.
    send(e, roundChangeMsg(signers[2]!, 1, 1));
    expect(e.round).toBe(0);
  });

  it('by the proposer of round 1 is never re-proposed: the honest certificates are', () => {
    // Validator 2 proposes round 1. Byzantine validator 3 (its address sorts first, so its
    // ROUND-CHANGE would be picked among equal certificates) reports B0's header over an empty
    // body.
    const { e, b0 } = preparedNode(2);
    const empty = encodeBlock({ ...decodeBlock(b0), transactions: [] });
    const ref = { round: 0, digest: digest(b0) };
    const forged = roundChangeMsg(signers[3]!, 1, 1, {
      ref,
      block: empty,
      prepares: preparesFor(b0),
    });
    expect(reasons(send(e, forged))[0]).toMatch(/transactions root mismatch/);
    const honest = (i: number) =>
      roundChangeMsg(signers[i]!, 1, 1, { ref, block: b0, prepares: preparesFor(b0) });
    send(e, honest(0));
    const fx = send(e, honest(1));
    const proposals = broadcasts(fx, MessageType.Proposal);
    expect(proposals).toHaveLength(1);
    const [, proposed] = asList(rlpDecode(proposals[0]!.bytes), 'proposal');
    expect(toHex(proposed as Uint8Array)).toBe(toHex(b0));
  });
});

describe('re-proposing a prepared block', () => {
  it('validates the bytes taken from a ROUND-CHANGE before signing a PROPOSAL for them', () => {
    // Validator 2, proposer of round 1, never saw round 0: B0 comes only inside ROUND-CHANGEs.
    const b0 = block(0, 1);
    const e = newEngine(signers[2]!, { codec });
    e.handle(startInput(1, validators));
    const ref = { round: 0, digest: digest(b0) };
    const rc = (i: number) =>
      roundChangeMsg(signers[i]!, 1, 1, { ref, block: b0, prepares: preparesFor(b0) });
    send(e, rc(0));
    const fx = send(e, rc(1)); // f + 1: joins round 1, own ROUND-CHANGE makes q
    expect(e.round).toBe(1);
    expect(broadcasts(fx, MessageType.Proposal)).toEqual([]);
    const v = ofKind(fx, 'validate-block');
    expect(v.map((x) => [x.round, toHex(x.digest), toHex(x.block)])).toEqual([
      [1, toHex(digest(b0)), toHex(b0)],
    ]);
    const after = e.handle({ kind: 'block-validated', height: 1, digest: digest(b0), valid: true });
    expect(broadcasts(after).map((b) => [b.type, b.round])).toEqual([
      [MessageType.Proposal, 1],
      [MessageType.Prepare, 1],
    ]);
  });

  it('does not re-propose a prepared block found invalid', () => {
    const b0 = block(0, 1);
    const e = newEngine(signers[2]!, { codec });
    e.handle(startInput(1, validators));
    const ref = { round: 0, digest: digest(b0) };
    for (const i of [0, 1])
      send(e, roundChangeMsg(signers[i]!, 1, 1, { ref, block: b0, prepares: preparesFor(b0) }));
    const fx = e.handle({
      kind: 'block-validated',
      height: 1,
      digest: digest(b0),
      valid: false,
      reason: 'state root mismatch',
    });
    expect(broadcasts(fx)).toEqual([]);
    expect(reasons(fx)).toEqual(['not re-proposing the prepared block of round 0: it is invalid']);
  });
});

/**
 * A codec that, like a header hash without a body check, names two byte strings with one digest:
 * the digest covers the first RLP item only. The engine's own validity cache must still tell them
 * apart.
 */
const headerOnlyCodec: BlockCodec = {
  inspect(bytes) {
    const [height, header, body] = asList(rlpDecode(bytes), 'test block', 3);
    asBytes(body, 'body');
    return {
      digest: keccak256(asBytes(header, 'header')),
      height: Number(asUint(height, 'height', 6)),
      round: null,
    };
  },
};

describe('validity is remembered for exact bytes, not for a digest', () => {
  const te = new TextEncoder();
  const x = rlpEncode([1, te.encode('header'), te.encode('good body')]);
  const y = rlpEncode([1, te.encode('header'), te.encode('bad body')]);

  it('two byte strings with one digest are each validated', () => {
    expect(toHex(headerOnlyCodec.inspect(x).digest)).toBe(toHex(headerOnlyCodec.inspect(y).digest));
    const d = headerOnlyCodec.inspect(x).digest;
    const e = newEngine(signers[0]!, { codec: headerOnlyCodec });
    e.handle(startInput(1, validators));
    // Round 0: X is proposed and found valid.
    const fx = send(e, proposalMsg(signers[1]!, 1, 0, x, [], [], d));
    expect(ofKind(fx, 'validate-block').map((v) => toHex(v.block))).toEqual([toHex(x)]);
    e.handle({ kind: 'block-validated', height: 1, digest: d, valid: true });
    // Round 1 (nobody prepared): Y, same digest, other bytes. It must be validated itself.
    e.handle({ kind: 'timer', timer: 'round', height: 1, round: 0 });
    const rcs = [1, 2, 3].map((i) => payloadOf(roundChangeMsg(signers[i]!, 1, 1)));
    const p1 = encodeMessage({
      type: MessageType.Proposal,
      signed: signProposalPayload(signers[2]!, CHAIN_ID, 1, 1, d),
      block: y,
      roundChanges: rcs,
      prepares: [],
    });
    const fy = send(e, p1);
    expect(broadcasts(fy, MessageType.Prepare)).toEqual([]);
    expect(ofKind(fy, 'validate-block').map((v) => toHex(v.block))).toEqual([toHex(y)]);
    const bad = e.handle({
      kind: 'block-validated',
      height: 1,
      digest: d,
      valid: false,
      reason: 'bad body',
    });
    expect(broadcasts(bad)).toEqual([]);
    expect(reasons(bad)).toEqual(['invalid block proposed: bad body']);
  });
});

describe('a byzantine round-0 proposer with one header and two bodies', () => {
  it('does not poison later rounds: the unbound body is refused with no verdict kept', () => {
    const b0 = block(0, 1);
    const d = digest(b0);
    const e = newEngine(signers[0]!, { codec });
    e.handle(startInput(1, validators));
    // This node gets the header with the wrong body first.
    const wrong = send(e, proposalMsg(signers[1]!, 1, 0, otherBody(b0), [], [], d));
    expect(reasons(wrong)[0]).toMatch(/invalid PROPOSAL: malformed block: transactions root/);
    expect(ofKind(wrong, 'validate-block')).toEqual([]);
    // The genuine bytes, in the same round or re-proposed later, are judged on their own.
    const right = send(e, proposalMsg(signers[1]!, 1, 0, b0, [], [], d));
    expect(ofKind(right, 'validate-block').map((v) => toHex(v.block))).toEqual([toHex(b0)]);
    const ok = e.handle({ kind: 'block-validated', height: 1, digest: d, valid: true });
    expect(broadcasts(ok).map((b) => b.type)).toEqual([MessageType.Prepare]);
  });
});

describe('a decided block that cannot be written', () => {
  function decided(): { e: QbftEngine; d: Uint8Array; fx: EngineEffect[] } {
    const { e, b0 } = preparedNode(0);
    const d = digest(b0);
    let fx: EngineEffect[] = [];
    for (const i of [1, 2]) fx = send(e, commitMsg(i, d));
    return { e, d, fx };
  }

  it('leaves the committed state, is never committed again, and keeps the round timer', () => {
    const { e, d, fx } = decided();
    expect(ofKind(fx, 'commit')).toHaveLength(1);
    expect(e.isCommitted).toBe(true);
    const failed = e.handle({ kind: 'commit-failed', height: 1, digest: d, reason: 'disk full' });
    expect(e.isCommitted).toBe(false);
    expect(reasons(failed)).toEqual([`decided block ${toHex(d)} could not be written: disk full`]);
    expect(ofKind(failed, 'schedule-timer').map((t) => [t.timer, t.round])).toEqual([['round', 0]]);
    // More COMMITs for it do not commit it again; the round timer moves the node on.
    expect(ofKind(send(e, commitMsg(3, d)), 'commit')).toEqual([]);
    const next = e.handle({ kind: 'timer', timer: 'round', height: 1, round: 0 });
    expect(e.round).toBe(1);
    expect(broadcasts(next, MessageType.RoundChange)).toHaveLength(1);
    // A new height still starts normally (the block came by sync).
    e.handle(startInput(2, validators));
    expect(e.height).toBe(2);
  });
});

describe('a write-ahead log with a block that does not check (written before the fix)', () => {
  it('neither re-sends the logged PROPOSAL nor reports the prepared certificate', () => {
    const b0 = block(0, 1);
    const bad = otherBody(b0);
    const d = digest(b0);
    // Validator 1 had proposed the unbound bytes in round 0 and prepared them; it restarts.
    const proposal = proposalMsg(signers[1]!, 1, 0, bad, [], [], d);
    const e = newEngine(signers[1]!, {
      codec,
      wal: [
        {
          kind: 'signed',
          height: 1,
          round: 0,
          type: MessageType.Proposal,
          digest: d,
          message: proposal,
        },
        {
          kind: 'prepared',
          height: 1,
          round: 0,
          block: bad,
          prepares: preparesFor(b0).map((p) => p.encoded),
        },
      ],
    });
    const fx = e.handle(startInput(1, validators));
    expect(broadcasts(fx)).toEqual([]);
    expect(reasons(fx)).toEqual([
      expect.stringMatching(
        /write-ahead log: prepared block of round 0 dropped: transactions root/,
      ),
      expect.stringMatching(
        /write-ahead log: own PROPOSAL of round 0 not re-sent: malformed block/,
      ),
    ]);
    // Its ROUND-CHANGE for round 1 reports nothing prepared.
    const rc = broadcasts(
      e.handle({ kind: 'timer', timer: 'round', height: 1, round: 0 }),
      MessageType.RoundChange,
    );
    expect(rc).toHaveLength(1);
    expect(payloadOf(rc[0]!.bytes).prepared).toBeNull();
  });
});
