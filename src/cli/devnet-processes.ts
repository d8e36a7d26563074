/** `etm devnet --processes`: the devnet with one OS process per node, over libp2p on loopback. */
import { resolve } from 'node:path';
import { DEV_MNEMONIC, deriveAccounts } from '../crypto/mnemonic.js';
import { DEV_ACCOUNT_COUNT, type DevnetStaking } from '../node/devnet.js';
import { startProcessDevnet, type ProcessDevnet } from '../node/process-devnet.js';
import { printDevAccounts, stopOnSignal } from './devnet-banner.js';

export interface ProcessDevnetCliOptions {
  validators: number;
  blockTime: number;
  datadir: string;
  rpcPort: number;
  rpcHost: string;
  rpcVhosts?: string[];
  rpcCors?: string[];
  reset: boolean;
  standby: number;
  followers: number;
  epochBlocks: number;
  rankedSeats: number;
  lotterySeats: number;
  randaoLayers: number;
  p2pPort: number;
  metricsPort?: number;
  /** Test only: indexes of validators that double-sign. */
  testEquivocate?: number[];
}

/** The staking parameters of a new devnet chain, from the command's options. */
export function devnetStakingOf(opts: ProcessDevnetCliOptions): DevnetStaking {
  return {
    epochBlocks: opts.epochBlocks,
    rankedSeats: opts.rankedSeats,
    lotterySeats: opts.lotterySeats,
    randaoLayers: opts.randaoLayers,
  };
}

function fields(entry: Record<string, unknown>): string {
  return Object.entries(entry)
    .filter(([k]) => !['level', 'time', 'event'].includes(k))
    .map(([k, v]) => `${k}=${Array.isArray(v) ? v.join(',') : String(v)}`)
    .join(' ');
}

export async function runProcessDevnet(
  opts: ProcessDevnetCliOptions,
  out: (line: string) => void,
): Promise<void> {
  const keyNames = new Map<string, string>();
  let devnet: ProcessDevnet;
  try {
    devnet = await startProcessDevnet({
      validators: opts.validators,
      blockTimeMs: opts.blockTime,
      datadir: resolve(opts.datadir),
      reset: opts.reset,
      standby: opts.standby,
      followers: opts.followers,
      staking: devnetStakingOf(opts),
      host: opts.rpcHost,
      p2pPort: opts.p2pPort,
      rpcPort: opts.rpcPort,
      rpcVhosts: opts.rpcVhosts,
      rpcCors: opts.rpcCors,
      metricsPort: opts.metricsPort ?? null,
      equivocators: opts.testEquivocate,
      onEntry: (node, e) => {
        if (e.event === 'block' && node.spec.index === 0) {
          const name = keyNames.get(String(e.proposer).toLowerCase());
          out(
            `block ${String(e.height)}  txs ${String(e.txs)}  round ${String(e.round)}  ` +
              `proposer ${String(e.proposer)}${name ? ` (${name})` : ''}  ` +
              `hash ${String(e.hash).slice(0, 18)}…`,
          );
        } else if (e.level === 'warn' || e.level === 'error') {
          out(`${node.name}: ${e.level} ${e.event} ${fields(e)}`);
        }
      },
      onOutput: (node, line) => out(`${node.name}: ${line}`),
    });
  } catch (e) {
    process.stderr.write(`etm devnet: ${(e as Error).message}\n`);
    process.exitCode = 1;
    return;
  }
  for (const n of devnet.nodes) {
    if (n.spec.validator) keyNames.set(n.spec.validator.checksumAddress.toLowerCase(), n.name);
  }
  const accounts = deriveAccounts(DEV_MNEMONIC, DEV_ACCOUNT_COUNT);
  out('ETM/P devnet (one process per node, libp2p on loopback)');
  out('');
  printDevAccounts(accounts, out);
  const p = devnet.genesis.params;
  out(`Nodes:             ${devnet.nodes.length}, block time ${opts.blockTime} ms`);
  for (const n of devnet.nodes) {
    const s = n.spec;
    const who = s.validator ? `${s.role} ${s.validator.checksumAddress}` : 'follower';
    out(`  ${s.name}  ${who}`);
    out(`         p2p ${s.p2pAddress}`);
    out(
      `         rpc http://${s.host}:${s.rpcPort}${s.metricsPort !== null ? `  metrics http://${s.host}:${s.metricsPort}/metrics` : ''}`,
    );
  }
  out(
    `Epochs:            ${p.epochBlocks} blocks, ${p.rankedSeats} ranked + ${p.lotterySeats} lottery seats`,
  );
  out(`Chain ID:          ${devnet.genesis.chainId}`);
  out(`Data directory:    ${resolve(opts.datadir)} (node configs in node<i>/node.json)`);
  out(`JSON-RPC:          http://${opts.rpcHost}:${devnet.nodes[0]!.spec.rpcPort} (node0)`);
  out('');
  stopOnSignal(() => devnet.stop(), out);
}
