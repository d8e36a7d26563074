/**
 * Domain values to Ethereum JSON (EIP-1474): quantities as minimal 0x hex, data as 0x hex,
 * objects with the fields and field order geth returns, so clients that compare against geth
 * output see no difference.
 */
import type { EconomicsFigures } from '../economics/figures.js';
import { toChecksumAddress } from '../crypto/address.js';
import { toHex } from '../crypto/bytes.js';
import { toDecimalString } from '../math/fixed.js';
import type {
  AccessListReply,
  AccountProof,
  TxPoolView,
  CandidateView,
  EvidenceView,
  SlashView,
  ElectionView,
  EpochView,
  LockView,
  FeeHistory,
  RpcBlock,
  RpcLog,
  RpcReceipt,
  RpcTransaction,
  SyncStatus,
  ValidatorSetView,
} from './backend.js';

export type Json = string | number | boolean | null | Json[] | { [key: string]: Json };

/**
 * A method's whole result already serialized (a long log list built in time slices, so that no
 * single JSON.stringify holds the event loop). The handler splices it into the response as is.
 */
export class RawJson {
  constructor(readonly text: string) {}
}
export type JsonObject = { [key: string]: Json };

/** QUANTITY: minimal hex, "0x0" for zero. */
export function quantity(value: bigint): string {
  if (value < 0n) throw new RangeError(`negative quantity ${value}`);
  return `0x${value.toString(16)}`;
}

/** DATA: the bytes as 0x hex. */
export function data(bytes: Uint8Array): string {
  return toHex(bytes);
}

function nullable<T>(value: T | null, format: (v: T) => string): string | null {
  return value === null ? null : format(value);
}

/** Left-pads to `width` bytes (storage words are always 32 bytes on the wire). */
export function word(bytes: Uint8Array, width = 32): string {
  if (bytes.length >= width) return data(bytes);
  const out = new Uint8Array(width);
  out.set(bytes, width - bytes.length);
  return data(out);
}

export function formatTransaction(tx: RpcTransaction): JsonObject {
  const typed = tx.type !== 0;
  const out: JsonObject = {
    blockHash: nullable(tx.blockHash, data),
    blockNumber: nullable(tx.blockNumber, quantity),
    from: data(tx.from),
    gas: quantity(tx.gas),
    gasPrice: quantity(tx.gasPrice),
  };
  if (tx.type === 2) {
    out.maxFeePerGas = quantity(tx.maxFeePerGas ?? tx.gasPrice);
    out.maxPriorityFeePerGas = quantity(tx.maxPriorityFeePerGas ?? 0n);
  }
  out.hash = data(tx.hash);
  out.input = data(tx.input);
  out.nonce = quantity(tx.nonce);
  out.to = nullable(tx.to, data);
  out.transactionIndex = nullable(tx.transactionIndex, quantity);
  out.value = quantity(tx.value);
  out.type = quantity(BigInt(tx.type));
  if (typed) {
    out.accessList = (tx.accessList ?? []).map((entry) => ({
      address: data(entry.address),
      storageKeys: entry.storageKeys.map(data),
    }));
  }
  if (tx.chainId !== null) out.chainId = quantity(tx.chainId);
  out.v = quantity(tx.v);
  out.r = quantity(tx.r);
  out.s = quantity(tx.s);
  if (typed) out.yParity = quantity(tx.yParity ?? tx.v);
  return out;
}

/** Header fields, as a newHeads notification carries them. */
export function formatHeader(block: RpcBlock): JsonObject {
  return {
    baseFeePerGas: quantity(block.baseFeePerGas),
    difficulty: quantity(block.difficulty),
    extraData: data(block.extraData),
    gasLimit: quantity(block.gasLimit),
    gasUsed: quantity(block.gasUsed),
    hash: data(block.hash),
    logsBloom: data(block.logsBloom),
    miner: data(block.miner),
    mixHash: data(block.mixHash),
    nonce: data(block.nonce),
    number: quantity(block.number),
    parentHash: data(block.parentHash),
    receiptsRoot: data(block.receiptsRoot),
    sha3Uncles: data(block.sha3Uncles),
    stateRoot: data(block.stateRoot),
    timestamp: quantity(block.timestamp),
    transactionsRoot: data(block.transactionsRoot),
  };
}

/**
 * A block: `transactions` as hashes, or full objects when `fullTransactions`. No uncles, no
 * proof-of-work: `uncles` is empty and `totalDifficulty` zero; there are no withdrawals.
 */
export function formatBlock(block: RpcBlock, fullTransactions: boolean): JsonObject {
  const out: JsonObject = {
    ...formatHeader(block),
    size: quantity(block.size),
    totalDifficulty: '0x0',
    transactions: fullTransactions
      ? block.transactions.map(formatTransaction)
      : block.transactionHashes.map(data),
    uncles: [],
  };
  // Alphabetical, as geth prints blocks.
  return Object.fromEntries(Object.entries(out).sort(([a], [b]) => (a < b ? -1 : 1)));
}

export function formatLog(log: RpcLog): JsonObject {
  return {
    address: data(log.address),
    topics: log.topics.map(data),
    data: data(log.data),
    blockNumber: quantity(log.blockNumber),
    transactionHash: data(log.transactionHash),
    transactionIndex: quantity(log.transactionIndex),
    blockHash: data(log.blockHash),
    logIndex: quantity(log.logIndex),
    removed: log.removed,
  };
}

export function formatReceipt(receipt: RpcReceipt): JsonObject {
  return {
    blockHash: data(receipt.blockHash),
    blockNumber: quantity(receipt.blockNumber),
    contractAddress: nullable(receipt.contractAddress, data),
    cumulativeGasUsed: quantity(receipt.cumulativeGasUsed),
    effectiveGasPrice: quantity(receipt.effectiveGasPrice),
    from: data(receipt.from),
    gasUsed: quantity(receipt.gasUsed),
    logs: receipt.logs.map(formatLog),
    logsBloom: data(receipt.logsBloom),
    status: quantity(receipt.status),
    to: nullable(receipt.to, data),
    transactionHash: data(receipt.transactionHash),
    transactionIndex: quantity(receipt.transactionIndex),
    type: quantity(BigInt(receipt.type)),
  };
}

export function formatFeeHistory(history: FeeHistory): JsonObject {
  const out: JsonObject = {
    oldestBlock: quantity(history.oldestBlock),
    baseFeePerGas: history.baseFeePerGas.map(quantity),
    gasUsedRatio: [...history.gasUsedRatio],
  };
  if (history.reward !== null) out.reward = history.reward.map((r) => r.map(quantity));
  return out;
}

export function formatSyncStatus(status: SyncStatus | false): Json {
  if (status === false) return false;
  return {
    startingBlock: quantity(status.startingBlock),
    currentBlock: quantity(status.currentBlock),
    highestBlock: quantity(status.highestBlock),
  };
}

/** etm_getValidators: addresses EIP-55 checksummed, as people read and compare them. */
export function formatValidators(view: ValidatorSetView): JsonObject {
  return {
    height: quantity(view.height),
    epoch: quantity(view.epoch),
    validators: view.validators.map(toChecksumAddress),
    proposer: toChecksumAddress(view.proposer),
  };
}

/**
 * Error `data` from a backend as JSON: bytes become hex, bigints quantities (revert data is
 * usually bytes). Anything that has no JSON form becomes null rather than failing the reply.
 */
export function toJsonValue(value: unknown, depth = 0): Json {
  if (depth > 8) return null;
  if (value === null || value === undefined) return null;
  if (typeof value === 'string' || typeof value === 'boolean') return value;
  if (typeof value === 'number') return Number.isFinite(value) ? value : null;
  if (typeof value === 'bigint') return value < 0n ? `-${quantity(-value)}` : quantity(value);
  if (value instanceof Uint8Array) return data(value);
  if (Array.isArray(value)) return value.map((v) => toJsonValue(v, depth + 1));
  if (typeof value === 'object') {
    const out: JsonObject = {};
    for (const [k, v] of Object.entries(value)) out[k] = toJsonValue(v, depth + 1);
    return out;
  }
  return null;
}

/** A 36-decimal fixed-point figure as an exact decimal string. */
export function fixed(x: bigint): string {
  return toDecimalString(x);
}

export function formatEpoch(e: EpochView): JsonObject {
  return {
    epoch: quantity(e.epoch),
    firstBlock: quantity(e.firstBlock),
    lastBlock: quantity(e.lastBlock),
    validators: e.validators.map(toChecksumAddress),
    operators: e.operators.map(toChecksumAddress),
    seed: data(e.seed),
  };
}

export function formatCandidate(c: CandidateView): JsonObject {
  return {
    address: toChecksumAddress(c.operator),
    consensusKey: toChecksumAddress(c.consensusKey),
    name: c.name,
    deposit: quantity(c.deposit),
    status: c.status,
    commissionBps: quantity(c.commissionBps),
    commissionMaxBps: quantity(c.commissionMaxBps),
    votes: quantity(c.votes),
    X: fixed(c.X),
    v: fixed(c.v),
    m: quantity(c.m),
    n: quantity(c.n),
    R: fixed(c.R),
    probability: fixed(c.probability),
    elected: c.elected,
    ...(c.slashes === undefined
      ? {}
      : {
          jailedUntilEpoch:
            c.status === 'jailed' && c.jailedUntilEpoch !== undefined
              ? quantity(c.jailedUntilEpoch)
              : null,
          slashes: c.slashes.map(formatSlash),
        }),
  };
}

function formatSlash(s: SlashView): JsonObject {
  return {
    reason: s.reason,
    block: quantity(s.block),
    amount: quantity(s.amount),
    reporter: s.reporter ? toChecksumAddress(s.reporter) : null,
    untilEpoch: s.untilEpoch === null ? null : quantity(s.untilEpoch),
  };
}

export function formatEvidence(e: EvidenceView): JsonObject {
  return {
    validator: toChecksumAddress(e.validator),
    operator: toChecksumAddress(e.operator),
    height: quantity(e.height),
    round: quantity(e.round),
    type: quantity(e.type),
    reporter: toChecksumAddress(e.reporter),
    slashed: quantity(e.slashed),
    block: quantity(e.block),
  };
}

export function formatLock(l: LockView): JsonObject {
  return {
    id: quantity(l.id),
    owner: toChecksumAddress(l.owner),
    amount: quantity(l.amount),
    candidate: l.candidate ? toChecksumAddress(l.candidate) : null,
    since: quantity(l.since),
    t: quantity(l.t),
    x: quantity(l.x),
    pending: quantity(l.pending),
    autoCompound: l.autoCompound,
  };
}

/** etm_getEconomics: amounts as hex quantities, rates as 36-decimal strings (null: undefined). */
export function formatEconomics(number: bigint, f: EconomicsFigures): JsonObject {
  const rate = (x: bigint | null) => (x === null ? null : fixed(x));
  return {
    block: quantity(number),
    supply: quantity(f.supply),
    totalLocked: quantity(f.totalLocked),
    stakingRatio: rate(f.stakingRatio),
    inflationRate: rate(f.inflationRate),
    inflationYear: quantity(f.inflationYear),
    nextInflationSwitch: f.nextInflationSwitch === null ? null : quantity(f.nextInflationSwitch),
    blocksPerYear: quantity(f.blocksPerYear),
    validatorInflationShare: rate(f.validatorInflationShare),
    perBlockRate: rate(f.perBlockRate),
    rewardPerTokenPerBlock: rate(f.rewardPerTokenPerBlock),
    minted: quantity(f.minted),
    mintedTotal: quantity(f.mintedTotal),
    apyEstimate: rate(f.apyEstimate),
    apyCurrent: rate(f.apyCurrent),
    bonusReleased: quantity(f.bonusReleased),
    bonusPending: quantity(f.bonusPending),
    bonusPool: quantity(f.bonusPool),
    treasury: quantity(f.treasury),
    rewardPool: quantity(f.rewardPool),
  };
}

export function formatElection(e: ElectionView): JsonObject {
  return {
    epoch: quantity(e.epoch),
    electedAt: quantity(e.electedAt),
    seed: data(e.seed),
    rankedSeats: quantity(e.rankedSeats),
    lotterySeats: quantity(e.lotterySeats),
    candidates:
      e.candidates?.map((c) => ({ address: toChecksumAddress(c.address), R: fixed(c.R) })) ?? null,
    ranked: e.ranked.map(toChecksumAddress),
    drawn: e.drawn.map((d) => ({
      address: toChecksumAddress(d.address),
      w: quantity(d.w),
      W: quantity(d.W),
      z: quantity(d.z),
      probability: fixed((d.w * 10n ** 36n) / d.W),
    })),
    filled: e.filled.map(toChecksumAddress),
    order: e.operators.map(toChecksumAddress),
    validators: e.validators.map(toChecksumAddress),
  };
}

/** txpool_content: by sender (EIP-55), then nonce in decimal, as geth. */
export function formatTxPoolContent(pool: TxPoolView): JsonObject {
  const group = (txs: RpcTransaction[]): JsonObject => {
    const out: JsonObject = {};
    for (const tx of txs) {
      const sender = toChecksumAddress(tx.from);
      const byNonce = (out[sender] ??= {}) as JsonObject;
      byNonce[tx.nonce.toString(10)] = formatTransaction(tx);
    }
    return out;
  };
  return { pending: group(pool.pending), queued: group(pool.queued) };
}

/** eth_getProof (EIP-1186), with the account's locked units besides. */
export function formatAccountProof(p: AccountProof): JsonObject {
  return {
    address: data(p.address),
    accountProof: p.accountProof.map(data),
    balance: quantity(p.balance),
    codeHash: data(p.codeHash),
    nonce: quantity(p.nonce),
    storageHash: data(p.storageHash),
    storageProof: p.storageProof.map((s) => ({
      key: data(s.key),
      value: quantity(s.value),
      proof: s.proof.map(data),
    })),
    locked: quantity(p.locked),
  };
}

/** eth_createAccessList: {accessList, gasUsed} and, when the call fails with it, `error`. */
export function formatAccessListReply(r: AccessListReply): JsonObject {
  const out: JsonObject = {
    accessList: r.accessList.map((e) => ({
      address: data(e.address),
      storageKeys: e.storageKeys.map(data),
    })),
    gasUsed: quantity(r.gasUsed),
  };
  if (r.error !== null) out.error = r.error;
  return out;
}
