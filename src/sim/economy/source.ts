/**
 * Block sources: what decides a block besides the economy. `SeededBlocks` draws each round from
 * the proposers' uptime with the seeded PRNG and derives the RANDAO mix of a block by hashing
 * the seed with its height; `TracedBlocks` replays a real chain's rounds, mixes and fees.
 */
import { concatBytes, uint64be } from '../../crypto/bytes.js';
import { keccak256 } from '../../crypto/keccak.js';
import { Prng } from '../prng.js';
import type { BlockSource } from './engine.js';

const NO_FEES = { baseFees: 0n, tips: 0n };
const FULL = 1_000_000;
/** Rounds after which a block is taken as proposed anyway (the simulator has no liveness). */
const MAX_ROUNDS = 64;

export class SeededBlocks implements BlockSource {
  readonly roundsFromUptime = true;
  readonly feeFree = true;
  private readonly prng: Prng;
  private readonly seedBytes: Uint8Array;

  constructor(seed: number) {
    this.prng = new Prng(seed);
    this.seedBytes = concatBytes(new TextEncoder().encode('etm/sim-mix'), uint64be(seed));
  }

  round(_h: bigint, _positions: number, uptimePpm: (round: number) => number): number {
    for (let r = 0; r < MAX_ROUNDS; r++) {
      const ppm = uptimePpm(r);
      if (ppm >= FULL || this.prng.chance(ppm)) return r;
    }
    return MAX_ROUNDS;
  }

  hasReveal(): boolean {
    return true;
  }

  mix(h: bigint): Uint8Array {
    return keccak256(concatBytes(this.seedBytes, uint64be(h)));
  }

  fees(): { baseFees: bigint; tips: bigint } {
    return NO_FEES;
  }
}

/** One block of a real chain, as the economy sees it. */
export interface TracedBlock {
  round: number;
  hasReveal: boolean;
  mix: Uint8Array;
  baseFees: bigint;
  tips: bigint;
}

export class TracedBlocks implements BlockSource {
  constructor(private readonly blocks: ReadonlyMap<bigint, TracedBlock>) {}

  private at(h: bigint): TracedBlock {
    const b = this.blocks.get(h);
    if (!b) throw new RangeError(`no traced block ${h}`);
    return b;
  }

  round(h: bigint): number {
    return this.at(h).round;
  }

  hasReveal(h: bigint): boolean {
    return this.at(h).hasReveal;
  }

  mix(h: bigint): Uint8Array {
    return this.at(h).mix;
  }

  fees(h: bigint): { baseFees: bigint; tips: bigint } {
    const b = this.at(h);
    return b.baseFees === 0n && b.tips === 0n ? NO_FEES : { baseFees: b.baseFees, tips: b.tips };
  }
}
