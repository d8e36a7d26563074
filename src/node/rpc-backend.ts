/** The node as the JSON-RPC server sees it: chain, state and mempool reads, and submission. */
import { createRequire } from 'node:module';
import { bytesToBigint, toHex } from '../crypto/bytes.js';
import { proposerOf } from '../consensus/quorum.js';
import { blockHash, decodeBlock, encodeBlock, type Block } from '../chain/block.js';
import { decodeHeader, type Header } from '../chain/header.js';
import { rlpFirstItem } from '../codec/rlp.js';
import { keccak256 } from '../crypto/keccak.js';
import type { LogMatcher } from '../rpc/log-filter.js';
import type { WorkTask } from '../rpc/work.js';
import { EMPTY_OMMERS_HASH, ZERO_NONCE } from '../chain/header.js';
import { encodeExtraData } from '../consensus/extra-data.js';
import type { StoredReceipt } from '../primitives/receipt.js';
import { TxError } from '../execution/errors.js';
import { systemValueError } from '../execution/transition.js';
import { blockWorkHash } from '../execution/block-work.js';
import { intrinsicGas, type SignedTx } from '../execution/tx.js';
import {
  RpcError,
  RpcErrorCode,
  type BlockSelector,
  type CallRequest,
  type FeeHistory,
  type NewHeadEvent,
  type RpcBackend,
  type RpcBlock,
  type RpcLog,
  type RpcReceipt,
  type RpcTransaction,
  type SyncStatus,
  type ValidatorSetView,
  type AccountProof,
  type DevRpcBackend,
  type TxPoolView,
  type AccessListReply,
} from '../rpc/backend.js';
import type { TraceJson, TraceSpec } from '../execution/evm/tracer.js';
import { proveKey } from '../state/trie.js';
import { decodeAccount, emptyAccount } from '../state/account.js';
import { asBytes, rlpDecode } from '../codec/rlp.js';
import { readParams } from '../params/store.js';
import type { Node } from './node.js';
import { NodeStakingRpc } from './staking-rpc.js';
import { NodeGovernanceRpc, type KnownTransfer } from './governance-rpc.js';
import { epochOf } from '../staking/epochs.js';
import { encodeErrorResult } from 'viem';
import { STAKING_ABI } from '../staking/abi.js';
import { callContract, callGas } from '../execution/call.js';
import type { SystemContract } from '../execution/module.js';
import { contractAt } from '../execution/registry.js';
import { Revert } from '../primitives/errors.js';
import { createdAddress } from '../execution/evm/addresses.js';
import { runsInEvm } from '../execution/evm/block-run.js';
import { evmFailure, NodeEvmCalls, simulationFailure } from './evm-calls.js';
import {
  applyStateOverride,
  OverrideError,
  type StateOverride,
} from '../execution/evm/overrides.js';
import type { StateDB } from '../state/state-db.js';

const require = createRequire(import.meta.url);
const VERSION = (require('../../package.json') as { version: string }).version;
const GWEI = 1_000_000_000n;
/** Blocks looked at when suggesting a priority fee. */
const TIP_WINDOW = 20n;

export class NodeRpcBackend implements RpcBackend {
  readonly chainId: bigint;
  readonly clientVersion = `etm/v${VERSION}/${process.platform}-${process.arch}/node${process.versions.node}`;

  readonly staking: NodeStakingRpc;
  readonly governance: NodeGovernanceRpc;

  /** The devnet's accounts and controls; never given on a configured node. */
  readonly dev?: DevRpcBackend;

  /** `dev` makes the development methods (built over this backend); only the devnet gives it. */
  constructor(
    private readonly node: Node,
    dev?: (backend: NodeRpcBackend) => DevRpcBackend,
  ) {
    this.chainId = node.chain.chainId;
    this.staking = new NodeStakingRpc(node.chain);
    this.governance = new NodeGovernanceRpc(node.chain, (h) => this.knownTransfer(h));
    if (dev) {
      this.dev = dev(this);
      // The tips of removed blocks are not those of the blocks that replace them.
      node.onRewound(() => this.tipsByBlock.clear());
    }
  }

  blockHashAt(number: bigint): Uint8Array | null {
    const b = this.chain.blockAt(number);
    return b ? blockHash(b) : null;
  }

  onPendingTransaction(listener: (hash: Uint8Array) => void): () => void {
    return this.node.onPendingTransaction((tx) => listener(tx.hash));
  }

  onRewound(listener: (head: bigint) => void): () => void {
    return this.node.onRewound(listener);
  }

  txpool(): TxPoolView {
    const pool = this.node.mempool;
    const pending: RpcTransaction[] = [];
    const queued: RpcTransaction[] = [];
    // all() is by sender then nonce: geth's order.
    for (const tx of pool.all())
      (pool.isGapped(tx.hash) ? queued : pending).push(formatTx(tx, null));
    return { pending, queued };
  }

  /** EIP-1186 over the state trie of `block`: the account's path, then each slot's. */
  proof(address: Uint8Array, slots: Uint8Array[], block: bigint): AccountProof {
    const store = this.chain.store;
    const root = this.chain.blockAt(block)!.header.stateRoot;
    const at = proveKey(store, root, keccak256(address));
    const account = at.value === undefined ? emptyAccount() : decodeAccount(at.value);
    return {
      address,
      accountProof: at.proof,
      balance: account.balance,
      codeHash: account.codeHash,
      nonce: account.nonce,
      storageHash: account.storageRoot,
      locked: account.locked,
      storageProof: slots.map((key) => {
        const slot = proveKey(store, account.storageRoot, keccak256(key));
        const value =
          slot.value === undefined
            ? 0n
            : bytesToBigint(asBytes(rlpDecode(slot.value), 'storage value'));
        return { key, value, proof: slot.proof };
      }),
    };
  }

  private get chain() {
    return this.node.chain;
  }

  headNumber(): bigint {
    return this.chain.headNumber;
  }

  resolveBlock(s: BlockSelector): bigint | null {
    if (s.kind === 'number') return s.number <= this.chain.headNumber ? s.number : null;
    if (s.kind === 'tag') return s.tag === 'earliest' ? 0n : this.chain.headNumber; // every block is final
    return this.chain.store.numberOf(s.hash) ?? null;
  }

  blockByNumber(number: bigint): RpcBlock | null {
    const b = this.chain.blockAt(number);
    return b ? this.formatBlock(b) : null;
  }

  blockByHash(hash: Uint8Array): RpcBlock | null {
    const n = this.chain.store.numberOf(hash);
    return n === undefined ? null : this.blockByNumber(n);
  }

  balance(address: Uint8Array, block: bigint): bigint {
    return this.chain.stateAt(block).getAccount(address).balance;
  }

  nonce(address: Uint8Array, block: bigint): bigint {
    return this.chain.stateAt(block).getAccount(address).nonce;
  }

  code(address: Uint8Array, block: bigint): Uint8Array {
    return this.chain.stateAt(block).getCode(address);
  }

  storageAt(address: Uint8Array, slot: Uint8Array, block: bigint): Uint8Array {
    const v = this.chain.stateAt(block).getStorage(address, slot);
    const word = new Uint8Array(32);
    word.set(v.subarray(Math.max(0, v.length - 32)), 32 - Math.min(32, v.length));
    return word;
  }

  pendingNonce(address: Uint8Array): bigint {
    return this.node.mempool.pendingNonce(address, this.node.accountView());
  }

  prepareRawTransactions(raws: Uint8Array[]): Promise<void> {
    return this.node.prepareTransactions(raws);
  }

  sendRawTransaction(raw: Uint8Array): Uint8Array {
    try {
      return this.node.submitTransaction(raw).hash;
    } catch (e) {
      if (e instanceof TxError)
        throw new RpcError(RpcErrorCode.InvalidInput, e.message, { code: e.code });
      throw e;
    }
  }

  /** One transaction of a block (its sender recovered, not those of the whole block). */
  private transactionAt(block: Block, index: number): SignedTx {
    return this.node.decoder.decode(block.transactions[index]!, { keep: true });
  }

  /** A committed transaction's sender, recipient, value and status (for rescind proposals). */
  private knownTransfer(hash: Uint8Array): KnownTransfer | null {
    const loc = this.txLocation(hash);
    if (!loc) return null;
    const tx = this.transactionAt(this.chain.blockAt(loc.number)!, loc.index);
    const receipt = this.chain.receiptsAt(loc.number)[loc.index]!;
    return { from: tx.sender, to: tx.to, value: tx.value, ok: receipt.status === 1 };
  }

  /**
   * Where a transaction is; undefined for a block-work receipt's derived hash (indexed with the
   * transactions, but there is no such transaction: docs/rpc.md).
   */
  private txLocation(hash: Uint8Array): { number: bigint; index: number } | undefined {
    const loc = this.chain.store.txLocation(hash);
    if (!loc) return undefined;
    const block = this.chain.blockAt(loc.number);
    return block && loc.index < block.transactions.length ? loc : undefined;
  }

  transactionByHash(hash: Uint8Array): RpcTransaction | null {
    const loc = this.txLocation(hash);
    if (loc) {
      const block = this.chain.blockAt(loc.number)!;
      const tx = this.transactionAt(block, loc.index);
      const receipt = this.chain.receiptsAt(loc.number)[loc.index]!;
      return formatTx(tx, {
        block,
        hash: blockHash(block),
        index: loc.index,
        price: receipt.effectiveGasPrice,
      });
    }
    const pending = this.node.mempool.get(hash);
    return pending ? formatTx(pending, null) : null;
  }

  receiptByHash(hash: Uint8Array): RpcReceipt | null {
    const loc = this.chain.store.txLocation(hash);
    if (!loc) return null;
    const block = this.chain.blockAt(loc.number)!;
    const receipts = this.chain.receiptsAt(loc.number);
    const r = receipts[loc.index];
    if (!r) return null;
    let firstLogIndex = 0n;
    for (let i = 0; i < loc.index; i++) firstLogIndex += BigInt(receipts[i]!.logs.length);
    const from =
      loc.index < block.transactions.length
        ? receiptSource(this.transactionAt(block, loc.index))
        : blockWorkSource(loc.number);
    return formatReceipt(block, blockHash(block), from, loc.index, r, firstLogIndex);
  }

  blockLogs(number: bigint, filter: LogMatcher): RpcLog[] | null {
    if (number > this.chain.headNumber) return null;
    const bytes = this.chain.blockBytesAt(number);
    if (!bytes) return null;
    // The header alone first: most blocks are ruled out by their bloom.
    if (!filter.mayMatch(decodeHeader(rlpFirstItem(bytes)).logsBloom)) return [];
    const block = decodeBlock(bytes);
    const hash = blockHash(block);
    const out: RpcLog[] = [];
    let logIndex = 0n;
    this.chain.receiptsAt(number).forEach((r, i) => {
      if (!filter.mayMatch(r.logsBloom)) {
        logIndex += BigInt(r.logs.length);
        return;
      }
      // Senders are not needed: a log names its transaction by hash only.
      let txHash: Uint8Array | null = null;
      for (const log of r.logs) {
        if (filter.matches(log)) {
          txHash ??=
            i < block.transactions.length
              ? keccak256(block.transactions[i]!)
              : blockWorkHash(number);
          out.push({
            ...log,
            blockNumber: number,
            blockHash: hash,
            transactionHash: txHash,
            transactionIndex: BigInt(i),
            logIndex,
            removed: false,
          });
        }
        logIndex++;
      }
    });
    return out;
  }

  /** A throwaway copy of the state at `block`, with the request's overrides applied. */
  private stateFor(block: bigint, override: StateOverride | null): StateDB {
    try {
      return applyStateOverride(this.chain.stateAt(block), override);
    } catch (e) {
      if (e instanceof OverrideError) throw new RpcError(RpcErrorCode.InvalidParams, e.message);
      throw e;
    }
  }

  async call(
    request: CallRequest,
    block: bigint,
    override: StateOverride | null = null,
  ): Promise<Uint8Array> {
    const fresh = () => this.stateFor(block, override);
    this.checkAffordable(request, fresh());
    this.checkSystemValue(request);
    const contract = request.to === null ? null : contractAt(request.to);
    if (contract) return this.callSystem(contract, request, fresh(), block);
    // An account without code returns empty data, as in Ethereum.
    if (!runsInEvm(fresh(), request)) return new Uint8Array(0);
    const out = await this.evm
      .simulate(request, block, request.gas ?? this.evm.env(block).gasLimit, fresh)
      .catch(simulationFailure);
    if (out.status === 0) throw evmFailure(out);
    return out.returnData;
  }

  /** The EVM's eth_call and eth_estimateGas over this node's chain. */
  private readonly evm = new NodeEvmCalls(() => this.chain);

  /** Value a transaction could not send (to a system account) reverts the call, as in a block. */
  private checkSystemValue(request: CallRequest): void {
    const lost = systemValueError({
      to: request.to,
      value: request.value ?? 0n,
      data: request.data ?? new Uint8Array(0),
    });
    if (lost) throw reverted(lost.message);
  }

  /** Runs a staking call on `state`, a throwaway copy of the state at `block`. */
  private callSystem(
    contract: SystemContract,
    request: CallRequest,
    state: StateDB,
    block: bigint,
  ): Uint8Array {
    const sender = request.from ?? new Uint8Array(20);
    const value = request.value ?? 0n;
    const account = state.getAccount(sender);
    if (account.balance < value)
      throw new RpcError(
        RpcErrorCode.InvalidInput,
        `insufficient funds for transfer: spendable ${account.balance}, value ${value}`,
      );
    state.putAccount(sender, { ...account, balance: account.balance - value });
    try {
      return callContract(
        contract,
        { state, params: readParams(state), height: block + 1n, sender, value },
        request.data ?? new Uint8Array(0),
      ).returnData;
    } catch (e) {
      if (!(e instanceof Revert)) throw e;
      throw reverted(e.message);
    }
  }

  async estimateGas(
    request: CallRequest,
    block: bigint,
    override: StateOverride | null = null,
  ): Promise<bigint> {
    const fresh = () => this.stateFor(block, override);
    this.checkAffordable(request, fresh());
    this.checkSystemValue(request);
    if (runsInEvm(fresh(), request)) return this.evm.estimate(request, block, fresh);
    if (request.to === null) throw new Error('unreachable: a creation runs in the EVM');
    const data = request.data ?? new Uint8Array(0);
    let gas = intrinsicGas({ to: request.to, data, accessList: [] });
    const contract = contractAt(request.to);
    if (contract) {
      this.callSystem(contract, request, fresh(), block); // a call that would revert is reported, as Ethereum nodes do
      gas += callGas(contract, data);
    }
    if (request.gas !== null && request.gas < gas)
      throw new RpcError(
        RpcErrorCode.InvalidInput,
        `gas required exceeds allowance (${request.gas})`,
      );
    return gas;
  }

  async createAccessList(
    request: CallRequest,
    block: bigint,
    override: StateOverride | null,
  ): Promise<AccessListReply> {
    return this.evm.createAccessList(request, block, () => this.stateFor(block, override));
  }

  async traceCall(
    request: CallRequest,
    block: bigint,
    spec: TraceSpec,
    override: StateOverride | null,
  ): Promise<TraceJson> {
    return this.evm.traceCall(request, block, () => this.stateFor(block, override), spec);
  }

  async traceTransaction(hash: Uint8Array, spec: TraceSpec): Promise<TraceJson | null> {
    const loc = this.txLocation(hash);
    if (!loc) return null;
    const block = this.chain.blockAt(loc.number);
    if (!block) return null;
    const tx = this.transactionAt(block, loc.index);
    return this.evm.traceTransaction(loc.number, loc.index, tx, spec);
  }

  private checkAffordable(request: CallRequest, state: StateDB): void {
    if (!request.from || !request.value) return;
    const balance = state.getAccount(request.from).balance;
    if (balance < request.value) {
      throw new RpcError(
        RpcErrorCode.InvalidInput,
        `insufficient funds for transfer: spendable ${balance}, value ${request.value}`,
      );
    }
  }

  gasPrice(): bigint {
    return this.chain.nextBaseFee() + this.maxPriorityFeePerGas();
  }

  /** The median priority fee paid in recent blocks; 1 gwei when they were empty. */
  maxPriorityFeePerGas(): bigint {
    // Computed once per head: it reads TIP_WINDOW blocks of receipts.
    const head = toHex(this.chain.headHash);
    if (this.tipCache?.head !== head) this.tipCache = { head, tip: this.medianTip() };
    return this.tipCache.tip;
  }

  private tipCache: { head: string; tip: bigint } | null = null;

  /** Tips paid per block, for the last TIP_WINDOW blocks: a new head reads one block more. */
  private readonly tipsByBlock = new Map<bigint, bigint[]>();

  private medianTip(): bigint {
    const tips: bigint[] = [];
    const head = this.chain.headNumber;
    for (const n of [...this.tipsByBlock.keys()])
      if (n > head || n <= head - TIP_WINDOW) this.tipsByBlock.delete(n);
    for (let n = head; n >= 0n && n > head - TIP_WINDOW; n--) {
      let paid = this.tipsByBlock.get(n);
      if (paid === undefined) {
        const baseFee = this.headerAt(n).baseFeePerGas;
        // Transactions only (every one uses gas; the block-work receipt none).
        paid = this.chain
          .receiptsAt(n)
          .filter((r) => r.gasUsed > 0n)
          .map((r) => r.effectiveGasPrice - baseFee);
        this.tipsByBlock.set(n, paid);
      }
      tips.push(...paid);
    }
    if (tips.length === 0) return GWEI;
    tips.sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
    return tips[tips.length >> 1]!;
  }

  async feeHistory(
    blockCount: bigint,
    newest: bigint,
    percentiles: number[] | null,
    work: WorkTask,
  ): Promise<FeeHistory> {
    const last = newest > this.chain.headNumber ? this.chain.headNumber : newest;
    const count = blockCount > last + 1n ? last + 1n : blockCount;
    const oldest = last - count + 1n;
    const baseFeePerGas: bigint[] = [];
    const gasUsedRatio: number[] = [];
    const reward: bigint[][] = [];
    for (let n = oldest; n <= last; n++) {
      if (work.due) await work.next();
      // Headers only; receipts only when rewards are asked for.
      const h = this.headerAt(n);
      baseFeePerGas.push(h.baseFeePerGas);
      gasUsedRatio.push(Number(h.gasUsed) / Number(h.gasLimit));
      if (percentiles)
        reward.push(
          rewardPercentiles(h.baseFeePerGas, h.gasUsed, this.chain.receiptsAt(n), percentiles),
        );
    }
    baseFeePerGas.push(
      last < this.chain.headNumber
        ? this.headerAt(last + 1n).baseFeePerGas
        : this.chain.nextBaseFee(),
    );
    return {
      oldestBlock: oldest,
      baseFeePerGas,
      gasUsedRatio,
      reward: percentiles ? reward : null,
    };
  }

  /** A committed block's header, without decoding its transactions. */
  private headerAt(number: bigint): Header {
    return decodeHeader(rlpFirstItem(this.chain.blockBytesAt(number)!));
  }

  peerCount(): number {
    return this.node.peerCount();
  }

  syncing(): SyncStatus | false {
    return this.node.syncStatus() ?? false;
  }

  validators(): ValidatorSetView {
    const height = this.chain.headNumber + 1n;
    const validators = this.chain.validatorsAt(height);
    return {
      height,
      epoch: epochOf(height, this.chain.nextParams()),
      validators,
      proposer: proposerOf(validators, Number(height), 0),
    };
  }

  onNewHead(listener: (event: NewHeadEvent) => void): () => void {
    return this.node.onCommitted((e) => {
      const receipts = formatReceipts(e.block, e.transactions, e.receipts);
      listener({
        block: this.formatBlock(e.block, e.transactions),
        logs: receipts.flatMap((r) => r.logs),
      });
    });
  }

  blockReceipts(number: bigint): RpcReceipt[] | null {
    const block = this.chain.blockAt(number);
    if (!block) return null;
    return formatReceipts(block, this.chain.transactionsOf(block), this.chain.receiptsAt(number));
  }

  /**
   * A block for RPC. Its full transactions (their senders recovered) are made only when read:
   * a block asked for without them costs its hashes only.
   */
  private formatBlock(b: Block, decoded?: SignedTx[]): RpcBlock {
    const h = b.header;
    const hash = blockHash(b);
    const chain = this.chain;
    let full: RpcTransaction[] | null = null;
    const transactions = (): RpcTransaction[] => {
      if (full === null) {
        const txs = decoded ?? chain.transactionsOf(b);
        const receipts = chain.receiptsAt(h.number);
        full = txs.map((tx, i) =>
          formatTx(tx, {
            block: b,
            hash,
            index: i,
            price: receipts[i]?.effectiveGasPrice ?? tx.maxFeePerGas,
          }),
        );
      }
      return full;
    };
    return {
      hash,
      parentHash: h.parentHash,
      number: h.number,
      timestamp: h.timestamp,
      miner: h.coinbase,
      stateRoot: h.stateRoot,
      transactionsRoot: h.transactionsRoot,
      receiptsRoot: h.receiptsRoot,
      logsBloom: h.logsBloom,
      gasLimit: h.gasLimit,
      gasUsed: h.gasUsed,
      baseFeePerGas: h.baseFeePerGas,
      extraData: encodeExtraData(h.extra),
      mixHash: h.mixHash,
      sha3Uncles: EMPTY_OMMERS_HASH,
      nonce: ZERO_NONCE,
      difficulty: 0n,
      size: BigInt((chain.blockBytesAt(h.number) ?? encodeBlock(b)).length),
      transactionHashes: decoded ? decoded.map((tx) => tx.hash) : b.transactions.map(keccak256),
      get transactions() {
        return transactions();
      },
    };
  }
}

/** Error 3 with the Error(string) revert data, as Ethereum nodes report a revert. */
function reverted(reason: string): RpcError {
  const data = encodeErrorResult({ abi: STAKING_ABI, errorName: 'Error', args: [reason] });
  return new RpcError(RpcErrorCode.ExecutionReverted, `execution reverted: ${reason}`, data);
}

function formatTx(
  tx: SignedTx,
  mined: { block: Block; hash: Uint8Array; index: number; price: bigint } | null,
): RpcTransaction {
  return {
    hash: tx.hash,
    type: tx.type,
    chainId: tx.chainId,
    nonce: tx.nonce,
    from: tx.sender,
    to: tx.to,
    value: tx.value,
    gas: tx.gasLimit,
    input: tx.data,
    gasPrice: tx.gasPrice ?? (mined ? mined.price : tx.maxFeePerGas),
    maxFeePerGas: tx.type === 2 ? tx.maxFeePerGas : null,
    maxPriorityFeePerGas: tx.type === 2 ? tx.maxPriorityFeePerGas : null,
    accessList: tx.type === 0 ? null : tx.accessList,
    v: tx.v,
    r: tx.r,
    s: tx.s,
    yParity: tx.yParity === null ? null : BigInt(tx.yParity),
    blockHash: mined?.hash ?? null,
    blockNumber: mined?.block.header.number ?? null,
    transactionIndex: mined ? BigInt(mined.index) : null,
  };
}

function formatReceipts(block: Block, txs: SignedTx[], receipts: StoredReceipt[]): RpcReceipt[] {
  const hash = blockHash(block);
  let logIndex = 0n;
  return receipts.map((r, i) => {
    const from = i < txs.length ? receiptSource(txs[i]!) : blockWorkSource(block.header.number);
    const receipt = formatReceipt(block, hash, from, i, r, logIndex);
    logIndex += BigInt(r.logs.length);
    return receipt;
  });
}

/** Who a receipt belongs to: its transaction, or the block work. */
interface ReceiptSource {
  hash: Uint8Array;
  sender: Uint8Array;
  to: Uint8Array | null;
  contractAddress: Uint8Array | null;
}

const receiptSource = (tx: SignedTx): ReceiptSource => ({
  hash: tx.hash,
  sender: tx.sender,
  to: tx.to,
  contractAddress: tx.to === null ? createdAddress(tx.sender, tx.nonce) : null,
});

/** The block-work receipt: from the system address 0x0…0, to null (docs/rpc.md). */
const blockWorkSource = (number: bigint): ReceiptSource => ({
  hash: blockWorkHash(number),
  sender: new Uint8Array(20),
  to: null,
  contractAddress: null,
});

/** One receipt; its logs are numbered from `firstLogIndex` (the logs of the receipts before). */
function formatReceipt(
  block: Block,
  hash: Uint8Array,
  tx: ReceiptSource,
  i: number,
  r: StoredReceipt,
  firstLogIndex: bigint,
): RpcReceipt {
  let logIndex = firstLogIndex;
  return {
    transactionHash: tx.hash,
    transactionIndex: BigInt(i),
    blockHash: hash,
    blockNumber: block.header.number,
    from: tx.sender,
    to: tx.to,
    cumulativeGasUsed: r.cumulativeGasUsed,
    gasUsed: r.gasUsed,
    effectiveGasPrice: r.effectiveGasPrice,
    contractAddress: tx.contractAddress,
    logs: r.logs.map((l) => ({
      ...l,
      blockNumber: block.header.number,
      blockHash: hash,
      transactionHash: tx.hash,
      transactionIndex: BigInt(i),
      logIndex: logIndex++,
      removed: false,
    })),
    logsBloom: r.logsBloom,
    status: BigInt(r.status),
    type: r.type,
  };
}

/** Gas-weighted tip percentiles of one block, as geth computes them. */
function rewardPercentiles(
  baseFee: bigint,
  gasUsed: bigint,
  receipts: StoredReceipt[],
  percentiles: number[],
): bigint[] {
  // Transactions only (every one uses gas; the block-work receipt none).
  const paid = receipts.filter((r) => r.gasUsed > 0n);
  if (paid.length === 0) return percentiles.map(() => 0n);
  const sorted = paid
    .map((r) => ({ tip: r.effectiveGasPrice - baseFee, gas: r.gasUsed }))
    .sort((a, b) => (a.tip < b.tip ? -1 : a.tip > b.tip ? 1 : 0));
  return percentiles.map((p) => {
    const threshold = (Number(gasUsed) * p) / 100;
    let sum = 0;
    for (const s of sorted) {
      sum += Number(s.gas);
      if (sum >= threshold) return s.tip;
    }
    return sorted[sorted.length - 1]!.tip;
  });
}
