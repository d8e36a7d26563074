/**
 * Storage: a chain reopened from its directory is the chain it was, and a node killed with
 * SIGKILL at any moment reopens at a committed block whose state is complete and is what
 * re-executing the blocks gives.
 */
import { spawn } from 'node:child_process';
import { existsSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { open } from 'lmdb';
import { afterEach, describe, expect, it } from 'vitest';
import { blockHash, decodeBlock } from '../../src/chain/block.js';
import type { Chain } from '../../src/chain/chain.js';
import { genesisToJson } from '../../src/chain/genesis.js';
import { decodeStoredReceipts, encodeStoredReceipts } from '../../src/codec/receipt.js';
import { StoreError } from '../../src/chain/store.js';
import { toHex, uint64be } from '../../src/crypto/bytes.js';
import { keccak256 } from '../../src/crypto/keccak.js';
import { MessageType, type WalRecord } from '../../src/consensus/types.js';
import {
  DAO_TREASURY,
  STAKING_REWARD_POOL,
  VOTER_BONUS_POOL,
} from '../../src/primitives/system-addresses.js';
import { economicState } from '../../src/economics/block.js';
import {
  buildNext,
  commitNext,
  GENESIS,
  newChain,
  NOW_MS,
  openChain,
  STRANGER,
  TempDirs,
  USER_KEYS,
  USERS,
  VALIDATOR_KEYS,
  VALIDATORS,
  workload,
} from './helpers.js';

const t = new TempDirs();
afterEach(() => t.cleanup());

/** Everything a reopened chain must give back as it was. */
function snapshot(c: Chain) {
  const heights = Array.from({ length: Number(c.headNumber) + 1 }, (_, i) => BigInt(i));
  return {
    head: c.headNumber,
    hash: toHex(c.headHash),
    root: toHex(c.head.header.stateRoot),
    nextBaseFee: c.nextBaseFee(),
    blocks: heights.map((h) => toHex(c.blockBytesAt(h)!)),
    receipts: heights.map((h) => toHex(c.store.receipts(h)!)),
    validators: heights.map((h) => c.validatorsAt(h + 1n).map(toHex)),
    accounts: [...USERS, STRANGER, ...VALIDATORS, DAO_TREASURY].map((a) =>
      c.headState().getAccount(a),
    ),
  };
}

/** Sum of balances and locks of every account the workloads touch. */
/** Everything every account holds; it must equal the supply B the economics keep. */
function holdings(c: Chain): bigint {
  const state = c.headState();
  return [...USERS, STRANGER, ...VALIDATORS, DAO_TREASURY, STAKING_REWARD_POOL, VOTER_BONUS_POOL]
    .map((a) => state.getAccount(a))
    .reduce((sum, a) => sum + a.balance + a.locked, 0n);
}

const supplyOf = (c: Chain) => economicState(c.headState()).supply;

describe('reopening a chain', () => {
  it('gives the same head, state, receipts, indexes and validator sets, and goes on alike', async () => {
    const dir = t.make();
    const store = t.store(dir);
    const c = openChain(store);
    const twin = newChain(t);
    for (let h = 1n; h <= 6n; h++) {
      await commitNext(c, workload(h));
      await commitNext(twin, workload(h));
    }
    const before = snapshot(c);
    await store.close();

    const reopened = openChain(t.store(dir));
    expect(snapshot(reopened)).toEqual(before);
    expect(reopened.genesisHash).toEqual(c.genesisHash);
    for (let h = 1n; h <= 6n; h++) {
      const block = reopened.blockAt(h)!;
      expect(reopened.store.numberOf(blockHash(block))).toBe(h);
      for (const [i, raw] of block.transactions.entries())
        expect(reopened.store.txLocation(keccak256(raw))).toEqual({ number: h, index: i });
    }
    // The reopened chain builds the same next block as one that never stopped.
    const a = await commitNext(reopened, workload(7n));
    const b = await commitNext(twin, workload(7n));
    expect(blockHash(a)).toEqual(blockHash(b));
    expect(a.header.stateRoot).toEqual(b.header.stateRoot);
    expect(a.header.extra.parentSealBitmap).toEqual(b.header.extra.parentSealBitmap);
  });

  it('reopens a chain that never got past genesis', async () => {
    const dir = t.make();
    const store = t.store(dir);
    const c = openChain(store);
    const genesisHash = c.genesisHash;
    const balance = c.headState().getAccount(USERS[0]!).balance;
    await store.close();
    const again = openChain(t.store(dir));
    expect(again.headNumber).toBe(0n);
    expect(again.headHash).toEqual(genesisHash);
    expect(again.headState().getAccount(USERS[0]!).balance).toBe(balance);
  });

  it('keeps a bounded number of blocks in memory', async () => {
    const c = newChain(t);
    for (let i = 0; i < 300; i++) await commitNext(c);
    const cache = (c as unknown as { blockCache: Map<bigint, unknown> }).blockCache;
    expect(cache.size).toBeLessThanOrEqual(256);
    // Evicted blocks are read back from the store.
    expect(c.blockAt(1n)!.header.number).toBe(1n);
    expect(c.blockAt(300n)).toEqual(c.head);
  });
});

describe('ChainStore', () => {
  it('starts empty, and writes a block with everything it brings', async () => {
    const dir = t.make();
    const store = t.store(dir);
    expect(store.head()).toBeNull();
    expect(store.genesisHash()).toBeUndefined();
    expect(store.block(0n)).toBeUndefined();
    const hash = keccak256(Uint8Array.of(1));
    const node = Uint8Array.of(9, 9, 9);
    const nodeHash = keccak256(node);
    const txHashes = [keccak256(Uint8Array.of(2)), keccak256(Uint8Array.of(3))];
    store.commitBlock(
      {
        number: 0n,
        hash,
        block: Uint8Array.of(0xc0),
        receipts: encodeStoredReceipts([]),
        txHashes,
        nodes: [[nodeHash, node]],
      },
      true,
    );
    store.commitBlock({
      number: 1n,
      hash: keccak256(Uint8Array.of(4)),
      block: Uint8Array.of(0xc1, 0x80),
      receipts: encodeStoredReceipts([]),
      txHashes: [],
      nodes: [],
    });
    await store.close();
    const again = t.store(dir);
    expect(again.head()).toBe(1n);
    expect(again.genesisHash()).toEqual(hash);
    expect(again.block(0n)).toEqual(Uint8Array.of(0xc0));
    expect(again.block(1n)).toEqual(Uint8Array.of(0xc1, 0x80));
    expect(again.numberOf(hash)).toBe(0n);
    expect(again.numberOf(keccak256(Uint8Array.of(4)))).toBe(1n);
    expect(again.numberOf(keccak256(Uint8Array.of(5)))).toBeUndefined();
    expect(decodeStoredReceipts(again.receipts(0n)!)).toEqual([]);
    expect(again.txLocation(txHashes[1]!)).toEqual({ number: 0n, index: 1 });
    expect(again.txLocation(hash)).toBeUndefined();
    expect(again.get(nodeHash)).toEqual(node);
    expect(again.get(hash)).toBeUndefined();
  });

  it('keeps the consensus WAL across reopening, in order, and prunes it by height', async () => {
    const dir = t.make();
    const store = t.store(dir);
    const record = (height: number, round: number): WalRecord => ({
      kind: 'signed',
      height,
      round,
      type: MessageType.Prepare,
      digest: keccak256(Uint8Array.of(height, round)),
      message: Uint8Array.of(height, round, 7),
    });
    const prepared: WalRecord = {
      kind: 'prepared',
      height: 2,
      round: 1,
      block: Uint8Array.of(0xc0),
      prepares: [Uint8Array.of(1), Uint8Array.of(2)],
    };
    store.walAppend(record(1, 0));
    store.walAppend(record(2, 0));
    store.walAppend(prepared);
    expect(store.walLoad()).toEqual([record(1, 0), record(2, 0), prepared]);
    await store.close();
    const again = t.store(dir);
    expect(again.walLoad()).toEqual([record(1, 0), record(2, 0), prepared]);
    // New records go after the old ones, not over them.
    again.walAppend(record(3, 2));
    expect(again.walLoad()).toEqual([record(1, 0), record(2, 0), prepared, record(3, 2)]);
    again.walPrune(2);
    expect(again.walLoad()).toEqual([record(2, 0), prepared, record(3, 2)]);
    again.walPrune(4);
    expect(again.walLoad()).toEqual([]);
    await again.close();
    const third = t.store(dir);
    expect(third.walLoad()).toEqual([]);
    third.walAppend(record(5, 0));
    expect(third.walLoad()).toEqual([record(5, 0)]);
  });

  it('reports a damaged WAL as a StoreError', async () => {
    const dir = t.make();
    const store = t.store(dir);
    store.walAppend({
      kind: 'signed',
      height: 1,
      round: 0,
      type: MessageType.Commit,
      digest: new Uint8Array(32),
      message: Uint8Array.of(1),
    });
    await store.close();
    const raw = open({ path: dir, maxDbs: 16, compression: false });
    const wal = raw.openDB<Uint8Array, Uint8Array>({
      name: 'wal',
      encoding: 'binary',
      keyEncoding: 'binary',
      compression: false,
    });
    await wal.put(uint64be(1n), Uint8Array.of(0xde, 0xad));
    await raw.close();
    const damaged = t.store(dir);
    expect(() => damaged.walLoad()).toThrow(StoreError);
    expect(() => damaged.walLoad()).toThrow(/WAL holds an unreadable record/);
  });
});

const CHILD = fileURLToPath(new URL('./crash-child.mjs', import.meta.url));
const DIST_STORE = fileURLToPath(new URL('../../dist/chain/store.js', import.meta.url));

interface ChildRun {
  /** Highest block the child reported committed before it was killed. */
  reported: bigint;
  opened: bigint;
  delayMs: number;
}

/**
 * Runs the child on `dir` and kills it with SIGKILL `delayMs` after its first commit (so the kill
 * lands at an arbitrary point of its commit loop: executing, hashing, or inside a write).
 */
function runAndKill(dir: string, configFile: string, delayMs: number): Promise<ChildRun> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [CHILD, dir, configFile], {
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    let err = '';
    let reported = -1n;
    let opened = -1n;
    let timer: ReturnType<typeof setTimeout> | undefined;
    const guard = setTimeout(() => child.kill('SIGKILL'), 20_000);
    child.stdout.on('data', (d: Buffer) => {
      out += d.toString();
      const lines = out.split('\n');
      out = lines.pop()!;
      for (const line of lines) {
        const [what, n] = line.split(' ');
        if (what === 'opened') opened = BigInt(n!);
        if (what === 'committed') reported = BigInt(n!);
        if (what === 'committed' && timer === undefined)
          timer = setTimeout(() => child.kill('SIGKILL'), delayMs);
      }
    });
    child.stderr.on('data', (d: Buffer) => (err += d.toString()));
    child.on('error', reject);
    child.on('exit', (code, signal) => {
      clearTimeout(guard);
      if (timer) clearTimeout(timer);
      if (signal !== 'SIGKILL' || reported < 0n)
        reject(new Error(`child ended with ${code ?? signal} before the kill:\n${err}`));
      else resolve({ reported, opened, delayMs });
    });
  });
}

describe('crash safety', () => {
  it('a node killed with SIGKILL at random moments reopens consistent, and resumes', async () => {
    expect(existsSync(DIST_STORE), 'dist/ is missing: run `npm run build` first').toBe(true);
    const dir = t.make('etm-crash-');
    const configFile = join(t.make('etm-crash-config-'), 'config.json');
    writeFileSync(
      configFile,
      JSON.stringify({
        genesis: genesisToJson(GENESIS),
        validatorKeys: VALIDATOR_KEYS.map(toHex),
        userKeys: USER_KEYS.map(toHex),
        stranger: toHex(STRANGER),
        nowMs: NOW_MS,
      }),
    );
    let previousHead = 0n;
    for (let round = 0; round < 3; round++) {
      // A random moment; printed on failure so a failing run can be replayed.
      const delayMs = 20 + Math.floor(Math.random() * 400);
      const run = await runAndKill(dir, configFile, delayMs);
      const context = `round ${round}, kill ${delayMs} ms after the first commit`;
      expect(run.opened, context).toBe(previousHead);

      const store = t.store(dir);
      const c = openChain(store);
      const head = c.headNumber;
      // Every block reported committed survived; at most one more got in before the kill.
      expect(head, context).toBeGreaterThanOrEqual(run.reported);
      expect(head, context).toBeLessThanOrEqual(run.reported + 1n);
      // The chain links up, with every block's receipts and index entries.
      let parent = c.blockAt(0n)!;
      for (let h = 1n; h <= head; h++) {
        const bytes = store.block(h)!;
        const block = decodeBlock(bytes);
        expect(block.header.number).toBe(h);
        expect(block.header.parentHash, context).toEqual(blockHash(parent));
        expect(store.numberOf(blockHash(block))).toBe(h);
        const receipts = decodeStoredReceipts(store.receipts(h)!);
        expect(receipts).toHaveLength(block.transactions.length);
        for (const [i, raw] of block.transactions.entries())
          expect(store.txLocation(keccak256(raw))).toEqual({ number: h, index: i });
        parent = block;
      }
      expect(store.block(head + 1n), context).toBeUndefined();
      expect(c.headHash).toEqual(blockHash(parent));
      // The head state is complete: every account reads, and no value was lost or made up.
      expect(holdings(c), context).toBe(supplyOf(c));
      expect(c.headState().getAccount(STRANGER).balance).toBeGreaterThan(0n);

      // Re-executing every block from genesis gives the stored state root and hash.
      const replay = newChain(t);
      for (let h = 1n; h <= head; h++) await replay.importSealed(store.block(h)!);
      expect(replay.headHash, context).toEqual(c.headHash);
      expect(replay.head.header.stateRoot, context).toEqual(c.head.header.stateRoot);

      // The reopened chain can go on: its next block is the one the replay would build.
      expect(toHex((await buildNext(c)).block.header.stateRoot)).toBe(
        toHex((await buildNext(replay)).block.header.stateRoot),
      );
      await store.close();
      previousHead = head;
    }
    expect(previousHead).toBeGreaterThan(3n);
  });
});
