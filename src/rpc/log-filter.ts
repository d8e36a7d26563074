/**
 * A log filter (addresses, and per topic position the topics allowed) prepared once per request
 * or subscription: the bloom bits of every address and topic are hashed up front, and the exact
 * match looks addresses and topics up in sets. Checking a block then costs a few byte reads per
 * filter entry, and a log a few set lookups, however long the filter's lists are.
 */
import { bloomHas, bloomProbe, type BloomProbe } from '../crypto/bloom.js';
import { toHex } from '../crypto/bytes.js';
import type { RpcLog } from './backend.js';

export class LogMatcher {
  /** Null: any address. */
  private readonly addressSet: Set<string> | null;
  private readonly addressProbes: BloomProbe[];
  /** Per position: null for any topic. */
  private readonly topicSets: (Set<string> | null)[];
  private readonly topicProbes: (BloomProbe[] | null)[];

  constructor(
    readonly addresses: readonly Uint8Array[],
    readonly topics: readonly (readonly Uint8Array[] | null)[],
  ) {
    this.addressSet = addresses.length > 0 ? new Set(addresses.map(toHex)) : null;
    this.addressProbes = addresses.map(bloomProbe);
    this.topicSets = topics.map((alts) =>
      alts === null || alts.length === 0 ? null : new Set(alts.map(toHex)),
    );
    this.topicProbes = topics.map((alts) =>
      alts === null || alts.length === 0 ? null : alts.map(bloomProbe),
    );
  }

  /** Whether a block (or receipt) with this bloom may hold a matching log; never a false no. */
  mayMatch(bloom: Uint8Array): boolean {
    if (this.addressSet !== null && !this.addressProbes.some((p) => bloomHas(bloom, p)))
      return false;
    return this.topicProbes.every((alts) => alts === null || alts.some((p) => bloomHas(bloom, p)));
  }

  /** Whether a log passes the filter (EIP-234 / eth_getLogs rules). */
  matches(log: Pick<RpcLog, 'address' | 'topics'>): boolean {
    if (this.addressSet !== null && !this.addressSet.has(toHex(log.address))) return false;
    for (let i = 0; i < this.topicSets.length; i++) {
      const wanted = this.topicSets[i];
      if (wanted === null || wanted === undefined) continue;
      const topic = log.topics[i];
      if (topic === undefined || !wanted.has(toHex(topic))) return false;
    }
    return true;
  }
}
