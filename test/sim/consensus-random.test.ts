import { describe, expect, it } from 'vitest';
import { runConsensusSims } from '../../src/cli/sim.js';
import { randomScenario } from '../../src/sim/consensus/generate.js';
import { FAULTS } from '../../src/sim/consensus/scenario.js';
import { runScenario } from '../../src/sim/consensus/simulation.js';

describe('random consensus scenarios', () => {
  // 1,000 scenarios: 100 seeds for each validator count 1..10, every fault enabled.
  for (let validators = 1; validators <= 10; validators++) {
    it(`100 random scenarios with ${validators} validator(s) keep safety and liveness`, () => {
      const seeds = Array.from({ length: 100 }, (_, i) => validators * 1000 + i);
      const s = runConsensusSims({ validators, seeds, faults: 'all', heights: 5 });
      expect(s.scenarios).toBe(100);
      expect(s.failingSeeds).toEqual([]);
      expect(s.safetyViolations).toBe(0);
      expect(s.doubleSigns).toBe(0);
      expect(s.livenessFailures).toBe(0);
      expect(s.commits).toBeGreaterThanOrEqual(500);
    }, 120_000);
  }

  it('the same seed gives the same trace; another seed another', () => {
    const a = runScenario(randomScenario(42, 7, [...FAULTS]));
    const b = runScenario(randomScenario(42, 7, [...FAULTS]));
    const c = runScenario(randomScenario(43, 7, [...FAULTS]));
    expect(a.traceHash).toBe(b.traceHash);
    expect(a.chain).toEqual(b.chain);
    expect(c.traceHash).not.toBe(a.traceHash);
  });

  it('the summary trace hash is reproducible', () => {
    const run = () =>
      runConsensusSims({ validators: 4, seeds: [1, 2, 3, 4, 5], faults: 'all', heights: 4 });
    expect(run().traceHash).toBe(run().traceHash);
  });

  it('rejects unknown faults', () => {
    expect(() =>
      runConsensusSims({ validators: 4, seeds: [1], faults: 'crash,meteor', heights: 3 }),
    ).toThrow(/unknown fault "meteor"/);
  });
});
