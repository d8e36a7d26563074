/**
 * Ethereum keystore v3 (Web3 Secret Storage): a private key encrypted with AES-128-CTR under a
 * key stretched from a password by scrypt or PBKDF2, authenticated by
 * `mac = keccak256(derivedKey[16:32] ‖ ciphertext)`. Files written here open in geth, ethers,
 * viem-based tools and MetaMask, and theirs open here.
 *
 * Pure apart from randomness: no file I/O (see src/cli/keys.ts for the keystore directory).
 */
import { EtmError } from '../primitives/errors.js';
import {
  createCipheriv,
  pbkdf2Sync,
  randomBytes,
  randomUUID,
  scryptSync,
  timingSafeEqual,
} from 'node:crypto';
import { scrypt as nobleScrypt } from '@noble/hashes/scrypt';
import { concatBytes, fromHex, toHex } from './bytes.js';
import { keccak256 } from './keccak.js';
import { addressOf, isValidPrivateKey } from './secp256k1.js';

export type KeystoreErrorCode =
  | 'MAC_MISMATCH'
  | 'MALFORMED'
  | 'UNSUPPORTED'
  | 'ADDRESS_MISMATCH'
  | 'INVALID_KEY'
  | 'INVALID_OPTION';

export class KeystoreError extends EtmError<KeystoreErrorCode> {
  override name = 'KeystoreError';
}

export const WRONG_PASSWORD_MESSAGE = 'wrong password or corrupted keystore (MAC mismatch)';

/** geth's standard scrypt cost: about 0.8 s and 256 MiB per derivation. */
const SCRYPT_STANDARD = { n: 262144, r: 8, p: 1 } as const;
/** geth's `--lightkdf` cost: about 50 ms and 4 MiB; for devnets and tests, not for value. */
export const SCRYPT_LIGHT = { n: 4096, r: 8, p: 6 } as const;
/** The PBKDF2 iteration count of the Web3 Secret Storage test vectors and geth. */
const PBKDF2_STANDARD_C = 262144;

/**
 * Upper bounds on the work a keystore file may ask of us when decrypting, so that a hostile
 * file cannot exhaust memory or hang the node: 1 GiB of scrypt memory (4x the standard),
 * 16x the standard scrypt time, and 64x the standard PBKDF2 count.
 */
const MAX_SCRYPT_MEMORY = 2 ** 30;
const MAX_SCRYPT_WORK = 2 ** 25; // n·r·p
const MAX_PBKDF2_C = 2 ** 24;

export interface ScryptKdfParams {
  dklen: number;
  n: number;
  r: number;
  p: number;
  salt: string;
}

export interface Pbkdf2KdfParams {
  c: number;
  dklen: number;
  prf: string;
  salt: string;
}

/** The JSON object as written to disk. Hex fields are lower case without 0x. */
export interface KeystoreV3 {
  version: 3;
  id: string;
  address: string;
  crypto: {
    cipher: 'aes-128-ctr';
    cipherparams: { iv: string };
    ciphertext: string;
    kdf: 'scrypt' | 'pbkdf2';
    kdfparams: ScryptKdfParams | Pbkdf2KdfParams;
    mac: string;
  };
}

export interface EncryptOptions {
  /** Default scrypt. PBKDF2 (hmac-sha256) is for tools that lack scrypt. */
  kdf?: 'scrypt' | 'pbkdf2';
  /** scrypt cost, a power of two; default 262144. Lower only for devnets and tests. */
  n?: number;
  /** scrypt block size; default 8. */
  r?: number;
  /** scrypt parallelism; default 1. */
  p?: number;
  /** PBKDF2 iterations; default 262144. */
  c?: number;
  /** 32 random bytes by default; fixed only to reproduce test vectors. */
  salt?: Uint8Array;
  /** 16 random bytes by default; fixed only to reproduce test vectors. */
  iv?: Uint8Array;
  /** A random UUID v4 by default. */
  id?: string;
}

export type KdfSpec =
  | { name: 'scrypt'; n: number; r: number; p: number; dklen: number; salt: Uint8Array }
  | { name: 'pbkdf2'; c: number; dklen: number; digest: 'sha256' | 'sha512'; salt: Uint8Array };

/** A structurally valid keystore, checked without the password. */
export interface ParsedKeystore {
  /** The address the file claims, when it records one (it is optional in the format). */
  address: Uint8Array | null;
  id: string | null;
  kdf: KdfSpec;
  iv: Uint8Array;
  ciphertext: Uint8Array;
  mac: Uint8Array;
}

// ---------------------------------------------------------------- encrypt

export function encryptKeystore(
  privateKey: Uint8Array,
  password: string | Uint8Array,
  opts: EncryptOptions = {},
): KeystoreV3 {
  if (!isValidPrivateKey(privateKey)) {
    throw new KeystoreError(
      'INVALID_KEY',
      'private key must be 32 bytes encoding an integer in 1..n-1 of secp256k1',
    );
  }
  const salt = opts.salt ?? new Uint8Array(randomBytes(32));
  const iv = opts.iv ?? new Uint8Array(randomBytes(16));
  if (iv.length !== 16) throw new KeystoreError('INVALID_OPTION', 'iv must be 16 bytes');
  if (salt.length === 0) throw new KeystoreError('INVALID_OPTION', 'salt must not be empty');
  const id = opts.id ?? randomUUID();

  let kdf: KdfSpec;
  let kdfparams: ScryptKdfParams | Pbkdf2KdfParams;
  if ((opts.kdf ?? 'scrypt') === 'scrypt') {
    const n = opts.n ?? SCRYPT_STANDARD.n;
    const r = opts.r ?? SCRYPT_STANDARD.r;
    const p = opts.p ?? SCRYPT_STANDARD.p;
    checkScrypt(n, r, p, 'INVALID_OPTION');
    kdf = { name: 'scrypt', n, r, p, dklen: 32, salt };
    kdfparams = { dklen: 32, n, p, r, salt: hex(salt) };
  } else if (opts.kdf === 'pbkdf2') {
    const c = opts.c ?? PBKDF2_STANDARD_C;
    checkPbkdf2(c, 'INVALID_OPTION');
    kdf = { name: 'pbkdf2', c, dklen: 32, digest: 'sha256', salt };
    kdfparams = { c, dklen: 32, prf: 'hmac-sha256', salt: hex(salt) };
  } else {
    throw new KeystoreError('INVALID_OPTION', `unknown kdf ${String(opts.kdf)}`);
  }

  const derived = deriveKey(kdf, passwordBytes(password)[0]!);
  const ciphertext = aes128ctr(derived.subarray(0, 16), iv, privateKey);
  const mac = macOf(derived, ciphertext);
  derived.fill(0);
  return {
    version: 3,
    id,
    address: hex(addressOf(privateKey)),
    crypto: {
      cipher: 'aes-128-ctr',
      cipherparams: { iv: hex(iv) },
      ciphertext: hex(ciphertext),
      kdf: kdf.name,
      kdfparams,
      mac: hex(mac),
    },
  };
}

// ---------------------------------------------------------------- decrypt

/**
 * Returns the 32-byte private key. `json` is the file text or its parsed object.
 * Throws KeystoreError: MAC_MISMATCH for a wrong password, MALFORMED / UNSUPPORTED naming what
 * is wrong with the file, ADDRESS_MISMATCH when the recorded address is not the key's.
 */
export function decryptKeystore(json: string | object, password: string | Uint8Array): Uint8Array {
  const ks = parseKeystore(json);
  for (const pw of passwordBytes(password)) {
    const derived = deriveKey(ks.kdf, pw);
    const ok = timingSafeEqual(macOf(derived, ks.ciphertext), ks.mac);
    if (!ok) {
      derived.fill(0);
      continue;
    }
    const privateKey = aes128ctr(derived.subarray(0, 16), ks.iv, ks.ciphertext);
    derived.fill(0);
    if (!isValidPrivateKey(privateKey)) {
      throw new KeystoreError('INVALID_KEY', 'keystore holds an invalid secp256k1 private key');
    }
    if (ks.address !== null) {
      const actual = addressOf(privateKey);
      if (hex(actual) !== hex(ks.address)) {
        throw new KeystoreError(
          'ADDRESS_MISMATCH',
          `keystore address 0x${hex(ks.address)} does not match its key (0x${hex(actual)})`,
        );
      }
    }
    return privateKey;
  }
  throw new KeystoreError('MAC_MISMATCH', WRONG_PASSWORD_MESSAGE);
}

/**
 * Checks the structure of a keystore without its password. Field names are matched
 * case-insensitively (old geth wrote `Crypto`); hex may carry a 0x prefix.
 */
export function parseKeystore(json: string | object): ParsedKeystore {
  let data: unknown = json;
  if (typeof json === 'string') {
    try {
      data = JSON.parse(json);
    } catch {
      throw malformed('not valid JSON');
    }
  }
  const root = asObject(data, 'keystore');
  const version = field(root, 'version');
  if (version === undefined) throw malformed('missing version');
  if (version !== 3 && version !== '3') {
    throw new KeystoreError(
      'UNSUPPORTED',
      `unsupported keystore version ${JSON.stringify(version)} (expected 3)`,
    );
  }
  const crypto = asObject(field(root, 'crypto'), 'crypto');

  const cipher = asString(field(crypto, 'cipher'), 'crypto.cipher');
  if (cipher.toLowerCase() !== 'aes-128-ctr') {
    throw new KeystoreError('UNSUPPORTED', `unsupported cipher ${cipher} (expected aes-128-ctr)`);
  }
  const cipherparams = asObject(field(crypto, 'cipherparams'), 'crypto.cipherparams');
  const iv = asHex(field(cipherparams, 'iv'), 'crypto.cipherparams.iv', 16);
  const ciphertext = asHex(field(crypto, 'ciphertext'), 'crypto.ciphertext', 32);
  const mac = asHex(field(crypto, 'mac'), 'crypto.mac', 32);

  const kdfName = asString(field(crypto, 'kdf'), 'crypto.kdf').toLowerCase();
  const params = asObject(field(crypto, 'kdfparams'), 'crypto.kdfparams');
  const salt = asHex(field(params, 'salt'), 'crypto.kdfparams.salt');
  if (salt.length === 0) throw malformed('crypto.kdfparams.salt is empty');
  const dklen = asInt(field(params, 'dklen'), 'crypto.kdfparams.dklen');
  // The AES key is derivedKey[0:16] and the MAC key derivedKey[16:32].
  if (dklen < 32 || dklen > 64) throw malformed('crypto.kdfparams.dklen must be 32 to 64');

  let kdf: KdfSpec;
  if (kdfName === 'scrypt') {
    const n = asInt(field(params, 'n'), 'crypto.kdfparams.n');
    const r = asInt(field(params, 'r'), 'crypto.kdfparams.r');
    const p = asInt(field(params, 'p'), 'crypto.kdfparams.p');
    checkScrypt(n, r, p, 'MALFORMED');
    kdf = { name: 'scrypt', n, r, p, dklen, salt };
  } else if (kdfName === 'pbkdf2') {
    const c = asInt(field(params, 'c'), 'crypto.kdfparams.c');
    checkPbkdf2(c, 'MALFORMED');
    const prf = asString(field(params, 'prf'), 'crypto.kdfparams.prf').toLowerCase();
    if (prf !== 'hmac-sha256' && prf !== 'hmac-sha512') {
      throw new KeystoreError(
        'UNSUPPORTED',
        `unsupported pbkdf2 prf ${prf} (expected hmac-sha256 or hmac-sha512)`,
      );
    }
    kdf = { name: 'pbkdf2', c, dklen, digest: prf === 'hmac-sha256' ? 'sha256' : 'sha512', salt };
  } else {
    throw new KeystoreError(
      'UNSUPPORTED',
      `unsupported kdf ${kdfName} (expected scrypt or pbkdf2)`,
    );
  }

  const rawAddress = field(root, 'address');
  const address =
    rawAddress === undefined || rawAddress === null || rawAddress === ''
      ? null
      : asHex(rawAddress, 'address', 20);
  const rawId = field(root, 'id');
  const id = typeof rawId === 'string' ? rawId : null;
  return { address, id, kdf, iv, ciphertext, mac };
}

// ---------------------------------------------------------------- primitives

/** Runs the key derivation of a keystore. Exposed for tests and benchmarks. */
function deriveKey(kdf: KdfSpec, password: Uint8Array): Uint8Array {
  if (kdf.name === 'pbkdf2') {
    return new Uint8Array(pbkdf2Sync(password, kdf.salt, kdf.c, kdf.dklen, kdf.digest));
  }
  const { n, r, p, dklen, salt } = kdf;
  // OpenSSL (behind node:crypto) refuses n >= 2^(16r), e.g. the Web3 Secret Storage vector
  // (n = 2^18, r = 1); those go to the pure-JS implementation, which computes the same function.
  if (16 * r >= 53 || n < 2 ** (16 * r)) {
    const maxmem = 128 * r * (n + p + 2) + 1024 * 1024;
    return new Uint8Array(scryptSync(password, salt, dklen, { N: n, r, p, maxmem }));
  }
  return nobleScrypt(password, salt, { N: n, r, p, dkLen: dklen, maxmem: MAX_SCRYPT_MEMORY * 2 });
}

function macOf(derived: Uint8Array, ciphertext: Uint8Array): Uint8Array {
  return keccak256(concatBytes(derived.subarray(16, 32), ciphertext));
}

function aes128ctr(key: Uint8Array, iv: Uint8Array, data: Uint8Array): Uint8Array {
  const cipher = createCipheriv('aes-128-ctr', key, iv);
  return new Uint8Array(Buffer.concat([cipher.update(data), cipher.final()]));
}

/**
 * The byte strings to try for a password. A string is encrypted as UTF-8 of its NFKC form, as
 * ethers does; geth and others use the UTF-8 of the string as typed, so decryption tries that
 * too when it differs. Bytes are used as given.
 */
function passwordBytes(password: string | Uint8Array): Uint8Array[] {
  if (typeof password !== 'string') return [password];
  const encoder = new TextEncoder();
  const normalized = password.normalize('NFKC');
  return normalized === password
    ? [encoder.encode(password)]
    : [encoder.encode(normalized), encoder.encode(password)];
}

function checkScrypt(n: number, r: number, p: number, code: KeystoreErrorCode): void {
  if (!Number.isSafeInteger(n) || n < 2 || (n & (n - 1)) !== 0) {
    throw new KeystoreError(code, `scrypt n must be a power of two >= 2, got ${n}`);
  }
  if (!Number.isSafeInteger(r) || r < 1) {
    throw new KeystoreError(code, `scrypt r must be a positive integer, got ${r}`);
  }
  if (!Number.isSafeInteger(p) || p < 1) {
    throw new KeystoreError(code, `scrypt p must be a positive integer, got ${p}`);
  }
  if (128 * n * r > MAX_SCRYPT_MEMORY || n * r * p > MAX_SCRYPT_WORK) {
    throw new KeystoreError(
      code,
      `scrypt parameters n=${n} r=${r} p=${p} exceed the limits (128·n·r <= 1 GiB, n·r·p <= 2^25)`,
    );
  }
}

function checkPbkdf2(c: number, code: KeystoreErrorCode): void {
  if (!Number.isSafeInteger(c) || c < 1 || c > MAX_PBKDF2_C) {
    throw new KeystoreError(code, `pbkdf2 c must be an integer in 1..2^24, got ${c}`);
  }
}

// ---------------------------------------------------------------- JSON field readers

function malformed(what: string): KeystoreError {
  return new KeystoreError('MALFORMED', `malformed keystore: ${what}`);
}

function hex(bytes: Uint8Array): string {
  return toHex(bytes).slice(2);
}

function asObject(value: unknown, path: string): Record<string, unknown> {
  if (value === undefined || value === null) throw malformed(`missing ${path}`);
  if (typeof value !== 'object' || Array.isArray(value)) {
    throw malformed(`${path} must be an object`);
  }
  return value as Record<string, unknown>;
}

/** Case-insensitive member lookup; an exact match wins. */
function field(obj: Record<string, unknown>, name: string): unknown {
  if (Object.prototype.hasOwnProperty.call(obj, name)) return obj[name];
  for (const key of Object.keys(obj)) if (key.toLowerCase() === name) return obj[key];
  return undefined;
}

function asString(value: unknown, path: string): string {
  if (value === undefined || value === null) throw malformed(`missing ${path}`);
  if (typeof value !== 'string') throw malformed(`${path} must be a string`);
  return value;
}

function asInt(value: unknown, path: string): number {
  if (value === undefined || value === null) throw malformed(`missing ${path}`);
  if (typeof value === 'number' && Number.isSafeInteger(value)) return value;
  if (typeof value === 'string' && /^\d{1,15}$/.test(value)) return Number(value);
  throw malformed(`${path} must be an integer`);
}

function asHex(value: unknown, path: string, length?: number): Uint8Array {
  const text = asString(value, path);
  let bytes: Uint8Array;
  try {
    bytes = fromHex(text);
  } catch {
    throw malformed(`${path} is not hex`);
  }
  if (length !== undefined && bytes.length !== length) {
    throw malformed(`${path} must be ${length} bytes, got ${bytes.length}`);
  }
  return bytes;
}
