/**
 * Runs transactions through the EVM over the chain's StateDB (docs/contracts.md).
 *
 * The EVM is @ethereumjs/evm with @ethereumjs/vm's transaction rules (runTx: intrinsic gas with
 * EIP-3860 initcode words, access-list warming, refunds capped at a fifth, EIP-6780
 * SELFDESTRUCT, EIP-161 clean-up) at the Cancun hardfork with no blobs. Its API is async, so
 * block execution awaits it; every awaited promise is already settled (the state adapter does
 * its work synchronously), so a block's result depends on its inputs only.
 *
 * The fee goes where the chain's rules send it: runTx credits the priority fee to the block's
 * coinbase (so the COINBASE opcode is the proposer), and the runner then moves it on to the
 * staking reward pool, exactly as for a plain transfer; the base fee is settled with the
 * block's other fees.
 */
import { createCustomCommon, Hardfork, Mainnet, type Common } from '@ethereumjs/common';
import { createBlock, type Block as EvmBlock } from '@ethereumjs/block';
import {
  createAccessList2930Tx,
  createFeeMarket1559Tx,
  createLegacyTx,
  type TypedTransaction,
} from '@ethereumjs/tx';
import { Address } from '@ethereumjs/util';
import type { EVM } from '@ethereumjs/evm';
import { createVM, runTx, type RunTxResult, type VM } from '@ethereumjs/vm';
import secp256k1 from 'secp256k1';
import { keccak256 } from '../../crypto/keccak.js';
import type { ChainParams } from '../../params/registry.js';
import type { Log } from '../../primitives/receipt.js';
import type { StateDB } from '../../state/state-db.js';
import { equalBytes, fromHex } from '../../crypto/bytes.js';
import type { SignedTx } from '../tx.js';
import { effectiveGasPrice } from '../fees.js';
import { SYSTEM_ACCOUNTS } from '../../primitives/system-addresses.js';
import { chainPrecompiles, MessageStack } from './precompiles.js';
import { useFastInterpreter } from './interpreter.js';
import { EvmStateAdapter } from './state-adapter.js';
import type { EvmEvents, EvmTracer } from './tracer.js';

/** The hardfork whose EVM rules the chain runs (no blob transactions: blob opcodes see none). */
const EVM_HARDFORK = Hardfork.Cancun;

/** What the EVM needs of the block it runs in. */
export interface EvmBlockEnv {
  chainId: bigint;
  number: bigint;
  timestamp: bigint;
  coinbase: Uint8Array;
  baseFeePerGas: bigint;
  gasLimit: bigint;
  /** The block's RANDAO mix: the PREVRANDAO opcode. */
  mixHash: Uint8Array;
  params: ChainParams;
  /** Hash of an earlier block (BLOCKHASH reads the last 256); undefined when unknown. */
  blockHash?: (number: bigint) => Uint8Array | undefined;
}

/** A transaction as the EVM runs it: its fields and its (already recovered) sender. */
export type EvmTx = Pick<
  SignedTx,
  | 'type'
  | 'nonce'
  | 'gasLimit'
  | 'to'
  | 'value'
  | 'data'
  | 'accessList'
  | 'gasPrice'
  | 'maxFeePerGas'
  | 'maxPriorityFeePerGas'
  | 'sender'
>;

export interface EvmOutcome {
  status: 0 | 1;
  gasUsed: bigint;
  logs: Log[];
  returnData: Uint8Array;
  /** The error that ended the top frame (its name, e.g. 'revert', 'out of gas'), if any. */
  error: string | null;
  createdAddress: Uint8Array | null;
  /** The refund counter before its cap (for an estimate's first guess). */
  refund: bigint;
  /** Every account and slot the transaction touched (when asked for: eth_createAccessList). */
  accessList?: { address: Uint8Array; storageKeys: Uint8Array[] }[];
}

/** What a run may report besides its outcome (RPC only; blocks never ask). */
export interface RunOptions {
  reportAccessList?: boolean;
  tracer?: EvmTracer;
}

const commons = new Map<bigint, Common>();

/** One Common per chain id: the hardfork, and the node's native keccak and ecrecover. */
function commonFor(chainId: bigint): Common {
  let c = commons.get(chainId);
  if (c === undefined) {
    c = createCustomCommon({ chainId: Number(chainId) }, Mainnet, {
      hardfork: EVM_HARDFORK,
      customCrypto: {
        keccak256,
        // The ecrecover precompile through libsecp256k1 (any s, as Ethereum's precompile).
        ecrecover: (msgHash, v, r, s) => {
          // r and s are the precompile's two 32-byte words.
          const sig = new Uint8Array(64);
          sig.set(r, 0);
          sig.set(s, 32);
          return secp256k1.ecdsaRecover(sig, Number(v - 27n), msgHash, false).subarray(1);
        },
      },
    });
    // Asked several times per instruction: a set answers while the EIPs stay those of the
    // hardfork (a copy given another hardfork gets a new list and asks it).
    const eips = c['_activatedEIPsCache'];
    const active = new Set(eips);
    c.isActivatedEIP = function (this: Common, eip: number): boolean {
      const now = this['_activatedEIPsCache'];
      return now === eips ? active.has(eip) : now.includes(eip);
    };
    commons.set(chainId, c);
  }
  return c;
}

/**
 * The EVM of one block over one StateDB: opened when the block's first contract transaction
 * runs, used for every later one.
 */
export class EvmSession {
  private constructor(
    readonly vm: VM,
    readonly block: EvmBlock,
    private readonly messages: MessageStack,
    private readonly env: EvmBlockEnv,
  ) {}

  static async open(state: StateDB, env: EvmBlockEnv): Promise<EvmSession> {
    const common = commonFor(env.chainId);
    const messages = new MessageStack();
    const vm = await createVM({
      common,
      stateManager: new EvmStateAdapter(state),
      blockchain: {
        getBlock: (n: number) => {
          const hash = env.blockHash?.(BigInt(n));
          return Promise.resolve({ hash: () => hash ?? new Uint8Array(32) });
        },
        putBlock: () => Promise.resolve(),
        shallowCopy() {
          return this;
        },
      },
      evmOpts: {
        customPrecompiles: chainPrecompiles({
          params: env.params,
          height: env.number,
          messages,
        }),
      },
    });
    messages.attach(vm.evm as never);
    useFastInterpreter(vm.evm as EVM);
    const block = createBlock(
      {
        header: {
          number: env.number,
          coinbase: new Address(env.coinbase),
          timestamp: env.timestamp,
          gasLimit: env.gasLimit,
          baseFeePerGas: env.baseFeePerGas,
          mixHash: env.mixHash,
          difficulty: 0n,
          excessBlobGas: 0n,
          blobGasUsed: 0n,
          parentBeaconBlockRoot: new Uint8Array(32),
        },
      },
      { common, skipConsensusFormatValidation: true },
    );
    return new EvmSession(vm, block, messages, env);
  }

  /**
   * Runs a transaction the caller has already checked (nonce, balance, fees, intrinsic gas).
   * The priority fee ends in the reward pool `tipsTo`.
   */
  async run(tx: EvmTx, tipsTo: Uint8Array, options: RunOptions = {}): Promise<EvmOutcome> {
    this.messages.reset();
    const state = this.state;
    const tracer = options.tracer;
    const events = this.vm.evm.events as unknown as EvmEvents;
    // Value reaches a system account only through a module's payable function; SELFDESTRUCT
    // could still name one as its beneficiary, so such a transaction fails as a whole.
    const guarded = SYSTEM_ACCOUNTS.map((a) => state.getAccount(a).balance);
    state.checkpoint();
    let r: RunTxResult;
    tracer?.attach(events, state, {
      from: tx.sender,
      to: tx.to,
      value: tx.value,
      gasLimit: tx.gasLimit,
      data: tx.data,
    });
    try {
      r = await runTx(this.vm, {
        tx: libraryTx(tx, this.vm.common),
        block: this.block,
        skipBlockGasLimitValidation: true,
        skipHardForkValidation: true,
        reportAccessList: options.reportAccessList === true,
      });
    } catch (e) {
      state.revert();
      throw e;
    } finally {
      tracer?.detach(events);
    }
    if (SYSTEM_ACCOUNTS.some((a, i) => state.getAccount(a).balance > guarded[i]!)) {
      state.revert();
      return this.failWhole(tx, tipsTo, 'value sent to a system account');
    }
    state.commitCheckpoint();
    this.moveTip(r.totalGasSpent, tx, tipsTo);
    return outcomeOf(r);
  }

  private get state(): StateDB {
    return (this.vm.stateManager as EvmStateAdapter).state;
  }

  /** A transaction undone whole: the sender pays all its gas and its nonce moves on. */
  private failWhole(tx: EvmTx, tipsTo: Uint8Array, why: string): EvmOutcome {
    const price = effectiveGasPrice(tx, this.env.baseFeePerGas);
    const a = this.state.getAccount(tx.sender);
    this.state.putAccount(tx.sender, {
      ...a,
      nonce: a.nonce + 1n,
      balance: a.balance - tx.gasLimit * price,
    });
    const p = this.state.getAccount(tipsTo);
    this.state.putAccount(tipsTo, {
      ...p,
      balance: p.balance + tx.gasLimit * (price - this.env.baseFeePerGas),
    });
    return {
      status: 0,
      gasUsed: tx.gasLimit,
      logs: [],
      returnData: new Uint8Array(0),
      error: why,
      createdAddress: null,
      refund: 0n,
    };
  }

  /** The priority fee runTx paid the coinbase goes on to the reward pool. */
  private moveTip(gasUsed: bigint, tx: EvmTx, to: Uint8Array): void {
    const tip = gasUsed * (effectiveGasPrice(tx, this.env.baseFeePerGas) - this.env.baseFeePerGas);
    if (tip === 0n || equalBytes(to, this.env.coinbase)) return;
    const state = this.state;
    const c = state.getAccount(this.env.coinbase);
    state.putAccount(this.env.coinbase, { ...c, balance: c.balance - tip });
    const p = state.getAccount(to);
    state.putAccount(to, { ...p, balance: p.balance + tip });
  }
}

function outcomeOf(r: RunTxResult): EvmOutcome {
  const ex = r.execResult;
  const accessList = r.accessList?.map((e) => ({
    address: fromHex(e.address),
    storageKeys: e.storageKeys.map((k) => fromHex(k)),
  }));
  return {
    ...(accessList ? { accessList } : {}),
    status: ex.exceptionError === undefined ? 1 : 0,
    gasUsed: r.totalGasSpent,
    logs: (ex.logs ?? []).map(([address, topics, data]) => ({ address, topics, data })),
    returnData: ex.returnValue,
    error: ex.exceptionError?.error ?? null,
    createdAddress: r.createdAddress?.bytes ?? null,
    refund: r.gasRefund,
  };
}

/**
 * The transaction as @ethereumjs/tx builds it, unsigned, with the sender we recovered. Building
 * one through the library's constructor copies its Common and merges its parameters each time
 * (about half a millisecond); the fields were all checked when the transaction was decoded, so
 * after the first of each type per Common, a transaction is a copy of that one with its own
 * fields (and an empty cache).
 */
function libraryTx(tx: EvmTx, common: Common): TypedTransaction {
  const key = `${tx.type}`;
  let byType = templates.get(common);
  if (byType === undefined) templates.set(common, (byType = new Map()));
  let template = byType.get(key);
  if (template === undefined) {
    const opts = { common, freeze: false };
    const base = { nonce: 0n, gasLimit: 21_000n, value: 0n, data: new Uint8Array(0) };
    template =
      tx.type === 2
        ? createFeeMarket1559Tx({ ...base, maxFeePerGas: 0n, maxPriorityFeePerGas: 0n }, opts)
        : tx.type === 1
          ? createAccessList2930Tx({ ...base, gasPrice: 0n }, opts)
          : createLegacyTx({ ...base, gasPrice: 0n }, opts);
    byType.set(key, template);
  }
  const made = Object.create(Object.getPrototypeOf(template) as object) as TypedTransaction;
  const sender = new Address(tx.sender);
  Object.assign(made, template, {
    cache: {},
    nonce: tx.nonce,
    gasLimit: tx.gasLimit,
    to: tx.to === null ? undefined : new Address(tx.to),
    value: tx.value,
    data: tx.data,
    getSenderAddress: () => sender,
  });
  if (tx.type === 2)
    Object.assign(made, {
      maxFeePerGas: tx.maxFeePerGas,
      maxPriorityFeePerGas: tx.maxPriorityFeePerGas,
    });
  else Object.assign(made, { gasPrice: tx.gasPrice ?? tx.maxFeePerGas });
  if (tx.type !== 0)
    Object.assign(made, {
      accessList: tx.accessList.map(
        (e) => [e.address, e.storageKeys] as [Uint8Array, Uint8Array[]],
      ),
    });
  return made;
}

const templates = new WeakMap<Common, Map<string, TypedTransaction>>();
