/** Senders recovered ahead on worker threads: decode then gives exactly what it gives alone. */
import { afterAll, describe, expect, it } from 'vitest';
import { RecoveryPool } from '../../src/crypto/recovery-pool.js';
import { TxError } from '../../src/execution/errors.js';
import { entryBytes, TxDecoder } from '../../src/execution/tx.js';
import { CHAIN_ID, encode, signTx } from './helpers.js';

const pool = new RecoveryPool({ workers: 1, minBatch: 2 });
afterAll(() => pool.close());

describe('TxDecoder.prefetch', () => {
  it('recovers a batch on the pool; decode then takes it and agrees with a fresh decoder', async () => {
    const raws = Array.from(
      { length: 40 },
      (_, i) => signTx((i % 3) as 0 | 1 | 2, { nonce: BigInt(i), value: BigInt(i + 1) }).raw,
    );
    const decoder = new TxDecoder({ chainId: CHAIN_ID });
    await decoder.prefetch(raws, pool);
    // Held apart until decoded: nothing is remembered for good before admission.
    expect(decoder.stats()).toMatchObject({ recoveries: 40, cached: 0, prefetched: 40 });
    const reference = new TxDecoder({ chainId: CHAIN_ID, cacheSize: 0 });
    for (const raw of raws) expect(decoder.decode(raw)).toEqual(reference.decode(raw));
    // Every decode was a hit: no recovery on the calling thread; and each was taken.
    expect(decoder.stats()).toMatchObject({
      recoveries: 40,
      cacheHits: 40,
      cached: 0,
      prefetched: 0,
    });
  });

  it('holds prefetched transactions within prefetchBytes, oldest out first', async () => {
    const raws = Array.from({ length: 10 }, (_, i) => signTx(2, { nonce: BigInt(i) }).raw);
    const one = entryBytes(new TxDecoder({ chainId: CHAIN_ID }).decode(raws[0]!));
    const decoder = new TxDecoder({ chainId: CHAIN_ID, prefetchBytes: 4 * one });
    await decoder.prefetch(raws, pool);
    expect(decoder.stats().prefetched).toBe(4);
    decoder.decode(raws[9]!);
    decoder.decode(raws[0]!);
    expect(decoder.stats()).toMatchObject({ cacheHits: 1, recoveries: 11, prefetched: 3 });
  });

  it('holds at most cacheSize prefetched transactions, dropping the oldest still waiting', async () => {
    const raws = Array.from({ length: 9 }, (_, i) => signTx(2, { nonce: BigInt(i) }).raw);
    const decoder = new TxDecoder({ chainId: CHAIN_ID, cacheSize: 4 });
    await decoder.prefetch(raws.slice(0, 4), pool);
    // Taken from the front and the middle: the oldest still waiting is then #2.
    decoder.decode(raws[1]!);
    decoder.decode(raws[0]!);
    expect(decoder.stats()).toMatchObject({ cacheHits: 2, recoveries: 4, prefetched: 2 });
    await decoder.prefetch(raws.slice(4, 8), pool); // #2 and #3 make room
    await decoder.prefetch(raws.slice(8), pool); // then #4
    expect(decoder.stats()).toMatchObject({ recoveries: 9, prefetched: 4 });
    for (const i of [2, 3, 4]) decoder.decode(raws[i]!); // dropped: recovered again
    expect(decoder.stats()).toMatchObject({ cacheHits: 2, recoveries: 12, prefetched: 4 });
    for (const i of [5, 6, 7, 8]) decoder.decode(raws[i]!); // waiting: taken
    expect(decoder.stats()).toMatchObject({ cacheHits: 6, recoveries: 12, prefetched: 0 });
    // Empty, then filled past its limit again.
    await decoder.prefetch(raws.slice(0, 5), pool);
    decoder.decode(raws[0]!);
    expect(decoder.stats()).toMatchObject({ cacheHits: 6, recoveries: 18, prefetched: 4 });
  });

  it('drops by the order queued: a transaction taken and queued again waits from its new place', async () => {
    const [a, b, c] = [0n, 1n, 2n].map((nonce) => signTx(2, { nonce }).raw) as [
      Uint8Array,
      Uint8Array,
      Uint8Array,
    ];
    const decoder = new TxDecoder({ chainId: CHAIN_ID, cacheSize: 2 });
    await decoder.prefetch([a, b], pool);
    decoder.decode(a);
    await decoder.prefetch([a], pool); // queued again, after b
    await decoder.prefetch([c], pool); // drops b, not a
    expect(decoder.stats()).toMatchObject({ cacheHits: 1, recoveries: 4, prefetched: 2 });
    decoder.decode(a);
    decoder.decode(b);
    expect(decoder.stats()).toMatchObject({ cacheHits: 2, recoveries: 5, prefetched: 1 });
  });

  it('keeps its order over many transactions taken while one waits', async () => {
    const waiting = signTx(2, { nonce: 1_000n }).raw;
    const decoder = new TxDecoder({ chainId: CHAIN_ID, cacheSize: 4 });
    await decoder.prefetch([waiting], pool);
    // Far more places taken than the queue holds: they are let go, and the order stays.
    for (let i = 0; i < 150; i++) {
      const raw = signTx(2, { nonce: BigInt(i) }).raw;
      await decoder.prefetch([raw], pool);
      decoder.decode(raw);
    }
    expect(decoder.stats()).toMatchObject({ cacheHits: 150, recoveries: 151, prefetched: 1 });
    const later = Array.from({ length: 4 }, (_, i) => signTx(1, { nonce: BigInt(i) }).raw);
    await decoder.prefetch(later, pool); // the oldest, `waiting`, makes room
    decoder.decode(waiting);
    for (const raw of later) decoder.decode(raw);
    expect(decoder.stats()).toMatchObject({ cacheHits: 154, recoveries: 156, prefetched: 0 });
  });

  it('leaves what does not decode or recover to decode, which refuses it as before', async () => {
    const good = signTx(2, { nonce: 1n }).raw;
    const { items } = signTx(2, { nonce: 2n });
    // r = 1 with a valid s: well-formed, but (almost surely) no point on the curve behind it.
    const unrecoverable = encode(2, [...items.slice(0, 10), Uint8Array.of(1), items[11]!]);
    const malformed = Uint8Array.of(0x02, 0xc1, 0x80);
    const decoder = new TxDecoder({ chainId: CHAIN_ID });
    await decoder.prefetch([good, unrecoverable, malformed, good], pool);
    const fresh = new TxDecoder({ chainId: CHAIN_ID });
    for (const raw of [unrecoverable, malformed]) {
      const expected = (() => {
        try {
          fresh.decode(raw);
          return null;
        } catch (e) {
          return e as TxError;
        }
      })();
      let got: unknown = null;
      try {
        decoder.decode(raw);
      } catch (e) {
        got = e;
      }
      if (expected === null) expect(got).toBeNull();
      else {
        expect(got).toBeInstanceOf(TxError);
        expect((got as TxError).code).toBe(expected.code);
      }
    }
    expect(decoder.decode(good)).toEqual(fresh.decode(good));
  });

  it('finds a prefetched transaction from its own array or from a copy, and reads an array written since as it is now', async () => {
    const a = signTx(2, { nonce: 1n }).raw;
    const b = signTx(2, { nonce: 2n }).raw;
    const c = signTx(1, { nonce: 3n }).raw;
    const decoder = new TxDecoder({ chainId: CHAIN_ID });
    const reference = new TxDecoder({ chainId: CHAIN_ID, cacheSize: 0 });
    const inputs = [a.slice(), b.slice()];
    await decoder.prefetch(inputs, pool);
    // The first array as it was; the second from a copy of its bytes (a peer's batch decoded twice).
    expect(decoder.decode(inputs[0]!)).toEqual(reference.decode(a));
    expect(decoder.decode(b.slice())).toEqual(reference.decode(b));
    expect(decoder.stats()).toMatchObject({ recoveries: 2, cacheHits: 2, prefetched: 0 });
    // An array the caller overwrote after prefetching it is decoded as it is now.
    const reused = a.slice();
    await decoder.prefetch([reused, c], pool);
    reused.set(c.subarray(0, reused.length));
    const now = reused.slice();
    const expected = (() => {
      try {
        return reference.decode(now);
      } catch (e) {
        return (e as TxError).code;
      }
    })();
    const got = (() => {
      try {
        return decoder.decode(reused);
      } catch (e) {
        return (e as TxError).code;
      }
    })();
    expect(got).toEqual(expected);
    expect(got).not.toEqual(reference.decode(a));
  });

  it('does nothing without a cache', async () => {
    const decoder = new TxDecoder({ chainId: CHAIN_ID, cacheSize: 0 });
    await decoder.prefetch([signTx(2).raw, signTx(2, { nonce: 1n }).raw], pool);
    expect(decoder.stats().recoveries).toBe(0);
  });
});
