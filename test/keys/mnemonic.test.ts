import { describe, expect, it } from 'vitest';
import { mnemonicToAccount } from 'viem/accounts';
import { toHex } from '../../src/crypto/bytes.js';
import {
  DEV_MNEMONIC,
  deriveAccounts,
  ETH_PATH_PREFIX,
  MnemonicError,
} from '../../src/crypto/mnemonic.js';

describe('deriveAccounts', () => {
  const accounts = deriveAccounts(DEV_MNEMONIC, 10);

  it('derives the well-known first two development accounts', () => {
    expect(DEV_MNEMONIC).toBe('test test test test test test test test test test test junk');
    expect(accounts[0]!.checksumAddress).toBe('0xf39Fd6e51aad88F6F4ce6aB8827279cffFb92266');
    expect(toHex(accounts[0]!.privateKey)).toBe(
      '0xac0974bec39a17e36ba4a6b4d238ff944bacb478cbed5efcae784d7bf4f2ff80',
    );
    expect(toHex(accounts[0]!.address)).toBe('0xf39fd6e51aad88f6f4ce6ab8827279cfffb92266');
    expect(accounts[1]!.checksumAddress).toBe('0x70997970C51812dc3A010C7d01b50e0d17dc79C8');
    expect(toHex(accounts[1]!.privateKey)).toBe(
      '0x59c6995e998f97a5a0044966f0945389dc9e86dae88c7a8412f4603b6b78690d',
    );
  });

  it("gives index and path m/44'/60'/0'/0/i", () => {
    expect(accounts.map((a) => a.index)).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
    expect(accounts[7]!.path).toBe("m/44'/60'/0'/0/7");
    expect(ETH_PATH_PREFIX).toBe("m/44'/60'/0'/0/");
  });

  it("matches viem's mnemonicToAccount for all 10 accounts", () => {
    for (let i = 0; i < 10; i++) {
      const viem = mnemonicToAccount(DEV_MNEMONIC, { addressIndex: i });
      expect(accounts[i]!.checksumAddress).toBe(viem.address);
      expect(toHex(accounts[i]!.privateKey)).toBe(toHex(viem.getHdKey().privateKey!));
    }
  });

  it('matches viem for another account path and a BIP-39 passphrase', () => {
    const [a] = deriveAccounts(DEV_MNEMONIC, 1, "m/44'/60'/1'/0/");
    expect(a!.checksumAddress).toBe(mnemonicToAccount(DEV_MNEMONIC, { accountIndex: 1 }).address);
    const [b] = deriveAccounts(DEV_MNEMONIC, 1, ETH_PATH_PREFIX, 'secret');
    expect(b!.checksumAddress).toBe(
      mnemonicToAccount(DEV_MNEMONIC, { passphrase: 'secret' }).address,
    );
    expect(b!.checksumAddress).not.toBe(accounts[0]!.checksumAddress);
  });

  it('tolerates extra whitespace in the mnemonic', () => {
    const [a] = deriveAccounts(`  ${DEV_MNEMONIC.replace(/ /g, '   ')}\n`, 1);
    expect(a!.checksumAddress).toBe(accounts[0]!.checksumAddress);
  });

  it('rejects bad mnemonics, counts and paths', () => {
    expect(() => deriveAccounts('test test test', 1)).toThrow(MnemonicError);
    expect(() => deriveAccounts(DEV_MNEMONIC.replace('junk', 'test'), 1)).toThrow(
      'invalid BIP-39 mnemonic (unknown word, wrong length or checksum)',
    );
    expect(() => deriveAccounts(DEV_MNEMONIC, -1)).toThrow(
      'account count must be an integer in 0..2^31, got -1',
    );
    expect(() => deriveAccounts(DEV_MNEMONIC, 1, "m/44'/60'/0'/0")).toThrow(
      "derivation path prefix must look like m/44'/60'/0'/0/: m/44'/60'/0'/0",
    );
    expect(deriveAccounts(DEV_MNEMONIC, 0)).toEqual([]);
  });
});
