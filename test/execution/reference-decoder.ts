/**
 * The reference decoder for the property tests: TxDecoder as it was when every transaction went
 * through @ethereumjs/tx (object construction for field validation, its signing hash and its
 * re-serialisation for the canonical check). The same refusals in the same order, so the fast
 * decoder must agree with it on every input: same fields and sender, or the same TxError code.
 */
import { createCustomCommon, Hardfork, Mainnet, type Common } from '@ethereumjs/common';
import {
  create1559FeeMarketTxFromBytesArray,
  createAccessList2930TxFromBytesArray,
  createLegacyTxFromBytesArray,
  type AccessList2930Tx,
  type FeeMarket1559Tx,
  type LegacyTx,
  type TxValuesArray,
} from '@ethereumjs/tx';
import { bigintToFixed, equalBytes, toHex } from '../../src/crypto/bytes.js';
import { keccak256 } from '../../src/crypto/keccak.js';
import {
  recoverAddress,
  SECP256K1_HALF_N,
  SECP256K1_N,
  SignatureError,
} from '../../src/crypto/secp256k1.js';
import { asUint, DecodeError, rlpDecode, type RlpItem } from '../../src/codec/rlp.js';
import { TxError } from '../../src/execution/errors.js';
import {
  DEFAULT_MAX_TX_BYTES,
  type AccessListEntry,
  type SignedTx,
} from '../../src/execution/tx.js';

/** Number of RLP items of a signed transaction, by type. */
const SIGNED_FIELDS = { 0: 9, 1: 11, 2: 12 } as const;

type ParsedTx = LegacyTx | AccessList2930Tx | FeeMarket1559Tx;

/** What the reference decodes: the transaction and the digest @ethereumjs/tx says was signed. */
export interface Reference {
  tx: SignedTx;
  signingHash: Uint8Array;
}

export class ReferenceDecoder {
  readonly chainId: bigint;
  readonly maxTxBytes: number;
  private readonly common: Common;

  constructor(opts: { chainId: bigint; maxTxBytes?: number }) {
    this.chainId = opts.chainId;
    this.maxTxBytes = opts.maxTxBytes ?? DEFAULT_MAX_TX_BYTES;
    // Prague: EIP-155, 2930, 1559 and 3860 active; not Osaka, whose per-transaction gas cap
    // (EIP-7825) is not part of this chain's rules.
    this.common = createCustomCommon({ chainId: opts.chainId.toString() }, Mainnet, {
      hardfork: Hardfork.Prague,
    });
  }

  decode(input: Uint8Array): Reference {
    if (!(input instanceof Uint8Array)) throw malformed('expected bytes');
    if (input.length > this.maxTxBytes) {
      throw new TxError(
        'oversized',
        `oversized transaction: ${input.length} bytes, limit ${this.maxTxBytes}`,
      );
    }
    if (input.length === 0) throw malformed('empty input');
    const hash = keccak256(input);
    // Own copy: every decoded field is a view into it, safe from the caller reusing its buffer.
    const raw = input.slice();
    const first = raw[0]!;
    let type: 0 | 1 | 2;
    if (first >= 0xc0) type = 0;
    else if (first === 1 || first === 2) type = first;
    else if (first < 0x80) throw malformed(`unsupported transaction type ${first}`);
    else throw malformed('not an RLP list');

    let item: RlpItem;
    try {
      item = rlpDecode(type === 0 ? raw : raw.subarray(1));
    } catch (e) {
      throw malformed((e as Error).message);
    }
    if (!Array.isArray(item)) throw malformed('not an RLP list');
    if (item.length !== SIGNED_FIELDS[type]) {
      throw malformed(
        `type ${type} transaction needs ${SIGNED_FIELDS[type]} fields, got ${item.length}`,
      );
    }

    const recid = this.checkReplayProtection(type, item);
    const accessList = type === 0 ? [] : accessListOf(item[type === 1 ? 7 : 8]);
    const r = uint(item[item.length - 2], 'r');
    const s = uint(item[item.length - 1], 's');
    if (r === 0n || r >= SECP256K1_N || s === 0n || s >= SECP256K1_N) {
      throw new TxError('bad-signature', 'invalid transaction signature: r or s out of range');
    }
    if (s > SECP256K1_HALF_N) {
      throw new TxError(
        'bad-signature',
        'invalid transaction signature: s above secp256k1n/2 (EIP-2)',
      );
    }
    if (type === 2) {
      const tip = uint(item[2], 'maxPriorityFeePerGas');
      const cap = uint(item[3], 'maxFeePerGas');
      if (tip > cap) {
        throw new TxError(
          'tip-above-fee-cap',
          `max priority fee per gas higher than max fee per gas: maxPriorityFeePerGas ${tip}, maxFeePerGas ${cap}`,
        );
      }
    }

    let tx: ParsedTx;
    try {
      tx = this.parse(type, item);
    } catch (e) {
      throw malformed((e as Error).message);
    }
    // Re-encoding must give back the input: one transaction, one encoding, one hash.
    if (!equalBytes(tx.serialize(), raw)) throw malformed('non-canonical encoding');

    const sender = this.sender(tx, r, s, recid);
    const legacyPrice = type === 2 ? null : (tx as LegacyTx | AccessList2930Tx).gasPrice;
    const fee = tx as FeeMarket1559Tx;
    const decoded: SignedTx = {
      raw,
      hash,
      hashHex: toHex(hash),
      type,
      chainId: this.chainId,
      nonce: tx.nonce,
      gasLimit: tx.gasLimit,
      to: tx.to === undefined ? null : tx.to.bytes,
      value: tx.value,
      data: tx.data,
      accessList,
      gasPrice: legacyPrice,
      maxFeePerGas: legacyPrice ?? fee.maxFeePerGas,
      maxPriorityFeePerGas: legacyPrice ?? fee.maxPriorityFeePerGas,
      v: tx.v ?? BigInt(recid),
      r,
      s,
      yParity: type === 0 ? null : (recid as 0 | 1),
      sender,
    };
    return { tx: decoded, signingHash: tx.getHashedMessageToSign() };
  }

  /** Checks the chain id (EIP-155 `v` or the typed field) and returns the recovery id. */
  private checkReplayProtection(type: 0 | 1 | 2, item: RlpItem[]): 0 | 1 {
    if (type === 0) {
      const v = uint(item[6], 'v');
      if (v === 27n || v === 28n) {
        throw new TxError(
          'unprotected',
          `only replay-protected (EIP-155) transactions allowed: v ${v} carries no chain id, expected chain id ${this.chainId}`,
        );
      }
      if (v < 35n) throw new TxError('bad-signature', `invalid transaction v value ${v}`);
      const chainId = (v - 35n) / 2n;
      if (chainId !== this.chainId) throw wrongChain(this.chainId, chainId);
      return Number((v - 35n) % 2n) as 0 | 1;
    }
    const chainId = uint(item[0], 'chainId');
    if (chainId !== this.chainId) throw wrongChain(this.chainId, chainId);
    const yParity = uint(item[type === 1 ? 8 : 9], 'yParity');
    if (yParity > 1n) throw new TxError('bad-signature', `invalid transaction yParity ${yParity}`);
    return Number(yParity) as 0 | 1;
  }

  private parse(type: 0 | 1 | 2, item: RlpItem[]): ParsedTx {
    const opts = { common: this.common };
    if (type === 0) return createLegacyTxFromBytesArray(item as TxValuesArray[0], opts);
    if (type === 1)
      return createAccessList2930TxFromBytesArray(item as unknown as TxValuesArray[1], opts);
    return create1559FeeMarketTxFromBytesArray(item as unknown as TxValuesArray[2], opts);
  }

  private sender(tx: ParsedTx, r: bigint, s: bigint, recid: 0 | 1): Uint8Array {
    const sig = new Uint8Array(65);
    sig.set(bigintToFixed(r, 32), 0);
    sig.set(bigintToFixed(s, 32), 32);
    sig[64] = recid;
    try {
      const sender = recoverAddress(tx.getHashedMessageToSign(), sig).slice();
      return sender;
    } catch (e) {
      if (e instanceof SignatureError)
        throw new TxError('bad-signature', `invalid transaction signature: ${e.message}`);
      throw e;
    }
  }
}

function malformed(why: string): TxError {
  return new TxError('malformed', `malformed transaction: ${why}`);
}

function wrongChain(expected: bigint, got: bigint): TxError {
  return new TxError('wrong-chain-id', `invalid chain id: expected ${expected}, got ${got}`);
}

function uint(item: RlpItem | undefined, what: string): bigint {
  try {
    return asUint(item, what);
  } catch (e) {
    if (e instanceof DecodeError) throw malformed(e.message);
    throw e;
  }
}

/** The access list as decoded RLP; its shape is checked here, strictly (ethereumjs is lenient). */
function accessListOf(item: RlpItem | undefined): AccessListEntry[] {
  if (!Array.isArray(item)) throw malformed('access list: expected a list');
  return item.map((entry) => {
    if (!Array.isArray(entry) || entry.length !== 2)
      throw malformed('access list entry: expected [address, keys]');
    const [address, keys] = entry;
    if (!(address instanceof Uint8Array) || address.length !== 20)
      throw malformed('access list address: expected 20 bytes');
    if (!Array.isArray(keys)) throw malformed('access list storage keys: expected a list');
    const storageKeys = keys.map((k) => {
      if (!(k instanceof Uint8Array) || k.length !== 32)
        throw malformed('access list storage key: expected 32 bytes');
      return k;
    });
    return { address, storageKeys };
  });
}
