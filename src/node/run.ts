/** Running nodes: the RPC server, the per-block log line, and a single node from its config. */
import { readFileSync } from 'node:fs';
import { toHex } from '../crypto/bytes.js';
import { toChecksumAddress } from '../crypto/address.js';
import { parseGenesis } from '../chain/genesis.js';
import { RpcServer } from '../rpc/server.js';
import { LocalNetwork } from './network.js';
import { Node, type CommittedEvent } from './node.js';
import { NodeRpcBackend } from './rpc-backend.js';
import { ConfigError, type NodeConfig } from './config.js';

export class PortInUseError extends Error {
  override name = 'PortInUseError';
}

export async function startRpc(
  node: Node,
  host: string,
  port: number,
): Promise<{ server: RpcServer; httpUrl: string; wsUrl: string }> {
  const server = new RpcServer({ backend: new NodeRpcBackend(node), host, port });
  try {
    return { server, ...(await server.listen()) };
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'EADDRINUSE') {
      throw new PortInUseError(`port ${port} on ${host} is in use; pick another RPC port`);
    }
    throw e;
  }
}

/** One line per committed block: height, transactions, round, proposer. */
export function blockLine(
  e: CommittedEvent,
  nameOf: (proposer: Uint8Array) => string | null = () => null,
): string {
  const h = e.block.header;
  const name = nameOf(h.coinbase);
  return (
    `block ${h.number}  txs ${e.transactions.length}  round ${h.extra.round}  ` +
    `proposer ${toChecksumAddress(h.coinbase)}${name ? ` (${name})` : ''}  hash ${toHex(e.hash).slice(0, 18)}…`
  );
}

export interface RunningNode {
  node: Node;
  httpUrl: string | null;
  wsUrl: string | null;
  stop(): Promise<void>;
}

/** Starts the node of a config file; its network is itself until peers exist. */
export async function startConfiguredNode(
  config: NodeConfig,
  validatorKey: Uint8Array | null,
  log: (line: string) => void,
): Promise<RunningNode> {
  let genesisDoc: unknown;
  try {
    genesisDoc = JSON.parse(readFileSync(config.genesis, 'utf8'));
  } catch (e) {
    throw new ConfigError(`cannot read genesis ${config.genesis}: ${(e as Error).message}`);
  }
  const genesis = parseGenesis(genesisDoc);
  const node = new Node({ datadir: config.datadir, genesis, validatorKey, name: 'node', log });
  let rpc: Awaited<ReturnType<typeof startRpc>> | null = null;
  try {
    if (config.rpc.enabled) rpc = await startRpc(node, config.rpc.host, config.rpc.port);
  } catch (e) {
    await node.stop();
    throw e;
  }
  node.onCommitted((e) => log(blockLine(e)));
  const network = new LocalNetwork();
  node.start(
    network.join(node.peerView(), {
      onConsensus: (b) => node.receiveConsensus(b),
      onTransaction: (raw) => node.receiveTransaction(raw),
    }),
  );
  return {
    node,
    httpUrl: rpc?.httpUrl ?? null,
    wsUrl: rpc?.wsUrl ?? null,
    stop: async () => {
      await rpc?.server.close();
      await node.stop();
    },
  };
}
