/**
 * The governance module's work at the end of every block, after every other module's
 * (docs/governance.md): proposals whose deposit period, vote or timelock ends at this block are
 * closed — refunded, tallied, executed or sent to the treasury — in id order; at an epoch's last
 * block the parameter changes that take effect from the next epoch are written. Everything it
 * writes is read by the blocks that follow (they read the parameters from their parent's state).
 * Each closing, execution and effect appends its ABI event to `logs` (the block-work receipt's).
 */
import { equalBytes } from '../crypto/bytes.js';
import { PARAMS, type ChainParams } from '../params/registry.js';
import { ParamStore } from '../params/store.js';
import { DAO_TREASURY, GOVERNANCE_ADDRESS } from '../primitives/system-addresses.js';
import type { Address } from '../primitives/types.js';
import { epochBounds, epochOf, isEpochEnd, scheduleWithLength } from '../staking/epochs.js';
import { isSettled } from '../staking/settlement.js';
import type { StateDB } from '../state/state-db.js';
import { toHex } from '../crypto/bytes.js';
import type { Log } from '../primitives/receipt.js';
import { EMERGENCY_KINDS, PROPOSAL_KINDS, PROPOSAL_STATUS } from './abi.js';
import { governanceLog } from './events.js';
import { decodePayload, parameterChangeProblem, type Payload } from './payload.js';
import { settleEconomy } from './settle.js';
import { GovernanceStore, type Proposal } from './store.js';
import { locksOf, outcomeOf, tallyLocks } from './tally.js';

function move(state: StateDB, from: Address, to: Address, amount: bigint): void {
  if (amount === 0n || equalBytes(from, to)) return;
  const a = state.getAccount(from);
  state.putAccount(from, { ...a, balance: a.balance - amount });
  const b = state.getAccount(to);
  state.putAccount(to, { ...b, balance: b.balance + amount });
}

export function governanceEndBlock(
  state: StateDB,
  params: ChainParams,
  height: bigint,
  logs: Log[] = [],
): void {
  const g = new Governance(state, params, height, logs);
  g.closeDue();
  if (isEpochEnd(height, params)) g.applyScheduled();
}

class Governance {
  private readonly store: GovernanceStore;

  constructor(
    private readonly state: StateDB,
    private readonly params: ChainParams,
    private readonly height: bigint,
    private readonly logs: Log[],
  ) {
    this.store = new GovernanceStore(state);
  }

  closeDue(): void {
    const ids = this.store.dueAt(this.height);
    if (ids.length === 0) return;
    // Cancels first, so that one closing at its target's execution block stops it; then by id.
    const proposals = [...ids]
      .sort((a, b) => (a < b ? -1 : a > b ? 1 : 0))
      .map((id) => this.store.proposal(id)!);
    const ordered = [
      ...proposals.filter((p) => p.kind === 'cancel'),
      ...proposals.filter((p) => p.kind !== 'cancel'),
    ];
    for (const listed of ordered) {
      // Read again: a cancel closed before may have changed it.
      const p = this.store.proposal(listed.id)!;
      if (p.status === 'deposit' && p.depositEnd === this.height) {
        this.refund(p);
        this.store.putProposal({ ...p, status: 'expired', closedAt: this.height });
        this.closed(p.id);
      } else if (p.status === 'voting' && p.votingEnd === this.height) this.closeVote(p);
      else if (p.status === 'timelock' && p.executeAt === this.height) this.execute(p);
    }
    this.store.setDueAt(this.height, []);
  }

  /** The vote's tally over the locks as they are now, each counted once. */
  private closeVote(p: Proposal): void {
    const emergency = EMERGENCY_KINDS.includes(p.kind);
    const tally = tallyLocks(locksOf(this.state), (voter) => this.store.voteOf(p.id, voter));
    const outcome = outcomeOf(tally, this.params, emergency);
    const closed: Proposal = { ...p, tally, closedAt: this.height };
    if (outcome === 'no-quorum' || outcome === 'vetoed') {
      move(this.state, GOVERNANCE_ADDRESS, DAO_TREASURY, p.deposit);
      this.store.putProposal({ ...closed, status: outcome });
    } else if (outcome === 'rejected') {
      this.refund(p);
      this.store.putProposal({ ...closed, status: 'rejected' });
    } else if (emergency) {
      this.refund(p);
      const executeAt = this.height + this.params.emergencyTimelock;
      this.store.putProposal({ ...closed, status: 'timelock', executeAt });
      this.store.addDue(executeAt, p.id);
    } else {
      this.refund(p);
      this.execute(closed);
    }
    // After a passed proposal's execution logs: its status is the one execution left.
    this.closed(p.id);
  }

  /** ProposalClosed with the proposal's status and tally as they are now. */
  private closed(id: bigint): void {
    const p = this.store.proposal(id)!;
    this.logs.push(
      governanceLog('ProposalClosed', {
        id,
        status: PROPOSAL_STATUS.indexOf(p.status),
        ...p.tally,
      }),
    );
  }

  private executed(p: Proposal, status: 'executed' | 'failed', note: string): void {
    this.logs.push(
      governanceLog('ProposalExecuted', {
        id: p.id,
        kind: PROPOSAL_KINDS.indexOf(p.kind),
        status: PROPOSAL_STATUS.indexOf(status),
        note,
      }),
    );
  }

  private refund(p: Proposal): void {
    for (const d of this.store.depositors(p.id))
      move(this.state, GOVERNANCE_ADDRESS, d, this.store.depositOf(p.id, d));
  }

  private done(p: Proposal, note = ''): void {
    this.store.putProposal({ ...p, status: 'executed', executeAt: this.height, note });
    this.executed(p, 'executed', note);
  }

  private failed(p: Proposal, note: string): void {
    this.store.putProposal({ ...p, status: 'failed', executeAt: this.height, note });
    this.executed(p, 'failed', note);
  }

  /** Runs a passed proposal in this block. */
  private execute(p: Proposal): void {
    const payload: Payload = decodePayload(p.kind, p.payload);
    switch (payload.kind) {
      case 'text':
        return this.done(p);
      case 'parameter-change': {
        if (PARAMS[payload.name].takesEffect === 'next-epoch') {
          const executeAt = epochBounds(epochOf(this.height, this.params), this.params).last;
          this.store.putProposal({ ...p, status: 'scheduled', executeAt });
          this.store.setPendingParams([...this.store.pendingParams(), p.id]);
          return;
        }
        return this.applyParam(p, payload);
      }
      case 'treasury-spend': {
        const held = this.state.getAccount(DAO_TREASURY).balance;
        if (held < payload.amount)
          return this.failed(p, `the treasury holds ${held}, less than ${payload.amount}`);
        move(this.state, DAO_TREASURY, payload.to, payload.amount);
        this.logs.push(
          governanceLog('TreasurySpent', {
            id: p.id,
            to: toHex(payload.to),
            amount: payload.amount,
          }),
        );
        return this.done(p);
      }
      case 'global-settlement': {
        if (isSettled(this.state)) return this.failed(p, 'the economy was settled already');
        const r = settleEconomy(this.state, this.params, this.height);
        this.logs.push(
          governanceLog('EconomySettled', {
            id: p.id,
            locks: BigInt(r.locks),
            released: r.released,
            unbondingReleased: r.unbondingReleased,
            rewardsPaid: r.rewardsPaid,
          }),
        );
        return this.done(
          p,
          `released ${r.locks} locks (${r.released} units), ${r.unbondingReleased} units unbonding; paid ${r.rewardsPaid} units of rewards`,
        );
      }
      case 'rescind': {
        if (this.store.rescindedBy(payload.txHash) !== 0n)
          return this.failed(p, 'the transaction was rescinded already');
        const spendable = this.state.getAccount(payload.to).balance;
        const amount = payload.amount < spendable ? payload.amount : spendable;
        move(this.state, payload.to, payload.from, amount);
        this.store.setRescinded(payload.txHash, p.id);
        this.logs.push(
          governanceLog('TransactionRescinded', {
            id: p.id,
            txHash: toHex(payload.txHash),
            from: toHex(payload.from),
            to: toHex(payload.to),
            amount,
          }),
        );
        return this.done(p, `moved ${amount} units back`);
      }
      case 'cancel': {
        const target = this.store.proposal(payload.proposalId)!;
        if (target.status === 'deposit' || target.status === 'voting') this.refund(target);
        else if (target.status !== 'timelock')
          return this.failed(p, `proposal ${target.id} is ${target.status}: nothing to cancel`);
        this.store.putProposal({ ...target, status: 'cancelled', closedAt: this.height });
        this.closed(target.id);
        return this.done(p);
      }
    }
  }

  /** Writes a parameter change into the state, if it still fits the other parameters. */
  private applyParam(p: Proposal, c: Extract<Payload, { kind: 'parameter-change' }>): void {
    const store = new ParamStore(this.state);
    const current = store.params();
    const problem = parameterChangeProblem(c.name, c.value, current);
    if (problem) return this.failed(p, problem);
    const next = { ...current, [c.name]: c.value } as ChainParams;
    // A new epoch length starts a segment of the epoch schedule at the next block (this one is
    // an epoch's last: the change is scheduled for the next epoch). Never thrown from block work.
    if (c.name === 'epochBlocks' && !isEpochEnd(this.height, current))
      return this.failed(p, 'the epoch length changes only at the last block of an epoch');
    const history =
      c.name === 'epochBlocks' ? scheduleWithLength(current, this.height, c.value as bigint) : null;
    // The genesis length set again: still no schedule record.
    if (history && (history.length > 1 || current.epochHistory))
      store.setParams({ ...next, epochHistory: history });
    else store.setParams(next);
    // Blocks read the parameters from their parent's state: the next block is the first.
    this.logs.push(
      governanceLog('ParameterChanged', {
        id: p.id,
        name: c.name,
        value: typeof c.value === 'bigint' ? [c.value] : [...c.value],
        effectiveBlock: this.height + 1n,
      }),
    );
    this.done(p);
  }

  /** At an epoch's last block: the changes that take effect from the next epoch, in order. */
  applyScheduled(): void {
    const ids = this.store.pendingParams();
    if (ids.length === 0) return;
    for (const id of ids) {
      const p = this.store.proposal(id)!;
      const payload = decodePayload(p.kind, p.payload);
      if (payload.kind === 'parameter-change') this.applyParam(p, payload);
    }
    this.store.setPendingParams([]);
  }
}
