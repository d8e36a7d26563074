/** `etm bench`: the benchmark suite (see BENCHMARKS.md). */
import { Command, InvalidArgumentError } from 'commander';
import { integer } from './options.js';
import { plan, runBench, SCENARIOS, type Plan, type ScenarioName } from '../bench/run.js';
import { networkMarkdown, runNetworkReport } from '../bench/network.js';
import { netnsAvailable } from '../bench/netns.js';

function scenarioList(value: string): ScenarioName[] {
  const names = value.split(',').map((s) => s.trim());
  for (const n of names) {
    if (!(SCENARIOS as readonly string[]).includes(n))
      throw new InvalidArgumentError(`unknown scenario "${n}"; one of ${SCENARIOS.join(', ')}`);
  }
  return names as ScenarioName[];
}

/** Lock counts for the epoch scenario: ascending, at least two, each 10 to 10,000,000. */
function lockCounts(value: string): number[] {
  const counts = value.split(',').map((s) => s.trim());
  if (counts.some((c) => !/^\d+$/.test(c) || Number(c) < 10 || Number(c) > 10_000_000))
    throw new InvalidArgumentError('expected lock counts from 10 to 10000000, comma-separated');
  const n = counts.map(Number);
  if (n.length < 2 || n.some((x, i) => i > 0 && x <= n[i - 1]!))
    throw new InvalidArgumentError('expected at least two ascending lock counts');
  return n;
}

function percent(value: string): number {
  const n = Number(value);
  if (!/^\d+(\.\d+)?$/.test(value) || n > 100)
    throw new InvalidArgumentError('expected a percentage from 0 to 100');
  return n;
}

interface NetworkCliOptions {
  validators: number;
  blocks: number;
  blockTime: number;
  minDelay: number;
  maxDelay: number;
  loss: number;
  seed: string;
  kill: number;
  downBlocks: number;
  txInterval: number;
  dialPeers?: number;
  maxMinutes?: number;
  maxOldSpace?: number;
  timeout: number;
  out: string;
  json?: boolean;
}

/** `etm bench network`: the mainnet-shaped network (src/bench/network.ts, BENCHMARKS.md). */
function networkCommand(): Command {
  return new Command('network')
    .description(
      'Run validators as separate node processes, each in its own network namespace, joined by ' +
        'links with one-way delays and loss; measure finality, rounds above 0 and recovery ' +
        'after validators are killed and restarted (needs root and iproute2)',
    )
    .option('--validators <n>', 'validator processes', integer(4, 63), 21)
    .option('--blocks <n>', 'blocks measured in the steady phase', integer(1, 1_000_000), 200)
    .option('--block-time <ms>', 'block time', integer(100, 60_000), 3000)
    .option('--min-delay <ms>', 'smallest one-way link delay', integer(0, 10_000), 50)
    .option('--max-delay <ms>', 'largest one-way link delay', integer(0, 10_000), 150)
    .option('--loss <percent>', 'packet loss of every link', percent, 1)
    .option('--seed <text>', 'decides every link delay and loss draw', 'etm')
    .option('--kill <n>', 'validators killed together and restarted (0: none)', integer(0, 20), 6)
    .option('--down-blocks <n>', 'blocks committed while they are down', integer(1, 10_000), 10)
    .option('--tx-interval <ms>', 'one transfer every this many ms', integer(10, 60_000), 1000)
    .option(
      '--dial-peers <k>',
      'each node dials only nodes i+1, i+2, i+4, … (the first k); default every other node',
      integer(1, 62),
    )
    .option(
      '--max-minutes <m>',
      'end the steady phase after this long even short of --blocks',
      integer(1, 10_000),
    )
    .option(
      '--timeout <s>',
      'how long starting and each later phase may take',
      integer(10, 86_400),
      600,
    )
    .option('--max-old-space <MiB>', "each node process's V8 heap limit", integer(64, 65_536))
    .option('--out <dir>', 'directory for the results', 'bench/results')
    .option('--json', 'print the results as one JSON object as the last line')
    .action(async (o: NetworkCliOptions) => {
      const problem = netnsAvailable();
      if (problem) {
        process.stderr.write(`etm bench network: cannot make network namespaces: ${problem}\n`);
        process.exitCode = 1;
        return;
      }
      if (o.maxDelay < o.minDelay) {
        process.stderr.write('etm bench network: --max-delay is below --min-delay\n');
        process.exitCode = 1;
        return;
      }
      const report = await runNetworkReport({
        validators: o.validators,
        blocks: o.blocks,
        blockTimeMs: o.blockTime,
        minDelayMs: o.minDelay,
        maxDelayMs: o.maxDelay,
        lossPercent: o.loss,
        seed: o.seed,
        kill: o.kill,
        downBlocks: o.downBlocks,
        txIntervalMs: o.txInterval,
        dialPeers: o.dialPeers ?? null,
        maxSteadyMs: o.maxMinutes === undefined ? undefined : o.maxMinutes * 60_000,
        timeoutMs: o.timeout * 1000,
        nodeArgs: o.maxOldSpace ? [`--max-old-space-size=${o.maxOldSpace}`] : [],
        outDir: o.out,
        log: (line) => (o.json ? process.stderr : process.stdout).write(`${line}\n`),
      });
      if (o.json) console.log(JSON.stringify(report));
      else console.log(networkMarkdown(report));
    });
}

export function benchCommand(): Command {
  return (
    new Command('bench')
      .description(
        'Measure throughput, latency, state root, replay, epoch and memory costs, each next to ' +
          "this machine's signature-recovery limit measured in the same run; writes bench/results/",
      )
      .option('--quick', 'small sizes and short phases: finishes in under a minute')
      .option('--only <list>', `comma-separated scenarios: ${SCENARIOS.join(', ')}`, scenarioList)
      .option('--out <dir>', 'directory for the results', 'bench/results')
      .option(
        '--block-time <ms>',
        'block time of the throughput chains',
        integer(100, 60_000),
        1000,
      )
      .option(
        '--devnet-seconds <s>',
        'how long the devnet-memory scenario runs its devnet (default 120, quick 20)',
        integer(5, 86_400),
      )
      .option(
        '--epoch-locks <list>',
        'comma-separated lock counts the epoch scenario measures at (default 10000,100000; quick 1000,3000)',
        lockCounts,
      )
      .option('--json', 'print the results as one JSON object as the last line')
      .action(
        async (o: {
          quick?: boolean;
          only?: ScenarioName[];
          out: string;
          blockTime: number;
          devnetSeconds?: number;
          epochLocks?: number[];
          json?: boolean;
        }) => {
          const quick = o.quick ?? false;
          const sizes: Partial<Plan> = {};
          if (o.devnetSeconds !== undefined)
            sizes.devnetMemory = { ...plan(quick).devnetMemory, seconds: o.devnetSeconds };
          if (o.epochLocks !== undefined)
            sizes.epoch = { ...plan(quick).epoch, lockSteps: o.epochLocks };
          const results = await runBench({
            quick,
            only: o.only,
            outDir: o.out,
            blockTimeMs: o.blockTime,
            sizes,
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
      )
      // Options after `network` are its own (both have --out and --json).
      .enablePositionalOptions()
      .addCommand(networkCommand())
  );
}
