/**
 * Encodings of headers, blocks and receipts: round trips, the Ethereum field layout, pinned
 * hashes, and the logs bloom against go-ethereum's published vector.
 */
import { RLP } from '@ethereumjs/rlp';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  blockHash,
  decodeBlock,
  encodeBlock,
  unsealed,
  type Block,
} from '../../src/chain/block.js';
import { addToBloom, bloomMayContain, orBloom } from '../../src/crypto/bloom.js';
import { BLOOM_BYTES } from '../../src/primitives/receipt.js';
import {
  decodeHeader,
  EMPTY_OMMERS_HASH,
  encodeHeader,
  headerFieldsForBlock,
  headerHash,
  type Header,
} from '../../src/chain/header.js';
import {
  decodeStoredReceipts,
  encodeReceipt,
  encodeStoredReceipts,
  logsBloom,
} from '../../src/codec/receipt.js';
import type { Log, StoredReceipt } from '../../src/primitives/receipt.js';
import { DecodeError, rlpEncode, type RlpInput } from '../../src/codec/rlp.js';
import { encodeExtraData, forHashing } from '../../src/consensus/extra-data.js';
import { concatBytes, fromHex, toHex, utf8 } from '../../src/crypto/bytes.js';
import { keccak256 } from '../../src/crypto/keccak.js';

const bytes = (n: number) => fc.uint8Array({ minLength: n, maxLength: n });
const uint = (bits: bigint) => fc.bigInt({ min: 0n, max: (1n << bits) - 1n });

const headerArb: fc.Arbitrary<Header> = fc.record({
  parentHash: bytes(32),
  coinbase: bytes(20),
  stateRoot: bytes(32),
  transactionsRoot: bytes(32),
  receiptsRoot: bytes(32),
  logsBloom: bytes(256),
  number: uint(64n),
  gasLimit: uint(64n),
  gasUsed: uint(64n),
  timestamp: uint(64n),
  extra: fc.record({
    vanity: bytes(32),
    round: fc.integer({ min: 0, max: 2 ** 48 - 1 }),
    commitSeals: fc.array(bytes(65), { maxLength: 5 }),
    parentSealBitmap: fc.uint8Array({ maxLength: 128 }),
    randaoReveal: fc.oneof(bytes(0), bytes(32)),
    nextValidators: fc.array(bytes(20), { maxLength: 5 }),
    proposalRound: fc.integer({ min: 0, max: 2 ** 48 - 1 }),
    parentRound: fc.integer({ min: 0, max: 2 ** 48 - 1 }),
    parentSeals: fc.array(bytes(65), { maxLength: 5 }),
  }),
  mixHash: bytes(32),
  baseFeePerGas: uint(256n),
});

const blockArb: fc.Arbitrary<Block> = fc.record({
  header: headerArb,
  transactions: fc.array(fc.uint8Array({ minLength: 1, maxLength: 200 }), { maxLength: 8 }),
});

const logArb: fc.Arbitrary<Log> = fc.record({
  address: bytes(20),
  topics: fc.array(bytes(32), { maxLength: 4 }),
  data: fc.uint8Array({ maxLength: 100 }),
});

const storedReceiptArb: fc.Arbitrary<StoredReceipt> = fc
  .record({
    type: fc.constantFrom(0, 1, 2),
    status: fc.constantFrom(0 as const, 1 as const),
    cumulativeGasUsed: uint(64n),
    gasUsed: uint(64n),
    effectiveGasPrice: uint(256n),
    logs: fc.array(logArb, { maxLength: 4 }),
  })
  .map((r) => ({ ...r, logsBloom: logsBloom(r.logs) }));

/** A fixed header: every field distinct and non-trivial. */
function goldenHeader(): Header {
  return {
    parentHash: new Uint8Array(32).fill(0x01),
    coinbase: new Uint8Array(20).fill(0x02),
    stateRoot: new Uint8Array(32).fill(0x03),
    transactionsRoot: new Uint8Array(32).fill(0x04),
    receiptsRoot: new Uint8Array(32).fill(0x05),
    logsBloom: new Uint8Array(256).fill(0x06),
    number: 7n,
    gasLimit: 150_000_000n,
    gasUsed: 21_000n,
    timestamp: 1_700_000_001n,
    extra: {
      vanity: new Uint8Array(32).fill(0x08),
      round: 2,
      commitSeals: [new Uint8Array(65).fill(0x09)],
      parentSealBitmap: Uint8Array.of(0x0b),
      randaoReveal: new Uint8Array(32).fill(0x0a),
      nextValidators: [new Uint8Array(20).fill(0x0c)],
      proposalRound: 1,
      parentRound: 3,
      parentSeals: [new Uint8Array(65).fill(0x0e)],
    },
    mixHash: new Uint8Array(32).fill(0x0d),
    baseFeePerGas: 1_000_000_000n,
  };
}

/** The header as Ethereum lays it out, built here by hand with @ethereumjs/rlp. */
function ethereumHeaderRlp(h: Header, extraData: Uint8Array): Uint8Array {
  const int = (v: bigint) => {
    if (v === 0n) return new Uint8Array(0);
    const hex = v.toString(16);
    return fromHex(hex.length % 2 === 0 ? hex : `0${hex}`);
  };
  return RLP.encode([
    h.parentHash,
    keccak256(RLP.encode([])), // ommersHash of no ommers
    h.coinbase,
    h.stateRoot,
    h.transactionsRoot,
    h.receiptsRoot,
    h.logsBloom,
    new Uint8Array(0), // difficulty 0
    int(h.number),
    int(h.gasLimit),
    int(h.gasUsed),
    int(h.timestamp),
    extraData,
    h.mixHash,
    new Uint8Array(8), // nonce
    int(h.baseFeePerGas),
  ]);
}

/** Re-encodes a header field list with field `i` replaced. */
function withField(h: Header, i: number, value: RlpInput): Uint8Array {
  const fields = headerFieldsForBlock(h) as RlpInput[];
  fields[i] = value;
  return rlpEncode(fields);
}

describe('headers', () => {
  it('round-trip through their encoding', () => {
    fc.assert(
      fc.property(headerArb, (h) => {
        expect(decodeHeader(encodeHeader(h))).toEqual(h);
      }),
      { numRuns: 200 },
    );
  });

  it('use Ethereum’s sixteen fields in Ethereum’s order', () => {
    fc.assert(
      fc.property(headerArb, (h) => {
        expect(toHex(encodeHeader(h))).toBe(toHex(ethereumHeaderRlp(h, encodeExtraData(h.extra))));
        expect(toHex(headerHash(h))).toBe(
          toHex(keccak256(ethereumHeaderRlp(h, encodeExtraData(forHashing(h.extra))))),
        );
      }),
      { numRuns: 100 },
    );
  });

  it('hash without the round and commit seals, and with every other field', () => {
    fc.assert(
      fc.property(headerArb, bytes(65), fc.nat(1000), (h, seal, round) => {
        const resealed = { ...h, extra: { ...h.extra, round, commitSeals: [seal] } };
        expect(headerHash(resealed)).toEqual(headerHash(h));
        expect(encodeHeader(resealed)).not.toEqual(
          encodeHeader({ ...h, extra: { ...h.extra, round: round + 1 } }),
        );
      }),
      { numRuns: 50 },
    );
    const h = goldenHeader();
    const base = toHex(headerHash(h));
    const edits: ((x: Header) => void)[] = [
      (x) => (x.parentHash = new Uint8Array(32)),
      (x) => (x.coinbase = new Uint8Array(20)),
      (x) => (x.stateRoot = new Uint8Array(32)),
      (x) => (x.transactionsRoot = new Uint8Array(32)),
      (x) => (x.receiptsRoot = new Uint8Array(32)),
      (x) => (x.logsBloom = new Uint8Array(256)),
      (x) => (x.number += 1n),
      (x) => (x.gasLimit += 1n),
      (x) => (x.gasUsed += 1n),
      (x) => (x.timestamp += 1n),
      (x) => (x.extra.vanity = new Uint8Array(32)),
      (x) => (x.extra.parentSealBitmap = Uint8Array.of(0x07)),
      (x) => (x.extra.randaoReveal = new Uint8Array(0)),
      (x) => (x.extra.nextValidators = []),
      (x) => (x.mixHash = new Uint8Array(32)),
      (x) => (x.baseFeePerGas += 1n),
    ];
    const seen = new Set([base]);
    for (const edit of edits) {
      const x = structuredClone(h);
      edit(x);
      const hash = toHex(headerHash(x));
      expect(seen.has(hash), edit.toString()).toBe(false);
      seen.add(hash);
    }
  });

  it('give the pinned encoding hash and block hash', () => {
    const h = goldenHeader();
    // Pinned: a change here changes the hash of every block.
    expect(toHex(keccak256(encodeHeader(h)))).toBe(
      '0x1b76c1852fc66458a642d8ac7743426059320d578f82921410db23eee9026f24',
    );
    expect(toHex(headerHash(h))).toBe(
      '0x6097d53a51cff8b9359f9bbd5b22b79b47401ca4e3d9b3f162486d4b9912f7dd',
    );
  });

  it('refuse what Ethereum’s layout forbids here', () => {
    const h = goldenHeader();
    const refuse = (b: Uint8Array, why: RegExp) => {
      expect(() => decodeHeader(b)).toThrow(DecodeError);
      expect(() => decodeHeader(b)).toThrow(why);
    };
    refuse(withField(h, 1, new Uint8Array(32)), /ommers must be empty/);
    refuse(withField(h, 7, 1n), /difficulty must be 0/);
    refuse(withField(h, 14, Uint8Array.of(0, 0, 0, 0, 0, 0, 0, 1)), /nonce must be zero/);
    refuse(withField(h, 14, new Uint8Array(7)), /nonce: expected 8 bytes/);
    refuse(withField(h, 2, new Uint8Array(19)), /coinbase: expected 20 bytes/);
    refuse(withField(h, 6, new Uint8Array(255)), /logsBloom: expected 256 bytes/);
    refuse(withField(h, 8, Uint8Array.of(0, 7)), /number: integer has a leading zero/);
    refuse(withField(h, 11, new Uint8Array(9).fill(1)), /timestamp: integer longer than 8 bytes/);
    refuse(withField(h, 12, Uint8Array.of(0xc0)), /extraData/);
    refuse(withField(h, 12, new Uint8Array(0)), /invalid RLP|extraData/);
    refuse(withField(h, 0, [new Uint8Array(32)]), /parentHash: expected bytes/);
    const fields = headerFieldsForBlock(h) as RlpInput[];
    refuse(rlpEncode(fields.slice(0, 15)), /header: expected 16 items/);
    refuse(rlpEncode([...fields, 0n]), /header: expected 16 items/);
    refuse(concatBytes(encodeHeader(h), Uint8Array.of(0)), /invalid RLP/);
    expect(EMPTY_OMMERS_HASH).toEqual(
      fromHex('0x1dcc4de8dec75d7aab85b567b6ccd41ad312451b948a7413f0a142fd40d49347'),
    );
  });
});

describe('blocks', () => {
  it('round-trip, and hash as their header', () => {
    fc.assert(
      fc.property(blockArb, (b) => {
        const decoded = decodeBlock(encodeBlock(b));
        expect(decoded).toEqual(b);
        expect(blockHash(decoded)).toEqual(headerHash(b.header));
        expect(blockHash(unsealed(b))).toEqual(blockHash(b));
        expect(unsealed(b).header.extra.commitSeals).toEqual([]);
        expect(unsealed(b).header.extra.round).toBe(0);
      }),
      { numRuns: 100 },
    );
  });

  it('are RLP [header, [tx…]] and refuse anything else', () => {
    const b: Block = {
      header: goldenHeader(),
      transactions: [Uint8Array.of(1, 2), Uint8Array.of(0xc0)],
    };
    const encoded = encodeBlock(b);
    expect(toHex(encoded)).toBe(
      toHex(RLP.encode([RLP.decode(encodeHeader(b.header)), b.transactions] as never)),
    );
    expect(toHex(keccak256(encoded))).toBe(
      '0xf4dc39ec52ff7ed8c69c487bf69647dcdd1b959b583c02b757a081ad69e525bb',
    );
    const header = RLP.decode(encodeHeader(b.header)) as never;
    expect(() => decodeBlock(RLP.encode([header]))).toThrow(/block: expected 2 items/);
    expect(() => decodeBlock(RLP.encode([header, new Uint8Array(1)]))).toThrow(/transactions/);
    expect(() => decodeBlock(RLP.encode([header, [[new Uint8Array(1)]]]))).toThrow(
      /transaction 0: expected bytes/,
    );
    expect(() => decodeBlock(encoded, 1)).toThrow(/too many transactions/);
    expect(decodeBlock(encoded, 2).transactions).toHaveLength(2);
  });
});

describe('receipts', () => {
  it('encode as Ethereum does', () => {
    const bloom = new Uint8Array(256);
    const legacy = encodeReceipt({
      type: 0,
      status: 1,
      cumulativeGasUsed: 21_000n,
      logsBloom: bloom,
      logs: [],
    });
    // RLP [0x01, 21000, bloom, []]: 1 + 3 + 259 + 1 = 264 = 0x108 bytes of payload.
    expect(toHex(legacy)).toBe('0xf90108' + '01' + '825208' + 'b90100' + '00'.repeat(256) + 'c0');
    const failed = encodeReceipt({
      type: 2,
      status: 0,
      cumulativeGasUsed: 0n,
      logsBloom: bloom,
      logs: [],
    });
    // Typed: the type byte, then RLP [empty status, 0, bloom, []].
    expect(toHex(failed)).toBe(
      '0x02' + 'f90106' + '80' + '80' + 'b90100' + '00'.repeat(256) + 'c0',
    );
    const log: Log = {
      address: new Uint8Array(20).fill(0xaa),
      topics: [new Uint8Array(32).fill(0xbb)],
      data: Uint8Array.of(1, 2),
    };
    const withLog = encodeReceipt({
      type: 1,
      status: 1,
      cumulativeGasUsed: 1n,
      logsBloom: logsBloom([log]),
      logs: [log],
    });
    expect(withLog[0]).toBe(1);
    expect(RLP.decode(withLog.subarray(1))).toEqual([
      Uint8Array.of(1),
      Uint8Array.of(1),
      logsBloom([log]),
      [[log.address, [log.topics[0]], log.data]],
    ]);
  });

  it('encode byte for byte as @ethereumjs/rlp encodes the consensus items', () => {
    fc.assert(
      fc.property(storedReceiptArb, (r) => {
        const body = RLP.encode([
          r.status === 1 ? Uint8Array.of(1) : new Uint8Array(0),
          r.cumulativeGasUsed,
          r.logsBloom,
          r.logs.map((l) => [l.address, l.topics, l.data]),
        ]);
        const want = r.type === 0 ? body : concatBytes(Uint8Array.of(r.type), body);
        expect(toHex(encodeReceipt(r))).toBe(toHex(want));
      }),
      { numRuns: 300 },
    );
  });

  it('round-trip as stored, with the bloom recomputed from the logs', () => {
    fc.assert(
      fc.property(fc.array(storedReceiptArb, { maxLength: 5 }), (receipts) => {
        expect(decodeStoredReceipts(encodeStoredReceipts(receipts))).toEqual(receipts);
      }),
      { numRuns: 200 },
    );
    expect(decodeStoredReceipts(encodeStoredReceipts([]))).toEqual([]);
    expect(() => decodeStoredReceipts(rlpEncode([[1n, 1n]]))).toThrow(/receipt: expected 6 items/);
    expect(() =>
      decodeStoredReceipts(
        rlpEncode([[0n, 1n, 1n, 1n, 1n, [[new Uint8Array(19), [], new Uint8Array(0)]]]]),
      ),
    ).toThrow(/log address: expected 20 bytes/);
  });
});

describe('logs bloom', () => {
  it('matches go-ethereum’s TestBloomExtensively vector', () => {
    const bloom = new Uint8Array(BLOOM_BYTES);
    for (let i = 0; i < 100; i++) addToBloom(bloom, utf8(`xxxxxxxxxx data ${i} yyyyyyyyyyyyyy`));
    expect(toHex(keccak256(bloom))).toBe(
      '0xc8d3ca65cdb4874300a9e39475508f23ed6da09fdbc487f89a2dcf50b09eb263',
    );
  });

  it('contains what was added and not go-ethereum’s negatives', () => {
    const bloom = new Uint8Array(BLOOM_BYTES);
    for (const s of ['testtest', 'test', 'hallo', 'other']) addToBloom(bloom, utf8(s));
    for (const s of ['testtest', 'test', 'hallo', 'other'])
      expect(bloomMayContain(bloom, utf8(s))).toBe(true);
    for (const s of ['tes', 'lo']) expect(bloomMayContain(bloom, utf8(s))).toBe(false);
    expect(bloomMayContain(new Uint8Array(BLOOM_BYTES), utf8('test'))).toBe(false);
  });

  it('sets at most three bits per entry, and or-ing merges blooms', () => {
    fc.assert(
      fc.property(fc.array(fc.uint8Array({ maxLength: 40 }), { maxLength: 6 }), (values) => {
        const all = new Uint8Array(BLOOM_BYTES);
        for (const v of values) {
          const one = new Uint8Array(BLOOM_BYTES);
          addToBloom(one, v);
          const bits = one.reduce((n, b) => n + popcount(b), 0);
          expect(bits).toBeGreaterThanOrEqual(1);
          expect(bits).toBeLessThanOrEqual(3);
          orBloom(all, one);
        }
        for (const v of values) expect(bloomMayContain(all, v)).toBe(true);
      }),
      { numRuns: 100 },
    );
  });

  it('of logs holds each address and topic, but not the data', () => {
    fc.assert(
      fc.property(fc.array(logArb, { minLength: 1, maxLength: 4 }), (logs) => {
        const bloom = logsBloom(logs);
        for (const l of logs) {
          expect(bloomMayContain(bloom, l.address)).toBe(true);
          for (const topic of l.topics) expect(bloomMayContain(bloom, topic)).toBe(true);
        }
        const expected = new Uint8Array(BLOOM_BYTES);
        for (const l of logs) {
          addToBloom(expected, l.address);
          for (const topic of l.topics) addToBloom(expected, topic);
        }
        expect(bloom).toEqual(expected);
      }),
      { numRuns: 50 },
    );
    expect(logsBloom([])).toEqual(new Uint8Array(BLOOM_BYTES));
    const onlyData: Log = { address: new Uint8Array(20), topics: [], data: utf8('payload') };
    expect(bloomMayContain(logsBloom([onlyData]), utf8('payload'))).toBe(false);
  });
});

function popcount(b: number): number {
  let n = 0;
  for (let x = b; x > 0; x >>= 1) n += x & 1;
  return n;
}
