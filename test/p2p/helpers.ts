/** Shared by the p2p tests: chains built ahead of time, temp dirs, waiting on conditions. */
import { cpSync, mkdtempSync, rmSync, writeFileSync, mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { blockHash } from '../../src/chain/block.js';
import { Chain } from '../../src/chain/chain.js';
import { genesisToJson, type Genesis } from '../../src/chain/genesis.js';
import { ChainStore } from '../../src/chain/store.js';
import { secp256k1Recover } from '../../src/consensus/crypto.js';
import { commitSealDigest } from '../../src/consensus/messages.js';
import { proposerOf } from '../../src/consensus/quorum.js';
import { addressOf, sign } from '../../src/crypto/secp256k1.js';
import { equalBytes, toHex } from '../../src/crypto/bytes.js';
import { keccak256 } from '../../src/crypto/keccak.js';
import { DEV_MNEMONIC, deriveAccounts } from '../../src/crypto/mnemonic.js';
import { TxDecoder, type SignedTx } from '../../src/execution/tx.js';
import { onionFromKey } from '../../src/node/randao.js';
import { signTx } from '../execution/helpers.js';

export function tempDir(prefix = 'etm-p2p-'): { dir: string; remove(): void } {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  return { dir, remove: () => rmSync(dir, { recursive: true, force: true }) };
}

/** Polls `cond` until it holds; throws with `what()` after `ms`. */
export async function waitUntil(
  cond: () => boolean | Promise<boolean>,
  ms: number,
  what: () => string,
): Promise<void> {
  const deadline = Date.now() + ms;
  for (;;) {
    if (await cond()) return;
    if (Date.now() > deadline) throw new Error(`timed out after ${ms} ms: ${what()}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Writes a devnet genesis where prepareProcessDevnet will find it. */
export function writeGenesis(datadir: string, genesis: Genesis): void {
  mkdirSync(datadir, { recursive: true });
  writeFileSync(join(datadir, 'genesis.json'), JSON.stringify(genesisToJson(genesis)));
}

/**
 * Commits `count` blocks to `<datadir>/chain` the way consensus would (the right proposer with
 * its RANDAO reveal, every validator's commit seal), with a transfer every `txEvery` blocks,
 * and returns their hashes and state roots by height (index 0 = block 1).
 */
export async function preProduce(
  datadir: string,
  genesis: Genesis,
  validatorKeys: Uint8Array[],
  count: number,
  txEvery = 10,
): Promise<{ hashes: string[]; stateRoots: string[] }> {
  const store = new ChainStore(join(datadir, 'chain'));
  const decoder = new TxDecoder({
    chainId: genesis.chainId,
    maxTxBytes: Number(genesis.params.maxTxBytes),
  });
  const chain = new Chain({ store, genesis, decoder, recover: secp256k1Recover });
  const keyOf = new Map(validatorKeys.map((k) => [toHex(addressOf(k)), k]));
  const sender = deriveAccounts(DEV_MNEMONIC, 1)[0]!;
  const hashes: string[] = [];
  const stateRoots: string[] = [];
  let nonce = 0n;
  try {
    for (let i = 1; i <= count; i++) {
      const height = chain.headNumber + 1n;
      const set = chain.validatorsAt(height);
      const proposer = proposerOf(set, Number(height), 0);
      const key = keyOf.get(toHex(proposer))!;
      const txs: SignedTx[] = [];
      if (i % txEvery === 0) {
        const { raw } = signTx(
          2,
          {
            chainId: genesis.chainId,
            nonce: nonce++,
            to: keccak256(Uint8Array.of(i & 0xff, i >> 8)).slice(12),
            value: BigInt(i),
            maxFeePerGas: 10n ** 11n,
            maxPriorityFeePerGas: 1n,
            gasLimit: 21_000n,
          },
          { key: sender.privateKey },
        );
        txs.push(decoder.decode(raw));
      }
      const onion = onionFromKey(key);
      const built = await chain.buildBlock(proposer, txs, (index, hashesTo) => {
        const r = onion.reveal(Number(index));
        return equalBytes(keccak256(r), hashesTo) ? r : null;
      });
      if (built.included.length !== txs.length) throw new Error(`block ${i}: tx skipped`);
      const digest = commitSealDigest(genesis.chainId, blockHash(built.block), 0);
      const seals = set.map((v) => ({
        validator: v,
        signature: sign(digest, keyOf.get(toHex(v))!),
      }));
      const block = await chain.commitDecided(built.bytes, 0, seals);
      hashes.push(toHex(blockHash(block)));
      stateRoots.push(toHex(block.header.stateRoot));
    }
  } finally {
    await store.close();
  }
  return { hashes, stateRoots };
}

/** Copies one node's chain database to other node directories. */
export function copyChain(from: string, to: string[]): void {
  for (const d of to) cpSync(join(from, 'chain'), join(d, 'chain'), { recursive: true });
}
