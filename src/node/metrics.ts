/**
 * Prometheus metrics of a node, served as text on GET /metrics (off unless configured):
 * head height, consensus height and round, peers, mempool size, block import time, gossip
 * messages in and out, peer penalties and dropped queue entries.
 */
import { EtmError } from '../primitives/errors.js';
import { createServer, type Server } from 'node:http';
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';
import type { GossipTopic, P2pMetrics } from '../p2p/network.js';
import type { Offence } from '../p2p/penalties.js';
import type { Verdict } from '../p2p/gossip.js';
import type { Node } from './node.js';

export class MetricsError extends EtmError<'metrics'> {
  override name = 'MetricsError';

  constructor(message: string, options?: ErrorOptions) {
    super('metrics', message, options);
  }
}

export class NodeMetrics implements P2pMetrics {
  readonly registry = new Registry();
  private readonly messagesIn: Counter<'topic' | 'verdict'>;
  private readonly messagesOut: Counter<'topic'>;
  private readonly penalties: Counter<'offence'>;
  private readonly drops: Counter<'queue'>;
  private readonly importSeconds: Histogram<'source'>;
  private peerCount: () => number = () => 0;

  constructor(node: Node) {
    const registers = [this.registry];
    new Gauge({
      name: 'etm_head_height',
      help: 'Number of the last committed block',
      registers,
      collect() {
        this.set(Number(node.chain.headNumber));
      },
    });
    new Gauge({
      name: 'etm_consensus_height',
      help: 'Height the consensus engine is working on',
      registers,
      collect() {
        this.set(node.consensusHeight ?? 0);
      },
    });
    new Gauge({
      name: 'etm_consensus_round',
      help: 'Round of the current height',
      registers,
      collect() {
        this.set(node.consensusRound ?? 0);
      },
    });
    new Gauge({
      name: 'etm_mempool_size',
      help: 'Transactions waiting in the mempool',
      registers,
      collect() {
        this.set(node.mempool.size);
      },
    });
    new Gauge({
      name: 'etm_syncing',
      help: '1 while blocks are being imported from peers',
      registers,
      collect() {
        this.set(node.isSyncing ? 1 : 0);
      },
    });
    const peers = () => this.peerCount();
    new Gauge({
      name: 'etm_peers',
      help: 'Connected peers',
      registers,
      collect() {
        this.set(peers());
      },
    });
    this.importSeconds = new Histogram({
      name: 'etm_block_import_seconds',
      help: 'Time to check, execute and store a committed block',
      labelNames: ['source'],
      buckets: [0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5],
      registers,
    });
    this.messagesIn = new Counter({
      name: 'etm_p2p_messages_in_total',
      help: 'Gossip messages received, by topic and verdict',
      labelNames: ['topic', 'verdict'],
      registers,
    });
    this.messagesOut = new Counter({
      name: 'etm_p2p_messages_out_total',
      help: 'Gossip messages published, by topic',
      labelNames: ['topic'],
      registers,
    });
    this.penalties = new Counter({
      name: 'etm_p2p_penalties_total',
      help: 'Misbehaviour penalties given to peers, by offence',
      labelNames: ['offence'],
      registers,
    });
    this.drops = new Counter({
      name: 'etm_p2p_dropped_total',
      help: 'Entries dropped from full queues',
      labelNames: ['queue'],
      registers,
    });
    collectDefaultMetrics({ register: this.registry, prefix: 'etm_process_' });
    node.onCommitted((e) => this.importSeconds.observe({ source: e.source }, e.importMs / 1000));
  }

  /** Where the peer count comes from (the p2p network, once started). */
  setPeerCount(fn: () => number): void {
    this.peerCount = fn;
  }

  messageIn(topic: GossipTopic, verdict: Verdict): void {
    this.messagesIn.inc({ topic, verdict });
  }

  messageOut(topic: GossipTopic): void {
    this.messagesOut.inc({ topic });
  }

  penalty(offence: Offence): void {
    this.penalties.inc({ offence });
  }

  dropped(queue: string): void {
    this.drops.inc({ queue });
  }

  /** Serves GET /metrics; resolves with the URL once listening. */
  async serve(host: string, port: number): Promise<{ url: string; close(): Promise<void> }> {
    const server: Server = createServer((req, res) => {
      if (req.method !== 'GET' || (req.url ?? '').split('?')[0] !== '/metrics') {
        res.writeHead(404).end('not found\n');
        return;
      }
      this.registry.metrics().then(
        (text) => res.writeHead(200, { 'content-type': this.registry.contentType }).end(text),
        (e: Error) => res.writeHead(500).end(`${e.message}\n`),
      );
    });
    await new Promise<void>((resolve, reject) => {
      server.once('error', (e: NodeJS.ErrnoException) =>
        reject(
          e.code === 'EADDRINUSE'
            ? new MetricsError(`metrics port ${port} on ${host} is in use`)
            : e,
        ),
      );
      server.listen(port, host, () => resolve());
    });
    const address = server.address();
    const actual = typeof address === 'object' && address ? address.port : port;
    const shown = host.includes(':') ? `[${host}]` : host;
    return {
      url: `http://${shown}:${actual}/metrics`,
      close: () => new Promise<void>((r) => server.close(() => r())),
    };
  }
}
