/**
 * Staking reads for JSON-RPC, from the state of a node's chain (the head unless told). Candidates
 * and locks are read through the staking contract's views (src/staking/contract.ts, bound as the
 * staking module binds a call), so eth_call and etm_* answer from one piece of code; the election
 * weights come from the election's own weighing.
 */
import { ZERO_ADDRESS } from '../primitives/types.js';
import { fromHex, toHex } from '../crypto/bytes.js';
import type { Chain } from '../chain/chain.js';
import { blockHash } from '../chain/block.js';
import type {
  CandidateView,
  ElectionView,
  EpochView,
  EvidenceView,
  LockView,
  StakingRpcBackend,
} from '../rpc/backend.js';
import { SCALE } from '../math/fixed.js';
import { stakingContract, stakingFunctions } from '../execution/modules/staking.js';
import { readParams } from '../params/store.js';
import type { ChainParams } from '../params/registry.js';
import { CANDIDATE_STATUS } from '../staking/abi.js';
import { weighCandidates } from '../staking/block-hooks.js';
import type { StakingContract } from '../staking/contract.js';
import { epochBounds } from '../staking/epochs.js';
import { stakingStores } from '../staking/stores.js';
import type { StateDB } from '../state/state-db.js';
import { drawPoint } from '../election/election.js';
import { economicsFigures, type EconomicsFigures } from '../economics/figures.js';
import { SlashingStore } from '../slashing/store.js';

/** Elections whose weights were recomputed, kept by epoch (each costs a block's execution). */
const ELECTION_CACHE_SIZE = 64;

/** The staking contract's views over the state after block `block`, as a call in block + 1 sees it. */
interface Views {
  contract: StakingContract;
  params: ChainParams;
  state: StateDB;
  height: bigint;
}

export class NodeStakingRpc implements StakingRpcBackend {
  /** By epoch, with the hash of the block that elected (a devnet rollback may replace it). */
  private readonly electionWeights = new Map<
    bigint,
    { hash: string; weights: ElectionView['candidates'] }
  >();

  constructor(private readonly chain: Chain) {}

  private views(block: bigint): Views {
    const state = this.chain.stateAt(block);
    const params = readParams(state);
    const height = block + 1n;
    const contract = stakingContract.bind({
      state,
      params,
      height,
      sender: ZERO_ADDRESS,
      value: 0n,
      logs: [],
    }) as StakingContract;
    return { contract, params, state, height };
  }

  epoch(epoch: bigint | null): EpochView | null {
    const { contract, params, state } = this.views(this.chain.headNumber);
    const [current] = stakingFunctions.currentEpoch.run(contract, []);
    const e = epoch ?? current;
    const record = stakingStores(state).elections.epochRecord(e);
    if (!record) return null;
    const { first, last } = epochBounds(e, params);
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
    const { contract, params, state, height } = this.views(block);
    const store = stakingStores(state);
    const [epoch] = stakingFunctions.currentEpoch.run(contract, []);
    const current = store.elections.epochRecord(epoch);
    const slashing = new SlashingStore(state);
    const weighed = new Map(
      weighCandidates(store, params, height, current).map((w) => [toHex(w.operator), w]),
    );
    let total = 0n;
    for (const w of weighed.values()) total += w.R;
    const elected = new Set((current?.operators ?? []).map(toHex));
    return stakingFunctions.getCandidates.run(contract, []).map((hex) => {
      const [key, name, deposit, bps, maxBps, status] = stakingFunctions.getCandidate.run(
        contract,
        [hex],
      );
      const w = weighed.get(hex);
      return {
        operator: fromHex(hex),
        consensusKey: fromHex(key),
        name,
        deposit,
        status: CANDIDATE_STATUS[status]!,
        commissionBps: BigInt(bps),
        commissionMaxBps: BigInt(maxBps),
        votes: w?.votes ?? 0n,
        X: w?.X ?? 0n,
        v: w?.v ?? 0n,
        m: w?.m ?? 0n,
        n: w?.n ?? 0n,
        R: w?.R ?? 0n,
        probability: w && total > 0n ? (w.R * SCALE) / total : 0n,
        elected: elected.has(hex),
        jailedUntilEpoch: store.candidates.getCandidate(fromHex(hex))!.jailedUntilEpoch,
        slashes: slashing.history(fromHex(hex)).map((h) => ({
          reason: h.reason,
          block: h.height,
          amount: h.amount,
          reporter: h.reason === 'double-sign' ? h.reporter : null,
          untilEpoch: h.reason === 'downtime' ? h.untilEpoch : null,
        })),
      };
    });
  }

  evidence(block: bigint): EvidenceView[] {
    return new SlashingStore(this.chain.stateAt(block)).recent().map((e) => ({
      validator: e.validator,
      operator: e.operator,
      height: e.height,
      round: e.round,
      type: e.type,
      reporter: e.reporter,
      slashed: e.slashed,
      block: e.recordedAt,
    }));
  }

  locks(owner: Uint8Array): LockView[] {
    const { contract } = this.views(this.chain.headNumber);
    return stakingFunctions.getLocks.run(contract, [toHex(owner)]).map((id) => {
      const [lockOwner, amount, candidate, since, t, x] = stakingFunctions.getLock.run(contract, [
        id,
      ]);
      const [pending, autoCompound] = stakingFunctions.getRewards.run(contract, [id]);
      const c = fromHex(candidate);
      return {
        id,
        owner: fromHex(lockOwner),
        amount,
        candidate: c.some((b) => b !== 0) ? c : null,
        since,
        t,
        x,
        pending,
        autoCompound,
      };
    });
  }

  economics(block: bigint): EconomicsFigures {
    // The parameters in force after `block` (the DAO may have changed the inflation schedule).
    const state = this.chain.stateAt(block);
    return economicsFigures(state, readParams(state), block);
  }

  async election(epoch: bigint): Promise<ElectionView | null> {
    const state = this.chain.headState();
    const r = stakingStores(state).elections.epochRecord(epoch);
    if (!r) return null;
    // The seats of the election: the parameters of the state it ran on.
    const params = readParams(r.electedAt === 0n ? state : this.chain.stateAt(r.electedAt - 1n));
    return {
      epoch,
      electedAt: r.electedAt,
      seed: r.seed,
      rankedSeats: params.rankedSeats,
      lotterySeats: params.lotterySeats,
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
    const block = this.chain.blockAt(electedAt);
    const hash = block ? toHex(blockHash(block)) : '';
    const cached = this.electionWeights.get(epoch);
    if (cached !== undefined && cached.hash === hash) return cached.weights;
    this.electionWeights.delete(epoch);
    const weighed = (await this.chain.reexecute(electedAt)).electionWeights ?? [];
    const weights = weighed.map((c) => ({ address: c.operator, R: c.R }));
    if (this.electionWeights.size >= ELECTION_CACHE_SIZE)
      this.electionWeights.delete(this.electionWeights.keys().next().value!);
    this.electionWeights.set(epoch, { hash, weights });
    return weights;
  }
}
