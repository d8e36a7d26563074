/** A real RpcServer on a free port over the fake backend, and small HTTP/WebSocket clients. */
import { WebSocket } from 'ws';
import { expect } from 'vitest';
import { RpcServer, type RpcServerOptions } from '../../src/rpc/server.js';
import type { SubscriptionManager } from '../../src/rpc/subscriptions.js';
import { FakeBackend } from './fake-backend.js';

export interface TestServer {
  server: RpcServer;
  backend: FakeBackend;
  httpUrl: string;
  wsUrl: string;
  /** Unexpected exceptions the server reported (the client only saw -32603). */
  internalErrors: { error: unknown; method: string }[];
  /** Live subscriptions over all WebSocket connections (read from the server's manager). */
  subscriptionCount(): number;
  close(): Promise<void>;
}

export async function startServer(
  options: Partial<Omit<RpcServerOptions, 'backend'>> = {},
  backend?: FakeBackend,
): Promise<TestServer> {
  const be = backend ?? (await FakeBackend.create());
  const internalErrors: { error: unknown; method: string }[] = [];
  const server = new RpcServer({
    backend: be,
    port: 0,
    onInternalError: (error, method) => internalErrors.push({ error, method }),
    ...options,
  });
  const { httpUrl, wsUrl } = await server.listen();
  // The manager is private to the server; tests read its count to know when clients that
  // subscribe in the background (viem, ethers) are ready.
  const manager = (server as unknown as { subscriptions: SubscriptionManager }).subscriptions;
  return {
    server,
    backend: be,
    httpUrl,
    wsUrl,
    internalErrors,
    subscriptionCount: () => manager.subscriptionCount,
    close: () => server.close(),
  };
}

export interface RawResponse {
  status: number;
  headers: Headers;
  text: string;
  /** The parsed body, or undefined when it was empty. */
  body: unknown;
}

/** POSTs a body (a string is sent as is, anything else as JSON). */
export async function post(
  url: string,
  body: unknown,
  headers: Record<string, string> = { 'content-type': 'application/json' },
  method = 'POST',
): Promise<RawResponse> {
  const res = await fetch(url, {
    method,
    headers,
    body:
      method === 'GET' || method === 'HEAD'
        ? undefined
        : typeof body === 'string'
          ? body
          : JSON.stringify(body),
  });
  const text = await res.text();
  return {
    status: res.status,
    headers: res.headers,
    text,
    body: text === '' ? undefined : JSON.parse(text),
  };
}

export interface JsonRpcReply {
  jsonrpc: string;
  id: string | number | null;
  result?: unknown;
  error?: { code: number; message: string; data?: unknown };
}

let nextId = 1;

/** One JSON-RPC call over HTTP; returns the whole reply object (result or error). */
export async function call(
  url: string,
  method: string,
  params: unknown[] = [],
): Promise<JsonRpcReply> {
  const id = nextId++;
  const res = await post(url, { jsonrpc: '2.0', id, method, params });
  if (res.status !== 200) throw new Error(`HTTP ${res.status}: ${res.text}`);
  const reply = res.body as JsonRpcReply;
  if (reply.id !== id) throw new Error(`reply id ${String(reply.id)} for request ${id}`);
  return reply;
}

/** The result of a call that must succeed. */
export async function result<T = unknown>(
  url: string,
  method: string,
  params: unknown[] = [],
): Promise<T> {
  const reply = await call(url, method, params);
  if (reply.error !== undefined) {
    throw new Error(`${method} failed: ${reply.error.code} ${reply.error.message}`);
  }
  return reply.result as T;
}

/** The error of a call that must fail. */
export async function rpcError(
  url: string,
  method: string,
  params: unknown[] = [],
): Promise<{ code: number; message: string; data?: unknown }> {
  const reply = await call(url, method, params);
  if (reply.error === undefined) {
    throw new Error(`${method} succeeded with ${JSON.stringify(reply.result)}, expected an error`);
  }
  expect(reply).not.toHaveProperty('result');
  return reply.error;
}

/** A WebSocket client that queues every message it receives. */
export class WsClient {
  readonly messages: unknown[] = [];
  private waiters: { match: (m: unknown) => boolean; resolve: (m: unknown) => void }[] = [];
  private id = 1;
  closeCode: number | null = null;

  private constructor(readonly ws: WebSocket) {
    ws.on('message', (raw) => {
      const message: unknown = JSON.parse(raw.toString());
      const i = this.waiters.findIndex((w) => w.match(message));
      if (i >= 0) this.waiters.splice(i, 1)[0]!.resolve(message);
      else this.messages.push(message);
    });
    ws.on('close', (code) => (this.closeCode = code));
  }

  static open(url: string, options: { origin?: string } = {}): Promise<WsClient> {
    return new Promise((resolve, reject) => {
      const ws = new WebSocket(url, options);
      ws.once('open', () => resolve(new WsClient(ws)));
      ws.once('error', reject);
    });
  }

  /** The next message for which `match` holds (queued or still to come). */
  next<T = unknown>(match: (m: unknown) => boolean = () => true): Promise<T> {
    const i = this.messages.findIndex(match);
    if (i >= 0) return Promise.resolve(this.messages.splice(i, 1)[0] as T);
    return new Promise((resolve) =>
      this.waiters.push({ match, resolve: resolve as (m: unknown) => void }),
    );
  }

  sendRaw(data: string | Buffer): void {
    this.ws.send(data);
  }

  /** Sends a request and resolves with the reply carrying its id. */
  async request(method: string, params: unknown[] = []): Promise<JsonRpcReply> {
    const id = this.id++;
    this.ws.send(JSON.stringify({ jsonrpc: '2.0', id, method, params }));
    return this.next<JsonRpcReply>((m) => (m as JsonRpcReply).id === id);
  }

  /** Subscribes and returns the subscription id. */
  async subscribe(params: unknown[]): Promise<string> {
    const reply = await this.request('eth_subscribe', params);
    if (reply.error) throw new Error(`eth_subscribe failed: ${reply.error.message}`);
    return reply.result as string;
  }

  /** The next eth_subscription notification of `subscription`. */
  notification<T = unknown>(subscription: string): Promise<T> {
    return this.next<{ params: { result: T } }>(
      (m) => isNotification(m) && m.params.subscription === subscription,
    ).then((m) => m.params.result);
  }

  close(): Promise<void> {
    if (this.ws.readyState === WebSocket.CLOSED) return Promise.resolve();
    return new Promise((resolve) => {
      this.ws.once('close', () => resolve());
      this.ws.close();
    });
  }

  /** Resolves once the server has closed the connection; returns the close code. */
  closed(): Promise<number> {
    if (this.ws.readyState === WebSocket.CLOSED) return Promise.resolve(this.closeCode ?? 1006);
    return new Promise((resolve) => this.ws.once('close', (code) => resolve(code)));
  }
}

export function isNotification(m: unknown): m is {
  jsonrpc: '2.0';
  method: 'eth_subscription';
  params: { subscription: string; result: unknown };
} {
  return (
    typeof m === 'object' &&
    m !== null &&
    (m as { method?: unknown }).method === 'eth_subscription' &&
    typeof (m as { params?: { subscription?: unknown } }).params?.subscription === 'string'
  );
}

/** A minimal-hex QUANTITY: 0x0, or 0x and hex digits without a leading zero. */
export const QUANTITY = /^0x(0|[1-9a-f][0-9a-f]*)$/;
/** DATA of exactly `n` bytes, lower-case hex. */
export const dataOf = (n: number): RegExp => new RegExp(`^0x[0-9a-f]{${2 * n}}$`);
