/**
 * Slashing with every node in its own process (`etm devnet --processes`): a validator started
 * with the test-only equivocation switch double-signs; the honest nodes submit the evidence from
 * their accounts, a block carries it, the offender is slashed and tombstoned and leaves the set
 * at the next election, the chain never stalls, and conservation holds to the unit. The CLI's
 * `etm evidence list` and `etm candidate list` show it.
 */
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { toHex } from '../../src/crypto/bytes.js';
import { DEV_MNEMONIC, deriveAccounts } from '../../src/crypto/mnemonic.js';
import { economicState } from '../../src/economics/block.js';
import { DEV_ACCOUNT_COUNT, DEV_VALIDATOR_PATH } from '../../src/node/devnet.js';
import { Node } from '../../src/node/node.js';
import {
  prepareProcessDevnet,
  ProcessDevnet,
  type ProcessDevnetOptions,
} from '../../src/node/process-devnet.js';
import { SYSTEM_ACCOUNTS } from '../../src/primitives/system-addresses.js';
import { rpcCall } from '../../src/cli/rpc-client.js';
import { tempDir } from './helpers.js';

const ROOT = join(import.meta.dirname, '..', '..');
const ETM = join(ROOT, 'bin', 'etm.js');
// Every live validator proposes a few blocks of an epoch, so none is taken for down.
const EPOCH = 12;

beforeAll(() => {
  // The node processes and the CLI run bin/etm.js from dist/: build it when this file runs alone.
  const r = spawnSync('npx', ['tsc', '-p', 'tsconfig.build.json'], { cwd: ROOT, encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`build failed: ${r.stdout}${r.stderr}`);
}, 180_000);

function etm(args: string[]) {
  const r = spawnSync(process.execPath, [ETM, ...args], { encoding: 'utf8', timeout: 60_000 });
  return { code: r.status, out: r.stdout, err: r.stderr };
}

async function until(what: string, f: () => Promise<boolean> | boolean, ms: number) {
  const deadline = Date.now() + ms;
  while (!(await f())) {
    if (Date.now() > deadline) throw new Error(`${what}: not within ${ms} ms`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

interface RpcCandidate {
  address: string;
  status: string;
  slashes: { reason: string; amount: string; reporter: string | null }[];
}

describe('etm devnet --processes with a double-signing validator', () => {
  const dir = tempDir();
  let devnet: ProcessDevnet;
  const keys = deriveAccounts(DEV_MNEMONIC, 4, DEV_VALIDATOR_PATH);
  const rpc = () => devnet.nodes[0]!.rpcUrl!;

  beforeAll(async () => {
    const o: ProcessDevnetOptions = {
      validators: 4,
      blockTimeMs: 400,
      datadir: dir.dir,
      reset: true,
      staking: { epochBlocks: EPOCH, rankedSeats: 3, lotterySeats: 1 },
      restartOnCrash: false,
      equivocators: [3],
    };
    const { genesis, nodes } = await prepareProcessDevnet(o);
    devnet = new ProcessDevnet(genesis, nodes, o);
    devnet.startAll();
    await until('rpc', () => devnet.nodes[0]!.rpcUrl !== null, 60_000);
  }, 120_000);

  afterAll(async () => {
    await devnet?.stop();
    dir.remove();
  });

  it('honest nodes carry the evidence into a block: slashed, tombstoned, out of the set', async () => {
    const bad = keys[3]!.checksumAddress;
    let cands: RpcCandidate[] = [];
    await until(
      'tombstone',
      async () => {
        cands = await rpcCall<RpcCandidate[]>(rpc(), 'etm_getCandidates');
        return cands.find((c) => c.address === bad)?.status === 'tombstoned';
      },
      90_000,
    );
    const c = cands.find((x) => x.address === bad)!;
    expect(c.slashes.map((s) => [s.reason, BigInt(s.amount)])).toEqual([
      ['double-sign', 100n * 10n ** 18n],
    ]);
    const honest = keys.slice(0, 3).map((k) => k.checksumAddress);
    expect(honest).toContain(c.slashes[0]!.reporter);
    const evidence = await rpcCall<{ validator: string; block: string }[]>(
      rpc(),
      'etm_getEvidence',
    );
    expect(evidence.map((e) => e.validator)).toEqual([bad]);
    // The honest nodes saw the equivocation.
    for (const n of devnet.nodes.slice(0, 3))
      expect(n.count('equivocation'), n.name).toBeGreaterThan(0);

    const listed = etm(['evidence', 'list', '--rpc', rpc()]);
    expect(listed.code, listed.err).toBe(0);
    expect(listed.out).toContain(`${bad} (operator ${bad}) signed two PREPARE`);
    const cl = etm(['candidate', 'list', '--rpc', rpc()]);
    expect(cl.out).toMatch(/node3 .* tombstoned, .*slashed 100 ETM \(double-sign\)/);
    const unjail = etm(['candidate', 'unjail', '--rpc', rpc(), '--dev-account', '0']);
    expect(unjail.code).not.toBe(0);
    expect(unjail.err).toContain('not a candidate');

    // Out of the set once the next election's epoch begins; blocks keep coming.
    const at = BigInt(evidence[0]!.block);
    const out = (at / BigInt(EPOCH) + 3n) * BigInt(EPOCH) + 1n;
    await until('the set without it', () => devnet.nodes[0]!.head >= out + 2n, 60_000);
    const validators = await rpcCall<{ validators: string[] }>(rpc(), 'etm_getValidators');
    expect(validators.validators).not.toContain(bad);
    const now = await rpcCall<RpcCandidate[]>(rpc(), 'etm_getCandidates');
    expect(now.filter((x) => x.status !== 'active').map((x) => x.address)).toEqual([bad]);
    expect(validators.validators).toHaveLength(3);
  }, 180_000);

  it('conservation holds to the unit on the stopped chain', async () => {
    await devnet.stop();
    const node = new Node({
      datadir: join(dir.dir, 'node0'),
      genesis: devnet.genesis,
      validatorKey: null,
      recoveryPool: null,
    });
    try {
      const state = node.chain.headState();
      let sum = 0n;
      for (const a of [
        ...deriveAccounts(DEV_MNEMONIC, DEV_ACCOUNT_COUNT).map((x) => x.address),
        ...keys.map((k) => k.address),
        ...SYSTEM_ACCOUNTS,
      ]) {
        const acc = state.getAccount(a);
        sum += acc.balance + acc.locked;
      }
      expect(sum).toBe(economicState(state).supply);
      expect(node.chain.headNumber).toBeGreaterThan(BigInt(3 * EPOCH));
      expect(toHex(node.chain.headHash)).toMatch(/^0x/);
    } finally {
      await node.stop();
    }
  }, 60_000);
});
