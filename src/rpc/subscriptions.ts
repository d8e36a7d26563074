/**
 * eth_subscribe over WebSocket: `newHeads` and `logs` subscriptions fed by the backend's
 * onNewHead events, `newPendingTransactions` by its onPendingTransaction events. One backend
 * listener of each kind serves every connection, registered while at least one subscription
 * needs it. Each event is formatted once and fanned out.
 */
import { randomBytes } from 'node:crypto';
import { toHex } from '../crypto/bytes.js';
import {
  RpcError,
  RpcErrorCode,
  type NewHeadEvent,
  type RpcBackend,
  type RpcLog,
} from './backend.js';
import { formatHeader, formatLog } from './format.js';
import { LogMatcher } from './log-filter.js';

export type SubscriptionRequest =
  | { kind: 'newHeads' }
  | { kind: 'newPendingTransactions' }
  | { kind: 'logs'; addresses: Uint8Array[]; topics: (Uint8Array[] | null)[] };

/** What eth_subscribe / eth_unsubscribe need from the connection they arrive on. */
export interface SubscriptionSink {
  /** Returns the new subscription's id, or throws RpcError (e.g. too many subscriptions). */
  subscribe(request: SubscriptionRequest): string;
  /** False when this connection has no such subscription. */
  unsubscribe(id: string): boolean;
}

/** Subscriptions created in one request; they start delivering once the reply is out. */
export interface SubscriptionScope extends SubscriptionSink {
  commit(): void;
}

interface Subscription {
  readonly id: string;
  readonly request: SubscriptionRequest;
  /** A logs subscription's filter, prepared once. */
  readonly matcher: LogMatcher | null;
  /** Null once delivering; until then notifications wait here (the reply must go first). */
  held: string[] | null;
}

function notification(id: string, resultJson: string): string {
  return `{"jsonrpc":"2.0","method":"eth_subscription","params":{"subscription":"${id}","result":${resultJson}}}`;
}

/** Addresses and topics a logs filter holds: what it costs to keep and to match. */
function pendingCount(subs: Iterable<Subscription>): number {
  let n = 0;
  for (const sub of subs) if (sub.request.kind === 'newPendingTransactions') n++;
  return n;
}

function filterEntries(request: SubscriptionRequest): number {
  if (request.kind !== 'logs') return 0;
  let n = request.addresses.length;
  for (const alts of request.topics) n += alts?.length ?? 0;
  return n;
}

export class SubscriptionSession {
  private readonly subscriptions = new Map<string, Subscription>();
  private closed = false;
  /** Addresses and topics over this connection's logs filters. */
  private entries = 0;

  constructor(
    private readonly manager: SubscriptionManager,
    private readonly send: (message: string) => void,
    private readonly maxSubscriptions: number,
    private readonly maxFilterEntries: number,
  ) {}

  get size(): number {
    return this.subscriptions.size;
  }

  /** A sink for one request; call commit() after its reply has been sent. */
  scope(): SubscriptionScope {
    const created: Subscription[] = [];
    return {
      subscribe: (request) => {
        const sub = this.add(request);
        created.push(sub);
        return sub.id;
      },
      unsubscribe: (id) => this.unsubscribe(id),
      commit: () => {
        for (const sub of created) {
          const held = sub.held ?? [];
          sub.held = null;
          if (this.subscriptions.get(sub.id) === sub) for (const m of held) this.deliver(m);
        }
        created.length = 0;
      },
    };
  }

  unsubscribe(id: string): boolean {
    const sub = this.subscriptions.get(id);
    if (!sub) return false;
    this.subscriptions.delete(id);
    this.entries -= filterEntries(sub.request);
    this.manager.released(1, pendingCount([sub]));
    return true;
  }

  /** Ends every subscription of this connection. */
  close(): void {
    if (this.closed) return;
    this.closed = true;
    const count = this.subscriptions.size;
    const pending = pendingCount(this.subscriptions.values());
    this.subscriptions.clear();
    this.manager.detach(this, count, pending);
  }

  private add(request: SubscriptionRequest): Subscription {
    if (this.closed) throw new RpcError(RpcErrorCode.ResourceUnavailable, 'connection closed');
    if (this.subscriptions.size >= this.maxSubscriptions) {
      throw new RpcError(
        RpcErrorCode.LimitExceeded,
        `too many subscriptions on this connection (limit ${this.maxSubscriptions})`,
      );
    }
    this.manager.checkRoom(request);
    const entries = filterEntries(request);
    if (this.entries + entries > this.maxFilterEntries) {
      throw new RpcError(
        RpcErrorCode.LimitExceeded,
        `too many addresses and topics in this connection's log filters (limit ${this.maxFilterEntries})`,
      );
    }
    this.entries += entries;
    let id = toHex(randomBytes(16));
    while (this.subscriptions.has(id)) id = toHex(randomBytes(16));
    const matcher =
      request.kind === 'logs' ? new LogMatcher(request.addresses, request.topics) : null;
    const sub: Subscription = { id, request, matcher, held: [] };
    this.subscriptions.set(id, sub);
    this.manager.acquired(request.kind === 'newPendingTransactions');
    return sub;
  }

  /** Called by the manager for each transaction the pool admits. */
  dispatchPending(hashJson: string): void {
    for (const sub of [...this.subscriptions.values()])
      if (sub.request.kind === 'newPendingTransactions')
        this.push(sub, notification(sub.id, hashJson));
  }

  /** Called by the manager for each committed block. */
  dispatch(event: FormattedEvent): void {
    for (const sub of [...this.subscriptions.values()]) {
      if (sub.request.kind === 'newHeads') {
        this.push(sub, notification(sub.id, event.headJson()));
      } else if (sub.request.kind === 'logs' && sub.matcher!.mayMatch(event.bloom)) {
        event.logs.forEach((log, i) => {
          if (sub.matcher!.matches(log)) this.push(sub, notification(sub.id, event.logJson(i)));
        });
      }
    }
  }

  private push(sub: Subscription, message: string): void {
    if (sub.held !== null) sub.held.push(message);
    else this.deliver(message);
  }

  private deliver(message: string): void {
    if (!this.closed) this.send(message);
  }
}

/** One event with its JSON computed at most once, whatever the number of subscribers. */
class FormattedEvent {
  private head: string | null = null;
  private readonly logCache: (string | undefined)[] = [];

  constructor(private readonly event: NewHeadEvent) {}

  get logs(): RpcLog[] {
    return this.event.logs;
  }

  get bloom(): Uint8Array {
    return this.event.block.logsBloom;
  }

  headJson(): string {
    this.head ??= JSON.stringify(formatHeader(this.event.block));
    return this.head;
  }

  logJson(index: number): string {
    let json = this.logCache[index];
    if (json === undefined) {
      json = JSON.stringify(formatLog(this.event.logs[index]!));
      this.logCache[index] = json;
    }
    return json;
  }
}

export interface SubscriptionManagerOptions {
  maxSubscriptionsPerSession: number;
  /** Live subscriptions over all sessions. */
  maxSubscriptions: number;
  /** Addresses and topics over one session's logs filters. */
  maxFilterEntriesPerSession: number;
  /** Told about failures while delivering (a bug, never the client's fault). */
  onError?: (error: unknown) => void;
}

export class SubscriptionManager {
  private readonly sessions = new Set<SubscriptionSession>();
  private total = 0;
  private stopListening: (() => void) | null = null;
  /** Live newPendingTransactions subscriptions, and the backend listener they need. */
  private pending = 0;
  private stopPending: (() => void) | null = null;
  private closed = false;

  constructor(
    private readonly backend: RpcBackend,
    private readonly options: SubscriptionManagerOptions,
  ) {}

  /** Number of live subscriptions over all sessions. */
  get subscriptionCount(): number {
    return this.total;
  }

  /** True while the manager listens to the backend. */
  get listening(): boolean {
    return this.stopListening !== null;
  }

  openSession(send: (message: string) => void): SubscriptionSession {
    const session = new SubscriptionSession(
      this,
      send,
      this.options.maxSubscriptionsPerSession,
      this.options.maxFilterEntriesPerSession,
    );
    if (!this.closed) this.sessions.add(session);
    else session.close();
    return session;
  }

  /** Ends every session and stops listening to the backend. */
  close(): void {
    this.closed = true;
    for (const session of [...this.sessions]) session.close();
    this.unlisten();
    this.unlistenPending();
  }

  /** @internal Throws when the server holds as many subscriptions as it may. */
  checkRoom(request: SubscriptionRequest): void {
    if (request.kind === 'newPendingTransactions' && !this.backend.onPendingTransaction) {
      throw new RpcError(
        RpcErrorCode.MethodNotSupported,
        'pending transactions are not available on this node',
      );
    }
    if (this.total >= this.options.maxSubscriptions) {
      throw new RpcError(
        RpcErrorCode.LimitExceeded,
        `too many subscriptions on this server (limit ${this.options.maxSubscriptions})`,
      );
    }
  }

  /** @internal */
  acquired(pending: boolean): void {
    this.total++;
    if (pending && this.pending++ === 0 && !this.closed && this.backend.onPendingTransaction) {
      this.stopPending = this.backend.onPendingTransaction((hash) => this.onPending(hash));
    }
    if (this.stopListening === null && !this.closed) {
      this.stopListening = this.backend.onNewHead((event) => this.onNewHead(event));
    }
  }

  /** @internal */
  released(count = 1, pending = 0): void {
    this.pending -= pending;
    if (this.pending <= 0) {
      this.pending = 0;
      this.unlistenPending();
    }
    this.total -= count;
    if (this.total <= 0) {
      this.total = 0;
      this.unlisten();
    }
  }

  /** @internal */
  detach(session: SubscriptionSession, count: number, pending = 0): void {
    this.sessions.delete(session);
    if (count > 0) this.released(count, pending);
  }

  private unlistenPending(): void {
    const stop = this.stopPending;
    this.stopPending = null;
    if (stop) stop();
  }

  // Runs inside the node's admission path: it must never throw back into it.
  private onPending(hash: Uint8Array): void {
    const json = JSON.stringify(toHex(hash));
    for (const session of [...this.sessions]) {
      try {
        session.dispatchPending(json);
      } catch (error) {
        this.options.onError?.(error);
      }
    }
  }

  private unlisten(): void {
    const stop = this.stopListening;
    this.stopListening = null;
    if (stop) stop();
  }

  // Runs inside the backend's commit path: it must never throw back into it.
  private onNewHead(event: NewHeadEvent): void {
    const formatted = new FormattedEvent(event);
    for (const session of [...this.sessions]) {
      try {
        session.dispatch(formatted);
      } catch (error) {
        this.options.onError?.(error);
      }
    }
  }
}
