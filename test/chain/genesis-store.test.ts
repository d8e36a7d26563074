/**
 * The genesis state built in key order (the same as one commit of everything), and a data directory that recognises its genesis: a
 * restart reads the stored genesis instead of building it again, and a directory created with
 * another genesis refuses to open and is left as it was.
 */
import { readdirSync, readFileSync } from 'node:fs';
import fc from 'fast-check';
import { join } from 'node:path';
import { open } from 'lmdb';
import { afterEach, describe, expect, it } from 'vitest';
import { blockHash } from '../../src/chain/block.js';
import { GenesisMismatchError } from '../../src/chain/chain.js';
import {
  buildGenesis,
  genesisDigest,
  parseGenesis,
  type Genesis,
  type GenesisNodeStore,
} from '../../src/chain/genesis.js';
import { ETM } from '../../src/params/registry.js';
import { toChecksumAddress } from '../../src/crypto/address.js';
import { toHex, uint64be } from '../../src/crypto/bytes.js';
import { keccak256 } from '../../src/crypto/keccak.js';
import { asList, rlpDecode, type RlpItem } from '../../src/codec/rlp.js';
import { StateDB } from '../../src/state/state-db.js';
import { EMPTY_TRIE_ROOT, MemoryNodeStore } from '../../src/state/trie.js';
import { WAD } from '../../src/params/registry.js';
import { VOTER_BONUS_POOL } from '../../src/primitives/system-addresses.js';
import { writeModulesGenesis } from '../../src/execution/registry.js';
import { writeGenesisContracts } from '../../src/execution/evm/predeploys.js';
import {
  commitNext,
  GENESIS,
  genesisDoc,
  openChain,
  TempDirs,
  USERS,
  VALIDATORS,
} from './helpers.js';

const t = new TempDirs();
afterEach(() => t.cleanup());

/** A node store that records every batch the build hands it. */
class RecordingStore {
  readonly nodes = new Map<string, Uint8Array>();
  readonly order: string[][] = [];
  batches = 0;

  putNodes(nodes: Array<[Uint8Array, Uint8Array]>): void {
    this.batches++;
    this.order.push(nodes.map(([h]) => toHex(h)));
    for (const [h, n] of nodes) this.nodes.set(toHex(h), n);
  }

  get(hash: Uint8Array): Uint8Array | undefined {
    return this.nodes.get(toHex(hash));
  }
}

/** `count` extra funded accounts; the first user a genesis candidate (so staking storage too). */
function bigGenesis(count: number, candidate = true): Genesis {
  const doc = candidateDoc(candidate);
  const alloc = doc.alloc as Record<string, { balance: string }>;
  for (let i = 0; i < count; i++)
    alloc[toHex(keccak256(uint64be(i)).subarray(12))] = { balance: String(i + 1) };
  return parseGenesis(doc);
}

/** The test genesis document, the first user a genesis candidate when `candidate`. */
function candidateDoc(candidate: boolean): Record<string, unknown> {
  return genesisDoc({
    candidates: !candidate
      ? undefined
      : [
          {
            operator: toChecksumAddress(USERS[0]!),
            consensusKey: toChecksumAddress(VALIDATORS[0]!),
            name: 'node0',
            deposit: (1000n * ETM).toString(),
            randaoCommitment: toHex(new Uint8Array(32).fill(7)),
          },
        ],
  });
}

/** Hashes of the nodes reachable from `root`: trie references, and storage roots in accounts. */
function reachable(store: RecordingStore, root: Uint8Array): Set<string> {
  const seen = new Set<string>();
  const visitItem = (item: RlpItem): void => {
    if (Array.isArray(item)) {
      item.forEach(visitItem);
    } else if (item.length === 32) {
      visit(item);
    } else if (item.length > 32) {
      // A leaf value: an account, whose storage root (and code hash) may be a stored node.
      try {
        visitItem(rlpDecode(item));
      } catch {
        // not RLP: a plain value
      }
    }
  };
  const visit = (hash: Uint8Array): void => {
    const key = toHex(hash);
    const node = store.nodes.get(key);
    if (node === undefined || seen.has(key)) return;
    seen.add(key);
    visitItem(asList(rlpDecode(node), 'node'));
  };
  visit(root);
  return seen;
}

/**
 * The genesis state as the build made it before it streamed: every allocation put into one
 * StateDB, then the system writes, one commit. The streaming build must give the same root and
 * exactly the nodes of this commit that the final state holds.
 */
function referenceState(g: Genesis): { root: string; nodes: Set<string> } {
  const state = new StateDB(EMPTY_TRIE_ROOT, new MemoryNodeStore(), null);
  let allocated = 0n;
  for (const { address, balance } of g.alloc) {
    state.putAccount(address, { ...state.getAccount(address), balance });
    allocated += balance;
  }
  const share = g.params.bonusPoolShare;
  const bonusPool = (allocated * share) / (WAD - share);
  const pool = state.getAccount(VOTER_BONUS_POOL);
  state.putAccount(VOTER_BONUS_POOL, { ...pool, balance: pool.balance + bonusPool });
  writeModulesGenesis({
    state,
    params: g.params,
    validators: g.validators,
    candidates: g.candidates,
    supply: allocated + bonusPool,
    chainId: g.chainId,
  });
  writeGenesisContracts(state);
  const c = state.commit();
  return { root: toHex(c.root), nodes: new Set(c.nodes.map(([h]) => toHex(h))) };
}

/** Every batch's hashes ascend, and each batch starts above the last one's end. */
function expectHashOrder(store: RecordingStore): void {
  let last = '0x';
  for (const batch of store.order) {
    for (const h of batch) {
      expect(h >= last, `${h} after ${last}`).toBe(true);
      last = h;
    }
  }
}

describe('genesis built in key order', () => {
  it('gives the root and exactly the nodes of a single commit, whatever the chunk size', () => {
    const g = bigGenesis(300);
    const ref = referenceState(g);
    const once = new RecordingStore();
    const { block } = buildGenesis(g, once, { chunkAccounts: Number.MAX_SAFE_INTEGER });
    expect(once.batches).toBe(1);
    const root = block.header.stateRoot;
    expect(toHex(root)).toBe(ref.root);
    expect(new Set(once.nodes.keys())).toEqual(ref.nodes);
    expect(reachable(once, root)).toEqual(ref.nodes);
    expectHashOrder(once);
    for (const chunk of [1, 7, 64, 303]) {
      const chunked = new RecordingStore();
      const built = buildGenesis(g, chunked, { chunkAccounts: chunk });
      expect(chunked.batches).toBeGreaterThan(chunk < 300 ? 1 : 0);
      expect(toHex(built.block.header.stateRoot)).toBe(ref.root);
      expect(toHex(blockHash(built.block))).toBe(toHex(blockHash(block)));
      expect(new Set(chunked.nodes.keys())).toEqual(ref.nodes);
    }
    // The state reads the same through the nodes.
    const state = new StateDB(root, once);
    for (const a of g.alloc) {
      const acct = state.getAccount(a.address);
      expect(acct.balance + acct.locked).toBe(a.balance);
    }
  });

  it('spilled to files, writes every node in hash order and removes the files', () => {
    const g = bigGenesis(500);
    const ref = referenceState(g);
    const dir = t.make();
    const store = new RecordingStore();
    const built = buildGenesis(g, store, { chunkAccounts: 16, spillDir: dir });
    expect(toHex(built.block.header.stateRoot)).toBe(ref.root);
    expect(new Set(store.nodes.keys())).toEqual(ref.nodes);
    expectHashOrder(store);
    expect(readdirSync(dir)).toEqual([]);
  });

  it('matches the single commit for random allocations (zero balances, system addresses)', () => {
    const address = fc.oneof(
      { weight: 8, arbitrary: fc.uint8Array({ minLength: 20, maxLength: 20 }) },
      { weight: 1, arbitrary: fc.constantFrom(VOTER_BONUS_POOL, USERS[0]!, USERS[1]!) },
    );
    fc.assert(
      fc.property(
        fc.uniqueArray(fc.tuple(address, fc.bigInt(0n, 10n ** 24n)), {
          selector: ([a]) => toHex(a),
          maxLength: 120,
        }),
        fc.boolean(),
        fc.integer({ min: 1, max: 50 }),
        (accounts, candidate, chunk) => {
          const doc = candidateDoc(candidate);
          const alloc = doc.alloc as Record<string, { balance: string }>;
          for (const [a, balance] of accounts) {
            if (toHex(a) === toHex(USERS[0]!) && candidate) continue; // keeps the deposit funded
            alloc[toChecksumAddress(a)] = { balance: balance.toString() };
          }
          const g = parseGenesis(doc);
          const ref = referenceState(g);
          const store = new RecordingStore();
          const built = buildGenesis(g, store, { chunkAccounts: chunk, spillDir: t.make() });
          expect(toHex(built.block.header.stateRoot)).toBe(ref.root);
          expect(new Set(store.nodes.keys())).toEqual(ref.nodes);
          expectHashOrder(store);
        },
      ),
      { numRuns: 25 },
    );
  });

  it('refuses a chunk size that is not a positive integer', () => {
    const store: GenesisNodeStore = new RecordingStore();
    for (const bad of [0, -1, 1.5])
      expect(() => buildGenesis(GENESIS, store, { chunkAccounts: bad })).toThrow(/chunkAccounts/);
  });
});

describe('genesis digest', () => {
  it('is the same for documents that parse alike, and differs for any change', () => {
    const d = toHex(genesisDigest(GENESIS));
    const reordered = genesisDoc();
    reordered.alloc = Object.fromEntries(
      Object.entries(reordered.alloc as Record<string, unknown>)
        .reverse()
        .map(([a, v]) => [a.toLowerCase(), v]),
    );
    expect(toHex(genesisDigest(parseGenesis(reordered)))).toBe(d);
    const changes: Record<string, unknown>[] = [
      { chainId: '7' },
      { timestamp: '1' },
      { params: { blockTimeMs: '1000', epochBlocks: '5' } },
      { alloc: { [toChecksumAddress(USERS[0]!)]: { balance: '1' } } },
      { validators: [...VALIDATORS].reverse().map(toChecksumAddress) },
    ];
    const seen = new Set([d]);
    for (const change of changes) {
      const other = toHex(genesisDigest(parseGenesis(genesisDoc(change))));
      expect(seen.has(other), JSON.stringify(change)).toBe(false);
      seen.add(other);
    }
    const big = toHex(genesisDigest(bigGenesis(5000)));
    expect(big).not.toBe(toHex(genesisDigest(bigGenesis(4999))));
    expect(seen.has(big)).toBe(false);
  });
});

describe('a data directory and its genesis', () => {
  it('builds the genesis once; reopening uses the stored one, validator sets included', async () => {
    const dir = t.make();
    const g = bigGenesis(50, false);
    const store = t.store(dir);
    const first = openChain(store, g);
    expect(first.genesisBuilt).toBe(true);
    expect(store.genesisDigest()).toEqual(genesisDigest(g));
    // Past two epoch ends (epochBlocks 4), so that the reopened chain must find both sets.
    for (let i = 0; i < 9; i++) await commitNext(first);
    const sets = [0n, 1n, 4n, 5n, 8n, 9n, 10n].map((h) => first.validatorsAt(h));
    const head = first.headHash;
    const built = first.genesisHash;
    await store.close();

    const again = openChain(t.store(dir), g);
    expect(again.genesisBuilt).toBe(false);
    expect(again.genesisHash).toEqual(built);
    expect(again.headHash).toEqual(head);
    expect(again.headNumber).toBe(9n);
    expect([0n, 1n, 4n, 5n, 8n, 9n, 10n].map((h) => again.validatorsAt(h))).toEqual(sets);
    // The same sets from the same heights as the chain that committed the blocks noted.
    const setsOf = (c: unknown) => (c as { validatorSets: unknown }).validatorSets;
    expect(setsOf(again)).toEqual(setsOf(first));
    expect((setsOf(again) as unknown[]).length).toBe(3);
    await commitNext(again);
    expect(again.headNumber).toBe(10n);
  });

  it('a chain built in small chunks has the genesis of the default build', () => {
    const g = bigGenesis(40);
    const small = openChain(t.store(t.make()), g, undefined, 3);
    const whole = openChain(t.store(t.make()), g);
    expect(small.genesisHash).toEqual(whole.genesisHash);
  });

  it('refuses another genesis with a typed error, and leaves the directory as it was', async () => {
    const dir = t.make();
    const store = t.store(dir);
    const hash = openChain(store).genesisHash;
    await store.close();
    const before = readFileSync(join(dir, 'data.mdb'));
    for (const change of [
      { chainId: '7' },
      { alloc: { [toChecksumAddress(USERS[0]!)]: { balance: '1' } } },
    ]) {
      const s = t.store(dir);
      const other = parseGenesis(genesisDoc(change));
      let error: unknown;
      try {
        openChain(s, other);
      } catch (e) {
        error = e;
      }
      expect(error).toBeInstanceOf(GenesisMismatchError);
      expect((error as GenesisMismatchError).code).toBe('genesis-mismatch');
      expect((error as Error).name).toBe('GenesisMismatchError');
      expect((error as Error).message).toMatch(/holds a different genesis/);
      expect((error as Error).message).toContain(toHex(hash));
      expect(s.genesisDigest()).toEqual(genesisDigest(GENESIS));
      await s.close();
      expect(readFileSync(join(dir, 'data.mdb')).equals(before)).toBe(true);
    }
    const again = openChain(t.store(dir));
    expect(again.genesisBuilt).toBe(false);
    expect(again.genesisHash).toEqual(hash);
  });

  it('a directory written before genesis digests were kept is checked once, then recognised', async () => {
    const dir = t.make();
    const store = t.store(dir);
    const hash = openChain(store).genesisHash;
    await store.close();
    // Remove the digest, as a directory of an earlier version has none.
    const env = open({ path: dir, maxDbs: 16, compression: false });
    const meta = env.openDB({ name: 'meta', encoding: 'binary', keyEncoding: 'binary' });
    meta.removeSync(Buffer.from('genesisDigest'));
    await env.close();

    const s = t.store(dir);
    expect(s.genesisDigest()).toBeUndefined();
    expect(() => openChain(s, parseGenesis(genesisDoc({ chainId: '7' })))).toThrow(
      GenesisMismatchError,
    );
    expect(s.genesisDigest()).toBeUndefined();
    const checked = openChain(s);
    expect(checked.genesisBuilt).toBe(true);
    expect(checked.genesisHash).toEqual(hash);
    expect(s.genesisDigest()).toEqual(genesisDigest(GENESIS));
    await s.close();
    const recognised = openChain(t.store(dir));
    expect(recognised.genesisBuilt).toBe(false);
    expect(recognised.genesisHash).toEqual(hash);
  });
});
