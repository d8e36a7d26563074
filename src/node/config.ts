/**
 * The node configuration file of `etm node --config FILE` (JSON). Relative paths are relative to
 * the file's directory.
 *
 *   {
 *     "datadir": "data",                       // the node's database
 *     "genesis": "genesis.json",
 *     "validator": {                           // omit to follow the chain without voting
 *       "keystore": "keystore/UTC--…--<address>.json",
 *       "passwordFile": "password.txt"         // optional: else ETM_PASSWORD, else a prompt
 *     },
 *     "rpc": { "host": "127.0.0.1", "port": 8545 }   // optional; "enabled": false turns it off
 *   }
 */
import { readFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';

export interface NodeConfig {
  datadir: string;
  genesis: string;
  validator: { keystore: string; passwordFile: string | null } | null;
  rpc: { enabled: boolean; host: string; port: number };
}

export class ConfigError extends Error {
  override name = 'ConfigError';
}

function obj(v: unknown, what: string): Record<string, unknown> {
  if (typeof v !== 'object' || v === null || Array.isArray(v))
    throw new ConfigError(`${what}: expected an object`);
  return v as Record<string, unknown>;
}

function str(v: unknown, what: string): string {
  if (typeof v !== 'string' || v === '')
    throw new ConfigError(`${what}: expected a non-empty string`);
  return v;
}

function only(o: Record<string, unknown>, keys: string[], what: string): void {
  for (const k of Object.keys(o))
    if (!keys.includes(k)) throw new ConfigError(`${what}: unknown field "${k}"`);
}

export function parseNodeConfig(doc: unknown, baseDir: string): NodeConfig {
  const o = obj(doc, 'config');
  only(o, ['datadir', 'genesis', 'validator', 'rpc'], 'config');
  const path = (v: unknown, what: string) => resolve(baseDir, str(v, what));
  let validator: NodeConfig['validator'] = null;
  if (o.validator !== undefined && o.validator !== null) {
    const v = obj(o.validator, 'validator');
    only(v, ['keystore', 'passwordFile'], 'validator');
    validator = {
      keystore: path(v.keystore, 'validator.keystore'),
      passwordFile:
        v.passwordFile === undefined ? null : path(v.passwordFile, 'validator.passwordFile'),
    };
  }
  const rpc = { enabled: true, host: '127.0.0.1', port: 8545 };
  if (o.rpc !== undefined) {
    const r = obj(o.rpc, 'rpc');
    only(r, ['enabled', 'host', 'port'], 'rpc');
    if (r.enabled !== undefined) {
      if (typeof r.enabled !== 'boolean')
        throw new ConfigError('rpc.enabled: expected true or false');
      rpc.enabled = r.enabled;
    }
    if (r.host !== undefined) rpc.host = str(r.host, 'rpc.host');
    if (r.port !== undefined) {
      if (!Number.isInteger(r.port) || (r.port as number) < 0 || (r.port as number) > 65535) {
        throw new ConfigError('rpc.port: expected an integer from 0 to 65535');
      }
      rpc.port = r.port as number;
    }
  }
  return {
    datadir: path(o.datadir, 'datadir'),
    genesis: path(o.genesis, 'genesis'),
    validator,
    rpc,
  };
}

export function loadNodeConfig(file: string): NodeConfig {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (e) {
    throw new ConfigError(`cannot read ${file}: ${(e as Error).message}`);
  }
  let doc: unknown;
  try {
    doc = JSON.parse(text);
  } catch (e) {
    throw new ConfigError(`${file} is not valid JSON: ${(e as Error).message}`);
  }
  return parseNodeConfig(doc, dirname(resolve(file)));
}
