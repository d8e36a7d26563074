/**
 * BIP-39 mnemonics and BIP-32/44 derivation of Ethereum accounts, as Hardhat, Anvil, MetaMask,
 * viem and ethers derive them. Used for the well-known development accounts of a devnet.
 */
import { EtmError } from '../primitives/errors.js';
import { mnemonicToSeedSync, validateMnemonic } from '@scure/bip39';
import { wordlist } from '@scure/bip39/wordlists/english';
import { HDKey } from '@scure/bip32';
import { toChecksumAddress } from './address.js';
import { addressOf } from './secp256k1.js';

export class MnemonicError extends EtmError<'mnemonic'> {
  override name = 'MnemonicError';

  constructor(message: string, options?: ErrorOptions) {
    super('mnemonic', message, options);
  }
}

/**
 * The public development mnemonic of Hardhat and Anvil. Its keys are known to everyone:
 * anything sent to them on a public network is taken at once. Devnets and tests only.
 */
export const DEV_MNEMONIC = 'test test test test test test test test test test test junk';

/** BIP-44 path of Ethereum account 0, external chain; the address index is appended. */
export const ETH_PATH_PREFIX = "m/44'/60'/0'/0/";

export interface DerivedAccount {
  index: number;
  /** Full derivation path, e.g. `m/44'/60'/0'/0/3`. */
  path: string;
  /** 32-byte secp256k1 private key. */
  privateKey: Uint8Array;
  /** 20-byte address. */
  address: Uint8Array;
  /** The address as EIP-55 text, e.g. `0xf39Fd6e51aad88F6F4ce6aB8827279cffFb92266`. */
  checksumAddress: string;
}

/**
 * Derives accounts `pathPrefix + i` for i in 0..count-1 from an English BIP-39 mnemonic
 * (and optional BIP-39 passphrase).
 */
export function deriveAccounts(
  mnemonic: string,
  count: number,
  pathPrefix: string = ETH_PATH_PREFIX,
  passphrase = '',
): DerivedAccount[] {
  const phrase = mnemonic.trim().split(/\s+/).join(' ');
  if (!validateMnemonic(phrase, wordlist)) {
    throw new MnemonicError('invalid BIP-39 mnemonic (unknown word, wrong length or checksum)');
  }
  if (!Number.isSafeInteger(count) || count < 0 || count > 0x80000000) {
    throw new MnemonicError(`account count must be an integer in 0..2^31, got ${count}`);
  }
  if (!/^m(\/\d+'?)*\/$/.test(pathPrefix)) {
    throw new MnemonicError(`derivation path prefix must look like m/44'/60'/0'/0/: ${pathPrefix}`);
  }
  const root = HDKey.fromMasterSeed(mnemonicToSeedSync(phrase, passphrase));
  const accounts: DerivedAccount[] = [];
  for (let index = 0; index < count; index++) {
    const path = `${pathPrefix}${index}`;
    const privateKey = root.derive(path).privateKey;
    if (privateKey === null) throw new MnemonicError(`no private key at ${path}`);
    const address = addressOf(privateKey);
    accounts.push({
      index,
      path,
      privateKey: new Uint8Array(privateKey),
      address,
      checksumAddress: toChecksumAddress(address),
    });
  }
  return accounts;
}
