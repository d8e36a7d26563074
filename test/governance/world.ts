/**
 * The economics test world (test/economics/world.ts) with the governance contract: calls to it
 * as transactions make them, holdings that include the governance escrow, and the tally's
 * inputs read straight from the state.
 */
import { decodeEventLog, encodeFunctionData, type Hex } from 'viem';
import { fromHex, toHex } from '../../src/crypto/bytes.js';
import { economicState } from '../../src/economics/block.js';
import { callContract } from '../../src/execution/call.js';
import { governanceModule } from '../../src/execution/modules/governance.js';
import { GOVERNANCE_ABI, PROPOSAL_KINDS, VOTE_OPTION } from '../../src/governance/abi.js';
import { encodePayload, type Payload } from '../../src/governance/payload.js';
import { GovernanceStore } from '../../src/governance/store.js';
import { ETM, WAD, type ChainParams } from '../../src/params/registry.js';
import { Revert } from '../../src/primitives/errors.js';
import { GOVERNANCE_ADDRESS } from '../../src/primitives/system-addresses.js';
import type { Address } from '../../src/primitives/types.js';
import { makeWorld, SYSTEM, TEST_PARAMS, type WorldOptions } from '../economics/world.js';

export const GOV_PARAMS: ChainParams = {
  ...TEST_PARAMS,
  minProposalDeposit: ETM,
  proposalDeposit: 10n * ETM,
  depositPeriod: 5n,
  votingPeriod: 4n,
  emergencyVotingPeriod: 3n,
  emergencyTimelock: 2n,
  quorum: (334n * WAD) / 1000n,
  threshold: WAD / 2n,
  vetoThreshold: (334n * WAD) / 1000n,
  emergencyThreshold: (667n * WAD) / 1000n,
};

export function makeGovWorld(opts: WorldOptions = {}) {
  const w = makeWorld({ params: GOV_PARAMS, ...opts });
  const gov = new GovernanceStore(w.state);
  const contract = governanceModule.contract!;

  /** A governance call as a transaction makes it; the revert reason when it reverted. */
  const govCall = (
    sender: Address,
    fn: string,
    args: unknown[],
    value = 0n,
  ): { ok: true; data: Uint8Array } | { ok: false; reason: string } => {
    const { state } = w;
    state.checkpoint();
    try {
      const a = state.getAccount(sender);
      if (a.balance < value) throw new Revert('value above balance');
      state.putAccount(sender, { ...a, balance: a.balance - value });
      const r = callContract(
        contract,
        { state, params: w.params, height: w.height() + 1n, sender, value },
        fromHex(encodeFunctionData({ abi: GOVERNANCE_ABI, functionName: fn, args } as never)),
      );
      state.commitCheckpoint();
      return { ok: true, data: r.returnData };
    } catch (e) {
      state.revert();
      if (e instanceof Revert) return { ok: false, reason: e.message };
      throw e;
    }
  };

  const propose = (sender: Address, p: Payload, deposit = GOV_PARAMS.proposalDeposit) => {
    const r = govCall(
      sender,
      'propose',
      [PROPOSAL_KINDS.indexOf(p.kind), toHex(encodePayload(p))],
      deposit,
    );
    if (!r.ok) throw new Error(r.reason);
    return BigInt(toHex(r.data));
  };

  const vote = (sender: Address, id: bigint, option: keyof typeof VOTE_OPTION) => {
    const r = govCall(sender, 'vote', [id, VOTE_OPTION[option]]);
    if (!r.ok) throw new Error(r.reason);
  };

  /** Runs blocks until (and including) `height`. */
  const until = (height: bigint) => {
    while (w.height() < height) w.block();
  };

  /** Σ balance + locked over every account of the world, the governance escrow included. */
  const holdings = () => {
    let sum = w.holdings();
    if (!SYSTEM.some((a) => toHex(a) === toHex(GOVERNANCE_ADDRESS))) {
      const g = w.state.getAccount(GOVERNANCE_ADDRESS);
      sum += g.balance + g.locked;
    }
    return sum;
  };

  /** The governance events of the blocks' work so far: [name, args]. */
  const events = () =>
    w.hookLogs
      .filter((l) => toHex(l.address) === toHex(GOVERNANCE_ADDRESS))
      .map((l) => {
        const e = decodeEventLog({
          abi: GOVERNANCE_ABI,
          data: toHex(l.data) as Hex,
          topics: l.topics.map((x) => toHex(x)) as [Hex, ...Hex[]],
        });
        return [e.eventName, e.args as Record<string, unknown>] as const;
      });

  return {
    ...w,
    gov,
    events,
    govCall,
    propose,
    vote,
    until,
    holdings,
    supply: () => economicState(w.state).supply,
    proposal: (id: bigint) => gov.proposal(id)!,
  };
}
