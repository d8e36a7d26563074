/** What a consensus simulation run is made of: validators, faults and their timing. */
import { MessageType } from '../../consensus/types.js';

/** Byzantine validators that attack the protocol's messages rather than its timing. */
export const ADVERSARIES = [
  'forge-certificate',
  'substitute-body',
  'hide-prepared',
  'flood',
  'replay',
] as const;
export type Adversary = (typeof ADVERSARIES)[number];

export const FAULTS = [
  'crash',
  'partition',
  'loss',
  'delay',
  'duplicate',
  'reorder',
  'silent',
  'invalid',
  'equivocate',
  'fork',
  'skew',
  'valset',
  ...ADVERSARIES,
  'stranger',
] as const;
export type Fault = (typeof FAULTS)[number];

/**
 * `fork` is a split-brain adversary: its two instances each talk only with one half of the honest
 * nodes (by index parity). Up to f of them cannot fork QBFT; f+1 can, which shows the checks bite.
 * The adversaries (src/sim/consensus/adversary.ts) are validators that run the real driver and
 * rewrite or add to what it sends; a `stranger` is a key outside every validator set.
 */
export type Byzantine = 'silent' | 'invalid' | 'equivocate' | 'fork' | Adversary;

export interface Scenario {
  name: string;
  seed: number;
  /** Nodes in the simulation; the first `validators` form the initial set, the rest follow. */
  nodes: number;
  validators: number;
  /** Height every honest node must reach. */
  heights: number;
  blockTimeMs: number;
  maxRoundTimeoutMs: number;
  /** Normal one-way delay range. */
  delayMs: [number, number];
  /** Until `healAt` the network is degraded as below; afterwards it is normal. */
  healAt: number;
  faultyNetwork: { delayMs: [number, number]; lossPpm: number; duplicatePpm: number };
  crashes: { node: number; at: number; restartAt: number }[];
  partitions: { at: number; healAt: number; groups: number[][] }[];
  byzantine: { node: number; behaviour: Byzantine }[];
  /** Nodes after the `nodes` that hold keys outside every validator set and send messages anyway. */
  strangers: number;
  /** Timer speed per node in percent (100 = exact): clock rate drift. */
  skewPct: number[];
  /** Per-node clock offset in ms: shifts when a proposer thinks a block is due. */
  clockOffsetMs: number[];
  /** Crash a node right after it broadcasts a message of this type at this height. */
  crashOnSend: { node: number; type: MessageType; height: number; restartAfterMs: number }[];
  /** From `fromHeight` on, these nodes are the validators (in this order). */
  validatorChanges: { fromHeight: number; validators: number[] }[];
  /** Drop every message matching this, whatever the time (to construct precise situations). */
  drop: { type: MessageType; height: number; round: number; until: number }[];
  /** A window in which no block may be committed (to check a halt). */
  expectHaltBetween?: [number, number];
  /** Stop after this much virtual time even if heights are not reached. */
  maxTimeMs: number;
}

export function baseScenario(
  name: string,
  seed: number,
  validators: number,
  heights: number,
): Scenario {
  return {
    name,
    seed,
    nodes: validators,
    validators,
    heights,
    blockTimeMs: 1000,
    maxRoundTimeoutMs: 16_000,
    delayMs: [5, 50],
    healAt: 0,
    faultyNetwork: { delayMs: [5, 50], lossPpm: 0, duplicatePpm: 0 },
    crashes: [],
    partitions: [],
    byzantine: [],
    strangers: 0,
    skewPct: new Array<number>(validators).fill(100),
    clockOffsetMs: new Array<number>(validators).fill(0),
    crashOnSend: [],
    validatorChanges: [],
    drop: [],
    maxTimeMs: 0,
  };
}
