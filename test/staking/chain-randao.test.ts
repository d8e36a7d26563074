/**
 * Block import enforces the staking rules carried in headers: the proposer's RANDAO reveal,
 * the mix, and nextValidators only at an epoch's end, equal to the election's result.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { blockHash, decodeBlock, encodeBlock, type Block } from '../../src/chain/block.js';
import { commitSealDigest } from '../../src/consensus/messages.js';
import { sign } from '../../src/crypto/secp256k1.js';
import { Chain } from '../../src/chain/chain.js';
import { BlockError } from '../../src/primitives/block-error.js';
import { ChainStore } from '../../src/chain/store.js';
import { secp256k1Recover } from '../../src/consensus/crypto.js';
import { equalBytes } from '../../src/crypto/bytes.js';
import { keccak256 } from '../../src/crypto/keccak.js';
import { mixReveal } from '../../src/election/randao.js';
import { TxDecoder } from '../../src/execution/tx.js';
import { devGenesis } from '../../src/node/devnet.js';
import { onionFromKey } from '../../src/node/randao.js';
import { deriveAccounts, DEV_MNEMONIC } from '../../src/crypto/mnemonic.js';
import { DEV_VALIDATOR_PATH } from '../../src/node/devnet.js';

const dirs: string[] = [];
afterEach(async () => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

const KEYS = deriveAccounts(DEV_MNEMONIC, 4, DEV_VALIDATOR_PATH);
const genesis = devGenesis(4, 1000, 1_700_000_000n, {
  epochBlocks: 4,
  rankedSeats: 3,
  lotterySeats: 1,
});

function chain(): Chain {
  const dir = mkdtempSync(join(tmpdir(), 'etm-randao-'));
  dirs.push(dir);
  return new Chain({
    store: new ChainStore(dir),
    genesis,
    decoder: new TxDecoder({ chainId: genesis.chainId }),
    recover: secp256k1Recover,
    now: () => 1_800_000_000_000,
  });
}

/** Builds the next block as its round-0 proposer would. */
async function build(c: Chain): Promise<Block> {
  const h = c.headNumber + 1n;
  const set = c.validatorsAt(h);
  const proposer = set[Number(h % BigInt(set.length))]!;
  const key = KEYS.find((k) => equalBytes(k.address, proposer))!;
  const onion = onionFromKey(key.privateKey);
  return (
    await c.buildBlock(proposer, [], (index, hashesTo) => {
      const r = onion.reveal(Number(index));
      return equalBytes(keccak256(r), hashesTo) ? r : null;
    })
  ).block;
}

/** Commits a block with seals from every validator, as consensus would. */
async function commit(c: Chain, b: Block): Promise<void> {
  const hash = blockHash(b);
  const seals = KEYS.map((k) => ({
    validator: k.address,
    signature: sign(commitSealDigest(c.chainId, hash, 0), k.privateKey),
  }));
  await c.commitDecided(encodeBlock(b), 0, seals);
}

const reencode = (b: Block, edit: (b: Block) => Block) => encodeBlock(edit(structuredClone(b)));

describe('headers carry the staking rules', () => {
  it('accepts built blocks through an epoch change, with the set announced at its end', async () => {
    const c = chain();
    for (let i = 1; i <= 5; i++) {
      const b = await build(c);
      await commit(c, b);
      const announces = b.header.extra.nextValidators.length > 0;
      expect(announces).toBe(b.header.number === 4n);
    }
    expect(c.headNumber).toBe(5n);
  });

  it('rejects a wrong reveal, a wrong mix, and a stray nextValidators', async () => {
    const c = chain();
    const b = await build(c);
    await expect(c.validateBlock(encodeBlock(b), false)).resolves.toBeDefined();
    const other = onionFromKey(KEYS[0]!.privateKey).reveal(5);
    const wrongReveal = reencode(b, (x) => {
      x.header.extra.randaoReveal = other;
      x.header.mixHash = mixReveal(genesisMixOf(c), other);
      return x;
    });
    await expect(c.validateBlock(wrongReveal, false)).rejects.toThrow(BlockError);
    await expect(c.validateBlock(wrongReveal, false)).rejects.toMatchObject({
      code: 'exec.randao-wrong',
    });
    const noReveal = reencode(b, (x) => {
      x.header.extra.randaoReveal = new Uint8Array(0);
      x.header.mixHash = genesisMixOf(c);
      return x;
    });
    await expect(c.validateBlock(noReveal, false)).rejects.toMatchObject({
      code: 'exec.randao-missing',
    });
    const wrongMix = reencode(b, (x) => {
      x.header.mixHash = new Uint8Array(32).fill(1);
      return x;
    });
    await expect(c.validateBlock(wrongMix, false)).rejects.toMatchObject({
      code: 'header.mix-hash',
    });
    const stray = reencode(b, (x) => {
      x.header.extra.nextValidators = [KEYS[0]!.address];
      return x;
    });
    await expect(c.validateBlock(stray, false)).rejects.toMatchObject({
      code: 'exec.validators-mismatch',
    });
  });

  it('rejects an epoch-end block that announces another set', async () => {
    const c = chain();
    for (let i = 1; i <= 3; i++) await commit(c, await build(c));
    const end = await build(c);
    expect(end.header.extra.nextValidators.length).toBe(4);
    const forged = reencode(end, (x) => {
      x.header.extra.nextValidators = [...x.header.extra.nextValidators].reverse();
      return x;
    });
    await expect(c.validateBlock(forged, false)).rejects.toMatchObject({
      code: 'exec.validators-mismatch',
    });
    expect(decodeBlock(encodeBlock(end)).header.extra.nextValidators).toHaveLength(4);
  });
});

function genesisMixOf(c: Chain): Uint8Array {
  return c.blockAt(0n)!.header.mixHash;
}
