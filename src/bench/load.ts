/**
 * The load generator's material: many funded senders with deterministic keys, a genesis that
 * funds them, and EIP-1559 transfers signed ahead of time, so that signing never competes with
 * the node for the CPU while it is being measured.
 */
import { toChecksumAddress } from '../crypto/address.js';
import { bigintToBytes, bytesToBigint, concatBytes, toHex, uint64be } from '../crypto/bytes.js';
import { keccak256 } from '../crypto/keccak.js';
import { addressOf, isValidPrivateKey, sign } from '../crypto/secp256k1.js';
import { rlpEncode } from '../codec/rlp.js';
import { DEVNET_CHAIN_ID, parseGenesis, type Genesis } from '../chain/genesis.js';
import { ETM } from '../params/registry.js';

export interface Sender {
  key: Uint8Array;
  address: Uint8Array;
}

/** Sender i's key is keccak256("etm-bench" ‖ i): the same senders in every run. */
export function benchKey(i: number, domain = 'etm-bench'): Uint8Array {
  for (let salt = 0; ; salt++) {
    const key = keccak256(
      concatBytes(new TextEncoder().encode(domain), uint64be(i), uint64be(salt)),
    );
    if (isValidPrivateKey(key)) return key;
  }
}

export function makeSenders(count: number, domain?: string): Sender[] {
  return Array.from({ length: count }, (_, i) => {
    const key = benchKey(i, domain);
    return { key, address: addressOf(key) };
  });
}

export const SENDER_BALANCE = 1_000_000n * ETM;
/** A fee cap far above any base fee a run reaches, so no transaction waits for the fee to fall. */
const MAX_FEE_PER_GAS = 1_000_000_000_000n;
const PRIORITY_FEE_PER_GAS = 1_000_000_000n;

export interface BenchGenesisOptions {
  senders: Sender[];
  validatorKeys: Uint8Array[];
  blockTimeMs: number;
  /** Extra funded accounts (e.g. a million, for the memory scenario). */
  extraAccounts?: Uint8Array[];
  /** Parameters besides the block time and the epoch length (decimal strings). */
  params?: Record<string, string>;
}

/**
 * Genesis of a benchmark chain: the validators without candidacies (no RANDAO reveals to
 * prepare), epochs long enough that no election falls inside a run, every sender funded.
 */
export function benchGenesis(o: BenchGenesisOptions): Genesis {
  const alloc: Record<string, { balance: string }> = {};
  const balance = SENDER_BALANCE.toString();
  for (const s of o.senders) alloc[toHex(s.address)] = { balance };
  for (const a of o.extraAccounts ?? []) alloc[toHex(a)] = { balance: '1' };
  return parseGenesis({
    chainId: DEVNET_CHAIN_ID.toString(),
    timestamp: '1700000000',
    params: { blockTimeMs: String(o.blockTimeMs), epochBlocks: '1000000', ...o.params },
    alloc,
    validators: o.validatorKeys.map((k) => toChecksumAddress(addressOf(k))),
  });
}

export interface Transfer {
  raw: Uint8Array;
  /** keccak256(raw) as 0x-hex: the transaction hash the node reports. */
  hash: string;
}

const n = (x: bigint): Uint8Array => bigintToBytes(x);
const EMPTY = new Uint8Array(0);

/** A signed EIP-1559 transfer of `value` units (type 2, no access list). */
export function signTransfer(
  from: Sender,
  nonce: bigint,
  to: Uint8Array,
  value: bigint,
  chainId: bigint = DEVNET_CHAIN_ID,
): Transfer {
  return signCall(from, nonce, to, value, EMPTY, 21_000n, chainId);
}

/** A signed EIP-1559 transaction (type 2, no access list); `to` null creates a contract. */
export function signCall(
  from: Sender,
  nonce: bigint,
  to: Uint8Array | null,
  value: bigint,
  data: Uint8Array,
  gasLimit: bigint,
  chainId: bigint = DEVNET_CHAIN_ID,
): Transfer {
  const items = [
    n(chainId),
    n(nonce),
    n(PRIORITY_FEE_PER_GAS),
    n(MAX_FEE_PER_GAS),
    n(gasLimit),
    to ?? EMPTY,
    n(value),
    data,
    [],
  ];
  const digest = keccak256(rlpEncode(items, 2));
  const sig = sign(digest, from.key);
  const raw = concatBytes(
    Uint8Array.of(2),
    rlpEncode([
      ...items,
      n(BigInt(sig[64]!)),
      n(bytesToBigint(sig.subarray(0, 32))),
      n(bytesToBigint(sig.subarray(32, 64))),
    ]),
  );
  return { raw, hash: toHex(keccak256(raw)) };
}

/**
 * `count` transfers in submission order: round r gives every sender its nonce `firstNonce + r`,
 * each paying the next sender, so every account stays funded and nonces never gap.
 */
export function signTransfers(senders: Sender[], count: number, firstNonce = 0n): Transfer[] {
  const out: Transfer[] = new Array(count);
  for (let i = 0; i < count; i++) {
    const s = i % senders.length;
    const nonce = firstNonce + BigInt(Math.floor(i / senders.length));
    out[i] = signTransfer(senders[s]!, nonce, senders[(s + 1) % senders.length]!.address, 1n);
  }
  return out;
}
