/**
 * The rules of the governance system contract (docs/governance.md): one method per function of
 * its ABI (src/governance/abi.ts), each applying one rule and emitting the ABI's events, or
 * throwing a Revert with a reason; the caller rolls the state back on a revert. What happens when
 * a deposit period, a vote or a timelock ends is src/governance/block.ts.
 */
import { toHex } from '../crypto/bytes.js';
import type { ChainParams } from '../params/registry.js';
import { Revert } from '../primitives/errors.js';
import type { Log } from '../primitives/receipt.js';
import { GOVERNANCE_ADDRESS } from '../primitives/system-addresses.js';
import type { Address } from '../primitives/types.js';
import { isSettled } from '../staking/settlement.js';
import type { StateDB } from '../state/state-db.js';
import { EMERGENCY_KINDS, PROPOSAL_KINDS, PROPOSAL_STATUS, type ProposalKind } from './abi.js';
import { decodePayload, PayloadError, payloadProblem, type Payload } from './payload.js';
import { governanceLog } from './events.js';
import { EMPTY_TALLY, GovernanceStore, MAX_DEPOSITORS, type Proposal } from './store.js';

export interface GovernanceCall {
  state: StateDB;
  params: ChainParams;
  height: bigint;
  sender: Address;
  value: bigint;
  logs: Log[];
}

/** Kinds voted on over the emergency voting period. */
const isEmergencyVote = (kind: ProposalKind): boolean =>
  EMERGENCY_KINDS.includes(kind) || kind === 'cancel';

const decodeCancelTarget = (payload: Uint8Array): bigint => {
  const p = decodePayload('cancel', payload);
  return p.kind === 'cancel' ? p.proposalId : 0n;
};

export class GovernanceContract {
  private readonly store: GovernanceStore;

  constructor(private readonly ctx: GovernanceCall) {
    this.store = new GovernanceStore(ctx.state);
  }

  propose(kindIndex: number, payloadBytes: Uint8Array): bigint {
    const { params, height, sender, value } = this.ctx;
    const kind = PROPOSAL_KINDS[kindIndex];
    if (kind === undefined)
      throw new Revert(
        `governance: no proposal kind ${kindIndex} (0 to ${PROPOSAL_KINDS.length - 1})`,
      );
    if (value < params.minProposalDeposit)
      throw new Revert(`governance: deposit below minProposalDeposit ${params.minProposalDeposit}`);
    let payload: Payload;
    try {
      payload = decodePayload(kind, payloadBytes);
    } catch (e) {
      if (e instanceof PayloadError) throw new Revert(`governance: ${e.message}`);
      throw e;
    }
    const problem = payloadProblem(payload, params) ?? this.stateProblem(payload);
    if (problem) throw new Revert(`governance: ${problem}`);
    const id = this.store.count() + 1n;
    this.store.setCount(id);
    const p: Proposal = {
      id,
      kind,
      status: 'deposit',
      proposer: sender,
      payload: payloadBytes,
      deposit: 0n,
      submitHeight: height,
      depositEnd: height + params.depositPeriod,
      votingStart: 0n,
      votingEnd: 0n,
      executeAt: 0n,
      closedAt: 0n,
      tally: EMPTY_TALLY,
      note: '',
    };
    this.store.putProposal(p);
    this.store.addDue(p.depositEnd, id);
    this.emit('ProposalSubmitted', {
      id,
      proposer: toHex(sender),
      kind: kindIndex,
      deposit: value,
    });
    this.addDeposit(p, value);
    return id;
  }

  deposit(id: bigint): void {
    const p = this.store.proposal(id);
    if (!p) throw new Revert(`governance: no proposal ${id}`);
    if (p.status !== 'deposit')
      throw new Revert(`governance: proposal ${id} is ${p.status}, not in its deposit period`);
    if (this.ctx.value === 0n) throw new Revert('governance: a deposit of 0');
    this.addDeposit(p, this.ctx.value);
  }

  vote(id: bigint, option: number): void {
    const p = this.store.proposal(id);
    if (!p) throw new Revert(`governance: no proposal ${id}`);
    if (p.status !== 'voting')
      throw new Revert(`governance: proposal ${id} is ${p.status}, not voting`);
    if (option < 1 || option > 4)
      throw new Revert('governance: option must be 1 yes, 2 no, 3 abstain or 4 veto');
    this.store.setVote(id, this.ctx.sender, option);
    this.emit('VoteCast', { id, voter: toHex(this.ctx.sender), option });
  }

  // ---- views --------------------------------------------------------------------------------

  proposalCount(): bigint {
    return this.store.count();
  }

  getProposal(id: bigint) {
    const p = this.store.proposal(id);
    if (!p) throw new Revert(`governance: no proposal ${id}`);
    return [
      PROPOSAL_KINDS.indexOf(p.kind),
      PROPOSAL_STATUS.indexOf(p.status),
      toHex(p.proposer),
      toHex(p.payload),
      p.deposit,
      p.submitHeight,
      p.depositEnd,
      p.votingEnd,
      p.executeAt,
    ] as const;
  }

  /** The tally taken at the vote's close (zeros before: see etm_getProposal for a live one). */
  getTally(id: bigint) {
    const p = this.store.proposal(id);
    if (!p) throw new Revert(`governance: no proposal ${id}`);
    const t = p.tally;
    return [t.yes, t.no, t.abstain, t.veto, t.totalLocked] as const;
  }

  getVote(id: bigint, voter: Address): number {
    return this.store.voteOf(id, voter);
  }

  getDeposit(id: bigint, depositor: Address): bigint {
    return this.store.depositOf(id, depositor);
  }

  // ---- helpers ------------------------------------------------------------------------------

  /** Rules of a payload against the state: settled economy, rescinds, cancel targets. */
  private stateProblem(p: Payload): string | null {
    if (p.kind === 'global-settlement' && isSettled(this.ctx.state))
      return 'the staking economy is already settled';
    if (p.kind === 'rescind' && this.store.rescindedBy(p.txHash) !== 0n)
      return `transaction ${toHex(p.txHash)} was already rescinded`;
    if (p.kind === 'cancel') {
      const target = this.store.proposal(p.proposalId);
      if (!target) return `no proposal ${p.proposalId}`;
      if (!EMERGENCY_KINDS.includes(target.kind))
        return `proposal ${p.proposalId} is not an emergency proposal`;
      if (!['deposit', 'voting', 'timelock'].includes(target.status))
        return `proposal ${p.proposalId} is ${target.status}: nothing to cancel`;
    }
    return null;
  }

  private addDeposit(p: Proposal, amount: bigint): void {
    const { state, sender, height, params } = this.ctx;
    const depositors = this.store.depositors(p.id);
    const before = this.store.depositOf(p.id, sender);
    if (before === 0n) {
      if (depositors.length >= MAX_DEPOSITORS)
        throw new Revert(`governance: proposal ${p.id} has ${MAX_DEPOSITORS} depositors already`);
      this.store.setDepositors(p.id, [...depositors, sender]);
    }
    this.store.setDepositOf(p.id, sender, before + amount);
    // The call's value (already taken from the sender) is escrowed by the governance account.
    const escrow = state.getAccount(GOVERNANCE_ADDRESS);
    state.putAccount(GOVERNANCE_ADDRESS, { ...escrow, balance: escrow.balance + amount });
    let next: Proposal = { ...p, deposit: p.deposit + amount };
    this.emit('DepositAdded', {
      id: p.id,
      depositor: toHex(sender),
      amount,
      total: next.deposit,
    });
    if (next.deposit >= params.proposalDeposit) {
      const period = isEmergencyVote(p.kind) ? params.emergencyVotingPeriod : params.votingPeriod;
      let end = height + period;
      // A cancel's vote closes by the block its target would run at (cancels close first).
      if (p.kind === 'cancel') {
        const target = this.store.proposal(decodeCancelTarget(p.payload));
        if (target?.status === 'timelock' && target.executeAt < end)
          end = target.executeAt > height ? target.executeAt : height;
      }
      next = { ...next, status: 'voting', votingStart: height, votingEnd: end };
      this.store.addDue(next.votingEnd, p.id);
      this.emit('VotingStarted', { id: p.id, votingEnd: next.votingEnd });
    }
    this.store.putProposal(next);
  }

  private emit(eventName: string, args: Record<string, unknown>): void {
    this.ctx.logs.push(governanceLog(eventName, args));
  }
}
