/**
 * The devnet's accounts and controls behind the development RPC methods (src/rpc/dev-methods.ts):
 * signing with the dev accounts (viem's accounts do the signing), waiting for a block, and
 * setting balances, and snapshots. The chain has no state override: every change here is an
 * ordinary signed transaction that goes through the pool and consensus like any other, so the
 * validators agree on it and the devnet stays a real chain; a revert takes every node of the
 * devnet back to a committed block together (Devnet.rollback). Never wired on a configured node.
 */
import { privateKeyToAccount, type PrivateKeyAccount } from 'viem/accounts';
import type { TypedDataDefinition } from 'viem';
import { equalBytes, fromHex, toHex } from '../crypto/bytes.js';
import type { DerivedAccount } from '../crypto/mnemonic.js';
import { TX_GAS, type SignedTx } from '../execution/tx.js';
import { blockHash } from '../chain/block.js';
import {
  RpcError,
  RpcErrorCode,
  type DevRpcBackend,
  type DevTransactionRequest,
  type RpcBackend,
} from '../rpc/backend.js';
import type { Node } from './node.js';

export interface DevRpcOptions {
  /** Longest a call waits for a block (evm_mine, the transfer of a balance setting). */
  blockWaitMs: number;
  /**
   * Rolls every node of the chain back to a block (Devnet.rollback); without it, evm_snapshot
   * and evm_revert are refused.
   */
  rollback?: (number: bigint) => Promise<void>;
}

/** Snapshots kept at once: a suite takes one per test and reverts it, so a few suffice. */
export const MAX_SNAPSHOTS = 10_000;
/** Pending transactions the live snapshots may hold together, by count and by bytes. */
export const MAX_SNAPSHOT_TXS = 16_384;
export const MAX_SNAPSHOT_TX_BYTES = 64 * 1024 * 1024;

export class DevRpc implements DevRpcBackend {
  private readonly signers: { address: Uint8Array; account: PrivateKeyAccount }[];
  /**
   * Balance settings and reverts run one after the other: each reads the balance the previous
   * one left, and a revert does not drop the transfer of a setting under way.
   */
  private queue: Promise<unknown> = Promise.resolve();
  /** Live snapshots, oldest first (ids ascending), with the pool's transactions then. */
  private readonly snapshots: {
    id: bigint;
    number: bigint;
    hash: Uint8Array;
    pool: SignedTx[];
    poolBytes: number;
  }[] = [];
  /** Pending transactions the live snapshots hold, and their bytes (kept with `snapshots`). */
  private heldTxs = 0;
  private heldBytes = 0;
  private nextSnapshotId = 1n;

  constructor(
    private readonly node: Node,
    keys: DerivedAccount[],
    /** The node's RPC backend: fees, gas estimates and submission as a client sees them. */
    private readonly backend: Pick<
      RpcBackend,
      'estimateGas' | 'maxPriorityFeePerGas' | 'sendRawTransaction' | 'chainId'
    >,
    private readonly options: DevRpcOptions,
  ) {
    this.signers = keys.map((k) => ({
      address: k.address,
      account: privateKeyToAccount(toHex(k.privateKey)),
    }));
  }

  accounts(): Uint8Array[] {
    return this.signers.map((s) => s.address);
  }

  private signer(address: Uint8Array): PrivateKeyAccount {
    const s = this.signers.find((x) => equalBytes(x.address, address));
    if (!s) throw new RpcError(RpcErrorCode.InvalidInput, 'unknown account');
    return s.account;
  }

  async sendTransaction(r: DevTransactionRequest): Promise<Uint8Array> {
    const signer = this.signer(r.from);
    const chain = this.node.chain;
    const nonce = r.nonce ?? this.node.mempool.pendingNonce(r.from, this.node.accountView());
    const gas = r.gas ?? (await this.backend.estimateGas({ ...r, gas: null }, chain.headNumber));
    const common = {
      chainId: Number(this.backend.chainId),
      nonce: Number(nonce),
      gas,
      to: r.to === null ? null : toHex(r.to),
      value: r.value ?? 0n,
      data: toHex(r.data ?? new Uint8Array(0)),
    };
    let serialized: `0x${string}`;
    if (r.gasPrice !== null) {
      serialized = await signer.signTransaction({
        ...common,
        type: 'legacy',
        gasPrice: r.gasPrice,
      });
    } else {
      // As wallets do: the suggested tip, and room for the base fee to double.
      let tip = r.maxPriorityFeePerGas ?? this.backend.maxPriorityFeePerGas();
      const maxFee = r.maxFeePerGas ?? 2n * chain.nextBaseFee() + tip;
      if (tip > maxFee) tip = maxFee;
      serialized = await signer.signTransaction({
        ...common,
        type: 'eip1559',
        maxFeePerGas: maxFee,
        maxPriorityFeePerGas: tip,
      });
    }
    return this.backend.sendRawTransaction(fromHex(serialized));
  }

  async signMessage(address: Uint8Array, message: Uint8Array): Promise<Uint8Array> {
    return fromHex(await this.signer(address).signMessage({ message: { raw: message } }));
  }

  async signTypedData(address: Uint8Array, typedData: unknown): Promise<Uint8Array> {
    const signer = this.signer(address);
    try {
      return fromHex(await signer.signTypedData(typedData as TypedDataDefinition));
    } catch (e) {
      throw new RpcError(
        RpcErrorCode.InvalidParams,
        `invalid argument 1 (typed data): ${(e as Error).message.split('\n')[0]}`,
      );
    }
  }

  async mine(): Promise<bigint> {
    return (await this.nextBlock(() => true)).number;
  }

  /**
   * Makes the spendable balance of `address` exactly `balance` with one transfer: from the dev
   * account with the most funds to it when it must grow, from it (a dev account) to the first
   * other dev account when it must shrink, the fee included in the amount. The transfer is a
   * legacy transaction, so its fee is exactly 21,000 × its gas price. Resolves once the
   * transfer's block is committed; exact unless other transactions of the account commit at
   * the same time.
   */
  setBalance(address: Uint8Array, balance: bigint): Promise<void> {
    return this.serially(() => this.transferTo(address, balance));
  }

  private serially<T>(fn: () => Promise<T>): Promise<T> {
    const run = this.queue.then(fn);
    this.queue = run.catch(() => {});
    return run;
  }

  private rollback(): (number: bigint) => Promise<void> {
    const rollback = this.options.rollback;
    if (!rollback)
      throw new RpcError(
        RpcErrorCode.MethodNotSupported,
        'snapshots need every validator of the chain in this process (etm devnet without --processes)',
      );
    return rollback;
  }

  /**
   * Hardhat's evm_snapshot: the head and the pool's transactions (held by reference, bounded
   * over all live snapshots); ids count up from 1.
   */
  snapshot(): Promise<bigint> {
    this.rollback();
    return this.serially(() => {
      if (this.snapshots.length >= MAX_SNAPSHOTS)
        throw new RpcError(
          RpcErrorCode.LimitExceeded,
          `too many snapshots (limit ${MAX_SNAPSHOTS}); revert to an earlier one to free them`,
        );
      const pool = this.node.mempool.all();
      let poolBytes = 0;
      for (const tx of pool) poolBytes += tx.raw.length;
      const heldTxs = this.heldTxs + pool.length;
      const heldBytes = this.heldBytes + poolBytes;
      if (heldTxs > MAX_SNAPSHOT_TXS || heldBytes > MAX_SNAPSHOT_TX_BYTES)
        throw new RpcError(
          RpcErrorCode.LimitExceeded,
          `the snapshots would hold ${heldTxs} pending transactions of ${heldBytes} bytes (limit ${MAX_SNAPSHOT_TXS} and ${MAX_SNAPSHOT_TX_BYTES}); revert to an earlier one to free them`,
        );
      const chain = this.node.chain;
      const id = this.nextSnapshotId++;
      this.snapshots.push({ id, number: chain.headNumber, hash: chain.headHash, pool, poolBytes });
      this.heldTxs = heldTxs;
      this.heldBytes = heldBytes;
      return Promise.resolve(id);
    });
  }

  /**
   * Hardhat's evm_revert: back to the snapshot's head and pending transactions on every node,
   * the snapshot and every later one used up; false for an unknown or used id.
   */
  revert(id: bigint): Promise<boolean> {
    const rollback = this.rollback();
    return this.serially(async () => {
      const i = this.snapshots.findIndex((s) => s.id === id);
      if (i < 0) return false;
      const s = this.snapshots[i]!;
      for (const used of this.snapshots.splice(i)) {
        this.heldTxs -= used.pool.length;
        this.heldBytes -= used.poolBytes;
      }
      const block = this.node.chain.blockAt(s.number);
      if (!block || !equalBytes(blockHash(block), s.hash)) return false;
      await rollback(s.number);
      // The pools were emptied; the snapshot's pending transactions come back (taken by sender
      // then nonce, so each sender's in nonce order; one the state no longer admits is
      // dropped) and are gossiped to the validators.
      for (const tx of s.pool) {
        try {
          this.node.submitTransaction(tx.raw);
        } catch {
          // Not admitted at the snapshot's head: as if it had been dropped then.
        }
      }
      return true;
    });
  }

  private async transferTo(address: Uint8Array, target: bigint): Promise<void> {
    const view = this.node.accountView();
    const current = view.spendable(address);
    if (current === target) return;
    const gasPrice = 2n * this.node.chain.nextBaseFee() + this.backend.maxPriorityFeePerGas();
    const fee = TX_GAS * gasPrice;
    let from: Uint8Array;
    let to: Uint8Array;
    let value: bigint;
    if (target > current) {
      value = target - current;
      const funders = this.signers
        .filter((s) => !equalBytes(s.address, address))
        .map((s) => ({ address: s.address, funds: view.spendable(s.address) }))
        .sort((a, b) => (a.funds > b.funds ? -1 : a.funds < b.funds ? 1 : 0));
      const funder = funders[0];
      if (!funder || funder.funds < value + fee)
        throw new RpcError(
          RpcErrorCode.InvalidInput,
          `cannot set the balance: no dev account holds ${value + fee} (the difference plus the fee)`,
        );
      from = funder.address;
      to = address;
    } else {
      if (!this.signers.some((s) => equalBytes(s.address, address)))
        throw new RpcError(
          RpcErrorCode.InvalidInput,
          'cannot lower the balance of an account the devnet holds no key for',
        );
      value = current - target - fee;
      if (value < 0n)
        throw new RpcError(
          RpcErrorCode.InvalidInput,
          `cannot lower the balance by less than the fee of one transfer (${fee})`,
        );
      from = address;
      to = this.signers.find((s) => !equalBytes(s.address, address))!.address;
    }
    const hash = await this.sendTransaction({
      from,
      to,
      value,
      gas: TX_GAS,
      gasPrice,
      maxFeePerGas: null,
      maxPriorityFeePerGas: null,
      data: null,
      nonce: null,
    });
    const hex = toHex(hash);
    await this.nextBlock((e) => e.transactions.some((tx) => toHex(tx.hash) === hex));
  }

  /** The next committed block that `accept`s, or -32002 after blockWaitMs. */
  private nextBlock(
    accept: (e: { transactions: { hash: Uint8Array }[] }) => boolean,
  ): Promise<{ number: bigint }> {
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        stop();
        reject(
          new RpcError(
            RpcErrorCode.ResourceUnavailable,
            `no block committed within ${this.options.blockWaitMs} ms`,
          ),
        );
      }, this.options.blockWaitMs);
      const stop = this.node.onCommitted((e) => {
        if (!accept(e)) return;
        clearTimeout(timer);
        stop();
        resolve({ number: e.block.header.number });
      });
    });
  }
}
