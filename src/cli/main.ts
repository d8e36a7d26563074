/** The `etm` command line. Each command lives in its own module and is added here. */
import { Command } from 'commander';
import { createRequire } from 'node:module';
import { devnetCommand } from './devnet.js';
import { evidenceCommand } from './evidence.js';
import { initCommand } from './init.js';
import { keysCommand } from './keys.js';
import { nodeCommand } from './node.js';
import { statusCommand } from './status.js';
import { txCommand } from './tx.js';
import { candidateCommand, epochCommand, stakeCommand } from './stake.js';
import { simCommand } from './sim.js';
import { benchCommand } from './bench.js';
import { economicsCommand, rewardsCommand } from './economics.js';
import { govCommand } from './gov.js';

const require = createRequire(import.meta.url);
const pkg = require('../../package.json') as { version: string };

function buildProgram(): Command {
  const program = new Command();
  program
    .name('etm')
    .description('ETM/P node: delegated proof of stake with QBFT finality')
    .version(pkg.version)
    .showHelpAfterError()
    .configureHelp({ sortSubcommands: true });
  program.addCommand(devnetCommand());
  program.addCommand(initCommand());
  program.addCommand(keysCommand());
  program.addCommand(nodeCommand());
  program.addCommand(statusCommand());
  program.addCommand(txCommand());
  program.addCommand(stakeCommand());
  program.addCommand(candidateCommand());
  program.addCommand(epochCommand());
  program.addCommand(evidenceCommand());
  program.addCommand(simCommand());
  program.addCommand(benchCommand());
  program.addCommand(economicsCommand());
  program.addCommand(rewardsCommand());
  program.addCommand(govCommand());
  return program;
}

try {
  await buildProgram().parseAsync(process.argv);
} catch (e) {
  // Commands report the user's mistakes as errors with a clear message; no stack traces.
  process.stderr.write(`etm: ${(e as Error).message}\n`);
  process.exitCode = 1;
}
