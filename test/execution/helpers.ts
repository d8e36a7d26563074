/** Hand-built signed transactions, for encodings no wallet library will produce. */
import { bigintToBytes, bytesToBigint, concatBytes } from '../../src/crypto/bytes.js';
import { keccak256 } from '../../src/crypto/keccak.js';
import { addressOf, sign } from '../../src/crypto/secp256k1.js';
import { rlpEncode, type RlpInput } from '../../src/codec/rlp.js';

export const CHAIN_ID = 4543565n;
export const KEY = new Uint8Array(32).fill(0x11);
export const SENDER = addressOf(KEY);
export const TO = new Uint8Array(20).fill(0x22);

export interface Fields {
  chainId?: bigint;
  nonce?: bigint;
  gasPrice?: bigint;
  maxPriorityFeePerGas?: bigint;
  maxFeePerGas?: bigint;
  gasLimit?: bigint;
  to?: Uint8Array | null;
  value?: bigint;
  data?: Uint8Array;
  accessList?: RlpInput[];
}

const n = (x: bigint): Uint8Array => bigintToBytes(x);

/** Unsigned payload items of a transaction of `type`. */
function payload(type: 0 | 1 | 2, f: Fields): RlpInput[] {
  const to = f.to === undefined ? TO : (f.to ?? new Uint8Array(0));
  const common = [n(f.gasLimit ?? 21000n), to, n(f.value ?? 1n), f.data ?? new Uint8Array(0)];
  if (type === 0) return [n(f.nonce ?? 0n), n(f.gasPrice ?? 2_000_000_000n), ...common];
  if (type === 1) {
    return [
      n(f.chainId ?? CHAIN_ID),
      n(f.nonce ?? 0n),
      n(f.gasPrice ?? 2_000_000_000n),
      ...common,
      f.accessList ?? [],
    ];
  }
  return [
    n(f.chainId ?? CHAIN_ID),
    n(f.nonce ?? 0n),
    n(f.maxPriorityFeePerGas ?? 1_000_000_000n),
    n(f.maxFeePerGas ?? 3_000_000_000n),
    ...common,
    f.accessList ?? [],
  ];
}

/** Signs like a wallet would (low s); `legacyV` 'eip155' or 'pre155' picks the legacy scheme. */
export function signTx(
  type: 0 | 1 | 2,
  f: Fields = {},
  opts: { key?: Uint8Array; legacyV?: 'eip155' | 'pre155' } = {},
): { raw: Uint8Array; items: RlpInput[] } {
  const key = opts.key ?? KEY;
  const items = payload(type, f);
  const chainId = f.chainId ?? CHAIN_ID;
  if (type === 0) {
    const pre = opts.legacyV === 'pre155';
    const digest = keccak256(rlpEncode(pre ? items : [...items, n(chainId), n(0n), n(0n)]));
    const sig = sign(digest, key);
    const v = pre ? 27n + BigInt(sig[64]!) : chainId * 2n + 35n + BigInt(sig[64]!);
    const signed = [
      ...items,
      n(v),
      n(bytesToBigint(sig.subarray(0, 32))),
      n(bytesToBigint(sig.subarray(32, 64))),
    ];
    return { raw: rlpEncode(signed), items: signed };
  }
  const digest = keccak256(concatBytes(Uint8Array.of(type), rlpEncode(items)));
  const sig = sign(digest, key);
  const signed = [
    ...items,
    n(BigInt(sig[64]!)),
    n(bytesToBigint(sig.subarray(0, 32))),
    n(bytesToBigint(sig.subarray(32, 64))),
  ];
  return { raw: concatBytes(Uint8Array.of(type), rlpEncode(signed)), items: signed };
}

/** Re-encodes signed items (after tampering) in the network form of `type`. */
export function encode(type: 0 | 1 | 2, items: RlpInput[]): Uint8Array {
  return type === 0 ? rlpEncode(items) : concatBytes(Uint8Array.of(type), rlpEncode(items));
}
