/**
 * Polled filters (eth_newFilter, eth_newBlockFilter, eth_newPendingTransactionFilter, then
 * eth_getFilterChanges): what HTTP clients use instead of subscriptions (ethers' `provider.on`
 * for logs and pending transactions, viem's `watch…` over HTTP).
 *
 * A filter holds no results of its own. Block and log filters keep the first block they have
 * not reported yet and read the chain when polled; pending-transaction filters keep a position in
 * one ring of recent pending hashes shared by all of them. So a filter costs a few bytes plus
 * its addresses and topics, whatever happens between two polls, and every bound below is a
 * count. A filter not polled for `idleTimeoutMs` (geth's 5 minutes) is removed.
 */
import { randomBytes } from 'node:crypto';
import { toHex } from '../crypto/bytes.js';
import { RpcError, RpcErrorCode, type BlockSelector, type RpcBackend } from './backend.js';
import { LogMatcher } from './log-filter.js';

export interface FilterLimits {
  /** Live filters over all clients. */
  maxFilters: number;
  /** Live filters of one client (an HTTP client's address, or one WebSocket connection). */
  maxFiltersPerClient: number;
  /** Addresses and topics over one client's log filters. */
  maxFilterEntriesPerClient: number;
  /** Addresses and topics over all log filters. */
  maxFilterEntries: number;
  /** A filter not polled this long is removed (milliseconds). */
  idleTimeoutMs: number;
  /** Pending transaction hashes remembered for pending filters (the oldest are forgotten). */
  pendingRingSize: number;
  /** Block hashes one poll of a block filter returns at most (the rest on the next poll). */
  maxBlocksPerPoll: number;
}

export const DEFAULT_FILTER_LIMITS: Readonly<FilterLimits> = Object.freeze({
  maxFilters: 4096,
  maxFiltersPerClient: 256,
  maxFilterEntriesPerClient: 4096,
  maxFilterEntries: 65_536,
  idleTimeoutMs: 5 * 60_000,
  pendingRingSize: 8192,
  maxBlocksPerPoll: 1024,
});

/** A log filter's criteria, as eth_newFilter took them. */
export interface LogCriteria {
  fromBlock: BlockSelector | null;
  toBlock: BlockSelector | null;
  addresses: Uint8Array[];
  topics: (Uint8Array[] | null)[];
}

interface FilterBase {
  readonly id: string;
  readonly client: string;
  lastUsed: number;
}
export interface LogFilter extends FilterBase {
  readonly kind: 'logs';
  readonly criteria: LogCriteria;
  readonly matcher: LogMatcher;
  readonly entries: number;
  /** First block whose logs were not reported yet. */
  next: bigint;
}
export interface BlockFilter extends FilterBase {
  readonly kind: 'blocks';
  next: bigint;
}
export interface PendingFilter extends FilterBase {
  readonly kind: 'pending';
  /** Sequence number of the first pending hash not reported yet. */
  next: number;
}
export type Filter = LogFilter | BlockFilter | PendingFilter;

/** As geth: -32000 'filter not found' for an unknown, expired or uninstalled filter. */
export function filterNotFound(): RpcError {
  return new RpcError(RpcErrorCode.InvalidInput, 'filter not found');
}

export class FilterManager {
  readonly limits: Readonly<FilterLimits>;
  /** By id, least recently used first (a use moves a filter to the end): expiry pops the front. */
  private readonly filters = new Map<string, Filter>();
  private readonly perClient = new Map<string, { count: number; entries: number }>();
  private entries = 0;
  private pendingFilters = 0;
  /** The last pendingRingSize pending hashes, hex; ring[seq % size] holds sequence number seq. */
  private readonly ring: string[] = [];
  /** Sequence number of the next pending hash. */
  private seq = 0;
  private stopPending: (() => void) | null = null;
  private stopRewound: (() => void) | null = null;
  private readonly now: () => number;

  constructor(
    private readonly backend: RpcBackend,
    limits: Partial<FilterLimits> = {},
    now: () => number = Date.now,
  ) {
    this.limits = Object.freeze({ ...DEFAULT_FILTER_LIMITS, ...limits });
    for (const [k, v] of Object.entries(this.limits)) {
      if (!Number.isSafeInteger(v) || v < 1)
        throw new RangeError(`filter limit ${k} must be a positive integer, got ${v}`);
    }
    this.now = now;
  }

  /** Live filters. */
  get size(): number {
    return this.filters.size;
  }

  /** True while pending transactions are being recorded (some pending filter exists). */
  get recordingPending(): boolean {
    return this.stopPending !== null;
  }

  installLogs(client: string, criteria: LogCriteria): string {
    let entries = criteria.addresses.length;
    for (const alts of criteria.topics) entries += alts?.length ?? 0;
    const id = this.admit(client, entries);
    const filter: LogFilter = {
      id,
      client,
      kind: 'logs',
      lastUsed: this.now(),
      criteria,
      matcher: new LogMatcher(criteria.addresses, criteria.topics),
      entries,
      next: this.backend.headNumber() + 1n,
    };
    this.add(filter, entries);
    this.followRewinds();
    return id;
  }

  installBlocks(client: string): string {
    const id = this.admit(client, 0);
    this.followRewinds();
    this.add(
      { id, client, kind: 'blocks', lastUsed: this.now(), next: this.backend.headNumber() + 1n },
      0,
    );
    return id;
  }

  installPending(client: string): string {
    if (!this.backend.onPendingTransaction) {
      throw new RpcError(
        RpcErrorCode.MethodNotSupported,
        'pending transactions are not available on this node',
      );
    }
    const id = this.admit(client, 0);
    this.add({ id, client, kind: 'pending', lastUsed: this.now(), next: this.seq }, 0);
    this.pendingFilters++;
    if (this.stopPending === null) {
      this.stopPending = this.backend.onPendingTransaction((hash) => this.recordPending(hash));
    }
    return id;
  }

  /** The filter with this id, its idle clock restarted; throws 'filter not found'. */
  use(id: string): Filter {
    this.sweep();
    const filter = this.filters.get(id);
    if (filter === undefined) throw filterNotFound();
    filter.lastUsed = this.now();
    this.filters.delete(id);
    this.filters.set(id, filter);
    return filter;
  }

  /** The hashes a pending filter has not reported yet (the oldest may have been forgotten). */
  takePending(filter: PendingFilter): string[] {
    const size = this.limits.pendingRingSize;
    const first = filter.next > this.seq - size ? filter.next : Math.max(0, this.seq - size);
    const out: string[] = [];
    for (let s = first; s < this.seq; s++) out.push(this.ring[s % size]!);
    filter.next = this.seq;
    return out;
  }

  uninstall(id: string): boolean {
    const filter = this.filters.get(id);
    if (filter === undefined) return false;
    this.remove(filter);
    return true;
  }

  /** Removes every filter of a client (a WebSocket connection that closed). */
  closeClient(client: string): void {
    if (!this.perClient.has(client)) return;
    for (const f of [...this.filters.values()]) if (f.client === client) this.remove(f);
  }

  /** Removes every filter and stops listening. */
  close(): void {
    for (const f of [...this.filters.values()]) this.remove(f);
    this.stopRewound?.();
    this.stopRewound = null;
  }

  /**
   * After a rollback (the devnet's evm_revert) block and log filters go on from the new head: the
   * blocks that replace the removed ones are reported as they come.
   */
  private followRewinds(): void {
    if (this.stopRewound !== null || !this.backend.onRewound) return;
    this.stopRewound = this.backend.onRewound((head) => {
      for (const f of this.filters.values())
        if (f.kind !== 'pending' && f.next > head + 1n) f.next = head + 1n;
    });
  }

  private admit(client: string, entries: number): string {
    // Idle filters go before anyone is refused.
    this.sweep();
    const mine = this.perClient.get(client) ?? { count: 0, entries: 0 };
    if (this.filters.size >= this.limits.maxFilters)
      throw limit(`too many filters on this server (limit ${this.limits.maxFilters})`);
    if (mine.count >= this.limits.maxFiltersPerClient)
      throw limit(`too many filters for this client (limit ${this.limits.maxFiltersPerClient})`);
    if (mine.entries + entries > this.limits.maxFilterEntriesPerClient)
      throw limit(
        `too many addresses and topics in this client's log filters (limit ${this.limits.maxFilterEntriesPerClient})`,
      );
    if (this.entries + entries > this.limits.maxFilterEntries)
      throw limit(
        `too many addresses and topics in log filters on this server (limit ${this.limits.maxFilterEntries})`,
      );
    let id = toHex(randomBytes(16));
    while (this.filters.has(id)) id = toHex(randomBytes(16));
    return id;
  }

  private add(filter: Filter, entries: number): void {
    this.filters.set(filter.id, filter);
    const mine = this.perClient.get(filter.client) ?? { count: 0, entries: 0 };
    mine.count++;
    mine.entries += entries;
    this.perClient.set(filter.client, mine);
    this.entries += entries;
  }

  private remove(filter: Filter): void {
    this.filters.delete(filter.id);
    const entries = filter.kind === 'logs' ? filter.entries : 0;
    this.entries -= entries;
    const mine = this.perClient.get(filter.client);
    if (mine) {
      mine.count--;
      mine.entries -= entries;
      if (mine.count <= 0) this.perClient.delete(filter.client);
    }
    if (filter.kind === 'pending' && --this.pendingFilters === 0) {
      const stop = this.stopPending;
      this.stopPending = null;
      stop?.();
      // Nobody reads the ring any more: its memory goes too.
      this.ring.length = 0;
    }
  }

  /** Removes idle filters: the least recently used first, so it costs what it removes. */
  private sweep(): void {
    const now = this.now();
    for (const f of this.filters.values()) {
      if (now - f.lastUsed < this.limits.idleTimeoutMs) break;
      this.remove(f);
    }
  }

  // Runs inside the node's admission path: must not throw.
  private recordPending(hash: Uint8Array): void {
    this.ring[this.seq % this.limits.pendingRingSize] = toHex(hash);
    this.seq++;
    this.sweep();
  }
}

function limit(message: string): RpcError {
  return new RpcError(RpcErrorCode.LimitExceeded, message);
}
