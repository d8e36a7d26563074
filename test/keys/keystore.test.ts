import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import {
  Wallet,
  decryptKeystoreJson,
  decryptKeystoreJsonSync,
  encryptKeystoreJson,
  encryptKeystoreJsonSync,
} from 'ethers';
import { createCipheriv, pbkdf2Sync } from 'node:crypto';
import { concatBytes, fromHex, toHex } from '../../src/crypto/bytes.js';
import { keccak256 } from '../../src/crypto/keccak.js';
import {
  decryptKeystore,
  encryptKeystore,
  KeystoreError,
  parseKeystore,
  WRONG_PASSWORD_MESSAGE,
  type KeystoreV3,
} from '../../src/crypto/keystore.js';
import { isValidPrivateKey, SECP256K1_N } from '../../src/crypto/secp256k1.js';
import { bigintToFixed } from '../../src/crypto/bytes.js';

// Web3 Secret Storage definition test vectors (password "testpassword").
const VECTOR_SECRET = '0x7a28b5ba57c53603b0b07b56bba752f7784bf506fa95edc395f5cf6c7514fe9d';
const PBKDF2_VECTOR = {
  crypto: {
    cipher: 'aes-128-ctr',
    cipherparams: { iv: '6087dab2f9fdbbfaddc31a909735c1e6' },
    ciphertext: '5318b4d5bcd28de64ee5559e671353e16f075ecae9f99c7a79a38af5f869aa46',
    kdf: 'pbkdf2',
    kdfparams: {
      c: 262144,
      dklen: 32,
      prf: 'hmac-sha256',
      salt: 'ae3cd4e7013836a3df6bd7241b12db061dbe2c6785853cce422d148a624ce0bd',
    },
    mac: '517ead924a9d0dc3124507e3393d175ce3ff7c1e96529c6c555ce9e51205e9b2',
  },
  id: '3198bc9c-6672-5ab3-d995-4942343ae5b6',
  version: 3,
};
const SCRYPT_VECTOR = {
  crypto: {
    cipher: 'aes-128-ctr',
    cipherparams: { iv: '83dbcc02d8ccb40e466191a123791e0e' },
    ciphertext: 'd172bf743a674da9cdad04534d56926ef8358534d458fffccd4e6ad2fbde479c',
    kdf: 'scrypt',
    kdfparams: {
      dklen: 32,
      n: 262144,
      p: 8,
      r: 1,
      salt: 'ab0c7876052600dd703518d6fc3fe8984592145b591fc8fb5c6d43190334ba19',
    },
    mac: '2103ac29920d71da29f15d75b4a16dbe95cfd7ff8faea1056c33131d846e3097',
  },
  id: '3198bc9c-6672-5ab3-d995-4942343ae5b6',
  version: 3,
};

const DEV_KEY = fromHex('0xac0974bec39a17e36ba4a6b4d238ff944bacb478cbed5efcae784d7bf4f2ff80');
const DEV_ADDRESS = '0xf39Fd6e51aad88F6F4ce6aB8827279cffFb92266';
const FAST = { n: 1024 } as const;

function errorOf(f: () => unknown): KeystoreError {
  try {
    f();
  } catch (e) {
    expect(e).toBeInstanceOf(KeystoreError);
    return e as KeystoreError;
  }
  throw new Error('expected a KeystoreError');
}

/** A keystore as untyped JSON, to be broken in tests. */
interface LooseKeystore {
  version?: unknown;
  address?: unknown;
  crypto: {
    cipher: string;
    cipherparams: { iv: string };
    ciphertext: string;
    kdf: string;
    kdfparams: Record<string, unknown>;
    mac?: string;
  };
}

function loose(ks: KeystoreV3): LooseKeystore {
  return JSON.parse(JSON.stringify(ks)) as LooseKeystore;
}

function clone<T>(x: T): T {
  return JSON.parse(JSON.stringify(x)) as T;
}

describe('keystore v3: standard vectors', () => {
  it('decrypts the PBKDF2 vector', () => {
    expect(toHex(decryptKeystore(PBKDF2_VECTOR, 'testpassword'))).toBe(VECTOR_SECRET);
  });

  it('decrypts the scrypt vector (n=2^18, r=1, p=8) from JSON text', () => {
    expect(toHex(decryptKeystore(JSON.stringify(SCRYPT_VECTOR), 'testpassword'))).toBe(
      VECTOR_SECRET,
    );
  });

  it('reproduces the PBKDF2 vector byte for byte from its salt and iv', () => {
    const ks = encryptKeystore(fromHex(VECTOR_SECRET), 'testpassword', {
      kdf: 'pbkdf2',
      salt: fromHex(PBKDF2_VECTOR.crypto.kdfparams.salt),
      iv: fromHex(PBKDF2_VECTOR.crypto.cipherparams.iv),
      id: PBKDF2_VECTOR.id,
    });
    expect(ks.crypto).toEqual(PBKDF2_VECTOR.crypto);
    expect(ks.address).toBe('008aeeda4d805471df9b2a5b0f38a0c3bcba786b');
  });
});

describe('keystore v3: format', () => {
  it('writes version 3, a UUID v4, the lower-case address and the default scrypt cost', () => {
    const ks = encryptKeystore(DEV_KEY, 'pw');
    expect(ks.version).toBe(3);
    expect(ks.id).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    expect(ks.address).toBe('f39fd6e51aad88f6f4ce6ab8827279cfffb92266');
    expect(ks.crypto.cipher).toBe('aes-128-ctr');
    expect(ks.crypto.kdf).toBe('scrypt');
    expect(ks.crypto.kdfparams).toEqual({
      dklen: 32,
      n: 262144,
      r: 8,
      p: 1,
      salt: expect.stringMatching(/^[0-9a-f]{64}$/),
    });
    expect(ks.crypto.cipherparams.iv).toMatch(/^[0-9a-f]{32}$/);
    expect(ks.crypto.ciphertext).toMatch(/^[0-9a-f]{64}$/);
    expect(ks.crypto.mac).toMatch(/^[0-9a-f]{64}$/);
    expect(toHex(decryptKeystore(ks, 'pw'))).toBe(toHex(DEV_KEY));
  });

  it('uses fresh salt, iv and id each time', () => {
    const a = encryptKeystore(DEV_KEY, 'pw', FAST);
    const b = encryptKeystore(DEV_KEY, 'pw', FAST);
    expect(a.id).not.toBe(b.id);
    expect(a.crypto.cipherparams.iv).not.toBe(b.crypto.cipherparams.iv);
    expect((a.crypto.kdfparams as { salt: string }).salt).not.toBe(
      (b.crypto.kdfparams as { salt: string }).salt,
    );
  });

  it('writes PBKDF2 with hmac-sha256 and c=262144 by default', () => {
    const ks = encryptKeystore(DEV_KEY, 'pw', { kdf: 'pbkdf2' });
    expect(ks.crypto.kdfparams).toMatchObject({ c: 262144, dklen: 32, prf: 'hmac-sha256' });
    expect(toHex(decryptKeystore(ks, 'pw'))).toBe(toHex(DEV_KEY));
  });

  it('refuses invalid private keys and options', () => {
    expect(errorOf(() => encryptKeystore(new Uint8Array(32), 'pw', FAST)).code).toBe('INVALID_KEY');
    expect(errorOf(() => encryptKeystore(bigintToFixed(SECP256K1_N, 32), 'pw', FAST)).code).toBe(
      'INVALID_KEY',
    );
    expect(errorOf(() => encryptKeystore(DEV_KEY.subarray(1), 'pw', FAST)).code).toBe(
      'INVALID_KEY',
    );
    const e = errorOf(() => encryptKeystore(DEV_KEY, 'pw', { n: 1000 }));
    expect(e.code).toBe('INVALID_OPTION');
    expect(e.message).toBe('scrypt n must be a power of two >= 2, got 1000');
    expect(errorOf(() => encryptKeystore(DEV_KEY, 'pw', { iv: new Uint8Array(8) })).message).toBe(
      'iv must be 16 bytes',
    );
  });
});

describe('keystore v3: errors', () => {
  const good = encryptKeystore(DEV_KEY, 'right', FAST);

  it('rejects a wrong password with a MAC mismatch', () => {
    const e = errorOf(() => decryptKeystore(good, 'wrong'));
    expect(e.code).toBe('MAC_MISMATCH');
    expect(e.message).toBe(WRONG_PASSWORD_MESSAGE);
    expect(e.message).toBe('wrong password or corrupted keystore (MAC mismatch)');
    expect(e.name).toBe('KeystoreError');
  });

  it('rejects a tampered ciphertext with a MAC mismatch', () => {
    const ks = clone(good);
    const c = ks.crypto.ciphertext;
    ks.crypto.ciphertext = (c[0] === '0' ? '1' : '0') + c.slice(1);
    expect(errorOf(() => decryptKeystore(ks, 'right')).code).toBe('MAC_MISMATCH');
  });

  it('rejects a recorded address that is not the key', () => {
    const ks = clone(good);
    ks.address = '0000000000000000000000000000000000000001';
    const e = errorOf(() => decryptKeystore(ks, 'right'));
    expect(e.code).toBe('ADDRESS_MISMATCH');
    expect(e.message).toBe(
      'keystore address 0x0000000000000000000000000000000000000001 does not match its key (0xf39fd6e51aad88f6f4ce6ab8827279cfffb92266)',
    );
  });

  const cases: [string, (ks: LooseKeystore) => unknown, string, string][] = [
    ['not JSON', () => '{"version":3,', 'MALFORMED', 'malformed keystore: not valid JSON'],
    ['an array', () => [], 'MALFORMED', 'malformed keystore: keystore must be an object'],
    [
      'version 1',
      (ks) => ({ ...ks, version: 1 }),
      'UNSUPPORTED',
      'unsupported keystore version 1 (expected 3)',
    ],
    [
      'no version',
      (ks) => ({ ...ks, version: undefined }),
      'MALFORMED',
      'malformed keystore: missing version',
    ],
    [
      'no crypto',
      (ks) => ({ ...ks, crypto: undefined }),
      'MALFORMED',
      'malformed keystore: missing crypto',
    ],
    [
      'another cipher',
      (ks) => ((ks.crypto.cipher = 'aes-128-cbc'), ks),
      'UNSUPPORTED',
      'unsupported cipher aes-128-cbc (expected aes-128-ctr)',
    ],
    [
      'another kdf',
      (ks) => ((ks.crypto.kdf = 'argon2id'), ks),
      'UNSUPPORTED',
      'unsupported kdf argon2id (expected scrypt or pbkdf2)',
    ],
    [
      'a short iv',
      (ks) => ((ks.crypto.cipherparams.iv = 'abcd'), ks),
      'MALFORMED',
      'malformed keystore: crypto.cipherparams.iv must be 16 bytes, got 2',
    ],
    [
      'non-hex salt',
      (ks) => ((ks.crypto.kdfparams.salt = 'zz'), ks),
      'MALFORMED',
      'malformed keystore: crypto.kdfparams.salt is not hex',
    ],
    [
      'no mac',
      (ks) => (delete ks.crypto.mac, ks),
      'MALFORMED',
      'malformed keystore: missing crypto.mac',
    ],
    [
      'a 31-byte ciphertext',
      (ks) => ((ks.crypto.ciphertext = ks.crypto.ciphertext.slice(2)), ks),
      'MALFORMED',
      'malformed keystore: crypto.ciphertext must be 32 bytes, got 31',
    ],
    [
      'n not a power of two',
      (ks) => ((ks.crypto.kdfparams.n = 1000), ks),
      'MALFORMED',
      'scrypt n must be a power of two >= 2, got 1000',
    ],
    [
      'n as a float',
      (ks) => ((ks.crypto.kdfparams.n = 1024.5), ks),
      'MALFORMED',
      'malformed keystore: crypto.kdfparams.n must be an integer',
    ],
    [
      'a huge n',
      (ks) => ((ks.crypto.kdfparams.n = 2 ** 30), ks),
      'MALFORMED',
      'scrypt parameters n=1073741824 r=8 p=1 exceed the limits (128·n·r <= 1 GiB, n·r·p <= 2^25)',
    ],
    [
      'dklen 16',
      (ks) => ((ks.crypto.kdfparams.dklen = 16), ks),
      'MALFORMED',
      'malformed keystore: crypto.kdfparams.dklen must be 32 to 64',
    ],
    [
      'a bad address',
      (ks) => ((ks.address = 'xyz'), ks),
      'MALFORMED',
      'malformed keystore: address is not hex',
    ],
  ];

  for (const [what, mutate, code, message] of cases) {
    it(`rejects ${what}`, () => {
      const input = mutate(loose(good)) as string | object;
      const e = errorOf(() => decryptKeystore(input, 'right'));
      expect(e.code).toBe(code);
      expect(e.message).toBe(message);
      // parseKeystore finds the same fault without the password
      expect(errorOf(() => parseKeystore(input)).message).toBe(message);
    });
  }

  it('decrypts PBKDF2 with hmac-sha512', () => {
    const salt = new Uint8Array(32).fill(7);
    const iv = new Uint8Array(16).fill(9);
    const derived = pbkdf2Sync('pw', salt, 100, 32, 'sha512');
    const cipher = createCipheriv('aes-128-ctr', derived.subarray(0, 16), iv);
    const ciphertext = Buffer.concat([cipher.update(DEV_KEY), cipher.final()]);
    const ks = {
      version: 3,
      crypto: {
        cipher: 'aes-128-ctr',
        cipherparams: { iv: toHex(iv) },
        ciphertext: toHex(ciphertext),
        kdf: 'pbkdf2',
        kdfparams: { c: 100, dklen: 32, prf: 'hmac-sha512', salt: toHex(salt) },
        mac: toHex(keccak256(concatBytes(derived.subarray(16, 32), ciphertext))),
      },
    };
    expect(toHex(decryptKeystore(ks, 'pw'))).toBe(toHex(DEV_KEY));
    expect(() => decryptKeystore(ks, 'pW')).toThrow(WRONG_PASSWORD_MESSAGE);
  });

  it('rejects an unknown PBKDF2 prf', () => {
    const ks = loose(encryptKeystore(DEV_KEY, 'pw', { kdf: 'pbkdf2', c: 16 }));
    ks.crypto.kdfparams.prf = 'hmac-sha1';
    expect(errorOf(() => decryptKeystore(ks, 'pw')).message).toBe(
      'unsupported pbkdf2 prf hmac-sha1 (expected hmac-sha256 or hmac-sha512)',
    );
  });

  it('accepts the variants other tools write: Crypto, 0x hex, string numbers, no address', () => {
    const ks = loose(good);
    const variant = {
      version: '3',
      Crypto: {
        ...ks.crypto,
        ciphertext: '0x' + ks.crypto.ciphertext,
        kdfparams: { ...ks.crypto.kdfparams, n: String(ks.crypto.kdfparams.n) },
      },
    };
    expect(toHex(decryptKeystore(variant, 'right'))).toBe(toHex(DEV_KEY));
    expect(parseKeystore(variant).address).toBeNull();
    expect(toHex(parseKeystore(good).address!)).toBe(DEV_ADDRESS.toLowerCase());
  });
});

describe('keystore v3: interoperability with ethers v6', () => {
  const account = { address: DEV_ADDRESS, privateKey: toHex(DEV_KEY) };

  it('computes the same ciphertext and MAC as ethers for the same salt and iv', () => {
    const salt = new Uint8Array(32).fill(1);
    const iv = new Uint8Array(16).fill(2);
    const theirs = JSON.parse(
      encryptKeystoreJsonSync(account, 'pw', { scrypt: { N: 1024 }, salt, iv }),
    ) as { Crypto: KeystoreV3['crypto']; address: string };
    const ours = encryptKeystore(DEV_KEY, 'pw', { n: 1024, salt, iv });
    expect(ours.crypto).toEqual(theirs.Crypto);
    expect(ours.address).toBe(theirs.address);
    expect(ours.crypto.mac).toBe(
      'e5af28eb58e266b9a680b9efc97cce85532a5117fa6ad24600deefe2ff50a2f9',
    );
  });

  it('decrypts what ethers encryptKeystoreJson wrote (scrypt)', async () => {
    const json = await encryptKeystoreJson(account, 'ethers pw', { scrypt: { N: 1024 } });
    expect(toHex(decryptKeystore(json, 'ethers pw'))).toBe(toHex(DEV_KEY));
    expect(() => decryptKeystore(json, 'other')).toThrow(WRONG_PASSWORD_MESSAGE);
  });

  it('decrypts what ethers Wallet.encrypt wrote', async () => {
    const wallet = new Wallet(toHex(DEV_KEY));
    const json = await wallet.encrypt('wallet pw'); // ethers' default cost, scrypt N = 2^17
    expect(toHex(decryptKeystore(json, 'wallet pw'))).toBe(toHex(DEV_KEY));
  });

  it('ethers Wallet.fromEncryptedJson decrypts ours (scrypt)', async () => {
    const ours = JSON.stringify(encryptKeystore(DEV_KEY, 'our pw', FAST));
    const wallet = await Wallet.fromEncryptedJson(ours, 'our pw');
    expect(wallet.address).toBe(DEV_ADDRESS);
    expect(wallet.privateKey).toBe(toHex(DEV_KEY));
    await expect(Wallet.fromEncryptedJson(ours, 'nope')).rejects.toThrow(/incorrect password/);
  });

  it('ethers decrypts ours (pbkdf2)', async () => {
    const ours = JSON.stringify(encryptKeystore(DEV_KEY, 'our pw', { kdf: 'pbkdf2', c: 1000 }));
    const acct = await decryptKeystoreJson(ours, 'our pw');
    expect(acct.privateKey).toBe(toHex(DEV_KEY));
  });

  it('agrees with ethers on non-ASCII passwords (NFKC), and opens raw-UTF-8 keystores too', () => {
    const password = 'ﬁle-naïve-Ω'; // U+FB01 and precomposed letters: NFKC changes it
    expect(password.normalize('NFKC')).not.toBe(password);
    const ours = JSON.stringify(encryptKeystore(DEV_KEY, password, FAST));
    expect(decryptKeystoreJsonSync(ours, password).privateKey).toBe(toHex(DEV_KEY));
    // geth hashes the UTF-8 of the password as typed, without normalising
    const raw = encryptKeystore(DEV_KEY, new TextEncoder().encode(password), FAST);
    expect(toHex(decryptKeystore(raw, password))).toBe(toHex(DEV_KEY));
  });

  it('round-trips any key and password (property)', () => {
    fc.assert(
      fc.property(
        fc.uint8Array({ minLength: 32, maxLength: 32 }).filter(isValidPrivateKey),
        fc.string({ maxLength: 40, unit: 'grapheme' }),
        fc.constantFrom('scrypt' as const, 'pbkdf2' as const),
        (key, password, kdf) => {
          const ks = encryptKeystore(key, password, { kdf, n: 16, r: 8, p: 1, c: 4 });
          expect(toHex(decryptKeystore(JSON.stringify(ks), password))).toBe(toHex(key));
          const wrong = password + 'x';
          expect(() => decryptKeystore(ks, wrong)).toThrow(WRONG_PASSWORD_MESSAGE);
        },
      ),
      { numRuns: 60 },
    );
  });
});
