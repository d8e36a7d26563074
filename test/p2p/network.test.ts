/**
 * Real networks of `etm node` processes talking libp2p: on loopback (4 validators and a
 * follower: kill -9 and restart, loss of quorum and recovery, a follower syncing 1,000+ blocks,
 * transactions sent to the follower committed by the validators through gossip) and across
 * Linux network namespaces (a validator partitioned away and healed), plus
 * `etm devnet --processes` with its metrics. Everything waits on what the nodes log.
 */
import { spawn, spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { privateKeyToAccount } from 'viem/accounts';
import { toHex } from '../../src/crypto/bytes.js';
import { DEV_MNEMONIC, deriveAccounts } from '../../src/crypto/mnemonic.js';
import { devGenesis, DEV_VALIDATOR_PATH } from '../../src/node/devnet.js';
import {
  ETM_BIN,
  prepareProcessDevnet,
  ProcessDevnet,
  type DevnetProcess,
} from '../../src/node/process-devnet.js';
import { copyChain, preProduce, sleep, tempDir, waitUntil, writeGenesis } from './helpers.js';

const ROOT = join(import.meta.dirname, '..', '..');
const PRE_BUILT = 1000;

beforeAll(() => {
  // The node processes run bin/etm.js from dist/: build it when this file runs on its own.
  const r = spawnSync('npx', ['tsc', '-p', 'tsconfig.build.json'], { cwd: ROOT, encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`build failed: ${r.stdout}${r.stderr}`);
}, 180_000);

const maxHead = (nodes: DevnetProcess[]) => nodes.reduce((m, n) => (n.head > m ? n.head : m), -1n);
const heads = (d: ProcessDevnet) => d.nodes.map((n) => `${n.name}:${n.head}`).join(' ');

/** Every pair of nodes logged the same hash and state root at every height both committed. */
function expectAgreement(nodes: DevnetProcess[]): number {
  let compared = 0;
  const [first, ...rest] = nodes;
  for (const [h, b] of first!.blocks) {
    for (const n of rest) {
      const other = n.blocks.get(h);
      if (!other) continue;
      expect(other, `${n.name} at ${h}`).toEqual(b);
      compared++;
    }
  }
  return compared;
}

describe('4 validator processes and a follower on loopback', () => {
  const dir = tempDir();
  let devnet: ProcessDevnet;
  let pre: { hashes: string[]; stateRoots: string[] };
  const validators = () => devnet.nodes.slice(0, 4);
  const failures = (n: DevnetProcess) => `${heads(devnet)}\n${n.name}:\n${n.tail()}`;

  beforeAll(async () => {
    const blockTimeMs = 500;
    const genesis = devGenesis(4, blockTimeMs, BigInt(Math.floor(Date.now() / 1000)));
    writeGenesis(dir.dir, genesis);
    const keys = deriveAccounts(DEV_MNEMONIC, 4, DEV_VALIDATOR_PATH).map((k) => k.privateKey);
    pre = await preProduce(join(dir.dir, 'node0'), genesis, keys, PRE_BUILT);
    copyChain(
      join(dir.dir, 'node0'),
      [1, 2, 3].map((i) => join(dir.dir, `node${i}`)),
    );
    const o = {
      validators: 4,
      blockTimeMs,
      datadir: dir.dir,
      reset: false,
      followers: 1,
      restartOnCrash: false,
    };
    const { genesis: g, nodes } = await prepareProcessDevnet(o);
    devnet = new ProcessDevnet(g, nodes, o);
    devnet.startAll();
  }, 180_000);

  afterAll(async () => {
    await devnet?.stop();
    dir.remove();
  });

  it('continues the pre-built chain with every validator in its own process', async () => {
    await waitUntil(
      () => validators().every((n) => n.head >= PRE_BUILT + 3),
      120_000,
      () => heads(devnet),
    );
    expect(expectAgreement(validators())).toBeGreaterThan(0);
  });

  it('a validator killed with kill -9 catches up after restart, and nobody double-signs', async () => {
    await devnet.killNode(1, 'SIGKILL');
    const killedAt = devnet.nodes[1]!.head;
    const others = [0, 2, 3].map((i) => devnet.nodes[i]!);
    await waitUntil(
      () => others.every((n) => n.head >= killedAt + 5n),
      60_000,
      () => heads(devnet),
    );
    devnet.startNode(1);
    const target = maxHead(others) + 3n;
    await waitUntil(
      () => devnet.nodes[1]!.head >= target,
      90_000,
      () => failures(devnet.nodes[1]!),
    );
    for (const n of validators()) expect(n.count('equivocation'), n.name).toBe(0);
    expect(devnet.nodes[1]!.count('consensus-error')).toBe(0);
    expectAgreement(validators());
  });

  it('halts when 2 of 4 validators are down, and resumes when they return', async () => {
    await devnet.killNode(2, 'SIGKILL');
    await devnet.stopNode(3);
    const live = [devnet.nodes[0]!, devnet.nodes[1]!];
    // A block already sealed when they stopped may still land; then nothing can.
    await sleep(3000);
    const halted = maxHead(live);
    await sleep(5000);
    expect(maxHead(live)).toBe(halted);
    devnet.startNode(2);
    devnet.startNode(3);
    await waitUntil(
      () => validators().every((n) => n.head >= halted + 3n),
      120_000,
      () => heads(devnet),
    );
    for (const n of validators()) expect(n.count('equivocation'), n.name).toBe(0);
    expectAgreement(validators());
  });

  it('a follower that joins after 1,000+ blocks syncs to the head with identical state roots', async () => {
    const follower = devnet.startNode(4);
    const target = maxHead(validators());
    expect(target).toBeGreaterThan(BigInt(PRE_BUILT));
    await waitUntil(
      () => follower.head >= target,
      120_000,
      () => failures(follower),
    );
    for (let h = 1; h <= PRE_BUILT; h++) {
      expect(follower.blocks.get(BigInt(h))).toEqual({
        hash: pre.hashes[h - 1],
        stateRoot: pre.stateRoots[h - 1],
      });
    }
    expect(expectAgreement([follower, ...validators()])).toBeGreaterThan(0);
    const n0 = devnet.nodes[0]!.blocks.get(target)!;
    expect(follower.blocks.get(target)).toEqual(n0);
  });

  it('transactions sent to the follower reach the validators in gossip batches and are committed', async () => {
    const follower = devnet.nodes[4]!;
    const rpc = async (url: string, body: unknown) =>
      (await (
        await fetch(url, {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify(body),
        })
      ).json()) as unknown;
    // JSON-RPC batches hold at most 100 requests.
    const batch = async (u: string, reqs: unknown[]) => {
      const out: unknown[] = [];
      for (let i = 0; i < reqs.length; i += 100)
        out.push(...((await rpc(u, reqs.slice(i, i + 100))) as unknown[]));
      return out;
    };
    const call = async <T>(url: string, method: string, params: unknown[] = []) =>
      ((await rpc(url, { jsonrpc: '2.0', id: 1, method, params })) as { result: T }).result;
    const url = follower.rpcUrl!;
    const chainId = Number(await call<string>(url, 'eth_chainId'));
    const gasPrice = BigInt(await call<string>(url, 'eth_gasPrice'));
    // 300 transfers from six dev accounts (50 each: a sender may queue 64) in JSON-RPC batches
    // of 100: what the follower admits in one turn leaves as one gossip message.
    const senders = deriveAccounts(DEV_MNEMONIC, 6).map((a) =>
      privateKeyToAccount(toHex(a.privateKey)),
    );
    const raws: string[] = [];
    for (const [i, account] of senders.entries()) {
      const nonce = Number(
        await call<string>(url, 'eth_getTransactionCount', [account.address, 'latest']),
      );
      for (let k = 0; k < 50; k++) {
        raws.push(
          await account.signTransaction({
            chainId,
            type: 'eip1559',
            nonce: nonce + k,
            to: senders[(i + 1) % senders.length]!.address,
            value: 1n,
            gas: 21_000n,
            maxFeePerGas: gasPrice * 2n,
            maxPriorityFeePerGas: gasPrice,
          }),
        );
      }
    }
    const answers = (await batch(
      url,
      raws.map((raw, id) => ({
        jsonrpc: '2.0',
        id,
        method: 'eth_sendRawTransaction',
        params: [raw],
      })),
    )) as { result?: string; error?: unknown }[];
    const hashes = answers.map((a) => a.result);
    expect(answers.filter((a) => a.error)).toEqual([]);
    // The follower proposes nothing: only gossip gets them into blocks, and every validator
    // then holds every receipt, all successful.
    const receipts = async (n: DevnetProcess) =>
      (
        (await batch(
          n.rpcUrl!,
          hashes.map((h, id) => ({
            jsonrpc: '2.0',
            id,
            method: 'eth_getTransactionReceipt',
            params: [h],
          })),
        )) as { result: { status: string } | null }[]
      ).map((r) => r.result);
    for (const n of validators()) {
      let last: ({ status: string } | null)[] = [];
      await waitUntil(
        async () => (last = await receipts(n)).every((r) => r !== null),
        60_000,
        () =>
          `${n.name}: ${last.filter((r) => r === null).length} receipts missing; ${heads(devnet)}`,
      );
      expect(last.map((r) => r!.status)).toEqual(hashes.map(() => '0x1'));
    }
    for (const n of validators()) expect(n.count('equivocation'), n.name).toBe(0);
  });
});

/** Runs `ip` with the arguments; throws with its output on failure. */
function ip(...args: string[]): void {
  const r = spawnSync('ip', args, { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`ip ${args.join(' ')}: ${r.error?.message ?? r.stderr}`);
}

/** Whether this machine lets us create network namespaces (root, iproute2, no seccomp veto). */
function netnsAvailable(): string | null {
  const probe = `etmprobe${process.pid}`;
  const r = spawnSync('ip', ['netns', 'add', probe], { encoding: 'utf8' });
  if (r.error) return `iproute2 is not installed (${r.error.message})`;
  if (r.status !== 0) return `ip netns add failed: ${r.stderr.trim()}`;
  spawnSync('ip', ['netns', 'del', probe]);
  return null;
}

const netnsProblem = netnsAvailable();
if (netnsProblem) {
  console.warn(`skipping the network namespace test: ${netnsProblem}`);
}

describe.skipIf(netnsProblem !== null)('validators on separate hosts (network namespaces)', () => {
  const dir = tempDir();
  const tag = String(process.pid % 100000);
  const subnet = `10.${77 + (process.pid % 100)}.${process.pid % 250}`;
  const hub = `etm${tag}hub`;
  const ns = (i: number) => `etm${tag}n${i}`;
  const hubSide = (i: number) => `ve${tag}h${i}`;
  let devnet: ProcessDevnet | undefined;

  beforeAll(async () => {
    // A hub namespace with a bridge; each node's namespace hangs off it by a veth pair.
    ip('netns', 'add', hub);
    ip('-n', hub, 'link', 'add', 'br0', 'type', 'bridge');
    ip('-n', hub, 'link', 'set', 'br0', 'up');
    for (let i = 0; i < 4; i++) {
      ip('netns', 'add', ns(i));
      ip('link', 'add', `ve${tag}n${i}`, 'type', 'veth', 'peer', 'name', hubSide(i));
      ip('link', 'set', `ve${tag}n${i}`, 'netns', ns(i));
      ip('link', 'set', hubSide(i), 'netns', hub);
      ip('-n', ns(i), 'addr', 'add', `${subnet}.${i + 1}/24`, 'dev', `ve${tag}n${i}`);
      ip('-n', ns(i), 'link', 'set', `ve${tag}n${i}`, 'up');
      ip('-n', ns(i), 'link', 'set', 'lo', 'up');
      ip('-n', hub, 'link', 'set', hubSide(i), 'master', 'br0');
      ip('-n', hub, 'link', 'set', hubSide(i), 'up');
    }
    const o = {
      validators: 4,
      blockTimeMs: 500,
      datadir: dir.dir,
      reset: false,
      restartOnCrash: false,
      hostOf: (i: number) => `${subnet}.${i + 1}`,
      // Fixed ports: free ones cannot be probed from outside the namespaces.
      p2pPort: 30300,
      rpcPort: 18545,
      commandPrefix: (i: number) => ['ip', 'netns', 'exec', ns(i)],
    };
    const { genesis, nodes } = await prepareProcessDevnet(o);
    devnet = new ProcessDevnet(genesis, nodes, o);
    devnet.startAll();
  }, 120_000);

  afterAll(async () => {
    await devnet?.stop();
    for (let i = 0; i < 4; i++) spawnSync('ip', ['netns', 'del', ns(i)]);
    spawnSync('ip', ['netns', 'del', hub]);
    dir.remove();
  });

  it('keeps going without a partitioned validator, which catches up and agrees once healed', async () => {
    const d = devnet!;
    await waitUntil(
      () => d.nodes.every((n) => n.head >= 3n),
      120_000,
      () => heads(d),
    );
    ip('-n', hub, 'link', 'set', hubSide(3), 'down');
    const cut = d.nodes[3]!.head;
    const majority = d.nodes.slice(0, 3);
    await waitUntil(
      () => majority.every((n) => n.head >= cut + 6n),
      90_000,
      () => heads(d),
    );
    // Cut off, the lone validator cannot commit (a block in flight may still land).
    expect(d.nodes[3]!.head).toBeLessThanOrEqual(cut + 1n);
    ip('-n', hub, 'link', 'set', hubSide(3), 'up');
    const target = maxHead(majority) + 2n;
    await waitUntil(
      () => d.nodes[3]!.head >= target,
      120_000,
      () => `${heads(d)}\n${d.nodes[3]!.tail()}`,
    );
    await waitUntil(
      () => majority.every((n) => n.head >= target),
      60_000,
      () => heads(d),
    );
    expect(expectAgreement(d.nodes)).toBeGreaterThan(0);
    for (const n of d.nodes) expect(n.count('equivocation'), n.name).toBe(0);
  });
});

describe('etm devnet --processes', () => {
  it('runs one process per validator, serves metrics, and stops on SIGINT', async () => {
    const dir = tempDir();
    const child = spawn(
      process.execPath,
      [
        ETM_BIN,
        'devnet',
        '--processes',
        '--datadir',
        dir.dir,
        '--block-time',
        '400',
        '--p2p-port',
        '0',
        '--rpc-port',
        '0',
        '--metrics-port',
        '0',
      ],
      { stdio: ['ignore', 'pipe', 'pipe'] },
    );
    let out = '';
    child.stdout.on('data', (b: Buffer) => (out += b.toString()));
    child.stderr.on('data', (b: Buffer) => (out += b.toString()));
    const exited = new Promise<number | null>((r) => child.once('exit', (code) => r(code)));
    try {
      await waitUntil(
        () => /block 4 /.test(out),
        120_000,
        () => out,
      );
      expect(out).toMatch(/node3\s+validator 0x/);
      const url = out.match(/metrics (http:\/\/127\.0\.0\.1:\d+\/metrics)/)![1]!;
      let text = '';
      await waitUntil(
        async () => {
          text = await (await fetch(url)).text();
          return /^etm_peers 3$/m.test(text);
        },
        60_000,
        () => text,
      );
      expect(Number(text.match(/^etm_head_height (\d+)$/m)![1])).toBeGreaterThanOrEqual(4);
      for (const name of [
        'etm_consensus_round',
        'etm_mempool_size',
        'etm_block_import_seconds_count',
        'etm_p2p_messages_in_total',
        'etm_p2p_messages_out_total',
      ])
        expect(text).toContain(name);
      // Blocks come from every validator: each proposes in turn.
      await waitUntil(
        () => [0, 1, 2, 3].every((i) => out.includes(`(node${i})`)),
        60_000,
        () => out,
      );
      child.kill('SIGINT');
      expect(await exited).toBe(0);
    } finally {
      if (child.exitCode === null) child.kill('SIGKILL');
      dir.remove();
    }
  });
});
