/**
 * Contracts (scenario 8): committed ERC-20 transfers per second next to plain transfers, and the
 * time a block full of worst-case EVM code takes. One validator records blocks on its own chain,
 * as in the replay scenario's recording (build, execute, state root, commit, write): the work a
 * proposer does per block without consensus and networking, which is where an ERC-20 transfer
 * costs more than a plain one (the mempool, gossip and signature work are the same for both).
 *
 * The ERC-20 is OpenZeppelin's (contracts/bench/BenchToken.sol); every sender holds tokens
 * before the timed blocks, and in them each sends 1 token to the next sender, so every transfer
 * writes two existing balances, as most transfers on a live token do.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { encodeAbiParameters, encodeFunctionData, erc20Abi, parseAbi, type Hex } from 'viem';
import { blockHash } from '../chain/block.js';
import { Chain } from '../chain/chain.js';
import { ChainStore } from '../chain/store.js';
import { secp256k1Recover } from '../consensus/crypto.js';
import { cachedRecover, commitSealDigest } from '../consensus/messages.js';
import { concatBytes, fromHex, toHex } from '../crypto/bytes.js';
import { addressOf, sign } from '../crypto/secp256k1.js';
import { createdAddress } from '../execution/evm/addresses.js';
import { TxDecoder, type SignedTx } from '../execution/tx.js';
import { BENCH_TOKEN_CREATION, BURNER_CREATION } from './contract-code.js';
import { benchGenesis, benchKey, makeSenders, signCall, signTransfer } from './load.js';
import { round } from './stats.js';
import { PARAMS } from '../params/registry.js';
import type { ContractsProcessesResult } from './contracts-processes.js';

export interface Rate {
  transactionsPerSecond: number;
  transactionsPerCpuSecond: number;
  gasPerTx: number;
}

export interface ContractsResult {
  senders: number;
  blocks: number;
  txsPerBlock: number;
  blockGasLimit: number;
  /** The default contract gas budget of a block: the worst-case blocks spend it. */
  contractGasBudget: number;
  plain: Rate;
  erc20: Rate;
  /** One transaction spending a whole block's gas on each kind of worst-case code. */
  worstCase: {
    code: string;
    gasUsed: number;
    blockMs: number;
    cpuMs: number;
    megaGasPerSecond: number;
  }[];
  /** The same with four validators as four processes (contracts-processes.ts), when run. */
  processes?: ContractsProcessesResult;
}

const BURNER_ABI = parseAbi([
  'function spin()',
  'function hashes()',
  'function coldBalances()',
  'function coldLoads()',
  'function newSlots()',
]);
const WORST_CASES = ['spin', 'hashes', 'coldBalances', 'coldLoads', 'newSlots'] as const;

export async function runContracts(o: {
  blocks: number;
  txsPerBlock: number;
  worstCase: boolean;
}): Promise<ContractsResult> {
  const key = benchKey(0, 'etm-bench-validator');
  const coinbase = addressOf(key);
  const senders = makeSenders(o.txsPerBlock, 'etm-bench-contracts');
  // The timed blocks measure the EVM's speed, so their contract gas is bounded by the block gas
  // limit only; the worst-case blocks spend the default contract gas budget, the most a block
  // of contract code may take on a chain with default parameters.
  const genesis = benchGenesis({
    senders,
    validatorKeys: [key],
    blockTimeMs: 1000,
    params: { maxContractGasPerBlock: PARAMS.blockGasLimit.default.toString() },
  });
  const dir = mkdtempSync(join(tmpdir(), 'etm-bench-contracts-'));
  const store = new ChainStore(join(dir, 'chain'));
  const decoder = new TxDecoder({ chainId: genesis.chainId });
  const chain = new Chain({
    store,
    genesis,
    decoder,
    recover: cachedRecover(secp256k1Recover),
    now: () => Number(genesis.timestamp) * 1000,
  });
  const nonces = senders.map(() => 0n);
  const decode = (raws: Uint8Array[]) => raws.map((r) => decoder.decode(r, { keep: true }));
  /** Builds and commits a block; returns its gas used. */
  const commit = async (txs: SignedTx[]): Promise<bigint> => {
    const built = await chain.buildBlock(coinbase, txs);
    if (built.skipped.length > 0) throw new Error(`skipped: ${built.skipped[0]!.error.message}`);
    const signature = sign(commitSealDigest(genesis.chainId, blockHash(built.block), 0), key);
    await chain.commitDecided(built.bytes, 0, [{ validator: coinbase, signature }]);
    return built.block.header.gasUsed;
  };
  const call = (i: number, to: Uint8Array | null, data: Uint8Array, gas: bigint) =>
    signCall(senders[i]!, nonces[i]!++, to, 0n, data, gas).raw;
  try {
    // The token, its supply spread over every sender (not timed).
    const token = createdAddress(senders[0]!.address, nonces[0]!);
    const supply = 10n ** 30n;
    const args = fromHex(encodeAbiParameters([{ type: 'uint256' }], [supply]));
    await commit(decode([call(0, null, concatBytes(BENCH_TOKEN_CREATION, args), 3_000_000n)]));
    const transfer = (to: Uint8Array, amount: bigint) =>
      fromHex(
        encodeFunctionData({
          abi: erc20Abi,
          functionName: 'transfer',
          args: [toHex(to) as Hex, amount],
        }),
      );
    for (let first = 1; first < senders.length; first += 1000) {
      const raws: Uint8Array[] = [];
      for (let i = first; i < senders.length && i < first + 1000; i++)
        raws.push(
          call(
            0,
            token,
            transfer(senders[i]!.address, supply / 2n / BigInt(senders.length)),
            100_000n,
          ),
        );
      await commit(decode(raws));
    }
    const timed = async (make: (i: number) => Uint8Array) => {
      const blocks = Array.from({ length: o.blocks }, () => decode(senders.map((_, i) => make(i))));
      let gas = 0n;
      const t0 = performance.now();
      const cpu0 = process.cpuUsage();
      for (const txs of blocks) gas += await commit(txs);
      const s = (performance.now() - t0) / 1000;
      const cpu = process.cpuUsage(cpu0);
      const total = o.blocks * senders.length;
      return {
        transactionsPerSecond: round(total / s, 0),
        // Per second of this process's CPU time: the same figure on a machine shared with others.
        transactionsPerCpuSecond: round(total / ((cpu.user + cpu.system) / 1e6), 0),
        gasPerTx: Number(gas / BigInt(total)),
      };
    };
    const next = (i: number) => senders[(i + 1) % senders.length]!.address;
    const erc20 = await timed((i) => call(i, token, transfer(next(i), 1n), 100_000n));
    const plain = await timed((i) => signTransfer(senders[i]!, nonces[i]!++, next(i), 1n).raw);
    const worstCase: ContractsResult['worstCase'] = [];
    if (o.worstCase) {
      const burner = createdAddress(senders[0]!.address, nonces[0]!);
      await commit(decode([call(0, null, BURNER_CREATION, 1_000_000n)]));
      const limit = PARAMS.maxContractGasPerBlock.default;
      for (const fn of WORST_CASES) {
        const data = fromHex(encodeFunctionData({ abi: BURNER_ABI, functionName: fn }));
        const [tx] = decode([call(0, burner, data, limit)]);
        const t0 = performance.now();
        const cpu0 = process.cpuUsage();
        const gas = await commit([tx!]);
        const ms = performance.now() - t0;
        const cpu = process.cpuUsage(cpu0);
        worstCase.push({
          code: fn,
          gasUsed: Number(gas),
          blockMs: round(ms, 0),
          cpuMs: round((cpu.user + cpu.system) / 1000, 0),
          megaGasPerSecond: round(Number(gas) / 1000 / ms, 1),
        });
      }
    }
    return {
      senders: senders.length,
      blocks: o.blocks,
      txsPerBlock: senders.length,
      blockGasLimit: Number(genesis.params.blockGasLimit),
      contractGasBudget: Number(PARAMS.maxContractGasPerBlock.default),
      plain,
      erc20,
      worstCase,
    };
  } finally {
    await store.close();
    rmSync(dir, { recursive: true, force: true });
  }
}
