/**
 * N validators in one process over the in-process network, wired as the devnet wires them, on
 * a benchmark genesis in a temporary directory. The multi-process variant (one validator per
 * OS process over libp2p) is in processes.ts: see `ClusterKind`.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Genesis } from '../chain/genesis.js';
import { RecoveryPool } from '../crypto/recovery-pool.js';
import { LocalNetwork } from '../p2p/local-network.js';
import { Node } from '../node/node.js';
import { startRpc } from '../node/run.js';

/**
 * 'in-process': every validator in this process (LocalNetwork), this file.
 * 'multi-process': one `etm node` process per validator over libp2p on loopback, started as
 * `etm devnet --processes` starts them and driven through JSON-RPC only (processes.ts).
 */
export type ClusterKind = 'in-process' | 'multi-process';

export interface Cluster {
  nodes: Node[];
  datadir: string;
  /** The first node's JSON-RPC over HTTP, when asked for. */
  httpUrl: string | null;
  stop(): Promise<void>;
}

export async function startCluster(o: {
  genesis: Genesis;
  validatorKeys: Uint8Array[];
  rpc: boolean;
  log?: (line: string) => void;
  now?: () => number;
  /** The nodes' mempool size (NodeOptions.mempool), default the node's. */
  mempool?: { maxCount?: number; maxBytes?: number };
}): Promise<Cluster> {
  const datadir = mkdtempSync(join(tmpdir(), 'etm-bench-'));
  const recoveryPool = new RecoveryPool();
  const nodes = o.validatorKeys.map(
    (key, i) =>
      new Node({
        datadir: join(datadir, `node${i}`),
        genesis: o.genesis,
        validatorKey: key,
        name: `node${i}`,
        log: o.log ?? (() => {}),
        now: o.now,
        recoveryPool,
        mempool: o.mempool,
      }),
  );
  let rpc: Awaited<ReturnType<typeof startRpc>> | null = null;
  const cleanup = async () => {
    await rpc?.server.close();
    await Promise.all(nodes.map((n) => n.stop()));
    await recoveryPool.close();
    rmSync(datadir, { recursive: true, force: true });
  };
  try {
    if (o.rpc) rpc = await startRpc(nodes[0]!, '127.0.0.1', 0);
  } catch (e) {
    await cleanup();
    throw e;
  }
  const network = new LocalNetwork();
  network.startNodes(nodes);
  let stopped = false;
  return {
    nodes,
    datadir,
    httpUrl: rpc?.httpUrl ?? null,
    stop: async () => {
      if (stopped) return;
      stopped = true;
      await cleanup();
    },
  };
}
