/**
 * The HTTP side of the server and the JSON-RPC 2.0 envelope: ids, notifications, batches,
 * parse and request errors, HTTP methods and content types, CORS, size limits, binding.
 */
import { request as httpRequest } from 'node:http';
import { connect } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Wallet } from 'ethers';
import {
  DEFAULT_MAX_REQUEST_BYTES,
  DEFAULT_RPC_HOST,
  DEFAULT_RPC_PORT,
  RpcServer,
} from '../../src/rpc/server.js';
import { DEFAULT_MAX_BATCH_SIZE } from '../../src/rpc/handler.js';
import { CHAIN_ID, DEV_KEY, FakeBackend, GWEI, RECIPIENT } from './fake-backend.js';
import { post, result, startServer, type JsonRpcReply, type TestServer } from './helpers.js';

let s: TestServer;
let url: string;

beforeAll(async () => {
  s = await startServer();
  url = s.httpUrl;
});
afterAll(() => s.close());

const CHAIN = '0x45544d';
const req = (
  id: unknown,
  method = 'eth_chainId',
  params: unknown = [],
): Record<string, unknown> => ({
  jsonrpc: '2.0',
  id,
  method,
  params,
});

/** Sends raw bytes over TCP and resolves with everything the server sent back. */
function rawHttp(port: number, text: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = connect(port, '127.0.0.1', () => socket.write(text));
    let out = '';
    socket.on('data', (d) => (out += d.toString()));
    socket.on('end', () => resolve(out));
    socket.on('close', () => resolve(out));
    socket.on('error', reject);
  });
}

/** A POST with a chunked body (no content-length); resolves with status or the socket error. */
function chunkedPost(
  target: string,
  chunks: string[],
): Promise<{ status: number; body: string } | { error: string }> {
  return new Promise((resolve) => {
    const r = httpRequest(target, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'transfer-encoding': 'chunked' },
    });
    r.on('response', (res) => {
      let body = '';
      res.on('data', (d) => (body += d.toString()));
      res.on('end', () => resolve({ status: res.statusCode!, body }));
      res.on('error', (e) => resolve({ error: e.message }));
    });
    r.on('error', (e) => resolve({ error: e.message }));
    const write = (i: number): void => {
      if (i === chunks.length) {
        r.end();
        return;
      }
      if (r.destroyed) return;
      r.write(chunks[i], () => write(i + 1));
    };
    write(0);
  });
}

describe('binding', () => {
  it('defaults: 127.0.0.1, port 8545', async () => {
    expect(DEFAULT_RPC_HOST).toBe('127.0.0.1');
    expect(DEFAULT_RPC_PORT).toBe(8545);
    const server = new RpcServer({ backend: await FakeBackend.create(), port: 0 });
    const { httpUrl, wsUrl } = await server.listen();
    try {
      expect(httpUrl).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
      expect(wsUrl).toBe(httpUrl.replace('http://', 'ws://'));
      expect(await result(httpUrl, 'eth_chainId')).toBe(CHAIN);
    } finally {
      await server.close();
    }
  });

  it('listen() twice is refused; close() twice is fine and stops serving', async () => {
    const t = await startServer();
    await expect(t.server.listen()).rejects.toThrow('RPC server already started');
    await t.close();
    await t.close();
    await expect(fetch(t.httpUrl, { method: 'POST' })).rejects.toThrow();
  });

  it('a port in use is an EADDRINUSE error from listen()', async () => {
    const port = Number(new URL(url).port);
    const second = new RpcServer({ backend: s.backend, port });
    await expect(second.listen()).rejects.toMatchObject({ code: 'EADDRINUSE' });
  });
});

describe('JSON-RPC 2.0 envelope', () => {
  it('echoes the id: numbers, strings, null, zero, negatives, fractions', async () => {
    for (const id of [1, 0, -7, 2.5, 9007199254740991, 'abc', '', null]) {
      const res = await post(url, req(id));
      expect(res.status).toBe(200);
      expect(res.body).toEqual({ jsonrpc: '2.0', id, result: CHAIN });
    }
  });

  it('replies with "jsonrpc", "id" and exactly one of result/error', async () => {
    const good = (await post(url, req(1))).body as JsonRpcReply;
    expect(Object.keys(good)).toEqual(['jsonrpc', 'id', 'result']);
    const bad = (await post(url, req(2, 'nope'))).body as JsonRpcReply;
    expect(Object.keys(bad)).toEqual(['jsonrpc', 'id', 'error']);
    expect(Object.keys(bad.error!)).toEqual(['code', 'message']);
  });

  it('an id that is not a string, number or null is -32600 with id null', async () => {
    for (const id of [[1], { a: 1 }, true]) {
      expect((await post(url, req(id))).body).toEqual({
        jsonrpc: '2.0',
        id: null,
        error: {
          code: -32600,
          message: 'invalid request: "id" must be a string, a number or null',
        },
      });
    }
  });

  it('"jsonrpc" must be "2.0"; the error keeps the id', async () => {
    for (const body of [
      { id: 7, method: 'eth_chainId' },
      { jsonrpc: '1.0', id: 7, method: 'eth_chainId' },
      { jsonrpc: 2, id: 7, method: 'eth_chainId' },
    ]) {
      expect((await post(url, body)).body).toEqual({
        jsonrpc: '2.0',
        id: 7,
        error: { code: -32600, message: 'invalid request: "jsonrpc" must be "2.0"' },
      });
    }
  });

  it('"method" must be a string and "params" an array or object', async () => {
    expect((await post(url, { jsonrpc: '2.0', id: 3, method: 5 })).body).toEqual({
      jsonrpc: '2.0',
      id: 3,
      error: { code: -32600, message: 'invalid request: "method" must be a string' },
    });
    expect((await post(url, { jsonrpc: '2.0', id: 3 })).body).toMatchObject({
      error: { code: -32600, message: 'invalid request: "method" must be a string' },
    });
    for (const params of ['x', 5, true]) {
      expect((await post(url, req(4, 'eth_chainId', params))).body).toEqual({
        jsonrpc: '2.0',
        id: 4,
        error: { code: -32600, message: 'invalid request: "params" must be an array or an object' },
      });
    }
  });

  it('absent or null params are no arguments; named params are -32602', async () => {
    expect((await post(url, { jsonrpc: '2.0', id: 1, method: 'eth_chainId' })).body).toMatchObject({
      result: CHAIN,
    });
    expect((await post(url, req(1, 'eth_chainId', null))).body).toMatchObject({ result: CHAIN });
    expect((await post(url, req(1, 'eth_getBalance', { address: RECIPIENT }))).body).toEqual({
      jsonrpc: '2.0',
      id: 1,
      error: { code: -32602, message: 'parameters must be given by position (an array)' },
    });
    expect((await post(url, req(1, 'eth_getBalance'))).body).toMatchObject({
      error: { code: -32602, message: 'missing value for required argument 0 (address)' },
    });
  });

  it('unknown fields in the request object are ignored', async () => {
    expect((await post(url, { ...req(1), extra: true })).body).toMatchObject({ result: CHAIN });
  });

  it('invalid JSON is -32700 parse error with id null', async () => {
    for (const text of ['{"jsonrpc":', '', 'nul', '{"a":1}}', '[{"jsonrpc":"2.0"},', '\u0000']) {
      const res = await post(url, text);
      expect(res.status).toBe(200);
      expect(res.body).toEqual({
        jsonrpc: '2.0',
        id: null,
        error: { code: -32700, message: 'parse error' },
      });
    }
  });

  it('JSON that is not a request object is -32600', async () => {
    for (const text of ['null', '"eth_chainId"', '42', 'true']) {
      expect((await post(url, text)).body).toEqual({
        jsonrpc: '2.0',
        id: null,
        error: { code: -32600, message: 'invalid request: expected a request object' },
      });
    }
  });

  it('unknown methods are -32601, including ones geth has and this node does not', async () => {
    for (const method of [
      'eth_fillTransaction',
      // The signing methods exist on the devnet only (a backend with dev accounts).
      'eth_sendTransaction',
      'eth_sign',
      'personal_sign',
      'evm_mine',
      'debug_traceBlockByNumber',
      'nope',
    ]) {
      expect((await post(url, req(9, method, [{}]))).body).toEqual({
        jsonrpc: '2.0',
        id: 9,
        error: { code: -32601, message: `the method ${method} does not exist/is not available` },
      });
    }
    // By-name params on an unknown method: the method is what is wrong.
    expect(
      (await post(url, req(9, 'eth_fillTransaction', { from: RECIPIENT }))).body,
    ).toMatchObject({
      error: { code: -32601 },
    });
    // A long method name is cut in the message.
    const long = 'x'.repeat(5000);
    const error = ((await post(url, req(9, long))).body as JsonRpcReply).error!;
    expect(error.code).toBe(-32601);
    expect(error.message).toBe(`the method ${'x'.repeat(100)} does not exist/is not available`);
  });

  it('a notification (no id) runs but gets no reply: 204 and an empty body', async () => {
    const t = await startServer();
    try {
      const raw = await new Wallet(DEV_KEY).signTransaction({
        type: 2,
        chainId: CHAIN_ID,
        nonce: 3,
        maxFeePerGas: 20n * GWEI,
        maxPriorityFeePerGas: GWEI,
        gasLimit: 21_000n,
        to: RECIPIENT,
      });
      const res = await post(t.httpUrl, {
        jsonrpc: '2.0',
        method: 'eth_sendRawTransaction',
        params: [raw],
      });
      expect(res.status).toBe(204);
      expect(res.text).toBe('');
      expect(t.backend.pending.size).toBe(1);
      // Failing notifications are silent too.
      for (const body of [
        { jsonrpc: '2.0', method: 'nope' },
        { jsonrpc: '2.0', method: 'eth_getBalance', params: ['0x12'] },
        { jsonrpc: '2.0', method: 'eth_sendRawTransaction', params: [raw] },
      ]) {
        const r = await post(t.httpUrl, body);
        expect([r.status, r.text]).toEqual([204, '']);
      }
    } finally {
      await t.close();
    }
  });

  it('"id": null is a request, not a notification', async () => {
    expect((await post(url, req(null))).body).toEqual({ jsonrpc: '2.0', id: null, result: CHAIN });
  });
});

describe('batches', () => {
  it('answers each request in order, leaving out notifications', async () => {
    const res = await post(url, [
      req(1),
      { jsonrpc: '2.0', method: 'eth_chainId' },
      req('b', 'nope'),
      req(3, 'eth_getBalance', ['0x1234']),
      req(4, 'net_version'),
    ]);
    expect(res.status).toBe(200);
    expect(res.body).toEqual([
      { jsonrpc: '2.0', id: 1, result: CHAIN },
      {
        jsonrpc: '2.0',
        id: 'b',
        error: { code: -32601, message: 'the method nope does not exist/is not available' },
      },
      {
        jsonrpc: '2.0',
        id: 3,
        error: {
          code: -32602,
          message: 'invalid argument 0 (address): expected 20 bytes of hex data, got 2',
        },
      },
      { jsonrpc: '2.0', id: 4, result: '4543565' },
    ]);
  });

  it('invalid members get their own -32600 in place', async () => {
    expect((await post(url, [1, req(2), 'x', [req(3)]])).body).toEqual([
      {
        jsonrpc: '2.0',
        id: null,
        error: { code: -32600, message: 'invalid request: expected a request object' },
      },
      { jsonrpc: '2.0', id: 2, result: CHAIN },
      {
        jsonrpc: '2.0',
        id: null,
        error: { code: -32600, message: 'invalid request: expected a request object' },
      },
      {
        jsonrpc: '2.0',
        id: null,
        error: { code: -32600, message: 'invalid request: expected a request object' },
      },
    ]);
  });

  it('hands the raw transactions of a batch to the backend together before sending each', async () => {
    const t = await startServer();
    try {
      const sign = (nonce: number) =>
        new Wallet(DEV_KEY).signTransaction({
          type: 2,
          chainId: CHAIN_ID,
          nonce,
          maxFeePerGas: 20n * GWEI,
          maxPriorityFeePerGas: GWEI,
          gasLimit: 21_000n,
          to: RECIPIENT,
        });
      const [a, b] = [await sign(3), await sign(4)];
      const res = await post(t.httpUrl, [
        req(1, 'eth_sendRawTransaction', [a]),
        req(2, 'eth_sendRawTransaction', ['0xzz']),
        req(3),
        req(4, 'eth_sendRawTransaction', [b]),
      ]);
      const replies = res.body as JsonRpcReply[];
      expect(replies.map((r) => r.id)).toEqual([1, 2, 3, 4]);
      expect(replies[1]!.error!.code).toBe(-32602); // the bad one answers for itself
      expect(t.backend.pending.size).toBe(2);
      const calls = t.backend.calls.filter(
        (c) => c.method.endsWith('RawTransactions') || c.method === 'sendRawTransaction',
      );
      expect(calls).toEqual([
        { method: 'prepareRawTransactions', args: [[a, b]] },
        { method: 'sendRawTransaction', args: [a] },
        { method: 'sendRawTransaction', args: [b] },
      ]);
      // A single request, or a batch with one transaction, is sent as it is.
      t.backend.calls.length = 0;
      await post(t.httpUrl, [req(5, 'eth_sendRawTransaction', [await sign(5)]), req(6)]);
      expect(t.backend.calls.some((c) => c.method === 'prepareRawTransactions')).toBe(false);
    } finally {
      await t.close();
    }
  });

  it('an empty batch is one -32600 error object, not an array', async () => {
    expect((await post(url, [])).body).toEqual({
      jsonrpc: '2.0',
      id: null,
      error: { code: -32600, message: 'invalid request: empty batch' },
    });
  });

  it('a batch of notifications only gets no reply', async () => {
    const res = await post(url, [
      { jsonrpc: '2.0', method: 'eth_chainId' },
      { jsonrpc: '2.0', method: 'nope' },
    ]);
    expect([res.status, res.text]).toEqual([204, '']);
  });

  it("allows 1,000 requests by default (viem's batch); 1,001 is geth's one-element error", async () => {
    expect(DEFAULT_MAX_BATCH_SIZE).toBe(1000);
    const full = await post(
      url,
      Array.from({ length: 1000 }, (_, i) => req(i)),
    );
    expect(full.body).toEqual(
      Array.from({ length: 1000 }, (_, i) => ({ jsonrpc: '2.0', id: i, result: CHAIN })),
    );
    // As geth: nothing runs; one error, -32600 'batch too large', under the first call's id.
    const before = s.backend.calls.length;
    const over = Array.from({ length: 1001 }, (_, i) =>
      req(i + 7, 'eth_sendRawTransaction', ['0x01']),
    );
    expect((await post(url, over)).body).toEqual([
      { jsonrpc: '2.0', id: 7, error: { code: -32600, message: 'batch too large' } },
    ]);
    expect(s.backend.calls.length).toBe(before);
    // Notifications first: the id is the first request's that has one.
    const mixed = [{ jsonrpc: '2.0', method: 'eth_chainId' }, ...over];
    expect((await post(url, mixed)).body).toEqual([
      { jsonrpc: '2.0', id: 7, error: { code: -32600, message: 'batch too large' } },
    ]);
  });

  it('maxBatchSize sets the limit', async () => {
    const t = await startServer({ maxBatchSize: 2 });
    try {
      expect((await post(t.httpUrl, [req(1), req(2)])).body).toHaveLength(2);
      expect((await post(t.httpUrl, [req(1), req(2), req(3)])).body).toEqual([
        { jsonrpc: '2.0', id: 1, error: { code: -32600, message: 'batch too large' } },
      ]);
    } finally {
      await t.close();
    }
  });
});

describe('HTTP', () => {
  it('only POST: other methods are 405 with an Allow header', async () => {
    for (const method of ['GET', 'PUT', 'DELETE', 'PATCH']) {
      const res = await post(url, req(1), { 'content-type': 'application/json' }, method);
      expect(res.status).toBe(405);
      expect(res.headers.get('allow')).toBe('POST, OPTIONS');
      expect(res.headers.get('content-type')).toBe('application/json');
      expect(res.body).toEqual({
        jsonrpc: '2.0',
        id: null,
        error: { code: -32600, message: 'method not allowed: use POST' },
      });
    }
  });

  it('accepts the JSON content types, any case, with parameters', async () => {
    for (const type of [
      'application/json',
      'application/json; charset=utf-8',
      'Application/JSON',
      'application/json-rpc',
      'application/jsonrequest',
    ]) {
      const res = await post(url, req(1), { 'content-type': type });
      expect([res.status, res.body]).toEqual([200, { jsonrpc: '2.0', id: 1, result: CHAIN }]);
    }
  });

  it('refuses other or missing content types with 415', async () => {
    for (const headers of [
      { 'content-type': 'text/plain' },
      { 'content-type': 'application/x-www-form-urlencoded' },
      { 'content-type': 'multipart/form-data; boundary=x' },
      {} as Record<string, string>,
    ]) {
      const res = await fetch(url, {
        method: 'POST',
        headers,
        body: new Blob([JSON.stringify(req(1))]),
      });
      expect(res.status).toBe(415);
      expect(await res.json()).toEqual({
        jsonrpc: '2.0',
        id: null,
        error: {
          code: -32600,
          message: 'invalid content type, only application/json is supported',
        },
      });
    }
  });

  it('replies are application/json with a content-length', async () => {
    const res = await fetch(url, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(req(1)),
    });
    expect(res.headers.get('content-type')).toBe('application/json');
    const text = await res.text();
    expect(res.headers.get('content-length')).toBe(String(Buffer.byteLength(text)));
  });

  it('a malformed HTTP request is 400 and the server keeps serving', async () => {
    const port = Number(new URL(url).port);
    const reply = await rawHttp(port, 'GARBAGE\r\n\r\n');
    expect(reply).toMatch(/^HTTP\/1\.1 400 Bad Request/);
    expect(await result(url, 'eth_chainId')).toBe(CHAIN);
  });
});

describe('CORS', () => {
  it('by default no Access-Control headers, whatever the Origin', async () => {
    const res = await post(url, req(1), {
      'content-type': 'application/json',
      origin: 'https://app.example',
    });
    expect(res.status).toBe(200);
    expect(res.headers.get('access-control-allow-origin')).toBeNull();
    const preflight = await fetch(url, {
      method: 'OPTIONS',
      headers: { origin: 'https://app.example', 'access-control-request-method': 'POST' },
    });
    expect(preflight.status).toBe(204);
    expect(preflight.headers.get('access-control-allow-origin')).toBeNull();
    expect(preflight.headers.get('access-control-allow-methods')).toBeNull();
  });

  it('listed origins are echoed back; others get nothing', async () => {
    const t = await startServer({ corsOrigins: ['https://App.example'] });
    try {
      const allowed = await post(t.httpUrl, req(1), {
        'content-type': 'application/json',
        origin: 'https://app.example',
      });
      expect(allowed.headers.get('access-control-allow-origin')).toBe('https://app.example');
      expect(allowed.headers.get('vary')).toBe('Origin');
      const other = await post(t.httpUrl, req(1), {
        'content-type': 'application/json',
        origin: 'https://evil.example',
      });
      expect(other.status).toBe(200);
      expect(other.headers.get('access-control-allow-origin')).toBeNull();

      const preflight = await fetch(t.httpUrl, {
        method: 'OPTIONS',
        headers: {
          origin: 'https://app.example',
          'access-control-request-method': 'POST',
          'access-control-request-headers': 'content-type, x-client',
        },
      });
      expect(preflight.status).toBe(204);
      expect(preflight.headers.get('access-control-allow-origin')).toBe('https://app.example');
      // Only what the server does: GET is not served, so it is not advertised.
      expect(preflight.headers.get('access-control-allow-methods')).toBe('POST, OPTIONS');
      expect(preflight.headers.get('access-control-allow-headers')).toBe('content-type, x-client');
      expect(preflight.headers.get('access-control-max-age')).toBe('600');
      // Errors carry the header too, so the page can read them.
      const refused = await post(t.httpUrl, req(1), { origin: 'https://app.example' }, 'GET');
      expect(refused.status).toBe(405);
      expect(refused.headers.get('access-control-allow-origin')).toBe('https://app.example');
    } finally {
      await t.close();
    }
  });

  it('"*" allows every origin', async () => {
    const t = await startServer({ corsOrigins: ['*'] });
    try {
      const res = await post(t.httpUrl, req(1), {
        'content-type': 'application/json',
        origin: 'https://anything.example',
      });
      expect(res.headers.get('access-control-allow-origin')).toBe('*');
    } finally {
      await t.close();
    }
  });
});

describe('request size limit', () => {
  it('is 5 MiB by default: a body of exactly the limit is served, one byte more is 413', async () => {
    expect(DEFAULT_MAX_REQUEST_BYTES).toBe(5 * 1024 * 1024);
    const base = JSON.stringify(req(1));
    const exact = base + ' '.repeat(DEFAULT_MAX_REQUEST_BYTES - base.length);
    const res = await post(url, exact);
    expect([res.status, res.body]).toEqual([200, { jsonrpc: '2.0', id: 1, result: CHAIN }]);
    const over = await post(url, exact + ' ');
    expect(over.status).toBe(413);
    expect(over.body).toEqual({
      jsonrpc: '2.0',
      id: null,
      error: { code: -32600, message: 'request body too large: limit 5242880 bytes' },
    });
  });

  it('maxRequestBytes sets it; declared, streamed and far-too-large bodies', async () => {
    const t = await startServer({ maxRequestBytes: 1000 });
    const tooLarge = {
      jsonrpc: '2.0',
      id: null,
      error: { code: -32600, message: 'request body too large: limit 1000 bytes' },
    };
    try {
      const base = JSON.stringify(req(1));
      expect((await post(t.httpUrl, base + ' '.repeat(1000 - base.length))).status).toBe(200);
      // content-length over the limit.
      const declared = await post(t.httpUrl, base + ' '.repeat(2000));
      expect([declared.status, declared.body]).toEqual([413, tooLarge]);
      // content-length far over the limit: refused before reading, then the connection closes.
      const huge = await post(t.httpUrl, base + ' '.repeat(10_000));
      expect([huge.status, huge.body]).toEqual([413, tooLarge]);
      expect(huge.headers.get('connection')).toBe('close');
      // Chunked, no content-length: read, dropped, answered 413.
      const streamed = await chunkedPost(t.httpUrl, [base, ' '.repeat(600), ' '.repeat(600)]);
      expect(streamed).toEqual({ status: 413, body: JSON.stringify(tooLarge) });
      // Chunked and far too large: the connection is cut.
      const cut = await chunkedPost(
        t.httpUrl,
        Array.from({ length: 10 }, () => ' '.repeat(1000)),
      );
      expect(cut).toHaveProperty('error');
      // Still serving.
      expect(await result(t.httpUrl, 'eth_chainId')).toBe(CHAIN);
    } finally {
      await t.close();
    }
  });
});
