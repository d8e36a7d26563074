/**
 * What a node needs from its network, and an in-process implementation that connects nodes
 * living in one process (the devnet and tests). Delivery is asynchronous, like a real network,
 * so one node's handler never runs inside another's. The peer-to-peer implementation over
 * libp2p is src/p2p/network.ts.
 */

export interface PeerHandlers {
  onConsensus(bytes: Uint8Array): void;
  onTransaction(raw: Uint8Array): void;
}

/** A peer to sync committed blocks from. */
export interface PeerView {
  readonly id: string;
  /** The peer's head as last heard (-1 when unknown or gone). */
  headNumber(): bigint;
  /** Up to `count` consecutive sealed blocks from `from`; fewer when the peer has fewer. */
  blocks(from: bigint, count: number): Promise<Uint8Array[]>;
}

/** Why a peer is blamed (see src/p2p/penalties.ts). */
export type PeerOffence = 'invalid-block' | 'bad-response';

export interface NodeNetwork {
  broadcastConsensus(bytes: Uint8Array): void;
  broadcastTransaction(raw: Uint8Array): void;
  /** Peers to sync blocks from. */
  peers(): PeerView[];
  /** A peer served data that failed the chain's checks. */
  penalize?(peer: string, offence: PeerOffence, reason: string): void;
}

interface Member {
  view: PeerView;
  handlers: PeerHandlers;
  connected: boolean;
}

/** What LocalNetwork needs of a node to connect and start it. */
export interface LocalNode {
  peerView(): PeerView;
  receiveConsensus(bytes: Uint8Array): void;
  receiveTransaction(raw: Uint8Array): void;
  start(network: NodeNetwork): void;
}

/** Transaction deliveries per turn of the event loop, so timers and RPC are not starved. */
const TX_DELIVERIES_PER_TURN = 64;

export class LocalNetwork {
  private readonly members = new Map<string, Member>();
  // Two queues drained by one pump: consensus messages always go first, so a validator's votes
  // never wait behind a flood of gossiped transactions (its peers' rounds would time out).
  private readonly consensusQueue: (() => void)[] = [];
  private readonly txQueue: (() => void)[] = [];
  private scheduled = false;

  /** Joins a node; returns the network as that node sees it. */
  join(view: PeerView, handlers: PeerHandlers): NodeNetwork & { leave(): void } {
    const me: Member = { view, handlers, connected: true };
    this.members.set(view.id, me);
    const others = () => [...this.members.values()].filter((m) => m !== me && m.connected);
    const deliver = (queue: (() => void)[], fn: (m: Member) => void) => {
      for (const m of others()) {
        queue.push(() => {
          if (m.connected && me.connected) fn(m);
        });
      }
      this.schedule();
    };
    return {
      broadcastConsensus: (bytes) =>
        deliver(this.consensusQueue, (m) => m.handlers.onConsensus(bytes)),
      broadcastTransaction: (raw) => deliver(this.txQueue, (m) => m.handlers.onTransaction(raw)),
      peers: () => others().map((m) => m.view),
      leave: () => {
        me.connected = false;
        this.members.delete(view.id);
      },
    };
  }

  /** Joins every node, then starts each on the network as it sees it. */
  startNodes(nodes: readonly LocalNode[]): void {
    const links = nodes.map((n) =>
      this.join(n.peerView(), {
        onConsensus: (b) => n.receiveConsensus(b),
        onTransaction: (raw) => n.receiveTransaction(raw),
      }),
    );
    nodes.forEach((n, i) => n.start(links[i]!));
  }

  private schedule(): void {
    if (this.scheduled) return;
    this.scheduled = true;
    setImmediate(() => this.pump());
  }

  /** One turn: every queued consensus message, then a bounded batch of transactions. */
  private pump(): void {
    this.scheduled = false;
    for (const deliver of this.consensusQueue.splice(0)) deliver();
    for (const deliver of this.txQueue.splice(0, TX_DELIVERIES_PER_TURN)) deliver();
    if (this.consensusQueue.length > 0 || this.txQueue.length > 0) this.schedule();
  }
}
