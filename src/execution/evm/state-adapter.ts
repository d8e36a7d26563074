/**
 * The chain's StateDB as @ethereumjs/evm's StateManagerInterface. Every method does its work
 * synchronously on the StateDB and returns a settled promise: the EVM awaits nothing else, so
 * execution stays deterministic and I/O-free.
 *
 * The EVM sees an account's spendable `balance`; `locked` is invisible to it and never changed
 * by it (a contract cannot spend or destroy locked funds: deleting an account keeps them).
 * Checkpoints are the StateDB's journal, so a reverted call frame also undoes what a system
 * module changed inside it.
 */
import type { AccountFields, StateManagerInterface, StorageDump } from '@ethereumjs/common';
import { OriginalStorageCache } from '@ethereumjs/statemanager';
import { Account, Address } from '@ethereumjs/util';
import { equalBytes } from '../../crypto/bytes.js';
import { EMPTY_CODE_HASH, isEmptyAccount } from '../../state/account.js';
import { bytesKey } from '../../state/bytes-key.js';
import type { StateDB } from '../../state/state-db.js';

const NO_BYTES = new Uint8Array(0);

/**
 * Code by its hash, shared by every block's EVM: code is addressed by its content, so an entry
 * is never stale. One instance per code also lets the interpreter keep its jump analysis for
 * the block. Bounded by the bytes it holds (the oldest entries leave first).
 */
const codeCache = new Map<string, Uint8Array>();
let codeCacheBytes = 0;
const CODE_CACHE_MAX_BYTES = 16 * 1024 * 1024;

function rememberCode(key: string, code: Uint8Array): void {
  codeCache.set(key, code);
  codeCacheBytes += code.length;
  for (const [k, c] of codeCache) {
    if (codeCacheBytes <= CODE_CACHE_MAX_BYTES) break;
    codeCache.delete(k);
    codeCacheBytes -= c.length;
  }
}

/** Strips leading zero bytes: storage holds a word without them, as Ethereum stores it. */
function unpad(value: Uint8Array): Uint8Array {
  let i = 0;
  while (i < value.length && value[i] === 0) i++;
  return i === 0 ? value : value.subarray(i);
}

export class EvmStateAdapter implements StateManagerInterface {
  readonly originalStorageCache: OriginalStorageCache;

  constructor(readonly state: StateDB) {
    this.originalStorageCache = new OriginalStorageCache((address, key) =>
      this.getStorage(address, key),
    );
  }

  getAccount(address: Address): Promise<Account | undefined> {
    const a = this.state.getAccount(address.bytes);
    if (isEmptyAccount(a)) return Promise.resolve(undefined);
    return Promise.resolve(new Account(a.nonce, a.balance, a.storageRoot, a.codeHash));
  }

  putAccount(address: Address, account?: Account): Promise<void> {
    if (account === undefined) return this.deleteAccount(address);
    const current = this.state.getAccount(address.bytes);
    this.state.putAccount(address.bytes, {
      ...current,
      nonce: account.nonce,
      balance: account.balance,
    });
    return Promise.resolve();
  }

  /** Empties the account for the EVM (nonce, balance, code, storage); `locked` stays. */
  deleteAccount(address: Address): Promise<void> {
    const current = this.state.getAccount(address.bytes);
    this.state.putAccount(address.bytes, { ...current, nonce: 0n, balance: 0n });
    this.state.putCode(address.bytes, NO_BYTES);
    this.state.clearStorage(address.bytes);
    return Promise.resolve();
  }

  modifyAccountFields(address: Address, fields: AccountFields): Promise<void> {
    const current = this.state.getAccount(address.bytes);
    this.state.putAccount(address.bytes, {
      ...current,
      nonce: fields.nonce ?? current.nonce,
      balance: fields.balance ?? current.balance,
    });
    return Promise.resolve();
  }

  putCode(address: Address, value: Uint8Array): Promise<void> {
    this.state.putCode(address.bytes, value);
    return Promise.resolve();
  }

  /** The EVM only reads the code it is given (copying what it hands on). */
  getCode(address: Address): Promise<Uint8Array> {
    return Promise.resolve(this.code(address.bytes));
  }

  getCodeSize(address: Address): Promise<number> {
    return Promise.resolve(this.code(address.bytes).length);
  }

  private code(address: Uint8Array): Uint8Array {
    const { codeHash } = this.state.getAccount(address);
    if (equalBytes(codeHash, EMPTY_CODE_HASH)) return new Uint8Array(0);
    const key = bytesKey(codeHash);
    let code = codeCache.get(key);
    if (code === undefined) rememberCode(key, (code = this.state.getCode(address)));
    return code;
  }

  getStorage(address: Address, key: Uint8Array): Promise<Uint8Array> {
    return Promise.resolve(this.state.getStorage(address.bytes, key));
  }

  putStorage(address: Address, key: Uint8Array, value: Uint8Array): Promise<void> {
    this.state.putStorage(address.bytes, key, unpad(value));
    return Promise.resolve();
  }

  clearStorage(address: Address): Promise<void> {
    this.state.clearStorage(address.bytes);
    return Promise.resolve();
  }

  checkpoint(): Promise<void> {
    this.state.checkpoint();
    return Promise.resolve();
  }

  commit(): Promise<void> {
    this.state.commitCheckpoint();
    return Promise.resolve();
  }

  revert(): Promise<void> {
    this.state.revert();
    return Promise.resolve();
  }

  /** The root as of the StateDB's last commit: the EVM never asks for it during a block. */
  getStateRoot(): Promise<Uint8Array> {
    return Promise.resolve(this.state.root);
  }

  setStateRoot(): Promise<void> {
    return Promise.reject(new Error('EvmStateAdapter: the state root is set by the chain'));
  }

  hasStateRoot(): Promise<boolean> {
    return Promise.reject(new Error('EvmStateAdapter: the state root is set by the chain'));
  }

  dumpStorage(): Promise<StorageDump> {
    return Promise.reject(new Error('EvmStateAdapter: storage dumps are not supported'));
  }

  clearCaches(): void {
    // The StateDB is the only cache.
  }

  shallowCopy(): StateManagerInterface {
    return new EvmStateAdapter(this.state);
  }
}

export { Address as EvmAddress };
