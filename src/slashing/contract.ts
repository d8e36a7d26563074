/**
 * The rules of the evidence system contract (docs/slashing.md): one method per function of its
 * ABI (src/slashing/abi.ts). Pure and synchronous over a StateDB; a Revert leaves the state to be
 * rolled back by the caller. The module wiring is src/execution/modules/slashing.ts.
 */
import { secp256k1Recover } from '../consensus/crypto.js';
import type { Recover } from '../consensus/types.js';
import { bytesToBigint, toHex } from '../crypto/bytes.js';
import type { ChainParams } from '../params/registry.js';
import { Revert } from '../primitives/errors.js';
import type { Log } from '../primitives/receipt.js';
import type { Address } from '../primitives/types.js';
import type { StateDB } from '../state/state-db.js';
import { CANDIDATE_STATUS } from '../staking/abi.js';
import { recordServing } from '../staking/block-hooks.js';
import { epochOf } from '../staking/epochs.js';
import { stakingStores } from '../staking/stores.js';
import { SLASH_REASON } from './abi.js';
import { emit, hexAddr } from './events.js';
import { offenceOf } from './evidence.js';
import { slashDeposit } from './slash.js';
import { SlashingStore } from './store.js';

export interface EvidenceCall {
  state: StateDB;
  params: ChainParams;
  height: bigint;
  sender: Address;
  value: bigint;
  logs: Log[];
  /** Recovers signers (the native one unless a test passes another). */
  recover?: Recover;
}

export class EvidenceContract {
  private readonly store: SlashingStore;

  constructor(private readonly ctx: EvidenceCall) {
    this.store = new SlashingStore(ctx.state);
  }

  /**
   * Accepts equivocation evidence once per offence: the signer must have been a validator of
   * the offence's height with a candidacy that is not tombstoned, and the offence not older than
   * evidenceMaxAgeBlocks. Slashes slashDoubleSign of its deposit, pays reporterReward of that to
   * the sender and the rest to the treasury, and tombstones the candidate.
   */
  submitEvidence(first: Uint8Array, second: Uint8Array): void {
    const { state, params, height, sender, logs } = this.ctx;
    const chainId = this.store.chainId();
    if (chainId === null) throw new Revert('evidence: the chain id is not recorded');
    const o = offenceOf(first, second, this.ctx.recover ?? secp256k1Recover, chainId);
    if (o.height > height) throw new Revert(`evidence: height ${o.height} is in the future`);
    if (height - o.height > params.evidenceMaxAgeBlocks)
      throw new Revert(
        `evidence: offence at height ${o.height} is older than evidenceMaxAgeBlocks ${params.evidenceMaxAgeBlocks}`,
      );
    if (this.store.offenceRecordedAt(o) !== null)
      throw new Revert('evidence: this offence was already punished');
    const staking = stakingStores(state);
    const set = recordServing(staking, epochOf(o.height, params)).validators;
    if (!set.some((v) => bytesToBigint(v) === bytesToBigint(o.validator)))
      throw new Revert(`evidence: ${toHex(o.validator)} was not a validator at height ${o.height}`);
    const operator = staking.candidates.operatorOfKey(o.validator);
    const c = operator === null ? null : staking.candidates.getCandidate(operator);
    if (operator === null || c === null)
      throw new Revert(`evidence: validator ${toHex(o.validator)} has no candidacy to slash`);
    if (c.status === 'tombstoned')
      throw new Revert('evidence: the validator is already tombstoned');

    const s = slashDeposit(
      state,
      params,
      height,
      operator,
      params.slashDoubleSign,
      sender,
      params.reporterReward,
    );
    staking.candidates.putCandidate({
      ...staking.candidates.getCandidate(operator)!,
      status: 'tombstoned',
    });
    this.store.recordOffence(o, height);
    this.store.addRecent({
      ...o,
      operator,
      reporter: sender,
      slashed: s.amount,
      recordedAt: height,
    });
    this.store.addHistory(operator, {
      reason: 'double-sign',
      height,
      amount: s.amount,
      reporter: sender,
      untilEpoch: 0n,
    });
    emit(logs, 'EvidenceAccepted', {
      validator: hexAddr(o.validator),
      operator: hexAddr(operator),
      reporter: hexAddr(sender),
      height: o.height,
      round: o.round,
      msgType: Number(o.type),
    });
    emit(logs, 'Slashed', {
      operator: hexAddr(operator),
      reporter: hexAddr(sender),
      reason: SLASH_REASON.indexOf('double-sign'),
      amount: s.amount,
      reporterReward: s.reporterReward,
      toTreasury: s.toTreasury,
    });
    emit(logs, 'Tombstoned', {
      operator: hexAddr(operator),
      consensusKey: hexAddr(c.consensusKey),
    });
  }

  /** The sender's candidate, jailed for downtime, becomes active once its jail has ended. */
  unjail(): void {
    const { state, params, height, sender, logs } = this.ctx;
    const staking = stakingStores(state);
    const c = staking.candidates.getCandidate(sender);
    if (c === null) throw new Revert('evidence: not a candidate');
    if (c.status === 'tombstoned') throw new Revert('evidence: candidate is tombstoned');
    if (c.status !== 'jailed') throw new Revert('evidence: candidate is not jailed');
    const epoch = epochOf(height, params);
    if (epoch < c.jailedUntilEpoch)
      throw new Revert(
        `evidence: jailed until epoch ${c.jailedUntilEpoch}; this is epoch ${epoch}`,
      );
    staking.candidates.putCandidate({ ...c, status: 'active' });
    emit(logs, 'Unjailed', { operator: hexAddr(sender), epoch });
  }

  getEvidence(validator: Address, height: bigint, round: bigint, type: bigint) {
    const at = this.store.offenceRecordedAt({ validator, height, round, type });
    const e = this.store
      .recent()
      .find(
        (x) =>
          bytesToBigint(x.validator) === bytesToBigint(validator) &&
          x.height === height &&
          x.round === round &&
          x.type === type,
      );
    const zero = hexAddr(new Uint8Array(20));
    return [
      at !== null || e !== undefined,
      e ? hexAddr(e.reporter) : zero,
      e ? hexAddr(e.operator) : zero,
      e?.slashed ?? 0n,
      at ?? e?.recordedAt ?? 0n,
    ] as const;
  }

  getJail(operator: Address) {
    const c = stakingStores(this.ctx.state).candidates.getCandidate(operator);
    if (c === null) throw new Revert(`evidence: ${toHex(operator)} is not a candidate`);
    const hist = this.store.history(operator);
    let total = 0n;
    for (const h of hist) total += h.amount;
    return [
      CANDIDATE_STATUS.indexOf(c.status),
      c.jailedUntilEpoch,
      BigInt(hist.length),
      total,
    ] as const;
  }
}
