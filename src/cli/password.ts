/**
 * Where a keystore password comes from: a file (`--password-file`), the ETM_PASSWORD
 * environment variable, or a hidden prompt on a terminal. Without a terminal and without a
 * source this fails at once rather than wait on stdin forever.
 */
import { EtmError } from '../primitives/errors.js';
import { readFileSync } from 'node:fs';
import { emitKeypressEvents } from 'node:readline';

export const PASSWORD_ENV = 'ETM_PASSWORD';

export class PasswordError extends EtmError<'password'> {
  override name = 'PasswordError';

  constructor(message: string, options?: ErrorOptions) {
    super('password', message, options);
  }
}

/** The parts of a terminal's stdin the prompt needs (process.stdin, or a stand-in in tests). */
export type PromptInput = NodeJS.ReadableStream & {
  isTTY?: boolean;
  isRaw?: boolean;
  setRawMode?(mode: boolean): unknown;
};

export interface PasswordOptions {
  /** Read the password from the first line of this file. */
  passwordFile?: string;
  /** Environment to read ETM_PASSWORD from; default process.env. */
  env?: Record<string, string | undefined>;
  /** For a new secret: prompt twice and require both answers to match. */
  confirm?: boolean;
  /** For a new secret: refuse the empty password whatever its source. */
  requireNonEmpty?: boolean;
  /** Prompt streams; default process.stdin and process.stderr (stdout stays for results). */
  input?: PromptInput;
  output?: NodeJS.WritableStream;
  /** Prompt text; default "Password: ". */
  prompt?: string;
}

/** The first line of a file, without its line ending. */
export function readPasswordFile(path: string): string {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (e) {
    throw new PasswordError(`cannot read password file ${path}: ${(e as Error).message}`);
  }
  const newline = text.indexOf('\n');
  const line = newline === -1 ? text : text.slice(0, newline);
  return line.endsWith('\r') ? line.slice(0, -1) : line;
}

/** Resolves a password in order: file, environment, terminal prompt. */
export async function resolvePassword(opts: PasswordOptions = {}): Promise<string> {
  const env = opts.env ?? process.env;
  let password: string;
  if (opts.passwordFile !== undefined) {
    password = readPasswordFile(opts.passwordFile);
  } else if (env[PASSWORD_ENV] !== undefined && env[PASSWORD_ENV] !== '') {
    password = env[PASSWORD_ENV];
  } else {
    const input = opts.input ?? (process.stdin as PromptInput);
    const output = opts.output ?? process.stderr;
    if (!input.isTTY || typeof input.setRawMode !== 'function') {
      throw new PasswordError(
        `no password given and stdin is not a terminal: use --password-file FILE or set ${PASSWORD_ENV}`,
      );
    }
    password = await promptHidden(opts.prompt ?? 'Password: ', input, output);
    if (opts.requireNonEmpty && password === '') {
      throw new PasswordError('the password must not be empty');
    }
    if (opts.confirm) {
      const again = await promptHidden('Repeat password: ', input, output);
      if (again !== password) throw new PasswordError('the passwords do not match');
    }
  }
  if (opts.requireNonEmpty && password === '') {
    throw new PasswordError('the password must not be empty');
  }
  return password;
}

/**
 * Reads one line from a terminal without echoing it. Backspace deletes, Ctrl-U clears,
 * Enter ends, Ctrl-C and Ctrl-D (on an empty line) cancel.
 */
export function promptHidden(
  question: string,
  input: PromptInput,
  output: NodeJS.WritableStream,
): Promise<string> {
  if (!input.isTTY || typeof input.setRawMode !== 'function') {
    return Promise.reject(new PasswordError('cannot prompt for a password: not a terminal'));
  }
  const setRawMode = input.setRawMode.bind(input);
  output.write(question);
  emitKeypressEvents(input);
  const wasRaw = input.isRaw === true;
  setRawMode(true);
  input.resume();
  return new Promise((resolve, reject) => {
    const chars: string[] = [];
    const finish = (error?: Error) => {
      input.removeListener('keypress', onKey);
      setRawMode(wasRaw);
      input.pause();
      output.write('\n');
      if (error) reject(error);
      else resolve(chars.join(''));
    };
    const onKey = (text: string | undefined, key: KeyInfo | undefined) => {
      const name = key?.name;
      if (key?.ctrl && name === 'c') return finish(new PasswordError('password entry cancelled'));
      if (key?.ctrl && name === 'd') {
        if (chars.length === 0) finish(new PasswordError('password entry cancelled'));
        return;
      }
      if (name === 'return' || name === 'enter') return finish();
      if (name === 'backspace') {
        chars.pop();
        return;
      }
      if (key?.ctrl && name === 'u') {
        chars.length = 0;
        return;
      }
      if (key?.ctrl || key?.meta) return;
      if (text !== undefined && text >= ' ' && text !== '\x7f') chars.push(text);
    };
    input.on('keypress', onKey);
  });
}

interface KeyInfo {
  name?: string;
  ctrl?: boolean;
  meta?: boolean;
}
