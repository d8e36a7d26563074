/**
 * eth_getLogs on a node's own chain: the block scan reads headers first and decodes a block only
 * when its bloom may match, and names each log's transaction by hash without recovering senders.
 * The answer is checked against the receipts and transactions the chain stores.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { blockHash } from '../../src/chain/block.js';
import { ChainStore } from '../../src/chain/store.js';
import { toHex } from '../../src/crypto/bytes.js';
import { STAKING_ADDRESS } from '../../src/primitives/system-addresses.js';
import { Node } from '../../src/node/node.js';
import { NodeRpcBackend } from '../../src/node/rpc-backend.js';
import { RpcHandler } from '../../src/rpc/handler.js';
import { WorkScheduler } from '../../src/rpc/work.js';
import { commitNext, GENESIS, NOW_MS, openChain, workload } from '../chain/helpers.js';

let dir: string;
let node: Node;
let handler: RpcHandler;
const HEIGHT = 24n;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'etm-rpc-logs-'));
  const store = new ChainStore(join(dir, 'chain'));
  const chain = openChain(store);
  for (let h = 1n; h <= HEIGHT; h++) await commitNext(chain, workload(h));
  await store.close();
  node = new Node({ datadir: dir, genesis: GENESIS, validatorKey: null, now: () => NOW_MS });
  handler = new RpcHandler({ backend: new NodeRpcBackend(node) });
});
afterAll(async () => {
  await node.stop();
  rmSync(dir, { recursive: true, force: true });
});

interface JsonLog {
  address: string;
  topics: string[];
  blockNumber: string;
  blockHash: string;
  transactionHash: string;
  transactionIndex: string;
  logIndex: string;
}

/** One request through `via` (the node's handler unless given); its result. */
async function call(method: string, params: unknown[], via = handler): Promise<unknown> {
  const text = await via.handleText(JSON.stringify({ jsonrpc: '2.0', id: 1, method, params }));
  return (JSON.parse(text!) as { result: unknown }).result;
}

async function getLogs(filter: Record<string, unknown>): Promise<JsonLog[]> {
  return (await call('eth_getLogs', [filter])) as JsonLog[];
}

/** Every log of the chain, as the receipts and transactions say. */
function expected(): JsonLog[] {
  const out: JsonLog[] = [];
  for (let n = 0n; n <= HEIGHT; n++) {
    const block = node.chain.blockAt(n)!;
    const txs = node.chain.transactionsOf(block);
    let logIndex = 0;
    node.chain.receiptsAt(n).forEach((r, i) => {
      for (const l of r.logs) {
        out.push({
          address: toHex(l.address),
          topics: l.topics.map((t) => toHex(t)),
          blockNumber: `0x${n.toString(16)}`,
          blockHash: toHex(blockHash(block)),
          transactionHash: toHex(txs[i]!.hash),
          transactionIndex: `0x${i.toString(16)}`,
          logIndex: `0x${(logIndex++).toString(16)}`,
        });
      }
    });
  }
  return out;
}

describe('eth_getLogs on a node', () => {
  it('a block without full transactions, or a count, recovers no sender (runs first)', async () => {
    const before = node.decoder.stats().recoveries;
    const block = (await call('eth_getBlockByNumber', ['0x9', false])) as {
      transactions: string[];
    };
    expect(block.transactions).toHaveLength(4);
    expect(await call('eth_getBlockTransactionCountByNumber', ['0x9'])).toBe('0x4');
    expect(node.decoder.stats().recoveries).toBe(before);
    // One transaction by block and index: one sender.
    const tx = (await call('eth_getTransactionByBlockNumberAndIndex', ['0x9', '0x2'])) as {
      hash: string;
    };
    expect(tx.hash).toBe(block.transactions[2]);
    expect(node.decoder.stats().recoveries).toBe(before + 1);
  });

  it('finds every log, and only those the filter names', async () => {
    const all = expected();
    expect(all.length).toBeGreaterThanOrEqual(8);
    const pick = (l: JsonLog) => ({
      address: l.address,
      topics: l.topics,
      blockNumber: l.blockNumber,
      blockHash: l.blockHash,
      transactionHash: l.transactionHash,
      transactionIndex: l.transactionIndex,
      logIndex: l.logIndex,
    });
    expect((await getLogs({ fromBlock: '0x0' })).map(pick)).toEqual(all);
    const staking = toHex(STAKING_ADDRESS);
    expect((await getLogs({ fromBlock: '0x0', address: staking })).map(pick)).toEqual(all);
    const topic1 = all[3]!.topics[1]!;
    expect((await getLogs({ fromBlock: '0x0', topics: [null, topic1] })).map(pick)).toEqual(
      all.filter((l) => l.topics[1] === topic1),
    );
    // 1,000 addresses of which one matches: the same logs.
    const others = Array.from(
      { length: 999 },
      (_, i) => '0x' + (i + 1).toString(16).padStart(40, '0'),
    );
    expect((await getLogs({ fromBlock: '0x0', address: [...others, staking] })).map(pick)).toEqual(
      all,
    );
    expect(await getLogs({ fromBlock: '0x0', address: others })).toEqual([]);
    const one = all[0]!;
    expect((await getLogs({ blockHash: one.blockHash })).map(pick)).toEqual(
      all.filter((l) => l.blockHash === one.blockHash),
    );
  });

  it('a receipt or transaction by hash is the one of its block, sender and log numbers included', async () => {
    for (const n of [3n, 6n, 9n]) {
      const receipts = (await call('eth_getBlockReceipts', [`0x${n.toString(16)}`])) as {
        transactionHash: string;
      }[];
      const block = (await call('eth_getBlockByNumber', [`0x${n.toString(16)}`, true])) as {
        transactions: { hash: string }[];
      };
      expect(receipts.length).toBeGreaterThan(1);
      for (const [i, r] of receipts.entries()) {
        expect(await call('eth_getTransactionReceipt', [r.transactionHash])).toEqual(r);
        expect(await call('eth_getTransactionByHash', [r.transactionHash])).toEqual(
          block.transactions[i],
        );
      }
    }
  });

  it('eth_feeHistory reads the blocks in time slices and agrees with them', async () => {
    let clock = 0;
    let turns = 0;
    const sliced = new RpcHandler({
      backend: new NodeRpcBackend(node),
      // Every look at the clock costs 1 ms: a slice holds a few blocks.
      scheduler: new WorkScheduler({
        sliceMs: 5,
        now: () => clock++,
        schedule: (run) =>
          setImmediate(() => {
            turns++;
            run();
          }),
      }),
    });
    const history = (await call('eth_feeHistory', ['0x19', 'latest', [50]], sliced)) as {
      baseFeePerGas: string[];
      reward: string[][];
    };
    expect(turns).toBeGreaterThan(3);
    expect(history.baseFeePerGas).toHaveLength(26);
    for (let n = 0n; n <= HEIGHT; n++)
      expect(history.baseFeePerGas[Number(n)]).toBe(
        `0x${node.chain.blockAt(n)!.header.baseFeePerGas.toString(16)}`,
      );
    expect(history.baseFeePerGas[25]).toBe(`0x${node.chain.nextBaseFee().toString(16)}`);
    expect(history.reward).toHaveLength(25);
  });
});
