/**
 * Contracts (scenario 8) with four validators as four `etm node` processes: committed ERC-20
 * transfers per second next to plain transfers, each on a cluster of its own started as the
 * four-processes scenario starts one (processes.ts), driven through JSON-RPC only with the same
 * generator and saturation phase (throughput.ts): pre-signed transactions in batched
 * `eth_sendRawTransaction`, spread over the four nodes, commits seen through `newHeads`.
 *
 * The ERC-20 cluster first deploys OpenZeppelin's token (contracts/bench/BenchToken.sol) and
 * hands every sender some of it (not timed): the deployer pays 31 distributors, each of them
 * pays its share of the senders. Then each sender sends 1 token to the next one in every round,
 * so every transfer writes two existing balances, as in the one-validator figure. Both
 * clusters lift the contract gas budget of a block to the block gas limit, as the one-validator
 * figure does, so a block may hold as many ERC-20 transfers as its gas allows.
 */
import { Agent } from 'node:http';
import { performance } from 'node:perf_hooks';
import { encodeAbiParameters, encodeFunctionData, erc20Abi, type Hex } from 'viem';
import { concatBytes, fromHex, toHex } from '../crypto/bytes.js';
import { createdAddress } from '../execution/evm/addresses.js';
import { DEFAULT_MEMPOOL_LIMITS } from '../mempool/mempool.js';
import { PARAMS } from '../params/registry.js';
import { BENCH_TOKEN_CREATION } from './contract-code.js';
import { makeSenders, signCall, type Sender, type Transfer } from './load.js';
import {
  ProcessClusterError,
  runMultiProcessThroughput,
  type MultiProcessResult,
} from './processes.js';
import { round, sleep } from './stats.js';
import { postJson, TransferPool } from './throughput.js';

export interface ContractsProcessesOptions {
  senders: number;
  blockTimeMs: number;
  saturateMs: number;
  warmupMs: number;
  log?: (line: string) => void;
}

export interface ContractsProcessesResult {
  senders: number;
  plain: MultiProcessResult;
  erc20: MultiProcessResult;
  /** Deploying the token and handing it out, before the ERC-20 phase. */
  setupMs: number;
}

/** Gas limit of a benchmark ERC-20 transfer (one between two holders uses 34,452). */
const TRANSFER_GAS = 100_000n;
/** The deployer and the accounts that hand the token out (each at most the mempool's per-sender limit). */
const DISTRIBUTORS = 32;
const SUPPLY = 10n ** 30n;

function transferData(to: Uint8Array, amount: bigint): Uint8Array {
  return fromHex(
    encodeFunctionData({
      abi: erc20Abi,
      functionName: 'transfer',
      args: [toHex(to) as Hex, amount],
    }),
  );
}

/** As signTransfers, with an ERC-20 transfer of 1 token to the next sender in place of value. */
function erc20Transfers(token: Uint8Array) {
  return (senders: Sender[], count: number, firstNonce = 0n): Transfer[] => {
    const out: Transfer[] = new Array<Transfer>(count);
    for (let i = 0; i < count; i++) {
      const s = i % senders.length;
      const nonce = firstNonce + BigInt(Math.floor(i / senders.length));
      const next = senders[(s + 1) % senders.length]!.address;
      out[i] = signCall(senders[s]!, nonce, token, 0n, transferData(next, 1n), TRANSFER_GAS);
    }
    return out;
  };
}

/** Sends signed transactions to `url` in batches; any refusal fails the setup. */
async function sendAll(agent: Agent, url: string, txs: Transfer[]): Promise<void> {
  for (let first = 0; first < txs.length; first += 500) {
    const body = `[${txs
      .slice(first, first + 500)
      .map(
        (t, i) =>
          `{"jsonrpc":"2.0","id":${i},"method":"eth_sendRawTransaction","params":["${toHex(t.raw)}"]}`,
      )
      .join(',')}]`;
    const replies = JSON.parse(await postJson(agent, url, body)) as {
      error?: { message: string };
    }[];
    const refused = replies.find((r) => r.error);
    if (refused) throw new ProcessClusterError(`token setup: ${refused.error!.message}`);
  }
}

/** Waits until every transaction has a successful receipt. */
async function committed(agent: Agent, url: string, txs: Transfer[], timeoutMs: number) {
  const deadline = performance.now() + timeoutMs;
  let waiting = txs.map((t) => t.hash);
  while (waiting.length > 0) {
    if (performance.now() > deadline)
      throw new ProcessClusterError(`token setup: ${waiting.length} transactions not committed`);
    await sleep(250);
    const still: string[] = [];
    for (let first = 0; first < waiting.length; first += 500) {
      const chunk = waiting.slice(first, first + 500);
      const body = `[${chunk
        .map(
          (h, i) =>
            `{"jsonrpc":"2.0","id":${i},"method":"eth_getTransactionReceipt","params":["${h}"]}`,
        )
        .join(',')}]`;
      const replies = JSON.parse(await postJson(agent, url, body)) as {
        id: number;
        result?: { status: string } | null;
      }[];
      for (const r of replies) {
        if (!r.result) still.push(chunk[r.id]!);
        else if (r.result.status !== '0x1')
          throw new ProcessClusterError(`token setup: transaction ${chunk[r.id]} failed`);
      }
    }
    waiting = still;
  }
}

/** Deploys the token from distributors[0] and hands it to every sender through the distributors. */
async function deployAndDistribute(
  url: string,
  distributors: Sender[],
  senders: Sender[],
): Promise<void> {
  const agent = new Agent({ keepAlive: true, maxSockets: 1 });
  try {
    const d0 = distributors[0]!;
    const args = fromHex(encodeAbiParameters([{ type: 'uint256' }], [SUPPLY]));
    const first: Transfer[] = [
      signCall(d0, 0n, null, 0n, concatBytes(BENCH_TOKEN_CREATION, args), 3_000_000n),
    ];
    const token = createdAddress(d0.address, 0n);
    const share = SUPPLY / 2n / BigInt(distributors.length);
    for (let d = 1; d < distributors.length; d++)
      first.push(
        signCall(
          d0,
          BigInt(d),
          token,
          0n,
          transferData(distributors[d]!.address, share),
          TRANSFER_GAS,
        ),
      );
    await sendAll(agent, url, first);
    await committed(agent, url, first, 60_000);
    const nonces = distributors.map((_, d) => (d === 0 ? BigInt(distributors.length) : 0n));
    const each = share / 2n / BigInt(Math.ceil(senders.length / distributors.length));
    const second = senders.map((s, i) => {
      const d = i % distributors.length;
      return signCall(
        distributors[d]!,
        nonces[d]!++,
        token,
        0n,
        transferData(s.address, each),
        TRANSFER_GAS,
      );
    });
    await sendAll(agent, url, second);
    await committed(agent, url, second, 120_000);
  } finally {
    agent.destroy();
  }
}

/** The ERC-20 and plain transfer phases, each on four fresh validator processes. */
export async function runContractsProcesses(
  o: ContractsProcessesOptions,
): Promise<ContractsProcessesResult> {
  const log = o.log ?? (() => {});
  const senders = makeSenders(o.senders, 'etm-bench-contracts');
  const distributors = makeSenders(DISTRIBUTORS, 'etm-bench-token-distributors');
  if (Math.ceil(senders.length / DISTRIBUTORS) > DEFAULT_MEMPOOL_LIMITS.maxPerSender - DISTRIBUTORS)
    throw new Error(
      `at most ${(DEFAULT_MEMPOOL_LIMITS.maxPerSender - DISTRIBUTORS) * DISTRIBUTORS} senders`,
    );
  const genesisParams = { maxContractGasPerBlock: PARAMS.blockGasLimit.default.toString() };
  // Enough for the phase at a generous rate and a full mempool; the generator signs more if not.
  const presign = Math.ceil((2_000 * o.saturateMs) / 1000) + DEFAULT_MEMPOOL_LIMITS.maxCount;
  const token = createdAddress(distributors[0]!.address, 0n);
  const run = async (kind: 'erc20' | 'plain') => {
    const pool =
      kind === 'erc20'
        ? new TransferPool(senders, erc20Transfers(token))
        : new TransferPool(senders);
    pool.ensure(presign);
    log(
      `  4 validator processes, ${kind === 'erc20' ? 'ERC-20' : 'plain'} transfers (${pool.size} signed in ${round(pool.signMs / 1000, 1)} s)`,
    );
    let setupMs = 0;
    const result = await runMultiProcessThroughput({
      validators: 4,
      blockTimeMs: o.blockTimeMs,
      pool,
      saturateMs: o.saturateMs,
      warmupMs: o.warmupMs,
      halfLoadMs: 0,
      genesisParams,
      funded: distributors,
      ...(kind === 'erc20'
        ? {
            setup: async (urls: string[]) => {
              const t0 = performance.now();
              await deployAndDistribute(urls[0]!, distributors, senders);
              setupMs = round(performance.now() - t0, 0);
              log(
                `  token deployed and handed to ${senders.length} senders in ${round(setupMs / 1000, 1)} s`,
              );
            },
          }
        : {}),
      log,
    });
    return { result, setupMs };
  };
  const erc20 = await run('erc20');
  const plain = await run('plain');
  return {
    senders: senders.length,
    erc20: erc20.result,
    plain: plain.result,
    setupMs: erc20.setupMs,
  };
}
