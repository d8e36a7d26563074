/** Running nodes: the RPC server, the per-block log line, and a single node from its config. */
import { EtmError } from '../primitives/errors.js';
import { readFileSync } from 'node:fs';
import { toHex } from '../crypto/bytes.js';
import { toChecksumAddress } from '../crypto/address.js';
import { parseGenesis } from '../chain/genesis.js';
import { RpcServer, type RpcServerOptions } from '../rpc/server.js';
import type { DevRpcBackend } from '../rpc/backend.js';
import { loadOrCreatePeerKey } from '../p2p/identity.js';
import { P2pNetwork, type P2pChain } from '../p2p/network.js';
import { LocalNetwork } from '../p2p/local-network.js';
import { maxConsensusMessageBytes, Node, type CommittedEvent } from './node.js';
import { PARAMS } from '../params/registry.js';
import { NodeRpcBackend } from './rpc-backend.js';
import { ConfigError, type NodeConfig } from './config.js';
import type { Logger } from '../log/logger.js';
import { NodeMetrics } from './metrics.js';
import { nodeInfo, WebApp } from './web-app.js';

export class PortInUseError extends EtmError<'port-in-use'> {
  override name = 'PortInUseError';

  constructor(message: string, options?: ErrorOptions) {
    super('port-in-use', message, options);
  }
}

/**
 * Serves JSON-RPC (and, given `webApp`, the web app on GET at the same address). `uiUrl` is
 * the app's address, null without it.
 */
export async function startRpc(
  node: Node,
  host: string,
  port: number,
  limits: Pick<
    RpcServerOptions,
    'vhosts' | 'corsOrigins' | 'maxConnections' | 'maxWebSocketConnections'
  > = {},
  webApp: WebApp | null = null,
  dev?: (backend: NodeRpcBackend) => DevRpcBackend,
): Promise<{ server: RpcServer; httpUrl: string; wsUrl: string; uiUrl: string | null }> {
  const server = new RpcServer({
    backend: new NodeRpcBackend(node, dev),
    host,
    port,
    ...limits,
    serveGet: webApp ? (req, res) => webApp.serve(req, res) : undefined,
  });
  try {
    const urls = await server.listen();
    return { server, ...urls, uiUrl: webApp ? `${urls.httpUrl}/` : null };
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
  /** The web app's address, when the config enables it. */
  uiUrl: string | null;
  /** The peer-to-peer network, when configured. */
  p2p: P2pNetwork | null;
  metricsUrl: string | null;
  stop(): Promise<void>;
}

/** What the p2p network reads from a node. */
export function p2pChainOf(node: Node): P2pChain {
  const { chain } = node;
  return {
    chainId: chain.chainId,
    genesisHash: chain.genesisHash,
    headNumber: () => chain.headNumber,
    headHash: () => chain.headHash,
    blockBytesAt: (n) => chain.blockBytesAt(n),
    validatorsAt: (h) => chain.validatorsAt(h),
    recover: node.recover,
    // Read at receive time from the head's state, where the DAO may change them: a peer's
    // message is held to the limits its block is made under.
    get maxTxBytes() {
      return Number(chain.nextParams().maxTxBytes);
    },
    get maxBlockBytes() {
      return Number(chain.nextParams().maxBlockBytes);
    },
    get maxConsensusBytes() {
      return maxConsensusMessageBytes(chain.nextParams());
    },
    maxBlockBytesBound: Number(PARAMS.maxBlockBytes.max),
    maxConsensusBytesBound: maxConsensusMessageBytes({ maxBlockBytes: PARAMS.maxBlockBytes.max }),
    maxTxBytesBound: Number(PARAMS.maxTxBytes.max),
  };
}

/** One structured line per committed block; the text format prints blockLine. */
function logBlocks(node: Node, logger: Logger): void {
  node.onCommitted((e) => {
    const h = e.block.header;
    logger.log(
      'info',
      'block',
      {
        height: h.number,
        hash: toHex(e.hash),
        stateRoot: toHex(h.stateRoot),
        txs: e.transactions.length,
        round: h.extra.round,
        proposer: toChecksumAddress(h.coinbase),
        source: e.source,
        importMs: Math.round(e.importMs * 1000) / 1000,
      },
      blockLine(e),
    );
  });
}

/**
 * Starts the node of a config file: RPC, metrics and the peer-to-peer network when configured
 * (without it the node is its own network: a one-validator chain still makes blocks).
 */
export async function startConfiguredNode(
  config: NodeConfig,
  validatorKey: Uint8Array | null,
  logger: Logger,
): Promise<RunningNode> {
  let genesisDoc: unknown;
  try {
    genesisDoc = JSON.parse(readFileSync(config.genesis, 'utf8'));
  } catch (e) {
    throw new ConfigError(`cannot read genesis ${config.genesis}: ${(e as Error).message}`);
  }
  const genesis = parseGenesis(genesisDoc);
  const node = new Node({
    datadir: config.datadir,
    genesis,
    validatorKey,
    name: 'node',
    logger,
    cacheBytes: config.cacheMiB * 1024 * 1024,
    mempool: { maxCount: config.mempool.slots, maxBytes: config.mempool.MiB * 1024 * 1024 },
    // Test only (`etm devnet --processes --test-equivocate`): this validator double-signs.
    equivocate: process.env.ETM_TEST_EQUIVOCATE === '1',
  });
  const cleanup: Array<() => Promise<void>> = [() => node.stop()];
  const stop = async () => {
    for (const c of cleanup.splice(0).reverse()) await c().catch(() => {});
  };
  try {
    let rpc: Awaited<ReturnType<typeof startRpc>> | null = null;
    if (config.rpc.enabled) {
      const { vhosts, cors, maxConnections, maxWebSocketConnections } = config.rpc;
      const webApp = config.ui.enabled ? WebApp.load(nodeInfo(genesis.chainId)) : null;
      rpc = await startRpc(
        node,
        config.rpc.host,
        config.rpc.port,
        {
          ...(vhosts ? { vhosts } : {}),
          ...(cors ? { corsOrigins: cors } : {}),
          ...(maxConnections ? { maxConnections } : {}),
          ...(maxWebSocketConnections ? { maxWebSocketConnections } : {}),
        },
        webApp,
      );
      const server = rpc.server;
      cleanup.push(() => server.close());
    }
    const metrics = config.metrics ? new NodeMetrics(node) : null;
    let metricsUrl: string | null = null;
    if (metrics && config.metrics) {
      const served = await metrics.serve(config.metrics.host, config.metrics.port);
      cleanup.push(() => served.close());
      metricsUrl = served.url;
    }
    logBlocks(node, logger);
    let p2p: P2pNetwork | null = null;
    if (config.p2p) {
      p2p = new P2pNetwork({
        privateKey: await loadOrCreatePeerKey(config.datadir),
        listen: config.p2p.listen,
        announce: config.p2p.announce,
        bootnodes: config.p2p.bootnodes,
        maxPeers: config.p2p.maxPeers,
        chain: p2pChainOf(node),
        handlers: {
          onConsensus: (b) => node.receiveConsensus(b),
          onTransaction: (raw) => node.receiveTransaction(raw),
          prepareTransactions: (raws) => node.prepareTransactions(raws),
        },
        logger,
        metrics: metrics ?? undefined,
      });
      const net = p2p;
      // Stopped before the node, so nothing arrives at a closed database.
      cleanup.splice(1, 0, () => net.stop());
      await p2p.start();
      metrics?.setPeerCount(() => net.connectedPeers().length);
      node.start(p2p);
    } else {
      const network = new LocalNetwork();
      node.start(
        network.join(node.peerView(), {
          onConsensus: (b) => node.receiveConsensus(b),
          onTransaction: (raw) => node.receiveTransaction(raw),
        }),
      );
    }
    return {
      node,
      httpUrl: rpc?.httpUrl ?? null,
      wsUrl: rpc?.wsUrl ?? null,
      uiUrl: rpc?.uiUrl ?? null,
      p2p,
      metricsUrl,
      stop,
    };
  } catch (e) {
    await stop();
    throw e;
  }
}
