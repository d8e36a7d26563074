/**
 * An in-memory RpcBackend for the server tests: a small chain of blocks holding real signed
 * transactions (legacy EIP-155, EIP-2930, EIP-1559, signed with ethers), receipts, logs,
 * balances and storage, plus hooks to emit new heads and to make calls fail.
 */
import { Transaction, Wallet } from 'ethers';
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
  type StakingRpcBackend,
  type GovernanceRpcBackend,
  type ProposalView,
  type ValidatorSetView,
  type AccountProof,
  type TxPoolView,
} from '../../src/rpc/backend.js';
import { bytesToBigint, equalBytes, fromHex, toHex, utf8 } from '../../src/crypto/bytes.js';
import { keccak256 } from '../../src/crypto/keccak.js';
import type { LogMatcher } from '../../src/rpc/log-filter.js';
import { encodePayload, type Payload } from '../../src/governance/payload.js';
import { addToBloom } from '../../src/crypto/bloom.js';

export const CHAIN_ID = 4543565n;
export const DEV_KEY = '0xac0974bec39a17e36ba4a6b4d238ff944bacb478cbed5efcae784d7bf4f2ff80';
export const DEV_ADDRESS = '0xf39fd6e51aad88f6f4ce6ab8827279cfffb92266';
export const RECIPIENT = '0x70997970c51812dc3a010c7d01b50e0d17dc79c8';
export const TOKEN = '0xe7a0000000000000000000000000000000000001';
/** eth_call / eth_estimateGas to this address revert with data 0x08c379a0… */
export const REVERTER = '0x00000000000000000000000000000000000000ee';
/** eth_getBalance of this address throws a plain Error (an internal failure). */
export const EXPLODING = '0x00000000000000000000000000000000000000bb';
/** eth_call to this address commits a new block (emitHead) while the call runs. */
export const HEAD_TRIGGER = '0x00000000000000000000000000000000000000aa';
export const TRANSFER_TOPIC = toHex(keccak256(utf8('Transfer(address,address,uint256)')));
export const OTHER_TOPIC = toHex(keccak256(utf8('Other()')));
export const VALIDATORS = [
  '0x90F79bf6EB2c4f870365E785982E1f101E93b906',
  '0x15d34AAf54267DB7D7c367839AAf71A00a2C6A65',
  '0x9965507D1a55bcC2695C58ba16FB37d819B0A4dc',
];
/** ABI Error(string) "nope". */
export const REVERT_DATA =
  '0x08c379a0' + '20'.padStart(64, '0') + '4'.padStart(64, '0') + '6e6f7065'.padEnd(64, '0');
export const GWEI = 1_000_000_000n;

const key = (bytes: Uint8Array): string => toHex(bytes);
const h32 = (label: string): Uint8Array => keccak256(utf8(label));
const topicWord = (addr: string): Uint8Array => fromHex('0x' + addr.slice(2).padStart(64, '0'));

/** Turns an ethers-signed transaction into the backend's domain form. */
export function toRpcTransaction(
  raw: string,
  at: { blockHash: Uint8Array; blockNumber: bigint; index: bigint } | null,
  baseFee = 7n * GWEI,
): RpcTransaction {
  const tx = Transaction.from(raw);
  const sig = tx.signature!;
  const type = tx.type ?? 0;
  const yParity = BigInt(sig.yParity);
  const effective =
    type === 2
      ? at === null
        ? tx.maxFeePerGas!
        : baseFee + tx.maxPriorityFeePerGas! < tx.maxFeePerGas!
          ? baseFee + tx.maxPriorityFeePerGas!
          : tx.maxFeePerGas!
      : tx.gasPrice!;
  return {
    hash: fromHex(tx.hash!),
    type,
    chainId: tx.chainId,
    nonce: BigInt(tx.nonce),
    from: fromHex(tx.from!),
    to: tx.to === null ? null : fromHex(tx.to),
    value: tx.value,
    gas: tx.gasLimit,
    input: fromHex(tx.data),
    gasPrice: effective,
    maxFeePerGas: type === 2 ? tx.maxFeePerGas : null,
    maxPriorityFeePerGas: type === 2 ? tx.maxPriorityFeePerGas : null,
    accessList:
      type === 0
        ? null
        : (tx.accessList ?? []).map((e) => ({
            address: fromHex(e.address),
            storageKeys: e.storageKeys.map(fromHex),
          })),
    v: type === 0 ? (sig.networkV ?? BigInt(sig.v)) : yParity,
    r: BigInt(sig.r),
    s: BigInt(sig.s),
    yParity: type === 0 ? null : yParity,
    blockHash: at?.blockHash ?? null,
    blockNumber: at?.blockNumber ?? null,
    transactionIndex: at?.index ?? null,
  };
}

function emptyBlock(number: bigint, parentHash: Uint8Array, transactions: RpcTransaction[] = []) {
  const hash = h32(`block ${number}`);
  const block: RpcBlock = {
    hash,
    parentHash,
    number,
    timestamp: 1_700_000_000n + number,
    miner: fromHex(VALIDATORS[Number(number % 3n)]!),
    stateRoot: h32(`state ${number}`),
    transactionsRoot: h32(`txs ${number}`),
    receiptsRoot: h32(`receipts ${number}`),
    logsBloom: new Uint8Array(256),
    gasLimit: 30_000_000n,
    gasUsed: 21_000n * BigInt(transactions.length),
    baseFeePerGas: 7n * GWEI,
    extraData: fromHex('0xe7a0'),
    mixHash: h32(`mix ${number}`),
    sha3Uncles: fromHex('0x1dcc4de8dec75d7aab85b567b6ccd41ad312451b948a7413f0a142fd40d49347'),
    nonce: new Uint8Array(8),
    difficulty: 0n,
    size: 600n + 120n * BigInt(transactions.length),
    get transactionHashes() {
      return this.transactions.map((tx) => tx.hash);
    },
    transactions,
  };
  return block;
}

export interface RecordedCall {
  method: string;
  args: unknown[];
}

export class FakeBackend implements RpcBackend {
  readonly chainId = CHAIN_ID;
  readonly clientVersion = 'etm/0.1.0/test';
  readonly blocks: RpcBlock[] = [];
  readonly receipts = new Map<string, RpcReceipt>();
  readonly pending = new Map<string, RpcTransaction>();
  readonly balances = new Map<string, bigint>();
  readonly nonces = new Map<string, bigint>();
  readonly codes = new Map<string, Uint8Array>();
  readonly storage = new Map<string, Uint8Array>();
  readonly calls: RecordedCall[] = [];
  readonly listeners = new Set<(event: NewHeadEvent) => void>();
  readonly pendingListeners = new Set<(hash: Uint8Array) => void>();
  /** The logs of blocks added by emitHead, by block number (eth_getLogs reads them too). */
  readonly emittedLogs = new Map<bigint, RpcLog[]>();
  syncState: SyncStatus | false = false;
  peers: number | undefined = 3;
  /** When set, the next sendRawTransaction throws it (then it is cleared). */
  sendFailure: Error | null = null;

  /** A chain of 3 blocks: 0 (genesis), 1 (three transactions, logs), 2 (empty). */
  static async create(): Promise<FakeBackend> {
    const backend = new FakeBackend();
    const wallet = new Wallet(DEV_KEY);
    const legacy = await wallet.signTransaction({
      type: 0,
      chainId: CHAIN_ID,
      nonce: 0,
      gasPrice: 10n * GWEI,
      gasLimit: 21_000n,
      to: RECIPIENT,
      value: 1n,
    });
    const eip2930 = await wallet.signTransaction({
      type: 1,
      chainId: CHAIN_ID,
      nonce: 1,
      gasPrice: 9n * GWEI,
      gasLimit: 50_000n,
      to: TOKEN,
      data: '0x1234',
      accessList: [{ address: TOKEN, storageKeys: [toHex(h32('slot'))] }],
    });
    const eip1559 = await wallet.signTransaction({
      type: 2,
      chainId: CHAIN_ID,
      nonce: 2,
      maxFeePerGas: 20n * GWEI,
      maxPriorityFeePerGas: 2n * GWEI,
      gasLimit: 60_000n,
      to: TOKEN,
      value: 5n,
      data: '0xa9059cbb',
    });
    const genesis = emptyBlock(0n, new Uint8Array(32));
    const one = emptyBlock(1n, genesis.hash);
    one.transactions = [legacy, eip2930, eip1559].map((raw, i) =>
      toRpcTransaction(raw, { blockHash: one.hash, blockNumber: 1n, index: BigInt(i) }),
    );
    one.gasUsed = 21_000n * 3n;
    const two = emptyBlock(2n, one.hash);
    backend.blocks.push(genesis, one, two);
    one.transactions.forEach((tx, i) => {
      const logs: RpcLog[] =
        i === 2
          ? [
              backend.makeLog(one, tx, 0n, TOKEN, [TRANSFER_TOPIC, DEV_ADDRESS, RECIPIENT]),
              backend.makeLog(one, tx, 1n, TOKEN, [OTHER_TOPIC]),
            ]
          : [];
      backend.receipts.set(key(tx.hash), {
        transactionHash: tx.hash,
        transactionIndex: BigInt(i),
        blockHash: one.hash,
        blockNumber: 1n,
        from: tx.from,
        to: tx.to,
        cumulativeGasUsed: 21_000n * BigInt(i + 1),
        gasUsed: 21_000n,
        effectiveGasPrice: tx.gasPrice,
        contractAddress: null,
        logs,
        logsBloom: new Uint8Array(256),
        status: 1n,
        type: tx.type,
      });
    });
    backend.balances.set(DEV_ADDRESS, 10n ** 24n);
    backend.nonces.set(DEV_ADDRESS, 3n);
    backend.codes.set(TOKEN, fromHex('0x6080604052'));
    backend.storage.set(`${TOKEN}:${toHex(new Uint8Array(32))}`, fromHex('0x2a'));
    return backend;
  }

  makeLog(
    block: RpcBlock,
    tx: RpcTransaction,
    logIndex: bigint,
    address: string,
    topics: string[],
  ): RpcLog {
    return {
      address: fromHex(address),
      topics: topics.map((t) => (t.length === 42 ? topicWord(t) : fromHex(t))),
      data: fromHex('0x' + (logIndex + 1n).toString(16).padStart(64, '0')),
      blockNumber: block.number,
      blockHash: block.hash,
      transactionHash: tx.hash,
      transactionIndex: tx.transactionIndex ?? 0n,
      logIndex,
      removed: false,
    };
  }

  /** Appends a block (with the given logs attributed to it) and tells every listener. */
  emitHead(logs: (block: RpcBlock) => RpcLog[] = () => []): NewHeadEvent {
    const parent = this.blocks[this.blocks.length - 1]!;
    const block = emptyBlock(parent.number + 1n, parent.hash);
    this.blocks.push(block);
    const event: NewHeadEvent = { block, logs: logs(block) };
    // The block's bloom covers its logs, as a real block's does.
    for (const log of event.logs) {
      addToBloom(block.logsBloom, log.address);
      for (const t of log.topics) addToBloom(block.logsBloom, t);
    }
    this.emittedLogs.set(block.number, event.logs);
    for (const listener of [...this.listeners]) listener(event);
    return event;
  }

  private record(method: string, ...args: unknown[]): void {
    this.calls.push({ method, args });
  }

  headNumber(): bigint {
    return this.blocks[this.blocks.length - 1]!.number;
  }

  resolveBlock(selector: BlockSelector): bigint | null {
    this.record('resolveBlock', selector);
    if (selector.kind === 'number')
      return selector.number <= this.headNumber() ? selector.number : null;
    if (selector.kind === 'hash') {
      return this.blocks.find((b) => equalBytes(b.hash, selector.hash))?.number ?? null;
    }
    return selector.tag === 'earliest' ? 0n : this.headNumber();
  }

  blockByNumber(number: bigint): RpcBlock | null {
    return this.blocks[Number(number)] ?? null;
  }

  blockByHash(hash: Uint8Array): RpcBlock | null {
    return this.blocks.find((b) => equalBytes(b.hash, hash)) ?? null;
  }

  balance(address: Uint8Array, block: bigint): bigint {
    this.record('balance', toHex(address), block);
    if (toHex(address) === EXPLODING) throw new Error('disk failure at /var/lib/etm/state.mdb');
    return block === 0n ? 0n : (this.balances.get(toHex(address)) ?? 0n);
  }

  nonce(address: Uint8Array, block: bigint): bigint {
    this.record('nonce', toHex(address), block);
    return this.nonces.get(toHex(address)) ?? 0n;
  }

  code(address: Uint8Array, block: bigint): Uint8Array {
    this.record('code', toHex(address), block);
    return this.codes.get(toHex(address)) ?? new Uint8Array(0);
  }

  storageAt(address: Uint8Array, slot: Uint8Array, block: bigint): Uint8Array {
    this.record('storageAt', toHex(address), toHex(slot), block);
    return this.storage.get(`${toHex(address)}:${toHex(slot)}`) ?? new Uint8Array(0);
  }

  pendingNonce(address: Uint8Array): bigint {
    this.record('pendingNonce', toHex(address));
    let nonce = this.nonces.get(toHex(address)) ?? 0n;
    for (const tx of this.pending.values()) if (equalBytes(tx.from, address)) nonce++;
    return nonce;
  }

  prepareRawTransactions(raws: Uint8Array[]): Promise<void> {
    this.record('prepareRawTransactions', raws.map(toHex));
    return Promise.resolve();
  }

  /** Refuses as the node's backend does: -32000, a geth-like message and data {code}. */
  sendRawTransaction(raw: Uint8Array): Uint8Array {
    this.record('sendRawTransaction', toHex(raw));
    const failure = this.sendFailure;
    if (failure !== null) {
      this.sendFailure = null;
      throw failure;
    }
    const refuse = (code: string, message: string): never => {
      throw new RpcError(RpcErrorCode.InvalidInput, message, { code });
    };
    let tx: RpcTransaction;
    try {
      tx = toRpcTransaction(toHex(raw), null);
    } catch {
      return refuse('malformed', 'malformed transaction: cannot decode');
    }
    if (tx.chainId !== CHAIN_ID) {
      refuse('wrong-chain-id', `invalid chain id: expected ${CHAIN_ID}, got ${tx.chainId}`);
    }
    if (this.pending.has(key(tx.hash)))
      refuse('already-known', `already known: transaction ${key(tx.hash)}`);
    const next = this.pendingNonce(tx.from);
    const stateNonce = this.nonces.get(toHex(tx.from)) ?? 0n;
    if (tx.nonce < stateNonce) {
      refuse('nonce-too-low', `nonce too low: next nonce ${stateNonce}, tx nonce ${tx.nonce}`);
    }
    if (tx.nonce > next) {
      refuse('nonce-too-high', `nonce too high: next nonce ${next}, tx nonce ${tx.nonce}`);
    }
    this.pending.set(key(tx.hash), tx);
    for (const l of [...this.pendingListeners]) l(tx.hash);
    return tx.hash;
  }

  transactionByHash(hash: Uint8Array): RpcTransaction | null {
    for (const block of this.blocks) {
      const tx = block.transactions.find((t) => equalBytes(t.hash, hash));
      if (tx) return tx;
    }
    return this.pending.get(key(hash)) ?? null;
  }

  receiptByHash(hash: Uint8Array): RpcReceipt | null {
    return this.receipts.get(key(hash)) ?? null;
  }

  blockReceipts(number: bigint): RpcReceipt[] | null {
    this.record('blockReceipts', number);
    const block = this.blocks[Number(number)];
    if (block === undefined) return null;
    return block.transactions.map((tx) => this.receipts.get(key(tx.hash))!);
  }

  blockLogs(number: bigint, filter: LogMatcher): RpcLog[] | null {
    this.record('blockLogs', number);
    if (number > this.headNumber()) return null;
    const out: RpcLog[] = [];
    for (const receipt of this.receipts.values()) {
      if (receipt.blockNumber !== number) continue;
      for (const log of receipt.logs) if (filter.matches(log)) out.push(log);
    }
    for (const log of this.emittedLogs.get(number) ?? []) if (filter.matches(log)) out.push(log);
    return out;
  }

  call(request: CallRequest, block: bigint): Uint8Array {
    this.record('call', request, block);
    if (request.to !== null && toHex(request.to) === HEAD_TRIGGER) this.emitHead();
    if (request.to !== null && toHex(request.to) === REVERTER) {
      throw new RpcError(
        RpcErrorCode.ExecutionReverted,
        'execution reverted: nope',
        fromHex(REVERT_DATA),
      );
    }
    return request.data ?? new Uint8Array(0);
  }

  estimateGas(request: CallRequest, block: bigint): bigint {
    this.record('estimateGas', request, block);
    if (request.to !== null && toHex(request.to) === REVERTER) {
      throw new RpcError(
        RpcErrorCode.ExecutionReverted,
        'execution reverted: nope',
        fromHex(REVERT_DATA),
      );
    }
    return 21_000n + 16n * BigInt(request.data?.length ?? 0);
  }

  gasPrice(): bigint {
    return 9n * GWEI;
  }

  maxPriorityFeePerGas(): bigint {
    return 2n * GWEI;
  }

  feeHistory(blockCount: bigint, newest: bigint, percentiles: number[] | null): FeeHistory {
    this.record('feeHistory', blockCount, newest, percentiles);
    const oldest = newest - blockCount + 1n;
    const blocks = this.blocks.slice(Number(oldest), Number(newest) + 1);
    return {
      oldestBlock: oldest,
      baseFeePerGas: [...blocks.map((b) => b.baseFeePerGas), 7n * GWEI],
      gasUsedRatio: blocks.map((b) => Number(b.gasUsed) / Number(b.gasLimit)),
      reward:
        percentiles === null ? null : blocks.map(() => percentiles.map((p) => BigInt(p) * GWEI)),
    };
  }

  syncing(): SyncStatus | false {
    return this.syncState;
  }

  validators(): ValidatorSetView {
    const height = this.headNumber() + 1n;
    return {
      height,
      epoch: height / 20n,
      validators: VALIDATORS.map((v) => fromHex(v)),
      proposer: fromHex(VALIDATORS[Number(height % 3n)]!),
    };
  }

  peerCount(): number {
    return this.peers ?? 0;
  }

  /** One fixed proposal (a parameter change, closed and executed), for the etm_ DAO methods. */
  readonly governance: GovernanceRpcBackend = {
    proposals: (before, limit) =>
      (before === null || before > 1n) && limit > 0 ? [this.fixedProposal()] : [],
    proposal: (id) => (id === 1n ? this.fixedProposal() : null),
  };

  private fixedProposal(): ProposalView {
    const details: Payload = { kind: 'parameter-change', name: 'lotterySeats', value: 2n };
    const tally = {
      yes: 3n * 10n ** 21n,
      no: 0n,
      abstain: 10n ** 21n,
      veto: 0n,
      totalLocked: 8n * 10n ** 21n,
    };
    return {
      proposal: {
        id: 1n,
        kind: 'parameter-change',
        status: 'executed',
        proposer: fromHex(VALIDATORS[0]!),
        payload: encodePayload(details),
        deposit: 10n * 10n ** 18n,
        submitHeight: 5n,
        depositEnd: 45n,
        votingStart: 5n,
        votingEnd: 20n,
        executeAt: 40n,
        closedAt: 20n,
        tally,
        note: '',
      },
      details,
      tally,
      final: true,
      rescindMatches: null,
    };
  }

  /** Fixed staking views, enough to check the etm_ staking methods' formats. */
  readonly staking: StakingRpcBackend = {
    epoch: (epoch) =>
      epoch !== null && epoch > 1n
        ? null
        : {
            epoch: epoch ?? 1n,
            firstBlock: (epoch ?? 1n) * 20n + 1n,
            lastBlock: (epoch ?? 1n) * 20n + 20n,
            validators: VALIDATORS.map((v) => fromHex(v)),
            operators: VALIDATORS.map((v) => fromHex(v)),
            seed: new Uint8Array(32).fill(5),
          },
    candidates: () => [
      {
        operator: fromHex(VALIDATORS[0]!),
        consensusKey: fromHex(VALIDATORS[1]!),
        name: 'alpha',
        deposit: 1000n * 10n ** 18n,
        status: 'active',
        commissionBps: 1000n,
        commissionMaxBps: 2000n,
        votes: 1000n * 10n ** 18n,
        X: 177n * 10n ** 36n + 5n * 10n ** 35n,
        v: 10n ** 36n,
        m: 3n,
        n: 3n,
        R: 177n * 10n ** 36n + 5n * 10n ** 35n,
        probability: 10n ** 36n / 4n,
        elected: true,
      },
    ],
    locks: (owner) => [
      {
        id: 7n,
        owner,
        amount: 10n ** 18n,
        candidate: null,
        since: 2n,
        t: 1n,
        x: 10n ** 18n,
        pending: 12345n,
        autoCompound: true,
      },
    ],
    economics: (block) => ({
      supply: 500_000_000n * 10n ** 18n + block,
      totalLocked: 100_000_000n * 10n ** 18n,
      stakingRatio: 10n ** 36n / 5n,
      inflationRate: 10n ** 35n,
      inflationYear: 1n,
      nextInflationSwitch: 10_512_001n,
      blocksPerYear: 10_512_000n,
      validatorInflationShare: 10n ** 35n,
      perBlockRate: 9_066_891_029_140_510_346_539_793_566n,
      rewardPerTokenPerBlock: null,
      minted: 4_533_445_514n,
      mintedTotal: 9n,
      apyEstimate: null,
      apyCurrent: null,
      bonusReleased: 0n,
      bonusPending: 0n,
      bonusPool: 25_000_000n * 10n ** 18n,
      treasury: 1n,
      rewardPool: 2n,
    }),
    election: (epoch) =>
      epoch === 2n
        ? {
            epoch,
            electedAt: 20n,
            seed: new Uint8Array(32).fill(9),
            rankedSeats: 1n,
            lotterySeats: 1n,
            candidates: [
              { address: fromHex(VALIDATORS[0]!), R: 3n * 10n ** 36n },
              { address: fromHex(VALIDATORS[2]!), R: 10n ** 36n + 1n },
            ],
            ranked: [fromHex(VALIDATORS[0]!)],
            drawn: [{ address: fromHex(VALIDATORS[2]!), w: 1n, W: 4n, z: 3n }],
            filled: [],
            validators: [fromHex(VALIDATORS[2]!), fromHex(VALIDATORS[0]!)],
            operators: [fromHex(VALIDATORS[2]!), fromHex(VALIDATORS[0]!)],
          }
        : null,
  };

  onNewHead(listener: (event: NewHeadEvent) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  onPendingTransaction(listener: (hash: Uint8Array) => void): () => void {
    this.pendingListeners.add(listener);
    return () => this.pendingListeners.delete(listener);
  }

  /** Pending: the transactions sent; queued: those whose nonce is past the next one. */
  txpool(): TxPoolView {
    const all = [...this.pending.values()];
    const next = (tx: RpcTransaction) => this.nonces.get(toHex(tx.from)) ?? 0n;
    return {
      pending: all.filter((tx) => tx.nonce <= next(tx) + BigInt(all.length)),
      queued: [],
    };
  }

  /** A canned proof: one node per slot, the account's fields from the fake state. */
  proof(address: Uint8Array, slots: Uint8Array[], block: bigint): AccountProof {
    this.record('proof', toHex(address), slots.map(toHex), block);
    return {
      address,
      accountProof: [fromHex('0xc0')],
      balance: this.balance(address, block),
      codeHash: keccak256(this.code(address, block)),
      nonce: this.nonce(address, block),
      storageHash: h32('storage'),
      storageProof: slots.map((k) => ({
        key: k,
        value: bytesToBigint(this.storageAt(address, k, block)),
        proof: [fromHex('0xc1c0')],
      })),
      locked: 0n,
    };
  }
}
