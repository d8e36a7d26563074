/**
 * JSON-RPC 2.0 dispatch without sockets: parse a request or batch, run the methods, build the
 * response(s). Never throws: client mistakes become their JSON-RPC error, anything else
 * -32603 'internal error' (details go to `onInternalError`, never to the client).
 */
import { RpcError, RpcErrorCode, type RpcBackend } from './backend.js';
import { toJsonValue, type Json } from './format.js';
import { createMethods, type MethodImpl, type RequestContext } from './methods.js';
import { decodeBytes, InvalidParamsError, isPlainObject, Params } from './params.js';

export type { RequestContext } from './methods.js';
export type { SubscriptionRequest, SubscriptionSink } from './subscriptions.js';

export type JsonRpcId = string | number | null;

export interface JsonRpcErrorObject {
  code: number;
  message: string;
  data?: Json;
}

export type JsonRpcResponse =
  | { jsonrpc: '2.0'; id: JsonRpcId; result: Json }
  | { jsonrpc: '2.0'; id: JsonRpcId; error: JsonRpcErrorObject };

export interface RpcHandlerOptions {
  backend: RpcBackend;
  /** Most requests in one batch (default 100); more is answered with one -32005 error. */
  maxBatchSize?: number;
  /** Most blocks one eth_getLogs query may span (default 10 000). */
  maxLogBlockRange?: bigint;
  /** Told about every unexpected exception (the client only sees -32603). */
  onInternalError?: (error: unknown, method: string) => void;
}

export const DEFAULT_MAX_BATCH_SIZE = 100;
export const DEFAULT_MAX_LOG_BLOCK_RANGE = 10_000n;

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
  private readonly onInternalError: (error: unknown, method: string) => void;
  private readonly backend: RpcBackend;

  constructor(options: RpcHandlerOptions) {
    this.backend = options.backend;
    this.maxBatchSize = options.maxBatchSize ?? DEFAULT_MAX_BATCH_SIZE;
    this.methods = createMethods(options.backend, {
      maxLogBlockRange: options.maxLogBlockRange ?? DEFAULT_MAX_LOG_BLOCK_RANGE,
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
    const response = await this.handleMessage(message, ctx);
    if (response === null) return null;
    try {
      return JSON.stringify(response);
    } catch (error) {
      this.onInternalError(error, '(serialize)');
      return JSON.stringify(errorResponse(null, RpcErrorCode.InternalError, 'internal error'));
    }
  }

  /** Handles an already-parsed request or batch. */
  async handleMessage(
    message: unknown,
    ctx: RequestContext = {},
  ): Promise<JsonRpcResponse | JsonRpcResponse[] | null> {
    if (!Array.isArray(message)) return this.handleSingle(message, ctx);
    if (message.length === 0) return invalidRequest(null, 'empty batch');
    if (message.length > this.maxBatchSize) {
      return errorResponse(
        null,
        RpcErrorCode.LimitExceeded,
        `batch too large: ${message.length} requests, limit ${this.maxBatchSize}`,
      );
    }
    await this.prepareBatch(message);
    const responses: JsonRpcResponse[] = [];
    for (const item of message) {
      const response = await this.handleSingle(item, ctx);
      if (response !== null) responses.push(response);
    }
    // JSON-RPC 2.0: a batch of notifications gets no reply at all, not an empty array.
    return responses.length > 0 ? responses : null;
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
  async call(method: string, params: readonly unknown[], ctx: RequestContext = {}): Promise<Json> {
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
