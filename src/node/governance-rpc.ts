/** DAO reads for JSON-RPC (etm_getProposals, etm_getProposal), from the head's state. */
import type { Chain } from '../chain/chain.js';
import { equalBytes } from '../crypto/bytes.js';
import { decodePayload } from '../governance/payload.js';
import { GovernanceStore, type Proposal } from '../governance/store.js';
import { locksOf, tallyLocks } from '../governance/tally.js';
import type { Address } from '../primitives/types.js';
import type { GovernanceRpcBackend, ProposalView } from '../rpc/backend.js';

/** A native transfer as the chain holds it: who sent what to whom, and whether it succeeded. */
export interface KnownTransfer {
  from: Address;
  to: Address | null;
  value: bigint;
  ok: boolean;
}

/** Most proposals one etm_getProposals answer lists. */
const MAX_PROPOSALS_LISTED = 100;

export class NodeGovernanceRpc implements GovernanceRpcBackend {
  constructor(
    private readonly chain: Chain,
    private readonly transferOf: (hash: Uint8Array) => KnownTransfer | null,
  ) {}

  proposals(before: bigint | null, limit: number): ProposalView[] {
    const store = new GovernanceStore(this.chain.headState());
    const count = store.count();
    const out: ProposalView[] = [];
    const n = limit < MAX_PROPOSALS_LISTED ? limit : MAX_PROPOSALS_LISTED;
    for (let id = before === null || before > count + 1n ? count : before - 1n; id >= 1n; id--) {
      if (out.length >= n) break;
      out.push(this.view(store, store.proposal(id)!));
    }
    return out;
  }

  proposal(id: bigint): ProposalView | null {
    const store = new GovernanceStore(this.chain.headState());
    const p = store.proposal(id);
    return p ? this.view(store, p) : null;
  }

  private view(store: GovernanceStore, p: Proposal): ProposalView {
    let details = null;
    try {
      details = decodePayload(p.kind, p.payload);
    } catch {
      // A payload is checked when proposed; a stored one that does not decode is shown raw.
    }
    const final = p.closedAt !== 0n && p.status !== 'voting';
    const tally =
      p.status === 'voting'
        ? tallyLocks(locksOf(this.chain.headState()), (voter) => store.voteOf(p.id, voter))
        : p.tally;
    let rescindMatches: boolean | null = null;
    if (details?.kind === 'rescind') {
      const t = this.transferOf(details.txHash);
      rescindMatches =
        t === null
          ? null
          : t.ok &&
            t.to !== null &&
            equalBytes(t.from, details.from) &&
            equalBytes(t.to, details.to) &&
            t.value === details.amount;
    }
    return { proposal: p, details, tally, final, rescindMatches };
  }
}
