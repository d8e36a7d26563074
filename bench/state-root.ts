/**
 * State-root cost per block: commits a block that changes K accounts in a state of N accounts,
 * for several N, next to the machine's native signature-recovery rate measured in the same
 * run. The state root should cost in proportion to K (times the trie depth, which grows as
 * log16 N), not to N.
 *
 * Usage (after compiling): node state-root.js [N ...] [--changes K] [--blocks B]
 * Defaults: N = 10000 100000, K = 2000, B = 5.
 */
import { performance } from 'node:perf_hooks';
import { bigintToFixed, uint64be } from '../src/crypto/bytes.js';
import { keccak256 } from '../src/crypto/keccak.js';
import { generatePrivateKey, recoverAddress, sign } from '../src/crypto/secp256k1.js';
import { StateDB } from '../src/state/state-db.js';
import { EMPTY_TRIE_ROOT, MemoryNodeStore } from '../src/state/trie.js';

interface Options {
  sizes: number[];
  changes: number;
  blocks: number;
}

function parseArgs(argv: string[]): Options {
  const o: Options = { sizes: [], changes: 2000, blocks: 5 };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    if (a === '--changes') o.changes = Number(argv[++i]);
    else if (a === '--blocks') o.blocks = Number(argv[++i]);
    else o.sizes.push(Number(a));
  }
  if (o.sizes.length === 0) o.sizes = [10_000, 100_000];
  return o;
}

/** Deterministic distinct addresses: the last 20 bytes of keccak256(i). */
function address(i: number): Uint8Array {
  return keccak256(uint64be(i)).subarray(12);
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[s.length >> 1]!;
}

interface SizeResult {
  accounts: number;
  buildMs: number;
  storedNodes: number;
  executeMs: number;
  commitMs: number;
  newNodes: number;
}

function benchSize(n: number, changes: number, blocks: number): SizeResult {
  const store = new MemoryNodeStore();
  let t0 = performance.now();
  const genesis = new StateDB(EMPTY_TRIE_ROOT, store);
  for (let i = 0; i < n; i++) {
    genesis.putAccount(address(i), {
      ...genesis.getAccount(address(i)),
      nonce: BigInt(i % 7),
      balance: 10n ** 21n + BigInt(i),
    });
  }
  let c = genesis.commit();
  for (const [h, b] of c.nodes) store.put(h, b);
  const buildMs = performance.now() - t0;

  const execute: number[] = [];
  const commit: number[] = [];
  const nodes: number[] = [];
  let root = c.root;
  let next = 0;
  for (let b = 0; b < blocks; b++) {
    // A fresh StateDB per block, as a node opens the head state: every read starts cold.
    t0 = performance.now();
    const state = new StateDB(root, store);
    for (let j = 0; j < changes; j++) {
      // A stride through the accounts, so each block touches keys all over the trie.
      const a = address((next = (next + 7919) % n));
      const acct = state.getAccount(a);
      state.putAccount(a, { ...acct, nonce: acct.nonce + 1n, balance: acct.balance - 21_000n });
    }
    const t1 = performance.now();
    c = state.commit();
    const t2 = performance.now();
    for (const [h, v] of c.nodes) store.put(h, v);
    root = c.root;
    execute.push(t1 - t0);
    commit.push(t2 - t1);
    nodes.push(c.nodes.length);
  }
  return {
    accounts: n,
    buildMs,
    storedNodes: store.size,
    executeMs: median(execute),
    commitMs: median(commit),
    newNodes: median(nodes),
  };
}

function recoveriesPerSecond(count: number): number {
  const key = generatePrivateKey();
  const digests = Array.from({ length: 64 }, (_, i) => keccak256(bigintToFixed(BigInt(i), 32)));
  const sigs = digests.map((d) => sign(d, key));
  for (let i = 0; i < 200; i++) recoverAddress(digests[i % 64]!, sigs[i % 64]!); // warm-up
  const t0 = performance.now();
  for (let i = 0; i < count; i++) recoverAddress(digests[i % 64]!, sigs[i % 64]!);
  return (count * 1000) / (performance.now() - t0);
}

/** Microseconds per keccak256 of a full branch node (17 items, 16 hashes: 532 bytes). */
function branchHashMicros(count: number): number {
  const node = new Uint8Array(532);
  for (let i = 0; i < 200; i++) keccak256(node);
  const t0 = performance.now();
  for (let i = 0; i < count; i++) {
    node[0] = i & 0xff;
    keccak256(node);
  }
  return ((performance.now() - t0) * 1000) / count;
}

function main(): void {
  const o = parseArgs(process.argv.slice(2));
  const rate = recoveriesPerSecond(5000);
  console.log(`native secp256k1 recoverAddress: ${rate.toFixed(0)} /s`);
  console.log(`keccak256 of a 532-byte branch node: ${branchHashMicros(5000).toFixed(1)} µs`);
  console.log(
    `block changes ${o.changes} accounts; median of ${o.blocks} blocks; each block reads cold`,
  );
  for (const n of o.sizes) {
    const r = benchSize(n, o.changes, o.blocks);
    const recoveriesEquivalent = (r.commitMs / 1000) * rate;
    console.log(
      [
        `state ${r.accounts} accounts`,
        `build ${r.buildMs.toFixed(0)} ms (${r.storedNodes} nodes)`,
        `read+write ${r.executeMs.toFixed(1)} ms`,
        `commit ${r.commitMs.toFixed(1)} ms (${r.newNodes} new nodes)`,
        `commit = ${recoveriesEquivalent.toFixed(0)} recoveries`,
      ].join(' | '),
    );
  }
}

main();
