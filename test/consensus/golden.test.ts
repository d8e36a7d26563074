/**
 * Golden vectors of every consensus encoding, with fixed keys (1..4) and RFC 6979 signatures.
 * The same vectors are listed in docs/consensus.md, "Encodings". A change here is a wire or
 * disk format change: it breaks every deployed node.
 */
import { describe, expect, it } from 'vitest';
import { secp256k1 } from '@noble/curves/secp256k1';
import {
  bytesToHex,
  hexToBytes,
  keccak256 as viemKeccak,
  numberToHex,
  stringToHex,
  toRlp,
  type Hex,
} from 'viem';
import { fromHex, toHex, utf8 } from '../../src/crypto/bytes.js';
import { keccak256 } from '../../src/crypto/keccak.js';
import { DecodeError, rlpEncode, type RlpInput } from '../../src/codec/rlp.js';
import {
  commitSealDigest,
  payloadSigningHash,
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
import { CHAIN_ID, digestOf, makeBlock, makeSigners, privateKey, recover } from './helpers.js';

const GOLDEN = {
  address1: '0x7e5f4552091a69125d5dfcb7b8c2659029395bdf',
  address2: '0x2b5ad5c4795c026514f8317c7a215e218dccd6cf',
  address3: '0x6813eb9362372eef6200f3b1dbc3f819671cba69',
  address4: '0x1eff47bc3a10a45d4b230b5d10e37751fe6aa718',
  block: '0xd2019065746d20676f6c64656e20626c6f636b',
  digest: '0xe4480bb314b1fd9f3aab3cc2300a0e3b309ad6601eebdfa24bb6f47ca26a0cba',
  proposal:
    '0xf880f868e4800180a0e4480bb314b1fd9f3aab3cc2300a0e3b309ad6601eebdfa24bb6f47ca26a0cbab8411842abfee182914fbca34a0818eb3cad980545ffea216b576575e17120e7e3fe70f5bb18f9684112da98cbb9e0835b6453873c7328935dd2d191184f71e5b5d90193d2019065746d20676f6c64656e20626c6f636bc0c0',
  prepare:
    '0xf86af868e4010180a0e4480bb314b1fd9f3aab3cc2300a0e3b309ad6601eebdfa24bb6f47ca26a0cbab8418f40f2b9a3495aa401899dc8898f88b9d8ef966b0f372d23728adbca3336edae52559af992142b1b6ee9ed86c7030783ae2e5d93b5988d154dae665f5d631e5101',
  sealDigest0: '0xb68bb8c4ea139b437d95ceb8818feff2d179c6483cdf9243087bed543cec3863',
  sealDigest1: '0x8d1609c10c4e66d9ab70ea7a0a3b6d81e3d15637010630e9a03e974528868417',
  commit:
    '0xf8aef8acf867020180a0e4480bb314b1fd9f3aab3cc2300a0e3b309ad6601eebdfa24bb6f47ca26a0cbab841ae8c408302204661f39a695fa18c7e18539e718d000d44f22d622c0774ce13767809526124db4408df77e68048f6c5ed5c38e71545c49ff78f47e880b291c0b501b841499317a7a1b84590e84e6c2fbe12f25ae7534ff98c0cc9a4b3c0d6bada0ab95a15ef5b2d4ea7fc37b17104fea7d15eb2e7ba7282a95658013250f48a0ce7497301',
  commitKeccak: '0xff0b277c693729a62549fa1160778e033c502f2e83191fc6b6837ee27fe03dd1',
  roundChange:
    '0xf84cf848c4030101c0b841d745affc3ad65cc6c1eb5bff5a3932d2a7103cefe395433082805406b9cd9c95298dc41d77cbc417f3cf7255286ac3d794d69f52b8b9c34045205ded06dba6db0080c0',
  roundChangePrepared:
    '0xf901c1f86ae6030101e280a0e4480bb314b1fd9f3aab3cc2300a0e3b309ad6601eebdfa24bb6f47ca26a0cbab8418dcfe04e2ba99ec951912af8b31ba7b28440701e7c685ce8ba3c5e249838194034fc89657a2f0eb093e207b15a157bc3affe9435b272afa46741dcb4bebdab460093d2019065746d20676f6c64656e20626c6f636bf9013ef868e4010180a0e4480bb314b1fd9f3aab3cc2300a0e3b309ad6601eebdfa24bb6f47ca26a0cbab8418f40f2b9a3495aa401899dc8898f88b9d8ef966b0f372d23728adbca3336edae52559af992142b1b6ee9ed86c7030783ae2e5d93b5988d154dae665f5d631e5101f868e4010180a0e4480bb314b1fd9f3aab3cc2300a0e3b309ad6601eebdfa24bb6f47ca26a0cbab841d603266820df1f52aa4c855bde611c81543cdf1dc2625d4fdaa8d6459e8ff7a87a5a2ff52225e38544c11e7c35d3bd4759dbd35ef3a8d83a442a4a945de8058f01f868e4010180a0e4480bb314b1fd9f3aab3cc2300a0e3b309ad6601eebdfa24bb6f47ca26a0cbab8417efb4ae948f51540bddead8ec76cdb41f3c9f113e67db019dbf519578c735cb67718630d3276907d2f78bd428a0a967009f972d3034a3233b301dc6b69553fd301',
  roundChangePreparedKeccak: '0x3537a445fd8098c53acc8038d0af1e7113e30bd3186031804d4c5dadb48fdbfe',
  proposalRound1Keccak: '0x9fcc15ae6df09e35a153c0f520c4db484a51f9415d40ff4797124e188b805f7b',
  extraData:
    '0xf901dda0000000000000000000000000000000000000000000000000000000000000000001f8c9b84139828eafbb96ee2d8d03c8d7a9d1bf77490fc9704d24de09f4dfcae4f6bd89845f4194cb9e6a1868f1522c7dfb7dbd9168fb3ebfbe33a688510d737afd3d36fc01b841e641718d5d815cf36ea226d587f9e1e3a09aa3dc6824fc186bea6ad85f31b4e00d5d70cd599a5076c160dcbc1152487e57e01b3cf5a320a41d2c5973cb791b5e00b84175f9a33de67248d80c784bdff1fdad1ae83129e9974c1a00fbcaf26b44b89b1134ad47e7b81f8c9087c9662bbea2c644f5f5700594ddc82ce41c08ab91b849b80107a0ad2a4a272ddbd5d85e1e9e2521655beccf3c64d39c4405a411c4e4843b2cf6f4c00180f8c9b841ae8c408302204661f39a695fa18c7e18539e718d000d44f22d622c0774ce13767809526124db4408df77e68048f6c5ed5c38e71545c49ff78f47e880b291c0b501b841ba768df9144e384c693351c697d7859d44ac7e96f9c56d9e70e91443c3b56c0960a635d8dc136d6c8ffd2477351f681bd2cda7aa9d6f44aef335bffe5eba3b7201b841a481630ce81e14cac807e5bc29984ddce1189074c27c8cecf15daaeaebf4a3bf0b206e4011663b53c69c8d0afa816dac950f37dd9eb05c414db5a8c9207988e600',
  extraDataKeccak: '0xbca347e526a4bfc9bc61c0fa6981bcaa65bf0aee05c2e94451c14c928c9ad08c',
  extraDataEpochKeccak: '0x304c802c0cae5dfa9fc222ad3bca7246cc4119b0d716b6784ea2f279032890e5',
  extraDataEpoch:
    '0xf9011da0111111111111111111111111111111111111111111111111111111111111111180c00e80ea941eff47bc3a10a45d4b230b5d10e37751fe6aa718947e5f4552091a69125d5dfcb7b8c2659029395bdf8080f8c9b841ba768df9144e384c693351c697d7859d44ac7e96f9c56d9e70e91443c3b56c0960a635d8dc136d6c8ffd2477351f681bd2cda7aa9d6f44aef335bffe5eba3b7201b841a481630ce81e14cac807e5bc29984ddce1189074c27c8cecf15daaeaebf4a3bf0b206e4011663b53c69c8d0afa816dac950f37dd9eb05c414db5a8c9207988e600b8414629cdc1df284c4b5d46d901a15cc2e0237077ba5e877e54ad979055852fda961da00a3237afe86865df773e5c595e1b1a5c62029163e99eba4f6416650de27500',
  walSigned:
    '0xf89380018001a0e4480bb314b1fd9f3aab3cc2300a0e3b309ad6601eebdfa24bb6f47ca26a0cbab86cf86af868e4010180a0e4480bb314b1fd9f3aab3cc2300a0e3b309ad6601eebdfa24bb6f47ca26a0cbab8418f40f2b9a3495aa401899dc8898f88b9d8ef966b0f372d23728adbca3336edae52559af992142b1b6ee9ed86c7030783ae2e5d93b5988d154dae665f5d631e5101',
  walSignedKeccak: '0x9755da18fe580e5a6d31cfbc2e8adf09cde9677f9cdf69191d2299afe3d4d583',
  walPreparedKeccak: '0x5817aea9f83f96079f98ee07c7d593662f8f674dbad66bea57df8c687499951c',
} as const;

const [k1, k2, k3, k4] = makeSigners(4) as [Signer, Signer, Signer, Signer];
const B = makeBlock(1, 'etm golden block');
const D = digestOf(B);
const prepares = [k1, k2, k3].map((k) => signPrepare(k, CHAIN_ID, 1, 0, D));
const LIMITS = { chainId: CHAIN_ID, maxMessageBytes: 1 << 20, maxJustification: 1024 };
const CHAIN_HEX = numberToHex(CHAIN_ID);
/** What a message signature signs, computed independently with viem. */
const signingHash = (payload: (Hex | Hex[])[]): Hex =>
  viemKeccak(toRlp([stringToHex('etm-qbft-message'), CHAIN_HEX, payload]));
const decode = (bytes: Uint8Array): ConsensusMessage => decodeMessage(bytes, recover, LIMITS);

/** The test block's digest stands in for a parent hash in the extraData vectors. */
const parentSeals = (keys: Signer[]) => keys.map((k) => k.sign(commitSealDigest(CHAIN_ID, D, 0)));

function goldenExtra(): ExtraData {
  return {
    vanity: new Uint8Array(32),
    round: 1,
    commitSeals: [k1, k2, k3].map((k) => k.sign(commitSealDigest(CHAIN_ID, D, 1))),
    parentSealBitmap: sealBitmap(4, [0, 1, 2]),
    randaoReveal: keccak256(utf8('randao')),
    nextValidators: [],
    proposalRound: 1,
    parentRound: 0,
    parentSeals: parentSeals([k1, k2, k3]),
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
      signed: signProposalPayload(k2, CHAIN_ID, 1, 0, D),
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

  it('commitSealDigest = keccak256(RLP ["etm-qbft-commit-seal", chainId, digest, round])', () => {
    expect(toHex(commitSealDigest(CHAIN_ID, D, 0))).toBe(GOLDEN.sealDigest0);
    expect(toHex(commitSealDigest(CHAIN_ID, D, 1))).toBe(GOLDEN.sealDigest1);
    const tag = stringToHex('etm-qbft-commit-seal');
    expect(viemKeccak(toRlp([tag, CHAIN_HEX, GOLDEN.digest, '0x']))).toBe(GOLDEN.sealDigest0);
    expect(viemKeccak(toRlp([tag, CHAIN_HEX, GOLDEN.digest, '0x01']))).toBe(GOLDEN.sealDigest1);
    // Another chain, another digest: a seal of one chain proves nothing on another.
    expect(toHex(commitSealDigest(CHAIN_ID + 1n, D, 0))).not.toBe(GOLDEN.sealDigest0);
  });

  it('COMMIT (key 1, height 1, round 0) with its commit seal', () => {
    const bytes = encodeMessage({
      type: MessageType.Commit,
      signed: signCommit(k1, CHAIN_ID, 1, 0, D),
    });
    expect(toHex(bytes)).toBe(GOLDEN.commit);
    expect(toHex(keccak256(bytes))).toBe(GOLDEN.commitKeccak);
    expect(bytes.length).toBe(176);
    const m = decode(bytes);
    expect(m.type).toBe(MessageType.Commit);
    expect(toHex(m.signed.author)).toBe(GOLDEN.address1);
    expect(toHex(recover(commitSealDigest(CHAIN_ID, D, 0), m.signed.commitSeal!))).toBe(
      GOLDEN.address1,
    );
    expect(toHex(encodeMessage(m))).toBe(GOLDEN.commit);
  });

  it('ROUND-CHANGE (key 1, height 1, round 1) without a prepared certificate', () => {
    const bytes = encodeMessage({
      type: MessageType.RoundChange,
      signed: signRoundChange(k1, CHAIN_ID, 1, 1, null),
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
    // The digest of a ROUND-CHANGE is the hash its signature signs.
    expect(toHex(m.signed.digest)).toBe(signingHash(['0x03', '0x01', '0x01', []]));
    expect(toHex(encodeMessage(m))).toBe(GOLDEN.roundChange);
  });

  it('ROUND-CHANGE (key 1, height 1, round 1) carrying the round-0 certificate of keys 1..3', () => {
    const bytes = encodeMessage({
      type: MessageType.RoundChange,
      signed: signRoundChange(k1, CHAIN_ID, 1, 1, { round: 0, digest: D }),
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
    const rcs = [k1, k2, k3].map((k) =>
      signRoundChange(k, CHAIN_ID, 1, 1, { round: 0, digest: D }),
    );
    const bytes = encodeMessage({
      type: MessageType.Proposal,
      signed: signProposalPayload(k3, CHAIN_ID, 1, 1, D),
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
    const prepare = toRlp([[payload, sig(signingHash(payload), 1)]]);
    expect(prepare).toBe(GOLDEN.prepare);

    const seal = sig(GOLDEN.sealDigest0, 1);
    const commitPayload: Hex[] = ['0x02', '0x01', '0x', GOLDEN.digest, seal];
    const commit = toRlp([[commitPayload, sig(signingHash(commitPayload), 1)]]);
    expect(commit).toBe(GOLDEN.commit);

    const proposalPayload: Hex[] = ['0x', '0x01', '0x', GOLDEN.digest];
    const proposal = toRlp([
      [proposalPayload, sig(signingHash(proposalPayload), 2)],
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
    rlpEncode([[payload, k1.sign(payloadSigningHash(CHAIN_ID, payload))], ...tail]);
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
    const rc = signRoundChange(k1, CHAIN_ID, 1, 1, null);
    const bytes = encodeMessage({
      type: MessageType.Proposal,
      signed: signProposalPayload(k3, CHAIN_ID, 1, 1, D),
      block: B,
      roundChanges: [rc, rc, rc],
      prepares: [],
    });
    expect(() =>
      decodeMessage(bytes, recover, {
        chainId: CHAIN_ID,
        maxMessageBytes: 1 << 20,
        maxJustification: 2,
      }),
    ).toThrow('round-change justification: more than 2 entries');
    expect(() =>
      decodeMessage(bytes, recover, {
        chainId: CHAIN_ID,
        maxMessageBytes: 100,
        maxJustification: 9,
      }),
    ).toThrow(`message of ${bytes.length} bytes exceeds 100`);
  });
});

describe('golden vectors: extraData', () => {
  it('sealed extraData: round 1, three seals, bitmap 0b0111, randao reveal, no next set', () => {
    const bytes = encodeExtraData(goldenExtra());
    expect(toHex(bytes)).toBe(GOLDEN.extraData);
    expect(toHex(keccak256(bytes))).toBe(GOLDEN.extraDataKeccak);
    expect(bytes.length).toBe(480);
    const x = decodeExtraData(bytes);
    expect(x).toEqual(goldenExtra());
    expect(toHex(x.parentSealBitmap)).toBe('0x07');
    expect(bitmapIndices(x.parentSealBitmap, 4)).toEqual([0, 1, 2]);
    expect(x.commitSeals.map((s) => toHex(recover(commitSealDigest(CHAIN_ID, D, 1), s)))).toEqual([
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
      proposalRound: 0,
      parentRound: 0,
      parentSeals: parentSeals([k2, k3, k4]),
    };
    const bytes = encodeExtraData(x);
    expect(toHex(bytes)).toBe(GOLDEN.extraDataEpoch);
    expect(bytes.length).toBe(288);
    expect(toHex(keccak256(bytes))).toBe(GOLDEN.extraDataEpochKeccak);
    expect(decodeExtraData(bytes)).toEqual(x);
  });

  it('forHashing drops the commit round and seals and keeps the rest', () => {
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
      '0x01',
      '0x',
      parentSeals([k1, k2, k3]).map((s) => bytesToHex(s)),
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
    expect(() => decodeExtraData(fromHex('0xc0'))).toThrow('extraData: expected 9 items, got 0');
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
