/**
 * Separate hosts on one Linux machine: every node gets its own network namespace (its own
 * interfaces, ports and routes, as a separate host has), joined to the namespace this process
 * runs in by a veth pair on a /24 of its own. A node reaches nothing beyond that /24 (no route
 * leads further, and namespaces do not forward), whose other addresses are all this process's,
 * so every byte between two nodes passes through whatever this process relays (relay.ts); this
 * process reaches every node's JSON-RPC directly, as a client next to it.
 *
 * Needs root (or CAP_NET_ADMIN) and iproute2; netnsAvailable() says why not. Everything made
 * is removed by destroy(), and also if this process exits or is signalled first.
 */
import { spawnSync } from 'node:child_process';
import { atExit } from './cleanup.js';

export class NetnsError extends Error {
  override name = 'NetnsError';
}

/** Most nodes: one /24 each in a /16, node i's peers at .10 + k. */
const MAX_NETNS_NODES = 200;

/** Runs `cmd` with `args`; throws with its output on failure. */
function run(cmd: string, args: string[], input?: string): string {
  const r = spawnSync(cmd, args, { encoding: 'utf8', input });
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
  /** Node i's /24 is `${prefix}.${i}.0/24`. */
  readonly prefix: string;
  private readonly tag: string;
  private readonly made: string[] = [];
  private readonly release: () => void;
  private destroyed = false;

  private constructor(readonly count: number) {
    if (!Number.isInteger(count) || count < 1 || count > MAX_NETNS_NODES)
      throw new NetnsError(`nodes must be an integer from 1 to ${MAX_NETNS_NODES}, got ${count}`);
    // Interface names have at most 15 characters: a short tag unique to this process and run.
    this.tag = `${(process.pid % 46656).toString(36)}${(created++ % 36).toString(36)}`;
    this.prefix = freePrefix();
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
    return `${this.prefix}.${i}.1`;
  }

  /** This process's side of node i's link: where node i reaches everything else. */
  gatewayOf(i: number): string {
    return `${this.prefix}.${i}.2`;
  }

  /**
   * The address node i sees node k's connections come from: one per peer, as on a real
   * network (peers' connection limits and bans are per address).
   */
  peerAddressOf(i: number, k: number): string {
    return `${this.prefix}.${i}.${10 + k}`;
  }

  /** Runs a command inside node i's namespace. */
  prefixOf(i: number): string[] {
    return ['ip', 'netns', 'exec', this.nameOf(i)];
  }

  private build(): void {
    const outside = (i: number) => `e${this.tag}g${i}`;
    const inside = (i: number) => `e${this.tag}n${i}`;
    const here: string[] = [];
    for (let i = 0; i < this.count; i++) {
      // Recorded before they exist: destroy() ignores what is missing.
      this.made.push(`link:${outside(i)}`, this.nameOf(i));
      here.push(
        `netns add ${this.nameOf(i)}`,
        `link add ${outside(i)} type veth peer name ${inside(i)}`,
        `link set ${inside(i)} netns ${this.nameOf(i)}`,
        `addr add ${this.gatewayOf(i)}/24 dev ${outside(i)}`,
        ...Array.from(
          { length: this.count },
          (_, k) => `addr add ${this.peerAddressOf(i, k)}/24 dev ${outside(i)}`,
        ),
        `link set ${outside(i)} up`,
      );
    }
    run('ip', ['-batch', '-'], here.join('\n') + '\n');
    for (let i = 0; i < this.count; i++) {
      const inNs = [
        `addr add ${this.hostOf(i)}/24 dev ${inside(i)}`,
        `link set ${inside(i)} up`,
        'link set lo up',
      ];
      run('ip', ['-n', this.nameOf(i), '-batch', '-'], inNs.join('\n') + '\n');
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

/** A 10.x.0.0/16 no interface of this namespace uses (several networks may run at once). */
function freePrefix(): string {
  const used = run('ip', ['-4', '-o', 'addr', 'show']);
  for (let k = 0; k < 50; k++) {
    const prefix = `10.${200 + ((process.pid + created * 7 + k) % 50)}`;
    if (!used.includes(` ${prefix}.`)) return prefix;
  }
  throw new NetnsError('no free 10.x.0.0/16 range');
}
