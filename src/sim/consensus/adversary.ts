/**
 * Byzantine behaviours that attack consensus messages. A validator adversary runs the real
 * driver like an honest node; what its driver broadcasts passes through `outgoing`, which may
 * rewrite, add to or replace it, and messages it receives pass through `observe`. Periodic
 * mischief (floods, replays, a stranger's messages) comes from `tick`.
 *
 *   forge-certificate  ROUND-CHANGEs with trimmed, duplicated or invented prepared certificates,
 *                      and re-proposals whose justification is cut short;
 *   substitute-body    its PROPOSAL reaches half the network with another body under the same
 *                      header, its ROUND-CHANGEs carry prepared headers with other bodies
 *                      (its own, or another validator's certificate);
 *   hide-prepared      as proposer of a round > 0, picks the q ROUND-CHANGEs that hide the
 *                      highest prepared block and proposes what they allow (or, at times,
 *                      proposes a new block over a justification that forbids it);
 *   flood              PREPAREs, COMMITs and ROUND-CHANGEs for rounds far ahead and for later
 *                      heights, every tick;
 *   replay             re-sends messages of heights already decided;
 *   stranger           a key outside every validator set sending every kind of message.
 */
import type { Address } from '../../primitives/types.js';
import { decodeBlock, encodeBlock } from '../../chain/block.js';
import { headerHash } from '../../chain/header.js';
import { rlpEncode } from '../../codec/rlp.js';
import { toHex } from '../../crypto/bytes.js';
import { keccak256 } from '../../crypto/keccak.js';
import {
  encodeMessage,
  signCommit,
  signPrepare,
  signProposalPayload,
  signRoundChange,
  type ConsensusMessage,
  type RoundChangeMessage,
  type SignedPayload,
} from '../../consensus/messages.js';
import { quorumSize } from '../../consensus/quorum.js';
import { MessageType, type Signer } from '../../consensus/types.js';
import type { Prng } from '../prng.js';
import { SIM_CHAIN_ID } from './block.js';
import type { Adversary } from './scenario.js';

export type AdversaryKind = Adversary | 'stranger';

export interface AdversaryHost {
  readonly signer: Signer;
  readonly rng: Prng;
  /** The height the adversary works on: its own next height (a stranger: the network's). */
  height(): number;
  validatorsAt(height: number): Address[];
  /** A new block with this node as coinbase for (height, round), or null. */
  buildBlock(height: number, round: number): Uint8Array | null;
  decode(bytes: Uint8Array): ConsensusMessage | null;
}

export interface Outgoing {
  bytes: Uint8Array;
  /** Only to recipients of this index parity; all when absent. */
  half?: 0 | 1;
}

/** Messages kept for replays. */
const REPLAY_MEMORY = 64;
/** Messages a flood, a replay or a stranger sends per tick. */
const PER_TICK = 6;

export class MessageAdversary {
  /** Round changes seen at the current height: round -> author -> message. */
  private readonly roundChanges = new Map<number, Map<string, RoundChangeMessage>>();
  private roundChangeHeight = -1;
  private readonly recent: { height: number; bytes: Uint8Array }[] = [];
  private nonce = 0;
  /** A stranger's proposal, made once per height. */
  private strangerProposal: { height: number; bytes: Uint8Array | null } | null = null;

  constructor(
    readonly kind: AdversaryKind,
    private readonly host: AdversaryHost,
  ) {}

  /** Whether the adversary acts on a timer of its own. */
  get periodic(): boolean {
    return this.kind === 'flood' || this.kind === 'replay' || this.kind === 'stranger';
  }

  observe(bytes: Uint8Array): void {
    const m = this.host.decode(bytes);
    if (!m) return;
    if (this.kind === 'replay') {
      this.recent.push({ height: m.signed.height, bytes });
      if (this.recent.length > REPLAY_MEMORY) this.recent.shift();
    }
    if (m.type === MessageType.RoundChange) this.noteRoundChange(m);
  }

  outgoing(bytes: Uint8Array): Outgoing[] {
    const m = this.host.decode(bytes);
    if (!m) return [{ bytes }];
    if (m.type === MessageType.RoundChange) this.noteRoundChange(m);
    switch (this.kind) {
      case 'forge-certificate':
        return this.forge(m, bytes);
      case 'substitute-body':
        return this.substitute(m, bytes);
      case 'hide-prepared':
        return this.hide(m, bytes);
      default:
        return [{ bytes }];
    }
  }

  tick(): Uint8Array[] {
    switch (this.kind) {
      case 'flood':
        return this.flood();
      case 'replay':
        return this.replay();
      case 'stranger':
        return this.strangerMessages();
      default:
        return [];
    }
  }

  // ---- helpers ------------------------------------------------------------------------------

  private get signer(): Signer {
    return this.host.signer;
  }

  private randomDigest(): Uint8Array {
    return keccak256(rlpEncode([this.host.rng.next(), this.nonce++]));
  }

  private noteRoundChange(m: RoundChangeMessage): void {
    const h = this.host.height();
    if (m.signed.height !== h) return;
    if (this.roundChangeHeight !== h) {
      this.roundChanges.clear();
      this.roundChangeHeight = h;
    }
    let byAuthor = this.roundChanges.get(m.signed.round);
    if (!byAuthor) {
      if (this.roundChanges.size >= 64) return;
      byAuthor = new Map();
      this.roundChanges.set(m.signed.round, byAuthor);
    }
    byAuthor.set(toHex(m.signed.author), m);
  }

  /** The same block under its header with another body (the header's root no longer matches). */
  private otherBody(block: Uint8Array): Uint8Array {
    const b = decodeBlock(block);
    const transactions =
      b.transactions.length > 1 && this.host.rng.chance(500_000)
        ? b.transactions.slice(1)
        : [...b.transactions, this.randomDigest()];
    return encodeBlock({ ...b, transactions });
  }

  private prepare(height: number, round: number, digest: Uint8Array): Uint8Array {
    return encodeMessage({
      type: MessageType.Prepare,
      signed: signPrepare(this.signer, SIM_CHAIN_ID, height, round, digest),
    });
  }

  // ---- forge-certificate --------------------------------------------------------------------

  private forge(m: ConsensusMessage, bytes: Uint8Array): Outgoing[] {
    const rng = this.host.rng;
    if (m.type === MessageType.RoundChange) {
      const { height, round } = m.signed;
      let forged: Uint8Array;
      const variant = rng.below(3);
      if (variant < 2 && m.prepares.length > 0) {
        // Trimmed to q - 1, or the first PREPARE repeated q times.
        const prepares =
          variant === 0
            ? m.prepares.slice(1)
            : Array.from({ length: m.prepares.length }, () => m.prepares[0]!);
        forged = encodeMessage({ ...m, prepares });
      } else {
        // A certificate for a block nobody prepared: its own block and only its own PREPARE.
        const preparedRound = round > 0 ? round - 1 : 0;
        const block = round > 0 ? this.host.buildBlock(height, preparedRound) : null;
        if (!block) return [{ bytes }];
        const d = keccakHeader(block);
        const own = signPrepare(this.signer, SIM_CHAIN_ID, height, preparedRound, d);
        forged = encodeMessage({
          type: MessageType.RoundChange,
          signed: signRoundChange(this.signer, SIM_CHAIN_ID, height, round, {
            round: preparedRound,
            digest: d,
          }),
          preparedBlock: block,
          prepares: rng.chance(500_000) ? [own] : [own, own, own],
        });
      }
      return [{ bytes: forged }, { bytes }];
    }
    if (m.type === MessageType.Proposal && m.signed.round > 0) {
      // The same proposal with its justification cut short: too few ROUND-CHANGEs or PREPAREs.
      const cut =
        m.prepares.length > 0 && rng.chance(500_000)
          ? { ...m, prepares: m.prepares.slice(1) }
          : { ...m, roundChanges: m.roundChanges.slice(1) };
      return [{ bytes: encodeMessage(cut) }, { bytes }];
    }
    return [{ bytes }];
  }

  // ---- substitute-body ----------------------------------------------------------------------

  private substitute(m: ConsensusMessage, bytes: Uint8Array): Outgoing[] {
    if (m.type === MessageType.Proposal) {
      const other = encodeMessage({ ...m, block: this.otherBody(m.block) });
      return [
        { bytes, half: 0 },
        { bytes: other, half: 1 },
      ];
    }
    if (m.type !== MessageType.RoundChange) return [{ bytes }];
    if (m.preparedBlock) {
      // Its own prepared certificate, with another body under the prepared header.
      return [{ bytes: encodeMessage({ ...m, preparedBlock: this.otherBody(m.preparedBlock) }) }];
    }
    // Not prepared itself: another validator's genuine certificate, with another body.
    const cert = this.observedCertificate(m.signed.round);
    if (!cert) return [{ bytes }];
    const claim = encodeMessage({
      type: MessageType.RoundChange,
      signed: signRoundChange(this.signer, SIM_CHAIN_ID, m.signed.height, m.signed.round, {
        round: cert.signed.prepared!.round,
        digest: cert.signed.prepared!.digest,
      }),
      preparedBlock: this.otherBody(cert.preparedBlock!),
      prepares: cert.prepares,
    });
    return [{ bytes: claim }, { bytes }];
  }

  private observedCertificate(below: number): RoundChangeMessage | null {
    let best: RoundChangeMessage | null = null;
    for (const [round, byAuthor] of this.roundChanges) {
      if (round > below) continue;
      for (const rc of byAuthor.values()) {
        const p = rc.signed.prepared;
        if (
          p &&
          rc.preparedBlock &&
          p.round < below &&
          (!best || p.round > best.signed.prepared!.round)
        )
          best = rc;
      }
    }
    return best;
  }

  // ---- hide-prepared ------------------------------------------------------------------------

  private hide(m: ConsensusMessage, bytes: Uint8Array): Outgoing[] {
    if (m.type !== MessageType.Proposal || m.signed.round === 0) return [{ bytes }];
    const { height, round } = m.signed;
    const q = quorumSize(this.host.validatorsAt(height).length);
    const rcs = [...(this.roundChanges.get(round)?.values() ?? [])];
    if (rcs.length < q) return [{ bytes }];
    // Unprepared first, then the lowest prepared rounds: hide the highest prepared block.
    const rank = (rc: RoundChangeMessage) => rc.signed.prepared?.round ?? -1;
    rcs.sort(
      (a, b) => rank(a) - rank(b) || (toHex(a.signed.author) < toHex(b.signed.author) ? -1 : 1),
    );
    const chosen = rcs.slice(0, q);
    let highest: RoundChangeMessage | null = null;
    for (const rc of chosen)
      if (rc.signed.prepared && (!highest || rank(rc) > rank(highest))) highest = rc;
    const justification = chosen.map((rc) => rc.signed);
    const illegitimate = highest !== null && this.host.rng.chance(333_333);
    if (highest && !illegitimate) {
      // What the chosen quorum allows: its highest prepared block (maybe not the network's).
      return [
        {
          bytes: this.proposal(
            height,
            round,
            highest.preparedBlock!,
            justification,
            highest.prepares,
          ),
        },
      ];
    }
    // A new block: legitimate when the chosen quorum reports nothing prepared, refused otherwise.
    const block = this.host.buildBlock(height, round);
    if (!block) return [{ bytes }];
    const crafted = this.proposal(height, round, block, justification, []);
    return illegitimate ? [{ bytes: crafted }, { bytes }] : [{ bytes: crafted }];
  }

  private proposal(
    height: number,
    round: number,
    block: Uint8Array,
    roundChanges: SignedPayload[],
    prepares: SignedPayload[],
  ): Uint8Array {
    const digest = keccakHeader(block);
    return encodeMessage({
      type: MessageType.Proposal,
      signed: signProposalPayload(this.signer, SIM_CHAIN_ID, height, round, digest),
      block,
      roundChanges,
      prepares,
    });
  }

  // ---- periodic -----------------------------------------------------------------------------

  private flood(): Uint8Array[] {
    const rng = this.host.rng;
    const h = this.host.height();
    const out: Uint8Array[] = [];
    for (let i = 0; i < PER_TICK; i++) {
      const digest = this.randomDigest();
      // Rounds just ahead (inside the window), far ahead, and absurdly far ahead (up to 2^40).
      const round = [
        rng.between(1, 12),
        rng.between(13, 100_000),
        rng.between(1, 2 ** 31) * 2 ** 9,
      ][i % 3]!;
      switch (i % 4) {
        case 0:
          out.push(this.prepare(h, round, digest));
          break;
        case 1:
          out.push(
            encodeMessage({
              type: MessageType.Commit,
              signed: signCommit(this.signer, SIM_CHAIN_ID, h, round, digest),
            }),
          );
          break;
        case 2:
          out.push(
            encodeMessage({
              type: MessageType.RoundChange,
              signed: signRoundChange(this.signer, SIM_CHAIN_ID, h, round, null),
              preparedBlock: null,
              prepares: [],
            }),
          );
          break;
        default:
          // Later heights, near and beyond the buffered window.
          out.push(this.prepare(h + rng.between(1, 40), rng.between(0, 3), digest));
      }
    }
    return out;
  }

  private replay(): Uint8Array[] {
    const h = this.host.height();
    const old = this.recent.filter((r) => r.height < h);
    const out: Uint8Array[] = [];
    for (let i = 0; i < PER_TICK && old.length > 0; i++)
      out.push(old[this.host.rng.below(old.length)]!.bytes);
    return out;
  }

  private strangerMessages(): Uint8Array[] {
    const rng = this.host.rng;
    const h = this.host.height();
    const out: Uint8Array[] = [];
    if (this.strangerProposal?.height !== h) {
      const block = this.host.buildBlock(h, 0);
      this.strangerProposal = {
        height: h,
        bytes: block
          ? encodeMessage({
              type: MessageType.Proposal,
              signed: signProposalPayload(this.signer, SIM_CHAIN_ID, h, 0, keccakHeader(block)),
              block,
              roundChanges: [],
              prepares: [],
            })
          : null,
      };
    }
    if (this.strangerProposal.bytes) out.push(this.strangerProposal.bytes);
    while (out.length < PER_TICK) {
      const digest = this.randomDigest();
      const height = h + rng.between(0, 3);
      const round = rng.between(0, 3);
      switch (out.length % 3) {
        case 0:
          out.push(this.prepare(height, round, digest));
          break;
        case 1:
          out.push(
            encodeMessage({
              type: MessageType.Commit,
              signed: signCommit(this.signer, SIM_CHAIN_ID, height, round, digest),
            }),
          );
          break;
        default:
          out.push(
            encodeMessage({
              type: MessageType.RoundChange,
              signed: signRoundChange(this.signer, SIM_CHAIN_ID, height, round + 1, null),
              preparedBlock: null,
              prepares: [],
            }),
          );
      }
    }
    return out;
  }
}

/** The digest consensus agrees on for a chain block: its header hash. */
function keccakHeader(block: Uint8Array): Uint8Array {
  return headerHash(decodeBlock(block).header);
}
