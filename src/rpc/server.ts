/**
 * The JSON-RPC server: HTTP POST and WebSocket on one port. HTTP carries requests and batches;
 * WebSocket carries the same plus eth_subscribe. Binds to 127.0.0.1 unless told otherwise:
 * the RPC has no authentication, so exposing it is the operator's explicit choice.
 *
 * Every resource a client can hold is bounded: connections (all, and WebSockets), requests in
 * flight per connection, the bytes waiting to be sent to each connection and to all of them
 * (a client that does not read is cut off and its memory released), idle and slow connections
 * (timeouts), and the host names requests may name (against DNS rebinding).
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { isIP, type AddressInfo, type Socket } from 'node:net';
import type { Duplex } from 'node:stream';
import { WebSocket, WebSocketServer, type RawData } from 'ws';
import { RpcErrorCode, type RpcBackend } from './backend.js';
import {
  DEFAULT_LOG_QUERY_TIMEOUT_MS,
  DEFAULT_MAX_BATCH_SIZE,
  DEFAULT_MAX_LOG_BLOCK_RANGE,
  DEFAULT_MAX_LOG_RESULTS,
  DEFAULT_MAX_RESPONSE_BYTES,
  errorResponse,
  RpcHandler,
} from './handler.js';
import { SubscriptionManager, type SubscriptionSession } from './subscriptions.js';
import { WorkScheduler } from './work.js';
import type { FilterLimits } from './filters.js';

export interface RpcServerOptions {
  backend: RpcBackend;
  /** Interface to bind (default 127.0.0.1). */
  host?: string;
  /** TCP port (default 8545; 0 picks a free one). */
  port?: number;
  /** Largest HTTP body or WebSocket message accepted (default 5 MiB). */
  maxRequestBytes?: number;
  /** Most requests in one batch (default 1,000). */
  maxBatchSize?: number;
  /** Most blocks one eth_getLogs query may span (default 10 000). */
  maxLogBlockRange?: bigint;
  /** Most logs one eth_getLogs query may return (default 10 000). */
  maxLogResults?: number;
  /** Longest one eth_getLogs query may take (default 10 s). */
  logQueryTimeoutMs?: number;
  /** Largest reply, single or batch (default 48 MiB). */
  maxResponseBytes?: number;
  /** Most live subscriptions on one WebSocket connection (default 256). */
  maxSubscriptionsPerSocket?: number;
  /** Most live subscriptions over all connections (default 1024). */
  maxSubscriptions?: number;
  /** Most addresses and topics over one connection's logs filters (default 4096). */
  maxLogFilterEntriesPerSocket?: number;
  /** Most open TCP connections, HTTP and WebSocket together (default 256). */
  maxConnections?: number;
  /** Most open WebSocket connections (default 128). */
  maxWebSocketConnections?: number;
  /** Requests one connection may have running at once; it is read no further meanwhile (default 16). */
  maxRequestsPerConnection?: number;
  /**
   * Bytes that may wait to be sent to one connection: one with more waiting when more must be
   * sent is closed (default 16 MiB). A single reply may be larger (up to maxResponseBytes).
   */
  maxSocketBufferedBytes?: number;
  /** Bytes that may wait to be sent to all connections: the most behind are closed (default 128 MiB). */
  maxBufferedBytes?: number;
  /** An HTTP connection that sends or receives nothing this long is closed (default 60 s). */
  idleTimeoutMs?: number;
  /** Time a client has to send a request's headers (default 10 s) and the whole request (30 s). */
  headersTimeoutMs?: number;
  requestTimeoutMs?: number;
  /**
   * Host names a request's Host header may name (as geth's --http.vhosts), '*' for any. Default
   * localhost, 127.0.0.1, ::1 and the bound host. IP addresses are always accepted: DNS
   * rebinding needs a name.
   */
  vhosts?: string[];
  /**
   * Browser origins allowed to call over HTTP (CORS) and to open WebSockets; '*' allows all.
   * Default none over HTTP; WebSockets from http://localhost and http://127.0.0.1 pages are
   * then still allowed, as geth does. Clients outside browsers send no Origin and are allowed.
   */
  corsOrigins?: string[];
  /** Bounds of the polled filters (eth_newFilter …); see DEFAULT_FILTER_LIMITS. */
  filterLimits?: Partial<FilterLimits>;
  /** Told about unexpected exceptions (clients only see -32603 'internal error'). */
  onInternalError?: (error: unknown, method: string) => void;
  /** Answers GET and HEAD requests (the node's web app); without it they get 405. */
  serveGet?: (req: IncomingMessage, res: ServerResponse) => void;
}

export const DEFAULT_RPC_HOST = '127.0.0.1';
export const DEFAULT_RPC_PORT = 8545;
export const DEFAULT_MAX_REQUEST_BYTES = 5 * 1024 * 1024;
const DEFAULT_MAX_SUBSCRIPTIONS_PER_SOCKET = 256;
const DEFAULT_MAX_SUBSCRIPTIONS = 1024;
const DEFAULT_MAX_LOG_FILTER_ENTRIES_PER_SOCKET = 4096;
const DEFAULT_MAX_CONNECTIONS = 256;
const DEFAULT_MAX_WEBSOCKET_CONNECTIONS = 128;
const DEFAULT_MAX_REQUESTS_PER_CONNECTION = 16;
const DEFAULT_MAX_SOCKET_BUFFERED_BYTES = 16 * 1024 * 1024;
const DEFAULT_MAX_BUFFERED_BYTES = 128 * 1024 * 1024;
const DEFAULT_IDLE_TIMEOUT_MS = 60_000;
const DEFAULT_HEADERS_TIMEOUT_MS = 10_000;
const DEFAULT_REQUEST_TIMEOUT_MS = 30_000;
/** Host names always allowed, besides the bound host. */
const DEFAULT_VHOSTS = ['localhost', '127.0.0.1', '::1'];

/**
 * Below this much waiting for a connection, a send skips the sum over all connections: such
 * connections together hold at most maxConnections × this.
 */
const SMALL_BACKLOG_BYTES = 64 * 1024;
/** Dead WebSocket peers are found by ping: no pong within one interval closes the connection. */
const WS_PING_INTERVAL_MS = 30_000;
/** How long close() waits for WebSocket closing handshakes before cutting connections. */
const WS_CLOSE_GRACE_MS = 1_000;

const JSON_CONTENT_TYPES = ['application/json', 'application/json-rpc', 'application/jsonrequest'];
const LOCAL_ORIGINS = [/^http:\/\/localhost(:\d+)?$/, /^http:\/\/127\.0\.0\.1(:\d+)?$/];

interface Connection {
  ws: WebSocket;
  socket: Socket;
  session: SubscriptionSession;
  alive: boolean;
}

/** Counters of what the server refused or cut off, for metrics and tests. */
export interface RpcServerStats {
  connections: number;
  webSockets: number;
  /** Bytes waiting to be sent, over all connections. */
  bufferedBytes: number;
  /** Connections refused at the connection limit (TCP) or the WebSocket limit. */
  refusedConnections: number;
  /** Connections closed because too much waited to be sent to them. */
  slowClosed: number;
  /** Requests refused for their Host header. */
  refusedHosts: number;
}

function jsonError(code: number, message: string): string {
  return JSON.stringify(errorResponse(null, code, message));
}

function urlHost(host: string): string {
  return host.includes(':') ? `[${host}]` : host;
}

/** The host name of a Host header: without port or IPv6 brackets, lower case, no final dot. */
function hostName(header: string): string {
  let h = header.trim().toLowerCase();
  if (h.startsWith('[')) {
    const end = h.indexOf(']');
    h = end < 0 ? h.slice(1) : h.slice(1, end);
  } else {
    const colon = h.indexOf(':');
    // More than one colon: a bare IPv6 address (no port can be told apart).
    if (colon >= 0 && h.indexOf(':', colon + 1) < 0) h = h.slice(0, colon);
  }
  return h.endsWith('.') ? h.slice(0, -1) : h;
}

export class RpcServer {
  private readonly backend: RpcBackend;
  private readonly host: string;
  private readonly port: number;
  private readonly maxRequestBytes: number;
  private readonly corsOrigins: string[];
  private readonly vhosts: ReadonlySet<string>;
  private readonly limits: {
    connections: number;
    webSockets: number;
    requestsPerConnection: number;
    socketBuffered: number;
    buffered: number;
    idleMs: number;
    headersMs: number;
    requestMs: number;
  };
  private readonly handler: RpcHandler;
  private readonly subscriptions: SubscriptionManager;
  private readonly serveGet: RpcServerOptions['serveGet'];
  private readonly connections = new Set<Connection>();
  /** Every open TCP connection (HTTP, and those upgraded to WebSocket). */
  private readonly sockets = new Set<Socket>();
  /** Requests running per connection. */
  private readonly inFlight = new WeakMap<object, number>();
  private readonly counters = { refusedConnections: 0, slowClosed: 0, refusedHosts: 0 };
  private http: Server | null = null;
  private wss: WebSocketServer | null = null;
  private pingTimer: NodeJS.Timeout | null = null;
  private closing: Promise<void> | null = null;
  /** Numbers WebSocket connections, for per-connection filter bounds. */
  private wsSerial = 0;

  constructor(options: RpcServerOptions) {
    this.backend = options.backend;
    this.host = options.host ?? DEFAULT_RPC_HOST;
    this.port = options.port ?? DEFAULT_RPC_PORT;
    this.maxRequestBytes = options.maxRequestBytes ?? DEFAULT_MAX_REQUEST_BYTES;
    this.corsOrigins = (options.corsOrigins ?? []).map((o) => o.toLowerCase());
    this.serveGet = options.serveGet;
    this.vhosts = new Set(
      (options.vhosts ?? [...DEFAULT_VHOSTS, this.host]).map((h) => (h === '*' ? h : hostName(h))),
    );
    this.limits = {
      connections: options.maxConnections ?? DEFAULT_MAX_CONNECTIONS,
      webSockets: options.maxWebSocketConnections ?? DEFAULT_MAX_WEBSOCKET_CONNECTIONS,
      requestsPerConnection:
        options.maxRequestsPerConnection ?? DEFAULT_MAX_REQUESTS_PER_CONNECTION,
      socketBuffered: options.maxSocketBufferedBytes ?? DEFAULT_MAX_SOCKET_BUFFERED_BYTES,
      buffered: options.maxBufferedBytes ?? DEFAULT_MAX_BUFFERED_BYTES,
      idleMs: options.idleTimeoutMs ?? DEFAULT_IDLE_TIMEOUT_MS,
      headersMs: options.headersTimeoutMs ?? DEFAULT_HEADERS_TIMEOUT_MS,
      requestMs: options.requestTimeoutMs ?? DEFAULT_REQUEST_TIMEOUT_MS,
    };
    for (const [k, v] of Object.entries(this.limits)) {
      if (!Number.isSafeInteger(v) || v < 1)
        throw new RangeError(`RPC server limit ${k} must be a positive integer, got ${v}`);
    }
    const onInternalError = options.onInternalError ?? (() => {});
    this.handler = new RpcHandler({
      backend: options.backend,
      maxBatchSize: options.maxBatchSize ?? DEFAULT_MAX_BATCH_SIZE,
      maxLogBlockRange: options.maxLogBlockRange ?? DEFAULT_MAX_LOG_BLOCK_RANGE,
      maxLogResults: options.maxLogResults ?? DEFAULT_MAX_LOG_RESULTS,
      logQueryTimeoutMs: options.logQueryTimeoutMs ?? DEFAULT_LOG_QUERY_TIMEOUT_MS,
      maxResponseBytes: options.maxResponseBytes ?? DEFAULT_MAX_RESPONSE_BYTES,
      scheduler: new WorkScheduler(),
      filterLimits: options.filterLimits,
      onInternalError,
    });
    this.subscriptions = new SubscriptionManager(this.backend, {
      maxSubscriptionsPerSession:
        options.maxSubscriptionsPerSocket ?? DEFAULT_MAX_SUBSCRIPTIONS_PER_SOCKET,
      maxSubscriptions: options.maxSubscriptions ?? DEFAULT_MAX_SUBSCRIPTIONS,
      maxFilterEntriesPerSession:
        options.maxLogFilterEntriesPerSocket ?? DEFAULT_MAX_LOG_FILTER_ENTRIES_PER_SOCKET,
      onError: (error) => onInternalError(error, 'eth_subscription'),
    });
  }

  /** What the server holds and what it refused so far. */
  stats(): RpcServerStats {
    return {
      connections: this.sockets.size,
      webSockets: this.connections.size,
      bufferedBytes: this.bufferedBytes(),
      ...this.counters,
    };
  }

  /** Starts serving; resolves with the URLs clients use. */
  async listen(): Promise<{ httpUrl: string; wsUrl: string }> {
    if (this.http !== null || this.closing !== null) throw new Error('RPC server already started');
    const { idleMs, headersMs, requestMs } = this.limits;
    const http = createServer(
      {
        headersTimeout: headersMs,
        requestTimeout: requestMs,
        // Timeouts are checked this often (Node's default, 30 s, would let idle sockets pile up).
        connectionsCheckingInterval: Math.min(1000, headersMs),
      },
      (req, res) => this.onRequest(req, res),
    );
    this.http = http;
    // Beyond the limit, the connection is closed before Node reads a byte of it.
    http.maxConnections = this.limits.connections;
    http.on('drop', () => this.counters.refusedConnections++);
    // No traffic either way for this long closes an HTTP connection (ws clears it on upgrade).
    http.timeout = idleMs;
    http.on('connection', (socket: Socket) => {
      this.sockets.add(socket);
      socket.once('close', () => this.sockets.delete(socket));
    });
    this.wss = new WebSocketServer({ noServer: true, maxPayload: this.maxRequestBytes });
    http.on('upgrade', (req, socket, head) => this.onUpgrade(req, socket, head));
    http.on('clientError', (error: NodeJS.ErrnoException, socket) => {
      // A request not sent in time (headersTimeout, requestTimeout) is 408, garbage 400.
      const status =
        error.code === 'ERR_HTTP_REQUEST_TIMEOUT' ? '408 Request Timeout' : '400 Bad Request';
      if (socket.writable) socket.end(`HTTP/1.1 ${status}\r\nConnection: close\r\n\r\n`);
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
    this.handler.filters.close();
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

  /**
   * Whether a request's Host header names this server: a name in vhosts, or an IP address (DNS
   * rebinding, which this defeats, needs a name). No Host header at all (HTTP/1.0, no browser)
   * is let through.
   */
  private hostAllowed(header: string | undefined): boolean {
    if (header === undefined || this.vhosts.has('*')) return true;
    const name = hostName(header);
    return isIP(name) !== 0 || this.vhosts.has(name);
  }

  private onRequest(req: IncomingMessage, res: ServerResponse): void {
    if (!this.hostAllowed(req.headers.host)) {
      this.counters.refusedHosts++;
      this.reply(res, 403, jsonError(RpcErrorCode.InvalidRequest, 'invalid host specified'));
      req.resume();
      return;
    }
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
      const socket = req.socket;
      const done = this.begin(
        socket,
        () => socket.pause(),
        () => {
          if (!socket.destroyed) socket.resume();
        },
      );
      // Filters are counted per client address: an HTTP client has no longer-lived identity.
      const client = `http:${socket.remoteAddress ?? ''}`;
      this.handler.handleText(text, { client }).then(
        (reply) => {
          done();
          if (reply === null) res.writeHead(204).end();
          else this.reply(res, 200, reply);
        },
        () => {
          done();
          this.reply(res, 500, jsonError(RpcErrorCode.InternalError, 'internal error'));
        },
      );
    });
  }

  private reply(res: ServerResponse, status: number, body: string): void {
    if (res.headersSent || res.destroyed) return;
    const bytes = Buffer.byteLength(body);
    if (!this.makeRoom(res.socket, bytes)) return;
    res.writeHead(status, {
      'Content-Type': 'application/json',
      'Content-Length': bytes,
    });
    res.end(body);
  }

  /**
   * A request starts on a connection: at the limit of requests in flight the connection is read
   * no further until one finishes (pipelined HTTP requests, or WebSocket messages, then wait in
   * the kernel's buffers and the client's). Returns the call that ends it.
   */
  private begin(key: object, pause: () => void, resume: () => void): () => void {
    const n = (this.inFlight.get(key) ?? 0) + 1;
    this.inFlight.set(key, n);
    if (n >= this.limits.requestsPerConnection) pause();
    let ended = false;
    return () => {
      if (ended) return;
      ended = true;
      const left = (this.inFlight.get(key) ?? 1) - 1;
      if (left > 0) this.inFlight.set(key, left);
      else this.inFlight.delete(key);
      if (left === this.limits.requestsPerConnection - 1) resume();
    };
  }

  /** Bytes waiting to be sent, over every connection. */
  private bufferedBytes(): number {
    let total = 0;
    for (const s of this.sockets) total += s.writableLength;
    return total;
  }

  /**
   * Whether `bytes` more may be sent to `socket`. A connection with more than
   * maxSocketBufferedBytes already waiting is closed; when all connections together would hold
   * more than maxBufferedBytes, the ones with the most waiting are closed until it fits (this one
   * too, if nothing else can go). Closing (destroying) a connection drops what waited for it: the
   * memory is released at once.
   */
  private makeRoom(socket: Socket | null, bytes: number): boolean {
    if (socket === null || socket.destroyed) return false;
    const waiting = socket.writableLength;
    if (waiting > this.limits.socketBuffered) {
      this.cutOff(socket);
      return false;
    }
    if (waiting + bytes < SMALL_BACKLOG_BYTES) return true;
    let total = this.bufferedBytes() + bytes;
    while (total > this.limits.buffered) {
      let worst: Socket = socket;
      for (const s of this.sockets) if (s.writableLength > worst.writableLength) worst = s;
      total -= worst.writableLength;
      this.cutOff(worst);
      if (worst === socket) return false;
    }
    return true;
  }

  /** Closes a connection that does not read what it is sent. */
  private cutOff(socket: Socket): void {
    this.counters.slowClosed++;
    this.sockets.delete(socket);
    socket.destroy();
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
    const refuse = (status: string) =>
      socket.end(`HTTP/1.1 ${status}\r\nConnection: close\r\nContent-Length: 0\r\n\r\n`);
    if (!this.hostAllowed(req.headers.host)) {
      this.counters.refusedHosts++;
      refuse('403 Forbidden');
      return;
    }
    if (!this.wsOriginAllowed(req.headers.origin)) {
      refuse('403 Forbidden');
      return;
    }
    if (this.connections.size >= this.limits.webSockets) {
      this.counters.refusedConnections++;
      refuse('503 Service Unavailable');
      return;
    }
    wss.handleUpgrade(req, socket as Socket, head, (ws) => this.onConnection(ws, socket as Socket));
  }

  private onConnection(ws: WebSocket, socket: Socket): void {
    const session = this.subscriptions.openSession((message) => this.push(connection, message));
    const connection: Connection = { ws, socket, session, alive: true };
    const client = `ws:${++this.wsSerial}`;
    this.connections.add(connection);
    ws.on('pong', () => (connection.alive = true));
    ws.on('error', () => {});
    ws.on('close', () => {
      session.close();
      // Filters made over a WebSocket belong to it, like its subscriptions.
      this.handler.filters.closeClient(client);
      this.connections.delete(connection);
    });
    ws.on('message', (raw: RawData) => {
      const text = Array.isArray(raw) ? Buffer.concat(raw).toString('utf8') : raw.toString('utf8');
      const scope = session.scope();
      const done = this.begin(
        connection,
        () => ws.pause(),
        () => ws.resume(),
      );
      this.handler.handleText(text, { subscriptions: scope, client }).then(
        (reply) => {
          done();
          if (reply !== null) this.push(connection, reply);
          scope.commit();
        },
        () => done(),
      );
    });
  }

  private push(connection: Connection, message: string): void {
    const { ws } = connection;
    if (ws.readyState !== WebSocket.OPEN) return;
    // A socket too far behind is cut off (not closed with a frame that would queue behind
    // everything it did not read): its subscriptions end and its buffers are freed.
    if (!this.makeRoom(connection.socket, message.length)) {
      connection.session.close();
      ws.terminate();
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
