import { afterAll, beforeEach, describe, expect, it } from 'vitest';
import {
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import { Command, CommanderError } from 'commander';
import { Wallet } from 'ethers';
import {
  defaultDatadir,
  findKeystoreFile,
  keysCommand,
  keystoreDirOf,
  listKeystores,
  parsePrivateKeyInput,
  unlockKeystoreFile,
  type KeysIo,
} from '../../src/cli/keys.js';
import { fromHex, toHex } from '../../src/crypto/bytes.js';
import { toChecksumAddress } from '../../src/crypto/address.js';
import { encryptKeystore, KeystoreError } from '../../src/crypto/keystore.js';
import { addressOf } from '../../src/crypto/secp256k1.js';
import type { PromptInput } from '../../src/cli/password.js';
import { scriptedTerminal } from './terminal.js';

const NOW = new Date('2024-05-01T12:34:56.789Z');
const DEV_KEY = '0xac0974bec39a17e36ba4a6b4d238ff944bacb478cbed5efcae784d7bf4f2ff80';
const DEV_ADDRESS = '0xf39Fd6e51aad88F6F4ce6aB8827279cffFb92266';

const root = mkdtempSync(join(tmpdir(), 'etm-keys-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));

let dir: string;
let pwFile: string;
let n = 0;
beforeEach(() => {
  n++;
  dir = join(root, `case${n}`, 'keystore');
  pwFile = join(root, `pw${n}`);
  writeFileSync(pwFile, 'hunter2\nignored\n');
});

interface Run {
  code: number;
  out: string;
  err: string;
}

async function run(args: string[], io: Partial<KeysIo> = {}): Promise<Run> {
  const result: Run = { code: 0, out: '', err: '' };
  const keys = keysCommand({
    stdout: (t) => void (result.out += t),
    stderr: (t) => void (result.err += t),
    env: {},
    input: new PassThrough() as unknown as PromptInput, // not a terminal
    promptOutput: new PassThrough(),
    setExitCode: (c) => void (result.code = c),
    now: () => NOW,
    ...io,
  });
  keys.exitOverride();
  for (const sub of keys.commands) sub.exitOverride();
  const program = new Command('etm').exitOverride().addCommand(keys);
  try {
    await program.parseAsync(args, { from: 'user' });
  } catch (e) {
    if (!(e instanceof CommanderError)) throw e;
    result.code = e.exitCode;
  }
  return result;
}

function keystoreFiles(): string[] {
  return existsSync(dir) ? readdirSync(dir) : [];
}

describe('etm keys new / list', () => {
  it('creates a 0600 keystore file in a 0700 directory, lists it, and decrypts it', async () => {
    const r = await run([
      'keys',
      'new',
      '--keystore-dir',
      dir,
      '--password-file',
      pwFile,
      '--light-kdf',
    ]);
    expect(r.err).toBe('');
    expect(r.code).toBe(0);
    const m = /^address: (0x[0-9a-fA-F]{40})\nkeystore: (.+)\n$/.exec(r.out);
    expect(m).not.toBeNull();
    const [, address, file] = m!;
    expect(file).toBe(
      join(dir, `UTC--2024-05-01T12-34-56.789Z--${address!.slice(2).toLowerCase()}`),
    );
    expect(toChecksumAddress(fromHex(address!))).toBe(address);
    expect(statSync(file!).mode & 0o777).toBe(0o600);
    expect(statSync(dir).mode & 0o777).toBe(0o700);
    expect(keystoreFiles()).toEqual([file!.slice(dir.length + 1)]);

    const json = JSON.parse(readFileSync(file!, 'utf8'));
    expect(json.crypto.kdfparams).toMatchObject({ n: 4096, r: 8, p: 6, dklen: 32 });

    const list = await run(['keys', 'list', '--keystore-dir', dir]);
    expect(list).toEqual({ code: 0, out: `${address}  ${file}\n`, err: '' });
    const listJson = await run(['keys', 'list', '--keystore-dir', dir, '--json']);
    expect(JSON.parse(listJson.out)).toEqual([{ address, file }]);

    const key = unlockKeystoreFile(file!, 'hunter2');
    expect(toChecksumAddress(addressOf(key))).toBe(address);
    // and any Ethereum wallet opens it
    expect((await Wallet.fromEncryptedJson(readFileSync(file!, 'utf8'), 'hunter2')).address).toBe(
      address,
    );
  });

  it('rejects a wrong password when unlocking', async () => {
    await run(['keys', 'new', '--keystore-dir', dir, '--password-file', pwFile, '--light-kdf']);
    const file = join(dir, keystoreFiles()[0]!);
    let error: unknown;
    try {
      unlockKeystoreFile(file, 'hunter3');
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(KeystoreError);
    expect((error as KeystoreError).code).toBe('MAC_MISMATCH');
    expect((error as Error).message).toBe('wrong password or corrupted keystore (MAC mismatch)');
  });

  it('uses <datadir>/keystore, ETM_PASSWORD and the standard scrypt cost by default', async () => {
    const datadir = join(root, `datadir${n}`);
    const r = await run(['keys', 'new', '--datadir', datadir], { env: { ETM_PASSWORD: 'env pw' } });
    expect(r.code).toBe(0);
    const files = readdirSync(join(datadir, 'keystore'));
    expect(files).toHaveLength(1);
    const json = JSON.parse(readFileSync(join(datadir, 'keystore', files[0]!), 'utf8'));
    expect(json.crypto.kdfparams).toMatchObject({ n: 262144, r: 8, p: 1 });
    expect(keystoreDirOf({ datadir })).toBe(join(datadir, 'keystore'));
    expect(keystoreDirOf({})).toBe(join(defaultDatadir(), 'keystore'));
  });

  it('asks twice on a terminal and refuses different answers', async () => {
    const ok = scriptedTerminal(['pw one\r', 'pw one\r']);
    const r = await run(['keys', 'new', '--keystore-dir', dir, '--light-kdf'], {
      input: ok.input,
      promptOutput: ok.output,
    });
    expect(r.code).toBe(0);
    expect(ok.shown()).toBe('Password: \nRepeat password: \n');
    const file = join(dir, keystoreFiles()[0]!);
    expect(toHex(addressOf(unlockKeystoreFile(file, 'pw one')))).toBe(
      file.slice(-40).replace(/^/, '0x'),
    );

    const bad = scriptedTerminal(['pw one\r', 'pw two\r']);
    const r2 = await run(['keys', 'new', '--keystore-dir', dir, '--light-kdf'], {
      input: bad.input,
      promptOutput: bad.output,
    });
    expect(r2).toEqual({ code: 1, out: '', err: 'etm keys new: the passwords do not match\n' });
    expect(keystoreFiles()).toHaveLength(1);
  });

  it('fails without a password source and without a terminal, writing nothing', async () => {
    const r = await run(['keys', 'new', '--keystore-dir', dir]);
    expect(r).toEqual({
      code: 1,
      out: '',
      err: 'etm keys new: no password given and stdin is not a terminal: use --password-file FILE or set ETM_PASSWORD\n',
    });
    expect(existsSync(dir)).toBe(false);
  });

  it('refuses an empty password', async () => {
    writeFileSync(pwFile, '\n');
    const r = await run(['keys', 'new', '--keystore-dir', dir, '--password-file', pwFile]);
    expect(r.code).toBe(1);
    expect(r.err).toBe('etm keys new: the password must not be empty\n');
  });
});

describe('etm keys import', () => {
  it('imports a hex key and refuses the same address twice', async () => {
    const r = await run([
      'keys',
      'import',
      DEV_KEY,
      '--keystore-dir',
      dir,
      '--password-file',
      pwFile,
      '--light-kdf',
    ]);
    const file = join(
      dir,
      'UTC--2024-05-01T12-34-56.789Z--f39fd6e51aad88f6f4ce6ab8827279cfffb92266',
    );
    expect(r).toEqual({ code: 0, out: `address: ${DEV_ADDRESS}\nkeystore: ${file}\n`, err: '' });
    expect(toHex(unlockKeystoreFile(file, 'hunter2'))).toBe(DEV_KEY);
    expect(findKeystoreFile(dir, fromHex(DEV_ADDRESS))).toBe(file);

    const again = await run([
      'keys',
      'import',
      DEV_KEY.slice(2).toUpperCase(),
      '--keystore-dir',
      dir,
      '--password-file',
      pwFile,
    ]);
    expect(again).toEqual({
      code: 1,
      out: '',
      err: `etm keys import: a keystore for ${DEV_ADDRESS} already exists: ${file}\n`,
    });
  });

  it('imports a key from a file', async () => {
    const keyFile = join(root, `key${n}`);
    writeFileSync(keyFile, `  ${DEV_KEY.slice(2)}\n`);
    const r = await run([
      'keys',
      'import',
      keyFile,
      '--keystore-dir',
      dir,
      '--password-file',
      pwFile,
      '--light-kdf',
    ]);
    expect(r.code).toBe(0);
    expect(r.out).toContain(`address: ${DEV_ADDRESS}\n`);
  });

  const invalid: [string, string][] = [
    ['zero', '0x' + '00'.repeat(32)],
    ['the curve order', '0xfffffffffffffffffffffffffffffffebaaedce6af48a03bbfd25e8cd0364141'],
  ];
  for (const [what, key] of invalid) {
    it(`refuses ${what} as a key with exit code 1`, async () => {
      const r = await run([
        'keys',
        'import',
        key,
        '--keystore-dir',
        dir,
        '--password-file',
        pwFile,
      ]);
      expect(r).toEqual({
        code: 1,
        out: '',
        err: 'etm keys import: invalid private key: it must be an integer in 1..n-1 of secp256k1 (zero and values at or above the curve order are not keys)\n',
      });
      expect(existsSync(dir)).toBe(false);
    });
  }

  it('refuses text that is neither a key nor a file, without echoing it', async () => {
    const typo = DEV_KEY.slice(0, -1);
    const r = await run(['keys', 'import', typo, '--keystore-dir', dir, '--password-file', pwFile]);
    expect(r.code).toBe(1);
    expect(r.err).toBe(
      'etm keys import: expected a private key (64 hex digits, optionally 0x-prefixed) or the path of a file holding one\n',
    );
    expect(r.err).not.toContain(typo.slice(2, 20));
  });

  it('refuses a file that does not hold a key', async () => {
    const keyFile = join(root, `notkey${n}`);
    writeFileSync(keyFile, 'hello\n');
    expect(() => parsePrivateKeyInput(keyFile)).toThrow(
      `${keyFile} does not hold a private key (expected 64 hex digits, optionally 0x-prefixed)`,
    );
  });

  it('needs its argument', async () => {
    const r = await run(['keys', 'import', '--keystore-dir', dir]);
    expect(r.code).toBe(1);
    expect(r.err).toContain("missing required argument 'privateKeyHexOrFile'");
  });
});

describe('etm keys list', () => {
  it('skips and warns on invalid files, ignores hidden files, keeps name order', async () => {
    mkdirSync(dir, { recursive: true });
    const a = encryptKeystore(fromHex(DEV_KEY), 'x', { n: 16 });
    const bKey = fromHex('0x59c6995e998f97a5a0044966f0945389dc9e86dae88c7a8412f4603b6b78690d');
    const b = encryptKeystore(bKey, 'x', { n: 16 });
    const { address: _omit, ...noAddress } = b;
    writeFileSync(join(dir, 'UTC--2--b'), JSON.stringify(a));
    writeFileSync(join(dir, 'UTC--1--a'), JSON.stringify(noAddress));
    writeFileSync(join(dir, 'broken.json'), '{"version":3');
    writeFileSync(join(dir, 'notes.txt'), 'hello');
    writeFileSync(join(dir, '.hidden'), 'x');
    mkdirSync(join(dir, 'subdir'));
    const r = await run(['keys', 'list', '--keystore-dir', dir]);
    expect(r.code).toBe(0);
    expect(r.out).toBe(
      `(no address)  ${join(dir, 'UTC--1--a')}\n${DEV_ADDRESS}  ${join(dir, 'UTC--2--b')}\n`,
    );
    expect(r.err).toBe(
      `warning: skipping ${join(dir, 'broken.json')}: malformed keystore: not valid JSON\n` +
        `warning: skipping ${join(dir, 'notes.txt')}: malformed keystore: not valid JSON\n`,
    );
    expect(listKeystores(dir).keys.map((k) => k.address)).toEqual([null, DEV_ADDRESS]);
  });

  it('reports a missing or empty keystore directory', async () => {
    expect(await run(['keys', 'list', '--keystore-dir', dir])).toEqual({
      code: 0,
      out: '',
      err: `no keystore directory at ${dir}\n`,
    });
    mkdirSync(dir, { recursive: true });
    expect(await run(['keys', 'list', '--keystore-dir', dir])).toEqual({
      code: 0,
      out: '',
      err: `no keys in ${dir}\n`,
    });
  });
});

describe('help', () => {
  it('says what each subcommand does', async () => {
    const keys = await run(['keys', '--help']);
    expect(keys.code).toBe(0);
    expect(keys.out).toContain('Create, import and list encrypted account keys');
    for (const sub of ['new', 'import', 'list']) expect(keys.out).toContain(sub);

    const newHelp = await run(['keys', 'new', '--help']);
    expect(newHelp.out).toContain('Generate a new random account key');
    expect(newHelp.out).toContain('--password-file <file>');
    expect(newHelp.out).toContain('ETM_PASSWORD');
    expect(newHelp.out).toContain('--light-kdf');

    const importHelp = await run(['keys', 'import', '--help']);
    expect(importHelp.out).toContain('Encrypt an existing private key');
    expect(importHelp.out).toContain('<privateKeyHexOrFile>');

    const listHelp = await run(['keys', 'list', '--help']);
    expect(listHelp.out).toContain('List the address and file of every keystore');
    expect(listHelp.out).toContain('--keystore-dir <dir>');
  });
});
