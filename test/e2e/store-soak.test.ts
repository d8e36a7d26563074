/**
 * Soak: a validator node process under load (batches of transfers and reads over JSON-RPC) is
 * killed with SIGKILL and restarted, several times. Every restart must open the store at the
 * last block the node reported, or at the one before when the kill fell between deciding that
 * block and its write reaching the disk (docs/node.md, Storage); and the chain must go on, with no
 * store error (MDB_BAD_TXN "reserved freelist had a data entry with zero-size" appeared after
 * such restarts; see docs/state.md) and no consensus or import error.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { bigintToBytes, toHex } from '../../src/crypto/bytes.js';
import { DEV_MNEMONIC, deriveAccounts } from '../../src/crypto/mnemonic.js';
import { signTx } from '../execution/helpers.js';
import { tempDir } from './helpers.js';

const ROOT = join(import.meta.dirname, '..', '..');
const ETM = join(ROOT, 'bin', 'etm.js');
const ENV = process.env;
const CYCLES = 4;
const tmp = tempDir('etm-soak-');
let child: ChildProcess | null = null;

beforeAll(() => {
  const r = spawnSync('npx', ['tsc', '-p', 'tsconfig.build.json'], { cwd: ROOT, encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`build failed: ${r.stdout}${r.stderr}`);
}, 120_000);
afterAll(() => {
  child?.kill('SIGKILL');
  tmp.remove();
});

interface Run {
  out: string;
  rpc: string;
  exited: Promise<void>;
}

/** Starts the node; resolves once its JSON-RPC is up. */
async function startNode(config: string): Promise<Run> {
  const p = spawn(process.execPath, [ETM, 'node', '--config', config], {
    env: ENV,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  child = p;
  const run: Run = {
    out: '',
    rpc: '',
    exited: new Promise((r) => p.once('exit', () => r())),
  };
  p.stdout!.on('data', (d: Buffer) => (run.out += d.toString()));
  p.stderr!.on('data', (d: Buffer) => (run.out += d.toString()));
  const deadline = Date.now() + 30_000;
  for (;;) {
    const m = run.out.match(/JSON-RPC (http:\/\/127\.0\.0\.1:\d+)/);
    if (m) {
      run.rpc = m[1]!;
      return run;
    }
    if (p.exitCode !== null) throw new Error(`node exited: ${run.out}`);
    if (Date.now() > deadline) throw new Error(`node did not start: ${run.out}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

const heights = (out: string) => [...out.matchAll(/block (\d+) /g)].map((m) => BigInt(m[1]!));

async function rpc(url: string, body: unknown): Promise<unknown> {
  const res = await fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });
  return res.json();
}

describe('the store under kill -9 restarts', () => {
  it('reopens at its last reported block every time, and the chain goes on without store errors', async () => {
    const datadir = join(tmp.dir, 'net');
    const pw = join(tmp.dir, 'pw');
    writeFileSync(pw, 'soak\n');
    const init = spawnSync(
      process.execPath,
      [
        ETM,
        'init',
        '--datadir',
        datadir,
        '--dev-accounts',
        '--password-file',
        pw,
        '--light-kdf',
        '--block-time',
        '200',
        '--rpc-port',
        '0',
        '--p2p-port',
        '0',
      ],
      { env: ENV, encoding: 'utf8' },
    );
    expect(init.status, init.stderr).toBe(0);
    // Without peers: the one validator makes every block.
    const configPath = join(datadir, 'node-0.json');
    const config = JSON.parse(readFileSync(configPath, 'utf8')) as Record<string, unknown> & {
      validator: { passwordFile?: string };
    };
    delete config.p2p;
    config.validator.passwordFile = pw;
    writeFileSync(configPath, JSON.stringify(config));

    const accounts = deriveAccounts(DEV_MNEMONIC, 4);
    const to = new Uint8Array(20).fill(0x5a);
    let reported = 0n;
    let sent = 0;
    for (let cycle = 0; cycle < CYCLES; cycle++) {
      const run = await startNode(configPath);
      const opened = run.out.match(/head (\d+)/);
      expect(opened, run.out).not.toBeNull();
      // Every block reported before the last kill was durable, but the last one may have been
      // decided and not yet on disk (the node then reopens at the block before and decides
      // that height again).
      expect(BigInt(opened![1]!)).toBeGreaterThanOrEqual(reported - 1n);
      // Load until a random moment, then kill -9 mid-stream.
      const killAt = Date.now() + 1500 + ((cycle * 577) % 1500);
      while (Date.now() < killAt) {
        const batch = [];
        for (const { privateKey: key, address: from } of accounts) {
          const address = toHex(from);
          const nonce = (await rpc(run.rpc, {
            jsonrpc: '2.0',
            id: 1,
            method: 'eth_getTransactionCount',
            params: [address, 'pending'],
          })) as { result: string };
          for (let k = 0; k < 25; k++) {
            const raw = signTx(
              2,
              {
                nonce: BigInt(nonce.result) + BigInt(k),
                to,
                value: BigInt(++sent),
                data: bigintToBytes(BigInt(sent)),
                gasLimit: 30_000n,
                maxFeePerGas: 100_000_000_000n,
              },
              { key },
            ).raw;
            batch.push({
              jsonrpc: '2.0',
              id: batch.length,
              method: 'eth_sendRawTransaction',
              params: [toHex(raw)],
            });
          }
        }
        await Promise.all([
          rpc(run.rpc, batch).catch(() => null),
          rpc(run.rpc, {
            jsonrpc: '2.0',
            id: 1,
            method: 'eth_getLogs',
            params: [{ fromBlock: '0x0' }],
          }).catch(() => null),
          rpc(run.rpc, {
            jsonrpc: '2.0',
            id: 2,
            method: 'eth_getBlockByNumber',
            params: ['latest', true],
          }).catch(() => null),
        ]);
      }
      child!.kill('SIGKILL');
      await run.exited;
      const seen = heights(run.out);
      if (seen.length > 0) reported = seen[seen.length - 1]!;
      expect(run.out).not.toMatch(/MDB_|freelist|consensus error|import-error|listener error/);
    }
    // A last run: the chain goes on past where it was killed.
    const last = await startNode(configPath);
    const deadline = Date.now() + 20_000;
    while (!heights(last.out).some((h) => h > reported + 2n)) {
      if (Date.now() > deadline) throw new Error(`no new blocks: ${last.out}`);
      await new Promise((r) => setTimeout(r, 100));
    }
    expect(last.out).not.toMatch(/MDB_|freelist|consensus error|import-error/);
    expect(reported).toBeGreaterThan(5n);
    child!.kill('SIGKILL');
    await last.exited;
  }, 120_000);
});
