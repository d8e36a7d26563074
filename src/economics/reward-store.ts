/**
 * The rewards module's records. They live beside the staking module's own (src/state/records.ts),
 * under tags of their own: a lock's in the storage of the locks account, the rest in the staking
 * account's:
 *
 *   ['econ']                economic totals and accumulators (see EconomicState)
 *   ['lockEcon', id]        a lock's rewards bookkeeping (see LockRewards), locks account
 *   ['candEcon', operator]  a candidate's voter accumulator and total vote weight
 */
import { asBytes, asList, asUint, rlpDecode, rlpEncode } from '../codec/rlp.js';
import { LOCKS_ADDRESS, STAKING_ADDRESS } from '../primitives/system-addresses.js';
import type { Address } from '../primitives/types.js';
import { AccountRecords, RecordStore, slot } from '../state/records.js';
import type { StateDB } from '../state/state-db.js';

/** Economic totals of the chain (PROTOCOL §2 "global economic state", §7). */
export interface EconomicState {
  /** Total supply B: every balance, lock, unbonding entry and system account. */
  supply: bigint;
  /** Total locked S: the amounts of all locks (unbonding entries excluded). */
  totalLocked: bigint;
  /** Fraction of a unit of mint carried to the next block (10^-36 units). */
  mintCarry: bigint;
  /** Staking reward per locked unit, scaled by 10^36, and its division remainder. */
  stakeAcc: bigint;
  stakeRem: bigint;
  /** Bonus released from the pool since the last epoch payout, not yet paid. */
  bonusPending: bigint;
  /**
   * Bonus released since genesis and not returned: paid, or pending. What an epoch's payout
   * leaves (forfeits, odd units) is subtracted again, so it is never counted twice.
   */
  bonusReleased: bigint;
  /** Units minted since genesis. */
  minted: bigint;
  /** Units minted by the last block. */
  lastMinted: bigint;
  /** The most the bonus pool ever releases: its genesis balance (value sent to it later is not). */
  bonusCap: bigint;
  /**
   * Seed of the epoch's bonus draw (32 bytes): the RANDAO mix after its first block that carries
   * a reveal by another proposer than the previous epoch's last block's; taken at `bonusSeedAt`.
   */
  bonusSeed: Uint8Array;
  bonusSeedAt: bigint;
  /** The proposer (consensus key) of the last block of the previous epoch; empty at genesis. */
  lastEpochProposer: Uint8Array;
}

/** A lock's reward bookkeeping. */
export interface LockRewards {
  autoCompound: boolean;
  /** stakeAcc when the lock was last settled. */
  stakeSnap: bigint;
  /**
   * Its vote bucket's voter reward per unit of amount (×10^36) when the lock was last settled
   * (src/economics/ledger.ts); 0 for a lock that does not vote.
   */
  voteSnap: bigint;
  /** Settled rewards not yet claimed (held by the staking reward pool). */
  owed: bigint;
}

/** A candidate's share of its proposer rewards among its voters (F1 style). */
export interface CandidateRewards {
  acc: bigint;
  rem: bigint;
  /**
   * Σ amount·t over its vote buckets (src/staking/lock-store.ts): the sum of its voters' weights
   * x = t·T, each lock weighed with its bucket's t.
   */
  totalWeight: bigint;
}

const u = (item: Parameters<typeof asUint>[0], what: string) => asUint(item, what);

/** Economic totals, and the reward bookkeeping of each lock and each candidate. */
export class RewardStore extends RecordStore {
  /** A lock's bookkeeping sits beside the lock, in the locks account. */
  private readonly ledger: AccountRecords;

  constructor(state: StateDB) {
    super(state, STAKING_ADDRESS);
    this.ledger = new AccountRecords(state, LOCKS_ADDRESS);
  }

  economics(): EconomicState {
    const v = this.read(slot('econ'));
    if (v === null)
      return {
        supply: 0n,
        totalLocked: 0n,
        mintCarry: 0n,
        stakeAcc: 0n,
        stakeRem: 0n,
        bonusPending: 0n,
        bonusReleased: 0n,
        minted: 0n,
        lastMinted: 0n,
        bonusCap: 0n,
        bonusSeed: new Uint8Array(32),
        bonusSeedAt: 0n,
        lastEpochProposer: new Uint8Array(0),
      };
    const items = asList(rlpDecode(v), 'economics', 13);
    const f = items.slice(0, 10).map((x) => u(x, 'economics field'));
    return {
      supply: f[0]!,
      totalLocked: f[1]!,
      mintCarry: f[2]!,
      stakeAcc: f[3]!,
      stakeRem: f[4]!,
      bonusPending: f[5]!,
      bonusReleased: f[6]!,
      minted: f[7]!,
      lastMinted: f[8]!,
      bonusCap: f[9]!,
      bonusSeed: asBytes(items[10], 'bonusSeed', 32),
      bonusSeedAt: u(items[11], 'bonusSeedAt'),
      lastEpochProposer: asBytes(items[12], 'lastEpochProposer'),
    };
  }

  setEconomics(e: EconomicState): void {
    this.write(
      slot('econ'),
      rlpEncode([
        e.supply,
        e.totalLocked,
        e.mintCarry,
        e.stakeAcc,
        e.stakeRem,
        e.bonusPending,
        e.bonusReleased,
        e.minted,
        e.lastMinted,
        e.bonusCap,
        e.bonusSeed,
        e.bonusSeedAt,
        e.lastEpochProposer,
      ]),
    );
  }

  lockRewards(id: bigint): LockRewards {
    const v = this.ledger.read(slot('lockEcon', id));
    if (v === null) return { autoCompound: false, stakeSnap: 0n, voteSnap: 0n, owed: 0n };
    const [auto, stakeSnap, voteSnap, owed] = asList(rlpDecode(v), 'lock rewards', 4);
    return {
      autoCompound: u(auto, 'autoCompound') === 1n,
      stakeSnap: u(stakeSnap, 'stakeSnap'),
      voteSnap: u(voteSnap, 'voteSnap'),
      owed: u(owed, 'owed'),
    };
  }

  setLockRewards(id: bigint, r: LockRewards | null): void {
    this.ledger.write(
      slot('lockEcon', id),
      r === null ? null : rlpEncode([r.autoCompound ? 1n : 0n, r.stakeSnap, r.voteSnap, r.owed]),
    );
  }

  candidateRewards(operator: Address): CandidateRewards {
    const v = this.read(slot('candEcon', operator));
    if (v === null) return { acc: 0n, rem: 0n, totalWeight: 0n };
    const [acc, rem, total] = asList(rlpDecode(v), 'candidate rewards', 3);
    return { acc: u(acc, 'acc'), rem: u(rem, 'rem'), totalWeight: u(total, 'totalWeight') };
  }

  setCandidateRewards(operator: Address, r: CandidateRewards): void {
    this.write(slot('candEcon', operator), rlpEncode([r.acc, r.rem, r.totalWeight]));
  }
}
