/**
 * The node configuration file of `etm node --config FILE` (JSON). Relative paths are relative to
 * the file's directory.
 *
 *   {
 *     "datadir": "data",                       // the node's database
 *     "genesis": "genesis.json",
 *     "validator": {                           // omit to follow the chain without voting
 *       "keystore": "keystore/UTC--…--<address>.json",
 *       "passwordFile": "password.txt",        // optional: else the variable below, else a prompt
 *       "passwordEnv": "ETM_PASSWORD"          // optional: the variable to read (default ETM_PASSWORD)
 *     },
 *     "rpc": {                                 // optional; "enabled": false turns it off
 *       "host": "127.0.0.1", "port": 8545,
 *       "vhosts": ["localhost", "node.example"],  // optional: Host names served ("*": any)
 *       "cors": ["https://app.example"],        // optional: browser origins allowed ("*": any)
 *       "maxConnections": 256, "maxWebSocketConnections": 128   // optional
 *     },
 *     "ui": { "enabled": true },               // optional: the web app at the RPC address
 *     "p2p": {                                 // optional: without it the node has no peers
 *       "listen": ["/ip4/0.0.0.0/tcp/30333"],
 *       "announce": ["/ip4/203.0.113.7/tcp/30333"],   // optional: addresses to advertise
 *       "bootnodes": ["/ip4/…/tcp/30333/p2p/12D3Koo…"],
 *       "maxPeers": 50
 *     },
 *     "metrics": { "host": "127.0.0.1", "port": 9100 },  // optional: Prometheus GET /metrics
 *     "log": { "format": "text", "level": "info" },    // optional: "json" for JSON lines
 *     "cacheMiB": 256,                         // optional: memory of the node's caches together
 *     "mempool": { "slots": 4096, "MiB": 32 }  // optional: transactions held, and their bytes
 *   }
 */
import { EtmError } from '../primitives/errors.js';
import { readFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { multiaddr } from '@multiformats/multiaddr';
import { isLogLevel, type LogFormat, type LogLevel } from '../log/logger.js';

const DEFAULT_P2P_PORT = 30333;
const DEFAULT_METRICS_PORT = 9100;
/** The caches' default total (docs/node.md#memory). */
export const DEFAULT_CACHE_MIB = 256;

export interface P2pConfig {
  listen: string[];
  announce: string[];
  bootnodes: string[];
  maxPeers: number;
}

export interface RpcConfig {
  enabled: boolean;
  host: string;
  port: number;
  /** Host names requests may name; null: the server's default (localhost and the bound host). */
  vhosts: string[] | null;
  /** Browser origins allowed (CORS); null: none (pages of other origins cannot read replies). */
  cors: string[] | null;
  maxConnections: number | null;
  maxWebSocketConnections: number | null;
}

export interface NodeConfig {
  datadir: string;
  genesis: string;
  validator: { keystore: string; passwordFile: string | null; passwordEnv: string | null } | null;
  rpc: RpcConfig;
  /** The web app, served on GET by the RPC server (docs/web.md). */
  ui: { enabled: boolean };
  p2p: P2pConfig | null;
  metrics: { host: string; port: number } | null;
  log: { format: LogFormat; level: LogLevel };
  /** Bytes the node's caches may take together, in MiB (NodeOptions.cacheBytes). */
  cacheMiB: number;
  /** The mempool's size: transactions held at most and their bytes together, in MiB. */
  mempool: { slots: number; MiB: number };
}

export class ConfigError extends EtmError<'config'> {
  override name = 'ConfigError';

  constructor(message: string, options?: ErrorOptions) {
    super('config', message, options);
  }
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

/** Host names for the RPC's Host check: names or IP addresses, or "*" for any. */
export function vhosts(v: unknown, what: string): string[] {
  if (!Array.isArray(v) || v.length === 0)
    throw new ConfigError(`${what}: expected a non-empty list of host names (or ["*"])`);
  return v.map((h, i) => {
    const name = str(h, `${what}[${i}]`).trim();
    if (name !== '*' && !/^[A-Za-z0-9.:[\]_-]+$/.test(name))
      throw new ConfigError(`${what}[${i}]: "${name.slice(0, 40)}" is not a host name`);
    return name;
  });
}

/**
 * Browser origins for CORS: each "scheme://host[:port]" as a browser sends it in its Origin
 * header (no path, no trailing slash), or "*" for any.
 */
export function corsOrigins(v: unknown, what: string): string[] {
  if (!Array.isArray(v) || v.length === 0)
    throw new ConfigError(`${what}: expected a non-empty list of origins (or ["*"])`);
  return v.map((o, i) => {
    const origin = str(o, `${what}[${i}]`).trim();
    if (origin === '*') return origin;
    let url: URL | null = null;
    try {
      url = new URL(origin);
    } catch {
      // reported below
    }
    if (url === null || !/^https?:$/.test(url.protocol) || url.origin !== origin.toLowerCase())
      throw new ConfigError(
        `${what}[${i}]: "${origin.slice(0, 60)}" is not an origin like https://app.example or http://localhost:5173`,
      );
    return url.origin;
  });
}

function port(v: unknown, what: string): number {
  if (!Number.isInteger(v) || (v as number) < 0 || (v as number) > 65535)
    throw new ConfigError(`${what}: expected an integer from 0 to 65535`);
  return v as number;
}

function addresses(v: unknown, what: string, needPeerId: boolean): string[] {
  if (!Array.isArray(v)) throw new ConfigError(`${what}: expected a list of multiaddrs`);
  return v.map((a, i) => {
    const text = str(a, `${what}[${i}]`);
    let ma;
    try {
      ma = multiaddr(text);
    } catch (e) {
      throw new ConfigError(`${what}[${i}]: ${text} is not a multiaddr: ${(e as Error).message}`);
    }
    if (needPeerId && !ma.getComponents().some((c) => c.name === 'p2p'))
      throw new ConfigError(`${what}[${i}]: ${text} must end in /p2p/<peer id>`);
    return text;
  });
}

function parseP2p(v: unknown): P2pConfig {
  const p = obj(v, 'p2p');
  only(p, ['listen', 'announce', 'bootnodes', 'maxPeers'], 'p2p');
  const maxPeers = p.maxPeers ?? 50;
  if (!Number.isInteger(maxPeers) || (maxPeers as number) < 1 || (maxPeers as number) > 1000)
    throw new ConfigError('p2p.maxPeers: expected an integer from 1 to 1000');
  return {
    listen:
      p.listen === undefined
        ? [`/ip4/0.0.0.0/tcp/${DEFAULT_P2P_PORT}`]
        : addresses(p.listen, 'p2p.listen', false),
    announce: p.announce === undefined ? [] : addresses(p.announce, 'p2p.announce', false),
    bootnodes: p.bootnodes === undefined ? [] : addresses(p.bootnodes, 'p2p.bootnodes', true),
    maxPeers: maxPeers as number,
  };
}

function parseLog(v: unknown): NodeConfig['log'] {
  const log: NodeConfig['log'] = { format: 'text', level: 'info' };
  if (v === undefined) return log;
  const l = obj(v, 'log');
  only(l, ['format', 'level'], 'log');
  if (l.format !== undefined) {
    if (l.format !== 'json' && l.format !== 'text')
      throw new ConfigError('log.format: expected "json" or "text"');
    log.format = l.format;
  }
  if (l.level !== undefined) {
    if (!isLogLevel(l.level))
      throw new ConfigError('log.level: expected "debug", "info", "warn" or "error"');
    log.level = l.level;
  }
  return log;
}

/** The mempool's size; a bigger pool holds more in a burst, at its bytes' cost in memory. */
function parseMempool(v: unknown): NodeConfig['mempool'] {
  if (v === undefined || v === null) return { slots: 4096, MiB: 32 };
  const o = obj(v, 'mempool');
  only(o, ['slots', 'MiB'], 'mempool');
  const slots = o.slots ?? 4096;
  const MiB = o.MiB ?? 32;
  if (!Number.isInteger(slots) || (slots as number) < 16 || (slots as number) > 1_048_576)
    throw new ConfigError('mempool.slots: expected an integer from 16 to 1048576');
  if (!Number.isInteger(MiB) || (MiB as number) < 1 || (MiB as number) > 65_536)
    throw new ConfigError('mempool.MiB: expected an integer from 1 to 65536');
  return { slots: slots as number, MiB: MiB as number };
}

export function parseNodeConfig(doc: unknown, baseDir: string): NodeConfig {
  const o = obj(doc, 'config');
  only(
    o,
    [
      'datadir',
      'genesis',
      'validator',
      'rpc',
      'ui',
      'p2p',
      'metrics',
      'log',
      'cacheMiB',
      'mempool',
    ],
    'config',
  );
  const cacheMiB = o.cacheMiB ?? DEFAULT_CACHE_MIB;
  if (!Number.isInteger(cacheMiB) || (cacheMiB as number) < 16 || (cacheMiB as number) > 1_048_576)
    throw new ConfigError('cacheMiB: expected an integer from 16 to 1048576');
  const path = (v: unknown, what: string) => resolve(baseDir, str(v, what));
  let validator: NodeConfig['validator'] = null;
  if (o.validator !== undefined && o.validator !== null) {
    const v = obj(o.validator, 'validator');
    only(v, ['keystore', 'passwordFile', 'passwordEnv'], 'validator');
    validator = {
      keystore: path(v.keystore, 'validator.keystore'),
      passwordFile:
        v.passwordFile === undefined ? null : path(v.passwordFile, 'validator.passwordFile'),
      passwordEnv: v.passwordEnv === undefined ? null : str(v.passwordEnv, 'validator.passwordEnv'),
    };
  }
  const rpc: RpcConfig = {
    enabled: true,
    host: '127.0.0.1',
    port: 8545,
    vhosts: null,
    cors: null,
    maxConnections: null,
    maxWebSocketConnections: null,
  };
  if (o.rpc !== undefined) {
    const r = obj(o.rpc, 'rpc');
    only(
      r,
      ['enabled', 'host', 'port', 'vhosts', 'cors', 'maxConnections', 'maxWebSocketConnections'],
      'rpc',
    );
    if (r.enabled !== undefined) {
      if (typeof r.enabled !== 'boolean')
        throw new ConfigError('rpc.enabled: expected true or false');
      rpc.enabled = r.enabled;
    }
    if (r.host !== undefined) rpc.host = str(r.host, 'rpc.host');
    if (r.port !== undefined) rpc.port = port(r.port, 'rpc.port');
    if (r.vhosts !== undefined) rpc.vhosts = vhosts(r.vhosts, 'rpc.vhosts');
    if (r.cors !== undefined) rpc.cors = corsOrigins(r.cors, 'rpc.cors');
    for (const k of ['maxConnections', 'maxWebSocketConnections'] as const) {
      const v = r[k];
      if (v === undefined) continue;
      if (!Number.isInteger(v) || (v as number) < 1 || (v as number) > 65_536)
        throw new ConfigError(`rpc.${k}: expected an integer from 1 to 65536`);
      rpc[k] = v as number;
    }
  }
  const ui = { enabled: false };
  if (o.ui !== undefined && o.ui !== null) {
    const u = obj(o.ui, 'ui');
    only(u, ['enabled'], 'ui');
    if (u.enabled !== undefined) {
      if (typeof u.enabled !== 'boolean')
        throw new ConfigError('ui.enabled: expected true or false');
      ui.enabled = u.enabled;
    }
    if (ui.enabled && !rpc.enabled)
      throw new ConfigError('ui.enabled: the web app is served by the RPC server, which is off');
  }
  let metrics: NodeConfig['metrics'] = null;
  if (o.metrics !== undefined && o.metrics !== null) {
    const m = obj(o.metrics, 'metrics');
    only(m, ['host', 'port'], 'metrics');
    metrics = {
      host: m.host === undefined ? '127.0.0.1' : str(m.host, 'metrics.host'),
      port: m.port === undefined ? DEFAULT_METRICS_PORT : port(m.port, 'metrics.port'),
    };
  }
  return {
    datadir: path(o.datadir, 'datadir'),
    genesis: path(o.genesis, 'genesis'),
    validator,
    rpc,
    ui,
    p2p: o.p2p === undefined || o.p2p === null ? null : parseP2p(o.p2p),
    metrics,
    log: parseLog(o.log),
    cacheMiB: cacheMiB as number,
    mempool: parseMempool(o.mempool),
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
