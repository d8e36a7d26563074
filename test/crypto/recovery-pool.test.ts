/** Recovery on worker threads gives exactly what recoverAddress gives, bad signatures included. */
import { afterAll, describe, expect, it } from 'vitest';
import { keccak256 } from '../../src/crypto/keccak.js';
import {
  RecoveryPool,
  type RecoveryRequest,
  type RecoveryResult,
} from '../../src/crypto/recovery-pool.js';
import {
  addressOf,
  recoverAddress,
  SECP256K1_N,
  sign,
  SignatureError,
} from '../../src/crypto/secp256k1.js';
import { bigintToFixed, bytesToBigint, uint64be } from '../../src/crypto/bytes.js';

const pool = new RecoveryPool({ workers: 2, minBatch: 4 });
afterAll(() => pool.close());

const key = (i: number) => keccak256(uint64be(i + 1));
const digest = (i: number) => keccak256(Uint8Array.of(7, i & 255, i >> 8));

/** The signature with s replaced (and the recovery id as given, else kept). */
function withS(sig: Uint8Array, s: bigint, recid = sig[64]!): Uint8Array {
  const out = sig.slice();
  out.set(bigintToFixed(s, 32), 32);
  out[64] = recid;
  return out;
}

/** The same signature with s' = n − s (and the other recovery id). */
function highS(sig: Uint8Array): Uint8Array {
  return withS(sig, SECP256K1_N - bytesToBigint(sig.subarray(32, 64)), sig[64]! ^ 1);
}

/** Each result is what recoverAddress gives for its request: the address, or an error. */
function expectAsRecoverAddress(requests: RecoveryRequest[], results: RecoveryResult[]): void {
  results.forEach((r, i) => {
    const { digest: d, signature } = requests[i]!;
    let expected: Uint8Array | null;
    try {
      expected = recoverAddress(d, signature);
    } catch (e) {
      expect(e).toBeInstanceOf(SignatureError);
      expected = null;
    }
    if (expected === null) expect('error' in r && r.error).toBeInstanceOf(SignatureError);
    else expect('address' in r && r.address).toEqual(expected);
  });
}

describe('recovery pool', () => {
  it('recovers a large batch on the workers, in order', async () => {
    const requests = Array.from({ length: 300 }, (_, i) => ({
      digest: digest(i),
      signature: sign(digest(i), key(i % 17)),
    }));
    const results = await pool.recover(requests);
    expect(results).toHaveLength(300);
    // Answered by the workers themselves: none died (a keccak that disagrees kills its worker).
    expect(pool.liveWorkers).toBe(2);
    results.forEach((r, i) => {
      expect('address' in r && r.address).toEqual(addressOf(key(i % 17)));
    });
  });

  it('answers malformed signatures as recoverAddress does, beside good ones', async () => {
    const good = sign(digest(1), key(1));
    const badRecid = good.slice();
    badRecid[64] = 2;
    const zeroR = good.slice();
    zeroR.fill(0, 0, 32); // well-formed but has no public key
    const requests = [
      { digest: digest(1), signature: good },
      { digest: digest(1), signature: good.subarray(0, 64) },
      { digest: digest(1).subarray(0, 31), signature: good },
      { digest: digest(1), signature: badRecid },
      { digest: digest(1), signature: highS(good) },
      { digest: digest(1), signature: zeroR },
      ...Array.from({ length: 10 }, (_, i) => ({
        digest: digest(i),
        signature: sign(digest(i), key(2)),
      })),
    ];
    const results = await pool.recover(requests);
    expectAsRecoverAddress(requests, results);
    expect(results.filter((r) => 'error' in r)).toHaveLength(5);
  });

  it('draws the low-s line where recoverAddress draws it: s = 0, 1, n/2 and n/2 + 1', async () => {
    const good = sign(digest(5), key(5));
    const half = SECP256K1_N >> 1n;
    const sigs = [0n, 1n, half - 1n, half, half + 1n, SECP256K1_N - 1n].map((s) => withS(good, s));
    // Ten of each, so the batch goes to the workers.
    const requests = sigs.flatMap((signature) =>
      Array.from({ length: 10 }, () => ({ digest: digest(5), signature })),
    );
    const results = await pool.recover(requests);
    expectAsRecoverAddress(requests, results);
    // 0, n/2 + 1 and n - 1 are refused before any recovery.
    for (const at of [0, 40, 50])
      expect('error' in results[at]! && results[at].error.message).toMatch(/not low/);
  });

  it('recovers small batches on the calling thread, and everything after close', async () => {
    const small = [{ digest: digest(3), signature: sign(digest(3), key(3)) }];
    expect(await pool.recover(small)).toEqual([{ address: addressOf(key(3)) }]);
    const other = new RecoveryPool({ workers: 1, minBatch: 1 });
    await other.close();
    const many = Array.from({ length: 20 }, (_, i) => ({
      digest: digest(i),
      signature: sign(digest(i), key(4)),
    }));
    const results = await other.recover(many);
    expect(results.every((r) => 'address' in r)).toBe(true);
  });
});
