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

export class LocalNetwork {
  private readonly members = new Map<string, Member>();

  /** Joins a node; returns the network as that node sees it. */
  join(view: PeerView, handlers: PeerHandlers): NodeNetwork & { leave(): void } {
    const me: Member = { view, handlers, connected: true };
    this.members.set(view.id, me);
    const others = () => [...this.members.values()].filter((m) => m !== me && m.connected);
    const deliver = (fn: (m: Member) => void) => {
      for (const m of others()) {
        setImmediate(() => {
          if (m.connected && me.connected) fn(m);
        });
      }
    };
    return {
      broadcastConsensus: (bytes) => deliver((m) => m.handlers.onConsensus(bytes)),
      broadcastTransaction: (raw) => deliver((m) => m.handlers.onTransaction(raw)),
      peers: () => others().map((m) => m.view),
      leave: () => {
        me.connected = false;
        this.members.delete(view.id);
      },
    };
  }
}
