/**
 * `etm sim economy`: runs economic scenarios on the chain's own rules (src/sim/economy), sweeps
 * a parameter, and computes committee-capture risk; writes CSV, JSON, SVG charts and an HTML
 * report. A progress bar goes to stderr on runs over a few seconds. The work is done in
 * sim-economy-actions.ts, loaded when a command runs.
 */
import { Command } from 'commander';
import { integer } from './options.js';

export function economyCommand(): Command {
  const economy = new Command('economy').description(
    "Economic simulations on the chain's own economics, staking and election rules: agents " +
      '(holders, APY-feedback stakers, candidates, whales, sybils, cartels, vote hoppers) epoch ' +
      'by epoch, parameter sweeps and committee-capture risk. Deterministic by seed. See docs/simulation.md.',
  );
  const common = (c: Command) =>
    c
      .option('--out <dir>', 'directory for CSV, JSON, SVG charts and report.html')
      .option('--epochs <n>', "override the scenario's epochs", integer(1, 10_000_000))
      .option('--seed <n>', "override the scenario's seed", integer(0, 2 ** 32 - 1))
      .option('--no-charts', 'write CSV and JSON only')
      .option('--quiet', 'no progress bar');
  common(
    economy
      .command('run')
      .description('Run a scenario file (JSON or YAML) and print its summary')
      .argument('<scenario>', 'scenario file'),
  ).action(async (...args: unknown[]) =>
    ((await import('./sim-economy-actions.js')).runAction as (...a: unknown[]) => void)(...args),
  );
  common(
    economy
      .command('sweep')
      .description(
        'Run a scenario once per value of one parameter (u, lotterySeats, delta, i, tMax, or any ' +
          'chain parameter) and show the outcomes side by side',
      )
      .argument('<scenario>', 'scenario file')
      .requiredOption(
        '--param <name>',
        'parameter: u, lotterySeats, rankedSeats, delta, i, tMax, …',
      )
      .requiredOption('--values <list>', 'comma-separated values, e.g. 0.5,0.75,1'),
  ).action(async (...args: unknown[]) =>
    ((await import('./sim-economy-actions.js')).sweepAction as (...a: unknown[]) => void)(...args),
  );
  economy
    .command('capture')
    .description(
      'Committee-capture risk: the probability that a coalition with stake share s holds ≥ f+1 ' +
        'or ≥ 2f+1 seats in an epoch and within a year, analytic and by Monte Carlo on the ' +
        "chain's election, for seat mixes (ranked+lottery) and exponents u",
    )
    .option('--shares <list>', 'coalition stake shares', '0.1,0.25,0.33')
    .option('--mixes <list>', 'seat mixes ranked+lottery', '21+0,15+6,0+21')
    .option('--u <list>', 'exponents u', '0.75')
    .option('--honest <n>', 'honest candidates sharing the rest equally', integer(1, 10_000), 50)
    .option(
      '--trials <n>',
      'Monte Carlo elections per case (0: analytic only)',
      integer(0, 10_000_000),
      2000,
    )
    .option('--epochs-per-year <n>', 'epochs in a year', integer(1, 100_000_000), 8760)
    .option('--seed <n>', 'Monte Carlo seed', integer(0, 2 ** 32 - 1), 1)
    .option('--out <dir>', 'directory for CSV, JSON, SVG charts and report.html')
    .option('--no-charts', 'write CSV and JSON only')
    .option('--quiet', 'no progress bar')
    .action(async (...args: unknown[]) =>
      ((await import('./sim-economy-actions.js')).captureAction as (...a: unknown[]) => void)(
        ...args,
      ),
    );
  return economy;
}
