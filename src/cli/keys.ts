/**
 * `etm keys`: create, import and list encrypted account keys (Ethereum keystore v3 files) in a
 * keystore directory, by default `~/.etm/keystore`. The file functions are exported for the
 * node, which unlocks its validator and operator keys from the same directory.
 */
import { EtmError } from '../primitives/errors.js';
import {
  closeSync,
  existsSync,
  fchmodSync,
  fsyncSync,
  mkdirSync,
  openSync,
  readFileSync,
  readdirSync,
  renameSync,
  statSync,
  chmodSync,
  unlinkSync,
  writeSync,
} from 'node:fs';
import { randomBytes } from 'node:crypto';
import { homedir } from 'node:os';
import { join, resolve } from 'node:path';
import { Command } from 'commander';
import { fromHex, toHex } from '../crypto/bytes.js';
import { toChecksumAddress } from '../crypto/address.js';
import {
  decryptKeystore,
  encryptKeystore,
  parseKeystore,
  SCRYPT_LIGHT,
  type EncryptOptions,
  type KeystoreV3,
} from '../crypto/keystore.js';
import { addressOf, generatePrivateKey, isValidPrivateKey } from '../crypto/secp256k1.js';
import { PASSWORD_ENV, resolvePassword, type PromptInput } from './password.js';

export class KeysError extends EtmError<'keys'> {
  override name = 'KeysError';

  constructor(message: string, options?: ErrorOptions) {
    super('keys', message, options);
  }
}

/** Keystore files are a few hundred bytes; anything much larger is not one. */
const MAX_KEYSTORE_FILE = 64 * 1024;

export function defaultDatadir(): string {
  return join(homedir(), '.etm');
}

/** `--keystore-dir` if given, else `<datadir>/keystore`, as an absolute path. */
export function keystoreDirOf(opts: { datadir?: string; keystoreDir?: string }): string {
  if (opts.keystoreDir !== undefined) return resolve(opts.keystoreDir);
  return resolve(opts.datadir ?? defaultDatadir(), 'keystore');
}

/** geth's name: `UTC--2024-05-01T12-00-00.000Z--<40 hex>`; `:` is replaced for Windows. */
function keystoreFileName(address: Uint8Array, when: Date): string {
  return `UTC--${when.toISOString().replace(/:/g, '-')}--${toHex(address).slice(2)}`;
}

/**
 * Writes a keystore into `dir` (created with mode 0700 if missing) as a 0600 file, atomically:
 * a reader never sees a half-written key. Returns the file's path.
 */
function writeKeystoreFile(dir: string, keystore: KeystoreV3, when: Date): string {
  const created = mkdirSync(dir, { recursive: true, mode: 0o700 });
  if (created !== undefined) chmodSync(dir, 0o700);
  const file = join(dir, keystoreFileName(fromHex(keystore.address), when));
  if (existsSync(file)) throw new KeysError(`keystore file already exists: ${file}`);
  const tmp = join(dir, `.tmp-${randomBytes(6).toString('hex')}`);
  const fd = openSync(tmp, 'wx', 0o600);
  try {
    fchmodSync(fd, 0o600);
    writeSync(fd, JSON.stringify(keystore));
    fsyncSync(fd);
  } catch (e) {
    closeSync(fd);
    unlinkSync(tmp);
    throw e;
  }
  closeSync(fd);
  renameSync(tmp, file);
  return file;
}

export interface KeystoreEntry {
  /** EIP-55 address recorded in the file, or null when the file records none. */
  address: string | null;
  file: string;
}

export interface KeystoreListing {
  exists: boolean;
  keys: KeystoreEntry[];
  /** Files that are not valid keystores, with the reason. */
  skipped: { file: string; reason: string }[];
}

/**
 * Every valid keystore file of `dir` in file-name order (for `UTC--` names, creation order).
 * Hidden files and subdirectories are ignored; other files that fail to parse are reported.
 */
export function listKeystores(dir: string): KeystoreListing {
  if (!existsSync(dir)) return { exists: false, keys: [], skipped: [] };
  const keys: KeystoreEntry[] = [];
  const skipped: { file: string; reason: string }[] = [];
  const names = readdirSync(dir).sort();
  for (const name of names) {
    if (name.startsWith('.')) continue;
    const file = join(dir, name);
    let size: number;
    try {
      const st = statSync(file);
      if (!st.isFile()) continue;
      size = st.size;
    } catch (e) {
      skipped.push({ file, reason: (e as Error).message });
      continue;
    }
    if (size > MAX_KEYSTORE_FILE) {
      skipped.push({ file, reason: 'too large to be a keystore' });
      continue;
    }
    try {
      const ks = parseKeystore(readFileSync(file, 'utf8'));
      keys.push({ address: ks.address ? toChecksumAddress(ks.address) : null, file });
    } catch (e) {
      skipped.push({ file, reason: (e as Error).message });
    }
  }
  return { exists: true, keys, skipped };
}

/** The keystore file of `dir` that records `address`, or null. */
export function findKeystoreFile(dir: string, address: Uint8Array): string | null {
  const want = toChecksumAddress(address);
  return listKeystores(dir).keys.find((k) => k.address === want)?.file ?? null;
}

/** Reads and decrypts one keystore file; throws KeystoreError on a wrong password. */
export function unlockKeystoreFile(file: string, password: string | Uint8Array): Uint8Array {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (e) {
    throw new KeysError(`cannot read keystore ${file}: ${(e as Error).message}`);
  }
  return decryptKeystore(text, password);
}

const HEX_KEY = /^(0x|0X)?[0-9a-fA-F]{64}$/;

/**
 * A private key given on the command line: 64 hex digits (0x optional), or the path of a file
 * holding them. The argument is never echoed, since it may be a mistyped key.
 */
export function parsePrivateKeyInput(arg: string): Uint8Array {
  let text = arg.trim();
  if (!HEX_KEY.test(text)) {
    let isFile = false;
    try {
      isFile = statSync(arg).isFile();
    } catch {
      isFile = false;
    }
    if (!isFile) {
      throw new KeysError(
        'expected a private key (64 hex digits, optionally 0x-prefixed) or the path of a file holding one',
      );
    }
    text = readFileSync(arg, 'utf8').trim();
    if (!HEX_KEY.test(text)) {
      throw new KeysError(
        `${arg} does not hold a private key (expected 64 hex digits, optionally 0x-prefixed)`,
      );
    }
  }
  const key = fromHex(text);
  if (!isValidPrivateKey(key)) {
    throw new KeysError(
      'invalid private key: it must be an integer in 1..n-1 of secp256k1 (zero and values at or above the curve order are not keys)',
    );
  }
  return key;
}

/** Encrypts `privateKey` into a new file of `dir`; refuses an address that is already there. */
export function storeKey(
  dir: string,
  privateKey: Uint8Array,
  password: string,
  opts: EncryptOptions = {},
  when: Date = new Date(),
): { address: string; file: string } {
  const address = addressOf(privateKey);
  const existing = findKeystoreFile(dir, address);
  if (existing !== null) {
    throw new KeysError(`a keystore for ${toChecksumAddress(address)} already exists: ${existing}`);
  }
  const file = writeKeystoreFile(dir, encryptKeystore(privateKey, password, opts), when);
  return { address: toChecksumAddress(address), file };
}

// ---------------------------------------------------------------- command line

export interface KeysIo {
  stdout(text: string): void;
  stderr(text: string): void;
  env: Record<string, string | undefined>;
  /** Terminal for password prompts. */
  input: PromptInput;
  promptOutput: NodeJS.WritableStream;
  setExitCode(code: number): void;
  now(): Date;
}

function defaultIo(): KeysIo {
  return {
    stdout: (t) => void process.stdout.write(t),
    stderr: (t) => void process.stderr.write(t),
    env: process.env,
    input: process.stdin as PromptInput,
    promptOutput: process.stderr,
    setExitCode: (code) => {
      process.exitCode = code;
    },
    now: () => new Date(),
  };
}

interface DirOptions {
  datadir: string;
  keystoreDir?: string;
}

interface WriteOptions extends DirOptions {
  passwordFile?: string;
  lightKdf?: boolean;
}

const PASSWORD_HELP = `
Password: the first line of --password-file FILE, else the ${PASSWORD_ENV} environment
variable, else a hidden prompt (asked twice) when stdin is a terminal. Without any of
these the command fails instead of waiting. Empty passwords are refused. Forgetting the
password loses the key: nothing can decrypt the file without it.
`;

/**
 * The `etm keys` command. `io` replaces the process streams, environment and clock (tests);
 * when given output functions, Commander's own help and errors go to them as well.
 */
export function keysCommand(ioOverrides: Partial<KeysIo> = {}): Command {
  const io: KeysIo = { ...defaultIo(), ...ioOverrides };
  const keys = new Command('keys').description(
    'Create, import and list encrypted account keys (Ethereum keystore v3 files)',
  );

  const addDirOptions = (cmd: Command): Command =>
    cmd
      .option('--datadir <dir>', 'node data directory', defaultDatadir())
      .option('--keystore-dir <dir>', 'keystore directory (default: <datadir>/keystore)');
  const addWriteOptions = (cmd: Command): Command =>
    addDirOptions(cmd)
      .option('--password-file <file>', 'read the password from the first line of this file')
      .option(
        '--light-kdf',
        `weaker, faster encryption: scrypt n=${SCRYPT_LIGHT.n} p=${SCRYPT_LIGHT.p} instead of n=262144 p=1 (devnets only)`,
      );

  const writeKey = async (o: WriteOptions, privateKey: Uint8Array | null) => {
    const dir = keystoreDirOf(o);
    if (privateKey !== null) {
      const existing = findKeystoreFile(dir, addressOf(privateKey));
      if (existing !== null) {
        throw new KeysError(
          `a keystore for ${toChecksumAddress(addressOf(privateKey))} already exists: ${existing}`,
        );
      }
    }
    const password = await resolvePassword({
      passwordFile: o.passwordFile,
      env: io.env,
      confirm: true,
      requireNonEmpty: true,
      input: io.input,
      output: io.promptOutput,
    });
    const kdf: EncryptOptions = o.lightKdf ? { ...SCRYPT_LIGHT } : {};
    const { address, file } = storeKey(
      dir,
      privateKey ?? generatePrivateKey(),
      password,
      kdf,
      io.now(),
    );
    io.stdout(`address: ${address}\nkeystore: ${file}\n`);
  };

  addWriteOptions(
    keys
      .command('new')
      .description(
        'Generate a new random account key, encrypt it with a password and write it to the ' +
          'keystore directory as UTC--<time>--<address> (mode 0600). Prints the address and the file.',
      ),
  )
    .addHelpText('after', PASSWORD_HELP)
    .action(guard(io, 'new', async (o: WriteOptions) => writeKey(o, null)));

  addWriteOptions(
    keys
      .command('import')
      .description(
        'Encrypt an existing private key with a password and write it to the keystore directory ' +
          'as UTC--<time>--<address> (mode 0600). Prints the address and the file. Refuses an ' +
          'invalid key and an address already in the keystore.',
      )
      .argument(
        '<privateKeyHexOrFile>',
        'the key as 64 hex digits (0x optional), or a file holding it (safer: keeps it out of shell history)',
      ),
  )
    .addHelpText('after', PASSWORD_HELP)
    .action(
      guard(io, 'import', async (keyArg: string, o: WriteOptions) =>
        writeKey(o, parsePrivateKeyInput(keyArg)),
      ),
    );

  addDirOptions(
    keys
      .command('list')
      .description(
        'List the address and file of every keystore in the keystore directory, oldest first. ' +
          'Files that are not valid keystores are skipped with a warning. Needs no password.',
      ),
  )
    .option('--json', 'print a JSON array of {address, file}')
    .action(
      guard(io, 'list', async (o: DirOptions & { json?: boolean }) => {
        const dir = keystoreDirOf(o);
        const listing = listKeystores(dir);
        if (!listing.exists) io.stderr(`no keystore directory at ${dir}\n`);
        for (const s of listing.skipped) io.stderr(`warning: skipping ${s.file}: ${s.reason}\n`);
        if (o.json) {
          io.stdout(JSON.stringify(listing.keys) + '\n');
          return;
        }
        for (const k of listing.keys) io.stdout(`${k.address ?? '(no address)'}  ${k.file}\n`);
        if (listing.exists && listing.keys.length === 0) io.stderr(`no keys in ${dir}\n`);
      }),
    );

  if (ioOverrides.stdout || ioOverrides.stderr) {
    const output = { writeOut: io.stdout, writeErr: io.stderr };
    keys.configureOutput(output);
    for (const sub of keys.commands) sub.configureOutput(output);
  }
  return keys;
}

/** Reports any failure as one line `etm keys <sub>: <reason>` and exit code 1. */
function guard<A extends unknown[]>(
  io: KeysIo,
  name: string,
  fn: (...args: A) => Promise<void>,
): (...args: A) => Promise<void> {
  return async (...args: A) => {
    try {
      await fn(...args);
    } catch (e) {
      io.stderr(`etm keys ${name}: ${e instanceof Error ? e.message : String(e)}\n`);
      io.setExitCode(1);
    }
  };
}
