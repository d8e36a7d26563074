/** QBFT engine flows with 4 (and 7) validators driven by hand. */
import { describe, expect, it } from 'vitest';
import { equalBytes, toHex } from '../../src/crypto/bytes.js';
import { verifyCommitCertificate } from '../../src/consensus/certificate.js';
import { decodeMessage, encodeMessage, signCommit } from '../../src/consensus/messages.js';
import { MessageType } from '../../src/consensus/types.js';
import {
  CHAIN_ID,
  broadcasts,
  digestOf,
  kinds,
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

const LIMITS = { chainId: CHAIN_ID, maxMessageBytes: 1 << 20, maxJustification: 1024 };

describe('happy path', () => {
  it('4 validators commit the round-0 block of the proposer with q = 3 valid seals', () => {
    const net = new TestNet(4);
    net.start(1);
    const commits = net.commits();
    const expected = makeBlock(1, 'block 1/0 by 1'); // proposer of (1, 0) is order[1]
    for (const c of commits) {
      expect(c).toHaveLength(1);
      const commit = c[0]!;
      expect([commit.height, commit.round]).toEqual([1, 0]);
      expect(toHex(commit.block)).toBe(toHex(expected));
      expect(toHex(commit.digest)).toBe(toHex(digestOf(expected)));
      expect(commit.seals).toHaveLength(3);
      expect(() =>
        verifyCommitCertificate(CHAIN_ID, commit.digest, 0, commit.seals, net.validators, recover),
      ).not.toThrow();
      // Seals come in validator order, each from the validator it names.
      const idx = commit.seals.map((s) =>
        net.validators.findIndex((v) => equalBytes(v, s.validator)),
      );
      expect([...idx].sort((a, b) => a - b)).toEqual(idx);
    }
    expect(net.nodes.every((n) => n.engine.isCommitted)).toBe(true);
    // Exactly one PROPOSAL, one PREPARE and one COMMIT per validator; no round change.
    for (const n of net.nodes) {
      expect(broadcasts(n.log, MessageType.Proposal)).toHaveLength(n.index === 1 ? 1 : 0);
      expect(broadcasts(n.log, MessageType.Prepare)).toHaveLength(1);
      expect(broadcasts(n.log, MessageType.Commit)).toHaveLength(1);
      expect(broadcasts(n.log, MessageType.RoundChange)).toHaveLength(0);
      expect(ofKind(n.log, 'rejected')).toEqual([]);
    }
  });

  it('a height started with its own settings times out by them, and so do the heights after it', () => {
    const [, v1] = makeSigners(2);
    const validators = makeSigners(4).map((s) => s.address);
    const e = newEngine(v1!);
    const timer = (fx: ReturnType<typeof e.handle>) => ofKind(fx, 'schedule-timer')[0]!.delayMs;
    expect(timer(e.handle(startInput(1, validators)))).toBe(1000);
    // The block time in the head's state became 2.5 s: round 0 waits 5 s, round 1 twice that.
    const cfg = { baseTimeoutMs: 5000, maxRoundTimeoutMs: 60_000 };
    expect(timer(e.handle({ kind: 'start-height', height: 2, validators, config: cfg }))).toBe(
      5000,
    );
    expect(timer(e.handle({ kind: 'timer', timer: 'round', height: 2, round: 0 }))).toBe(10_000);
    // A stale start of a past height changes nothing.
    e.handle({ kind: 'start-height', height: 1, validators, config: { baseTimeoutMs: 1 } });
    expect(timer(e.handle({ kind: 'timer', timer: 'round', height: 2, round: 1 }))).toBe(20_000);
    // Without settings a height keeps the last ones given.
    expect(timer(e.handle(startInput(3, validators)))).toBe(5000);
  });

  it('the proposer asks for a block, then signs and broadcasts its PROPOSAL and its own PREPARE', () => {
    const [v0, v1] = makeSigners(2);
    const validators = makeSigners(4).map((s) => s.address);
    const e = newEngine(v1!);
    expect(e.handle(startInput(1, validators))).toEqual([
      { kind: 'schedule-timer', timer: 'round', height: 1, round: 0, delayMs: 1000 },
      { kind: 'build-block', height: 1, round: 0 },
    ]);
    const block = makeBlock(1, 'mine');
    const fx = e.handle({ kind: 'block-built', height: 1, round: 0, block });
    expect(kinds(fx)).toEqual([
      'wal-write',
      'broadcast:Proposal',
      'wal-write',
      'broadcast:Prepare',
    ]);
    const [walP, proposal, walV, prepare] = fx as [
      Extract<(typeof fx)[number], { kind: 'wal-write' }>,
      Extract<(typeof fx)[number], { kind: 'broadcast' }>,
      Extract<(typeof fx)[number], { kind: 'wal-write' }>,
      Extract<(typeof fx)[number], { kind: 'broadcast' }>,
    ];
    // The write-ahead log holds exactly the bytes that leave, before they leave.
    expect(walP.record).toMatchObject({
      kind: 'signed',
      height: 1,
      round: 0,
      type: MessageType.Proposal,
    });
    expect(walP.record.kind === 'signed' && walP.record.message).toEqual(proposal.bytes);
    expect(walV.record.kind === 'signed' && walV.record.message).toEqual(prepare.bytes);
    expect(toHex(proposal.bytes)).toBe(toHex(proposalMsg(v1!, 1, 0, block)));
    expect(toHex(prepare.bytes)).toBe(toHex(prepareMsg(v1!, 1, 0, digestOf(block))));
    // A non-proposer builds nothing.
    expect(kinds(newEngine(v0!).handle(startInput(1, validators)))).toEqual(['schedule-timer']);
  });

  it('a validator validates the proposal first and prepares only after a valid answer', () => {
    const signers = makeSigners(4);
    const validators = signers.map((s) => s.address);
    const e = newEngine(signers[0]!);
    e.handle(startInput(1, validators));
    const block = makeBlock(1, 'proposed');
    const fx = e.handle({ kind: 'message', bytes: proposalMsg(signers[1]!, 1, 0, block) });
    expect(fx).toEqual([
      { kind: 'validate-block', height: 1, round: 0, digest: digestOf(block), block },
    ]);
    const ok = e.handle({
      kind: 'block-validated',
      height: 1,
      digest: digestOf(block),
      valid: true,
    });
    expect(kinds(ok)).toEqual(['wal-write', 'broadcast:Prepare']);
    expect(toHex(broadcasts(ok)[0]!.bytes)).toBe(
      toHex(prepareMsg(signers[0]!, 1, 0, digestOf(block))),
    );
  });

  it('an invalid block gets no PREPARE, no COMMIT and is never committed', () => {
    const signers = makeSigners(4);
    const validators = signers.map((s) => s.address);
    const e = newEngine(signers[0]!);
    e.handle(startInput(1, validators));
    const block = makeBlock(1, 'bad');
    const d = digestOf(block);
    e.handle({ kind: 'message', bytes: proposalMsg(signers[1]!, 1, 0, block) });
    const fx = e.handle({
      kind: 'block-validated',
      height: 1,
      digest: d,
      valid: false,
      reason: 'bad state root',
    });
    expect(fx).toEqual([
      {
        kind: 'rejected',
        reason: 'invalid block proposed: bad state root',
        author: signers[1]!.address,
      },
    ]);
    // Even q PREPAREs and q COMMITs from the others do not make it sign or commit.
    const later = [1, 2, 3].flatMap((i) => [
      ...e.handle({ kind: 'message', bytes: prepareMsg(signers[i]!, 1, 0, d) }),
    ]);
    expect(later).toEqual([]);
    expect(e.isCommitted).toBe(false);
    // The same block proposed again is known invalid: no second validation request.
    expect(
      e.handle({ kind: 'message', bytes: proposalMsg(signers[1]!, 1, 0, block, [], [], d) }),
    ).toEqual([]);
  });

  it('blocks that the others find invalid are never prepared; the next round commits', () => {
    const invalid = (block: Uint8Array): boolean =>
      new TextDecoder().decode(block).includes('by 1');
    const net = new TestNet(4, { validate: (_node, block) => !invalid(block) });
    net.start(1);
    expect(net.commits().flat()).toEqual([]);
    for (const i of [0, 2, 3]) {
      expect(broadcasts(net.nodes[i]!.log)).toEqual([]);
      expect(ofKind(net.nodes[i]!.log, 'rejected').map((r) => r.reason)).toEqual([
        'invalid block proposed: rejected by validation',
      ]);
    }
    for (const n of net.nodes) net.timer(n.index);
    for (const c of net.commits()) {
      expect(c.map((x) => [x.round, toHex(x.block)])).toEqual([
        [1, toHex(makeBlock(1, 'block 1/1 by 2'))],
      ]);
    }
  });

  it('7 validators commit with q = 5 seals', () => {
    const net = new TestNet(7);
    net.start(3);
    for (const c of net.commits()) {
      expect(c).toHaveLength(1);
      expect(c[0]!.seals).toHaveLength(5);
      expect(toHex(c[0]!.block)).toBe(toHex(makeBlock(3, 'block 3/0 by 3')));
      verifyCommitCertificate(CHAIN_ID, c[0]!.digest, 0, c[0]!.seals, net.validators, recover);
    }
  });

  it('commits while f = 1 validator is silent, and not with two silent', () => {
    const one = new TestNet(4, { link: (from) => from !== 3 });
    one.start(1);
    expect(
      one
        .commits()
        .slice(0, 3)
        .map((c) => c.length),
    ).toEqual([1, 1, 1]);
    const two = new TestNet(4, { link: (from) => from < 2 });
    two.start(1);
    expect(two.commits().map((c) => c.length)).toEqual([0, 0, 0, 0]);
  });
});

describe('round change', () => {
  const signers = makeSigners(4);
  const validators = signers.map((s) => s.address);

  it('timer expiry broadcasts a ROUND-CHANGE and doubles the timeout; it is re-sent every base period', () => {
    const e = newEngine(signers[0]!);
    e.handle(startInput(1, validators));
    const fx = e.handle({ kind: 'timer', timer: 'round', height: 1, round: 0 });
    const rc = roundChangeMsg(signers[0]!, 1, 1);
    expect(fx).toEqual([
      { kind: 'round-changed', height: 1, round: 1, reason: 'timeout' },
      { kind: 'schedule-timer', timer: 'round', height: 1, round: 1, delayMs: 2000 },
      {
        kind: 'wal-write',
        record: {
          kind: 'signed',
          height: 1,
          round: 1,
          type: MessageType.RoundChange,
          digest: expect.any(Uint8Array),
          message: rc,
        },
      },
      { kind: 'broadcast', type: MessageType.RoundChange, height: 1, round: 1, bytes: rc },
      { kind: 'schedule-timer', timer: 'resend-round-change', height: 1, round: 1, delayMs: 1000 },
    ]);
    for (let i = 0; i < 3; i++) {
      expect(
        e.handle({ kind: 'timer', timer: 'resend-round-change', height: 1, round: 1 }),
      ).toEqual([
        { kind: 'broadcast', type: MessageType.RoundChange, height: 1, round: 1, bytes: rc },
        {
          kind: 'schedule-timer',
          timer: 'resend-round-change',
          height: 1,
          round: 1,
          delayMs: 1000,
        },
      ]);
    }
    // Further expiries: 4000, 8000, then the cap 8000.
    const delays: number[] = [];
    for (let r = 1; r <= 3; r++) {
      const next = e.handle({ kind: 'timer', timer: 'round', height: 1, round: r });
      delays.push(ofKind(next, 'schedule-timer').find((t) => t.timer === 'round')!.delayMs);
    }
    expect(delays).toEqual([4000, 8000, 8000]);
    expect(e.round).toBe(4);
  });

  it('stale timers (other round or height, or after commit) do nothing', () => {
    const e = newEngine(signers[0]!);
    e.handle(startInput(1, validators));
    e.handle({ kind: 'timer', timer: 'round', height: 1, round: 0 });
    expect(e.handle({ kind: 'timer', timer: 'round', height: 1, round: 0 })).toEqual([]);
    expect(e.handle({ kind: 'timer', timer: 'resend-round-change', height: 1, round: 0 })).toEqual(
      [],
    );
    expect(e.handle({ kind: 'timer', timer: 'round', height: 2, round: 1 })).toEqual([]);
    expect(e.round).toBe(1);
  });

  it('f + 1 = 2 ROUND-CHANGEs for higher rounds make a node jump to the lower of them', () => {
    const e = newEngine(signers[0]!);
    e.handle(startInput(1, validators));
    expect(e.handle({ kind: 'message', bytes: roundChangeMsg(signers[1]!, 1, 5) })).toEqual([]);
    expect(e.round).toBe(0);
    const fx = e.handle({ kind: 'message', bytes: roundChangeMsg(signers[2]!, 1, 3) });
    expect(fx[0]).toEqual({ kind: 'round-changed', height: 1, round: 3, reason: 'f+1' });
    expect(e.round).toBe(3);
    expect(broadcasts(fx, MessageType.RoundChange).map((b) => toHex(b.bytes))).toEqual([
      toHex(roundChangeMsg(signers[0]!, 1, 3)),
    ]);
    expect(ofKind(fx, 'schedule-timer').map((t) => [t.timer, t.delayMs])).toEqual([
      ['round', 8000],
      ['resend-round-change', 1000],
    ]);
  });

  it('with 7 validators (f = 2) it joins the highest round that f + 1 of them reached', () => {
    const seven = makeSigners(7);
    const e = newEngine(seven[0]!);
    e.handle(
      startInput(
        1,
        seven.map((s) => s.address),
      ),
    );
    e.handle({ kind: 'message', bytes: roundChangeMsg(seven[1]!, 1, 2) });
    e.handle({ kind: 'message', bytes: roundChangeMsg(seven[2]!, 1, 9) });
    expect(e.round).toBe(0);
    const fx = e.handle({ kind: 'message', bytes: roundChangeMsg(seven[3]!, 1, 6) });
    expect(fx[0]).toEqual({ kind: 'round-changed', height: 1, round: 2, reason: 'f+1' });
    // Now 9, 9 and 6 are above round 2: the third highest is 6.
    const fx2 = e.handle({ kind: 'message', bytes: roundChangeMsg(seven[4]!, 1, 9) });
    expect(fx2[0]).toEqual({ kind: 'round-changed', height: 1, round: 6, reason: 'f+1' });
    expect(e.round).toBe(6);
  });

  it('a block prepared in round 0 is re-proposed in round 1 with its q PREPAREs', () => {
    // COMMITs of round 0 are lost: everyone is prepared, nobody commits, the round times out.
    const net = new TestNet(4, {
      link: (_from, _to, b) => !(b.type === MessageType.Commit && b.round === 0),
    });
    net.start(1);
    expect(net.commits().flat()).toEqual([]);
    const b0 = makeBlock(1, 'block 1/0 by 1');
    const d0 = digestOf(b0);
    for (const n of net.nodes) net.timer(n.index);

    const proposer = net.nodes[2]!; // proposer of (1, 1)
    expect(ofKind(proposer.log, 'build-block').map((b) => b.round)).toEqual([]);
    const p1 = broadcasts(proposer.log, MessageType.Proposal);
    expect(p1).toHaveLength(1);
    const m = decodeMessage(p1[0]!.bytes, recover, LIMITS);
    if (m.type !== MessageType.Proposal) throw new Error('expected a PROPOSAL');
    expect([m.signed.height, m.signed.round]).toEqual([1, 1]);
    expect(toHex(m.block)).toBe(toHex(b0));
    expect(m.roundChanges.length).toBeGreaterThanOrEqual(3);
    expect(m.roundChanges.every((rc) => rc.round === 1 && rc.prepared?.round === 0)).toBe(true);
    expect(m.prepares).toHaveLength(3);
    expect(m.prepares.every((p) => p.round === 0 && equalBytes(p.digest, d0))).toBe(true);

    for (const c of net.commits()) {
      expect(c).toHaveLength(1);
      expect([c[0]!.round, toHex(c[0]!.digest)]).toEqual([1, toHex(d0)]);
      verifyCommitCertificate(CHAIN_ID, d0, 1, c[0]!.seals, net.validators, recover);
    }
    // Every ROUND-CHANGE reported the round-0 certificate.
    for (const n of net.nodes) {
      const rc = broadcasts(n.log, MessageType.RoundChange)[0]!;
      const dm = decodeMessage(rc.bytes, recover, LIMITS);
      if (dm.type !== MessageType.RoundChange) throw new Error('expected a ROUND-CHANGE');
      expect(dm.signed.prepared).toEqual({ round: 0, digest: d0 });
      expect(toHex(dm.preparedBlock!)).toBe(toHex(b0));
      expect(dm.prepares).toHaveLength(3);
    }
  });

  it('COMMITs for an earlier round still finalise that round after a round change', () => {
    const e = newEngine(signers[0]!);
    e.handle(startInput(1, validators));
    const block = makeBlock(1, 'late');
    const d = digestOf(block);
    e.handle({ kind: 'message', bytes: proposalMsg(signers[1]!, 1, 0, block) });
    e.handle({ kind: 'block-validated', height: 1, digest: d, valid: true });
    e.handle({ kind: 'message', bytes: prepareMsg(signers[1]!, 1, 0, d) });
    const own = e.handle({ kind: 'message', bytes: prepareMsg(signers[2]!, 1, 0, d) });
    expect(broadcasts(own).map((b) => b.type)).toEqual([MessageType.Commit]);
    e.handle({ kind: 'timer', timer: 'round', height: 1, round: 0 });
    expect(e.round).toBe(1);
    const commit = (i: number): Uint8Array =>
      encodeMessage({
        type: MessageType.Commit,
        signed: signCommit(signers[i]!, CHAIN_ID, 1, 0, d),
      });
    expect(e.handle({ kind: 'message', bytes: commit(1) })).toEqual([]);
    const fx = e.handle({ kind: 'message', bytes: commit(3) });
    const c = ofKind(fx, 'commit');
    expect(c.map((x) => [x.height, x.round, toHex(x.digest)])).toEqual([[1, 0, toHex(d)]]);
    expect(c[0]!.seals.map((s) => toHex(s.validator))).toEqual(
      [0, 1, 3].map((i) => toHex(validators[i]!)),
    );
    verifyCommitCertificate(CHAIN_ID, d, 0, c[0]!.seals, validators, recover);
    // Once committed, the height ignores everything else.
    expect(e.isCommitted).toBe(true);
    expect(e.handle({ kind: 'timer', timer: 'round', height: 1, round: 1 })).toEqual([]);
    expect(e.handle({ kind: 'message', bytes: roundChangeMsg(signers[2]!, 1, 5) })).toEqual([]);
  });

  it('the proposer of round 1 waits for q ROUND-CHANGEs, not f + 1', () => {
    const e = newEngine(signers[2]!); // proposer of (1, 1)
    e.handle(startInput(1, validators));
    e.handle({ kind: 'message', bytes: roundChangeMsg(signers[0]!, 1, 1) });
    const fx = e.handle({ kind: 'message', bytes: roundChangeMsg(signers[1]!, 1, 1) });
    // f + 1 = 2 moved it to round 1; with its own that makes q = 3: it asks for a block.
    expect(fx[0]).toEqual({ kind: 'round-changed', height: 1, round: 1, reason: 'f+1' });
    expect(ofKind(fx, 'build-block')).toEqual([{ kind: 'build-block', height: 1, round: 1 }]);
    const e2 = newEngine(signers[2]!);
    e2.handle(startInput(1, validators));
    e2.handle({ kind: 'timer', timer: 'round', height: 1, round: 0 });
    const one = e2.handle({ kind: 'message', bytes: roundChangeMsg(signers[0]!, 1, 1) });
    expect(ofKind(one, 'build-block')).toEqual([]); // own + 1 = 2 < q
  });

  it('a new block is proposed in round 1 when nobody prepared in round 0', () => {
    // The round-0 proposer is silent.
    const net = new TestNet(4, { link: (from) => from !== 1 });
    net.start(1);
    for (const n of net.nodes) net.timer(n.index);
    const commits = net.commits();
    for (const i of [0, 2, 3]) {
      expect(commits[i]).toHaveLength(1);
      expect(commits[i]![0]!.round).toBe(1);
      expect(toHex(commits[i]![0]!.block)).toBe(toHex(makeBlock(1, 'block 1/1 by 2')));
    }
    expect(ofKind(net.nodes[2]!.log, 'build-block').map((b) => b.round)).toEqual([1]);
  });

  it('a justified proposal for a later round moves a node to that round', () => {
    const e = newEngine(signers[0]!);
    e.handle(startInput(1, validators));
    const block = makeBlock(1, 'round two');
    const rcs = [1, 2, 3].map((i) => roundChangeMsg(signers[i]!, 1, 2));
    const payloads = rcs.map((bytes) => {
      const m = decodeMessage(bytes, recover, LIMITS);
      return m.signed;
    });
    // Proposer of (1, 2) is order[3].
    const fx = e.handle({
      kind: 'message',
      bytes: proposalMsg(signers[3]!, 1, 2, block, payloads),
    });
    expect(fx[0]).toEqual({ kind: 'round-changed', height: 1, round: 2, reason: 'proposal' });
    expect(e.round).toBe(2);
    expect(ofKind(fx, 'validate-block').map((v) => [v.round, toHex(v.digest)])).toEqual([
      [2, toHex(digestOf(block))],
    ]);
  });
});
