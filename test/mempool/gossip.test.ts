/**
 * The gapped-nonce lockout over gossip: a node admitting peers' transaction batches (the checks
 * of src/p2p/gossip.ts over Node.receiveTransaction) keeps room for honest executable
 * transactions after an attacker's batches of nonces 1..64 from 64 funded accounts.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { parseGenesis } from '../../src/chain/genesis.js';
import { toChecksumAddress } from '../../src/crypto/address.js';
import { bigintToFixed } from '../../src/crypto/bytes.js';
import { addressOf } from '../../src/crypto/secp256k1.js';
import { Node } from '../../src/node/node.js';
import { checkTransactionGossip, encodeTxBatch, TxBatchOutbox } from '../../src/p2p/gossip.js';
import { genesisDoc, NOW_MS } from '../chain/helpers.js';
import { signTx } from '../execution/helpers.js';

const GWEI = 1_000_000_000n;
const keyOf = (i: number): Uint8Array => bigintToFixed(BigInt(0x1000 + i), 32);
const ATTACKERS = Array.from({ length: 64 }, (_, i) => keyOf(i));
const HONEST = Array.from({ length: 64 }, (_, i) => keyOf(1000 + i));
const TO = new Uint8Array(20).fill(0x22);

const dirs: string[] = [];
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

/** Raw transfers signed by `key`, nonces `from`..`to`, paying `tip` gwei. */
function transfers(key: Uint8Array, from: bigint, to: bigint, tip: bigint): Uint8Array[] {
  const out: Uint8Array[] = [];
  for (let nonce = from; nonce <= to; nonce++) {
    const fields = { nonce, to: TO, maxPriorityFeePerGas: tip * GWEI, maxFeePerGas: 200n * GWEI };
    out.push(signTx(2, fields, { key }).raw);
  }
  return out;
}

/** Batches as a peer's outbox closes them. */
function batches(raws: Uint8Array[]): Uint8Array[] {
  const outbox = new TxBatchOutbox();
  const out: Uint8Array[] = [];
  for (const raw of raws) {
    const full = outbox.push(raw);
    if (full) out.push(encodeTxBatch(full));
  }
  if (outbox.size > 0) out.push(encodeTxBatch(outbox.take()));
  return out;
}

describe('gossip admission and the gapped-nonce lockout', () => {
  it("peers' batches of gapped nonces leave room for honest executable transactions", async () => {
    const alloc = Object.fromEntries(
      [...ATTACKERS, ...HONEST].map((k) => [
        toChecksumAddress(addressOf(k)),
        { balance: (10n ** 24n).toString() },
      ]),
    );
    const genesis = parseGenesis(genesisDoc({ alloc }));
    const datadir = mkdtempSync(join(tmpdir(), 'etm-lockout-'));
    dirs.push(datadir);
    const node = new Node({ datadir, genesis, validatorKey: null, now: () => NOW_MS });
    try {
      const maxTxBytes = Number(genesis.params.maxTxBytes);
      const admit = (raw: Uint8Array) => node.receiveTransaction(raw);
      const attack = ATTACKERS.flatMap((k) => transfers(k, 1n, 64n, 100n));
      for (const batch of batches(attack)) {
        // The first transactions of each sender are taken, the rest refused; never blamed.
        expect(checkTransactionGossip(batch, maxTxBytes, admit).verdict).not.toBe('reject');
      }
      expect(node.mempool.size).toBe(1024);
      // 64 honest senders × 64 nonces from 0: a full pool's worth, at a 100× lower tip.
      const honest = HONEST.flatMap((k) => transfers(k, 0n, 63n, 1n));
      for (const batch of batches(honest)) {
        const check = checkTransactionGossip(batch, maxTxBytes, admit);
        expect(check.verdict, check.reason).toBe('accept');
        expect(check.reason).toMatch(/^added (\d+)\/\1$/);
      }
      expect(node.mempool.size).toBe(4096);
      expect(node.mempool.gapped).toBe(0);
    } finally {
      await node.stop();
    }
  });
});
