/**
 * The simulator's message adversaries (src/sim/consensus/adversary.ts) against the node's own
 * driver, engine and block codec: forged and trimmed certificates, substituted bodies, hidden
 * prepared blocks, floods of far rounds and heights, replays and strangers. No run may fork,
 * decide a block that does not import, double-sign, stall after the heal, or let an honest
 * engine hold more than its bounds.
 */
import { describe, expect, it } from 'vitest';
import { decodeBlock } from '../../src/chain/block.js';
import { headerHash } from '../../src/chain/header.js';
import { maxFaulty } from '../../src/consensus/quorum.js';
import { runConsensusSims } from '../../src/cli/sim.js';
import {
  adversaryScenario,
  byzantineScenario,
  parseFaults,
  strangerScenario,
} from '../../src/sim/consensus/generate.js';
import { ADVERSARIES } from '../../src/sim/consensus/scenario.js';
import { runScenario, type SimResult } from '../../src/sim/consensus/simulation.js';

function expectClean(r: SimResult): void {
  expect(r.safetyViolations).toEqual([]);
  expect(r.doubleSigns).toEqual([]);
  expect(r.livenessFailures).toEqual([]);
  expect(r.memoryViolations).toEqual([]);
}

const NEW_FAULTS = [...ADVERSARIES, 'stranger'].join(',');

describe('message adversaries', () => {
  it.each(ADVERSARIES)('f = 2 %s validators of 7 cannot fork, stall or bloat the others', (b) => {
    for (const seed of [1, 2]) {
      const r = runScenario(adversaryScenario(7, b, maxFaulty(7), seed, 7));
      expectClean(r);
      expect(r.minHonestHeight).toBe(7);
    }
  });

  it('strangers outside the validator set change nothing', () => {
    const r = runScenario(strangerScenario(4, 2));
    expectClean(r);
    expect(r.minHonestHeight).toBe(12);
    expect(r.maxRound).toBe(0);
  });

  it('are part of --faults all', () => {
    expect(parseFaults('all')).toEqual(expect.arrayContaining([...ADVERSARIES, 'stranger']));
  });
});

describe('the checker bites', () => {
  it('a decided block that does not import is a safety violation', () => {
    // Nodes that accept every block let the invalid proposers' blocks be decided.
    const r = runScenario(byzantineScenario(4, 'invalid', 1), {
      validateBlock: () => ({ valid: true }),
    });
    expect(r.safetyViolations.length).toBeGreaterThan(0);
    expect(r.safetyViolations[0]).toMatch(
      /decided a block at height \d+ that does not import: block marked invalid/,
    );
  });

  it('without the body check, a substituted body is decided and caught by the import check', () => {
    // A codec that, like a bare header hash, does not bind the body, and nodes that trust it.
    const headerOnly = {
      inspect: (bytes: Uint8Array) => {
        const b = decodeBlock(bytes);
        return {
          digest: headerHash(b.header),
          height: Number(b.header.number),
          round: b.header.extra.proposalRound,
        };
      },
    };
    let violations: string[] = [];
    for (let seed = 1; seed <= 5 && violations.length === 0; seed++) {
      const r = runScenario(adversaryScenario(4, 'substitute-body', 1, seed, 8), {
        codec: headerOnly,
        validateBlock: () => ({ valid: true }),
      });
      violations = r.safetyViolations;
    }
    expect(violations.join('\n')).toMatch(
      /does not import: malformed block: transactions root mismatch/,
    );
  });
});

describe('1,000 random scenarios with message adversaries and strangers', () => {
  // Every scenario has at least one adversary or stranger, on top of random network faults off.
  for (const validators of [4, 5, 6, 7]) {
    it(`250 scenarios with ${validators} validators keep safety, liveness and memory bounds`, () => {
      const seeds = Array.from({ length: 250 }, (_, i) => 50_000 + validators * 1000 + i);
      const s = runConsensusSims({
        validators,
        seeds,
        faults: NEW_FAULTS,
        heights: 3,
        requireAdversary: true,
      });
      expect(s.scenarios).toBe(250);
      expect(s.failingSeeds).toEqual([]);
      expect(s.safetyViolations + s.doubleSigns + s.livenessFailures + s.memoryViolations).toBe(0);
      expect(s.commits).toBeGreaterThanOrEqual(750);
    }, 180_000);
  }
});
