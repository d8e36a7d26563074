/**
 * Strict decoders for JSON-RPC parameters (the Ethereum JSON-RPC encoding of EIP-1474).
 * Every decoder takes the raw JSON value and a label naming it ("argument 0 (address)") and
 * either returns a domain value or throws InvalidParamsError (-32602) with a message that names
 * the parameter, so a client can see which of its arguments was wrong.
 */
import { equalBytes, fromHex, HEX_DIGITS, hexDigitsToBytes } from '../crypto/bytes.js';
import { RpcError, RpcErrorCode, type BlockSelector, type CallRequest } from './backend.js';
import {
  checkStateOverride,
  MAX_OVERRIDE_ACCOUNTS,
  MAX_OVERRIDE_SLOTS,
  OverrideError,
  type StateOverride,
} from '../execution/evm/overrides.js';
import type { TraceSpec } from '../execution/evm/tracer.js';

export class InvalidParamsError extends RpcError {
  override name = 'InvalidParamsError';
  constructor(message: string) {
    super(RpcErrorCode.InvalidParams, message);
  }
}

/** Reads one JSON value; `what` names it in error messages. */
export type Decoder<T> = (value: unknown, what: string) => T;

const BLOCK_TAGS = ['latest', 'earliest', 'pending', 'safe', 'finalized'] as const;
export type BlockTag = (typeof BLOCK_TAGS)[number];

/** Most rewards percentiles accepted by eth_feeHistory, as geth. */
const MAX_FEE_PERCENTILES = 100;
/** Most blocks one eth_feeHistory call may cover, as geth. */
const MAX_FEE_HISTORY_BLOCKS = 1024n;
/** Most addresses in one log filter, as geth. */
const MAX_LOG_ADDRESSES = 1000;
/** Most topics one position of a log filter may list, as geth. */
const MAX_LOG_TOPIC_ALTERNATIVES = 1000;

function fail(what: string, problem: string): never {
  throw new InvalidParamsError(`invalid ${what}: ${problem}`);
}

/** A short description of a JSON value for error messages; never echoes long input. */
export function describeValue(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'an array';
  if (typeof value === 'string') {
    return value.length > 24 ? `string "${value.slice(0, 24)}…"` : `string "${value}"`;
  }
  if (typeof value === 'object') return 'an object';
  return `${typeof value} ${String(value)}`;
}

export function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function has(object: Record<string, unknown>, key: string): boolean {
  return Object.prototype.hasOwnProperty.call(object, key);
}

/** The field's value, or undefined when absent or null (both mean "not given" in requests). */
function field(object: Record<string, unknown>, key: string): unknown {
  if (!has(object, key)) return undefined;
  const value = object[key];
  return value === null ? undefined : value;
}

function rejectUnknownFields(
  object: Record<string, unknown>,
  allowed: ReadonlySet<string>,
  what: string,
): void {
  for (const key of Object.keys(object)) {
    if (!allowed.has(key)) fail(what, `unknown field "${key.slice(0, 40)}"`);
  }
}

/** QUANTITY: 0x-prefixed hex, no leading zeros ("0x0" is zero), at most `bits` bits. */
export function decodeQuantity(value: unknown, what: string, bits = 256): bigint {
  if (typeof value !== 'string') {
    fail(what, `expected a hex quantity string, got ${describeValue(value)}`);
  }
  if (!value.startsWith('0x')) fail(what, 'hex number without 0x prefix');
  const body = value.slice(2);
  if (body.length === 0) fail(what, 'empty hex number');
  if (!HEX_DIGITS.test(body)) fail(what, 'invalid hex digit');
  if (body.length > 1 && body[0] === '0') fail(what, 'hex number with leading zero digits');
  if (body.length * 4 > bits) fail(what, `hex number larger than ${bits} bits`);
  return BigInt(value);
}

export const decodeUint64: Decoder<bigint> = (value, what) => decodeQuantity(value, what, 64);
export const decodeUint256: Decoder<bigint> = (value, what) => decodeQuantity(value, what, 256);

/** DATA: 0x-prefixed hex with an even number of digits; `length` fixes the byte count. */
export function decodeData(value: unknown, what: string, length?: number): Uint8Array {
  if (typeof value !== 'string') fail(what, `expected hex data, got ${describeValue(value)}`);
  if (!value.startsWith('0x')) fail(what, 'hex data without 0x prefix');
  const body = value.slice(2);
  if (body.length % 2 !== 0) fail(what, 'hex data of odd length');
  const bytes = hexDigitsToBytes(body) ?? fail(what, 'invalid hex digit');
  if (length !== undefined && bytes.length !== length) {
    fail(what, `expected ${length} bytes of hex data, got ${bytes.length}`);
  }
  return bytes;
}

export const decodeBytes: Decoder<Uint8Array> = (value, what) => decodeData(value, what);
export const decodeAddress: Decoder<Uint8Array> = (value, what) => decodeData(value, what, 20);
export const decodeHash: Decoder<Uint8Array> = (value, what) => decodeData(value, what, 32);

export const decodeBoolean: Decoder<boolean> = (value, what) => {
  if (typeof value !== 'boolean') fail(what, `expected a boolean, got ${describeValue(value)}`);
  return value;
};

/**
 * A storage slot: as geth, hex of at most 32 bytes, leading zeros and odd length allowed,
 * left-padded to 32 bytes (clients send both `0x0` and full 32-byte keys).
 */
export const decodeStorageSlot: Decoder<Uint8Array> = (value, what) => {
  if (typeof value !== 'string')
    fail(what, `expected a hex storage key, got ${describeValue(value)}`);
  if (!value.startsWith('0x')) fail(what, 'hex storage key without 0x prefix');
  let body = value.slice(2);
  if (body.length === 0) fail(what, 'empty hex storage key');
  if (!HEX_DIGITS.test(body)) fail(what, 'invalid hex digit');
  if (body.length > 64) fail(what, 'storage key longer than 32 bytes');
  body = body.padStart(64, '0');
  return fromHex(body);
};

/** Most storage keys one eth_getProof may ask for. */
const MAX_PROOF_KEYS = 1024;

/** eth_getProof's list of storage keys (each as eth_getStorageAt's slot). */
export const decodeStorageKeys: Decoder<Uint8Array[]> = (value, what) => {
  if (!Array.isArray(value))
    fail(what, `expected a list of storage keys, got ${describeValue(value)}`);
  if (value.length > MAX_PROOF_KEYS)
    fail(what, `too many storage keys (${value.length}), at most ${MAX_PROOF_KEYS}`);
  return value.map((v, i) => decodeStorageSlot(v, `${what}[${i}]`));
};

function isTag(value: string): value is BlockTag {
  return (BLOCK_TAGS as readonly string[]).includes(value);
}

/** A block number or tag (the form eth_getBlockByNumber and log filters take). */
export const decodeBlockNumberOrTag: Decoder<BlockSelector> = (value, what) => {
  if (typeof value !== 'string') {
    fail(what, `expected a block number or tag, got ${describeValue(value)}`);
  }
  if (isTag(value)) return { kind: 'tag', tag: value };
  if (!value.startsWith('0x')) {
    fail(what, `expected a hex block number or one of ${BLOCK_TAGS.join(', ')}`);
  }
  return { kind: 'number', number: decodeUint64(value, what) };
};

const BLOCK_OBJECT_FIELDS = new Set(['blockHash', 'blockNumber', 'requireCanonical']);

/**
 * A block for a state query: number, tag, a 32-byte block hash string (as geth accepts), or an
 * EIP-1898 object `{blockHash, requireCanonical?}` / `{blockNumber}`.
 */
export const decodeBlockSelector: Decoder<BlockSelector> = (value, what) => {
  if (typeof value === 'string' && value.length === 66) {
    return { kind: 'hash', hash: decodeHash(value, what) };
  }
  if (!isPlainObject(value)) return decodeBlockNumberOrTag(value, what);
  rejectUnknownFields(value, BLOCK_OBJECT_FIELDS, what);
  const blockHash = field(value, 'blockHash');
  const blockNumber = field(value, 'blockNumber');
  const requireCanonical = field(value, 'requireCanonical');
  if (blockHash !== undefined && blockNumber !== undefined) {
    fail(what, 'cannot specify both blockHash and blockNumber, choose one or the other');
  }
  if (blockHash !== undefined) {
    const selector: BlockSelector = {
      kind: 'hash',
      hash: decodeHash(blockHash, `${what}.blockHash`),
    };
    if (requireCanonical !== undefined) {
      selector.requireCanonical = decodeBoolean(requireCanonical, `${what}.requireCanonical`);
    }
    return selector;
  }
  if (blockNumber === undefined) fail(what, 'expected blockHash or blockNumber');
  if (requireCanonical !== undefined) fail(what, 'requireCanonical applies only to blockHash');
  return decodeBlockNumberOrTag(blockNumber, `${what}.blockNumber`);
};

export interface AccessListEntry {
  address: Uint8Array;
  storageKeys: Uint8Array[];
}

const ACCESS_ENTRY_FIELDS = new Set(['address', 'storageKeys']);

const decodeAccessList: Decoder<AccessListEntry[]> = (value, what) => {
  if (!Array.isArray(value)) fail(what, `expected an array, got ${describeValue(value)}`);
  return value.map((entry, i) => {
    const at = `${what}[${i}]`;
    if (!isPlainObject(entry)) fail(at, `expected an object, got ${describeValue(entry)}`);
    rejectUnknownFields(entry, ACCESS_ENTRY_FIELDS, at);
    const address = decodeAddress(field(entry, 'address'), `${at}.address`);
    const keys = field(entry, 'storageKeys') ?? [];
    if (!Array.isArray(keys)) fail(`${at}.storageKeys`, `expected an array`);
    return {
      address,
      storageKeys: keys.map((k, j) => decodeHash(k, `${at}.storageKeys[${j}]`)),
    };
  });
};

/** The fields wallets and libraries send in eth_call / eth_estimateGas requests. */
const CALL_REQUEST_FIELDS: ReadonlySet<string> = new Set([
  'from',
  'to',
  'gas',
  'gasPrice',
  'maxFeePerGas',
  'maxPriorityFeePerGas',
  'value',
  'data',
  'input',
  'nonce',
  'chainId',
  'type',
  'accessList',
]);

function optionalField<T>(
  object: Record<string, unknown>,
  key: string,
  what: string,
  decode: Decoder<T>,
): T | null {
  const value = field(object, key);
  return value === undefined ? null : decode(value, `${what}.${key}`);
}

/**
 * A call request. Unknown fields are rejected (a typo must not silently become a different
 * call); `chainId` and `type` are checked and then dropped, `accessList` is checked and ignored
 * (calls here do not charge for cold access).
 */
export function decodeCallRequest(value: unknown, what: string, chainId: bigint): CallRequest {
  if (!isPlainObject(value)) fail(what, `expected an object, got ${describeValue(value)}`);
  rejectUnknownFields(value, CALL_REQUEST_FIELDS, what);
  const data = optionalField(value, 'data', what, decodeBytes);
  const input = optionalField(value, 'input', what, decodeBytes);
  if (data !== null && input !== null && !equalBytes(data, input)) {
    fail(what, 'both "data" and "input" are set and not equal; use "input"');
  }
  const request: CallRequest = {
    from: optionalField(value, 'from', what, decodeAddress),
    to: optionalField(value, 'to', what, decodeAddress),
    gas: optionalField(value, 'gas', what, decodeUint64),
    gasPrice: optionalField(value, 'gasPrice', what, decodeUint256),
    maxFeePerGas: optionalField(value, 'maxFeePerGas', what, decodeUint256),
    maxPriorityFeePerGas: optionalField(value, 'maxPriorityFeePerGas', what, decodeUint256),
    value: optionalField(value, 'value', what, decodeUint256),
    data: input ?? data,
    nonce: optionalField(value, 'nonce', what, decodeUint64),
  };
  if (
    request.gasPrice !== null &&
    (request.maxFeePerGas !== null || request.maxPriorityFeePerGas !== null)
  ) {
    fail(what, 'both gasPrice and (maxFeePerGas or maxPriorityFeePerGas) specified');
  }
  if (
    request.maxFeePerGas !== null &&
    request.maxPriorityFeePerGas !== null &&
    request.maxPriorityFeePerGas > request.maxFeePerGas
  ) {
    fail(
      what,
      `maxFeePerGas (${request.maxFeePerGas}) < maxPriorityFeePerGas (${request.maxPriorityFeePerGas})`,
    );
  }
  const requestChainId = optionalField(value, 'chainId', what, decodeUint256);
  if (requestChainId !== null && requestChainId !== chainId) {
    fail(
      `${what}.chainId`,
      `chainId does not match the node's (have ${requestChainId}, want ${chainId})`,
    );
  }
  const type = optionalField(value, 'type', what, decodeUint64);
  if (type !== null && type > 2n) fail(`${what}.type`, `unsupported transaction type ${type}`);
  optionalField(value, 'accessList', what, decodeAccessList);
  return request;
}

/** Addresses of a log filter: one address or a list (at most 1000); absent or empty means any. */
const decodeLogAddresses: Decoder<Uint8Array[]> = (value, what) => {
  if (value === undefined || value === null) return [];
  if (Array.isArray(value)) {
    if (value.length > MAX_LOG_ADDRESSES)
      fail(what, `too many addresses (${value.length}), at most ${MAX_LOG_ADDRESSES}`);
    return value.map((a, i) => decodeAddress(a, `${what}[${i}]`));
  }
  return [decodeAddress(value, what)];
};

/**
 * Topics of a log filter: up to 4 positions, each null (any), a topic, or a list of topics
 * (any of them, at most 1000). A null inside a list, or an empty list, also means any (as geth).
 */
const decodeLogTopics: Decoder<(Uint8Array[] | null)[]> = (value, what) => {
  if (value === undefined || value === null) return [];
  if (!Array.isArray(value)) fail(what, `expected an array, got ${describeValue(value)}`);
  if (value.length > 4) fail(what, `too many topic positions (${value.length}), at most 4`);
  return value.map((position, i) => {
    const at = `${what}[${i}]`;
    if (position === null) return null;
    if (!Array.isArray(position)) return [decodeHash(position, at)];
    if (position.length > MAX_LOG_TOPIC_ALTERNATIVES)
      fail(at, `too many topics (${position.length}), at most ${MAX_LOG_TOPIC_ALTERNATIVES}`);
    if (position.length === 0 || position.includes(null)) {
      position.forEach((t, j) => t === null || decodeHash(t, `${at}[${j}]`));
      return null;
    }
    return position.map((t, j) => decodeHash(t, `${at}[${j}]`));
  });
};

export interface LogFilterParams {
  /** Set when the filter names one block by hash (then fromBlock/toBlock are null). */
  blockHash: Uint8Array | null;
  fromBlock: BlockSelector | null;
  toBlock: BlockSelector | null;
  addresses: Uint8Array[];
  topics: (Uint8Array[] | null)[];
}

const LOG_FILTER_FIELDS = new Set(['fromBlock', 'toBlock', 'address', 'topics', 'blockHash']);

/** The eth_getLogs filter object. */
export const decodeLogFilter: Decoder<LogFilterParams> = (value, what) => {
  if (!isPlainObject(value)) fail(what, `expected an object, got ${describeValue(value)}`);
  rejectUnknownFields(value, LOG_FILTER_FIELDS, what);
  const blockHash = optionalField(value, 'blockHash', what, decodeHash);
  const fromBlock = optionalField(value, 'fromBlock', what, decodeBlockNumberOrTag);
  const toBlock = optionalField(value, 'toBlock', what, decodeBlockNumberOrTag);
  if (blockHash !== null && (fromBlock !== null || toBlock !== null)) {
    fail(what, 'cannot specify both blockHash and fromBlock/toBlock, choose one or the other');
  }
  return {
    blockHash,
    fromBlock,
    toBlock,
    addresses: decodeLogAddresses(field(value, 'address'), `${what}.address`),
    topics: decodeLogTopics(field(value, 'topics'), `${what}.topics`),
  };
};

const SUBSCRIPTION_FILTER_FIELDS = new Set(['address', 'topics']);

/** The filter of a `logs` subscription: only address and topics (logs come as blocks commit). */
export const decodeSubscriptionLogFilter: Decoder<{
  addresses: Uint8Array[];
  topics: (Uint8Array[] | null)[];
}> = (value, what) => {
  if (!isPlainObject(value)) fail(what, `expected an object, got ${describeValue(value)}`);
  rejectUnknownFields(value, SUBSCRIPTION_FILTER_FIELDS, what);
  return {
    addresses: decodeLogAddresses(field(value, 'address'), `${what}.address`),
    topics: decodeLogTopics(field(value, 'topics'), `${what}.topics`),
  };
};

/**
 * eth_feeHistory's block count: a QUANTITY or, as geth accepts, a JSON integer; at most 1024.
 */
export const decodeFeeHistoryBlockCount: Decoder<bigint> = (value, what) => {
  let count: bigint;
  if (typeof value === 'number') {
    if (!Number.isSafeInteger(value) || value < 0) fail(what, `expected a non-negative integer`);
    count = BigInt(value);
  } else {
    count = decodeUint64(value, what);
  }
  if (count > MAX_FEE_HISTORY_BLOCKS) {
    fail(what, `block count ${count} exceeds the limit of ${MAX_FEE_HISTORY_BLOCKS}`);
  }
  return count;
};

/** eth_feeHistory's reward percentiles: numbers in [0, 100], strictly increasing. */
export const decodeRewardPercentiles: Decoder<number[]> = (value, what) => {
  if (!Array.isArray(value)) fail(what, `expected an array, got ${describeValue(value)}`);
  if (value.length > MAX_FEE_PERCENTILES) {
    fail(what, `too many percentiles (${value.length}), at most ${MAX_FEE_PERCENTILES}`);
  }
  value.forEach((p, i) => {
    const at = `${what}[${i}]`;
    if (typeof p !== 'number' || !Number.isFinite(p)) {
      fail(at, `expected a number, got ${describeValue(p)}`);
    }
    if (p < 0 || p > 100) fail(at, `percentile ${p} is outside [0, 100]`);
    if (i > 0 && p <= (value[i - 1] as number)) fail(at, `percentiles must be increasing`);
  });
  return value as number[];
};

/** A subscription id as this server issues them: 0x and 32 hex digits. */
export const decodeSubscriptionId: Decoder<string> = (value, what) => {
  if (typeof value !== 'string' || !/^0x[0-9a-fA-F]{1,64}$/.test(value)) {
    fail(what, `expected a subscription id, got ${describeValue(value)}`);
  }
  return value.toLowerCase();
};

/**
 * A method's positional parameters. Trailing optional parameters may be omitted or null;
 * `count` rejects extra arguments before any is decoded.
 */
export class Params {
  constructor(readonly values: readonly unknown[]) {}

  static label(index: number, name: string): string {
    return `argument ${index} (${name})`;
  }

  /** Throws when more than `max` arguments were given. */
  atMost(max: number): this {
    if (this.values.length > max) {
      throw new InvalidParamsError(
        `too many arguments, want at most ${max}, got ${this.values.length}`,
      );
    }
    return this;
  }

  required<T>(index: number, name: string, decode: Decoder<T>): T {
    const value = this.values[index];
    if (index >= this.values.length || value === undefined || value === null) {
      throw new InvalidParamsError(`missing value for required argument ${index} (${name})`);
    }
    return decode(value, Params.label(index, name));
  }

  optional<T, D>(index: number, name: string, decode: Decoder<T>, fallback: D): T | D {
    const value = this.values[index];
    if (value === undefined || value === null) return fallback;
    return decode(value, Params.label(index, name));
  }
}

const ACCOUNT_OVERRIDE_FIELDS: ReadonlySet<string> = new Set([
  'balance',
  'nonce',
  'code',
  'state',
  'stateDiff',
]);

/** A storage map of a state override: slot → value, both hex words. */
function decodeStorageMap(value: unknown, what: string): { key: Uint8Array; value: Uint8Array }[] {
  if (!isPlainObject(value)) fail(what, `expected an object of slots, got ${describeValue(value)}`);
  const keys = Object.keys(value);
  if (keys.length > MAX_OVERRIDE_SLOTS) fail(what, `more than ${MAX_OVERRIDE_SLOTS} storage slots`);
  return keys.map((k) => ({
    key: decodeStorageSlot(k, `${what} key ${k.slice(0, 70)}`),
    value: decodeStorageSlot(value[k], `${what}[${k.slice(0, 70)}]`),
  }));
}

/**
 * geth's state override argument: {address: {balance, nonce, code, state | stateDiff}}. The
 * bounds and which accounts may be overridden are the execution layer's (checkStateOverride).
 */
export const decodeStateOverride: Decoder<StateOverride | null> = (value, what) => {
  if (value === null || value === undefined) return null;
  if (!isPlainObject(value)) fail(what, `expected an object, got ${describeValue(value)}`);
  const addresses = Object.keys(value);
  if (addresses.length > MAX_OVERRIDE_ACCOUNTS)
    fail(what, `more than ${MAX_OVERRIDE_ACCOUNTS} accounts`);
  const out: StateOverride = addresses.map((a) => {
    const at = `${what}[${a.slice(0, 44)}]`;
    const address = decodeAddress(a, `${what} key`);
    const o = value[a];
    if (!isPlainObject(o)) fail(at, `expected an object, got ${describeValue(o)}`);
    rejectUnknownFields(o, ACCOUNT_OVERRIDE_FIELDS, at);
    return {
      address,
      balance: optionalField(o, 'balance', at, decodeUint256),
      nonce: optionalField(o, 'nonce', at, decodeUint64),
      code: optionalField(o, 'code', at, decodeBytes),
      state: optionalField(o, 'state', at, decodeStorageMap),
      stateDiff: optionalField(o, 'stateDiff', at, decodeStorageMap),
    };
  });
  try {
    checkStateOverride(out);
  } catch (e) {
    if (e instanceof OverrideError) fail(what, e.message);
    throw e;
  }
  return out.length === 0 ? null : out;
};

const TRACE_CONFIG_FIELDS: ReadonlySet<string> = new Set([
  'tracer',
  'tracerConfig',
  'disableStack',
  'enableMemory',
  'disableStorage',
  'enableReturnData',
  'timeout',
  'reexec',
  'limit',
  'stateOverrides',
]);
const CALL_TRACER_FIELDS: ReadonlySet<string> = new Set(['onlyTopCall', 'withLog']);

/** Longest trace `timeout` a request may ask for. */
export const MAX_TRACE_TIMEOUT_MS = 60_000;
const NS_PER: Record<string, bigint> = {
  ns: 1n,
  us: 1_000n,
  µs: 1_000n,
  μs: 1_000n,
  ms: 1_000_000n,
  s: 1_000_000_000n,
  m: 60_000_000_000n,
  h: 3_600_000_000_000n,
};
const DURATION = /^([+-]?)((?:(?:\d+(?:\.\d*)?|\.\d+)(?:ns|us|µs|μs|ms|s|m|h))+|0)$/;
const DURATION_PART = /(\d*)(?:\.(\d*))?(ns|us|µs|μs|ms|s|m|h)/g;

/**
 * A duration as Go's time.ParseDuration reads it ("5s", "500ms", "1m30s", "1.5s"), in
 * nanoseconds; null when it is not one.
 */
export function parseDuration(text: string): bigint | null {
  if (text.length > 64) return null;
  const m = DURATION.exec(text);
  if (!m) return null;
  let ns = 0n;
  for (const [, whole, fraction, unit] of m[2]!.matchAll(DURATION_PART)) {
    const per = NS_PER[unit!]!;
    ns += BigInt(whole || '0') * per;
    if (fraction) ns += (BigInt(fraction) * per) / 10n ** BigInt(fraction.length);
  }
  return m[1] === '-' ? -ns : ns;
}

/** geth's trace `timeout`: a duration string, at most MAX_TRACE_TIMEOUT_MS; in milliseconds. */
function decodeTraceTimeout(value: unknown, what: string): number {
  if (typeof value !== 'string')
    fail(what, `expected a duration such as "5s", got ${describeValue(value)}`);
  const ns = parseDuration(value);
  if (ns === null) fail(what, `time: invalid duration "${value.slice(0, 40)}"`);
  if (ns > BigInt(MAX_TRACE_TIMEOUT_MS) * 1_000_000n)
    fail(what, `at most ${MAX_TRACE_TIMEOUT_MS / 1000}s, got "${value}"`);
  // A negative timeout has passed before the run starts, as in geth.
  return ns <= 0n ? 0 : Number((ns + 999_999n) / 1_000_000n);
}

/** A trace request's tracer, and (debug_traceCall) its state overrides. */
export interface TraceConfig {
  spec: TraceSpec;
  override: StateOverride | null;
}

/** geth's default: the struct logger with stack and storage, without memory. */
export const DEFAULT_TRACE: TraceConfig = {
  spec: {
    tracer: 'structLogger',
    options: { disableStack: false, enableMemory: false, disableStorage: false },
  },
  override: null,
};

/**
 * geth's trace config: `tracer` is "callTracer" (with tracerConfig {onlyTopCall, withLog}) or
 * absent for the struct logger (disableStack, enableMemory, disableStorage, limit). `timeout`
 * is a duration ("5s", "500ms"; the node's default when absent); `reexec` is accepted and
 * ignored (every state is kept); other tracers are refused.
 */
export const decodeTraceConfig: Decoder<TraceConfig> = (value, what) => {
  if (!isPlainObject(value)) fail(what, `expected an object, got ${describeValue(value)}`);
  rejectUnknownFields(value, TRACE_CONFIG_FIELDS, what);
  const flag = (key: string): boolean => optionalField(value, key, what, decodeBoolean) ?? false;
  const override = optionalField(value, 'stateOverrides', what, decodeStateOverride);
  const timeoutMs = optionalField(value, 'timeout', what, decodeTraceTimeout);
  const timeout = timeoutMs === null ? {} : { timeoutMs, timeoutGiven: true };
  const tracer = field(value, 'tracer');
  if (tracer !== undefined && tracer !== 'callTracer') {
    const name = typeof tracer === 'string' ? tracer.slice(0, 40) : describeValue(tracer);
    fail(`${what}.tracer`, `unsupported tracer "${name}": use "callTracer" or none (struct logs)`);
  }
  if (tracer === 'callTracer') {
    const c = field(value, 'tracerConfig') ?? {};
    if (!isPlainObject(c))
      fail(`${what}.tracerConfig`, `expected an object, got ${describeValue(c)}`);
    rejectUnknownFields(c, CALL_TRACER_FIELDS, `${what}.tracerConfig`);
    const opt = (key: string): boolean =>
      optionalField(c, key, `${what}.tracerConfig`, decodeBoolean) ?? false;
    return {
      spec: {
        tracer: 'callTracer',
        options: { onlyTopCall: opt('onlyTopCall'), withLog: opt('withLog') },
        ...timeout,
      },
      override,
    };
  }
  if (field(value, 'tracerConfig') !== undefined)
    fail(`${what}.tracerConfig`, 'only the callTracer takes a tracerConfig');
  flag('enableReturnData');
  return {
    spec: {
      tracer: 'structLogger',
      options: {
        disableStack: flag('disableStack'),
        enableMemory: flag('enableMemory'),
        disableStorage: flag('disableStorage'),
        limit: Number(optionalField(value, 'limit', what, decodeTraceLimit) ?? 0n),
      },
      ...timeout,
    },
    override,
  };
};

/** The struct logger's `limit`: a non-negative count (a JSON number, as geth takes it). */
function decodeTraceLimit(value: unknown, what: string): bigint {
  if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < 0)
    fail(what, `expected a non-negative integer, got ${describeValue(value)}`);
  return BigInt(value);
}
