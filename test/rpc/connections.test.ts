/**
 * What one RPC client can hold of the server: connections (all, and WebSockets), idle and
 * half-sent requests (timed out), the bytes waiting for clients that do not read (cut off, the
 * memory released), and which Host names it may use (DNS rebinding).
 */
import { request } from 'node:http';
import { connect, type Socket } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { WebSocket } from 'ws';
import { toHex } from '../../src/crypto/bytes.js';
import type { RpcBlock, RpcLog, RpcTransaction } from '../../src/rpc/backend.js';
import type { RpcServerOptions } from '../../src/rpc/server.js';
import { TOKEN, type FakeBackend } from './fake-backend.js';
import { result, startServer, WsClient, type TestServer } from './helpers.js';

const servers: TestServer[] = [];
const sockets: Socket[] = [];
const clients: WsClient[] = [];
afterEach(async () => {
  for (const s of sockets.splice(0)) s.destroy();
  // Terminated, not closed: a paused client would wait for a closing handshake it never reads.
  for (const c of clients.splice(0)) c.ws.terminate();
  await Promise.all(servers.splice(0).map((s) => s.close()));
});

async function server(options: Partial<Omit<RpcServerOptions, 'backend'>> = {}) {
  const s = await startServer(options);
  servers.push(s);
  return s;
}

function portOf(url: string): number {
  return Number(new URL(url).port);
}

/** A TCP connection that sends `text` (or nothing) and reads whatever comes back. */
function raw(url: string, text = ''): Promise<Socket> {
  return new Promise((resolve) => {
    const s = connect(portOf(url), '127.0.0.1', () => {
      if (text) s.write(text);
      resolve(s);
    });
    s.on('error', () => {});
    s.resume();
    sockets.push(s);
  });
}

async function until(cond: () => boolean, what: string, ms = 10_000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > deadline) throw new Error(`timed out: ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

/** A POST with a chosen Host header (fetch would not send one). */
function postWithHost(
  url: string,
  host: string,
  body: unknown,
): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const text = JSON.stringify(body);
    const req = request(
      {
        host: '127.0.0.1',
        port: portOf(url),
        method: 'POST',
        path: '/',
        headers: { host, 'content-type': 'application/json', 'content-length': text.length },
      },
      (res) => {
        let out = '';
        res.on('data', (d: Buffer) => (out += d.toString()));
        res.on('end', () => resolve({ status: res.statusCode!, body: out }));
      },
    );
    req.on('error', reject);
    req.end(text);
  });
}

function upgradeWithHost(url: string, host: string): Promise<string> {
  return new Promise((resolve) => {
    const s = connect(portOf(url), '127.0.0.1', () =>
      s.write(
        `GET / HTTP/1.1\r\nHost: ${host}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n` +
          `Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n`,
      ),
    );
    let out = '';
    s.on('data', (d) => {
      out += d.toString();
      if (out.includes('\r\n\r\n')) {
        s.destroy();
        resolve(out.split('\r\n')[0]!);
      }
    });
    s.on('error', () => {});
    sockets.push(s);
  });
}

const CHAIN_ID = { jsonrpc: '2.0', id: 1, method: 'eth_chainId' };

describe('connections', () => {
  it('idle sockets beyond the connection limit are refused at once and cannot exhaust the server', async () => {
    const s = await server({ maxConnections: 50, idleTimeoutMs: 60_000 });
    const opened = await Promise.all(Array.from({ length: 300 }, () => raw(s.httpUrl)));
    await until(() => s.server.stats().refusedConnections >= 250, 'refused');
    expect(s.server.stats().connections).toBe(50);
    expect(opened.filter((o) => !o.destroyed && o.readyState === 'open').length).toBeLessThan(300);
    // Slots come back as soon as clients leave.
    for (const o of opened) o.destroy();
    await until(() => s.server.stats().connections === 0, 'all closed');
    expect(await result(s.httpUrl, 'eth_chainId')).toBe('0x45544d');
  });

  it('idle connections and requests sent too slowly are timed out', async () => {
    const s = await server({ idleTimeoutMs: 1500, headersTimeoutMs: 300, requestTimeoutMs: 600 });
    const idle = await raw(s.httpUrl);
    const slowHeaders = await raw(s.httpUrl, 'POST / HTTP/1.1\r\nHost: localhost\r\n');
    const slowBody = await raw(
      s.httpUrl,
      'POST / HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/json\r\nContent-Length: 99\r\n\r\n{',
    );
    let replies = '';
    for (const c of [slowHeaders, slowBody]) c.on('data', (d: Buffer) => (replies += d.toString()));
    await until(() => s.server.stats().connections === 0, 'every connection timed out');
    expect(replies).toMatch(/^HTTP\/1\.1 408 Request Timeout/);
    expect(idle.readyState).not.toBe('open');
  });

  it('WebSocket connections have their own limit; a refused upgrade gets 503', async () => {
    const s = await server({ maxWebSocketConnections: 3 });
    for (let i = 0; i < 3; i++) clients.push(await WsClient.open(s.wsUrl));
    expect(await upgradeWithHost(s.wsUrl, 'localhost')).toBe('HTTP/1.1 503 Service Unavailable');
    expect(s.server.stats().webSockets).toBe(3);
    await clients.pop()!.close();
    await until(() => s.server.stats().webSockets === 2, 'one left');
    clients.push(await WsClient.open(s.wsUrl));
  });

  it('a connection with too many requests in flight is read no further until they finish', async () => {
    const s = await server({ maxRequestsPerConnection: 2 });
    const c = await WsClient.open(s.wsUrl);
    clients.push(c);
    // Twenty requests at once: all are answered, in the end, none refused.
    const replies = await Promise.all(
      Array.from({ length: 20 }, () => c.request('eth_getLogs', [{ fromBlock: '0x0' }])),
    );
    expect(replies.every((r) => Array.isArray(r.result))).toBe(true);
  });
});

describe('subscriptions', () => {
  it('are bounded over all connections, and by the size of one connection’s log filters', async () => {
    const s = await server({ maxSubscriptions: 5, maxLogFilterEntriesPerSocket: 1500 });
    const a = await WsClient.open(s.wsUrl);
    const b = await WsClient.open(s.wsUrl);
    clients.push(a, b);
    for (let i = 0; i < 3; i++) await a.subscribe(['newHeads']);
    const many = Array.from(
      { length: 1000 },
      (_, i) => '0x' + (i + 1).toString(16).padStart(40, '0'),
    );
    await b.subscribe(['logs', { address: many }]);
    // 1,000 addresses more would pass 1,500 on this connection.
    expect((await b.request('eth_subscribe', ['logs', { address: many }])).error).toEqual({
      code: -32005,
      message: "too many addresses and topics in this connection's log filters (limit 1500)",
    });
    await b.subscribe(['logs', { address: many.slice(0, 500) }]);
    expect((await b.request('eth_subscribe', ['newHeads'])).error).toEqual({
      code: -32005,
      message: 'too many subscriptions on this server (limit 5)',
    });
    // Room comes back when subscriptions end.
    await a.close();
    await until(() => s.subscriptionCount() === 2, 'a closed');
    await b.subscribe(['newHeads']);
  });
});

describe('clients that do not read', () => {
  it('paused WebSocket readers are cut off beyond their budget and their memory released', async () => {
    const budget = { maxSocketBufferedBytes: 1024 * 1024, maxBufferedBytes: 4 * 1024 * 1024 };
    const s = await server(budget);
    const filter = { address: TOKEN };
    const paused: WsClient[] = [];
    for (let i = 0; i < 5; i++) {
      const c = await WsClient.open(s.wsUrl);
      await c.subscribe(['logs', filter]);
      c.ws.pause(); // reads nothing more
      paused.push(c);
    }
    const reader = await WsClient.open(s.wsUrl);
    await reader.subscribe(['logs', filter]);
    clients.push(reader, ...paused);
    // Blocks with one log of 256 KiB each: far more than any kernel buffers per connection.
    let maxBuffered = 0;
    const HEADS = 80;
    for (let i = 0; i < HEADS; i++) {
      s.backend.emitHead((block) => [bigLog(s.backend, block)]);
      await new Promise((r) => setImmediate(r));
      maxBuffered = Math.max(maxBuffered, s.server.stats().bufferedBytes);
    }
    await until(() => s.server.stats().webSockets === 1, 'the paused readers cut off');
    expect(s.server.stats().slowClosed).toBe(5);
    expect(maxBuffered).toBeLessThanOrEqual(budget.maxBufferedBytes);
    await until(() => s.server.stats().bufferedBytes === 0, 'buffers released');
    // The client that reads got every log.
    await reader.request('eth_blockNumber');
    expect(reader.messages.length).toBe(HEADS);
  });

  it('HTTP clients that do not read their replies are cut off beyond the total budget', async () => {
    const budget = 16 * 1024 * 1024;
    const s = await server({ maxBufferedBytes: budget, maxRequestBytes: 32 * 1024 * 1024 });
    // Replies of 20 MB: more than the kernel buffers of a connection take.
    const body = JSON.stringify({
      jsonrpc: '2.0',
      id: 1,
      method: 'eth_call',
      params: [{ to: TOKEN, data: '0x' + 'ab'.repeat(10 * 1024 * 1024) }],
    });
    let maxBuffered = 0;
    for (let i = 0; i < 4; i++) {
      const c = await raw(s.httpUrl);
      c.pause(); // never reads the reply
      c.write(
        `POST / HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/json\r\n` +
          `Content-Length: ${body.length}\r\n\r\n${body}`,
      );
      await until(() => s.backend.calls.filter((x) => x.method === 'call').length > i, 'served');
      await new Promise((r) => setTimeout(r, 50));
      maxBuffered = Math.max(maxBuffered, s.server.stats().bufferedBytes);
    }
    expect(s.server.stats().slowClosed).toBeGreaterThan(0);
    expect(maxBuffered).toBeLessThanOrEqual(budget);
    expect(await result(s.httpUrl, 'eth_chainId')).toBe('0x45544d');
  });
});

/** A log of 256 KiB from TOKEN in `block`. */
function bigLog(backend: FakeBackend, block: RpcBlock): RpcLog {
  const tx = { hash: new Uint8Array(32), transactionIndex: 0n } as RpcTransaction;
  return { ...backend.makeLog(block, tx, 0n, TOKEN, []), data: new Uint8Array(256 * 1024) };
}

describe('Host names (DNS rebinding)', () => {
  it('serves localhost, loopback and IP addresses, and refuses other names', async () => {
    const s = await server();
    const port = portOf(s.httpUrl);
    for (const host of [
      `localhost:${port}`,
      'LOCALHOST',
      `127.0.0.1:${port}`,
      `[::1]:${port}`,
      '192.0.2.7',
    ]) {
      const r = await postWithHost(s.httpUrl, host, CHAIN_ID);
      expect(r.status, host).toBe(200);
    }
    for (const host of ['evil.example', `evil.example:${port}`, 'localhost.evil.example']) {
      const r = await postWithHost(s.httpUrl, host, CHAIN_ID);
      expect(r.status, host).toBe(403);
      expect(JSON.parse(r.body)).toEqual({
        jsonrpc: '2.0',
        id: null,
        error: { code: -32600, message: 'invalid host specified' },
      });
      expect(await upgradeWithHost(s.wsUrl, host)).toBe('HTTP/1.1 403 Forbidden');
    }
    expect(s.server.stats().refusedHosts).toBe(6);
    expect(s.backend.calls.filter((c) => c.method !== 'resolveBlock')).toEqual([]);
  });

  it('serves exactly the configured names, or any with "*"', async () => {
    const s = await server({ vhosts: ['node.example'] });
    expect((await postWithHost(s.httpUrl, 'node.example', CHAIN_ID)).status).toBe(200);
    expect((await postWithHost(s.httpUrl, 'localhost', CHAIN_ID)).status).toBe(403);
    expect(await upgradeWithHost(s.wsUrl, 'node.example')).toBe('HTTP/1.1 101 Switching Protocols');
    const any = await server({ vhosts: ['*'] });
    expect((await postWithHost(any.httpUrl, 'evil.example', CHAIN_ID)).status).toBe(200);
  });

  it('a WebSocket client library connects through a name it was allowed', async () => {
    const s = await server({ vhosts: ['localhost'] });
    const url = s.wsUrl.replace('127.0.0.1', 'localhost');
    const ws = new WebSocket(url);
    await new Promise((resolve, reject) => {
      ws.once('open', resolve);
      ws.once('error', reject);
    });
    ws.close();
    expect(toHex(new Uint8Array(0))).toBe('0x');
  });
});
