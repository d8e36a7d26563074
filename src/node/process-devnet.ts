/**
 * `etm devnet --processes`: the devnet with every node in its own OS process, connected over
 * libp2p on loopback. The parent writes one node configuration per node (the dev validator key
 * in an encrypted keystore, a password file, listen address, every other node as a bootnode),
 * starts `etm node --config … --log-format json` for each, and reads their JSON log lines.
 * The data directory has the in-process devnet's layout (`genesis.json`, `node<i>/chain`), so
 * one chain can be run either way.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { dirname, join } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { DEV_MNEMONIC, deriveAccounts, type DerivedAccount } from '../crypto/mnemonic.js';
import { encryptKeystore, SCRYPT_LIGHT } from '../crypto/keystore.js';
import type { Genesis } from '../chain/genesis.js';
import { loadOrCreatePeerKey, peerIdOf } from '../p2p/identity.js';
import {
  DEV_VALIDATOR_PATH,
  DevnetError,
  loadOrCreateGenesis,
  type DevnetStaking,
  DEVNET_STAKING,
} from './devnet.js';

/** bin/etm.js, two levels up from src/node and from dist/node. */
export const ETM_BIN = join(dirname(fileURLToPath(import.meta.url)), '..', '..', 'bin', 'etm.js');
/** Devnet keystores use a known password: these keys are public anyway. */
const DEVNET_PASSWORD = 'etm-devnet';

export type NodeRole = 'validator' | 'standby' | 'follower';

export interface ProcessDevnetOptions {
  validators: number;
  blockTimeMs: number;
  datadir: string;
  reset: boolean;
  /** Nodes with dev validator keys outside the genesis set (electable). */
  standby?: number;
  /** Nodes without a validator key; not started by start() (use startNode). */
  followers?: number;
  staking?: DevnetStaking;
  /** Interface every node listens on (p2p and RPC); per node with `hostOf`. */
  host?: string;
  hostOf?: (index: number) => string;
  /** First p2p port (node i uses base + i); 0 picks free ports. */
  p2pPort?: number;
  /** RPC port of node 0 (node i uses base + i); 0 picks free ports. */
  rpcPort?: number;
  /** Host names the nodes' RPC serves (default: localhost and the bound host). */
  rpcVhosts?: string[];
  /** Browser origins allowed to call the nodes' RPC (CORS). */
  rpcCors?: string[];
  /** First metrics port (node i uses base + i); null turns metrics off, 0 picks free ports. */
  metricsPort?: number | null;
  /**
   * The addresses a node dials at start (default: every other node's p2p address); e.g. relays
   * standing between hosts.
   */
  bootnodesOf?: (node: NodeSpec, nodes: readonly NodeSpec[]) => string[];
  /** Run each node under this command prefix (e.g. ip netns exec NS). */
  commandPrefix?: (index: number) => string[];
  /** Node.js flags for a node's process (e.g. --cpu-prof), before bin/etm.js. */
  nodeArgs?: (index: number) => string[];
  /**
   * Test only: nodes (by index) started with ETM_TEST_EQUIVOCATE=1, which double-sign (docs/slashing.md).
   */
  equivocators?: readonly number[];
  /** Restart a node that exits without being asked to. Default true. */
  restartOnCrash?: boolean;
  logLevel?: 'debug' | 'info';
  /** Every log entry of every node. */
  onEntry?: (node: DevnetProcess, entry: LogEntry) => void;
  /** Lines a node writes that are not JSON (stderr, crashes). */
  onOutput?: (node: DevnetProcess, line: string) => void;
}

export interface LogEntry {
  level: string;
  event: string;
  [field: string]: unknown;
}

export interface NodeSpec {
  index: number;
  name: string;
  role: NodeRole;
  datadir: string;
  config: string;
  peerId: string;
  p2pAddress: string;
  p2pPort: number;
  host: string;
  rpcPort: number;
  metricsPort: number | null;
  validator: DerivedAccount | null;
}

/** Picks `n` distinct free TCP ports on `host`. */
async function freePorts(n: number, host = '127.0.0.1'): Promise<number[]> {
  const servers = await Promise.all(
    Array.from(
      { length: n },
      () =>
        new Promise<ReturnType<typeof createServer>>((resolve, reject) => {
          const s = createServer();
          s.once('error', reject);
          s.listen(0, host, () => resolve(s));
        }),
    ),
  );
  const ports = servers.map((s) => (s.address() as { port: number }).port);
  await Promise.all(servers.map((s) => new Promise((r) => s.close(r))));
  return ports;
}

async function ports(base: number, n: number, host: string): Promise<number[]> {
  if (base === 0) return freePorts(n, host === '0.0.0.0' ? '127.0.0.1' : host);
  if (base + n - 1 > 65535) throw new DevnetError(`ports ${base}…${base + n - 1} exceed 65535`);
  return Array.from({ length: n }, (_, i) => base + i);
}

/**
 * Writes genesis (once), keystores, password file, network keys and configs. Existing chains,
 * keys and peer ids are kept; configs are rewritten (ports may change between runs).
 */
export async function prepareProcessDevnet(
  o: ProcessDevnetOptions,
): Promise<{ genesis: Genesis; nodes: NodeSpec[] }> {
  if (!Number.isInteger(o.validators) || o.validators < 1 || o.validators > 100)
    throw new DevnetError(`--validators must be an integer from 1 to 100, got ${o.validators}`);
  if (o.reset) rmSync(o.datadir, { recursive: true, force: true });
  const genesis = loadOrCreateGenesis({
    validators: o.validators,
    blockTimeMs: o.blockTimeMs,
    datadir: o.datadir,
    rpcHost: '127.0.0.1',
    rpcPort: 0,
    reset: false,
    staking: o.staking ?? DEVNET_STAKING,
  });
  const standby = o.standby ?? 0;
  const followers = o.followers ?? 0;
  const keyed = o.validators + standby;
  const total = keyed + followers;
  const keys = deriveAccounts(DEV_MNEMONIC, keyed, DEV_VALIDATOR_PATH);
  const hostOf = o.hostOf ?? (() => o.host ?? '127.0.0.1');
  const defaultHost = hostOf(0);
  const p2pPorts = await ports(o.p2pPort ?? 0, total, defaultHost);
  const rpcPorts = await ports(o.rpcPort ?? 0, total, defaultHost);
  const metricsPorts =
    o.metricsPort === null || o.metricsPort === undefined
      ? null
      : await ports(o.metricsPort, total, defaultHost);
  const passwordFile = join(o.datadir, 'password');
  writeFileSync(passwordFile, DEVNET_PASSWORD + '\n', { mode: 0o600 });

  const nodes: NodeSpec[] = [];
  for (let i = 0; i < total; i++) {
    const name = `node${i}`;
    const datadir = join(o.datadir, name);
    mkdirSync(datadir, { recursive: true });
    const role: NodeRole = i < o.validators ? 'validator' : i < keyed ? 'standby' : 'follower';
    const validator = i < keyed ? keys[i]! : null;
    if (validator && !existsSync(join(datadir, 'keystore.json'))) {
      const ks = encryptKeystore(validator.privateKey, DEVNET_PASSWORD, { ...SCRYPT_LIGHT });
      writeFileSync(join(datadir, 'keystore.json'), JSON.stringify(ks) + '\n', { mode: 0o600 });
    }
    const peerId = peerIdOf(await loadOrCreatePeerKey(datadir));
    const host = hostOf(i);
    nodes.push({
      index: i,
      name,
      role,
      datadir,
      config: join(datadir, 'node.json'),
      peerId,
      p2pAddress: `/ip4/${host}/tcp/${p2pPorts[i]}/p2p/${peerId}`,
      p2pPort: p2pPorts[i]!,
      host,
      rpcPort: rpcPorts[i]!,
      metricsPort: metricsPorts ? metricsPorts[i]! : null,
      validator,
    });
  }
  for (const n of nodes) {
    const config: Record<string, unknown> = {
      datadir: '.',
      genesis: '../genesis.json',
      rpc: {
        host: n.host,
        port: n.rpcPort,
        ...(o.rpcVhosts ? { vhosts: o.rpcVhosts } : {}),
        ...(o.rpcCors ? { cors: o.rpcCors } : {}),
      },
      p2p: {
        listen: [`/ip4/${n.host}/tcp/${n.p2pPort}`],
        bootnodes: o.bootnodesOf
          ? o.bootnodesOf(n, nodes)
          : nodes.filter((m) => m !== n).map((m) => m.p2pAddress),
      },
      log: { format: 'json', level: o.logLevel ?? 'info' },
    };
    if (n.validator) config.validator = { keystore: 'keystore.json', passwordFile: '../password' };
    if (n.metricsPort !== null) config.metrics = { host: n.host, port: n.metricsPort };
    writeFileSync(n.config, JSON.stringify(config, null, 2) + '\n');
  }
  return { genesis, nodes };
}

/** One node process and what its logs said. */
export class DevnetProcess {
  child: ChildProcess | null = null;
  /** Highest committed block seen in the logs. */
  head = -1n;
  /** Block hash and state root by height, from the logs (what the node committed). */
  readonly blocks = new Map<bigint, { hash: string; stateRoot: string }>();
  readonly counts = new Map<string, number>();
  rpcUrl: string | null = null;
  /** Set while the node is meant to run. */
  wanted = false;
  starts = 0;
  private readonly recent: string[] = [];
  private exit: Promise<void> = Promise.resolve();

  constructor(readonly spec: NodeSpec) {}

  get name(): string {
    return this.spec.name;
  }

  get running(): boolean {
    return this.child !== null && this.child.exitCode === null && this.child.signalCode === null;
  }

  count(event: string): number {
    return this.counts.get(event) ?? 0;
  }

  /** The last lines the node wrote, for diagnostics. */
  tail(n = 40): string {
    return this.recent.slice(-n).join('\n');
  }

  note(line: string): void {
    this.recent.push(line);
    if (this.recent.length > 400) this.recent.splice(0, this.recent.length - 400);
  }

  setExit(p: Promise<void>): void {
    this.exit = p;
  }

  exited(): Promise<void> {
    return this.exit;
  }
}

export class ProcessDevnet {
  readonly nodes: DevnetProcess[];
  private stopping = false;

  constructor(
    readonly genesis: Genesis,
    specs: NodeSpec[],
    private readonly o: ProcessDevnetOptions,
  ) {
    this.nodes = specs.map((s) => new DevnetProcess(s));
  }

  /** Starts every validator and standby node (followers wait for startNode). */
  startAll(): void {
    for (const n of this.nodes) if (n.spec.role !== 'follower') this.startNode(n.spec.index);
  }

  startNode(index: number): DevnetProcess {
    const n = this.nodes[index]!;
    if (n.running) return n;
    n.wanted = true;
    n.starts++;
    const prefix = this.o.commandPrefix?.(index) ?? [];
    const argv = [
      ...prefix,
      process.execPath,
      ...(this.o.nodeArgs?.(index) ?? []),
      ETM_BIN,
      'node',
      '--config',
      n.spec.config,
      '--log-format',
      'json',
    ];
    const child = spawn(argv[0]!, argv.slice(1), {
      stdio: ['ignore', 'pipe', 'pipe'],
      env: {
        ...process.env,
        ...(this.o.equivocators?.includes(index) ? { ETM_TEST_EQUIVOCATE: '1' } : {}),
      },
    });
    n.child = child;
    createInterface({ input: child.stdout! }).on('line', (line) => this.onLine(n, line));
    createInterface({ input: child.stderr! }).on('line', (line) => {
      n.note(line);
      this.o.onOutput?.(n, line);
    });
    n.setExit(
      new Promise<void>((resolve) =>
        child.once('exit', (code, signal) => {
          n.note(`exited: code ${code} signal ${signal}`);
          resolve();
          if (n.wanted && !this.stopping && (this.o.restartOnCrash ?? true)) {
            this.o.onOutput?.(n, `exited (code ${code}, signal ${signal}); restarting`);
            setTimeout(() => {
              if (n.wanted && !this.stopping) this.startNode(index);
            }, 1000);
          }
        }),
      ),
    );
    return n;
  }

  /** Sends a signal; SIGKILL is a crash (`kill -9`). The node is not restarted. */
  async killNode(index: number, signal: NodeJS.Signals = 'SIGKILL'): Promise<void> {
    const n = this.nodes[index]!;
    n.wanted = false;
    if (!n.running) return;
    n.child!.kill(signal);
    await n.exited();
  }

  /** Stops a node cleanly (SIGTERM; SIGKILL after 15 s). */
  async stopNode(index: number): Promise<void> {
    const n = this.nodes[index]!;
    n.wanted = false;
    if (!n.running) return;
    const timer = setTimeout(() => n.child?.kill('SIGKILL'), 15_000);
    n.child!.kill('SIGTERM');
    await n.exited();
    clearTimeout(timer);
  }

  async stop(): Promise<void> {
    this.stopping = true;
    await Promise.all(this.nodes.map((_, i) => this.stopNode(i)));
  }

  private onLine(n: DevnetProcess, line: string): void {
    n.note(line);
    let entry: LogEntry;
    try {
      const parsed = JSON.parse(line) as unknown;
      if (typeof parsed !== 'object' || parsed === null || !('event' in parsed)) throw new Error();
      entry = parsed as LogEntry;
    } catch {
      this.o.onOutput?.(n, line);
      return;
    }
    n.counts.set(entry.event, (n.counts.get(entry.event) ?? 0) + 1);
    if (entry.event === 'block') {
      const height = BigInt(String(entry.height));
      n.blocks.set(height, { hash: String(entry.hash), stateRoot: String(entry.stateRoot) });
      if (height > n.head) n.head = height;
    } else if (entry.event === 'started') {
      const head = BigInt(String(entry.head));
      if (head > n.head) n.head = head;
    } else if (entry.event === 'rpc') {
      n.rpcUrl = String(entry.http);
    }
    this.o.onEntry?.(n, entry);
  }
}

/** Prepares the data directory and starts the validator and standby processes. */
export async function startProcessDevnet(o: ProcessDevnetOptions): Promise<ProcessDevnet> {
  const { genesis, nodes } = await prepareProcessDevnet(o);
  const devnet = new ProcessDevnet(genesis, nodes, o);
  devnet.startAll();
  return devnet;
}
