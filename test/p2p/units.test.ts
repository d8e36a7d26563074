/**
 * The p2p layer's pieces on their own: frames, wire encodings, misbehaviour points, gossip
 * checks and the node configuration's network section.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { rlpEncode } from '../../src/codec/rlp.js';
import { signCommit, signPrepare, encodeMessage } from '../../src/consensus/messages.js';
import { Secp256k1Signer, secp256k1Recover } from '../../src/consensus/crypto.js';
import { MessageType } from '../../src/consensus/types.js';
import { ConfigError, parseNodeConfig } from '../../src/node/config.js';
import { createLogger } from '../../src/log/logger.js';
import { encodeFrame, FrameError, FrameReader } from '../../src/p2p/frames.js';
import {
  checkConsensusGossip,
  checkTransactionGossip,
  decodeTxBatch,
  encodeTxBatch,
  MAX_TX_BATCH,
  maxTxBatchBytes,
  TxBatchOutbox,
  type TxOutcome,
  type ConsensusGossipContext,
} from '../../src/p2p/gossip.js';
import { PeerPenalties } from '../../src/p2p/penalties.js';
import {
  decodeBlocksRequest,
  decodeStatus,
  encodeBlocksRequest,
  encodeStatus,
  MAX_BLOCKS_PER_REQUEST,
  networkNames,
} from '../../src/p2p/wire.js';

async function* chunks(...parts: Uint8Array[]) {
  for (const p of parts) yield p;
}

describe('frames', () => {
  it('round-trips frames split at any byte', async () => {
    const payloads = [new Uint8Array(0), Uint8Array.of(1, 2, 3), new Uint8Array(300).fill(7)];
    const bytes = Uint8Array.from(payloads.flatMap((p) => [...encodeFrame(p)]));
    for (const cut of [1, 2, 3, 5, 200, bytes.length]) {
      const parts: Uint8Array[] = [];
      for (let i = 0; i < bytes.length; i += cut) parts.push(bytes.subarray(i, i + cut));
      const r = new FrameReader(chunks(...parts), 1000);
      for (const p of payloads) expect(await r.next()).toEqual(p);
      expect(await r.next()).toBeNull();
    }
  });

  it('refuses an oversized frame from its length alone, and truncated or overlong input', async () => {
    const big = encodeFrame(new Uint8Array(2000));
    // Only the length prefix is sent: the reader must not wait for (or buffer) the body.
    await expect(new FrameReader(chunks(big.subarray(0, 2)), 1000).next()).rejects.toThrow(
      FrameError,
    );
    await expect(new FrameReader(chunks(Uint8Array.of(5, 1, 2)), 1000).next()).rejects.toThrow(
      /inside a frame/,
    );
    await expect(new FrameReader(chunks(Uint8Array.of(0x80)), 1000).next()).rejects.toThrow(
      /inside a frame length/,
    );
    await expect(
      new FrameReader(chunks(Uint8Array.of(0xff, 0xff, 0xff, 0xff, 0xff, 0x01)), 1e9).next(),
    ).rejects.toThrow(/too long/);
    await expect(new FrameReader(chunks(Uint8Array.of(0x81, 0x00)), 1000).next()).rejects.toThrow(
      /minimally/,
    );
  });
});

describe('wire', () => {
  it('encodes status and block requests and refuses bad ones', () => {
    const s = {
      chainId: 4543565n,
      genesisHash: new Uint8Array(32).fill(1),
      headNumber: 1234n,
      headHash: new Uint8Array(32).fill(2),
    };
    expect(decodeStatus(encodeStatus(s))).toEqual(s);
    expect(decodeBlocksRequest(encodeBlocksRequest({ from: 5n, count: 64 }))).toEqual({
      from: 5n,
      count: 64,
    });
    expect(() => decodeBlocksRequest(rlpEncode([5, MAX_BLOCKS_PER_REQUEST + 1]))).toThrow();
    expect(() => decodeBlocksRequest(rlpEncode([0, 1]))).toThrow();
    expect(() => decodeBlocksRequest(Uint8Array.of(0xc5, 1))).toThrow();
    expect(() =>
      decodeStatus(rlpEncode([2, 1, new Uint8Array(32), 0, new Uint8Array(32)])),
    ).toThrow(/version/);
    const names = networkNames(new Uint8Array(32).fill(0xab));
    expect(names.consensusTopic).toBe('/etm/abababababababab/consensus/1');
    expect(names.blocksProtocol).toBe('/etm/abababababababab/blocks/1');
  });
});

describe('peer penalties', () => {
  it('bans at the threshold once, forgets with time, and stays bounded', () => {
    let t = 0;
    const p = new PeerPenalties({
      banAt: 100,
      banMs: 1000,
      halfLifeMs: 100,
      maxPeers: 3,
      now: () => t,
    });
    expect(p.add('a', 'invalid-message')).toBe(false);
    expect(p.points('a')).toBe(20);
    t = 100;
    expect(p.points('a')).toBeCloseTo(10);
    for (let i = 0; i < 4; i++) p.add('a', 'invalid-message');
    expect(p.add('a', 'invalid-message')).toBe(true);
    expect(p.isBanned('a')).toBe(true);
    expect(p.add('a', 'invalid-message')).toBe(false);
    t += 1001;
    expect(p.isBanned('a')).toBe(false);
    for (const peer of ['b', 'c', 'd', 'e']) p.add(peer, 'stale-message');
    expect(['a', 'b', 'c', 'd', 'e'].filter((x) => p.points(x) > 0).length).toBeLessThanOrEqual(3);
  });
});

const CHAIN_ID = 4543565n;

describe('gossip checks', () => {
  const keys = [1, 2, 3, 4].map((i) => new Uint8Array(32).fill(i));
  const signers = keys.map((k) => new Secp256k1Signer(k));
  const stranger = new Secp256k1Signer(new Uint8Array(32).fill(9));
  const digest = new Uint8Array(32).fill(5);
  let head = 10n;
  const ctx: ConsensusGossipContext = {
    chainId: CHAIN_ID,
    headNumber: () => head,
    validatorsAt: () => signers.map((s) => s.address),
    recover: secp256k1Recover,
    maxMessageBytes: 4096,
  };
  const prepare = (s: Secp256k1Signer, h: number) =>
    encodeMessage({ type: MessageType.Prepare, signed: signPrepare(s, CHAIN_ID, h, 0, digest) });

  it('accepts validators at the next height and rejects strangers and garbage', () => {
    head = 10n;
    expect(checkConsensusGossip(prepare(signers[0]!, 11), ctx)).toMatchObject({
      verdict: 'accept',
      deliver: true,
    });
    const commit = encodeMessage({
      type: MessageType.Commit,
      signed: signCommit(signers[1]!, CHAIN_ID, 11, 2, digest),
    });
    expect(checkConsensusGossip(commit, ctx).verdict).toBe('accept');
    expect(checkConsensusGossip(prepare(stranger, 11), ctx)).toMatchObject({
      verdict: 'reject',
      offence: 'invalid-message',
    });
    for (const junk of [new Uint8Array(0), Uint8Array.of(0xc0), Uint8Array.of(1, 2, 3)]) {
      expect(checkConsensusGossip(junk, ctx)).toMatchObject({
        verdict: 'reject',
        offence: 'invalid-message',
      });
    }
    // A valid message whose signature was tampered with recovers another (non-validator) key.
    const tampered = prepare(signers[0]!, 11);
    tampered[tampered.length - 3]! ^= 1;
    expect(checkConsensusGossip(tampered, ctx).verdict).toBe('reject');
    expect(checkConsensusGossip(new Uint8Array(5000), ctx)).toMatchObject({
      verdict: 'reject',
      offence: 'oversized-message',
    });
  });

  it('does not blame a message above the head’s limit for a later height (the DAO may have raised it)', () => {
    head = 10n;
    const small = { ...ctx, maxMessageBytes: 100, maxMessageBytesBound: 4096 };
    expect(prepare(signers[0]!, 11).length).toBeGreaterThan(100);
    expect(checkConsensusGossip(prepare(signers[0]!, 11), small)).toMatchObject({
      verdict: 'reject',
      offence: 'oversized-message',
    });
    const later = checkConsensusGossip(prepare(signers[0]!, 13), small);
    expect(later).toMatchObject({ verdict: 'ignore', deliver: false });
    expect(later.offence).toBeUndefined();
    expect(checkConsensusGossip(new Uint8Array(5000), small)).toMatchObject({
      verdict: 'reject',
      offence: 'oversized-message',
    });
  });

  it('treats old heights as replays, near-future ones as deliverable, far-future as noise', () => {
    head = 10n;
    expect(checkConsensusGossip(prepare(signers[0]!, 10), ctx)).toMatchObject({
      verdict: 'ignore',
      deliver: false,
    });
    expect(checkConsensusGossip(prepare(signers[0]!, 10), ctx).offence).toBeUndefined();
    expect(checkConsensusGossip(prepare(signers[0]!, 3), ctx)).toMatchObject({
      verdict: 'ignore',
      offence: 'stale-message',
    });
    expect(checkConsensusGossip(prepare(stranger, 3), ctx).verdict).toBe('reject');
    expect(checkConsensusGossip(prepare(signers[2]!, 13), ctx)).toMatchObject({
      verdict: 'accept',
      deliver: true,
    });
    expect(checkConsensusGossip(prepare(stranger, 13), ctx)).toMatchObject({
      verdict: 'ignore',
      deliver: true,
    });
    expect(checkConsensusGossip(prepare(signers[2]!, 100), ctx)).toMatchObject({
      verdict: 'ignore',
      deliver: false,
    });
  });

  it('relays batches that added transactions, rejects invalid or oversized ones, ignores the rest', () => {
    const tx = (i: number) => new Uint8Array(10).fill(i + 1);
    const batch = encodeTxBatch([tx(0), tx(1), tx(2)]);
    const seen: number[] = [];
    const admitAll = (raw: Uint8Array): TxOutcome => {
      seen.push(raw[0]!);
      return { added: true };
    };
    expect(checkTransactionGossip(batch, 100, admitAll)).toMatchObject({
      verdict: 'accept',
      reason: 'added 3/3',
    });
    expect(seen).toEqual([1, 2, 3]);
    // One new transaction is enough to relay the batch.
    expect(
      checkTransactionGossip(batch, 100, (raw) =>
        raw[0] === 2 ? { added: true } : { added: false, code: 'already-known' },
      ),
    ).toMatchObject({ verdict: 'accept', reason: 'added 1/3' });
    expect(
      checkTransactionGossip(batch, 100, () => ({ added: false, code: 'nonce-too-low' })),
    ).toMatchObject({ verdict: 'ignore', reason: 'nonce-too-low' });
    // A transaction that can never be valid condemns the batch; the rest is not even looked at.
    let calls = 0;
    expect(
      checkTransactionGossip(batch, 100, () => {
        calls++;
        return { added: false, code: 'bad-signature' };
      }),
    ).toMatchObject({ verdict: 'reject', offence: 'invalid-message', reason: 'bad-signature' });
    expect(calls).toBe(1);

    const never = (): TxOutcome => {
      throw new Error('must not be admitted');
    };
    // Not a batch, an empty batch, a nested list, an empty transaction, too many transactions.
    for (const bad of [
      new Uint8Array(10),
      encodeTxBatch([]),
      rlpEncode([[tx(0)]]),
      encodeTxBatch([new Uint8Array(0)]),
      encodeTxBatch(Array.from({ length: MAX_TX_BATCH + 1 }, (_, i) => tx(i % 200))),
    ]) {
      expect(checkTransactionGossip(bad, 100, never)).toMatchObject({
        verdict: 'reject',
        offence: 'invalid-message',
      });
    }
    // A transaction above maxTxBytes, and a message above the largest batch.
    expect(
      checkTransactionGossip(encodeTxBatch([tx(0), new Uint8Array(101)]), 100, never),
    ).toMatchObject({ verdict: 'reject', offence: 'oversized-message' });
    expect(
      checkTransactionGossip(new Uint8Array(maxTxBatchBytes(100) + 1), 100, never),
    ).toMatchObject({ verdict: 'reject', offence: 'oversized-message' });
    expect(decodeTxBatch(batch, 100)).toEqual([tx(0), tx(1), tx(2)]);
  });

  it('does not blame a sender for a transaction within a limit the DAO may have raised', () => {
    const tx = (n: number, i: number) => new Uint8Array(n).fill(i + 1);
    const admitted: number[] = [];
    const admit = (raw: Uint8Array): TxOutcome => {
      admitted.push(raw.length);
      return { added: true };
    };
    // This node's limit is 100 bytes, the registry's bound 1,000: a 500-byte transaction is
    // dropped without blame, the others of the batch are admitted.
    expect(
      checkTransactionGossip(encodeTxBatch([tx(10, 0), tx(500, 1)]), 100, admit, 1000),
    ).toMatchObject({ verdict: 'accept', reason: 'added 1/2' });
    expect(admitted).toEqual([10]);
    const alone = checkTransactionGossip(encodeTxBatch([tx(500, 1)]), 100, admit, 1000);
    expect(alone).toMatchObject({ verdict: 'ignore', reason: 'oversized' });
    expect(alone.offence).toBeUndefined();
    // A batch carrying one such transaction (above the usual batch size) is not oversized either.
    expect(
      checkTransactionGossip(encodeTxBatch([tx(300_000, 1)]), 1000, admit, 400_000).offence,
    ).toBeUndefined();
    // Above the bound it can never be valid.
    expect(checkTransactionGossip(encodeTxBatch([tx(1001, 1)]), 100, admit, 1000)).toMatchObject({
      verdict: 'reject',
      offence: 'oversized-message',
    });
    expect(admitted).toEqual([10]);
  });
});

describe('transaction batch outbox', () => {
  it('only ever sends batches every peer accepts, in order, none lost', () => {
    fc.assert(
      fc.property(
        fc.constantFrom(1024, 128 * 1024, 1024 * 1024),
        fc.array(
          fc.oneof(
            fc.integer({ min: 1, max: 300 }),
            fc.integer({ min: 60_000, max: 140_000 }),
            fc.integer({ min: 1, max: 1 << 20 }),
          ),
          { minLength: 1, maxLength: 24 },
        ),
        (maxTxBytes, sizes) => {
          const outbox = new TxBatchOutbox();
          const sent: Uint8Array[][] = [];
          const raws = sizes.map((n, i) => new Uint8Array(Math.min(n, maxTxBytes)).fill(i % 251));
          for (const raw of raws) {
            const full = outbox.push(raw);
            if (full) sent.push(full);
          }
          if (outbox.size > 0) sent.push(outbox.take());
          const flat = sent.flat();
          expect(flat.length).toBe(raws.length);
          flat.forEach((raw, i) => expect(raw).toBe(raws[i]));
          for (const batch of sent) {
            expect(batch.length).toBeGreaterThan(0);
            const bytes = encodeTxBatch(batch);
            expect(bytes.length).toBeLessThanOrEqual(maxTxBatchBytes(maxTxBytes));
            expect(checkTransactionGossip(bytes, maxTxBytes, () => ({ added: true })).verdict).toBe(
              'accept',
            );
          }
        },
      ),
      { numRuns: 40 },
    );
  });
});

describe('node configuration: network, metrics and logs', () => {
  const base = { datadir: 'd', genesis: 'g.json' };
  const peer = '/ip4/10.0.0.2/tcp/30333/p2p/12D3KooWRcJLyhvGSE6UyyrM9rKhW6aJ4K8hSRyCkhni6ZrVhCwH';

  it('has no network, metrics or JSON logs unless configured', () => {
    const c = parseNodeConfig(base, '/base');
    expect(c.p2p).toBeNull();
    expect(c.metrics).toBeNull();
    expect(c.log).toEqual({ format: 'text', level: 'info' });
  });

  it('reads listen addresses, bootnodes, metrics and the password variable', () => {
    const c = parseNodeConfig(
      {
        ...base,
        validator: { keystore: 'k.json', passwordEnv: 'NODE_PW' },
        p2p: { listen: ['/ip4/0.0.0.0/tcp/4000'], bootnodes: [peer], maxPeers: 10 },
        metrics: { port: 9200 },
        log: { format: 'json', level: 'debug' },
      },
      '/base',
    );
    expect(c.validator).toEqual({
      keystore: '/base/k.json',
      passwordFile: null,
      passwordEnv: 'NODE_PW',
    });
    expect(c.p2p).toEqual({
      listen: ['/ip4/0.0.0.0/tcp/4000'],
      announce: [],
      bootnodes: [peer],
      maxPeers: 10,
    });
    expect(c.metrics).toEqual({ host: '127.0.0.1', port: 9200 });
    expect(parseNodeConfig({ ...base, p2p: {} }, '/').p2p!.listen).toEqual([
      '/ip4/0.0.0.0/tcp/30333',
    ]);
  });

  it('names the field of every mistake', () => {
    const bad: Array<[unknown, RegExp]> = [
      [{ ...base, p2p: { bootnodes: ['/ip4/1.2.3.4/tcp/1'] } }, /p2p\.bootnodes\[0\].*\/p2p\//],
      [{ ...base, p2p: { listen: ['not an address'] } }, /p2p\.listen\[0\]/],
      [{ ...base, p2p: { maxPeers: 0 } }, /p2p\.maxPeers/],
      [{ ...base, p2p: { peers: [] } }, /unknown field "peers"/],
      [{ ...base, metrics: { port: 70000 } }, /metrics\.port/],
      [{ ...base, log: { format: 'xml' } }, /log\.format/],
    ];
    for (const [doc, re] of bad) {
      expect(() => parseNodeConfig(doc, '/')).toThrow(ConfigError);
      expect(() => parseNodeConfig(doc, '/')).toThrow(re);
    }
  });
});

describe('structured logs', () => {
  it('writes JSON lines with level, time and event, and filters by level', () => {
    const lines: string[] = [];
    const log = createLogger(
      'json',
      (l) => lines.push(l),
      'info',
      () => new Date(0),
    );
    log.log('debug', 'hidden');
    log.log('info', 'block', { height: 5n, hash: '0xab', missing: undefined }, 'block 5');
    expect(lines).toHaveLength(1);
    expect(JSON.parse(lines[0]!)).toEqual({
      level: 'info',
      time: '1970-01-01T00:00:00.000Z',
      event: 'block',
      height: '5',
      hash: '0xab',
    });
    const text: string[] = [];
    const t = createLogger('text', (l) => text.push(l));
    t.log('info', 'block', { height: 5 }, 'block 5');
    t.log('warn', 'peer-banned', { peer: 'x' });
    expect(text).toEqual(['block 5', 'warn: peer-banned peer=x']);
  });
});
