import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { keccak256 as viemKeccak, type Hex } from 'viem';
import { privateKeyToAccount } from 'viem/accounts';
import { Transaction, Wallet } from 'ethers';
import { bigintToBytes, concatBytes, fromHex, toHex } from '../../src/crypto/bytes.js';
import { SECP256K1_HALF_N, SECP256K1_N } from '../../src/crypto/secp256k1.js';
import { rlpEncode, type RlpInput } from '../../src/codec/rlp.js';
import { TxError, type TxErrorCode } from '../../src/execution/errors.js';
import { entryBytes, intrinsicGas, TxDecoder, type SignedTx } from '../../src/execution/tx.js';
import { CHAIN_ID, encode, SENDER, signTx, TO } from './helpers.js';

const PK = `0x${'11'.repeat(32)}` as Hex;
const ADDRESS = privateKeyToAccount(PK).address.toLowerCase();
const TO_HEX = toHex(TO);
const DATA = '0x00ff00abcdef' as Hex;
const SLOT = `0x${'01'.repeat(32)}` as Hex;
const ACCESS = [{ address: `0x${'33'.repeat(20)}` as Hex, storageKeys: [SLOT] }];

function decoder(opts: Partial<ConstructorParameters<typeof TxDecoder>[0]> = {}): TxDecoder {
  return new TxDecoder({ chainId: CHAIN_ID, ...opts });
}

/** Frames already-encoded items as an RLP list (so an item's own encoding can be non-canonical). */
function list(parts: Uint8Array[]): Uint8Array {
  const body = concatBytes(...parts);
  if (body.length < 56) return concatBytes(Uint8Array.of(0xc0 + body.length), body);
  const len = bigintToBytes(BigInt(body.length));
  return concatBytes(Uint8Array.of(0xf7 + len.length), len, body);
}

function codeOf(fn: () => unknown): TxErrorCode | 'ok' {
  try {
    fn();
    return 'ok';
  } catch (e) {
    if (e instanceof TxError) return e.code;
    throw e;
  }
}

function expectTxError(fn: () => unknown, code: TxErrorCode, message?: string | RegExp): void {
  let err: unknown;
  try {
    fn();
  } catch (e) {
    err = e;
  }
  expect(err).toBeInstanceOf(TxError);
  expect((err as TxError).name).toBe('TxError');
  expect((err as TxError).code).toBe(code);
  if (message !== undefined) expect((err as TxError).message).toMatch(message);
}

async function viemSigned(type: 0 | 1 | 2): Promise<Hex> {
  const account = privateKeyToAccount(PK);
  const base = {
    chainId: Number(CHAIN_ID),
    nonce: 7,
    to: TO_HEX,
    value: 12345n,
    gas: 60_000n,
    data: DATA,
  };
  if (type === 0)
    return account.signTransaction({ ...base, type: 'legacy', gasPrice: 2_000_000_000n });
  if (type === 1) {
    return account.signTransaction({
      ...base,
      type: 'eip2930',
      gasPrice: 2_000_000_000n,
      accessList: ACCESS,
    });
  }
  return account.signTransaction({
    ...base,
    type: 'eip1559',
    maxFeePerGas: 3_000_000_000n,
    maxPriorityFeePerGas: 1_500_000_000n,
    accessList: ACCESS,
  });
}

async function ethersSigned(type: 0 | 1 | 2): Promise<string> {
  const wallet = new Wallet(PK);
  const base = {
    chainId: CHAIN_ID,
    nonce: 7,
    to: TO_HEX,
    value: 12345n,
    gasLimit: 60_000n,
    data: DATA,
  };
  if (type === 0) return wallet.signTransaction({ ...base, type: 0, gasPrice: 2_000_000_000n });
  if (type === 1)
    return wallet.signTransaction({
      ...base,
      type: 1,
      gasPrice: 2_000_000_000n,
      accessList: ACCESS,
    });
  return wallet.signTransaction({
    ...base,
    type: 2,
    maxFeePerGas: 3_000_000_000n,
    maxPriorityFeePerGas: 1_500_000_000n,
    accessList: ACCESS,
  });
}

function expectCommonFields(tx: SignedTx, serialized: string): void {
  expect(toHex(tx.raw)).toBe(serialized);
  expect(toHex(tx.hash)).toBe(viemKeccak(serialized as Hex));
  expect(toHex(tx.sender)).toBe(ADDRESS);
  expect(tx.chainId).toBe(CHAIN_ID);
  expect(tx.nonce).toBe(7n);
  expect(tx.gasLimit).toBe(60_000n);
  expect(toHex(tx.to!)).toBe(TO_HEX);
  expect(tx.value).toBe(12345n);
  expect(toHex(tx.data)).toBe(DATA);
  // ethers agrees on hash, sender and signature.
  const parsed = Transaction.from(serialized);
  expect(toHex(tx.hash)).toBe(parsed.hash);
  expect(toHex(tx.sender)).toBe(parsed.from!.toLowerCase());
  expect(tx.r).toBe(BigInt(parsed.signature!.r));
  expect(tx.s).toBe(BigInt(parsed.signature!.s));
}

describe('TxDecoder: wallet-signed transactions', () => {
  for (const [lib, signer] of [
    ['viem', viemSigned],
    ['ethers', ethersSigned],
  ] as const) {
    it(`${lib}: legacy (EIP-155)`, async () => {
      const serialized = await signer(0);
      const tx = decoder().decode(fromHex(serialized));
      expectCommonFields(tx, serialized);
      expect(tx.type).toBe(0);
      expect(tx.gasPrice).toBe(2_000_000_000n);
      expect(tx.maxFeePerGas).toBe(2_000_000_000n);
      expect(tx.maxPriorityFeePerGas).toBe(2_000_000_000n);
      expect(tx.accessList).toEqual([]);
      expect(tx.yParity).toBeNull();
      expect(tx.v === CHAIN_ID * 2n + 35n || tx.v === CHAIN_ID * 2n + 36n).toBe(true);
    });

    it(`${lib}: EIP-2930`, async () => {
      const serialized = await signer(1);
      const tx = decoder().decode(fromHex(serialized));
      expectCommonFields(tx, serialized);
      expect(tx.type).toBe(1);
      expect(tx.gasPrice).toBe(2_000_000_000n);
      expect(tx.maxFeePerGas).toBe(2_000_000_000n);
      expect(tx.maxPriorityFeePerGas).toBe(2_000_000_000n);
      expect(
        tx.accessList.map((e) => ({
          address: toHex(e.address),
          storageKeys: e.storageKeys.map(toHex),
        })),
      ).toEqual(ACCESS);
      expect(tx.yParity === 0 || tx.yParity === 1).toBe(true);
      expect(tx.v).toBe(BigInt(tx.yParity!));
    });

    it(`${lib}: EIP-1559`, async () => {
      const serialized = await signer(2);
      const tx = decoder().decode(fromHex(serialized));
      expectCommonFields(tx, serialized);
      expect(tx.type).toBe(2);
      expect(tx.gasPrice).toBeNull();
      expect(tx.maxFeePerGas).toBe(3_000_000_000n);
      expect(tx.maxPriorityFeePerGas).toBe(1_500_000_000n);
      expect(tx.accessList).toHaveLength(1);
      expect(toHex(tx.accessList[0]!.storageKeys[0]!)).toBe(SLOT);
      expect(tx.v).toBe(BigInt(tx.yParity!));
    });
  }

  it('decodes contract creation (to = null)', async () => {
    const serialized = await privateKeyToAccount(PK).signTransaction({
      chainId: Number(CHAIN_ID),
      type: 'eip1559',
      nonce: 0,
      gas: 100_000n,
      maxFeePerGas: 3n,
      maxPriorityFeePerGas: 1n,
      data: '0x6001',
    });
    const tx = decoder().decode(fromHex(serialized));
    expect(tx.to).toBeNull();
    expect(toHex(tx.sender)).toBe(ADDRESS);
  });

  it('takes its own copy of the input', () => {
    const { raw } = signTx(2);
    const input = raw.slice();
    const tx = decoder().decode(input);
    input.fill(0);
    expect(tx.raw).toEqual(raw);
    expect(tx.to).toEqual(TO);
  });
});

describe('TxDecoder: sender cache', () => {
  it('recovers a transaction kept once, however often it is decoded again', () => {
    const d = decoder();
    const { raw } = signTx(2);
    const a = d.decode(raw, { keep: true });
    const b = d.decode(raw);
    expect(b.sender).toEqual(a.sender);
    expect(b.sender).toEqual(SENDER);
    // The second decode is the cached transaction itself: a SignedTx is shared, never written.
    expect(b).toBe(a);
    expect(d.stats()).toMatchObject({ recoveries: 1, cacheHits: 1, cached: 1 });
  });

  it('remembers nothing it is not told to keep', () => {
    const d = decoder();
    const { raw } = signTx(2);
    const tx = d.decode(raw);
    d.decode(raw);
    expect(d.stats()).toEqual({
      recoveries: 2,
      cacheHits: 0,
      cached: 0,
      cachedBytes: 0,
      prefetched: 0,
    });
    // keep: what the mempool calls once it has admitted the transaction.
    d.keep(tx);
    expect(d.decode(raw)).toEqual(tx);
    expect(d.stats()).toMatchObject({ recoveries: 2, cacheHits: 1, cached: 1 });
    expect(d.stats().cachedBytes).toBe(entryBytes(tx));
  });

  it('is bounded in count, evicting the least recently used', () => {
    const d = decoder({ cacheSize: 2 });
    const [t0, t1, t2] = [0n, 1n, 2n].map((nonce) => signTx(2, { nonce }).raw);
    d.decode(t0!, { keep: true });
    d.decode(t1!, { keep: true });
    d.decode(t0!); // t0 is now the most recent
    d.decode(t2!, { keep: true }); // evicts t1
    expect(d.stats()).toMatchObject({ recoveries: 3, cacheHits: 1, cached: 2 });
    d.decode(t0!);
    expect(d.stats().cacheHits).toBe(2);
    d.decode(t1!);
    expect(d.stats().recoveries).toBe(4);
  });

  it('is bounded in bytes', () => {
    const data = new Uint8Array(100_000).fill(7);
    const raws = [0n, 1n, 2n, 3n].map(
      (nonce) => signTx(2, { nonce, data, gasLimit: 2_000_000n }).raw,
    );
    const one = entryBytes(decoder().decode(raws[0]!));
    const d = decoder({ cacheBytes: 2 * one + 10 });
    for (const raw of raws) d.decode(raw, { keep: true });
    expect(d.stats()).toMatchObject({ cached: 2, cachedBytes: 2 * one });
    // The last two stay; a transaction larger than the whole budget is never kept.
    d.decode(raws[3]!);
    expect(d.stats().cacheHits).toBe(1);
    const tiny = decoder({ cacheBytes: one - 1 });
    tiny.decode(raws[0]!, { keep: true });
    expect(tiny.stats()).toMatchObject({ cached: 0, cachedBytes: 0 });
  });

  it('can be disabled', () => {
    const d = decoder({ cacheSize: 0 });
    const { raw } = signTx(0);
    d.decode(raw, { keep: true });
    d.decode(raw, { keep: true });
    expect(d.stats()).toMatchObject({ recoveries: 2, cacheHits: 0, cached: 0 });
  });
});

describe('TxDecoder: refusals', () => {
  it('wrong chain id, for every type', async () => {
    for (const type of [0, 1, 2] as const) {
      const { raw } = signTx(type, { chainId: 1n });
      expectTxError(
        () => decoder().decode(raw),
        'wrong-chain-id',
        'invalid chain id: expected 4543565, got 1',
      );
    }
    const mainnet = await privateKeyToAccount(PK).signTransaction({
      chainId: 1,
      type: 'eip1559',
      to: TO_HEX,
      gas: 21000n,
      maxFeePerGas: 1n,
      maxPriorityFeePerGas: 1n,
    });
    expectTxError(() => decoder().decode(fromHex(mainnet)), 'wrong-chain-id');
  });

  it('unprotected legacy (v = 27/28)', () => {
    const { raw } = signTx(0, {}, { legacyV: 'pre155' });
    expectTxError(
      () => decoder().decode(raw),
      'unprotected',
      /only replay-protected \(EIP-155\).*v 2[78]/,
    );
  });

  it('invalid legacy v and typed yParity', () => {
    const legacy = signTx(0);
    legacy.items[6] = bigintToBytes(30n);
    expectTxError(
      () => decoder().decode(encode(0, legacy.items)),
      'bad-signature',
      'invalid transaction v value 30',
    );
    const typed = signTx(2);
    typed.items[9] = bigintToBytes(2n);
    expectTxError(
      () => decoder().decode(encode(2, typed.items)),
      'bad-signature',
      'invalid transaction yParity 2',
    );
  });

  it('high s (EIP-2), though the signature is mathematically valid', () => {
    for (const type of [0, 1, 2] as const) {
      const { items } = signTx(type);
      const iv = items.length - 3;
      const s = BigInt(toHex(items[iv + 2] as Uint8Array));
      items[iv + 2] = bigintToBytes(SECP256K1_N - s);
      // The matching signature flips the recovery id.
      if (type === 0) {
        const v = BigInt(toHex(items[iv] as Uint8Array));
        items[iv] = bigintToBytes(v === CHAIN_ID * 2n + 35n ? v + 1n : v - 1n);
      } else {
        items[iv] = bigintToBytes((items[iv] as Uint8Array).length === 0 ? 1n : 0n);
      }
      expect(SECP256K1_N - s > SECP256K1_HALF_N).toBe(true);
      expectTxError(
        () => decoder().decode(encode(type, items)),
        'bad-signature',
        /s above secp256k1n\/2/,
      );
    }
  });

  it('r or s zero or out of range', () => {
    for (const [index, value] of [
      [10, 0n],
      [11, 0n],
      [10, SECP256K1_N],
      [11, SECP256K1_N + 1n],
    ] as const) {
      const { items } = signTx(2);
      items[index] = bigintToBytes(value);
      expectTxError(
        () => decoder().decode(encode(2, items)),
        'bad-signature',
        /r or s out of range/,
      );
    }
  });

  it('a flipped signature byte gives another sender or bad-signature, never the signer', () => {
    for (let i = 0; i < 64; i++) {
      const { items } = signTx(2, { nonce: BigInt(i) });
      const which = i < 32 ? 10 : 11;
      const bytes = (items[which] as Uint8Array).slice();
      bytes[i % 32 === 0 ? 1 : i % 32]! ^= 0x01;
      items[which] = bytes;
      const raw = encode(2, items);
      const code = codeOf(() => decoder().decode(raw));
      if (code === 'ok') expect(decoder().decode(raw).sender).not.toEqual(SENDER);
      else expect(code).toBe('bad-signature');
    }
  });

  it('oversized input, before any parsing', () => {
    expectTxError(
      () => decoder({ maxTxBytes: 1024 }).decode(new Uint8Array(1025)),
      'oversized',
      'oversized transaction: 1025 bytes, limit 1024',
    );
    const big = signTx(2, { data: new Uint8Array(131_072), gasLimit: 3_000_000n }).raw;
    expectTxError(() => decoder().decode(big), 'oversized', /limit 131072/);
    const atLimit = decoder({ maxTxBytes: big.length });
    expect(atLimit.decode(big).data.length).toBe(131_072);
  });

  it('truncated input and trailing bytes', () => {
    for (const type of [0, 1, 2] as const) {
      const { raw } = signTx(type);
      for (const cut of [1, 2, 10, raw.length - 1]) {
        expect(codeOf(() => decoder().decode(raw.subarray(0, cut)))).toBe('malformed');
      }
      expectTxError(() => decoder().decode(concatBytes(raw, Uint8Array.of(0))), 'malformed');
      expectTxError(() => decoder().decode(concatBytes(raw, raw)), 'malformed');
    }
  });

  it('empty input, unknown types, a non-list', () => {
    expectTxError(
      () => decoder().decode(new Uint8Array(0)),
      'malformed',
      'malformed transaction: empty input',
    );
    const { raw } = signTx(2);
    for (const t of [0, 3, 4, 0x7f]) {
      const typed = raw.slice();
      typed[0] = t;
      expectTxError(
        () => decoder().decode(typed),
        'malformed',
        `malformed transaction: unsupported transaction type ${t}`,
      );
    }
    expectTxError(
      () => decoder().decode(rlpEncode(new Uint8Array(5))),
      'malformed',
      /not an RLP list/,
    );
  });

  it('wrong field count (e.g. unsigned)', () => {
    const { items } = signTx(2);
    expectTxError(
      () => decoder().decode(encode(2, items.slice(0, 9))),
      'malformed',
      /needs 12 fields, got 9/,
    );
    expectTxError(
      () => decoder().decode(encode(0, [...signTx(0).items, new Uint8Array(0)])),
      'malformed',
    );
  });

  it('non-canonical integers and encodings', () => {
    const { items } = signTx(2);
    items[1] = Uint8Array.of(0, 1); // nonce with a leading zero
    expectTxError(() => decoder().decode(encode(2, items)), 'malformed');
    const chain = signTx(2).items;
    chain[0] = concatBytes(Uint8Array.of(0), bigintToBytes(CHAIN_ID));
    expectTxError(() => decoder().decode(encode(2, chain)), 'malformed', /leading zero/);
    // A single byte below 0x80 wrapped in a string header: value 1 as 0x81 0x01, not 0x01.
    const legacy = signTx(0, { value: 1n }).items;
    const parts = legacy.map((item, i) => (i === 4 ? Uint8Array.of(0x81, 0x01) : rlpEncode(item)));
    expectTxError(() => decoder().decode(list(parts)), 'malformed');
    // The list's length written in two bytes where one suffices.
    const body = concatBytes(...legacy.map((item) => rlpEncode(item)));
    const longForm = concatBytes(Uint8Array.of(0xf9, 0, body.length), body);
    expect(body.length).toBeLessThan(256);
    expectTxError(() => decoder().decode(longForm), 'malformed');
    // Sanity: the same parts, canonically framed, decode.
    expect(decoder().decode(list(legacy.map((item) => rlpEncode(item)))).value).toBe(1n);
  });

  it('malformed fields: address width, access list shape', () => {
    const to = signTx(2).items;
    to[5] = new Uint8Array(19);
    expectTxError(() => decoder().decode(encode(2, to)), 'malformed');
    const bad: RlpInput[][] = [
      [new Uint8Array(0)],
      [[new Uint8Array(20), new Uint8Array(0)]],
      [[new Uint8Array(19), []]],
      [[new Uint8Array(20), [new Uint8Array(31)]]],
      [[new Uint8Array(20)]],
    ];
    for (const accessList of bad) {
      const { items } = signTx(2);
      items[8] =
        accessList.length === 1 && accessList[0] instanceof Uint8Array ? accessList[0] : accessList;
      expectTxError(() => decoder().decode(encode(2, items)), 'malformed');
    }
  });

  it('an EIP-1559 tip above its fee cap', () => {
    const { raw } = signTx(2, { maxPriorityFeePerGas: 10n, maxFeePerGas: 5n });
    expectTxError(
      () => decoder().decode(raw),
      'tip-above-fee-cap',
      'max priority fee per gas higher than max fee per gas: maxPriorityFeePerGas 10, maxFeePerGas 5',
    );
  });

  it('random bytes never throw anything but TxError', () => {
    const d = decoder({ maxTxBytes: 512 });
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 600 }), (bytes) => {
        const code = codeOf(() => d.decode(bytes));
        expect(code).not.toBe('ok');
      }),
      { numRuns: 2000 },
    );
  });

  it('mutated valid transactions never throw anything but TxError', () => {
    const d = decoder();
    const seeds = [
      signTx(0).raw,
      signTx(1, { accessList: [[new Uint8Array(20), [new Uint8Array(32)]]] }).raw,
      signTx(2).raw,
    ];
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: 2 }),
        fc.array(fc.tuple(fc.nat(), fc.integer({ min: 0, max: 255 })), {
          minLength: 1,
          maxLength: 4,
        }),
        fc.integer({ min: -3, max: 3 }),
        (which, edits, resize) => {
          let raw: Uint8Array = seeds[which]!.slice();
          for (const [at, byte] of edits) raw[at % raw.length] = byte;
          if (resize < 0) raw = raw.subarray(0, raw.length + resize);
          else if (resize > 0) raw = concatBytes(raw, new Uint8Array(resize));
          codeOf(() => d.decode(raw));
        },
      ),
      { numRuns: 1500 },
    );
  });
});

describe('intrinsicGas', () => {
  it('charges 21000, calldata and access list', () => {
    const to = TO;
    expect(intrinsicGas({ to, data: new Uint8Array(0), accessList: [] })).toBe(21000n);
    expect(intrinsicGas({ to, data: Uint8Array.of(0, 0, 1, 255), accessList: [] })).toBe(
      21000n + 8n + 32n,
    );
    expect(intrinsicGas({ to: null, data: new Uint8Array(0), accessList: [] })).toBe(53000n);
    const accessList = [
      { address: new Uint8Array(20), storageKeys: [new Uint8Array(32), new Uint8Array(32)] },
      { address: new Uint8Array(20), storageKeys: [] },
    ];
    expect(intrinsicGas({ to, data: new Uint8Array(0), accessList })).toBe(
      21000n + 2n * 2400n + 2n * 1900n,
    );
  });

  it('matches the decoded wallet transaction', async () => {
    const tx = decoder().decode(fromHex(await viemSigned(2)));
    // data 00 ff 00 ab cd ef: 2 zero, 4 non-zero; one address, one key.
    expect(intrinsicGas(tx)).toBe(21000n + 8n + 64n + 2400n + 1900n);
  });
});
