/**
 * Parameter validation (-32602 with a message naming the argument) over HTTP, and the
 * QUANTITY / DATA encoding rules of EIP-1474 as properties of the decoders and formatters.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { toHex } from '../../src/crypto/bytes.js';
import { data, quantity, word } from '../../src/rpc/format.js';
import {
  decodeAddress,
  decodeData,
  decodeQuantity,
  decodeStorageSlot,
  describeValue,
  parseDuration,
} from '../../src/rpc/params.js';
import { DEV_ADDRESS, TOKEN, TRANSFER_TOPIC } from './fake-backend.js';
import { QUANTITY, result, rpcError, startServer, type TestServer } from './helpers.js';

let s: TestServer;
let url: string;

beforeAll(async () => {
  s = await startServer();
  url = s.httpUrl;
});
afterAll(() => s.close());

const HASH = '0x' + 'ab'.repeat(32);

/** [method, params, message]: each must be -32602 with exactly this message. */
const INVALID: [string, unknown[], string][] = [
  // QUANTITY
  [
    'eth_getBlockByNumber',
    ['0x01', false],
    'invalid argument 0 (block): hex number with leading zero digits',
  ],
  [
    'eth_getBlockByNumber',
    ['0x00', false],
    'invalid argument 0 (block): hex number with leading zero digits',
  ],
  ['eth_getBlockByNumber', ['0x', false], 'invalid argument 0 (block): empty hex number'],
  ['eth_getBlockByNumber', ['0xz1', false], 'invalid argument 0 (block): invalid hex digit'],
  ['eth_getBlockByNumber', ['0x-1', false], 'invalid argument 0 (block): invalid hex digit'],
  [
    'eth_getBlockByNumber',
    ['0X1', false],
    'invalid argument 0 (block): expected a hex block number or one of latest, earliest, pending, safe, finalized',
  ],
  [
    'eth_getBlockByNumber',
    ['1', false],
    'invalid argument 0 (block): expected a hex block number or one of latest, earliest, pending, safe, finalized',
  ],
  [
    'eth_getBlockByNumber',
    ['Latest', false],
    'invalid argument 0 (block): expected a hex block number or one of latest, earliest, pending, safe, finalized',
  ],
  [
    'eth_getBlockByNumber',
    [1, false],
    'invalid argument 0 (block): expected a block number or tag, got number 1',
  ],
  [
    'eth_getBlockByNumber',
    ['0x10000000000000000', false],
    'invalid argument 0 (block): hex number larger than 64 bits',
  ],
  ['eth_getBlockByNumber', [null], 'missing value for required argument 0 (block)'],
  ['eth_getBlockByNumber', [], 'missing value for required argument 0 (block)'],
  [
    'eth_getTransactionByBlockNumberAndIndex',
    ['0x1', '0x01'],
    'invalid argument 1 (index): hex number with leading zero digits',
  ],
  [
    'eth_getTransactionByBlockNumberAndIndex',
    ['0x1', 1],
    'invalid argument 1 (index): expected a hex quantity string, got number 1',
  ],
  [
    'eth_feeHistory',
    ['0x02', 'latest'],
    'invalid argument 0 (block count): hex number with leading zero digits',
  ],
  [
    'eth_feeHistory',
    [1.5, 'latest'],
    'invalid argument 0 (block count): expected a non-negative integer',
  ],
  [
    'eth_call',
    [{ to: TOKEN, value: '0x' + '1'.repeat(65) }],
    'invalid argument 0 (call request).value: hex number larger than 256 bits',
  ],
  [
    'eth_call',
    [{ to: TOKEN, nonce: '0x' }],
    'invalid argument 0 (call request).nonce: empty hex number',
  ],
  // Booleans
  [
    'eth_getBlockByNumber',
    ['0x1', 'true'],
    'invalid argument 1 (full transactions): expected a boolean, got string "true"',
  ],
  [
    'eth_getBlockByNumber',
    ['0x1', 1],
    'invalid argument 1 (full transactions): expected a boolean, got number 1',
  ],
  // DATA, addresses and hashes
  [
    'eth_getBalance',
    ['0x1234'],
    'invalid argument 0 (address): expected 20 bytes of hex data, got 2',
  ],
  [
    'eth_getBalance',
    [DEV_ADDRESS + '00'],
    'invalid argument 0 (address): expected 20 bytes of hex data, got 21',
  ],
  [
    'eth_getBalance',
    [DEV_ADDRESS.slice(0, -1)],
    'invalid argument 0 (address): hex data of odd length',
  ],
  [
    'eth_getBalance',
    [DEV_ADDRESS.slice(2)],
    'invalid argument 0 (address): hex data without 0x prefix',
  ],
  ['eth_getBalance', ['0x' + 'g'.repeat(40)], 'invalid argument 0 (address): invalid hex digit'],
  ['eth_getBalance', [12345], 'invalid argument 0 (address): expected hex data, got number 12345'],
  [
    'eth_getBalance',
    [[DEV_ADDRESS]],
    'invalid argument 0 (address): expected hex data, got an array',
  ],
  ['eth_getBalance', [{}], 'invalid argument 0 (address): expected hex data, got an object'],
  [
    'eth_getBalance',
    [`${'0x' + 'a'.repeat(100)}`],
    'invalid argument 0 (address): expected 20 bytes of hex data, got 50',
  ],
  [
    'eth_getBlockByHash',
    ['0x1234', false],
    'invalid argument 0 (block hash): expected 32 bytes of hex data, got 2',
  ],
  [
    'eth_getTransactionByHash',
    [HASH.slice(0, -2)],
    'invalid argument 0 (transaction hash): expected 32 bytes of hex data, got 31',
  ],
  [
    'eth_getTransactionReceipt',
    [true],
    'invalid argument 0 (transaction hash): expected hex data, got boolean true',
  ],
  ['web3_sha3', ['0x1'], 'invalid argument 0 (data): hex data of odd length'],
  [
    'eth_getStorageAt',
    [TOKEN, 'x0'],
    'invalid argument 1 (storage slot): hex storage key without 0x prefix',
  ],
  ['eth_getStorageAt', [TOKEN, '0x'], 'invalid argument 1 (storage slot): empty hex storage key'],
  // Block selectors for state
  [
    'eth_getBalance',
    [DEV_ADDRESS, { blockHash: '0x12' }],
    'invalid argument 1 (block).blockHash: expected 32 bytes of hex data, got 1',
  ],
  [
    'eth_getBalance',
    [DEV_ADDRESS, { blockHash: HASH, requireCanonical: 'yes' }],
    'invalid argument 1 (block).requireCanonical: expected a boolean, got string "yes"',
  ],
  [
    'eth_getBalance',
    [DEV_ADDRESS, { blockNumber: '0x01' }],
    'invalid argument 1 (block).blockNumber: hex number with leading zero digits',
  ],
  [
    'eth_getBalance',
    [DEV_ADDRESS, { number: '0x1' }],
    'invalid argument 1 (block): unknown field "number"',
  ],
  // Log filters
  [
    'eth_getLogs',
    [{ address: '0x12' }],
    'invalid argument 0 (filter).address: expected 20 bytes of hex data, got 1',
  ],
  [
    'eth_getLogs',
    [{ address: [TOKEN, '0x12'] }],
    'invalid argument 0 (filter).address[1]: expected 20 bytes of hex data, got 1',
  ],
  [
    'eth_getLogs',
    [{ topics: TRANSFER_TOPIC }],
    'invalid argument 0 (filter).topics: expected an array, got string "0xddf252ad1be2c89b69c2b0…"',
  ],
  [
    'eth_getLogs',
    [{ topics: [[TRANSFER_TOPIC, '0x12']] }],
    'invalid argument 0 (filter).topics[0][1]: expected 32 bytes of hex data, got 1',
  ],
  [
    'eth_getLogs',
    [{ topics: [[null, '0x12']] }],
    'invalid argument 0 (filter).topics[0][1]: expected 32 bytes of hex data, got 1',
  ],
  [
    'eth_getLogs',
    [{ fromBlock: 1 }],
    'invalid argument 0 (filter).fromBlock: expected a block number or tag, got number 1',
  ],
  [
    'eth_getLogs',
    [{ toBlock: '0x02' }],
    'invalid argument 0 (filter).toBlock: hex number with leading zero digits',
  ],
  [
    'eth_getLogs',
    ['latest'],
    'invalid argument 0 (filter): expected an object, got string "latest"',
  ],
  ['eth_getLogs', [], 'missing value for required argument 0 (filter)'],
  // Extra arguments are refused before any is decoded.
  ['eth_blockNumber', ['latest'], 'too many arguments, want at most 0, got 1'],
  ['eth_getBalance', [DEV_ADDRESS, 'latest', 'extra'], 'too many arguments, want at most 2, got 3'],
  ['eth_getBalance', ['bad', 'latest', 'extra'], 'too many arguments, want at most 2, got 3'],
  ['eth_getBlockByNumber', ['0x1', false, null], 'too many arguments, want at most 2, got 3'],
  ['eth_getTransactionReceipt', [HASH, HASH], 'too many arguments, want at most 1, got 2'],
  ['eth_call', [{ to: TOKEN }, 'latest', {}, {}], 'too many arguments, want at most 3, got 4'],
  ['eth_getLogs', [{}, {}], 'too many arguments, want at most 1, got 2'],
];

describe('invalid parameters are -32602 with a message naming the argument', () => {
  for (const [method, params, message] of INVALID) {
    it(`${method} ${JSON.stringify(params).slice(0, 70)}`, async () => {
      expect(await rpcError(url, method, params)).toEqual({ code: -32602, message });
    });
  }

  it('messages quote at most 24 characters of what was sent', async () => {
    const long = 'x'.repeat(10_000);
    const { message } = await rpcError(url, 'eth_getBlockByNumber', [1, long]);
    expect(message.length).toBeLessThan(200);
    expect((await rpcError(url, 'eth_getTransactionReceipt', [long])).message).toBe(
      'invalid argument 0 (transaction hash): hex data without 0x prefix',
    );
    expect(describeValue(long)).toBe(`string "${'x'.repeat(24)}…"`);
  });

  it('trailing optional arguments may be omitted or null', async () => {
    expect(await result(url, 'eth_getBalance', [DEV_ADDRESS, null])).toBe(
      await result(url, 'eth_getBalance', [DEV_ADDRESS]),
    );
    expect(await result(url, 'eth_getBlockByNumber', ['0x1', null])).toEqual(
      await result(url, 'eth_getBlockByNumber', ['0x1']),
    );
  });

  it('accepts upper-case hex digits in quantities and data', async () => {
    expect(
      await result<{ number: string }>(url, 'eth_getBlockByNumber', ['0x2', false]),
    ).toMatchObject({ number: '0x2' });
    expect(
      await result(url, 'eth_getBalance', [DEV_ADDRESS.toUpperCase().replace('0X', '0x')]),
    ).toBe(await result(url, 'eth_getBalance', [DEV_ADDRESS]));
    expect(await result(url, 'eth_getTransactionByBlockNumberAndIndex', ['0x1', '0xA'])).toBeNull();
  });
});

describe('QUANTITY and DATA rules (properties)', () => {
  const uint256 = fc.bigInt({ min: 0n, max: 2n ** 256n - 1n });

  it('formatted quantities are minimal hex and decode back', () => {
    fc.assert(
      fc.property(uint256, (value) => {
        const text = quantity(value);
        expect(text).toMatch(QUANTITY);
        expect(decodeQuantity(text, 'q')).toBe(value);
        expect(decodeQuantity(text.toUpperCase().replace('0X', '0x'), 'q')).toBe(value);
      }),
    );
    expect(quantity(0n)).toBe('0x0');
    expect(() => quantity(-1n)).toThrow(RangeError);
  });

  it('any leading zero digit is refused', () => {
    fc.assert(
      fc.property(uint256, fc.integer({ min: 1, max: 4 }), (value, zeros) => {
        const padded = '0x' + '0'.repeat(zeros) + value.toString(16);
        expect(() => decodeQuantity(padded, 'q')).toThrow('hex number with leading zero digits');
      }),
    );
  });

  it('quantities over the bit size are refused, at the boundary exactly', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 64 }), (digits) => {
        const bits = digits * 4;
        const max = 2n ** BigInt(bits) - 1n;
        expect(decodeQuantity(quantity(max), 'q', bits)).toBe(max);
        expect(() => decodeQuantity(quantity(max + 1n), 'q', bits)).toThrow(
          `hex number larger than ${bits} bits`,
        );
      }),
    );
  });

  it('data round-trips as lower-case hex; odd length and bad digits are refused', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 64 }), (bytes) => {
        const text = data(bytes);
        expect(text).toMatch(/^0x([0-9a-f]{2})*$/);
        expect(decodeData(text, 'd')).toEqual(bytes);
        if (bytes.length > 0) {
          expect(() => decodeData(text.slice(0, -1), 'd')).toThrow('hex data of odd length');
          expect(() => decodeData(text.slice(0, -1) + 'g', 'd')).toThrow('invalid hex digit');
        }
      }),
    );
  });

  it('addresses are exactly 20 bytes', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 40 }), (bytes) => {
        const text = toHex(bytes);
        if (bytes.length === 20) expect(decodeAddress(text, 'a')).toEqual(bytes);
        else
          expect(() => decodeAddress(text, 'a')).toThrow(
            `expected 20 bytes of hex data, got ${bytes.length}`,
          );
      }),
    );
  });

  it('storage slots: any hex up to 32 bytes, left-padded; words are 32 bytes', () => {
    fc.assert(
      fc.property(fc.bigInt({ min: 0n, max: 2n ** 256n - 1n }), fc.nat(3), (slot, extra) => {
        const text = '0x' + '0'.repeat(extra) + slot.toString(16);
        if (text.length - 2 > 64) {
          expect(() => decodeStorageSlot(text, 's')).toThrow('storage key longer than 32 bytes');
        } else {
          const decoded = decodeStorageSlot(text, 's');
          expect(decoded).toHaveLength(32);
          expect(BigInt(toHex(decoded))).toBe(slot);
          expect(word(decoded)).toBe(toHex(decoded));
        }
      }),
    );
  });

  it('over HTTP: random block numbers are accepted minimal and refused padded', async () => {
    await fc.assert(
      fc.asyncProperty(fc.bigInt({ min: 0n, max: 2n ** 64n - 1n }), async (n) => {
        const block = await result<{ number: string } | null>(url, 'eth_getBlockByNumber', [
          quantity(n),
          false,
        ]);
        expect(block === null ? n > 2n : block.number === quantity(n)).toBe(true);
        expect(
          (await rpcError(url, 'eth_getBlockByNumber', ['0x0' + n.toString(16), false])).code,
        ).toBe(-32602);
      }),
      { numRuns: 30 },
    );
  });
});

describe('results are EIP-1474 encoded', () => {
  /** Walks a result and checks every field whose name says QUANTITY. */
  const QUANTITY_FIELDS = new Set([
    'baseFeePerGas',
    'blockNumber',
    'chainId',
    'cumulativeGasUsed',
    'difficulty',
    'effectiveGasPrice',
    'gas',
    'gasLimit',
    'gasPrice',
    'gasUsed',
    'logIndex',
    'maxFeePerGas',
    'maxPriorityFeePerGas',
    'nonce',
    'number',
    'r',
    's',
    'size',
    'status',
    'timestamp',
    'totalDifficulty',
    'transactionIndex',
    'type',
    'v',
    'value',
    'yParity',
  ]);

  function check(value: unknown, path: string, inBlockHeader: boolean): void {
    if (Array.isArray(value)) {
      value.forEach((v, i) => check(v, `${path}[${i}]`, false));
      return;
    }
    if (typeof value !== 'object' || value === null) return;
    for (const [key, v] of Object.entries(value)) {
      if (key === 'nonce' && inBlockHeader) {
        expect(v, `${path}.nonce`).toMatch(/^0x[0-9a-f]{16}$/); // the 8-byte header nonce is DATA
      } else if (QUANTITY_FIELDS.has(key) && Array.isArray(v)) {
        for (const q of v) expect(q, `${path}.${key}[]`).toMatch(QUANTITY);
      } else if (QUANTITY_FIELDS.has(key) && v !== null) {
        expect(v, `${path}.${key}`).toMatch(QUANTITY);
      } else if (typeof v === 'string') {
        expect(v, `${path}.${key}`).toMatch(/^0x[0-9a-f]*$/);
      }
      check(v, `${path}.${key}`, false);
    }
  }

  it('blocks, transactions, receipts and logs', async () => {
    const block = await result<{ transactions: { hash: string }[] }>(url, 'eth_getBlockByNumber', [
      '0x1',
      true,
    ]);
    check(block, 'block', true);
    for (const tx of block.transactions) {
      check(await result(url, 'eth_getTransactionReceipt', [tx.hash]), 'receipt', false);
    }
    check(await result(url, 'eth_getLogs', [{ fromBlock: 'earliest' }]), 'logs', false);
    check(await result(url, 'eth_feeHistory', ['0x3', 'latest', [10]]), 'feeHistory', false);
  });
});

describe('durations (a trace timeout)', () => {
  it("reads what Go's time.ParseDuration reads, in nanoseconds", () => {
    const cases: [string, bigint | null][] = [
      ['5s', 5_000_000_000n],
      ['500ms', 500_000_000n],
      ['1m30s', 90_000_000_000n],
      ['1.5s', 1_500_000_000n],
      ['.5ms', 500_000n],
      ['250us', 250_000n],
      ['250µs', 250_000n],
      ['1h', 3_600_000_000_000n],
      ['0', 0n],
      ['-1s', -1_000_000_000n],
      ['', null],
      ['5', null],
      ['s', null],
      ['5 s', null],
      ['5sec', null],
      ['1.2.3s', null],
    ];
    for (const [text, ns] of cases) expect(parseDuration(text), text).toBe(ns);
  });
});
