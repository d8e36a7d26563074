import { afterAll, describe, expect, it } from 'vitest';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import {
  PasswordError,
  promptHidden,
  readPasswordFile,
  resolvePassword,
  type PromptInput,
} from '../../src/cli/password.js';
import { scriptedTerminal } from './terminal.js';

const dir = mkdtempSync(join(tmpdir(), 'etm-pw-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('password file', () => {
  it('takes the first line without its line ending', () => {
    const f = join(dir, 'a');
    writeFileSync(f, 'correct horse\r\nsecond line\n');
    expect(readPasswordFile(f)).toBe('correct horse');
    writeFileSync(f, 'no newline');
    expect(readPasswordFile(f)).toBe('no newline');
    writeFileSync(f, ' spaces kept \n');
    expect(readPasswordFile(f)).toBe(' spaces kept ');
  });

  it('reports a missing file', () => {
    expect(() => readPasswordFile(join(dir, 'missing'))).toThrow(
      /^cannot read password file .*missing: ENOENT/,
    );
  });
});

describe('resolvePassword', () => {
  const notTty = new PassThrough() as unknown as PromptInput;

  it('prefers the file, then ETM_PASSWORD', async () => {
    const f = join(dir, 'b');
    writeFileSync(f, 'from-file\n');
    const env = { ETM_PASSWORD: 'from-env' };
    expect(await resolvePassword({ passwordFile: f, env, input: notTty })).toBe('from-file');
    expect(await resolvePassword({ env, input: notTty })).toBe('from-env');
  });

  it('fails at once without a source and without a terminal', async () => {
    await expect(resolvePassword({ env: { ETM_PASSWORD: '' }, input: notTty })).rejects.toThrow(
      'no password given and stdin is not a terminal: use --password-file FILE or set ETM_PASSWORD',
    );
  });

  it('refuses an empty password for a new secret', async () => {
    const f = join(dir, 'empty');
    writeFileSync(f, '\n');
    expect(await resolvePassword({ passwordFile: f, input: notTty })).toBe('');
    await expect(
      resolvePassword({ passwordFile: f, requireNonEmpty: true, input: notTty }),
    ).rejects.toThrow(new PasswordError('the password must not be empty'));
  });

  it('prompts twice on a terminal without echoing', async () => {
    const t = scriptedTerminal(['s3cret\r', 's3cret\r']);
    const pw = await resolvePassword({ env: {}, confirm: true, input: t.input, output: t.output });
    expect(pw).toBe('s3cret');
    expect(t.shown()).toBe('Password: \nRepeat password: \n');
    expect(t.input.rawModes).toEqual([true, false, true, false]);
  });

  it('fails when the two answers differ', async () => {
    const t = scriptedTerminal(['one\r', 'two\r']);
    await expect(
      resolvePassword({ env: {}, confirm: true, input: t.input, output: t.output }),
    ).rejects.toThrow('the passwords do not match');
  });
});

describe('promptHidden', () => {
  it('handles backspace, Ctrl-U and non-ASCII input', async () => {
    const t = scriptedTerminal(['junk\x15abX\x7fcé\n']);
    expect(await promptHidden('Key password: ', t.input, t.output)).toBe('abcé');
    expect(t.shown()).toBe('Key password: \n');
  });

  it('is cancelled by Ctrl-C', async () => {
    const t = scriptedTerminal(['ab\x03']);
    await expect(promptHidden('Password: ', t.input, t.output)).rejects.toThrow(
      'password entry cancelled',
    );
    expect(t.input.isRaw).toBe(false);
  });

  it('refuses a stream that is not a terminal', async () => {
    await expect(
      promptHidden('Password: ', new PassThrough() as unknown as PromptInput, new PassThrough()),
    ).rejects.toThrow('cannot prompt for a password: not a terminal');
  });
});
