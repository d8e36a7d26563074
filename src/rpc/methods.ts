/**
 * The Ethereum JSON-RPC methods: decode parameters, resolve blocks, ask the backend, format.
 * Block getters answer null for an unknown block; state queries answer -32001 'header not
 * found' (geth says the same words with -32000; -32001 is EIP-1474's "resource not found").
 */
import { keccak256 } from '../crypto/keccak.js';
import { toHex } from '../crypto/bytes.js';
import {
  RpcError,
  RpcErrorCode,
  type BlockSelector,
  type RpcBackend,
  type RpcBlock,
  type RpcTransaction,
} from './backend.js';
import {
  data,
  formatBlock,
  formatFeeHistory,
  formatReceipt,
  formatSyncStatus,
  formatTransaction,
  formatValidators,
  formatCandidate,
  formatEvidence,
  formatElection,
  formatEconomics,
  formatEpoch,
  formatLock,
  formatAccountProof,
  formatTxPoolContent,
  formatAccessListReply,
  type JsonObject,
  quantity,
  RawJson,
  word,
  type Json,
} from './format.js';
import { LogMatcher } from './log-filter.js';
import { filterNotFound, type FilterManager } from './filters.js';
import { defineDevMethods } from './dev-methods.js';
import { formatProposal } from './governance-format.js';
import { queryLogs, type LogQueryLimits } from './log-query.js';
import {
  decodeAddress,
  decodeBlockNumberOrTag,
  decodeBlockSelector,
  decodeBoolean,
  decodeBytes,
  decodeCallRequest,
  decodeFeeHistoryBlockCount,
  decodeHash,
  decodeLogFilter,
  decodeRewardPercentiles,
  decodeStorageSlot,
  decodeStorageKeys,
  decodeSubscriptionId,
  decodeSubscriptionLogFilter,
  decodeStateOverride,
  decodeTraceConfig,
  DEFAULT_TRACE,
  decodeUint64,
  InvalidParamsError,
  Params,
} from './params.js';
import type { SubscriptionSink } from './subscriptions.js';

/** Where a request came from: WebSocket connections can subscribe, HTTP cannot. */
export interface RequestContext {
  subscriptions?: SubscriptionSink;
  /** Who is asking, for per-client bounds: an HTTP client's address or one WebSocket connection. */
  client?: string;
}

export interface MethodLimits extends LogQueryLimits {
  /** The polled filters, shared by every client. */
  filters: FilterManager;
}

export type MethodImpl = (
  params: Params,
  ctx: RequestContext,
) => Json | RawJson | Promise<Json | RawJson>;

const LATEST: BlockSelector = { kind: 'tag', tag: 'latest' };

export function createMethods(backend: RpcBackend, limits: MethodLimits): Map<string, MethodImpl> {
  const methods = new Map<string, MethodImpl>();
  const define = (name: string, maxParams: number, impl: MethodImpl): void => {
    methods.set(name, (p, ctx) => impl(p.atMost(maxParams), ctx));
  };

  /** The block number a state query runs at; unknown blocks are an error. */
  const stateBlock = (selector: BlockSelector): bigint => {
    const number = backend.resolveBlock(selector);
    if (number === null) {
      const message = selector.kind === 'hash' ? 'header for hash not found' : 'header not found';
      throw new RpcError(RpcErrorCode.ResourceNotFound, message);
    }
    return number;
  };

  /**
   * A log query's range, as geth checks it: tags resolve at the head; a range that runs
   * backwards or ends past the head is -32602.
   */
  const logRange = (from: BlockSelector | null, to: BlockSelector | null): [bigint, bigint] => {
    const bound = (s: BlockSelector | null): bigint =>
      s !== null && s.kind === 'number' ? s.number : stateBlock(s ?? LATEST);
    const fromBlock = bound(from);
    const toBlock = bound(to);
    if (fromBlock > toBlock) throw new InvalidParamsError('invalid block range params');
    if (toBlock > backend.headNumber())
      throw new InvalidParamsError('block range extends beyond current head block');
    return [fromBlock, toBlock];
  };

  /** The block a getter answers about, or null. */
  const blockAt = (selector: BlockSelector): RpcBlock | null => {
    const number = backend.resolveBlock(selector);
    return number === null ? null : backend.blockByNumber(number);
  };

  /** One transaction of a block, looked up by its hash (the block's others are not decoded). */
  const transactionAt = (block: RpcBlock | null, index: bigint): Json => {
    if (block === null || index >= BigInt(block.transactionHashes.length)) return null;
    const tx = backend.transactionByHash(block.transactionHashes[Number(index)]!);
    return tx === null ? null : formatTransaction(tx);
  };

  const notifications = (ctx: RequestContext): SubscriptionSink => {
    // As geth: -32601, so clients can tell "use a WebSocket" from a bad argument.
    if (!ctx.subscriptions)
      throw new RpcError(RpcErrorCode.MethodNotFound, 'notifications not supported');
    return ctx.subscriptions;
  };

  // --- node and network ---------------------------------------------------------------------
  define('web3_clientVersion', 0, () => backend.clientVersion);
  define('web3_sha3', 1, (p) => data(keccak256(p.required(0, 'data', decodeBytes))));
  define('net_version', 0, () => backend.chainId.toString(10));
  define('net_listening', 0, () => true);
  define('net_peerCount', 0, () => quantity(BigInt(backend.peerCount?.() ?? 0)));
  define('eth_chainId', 0, () => quantity(backend.chainId));
  define('eth_syncing', 0, () => formatSyncStatus(backend.syncing()));
  define('eth_accounts', 0, () => []);
  define('eth_mining', 0, () => false);
  define('eth_hashrate', 0, () => '0x0');
  define('etm_getValidators', 0, () => formatValidators(backend.validators()));

  // --- staking ------------------------------------------------------------------------------
  const staking = () => {
    if (!backend.staking)
      throw new RpcError(RpcErrorCode.MethodNotSupported, 'staking is not available on this node');
    return backend.staking;
  };
  define('etm_getEpoch', 1, (p) => {
    const e = staking().epoch(p.optional(0, 'epoch', decodeUint64, null));
    return e === null ? null : formatEpoch(e);
  });
  define('etm_getCandidates', 1, (p) =>
    staking()
      .candidates(stateBlock(p.optional(0, 'block', decodeBlockNumberOrTag, LATEST)))
      .map(formatCandidate),
  );
  define('etm_getEvidence', 1, (p) => {
    const s = staking();
    if (!s.evidence)
      throw new RpcError(RpcErrorCode.MethodNotSupported, 'evidence is not available on this node');
    return s
      .evidence(stateBlock(p.optional(0, 'block', decodeBlockNumberOrTag, LATEST)))
      .map(formatEvidence);
  });
  define('etm_getLocks', 1, (p) =>
    staking()
      .locks(p.required(0, 'address', decodeAddress))
      .map(formatLock),
  );
  define('etm_getEconomics', 1, (p) => {
    const number = stateBlock(p.optional(0, 'block', decodeBlockNumberOrTag, LATEST));
    return formatEconomics(number, staking().economics(number));
  });
  define('etm_getElection', 1, async (p) => {
    const e = await staking().election(p.required(0, 'epoch', decodeUint64));
    return e === null ? null : formatElection(e);
  });

  // --- governance ---------------------------------------------------------------------------
  const governance = () => {
    if (!backend.governance)
      throw new RpcError(
        RpcErrorCode.MethodNotSupported,
        'governance is not available on this node',
      );
    return backend.governance;
  };
  // [before (id, exclusive; default: newest), limit (default and most: 100)]
  define('etm_getProposals', 2, (p) => {
    const before = p.optional(0, 'before', decodeUint64, null);
    const limit = p.optional(1, 'limit', decodeUint64, 100n);
    return governance()
      .proposals(before, Number(limit > 100n ? 100n : limit))
      .map(formatProposal);
  });
  define('etm_getProposal', 1, (p) => {
    const v = governance().proposal(p.required(0, 'id', decodeUint64));
    return v === null ? null : formatProposal(v);
  });

  // --- blocks -------------------------------------------------------------------------------
  define('eth_blockNumber', 0, () => quantity(backend.headNumber()));
  define('eth_getBlockByNumber', 2, (p) => {
    const block = blockAt(p.required(0, 'block', decodeBlockNumberOrTag));
    const full = p.optional(1, 'full transactions', decodeBoolean, false);
    return block === null ? null : formatBlock(block, full);
  });
  define('eth_getBlockByHash', 2, (p) => {
    const block = backend.blockByHash(p.required(0, 'block hash', decodeHash));
    const full = p.optional(1, 'full transactions', decodeBoolean, false);
    return block === null ? null : formatBlock(block, full);
  });
  define('eth_getBlockTransactionCountByNumber', 1, (p) => {
    const block = blockAt(p.required(0, 'block', decodeBlockNumberOrTag));
    return block === null ? null : quantity(BigInt(block.transactionHashes.length));
  });
  define('eth_getBlockTransactionCountByHash', 1, (p) => {
    const block = backend.blockByHash(p.required(0, 'block hash', decodeHash));
    return block === null ? null : quantity(BigInt(block.transactionHashes.length));
  });
  define('eth_getUncleCountByBlockNumber', 1, (p) =>
    blockAt(p.required(0, 'block', decodeBlockNumberOrTag)) === null ? null : '0x0',
  );
  define('eth_getUncleCountByBlockHash', 1, (p) =>
    backend.blockByHash(p.required(0, 'block hash', decodeHash)) === null ? null : '0x0',
  );
  define('eth_getTransactionByBlockNumberAndIndex', 2, (p) => {
    const block = blockAt(p.required(0, 'block', decodeBlockNumberOrTag));
    return transactionAt(block, p.required(1, 'index', decodeUint64));
  });
  define('eth_getTransactionByBlockHashAndIndex', 2, (p) => {
    const block = backend.blockByHash(p.required(0, 'block hash', decodeHash));
    return transactionAt(block, p.required(1, 'index', decodeUint64));
  });
  define('eth_getBlockReceipts', 1, (p) => {
    const number = backend.resolveBlock(p.required(0, 'block', decodeBlockSelector));
    const receipts = number === null ? null : backend.blockReceipts(number);
    return receipts === null ? null : receipts.map(formatReceipt);
  });

  // --- state --------------------------------------------------------------------------------
  define('eth_getBalance', 2, (p) => {
    const address = p.required(0, 'address', decodeAddress);
    const block = stateBlock(p.optional(1, 'block', decodeBlockSelector, LATEST));
    return quantity(backend.balance(address, block));
  });
  define('eth_getTransactionCount', 2, (p) => {
    const address = p.required(0, 'address', decodeAddress);
    const selector = p.optional(1, 'block', decodeBlockSelector, LATEST);
    if (selector.kind === 'tag' && selector.tag === 'pending') {
      return quantity(backend.pendingNonce(address));
    }
    return quantity(backend.nonce(address, stateBlock(selector)));
  });
  define('eth_getCode', 2, (p) => {
    const address = p.required(0, 'address', decodeAddress);
    const block = stateBlock(p.optional(1, 'block', decodeBlockSelector, LATEST));
    return data(backend.code(address, block));
  });
  define('eth_getStorageAt', 3, (p) => {
    const address = p.required(0, 'address', decodeAddress);
    const slot = p.required(1, 'storage slot', decodeStorageSlot);
    const block = stateBlock(p.optional(2, 'block', decodeBlockSelector, LATEST));
    return word(backend.storageAt(address, slot, block));
  });

  // --- execution and fees -------------------------------------------------------------------
  define('eth_call', 3, async (p) => {
    const request = p.required(0, 'call request', (v, w) =>
      decodeCallRequest(v, w, backend.chainId),
    );
    const block = stateBlock(p.optional(1, 'block', decodeBlockSelector, LATEST));
    const override = p.optional(2, 'state override', decodeStateOverride, null);
    return data(await backend.call(request, block, override));
  });
  define('eth_estimateGas', 3, async (p) => {
    const request = p.required(0, 'call request', (v, w) =>
      decodeCallRequest(v, w, backend.chainId),
    );
    const block = stateBlock(p.optional(1, 'block', decodeBlockSelector, LATEST));
    const override = p.optional(2, 'state override', decodeStateOverride, null);
    return quantity(await backend.estimateGas(request, block, override));
  });
  define('eth_gasPrice', 0, () => quantity(backend.gasPrice()));
  define('eth_maxPriorityFeePerGas', 0, () => quantity(backend.maxPriorityFeePerGas()));
  define('eth_feeHistory', 3, async (p) => {
    const count = p.required(0, 'block count', decodeFeeHistoryBlockCount);
    const newest = stateBlock(p.required(1, 'newest block', decodeBlockNumberOrTag));
    const percentiles = p.optional(2, 'reward percentiles', decodeRewardPercentiles, null);
    if (count === 0n) {
      return { oldestBlock: '0x0', baseFeePerGas: [], gasUsedRatio: [] };
    }
    // No history before genesis: ask only for the blocks that exist.
    const available = count > newest + 1n ? newest + 1n : count;
    const work = limits.scheduler.task();
    await work.next();
    return formatFeeHistory(await backend.feeHistory(available, newest, percentiles, work));
  });

  // --- transactions and logs ----------------------------------------------------------------
  define('eth_sendRawTransaction', 1, (p) => {
    const raw = p.required(0, 'signed transaction', decodeBytes);
    if (raw.length === 0) {
      throw new InvalidParamsError('invalid argument 0 (signed transaction): empty transaction');
    }
    return data(backend.sendRawTransaction(raw));
  });
  define('eth_getTransactionByHash', 1, (p) => {
    const tx = backend.transactionByHash(p.required(0, 'transaction hash', decodeHash));
    return tx === null ? null : formatTransaction(tx);
  });
  define('eth_getTransactionReceipt', 1, (p) => {
    const receipt = backend.receiptByHash(p.required(0, 'transaction hash', decodeHash));
    return receipt === null ? null : formatReceipt(receipt);
  });
  define('eth_getLogs', 1, async (p) => {
    const filter = p.required(0, 'filter', decodeLogFilter);
    let fromBlock: bigint;
    let toBlock: bigint;
    if (filter.blockHash !== null) {
      const number = backend.resolveBlock({ kind: 'hash', hash: filter.blockHash });
      if (number === null) throw new RpcError(RpcErrorCode.ResourceNotFound, 'unknown block');
      fromBlock = toBlock = number;
    } else {
      [fromBlock, toBlock] = logRange(filter.fromBlock, filter.toBlock);
    }
    const matcher = new LogMatcher(filter.addresses, filter.topics);
    return queryLogs(backend, limits, matcher, fromBlock, toBlock);
  });

  // --- the pool (geth's txpool namespace) --------------------------------------------------
  const txpool = () => {
    if (!backend.txpool)
      throw new RpcError(RpcErrorCode.MethodNotSupported, 'the pool is not available on this node');
    return backend.txpool();
  };
  define('txpool_status', 0, () => {
    const pool = txpool();
    return {
      pending: quantity(BigInt(pool.pending.length)),
      queued: quantity(BigInt(pool.queued.length)),
    };
  });
  define('txpool_content', 0, () => formatTxPoolContent(txpool()));
  define('txpool_contentFrom', 1, (p) => {
    const sender = toHex(p.required(0, 'address', decodeAddress));
    const pool = txpool();
    const mine = (txs: RpcTransaction[]) => txs.filter((tx) => toHex(tx.from) === sender);
    const content = formatTxPoolContent({ pending: mine(pool.pending), queued: mine(pool.queued) });
    // geth answers for one sender without the address level.
    const only = (group: Json): Json => Object.values(group as JsonObject)[0] ?? {};
    return { pending: only(content.pending!), queued: only(content.queued!) };
  });

  // --- proofs (EIP-1186) -------------------------------------------------------------------
  define('eth_getProof', 3, (p) => {
    const address = p.required(0, 'address', decodeAddress);
    const slots = p.required(1, 'storage keys', decodeStorageKeys);
    const block = stateBlock(p.required(2, 'block', decodeBlockSelector));
    if (!backend.proof)
      throw new RpcError(RpcErrorCode.MethodNotSupported, 'proofs are not available on this node');
    return formatAccountProof(backend.proof(address, slots, block));
  });

  // --- access lists and traces -------------------------------------------------------------
  const unsupported = (what: string) =>
    new RpcError(RpcErrorCode.MethodNotSupported, `${what} is not available on this node`);
  define('eth_createAccessList', 3, async (p) => {
    const request = p.required(0, 'call request', (v, w) =>
      decodeCallRequest(v, w, backend.chainId),
    );
    const block = stateBlock(p.optional(1, 'block', decodeBlockSelector, LATEST));
    const override = p.optional(2, 'state override', decodeStateOverride, null);
    if (!backend.createAccessList) throw unsupported('eth_createAccessList');
    return formatAccessListReply(await backend.createAccessList(request, block, override));
  });
  define('debug_traceTransaction', 2, async (p) => {
    const hash = p.required(0, 'transaction hash', decodeHash);
    const { spec } = p.optional(1, 'trace config', decodeTraceConfig, DEFAULT_TRACE);
    if (!backend.traceTransaction) throw unsupported('debug_traceTransaction');
    const trace = await backend.traceTransaction(hash, spec);
    // geth's words for a transaction it cannot find.
    if (trace === null) throw new RpcError(RpcErrorCode.InvalidInput, 'transaction not found');
    return trace;
  });
  define('debug_traceCall', 3, async (p) => {
    const request = p.required(0, 'call request', (v, w) =>
      decodeCallRequest(v, w, backend.chainId),
    );
    const block = stateBlock(p.optional(1, 'block', decodeBlockSelector, LATEST));
    const { spec, override } = p.optional(2, 'trace config', decodeTraceConfig, DEFAULT_TRACE);
    if (!backend.traceCall) throw unsupported('debug_traceCall');
    return backend.traceCall(request, block, spec, override);
  });

  // --- filters (polled with eth_getFilterChanges) ------------------------------------------
  const clientOf = (ctx: RequestContext): string => ctx.client ?? 'local';
  const filterId = (p: Params): string => p.required(0, 'filter id', decodeSubscriptionId);
  define('eth_newFilter', 1, (p, ctx) => {
    const filter = p.required(0, 'filter', decodeLogFilter);
    if (filter.blockHash !== null) {
      throw new InvalidParamsError(
        'invalid argument 0 (filter): blockHash cannot be used in a filter, use eth_getLogs',
      );
    }
    return limits.filters.installLogs(clientOf(ctx), filter);
  });
  define('eth_newBlockFilter', 0, (_p, ctx) => limits.filters.installBlocks(clientOf(ctx)));
  define('eth_newPendingTransactionFilter', 0, (_p, ctx) =>
    limits.filters.installPending(clientOf(ctx)),
  );
  define('eth_uninstallFilter', 1, (p) => limits.filters.uninstall(filterId(p)));
  define('eth_getFilterLogs', 1, (p) => {
    const filter = limits.filters.use(filterId(p));
    if (filter.kind !== 'logs') throw filterNotFound();
    const [fromBlock, toBlock] = logRange(filter.criteria.fromBlock, filter.criteria.toBlock);
    return queryLogs(backend, limits, filter.matcher, fromBlock, toBlock);
  });
  define('eth_getFilterChanges', 1, async (p) => {
    const filter = limits.filters.use(filterId(p));
    if (filter.kind === 'pending') return limits.filters.takePending(filter);
    const head = backend.headNumber();
    if (filter.kind === 'blocks') {
      // Oldest first; a client that fell far behind gets the rest on its next polls.
      const max = BigInt(limits.filters.limits.maxBlocksPerPoll);
      const last = filter.next + max - 1n < head ? filter.next + max - 1n : head;
      const hashes: Json[] = [];
      const work = limits.scheduler.task();
      for (let n = filter.next; n <= last; n++) {
        if (work.due) await work.next();
        const hash = backend.blockHashAt?.(n) ?? backend.blockByNumber(n)?.hash;
        if (hash === undefined) break;
        hashes.push(data(hash));
        filter.next = n + 1n;
      }
      return hashes;
    }
    // The blocks committed since the last poll, within the filter's own range.
    const { fromBlock: from, toBlock: to } = filter.criteria;
    let first = filter.next;
    if (from?.kind === 'number' && from.number > first) first = from.number;
    let last = head;
    if (to?.kind === 'number' && to.number < last) last = to.number;
    if (to?.kind === 'tag' && to.tag === 'earliest') last = 0n;
    if (last - first + 1n > limits.maxLogBlockRange) last = first + limits.maxLogBlockRange - 1n;
    if (first > last) {
      if (filter.next <= head) filter.next = head + 1n;
      return [];
    }
    const logs = await queryLogs(backend, limits, filter.matcher, first, last);
    filter.next = last + 1n;
    return logs;
  });

  // --- subscriptions (WebSocket only) -------------------------------------------------------
  define('eth_subscribe', 2, (p, ctx) => {
    const sink = notifications(ctx);
    const kind = p.required(0, 'subscription type', (v, what) => {
      if (v === 'newHeads' || v === 'logs' || v === 'newPendingTransactions') return v;
      throw new InvalidParamsError(
        `invalid ${what}: unsupported subscription type ${JSON.stringify(v).slice(0, 40)}`,
      );
    });
    if (kind === 'newHeads') {
      p.atMost(1);
      return sink.subscribe({ kind });
    }
    if (kind === 'newPendingTransactions') {
      // geth's second argument asks for full transactions; hashes are what is sent here.
      if (p.optional(1, 'full transactions', decodeBoolean, false)) {
        throw new InvalidParamsError(
          'invalid argument 1 (full transactions): only transaction hashes are sent',
        );
      }
      return sink.subscribe({ kind });
    }
    const filter = p.optional(1, 'filter', decodeSubscriptionLogFilter, {
      addresses: [],
      topics: [],
    });
    return sink.subscribe({ kind, ...filter });
  });
  define('eth_unsubscribe', 1, (p, ctx) => {
    const sink = notifications(ctx);
    return sink.unsubscribe(p.required(0, 'subscription id', decodeSubscriptionId));
  });

  // --- development chain only ----------------------------------------------------------------
  if (backend.dev) defineDevMethods(define, backend.dev, backend.chainId);

  return methods;
}
