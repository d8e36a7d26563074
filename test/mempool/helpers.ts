/**
 * Mempool test helpers: an in-memory account view, synthetic transactions (any sender, size and
 * fee, no signing: fast enough for property tests) and real signed ones through the decoder.
 */
import { expect } from 'vitest';
import { bigintToFixed, compareBytes, concatBytes, toHex } from '../../src/crypto/bytes.js';
import { keccak256 } from '../../src/crypto/keccak.js';
import { addressOf } from '../../src/crypto/secp256k1.js';
import { TxError, type TxErrorCode } from '../../src/execution/errors.js';
import { TxDecoder, type SignedTx } from '../../src/execution/tx.js';
import { Mempool, type AccountView, type MempoolLimits } from '../../src/mempool/mempool.js';
import { CHAIN_ID, signTx, TO, type Fields } from '../execution/helpers.js';

export const GWEI = 1_000_000_000n;
export const ETM = 10n ** 18n;
/** The default chain's base fee floor and block gas limit. */
export const FLOOR = GWEI;
export const BLOCK_GAS = 150_000_000n;

/** Head state of accounts: nonce, spendable balance and (never spendable) locked funds. */
export class Accounts implements AccountView {
  private readonly map = new Map<string, { nonce: bigint; balance: bigint; locked: bigint }>();

  set(address: Uint8Array, a: { nonce?: bigint; balance?: bigint; locked?: bigint }): this {
    const old = this.map.get(toHex(address)) ?? { nonce: 0n, balance: 0n, locked: 0n };
    this.map.set(toHex(address), { ...old, ...a });
    return this;
  }

  nonce(address: Uint8Array): bigint {
    return this.map.get(toHex(address))?.nonce ?? 0n;
  }

  spendable(address: Uint8Array): bigint {
    return this.map.get(toHex(address))?.balance ?? 0n;
  }
}

/** A distinct 20-byte address for small `i`. */
export function addr(i: number): Uint8Array {
  return concatBytes(new Uint8Array(16).fill(0xa0), bigintToFixed(BigInt(i), 4));
}

export interface FakeFields {
  sender?: Uint8Array;
  nonce?: bigint;
  /** maxFeePerGas (default 3 gwei). */
  fee?: bigint;
  /** maxPriorityFeePerGas (default 1 gwei). */
  tip?: bigint;
  gasLimit?: bigint;
  value?: bigint;
  to?: Uint8Array | null;
  data?: Uint8Array;
  /** Length of `raw` (default 110, about an EIP-1559 transfer). */
  size?: number;
  /** Distinguishes otherwise equal transactions (different hash). */
  salt?: number;
}

let counter = 0;

/**
 * A synthetic EIP-1559 transaction: the pool reads only the fields below and `raw.length`, so no
 * signature is needed. Every call gives a new hash unless `salt` repeats the same fields.
 */
export function fakeTx(f: FakeFields = {}): SignedTx {
  const sender = f.sender ?? addr(1);
  const nonce = f.nonce ?? 0n;
  const fee = f.fee ?? 3n * GWEI;
  const tip = f.tip ?? GWEI;
  const salt = f.salt ?? ++counter;
  const raw = new Uint8Array(f.size ?? 110);
  const id = concatBytes(
    sender,
    bigintToFixed(nonce, 32),
    bigintToFixed(fee, 32),
    bigintToFixed(tip, 32),
    bigintToFixed(BigInt(salt), 8),
    bigintToFixed(BigInt(raw.length), 8),
  );
  raw.set(id.subarray(0, raw.length));
  const hash = keccak256(id);
  return {
    raw,
    hash,
    hashHex: toHex(hash),
    type: 2,
    chainId: CHAIN_ID,
    nonce,
    gasLimit: f.gasLimit ?? 21_000n,
    to: f.to === undefined ? TO : f.to,
    value: f.value ?? 1n,
    data: f.data ?? new Uint8Array(0),
    accessList: [],
    gasPrice: null,
    maxFeePerGas: fee,
    maxPriorityFeePerGas: tip,
    v: 0n,
    r: 1n,
    s: 1n,
    yParity: 0,
    sender,
  };
}

export const decoder = new TxDecoder({ chainId: CHAIN_ID });

/** A private key for small `i` (i ≥ 1), and its address. */
export function key(i: number): Uint8Array {
  return new Uint8Array(32).fill(i);
}
export function keyAddress(i: number): Uint8Array {
  return addressOf(key(i));
}

/** A real signed transaction, decoded as the node decodes network input. */
export function signed(type: 0 | 1 | 2, f: Fields = {}, keyIndex = 0x11): SignedTx {
  return decoder.decode(signTx(type, f, { key: key(keyIndex) }).raw);
}

export function pool(limits: Partial<MempoolLimits> = {}, blockGasLimit = BLOCK_GAS): Mempool {
  return new Mempool({ minBaseFee: FLOOR, blockGasLimit, limits });
}

/** Runs `fn`, expects a TxError with `code` and a message matching `message`; returns it. */
export function expectTxError(fn: () => unknown, code: TxErrorCode, message: RegExp): TxError {
  let err: unknown;
  try {
    fn();
  } catch (e) {
    err = e;
  }
  expect(err, `expected TxError ${code}`).toBeInstanceOf(TxError);
  const e = err as TxError;
  expect(e.code).toBe(code);
  expect(e.message).toMatch(message);
  return e;
}

export function hexes(txs: readonly SignedTx[]): string[] {
  return txs.map((t) => toHex(t.hash));
}

/** The pool's transactions, sender by sender in nonce order (as `all()` promises). */
export function bySender(txs: readonly SignedTx[]): Map<string, SignedTx[]> {
  const out = new Map<string, SignedTx[]>();
  for (const t of txs) {
    const k = toHex(t.sender);
    out.set(k, [...(out.get(k) ?? []), t]);
  }
  return out;
}

export function sortedByHash(txs: readonly SignedTx[]): SignedTx[] {
  return [...txs].sort((a, b) => compareBytes(a.hash, b.hash));
}
