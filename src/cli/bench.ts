/** `etm bench`: the benchmark suite (see BENCHMARKS.md). */
import { Command, InvalidArgumentError } from 'commander';
import { integer } from './options.js';
import { runBench, SCENARIOS, type ScenarioName } from '../bench/run.js';

function scenarioList(value: string): ScenarioName[] {
  const names = value.split(',').map((s) => s.trim());
  for (const n of names) {
    if (!(SCENARIOS as readonly string[]).includes(n))
      throw new InvalidArgumentError(`unknown scenario "${n}"; one of ${SCENARIOS.join(', ')}`);
  }
  return names as ScenarioName[];
}

export function benchCommand(): Command {
  return new Command('bench')
    .description(
      'Measure throughput, latency, state root, replay, epoch and memory costs, each next to ' +
        "this machine's signature-recovery limit measured in the same run; writes bench/results/",
    )
    .option('--quick', 'small sizes and short phases: finishes in under a minute')
    .option('--only <list>', `comma-separated scenarios: ${SCENARIOS.join(', ')}`, scenarioList)
    .option('--out <dir>', 'directory for the results', 'bench/results')
    .option('--block-time <ms>', 'block time of the throughput chains', integer(100, 60_000), 1000)
    .option('--json', 'print the results as one JSON object as the last line')
    .action(
      async (o: {
        quick?: boolean;
        only?: ScenarioName[];
        out: string;
        blockTime: number;
        json?: boolean;
      }) => {
        const results = await runBench({
          quick: o.quick ?? false,
          only: o.only,
          outDir: o.out,
          blockTimeMs: o.blockTime,
          log: (line) => (o.json ? process.stderr : process.stdout).write(`${line}\n`),
        });
        if (o.json) console.log(JSON.stringify(results));
        else {
          for (const f of results.figures) {
            const met = f.met === null ? '' : f.met ? '  [met]' : '  [MISSED]';
            const value = f.value === null ? '—' : `${f.value} ${f.unit}`;
            console.log(
              `${f.scenario} | ${f.what}: ${value} | ${f.ratioText} | target ${f.target}${met}`,
            );
          }
        }
        if (Object.keys(results.errors).length > 0) process.exitCode = 1;
      },
    );
}
