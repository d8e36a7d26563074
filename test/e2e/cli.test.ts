/**
 * The `etm` command as a user runs it: real processes from bin/etm.js (the built dist/), talking
 * to each other over JSON-RPC. Covers init → node → status → tx transfer, a kill -9 restart, the
 * devnet command's output and shutdown, and clear errors on bad input.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { request } from 'node:http';
import { join } from 'node:path';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { createPublicClient, http } from 'viem';
import { tempDir } from './helpers.js';

const ETM = join(import.meta.dirname, '..', '..', 'bin', 'etm.js');
const DEV0 = '0xf39Fd6e51aad88F6F4ce6aB8827279cffFb92266';
const ENV = { ...process.env, ETM_PASSWORD: '' };

beforeAll(() => {
  // The CLI runs from dist/; build it when this file runs on its own.
  const r = spawnSync('npx', ['tsc', '-p', 'tsconfig.build.json'], {
    cwd: join(import.meta.dirname, '..', '..'),
    encoding: 'utf8',
  });
  if (r.status !== 0) throw new Error(`build failed: ${r.stdout}${r.stderr}`);
}, 120_000);

function etm(args: string[], env: NodeJS.ProcessEnv = ENV) {
  const r = spawnSync(process.execPath, [ETM, ...args], { encoding: 'utf8', env, timeout: 60_000 });
  return { code: r.status, out: r.stdout, err: r.stderr };
}

/** A long-running etm process whose output is collected as it arrives. */
class Proc {
  readonly child: ChildProcess;
  out = '';
  err = '';
  readonly exited: Promise<number | null>;
  constructor(args: string[], env: NodeJS.ProcessEnv = ENV) {
    this.child = spawn(process.execPath, [ETM, ...args], {
      env,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    this.child.stdout!.on('data', (d: Buffer) => (this.out += d.toString()));
    this.child.stderr!.on('data', (d: Buffer) => (this.err += d.toString()));
    this.exited = new Promise((r) => this.child.once('exit', (code) => r(code)));
  }
  /** Resolves with the first match of `re` in stdout, or rejects after `ms`. */
  async waitFor(re: RegExp, ms = 30_000): Promise<RegExpMatchArray> {
    const deadline = Date.now() + ms;
    for (;;) {
      const m = this.out.match(re);
      if (m) return m;
      if (this.child.exitCode !== null)
        throw new Error(`etm exited (${this.child.exitCode}): ${this.out}${this.err}`);
      if (Date.now() > deadline) throw new Error(`no ${re} in ${ms} ms:\n${this.out}${this.err}`);
      await new Promise((r) => setTimeout(r, 50));
    }
  }
}

const running: Proc[] = [];
const dirs: Array<{ remove(): void }> = [];
afterEach(async () => {
  for (const p of running.splice(0)) {
    if (p.child.exitCode === null && p.child.signalCode === null) {
      p.child.kill('SIGKILL');
      await p.exited;
    }
  }
  for (const d of dirs.splice(0)) d.remove();
});

function start(args: string[], env?: NodeJS.ProcessEnv): Proc {
  const p = new Proc(args, env);
  running.push(p);
  return p;
}

function temp(): string {
  const d = tempDir('etm-cli-');
  dirs.push(d);
  return d.dir;
}

describe('etm init, node, status and tx transfer', () => {
  it('creates a chain, runs its validator, transfers, and survives kill -9', async () => {
    const root = temp();
    const datadir = join(root, 'net');
    const pw = join(root, 'pw');
    writeFileSync(pw, 'correct horse battery staple\n');
    const init = etm([
      'init',
      '--datadir',
      datadir,
      '--dev-accounts',
      '--password-file',
      pw,
      '--light-kdf',
      '--block-time',
      '300',
      '--rpc-port',
      '0',
      '--p2p-port',
      '0',
    ]);
    expect(init.err).toBe('');
    expect(init.code).toBe(0);
    expect(init.out).toContain('genesis.json (chain id 4543565)');
    const genesis = JSON.parse(readFileSync(join(datadir, 'genesis.json'), 'utf8')) as {
      validators: string[];
    };
    expect(genesis.validators).toHaveLength(1);

    // The keystore password comes from a file named in the config.
    const configPath = join(datadir, 'node-0.json');
    const config = JSON.parse(readFileSync(configPath, 'utf8')) as {
      validator: { keystore: string; passwordFile?: string };
    };
    config.validator.passwordFile = pw;
    writeFileSync(configPath, JSON.stringify(config));

    let node = start(['node', '--config', configPath]);
    const rpc = (await node.waitFor(/JSON-RPC (http:\/\/127\.0\.0\.1:\d+)/))[1]!;
    await node.waitFor(/block 2 /);
    expect(node.out).toMatch(new RegExp(`validator ${genesis.validators[0]}`, 'i'));

    const status = etm(['status', '--rpc', rpc]);
    expect(status.code).toBe(0);
    expect(status.out).toMatch(/chain id\s+4543565/);
    expect(status.out).toMatch(/validators\s+1/);

    const to = '0x70997970C51812dc3A010C7d01b50e0d17dc79C8';
    const tx = etm([
      'tx',
      'transfer',
      '--dev-account',
      '0',
      '--to',
      to,
      '--value',
      '2.25',
      '--rpc',
      rpc,
    ]);
    expect(tx.err).toBe('');
    expect(tx.code).toBe(0);
    expect(tx.out).toMatch(/included in block \d+, status success/);

    const client = createPublicClient({ transport: http(rpc) });
    const balance = await client.getBalance({ address: to });
    expect(balance).toBe(1_000_002_250_000_000_000_000_000n);
    const height = await client.getBlockNumber();

    // kill -9: no shutdown path runs; the restart must find every committed block.
    node.child.kill('SIGKILL');
    await node.exited;
    node = start(['node', '--config', configPath]);
    const resumed = await node.waitFor(/head (\d+)/);
    expect(BigInt(resumed[1]!)).toBeGreaterThanOrEqual(height);
    const rpc2 = (await node.waitFor(/JSON-RPC (http:\/\/127\.0\.0\.1:\d+)/))[1]!;
    const client2 = createPublicClient({ transport: http(rpc2) });
    expect(await client2.getBalance({ address: to })).toBe(balance);
    const before = await client2.getBlockNumber();
    await node.waitFor(new RegExp(`block ${before + 2n} `));

    // SIGTERM stops cleanly.
    node.child.kill('SIGTERM');
    expect(await node.exited).toBe(0);
  });
});

describe('etm devnet', () => {
  it('prints the dev accounts and keys, commits blocks from every validator, stops on SIGINT', async () => {
    const datadir = join(temp(), 'devnet');
    const p = start([
      'devnet',
      '--datadir',
      datadir,
      '--rpc-port',
      '0',
      '--block-time',
      '300',
      '--standby',
      '0',
    ]);
    await p.waitFor(/block 8 /);
    expect(p.out).toContain(`(0) ${DEV0} (1000000 ETM)`);
    expect(p.out).toContain(
      '(0) 0xac0974bec39a17e36ba4a6b4d238ff944bacb478cbed5efcae784d7bf4f2ff80',
    );
    expect(p.out).toContain('test test test test test test test test test test test junk');
    const proposers = new Set([...p.out.matchAll(/proposer \S+ \((node\d)\)/g)].map((m) => m[1]));
    expect(proposers).toEqual(new Set(['node0', 'node1', 'node2', 'node3']));
    p.child.kill('SIGINT');
    expect(await p.exited).toBe(0);

    // The data directory survives: the next run resumes where this one stopped.
    const again = start([
      'devnet',
      '--datadir',
      datadir,
      '--rpc-port',
      '0',
      '--block-time',
      '300',
      '--standby',
      '0',
    ]);
    const m = await again.waitFor(/resuming at block (\d+)/);
    expect(BigInt(m[1]!)).toBeGreaterThanOrEqual(8n);
  });

  it('prints the web app address and serves it there; --no-ui turns it off', async () => {
    const p = start([
      'devnet',
      '--datadir',
      join(temp(), 'ui'),
      '--rpc-port',
      '0',
      '--standby',
      '0',
    ]);
    const ui = (await p.waitFor(/Web app:\s+(http:\/\/127\.0\.0\.1:\d+\/)/))[1]!;
    const page = await fetch(ui);
    expect(page.status).toBe(200);
    expect(await page.text()).toContain('<div id="app">');
    const info = (await (await fetch(`${ui}etm-ui.json`)).json()) as { devnet: boolean };
    expect(info.devnet).toBe(true);
    const off = start([
      'devnet',
      '--datadir',
      join(temp(), 'no-ui'),
      '--rpc-port',
      '0',
      '--standby',
      '0',
      '--no-ui',
    ]);
    const rpc = (await off.waitFor(/JSON-RPC:\s+(http:\/\/127\.0\.0\.1:\d+)/))[1]!;
    await off.waitFor(/^block \d+/m); // the banner is complete
    expect(off.out).not.toContain('Web app:');
    expect((await fetch(`${rpc}/`)).status).toBe(405);
  });

  it('--rpc-vhosts sets the Host names the JSON-RPC serves', async () => {
    const p = start([
      'devnet',
      '--datadir',
      join(temp(), 'vhosts'),
      '--rpc-port',
      '0',
      '--standby',
      '0',
      '--rpc-vhosts',
      'node.example,rpc.example',
    ]);
    const port = Number((await p.waitFor(/JSON-RPC:\s+http:\/\/127\.0\.0\.1:(\d+)/))[1]!);
    const post = (host: string) =>
      new Promise<number>((resolve, reject) => {
        const body = '{"jsonrpc":"2.0","id":1,"method":"eth_chainId"}';
        const req = request(
          {
            host: '127.0.0.1',
            port,
            method: 'POST',
            headers: { host, 'content-type': 'application/json' },
          },
          (res) => {
            res.resume();
            resolve(res.statusCode!);
          },
        );
        req.on('error', reject);
        req.end(body);
      });
    expect(await post('node.example')).toBe(200);
    expect(await post('rpc.example:8545')).toBe(200);
    expect(await post('localhost')).toBe(403);
    expect(await post('127.0.0.1')).toBe(200);
  });

  it('refuses a port in use with a clear message', async () => {
    const first = start([
      'devnet',
      '--datadir',
      join(temp(), 'a'),
      '--rpc-port',
      '0',
      '--standby',
      '0',
    ]);
    const port = (await first.waitFor(/JSON-RPC:\s+http:\/\/127\.0\.0\.1:(\d+)/))[1]!;
    const second = etm([
      'devnet',
      '--datadir',
      join(temp(), 'b'),
      '--rpc-port',
      port,
      '--standby',
      '0',
    ]);
    expect(second.code).toBe(1);
    expect(second.err).toContain(`port ${port} on 127.0.0.1 is in use`);
  });
});

describe('etm stake, candidate and epoch', () => {
  it('registers a candidate on a standby node, votes it in, and sees it propose', async () => {
    const datadir = join(temp(), 'devnet');
    const p = start([
      'devnet',
      '--datadir',
      datadir,
      '--rpc-port',
      '0',
      '--block-time',
      '300',
      '--epoch-blocks',
      '10',
      '--standby',
      '1',
    ]);
    const rpc = (await p.waitFor(/JSON-RPC:\s+(http:\/\/127\.0\.0\.1:\d+)/))[1]!;
    const node4 = (await p.waitFor(/node4\s+(0x[0-9a-fA-F]{40})/))[1]!;
    const operator = '0x70997970C51812dc3A010C7d01b50e0d17dc79C8'; // dev account 1
    const reg = etm([
      'candidate',
      'register',
      '--rpc',
      rpc,
      '--dev-account',
      '1',
      '--dev-validator',
      '4',
      '--name',
      'mynode',
    ]);
    expect(reg.err).toBe('');
    expect(reg.out).toMatch(/register candidate mynode .* status success/s);
    const lock = etm([
      'stake',
      'lock',
      '--rpc',
      rpc,
      '--dev-account',
      '2',
      '--amount',
      '100000',
      '--candidate',
      operator,
    ]);
    expect(lock.out).toMatch(/status success/);
    const list = etm(['stake', 'list', '0x3C44CdDdB6a900fa2b585dd299e03d12FA4293BC', '--rpc', rpc]);
    expect(list.out).toMatch(/100000 ETM {2}votes for 0x70997970C51812dc3A010C7d01b50e0d17dc79C8/);
    const small = etm(['stake', 'lock', '--rpc', rpc, '--dev-account', '2', '--amount', '0.5']);
    expect(small.code).toBe(1);
    expect(small.err).toMatch(/below minLock/);
    expect(etm(['candidate', 'list', '--rpc', rpc]).out).toMatch(/^mynode .*active/m);
    // RANDAO: the registered onion, a renewal by the operator, a deposit top-up.
    // (It may already be proposing: reveals used and left add up to the onion's 65,536.)
    const randao = etm(['candidate', 'randao', operator, '--rpc', rpc]).out;
    const [, used, left] =
      /^generation 0: (\d+) of 65536 reveals used, (\d+) left; .*\nno renewal pending$/m.exec(
        randao,
      ) ?? [];
    expect(Number(used) + Number(left), randao).toBe(65536);
    const renew = etm([
      'candidate',
      'renew-randao',
      '--rpc',
      rpc,
      '--dev-account',
      '1',
      '--dev-validator',
      '4',
    ]);
    expect(renew.out).toMatch(
      /renew the RANDAO commitment of mynode \(generation 1, 65536 reveals\).*status success/s,
    );
    // Pending until the first block of the epoch after next, or already in force.
    expect(etm(['candidate', 'randao', operator, '--rpc', rpc]).out).toMatch(
      /^(renewal pending: consensus key 0x[0-9a-fA-F]{40}, commitment 0x[0-9a-f]{64}, from block \d+|generation 1: \d+ of 65536 reveals used.*)$/m,
    );
    const top = etm(['candidate', 'top-up', '--rpc', rpc, '--dev-account', '1', '--deposit', '10']);
    expect(top.out).toMatch(/add 10 ETM to the deposit.*status success/s);

    // Seated two epochs after the election that follows the vote, then it proposes.
    await p.waitFor(/proposer \S+ \(node4\)/, 60_000);
    const epoch = etm(['epoch', '--rpc', rpc]);
    expect(epoch.code).toBe(0);
    expect(epoch.out).toMatch(/^epoch \d+: blocks \d+–\d+, seed 0x[0-9a-f]{64}$/m);
    expect(epoch.out.toLowerCase()).toContain(node4.toLowerCase());
  }, 150_000);
});

describe('etm: help and bad input', () => {
  it('has --help on every command', () => {
    for (const cmd of [
      [],
      ['devnet'],
      ['init'],
      ['node'],
      ['keys'],
      ['keys', 'new'],
      ['tx', 'transfer'],
      ['stake'],
      ['stake', 'lock'],
      ['candidate', 'register'],
      ['candidate', 'renew-randao'],
      ['candidate', 'top-up'],
      ['candidate', 'randao'],
      ['epoch'],
      ['status'],
      ['sim', 'consensus'],
      ['gov', 'propose'],
    ]) {
      const r = etm([...cmd, '--help']);
      expect(r.code, cmd.join(' ')).toBe(0);
      expect(r.out).toMatch(/^Usage: etm/);
    }
  });

  it('reports bad input as one clear line and exit code 1', () => {
    const dir = temp();
    const cases: Array<[string[], RegExp]> = [
      [['node', '--config', join(dir, 'missing.json')], /^etm: .*missing\.json/],
      [['devnet', '--validators', '0'], /validators/],
      [['devnet', '--block-time', 'fast'], /block-time/],
      [['devnet', '--rpc-vhosts', 'bad host!'], /rpc-vhosts.*"bad host!" is not a host name/],
      [['devnet', '--rpc-cors', 'app.example'], /rpc-cors.*"app\.example" is not an origin/],
      [['node', '--config', 'x.json', '--rpc-cors', 'https://a.b/c'], /rpc-cors.*is not an origin/],
      [['tx', 'transfer', '--dev-account', '0', '--to', '0x1234', '--value', '1'], /address/i],
      [['tx', 'transfer', '--dev-account', '0', '--to', DEV0, '--value', '1.2.3'], /amount|value/i],
      [['status', '--rpc', 'http://127.0.0.1:1'], /^etm: /],
      [['nonsense'], /unknown command/],
      [['gov', 'propose', 'poll', '--dev-account', '0'], /no proposal kind poll/],
      [['bench', '--epoch-locks', '100000,10000'], /epoch-locks.*ascending/],
      [['bench', '--epoch-locks', '5,abc'], /epoch-locks.*lock counts from 10/],
    ];
    for (const [args, message] of cases) {
      const r = etm(args);
      expect(r.code, args.join(' ')).toBe(1);
      expect(r.err, args.join(' ')).toMatch(message);
      expect(r.err).not.toMatch(/\n\s+at /); // no stack traces for user errors
    }
  });

  it('init gives every node a network identity and the others as bootnodes', () => {
    const root = temp();
    const pw = join(root, 'pw');
    writeFileSync(pw, 'secret');
    const datadir = join(root, 'net');
    const init = etm([
      'init',
      '--datadir',
      datadir,
      '--validators',
      '3',
      '--password-file',
      pw,
      '--light-kdf',
      '--p2p-port',
      '40111',
    ]);
    expect(init.code, init.err).toBe(0);
    const ids = [...init.out.matchAll(/p2p \/ip4\/0\.0\.0\.0\/tcp\/(\d+)\/p2p\/(12D3Koo\w+)/g)];
    expect(ids.map((m) => m[1])).toEqual(['40111', '40112', '40113']);
    for (let i = 0; i < 3; i++) {
      expect(existsSync(join(datadir, `node-${i}`, 'p2p', 'key'))).toBe(true);
      const config = JSON.parse(readFileSync(join(datadir, `node-${i}.json`), 'utf8')) as {
        p2p: { listen: string[]; bootnodes: string[] };
      };
      expect(config.p2p.listen).toEqual([`/ip4/0.0.0.0/tcp/${40111 + i}`]);
      expect(config.p2p.bootnodes).toEqual(
        ids.filter((_, j) => j !== i).map((m) => `/ip4/127.0.0.1/tcp/${m[1]}/p2p/${m[2]}`),
      );
    }
  });

  it('refuses to init over a non-empty directory', () => {
    const dir = temp();
    writeFileSync(join(dir, 'keep.txt'), 'x');
    const r = etm(['init', '--datadir', dir, '--password-file', join(dir, 'keep.txt')]);
    expect(r.code).toBe(1);
    expect(r.err).toMatch(/^etm: .*not empty/);
    expect(readFileSync(join(dir, 'keep.txt'), 'utf8')).toBe('x');
  });

  it('checks the genesis before writing anything', () => {
    const root = temp();
    const pw = join(root, 'pw');
    writeFileSync(pw, 'pw\n');
    const target = join(root, 'net');
    const bad = etm(['init', '--datadir', target, '--password-file', pw, '--chain-id', 'zero']);
    expect(bad.code).toBe(1);
    expect(bad.err).toMatch(/^etm: .*chain ?id/i);
    expect(existsSync(target)).toBe(false);
    const ok = etm([
      'init',
      '--datadir',
      target,
      '--password-file',
      pw,
      '--light-kdf',
      '--alloc',
      `${DEV0}=0.5`,
    ]);
    expect(ok.code).toBe(0);
    const g = JSON.parse(readFileSync(join(target, 'genesis.json'), 'utf8')) as {
      alloc: Record<string, { balance: string }>;
    };
    expect(BigInt(g.alloc[DEV0]!.balance)).toBe(5n * 10n ** 17n);
    // The validator, a candidate from genesis, is funded with its deposit and as much again.
    expect(Object.keys(g.alloc)).toHaveLength(2);
  });
});
