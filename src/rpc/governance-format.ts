/** JSON of the DAO's proposals (etm_getProposals, etm_getProposal; docs/rpc.md). */
import { toChecksumAddress } from '../crypto/address.js';
import { toHex } from '../crypto/bytes.js';
import { WAD } from '../params/registry.js';
import type { Payload } from '../governance/payload.js';
import type { ProposalView } from './backend.js';
import { fixed, type JsonObject } from './format.js';

const quantity = (x: bigint) => '0x' + x.toString(16);

function formatDetails(d: Payload | null): JsonObject | null {
  if (d === null) return null;
  switch (d.kind) {
    case 'text':
      return { text: d.text };
    case 'parameter-change':
      return {
        name: d.name,
        value: typeof d.value === 'bigint' ? d.value.toString() : d.value.map((v) => v.toString()),
      };
    case 'treasury-spend':
      return { to: toChecksumAddress(d.to), amount: quantity(d.amount) };
    case 'global-settlement':
      return {};
    case 'rescind':
      return {
        txHash: toHex(d.txHash),
        from: toChecksumAddress(d.from),
        to: toChecksumAddress(d.to),
        amount: quantity(d.amount),
      };
    case 'cancel':
      return { proposalId: quantity(d.proposalId) };
  }
}

/** A WAD fraction (10^18 = 1) as fixed() prints 36-decimal ones. */
const share = (part: bigint, whole: bigint) =>
  whole === 0n ? null : fixed((part * WAD * WAD) / whole);

export function formatProposal(v: ProposalView): JsonObject {
  const p = v.proposal;
  const t = v.tally;
  const turnout = t.yes + t.no + t.abstain + t.veto;
  const at = (h: bigint) => (h === 0n ? null : quantity(h));
  const out: JsonObject = {
    id: quantity(p.id),
    kind: p.kind,
    status: p.status,
    proposer: toChecksumAddress(p.proposer),
    deposit: quantity(p.deposit),
    payload: toHex(p.payload),
    details: formatDetails(v.details),
    timeline: {
      submitted: quantity(p.submitHeight),
      depositEnd: quantity(p.depositEnd),
      votingStart: at(p.votingStart),
      votingEnd: at(p.votingEnd),
      executeAt: at(p.executeAt),
      closedAt: at(p.closedAt),
    },
    tally: {
      final: v.final,
      yes: quantity(t.yes),
      no: quantity(t.no),
      abstain: quantity(t.abstain),
      veto: quantity(t.veto),
      totalLocked: quantity(t.totalLocked),
    },
    turnout: share(turnout, t.totalLocked),
    note: p.note === '' ? null : p.note,
  };
  if (v.details?.kind === 'rescind') out.rescindMatches = v.rescindMatches;
  return out;
}
