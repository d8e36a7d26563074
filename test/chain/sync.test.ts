/**
 * Importing sealed blocks from peers: a certificate of q commit seals from distinct validators of
 * the height is required, and then every block rule still applies. Chains that import the same
 * blocks end with the same hashes, state roots and receipts.
 */
import fc from 'fast-check';
import { afterEach, describe, expect, it } from 'vitest';
import { blockHash, encodeBlock, type Block } from '../../src/chain/block.js';
import type { Chain } from '../../src/chain/chain.js';
import { BlockError, type BlockErrorCode } from '../../src/primitives/block-error.js';
import { parseGenesis } from '../../src/chain/genesis.js';
import { ETM } from '../../src/params/registry.js';
import { commitSealDigest } from '../../src/consensus/messages.js';
import { toHex } from '../../src/crypto/bytes.js';
import { keccak256 } from '../../src/crypto/keccak.js';
import { sign } from '../../src/crypto/secp256k1.js';
import {
  buildNext,
  CHAIN_ID,
  commitNext,
  genesisDoc,
  newChain,
  nextProposer,
  sealedBytes,
  sealsFor,
  STRANGER,
  TempDirs,
  transfer,
  USER_KEYS,
  USERS,
  VALIDATOR_KEYS,
  VALIDATORS,
  workload,
} from './helpers.js';

const t = new TempDirs();
afterEach(() => t.cleanup());

const sigs = (block: Block, round: number, keys: Uint8Array[]) =>
  sealsFor(block, round, keys).map((s) => s.signature);

/** Expects a BlockError of code `code` and the head unchanged. */
async function refusesImport(c: Chain, bytes: Uint8Array, code: BlockErrorCode): Promise<void> {
  const head = c.headHash;
  await expect(c.importSealed(bytes)).rejects.toThrow(BlockError);
  await expect(c.importSealed(bytes)).rejects.toMatchObject({ code });
  expect(c.headHash).toEqual(head);
}

/** A block 1 built by another chain, with transactions, not yet sealed. */
async function block1(): Promise<Block> {
  const a = newChain(t);
  const built = await buildNext(a, [
    transfer(0, 0n, USERS[1]!, ETM),
    transfer(1, 0n, STRANGER, 3n),
  ]);
  expect(built.included).toHaveLength(2);
  return built.block;
}

describe('commit certificates', () => {
  it('accepts q seals of distinct validators, in any round, and stores them', async () => {
    const block = await block1();
    for (const [round, keys] of [
      [0, VALIDATOR_KEYS.slice(0, 3)],
      [0, VALIDATOR_KEYS.slice(1)],
      [0, VALIDATOR_KEYS],
      [7, [VALIDATOR_KEYS[3]!, VALIDATOR_KEYS[0]!, VALIDATOR_KEYS[2]!]],
    ] as const) {
      const c = newChain(t);
      const bytes = sealedBytes(block, round, sigs(block, round, [...keys]));
      const imported = await c.importSealed(bytes);
      expect(c.headNumber).toBe(1n);
      expect(c.headHash).toEqual(blockHash(block));
      expect(imported.header.extra.round).toBe(round);
      expect(c.blockBytesAt(1n)).toEqual(bytes);
      expect(c.head.header.extra.commitSeals).toHaveLength(keys.length);
      // The next block records who sealed its parent.
      const next = (await buildNext(c)).block;
      const bits = keys.map((k) => VALIDATOR_KEYS.indexOf(k)).reduce((m, i) => m | (1 << i), 0);
      expect(next.header.extra.parentSealBitmap).toEqual(Uint8Array.of(bits));
    }
  });

  it('refuses too few seals, duplicates, and seals of non-validators', async () => {
    const block = await block1();
    const c = newChain(t);
    await refusesImport(c, sealedBytes(block, 0, []), 'seal.certificate');
    await refusesImport(
      c,
      sealedBytes(block, 0, sigs(block, 0, VALIDATOR_KEYS.slice(0, 2))),
      'seal.certificate',
    );
    const [s0, s1] = sigs(block, 0, VALIDATOR_KEYS.slice(0, 2));
    await refusesImport(c, sealedBytes(block, 0, [s0!, s1!, s0!]), 'seal.certificate');
    // A duplicate is refused even when q distinct seals are there as well.
    const all = sigs(block, 0, VALIDATOR_KEYS);
    await refusesImport(c, sealedBytes(block, 0, [...all, all[0]!]), 'seal.certificate');
    const outsider = sigs(block, 0, [USER_KEYS[0]!]);
    await refusesImport(
      c,
      sealedBytes(block, 0, [...sigs(block, 0, VALIDATOR_KEYS.slice(0, 2)), ...outsider]),
      'seal.certificate',
    );
    await refusesImport(c, sealedBytes(block, 0, [...all, ...outsider]), 'seal.certificate');
    expect(c.headNumber).toBe(0n);
  });

  it('refuses a block sealed in a round before the one it was built for', async () => {
    const a = newChain(t);
    // Round 4 of height 1 is round 0's proposer again: a valid block built for round 4.
    const built = await a.buildBlock(nextProposer(a), [], undefined, 4);
    const c = newChain(t);
    await refusesImport(
      c,
      sealedBytes(built.block, 3, sigs(built.block, 3, VALIDATOR_KEYS)),
      'seal.round-before-proposal',
    );
    await c.importSealed(sealedBytes(built.block, 4, sigs(built.block, 4, VALIDATOR_KEYS)));
    expect(c.headNumber).toBe(1n);
  });

  it('refuses seals for another round, another block, or that do not recover', async () => {
    const block = await block1();
    const c = newChain(t);
    // Signed for round 0, presented as round 1: they recover to some other address.
    await refusesImport(
      c,
      sealedBytes(block, 1, sigs(block, 0, VALIDATOR_KEYS)),
      'seal.certificate',
    );
    // Signed over another digest.
    const other = keccak256(blockHash(block));
    const wrong = VALIDATOR_KEYS.map((k) => sign(commitSealDigest(CHAIN_ID, other, 0), k));
    await refusesImport(c, sealedBytes(block, 0, wrong), 'seal.certificate');
    // Signed over the bare block hash instead of the seal digest.
    const bare = VALIDATOR_KEYS.map((k) => sign(blockHash(block), k));
    await refusesImport(c, sealedBytes(block, 0, bare), 'seal.certificate');
    const garbage = [new Uint8Array(65).fill(0xff), ...sigs(block, 0, VALIDATOR_KEYS)];
    await refusesImport(c, sealedBytes(block, 0, garbage), 'seal.certificate');
    await refusesImport(
      c,
      sealedBytes(block, 0, [new Uint8Array(65), ...sigs(block, 0, VALIDATOR_KEYS)]),
      'seal.certificate',
    );
    await refusesImport(c, Uint8Array.of(1, 2, 3), 'block.malformed');
    // The good certificate still imports afterwards.
    await c.importSealed(sealedBytes(block, 0, sigs(block, 0, VALIDATOR_KEYS)));
    expect(c.headNumber).toBe(1n);
  });

  it('a valid certificate does not excuse an invalid block', async () => {
    const block = await block1();
    const c = newChain(t);
    const forge = async (edit: (b: Block) => void, code: BlockErrorCode) => {
      const copy = structuredClone(block);
      edit(copy);
      // Every validator signed the broken block: the certificate itself is perfect.
      await refusesImport(c, sealedBytes(copy, 0, sigs(copy, 0, VALIDATOR_KEYS)), code);
    };
    await forge(
      (b) => (b.header.stateRoot = keccak256(b.header.stateRoot)),
      'exec.state-root-mismatch',
    );
    // A block of the wrong height is sealed by that height's set: here the same validators.
    await forge((b) => (b.header.number = 2n), 'header.number');
    await forge((b) => (b.header.coinbase = STRANGER), 'header.coinbase-not-proposer');
    await forge((b) => (b.header.gasUsed += 1n), 'exec.gas-used-mismatch');
    await forge(
      (b) => (b.header.timestamp = c.head.header.timestamp),
      'header.timestamp-too-early',
    );
    await forge((b) => b.transactions.pop(), 'body.tx-root-mismatch');
    expect(c.headNumber).toBe(0n);
  });

  it('does not judge a committed block by the local clock', async () => {
    // The importer's clock is far behind the block's timestamp.
    const block = await block1();
    const slow = newChain(t, undefined, () => 1_700_000_100_000);
    await expect(slow.validateBlock(encodeBlock(block))).rejects.toMatchObject({
      code: 'header.timestamp-in-future',
    });
    await slow.importSealed(sealedBytes(block, 0, sigs(block, 0, VALIDATOR_KEYS)));
    expect(slow.headNumber).toBe(1n);
  });

  it('checks seals against the set of the block’s own height', async () => {
    // Another chain with other validators: their seals mean nothing here.
    const otherKeys = [5, 6, 7, 8].map((i) => new Uint8Array(32).fill(i));
    const block = await block1();
    const c = newChain(t);
    await refusesImport(c, sealedBytes(block, 0, sigs(block, 0, otherKeys)), 'seal.certificate');
    expect(c.validatorsAt(1n)).toEqual(VALIDATORS);
  });
});

describe('chains importing the same blocks agree', () => {
  it('on every hash, state root, receipt and index entry, across epoch ends', async () => {
    const source = newChain(t);
    const heights = 10n;
    for (let h = 1n; h <= heights; h++) await commitNext(source, workload(h));
    const replicas = [newChain(t), newChain(t)];
    for (const r of replicas) {
      for (let h = 1n; h <= heights; h++) await r.importSealed(source.blockBytesAt(h)!);
    }
    for (const r of replicas) {
      expect(r.headNumber).toBe(heights);
      expect(r.headHash).toEqual(source.headHash);
      for (let h = 0n; h <= heights; h++) {
        expect(r.blockBytesAt(h)).toEqual(source.blockBytesAt(h));
        expect(r.store.receipts(h)).toEqual(source.store.receipts(h));
        expect(r.stateAt(h).root).toEqual(source.stateAt(h).root);
        expect(r.validatorsAt(h + 1n)).toEqual(source.validatorsAt(h + 1n));
        for (const [i, raw] of source.blockAt(h)!.transactions.entries()) {
          expect(r.store.txLocation(keccak256(raw))).toEqual({ number: h, index: i });
        }
      }
      for (const a of [...USERS, STRANGER, ...VALIDATORS]) {
        expect(r.headState().getAccount(a)).toEqual(source.headState().getAccount(a));
      }
    }
    // Epochs of 4 blocks: blocks 4 and 8 announced the next set.
    expect(source.blockAt(4n)!.header.extra.nextValidators).toEqual(VALIDATORS);
    expect(source.blockAt(8n)!.header.extra.nextValidators).toEqual(VALIDATORS);
    expect(source.blockAt(5n)!.header.extra.nextValidators).toEqual([]);
  });

  it('chains that build from the same transactions produce the same blocks', async () => {
    const a = newChain(t);
    const b = newChain(t);
    for (let h = 1n; h <= 6n; h++) {
      const x = await commitNext(a, workload(h));
      const y = await commitNext(b, workload(h));
      expect(encodeBlock(x)).toEqual(encodeBlock(y));
    }
    // Pinned: block 6 of the workload (transfers, staking locks, an epoch end), on the
    // etm-genesis-7 layout (parameters in the state, Multicall3 and the system contracts' marker code,
    // the slashing, governance and contract gas budget parameters, the chain id, vote buckets with
    // stable ids, the vote tally kept from the first epoch's end, locks in the locks account).
    expect(toHex(a.headHash)).toBe(
      '0xf1d572bf2203596f8a581c3e729b1d34a26d32e3754db18d7c3e5075aa457099',
    );
    expect(toHex(a.head.header.stateRoot)).toBe(
      '0x1f76ebc8204f80f57aeecefecf7bb57dcdbf79d79fd4ef061ebb111878afc489',
    );
  });

  it('for random transfers, the builder and an importer end with the same state', async () => {
    const genesis = parseGenesis(genesisDoc());
    await fc.assert(
      fc.asyncProperty(
        fc.array(
          fc.array(
            fc.record({
              from: fc.integer({ min: 0, max: 2 }),
              to: fc.integer({ min: 0, max: 3 }),
              value: fc.bigInt({ min: 0n, max: 10n ** 24n }),
            }),
            { maxLength: 5 },
          ),
          { minLength: 1, maxLength: 3 },
        ),
        async (blocks) => {
          const builder = newChain(t, genesis);
          const importer = newChain(t, genesis);
          const nonces = [0n, 0n, 0n];
          for (const txs of blocks) {
            const signed = txs.map(({ from, to, value }) =>
              transfer(from, nonces[from]!++, [...USERS, STRANGER][to]!, value),
            );
            const built = await buildNext(builder, signed);
            // Unaffordable transfers are skipped, and with them their senders' later ones.
            const block = await builder.commitDecided(
              built.bytes,
              0,
              sealsFor(built.block, 0, VALIDATOR_KEYS.slice(0, 3)),
            );
            for (const [i, u] of USERS.entries())
              nonces[i] = builder.headState().getAccount(u).nonce;
            await importer.importSealed(builder.blockBytesAt(block.header.number)!);
          }
          expect(importer.headHash).toEqual(builder.headHash);
          expect(importer.head.header.stateRoot).toEqual(builder.head.header.stateRoot);
        },
      ),
      { numRuns: 15 },
    );
  });
});
