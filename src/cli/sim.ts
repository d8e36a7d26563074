/** `etm sim consensus`: seeded, virtual-time QBFT simulations with faults. */
import { Command } from 'commander';
import { integer } from './options.js';
import { TraceHash } from '../sim/prng.js';
import { parseFaults, randomScenario } from '../sim/consensus/generate.js';
import { runScenario, type SimResult } from '../sim/consensus/simulation.js';
import { FAULTS } from '../sim/consensus/scenario.js';
import { economyCommand } from './sim-economy.js';

export interface SimSummary {
  scenarios: number;
  validators: number;
  faults: string[];
  commits: number;
  safetyViolations: number;
  livenessFailures: number;
  doubleSigns: number;
  /** Honest engines found holding more than their bounds allow. */
  memoryViolations: number;
  maxRound: number;
  evidence: number;
  events: number;
  failingSeeds: number[];
  traceHash: string;
}

export function runConsensusSims(opts: {
  validators: number;
  seeds: number[];
  faults: string;
  heights: number;
  /** Give every scenario at least one message adversary or stranger (of the enabled faults). */
  requireAdversary?: boolean;
  onResult?: (r: SimResult) => void;
}): SimSummary {
  const faults = parseFaults(opts.faults);
  const trace = new TraceHash();
  const summary: SimSummary = {
    scenarios: 0,
    validators: opts.validators,
    faults,
    commits: 0,
    safetyViolations: 0,
    livenessFailures: 0,
    doubleSigns: 0,
    memoryViolations: 0,
    maxRound: 0,
    evidence: 0,
    events: 0,
    failingSeeds: [],
    traceHash: '',
  };
  for (const seed of opts.seeds) {
    const r = runScenario(
      randomScenario(seed, opts.validators, faults, opts.heights, {
        requireAdversary: opts.requireAdversary,
      }),
    );
    summary.scenarios++;
    summary.commits += r.commits;
    summary.safetyViolations += r.safetyViolations.length;
    summary.livenessFailures += r.livenessFailures.length;
    summary.doubleSigns += r.doubleSigns.length;
    summary.memoryViolations += r.memoryViolations.length;
    summary.maxRound = Math.max(summary.maxRound, r.maxRound);
    summary.evidence += r.evidence;
    summary.events += r.events;
    const problems =
      r.safetyViolations.length +
      r.livenessFailures.length +
      r.doubleSigns.length +
      r.memoryViolations.length;
    if (problems > 0) {
      summary.failingSeeds.push(seed);
    }
    trace.add(seed);
    for (let i = 0; i < r.traceHash.length; i += 8)
      trace.add(parseInt(r.traceHash.slice(i, i + 8), 16));
    opts.onResult?.(r);
  }
  summary.traceHash = trace.hex();
  return summary;
}

export function simCommand(): Command {
  const sim = new Command('sim').description('Deterministic simulations of the protocol');
  sim
    .command('consensus')
    .description(
      "Run seeded, virtual-time QBFT networks on the node's consensus driver with faults and " +
        'byzantine message adversaries, and check safety (every decided block imports), double ' +
        'signing, memory bounds and liveness. The same seed always gives the same trace hash.',
    )
    .option('--validators <n>', 'validators per scenario (1-100)', integer(1, 100), 4)
    .option('--seeds <s>', 'number of random scenarios (seeds 1..S)', integer(1, 1_000_000), 100)
    .option(
      '--seed <x>',
      'run only this seed (reproduces a failing scenario)',
      integer(0, 2 ** 32 - 1),
    )
    .option(
      '--faults <list>',
      `comma-separated faults, "all" or "none": ${FAULTS.join(', ')}`,
      'all',
    )
    .option(
      '--heights <h>',
      'heights every honest node must reach per scenario',
      integer(1, 100_000),
      5,
    )
    .option('--json', 'print one JSON summary object as the last line')
    .action(
      (o: {
        validators: number;
        seeds: number;
        seed?: number;
        faults: string;
        heights: number;
        json?: boolean;
      }) => {
        const seeds =
          o.seed !== undefined ? [o.seed] : Array.from({ length: o.seeds }, (_, i) => i + 1);
        let summary: SimSummary;
        try {
          summary = runConsensusSims({
            validators: o.validators,
            seeds,
            faults: o.faults,
            heights: o.heights,
            onResult: (r) => {
              const problems = [
                ...r.safetyViolations,
                ...r.doubleSigns,
                ...r.livenessFailures,
                ...r.memoryViolations,
              ];
              for (const p of problems)
                console.log(`FAIL seed ${r.seed}: ${p}  (reproduce: --seed ${r.seed})`);
              if (o.seed !== undefined && !o.json) {
                console.log(
                  `seed ${r.seed}: ${r.commits} heights, ${r.events} events, ${r.virtualTimeMs} ms virtual, ` +
                    `max round ${r.maxRound}, evidence ${r.evidence}, trace ${r.traceHash}`,
                );
              }
            },
          });
        } catch (e) {
          console.error(`etm sim consensus: ${(e as Error).message}`);
          process.exitCode = 2;
          return;
        }
        if (o.json) {
          console.log(JSON.stringify(summary));
        } else {
          console.log(
            `${summary.scenarios} scenarios, ${summary.validators} validators, faults: ${summary.faults.join(',') || 'none'}\n` +
              `commits ${summary.commits}, max round ${summary.maxRound}, evidence ${summary.evidence}\n` +
              `safety violations ${summary.safetyViolations}, double signs ${summary.doubleSigns}, ` +
              `liveness failures ${summary.livenessFailures}, memory violations ${summary.memoryViolations}\n` +
              `trace hash ${summary.traceHash}`,
          );
        }
        if (summary.failingSeeds.length > 0) process.exitCode = 1;
      },
    );
  sim.addCommand(economyCommand());
  return sim;
}
