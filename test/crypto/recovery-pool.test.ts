/** Recovery on worker threads gives exactly what recoverPublicKey gives, bad signatures included. */
import { afterAll, describe, expect, it } from 'vitest';
import { keccak256 } from '../../src/crypto/keccak.js';
import { RecoveryPool } from '../../src/crypto/recovery-pool.js';
import {
  publicKeyOf,
  recoverPublicKey,
  SECP256K1_N,
  sign,
  SignatureError,
} from '../../src/crypto/secp256k1.js';
import { uint64be } from '../../src/crypto/bytes.js';

const pool = new RecoveryPool({ workers: 2, minBatch: 4 });
afterAll(() => pool.close());

const key = (i: number) => keccak256(uint64be(i + 1));
const digest = (i: number) => keccak256(Uint8Array.of(7, i & 255, i >> 8));

function highS(sig: Uint8Array): Uint8Array {
  let s = 0n;
  for (let i = 32; i < 64; i++) s = (s << 8n) | BigInt(sig[i]!);
  let hi = SECP256K1_N - s;
  const out = sig.slice();
  for (let i = 63; i >= 32; i--) {
    out[i] = Number(hi & 255n);
    hi >>= 8n;
  }
  out[64] = sig[64]! ^ 1;
  return out;
}

describe('recovery pool', () => {
  it('recovers a large batch on the workers, in order', async () => {
    const requests = Array.from({ length: 300 }, (_, i) => ({
      digest: digest(i),
      signature: sign(digest(i), key(i % 17)),
    }));
    const results = await pool.recover(requests);
    expect(results).toHaveLength(300);
    results.forEach((r, i) => {
      expect('publicKey' in r && r.publicKey).toEqual(publicKeyOf(key(i % 17)));
    });
  });

  it('answers malformed signatures as recoverPublicKey does, beside good ones', async () => {
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
    results.forEach((r, i) => {
      const { digest: d, signature } = requests[i]!;
      let expected: Uint8Array | SignatureError;
      try {
        expected = recoverPublicKey(d, signature);
      } catch (e) {
        expected = e as SignatureError;
      }
      if (expected instanceof SignatureError) {
        expect('error' in r && r.error).toBeInstanceOf(SignatureError);
      } else {
        expect('publicKey' in r && r.publicKey).toEqual(expected);
      }
    });
    expect(results.filter((r) => 'error' in r)).toHaveLength(5);
  });

  it('recovers small batches on the calling thread, and everything after close', async () => {
    const small = [{ digest: digest(3), signature: sign(digest(3), key(3)) }];
    expect(await pool.recover(small)).toEqual([{ publicKey: publicKeyOf(key(3)) }]);
    const other = new RecoveryPool({ workers: 1, minBatch: 1 });
    await other.close();
    const many = Array.from({ length: 20 }, (_, i) => ({
      digest: digest(i),
      signature: sign(digest(i), key(4)),
    }));
    const results = await other.recover(many);
    expect(results.every((r) => 'publicKey' in r)).toBe(true);
  });
});
