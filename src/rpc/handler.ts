/**
 * JSON-RPC 2.0 dispatch without sockets: parse a request or batch, run the methods, build the
 * response(s). Never throws: client mistakes become their JSON-RPC error, anything else
 * -32603 'internal error' (details go to `onInternalError`, never to the client).
 */
import { RpcError, RpcErrorCode, type RpcBackend } from './backend.js';
import { RawJson, toJsonValue, type Json } from './format.js';
import { createMethods, type MethodImpl, type RequestContext } from './methods.js';
import { decodeBytes, InvalidParamsError, isPlainObject, Params } from './params.js';
import { WorkScheduler } from './work.js';
import { FilterManager, type FilterLimits } from './filters.js';

export type { RequestContext } from './methods.js';
export type { SubscriptionRequest, SubscriptionSink } from './subscriptions.js';

export type JsonRpcId = string | number | null;

export interface JsonRpcErrorObject {
  code: number;
  message: string;
  data?: Json;
}

export type JsonRpcResponse =
  | { jsonrpc: '2.0'; id: JsonRpcId; result: Json | RawJson }
  | { jsonrpc: '2.0'; id: JsonRpcId; error: JsonRpcErrorObject };

export interface RpcHandlerOptions {
  backend: RpcBackend;
  /**
   * Most requests in one batch (default 1,000, as geth); more is answered, as geth does, with a
   * one-element array holding -32600 'batch too large' under the id of the batch's first call.
   */
  maxBatchSize?: number;
  /** Most blocks one eth_getLogs query may span (default 10 000). */
  maxLogBlockRange?: bigint;
  /** Most logs one eth_getLogs query may return (default 10 000). */
  maxLogResults?: number;
  /** Longest one eth_getLogs query may take, waiting for its slices included (default 10 s). */
  logQueryTimeoutMs?: number;
  /**
   * Largest reply (default 48 MiB): a reply above it is replaced by a -32005 error; in a batch,
   * the requests after the one that crossed it are not run and get that error.
   */
  maxResponseBytes?: number;
  /** Bounds of the polled filters (defaults: DEFAULT_FILTER_LIMITS). */
  filterLimits?: Partial<FilterLimits>;
  /** The filters' clock (default Date.now), for their idle timeout. */
  now?: () => number;
  /** Time slices for long work (default: one of its own, 5 ms slices). */
  scheduler?: WorkScheduler;
  /** Told about every unexpected exception (the client only sees -32603). */
  onInternalError?: (error: unknown, method: string) => void;
}

export const DEFAULT_MAX_BATCH_SIZE = 1000;
export const DEFAULT_MAX_LOG_BLOCK_RANGE = 10_000n;
export const DEFAULT_MAX_LOG_RESULTS = 10_000;
export const DEFAULT_LOG_QUERY_TIMEOUT_MS = 10_000;
/** Big enough for the largest block with full transactions (16 MiB of calldata, in hex). */
export const DEFAULT_MAX_RESPONSE_BYTES = 48 * 1024 * 1024;

/** A response as JSON text; a RawJson result is spliced in as it is. */
function serialize(response: JsonRpcResponse): string {
  if ('result' in response && response.result instanceof RawJson) {
    return `{"jsonrpc":"2.0","id":${JSON.stringify(response.id)},"result":${response.result.text}}`;
  }
  return JSON.stringify(response);
}

export function errorResponse(
  id: JsonRpcId,
  code: number,
  message: string,
  data?: Json,
): JsonRpcResponse {
  const error: JsonRpcErrorObject = { code, message };
  if (data !== undefined) error.data = data;
  return { jsonrpc: '2.0', id, error };
}

function isValidId(id: unknown): id is JsonRpcId {
  return id === null || typeof id === 'string' || (typeof id === 'number' && Number.isFinite(id));
}

function invalidRequest(id: JsonRpcId, detail: string): JsonRpcResponse {
  return errorResponse(id, RpcErrorCode.InvalidRequest, `invalid request: ${detail}`);
}

export class RpcHandler {
  private readonly methods: Map<string, MethodImpl>;
  private readonly maxBatchSize: number;
  private readonly maxResponseBytes: number;
  private readonly onInternalError: (error: unknown, method: string) => void;
  private readonly backend: RpcBackend;
  /** The polled filters (eth_newFilter …), shared by every client of this handler. */
  readonly filters: FilterManager;

  constructor(options: RpcHandlerOptions) {
    this.backend = options.backend;
    this.filters = new FilterManager(options.backend, options.filterLimits, options.now);
    this.maxBatchSize = options.maxBatchSize ?? DEFAULT_MAX_BATCH_SIZE;
    this.maxResponseBytes = options.maxResponseBytes ?? DEFAULT_MAX_RESPONSE_BYTES;
    this.methods = createMethods(options.backend, {
      maxLogBlockRange: options.maxLogBlockRange ?? DEFAULT_MAX_LOG_BLOCK_RANGE,
      maxLogResults: options.maxLogResults ?? DEFAULT_MAX_LOG_RESULTS,
      logQueryTimeoutMs: options.logQueryTimeoutMs ?? DEFAULT_LOG_QUERY_TIMEOUT_MS,
      scheduler: options.scheduler ?? new WorkScheduler(),
      filters: this.filters,
    });
    this.onInternalError = options.onInternalError ?? (() => {});
  }

  /** Names of every method served. */
  get methodNames(): string[] {
    return [...this.methods.keys()].sort();
  }

  /**
   * Handles a request body. Returns the serialized response, or null when there is nothing to
   * send (the request was one notification, or a batch of notifications only).
   */
  async handleText(text: string, ctx: RequestContext = {}): Promise<string | null> {
    let message: unknown;
    try {
      message = JSON.parse(text);
    } catch {
      return JSON.stringify(errorResponse(null, RpcErrorCode.ParseError, 'parse error'));
    }
    if (!Array.isArray(message)) {
      const response = await this.handleSingle(message, ctx);
      return response === null ? null : this.fit(response, 0).text;
    }
    if (message.length === 0) return JSON.stringify(invalidRequest(null, 'empty batch'));
    if (message.length > this.maxBatchSize) {
      // geth's answer (clients recognise it): no request runs; the error goes under the id of
      // the first request that has one, since JSON-RPC has no error for a whole batch.
      const first = message.find(
        (m) => isPlainObject(m) && Object.prototype.hasOwnProperty.call(m, 'id') && isValidId(m.id),
      ) as { id: JsonRpcId } | undefined;
      return JSON.stringify([
        errorResponse(first?.id ?? null, RpcErrorCode.InvalidRequest, 'batch too large'),
      ]);
    }
    await this.prepareBatch(message);
    const parts: string[] = [];
    let size = 2;
    let full = false;
    for (const item of message) {
      let part: string | null;
      if (full) {
        // Past the limit: the rest is not run, each request told why.
        const hasId = isPlainObject(item) && Object.prototype.hasOwnProperty.call(item, 'id');
        const id = hasId && isValidId(item.id) ? item.id : null;
        part = hasId ? JSON.stringify(this.tooLarge(id, size)) : null;
      } else {
        const response = await this.handleSingle(item, ctx);
        const fitted = response === null ? null : this.fit(response, size);
        full = fitted?.tooLarge ?? false;
        part = fitted?.text ?? null;
      }
      if (part === null) continue;
      parts.push(part);
      size += part.length + 1;
    }
    // JSON-RPC 2.0: a batch of notifications gets no reply at all, not an empty array.
    return parts.length > 0 ? `[${parts.join(',')}]` : null;
  }

  /** The serialized response, or the response-too-large error when `before` + it is too much. */
  private fit(response: JsonRpcResponse, before: number): { text: string; tooLarge: boolean } {
    let text: string;
    try {
      text = serialize(response);
    } catch (error) {
      this.onInternalError(error, '(serialize)');
      const internal = errorResponse(response.id, RpcErrorCode.InternalError, 'internal error');
      return { text: JSON.stringify(internal), tooLarge: false };
    }
    // Characters, not bytes: a UTF-8 reply may be up to 3 times longer, so count the bytes only
    // when the characters come near the limit.
    const bytes =
      before + text.length * 3 <= this.maxResponseBytes ? 0 : Buffer.byteLength(text, 'utf8');
    if (before + bytes <= this.maxResponseBytes) return { text, tooLarge: false };
    return { text: JSON.stringify(this.tooLarge(response.id, before + bytes)), tooLarge: true };
  }

  private tooLarge(id: JsonRpcId, size: number): JsonRpcResponse {
    return errorResponse(
      id,
      RpcErrorCode.LimitExceeded,
      `response too large: ${size} bytes, limit ${this.maxResponseBytes}`,
    );
  }

  /**
   * A batch's raw transactions are handed to the backend together before the requests run in
   * order, so that their senders are recovered at once. Anything malformed is skipped here and
   * answered by its own request.
   */
  private async prepareBatch(batch: unknown[]): Promise<void> {
    if (!this.backend.prepareRawTransactions) return;
    const raws: Uint8Array[] = [];
    for (const item of batch) {
      if (!isPlainObject(item) || item.method !== 'eth_sendRawTransaction') continue;
      const hex = Array.isArray(item.params) ? (item.params as unknown[])[0] : undefined;
      try {
        raws.push(decodeBytes(hex, 'signed transaction'));
      } catch {
        // eth_sendRawTransaction answers it.
      }
    }
    if (raws.length > 1) await this.backend.prepareRawTransactions(raws).catch(() => {});
  }

  /** Runs one method with positional params; throws RpcError for the client's mistakes. */
  async call(
    method: string,
    params: readonly unknown[],
    ctx: RequestContext = {},
  ): Promise<Json | RawJson> {
    const impl = this.methods.get(method);
    if (impl === undefined) {
      throw new RpcError(
        RpcErrorCode.MethodNotFound,
        `the method ${method.slice(0, 100)} does not exist/is not available`,
      );
    }
    return impl(new Params(params), ctx);
  }

  private async handleSingle(
    request: unknown,
    ctx: RequestContext,
  ): Promise<JsonRpcResponse | null> {
    if (!isPlainObject(request)) return invalidRequest(null, 'expected a request object');
    const hasId = Object.prototype.hasOwnProperty.call(request, 'id');
    const rawId = request.id;
    if (hasId && !isValidId(rawId)) {
      return invalidRequest(null, '"id" must be a string, a number or null');
    }
    const id: JsonRpcId = hasId ? (rawId as JsonRpcId) : null;
    if (request.jsonrpc !== '2.0') return invalidRequest(id, '"jsonrpc" must be "2.0"');
    const method = request.method;
    if (typeof method !== 'string') return invalidRequest(id, '"method" must be a string');
    const rawParams = request.params;
    if (rawParams !== undefined && rawParams !== null && typeof rawParams !== 'object') {
      return invalidRequest(id, '"params" must be an array or an object');
    }

    let response: JsonRpcResponse;
    try {
      if (isPlainObject(rawParams)) {
        // By-name parameters are valid JSON-RPC 2.0 but no Ethereum method defines names.
        if (this.methods.has(method)) {
          throw new InvalidParamsError('parameters must be given by position (an array)');
        }
      }
      const params = Array.isArray(rawParams) ? rawParams : [];
      const result = await this.call(method, params, ctx);
      response = { jsonrpc: '2.0', id, result };
    } catch (error) {
      response = this.errorFor(id, error, method);
    }
    return hasId ? response : null;
  }

  private errorFor(id: JsonRpcId, error: unknown, method: string): JsonRpcResponse {
    if (error instanceof RpcError && Number.isInteger(error.code)) {
      const data = error.data === undefined ? undefined : toJsonValue(error.data);
      return errorResponse(id, error.code, error.message, data);
    }
    try {
      this.onInternalError(error, method);
    } catch {
      // A failing logger must not turn one bad request into a crash.
    }
    return errorResponse(id, RpcErrorCode.InternalError, 'internal error');
  }
}
