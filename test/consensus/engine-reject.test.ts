/** What the engine refuses: each case gives one `rejected` effect and leaves the state as it was. */
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { toHex } from '../../src/crypto/bytes.js';
import { DecodeError, rlpEncode, type RlpInput } from '../../src/codec/rlp.js';
import { QbftEngine } from '../../src/consensus/engine.js';
import {
  commitSealDigest,
  payloadSigningHash,
  decodeMessage,
  encodeMessage,
  signCommit,
  signPrepare,
  signRoundChange,
  type ConsensusMessage,
  type PreparedRef,
  type SignedPayload,
} from '../../src/consensus/messages.js';
import { MessageType, type EngineEffect } from '../../src/consensus/types.js';
import {
  CHAIN_ID,
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
  testCodec,
  TEST_CONFIG,
} from './helpers.js';

const signers = makeSigners(4);
const validators = signers.map((s) => s.address);
const stranger = makeSigners(1, 9)[0]!;
const B = makeBlock(1, 'the block');
const D = digestOf(B);
const B2 = makeBlock(1, 'another block');
const D2 = digestOf(B2);

function fresh(config = {}): QbftEngine {
  const e = newEngine(signers[0]!, { config });
  e.handle(startInput(1, validators));
  return e;
}

function send(e: QbftEngine, bytes: Uint8Array): EngineEffect[] {
  return e.handle({ kind: 'message', bytes });
}

function rejected(reason: string, authorIndex?: number): EngineEffect[] {
  return authorIndex === undefined
    ? [{ kind: 'rejected', reason }]
    : [
        {
          kind: 'rejected',
          reason,
          author: authorIndex < 0 ? stranger.address : validators[authorIndex]!,
        },
      ];
}

/** Round-1 ROUND-CHANGE payload of validator i. */
const rc = (i: number, round = 1, prepared: PreparedRef | null = null): SignedPayload =>
  signRoundChange(signers[i]!, CHAIN_ID, 1, round, prepared);
const prep = (i: number, digest = D, round = 0): SignedPayload =>
  signPrepare(signers[i]!, CHAIN_ID, 1, round, digest);

describe('messages from outside the validator set or badly signed', () => {
  it('a PREPARE from a non-validator', () => {
    const e = fresh();
    expect(send(e, prepareMsg(stranger, 1, 0, D))).toEqual(
      rejected(`PREPARE from non-validator ${toHex(stranger.address)}`, -1),
    );
    expect([e.height, e.round]).toEqual([1, 0]);
  });

  it('a PROPOSAL from a non-validator', () => {
    expect(send(fresh(), proposalMsg(stranger, 1, 0, B))).toEqual(
      rejected(`PROPOSAL from non-validator ${toHex(stranger.address)}`, -1),
    );
  });

  it('a tampered payload recovers to a stranger', () => {
    const good = prepareMsg(signers[1]!, 1, 0, D);
    const bad = Uint8Array.from(good);
    // The digest sits at bytes 9..40; flipping one bit changes the signed payload.
    bad[20]! ^= 1;
    const fx = send(fresh(), bad);
    expect(fx).toHaveLength(1);
    expect(fx[0]!.kind).toBe('rejected');
    expect((fx[0] as { reason: string }).reason).toMatch(
      /^PREPARE from non-validator 0x[0-9a-f]{40}$/,
    );
  });

  it('a signature with a bad recovery id or a zero s is malformed', () => {
    const good = prepareMsg(signers[1]!, 1, 0, D);
    const badV = Uint8Array.from(good);
    badV[badV.length - 1] = 2;
    expect(send(fresh(), badV)).toEqual(rejected('invalid signature: recovery id must be 0 or 1'));
    const zeroS = Uint8Array.from(good);
    zeroS.fill(0, good.length - 33, good.length - 1);
    expect(send(fresh(), zeroS)).toEqual(rejected('invalid signature: signature s is not low'));
  });

  it('decodeMessage throws only DecodeError, also for a bad signature', () => {
    const badV = prepareMsg(signers[1]!, 1, 0, D);
    badV[badV.length - 1] = 7;
    const limits = { chainId: CHAIN_ID, maxMessageBytes: 1 << 20, maxJustification: 16 };
    expect(() => decodeMessage(badV, recover, limits)).toThrow(DecodeError);
    // A shell that shares its decode results with the engine (as the simulator does) stores the
    // DecodeError; the engine must reject it, not crash.
    const cache = new WeakMap<Uint8Array, ConsensusMessage | DecodeError>();
    try {
      decodeMessage(badV, recover, limits);
    } catch (err) {
      cache.set(badV, err as DecodeError);
    }
    const e = new QbftEngine({
      signer: signers[0]!,
      recover,
      codec: testCodec,
      chainId: CHAIN_ID,
      config: TEST_CONFIG,
      decodeCache: cache,
    });
    e.handle(startInput(1, validators));
    expect(e.handle({ kind: 'message', bytes: badV })).toEqual(
      rejected('invalid signature: recovery id must be 0 or 1'),
    );
  });
});

describe('votes that do not match', () => {
  function accepted(): QbftEngine {
    const e = fresh();
    send(e, proposalMsg(signers[1]!, 1, 0, B));
    e.handle({ kind: 'block-validated', height: 1, digest: D, valid: true });
    return e;
  }

  it('PREPAREs for another digest are not counted', () => {
    const e = accepted();
    // Not refused outright (a PREPARE may arrive before its proposal) but never counted.
    expect(send(e, prepareMsg(signers[2]!, 1, 0, D2))).toEqual([]);
    expect(send(e, prepareMsg(signers[1]!, 1, 0, D))).toEqual([]); // own + 1: two of three
    const fx = send(e, prepareMsg(signers[3]!, 1, 0, D));
    expect(ofKind(fx, 'broadcast').map((b) => b.type)).toEqual([MessageType.Commit]);
  });

  it('COMMITs for another digest are not counted', () => {
    const e = accepted();
    for (const i of [1, 2]) send(e, prepareMsg(signers[i]!, 1, 0, D));
    const commit = (i: number, d: Uint8Array): Uint8Array =>
      encodeMessage({
        type: MessageType.Commit,
        signed: signCommit(signers[i]!, CHAIN_ID, 1, 0, d),
      });
    expect(send(e, commit(2, D2))).toEqual([]);
    expect(send(e, commit(3, D2))).toEqual([]);
    expect(send(e, commit(1, D))).toEqual([]);
    expect(e.isCommitted).toBe(false);
  });

  it('a COMMIT whose seal is for another digest, or malformed, is refused', () => {
    const e = accepted();
    const forged = (seal: Uint8Array): Uint8Array => {
      const payload: RlpInput[] = [MessageType.Commit, 1, 0, D, seal];
      const sig = signers[2]!.sign(payloadSigningHash(CHAIN_ID, payload));
      return rlpEncode([[payload, sig]]);
    };
    expect(send(e, forged(signers[2]!.sign(commitSealDigest(CHAIN_ID, D2, 0))))).toEqual(
      rejected('COMMIT whose seal is not signed by its sender', 2),
    );
    // Another validator's seal, correctly signed, is still not the sender's.
    expect(send(e, forged(signers[3]!.sign(commitSealDigest(CHAIN_ID, D, 0))))).toEqual(
      rejected('COMMIT whose seal is not signed by its sender', 2),
    );
    const zero = forged(new Uint8Array(65));
    expect(send(fresh(), zero)).toEqual(rejected('COMMIT with a malformed commit seal', 2));
  });
});

describe('proposals', () => {
  it('from a validator that is not the proposer of the round', () => {
    const e = fresh();
    expect(send(e, proposalMsg(signers[2]!, 1, 0, B))).toEqual(
      rejected('PROPOSAL for round 0 from a validator that is not its proposer', 2),
    );
    // The true proposer is still heard.
    expect(ofKind(send(e, proposalMsg(signers[1]!, 1, 0, B)), 'validate-block')).toHaveLength(1);
  });

  it('whose block does not match the signed digest or height, or is malformed', () => {
    expect(send(fresh(), proposalMsg(signers[1]!, 1, 0, B, [], [], D2))).toEqual(
      rejected('invalid PROPOSAL: block does not match the signed digest', 1),
    );
    expect(send(fresh(), proposalMsg(signers[1]!, 1, 0, makeBlock(2, 'x'), [], [], D))).toEqual(
      rejected('invalid PROPOSAL: block is for another height', 1),
    );
    expect(send(fresh(), proposalMsg(signers[1]!, 1, 0, Uint8Array.of(1), [], [], D))).toEqual(
      rejected('invalid PROPOSAL: malformed block: test block: expected a list', 1),
    );
  });

  it('in round 0 with a justification', () => {
    expect(send(fresh(), proposalMsg(signers[1]!, 1, 0, B, [rc(0), rc(1), rc(2)]))).toEqual(
      rejected('invalid PROPOSAL: round-0 proposal carries a justification', 1),
    );
  });

  // Proposer of (1, 1) is validator 2; of (1, 2) validator 3.
  const cert = { round: 0, digest: D };
  const cases: [string, number, () => Uint8Array, string][] = [
    [
      'too few ROUND-CHANGEs',
      2,
      () => proposalMsg(signers[2]!, 1, 1, B, [rc(0), rc(1)]),
      'round-change justification has 2 of 3 ROUND-CHANGEs',
    ],
    [
      'duplicate ROUND-CHANGE senders',
      2,
      () => proposalMsg(signers[2]!, 1, 1, B, [rc(1), rc(2), rc(2)]),
      'round-change justification has duplicate senders',
    ],
    [
      'a ROUND-CHANGE for another round',
      2,
      () => proposalMsg(signers[2]!, 1, 1, B, [rc(0), rc(1), rc(3, 2)]),
      'round-change justification for another height or round',
    ],
    [
      'a ROUND-CHANGE of a non-validator',
      2,
      () =>
        proposalMsg(signers[2]!, 1, 1, B, [
          rc(0),
          rc(1),
          signRoundChange(stranger, CHAIN_ID, 1, 1, null),
        ]),
      'round-change justification from a non-validator',
    ],
    [
      'a PREPARE among the ROUND-CHANGEs',
      2,
      () => proposalMsg(signers[2]!, 1, 1, B, [rc(0), rc(1), prep(3)]),
      'round-change justification holds a non-ROUND-CHANGE',
    ],
    [
      'PREPAREs without any prepared ROUND-CHANGE',
      2,
      () => proposalMsg(signers[2]!, 1, 1, B, [rc(0), rc(1), rc(3)], [prep(0), prep(1), prep(3)]),
      'unprepared justification carries PREPAREs',
    ],
    [
      'a prepared certificate whose PREPAREs are for another digest',
      2,
      () =>
        proposalMsg(
          signers[2]!,
          1,
          1,
          B,
          [rc(0, 1, cert), rc(1), rc(3)],
          [prep(0, D2), prep(1, D2), prep(3, D2)],
        ),
      'prepare justification for another digest',
    ],
    [
      'a prepared certificate of two PREPAREs',
      2,
      () => proposalMsg(signers[2]!, 1, 1, B, [rc(0, 1, cert), rc(1), rc(3)], [prep(0), prep(1)]),
      'prepare justification has 2 of 3 PREPAREs',
    ],
    [
      'a prepared certificate with a duplicate sender',
      2,
      () =>
        proposalMsg(
          signers[2]!,
          1,
          1,
          B,
          [rc(0, 1, cert), rc(1), rc(3)],
          [prep(0), prep(1), prep(1)],
        ),
      'prepare justification has duplicate senders',
    ],
    [
      'a prepared certificate of another round',
      2,
      () =>
        proposalMsg(
          signers[2]!,
          1,
          1,
          B,
          [rc(0, 1, cert), rc(1), rc(3)],
          [prep(0, D, 1), prep(1, D, 1), prep(3, D, 1)],
        ),
      'prepare justification for another height or round',
    ],
    [
      'a new block although a ROUND-CHANGE reports a prepared one',
      2,
      () =>
        proposalMsg(
          signers[2]!,
          1,
          1,
          B2,
          [rc(0, 1, cert), rc(1), rc(3)],
          [prep(0, D2), prep(1, D2), prep(3, D2)],
        ),
      'proposal is not the highest prepared block',
    ],
    [
      'the block prepared in round 0 when another was prepared in round 1',
      3,
      () =>
        proposalMsg(
          signers[3]!,
          1,
          2,
          B,
          [rc(0, 2, cert), rc(1, 2, { round: 1, digest: D2 }), rc(2, 2)],
          [prep(0), prep(1), prep(2)],
        ),
      'proposal is not the highest prepared block',
    ],
  ];

  for (const [name, author, make, reason] of cases) {
    it(`in round > 0 with ${name}`, () => {
      const e = fresh();
      expect(send(e, make())).toEqual(rejected(`invalid PROPOSAL: ${reason}`, author));
      expect([e.height, e.round]).toEqual([1, 0]);
    });
  }

  it('in round > 0 with a sound justification is accepted (control)', () => {
    const e = fresh();
    const fx = send(
      e,
      proposalMsg(
        signers[2]!,
        1,
        1,
        B,
        [rc(0, 1, cert), rc(1), rc(3)],
        [prep(0), prep(1), prep(3)],
      ),
    );
    expect(fx[0]).toEqual({ kind: 'round-changed', height: 1, round: 1, reason: 'proposal' });
    expect(ofKind(fx, 'validate-block')).toHaveLength(1);
    expect(ofKind(fx, 'rejected')).toEqual([]);
    const fx2 = send(
      fresh(),
      proposalMsg(
        signers[3]!,
        1,
        2,
        B2,
        [rc(0, 2, cert), rc(1, 2, { round: 1, digest: D2 }), rc(2, 2)],
        [prep(0, D2, 1), prep(1, D2, 1), prep(2, D2, 1)],
      ),
    );
    expect(ofKind(fx2, 'rejected')).toEqual([]);
    expect(ofKind(fx2, 'validate-block').map((v) => toHex(v.digest))).toEqual([toHex(D2)]);
  });
});

describe('ROUND-CHANGEs', () => {
  it('reporting a prepared round without its block or with a bad certificate', () => {
    const prepared = { ref: { round: 0, digest: D }, block: B, prepares: [prep(0), prep(1)] };
    expect(send(fresh(), roundChangeMsg(signers[1]!, 1, 1, prepared))).toEqual(
      rejected('invalid ROUND-CHANGE: prepare justification has 2 of 3 PREPAREs', 1),
    );
    const noBlock = encodeMessage({
      type: MessageType.RoundChange,
      signed: rc(1, 1, { round: 0, digest: D }),
      preparedBlock: null,
      prepares: [prep(0), prep(1), prep(2)],
    });
    expect(send(fresh(), noBlock)).toEqual(
      rejected('ROUND-CHANGE reports a prepared round without its block', 1),
    );
    const wrongBlock = { ...prepared, block: B2, prepares: [prep(0), prep(1), prep(2)] };
    expect(send(fresh(), roundChangeMsg(signers[1]!, 1, 1, wrongBlock))).toEqual(
      rejected('invalid ROUND-CHANGE: block does not match the signed digest', 1),
    );
    const stray = encodeMessage({
      type: MessageType.RoundChange,
      signed: rc(1),
      preparedBlock: B,
      prepares: [],
    });
    expect(send(fresh(), stray)).toEqual(
      rejected('invalid ROUND-CHANGE: a block or PREPAREs without a prepared round', 1),
    );
  });

  it('a rejected ROUND-CHANGE does not count towards f + 1', () => {
    const e = fresh();
    const bad = { ref: { round: 0, digest: D }, block: B, prepares: [prep(0), prep(1)] };
    send(e, roundChangeMsg(signers[1]!, 1, 2, bad));
    expect(send(e, roundChangeMsg(signers[2]!, 1, 2))).toEqual([]);
    expect(e.round).toBe(0);
  });
});

describe('size and garbage', () => {
  it('refuses a message above maxMessageBytes before decoding it', () => {
    const big = roundChangeMsg(signers[1]!, 1, 1, {
      ref: { round: 0, digest: D },
      block: B,
      prepares: [prep(0), prep(1), prep(2)],
    });
    expect(big.length).toBe(445);
    const e = fresh({ maxMessageBytes: 444 });
    expect(send(e, big)).toEqual(rejected('message of 445 bytes is too large'));
    expect(send(fresh({ maxMessageBytes: 445 }), big)).toEqual([]);
  });

  it('rejects empty and non-list input with the decoder reason', () => {
    const e = fresh();
    expect(send(e, new Uint8Array(0))).toEqual(rejected('message: expected a list'));
    expect(send(e, Uint8Array.of(0xc1))).toMatchObject([{ kind: 'rejected' }]);
    expect(send(e, Uint8Array.of(0xc1))[0]).toMatchObject({
      reason: expect.stringMatching(/^invalid RLP: /),
    });
    expect(send(e, Uint8Array.of(0x01))).toEqual(rejected('message: expected a list'));
    expect(send(e, Uint8Array.of(0xc0))).toEqual(rejected('message: empty'));
  });

  it('random bytes never throw and only ever give rejections', () => {
    const e = fresh();
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 600 }), (bytes) => {
        const fx = send(e, bytes);
        return fx.every((x) => x.kind === 'rejected') && e.round === 0 && !e.isCommitted;
      }),
      { numRuns: 500 },
    );
  });

  it('mutated valid messages never throw', () => {
    const pool = [
      proposalMsg(signers[1]!, 1, 0, B),
      prepareMsg(signers[1]!, 1, 0, D),
      encodeMessage({
        type: MessageType.Commit,
        signed: signCommit(signers[1]!, CHAIN_ID, 1, 0, D),
      }),
      roundChangeMsg(signers[1]!, 1, 1, {
        ref: { round: 0, digest: D },
        block: B,
        prepares: [prep(0), prep(1), prep(2)],
      }),
      proposalMsg(
        signers[2]!,
        1,
        1,
        B,
        [rc(0, 1, { round: 0, digest: D }), rc(1), rc(3)],
        [prep(0), prep(1), prep(3)],
      ),
    ];
    const mutation = fc.oneof(
      fc.record({ at: fc.nat(), value: fc.integer({ min: 0, max: 255 }) }),
      fc.record({ cut: fc.nat() }),
      fc.record({ insertAt: fc.nat(), extra: fc.uint8Array({ minLength: 1, maxLength: 8 }) }),
    );
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: pool.length - 1 }),
        fc.array(mutation, { minLength: 1, maxLength: 4 }),
        (which, mutations) => {
          let bytes = Uint8Array.from(pool[which]!);
          for (const m of mutations) {
            if ('value' in m) {
              bytes[m.at % bytes.length] = m.value;
            } else if ('cut' in m) {
              bytes = bytes.subarray(0, m.cut % (bytes.length + 1));
            } else {
              const i = m.insertAt % (bytes.length + 1);
              bytes = Uint8Array.from([...bytes.subarray(0, i), ...m.extra, ...bytes.subarray(i)]);
            }
          }
          const e = fresh();
          send(e, bytes);
          return e.height === 1;
        },
      ),
      { numRuns: 400 },
    );
  });

  it('structured nonsense (well-formed RLP, wrong fields) never throws', () => {
    const field: fc.Arbitrary<RlpInput> = fc.oneof(
      fc.integer({ min: 0, max: 5 }),
      fc.uint8Array({ maxLength: 70 }).map((b) => b as RlpInput),
      fc.constant(D as RlpInput),
      fc.constant([] as RlpInput),
    );
    const signature = fc.oneof(
      fc.uint8Array({ minLength: 65, maxLength: 65 }),
      fc.constant(signers[1]!.sign(D)),
    );
    const payload = fc.tuple(
      fc.integer({ min: 0, max: 5 }),
      fc.integer({ min: 0, max: 3 }),
      fc.integer({ min: 0, max: 3 }),
      fc.array(field, { maxLength: 3 }),
    );
    fc.assert(
      fc.property(
        payload,
        signature,
        fc.array(field, { maxLength: 4 }),
        ([type, h, r, rest], sig, tail) => {
          const bytes = rlpEncode([[[type, h, r, ...rest], sig], ...tail]);
          const e = fresh();
          send(e, bytes);
          return e.height === 1;
        },
      ),
      { numRuns: 400 },
    );
  });
});
