/**
 * The JSON-RPC server: HTTP POST and WebSocket on one port. HTTP carries requests and batches;
 * WebSocket carries the same plus eth_subscribe. Binds to 127.0.0.1 unless told otherwise:
 * the RPC has no authentication, so exposing it is the operator's explicit choice.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import type { Duplex } from 'node:stream';
import { WebSocket, WebSocketServer, type RawData } from 'ws';
import { RpcErrorCode, type RpcBackend } from './backend.js';
import {
  DEFAULT_MAX_BATCH_SIZE,
  DEFAULT_MAX_LOG_BLOCK_RANGE,
  errorResponse,
  RpcHandler,
} from './handler.js';
import { SubscriptionManager, type SubscriptionSession } from './subscriptions.js';

export interface RpcServerOptions {
  backend: RpcBackend;
  /** Interface to bind (default 127.0.0.1). */
  host?: string;
  /** TCP port (default 8545; 0 picks a free one). */
  port?: number;
  /** Largest HTTP body or WebSocket message accepted (default 5 MiB). */
  maxRequestBytes?: number;
  /** Most requests in one batch (default 100). */
  maxBatchSize?: number;
  /** Most blocks one eth_getLogs query may span (default 10 000). */
  maxLogBlockRange?: bigint;
  /** Most live subscriptions on one WebSocket connection (default 256). */
  maxSubscriptionsPerSocket?: number;
  /**
   * Browser origins allowed to call over HTTP (CORS) and to open WebSockets; '*' allows all.
   * Default none over HTTP; WebSockets from http://localhost and http://127.0.0.1 pages are
   * then still allowed, as geth does. Clients outside browsers send no Origin and are allowed.
   */
  corsOrigins?: string[];
  /** Told about unexpected exceptions (clients only see -32603 'internal error'). */
  onInternalError?: (error: unknown, method: string) => void;
  /** Answers GET and HEAD requests (the node's web app); without it they get 405. */
  serveGet?: (req: IncomingMessage, res: ServerResponse) => void;
}

export const DEFAULT_RPC_HOST = '127.0.0.1';
export const DEFAULT_RPC_PORT = 8545;
export const DEFAULT_MAX_REQUEST_BYTES = 5 * 1024 * 1024;
export const DEFAULT_MAX_SUBSCRIPTIONS_PER_SOCKET = 256;

/** A connection whose outgoing queue grows past this is too slow for its subscriptions. */
const MAX_SOCKET_BUFFERED_BYTES = 16 * 1024 * 1024;
/** Dead WebSocket peers are found by ping: no pong within one interval closes the connection. */
const WS_PING_INTERVAL_MS = 30_000;
/** How long close() waits for WebSocket closing handshakes before cutting connections. */
const WS_CLOSE_GRACE_MS = 1_000;

const JSON_CONTENT_TYPES = ['application/json', 'application/json-rpc', 'application/jsonrequest'];
const LOCAL_ORIGINS = [/^http:\/\/localhost(:\d+)?$/, /^http:\/\/127\.0\.0\.1(:\d+)?$/];

interface Connection {
  ws: WebSocket;
  session: SubscriptionSession;
  alive: boolean;
}

function jsonError(code: number, message: string): string {
  return JSON.stringify(errorResponse(null, code, message));
}

function urlHost(host: string): string {
  return host.includes(':') ? `[${host}]` : host;
}

export class RpcServer {
  private readonly backend: RpcBackend;
  private readonly host: string;
  private readonly port: number;
  private readonly maxRequestBytes: number;
  private readonly corsOrigins: string[];
  private readonly handler: RpcHandler;
  private readonly subscriptions: SubscriptionManager;
  private readonly serveGet: RpcServerOptions['serveGet'];
  private readonly connections = new Set<Connection>();
  private http: Server | null = null;
  private wss: WebSocketServer | null = null;
  private pingTimer: NodeJS.Timeout | null = null;
  private closing: Promise<void> | null = null;

  constructor(options: RpcServerOptions) {
    this.backend = options.backend;
    this.host = options.host ?? DEFAULT_RPC_HOST;
    this.port = options.port ?? DEFAULT_RPC_PORT;
    this.maxRequestBytes = options.maxRequestBytes ?? DEFAULT_MAX_REQUEST_BYTES;
    this.corsOrigins = (options.corsOrigins ?? []).map((o) => o.toLowerCase());
    this.serveGet = options.serveGet;
    const onInternalError = options.onInternalError ?? (() => {});
    this.handler = new RpcHandler({
      backend: options.backend,
      maxBatchSize: options.maxBatchSize ?? DEFAULT_MAX_BATCH_SIZE,
      maxLogBlockRange: options.maxLogBlockRange ?? DEFAULT_MAX_LOG_BLOCK_RANGE,
      onInternalError,
    });
    this.subscriptions = new SubscriptionManager(this.backend, {
      maxSubscriptionsPerSession:
        options.maxSubscriptionsPerSocket ?? DEFAULT_MAX_SUBSCRIPTIONS_PER_SOCKET,
      onError: (error) => onInternalError(error, 'eth_subscription'),
    });
  }

  /** Starts serving; resolves with the URLs clients use. */
  async listen(): Promise<{ httpUrl: string; wsUrl: string }> {
    if (this.http !== null || this.closing !== null) throw new Error('RPC server already started');
    const http = createServer((req, res) => this.onRequest(req, res));
    this.http = http;
    this.wss = new WebSocketServer({ noServer: true, maxPayload: this.maxRequestBytes });
    http.on('upgrade', (req, socket, head) => this.onUpgrade(req, socket, head));
    http.on('clientError', (_error, socket) => {
      if (socket.writable) socket.end('HTTP/1.1 400 Bad Request\r\nConnection: close\r\n\r\n');
      else socket.destroy();
    });
    await new Promise<void>((resolve, reject) => {
      http.once('error', reject);
      http.listen(this.port, this.host, () => {
        http.off('error', reject);
        resolve();
      });
    });
    this.pingTimer = setInterval(() => this.pingAll(), WS_PING_INTERVAL_MS);
    this.pingTimer.unref();
    const address = http.address() as AddressInfo;
    const where = `${urlHost(address.address)}:${address.port}`;
    return { httpUrl: `http://${where}`, wsUrl: `ws://${where}` };
  }

  /** Stops serving: ends every connection and subscription. Safe to call more than once. */
  close(): Promise<void> {
    this.closing ??= this.shutdown();
    return this.closing;
  }

  private async shutdown(): Promise<void> {
    if (this.pingTimer) clearInterval(this.pingTimer);
    this.subscriptions.close();
    const http = this.http;
    const httpClosed =
      http === null
        ? Promise.resolve()
        : new Promise<void>((resolve) => http.close(() => resolve()));
    http?.closeAllConnections();
    await Promise.all([...this.connections].map((c) => this.closeConnection(c)));
    await new Promise<void>((resolve) => (this.wss ? this.wss.close(() => resolve()) : resolve()));
    await httpClosed;
  }

  private closeConnection(connection: Connection): Promise<void> {
    const { ws } = connection;
    if (ws.readyState === WebSocket.CLOSED) return Promise.resolve();
    return new Promise<void>((resolve) => {
      const timer = setTimeout(() => ws.terminate(), WS_CLOSE_GRACE_MS);
      ws.once('close', () => {
        clearTimeout(timer);
        resolve();
      });
      ws.close(1001, 'server shutting down');
    });
  }

  // --- HTTP -----------------------------------------------------------------------------------

  /** The Access-Control-Allow-Origin value for this origin, or null when not allowed. */
  private corsOrigin(origin: string | undefined): string | null {
    if (origin === undefined) return null;
    if (this.corsOrigins.includes('*')) return '*';
    return this.corsOrigins.includes(origin.toLowerCase()) ? origin : null;
  }

  private onRequest(req: IncomingMessage, res: ServerResponse): void {
    const allowed = this.corsOrigin(req.headers.origin);
    if (allowed !== null) {
      res.setHeader('Access-Control-Allow-Origin', allowed);
      res.setHeader('Vary', 'Origin');
    }
    if (req.method === 'OPTIONS') {
      if (allowed !== null) {
        res.setHeader('Access-Control-Allow-Methods', 'POST, OPTIONS');
        res.setHeader(
          'Access-Control-Allow-Headers',
          req.headers['access-control-request-headers'] ?? 'content-type',
        );
        res.setHeader('Access-Control-Max-Age', '600');
      }
      res.writeHead(204).end();
      req.resume();
      return;
    }
    if (this.serveGet && (req.method === 'GET' || req.method === 'HEAD')) {
      this.serveGet(req, res);
      return;
    }
    if (req.method !== 'POST') {
      res.setHeader('Allow', 'POST, OPTIONS');
      this.reply(res, 405, jsonError(RpcErrorCode.InvalidRequest, 'method not allowed: use POST'));
      req.resume();
      return;
    }
    // Requiring a JSON content type keeps browsers from sending requests without a CORS
    // preflight (a text/plain POST is a "simple" request).
    const contentType = (req.headers['content-type'] ?? '').split(';')[0]!.trim().toLowerCase();
    if (!JSON_CONTENT_TYPES.includes(contentType)) {
      this.reply(
        res,
        415,
        jsonError(
          RpcErrorCode.InvalidRequest,
          'invalid content type, only application/json is supported',
        ),
      );
      req.resume();
      return;
    }
    this.readBody(req, res);
  }

  /**
   * Reads the body up to maxRequestBytes. A larger body is drained without being kept and
   * answered 413; one that is far too large (or says so in content-length) is cut off.
   */
  private readBody(req: IncomingMessage, res: ServerResponse): void {
    const limit = this.maxRequestBytes;
    const hardLimit = limit * 4;
    const tooLarge = jsonError(
      RpcErrorCode.InvalidRequest,
      `request body too large: limit ${limit} bytes`,
    );
    const declared = Number(req.headers['content-length'] ?? 0);
    if (declared > hardLimit) {
      res.setHeader('Connection', 'close');
      this.reply(res, 413, tooLarge);
      res.once('finish', () => req.socket.destroy());
      return;
    }
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size <= limit) chunks.push(chunk);
      else if (size > hardLimit) req.socket.destroy();
      else chunks.length = 0;
    });
    req.on('error', () => {});
    req.on('end', () => {
      if (size > limit) {
        this.reply(res, 413, tooLarge);
        return;
      }
      const text = Buffer.concat(chunks, size).toString('utf8');
      this.handler.handleText(text).then(
        (reply) => {
          if (reply === null) res.writeHead(204).end();
          else this.reply(res, 200, reply);
        },
        () => this.reply(res, 500, jsonError(RpcErrorCode.InternalError, 'internal error')),
      );
    });
  }

  private reply(res: ServerResponse, status: number, body: string): void {
    if (res.headersSent || res.destroyed) return;
    res.writeHead(status, {
      'Content-Type': 'application/json',
      'Content-Length': Buffer.byteLength(body),
    });
    res.end(body);
  }

  // --- WebSocket ------------------------------------------------------------------------------

  /** Browsers always send Origin; without an allow-list only local pages may connect. */
  private wsOriginAllowed(origin: string | undefined): boolean {
    if (origin === undefined) return true;
    if (this.corsOrigins.length === 0) return LOCAL_ORIGINS.some((re) => re.test(origin));
    return this.corsOrigin(origin) !== null;
  }

  private onUpgrade(req: IncomingMessage, socket: Duplex, head: Buffer): void {
    socket.on('error', () => {});
    const wss = this.wss;
    if (this.closing !== null || wss === null) {
      socket.destroy();
      return;
    }
    if (!this.wsOriginAllowed(req.headers.origin)) {
      socket.end('HTTP/1.1 403 Forbidden\r\nConnection: close\r\nContent-Length: 0\r\n\r\n');
      return;
    }
    wss.handleUpgrade(req, socket as Socket, head, (ws) => this.onConnection(ws));
  }

  private onConnection(ws: WebSocket): void {
    const session = this.subscriptions.openSession((message) => this.push(connection, message));
    const connection: Connection = { ws, session, alive: true };
    this.connections.add(connection);
    ws.on('pong', () => (connection.alive = true));
    ws.on('error', () => {});
    ws.on('close', () => {
      session.close();
      this.connections.delete(connection);
    });
    ws.on('message', (raw: RawData) => {
      const text = Array.isArray(raw) ? Buffer.concat(raw).toString('utf8') : raw.toString('utf8');
      const scope = session.scope();
      this.handler.handleText(text, { subscriptions: scope }).then(
        (reply) => {
          if (reply !== null) this.push(connection, reply);
          scope.commit();
        },
        () => {},
      );
    });
  }

  private push(connection: Connection, message: string): void {
    const { ws } = connection;
    if (ws.readyState !== WebSocket.OPEN) return;
    if (ws.bufferedAmount > MAX_SOCKET_BUFFERED_BYTES) {
      connection.session.close();
      ws.close(1008, 'client too slow');
      return;
    }
    ws.send(message);
  }

  private pingAll(): void {
    for (const connection of this.connections) {
      if (!connection.alive) {
        connection.ws.terminate();
        continue;
      }
      connection.alive = false;
      connection.ws.ping();
    }
  }
}
