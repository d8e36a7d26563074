/**
 * What a node needs from its network, and an in-process implementation that connects nodes
 * living in one process (the devnet and tests). Delivery is asynchronous, like a real network,
 * so one node's handler never runs inside another's. The peer-to-peer implementation over
 * libp2p is src/p2p/network.ts.
 */

export interface PeerHandlers {
  onConsensus(bytes: Uint8Array): void;
  onTransaction(raw: Uint8Array): void;
  /** Called with transactions about to be handed to `onTransaction` (to recover ahead). */
  prepareTransactions?(raws: readonly Uint8Array[]): Promise<void>;
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
  prepareTransactions?(raws: readonly Uint8Array[]): Promise<void>;
  start(network: NodeNetwork): void;
}

/** Transaction deliveries per turn of the event loop, so timers and RPC are not starved. */
const TX_DELIVERIES_PER_TURN = 256;

interface TxDelivery {
  from: Member;
  to: Member;
  raw: Uint8Array;
}

export class LocalNetwork {
  private readonly members = new Map<string, Member>();
  // Two queues drained by one pump: consensus messages always go first, so a validator's votes
  // never wait behind a flood of gossiped transactions (its peers' rounds would time out).
  private readonly consensusQueue: (() => void)[] = [];
  private readonly txQueue: TxDelivery[] = [];
  private scheduled = false;
  private txPumping = false;

  /** Joins a node; returns the network as that node sees it. */
  join(view: PeerView, handlers: PeerHandlers): NodeNetwork & { leave(): void } {
    const me: Member = { view, handlers, connected: true };
    this.members.set(view.id, me);
    const others = () => [...this.members.values()].filter((m) => m !== me && m.connected);
    return {
      broadcastConsensus: (bytes) => {
        for (const m of others()) {
          this.consensusQueue.push(() => {
            if (m.connected && me.connected) m.handlers.onConsensus(bytes);
          });
        }
        this.schedule();
      },
      broadcastTransaction: (raw) => {
        for (const to of others()) this.txQueue.push({ from: me, to, raw });
        void this.pumpTransactions();
      },
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
        prepareTransactions: n.prepareTransactions && ((raws) => n.prepareTransactions!(raws)),
      }),
    );
    nodes.forEach((n, i) => n.start(links[i]!));
  }

  /** Resolves once every message and transaction sent so far has been delivered. */
  async settled(): Promise<void> {
    while (this.scheduled || this.txPumping || this.consensusQueue.length > 0)
      await new Promise<void>((r) => setImmediate(r));
  }

  private schedule(): void {
    if (this.scheduled) return;
    this.scheduled = true;
    setImmediate(() => this.pump());
  }

  /** One turn: every queued consensus message. */
  private pump(): void {
    this.scheduled = false;
    for (const deliver of this.consensusQueue.splice(0)) deliver();
  }

  /**
   * Transactions go in bounded batches, one per turn after the consensus messages: each
   * receiver first recovers its share ahead (worker threads), then admits it in order.
   */
  private async pumpTransactions(): Promise<void> {
    if (this.txPumping) return;
    this.txPumping = true;
    try {
      while (this.txQueue.length > 0) {
        await new Promise<void>((r) => setImmediate(r));
        const batch = this.txQueue.splice(0, TX_DELIVERIES_PER_TURN);
        const byReceiver = new Map<Member, Uint8Array[]>();
        for (const d of batch) {
          const raws = byReceiver.get(d.to) ?? [];
          raws.push(d.raw);
          byReceiver.set(d.to, raws);
        }
        await Promise.all(
          [...byReceiver].map(([m, raws]) =>
            m.handlers.prepareTransactions?.(raws).catch(() => {}),
          ),
        );
        for (const d of batch) {
          if (!d.to.connected || !d.from.connected) continue;
          try {
            d.to.handlers.onTransaction(d.raw);
          } catch {
            // The receiver's fault, not the network's: the other deliveries go on.
          }
        }
      }
    } finally {
      this.txPumping = false;
    }
  }
}
