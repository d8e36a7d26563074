/** Option parsers shared by the commands. */
import { InvalidArgumentError } from 'commander';
import { corsOrigins } from '../node/config.js';

export function integer(min: number, max: number) {
  return (value: string): number => {
    if (!/^\d+$/.test(value)) throw new InvalidArgumentError('expected a whole number');
    const n = Number(value);
    if (n < min || n > max) throw new InvalidArgumentError(`expected ${min} to ${max}`);
    return n;
  };
}

/** --rpc-cors: a comma-separated list, checked like the node config's rpc.cors. */
export function originList(value: string): string[] {
  try {
    return corsOrigins(
      value.split(',').map((o) => o.trim()),
      '--rpc-cors',
    );
  } catch (e) {
    throw new InvalidArgumentError((e as Error).message.replace(/^--rpc-cors(\[\d+\])?: /, ''));
  }
}
