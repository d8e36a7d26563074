/**
 * Separate hosts on one Linux machine: every node gets its own network namespace (its own
 * interfaces, ports and routes, as a separate host has), joined to the namespace this process
 * runs in by a veth pair on a /30 of its own. A node reaches nothing but this process's side of
 * its pair (no route leads further, and namespaces do not forward), so every byte between two
 * nodes passes through whatever this process relays (relay.ts); this process reaches every
 * node's JSON-RPC directly, as a client next to it.
 *
 * Needs root (or CAP_NET_ADMIN) and iproute2; netnsAvailable() says why not. Everything made
 * is removed by destroy(), and also if this process exits or is signalled first.
 */
import { spawnSync } from 'node:child_process';
import { atExit } from './cleanup.js';

export class NetnsError extends Error {
  override name = 'NetnsError';
}

/** Most nodes on one /24 of /30 pairs. */
export const MAX_NETNS_NODES = 63;

/** Runs `cmd` with `args`; throws with its output on failure. */
function run(cmd: string, args: string[]): string {
  const r = spawnSync(cmd, args, { encoding: 'utf8' });
  if (r.error) throw new NetnsError(`${cmd} ${args.join(' ')}: ${r.error.message}`);
  if (r.status !== 0)
    throw new NetnsError(`${cmd} ${args.join(' ')}: ${(r.stderr || r.stdout).trim()}`);
  return r.stdout;
}

/** Why network namespaces cannot be made here (not root, no iproute2, a seccomp veto), or null. */
export function netnsAvailable(): string | null {
  const probe = `etmprobe${process.pid}`;
  const r = spawnSync('ip', ['netns', 'add', probe], { encoding: 'utf8' });
  if (r.error) return `iproute2 is not installed (${r.error.message})`;
  if (r.status !== 0) return `ip netns add failed: ${r.stderr.trim()}`;
  spawnSync('ip', ['netns', 'del', probe]);
  return null;
}

let created = 0;

export class Namespaces {
  /** The /24 the pairs are cut from. */
  readonly subnet: string;
  private readonly tag: string;
  private readonly made: string[] = [];
  private readonly release: () => void;
  private destroyed = false;

  private constructor(readonly count: number) {
    if (!Number.isInteger(count) || count < 1 || count > MAX_NETNS_NODES)
      throw new NetnsError(`nodes must be an integer from 1 to ${MAX_NETNS_NODES}, got ${count}`);
    // Interface names have at most 15 characters: a short tag unique to this process and run.
    this.tag = `${(process.pid % 46656).toString(36)}${(created++ % 36).toString(36)}`;
    this.subnet = freeSubnet();
    this.release = atExit(() => this.destroy());
  }

  /** Creates `count` namespaces and their links; removes what it made if a step fails. */
  static create(count: number): Namespaces {
    const ns = new Namespaces(count);
    try {
      ns.build();
    } catch (e) {
      ns.destroy();
      throw e;
    }
    return ns;
  }

  nameOf(i: number): string {
    return `etm${this.tag}n${i}`;
  }

  /** Node i's address, inside its namespace. */
  hostOf(i: number): string {
    return `${this.subnet}.${4 * i + 1}`;
  }

  /** This process's side of node i's pair: the only address node i can reach. */
  gatewayOf(i: number): string {
    return `${this.subnet}.${4 * i + 2}`;
  }

  /** Runs a command inside node i's namespace. */
  prefixOf(i: number): string[] {
    return ['ip', 'netns', 'exec', this.nameOf(i)];
  }

  private build(): void {
    for (let i = 0; i < this.count; i++) {
      const ns = this.nameOf(i);
      const inside = `e${this.tag}n${i}`;
      const outside = `e${this.tag}g${i}`;
      run('ip', ['netns', 'add', ns]);
      this.made.push(ns);
      run('ip', ['link', 'add', outside, 'type', 'veth', 'peer', 'name', inside]);
      this.made.push(`link:${outside}`);
      run('ip', ['link', 'set', inside, 'netns', ns]);
      run('ip', ['addr', 'add', `${this.gatewayOf(i)}/30`, 'dev', outside]);
      run('ip', ['link', 'set', outside, 'up']);
      run('ip', ['-n', ns, 'addr', 'add', `${this.hostOf(i)}/30`, 'dev', inside]);
      run('ip', ['-n', ns, 'link', 'set', inside, 'up']);
      run('ip', ['-n', ns, 'link', 'set', 'lo', 'up']);
    }
  }

  /** Removes every namespace and link made (idempotent, synchronous). */
  destroy(): void {
    if (this.destroyed) return;
    this.destroyed = true;
    for (const m of this.made.reverse()) {
      if (m.startsWith('link:')) spawnSync('ip', ['link', 'del', m.slice(5)], { stdio: 'ignore' });
      else spawnSync('ip', ['netns', 'del', m], { stdio: 'ignore' });
    }
    this.release();
  }
}

/** A 10.x.y.0/24 no interface of this namespace uses (several networks may run at once). */
function freeSubnet(): string {
  const used = run('ip', ['-4', '-o', 'addr', 'show']);
  for (let k = 0; k < 50 * 250; k++) {
    const n = (process.pid + created * 7919 + k) % (50 * 250);
    const subnet = `10.${200 + Math.floor(n / 250)}.${n % 250}`;
    if (!used.includes(` ${subnet}.`)) return subnet;
  }
  throw new NetnsError('no free 10.x.y.0/24 subnet');
}
