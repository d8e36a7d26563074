/**
 * `etm devnet`: a local multi-validator network for development, in one process or (with
 * --processes) one OS process per node over libp2p.
 */
import { Command, InvalidArgumentError, Option } from 'commander';
import { homedir } from 'node:os';
import { join, resolve } from 'node:path';
import { toHex } from '../crypto/bytes.js';
import { vhosts } from '../node/config.js';
import { DEVNET_STAKING, DEVNET_STANDBY, startDevnet, type Devnet } from '../node/devnet.js';
import { integer, originList } from './options.js';
import { printDevAccounts, stopOnSignal } from './devnet-banner.js';
import { DEFAULT_PARAMS } from '../params/registry.js';
import {
  devnetStakingOf,
  runProcessDevnet,
  type ProcessDevnetCliOptions,
} from './devnet-processes.js';

type DevnetCliOptions = ProcessDevnetCliOptions & { processes: boolean; ui: boolean };

export function devnetCommand(): Command {
  return new Command('devnet')
    .description(
      'run a local devnet: N validators in one process, final blocks every block time, funded dev accounts, JSON-RPC on 127.0.0.1',
    )
    .option('--validators <n>', 'number of validators', integer(1, 100), 4)
    .option(
      '--block-time <ms>',
      'target time between blocks, in milliseconds',
      integer(100, 60_000),
      1000,
    )
    .option(
      '--datadir <dir>',
      'data directory (kept across restarts)',
      join(homedir(), '.etm', 'devnet'),
    )
    .option('--rpc-port <port>', 'JSON-RPC port (HTTP and WebSocket)', integer(0, 65535), 8545)
    .option('--rpc-host <host>', 'JSON-RPC interface to bind', '127.0.0.1')
    .option(
      '--rpc-vhosts <names>',
      'comma-separated host names JSON-RPC requests may name in their Host header, "*" for any (default: localhost and --rpc-host; IP addresses are always accepted)',
      hostList,
    )
    .option(
      '--rpc-cors <origins>',
      'comma-separated browser origins allowed to call JSON-RPC, e.g. http://localhost:5173, "*" for any (default: none; the web app at the RPC address needs none)',
      originList,
    )
    .option('--reset', 'delete the data directory first and start a new chain', false)
    .option('--no-ui', 'do not serve the web app (explorer and voting page) at the RPC address')
    .option(
      '--standby <n>',
      'extra nodes with dev validator keys, outside the genesis set, ready to be elected',
      integer(0, 100),
      DEVNET_STANDBY,
    )
    .option(
      '--epoch-blocks <n>',
      'blocks per epoch (one election per epoch; new chains only)',
      integer(4, 1_000_000),
      DEVNET_STAKING.epochBlocks,
    )
    .option(
      '--ranked-seats <n>',
      'seats elected by weight (new chains only)',
      integer(0, 256),
      DEVNET_STAKING.rankedSeats,
    )
    .option(
      '--lottery-seats <n>',
      'seats drawn by lottery (new chains only)',
      integer(0, 256),
      DEVNET_STAKING.lotterySeats,
    )
    .option(
      '--randao-layers <n>',
      "layers of each validator's RANDAO onion: reveals before it must renew (new chains only)",
      integer(16, 1 << 24),
      Number(DEFAULT_PARAMS.randaoLayers),
    )
    .option(
      '--processes',
      'run every node as its own OS process, connected over libp2p on 127.0.0.1 (standby nodes default to 0)',
      false,
    )
    .option(
      '--p2p-port <port>',
      'with --processes: p2p port of node 0, the next nodes count up (0: free ports)',
      integer(0, 65535),
      30300,
    )
    .option(
      '--metrics-port <port>',
      'with --processes: serve Prometheus /metrics, node 0 on this port, the next nodes count up',
      integer(0, 65535),
    )
    .option(
      '--followers <n>',
      'with --processes: extra nodes without a validator key that follow the chain',
      integer(0, 100),
      0,
    )
    .addOption(
      // Test only: a node that double-signs, to watch the chain slash it (docs/slashing.md).
      new Option(
        '--test-equivocate <index>',
        'with --processes, for tests: validator <index> double-signs every PREPARE',
      )
        .argParser((v: string, prev: number[] | undefined) => [...(prev ?? []), integer(0, 99)(v)])
        .hideHelp(),
    )
    .action(async (opts: DevnetCliOptions, command: Command) => {
      const out = (line: string) => process.stdout.write(line + '\n');
      if (opts.processes) {
        const standbyGiven = command.getOptionValueSource('standby') === 'cli';
        await runProcessDevnet({ ...opts, standby: standbyGiven ? opts.standby : 0 }, out);
        return;
      }
      let devnet: Devnet;
      try {
        devnet = await startDevnet({
          validators: opts.validators,
          blockTimeMs: opts.blockTime,
          datadir: resolve(opts.datadir),
          rpcHost: opts.rpcHost,
          rpcPort: opts.rpcPort,
          rpcVhosts: opts.rpcVhosts,
          rpcCors: opts.rpcCors,
          reset: opts.reset,
          standby: opts.standby,
          ui: opts.ui,
          staking: devnetStakingOf(opts),
          log: out,
        });
      } catch (e) {
        process.stderr.write(`etm devnet: ${(e as Error).message}\n`);
        process.exitCode = 1;
        return;
      }
      printBanner(devnet, opts, out);
      stopOnSignal(() => devnet.stop(), out);
    });
}

/** --rpc-vhosts: a comma-separated list, checked like the node config's rpc.vhosts. */
function hostList(value: string): string[] {
  try {
    return vhosts(
      value.split(',').map((h) => h.trim()),
      '--rpc-vhosts',
    );
  } catch (e) {
    throw new InvalidArgumentError((e as Error).message.replace(/^--rpc-vhosts(\[\d+\])?: /, ''));
  }
}

function printBanner(
  d: Devnet,
  opts: { datadir: string; validators: number; blockTime: number },
  out: (l: string) => void,
): void {
  const head = d.nodes[0]!.chain.headNumber;
  out('ETM/P devnet');
  out('');
  printDevAccounts(d.accounts, out);
  const p = d.genesis.params;
  out(`Validators:        ${opts.validators} (in process), block time ${opts.blockTime} ms`);
  d.validatorKeys
    .slice(0, opts.validators)
    .forEach((k, i) => out(`  node${i}  ${k.checksumAddress}`));
  const standby = d.validatorKeys.slice(opts.validators);
  if (standby.length > 0) {
    out(`Standby nodes:     ${standby.length}, elected when a candidate uses their key`);
    out(`                   (etm candidate register --dev-validator N …)`);
    standby.forEach((k, j) =>
      out(
        `  node${opts.validators + j}  ${k.checksumAddress}  (--dev-validator ${opts.validators + j})`,
      ),
    );
  }
  out(
    `Epochs:            ${p.epochBlocks} blocks, ${p.rankedSeats} ranked + ${p.lotterySeats} lottery seats`,
  );
  out(
    `RANDAO onions:     ${p.randaoLayers} reveals, renewed by each validator before they run out`,
  );
  out(`Chain ID:          ${d.genesis.chainId}`);
  out(`Genesis hash:      ${toHex(d.nodes[0]!.chain.genesisHash)}`);
  out(
    `Data directory:    ${resolve(opts.datadir)}${head > 0n ? ` (resuming at block ${head})` : ''}`,
  );
  out(`JSON-RPC:          ${d.httpUrl}   WebSocket: ${d.wsUrl}`);
  if (d.uiUrl) out(`Web app:           ${d.uiUrl}   (explorer, voting, election audit)`);
  out('');
}
