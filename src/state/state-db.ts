/**
 * The world state over the account trie: accounts keyed by keccak256(address), each with its
 * own storage trie keyed by keccak256(slot) and code stored by its hash.
 *
 * Changes are buffered per account and per storage slot, with a journal for transaction-level
 * rollback. `commit()` writes the buffered changes into the tries in address order and
 * computes the state root once per block.
 */
import { EtmError } from '../primitives/errors.js';
import { equalBytes } from '../crypto/bytes.js';
import { keccak256 } from '../crypto/keccak.js';
import { asBytes, rlpDecode, rlpEncode } from '../codec/rlp.js';
import {
  checkAccount,
  decodeAccount,
  EMPTY_CODE_HASH,
  emptyAccount,
  encodeAccount,
  isEmptyAccount,
  type Account,
} from './account.js';
import { bytesKey } from './bytes-key.js';
import type { TrieNodeCache } from './node-cache.js';
import {
  EMPTY_TRIE_ROOT,
  MissingNodeError,
  Trie,
  type TrieCommit,
  type TrieNodeStore,
} from './trie.js';

export type StateErrorCode =
  'BAD_ADDRESS' | 'BAD_STORAGE_KEY' | 'NO_CHECKPOINT' | 'OPEN_CHECKPOINT';

export class StateError extends EtmError<StateErrorCode> {
  override name = 'StateError';
}

/**
 * An account as of the last commit (null = absent) with its trie key. Never changed once made
 * (a commit puts a new entry in its state's map), so the states that inherit a map share its
 * entries.
 */
interface CommittedEntry {
  readonly key: Uint8Array;
  readonly account: Account | null;
}

/** Blocks of account reads a state built on the head inherits. */
const INHERITED_GENERATIONS = 4;
/**
 * Entries the inherited maps may hold in all (about 500 bytes each, so about 32 MiB): a block of
 * 7,000 transfers touches some 14,000 accounts, while reads through a head's view (JSON-RPC) are
 * not bounded per block, so a flooded map is not carried on.
 */
const INHERITED_MAX_ENTRIES = 65_536;

interface AccountWrite {
  address: Uint8Array;
  account: Account;
}
interface SlotWrite {
  key: Uint8Array;
  value: Uint8Array; // empty = delete
}
interface StorageWrites {
  address: Uint8Array;
  slots: Map<string, SlotWrite>;
  /** The storage as of the last commit is gone (clearStorage): only `slots` remain. */
  cleared: boolean;
}
type JournalEntry =
  | { kind: 'account'; addr: string; prev: AccountWrite | undefined }
  | { kind: 'slot'; addr: string; slot: string; prev: SlotWrite | undefined }
  | { kind: 'clear'; addr: string; prev: StorageWrites | undefined };

const NO_BYTES = new Uint8Array(0);

export class StateDB {
  private readonly accounts: Trie;
  /** Accounts as of the last commit, by bytesKey(address) (null = absent), with their trie keys. */
  private readonly committed = new Map<string, CommittedEntry>();
  /** Storage tries at each account's last committed storage root, opened on first use. */
  private readonly storageTries = new Map<string, Trie>();
  private readonly accountWrites = new Map<string, AccountWrite>();
  private readonly storageWrites = new Map<string, StorageWrites>();
  /** Code set since the last commit, by bytesKey(code hash). */
  private readonly newCode = new Map<string, Uint8Array>();
  private journal: JournalEntry[] = [];
  private readonly checkpoints: number[] = [];
  /**
   * The account maps of the states this one descends from (inheritAccounts), newest first, at
   * most INHERITED_GENERATIONS: an entry of an older map holds unless a newer state touched the
   * account, and every state's own map holds every account it touched.
   */
  private inherited: ReadonlyArray<ReadonlyMap<string, CommittedEntry>> = [];

  /**
   * `cache` is the decoded-node cache of its tries: by default the one shared by everything
   * that reads `store` (nodeCacheOf), null for none.
   */
  /**
   * `base`, when given, supplies the accounts the trie does not hold (as of construction): a
   * genesis runs its system writes over the allocations this way without putting them all into
   * the trie first (genesis.ts). Its accounts must not have storage.
   */
  constructor(
    root: Uint8Array,
    private readonly store: TrieNodeStore,
    private readonly cache?: TrieNodeCache | null,
    private readonly base?: (address: Uint8Array) => Account | null,
  ) {
    this.accounts = new Trie(root, store, cache);
  }

  /** The state root as of the last commit (or construction). */
  get root(): Uint8Array {
    return this.accounts.root;
  }

  /**
   * Takes the accounts `view` has read or written as this state's own reads, instead of walking
   * the trie for them again: `view` is a block's execution state after its commit, at this
   * state's root with nothing pending, and must not be written to afterwards. A block built or
   * imported on the head then finds its senders decoded, and so do the next few: the maps of
   * `view`'s own ancestors come along, newest first, up to INHERITED_GENERATIONS maps and
   * INHERITED_MAX_ENTRIES entries in all (maps, not states, so nothing older is kept alive).
   * Ignored when `view` is at another root or has pending changes.
   */
  inheritAccounts(view: StateDB): this {
    if (
      view !== this &&
      equalBytes(view.root, this.root) &&
      view.accountWrites.size === 0 &&
      view.storageWrites.size === 0 &&
      view.checkpoints.length === 0
    ) {
      const maps: ReadonlyMap<string, CommittedEntry>[] = [];
      let entries = 0;
      for (const map of [view.committed, ...view.inherited]) {
        entries += map.size;
        if (maps.length === INHERITED_GENERATIONS || entries > INHERITED_MAX_ENTRIES) break;
        maps.push(map);
      }
      this.inherited = maps;
      this.accounts.adopt(view.accounts);
    }
    return this;
  }

  // --- accounts --------------------------------------------------------------------------------

  /** The account at `address`, pending changes included; an empty account when absent. */
  getAccount(address: Uint8Array): Account {
    return { ...this.readAccount(address) };
  }

  /**
   * The account getAccount gives, without the copy: for a reader that only looks (the mempool's
   * checks at every admission). The state never changes an account object it handed out.
   */
  readAccount(address: Uint8Array): Readonly<Account> {
    return this.current(addressKey(address), address);
  }

  /**
   * Sets nonce, balance and locked. `codeHash` and `storageRoot` of the argument are ignored:
   * they follow putCode and putStorage, so a stale copy of the account cannot undo them.
   */
  putAccount(address: Uint8Array, account: Account): void {
    const addr = addressKey(address);
    const base = this.current(addr, address);
    const next: Account = {
      nonce: account.nonce,
      balance: account.balance,
      locked: account.locked,
      codeHash: base.codeHash,
      storageRoot: base.storageRoot,
    };
    checkAccount(next);
    this.setAccount(addr, address, next);
  }

  // --- storage ---------------------------------------------------------------------------------

  /** The value in slot `key` (32 bytes) of `address`; empty when unset. */
  getStorage(address: Uint8Array, key: Uint8Array): Uint8Array {
    const addr = addressKey(address);
    const slot = slotKey(key);
    const writes = this.storageWrites.get(addr);
    const pending = writes?.slots.get(slot);
    if (pending !== undefined) return pending.value.slice();
    if (writes?.cleared === true) return new Uint8Array(0);
    const account = this.committedAccount(addr, address);
    if (account === null || equalBytes(account.storageRoot, EMPTY_TRIE_ROOT))
      return new Uint8Array(0);
    const stored = this.storageTrie(addr, account.storageRoot).peek(keccak256(key));
    return stored === undefined ? new Uint8Array(0) : asBytes(rlpDecode(stored), 'storage value');
  }

  /**
   * Sets slot `key` (32 bytes) of `address` to `value`; an empty value clears the slot. Values
   * are byte strings of any length, kept as given (an EVM word should come without leading
   * zero bytes, as Ethereum stores it).
   */
  putStorage(address: Uint8Array, key: Uint8Array, value: Uint8Array): void {
    const addr = addressKey(address);
    const slot = slotKey(key);
    let entry = this.storageWrites.get(addr);
    if (entry === undefined) {
      entry = { address: address.slice(), slots: new Map(), cleared: false };
      this.storageWrites.set(addr, entry);
    }
    if (this.checkpoints.length > 0) {
      this.journal.push({ kind: 'slot', addr, slot, prev: entry.slots.get(slot) });
    }
    entry.slots.set(slot, { key: key.slice(), value: value.slice() });
  }

  /**
   * Empties the whole storage of `address` (a contract destroyed, or created over an address
   * that had storage): reads give empty values and the commit starts its storage trie anew.
   * Journaled like every other change.
   */
  clearStorage(address: Uint8Array): void {
    const addr = addressKey(address);
    const prev = this.storageWrites.get(addr);
    if (this.checkpoints.length > 0) this.journal.push({ kind: 'clear', addr, prev });
    this.storageWrites.set(addr, {
      address: prev?.address ?? address.slice(),
      slots: new Map(),
      cleared: true,
    });
  }

  // --- code ------------------------------------------------------------------------------------

  getCode(address: Uint8Array): Uint8Array {
    const { codeHash } = this.current(addressKey(address), address);
    if (equalBytes(codeHash, EMPTY_CODE_HASH)) return new Uint8Array(0);
    const code = this.newCode.get(bytesKey(codeHash)) ?? this.store.get(codeHash);
    if (code === undefined) throw new MissingNodeError(codeHash, 'code');
    return code.slice();
  }

  /** Sets the code of `address` (and so its codeHash); the code is persisted under its hash. */
  putCode(address: Uint8Array, code: Uint8Array): void {
    const addr = addressKey(address);
    const codeHash = code.length === 0 ? EMPTY_CODE_HASH : keccak256(code);
    if (code.length > 0) this.newCode.set(bytesKey(codeHash), code.slice());
    this.setAccount(addr, address, { ...this.current(addr, address), codeHash });
  }

  // --- journal ---------------------------------------------------------------------------------

  /** Opens a (nested) checkpoint: `revert()` undoes every change made after it. */
  checkpoint(): void {
    this.checkpoints.push(this.journal.length);
  }

  /** Undoes the changes since the last checkpoint and closes it. */
  revert(): void {
    const mark = this.checkpoints.pop();
    if (mark === undefined) throw new StateError('NO_CHECKPOINT', 'revert without a checkpoint');
    for (let i = this.journal.length - 1; i >= mark; i--) {
      const e = this.journal[i]!;
      if (e.kind === 'account') {
        if (e.prev === undefined) this.accountWrites.delete(e.addr);
        else this.accountWrites.set(e.addr, e.prev);
      } else if (e.kind === 'clear') {
        if (e.prev === undefined) this.storageWrites.delete(e.addr);
        else this.storageWrites.set(e.addr, e.prev);
      } else {
        const entry = this.storageWrites.get(e.addr)!;
        if (e.prev !== undefined) entry.slots.set(e.slot, e.prev);
        else if (entry.slots.delete(e.slot) && entry.slots.size === 0 && !entry.cleared)
          this.storageWrites.delete(e.addr);
      }
    }
    this.journal.length = mark;
  }

  /** Closes the last checkpoint, keeping its changes (an outer checkpoint can still undo them). */
  commitCheckpoint(): void {
    if (this.checkpoints.pop() === undefined) {
      throw new StateError('NO_CHECKPOINT', 'commitCheckpoint without a checkpoint');
    }
    if (this.checkpoints.length === 0) this.journal = [];
  }

  // --- commit ----------------------------------------------------------------------------------

  /** Addresses changed since the last commit (accounts, storage or code), in byte order. */
  touched(): Uint8Array[] {
    return this.touchedKeys().map((addr) => this.touchedAddress(addr).slice());
  }

  /** The keys of touched(): one character per byte, so string order is byte order. */
  private touchedKeys(): string[] {
    const keys = [...this.accountWrites.keys()];
    for (const addr of this.storageWrites.keys()) {
      if (!this.accountWrites.has(addr)) keys.push(addr);
    }
    return keys.sort();
  }

  private touchedAddress(addr: string): Uint8Array {
    return (this.accountWrites.get(addr) ?? this.storageWrites.get(addr))!.address;
  }

  /**
   * Writes every change into the tries, in address order, and computes the new state root.
   * Returns the root and the nodes to persist: new account-trie and storage-trie nodes and new
   * code, each under its keccak256 hash. The StateDB then continues from the new root. After
   * an error (a MissingNodeError) it must be discarded.
   */
  commit(): TrieCommit {
    if (this.checkpoints.length > 0) {
      throw new StateError('OPEN_CHECKPOINT', 'commit with an open checkpoint');
    }
    const nodes: TrieCommit['nodes'] = [];
    const codeEmitted = new Set<string>();
    for (const addr of this.touchedKeys()) {
      const written = this.accountWrites.get(addr);
      const writes = this.storageWrites.get(addr);
      const slots = writes?.slots;
      const entry = this.committedEntry(addr, (written ?? writes)!.address);
      const before = entry.account;
      const account = { ...(written?.account ?? before ?? emptyAccount()) };
      account.storageRoot =
        writes?.cleared === true ? EMPTY_TRIE_ROOT : (before?.storageRoot ?? EMPTY_TRIE_ROOT);
      if (slots !== undefined && slots.size > 0) {
        const trie = this.storageTrie(addr, account.storageRoot);
        for (const w of slots.values()) {
          // Fresh buffers: the trie may keep them without copying.
          trie.putOwned(keccak256(w.key), w.value.length === 0 ? NO_BYTES : rlpEncode(w.value));
        }
        const c = trie.commit();
        for (const n of c.nodes) nodes.push(n);
        account.storageRoot = c.root;
      }
      if (this.newCode.size > 0) {
        const codeKey = bytesKey(account.codeHash);
        const code = this.newCode.get(codeKey);
        if (code !== undefined && !codeEmitted.has(codeKey)) {
          codeEmitted.add(codeKey);
          nodes.push([account.codeHash, code]);
        }
      }
      if (isEmptyAccount(account)) {
        this.accounts.del(entry.key);
        this.committed.set(addr, { key: entry.key, account: null });
      } else {
        this.accounts.putOwned(entry.key, encodeAccount(account));
        this.committed.set(addr, { key: entry.key, account });
      }
    }
    const c = this.accounts.commit();
    for (const n of c.nodes) nodes.push(n);
    this.accountWrites.clear();
    this.storageWrites.clear();
    this.newCode.clear();
    return { root: c.root, nodes };
  }

  // ---------------------------------------------------------------------------------------------

  private current(addr: string, address: Uint8Array): Account {
    return (
      this.accountWrites.get(addr)?.account ??
      this.committedAccount(addr, address) ??
      emptyAccount()
    );
  }

  private setAccount(addr: string, address: Uint8Array, account: Account): void {
    const prev = this.accountWrites.get(addr);
    if (this.checkpoints.length > 0) this.journal.push({ kind: 'account', addr, prev });
    this.accountWrites.set(addr, { address: prev?.address ?? address.slice(), account });
  }

  private committedAccount(addr: string, address: Uint8Array): Account | null {
    return this.committedEntry(addr, address).account;
  }

  /** The account as of the last commit with its trie key, read from the trie on first use. */
  private committedEntry(addr: string, address: Uint8Array): CommittedEntry {
    let entry = this.committed.get(addr);
    if (entry === undefined) {
      for (const map of this.inherited) {
        const known = map.get(addr);
        if (known === undefined) continue;
        this.committed.set(addr, known);
        return known;
      }
      const key = keccak256(address);
      const encoded = this.accounts.peek(key); // decodeAccount copies what it keeps
      const account =
        encoded !== undefined ? decodeAccount(encoded) : (this.base?.(address) ?? null);
      entry = { key, account };
      this.committed.set(addr, entry);
    }
    return entry;
  }

  private storageTrie(addr: string, root: Uint8Array): Trie {
    let t = this.storageTries.get(addr);
    if (t === undefined || !equalBytes(t.root, root)) {
      t = new Trie(root, this.store, this.cache);
      this.storageTries.set(addr, t);
    }
    return t;
  }
}

function addressKey(address: Uint8Array): string {
  if (address.length !== 20) {
    throw new StateError('BAD_ADDRESS', `address must be 20 bytes, got ${address.length}`);
  }
  return bytesKey(address);
}

function slotKey(key: Uint8Array): string {
  if (key.length !== 32) {
    throw new StateError('BAD_STORAGE_KEY', `storage key must be 32 bytes, got ${key.length}`);
  }
  return bytesKey(key);
}
