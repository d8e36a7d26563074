/** Chains on temporary directories, driven the way src/node drives them, for the chain tests. */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { encodeFunctionData } from 'viem';
import { blockHash, encodeBlock, type Block } from '../../src/chain/block.js';
import { Chain, type BuiltBlock } from '../../src/chain/chain.js';
import { parseGenesis, type Genesis } from '../../src/chain/genesis.js';
import { ETM } from '../../src/params/registry.js';
import { ChainStore } from '../../src/chain/store.js';
import { secp256k1Recover } from '../../src/consensus/crypto.js';
import { commitSealDigest } from '../../src/consensus/messages.js';
import type { CommitSeal } from '../../src/consensus/types.js';
import { toChecksumAddress } from '../../src/crypto/address.js';
import { fromHex, toHex } from '../../src/crypto/bytes.js';
import { addressOf, sign } from '../../src/crypto/secp256k1.js';
import { STAKING_ADDRESS } from '../../src/primitives/system-addresses.js';
import { TxDecoder, type SignedTx } from '../../src/execution/tx.js';
import { STAKING_ABI } from '../../src/staking/abi.js';
import { signTx } from '../execution/helpers.js';

export const CHAIN_ID = 4543565n;
export const GENESIS_TIME = 1_700_000_000n;
/** The injected clock of every test chain (ms): well after genesis. */
export const NOW_MS = 1_800_000_000_000;

/** Consensus keys of the four genesis validators, in proposer order. */
export const VALIDATOR_KEYS = [1, 2, 3, 4].map((i) => new Uint8Array(32).fill(i));
export const VALIDATORS = VALIDATOR_KEYS.map(addressOf);
/** Funded user accounts. */
export const USER_KEYS = [0x11, 0x12, 0x13].map((i) => new Uint8Array(32).fill(i));
export const USERS = USER_KEYS.map(addressOf);
export const USER_BALANCE = 1_000_000n * ETM;
/** An address no genesis entry mentions. */
export const STRANGER = fromHex('0x00000000000000000000000000000000000c0ffe');

/** A genesis document with four validators (no candidacies) and three funded users. */
export function genesisDoc(overrides: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    chainId: CHAIN_ID.toString(),
    timestamp: GENESIS_TIME.toString(),
    params: { blockTimeMs: '1000', epochBlocks: '4' },
    alloc: Object.fromEntries(
      USERS.map((a) => [toChecksumAddress(a), { balance: USER_BALANCE.toString() }]),
    ),
    validators: VALIDATORS.map(toChecksumAddress),
    ...overrides,
  };
}

export const GENESIS: Genesis = parseGenesis(genesisDoc());

/** Temporary directories, removed by `cleanup`. */
export class TempDirs {
  private readonly dirs: string[] = [];
  private readonly stores: ChainStore[] = [];

  make(prefix = 'etm-chain-'): string {
    const dir = mkdtempSync(join(tmpdir(), prefix));
    this.dirs.push(dir);
    return dir;
  }

  /** A store that `cleanup` closes (closing twice is harmless). */
  store(dir: string): ChainStore {
    return this.adopt(new ChainStore(dir));
  }

  /** Closes `store` at cleanup. */
  adopt(store: ChainStore): ChainStore {
    this.stores.push(store);
    return store;
  }

  async cleanup(): Promise<void> {
    for (const s of this.stores.splice(0)) await s.close();
    for (const d of this.dirs.splice(0)) rmSync(d, { recursive: true, force: true });
  }
}

export function openChain(
  store: ChainStore,
  genesis: Genesis = GENESIS,
  now: () => number = () => NOW_MS,
  genesisChunkAccounts?: number,
): Chain {
  return new Chain({
    store,
    genesis,
    decoder: new TxDecoder({
      chainId: genesis.chainId,
      maxTxBytes: Number(genesis.params.maxTxBytes),
    }),
    recover: secp256k1Recover,
    now,
    genesisChunkAccounts,
  });
}

/** A new chain on a new directory. */
export function newChain(t: TempDirs, genesis: Genesis = GENESIS, now?: () => number): Chain {
  return openChain(t.store(t.make()), genesis, now);
}

/** The round-0 proposer of the next height: order[h mod K]. */
export function nextProposer(c: Chain): Uint8Array {
  const h = c.headNumber + 1n;
  const set = c.validatorsAt(h);
  return set[Number(h % BigInt(set.length))]!;
}

const decoder = new TxDecoder({ chainId: CHAIN_ID });

/** A signed EIP-1559 transfer. */
export function transfer(
  user: number,
  nonce: bigint,
  to: Uint8Array,
  value: bigint,
  chainId: bigint = CHAIN_ID,
): SignedTx {
  const { raw } = signTx(2, { chainId, nonce, to, value }, { key: USER_KEYS[user]! });
  return chainId === CHAIN_ID ? decoder.decode(raw) : new TxDecoder({ chainId }).decode(raw);
}

/** A staking `lock(amount, none)` call: it emits logs, so its block has a non-empty bloom. */
export function stakingLock(user: number, nonce: bigint, amount: bigint): SignedTx {
  const data = fromHex(
    encodeFunctionData({
      abi: STAKING_ABI,
      functionName: 'lock',
      args: [amount, toHex(new Uint8Array(20))],
    }),
  );
  const { raw } = signTx(
    2,
    { nonce, to: STAKING_ADDRESS, value: 0n, data, gasLimit: 200_000n },
    { key: USER_KEYS[user]! },
  );
  return decoder.decode(raw);
}

/** Builds the next block as its round-0 proposer would (or as `coinbase`). */
export async function buildNext(
  c: Chain,
  txs: SignedTx[] = [],
  coinbase?: Uint8Array,
): Promise<BuiltBlock> {
  return await c.buildBlock(coinbase ?? nextProposer(c), txs);
}

/** Commit seals over a block for `round`, signed with the given consensus keys. */
export function sealsFor(
  block: Block,
  round: number,
  keys: Uint8Array[] = VALIDATOR_KEYS,
): CommitSeal[] {
  const digest = commitSealDigest(CHAIN_ID, blockHash(block), round);
  return keys.map((k) => ({ validator: addressOf(k), signature: sign(digest, k) }));
}

/** The block as a peer serves it: with round and commit seals in its extraData. */
export function sealedBytes(block: Block, round: number, seals: Uint8Array[]): Uint8Array {
  return encodeBlock({
    ...block,
    header: { ...block.header, extra: { ...block.header.extra, round, commitSeals: seals } },
  });
}

/** Builds the next block and commits it with three of the four validators' seals. */
export async function commitNext(c: Chain, txs: SignedTx[] = []): Promise<Block> {
  const built = await buildNext(c, txs);
  if (built.skipped.length > 0) throw new Error(`skipped: ${built.skipped[0]!.error.message}`);
  return await c.commitDecided(
    built.bytes,
    0,
    sealsFor(built.block, 0, VALIDATOR_KEYS.slice(0, 3)),
  );
}

/** The transactions of block `height` in a deterministic workload (applied from block 1 on). */
export function workload(height: bigint): SignedTx[] {
  const n = (height - 1n) * 2n;
  const txs = [
    transfer(0, n, USERS[1]!, 1000n + height),
    transfer(0, n + 1n, STRANGER, height),
    transfer(1, height - 1n, USERS[2]!, ETM),
  ];
  if (height % 3n === 0n) txs.push(stakingLock(2, height / 3n - 1n, ETM));
  return txs;
}
