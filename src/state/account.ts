/**
 * An account as stored in the state trie: Ethereum's four fields plus `locked`, the sum of the
 * account's locks and unbonding entries (owned but not spendable, PROTOCOL §2).
 */
import { equalBytes } from '../crypto/bytes.js';
import { keccak256 } from '../crypto/keccak.js';
import { asBytes, asList, asUint, rlpDecode } from '../codec/rlp.js';
import {
  allocBytes,
  rlpListHeaderLength,
  rlpUintLength,
  writeRlpListHeader,
  writeRlpUint,
} from '../codec/rlp-writer.js';
import { EMPTY_TRIE_ROOT } from './trie.js';

export interface Account {
  nonce: bigint;
  /** Spendable units. */
  balance: bigint;
  /** Units held by locks and unbonding entries. */
  locked: bigint;
  /** keccak256 of the account's code; EMPTY_CODE_HASH when it has none. */
  codeHash: Uint8Array;
  /** Root of the account's storage trie; EMPTY_TRIE_ROOT when it has none. */
  storageRoot: Uint8Array;
}

/** keccak256 of no bytes: the code hash of an account without code. */
export const EMPTY_CODE_HASH: Uint8Array = keccak256(new Uint8Array(0));

export const MAX_NONCE = (1n << 64n) - 1n;
export const MAX_UINT256 = (1n << 256n) - 1n;

export function emptyAccount(): Account {
  return {
    nonce: 0n,
    balance: 0n,
    locked: 0n,
    codeHash: EMPTY_CODE_HASH,
    storageRoot: EMPTY_TRIE_ROOT,
  };
}

/** An empty account is not kept in the trie (as EIP-161): absent and empty read the same. */
export function isEmptyAccount(a: Account): boolean {
  return (
    a.nonce === 0n &&
    a.balance === 0n &&
    a.locked === 0n &&
    equalBytes(a.codeHash, EMPTY_CODE_HASH) &&
    equalBytes(a.storageRoot, EMPTY_TRIE_ROOT)
  );
}

export class AccountRangeError extends RangeError {
  override name = 'AccountRangeError';
  readonly code = 'ACCOUNT_FIELD_OUT_OF_RANGE';
}

/** Throws AccountRangeError unless every field fits its encoding. */
export function checkAccount(a: Account): void {
  if (a.nonce < 0n || a.nonce > MAX_NONCE)
    throw new AccountRangeError(`nonce out of range: ${a.nonce}`);
  if (a.balance < 0n || a.balance > MAX_UINT256) {
    throw new AccountRangeError(`balance out of range: ${a.balance}`);
  }
  if (a.locked < 0n || a.locked > MAX_UINT256)
    throw new AccountRangeError(`locked out of range: ${a.locked}`);
  if (a.codeHash.length !== 32) throw new AccountRangeError('codeHash must be 32 bytes');
  if (a.storageRoot.length !== 32) throw new AccountRangeError('storageRoot must be 32 bytes');
}

/** RLP [nonce, balance, storageRoot, codeHash, locked]: always five items, one encoding per account. */
export function encodeAccount(a: Account): Uint8Array {
  checkAccount(a);
  // Written in place (one buffer); the two hashes are 32-byte strings, 33 bytes each.
  const payload = rlpUintLength(a.nonce) + rlpUintLength(a.balance) + 66 + rlpUintLength(a.locked);
  const out = allocBytes(rlpListHeaderLength(payload) + payload);
  let pos = writeRlpListHeader(out, 0, payload);
  pos = writeRlpUint(out, pos, a.nonce);
  pos = writeRlpUint(out, pos, a.balance);
  out[pos] = 0xa0;
  out.set(a.storageRoot, pos + 1);
  out[pos + 33] = 0xa0;
  out.set(a.codeHash, pos + 34);
  writeRlpUint(out, pos + 66, a.locked);
  return out;
}

/** Strict inverse of encodeAccount: throws DecodeError on any other byte string. */
export function decodeAccount(bytes: Uint8Array): Account {
  const f = asList(rlpDecode(bytes), 'account', 5);
  return {
    nonce: asUint(f[0], 'account nonce', 8),
    balance: asUint(f[1], 'account balance'),
    storageRoot: asBytes(f[2], 'account storageRoot', 32).slice(),
    codeHash: asBytes(f[3], 'account codeHash', 32).slice(),
    locked: asUint(f[4], 'account locked'),
  };
}
