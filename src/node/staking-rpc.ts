/** Staking reads for JSON-RPC, from the state of a node's chain (the head unless told). */
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
import { lockWeight, timeGain } from '../staking/weights.js';
import { toHex } from '../crypto/bytes.js';
import { drawPoint } from '../election/election.js';
import { economicsFigures, type EconomicsFigures } from '../economics/figures.js';
import { RewardLedger } from '../economics/ledger.js';
import { stakingStores } from '../staking/stores.js';
import { readParams } from '../params/store.js';

/** Elections whose weights were recomputed, kept by epoch (each costs a block's execution). */
const ELECTION_CACHE_SIZE = 64;

export class NodeStakingRpc implements StakingRpcBackend {
  private readonly electionWeights = new Map<bigint, ElectionView['candidates']>();

  constructor(private readonly chain: Chain) {}

  /** The store at the head, and the height the next block will have. */
  private head() {
    return { store: stakingStores(this.chain.headState()), height: this.chain.headNumber + 1n };
  }

  epoch(epoch: bigint | null): EpochView | null {
    const { store, height } = this.head();
    const e = epoch ?? epochOf(height, this.chain.params);
    const record = store.elections.epochRecord(e);
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

  candidates(block: bigint): CandidateView[] {
    const store = stakingStores(this.chain.stateAt(block));
    const height = block + 1n;
    const params = this.chain.params;
    const current = store.elections.epochRecord(epochOf(height, params));
    const weighed = new Map(
      weighCandidates(store, params, height, current).map((w) => [toHex(w.operator), w]),
    );
    let total = 0n;
    for (const w of weighed.values()) total += w.R;
    const elected = new Set((current?.operators ?? []).map(toHex));
    return store.candidates.operators().map((operator) => {
      const c = store.candidates.getCandidate(operator)!;
      const w = weighed.get(toHex(operator));
      const deposit =
        c.depositLockId === 0n ? 0n : (store.locks.getLock(c.depositLockId)?.amount ?? 0n);
      return {
        operator,
        consensusKey: c.consensusKey,
        name: c.name,
        deposit,
        status: c.status,
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
    const ledger = new RewardLedger(this.chain.headState(), this.chain.params, height);
    return store.locks.locksOf(owner).map((id) => {
      const l = store.locks.getLock(id)!;
      const t = timeGain(height - l.since, this.chain.params);
      return {
        id,
        owner: l.owner,
        amount: l.amount,
        candidate: l.candidate,
        since: l.since,
        t,
        x: lockWeight(l.amount, t),
        ...ledger.rewardsOf(l),
      };
    });
  }

  economics(block: bigint): EconomicsFigures {
    // The parameters in force after `block` (the DAO may have changed the inflation schedule).
    const state = this.chain.stateAt(block);
    return economicsFigures(state, readParams(state), block);
  }

  async election(epoch: bigint): Promise<ElectionView | null> {
    const { store } = this.head();
    const r = store.elections.epochRecord(epoch);
    if (!r) return null;
    return {
      epoch,
      electedAt: r.electedAt,
      seed: r.seed,
      rankedSeats: this.chain.params.rankedSeats,
      lotterySeats: this.chain.params.lotterySeats,
      candidates: r.electedAt === 0n ? null : await this.weightsOfElection(epoch, r.electedAt),
      ranked: r.ranked,
      drawn: r.drawn.map((d, i) => ({ ...d, z: drawPoint(r.seed, i, d.W) })),
      filled: r.filled,
      validators: r.validators,
      operators: r.operators,
    };
  }

  /**
   * The weights the election at block `electedAt` used. They are read in the middle of that
   * block's transition (later steps of the block may change the locks), so the block is
   * executed again on its parent's state, and the result kept.
   */
  private async weightsOfElection(
    epoch: bigint,
    electedAt: bigint,
  ): Promise<ElectionView['candidates']> {
    const cached = this.electionWeights.get(epoch);
    if (cached !== undefined) return cached;
    const weighed = (await this.chain.reexecute(electedAt)).electionWeights ?? [];
    const weights = weighed.map((c) => ({ address: c.operator, R: c.R }));
    if (this.electionWeights.size >= ELECTION_CACHE_SIZE)
      this.electionWeights.delete(this.electionWeights.keys().next().value!);
    this.electionWeights.set(epoch, weights);
    return weights;
  }
}
