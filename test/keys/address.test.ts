import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { getAddress } from 'viem';
import { toHex } from '../../src/crypto/bytes.js';
import { AddressError, parseAddress, toChecksumAddress } from '../../src/crypto/address.js';

describe('EIP-55 addresses', () => {
  it('checksums the EIP-55 examples', () => {
    for (const a of [
      '0x5aAeb6053F3E94C9b9A09f33669435E7Ef1BeAed',
      '0xfB6916095ca1df60bB79Ce92cE3Ea74c37c5d359',
      '0xdbF03B407c01E7cD3CBea99509d93f8DDDC8C6FB',
      '0xD1220A0cf47c7B9Be7A2E6BA89F429762e7b9aDb',
      '0x52908400098527886E0F7030069857D2E4169EE7',
      '0xde709f2102306220921060314715629080e2fb77',
    ]) {
      expect(toChecksumAddress(parseAddress(a.toLowerCase()))).toBe(a);
    }
  });

  it("agrees with viem's getAddress (property)", () => {
    fc.assert(
      fc.property(fc.uint8Array({ minLength: 20, maxLength: 20 }), (addr) => {
        expect(toChecksumAddress(addr)).toBe(getAddress(toHex(addr)));
      }),
      { numRuns: 500 },
    );
  });

  it('parses lower, upper and correctly checksummed text; rejects a bad checksum', () => {
    const good = '0x5aAeb6053F3E94C9b9A09f33669435E7Ef1BeAed';
    expect(toHex(parseAddress(good))).toBe(good.toLowerCase());
    expect(toHex(parseAddress('0x' + good.slice(2).toUpperCase()))).toBe(good.toLowerCase());
    expect(toHex(parseAddress(good.slice(2).toLowerCase()))).toBe(good.toLowerCase());
    expect(() => parseAddress('0x5AAeb6053F3E94C9b9A09f33669435E7Ef1BeAed')).toThrow(
      'address has an invalid EIP-55 checksum: 0x5AAeb6053F3E94C9b9A09f33669435E7Ef1BeAed',
    );
    expect(() => parseAddress('0x1234')).toThrow(AddressError);
    expect(() => toChecksumAddress(new Uint8Array(19))).toThrow('address must be 20 bytes, got 19');
  });
});
