/**
 * Block validity (docs/node.md, "Blocks"; docs/architecture.md, "Block validation"): a block
 * built by one chain is accepted by another, and the same block with any one field broken is
 * refused with a BlockError whose code names the rule.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { blockHash, encodeBlock, type Block } from '../../src/chain/block.js';
import { Chain } from '../../src/chain/chain.js';
import { secp256k1Recover } from '../../src/consensus/crypto.js';
import { RecoveryPool } from '../../src/crypto/recovery-pool.js';
import { BlockError, type BlockErrorCode } from '../../src/primitives/block-error.js';
import { TxError, type TxErrorCode } from '../../src/execution/errors.js';
import { parseGenesis } from '../../src/chain/genesis.js';
import { headerFieldsForBlock } from '../../src/chain/header.js';
import { ETM } from '../../src/params/registry.js';
import { rlpEncode, type RlpInput } from '../../src/codec/rlp.js';
import { encodeExtraData } from '../../src/consensus/extra-data.js';
import { concatBytes, equalBytes, toHex } from '../../src/crypto/bytes.js';
import { keccak256 } from '../../src/crypto/keccak.js';
import { mixReveal } from '../../src/election/randao.js';
import { DAO_TREASURY } from '../../src/primitives/system-addresses.js';
import { TxDecoder, type SignedTx } from '../../src/execution/tx.js';
import { orderedTrieRoot } from '../../src/state/stack-trie.js';
import { signTx } from '../execution/helpers.js';
import {
  buildNext,
  CHAIN_ID,
  commitNext,
  genesisDoc,
  GENESIS,
  newChain,
  NOW_MS,
  sealedBytes,
  sealsFor,
  stakingLock,
  STRANGER,
  TempDirs,
  transfer,
  USER_BALANCE,
  USER_KEYS,
  USERS,
  VALIDATOR_KEYS,
  VALIDATORS,
} from './helpers.js';

const t = new TempDirs();
afterEach(() => t.cleanup());

const random32 = (seed: string) => keccak256(new TextEncoder().encode(seed));

/** The transactions of the block under test: transfers and a staking call that logs. */
function block2Txs(): SignedTx[] {
  return [
    transfer(0, 1n, USERS[1]!, 5n * ETM),
    stakingLock(2, 0n, 10n * ETM),
    transfer(1, 0n, STRANGER, 7n),
  ];
}

/**
 * Chain `a` commits block 1 and builds block 2; chain `b` has imported block 1 and has never
 * seen block 2, so it validates block 2 from its bytes alone.
 */
async function setup(): Promise<{ a: Chain; b: Chain; block: Block; bytes: Uint8Array }> {
  const a = newChain(t);
  const b = newChain(t);
  await commitNext(a, [transfer(0, 0n, USERS[1]!, ETM)]);
  await b.importSealed(a.blockBytesAt(1n)!);
  const built = await buildNext(a, block2Txs());
  expect(built.skipped).toEqual([]);
  expect(built.included).toHaveLength(3);
  return { a, b, block: built.block, bytes: built.bytes };
}

/** The block with `edit` applied to a copy, re-encoded. */
function tamper(block: Block, edit: (b: Block) => void): Uint8Array {
  const copy = structuredClone(block);
  edit(copy);
  return encodeBlock(copy);
}

/** A block encoding with header field `i` replaced by raw RLP input. */
function withHeaderField(block: Block, i: number, value: RlpInput): Uint8Array {
  const fields = headerFieldsForBlock(block.header) as RlpInput[];
  fields[i] = value;
  return rlpEncode([fields, block.transactions]);
}

/**
 * Expects `c` to refuse `bytes` with a BlockError of code `code` (or one of `code`), leaving the
 * head alone; returns the error.
 */
async function refuses(
  c: Chain,
  bytes: Uint8Array,
  code: BlockErrorCode | BlockErrorCode[],
  checkClock = true,
): Promise<BlockError> {
  const head = c.headHash;
  let error: unknown;
  try {
    await c.validateBlock(bytes, checkClock);
  } catch (e) {
    error = e;
  }
  expect(error, `accepted a block that breaks ${String(code)}`).toBeInstanceOf(BlockError);
  const codes = typeof code === 'string' ? [code] : code;
  expect(codes).toContain((error as BlockError).code);
  expect(c.headHash).toEqual(head);
  return error as BlockError;
}

/** Expects `c` to refuse `bytes` because a transaction fails with TxError code `txCode`. */
async function refusesTx(c: Chain, bytes: Uint8Array, txCode: TxErrorCode): Promise<void> {
  const e = await refuses(c, bytes, 'exec.tx-failed');
  expect(e.cause).toBeInstanceOf(TxError);
  expect((e.cause as TxError).code).toBe(txCode);
}

describe('valid blocks', () => {
  it('a block built with transactions is accepted by another chain and gives the same state', async () => {
    const { a, b, block, bytes } = await setup();
    expect(block.header.number).toBe(2n);
    expect(block.header.parentHash).toEqual(a.headHash);
    expect(block.transactions).toHaveLength(3);
    expect(block.header.logsBloom.some((x) => x !== 0)).toBe(true);
    expect(block.header.gasUsed).toBeGreaterThan(3n * 21_000n);
    const executed = await b.validateBlock(bytes);
    expect(executed.stateRoot).toEqual(block.header.stateRoot);
    expect(executed.hash).toEqual(blockHash(block));
    expect(b.headNumber).toBe(1n); // validation does not commit
    const sealedA = await a.commitDecided(bytes, 0, sealsFor(block, 0, VALIDATOR_KEYS.slice(0, 3)));
    const sealedB = await b.commitDecided(bytes, 1, sealsFor(block, 1, VALIDATOR_KEYS.slice(1)));
    expect(a.headHash).toEqual(b.headHash);
    expect(a.head.header.stateRoot).toEqual(b.head.header.stateRoot);
    // The seals and round differ; the block hash does not.
    expect(sealedA.header.extra.round).toBe(0);
    expect(sealedB.header.extra.round).toBe(1);
    expect(blockHash(sealedA)).toEqual(blockHash(sealedB));
    // The transactions took effect.
    const state = b.headState();
    expect(state.getAccount(STRANGER).balance).toBe(7n);
    expect(state.getAccount(USERS[2]!).locked).toBe(10n * ETM);
    expect(state.getAccount(USERS[0]!).nonce).toBe(2n);
    expect(state.getAccount(DAO_TREASURY).balance).toBeGreaterThan(0n);
    const receipts = b.receiptsAt(2n);
    expect(receipts.map((r) => r.status)).toEqual([1, 1, 1]);
    expect(receipts[1]!.logs.length).toBeGreaterThan(0);
    expect(receipts[2]!.cumulativeGasUsed).toBe(block.header.gasUsed);
    expect(b.store.txLocation(keccak256(block.transactions[1]!))).toEqual({ number: 2n, index: 1 });
  });

  it('recovers a proposal’s senders together through `prefetch`, after its header checks', async () => {
    const { a, block, bytes } = await setup();
    const decoder = new TxDecoder({ chainId: CHAIN_ID });
    const pool = new RecoveryPool({ workers: 1, minBatch: 1 });
    const batches: number[] = [];
    const c = new Chain({
      store: t.store(t.make()),
      genesis: GENESIS,
      decoder,
      recover: secp256k1Recover,
      now: () => NOW_MS,
      prefetch: async (raws) => {
        batches.push(raws.length);
        await decoder.prefetch(raws, pool);
      },
    });
    try {
      await c.importSealed(a.blockBytesAt(1n)!);
      batches.length = 0;
      // A proposal whose header fails is refused before any recovery.
      await refuses(
        c,
        tamper(block, (x) => (x.header.coinbase = STRANGER)),
        'header.coinbase-not-proposer',
      );
      expect(batches).toEqual([]);
      const before = decoder.stats();
      expect((await c.validateBlock(bytes)).stateRoot).toEqual(block.header.stateRoot);
      expect(batches).toEqual([3]);
      const after = decoder.stats();
      // Recovered in the batch, then found decoded: none recovered one by one.
      expect(after.recoveries - before.recoveries).toBe(3);
      expect(after.cacheHits - before.cacheHits).toBe(3);
    } finally {
      await pool.close();
    }
  });

  it('accepts a block built for a later round by that round’s proposer, whatever the round', async () => {
    const { a, b } = await setup();
    // Round 0 of height 2 belongs to VALIDATORS[2]; round 2 (and 6, 2^40 + 2, …) to VALIDATORS[0].
    for (const round of [2, 6, 2 ** 40 + 2]) {
      const built = await a.buildBlock(VALIDATORS[0]!, block2Txs(), undefined, round);
      expect(built.block.header.coinbase).toEqual(VALIDATORS[0]);
      expect(built.block.header.extra.proposalRound).toBe(round);
      expect((await b.validateBlock(built.bytes)).stateRoot).toEqual(built.block.header.stateRoot);
    }
  });

  it('the builder skips transactions that cannot be included, and says why', async () => {
    const { a, b } = await setup();
    const otherChain = (() => {
      const { raw } = signTx(2, { chainId: 99n, nonce: 1n }, { key: USER_KEYS[0]! });
      return new TxDecoder({ chainId: 99n }).decode(raw);
    })();
    const built = await buildNext(a, [
      transfer(0, 5n, USERS[1]!, 1n), // nonce gap
      transfer(0, 1n, USERS[1]!, 1n),
      transfer(1, 0n, USERS[2]!, USER_BALANCE * 2n), // more than the balance
      otherChain,
      transfer(0, 1n, USERS[2]!, 1n), // the same nonce again
    ]);
    expect(built.included).toHaveLength(1);
    expect(built.skipped.map((s) => s.error.code)).toEqual([
      'nonce-too-high',
      'insufficient-funds',
      'wrong-chain-id',
      'nonce-too-low',
    ]);
    expect((await b.validateBlock(built.bytes)).stateRoot).toEqual(built.block.header.stateRoot);
  });

  it('keeps a block within maxBlockBytes, and refuses a larger one', async () => {
    const small = parseGenesis(
      genesisDoc({ params: { blockTimeMs: '1000', epochBlocks: '4', maxBlockBytes: '65536' } }),
    );
    const a = newChain(t, small);
    const b = newChain(t, small);
    const data = new Uint8Array(1500).fill(1);
    const txs = Array.from({ length: 60 }, (_, i) => {
      const { raw } = signTx(
        2,
        { nonce: BigInt(i), to: STRANGER, value: 1n, data, gasLimit: 100_000n },
        { key: USER_KEYS[0]! },
      );
      return new TxDecoder({ chainId: CHAIN_ID }).decode(raw);
    });
    const built = await buildNext(a, txs);
    expect(built.included.length).toBeLessThan(60);
    expect(built.included.length).toBeGreaterThan(30);
    expect(built.bytes.length).toBeLessThanOrEqual(65536);
    expect((await b.validateBlock(built.bytes)).stateRoot).toEqual(built.block.header.stateRoot);
    // Rule: an encoded block larger than maxBlockBytes is refused before anything else.
    const oversize = tamper(built.block, (x) => {
      x.transactions = txs.map((tx) => tx.raw);
    });
    expect(oversize.length).toBeGreaterThan(65536);
    await refuses(b, oversize, 'block.too-large');
    await refuses(b, new Uint8Array(65537), 'block.too-large');
  });
});

describe('rule 1: number and parent', () => {
  it('refuses a wrong number or a parent that is not the head', async () => {
    const { b, block } = await setup();
    await refuses(
      b,
      tamper(block, (x) => (x.header.number = 3n)),
      'header.number',
    );
    await refuses(
      b,
      tamper(block, (x) => (x.header.number = 1n)),
      'header.number',
    );
    await refuses(
      b,
      tamper(block, (x) => (x.header.number = 0n)),
      'header.number',
    );
    await refuses(
      b,
      tamper(block, (x) => (x.header.parentHash = random32('p'))),
      'header.parent-hash',
    );
    // Block 1's own parent (genesis) is not the head either.
    await refuses(
      b,
      tamper(block, (x) => (x.header.parentHash = b.genesisHash)),
      'header.parent-hash',
    );
  });

  it('refuses block 1 again once it is committed', async () => {
    const { b, a } = await setup();
    await refuses(b, a.blockBytesAt(1n)!, 'header.number');
  });
});

describe('rule 2: timestamps', () => {
  it('needs at least one block time after the parent', async () => {
    const { b, block } = await setup();
    const parentTs = b.head.header.timestamp;
    expect(block.header.timestamp).toBe(parentTs + 1n); // the earliest allowed
    await refuses(
      b,
      tamper(block, (x) => (x.header.timestamp = parentTs)),
      'header.timestamp-too-early',
    );
    await refuses(
      b,
      tamper(block, (x) => (x.header.timestamp = parentTs - 1n)),
      'header.timestamp-too-early',
    );
    await refuses(
      b,
      tamper(block, (x) => (x.header.timestamp = 0n)),
      'header.timestamp-too-early',
    );
    // Later is fine (the timestamp does not enter the state).
    const later = tamper(block, (x) => (x.header.timestamp = parentTs + 10n));
    expect((await b.validateBlock(later)).stateRoot).toEqual(block.header.stateRoot);
  });

  it('refuses a timestamp more than maxClockDrift ahead of the local clock', async () => {
    const { b, block } = await setup();
    const nowS = BigInt(NOW_MS) / 1000n;
    const drift = GENESIS.params.maxClockDriftSeconds;
    const atLimit = tamper(block, (x) => (x.header.timestamp = nowS + drift));
    expect((await b.validateBlock(atLimit)).stateRoot).toEqual(block.header.stateRoot);
    const beyond = tamper(block, (x) => (x.header.timestamp = nowS + drift + 1n));
    await refuses(b, beyond, 'header.timestamp-in-future');
    // A committed block is not judged by the local clock.
    await expect(b.validateBlock(beyond, false)).resolves.toBeDefined();
  });

  it('with a sub-second block time, allows the parent’s timestamp', async () => {
    const fast = parseGenesis(genesisDoc({ params: { blockTimeMs: '500', epochBlocks: '4' } }));
    const a = newChain(t, fast);
    const b = newChain(t, fast);
    const built = await buildNext(a);
    const same = tamper(built.block, (x) => (x.header.timestamp = b.head.header.timestamp));
    await expect(b.validateBlock(same)).resolves.toBeDefined();
    await refuses(
      b,
      tamper(built.block, (x) => (x.header.timestamp = b.head.header.timestamp - 1n)),
      'header.timestamp-too-early',
    );
  });
});

describe('rule 3: gas limit and base fee', () => {
  it('refuses any gas limit but blockGasLimit, and a wrong base fee', async () => {
    const { b, block } = await setup();
    await refuses(
      b,
      tamper(block, (x) => (x.header.gasLimit += 1n)),
      'header.gas-limit',
    );
    await refuses(
      b,
      tamper(block, (x) => (x.header.gasLimit -= 1n)),
      'header.gas-limit',
    );
    expect(block.header.baseFeePerGas).toBe(b.nextBaseFee());
    await refuses(
      b,
      tamper(block, (x) => (x.header.baseFeePerGas += 1n)),
      'header.base-fee',
    );
    await refuses(
      b,
      tamper(block, (x) => (x.header.baseFeePerGas = 0n)),
      'header.base-fee',
    );
  });

  it('refuses a header whose gas used exceeds its gas limit, before executing it', async () => {
    const { b, block } = await setup();
    await refuses(
      b,
      tamper(block, (x) => (x.header.gasUsed = x.header.gasLimit + 1n)),
      'header.gas-used-over-limit',
    );
    // At the limit it is only the execution's gas used that disagrees.
    await refuses(
      b,
      tamper(block, (x) => (x.header.gasUsed = x.header.gasLimit)),
      'exec.gas-used-mismatch',
    );
  });
});

describe('rule 4: coinbase', () => {
  it('refuses a coinbase that is not the proposer of the block’s height and proposal round', async () => {
    const { b, block } = await setup();
    await refuses(
      b,
      tamper(block, (x) => (x.header.coinbase = STRANGER)),
      'header.coinbase-not-proposer',
    );
    await refuses(
      b,
      tamper(block, (x) => (x.header.coinbase = USERS[0]!)),
      'header.coinbase-not-proposer',
    );
    // Another validator of the height, but not the proposer of round 0.
    await refuses(
      b,
      tamper(block, (x) => (x.header.coinbase = VALIDATORS[0]!)),
      'header.coinbase-not-proposer',
    );
    // The round-0 proposer's block claiming another round (to charge others missed turns).
    await refuses(
      b,
      tamper(block, (x) => (x.header.extra.proposalRound = 1)),
      'header.coinbase-not-proposer',
    );
  });

  it('a block is not committed in a round before the one it was built for', async () => {
    const { a, block } = await setup();
    // Round 4 of height 2 is VALIDATORS[2]'s again: a valid block built for round 4.
    const built = await a.buildBlock(block.header.coinbase, block2Txs(), undefined, 4);
    await expect(a.commitDecided(built.bytes, 3, sealsFor(built.block, 3))).rejects.toMatchObject({
      code: 'seal.round-before-proposal',
    });
    expect(a.headNumber).toBe(1n);
  });
});

describe('rule 5: the parent’s commit certificate', () => {
  it('is recorded as bitmap, round and seals, exactly the seals of the parent’s certificate', async () => {
    const { a, b, block } = await setup();
    // Block 1 was sealed by validators 0, 1 and 2 in round 0.
    const extra = block.header.extra;
    expect(toHex(extra.parentSealBitmap)).toBe('0x07');
    expect(extra.parentRound).toBe(0);
    expect(extra.parentSeals).toEqual(a.head.header.extra.commitSeals);
    const withBitmap = (bits: Uint8Array) =>
      tamper(block, (x) => (x.header.extra.parentSealBitmap = bits));
    await refuses(b, withBitmap(new Uint8Array(0)), 'header.parent-certificate');
    await refuses(b, withBitmap(Uint8Array.of(0x07, 0)), 'header.parent-certificate');
    await refuses(b, withBitmap(Uint8Array.of(0x13)), 'header.parent-certificate');
    await refuses(b, withBitmap(Uint8Array.of(0x87)), 'header.parent-certificate');
    // A bit without its seal, or a seal without its bit.
    await refuses(b, withBitmap(Uint8Array.of(0x0f)), 'header.parent-certificate');
    await refuses(b, withBitmap(Uint8Array.of(0x03)), 'header.parent-certificate');
    // Leaving a sealer out (to frame it for downtime) below q, or crediting a non-sealer.
    await refuses(
      b,
      tamper(block, (x) => {
        x.header.extra.parentSealBitmap = Uint8Array.of(0x05);
        x.header.extra.parentSeals = [extra.parentSeals[0]!, extra.parentSeals[2]!];
      }),
      'header.parent-certificate',
    );
    await refuses(
      b,
      tamper(block, (x) => (x.header.extra.parentSealBitmap = Uint8Array.of(0x0b))),
      'header.parent-certificate',
    );
    // Seals of another round, or seals in another order.
    await refuses(
      b,
      tamper(block, (x) => (x.header.extra.parentRound = 1)),
      'header.parent-certificate',
    );
    await refuses(
      b,
      tamper(block, (x) => x.header.extra.parentSeals.reverse()),
      'header.parent-certificate',
    );
  });

  it('records all the parent’s seals when there are more than q, in validator order', async () => {
    const a = newChain(t);
    const b = newChain(t);
    const built = await buildNext(a);
    // Sealed by all four in round 3, handed over in reverse order.
    const seals = sealsFor(built.block, 3).reverse();
    await a.commitDecided(built.bytes, 3, seals);
    await b.importSealed(a.blockBytesAt(1n)!);
    const next = (await buildNext(a)).block;
    expect(toHex(next.header.extra.parentSealBitmap)).toBe('0x0f');
    expect(next.header.extra.parentRound).toBe(3);
    expect(next.header.extra.parentSeals).toEqual([...seals].reverse().map((s) => s.signature));
    await expect(b.validateBlock(encodeBlock(next))).resolves.toBeDefined();
  });

  it('must be empty in block 1', async () => {
    const a = newChain(t);
    const b = newChain(t);
    const built = await buildNext(a);
    expect(built.block.header.extra.parentSealBitmap).toEqual(new Uint8Array(0));
    await refuses(
      b,
      tamper(built.block, (x) => (x.header.extra.parentSealBitmap = Uint8Array.of(0x0f))),
      'header.parent-certificate',
    );
  });
});

describe('rule 6: RANDAO and nextValidators', () => {
  it('refuses a wrong mix, a reveal from a validator without a candidacy, a stray set', async () => {
    const { b, block } = await setup();
    await refuses(
      b,
      tamper(block, (x) => (x.header.mixHash = random32('mix'))),
      'header.mix-hash',
    );
    const reveal = random32('reveal');
    await refuses(
      b,
      tamper(block, (x) => {
        x.header.extra.randaoReveal = reveal;
        x.header.mixHash = mixReveal(b.head.header.mixHash, reveal);
      }),
      'exec.randao-unexpected',
    );
    await refuses(
      b,
      tamper(block, (x) => (x.header.extra.nextValidators = [VALIDATORS[0]!])),
      'exec.validators-mismatch',
    );
  });

  it('needs the election result in the last block of an epoch', async () => {
    const a = newChain(t);
    const b = newChain(t);
    for (let i = 1; i <= 3; i++) await b.importSealed(encodeSealed(a, await commitNext(a)));
    const end = (await buildNext(a)).block;
    expect(end.header.number).toBe(4n); // epochBlocks = 4
    expect(end.header.extra.nextValidators).toEqual(VALIDATORS);
    await expect(b.validateBlock(encodeBlock(end))).resolves.toBeDefined();
    await refuses(
      b,
      tamper(end, (x) => (x.header.extra.nextValidators = [...VALIDATORS].reverse())),
      'exec.validators-mismatch',
    );
    await refuses(
      b,
      tamper(end, (x) => (x.header.extra.nextValidators = [])),
      'exec.validators-mismatch',
    );
  });
});

describe('rules 7 and 8: transactions', () => {
  it('refuses a transactions root that does not match the body', async () => {
    const { b, block } = await setup();
    await refuses(
      b,
      tamper(block, (x) => (x.header.transactionsRoot = random32('tx'))),
      'body.tx-root-mismatch',
    );
    // The body changed under the header.
    await refuses(
      b,
      tamper(block, (x) => x.transactions.pop()),
      'body.tx-root-mismatch',
    );
    await refuses(
      b,
      tamper(block, (x) => x.transactions.reverse()),
      'body.tx-root-mismatch',
    );
  });

  /** The block with its transactions replaced and the transactions root made to match. */
  const withTxs = (block: Block, txs: Uint8Array[]) =>
    tamper(block, (x) => {
      x.transactions = txs;
      x.header.transactionsRoot = orderedTrieRoot(txs);
    });

  it('refuses a transaction that does not decode, or is for another chain', async () => {
    const { b, block } = await setup();
    await refuses(
      b,
      withTxs(block, [Uint8Array.of(0x05, 0xc0), ...block.transactions]),
      'body.tx-invalid',
    );
    await refuses(b, withTxs(block, [Uint8Array.of(0xc0)]), 'body.tx-invalid');
    const tx = block.transactions[0]!;
    const flipped = concatBytes(
      tx.subarray(0, tx.length - 1),
      Uint8Array.of(tx[tx.length - 1]! ^ 1),
    );
    await refuses(b, withTxs(block, [flipped, ...block.transactions.slice(1)]), [
      'body.tx-invalid',
      'exec.tx-failed',
      'exec.state-root-mismatch',
    ]);
    const { raw } = signTx(2, { chainId: 99n }, { key: USER_KEYS[0]! });
    await refuses(b, withTxs(block, [raw]), 'body.tx-invalid');
    const unprotected = signTx(0, { nonce: 1n }, { key: USER_KEYS[0]!, legacyV: 'pre155' }).raw;
    await refuses(b, withTxs(block, [unprotected]), 'body.tx-invalid');
  });

  it('refuses a transaction larger than maxTxBytes before decoding it', async () => {
    const small = parseGenesis(
      genesisDoc({ params: { blockTimeMs: '1000', epochBlocks: '4', maxTxBytes: '1024' } }),
    );
    const a = newChain(t, small);
    const b = newChain(t, small);
    const built = await buildNext(a);
    const { raw } = signTx(
      2,
      { nonce: 0n, to: STRANGER, data: new Uint8Array(1100).fill(1), gasLimit: 100_000n },
      { key: USER_KEYS[0]! },
    );
    expect(raw.length).toBeGreaterThan(1024);
    const e = await refuses(b, withTxs(built.block, [raw]), 'body.tx-too-large');
    expect(e.message).toMatch(/transaction 0 has \d+ bytes/);
    // The builder leaves such a transaction out.
    const decoded = new TxDecoder({ chainId: CHAIN_ID }).decode(raw);
    expect((await buildNext(a, [decoded])).included).toEqual([]);
  });

  it('refuses a transaction that appears twice', async () => {
    const { b, block } = await setup();
    const txs = block.transactions;
    await refuses(b, withTxs(block, [txs[0]!, txs[0]!, ...txs.slice(1)]), 'body.tx-duplicate');
  });

  it('refuses transactions that fail to execute', async () => {
    const { b, block } = await setup();
    const txs = block.transactions;
    // The same sender's transactions out of nonce order.
    const late = transfer(0, 2n, USERS[1]!, 1n).raw;
    await refusesTx(b, withTxs(block, [late, ...txs]), 'nonce-too-high');
    await refusesTx(b, withTxs(block, [transfer(0, 0n, USERS[1]!, 1n).raw]), 'nonce-too-low');
    await refusesTx(
      b,
      withTxs(block, [transfer(1, 0n, USERS[2]!, USER_BALANCE * 2n).raw]),
      'insufficient-funds',
    );
    const { raw } = signTx(2, { nonce: 1n, gasLimit: 20_000n }, { key: USER_KEYS[0]! });
    await refusesTx(b, withTxs(block, [raw]), 'intrinsic-gas-too-low');
    const { raw: cheap } = signTx(
      2,
      { nonce: 1n, maxFeePerGas: 1n, maxPriorityFeePerGas: 1n },
      { key: USER_KEYS[0]! },
    );
    await refusesTx(b, withTxs(block, [cheap]), 'fee-cap-below-base-fee');
    const { raw: huge } = signTx(
      2,
      { nonce: 1n, gasLimit: GENESIS.params.blockGasLimit + 1n },
      { key: USER_KEYS[0]! },
    );
    await refusesTx(b, withTxs(block, [huge]), 'gas-limit-too-high');
  });
});

describe('rule 8: execution results', () => {
  it('refuses a header whose gas used, receipts root, bloom or state root is not the execution’s', async () => {
    const { b, block } = await setup();
    await refuses(
      b,
      tamper(block, (x) => (x.header.gasUsed += 1n)),
      'exec.gas-used-mismatch',
    );
    await refuses(
      b,
      tamper(block, (x) => (x.header.gasUsed = 0n)),
      'exec.gas-used-mismatch',
    );
    await refuses(
      b,
      tamper(block, (x) => (x.header.receiptsRoot = random32('r'))),
      'exec.receipts-root-mismatch',
    );
    await refuses(
      b,
      tamper(block, (x) => (x.header.logsBloom = new Uint8Array(256))),
      'exec.bloom-mismatch',
    );
    await refuses(
      b,
      tamper(block, (x) => (x.header.logsBloom[0]! ^= 0x80)),
      'exec.bloom-mismatch',
    );
    await refuses(
      b,
      tamper(block, (x) => (x.header.stateRoot = random32('s'))),
      'exec.state-root-mismatch',
    );
    // Nothing above touched the chain: the original is still accepted.
    expect((await b.validateBlock(encodeBlock(block))).stateRoot).toEqual(block.header.stateRoot);
  });
});

describe('malformed blocks and extraData', () => {
  it('refuses bytes that are not a block as malformed', async () => {
    const { b, block } = await setup();
    await refuses(b, new Uint8Array(0), 'block.malformed');
    await refuses(b, Uint8Array.of(0xc0), 'block.malformed');
    await refuses(b, random32('junk'), 'block.malformed');
    await refuses(b, concatBytes(encodeBlock(block), Uint8Array.of(0)), 'block.malformed');
    await refuses(b, withHeaderField(block, 7, 1n), 'block.malformed');
    await refuses(
      b,
      withHeaderField(block, 14, Uint8Array.of(0, 0, 0, 0, 0, 0, 0, 9)),
      'block.malformed',
    );
    await refuses(b, withHeaderField(block, 1, random32('o')), 'block.malformed');
  });

  it('refuses a bad extraData', async () => {
    const { b, block } = await setup();
    const extra = block.header.extra;
    await refuses(b, withHeaderField(block, 12, new Uint8Array(0)), 'block.malformed');
    await refuses(b, withHeaderField(block, 12, random32('x')), 'block.malformed');
    await refuses(
      b,
      withHeaderField(
        block,
        12,
        rlpEncode([extra.vanity, 0, [], extra.parentSealBitmap, new Uint8Array(0)]),
      ),
      'block.malformed',
    );
    await refuses(
      b,
      withHeaderField(
        block,
        12,
        rlpEncode([
          new Uint8Array(31),
          0,
          [],
          extra.parentSealBitmap,
          new Uint8Array(0),
          [],
          0,
          0,
          [],
        ]),
      ),
      'block.malformed',
    );
    await refuses(
      b,
      withHeaderField(
        block,
        12,
        rlpEncode([extra.vanity, 0, [], extra.parentSealBitmap, new Uint8Array(5), [], 0, 0, []]),
      ),
      'block.malformed',
    );
    await refuses(
      b,
      withHeaderField(
        block,
        12,
        rlpEncode([
          extra.vanity,
          0,
          [new Uint8Array(64)],
          extra.parentSealBitmap,
          new Uint8Array(0),
          [],
          0,
          0,
          [],
        ]),
      ),
      'block.malformed',
    );
    await refuses(
      b,
      withHeaderField(
        block,
        12,
        rlpEncode([extra.vanity, 0, [], new Uint8Array(129), new Uint8Array(0), [], 0, 0, []]),
      ),
      'block.malformed',
    );
    await refuses(
      b,
      withHeaderField(
        block,
        12,
        rlpEncode([
          extra.vanity,
          0,
          [],
          extra.parentSealBitmap,
          new Uint8Array(0),
          [new Uint8Array(19)],
          0,
          0,
          [],
        ]),
      ),
      'block.malformed',
    );
    // A well-formed extraData with another vanity is a different block, and a valid one.
    const vanity = encodeExtraData({ ...extra, vanity: random32('v') });
    await expect(b.validateBlock(withHeaderField(block, 12, vanity))).resolves.toBeDefined();
  });
});

describe('validation results are remembered only for the same block', () => {
  it('refuses a known header with another body, on the chain that built it', async () => {
    const { a, block } = await setup();
    // `a` built the block, so its header is known; the body below does not match it.
    await refuses(
      a,
      tamper(block, (x) => x.transactions.pop()),
      'body.tx-root-mismatch',
    );
    await refuses(
      a,
      tamper(block, (x) => (x.transactions = [])),
      'body.tx-root-mismatch',
    );
    await expect(a.validateBlock(encodeBlock(block))).resolves.toBeDefined();
  });

  it('refuses a known header with another body, after validating the original', async () => {
    const { b, block, bytes } = await setup();
    await b.validateBlock(bytes);
    await refuses(
      b,
      tamper(block, (x) => x.transactions.reverse()),
      'body.tx-root-mismatch',
    );
    // Nor can such a block be imported with valid seals over its (unchanged) header.
    const forged = { ...block, transactions: block.transactions.slice(0, 1) };
    const sealed = sealedBytes(
      forged,
      0,
      sealsFor(block, 0).map((s) => s.signature),
    );
    await expect(b.importSealed(sealed)).rejects.toMatchObject({ code: 'body.tx-root-mismatch' });
    expect(b.headNumber).toBe(1n);
    await b.importSealed(
      sealedBytes(
        block,
        0,
        sealsFor(block, 0).map((s) => s.signature),
      ),
    );
    expect(b.headNumber).toBe(2n);
    expect(b.blockAt(2n)!.transactions).toEqual(block.transactions);
  });
});

/** The stored, sealed encoding of a committed block. */
function encodeSealed(c: Chain, block: Block): Uint8Array {
  const bytes = c.blockBytesAt(block.header.number)!;
  expect(equalBytes(bytes, encodeBlock(block))).toBe(true);
  return bytes;
}
