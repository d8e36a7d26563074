/**
 * Golden vectors of every consensus encoding, with fixed keys (1..4) and RFC 6979 signatures.
 * The same vectors are listed in docs/consensus.md, "Encodings". A change here is a wire or
 * disk format change: it breaks every deployed node.
 */
import { describe, expect, it } from 'vitest';
import { secp256k1 } from '@noble/curves/secp256k1';
import { bytesToHex, hexToBytes, keccak256 as viemKeccak, toRlp, type Hex } from 'viem';
import { fromHex, toHex, utf8 } from '../../src/crypto/bytes.js';
import { keccak256 } from '../../src/crypto/keccak.js';
import { DecodeError, rlpEncode, type RlpInput } from '../../src/codec/rlp.js';
import {
  commitSealDigest,
  decodeMessage,
  encodeMessage,
  signCommit,
  signPrepare,
  signProposalPayload,
  signRoundChange,
  type ConsensusMessage,
} from '../../src/consensus/messages.js';
import {
  decodeExtraData,
  encodeExtraData,
  forHashing,
  sealBitmap,
  bitmapIndices,
  type ExtraData,
} from '../../src/consensus/extra-data.js';
import { decodeWalRecord, encodeWalRecord } from '../../src/consensus/wal.js';
import type { Secp256k1Signer as Signer } from '../../src/consensus/crypto.js';
import { MessageType, type WalRecord } from '../../src/consensus/types.js';
import { digestOf, makeBlock, makeSigners, privateKey, recover } from './helpers.js';

const GOLDEN = {
  address1: '0x7e5f4552091a69125d5dfcb7b8c2659029395bdf',
  address2: '0x2b5ad5c4795c026514f8317c7a215e218dccd6cf',
  address3: '0x6813eb9362372eef6200f3b1dbc3f819671cba69',
  address4: '0x1eff47bc3a10a45d4b230b5d10e37751fe6aa718',
  block: '0xd2019065746d20676f6c64656e20626c6f636b',
  digest: '0xe4480bb314b1fd9f3aab3cc2300a0e3b309ad6601eebdfa24bb6f47ca26a0cba',
  proposal:
    '0xf880f868e4800180a0e4480bb314b1fd9f3aab3cc2300a0e3b309ad6601eebdfa24bb6f47ca26a0cbab84152b5122cafb74a5e28c2912f73a1c25689ab34ef2ac8ab8eb64d1c30fad9281b21a7b5651b6bcadacd1193bc5bf154dcf0bbca6287f666b313007e6d0352456c0093d2019065746d20676f6c64656e20626c6f636bc0c0',
  prepare:
    '0xf86af868e4010180a0e4480bb314b1fd9f3aab3cc2300a0e3b309ad6601eebdfa24bb6f47ca26a0cbab84113edb135ce2ea43df169f5ce5b0326f5f758b41e64b0e5cd2896a76b026e3c5e39e25505f07d09d13734494df2ee583177cf6aaaded207e1505321a343b9047800',
  sealDigest0: '0xb55e3ba37e995996835f6202c3d03b49f234327766b4d94261b3a62987acb95a',
  sealDigest1: '0x7c1cc56550308d1597c2d184483bf2705ff84d437b611076ea52f801a173aea3',
  commit:
    '0xf8aef8acf867020180a0e4480bb314b1fd9f3aab3cc2300a0e3b309ad6601eebdfa24bb6f47ca26a0cbab841e9591fc9d9315727723db5ce5d28c1fc125fc5b48448b3e1f8bf8634b19401637237857779e466df2d592e3e2c6bddaf380e1229f9743253de824f0c61c2b1f101b841317939976b2a18eb49f3ef243b806a187ace13e32096602882cbbdf8b592d59e4cd332c0a68a291f030f3f6b78b2085d58dd6f0cd0d8f711189245cfba6558dc01',
  commitKeccak: '0xe64b15ba6b8f3e554f457991010e61ddf539a983e94f24251833be1a8c99bb76',
  roundChange:
    '0xf84cf848c4030101c0b8418e6d149439e7b2089cd2f21ab92cbb3bb85a145183a301926779247e9cd68a5a120a889406401eee5c1c974ebb16c990833cc9da6ca4e51a034906685f1f490b0080c0',
  roundChangePrepared:
    '0xf901c1f86ae6030101e280a0e4480bb314b1fd9f3aab3cc2300a0e3b309ad6601eebdfa24bb6f47ca26a0cbab841062ba886f5a8c5002e3cef8cde323168ba99454cb6984efab1507f128763ce9e16328d3df8acab0c25da2e03f4f4c7f668a6ec08759d980c4081b4f6305c138f0093d2019065746d20676f6c64656e20626c6f636bf9013ef868e4010180a0e4480bb314b1fd9f3aab3cc2300a0e3b309ad6601eebdfa24bb6f47ca26a0cbab84113edb135ce2ea43df169f5ce5b0326f5f758b41e64b0e5cd2896a76b026e3c5e39e25505f07d09d13734494df2ee583177cf6aaaded207e1505321a343b9047800f868e4010180a0e4480bb314b1fd9f3aab3cc2300a0e3b309ad6601eebdfa24bb6f47ca26a0cbab841877113688c2f8b11b2c0705afe673d7dfbeae4bc3387917aad40eeac7f28ba3e1711fd4c6fe1776245cfef2e2e9191d86422c35a975b565d369bc2103d1aa58600f868e4010180a0e4480bb314b1fd9f3aab3cc2300a0e3b309ad6601eebdfa24bb6f47ca26a0cbab841bf26351ecb3837d12f3608f034fb16189625f1dd096c8b588b4b96b941f6f7f157b9c48dc5c3d0665cda7b97ee38727d0a8d27f7f93ef85d1da034b116c1e7b500',
  roundChangePreparedKeccak: '0xa8656f19ea74565b09fef2e844a433aa2e411aff7112fe8edf2efd6d67a980b3',
  proposalRound1Keccak: '0xb36b2f29c151f75c45d8d50965bb866b799d2ef836b454bf46cb5eef514e481b',
  extraData:
    '0xf90110a0000000000000000000000000000000000000000000000000000000000000000001f8c9b841a7f2aeaa22c0775afa7ff2fdd906712883eb8d718d95b17db857396925c694cd24470d6cbc6ca6daf3915a92af9b5f3540a71d3ec24db19277825cb06a7af2cd01b8414459831c1b3ba451047f462da72f2a73dcf7af1753635aaf53a4e9512b032ebb51f4b03868d12d3bc741181a8a1380957b7968c849cbea0c0fcd52495a088f7a01b841ded0f46f66960cb7a454257b576ecde6f698007c236eade9329a3bcaab2fcd4e477c0aa7ff2f633d1b07aa17e0d46d2403b3784444c3b0f935ca0a1c40915f1f0007a0ad2a4a272ddbd5d85e1e9e2521655beccf3c64d39c4405a411c4e4843b2cf6f4c0',
  extraDataKeccak: '0x9cdc1cd53711e3ea2f0ecb3667a73fa0963b6bb86176705f16e2dd27f41319fb',
  extraDataEpoch:
    '0xf850a0111111111111111111111111111111111111111111111111111111111111111180c00e80ea941eff47bc3a10a45d4b230b5d10e37751fe6aa718947e5f4552091a69125d5dfcb7b8c2659029395bdf',
  walSigned:
    '0xf89380018001a0e4480bb314b1fd9f3aab3cc2300a0e3b309ad6601eebdfa24bb6f47ca26a0cbab86cf86af868e4010180a0e4480bb314b1fd9f3aab3cc2300a0e3b309ad6601eebdfa24bb6f47ca26a0cbab84113edb135ce2ea43df169f5ce5b0326f5f758b41e64b0e5cd2896a76b026e3c5e39e25505f07d09d13734494df2ee583177cf6aaaded207e1505321a343b9047800',
  walSignedKeccak: '0xb7fb7c8cff2f9138bcc1d49eff41439b6b626ea80269bf4f301423b360ed062d',
  walPreparedKeccak: '0xf74e37f8c142eaf631234724ed8d66bf1a4d1eafbdb6d7fd89ef5a606497c9ae',
} as const;

const [k1, k2, k3, k4] = makeSigners(4) as [Signer, Signer, Signer, Signer];
const B = makeBlock(1, 'etm golden block');
const D = digestOf(B);
const prepares = [k1, k2, k3].map((k) => signPrepare(k, 1, 0, D));
const LIMITS = { maxMessageBytes: 1 << 20, maxJustification: 1024 };
const decode = (bytes: Uint8Array): ConsensusMessage => decodeMessage(bytes, recover, LIMITS);

function goldenExtra(): ExtraData {
  return {
    vanity: new Uint8Array(32),
    round: 1,
    commitSeals: [k1, k2, k3].map((k) => k.sign(commitSealDigest(D, 1))),
    parentSealBitmap: sealBitmap(4, [0, 1, 2]),
    randaoReveal: keccak256(utf8('randao')),
    nextValidators: [],
  };
}

describe('golden vectors: fixtures', () => {
  it('keys 1..4 give the well-known addresses', () => {
    expect([k1, k2, k3, k4].map((k) => toHex(k.address))).toEqual([
      GOLDEN.address1,
      GOLDEN.address2,
      GOLDEN.address3,
      GOLDEN.address4,
    ]);
  });

  it('test block RLP [1, "etm golden block"] and its keccak digest', () => {
    expect(toHex(B)).toBe(GOLDEN.block);
    expect(toHex(D)).toBe(GOLDEN.digest);
  });
});

describe('golden vectors: messages', () => {
  it('PROPOSAL (key 2, height 1, round 0, no justification)', () => {
    const bytes = encodeMessage({
      type: MessageType.Proposal,
      signed: signProposalPayload(k2, 1, 0, D),
      block: B,
      roundChanges: [],
      prepares: [],
    });
    expect(toHex(bytes)).toBe(GOLDEN.proposal);
    const m = decode(bytes);
    expect(m.type).toBe(MessageType.Proposal);
    if (m.type !== MessageType.Proposal) return;
    expect(toHex(m.signed.author)).toBe(GOLDEN.address2);
    expect([m.signed.height, m.signed.round, toHex(m.signed.digest)]).toEqual([
      1,
      0,
      GOLDEN.digest,
    ]);
    expect(toHex(m.block)).toBe(GOLDEN.block);
    expect([m.roundChanges.length, m.prepares.length]).toEqual([0, 0]);
    expect(toHex(encodeMessage(m))).toBe(GOLDEN.proposal);
  });

  it('PREPARE (key 1, height 1, round 0)', () => {
    const bytes = encodeMessage({ type: MessageType.Prepare, signed: prepares[0]! });
    expect(toHex(bytes)).toBe(GOLDEN.prepare);
    const m = decode(bytes);
    expect(m.type).toBe(MessageType.Prepare);
    expect(toHex(m.signed.author)).toBe(GOLDEN.address1);
    expect([m.signed.height, m.signed.round, toHex(m.signed.digest)]).toEqual([
      1,
      0,
      GOLDEN.digest,
    ]);
    expect(toHex(encodeMessage(m))).toBe(GOLDEN.prepare);
  });

  it('commitSealDigest = keccak256(RLP [digest, round])', () => {
    expect(toHex(commitSealDigest(D, 0))).toBe(GOLDEN.sealDigest0);
    expect(toHex(commitSealDigest(D, 1))).toBe(GOLDEN.sealDigest1);
    expect(viemKeccak(toRlp([GOLDEN.digest, '0x']))).toBe(GOLDEN.sealDigest0);
    expect(viemKeccak(toRlp([GOLDEN.digest, '0x01']))).toBe(GOLDEN.sealDigest1);
  });

  it('COMMIT (key 1, height 1, round 0) with its commit seal', () => {
    const bytes = encodeMessage({ type: MessageType.Commit, signed: signCommit(k1, 1, 0, D) });
    expect(toHex(bytes)).toBe(GOLDEN.commit);
    expect(toHex(keccak256(bytes))).toBe(GOLDEN.commitKeccak);
    expect(bytes.length).toBe(176);
    const m = decode(bytes);
    expect(m.type).toBe(MessageType.Commit);
    expect(toHex(m.signed.author)).toBe(GOLDEN.address1);
    expect(toHex(recover(commitSealDigest(D, 0), m.signed.commitSeal!))).toBe(GOLDEN.address1);
    expect(toHex(encodeMessage(m))).toBe(GOLDEN.commit);
  });

  it('ROUND-CHANGE (key 1, height 1, round 1) without a prepared certificate', () => {
    const bytes = encodeMessage({
      type: MessageType.RoundChange,
      signed: signRoundChange(k1, 1, 1, null),
      preparedBlock: null,
      prepares: [],
    });
    expect(toHex(bytes)).toBe(GOLDEN.roundChange);
    const m = decode(bytes);
    expect(m.type).toBe(MessageType.RoundChange);
    if (m.type !== MessageType.RoundChange) return;
    expect(m.signed.prepared).toBeNull();
    expect(m.preparedBlock).toBeNull();
    expect(m.prepares).toEqual([]);
    // The digest of a ROUND-CHANGE is the keccak of its payload RLP [3, 1, 1, []].
    expect(toHex(m.signed.digest)).toBe(viemKeccak(toRlp(['0x03', '0x01', '0x01', []])));
    expect(toHex(encodeMessage(m))).toBe(GOLDEN.roundChange);
  });

  it('ROUND-CHANGE (key 1, height 1, round 1) carrying the round-0 certificate of keys 1..3', () => {
    const bytes = encodeMessage({
      type: MessageType.RoundChange,
      signed: signRoundChange(k1, 1, 1, { round: 0, digest: D }),
      preparedBlock: B,
      prepares,
    });
    expect(toHex(bytes)).toBe(GOLDEN.roundChangePrepared);
    expect(toHex(keccak256(bytes))).toBe(GOLDEN.roundChangePreparedKeccak);
    expect(bytes.length).toBe(452);
    const m = decode(bytes);
    if (m.type !== MessageType.RoundChange) throw new Error('expected a ROUND-CHANGE');
    expect(m.signed.prepared!.round).toBe(0);
    expect(toHex(m.signed.prepared!.digest)).toBe(GOLDEN.digest);
    expect(toHex(m.preparedBlock!)).toBe(GOLDEN.block);
    expect(m.prepares.map((p) => toHex(p.author))).toEqual([
      GOLDEN.address1,
      GOLDEN.address2,
      GOLDEN.address3,
    ]);
    expect(toHex(encodeMessage(m))).toBe(GOLDEN.roundChangePrepared);
  });

  it('PROPOSAL (key 3, height 1, round 1) re-proposing the prepared block with its justification', () => {
    const rcs = [k1, k2, k3].map((k) => signRoundChange(k, 1, 1, { round: 0, digest: D }));
    const bytes = encodeMessage({
      type: MessageType.Proposal,
      signed: signProposalPayload(k3, 1, 1, D),
      block: B,
      roundChanges: rcs,
      prepares,
    });
    expect(toHex(keccak256(bytes))).toBe(GOLDEN.proposalRound1Keccak);
    expect(bytes.length).toBe(777);
    const m = decode(bytes);
    if (m.type !== MessageType.Proposal) throw new Error('expected a PROPOSAL');
    expect(m.roundChanges.map((p) => toHex(p.author))).toEqual([
      GOLDEN.address1,
      GOLDEN.address2,
      GOLDEN.address3,
    ]);
    expect(toHex(encodeMessage(m))).toBe(toHex(bytes));
  });

  it('matches an independent encoding (viem RLP, noble secp256k1 RFC 6979)', () => {
    const sig = (hash: Hex, key: number): Hex => {
      const s = secp256k1.sign(hexToBytes(hash), privateKey(key));
      return bytesToHex(new Uint8Array([...s.toCompactRawBytes(), s.recovery]));
    };
    const payload: Hex[] = ['0x01', '0x01', '0x', GOLDEN.digest];
    const prepare = toRlp([[payload, sig(viemKeccak(toRlp(payload)), 1)]]);
    expect(prepare).toBe(GOLDEN.prepare);

    const seal = sig(GOLDEN.sealDigest0, 1);
    const commitPayload: Hex[] = ['0x02', '0x01', '0x', GOLDEN.digest, seal];
    const commit = toRlp([[commitPayload, sig(viemKeccak(toRlp(commitPayload)), 1)]]);
    expect(commit).toBe(GOLDEN.commit);

    const proposalPayload: Hex[] = ['0x', '0x01', '0x', GOLDEN.digest];
    const proposal = toRlp([
      [proposalPayload, sig(viemKeccak(toRlp(proposalPayload)), 2)],
      GOLDEN.block,
      [],
      [],
    ]);
    expect(proposal).toBe(GOLDEN.proposal);
  });
});

describe('decoding is strict', () => {
  /** A message around an arbitrary payload, correctly signed by key 1. */
  const signedRaw = (payload: RlpInput[], tail: RlpInput[] = []): Uint8Array =>
    rlpEncode([[payload, k1.sign(keccak256(rlpEncode(payload)))], ...tail]);
  const reason = (bytes: Uint8Array): string => {
    try {
      decode(bytes);
    } catch (e) {
      expect(e).toBeInstanceOf(DecodeError);
      return (e as Error).message;
    }
    return 'decoded';
  };

  it('integers are minimal: 0 is the empty string, no leading zeros', () => {
    expect(reason(signedRaw([1, 1, 0, D]))).toBe('decoded');
    expect(reason(signedRaw([1, Uint8Array.of(0, 1), 0, D]))).toBe(
      'height: integer has a leading zero',
    );
    expect(reason(signedRaw([1, 1, Uint8Array.of(0), D]))).toBe(
      'round: integer has a leading zero',
    );
  });

  it('heights and rounds are at most 2^48', () => {
    expect(reason(signedRaw([1, 2 ** 48, 0, D]))).toBe('decoded');
    expect(reason(signedRaw([1, 2 ** 48 + 1, 0, D]))).toBe('height: too large');
  });

  it('fields have their exact sizes and counts', () => {
    expect(reason(signedRaw([1, 1, 0, D.subarray(1)]))).toBe('digest: expected 32 bytes, got 31');
    expect(reason(signedRaw([1, 1, 0, D, 0]))).toBe('payload: expected 4 fields');
    expect(reason(signedRaw([4, 1, 0, D]))).toBe('unknown message type 4');
    expect(reason(signedRaw([1, 1, 0, D], [B]))).toBe('PREPARE/COMMIT: expected 1 item');
    expect(reason(signedRaw([0, 1, 0, D], [B, []]))).toBe('PROPOSAL: expected 4 items');
    expect(reason(signedRaw([3, 1, 1, [0]], ['0x', []]))).toBe(
      'prepared: expected [] or [round, digest]',
    );
  });

  it('a ROUND-CHANGE reports a prepared round below its own round', () => {
    expect(reason(signedRaw([3, 1, 1, [1, D]], [B, []]))).toBe(
      'prepared round must be below the round',
    );
  });

  it('signatures are 65 bytes and recoverable', () => {
    const payload: RlpInput[] = [1, 1, 0, D];
    const sig = k1.sign(keccak256(rlpEncode(payload)));
    expect(reason(rlpEncode([[payload, sig.subarray(0, 64)]]))).toBe(
      'signature: expected 65 bytes, got 64',
    );
    const badV = Uint8Array.from(sig);
    badV[64] = 27; // Ethereum's legacy v is not accepted: v is 0 or 1
    expect(reason(rlpEncode([[payload, badV]]))).toBe(
      'invalid signature: recovery id must be 0 or 1',
    );
  });

  it('justifications are bounded', () => {
    const rc = signRoundChange(k1, 1, 1, null);
    const bytes = encodeMessage({
      type: MessageType.Proposal,
      signed: signProposalPayload(k3, 1, 1, D),
      block: B,
      roundChanges: [rc, rc, rc],
      prepares: [],
    });
    expect(() =>
      decodeMessage(bytes, recover, { maxMessageBytes: 1 << 20, maxJustification: 2 }),
    ).toThrow('round-change justification: more than 2 entries');
    expect(() =>
      decodeMessage(bytes, recover, { maxMessageBytes: 100, maxJustification: 9 }),
    ).toThrow(`message of ${bytes.length} bytes exceeds 100`);
  });
});

describe('golden vectors: extraData', () => {
  it('sealed extraData: round 1, three seals, bitmap 0b0111, randao reveal, no next set', () => {
    const bytes = encodeExtraData(goldenExtra());
    expect(toHex(bytes)).toBe(GOLDEN.extraData);
    expect(toHex(keccak256(bytes))).toBe(GOLDEN.extraDataKeccak);
    expect(bytes.length).toBe(275);
    const x = decodeExtraData(bytes);
    expect(x).toEqual(goldenExtra());
    expect(toHex(x.parentSealBitmap)).toBe('0x07');
    expect(bitmapIndices(x.parentSealBitmap, 4)).toEqual([0, 1, 2]);
    expect(x.commitSeals.map((s) => toHex(recover(commitSealDigest(D, 1), s)))).toEqual([
      GOLDEN.address1,
      GOLDEN.address2,
      GOLDEN.address3,
    ]);
  });

  it('last block of an epoch: next validators listed, no seals, no reveal', () => {
    const x: ExtraData = {
      vanity: new Uint8Array(32).fill(0x11),
      round: 0,
      commitSeals: [],
      parentSealBitmap: sealBitmap(4, [1, 2, 3]),
      randaoReveal: new Uint8Array(0),
      nextValidators: [k4.address, k1.address],
    };
    const bytes = encodeExtraData(x);
    expect(toHex(bytes)).toBe(GOLDEN.extraDataEpoch);
    expect(decodeExtraData(bytes)).toEqual(x);
  });

  it('forHashing drops the round and the seals and keeps the rest', () => {
    const h = forHashing(goldenExtra());
    expect(h.round).toBe(0);
    expect(h.commitSeals).toEqual([]);
    const expected = toRlp([
      bytesToHex(new Uint8Array(32)),
      '0x',
      [],
      '0x07',
      bytesToHex(keccak256(utf8('randao'))),
      [],
    ]);
    expect(toHex(encodeExtraData(h))).toBe(expected);
  });

  it('sealBitmap sets bit i & 7 of byte i >> 3', () => {
    expect(toHex(sealBitmap(4, []))).toBe('0x00');
    expect(toHex(sealBitmap(9, [0, 8]))).toBe('0x0101');
    expect(toHex(sealBitmap(21, [3, 10, 20]))).toBe('0x080410');
    expect(bitmapIndices(fromHex('0x080410'), 21)).toEqual([3, 10, 20]);
    expect(() => sealBitmap(4, [4])).toThrow(RangeError);
  });

  it('rejects malformed extraData', () => {
    const base = goldenExtra();
    expect(() => encodeExtraData({ ...base, vanity: new Uint8Array(31) })).toThrow(
      'vanity must be 32 bytes',
    );
    expect(() =>
      decodeExtraData(encodeExtraData({ ...base, randaoReveal: new Uint8Array(31) })),
    ).toThrow('randao reveal: expected 0 or 32 bytes');
    expect(() =>
      decodeExtraData(encodeExtraData({ ...base, commitSeals: [new Uint8Array(64)] })),
    ).toThrow('commit seal: expected 65 bytes, got 64');
    expect(() => decodeExtraData(fromHex('0xc0'))).toThrow('extraData: expected 6 items, got 0');
  });
});

describe('golden vectors: write-ahead log', () => {
  const signed: WalRecord = {
    kind: 'signed',
    height: 1,
    round: 0,
    type: MessageType.Prepare,
    digest: D,
    message: fromHex(GOLDEN.prepare),
  };
  const prepared: WalRecord = {
    kind: 'prepared',
    height: 1,
    round: 0,
    block: B,
    prepares: prepares.map((p) => p.encoded),
  };

  it('signed record [0, height, round, type, digest, message]', () => {
    const bytes = encodeWalRecord(signed);
    expect(toHex(bytes)).toBe(GOLDEN.walSigned);
    expect(toHex(keccak256(bytes))).toBe(GOLDEN.walSignedKeccak);
    expect(bytes.length).toBe(149);
    expect(decodeWalRecord(bytes)).toEqual(signed);
  });

  it('prepared record [1, height, round, block, [prepare…]]', () => {
    const bytes = encodeWalRecord(prepared);
    expect(toHex(keccak256(bytes))).toBe(GOLDEN.walPreparedKeccak);
    expect(bytes.length).toBe(347);
    // The PREPAREs are embedded as RLP lists, the same items as in a ROUND-CHANGE.
    const tail = bytes.subarray(26); // after [1, 1, 0, block: the list of PREPAREs, 321 bytes
    expect(toHex(tail)).toBe(`0x${GOLDEN.roundChangePrepared.slice(-2 * tail.length)}`);
    expect(decodeWalRecord(bytes)).toEqual(prepared);
  });

  it('rejects unknown kinds and wrong lengths', () => {
    expect(() => decodeWalRecord(fromHex(toRlp(['0x02', '0x01', '0x'])))).toThrow(
      'WAL record: unknown kind or wrong length',
    );
    expect(() => decodeWalRecord(fromHex(toRlp(['0x', '0x01', '0x', '0x01'])))).toThrow(
      'WAL record: unknown kind or wrong length',
    );
  });
});
