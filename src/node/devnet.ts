/**
 * The local devnet: N validators in one process over the in-process network, each with its own
 * database under the data directory, the dev accounts funded at genesis, and JSON-RPC served by
 * the first node. The genesis file is written once and reused, so the chain survives restarts.
 */
import { EtmError } from '../primitives/errors.js';
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync, renameSync } from 'node:fs';
import { join } from 'node:path';
import { toHex } from '../crypto/bytes.js';
import { DEV_MNEMONIC, deriveAccounts, type DerivedAccount } from '../crypto/mnemonic.js';
import { RecoveryPool } from '../crypto/recovery-pool.js';
import { DEVNET_CHAIN_ID, genesisToJson, parseGenesis, type Genesis } from '../chain/genesis.js';
import { GenesisMismatchError } from '../chain/chain.js';
import { DEFAULT_PARAMS, DEVNET_PARAMS, ETM, GOVERNANCE_PARAM_NAMES } from '../params/registry.js';
import { onionFromKey } from './randao.js';
import { LocalNetwork } from '../p2p/local-network.js';
import { Node } from './node.js';
import { blockLine, startRpc } from './run.js';
import { DevRpc } from './dev-rpc.js';
import { devnetInfo, WebApp } from './web-app.js';

export const DEV_ACCOUNT_COUNT = 10;
export const DEV_ACCOUNT_BALANCE = 1_000_000n * ETM;
/** Validator consensus keys come from the dev mnemonic too, on their own path. */
export const DEV_VALIDATOR_PATH = "m/44'/60'/1'/0/";

export class DevnetError extends EtmError<'devnet'> {
  override name = 'DevnetError';

  constructor(message: string, options?: ErrorOptions) {
    super('devnet', message, options);
  }
}

export interface DevnetOptions {
  validators: number;
  blockTimeMs: number;
  datadir: string;
  rpcHost: string;
  /** 0 picks a free port. */
  rpcPort: number;
  /** Host names the RPC serves (default: localhost and the bound host). */
  rpcVhosts?: string[];
  /** Browser origins allowed to call the RPC (CORS); default none. */
  rpcCors?: string[];
  reset: boolean;
  /**
   * Extra nodes with dev validator keys that are not in the genesis set: they follow the chain
   * and take part in consensus once elected, so a candidate registered with one of their keys
   * can be voted in and produce blocks. Default DEVNET_STANDBY.
   */
  standby?: number;
  /** Staking parameters of a new chain (an existing one keeps its genesis). */
  staking?: DevnetStaking;
  /**
   * Serves the web app at the RPC address, with the dev accounts for its account picker
   * (docs/web.md). When the app is not built, the devnet runs without it (`uiUrl` null).
   */
  ui?: boolean;
  log?: (line: string) => void;
  /** Silences the per-node diagnostics (rejections, errors), e.g. in tests. */
  quiet?: boolean;
  /** Test only: validators (by index) that double-sign (docs/slashing.md). */
  equivocators?: readonly number[];
}

export interface Devnet {
  nodes: Node[];
  /** The in-process network the nodes share; more nodes may join it. */
  network: LocalNetwork;
  accounts: DerivedAccount[];
  /** Keys of every node: the genesis validators first, then the standby nodes. */
  validatorKeys: DerivedAccount[];
  genesis: Genesis;
  httpUrl: string;
  wsUrl: string;
  /** The web app's address; null when not asked for or not built. */
  uiUrl: string | null;
  /**
   * Rolls every node of the devnet back to block `number` (evm_revert): consensus and sync
   * stop, the blocks above it go from every store, the pools are emptied, and consensus starts
   * again at `number` + 1, its first proposal a block time later.
   */
  rollback(number: bigint): Promise<void>;
  stop(): Promise<void>;
}

/** Devnet staking: short epochs and 3 ranked + 1 lottery seats (PROTOCOL §10, devnet values). */
export interface DevnetStaking {
  epochBlocks: number;
  rankedSeats: number;
  lotterySeats: number;
  /** Layers of every RANDAO onion (default: the chain's default, 65,536). */
  randaoLayers?: number;
}

/** The registry's devnet values (src/params/registry.ts). */
export const DEVNET_STAKING: DevnetStaking = {
  epochBlocks: Number(DEVNET_PARAMS.epochBlocks),
  rankedSeats: Number(DEVNET_PARAMS.rankedSeats),
  lotterySeats: Number(DEVNET_PARAMS.lotterySeats),
};
/** Each devnet validator is a candidate from genesis with this deposit, funded for it. */
export const DEVNET_STANDBY = 6;
export const DEVNET_VALIDATOR_DEPOSIT = 1_000n * ETM;
const DEVNET_VALIDATOR_FUNDS = 2_000n * ETM;

/** Reference epoch length over the devnet's, at least 1: the bonus schedule's scale. */
function bonusDivisor(epochBlocks: number): bigint {
  const d = DEFAULT_PARAMS.epochBlocks / BigInt(epochBlocks);
  return d > 1n ? d : 1n;
}

export function devGenesis(
  validators: number,
  blockTimeMs: number,
  timestamp: bigint,
  staking: DevnetStaking = DEVNET_STAKING,
): Genesis {
  const accounts = deriveAccounts(DEV_MNEMONIC, DEV_ACCOUNT_COUNT);
  const keys = deriveAccounts(DEV_MNEMONIC, validators, DEV_VALIDATOR_PATH);
  const layers = staking.randaoLayers ?? Number(DEFAULT_PARAMS.randaoLayers);
  return parseGenesis({
    chainId: DEVNET_CHAIN_ID.toString(),
    timestamp: timestamp.toString(),
    params: {
      blockTimeMs: String(blockTimeMs),
      epochBlocks: String(staking.epochBlocks),
      rankedSeats: String(staking.rankedSeats),
      lotterySeats: String(staking.lotterySeats),
      // The same voter bonus per epoch as the reference chain's 1,200-block epochs.
      bonusScheduleDivisor: String(bonusDivisor(staking.epochBlocks)),
      randaoLayers: String(layers),
      // The DAO's devnet periods and deposits: a vote takes a few blocks.
      ...Object.fromEntries(GOVERNANCE_PARAM_NAMES.map((k) => [k, DEVNET_PARAMS[k].toString()])),
      // A jailed devnet validator may return within minutes.
      jailEpochs: String(DEVNET_PARAMS.jailEpochs),
    },
    alloc: Object.fromEntries([
      ...accounts.map((a) => [a.checksumAddress, { balance: DEV_ACCOUNT_BALANCE.toString() }]),
      ...keys.map((k) => [k.checksumAddress, { balance: DEVNET_VALIDATOR_FUNDS.toString() }]),
    ]),
    validators: keys.map((k) => k.checksumAddress),
    candidates: keys.map((k, i) => ({
      operator: k.checksumAddress,
      consensusKey: k.checksumAddress,
      name: `node${i}`,
      deposit: DEVNET_VALIDATOR_DEPOSIT.toString(),
      commissionBps: 1000,
      commissionMaxBps: 2000,
      randaoCommitment: toHex(onionFromKey(k.privateKey, layers).commitment),
    })),
  });
}

/** Loads the devnet's genesis from the data directory, or creates it. */
export function loadOrCreateGenesis(o: DevnetOptions): Genesis {
  const file = join(o.datadir, 'genesis.json');
  if (existsSync(file)) {
    const g = parseGenesis(JSON.parse(readFileSync(file, 'utf8')));
    if (g.validators.length !== o.validators) {
      throw new DevnetError(
        `${o.datadir} holds a devnet with ${g.validators.length} validators; start it with --validators ${g.validators.length}, or use --reset`,
      );
    }
    if (g.params.blockTimeMs !== BigInt(o.blockTimeMs)) {
      throw new DevnetError(
        `${o.datadir} holds a devnet with --block-time ${g.params.blockTimeMs}; start it with that, or use --reset`,
      );
    }
    return g;
  }
  const g = devGenesis(o.validators, o.blockTimeMs, BigInt(Date.now()) / 1000n, o.staking);
  mkdirSync(o.datadir, { recursive: true });
  writeFileSync(`${file}.tmp`, JSON.stringify(genesisToJson(g), null, 2) + '\n');
  renameSync(`${file}.tmp`, file);
  return g;
}

export async function startDevnet(o: DevnetOptions): Promise<Devnet> {
  if (!Number.isInteger(o.validators) || o.validators < 1 || o.validators > 100) {
    throw new DevnetError(`--validators must be an integer from 1 to 100, got ${o.validators}`);
  }
  if (!Number.isInteger(o.blockTimeMs) || o.blockTimeMs < 100 || o.blockTimeMs > 60_000) {
    throw new DevnetError(
      `--block-time must be an integer from 100 to 60000 ms, got ${o.blockTimeMs}`,
    );
  }
  if (o.reset) rmSync(o.datadir, { recursive: true, force: true });
  const log = o.log ?? (() => {});
  const genesis = loadOrCreateGenesis(o);
  const accounts = deriveAccounts(DEV_MNEMONIC, DEV_ACCOUNT_COUNT);
  const standby = o.standby ?? DEVNET_STANDBY;
  if (!Number.isInteger(standby) || standby < 0 || standby > 100)
    throw new DevnetError(`--standby must be an integer from 0 to 100, got ${standby}`);
  const validatorKeys = deriveAccounts(DEV_MNEMONIC, o.validators + standby, DEV_VALIDATOR_PATH);

  // Every validator's RANDAO onion is built before any node starts its round timers.
  for (const k of validatorKeys) onionFromKey(k.privateKey, genesis.params.randaoLayers);
  const network = new LocalNetwork();
  // The nodes of one process share one pool of recovery threads.
  const recoveryPool = new RecoveryPool();
  const nodes: Node[] = [];
  const stopNodes = async () => {
    await Promise.all(nodes.map((n) => n.stop()));
    await recoveryPool.close();
  };
  try {
    for (let i = 0; i < validatorKeys.length; i++) {
      nodes.push(
        new Node({
          datadir: join(o.datadir, `node${i}`),
          genesis,
          validatorKey: validatorKeys[i]!.privateKey,
          name: `node${i}`,
          log: o.quiet ? () => {} : log,
          recoveryPool,
          equivocate: o.equivocators?.includes(i) === true,
        }),
      );
    }
  } catch (e) {
    await stopNodes();
    if (e instanceof GenesisMismatchError) {
      throw new DevnetError(
        `${o.datadir} cannot be opened: ${e.message}; use --reset to start anew`,
      );
    }
    throw e;
  }
  let stopped = false;
  const rollback = async (number: bigint): Promise<void> => {
    if (stopped) throw new DevnetError('the devnet is stopped');
    await Promise.all(nodes.map((n) => n.suspend()));
    // Messages in flight reach suspended nodes, which drop them: none of the removed heights
    // is delivered after the restart.
    await network.settled();
    for (const n of nodes) await n.rollback(number);
    const notBefore = Date.now() + Number(nodes[0]!.chain.nextParams().blockTimeMs);
    for (const n of nodes) n.resume(notBefore);
  };
  let rpc: Awaited<ReturnType<typeof startRpc>>;
  try {
    const webApp =
      o.ui && WebApp.isBuilt() ? WebApp.load(devnetInfo(genesis.chainId, accounts)) : null;
    if (o.ui && !webApp) log('web app not built (npm run build): not served');
    // The development methods sign with the dev accounts and wait for blocks (docs/rpc.md).
    const blockWaitMs = Math.max(30_000, 20 * o.blockTimeMs);
    rpc = await startRpc(
      nodes[0]!,
      o.rpcHost,
      o.rpcPort,
      {
        ...(o.rpcVhosts ? { vhosts: o.rpcVhosts } : {}),
        ...(o.rpcCors ? { corsOrigins: o.rpcCors } : {}),
      },
      webApp,
      (backend) => new DevRpc(nodes[0]!, accounts, backend, { blockWaitMs, rollback }),
    );
  } catch (e) {
    await stopNodes();
    throw e;
  }
  const nameOf = (a: Uint8Array) => {
    const i = validatorKeys.findIndex((k) => toHex(k.address) === toHex(a));
    return i < 0 ? null : `node${i}`;
  };
  nodes[0]!.onCommitted((e) => log(blockLine(e, nameOf)));
  network.startNodes(nodes);
  return {
    nodes,
    network,
    accounts,
    validatorKeys,
    genesis,
    httpUrl: rpc.httpUrl,
    wsUrl: rpc.wsUrl,
    uiUrl: rpc.uiUrl,
    rollback,
    stop: async () => {
      if (stopped) return;
      stopped = true;
      await rpc.server.close();
      await stopNodes();
    },
  };
}
