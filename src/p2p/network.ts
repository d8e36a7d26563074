/**
 * The node's peer-to-peer network on libp2p: TCP, noise, yamux, identify, ping and gossipsub.
 * Gossip carries consensus messages and transactions; two request/response protocols carry
 * status and committed blocks for sync (wire.ts). This is a shell: every message is checked
 * (gossip.ts) before the node sees it or it is relayed, peers that send invalid data collect
 * misbehaviour points and are disconnected and banned (penalties.ts), and every queue and
 * stream has a bound. See docs/network.md.
 */
import { EtmError } from '../primitives/errors.js';
import type { Address } from '../primitives/types.js';
import './polyfill.js';
import { createLibp2p, type Libp2p } from 'libp2p';
import { tcp } from '@libp2p/tcp';
import { noise } from '@chainsafe/libp2p-noise';
import { yamux } from '@chainsafe/libp2p-yamux';
import { identify } from '@libp2p/identify';
import { ping } from '@libp2p/ping';
import { gossipsub, TopicValidatorResult, type GossipSub } from '@libp2p/gossipsub';
import { createTopicScoreParams } from '@libp2p/gossipsub/score';
import { multiaddr, type Multiaddr } from '@multiformats/multiaddr';
import { peerIdFromString } from '@libp2p/peer-id';
import { DecodeError } from '../codec/rlp.js';
import { equalBytes, toHex } from '../crypto/bytes.js';
import { keccak256 } from '../crypto/keccak.js';
import type { Recover } from '../consensus/types.js';
import type { NodeNetwork, PeerView } from './local-network.js';
import type { Logger } from '../log/logger.js';
import { AdmissionQueue } from './admission.js';
import { FrameError, FrameReader, writeFrames, type Stream } from './frames.js';
import {
  checkConsensusGossip,
  checkTransactionGossip,
  decodeTxBatch,
  encodeTxBatch,
  TxBatchOutbox,
  type GossipCheck,
  type TxOutcome,
  type Verdict,
} from './gossip.js';
import type { PeerKey } from './identity.js';
import { PeerPenalties, type Offence, type PenaltyOptions } from './penalties.js';
import {
  decodeBlocksRequest,
  decodeStatus,
  encodeBlocksRequest,
  encodeStatus,
  MAX_BLOCKS_PER_REQUEST,
  MAX_REQUEST_BYTES,
  MAX_STATUS_BYTES,
  networkNames,
  type Names,
  type Status,
} from './wire.js';

/** What the network reads from the node's chain. */
export interface P2pChain {
  chainId: bigint;
  genesisHash: Uint8Array;
  headNumber(): bigint;
  headHash(): Uint8Array;
  blockBytesAt(number: bigint): Uint8Array | undefined;
  validatorsAt(height: bigint): Address[];
  recover: Recover;
  /** The limits of the block after the head (the DAO may change them): read on each use. */
  maxTxBytes: number;
  maxBlockBytes: number;
  maxConsensusBytes: number;
  /**
   * The most `maxBlockBytes` and `maxConsensusBytes` can ever be (their hard bounds in the
   * parameters registry): the transport's frame limits, fixed when the network starts; each
   * message is then held to the head's limit.
   */
  maxBlockBytesBound: number;
  maxConsensusBytesBound: number;
  /** The hard bound of maxTxBytes: a transaction above the limit but within it is not blamed. */
  maxTxBytesBound?: number;
}

/** Where accepted gossip goes. */
export interface P2pHandlers {
  onConsensus(bytes: Uint8Array): void;
  /** Admits a transaction to the mempool; the outcome decides whether it is relayed. */
  onTransaction(raw: Uint8Array): TxOutcome;
  /** Told of a batch's transactions before they are admitted (to recover senders ahead). */
  prepareTransactions?(raws: readonly Uint8Array[]): Promise<void>;
}

export type GossipTopic = 'consensus' | 'tx';

export interface P2pMetrics {
  messageIn(topic: GossipTopic, verdict: Verdict): void;
  messageOut(topic: GossipTopic): void;
  penalty(offence: Offence): void;
  /** An entry dropped from `queue` (the transaction queues count batches). */
  dropped(queue: string): void;
}

export interface P2pOptions {
  privateKey: PeerKey;
  /** Multiaddrs to listen on, e.g. /ip4/0.0.0.0/tcp/30333. */
  listen: string[];
  /** Addresses to tell peers instead of the listening ones (a public IP behind NAT). */
  announce?: string[];
  /** Peers to connect to and stay connected to: /ip4/…/tcp/…/p2p/<peer id>. */
  bootnodes?: string[];
  chain: P2pChain;
  handlers: P2pHandlers;
  logger?: Logger;
  metrics?: P2pMetrics;
  /** Most open connections. */
  maxPeers?: number;
  /** How often each peer's status is asked for. */
  statusIntervalMs?: number;
  /** How often missing bootnodes are dialled again. */
  redialIntervalMs?: number;
  requestTimeoutMs?: number;
  penalties?: PenaltyOptions;
}

export class P2pError extends EtmError<'p2p'> {
  override name = 'P2pError';

  constructor(message: string, options?: ErrorOptions) {
    super('p2p', message, options);
  }
}

/** Inbound consensus messages waiting for the node; the oldest are dropped beyond this. */
const MAX_INBOUND_QUEUE = 4096;
/** Publishes in flight; transactions beyond this are dropped, consensus messages queue. */
const MAX_PENDING_PUBLISHES = 512;
const MAX_QUEUED_CONSENSUS = 4096;
/** Gossiped transaction batches waiting for admission (admission.ts). */
const MAX_TX_INBOUND = 64;
const MAX_TX_INBOUND_PER_PEER = 16;
const TX_SLICE_MS = 10;
/** A blocks response stops after this many bytes (the client asks again from there). */
const MAX_RESPONSE_BYTES = 32 * 1024 * 1024;
/** Concurrent inbound request streams per connection and protocol. */
const MAX_INBOUND_STREAMS = 4;

type Services = { pubsub: GossipSub; identify: unknown; ping: unknown };
type PeerId = Libp2p['peerId'];

interface KnownPeer {
  status: Status;
  at: number;
}

export class P2pNetwork implements NodeNetwork {
  readonly names: Names;
  readonly penalties: PeerPenalties;
  private libp2p: Libp2p<Services> | null = null;
  private readonly known = new Map<string, KnownPeer>();
  private readonly bootnodes: Multiaddr[];
  private readonly timers: Array<ReturnType<typeof setInterval>> = [];
  private readonly inbound: Uint8Array[] = [];
  private draining = false;
  private pendingPublishes = 0;
  private readonly txOutbox = new TxBatchOutbox();
  private txFlushScheduled = false;
  private readonly txInbound = new AdmissionQueue<TopicValidatorResult>({
    capacity: MAX_TX_INBOUND,
    perPeer: MAX_TX_INBOUND_PER_PEER,
    sliceMs: TX_SLICE_MS,
    admit: (peer, data) => this.validate(peer, 'tx', data),
    prepare: async (data) => {
      const prepare = this.o.handlers.prepareTransactions;
      if (!prepare) return;
      let raws: Uint8Array[];
      try {
        raws = decodeTxBatch(
          data,
          Math.max(this.o.chain.maxTxBytes, this.o.chain.maxTxBytesBound ?? 0),
        );
      } catch {
        return; // refused when admitted
      }
      await prepare(raws);
    },
    whenFull: TopicValidatorResult.Ignore,
    onDrop: () => this.o.metrics?.dropped('tx-in'),
  });
  private readonly queuedConsensus: Uint8Array[] = [];
  private readonly statusInFlight = new Set<string>();
  private stopped = false;
  private readonly log: Logger['log'];

  constructor(private readonly o: P2pOptions) {
    this.names = networkNames(o.chain.genesisHash);
    this.penalties = new PeerPenalties(o.penalties);
    this.log = o.logger ? o.logger.log.bind(o.logger) : () => {};
    this.bootnodes = (o.bootnodes ?? []).map((a) => parseBootnode(a));
  }

  get peerId(): string {
    return this.node.peerId.toString();
  }

  /** The addresses peers can dial, each ending in /p2p/<peer id>. */
  addresses(): string[] {
    return this.node.getMultiaddrs().map((m) => m.toString());
  }

  /** Peers with an open connection. */
  connectedPeers(): string[] {
    return this.node.getPeers().map((p) => p.toString());
  }

  private get node(): Libp2p<Services> {
    if (!this.libp2p) throw new P2pError('the network is not started');
    return this.libp2p;
  }

  async start(): Promise<void> {
    const { chain } = this.o;
    const names = this.names;
    const topicScore = createTopicScoreParams({
      topicWeight: 1,
      timeInMeshWeight: 0.01,
      timeInMeshQuantum: 1000,
      timeInMeshCap: 100,
      firstMessageDeliveriesWeight: 0.1,
      firstMessageDeliveriesDecay: 0.9,
      firstMessageDeliveriesCap: 100,
      // Quiet topics (no transactions for an hour) are normal: no penalty for few deliveries.
      meshMessageDeliveriesWeight: 0,
      meshFailurePenaltyWeight: 0,
      invalidMessageDeliveriesWeight: -20,
      invalidMessageDeliveriesDecay: 0.5,
    });
    const isBanned = (peer: PeerId) => this.penalties.isBanned(peer.toString());
    this.libp2p = await createLibp2p<Services>({
      privateKey: this.o.privateKey,
      addresses: { listen: this.o.listen, announce: this.o.announce ?? [] },
      transports: [tcp()],
      connectionEncrypters: [noise()],
      streamMuxers: [yamux()],
      connectionGater: {
        denyDialPeer: isBanned,
        denyInboundEncryptedConnection: isBanned,
        denyOutboundEncryptedConnection: isBanned,
      },
      connectionManager: { maxConnections: this.o.maxPeers ?? 50 },
      services: {
        identify: identify(),
        ping: ping(),
        pubsub: gossipsub({
          // Consensus messages are signed by their validators; gossip needs no second signature.
          globalSignaturePolicy: 'StrictNoSign',
          msgIdFn: (m) => keccak256(m.data),
          allowPublishToZeroTopicPeers: true,
          ignoreDuplicatePublishError: true,
          allowedTopics: [names.consensusTopic, names.txTopic],
          maxInboundDataLength: chain.maxConsensusBytesBound + 64 * 1024,
          scoreParams: {
            // Devnets and test networks run many nodes behind one address.
            IPColocationFactorWeight: 0,
            appSpecificScore: (p) => -this.penalties.points(p),
            appSpecificWeight: 1,
            topics: { [names.consensusTopic]: topicScore, [names.txTopic]: topicScore },
          },
          scoreThresholds: {
            gossipThreshold: -40,
            publishThreshold: -60,
            graylistThreshold: -80,
          },
        }),
      },
    });
    const pubsub = this.node.services.pubsub;
    pubsub.topicValidators.set(names.consensusTopic, (peer, msg) =>
      this.validate(peer.toString(), 'consensus', msg.data),
    );
    pubsub.topicValidators.set(names.txTopic, (peer, msg) =>
      this.txInbound.submit(peer.toString(), msg.data),
    );
    pubsub.subscribe(names.consensusTopic);
    pubsub.subscribe(names.txTopic);

    const handlerOptions = {
      maxInboundStreams: MAX_INBOUND_STREAMS,
      maxOutboundStreams: MAX_INBOUND_STREAMS,
    };
    await this.node.handle(
      names.statusProtocol,
      (stream, connection) => this.serveStatus(stream, connection.remotePeer.toString()),
      handlerOptions,
    );
    await this.node.handle(
      names.blocksProtocol,
      (stream, connection) => this.serveBlocks(stream, connection.remotePeer.toString()),
      handlerOptions,
    );

    this.node.addEventListener('peer:connect', (e) => {
      const id = e.detail.toString();
      this.log('info', 'peer-connected', { peer: id, peers: this.node.getPeers().length });
      void this.refreshStatus(id);
    });
    this.node.addEventListener('peer:disconnect', (e) => {
      const id = e.detail.toString();
      this.known.delete(id);
      this.log('info', 'peer-disconnected', { peer: id, peers: this.node.getPeers().length });
    });

    const statusEvery = this.o.statusIntervalMs ?? 2000;
    this.timers.push(setInterval(() => this.refreshAll(), statusEvery));
    this.timers.push(setInterval(() => this.dialBootnodes(), this.o.redialIntervalMs ?? 5000));
    this.log('info', 'p2p-started', {
      peerId: this.peerId,
      addresses: this.addresses(),
      bootnodes: this.bootnodes.map(String),
    });
    this.dialBootnodes();
  }

  async stop(): Promise<void> {
    if (this.stopped) return;
    this.stopped = true;
    for (const t of this.timers) clearInterval(t);
    this.txInbound.close();
    await this.libp2p?.stop();
  }

  // ---- NodeNetwork ----------------------------------------------------------------------

  broadcastConsensus(bytes: Uint8Array): void {
    if (this.pendingPublishes >= MAX_PENDING_PUBLISHES) {
      if (this.queuedConsensus.length >= MAX_QUEUED_CONSENSUS) {
        this.queuedConsensus.shift();
        this.o.metrics?.dropped('consensus-out');
      }
      this.queuedConsensus.push(bytes);
      return;
    }
    this.publish('consensus', bytes);
  }

  /** Queues a transaction for the next batch: sent at the end of this turn, or when full. */
  broadcastTransaction(raw: Uint8Array): void {
    if (this.stopped) return;
    const full = this.txOutbox.push(raw);
    if (full) this.publishTransactions(full);
    if (this.txOutbox.size > 0 && !this.txFlushScheduled) {
      this.txFlushScheduled = true;
      setImmediate(() => {
        this.txFlushScheduled = false;
        if (this.txOutbox.size > 0) this.publishTransactions(this.txOutbox.take());
      });
    }
  }

  private publishTransactions(batch: Uint8Array[]): void {
    if (this.pendingPublishes >= MAX_PENDING_PUBLISHES) {
      this.o.metrics?.dropped('tx-out');
      return;
    }
    this.publish('tx', encodeTxBatch(batch));
  }

  peers(): PeerView[] {
    const connected = new Set(this.libp2p ? this.connectedPeers() : []);
    const views: PeerView[] = [];
    for (const [id, k] of this.known) {
      if (!connected.has(id) || this.penalties.isBanned(id)) continue;
      views.push({
        id,
        headNumber: () => this.known.get(id)?.status.headNumber ?? -1n,
        blocks: (from, count) => this.requestBlocks(id, from, count),
      });
      void k;
    }
    return views;
  }

  penalize(peer: string, offence: Offence, reason: string): void {
    this.o.metrics?.penalty(offence);
    const points = this.penalties.points(peer);
    const banned = this.penalties.add(peer, offence);
    this.log('warn', 'peer-penalised', {
      peer,
      offence,
      reason,
      points: Math.round(this.penalties.points(peer)),
      before: Math.round(points),
    });
    if (banned) {
      this.log('warn', 'peer-banned', { peer, reason: offence });
      this.known.delete(peer);
      if (this.libp2p && !this.stopped) {
        void this.libp2p.hangUp(peerIdFromString(peer)).catch(() => {});
      }
    }
  }

  // ---- gossip ---------------------------------------------------------------------------

  private publish(topic: GossipTopic, data: Uint8Array): void {
    if (this.stopped || !this.libp2p) return;
    const name = topic === 'consensus' ? this.names.consensusTopic : this.names.txTopic;
    this.pendingPublishes++;
    this.o.metrics?.messageOut(topic);
    void this.node.services.pubsub
      .publish(name, data)
      .catch((e: Error) => this.log('debug', 'publish-failed', { topic, error: e.message }))
      .finally(() => {
        this.pendingPublishes--;
        const next = this.queuedConsensus.shift();
        if (next) this.publish('consensus', next);
      });
  }

  private validate(peer: string, topic: GossipTopic, data: Uint8Array): TopicValidatorResult {
    let check: GossipCheck;
    try {
      check =
        topic === 'consensus'
          ? checkConsensusGossip(data, {
              chainId: this.o.chain.chainId,
              headNumber: () => this.o.chain.headNumber(),
              validatorsAt: (h) => this.o.chain.validatorsAt(h),
              recover: this.o.chain.recover,
              maxMessageBytes: this.o.chain.maxConsensusBytes,
              maxMessageBytesBound: this.o.chain.maxConsensusBytesBound,
            })
          : checkTransactionGossip(
              data,
              this.o.chain.maxTxBytes,
              (raw) => this.o.handlers.onTransaction(raw),
              this.o.chain.maxTxBytesBound,
            );
    } catch (e) {
      // A check that throws is a bug here, not the peer's fault: drop the message, keep running.
      this.log('error', 'gossip-check-failed', { topic, error: (e as Error).message });
      return TopicValidatorResult.Ignore;
    }
    this.o.metrics?.messageIn(topic, check.verdict);
    if (check.offence) this.penalize(peer, check.offence, `${topic}: ${check.reason}`);
    if (check.deliver && topic === 'consensus') this.enqueue(data);
    switch (check.verdict) {
      case 'accept':
        return TopicValidatorResult.Accept;
      case 'reject':
        return TopicValidatorResult.Reject;
      case 'ignore':
        return TopicValidatorResult.Ignore;
    }
  }

  /** Consensus messages reach the node outside gossipsub's validation call, in order. */
  private enqueue(bytes: Uint8Array): void {
    if (this.inbound.length >= MAX_INBOUND_QUEUE) {
      this.inbound.shift();
      this.o.metrics?.dropped('consensus-in');
    }
    this.inbound.push(bytes);
    if (this.draining) return;
    this.draining = true;
    setImmediate(() => {
      this.draining = false;
      const batch = this.inbound.splice(0);
      for (const b of batch) {
        if (this.stopped) return;
        try {
          this.o.handlers.onConsensus(b);
        } catch (e) {
          this.log('error', 'consensus-delivery-failed', { error: (e as Error).message });
        }
      }
    });
  }

  // ---- status and blocks: serving -------------------------------------------------------

  private myStatus(): Status {
    const { chain } = this.o;
    return {
      chainId: chain.chainId,
      genesisHash: chain.genesisHash,
      headNumber: chain.headNumber(),
      headHash: chain.headHash(),
    };
  }

  private async serveStatus(stream: Stream, peer: string): Promise<void> {
    await this.serve(stream, peer, 'status', async (request) => {
      if (request.length !== 0) throw new DecodeError('status request must be empty');
      await writeFrames(stream, [encodeStatus(this.myStatus())]);
    });
  }

  private async serveBlocks(stream: Stream, peer: string): Promise<void> {
    await this.serve(stream, peer, 'blocks', async (request) => {
      const { from, count } = decodeBlocksRequest(request);
      let bytes = 0;
      const blocks: Uint8Array[] = [];
      for (let n = from; n < from + BigInt(count); n++) {
        const b = this.o.chain.blockBytesAt(n);
        if (!b || (bytes > 0 && bytes + b.length > MAX_RESPONSE_BYTES)) break;
        bytes += b.length;
        blocks.push(b);
      }
      await writeFrames(stream, blocks);
    });
  }

  /** One request frame in, a response out, with a deadline; bad requests are penalised. */
  private async serve(
    stream: Stream,
    peer: string,
    what: string,
    respond: (request: Uint8Array) => Promise<void>,
  ): Promise<void> {
    const timer = setTimeout(
      () => stream.abort(new Error(`${what} request timed out`)),
      this.o.requestTimeoutMs ?? 10_000,
    );
    try {
      const request = await new FrameReader(stream, MAX_REQUEST_BYTES).next();
      // A stream closed before its request is a peer shutting down, not an offence.
      if (request !== null) await respond(request);
      await stream.close();
    } catch (e) {
      if (e instanceof FrameError || e instanceof DecodeError) {
        this.penalize(peer, 'bad-request', `${what}: ${e.message}`);
      } else {
        this.log('debug', 'request-failed', { peer, what, error: (e as Error).message });
      }
      stream.abort(e as Error);
    } finally {
      clearTimeout(timer);
    }
  }

  // ---- status and blocks: asking --------------------------------------------------------

  /** Opens a stream, sends one request and reads up to `maxFrames` frames, with a deadline. */
  private async request(
    peer: string,
    protocol: string,
    request: Uint8Array,
    maxFrameBytes: number,
    maxFrames: number,
    maxTotalBytes = Infinity,
  ): Promise<Uint8Array[]> {
    const signal = AbortSignal.timeout(this.o.requestTimeoutMs ?? 10_000);
    const stream = await this.node.dialProtocol(peerIdFromString(peer), protocol, { signal });
    const onAbort = () => stream.abort(new Error('request timed out'));
    signal.addEventListener('abort', onAbort, { once: true });
    try {
      await writeFrames(stream, [request], signal);
      const reader = new FrameReader(stream, maxFrameBytes);
      const frames: Uint8Array[] = [];
      let total = 0;
      for (let f = await reader.next(); f !== null; f = await reader.next()) {
        if (frames.length >= maxFrames) throw new FrameError('more frames than asked for');
        total += f.length;
        if (total > maxTotalBytes) throw new FrameError('response above its byte limit');
        frames.push(f);
      }
      await stream.close().catch(() => {});
      return frames;
    } catch (e) {
      stream.abort(e as Error);
      if (e instanceof FrameError) this.penalize(peer, 'bad-response', e.message);
      throw e;
    } finally {
      signal.removeEventListener('abort', onAbort);
    }
  }

  /** Asks a peer for its status and records it; a peer of another chain is banned. */
  async refreshStatus(peer: string): Promise<Status | null> {
    if (this.stopped || this.statusInFlight.has(peer)) return null;
    this.statusInFlight.add(peer);
    try {
      const frames = await this.request(
        peer,
        this.names.statusProtocol,
        new Uint8Array(0),
        MAX_STATUS_BYTES,
        1,
      );
      if (frames.length !== 1) throw new FrameError('no status');
      let status: Status;
      try {
        status = decodeStatus(frames[0]!);
      } catch (e) {
        this.penalize(peer, 'bad-response', `status: ${(e as Error).message}`);
        return null;
      }
      if (
        status.chainId !== this.o.chain.chainId ||
        !equalBytes(status.genesisHash, this.o.chain.genesisHash)
      ) {
        this.penalize(peer, 'wrong-network', `genesis ${toHex(status.genesisHash)}`);
        return null;
      }
      this.known.set(peer, { status, at: Date.now() });
      return status;
    } catch (e) {
      this.log('debug', 'status-failed', { peer, error: (e as Error).message });
      return null;
    } finally {
      this.statusInFlight.delete(peer);
    }
  }

  private refreshAll(): void {
    if (this.stopped || !this.libp2p) return;
    for (const p of this.connectedPeers()) void this.refreshStatus(p);
  }

  /**
   * Up to `count` sealed blocks from `from`. A peer that has fewer than it claimed has its
   * known head lowered, so sync does not ask it again in a loop.
   */
  async requestBlocks(peer: string, from: bigint, count: number): Promise<Uint8Array[]> {
    const n = Math.max(1, Math.min(count, MAX_BLOCKS_PER_REQUEST));
    // A block further on may be made under a larger limit than the head's (the DAO raised it):
    // a block may have the registry's bound; the whole response is what a server sends
    // (serveBlocks: up to 32 MiB, or one larger block).
    const frameBound = this.o.chain.maxBlockBytesBound + 64 * 1024;
    const blocks = await this.request(
      peer,
      this.names.blocksProtocol,
      encodeBlocksRequest({ from, count: n }),
      frameBound,
      n,
      MAX_RESPONSE_BYTES + frameBound,
    );
    const k = this.known.get(peer);
    if (k && blocks.length < n) {
      const has = from + BigInt(blocks.length) - 1n;
      if (has < k.status.headNumber) k.status = { ...k.status, headNumber: has };
    }
    return blocks;
  }

  // ---- bootnodes -------------------------------------------------------------------------

  /** Connects to a peer now (an address with /p2p/<peer id>). */
  async dial(address: string): Promise<void> {
    await this.node.dial(parseBootnode(address), { signal: AbortSignal.timeout(10_000) });
  }

  private dialBootnodes(): void {
    if (this.stopped || !this.libp2p) return;
    const connected = new Set(this.connectedPeers());
    for (const ma of this.bootnodes) {
      const id = ma.getComponents().find((c) => c.name === 'p2p')?.value;
      if (!id || id === this.peerId || connected.has(id) || this.penalties.isBanned(id)) continue;
      void this.node.dial(ma, { signal: AbortSignal.timeout(10_000) }).catch((e: Error) => {
        this.log('debug', 'dial-failed', { address: ma.toString(), error: e.message });
      });
    }
  }
}

/** A bootnode address must name its peer: /ip4/…/tcp/…/p2p/<peer id>. */
function parseBootnode(address: string): Multiaddr {
  let ma: Multiaddr;
  try {
    ma = multiaddr(address);
  } catch (e) {
    throw new P2pError(`bad bootnode address ${address}: ${(e as Error).message}`);
  }
  const id = ma.getComponents().find((c) => c.name === 'p2p')?.value;
  if (!id) throw new P2pError(`bootnode ${address} has no /p2p/<peer id> part`);
  try {
    peerIdFromString(id);
  } catch {
    throw new P2pError(`bootnode ${address} has an invalid peer id`);
  }
  return ma;
}
