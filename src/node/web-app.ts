/**
 * The web app (the explorer and voting page, built from web/ into dist/web) served by the node's
 * RPC server on GET, so the page and the JSON-RPC it calls share one origin.
 *
 * Every file is read into memory when the node starts and looked up by its exact path: a
 * request never becomes a file-system path, so nothing outside the build can be served. The
 * app learns what it runs against from /etm-ui.json; only `etm devnet` puts dev accounts there
 * (its well-known mnemonic's keys), a node started from a configuration file never does.
 */
import { EtmError } from '../primitives/errors.js';
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { extname, join, relative, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import { gzipSync } from 'node:zlib';
import { toHex } from '../crypto/bytes.js';
import type { DerivedAccount } from '../crypto/mnemonic.js';

/** Where `npm run build` puts the app: dist/web at the package root (from src/node or dist/node). */
const WEB_APP_DIR = fileURLToPath(new URL('../../dist/web/', import.meta.url));

/** The build is a few files of a few hundred KiB; anything much larger is not this app. */
const MAX_APP_BYTES = 16 * 1024 * 1024;

/** What the app reads from /etm-ui.json. */
export interface WebAppInfo {
  /** The chain's id, so the app needs no request for it before its first page. */
  chainId: string;
  /** True on `etm devnet` only. */
  devnet: boolean;
  /** Dev accounts the app may sign with, without a wallet (devnet only). */
  devAccounts: { address: string; privateKey: string }[];
}

export class WebAppError extends EtmError<'web-app'> {
  override name = 'WebAppError';

  constructor(message: string, options?: ErrorOptions) {
    super('web-app', message, options);
  }
}

interface Asset {
  body: Buffer;
  gzip: Buffer | null;
  type: string;
  /** Vite names assets by content hash, so they never change under one name. */
  immutable: boolean;
}

const TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.json': 'application/json',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.ico': 'image/x-icon',
  '.txt': 'text/plain; charset=utf-8',
  '.map': 'application/json',
};

/**
 * The page signs transactions: no framing (clickjacking), no foreign scripts or endpoints. The
 * WebSocket of its own host is named as well, for browsers whose 'self' does not cover ws:.
 */
function contentSecurityPolicy(host: string | undefined): string {
  const ws = host !== undefined && /^[a-z0-9.:[\]-]{1,300}$/i.test(host) ? ` ws://${host}` : '';
  return `default-src 'self'; connect-src 'self'${ws}; img-src 'self' data:; style-src 'self' 'unsafe-inline'; frame-ancestors 'none'; base-uri 'none'; form-action 'none'`;
}

const SECURITY_HEADERS: Record<string, string> = {
  'X-Frame-Options': 'DENY',
  'X-Content-Type-Options': 'nosniff',
  'Referrer-Policy': 'no-referrer',
};

function filesUnder(dir: string): string[] {
  const out: string[] = [];
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) out.push(...filesUnder(path));
    else if (entry.isFile()) out.push(path);
  }
  return out.sort();
}

export class WebApp {
  private constructor(private readonly assets: Map<string, Asset>) {}

  /** Whether a built app is at `dir`. */
  static isBuilt(dir: string = WEB_APP_DIR): boolean {
    return existsSync(join(dir, 'index.html'));
  }

  /** Reads the built app from `dir` into memory, with /etm-ui.json made from `info`. */
  static load(info: WebAppInfo, dir: string = WEB_APP_DIR): WebApp {
    if (!WebApp.isBuilt(dir))
      throw new WebAppError(`no web app at ${dir}: build it with npm run build`);
    const assets = new Map<string, Asset>();
    let total = 0;
    for (const file of filesUnder(dir)) {
      total += statSync(file).size;
      if (total > MAX_APP_BYTES)
        throw new WebAppError(`${dir} holds more than ${MAX_APP_BYTES} bytes: not the web app`);
      const path = '/' + relative(dir, file).split(sep).join('/');
      assets.set(path, asset(readFileSync(file), extname(file), path.startsWith('/assets/')));
    }
    assets.set('/etm-ui.json', asset(Buffer.from(JSON.stringify(info)), '.json', false));
    return new WebApp(assets);
  }

  /** Answers a GET or HEAD request. */
  serve(req: IncomingMessage, res: ServerResponse): void {
    req.resume();
    const path = (req.url ?? '/').split(/[?#]/, 1)[0]!;
    const found = this.assets.get(path === '/' ? '/index.html' : path);
    for (const [k, v] of Object.entries(SECURITY_HEADERS)) res.setHeader(k, v);
    res.setHeader('Content-Security-Policy', contentSecurityPolicy(req.headers.host));
    if (!found) {
      res.writeHead(404, { 'Content-Type': 'text/plain; charset=utf-8' });
      res.end(req.method === 'HEAD' ? undefined : 'not found\n');
      return;
    }
    const gzip = found.gzip !== null && /\bgzip\b/.test(req.headers['accept-encoding'] ?? '');
    const body = gzip ? found.gzip! : found.body;
    res.writeHead(200, {
      'Content-Type': found.type,
      'Content-Length': body.length,
      'Cache-Control': found.immutable ? 'public, max-age=31536000, immutable' : 'no-cache',
      Vary: 'Accept-Encoding',
      ...(gzip ? { 'Content-Encoding': 'gzip' } : {}),
    });
    res.end(req.method === 'HEAD' ? undefined : body);
  }
}

function asset(body: Buffer, ext: string, immutable: boolean): Asset {
  const type = TYPES[ext] ?? 'application/octet-stream';
  const compressible = /^(text\/|application\/json|image\/svg)/.test(type) && body.length > 1024;
  return { body, gzip: compressible ? gzipSync(body) : null, type, immutable };
}

/** /etm-ui.json of a devnet: it may sign with these (publicly known) dev accounts. */
export function devnetInfo(chainId: bigint, accounts: readonly DerivedAccount[]): WebAppInfo {
  return {
    chainId: chainId.toString(),
    devnet: true,
    devAccounts: accounts.map((a) => ({
      address: a.checksumAddress,
      privateKey: toHex(a.privateKey),
    })),
  };
}

/** /etm-ui.json of a node started from a configuration file: no dev accounts, ever. */
export function nodeInfo(chainId: bigint): WebAppInfo {
  return { chainId: chainId.toString(), devnet: false, devAccounts: [] };
}
