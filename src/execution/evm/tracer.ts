/**
 * Execution traces for debug_traceTransaction and debug_traceCall, in geth's two formats: the
 * call tracer (a tree of call frames) and the struct logger (one entry per executed opcode).
 * A tracer listens to the EVM's events while one transaction runs; it never changes what the
 * transaction does.
 *
 * Bounded: a trace whose output would exceed its byte budget (or the struct logger's step
 * budget) stops the run with TraceLimitError, so a request cannot make the node build a reply
 * of unbounded size; a run past its time budget (geth's `timeout`) stops with
 * TraceTimeoutError. The clock is the caller's: tracing never decides state.
 */
import { equalBytes as sameBytes, fromHex, toHex } from '../../crypto/bytes.js';
import { EtmError } from '../../primitives/errors.js';
import type { StateDB } from '../../state/state-db.js';
import type { EvmOutcome } from './runner.js';

/** JSON as traces are answered. */
export type TraceJson =
  string | number | boolean | null | TraceJson[] | { [key: string]: TraceJson };

/** Largest trace output, in bytes of JSON (estimated while tracing). */
const MAX_TRACE_BYTES = 32 * 1024 * 1024;
/** Most opcodes a struct-log trace records. */
const MAX_TRACE_STEPS = 500_000;

export class TraceLimitError extends EtmError<'trace-too-large'> {
  override name = 'TraceLimitError';
  constructor(message: string) {
    super('trace-too-large', message);
  }
}

/** The traced run took longer than its timeout; the message is geth's. */
export class TraceTimeoutError extends EtmError<'trace-timeout'> {
  override name = 'TraceTimeoutError';
  constructor() {
    super('trace-timeout', 'execution timeout');
  }
}

/** Steps between two looks at the clock. */
const CLOCK_STEPS = 64;

/**
 * A trace's time budget, from the moment the traced transaction starts (as geth's). The clock is
 * read every CLOCK_STEPS opcodes where the tracer follows opcodes, else at every call frame.
 */
export interface TraceTimeout {
  ms: number;
  /** Milliseconds of a monotonic clock. */
  now: () => number;
  /**
   * Follow every opcode for the clock even where the tracer needs no opcode (the call tracer
   * without logs), so that a long loop in one frame is stopped too; costs an event per opcode.
   */
  everyStep: boolean;
}

/** Counts steps and throws TraceTimeoutError once the budget has passed. */
class Timer {
  private deadline = 0;
  private steps = 0;

  constructor(private readonly timeout: TraceTimeout | undefined) {}

  start(): void {
    if (this.timeout) this.deadline = this.timeout.now() + this.timeout.ms;
  }

  check(): void {
    if (this.timeout && this.timeout.now() > this.deadline) throw new TraceTimeoutError();
  }

  step(): void {
    if (++this.steps % CLOCK_STEPS === 0) this.check();
  }
}

/** What a tracer learns of the transaction it follows. */
export interface TracedTx {
  from: Uint8Array;
  to: Uint8Array | null;
  value: bigint;
  gasLimit: bigint;
  data: Uint8Array;
}

/** The events of @ethereumjs/evm a tracer listens to (the subset it reads). */
interface StepEvent {
  pc: number;
  gasLeft: bigint;
  gasRefund: bigint;
  opcode: { name: string; fee: number; dynamicFee?: bigint };
  stack: bigint[];
  depth: number;
  address: { bytes: Uint8Array };
  memory: Uint8Array;
}
interface MessageEvent {
  caller: { bytes: Uint8Array };
  to?: { bytes: Uint8Array };
  value: bigint;
  gasLimit: bigint;
  data: Uint8Array;
  depth: number;
  salt?: Uint8Array;
  delegatecall: boolean;
  isStatic: boolean;
  codeAddress?: { bytes: Uint8Array };
}
interface ResultEvent {
  createdAddress?: { bytes: Uint8Array };
  execResult: {
    exceptionError?: { error: string };
    executionGasUsed: bigint;
    returnValue: Uint8Array;
    logs?: [Uint8Array, Uint8Array[], Uint8Array][];
    selfdestruct?: Map<string, string>;
  };
}
export interface EvmEvents {
  on(event: string, listener: (data: never) => void): unknown;
  off(event: string, listener: (data: never) => void): unknown;
}

/** A tracer: listens while one transaction runs, then gives its result. */
export interface EvmTracer {
  /** Starts listening; `state` is the state the transaction runs on. */
  attach(events: EvmEvents, state: StateDB, tx: TracedTx): void;
  detach(events: EvmEvents): void;
  /** The trace of the finished transaction (`tx` also when the tracer never ran: native). */
  result(outcome: EvmOutcome, tx: TracedTx): TraceJson;
}

/** geth's name of an EVM error. */
function gethError(error: string): string {
  if (error === 'revert') return 'execution reverted';
  return error;
}

function hex(b: Uint8Array): string {
  return toHex(b);
}

function quantity(n: bigint): string {
  return `0x${n.toString(16)}`;
}

/** The reason of an Error(string) revert, if the data is one. */
export function revertReason(data: Uint8Array): string | null {
  // selector 0x08c379a0, offset, length, bytes
  if (data.length < 68 || data[0] !== 0x08 || data[1] !== 0xc3 || data[2] !== 0x79) return null;
  if (data[3] !== 0xa0) return null;
  let len = 0n;
  for (let i = 36; i < 68; i++) len = (len << 8n) | BigInt(data[i]!);
  if (len > BigInt(data.length - 68)) return null;
  return new TextDecoder().decode(data.subarray(68, 68 + Number(len)));
}

/** The word of a bigint, 32 bytes big-endian. */
function word(n: bigint): Uint8Array {
  const out = new Uint8Array(32);
  let v = n;
  for (let i = 31; i >= 0 && v > 0n; i--) {
    out[i] = Number(v & 0xffn);
    v >>= 8n;
  }
  return out;
}

/** `size` bytes of memory from `offset`; bytes past its end read zero. */
function memorySlice(memory: Uint8Array, offset: bigint, size: bigint): Uint8Array {
  const out = new Uint8Array(Number(size));
  const from = Number(offset);
  if (from < memory.length) out.set(memory.subarray(from, from + out.length));
  return out;
}

// --- call tracer --------------------------------------------------------------------------------

export interface CallTracerOptions {
  onlyTopCall: boolean;
  withLog: boolean;
}

interface Frame {
  type: string;
  from: Uint8Array;
  to: Uint8Array | null;
  value: bigint | null;
  gas: bigint;
  gasUsed: bigint;
  input: Uint8Array;
  output: Uint8Array | null;
  error: string | null;
  revertReason: string | null;
  calls: Frame[];
  logs: { address: Uint8Array; topics: Uint8Array[]; data: Uint8Array; position: number }[];
  /** Whether opcodes ran in it (a precompile's frame has none: its logs come with its result). */
  stepped: boolean;
  isStatic: boolean;
  /** The account's balance when the frame began, with the value it received. */
  startBalance: bigint;
}

const CALL_OPS = new Set(['CALL', 'CALLCODE', 'DELEGATECALL', 'STATICCALL', 'CREATE', 'CREATE2']);

/** geth's callTracer: a frame per call, with its children, optionally its logs. */
class CallTracer implements EvmTracer {
  private readonly stack: Frame[] = [];
  private root: Frame | null = null;
  /** The last call opcode seen at each depth: the type of the frame it opens. */
  private pendingOp: string | null = null;
  private bytes = 0;
  private state: StateDB | null = null;
  private tx: TracedTx | null = null;
  private readonly timer: Timer;

  constructor(
    private readonly options: CallTracerOptions,
    private readonly timeout?: TraceTimeout,
  ) {
    this.timer = new Timer(timeout);
  }

  private readonly onStep = (s: StepEvent): void => {
    this.timer.step();
    if (!this.options.withLog) return;
    const name = s.opcode.name;
    const frame = this.stack[this.stack.length - 1];
    if (frame) frame.stepped = true;
    if (CALL_OPS.has(name)) this.pendingOp = name;
    else if (name === 'SELFDESTRUCT' && frame && !this.options.onlyTopCall) {
      const beneficiary = word(s.stack[s.stack.length - 1]!).subarray(12);
      const balance = this.state!.getAccount(s.address.bytes).balance;
      frame.calls.push({
        ...emptyFrame('SELFDESTRUCT', s.address.bytes, beneficiary.slice()),
        value: balance,
      });
      this.count(200);
    } else if (name.startsWith('LOG') && frame && this.options.withLog) {
      const n = s.stack.length;
      const offset = s.stack[n - 1]!;
      const size = s.stack[n - 2]!;
      const topicCount = Number(name.slice(3));
      if (size > BigInt(MAX_TRACE_BYTES)) {
        throw new TraceLimitError(`trace exceeds ${MAX_TRACE_BYTES} bytes`);
      }
      const topics: Uint8Array[] = [];
      for (let i = 0; i < topicCount; i++) topics.push(word(s.stack[n - 3 - i]!));
      frame.logs.push({
        address: s.address.bytes.slice(),
        topics,
        data: memorySlice(s.memory, offset, size),
        position: frame.calls.length,
      });
      this.count(100 + 70 * topicCount + 2 * Number(size));
    }
  };

  private readonly onBefore = (m: MessageEvent): void => {
    this.timer.check();
    const parent = this.stack[this.stack.length - 1];
    const type = m.depth === 0 ? (m.to === undefined ? 'CREATE' : 'CALL') : this.typeOf(m, parent);
    this.pendingOp = null;
    const frame: Frame = {
      ...emptyFrame(type, m.caller.bytes.slice(), m.to ? m.to.bytes.slice() : null),
      value: type === 'STATICCALL' || type === 'DELEGATECALL' ? null : m.value,
      gas: m.gasLimit,
      input: m.data,
      isStatic: m.isStatic,
    };
    // What the frame's account may give away on SELFDESTRUCT (without step events).
    if (m.to === undefined) frame.startBalance = m.value;
    else if (!m.delegatecall)
      frame.startBalance = this.state!.getAccount(m.to.bytes).balance + m.value;
    if (m.depth === 0) {
      frame.gas = this.tx!.gasLimit;
      this.root = frame;
    } else if (parent && !this.options.onlyTopCall) parent.calls.push(frame);
    this.stack.push(frame);
    this.count(300 + 2 * m.data.length);
  };

  /**
   * A frame's type: the call opcode just seen when steps are followed (withLog), else what the
   * message says (a static frame under a non-static one is a STATICCALL; code of another
   * address run for the caller's own is CALLCODE).
   */
  private typeOf(m: MessageEvent, parent: Frame | undefined): string {
    if (this.pendingOp !== null) return this.pendingOp;
    if (m.to === undefined) return m.salt !== undefined ? 'CREATE2' : 'CREATE';
    if (m.delegatecall) return 'DELEGATECALL';
    if (m.isStatic && parent !== undefined && !parent.isStatic) return 'STATICCALL';
    const code = m.codeAddress?.bytes;
    if (code !== undefined && !sameBytes(code, m.to.bytes)) return 'CALLCODE';
    return 'CALL';
  }

  private readonly onAfter = (r: ResultEvent): void => {
    const frame = this.stack.pop();
    if (!frame) return;
    const ex = r.execResult;
    frame.gasUsed = ex.executionGasUsed;
    if (r.createdAddress && frame.to === null) frame.to = r.createdAddress.bytes.slice();
    const err = ex.exceptionError?.error;
    if (err === undefined) {
      frame.output = ex.returnValue;
      if (!this.stepping && frame.to !== null && !this.options.onlyTopCall) {
        const beneficiary = ex.selfdestruct?.get(toHex(frame.to));
        const reported = frame.calls.some(
          (c) => c.type === 'SELFDESTRUCT' && sameBytes(c.from, frame.to!),
        );
        if (beneficiary !== undefined && !reported && frame.type !== 'DELEGATECALL')
          frame.calls.push({
            ...emptyFrame('SELFDESTRUCT', frame.to, fromHex(beneficiary)),
            value: frame.startBalance,
          });
      }
      if (!frame.stepped && this.options.withLog)
        for (const [address, topics, data] of ex.logs ?? [])
          frame.logs.push({ address, topics, data, position: 0 });
    } else {
      frame.error = gethError(err);
      if (err === 'revert') {
        frame.output = ex.returnValue;
        frame.revertReason = revertReason(ex.returnValue);
      }
    }
    this.count(2 * (frame.output?.length ?? 0));
  };

  private count(n: number): void {
    this.bytes += n;
    if (this.bytes > MAX_TRACE_BYTES)
      throw new TraceLimitError(
        `trace exceeds ${MAX_TRACE_BYTES} bytes; trace with onlyTopCall, or without withLog`,
      );
  }

  /** Step events cost every opcode an event: followed only for logs (withLog) or the clock. */
  private get stepping(): boolean {
    return this.options.withLog || this.timeout?.everyStep === true;
  }

  attach(events: EvmEvents, state: StateDB, tx: TracedTx): void {
    this.state = state;
    this.tx = tx;
    this.timer.start();
    if (this.stepping) events.on('step', this.onStep as (d: never) => void);
    events.on('beforeMessage', this.onBefore as (d: never) => void);
    events.on('afterMessage', this.onAfter as (d: never) => void);
  }

  detach(events: EvmEvents): void {
    if (this.stepping) events.off('step', this.onStep as (d: never) => void);
    events.off('beforeMessage', this.onBefore as (d: never) => void);
    events.off('afterMessage', this.onAfter as (d: never) => void);
  }

  result(outcome: EvmOutcome, tx: TracedTx): TraceJson {
    const root = this.root ?? nativeFrame(tx, outcome);
    root.gasUsed = outcome.gasUsed;
    if (this.root === null) return frameJson(root, this.options.withLog);
    // A transaction undone whole (value sent to a system account) reports why.
    if (outcome.status === 0 && root.error === null) root.error = outcome.error;
    return frameJson(root, this.options.withLog);
  }
}

function emptyFrame(type: string, from: Uint8Array, to: Uint8Array | null): Frame {
  return {
    type,
    from,
    to,
    value: 0n,
    gas: 0n,
    gasUsed: 0n,
    input: new Uint8Array(0),
    output: null,
    error: null,
    revertReason: null,
    calls: [],
    logs: [],
    stepped: false,
    isStatic: false,
    startBalance: 0n,
  };
}

/** The frame of a transaction that ran without the EVM (a transfer, a system call). */
function nativeFrame(tx: TracedTx, outcome: EvmOutcome): Frame {
  const frame = emptyFrame('CALL', tx.from, tx.to);
  frame.value = tx.value;
  frame.gas = tx.gasLimit;
  frame.input = tx.data;
  frame.output = outcome.returnData;
  if (outcome.status === 0) {
    frame.error = gethError(outcome.error ?? 'revert');
    if (outcome.error === 'revert') frame.revertReason = revertReason(outcome.returnData);
  }
  return frame;
}

/** Drops the logs of failed frames and their children, as geth does. */
function frameJson(f: Frame, withLog: boolean, failed = false): TraceJson {
  const out: { [key: string]: TraceJson } = {
    from: hex(f.from),
    gas: quantity(f.gas),
    gasUsed: quantity(f.gasUsed),
  };
  if (f.to !== null) out.to = hex(f.to);
  out.input = hex(f.input);
  if (f.output !== null && (f.output.length > 0 || f.error === null)) out.output = hex(f.output);
  if (f.error !== null) out.error = f.error;
  if (f.revertReason !== null) out.revertReason = f.revertReason;
  const dead = failed || f.error !== null;
  if (f.calls.length > 0) out.calls = f.calls.map((c) => frameJson(c, withLog, dead));
  if (withLog && !dead && f.logs.length > 0)
    out.logs = f.logs.map((l) => ({
      address: hex(l.address),
      topics: l.topics.map(hex),
      data: hex(l.data),
      position: quantity(BigInt(l.position)),
    }));
  if (f.value !== null) out.value = quantity(f.value);
  out.type = f.type;
  return out;
}

// --- struct logger ------------------------------------------------------------------------------

export interface StructLoggerOptions {
  disableStack: boolean;
  enableMemory: boolean;
  disableStorage: boolean;
  /** geth's `limit`: opcodes recorded at most (the run goes on); 0 or absent for no limit. */
  limit?: number;
}

const NO_PREFIX = (b: Uint8Array): string => toHex(b).slice(2);

/** geth's default tracer: one entry per opcode executed. */
class StructLogger implements EvmTracer {
  private readonly logs: TraceJson[] = [];
  private bytes = 0;
  private state: StateDB | null = null;
  /** Storage seen per contract (SLOAD, SSTORE), as geth shows it at those opcodes. */
  private readonly storage = new Map<string, Map<string, string>>();
  private readonly timer: Timer;

  constructor(
    private readonly options: StructLoggerOptions,
    timeout?: TraceTimeout,
  ) {
    this.timer = new Timer(timeout);
  }

  private readonly onStep = (s: StepEvent): void => {
    this.timer.step();
    const limit = this.options.limit ?? 0;
    if (limit > 0 && this.logs.length >= limit) return;
    if (this.logs.length >= MAX_TRACE_STEPS)
      throw new TraceLimitError(
        `trace exceeds ${MAX_TRACE_STEPS} steps; use the callTracer or trace a smaller call`,
      );
    const name = s.opcode.name;
    const entry: { [key: string]: TraceJson } = {
      pc: s.pc,
      op: name,
      gas: Number(s.gasLeft),
      gasCost: Number(s.opcode.dynamicFee ?? BigInt(s.opcode.fee)),
      depth: s.depth + 1,
    };
    let size = 80;
    if (!this.options.disableStack) {
      const stack = s.stack.map((v) => quantity(v));
      entry.stack = stack;
      for (const v of stack) size += v.length + 3;
    }
    if (this.options.enableMemory) {
      const memory: string[] = [];
      for (let i = 0; i < s.memory.length; i += 32)
        memory.push(NO_PREFIX(s.memory.subarray(i, i + 32)));
      entry.memory = memory;
      size += 67 * memory.length;
    }
    if (!this.options.disableStorage && (name === 'SLOAD' || name === 'SSTORE')) {
      const key = toHex(s.address.bytes);
      let slots = this.storage.get(key);
      if (slots === undefined) this.storage.set(key, (slots = new Map()));
      const n = s.stack.length;
      const slot = word(s.stack[n - 1]!);
      if (name === 'SLOAD') {
        const stored = this.state!.getStorage(s.address.bytes, slot);
        const value = new Uint8Array(32);
        value.set(stored, 32 - stored.length);
        slots.set(NO_PREFIX(slot), NO_PREFIX(value));
      } else if (n >= 2) {
        slots.set(NO_PREFIX(slot), NO_PREFIX(word(s.stack[n - 2]!)));
      }
      const shown: { [key: string]: TraceJson } = {};
      for (const [k, v] of [...slots].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)))
        shown[k] = v;
      entry.storage = shown;
      size += 134 * slots.size;
    }
    if (s.gasRefund > 0n) entry.refund = Number(s.gasRefund);
    this.logs.push(entry);
    this.bytes += size;
    if (this.bytes > MAX_TRACE_BYTES)
      throw new TraceLimitError(
        `trace exceeds ${MAX_TRACE_BYTES} bytes; trace with disableStack, without enableMemory, or use the callTracer`,
      );
  };

  attach(events: EvmEvents, state: StateDB): void {
    this.state = state;
    this.timer.start();
    events.on('step', this.onStep as (d: never) => void);
  }

  detach(events: EvmEvents): void {
    events.off('step', this.onStep as (d: never) => void);
  }

  result(outcome: EvmOutcome): TraceJson {
    return {
      gas: Number(outcome.gasUsed),
      failed: outcome.status === 0,
      returnValue: NO_PREFIX(outcome.returnData),
      structLogs: this.logs,
    };
  }
}

/** Which tracer a trace request asks for, with its options. */
export type TraceSpec = (
  | { tracer: 'callTracer'; options: CallTracerOptions }
  | { tracer: 'structLogger'; options: StructLoggerOptions }
) & {
  /**
   * geth's `timeout` in milliseconds (the RPC's default when absent); `timeoutGiven` when the
   * request named one, which makes the clock be read at every opcode (see TraceTimeout).
   */
  timeoutMs?: number;
  timeoutGiven?: boolean;
};

/** A tracer for `spec`; `timeout` bounds the traced run's time (none: unbounded). */
export function makeTracer(spec: TraceSpec, timeout?: TraceTimeout): EvmTracer {
  return spec.tracer === 'callTracer'
    ? new CallTracer(spec.options, timeout)
    : new StructLogger(spec.options, timeout);
}
