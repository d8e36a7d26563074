/**
 * The node's side of double-sign slashing (docs/slashing.md): equivocation evidence the consensus
 * engine raises is kept (bounded) and submitted to the evidence contract as an ordinary
 * transaction signed with the consensus key, which the mempool gossips like any other. After
 * every block the reporter drops what the chain has settled — the offence punished, its
 * validator tombstoned or without a candidacy, the evidence too old — and re-sends the rest every
 * few blocks (another node's submission may win; this node's then reverts harmlessly).
 */
import { encodeFunctionData } from 'viem';
import { fromHex, toHex } from '../crypto/bytes.js';
import { addressOf } from '../crypto/secp256k1.js';
import type { EquivocationEvidence } from '../consensus/types.js';
import { evidenceContract } from '../execution/modules/slashing.js';
import type { LogFields, LogLevel } from '../log/logger.js';
import type { ChainParams } from '../params/registry.js';
import { EVIDENCE_ABI } from '../slashing/abi.js';
import { SlashingStore } from '../slashing/store.js';
import { stakingStores } from '../staking/stores.js';
import { epochOf, isEpochEnd } from '../staking/epochs.js';
import type { StateDB } from '../state/state-db.js';
import { sendSystemCall, type SystemCallHost } from './system-call.js';

/** Evidence kept at most (the oldest is dropped first): equivocators are few, peers many. */
export const MAX_PENDING_EVIDENCE = 64;
/** Blocks between two submissions of the same evidence. */
const RESEND_BLOCKS = 5n;

export interface EvidenceReporterHost extends SystemCallHost {
  params: ChainParams;
  log(level: LogLevel, event: string, fields: LogFields, text: string): void;
}

interface Pending {
  evidence: EquivocationEvidence;
  /** Height of the next block when last sent, or null. */
  sentAt: bigint | null;
}

const keyOf = (e: EquivocationEvidence) => `${toHex(e.validator)}:${e.height}:${e.round}:${e.type}`;

export class EvidenceReporter {
  readonly address: Uint8Array;
  private readonly pending = new Map<string, Pending>();
  /** Evidence received in total, and submissions made (for tests and logs). */
  received = 0;
  submitted = 0;

  constructor(
    private readonly key: Uint8Array,
    private readonly host: EvidenceReporterHost,
  ) {
    this.address = addressOf(key);
  }

  /** Evidence kept, oldest first. */
  list(): EquivocationEvidence[] {
    return [...this.pending.values()].map((p) => p.evidence);
  }

  add(e: EquivocationEvidence): void {
    this.received++;
    const k = keyOf(e);
    if (this.pending.has(k)) return;
    if (this.pending.size >= MAX_PENDING_EVIDENCE)
      this.pending.delete(this.pending.keys().next().value as string);
    this.pending.set(k, { evidence: e, sentAt: null });
    this.afterCommit();
  }

  /** After each new head: drops settled evidence, sends what is due. */
  afterCommit(): void {
    if (this.pending.size === 0) return;
    const { state, next } = this.host.head();
    const slashing = new SlashingStore(state);
    const staking = stakingStores(state);
    for (const [k, p] of [...this.pending]) {
      const e = p.evidence;
      const offence = {
        validator: e.validator,
        height: BigInt(e.height),
        round: BigInt(e.round),
        type: BigInt(e.type),
      };
      const operator = staking.candidates.operatorOfKey(e.validator);
      const c = operator === null ? null : staking.candidates.getCandidate(operator);
      const settled =
        slashing.offenceRecordedAt(offence) !== null
          ? 'punished'
          : c === null
            ? 'no candidacy'
            : c.status === 'tombstoned'
              ? 'tombstoned'
              : next - offence.height > this.host.params.evidenceMaxAgeBlocks
                ? 'too old'
                : null;
      if (settled !== null) {
        this.pending.delete(k);
        this.host.log(
          'info',
          'evidence-settled',
          { validator: toHex(e.validator), height: e.height, outcome: settled },
          `evidence against ${toHex(e.validator)} at height ${e.height}: ${settled}`,
        );
        continue;
      }
      if (p.sentAt !== null && next - p.sentAt < RESEND_BLOCKS) continue;
      if (this.send(e)) p.sentAt = next;
    }
  }

  private send(e: EquivocationEvidence): boolean {
    const data = encodeFunctionData({
      abi: EVIDENCE_ABI,
      functionName: 'submitEvidence',
      args: [toHex(e.first), toHex(e.second)],
    });
    const out = sendSystemCall(this.host, this.key, this.address, evidenceContract, fromHex(data));
    if (out.status === 'unfunded') {
      this.host.log(
        'warn',
        'evidence-unfunded',
        { address: toHex(this.address), balance: out.balance },
        `cannot submit equivocation evidence: the consensus key's account ${toHex(this.address)} holds ${out.balance} units, less than the fee ${out.fee}; anyone may submit it with \`etm evidence submit\``,
      );
      return false;
    }
    if (out.status === 'refused') {
      this.host.log(
        'error',
        'evidence-submit-failed',
        { error: out.error.message },
        `could not submit equivocation evidence: ${out.error.message}`,
      );
      return false;
    }
    this.submitted++;
    this.host.log(
      'warn',
      'evidence-submitted',
      { validator: toHex(e.validator), height: e.height, round: e.round, type: e.type },
      `submitted evidence of equivocation by ${toHex(e.validator)} at height ${e.height} round ${e.round}`,
    );
    return true;
  }
}

/** The candidates block `height` jailed for downtime (it judged the epoch before it). */
export function jailsAt(
  state: StateDB,
  height: bigint,
  params: ChainParams,
): { operator: Uint8Array; amount: bigint; untilEpoch: bigint }[] {
  if (height < 2n || !isEpochEnd(height - 1n, params)) return [];
  const staking = stakingStores(state);
  const record = staking.elections.epochRecord(epochOf(height - 1n, params));
  const slashing = new SlashingStore(state);
  const out = [];
  for (const key of record?.validators ?? []) {
    const operator = staking.candidates.operatorOfKey(key);
    if (operator === null) continue;
    const last = slashing.history(operator).at(-1);
    if (last?.reason === 'downtime' && last.height === height)
      out.push({ operator, amount: last.amount, untilEpoch: last.untilEpoch });
  }
  return out;
}
