/**
 * The node's serving of the web app: files from memory by exact path (nothing outside the
 * build), gzip when asked, cache and security headers, /etm-ui.json with dev accounts only on a
 * devnet, JSON-RPC unchanged on the same port, and the `ui` section of the node configuration.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { request } from 'node:http';
import { join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEV_MNEMONIC, deriveAccounts } from '../../src/crypto/mnemonic.js';
import { genesisToJson } from '../../src/chain/genesis.js';
import { ConfigError, parseNodeConfig } from '../../src/node/config.js';
import { devGenesis } from '../../src/node/devnet.js';
import { silentLogger } from '../../src/log/logger.js';
import { startConfiguredNode } from '../../src/node/run.js';
import { devnetInfo, nodeInfo, WebApp, WebAppError } from '../../src/node/web-app.js';
import { RpcServer } from '../../src/rpc/server.js';
import { tempDir } from '../e2e/helpers.js';
import { FakeBackend } from '../rpc/fake-backend.js';

const tmp = tempDir('etm-webapp-');
const app = join(tmp.dir, 'web');
const script = 'console.log("etm");\n'.repeat(200);
let server: RpcServer;
let base: string;

interface Reply {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: Buffer;
}

function get(path: string, headers: Record<string, string> = {}, method = 'GET'): Promise<Reply> {
  return new Promise((resolve, reject) => {
    const req = request(`${base}${path}`, { method, headers }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () =>
        resolve({ status: res.statusCode!, headers: res.headers, body: Buffer.concat(chunks) }),
      );
    });
    req.on('error', reject);
    req.end();
  });
}

beforeAll(async () => {
  mkdirSync(join(app, 'assets'), { recursive: true });
  writeFileSync(join(app, 'index.html'), '<!doctype html><title>etm</title>');
  writeFileSync(join(app, 'assets', 'index-abc123.js'), script);
  writeFileSync(join(tmp.dir, 'secret.txt'), 'outside the app');
  const accounts = deriveAccounts(DEV_MNEMONIC, 2);
  const webApp = WebApp.load(devnetInfo(4543565n, accounts), app);
  server = new RpcServer({
    backend: new FakeBackend(),
    port: 0,
    serveGet: (req, res) => webApp.serve(req, res),
  });
  base = (await server.listen()).httpUrl;
});

afterAll(async () => {
  await server?.close();
  tmp.remove();
});

describe('the web app served by the RPC server', () => {
  it('serves index.html at / with security headers, uncached', async () => {
    const r = await get('/');
    expect(r.status).toBe(200);
    expect(r.body.toString()).toContain('<title>etm</title>');
    expect(r.headers['content-type']).toBe('text/html; charset=utf-8');
    expect(r.headers['cache-control']).toBe('no-cache');
    expect(r.headers['x-frame-options']).toBe('DENY');
    expect(r.headers['x-content-type-options']).toBe('nosniff');
    expect(r.headers['content-security-policy']).toContain("frame-ancestors 'none'");
    expect(r.headers['content-security-policy']).toContain(
      `connect-src 'self' ws://${new URL(base).host};`,
    );
    // A Host header that is no host name never reaches the page (nor its CSP): it names no vhost.
    const odd = await get('/', { host: 'x;script-src*' });
    expect(odd.status).toBe(403);
    expect(odd.headers['content-security-policy']).toBeUndefined();
    expect((await get('/?x=1#y')).status).toBe(200);
  });

  it('serves hashed assets as immutable, gzipped when the client accepts it', async () => {
    const plain = await get('/assets/index-abc123.js');
    expect(plain.status).toBe(200);
    expect(plain.body.toString()).toBe(script);
    expect(plain.headers['content-type']).toBe('text/javascript; charset=utf-8');
    expect(plain.headers['cache-control']).toContain('immutable');
    expect(plain.headers['content-encoding']).toBeUndefined();
    const zipped = await get('/assets/index-abc123.js', { 'accept-encoding': 'gzip, br' });
    expect(zipped.headers['content-encoding']).toBe('gzip');
    expect(zipped.body.length).toBeLessThan(script.length / 10);
    expect(gunzipSync(zipped.body).toString()).toBe(script);
    const head = await get('/assets/index-abc123.js', {}, 'HEAD');
    expect(head.status).toBe(200);
    expect(head.headers['content-length']).toBe(String(script.length));
    expect(head.body.length).toBe(0);
  });

  it('serves nothing outside the build, whatever the path says', async () => {
    for (const path of [
      '/secret.txt',
      '/../secret.txt',
      '/%2e%2e/secret.txt',
      '/assets/../../secret.txt',
      '/assets/..%2f..%2fsecret.txt',
      '//etc/passwd',
      '/index.html/',
      '/nope',
    ]) {
      const r = await get(path);
      expect(r.status, path).toBe(404);
      expect(r.body.toString()).not.toContain('outside the app');
    }
  });

  it('tells the app the chain id and, on a devnet, the dev accounts', async () => {
    const r = await get('/etm-ui.json');
    expect(r.headers['content-type']).toBe('application/json');
    const info = JSON.parse(r.body.toString()) as ReturnType<typeof devnetInfo>;
    expect(info.chainId).toBe('4543565');
    expect(info.devnet).toBe(true);
    expect(info.devAccounts.map((a) => a.address)).toEqual([
      '0xf39Fd6e51aad88F6F4ce6aB8827279cffFb92266',
      '0x70997970C51812dc3A010C7d01b50e0d17dc79C8',
    ]);
    expect(nodeInfo(7n)).toEqual({ chainId: '7', devnet: false, devAccounts: [] });
  });

  it('still answers JSON-RPC on POST, and other methods with 405', async () => {
    const res = await fetch(base, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'eth_chainId' }),
    });
    expect(((await res.json()) as { result: string }).result).toMatch(/^0x/);
    expect((await fetch(base, { method: 'PUT' })).status).toBe(405);
  });

  it('refuses a directory that holds no built app', () => {
    expect(() => WebApp.load(nodeInfo(1n), join(tmp.dir, 'missing'))).toThrow(WebAppError);
  });
});

describe('an RPC server without the web app', () => {
  it('answers GET with 405 as before', async () => {
    const plain = new RpcServer({ backend: new FakeBackend(), port: 0 });
    const { httpUrl } = await plain.listen();
    try {
      const r = await fetch(`${httpUrl}/`);
      expect(r.status).toBe(405);
      expect(r.headers.get('allow')).toBe('POST, OPTIONS');
    } finally {
      await plain.close();
    }
  });
});

describe('the ui section of the node configuration', () => {
  const base = { datadir: 'd', genesis: 'g.json' };

  it('is off unless enabled', () => {
    expect(parseNodeConfig(base, '/').ui).toEqual({ enabled: false });
    expect(parseNodeConfig({ ...base, ui: { enabled: true } }, '/').ui).toEqual({ enabled: true });
  });

  it('refuses anything else, dev accounts above all, and a UI without RPC', () => {
    expect(() => parseNodeConfig({ ...base, ui: { enabled: 'yes' } }, '/')).toThrow(
      'ui.enabled: expected true or false',
    );
    expect(() =>
      parseNodeConfig({ ...base, ui: { enabled: true, devAccounts: ['0x01'] } }, '/'),
    ).toThrow(new ConfigError('ui: unknown field "devAccounts"'));
    expect(() =>
      parseNodeConfig({ ...base, rpc: { enabled: false }, ui: { enabled: true } }, '/'),
    ).toThrow('the web app is served by the RPC server, which is off');
  });
});

describe('etm node with the web app enabled', () => {
  it('serves the app at the RPC address and tells it the chain, with no dev account', async () => {
    if (!WebApp.isBuilt()) throw new Error('the web app is not built: npm run build');
    const dir = join(tmp.dir, 'node');
    mkdirSync(dir, { recursive: true });
    writeFileSync(
      join(dir, 'genesis.json'),
      JSON.stringify(genesisToJson(devGenesis(1, 1000, 1_700_000_000n))),
    );
    const config = parseNodeConfig(
      { datadir: 'data', genesis: 'genesis.json', rpc: { port: 0 }, ui: { enabled: true } },
      dir,
    );
    const running = await startConfiguredNode(config, null, silentLogger);
    try {
      expect(running.uiUrl).toBe(`${running.httpUrl}/`);
      const info = (await (await fetch(`${running.uiUrl}etm-ui.json`)).json()) as unknown;
      expect(info).toEqual({ chainId: '4543565', devnet: false, devAccounts: [] });
      const page = await fetch(running.uiUrl!);
      expect(page.status).toBe(200);
      expect(await page.text()).toContain('<div id="app">');
    } finally {
      await running.stop();
    }
  });
});
