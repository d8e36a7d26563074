import { describe, expect, it } from 'vitest';
import { MessageType } from '../../src/consensus/types.js';
import { maxFaulty } from '../../src/consensus/quorum.js';
import * as scenarios from '../../src/sim/consensus/generate.js';
import { runScenario, type SimResult } from '../../src/sim/consensus/simulation.js';

function expectClean(r: SimResult): void {
  expect(r.safetyViolations).toEqual([]);
  expect(r.doubleSigns).toEqual([]);
  expect(r.livenessFailures).toEqual([]);
  expect(r.expectationFailures).toEqual([]);
}

describe('named consensus scenarios', () => {
  it('21 validators agree on 1,000 heights', () => {
    const r = runScenario(scenarios.agreementScenario(21, 1000));
    expectClean(r);
    expect(r.minHonestHeight).toBe(1000);
    expect(r.chain).toHaveLength(1000);
    expect(r.maxRound).toBe(0);
  }, 180_000);

  it('stays live with f validators crashed', () => {
    const r = runScenario(scenarios.crashedScenario(7, maxFaulty(7)));
    expectClean(r);
    expect(r.minHonestHeight).toBeGreaterThanOrEqual(6);
    // Blocks were committed while the f nodes were down (they restart at 60 s).
    expect(r.chain.length).toBeGreaterThan(20);
  });

  it('halts with f+1 validators crashed and resumes after they restart', () => {
    const s = scenarios.crashedScenario(7, maxFaulty(7) + 1);
    const r = runScenario(s);
    expectClean(r); // includes: nothing committed during the halt window
    expect(r.minHonestHeight).toBe(6);
    expect(r.virtualTimeMs).toBeGreaterThan(60_000);
  });

  it.each(['silent', 'invalid'] as const)('a %s proposer costs its turns but nothing else', (b) => {
    const r = runScenario(scenarios.byzantineScenario(7, b, maxFaulty(7)));
    expectClean(r);
    expect(r.minHonestHeight).toBe(21);
    // The byzantine nodes (0 and 1) never get a block in: their turns move to the next round.
    expect(r.chain.every((c) => c.proposer >= 2)).toBe(true);
    expect(r.chain.some((c) => c.round > 0)).toBe(true);
  });

  it('f equivocators cause no fork and produce evidence against them only', () => {
    const r = runScenario(scenarios.byzantineScenario(7, 'equivocate', maxFaulty(7)));
    expectClean(r);
    expect(r.evidence).toBeGreaterThan(0);
    expect(r.accused).toEqual([0, 1]);
    // Every honest node's evidence reaches a block (as a transaction the proposers include).
    expect(r.evidenceMissing).toEqual([]);
    expect(r.evidenceIncluded).toBeGreaterThan(0);
  });

  it('f split-brain adversaries cannot fork the chain; f+1 can, and the checks report it', () => {
    for (const seed of [1, 2, 3]) {
      const tolerated = scenarios.byzantineScenario(7, 'fork', maxFaulty(7), seed);
      expectClean(runScenario(tolerated));
      const tooMany = scenarios.byzantineScenario(7, 'fork', maxFaulty(7) + 1, seed);
      const r = runScenario(tooMany);
      expect(r.safetyViolations.length).toBeGreaterThan(0);
      expect(r.safetyViolations[0]).toMatch(/height \d+ committed as 0x[0-9a-f]+ and 0x[0-9a-f]+/);
    }
  });

  it('a block prepared before a partition is re-proposed after it', () => {
    const r = runScenario(scenarios.preparedThenPartitionScenario());
    expectClean(r);
    const first = r.chain[0]!;
    // Proposed by node 1 in round 0, committed in a later round proposed by someone else.
    expect(first.proposer).toBe(1);
    expect(first.round).toBeGreaterThan(0);
  });

  it('an 11/10 partition of 21 halts, heals and agrees', () => {
    const r = runScenario(scenarios.splitPartitionScenario());
    expectClean(r);
    expect(r.minHonestHeight).toBe(6);
    expect(r.maxRound).toBeGreaterThan(0);
  });

  it('30% loss with duplication and reordering', () => {
    const r = runScenario(scenarios.lossyScenario(7));
    expectClean(r);
    expect(r.minHonestHeight).toBe(20);
  });

  it('the whole validator set changes while a third of the new set is offline', () => {
    const r = runScenario(scenarios.validatorSetChangeScenario(6));
    expectClean(r);
    expect(r.minHonestHeight).toBeGreaterThanOrEqual(10);
    // From height 4 on, only the new validators (6..11) propose.
    expect(r.chain.slice(3).every((c) => c.proposer >= 6)).toBe(true);
    expect(r.chain.slice(0, 3).every((c) => c.proposer < 6)).toBe(true);
  });

  it.each([MessageType.Prepare, MessageType.Commit])(
    'a crash right after sending message type %i never leads to a double sign',
    (type) => {
      const r = runScenario(scenarios.crashAfterSendScenario(type));
      expectClean(r);
      expect(r.minHonestHeight).toBe(6);
    },
  );
});
