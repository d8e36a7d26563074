/**
 * The governance module's records, in the storage of the governance system account
 * (src/state/records.ts), whose balance escrows the proposals' deposits:
 *
 *   ['count']                number of proposals (ids are 1 … count)
 *   ['prop', id]             the proposal (see Proposal)
 *   ['dep', id, depositor]   what one account deposited on a proposal
 *   ['depositors', id]       [depositor…] in first-deposit order (at most MAX_DEPOSITORS)
 *   ['vote', id, voter]      the voter's option (1 yes, 2 no, 3 abstain, 4 veto)
 *   ['due', height]          [id…] proposals whose deposit period, vote or timelock ends there
 *   ['pendingParams']        [id…] passed parameter changes waiting for the epoch's end
 *   ['rescinded', txHash]    the id of the proposal that rescinded the transaction
 */
import { asBytes, asList, asUint, rlpDecode, rlpEncode } from '../codec/rlp.js';
import { GOVERNANCE_ADDRESS } from '../primitives/system-addresses.js';
import type { Address } from '../primitives/types.js';
import { RecordStore, slot } from '../state/records.js';
import type { StateDB } from '../state/state-db.js';
import { PROPOSAL_KINDS, PROPOSAL_STATUS, type ProposalKind, type ProposalStatus } from './abi.js';

/** Most distinct depositors of one proposal: refunds walk them all. */
export const MAX_DEPOSITORS = 64;

export interface Tally {
  yes: bigint;
  no: bigint;
  abstain: bigint;
  veto: bigint;
  /** Σ amount of every lock when the tally was taken. */
  totalLocked: bigint;
}

export const EMPTY_TALLY: Tally = { yes: 0n, no: 0n, abstain: 0n, veto: 0n, totalLocked: 0n };

export interface Proposal {
  id: bigint;
  kind: ProposalKind;
  status: ProposalStatus;
  proposer: Address;
  /** The kind's ABI-encoded arguments (docs/governance.md). */
  payload: Uint8Array;
  /** Σ deposits (escrowed by the governance account until returned or sent to the treasury). */
  deposit: bigint;
  submitHeight: bigint;
  depositEnd: bigint;
  /** First block of the vote, and its last (0 before the vote). */
  votingStart: bigint;
  votingEnd: bigint;
  /** Block at whose end a passed proposal runs (timelock or scheduled change); 0 when none. */
  executeAt: bigint;
  /** Block whose end closed the vote or ran the proposal; 0 before. */
  closedAt: bigint;
  /** The tally at the vote's close (zero before). */
  tally: Tally;
  /** Why a passed proposal could not run (status failed), else empty. */
  note: string;
}

const u = (item: Parameters<typeof asUint>[0], what: string) => asUint(item, what);
const utf8 = new TextEncoder();
const fromUtf8 = new TextDecoder();

export class GovernanceStore extends RecordStore {
  constructor(state: StateDB) {
    super(state, GOVERNANCE_ADDRESS);
  }

  count(): bigint {
    const v = this.read(slot('count'));
    return v === null ? 0n : u(rlpDecode(v), 'count');
  }

  setCount(n: bigint): void {
    this.write(slot('count'), rlpEncode(n));
  }

  proposal(id: bigint): Proposal | null {
    const v = this.read(slot('prop', id));
    if (v === null) return null;
    const f = asList(rlpDecode(v), 'proposal', 17);
    const n = (i: number, what: string) => u(f[i]!, what);
    return {
      id,
      kind: PROPOSAL_KINDS[Number(n(0, 'kind'))]!,
      status: PROPOSAL_STATUS[Number(n(1, 'status'))]!,
      proposer: asBytes(f[2]!, 'proposer', 20),
      payload: asBytes(f[3]!, 'payload'),
      deposit: n(4, 'deposit'),
      submitHeight: n(5, 'submitHeight'),
      depositEnd: n(6, 'depositEnd'),
      votingStart: n(7, 'votingStart'),
      votingEnd: n(8, 'votingEnd'),
      executeAt: n(9, 'executeAt'),
      closedAt: n(10, 'closedAt'),
      tally: {
        yes: n(11, 'yes'),
        no: n(12, 'no'),
        abstain: n(13, 'abstain'),
        veto: n(14, 'veto'),
        totalLocked: n(15, 'totalLocked'),
      },
      note: fromUtf8.decode(asBytes(f[16]!, 'note')),
    };
  }

  putProposal(p: Proposal): void {
    this.write(
      slot('prop', p.id),
      rlpEncode([
        BigInt(PROPOSAL_KINDS.indexOf(p.kind)),
        BigInt(PROPOSAL_STATUS.indexOf(p.status)),
        p.proposer,
        p.payload,
        p.deposit,
        p.submitHeight,
        p.depositEnd,
        p.votingStart,
        p.votingEnd,
        p.executeAt,
        p.closedAt,
        p.tally.yes,
        p.tally.no,
        p.tally.abstain,
        p.tally.veto,
        p.tally.totalLocked,
        utf8.encode(p.note),
      ]),
    );
  }

  depositOf(id: bigint, depositor: Address): bigint {
    const v = this.read(slot('dep', id, depositor));
    return v === null ? 0n : u(rlpDecode(v), 'deposit');
  }

  setDepositOf(id: bigint, depositor: Address, amount: bigint): void {
    this.write(slot('dep', id, depositor), amount === 0n ? null : rlpEncode(amount));
  }

  depositors(id: bigint): Address[] {
    return this.readList(slot('depositors', id), 'depositors').map((x) =>
      asBytes(x, 'depositor', 20),
    );
  }

  setDepositors(id: bigint, list: Address[]): void {
    this.write(slot('depositors', id), list.length === 0 ? null : rlpEncode(list));
  }

  /** The voter's option on a proposal: 0 when it has not voted. */
  voteOf(id: bigint, voter: Address): number {
    const v = this.read(slot('vote', id, voter));
    return v === null ? 0 : Number(u(rlpDecode(v), 'vote'));
  }

  setVote(id: bigint, voter: Address, option: number): void {
    this.write(slot('vote', id, voter), rlpEncode(BigInt(option)));
  }

  dueAt(height: bigint): bigint[] {
    return this.readList(slot('due', height), 'due').map((x) => u(x, 'proposal id'));
  }

  setDueAt(height: bigint, ids: bigint[]): void {
    this.write(slot('due', height), ids.length === 0 ? null : rlpEncode(ids));
  }

  addDue(height: bigint, id: bigint): void {
    const ids = this.dueAt(height);
    if (!ids.includes(id)) this.setDueAt(height, [...ids, id]);
  }

  pendingParams(): bigint[] {
    return this.readList(slot('pendingParams'), 'pending parameters').map((x) =>
      u(x, 'proposal id'),
    );
  }

  setPendingParams(ids: bigint[]): void {
    this.write(slot('pendingParams'), ids.length === 0 ? null : rlpEncode(ids));
  }

  /** The proposal that rescinded a transaction, or 0. */
  rescindedBy(txHash: Uint8Array): bigint {
    const v = this.read(slot('rescinded', txHash));
    return v === null ? 0n : u(rlpDecode(v), 'proposal id');
  }

  setRescinded(txHash: Uint8Array, id: bigint): void {
    this.write(slot('rescinded', txHash), rlpEncode(id));
  }
}
