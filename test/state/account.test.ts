import { createAccount } from '@ethereumjs/util';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { DecodeError, rlpDecode, rlpEncode, type RlpItem } from '../../src/codec/rlp.js';
import { toHex } from '../../src/crypto/bytes.js';
import {
  AccountRangeError,
  decodeAccount,
  EMPTY_CODE_HASH,
  emptyAccount,
  encodeAccount,
  isEmptyAccount,
  MAX_NONCE,
  MAX_UINT256,
  type Account,
} from '../../src/state/account.js';
import { EMPTY_TRIE_ROOT } from '../../src/state/trie.js';

const accountArb: fc.Arbitrary<Account> = fc.record({
  nonce: fc.bigInt({ min: 0n, max: MAX_NONCE }),
  balance: fc.bigInt({ min: 0n, max: MAX_UINT256 }),
  locked: fc.bigInt({ min: 0n, max: MAX_UINT256 }),
  codeHash: fc.uint8Array({ minLength: 32, maxLength: 32 }),
  storageRoot: fc.uint8Array({ minLength: 32, maxLength: 32 }),
});

describe('account', () => {
  it('has the Ethereum empty code hash', () => {
    expect(toHex(EMPTY_CODE_HASH)).toBe(
      '0xc5d2460186f7233c927e7db2dcc703c0e500b653ca82273b7bfad8045d85a470',
    );
  });

  it('encodes the empty account as five items', () => {
    expect(toHex(encodeAccount(emptyAccount()))).toBe(
      '0xf8458080a0' +
        '56e81f171bcc55a6ff8345e692c0f86e5b48e01b996cadc001622fb5e363b421' +
        'a0' +
        'c5d2460186f7233c927e7db2dcc703c0e500b653ca82273b7bfad8045d85a470' +
        '80',
    );
  });

  it('round-trips, and its first four fields are Ethereum’s account encoding', () => {
    fc.assert(
      fc.property(accountArb, (a) => {
        const encoded = encodeAccount(a);
        expect(decodeAccount(encoded)).toEqual(a);
        const eth = createAccount({
          nonce: a.nonce,
          balance: a.balance,
          storageRoot: a.storageRoot,
          codeHash: a.codeHash,
        }).serialize();
        const items = rlpDecode(encoded) as RlpItem[];
        expect(rlpEncode(items.slice(0, 4))).toEqual(eth);
      }),
    );
  });

  it('decodes strictly', () => {
    const good = [1n, 2n, EMPTY_TRIE_ROOT, EMPTY_CODE_HASH, 3n];
    expect(decodeAccount(rlpEncode(good))).toEqual({
      nonce: 1n,
      balance: 2n,
      storageRoot: EMPTY_TRIE_ROOT,
      codeHash: EMPTY_CODE_HASH,
      locked: 3n,
    });
    const bad: Array<[string, Uint8Array]> = [
      ['four items', rlpEncode(good.slice(0, 4))],
      ['six items', rlpEncode([...good, 0n])],
      ['leading zero', rlpEncode([Uint8Array.of(0, 1), 2n, EMPTY_TRIE_ROOT, EMPTY_CODE_HASH, 3n])],
      ['nonce over 8 bytes', rlpEncode([1n << 64n, 2n, EMPTY_TRIE_ROOT, EMPTY_CODE_HASH, 3n])],
      ['short root', rlpEncode([1n, 2n, EMPTY_TRIE_ROOT.slice(1), EMPTY_CODE_HASH, 3n])],
      ['list field', rlpEncode([1n, [], EMPTY_TRIE_ROOT, EMPTY_CODE_HASH, 3n])],
      ['not a list', rlpEncode(5n)],
      ['trailing bytes', Uint8Array.of(...rlpEncode(good), 0)],
    ];
    for (const [, bytes] of bad) expect(() => decodeAccount(bytes)).toThrow(DecodeError);
  });

  it('refuses fields out of range', () => {
    const a = emptyAccount();
    expect(() => encodeAccount({ ...a, balance: -1n })).toThrow(AccountRangeError);
    expect(() => encodeAccount({ ...a, locked: MAX_UINT256 + 1n })).toThrow(AccountRangeError);
    expect(() => encodeAccount({ ...a, nonce: MAX_NONCE + 1n })).toThrow(AccountRangeError);
    expect(() => encodeAccount({ ...a, codeHash: new Uint8Array(31) })).toThrow(AccountRangeError);
  });

  it('is empty only with no nonce, balance, locked, code or storage', () => {
    expect(isEmptyAccount(emptyAccount())).toBe(true);
    const a = emptyAccount();
    expect(isEmptyAccount({ ...a, nonce: 1n })).toBe(false);
    expect(isEmptyAccount({ ...a, balance: 1n })).toBe(false);
    expect(isEmptyAccount({ ...a, locked: 1n })).toBe(false);
    expect(isEmptyAccount({ ...a, codeHash: new Uint8Array(32) })).toBe(false);
    expect(isEmptyAccount({ ...a, storageRoot: new Uint8Array(32) })).toBe(false);
  });
});
