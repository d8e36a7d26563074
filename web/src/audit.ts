/**
 * The election audit: runs the chain's election rules (src/election/election.ts, the code the
 * node runs, with keccak from @noble/hashes) again in the browser on what etm_getElection
 * publishes — every candidate's weight R, the seed and the seat counts — and compares every
 * ranked seat, every draw (winner, w, W, z), the filled seats and the proposer order with what
 * the chain recorded; the seed must be the electing block's RANDAO mix (its mixHash).
 */
import { hexToBytes, parseUnits, type Address, type Hex } from 'viem';
import { elect, type ElectionResult } from '../../src/election/election.js';
import { checksum } from './format.js';
import type { Election } from './rpc.js';

export interface Check {
  what: string;
  ok: boolean;
  /** What was expected and what was found, when they differ. */
  detail: string;
}

export type AuditResult =
  | { status: 'genesis' }
  | { status: 'verified' | 'mismatch'; checks: Check[]; result: ElectionResult | null };

const addr = (b: Uint8Array): Address =>
  checksum('0x' + [...b].map((x) => x.toString(16).padStart(2, '0')).join(''));

function compare(what: string, expected: readonly string[], found: readonly string[]): Check {
  const ok = expected.length === found.length && expected.every((e, i) => e === found[i]);
  return {
    what,
    ok,
    detail: ok
      ? ''
      : `published ${found.join(', ') || '(none)'}; recomputed ${expected.join(', ') || '(none)'}`,
  };
}

/**
 * Audits one election. `mixHash` is the electing block's header mixHash; `previousOrder` the
 * order of the epoch before, which carries on when no candidate could be elected.
 */
export function audit(
  e: Election,
  mixHash: Hex | null,
  previousOrder: Address[] | null,
): AuditResult {
  if (e.candidates === null) return { status: 'genesis' };
  const checks: Check[] = [
    {
      what: `seed is the RANDAO mix of block ${e.electedAt}`,
      ok: mixHash !== null && mixHash.toLowerCase() === e.seed.toLowerCase(),
      detail: mixHash === null ? 'block not found' : `mixHash ${mixHash}, seed ${e.seed}`,
    },
  ];
  if (e.candidates.length === 0) {
    checks.push(
      compare('no candidate could be elected: the set carried on', previousOrder ?? [], e.order),
    );
    return { status: checks.every((c) => c.ok) ? 'verified' : 'mismatch', checks, result: null };
  }
  let result: ElectionResult;
  try {
    result = elect({
      candidates: e.candidates.map((c) => ({
        address: hexToBytes(c.address),
        weight: parseUnits(c.R, 36),
      })),
      rankedSeats: Number(e.rankedSeats),
      lotterySeats: Number(e.lotterySeats),
      seed: hexToBytes(e.seed),
    });
  } catch (error) {
    checks.push({
      what: 'the published input is a valid election',
      ok: false,
      detail: String(error),
    });
    return { status: 'mismatch', checks, result: null };
  }
  checks.push(compare('ranked seats', result.ranked.map(addr), e.ranked));
  const draw = (d: { address: Address; w: bigint; W: bigint; z: bigint }) =>
    `${d.address} w=${d.w} W=${d.W} z=${d.z}`;
  checks.push(
    compare(
      'lottery draws (winner, w, W, z)',
      result.drawn.map((d) => draw({ ...d, address: addr(d.address) })),
      e.drawn.map(draw),
    ),
  );
  checks.push(compare('filled seats', result.filled.map(addr), e.filled));
  checks.push(compare('proposer order', result.validators.map(addr), e.order));
  for (const c of checks) if (!c.ok && c.detail === '') c.detail = 'differs';
  return { status: checks.every((c) => c.ok) ? 'verified' : 'mismatch', checks, result };
}
