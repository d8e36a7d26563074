/**
 * The decoder against @ethereumjs/tx: transactions signed by @ethereumjs/tx decode to its sender,
 * hash, signing hash and fields, and any input (valid, tampered field by field, re-framed or
 * byte-mutated) gets the same outcome from TxDecoder as from the reference decoder built on
 * @ethereumjs/tx: the same transaction, or a TxError with the same code.
 */
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { createCustomCommon, Hardfork, Mainnet } from '@ethereumjs/common';
import { createAccessList2930Tx, createFeeMarket1559Tx, createLegacyTx } from '@ethereumjs/tx';
import { bigintToBytes, concatBytes, toHex } from '../../src/crypto/bytes.js';
import { addressOf, isValidPrivateKey, SECP256K1_N } from '../../src/crypto/secp256k1.js';
import { rlpEncode, type RlpInput } from '../../src/codec/rlp.js';
import { TxError, type TxErrorCode } from '../../src/execution/errors.js';
import {
  MAX_INITCODE_BYTES,
  signingHash,
  TxDecoder,
  type SignedTx,
} from '../../src/execution/tx.js';
import { CHAIN_ID, encode, signTx } from './helpers.js';
import { ReferenceDecoder } from './reference-decoder.js';

const common = createCustomCommon({ chainId: CHAIN_ID.toString() }, Mainnet, {
  hardfork: Hardfork.Prague,
});
const MAX_UINT256 = (1n << 256n) - 1n;
const MAX_UINT64 = (1n << 64n) - 1n;

/** Integers at the edges of some rule: v values, 64- and 256-bit limits, the curve order. */
const BOUNDARIES = [
  // with the seeds' gas limit of 21,000: a fee cap × gas just at and just above 2^256 − 1
  MAX_UINT256 / 21_000n,
  MAX_UINT256 / 21_000n + 1n,
  0n,
  1n,
  27n,
  28n,
  35n,
  36n,
  CHAIN_ID * 2n + 35n,
  CHAIN_ID * 2n + 37n,
  MAX_UINT64 - 1n,
  MAX_UINT64,
  MAX_UINT64 + 1n,
  MAX_UINT256,
  MAX_UINT256 + 1n,
  SECP256K1_N - 1n,
  SECP256K1_N,
  SECP256K1_N >> 1n,
  (SECP256K1_N >> 1n) + 1n,
];

const fast = new TxDecoder({ chainId: CHAIN_ID, cacheSize: 0 });
const reference = new ReferenceDecoder({ chainId: CHAIN_ID });

type Outcome = { ok: SignedTx } | { code: TxErrorCode };

function outcome(fn: () => SignedTx): Outcome {
  try {
    return { ok: fn() };
  } catch (e) {
    if (e instanceof TxError) return { code: e.code };
    throw e;
  }
}

/** Byte strings as hex: a deep comparison of large Uint8Arrays element by element is slow. */
function comparable(value: unknown): unknown {
  if (value instanceof Uint8Array) return toHex(value);
  if (Array.isArray(value)) return value.map(comparable);
  if (value !== null && typeof value === 'object')
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, comparable(v)]));
  return value;
}

/** Both decoders give the same outcome for `raw`; returns it. */
function expectSameOutcome(raw: Uint8Array): Outcome {
  const got = outcome(() => fast.decode(raw));
  const want = outcome(() => reference.decode(raw).tx);
  expect(comparable(got)).toEqual(comparable(want));
  return got;
}

const key = fc.uint8Array({ minLength: 32, maxLength: 32 }).filter((k) => isValidPrivateKey(k));
/** Integers below 2^bits, biased to the edges (0, 1, the top) as well as random ones. */
const uintBelow = (bits: number) =>
  fc.oneof(
    fc.bigInt({ min: 0n, max: 1000n }),
    fc.bigInt({ min: 0n, max: (1n << BigInt(bits)) - 1n }),
    fc.constant((1n << BigInt(bits)) - 1n),
  );
const address = fc.uint8Array({ minLength: 20, maxLength: 20 });
const accessList = fc.array(
  fc.tuple(address, fc.array(fc.uint8Array({ minLength: 32, maxLength: 32 }), { maxLength: 3 })),
  { maxLength: 3 },
);

const txFields = fc
  .record({
    type: fc.constantFrom(0 as const, 1 as const, 2 as const),
    nonce: uintBelow(64).map((n) => (n === MAX_UINT64 ? n - 1n : n)),
    gasLimit: uintBelow(64),
    fee: uintBelow(256),
    tipShare: fc.bigInt({ min: 0n, max: 100n }),
    to: fc.option(address, { nil: undefined, freq: 5 }),
    value: uintBelow(256),
    data: fc.uint8Array({ maxLength: 120 }),
    accessList,
    key,
  })
  // gas × fee cap must fit in 256 bits
  .map((f) => ({
    ...f,
    fee: f.gasLimit === 0n || f.fee * f.gasLimit <= MAX_UINT256 ? f.fee : MAX_UINT256 / f.gasLimit,
  }));

type TxFields = typeof txFields extends fc.Arbitrary<infer T> ? T : never;

/** Signed by @ethereumjs/tx, the reference signer. */
function ethereumjsSigned(f: TxFields) {
  const base = {
    nonce: f.nonce,
    gasLimit: f.gasLimit,
    to: f.to,
    value: f.value,
    data: f.data,
  };
  const opts = { common };
  if (f.type === 0) return createLegacyTx({ ...base, gasPrice: f.fee }, opts).sign(f.key);
  if (f.type === 1)
    return createAccessList2930Tx(
      { ...base, gasPrice: f.fee, accessList: f.accessList, chainId: CHAIN_ID },
      opts,
    ).sign(f.key);
  return createFeeMarket1559Tx(
    {
      ...base,
      maxFeePerGas: f.fee,
      maxPriorityFeePerGas: (f.fee * f.tipShare) / 100n,
      accessList: f.accessList,
      chainId: CHAIN_ID,
    },
    opts,
  ).sign(f.key);
}

describe('TxDecoder against @ethereumjs/tx', () => {
  it('valid transactions of every type: same sender, hash, signing hash and fields', () => {
    fc.assert(
      fc.property(txFields, (f) => {
        const signed = ethereumjsSigned(f);
        const raw = signed.serialize();
        const tx = fast.decode(raw);
        expect(tx.type).toBe(f.type);
        expect(tx.sender).toEqual(addressOf(f.key));
        expect(tx.sender).toEqual(signed.getSenderAddress().bytes);
        expect(tx.hash).toEqual(signed.hash());
        expect(signingHash(f.type, raw, bigintToBytes(CHAIN_ID))).toEqual(
          signed.getHashedMessageToSign(),
        );
        expect(tx.nonce).toBe(signed.nonce);
        expect(tx.gasLimit).toBe(signed.gasLimit);
        expect(tx.to).toEqual(signed.to?.bytes ?? null);
        expect(tx.value).toBe(signed.value);
        expect(tx.data).toEqual(signed.data);
        expect(tx.r).toBe(signed.r);
        expect(tx.s).toBe(signed.s);
        expect(tx.v).toBe(signed.v);
        // And every field the reference decoder (through @ethereumjs/tx) gives.
        const ref = reference.decode(raw);
        expect(tx).toEqual(ref.tx);
        expect(ref.signingHash).toEqual(signed.getHashedMessageToSign());
      }),
      { numRuns: 150 },
    );
  });

  /** One change to a signed transaction's items, named for the failure message. */
  const tamper = fc.oneof(
    // any field replaced by bytes of any width, or by a list
    fc.record({
      kind: fc.constant('bytes' as const),
      at: fc.nat(),
      bytes: fc.oneof(
        fc.uint8Array({ maxLength: 40 }),
        fc.constantFrom(new Uint8Array(19), new Uint8Array(21), Uint8Array.of(0, 1)),
      ),
    }),
    fc.record({ kind: fc.constant('list' as const), at: fc.nat() }),
    // an integer field given a leading zero
    fc.record({ kind: fc.constant('leading-zero' as const), at: fc.nat() }),
    // an integer field set to a boundary value
    fc.record({
      kind: fc.constant('integer' as const),
      at: fc.nat(),
      value: fc.constantFrom(...BOUNDARIES),
    }),
    fc.record({ kind: fc.constant('drop' as const), at: fc.nat() }),
    fc.record({ kind: fc.constant('extra' as const) }),
    // contract creation with initcode at and above the EIP-3860 limit
    fc.record({ kind: fc.constant('initcode' as const), extra: fc.integer({ min: 0, max: 1 }) }),
  );

  type TamperT = typeof tamper extends fc.Arbitrary<infer T> ? T : never;

  function applyTamper(type: 0 | 1 | 2, items: RlpInput[], t: TamperT): RlpInput[] {
    const out = [...items];
    const at = 'at' in t ? t.at % out.length : 0;
    switch (t.kind) {
      case 'bytes':
        out[at] = t.bytes;
        break;
      case 'list':
        out[at] = [out[at]!];
        break;
      case 'leading-zero':
        if (out[at] instanceof Uint8Array) out[at] = concatBytes(Uint8Array.of(0), out[at]);
        break;
      case 'integer':
        out[at] = bigintToBytes(t.value);
        break;
      case 'drop':
        out.splice(at, 1);
        break;
      case 'extra':
        out.push(new Uint8Array(0));
        break;
      case 'initcode': {
        const first = type === 0 ? 0 : 1;
        const toAt = first + (type === 2 ? 4 : 3);
        out[toAt] = new Uint8Array(0);
        out[toAt + 2] = new Uint8Array(MAX_INITCODE_BYTES + t.extra).fill(0x60);
        out[toAt - 1] = bigintToBytes(10_000_000n); // gas enough for the initcode
        break;
      }
    }
    return out;
  }

  const seed = (type: 0 | 1 | 2, nonce = 0n) =>
    signTx(type, {
      nonce,
      accessList: type === 0 ? undefined : [[new Uint8Array(20).fill(1), [new Uint8Array(32)]]],
    }).items;

  it('every field set to every edge value, given a leading zero, nested, dropped: same outcome', () => {
    const codes = new Map<string, number>();
    const check = (type: 0 | 1 | 2, t: TamperT) => {
      const got = expectSameOutcome(encode(type, applyTamper(type, seed(type), t)));
      const name = 'code' in got ? got.code : 'ok';
      codes.set(name, (codes.get(name) ?? 0) + 1);
    };
    for (const type of [0, 1, 2] as const) {
      check(type, { kind: 'extra' });
      for (const extra of [0, 1]) check(type, { kind: 'initcode', extra });
      for (let at = 0; at < seed(type).length; at++) {
        for (const value of BOUNDARIES) check(type, { kind: 'integer', at, value });
        check(type, { kind: 'leading-zero', at });
        check(type, { kind: 'list', at });
        check(type, { kind: 'drop', at });
      }
    }
    // Every refusal the decoder makes is reached, and acceptance.
    for (const code of [
      'ok',
      'malformed',
      'bad-signature',
      'wrong-chain-id',
      'unprotected',
      'tip-above-fee-cap',
    ])
      expect(codes.get(code) ?? 0, code).toBeGreaterThan(0);
  });

  it('random field tampering: the same transaction or the same refusal', () => {
    fc.assert(
      fc.property(
        fc.constantFrom(0 as const, 1 as const, 2 as const),
        fc.bigInt({ min: 0n, max: 1000n }),
        tamper,
        (type, nonce, t) => {
          expectSameOutcome(encode(type, applyTamper(type, seed(type, nonce), t)));
        },
      ),
      { numRuns: 600 },
    );
  });

  it('byte-mutated and re-framed encodings: the same outcome', () => {
    const seeds = ([0, 1, 2] as const).map(
      (type) =>
        signTx(type, {
          data: new Uint8Array(70).fill(7), // a long-form string and list header
          accessList: type === 0 ? undefined : [[new Uint8Array(20).fill(1), [new Uint8Array(32)]]],
        }).raw,
    );
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: 2 }),
        fc.array(fc.tuple(fc.nat(), fc.integer({ min: 0, max: 255 })), {
          minLength: 1,
          maxLength: 3,
        }),
        fc.integer({ min: -2, max: 2 }),
        (which, edits, resize) => {
          let raw: Uint8Array = seeds[which]!.slice();
          for (const [at, byte] of edits) raw[at % raw.length] = byte;
          if (resize < 0) raw = raw.subarray(0, raw.length + resize);
          else if (resize > 0) raw = concatBytes(raw, new Uint8Array(resize));
          expectSameOutcome(raw);
        },
      ),
      { numRuns: 1500 },
    );
  });

  it('non-canonical RLP of one field or of the list: refused by both', () => {
    fc.assert(
      fc.property(
        fc.constantFrom(0 as const, 1 as const, 2 as const),
        fc.nat(),
        fc.constantFrom('long-form', 'prefixed-byte', 'zero-length-byte', 'list-long-form'),
        (type, at, how) => {
          const { items } = signTx(type, { value: 5n });
          const parts = items.map((item) => rlpEncode(item));
          const i = at % items.length;
          const item = items[i]!;
          if (how === 'long-form' && item instanceof Uint8Array) {
            // a short string with a one-byte length of length: 0xb8 len body
            parts[i] = concatBytes(Uint8Array.of(0xb8, item.length), item);
          } else if (how === 'prefixed-byte') {
            parts[i] = Uint8Array.of(0x81, 0x05); // 5 must be encoded as the byte itself
          } else if (how === 'zero-length-byte') {
            parts[i] = Uint8Array.of(0xb8, 0x00);
          }
          const body = concatBytes(...parts);
          const len = body.length;
          let header: Uint8Array;
          if (how === 'list-long-form') header = Uint8Array.of(0xf9, len >> 8, len & 0xff);
          else if (len < 56) header = Uint8Array.of(0xc0 + len);
          else if (len < 256) header = Uint8Array.of(0xf8, len);
          else header = Uint8Array.of(0xf9, len >> 8, len & 0xff);
          const framed = concatBytes(header, body);
          const raw = type === 0 ? framed : concatBytes(Uint8Array.of(type), framed);
          const got = expectSameOutcome(raw);
          // Every variant is non-canonical, except a long form asked of a list item (left as is)
          // and a two-byte list length that is needed.
          const unchanged =
            (how === 'long-form' && !(item instanceof Uint8Array)) ||
            (how === 'list-long-form' && len >= 256);
          if (!unchanged) expect(got).toEqual({ code: 'malformed' });
        },
      ),
      { numRuns: 300 },
    );
  });
});
