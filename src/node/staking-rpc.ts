/** Staking reads for JSON-RPC, from the head state of a node's chain. */
import type { Chain } from '../chain/chain.js';
import type {
  CandidateView,
  ElectionView,
  EpochView,
  LockView,
  StakingRpcBackend,
} from '../rpc/backend.js';
import { SCALE } from '../math/fixed.js';
import { weighCandidates } from '../staking/block-hooks.js';
import { epochBounds, epochOf } from '../staking/epochs.js';
import { CANDIDATE_STATUS } from '../staking/abi.js';
import { StakingStore } from '../staking/store.js';
import { lockWeight, timeGain } from '../staking/weights.js';
import { toHex } from '../crypto/bytes.js';
import { economicsFigures, type EconomicsFigures } from '../economics/figures.js';
import { pendingRewards } from '../economics/ledger.js';

export class NodeStakingRpc implements StakingRpcBackend {
  constructor(private readonly chain: Chain) {}

  /** The store at the head, and the height the next block will have. */
  private head() {
    return { store: new StakingStore(this.chain.headState()), height: this.chain.headNumber + 1n };
  }

  epoch(epoch: bigint | null): EpochView | null {
    const { store, height } = this.head();
    const e = epoch ?? epochOf(height, this.chain.params);
    const record = store.epochRecord(e);
    if (!record) return null;
    const { first, last } = epochBounds(e, this.chain.params);
    return {
      epoch: e,
      firstBlock: first,
      lastBlock: last,
      validators: record.validators,
      operators: record.operators,
      seed: record.seed,
    };
  }

  candidates(): CandidateView[] {
    const { store, height } = this.head();
    const params = this.chain.params;
    const current = store.epochRecord(epochOf(height, params));
    const weighed = new Map(
      weighCandidates(store, params, height, current).map((w) => [toHex(w.operator), w]),
    );
    let total = 0n;
    for (const w of weighed.values()) total += w.R;
    const elected = new Set((current?.operators ?? []).map(toHex));
    return store.candidates().map((operator) => {
      const c = store.getCandidate(operator)!;
      const w = weighed.get(toHex(operator));
      const deposit = c.depositLockId === 0n ? 0n : (store.getLock(c.depositLockId)?.amount ?? 0n);
      return {
        operator,
        consensusKey: c.consensusKey,
        name: c.name,
        deposit,
        status: CANDIDATE_STATUS[c.status] ?? 'active',
        commissionBps: c.commissionBps,
        commissionMaxBps: c.commissionMaxBps,
        votes: w?.votes ?? 0n,
        X: w?.X ?? 0n,
        v: w?.v ?? 0n,
        m: w?.m ?? 0n,
        n: w?.n ?? 0n,
        R: w?.R ?? 0n,
        probability: w && total > 0n ? (w.R * SCALE) / total : 0n,
        elected: elected.has(toHex(operator)),
      };
    });
  }

  locks(owner: Uint8Array): LockView[] {
    const { store, height } = this.head();
    return store.locksOf(owner).map((id) => {
      const l = store.getLock(id)!;
      const t = timeGain(height - l.since, this.chain.params);
      return {
        id,
        owner: l.owner,
        amount: l.amount,
        candidate: l.candidate,
        since: l.since,
        t,
        x: lockWeight(l.amount, t),
        pending: pendingRewards(store, l),
        autoCompound: store.lockRewards(id).autoCompound,
      };
    });
  }

  economics(block: bigint): EconomicsFigures {
    return economicsFigures(this.chain.stateAt(block), this.chain.params, block);
  }

  election(epoch: bigint): ElectionView | null {
    const { store } = this.head();
    const r = store.epochRecord(epoch);
    if (!r) return null;
    return {
      epoch,
      electedAt: r.electedAt,
      seed: r.seed,
      ranked: r.ranked,
      drawn: r.drawn,
      filled: r.filled,
      validators: r.validators,
      operators: r.operators,
    };
  }
}
