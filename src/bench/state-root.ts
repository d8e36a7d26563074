/**
 * State-root cost (scenario 4): a block that changes K accounts in a state of N accounts, each
 * block read cold from the node store as a node opens its head state. The commit (trie updates
 * and hashing) is the figure; the reads and writes before it are reported beside it. The cost
 * should follow K times the trie depth (log16 N), not N.
 */
import { performance } from 'node:perf_hooks';
import { uint64be } from '../crypto/bytes.js';
import { keccak256 } from '../crypto/keccak.js';
import { StateDB } from '../state/state-db.js';
import { EMPTY_TRIE_ROOT, MemoryNodeStore } from '../state/trie.js';
import { median, round } from './stats.js';

export interface StateRootResult {
  accounts: number;
  changedAccounts: number;
  blocks: number;
  buildMs: number;
  storedNodes: number;
  /** Median over the blocks: reading and writing the K accounts. */
  readWriteMs: number;
  /** Median over the blocks: StateDB.commit(), i.e. the state root. */
  commitMs: number;
  newNodes: number;
  /** Microseconds per keccak256 of a 532-byte branch node, measured alongside. */
  branchHashMicros: number;
}

/** Deterministic distinct addresses: the last 20 bytes of keccak256(i). */
function address(i: number): Uint8Array {
  return keccak256(uint64be(i)).subarray(12);
}

export function branchHashMicros(count: number): number {
  const node = new Uint8Array(532);
  for (let i = 0; i < 200; i++) keccak256(node);
  const t0 = performance.now();
  for (let i = 0; i < count; i++) {
    node[0] = i & 0xff;
    keccak256(node);
  }
  return ((performance.now() - t0) * 1000) / count;
}

export function runStateRoot(o: {
  accounts: number;
  changes: number;
  blocks: number;
}): StateRootResult {
  const store = new MemoryNodeStore();
  let t0 = performance.now();
  const genesis = new StateDB(EMPTY_TRIE_ROOT, store);
  for (let i = 0; i < o.accounts; i++) {
    genesis.putAccount(address(i), {
      ...genesis.getAccount(address(i)),
      nonce: BigInt(i % 7),
      balance: 10n ** 21n + BigInt(i),
    });
  }
  let c = genesis.commit();
  for (const [h, b] of c.nodes) store.put(h, b);
  const buildMs = performance.now() - t0;

  const readWrite: number[] = [];
  const commit: number[] = [];
  const nodes: number[] = [];
  let root = c.root;
  let next = 0;
  for (let b = 0; b < o.blocks; b++) {
    t0 = performance.now();
    const state = new StateDB(root, store);
    for (let j = 0; j < o.changes; j++) {
      // A stride through the accounts, so each block touches keys all over the trie.
      const a = address((next = (next + 7919) % o.accounts));
      const acct = state.getAccount(a);
      state.putAccount(a, { ...acct, nonce: acct.nonce + 1n, balance: acct.balance - 21_000n });
    }
    const t1 = performance.now();
    c = state.commit();
    const t2 = performance.now();
    for (const [h, v] of c.nodes) store.put(h, v);
    root = c.root;
    readWrite.push(t1 - t0);
    commit.push(t2 - t1);
    nodes.push(c.nodes.length);
  }
  return {
    accounts: o.accounts,
    changedAccounts: o.changes,
    blocks: o.blocks,
    buildMs: round(buildMs, 0),
    storedNodes: store.size,
    readWriteMs: round(median(readWrite)),
    commitMs: round(median(commit)),
    newNodes: median(nodes),
    branchHashMicros: round(branchHashMicros(5000), 2),
  };
}
