/**
 * Peers that misbehave, against real nodes on libp2p (in this process, on loopback): malformed,
 * oversized and replayed gossip, bad requests, and a peer that serves forged blocks. The nodes
 * must keep running and syncing, and the sender must be penalised, then disconnected.
 */
import '../../src/p2p/polyfill.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createLibp2p, type Libp2p } from 'libp2p';
import { tcp } from '@libp2p/tcp';
import { noise } from '@chainsafe/libp2p-noise';
import { yamux } from '@chainsafe/libp2p-yamux';
import { identify } from '@libp2p/identify';
import { gossipsub, type GossipSub } from '@libp2p/gossipsub';
import { multiaddr } from '@multiformats/multiaddr';
import { peerIdFromString } from '@libp2p/peer-id';
import { join } from 'node:path';
import { decodeMessage } from '../../src/consensus/messages.js';
import { secp256k1Recover } from '../../src/consensus/crypto.js';
import { rlpEncode } from '../../src/codec/rlp.js';
import { DEV_MNEMONIC, deriveAccounts } from '../../src/crypto/mnemonic.js';
import { devGenesis, DEV_VALIDATOR_PATH } from '../../src/node/devnet.js';
import { Node } from '../../src/node/node.js';
import { p2pChainOf } from '../../src/node/run.js';
import { createLogger } from '../../src/log/logger.js';
import { encodeFrame, FrameReader } from '../../src/p2p/frames.js';
import { loadOrCreatePeerKey } from '../../src/p2p/identity.js';
import { encodeTxBatch } from '../../src/p2p/gossip.js';
import { P2pNetwork } from '../../src/p2p/network.js';
import { decodeBlocksRequest, encodeStatus, type Names } from '../../src/p2p/wire.js';
import { blockHash, encodeBlock } from '../../src/chain/block.js';
import { commitSealDigest } from '../../src/consensus/messages.js';
import { sign } from '../../src/crypto/secp256k1.js';
import { toHex } from '../../src/crypto/bytes.js';
import type { Genesis } from '../../src/chain/genesis.js';
import { tempDir, waitUntil } from './helpers.js';

type Attacker = Libp2p<{ pubsub: GossipSub; identify: unknown }>;

interface NetNode {
  node: Node;
  p2p: P2pNetwork;
  stop(): Promise<void>;
}

async function startNetNode(
  datadir: string,
  genesis: Genesis,
  key: Uint8Array | null,
  bootnodes: string[],
): Promise<NetNode> {
  const logger = process.env.P2P_DEBUG
    ? createLogger('text', (l) => console.log(datadir.slice(-1), l), 'debug')
    : undefined;
  const node = new Node({ datadir, genesis, validatorKey: key, name: 'n', log: () => {}, logger });
  const p2p = new P2pNetwork({
    privateKey: await loadOrCreatePeerKey(datadir),
    listen: ['/ip4/127.0.0.1/tcp/0'],
    bootnodes,
    chain: p2pChainOf(node),
    handlers: {
      onConsensus: (b) => node.receiveConsensus(b),
      onTransaction: (raw) => node.receiveTransaction(raw),
    },
    statusIntervalMs: 300,
    redialIntervalMs: 1000,
    requestTimeoutMs: 5000,
    logger,
  });
  await p2p.start();
  node.start(p2p);
  return {
    node,
    p2p,
    stop: async () => {
      await p2p.stop();
      await node.stop();
    },
  };
}

async function attacker(): Promise<Attacker> {
  return createLibp2p({
    addresses: { listen: ['/ip4/127.0.0.1/tcp/0'] },
    transports: [tcp()],
    connectionEncrypters: [noise()],
    streamMuxers: [yamux()],
    services: {
      identify: identify(),
      pubsub: gossipsub({
        globalSignaturePolicy: 'StrictNoSign',
        allowPublishToZeroTopicPeers: true,
        ignoreDuplicatePublishError: true,
      }),
    },
  });
}

const dir = tempDir();
const genesis = devGenesis(1, 200, BigInt(Math.floor(Date.now() / 1000)));
const validatorKey = deriveAccounts(DEV_MNEMONIC, 1, DEV_VALIDATOR_PATH)[0]!.privateKey;
let validator: NetNode;
let follower: NetNode;
let names: Names;
const recorded: Uint8Array[] = [];
const attackers: Attacker[] = [];

beforeAll(async () => {
  validator = await startNetNode(join(dir.dir, 'v'), genesis, validatorKey, []);
  names = validator.p2p.names;
  // An eavesdropper records the validator's consensus messages of the first heights.
  const spy = await attacker();
  attackers.push(spy);
  spy.services.pubsub.subscribe(names.consensusTopic);
  spy.services.pubsub.addEventListener('message', (e) => {
    if (e.detail.topic === names.consensusTopic && recorded.length < 200)
      recorded.push(e.detail.data);
  });
  await spy.dial(multiaddr(validator.p2p.addresses()[0]!));
  await waitUntil(
    () => validator.node.chain.headNumber >= 12n,
    60_000,
    () => 'validator head',
  );
  follower = await startNetNode(join(dir.dir, 'f'), genesis, null, validator.p2p.addresses());
  await waitUntil(
    () => follower.node.chain.headNumber >= 12n,
    60_000,
    () => `follower at ${follower.node.chain.headNumber}`,
  );
}, 120_000);

afterAll(async () => {
  for (const a of attackers) await Promise.resolve(a.stop()).catch(() => {});
  await follower?.stop();
  await validator?.stop();
  dir.remove();
});

async function joinFollower(a: Attacker): Promise<string> {
  await a.dial(multiaddr(follower.p2p.addresses()[0]!));
  const id = follower.p2p.peerId;
  await waitUntil(
    () => a.services.pubsub.getSubscribers(names.consensusTopic).some((p) => p.toString() === id),
    20_000,
    () => 'subscription',
  );
  return a.peerId.toString();
}

const stillFollowing = async () => {
  const target = validator.node.chain.headNumber + 3n;
  await waitUntil(
    () => follower.node.chain.headNumber >= target,
    30_000,
    () => `follower at ${follower.node.chain.headNumber}, want ${target}`,
  );
};

describe('misbehaving gossip', () => {
  it('penalises replayed, malformed and oversized messages, then disconnects the sender', async () => {
    const limits = {
      chainId: validator.node.chain.chainId,
      maxMessageBytes: 1e7,
      maxJustification: 10,
    };
    // Messages recorded from heights the follower committed long ago (on a busy machine the
    // chain may need a moment to get that far).
    const oldMessages = () => {
      const stale = Number(follower.node.chain.headNumber) - 2;
      return recorded.filter(
        (b) => decodeMessage(b, secp256k1Recover, limits).signed.height < stale,
      );
    };
    await waitUntil(
      () => oldMessages().length > 0,
      30_000,
      () => `${recorded.length} messages recorded, none old enough`,
    );
    const old = oldMessages();

    const a = await attacker();
    attackers.push(a);
    const id = await joinFollower(a);
    const points = () => follower.p2p.penalties.points(id);

    // Replays: validly signed, but for heights committed long ago. A few cost a little; a
    // flood of them would add up to a ban like anything else.
    for (const b of old.slice(0, 10)) await a.services.pubsub.publish(names.consensusTopic, b);
    await waitUntil(
      () => points() > 0,
      20_000,
      () => 'replay penalty',
    );
    expect(follower.p2p.penalties.isBanned(id)).toBe(false);

    // Malformed consensus messages.
    for (let i = 0; i < 2; i++)
      await a.services.pubsub.publish(names.consensusTopic, Uint8Array.of(0xc3, 1, 2, i));
    await waitUntil(
      () => points() >= 40,
      20_000,
      () => `points ${points()} after garbage`,
    );

    // An oversized transaction (above maxTxBytes), then more garbage: the sender is banned.
    await a.services.pubsub.publish(
      names.txTopic,
      encodeTxBatch([new Uint8Array(Number(genesis.params.maxTxBytes) + 1)]),
    );
    for (let i = 0; i < 3; i++)
      await a.services.pubsub.publish(names.txTopic, encodeTxBatch([Uint8Array.of(0x02, 0xc1, i)]));
    await waitUntil(
      () => follower.p2p.penalties.isBanned(id),
      20_000,
      () => `points ${points()}`,
    );
    await waitUntil(
      () => !follower.p2p.connectedPeers().includes(id),
      20_000,
      () => 'still connected',
    );
    // A banned peer that dials again is refused (the connection is closed at the handshake).
    await a.dial(multiaddr(follower.p2p.addresses()[0]!)).catch(() => null);
    await waitUntil(
      () => !follower.p2p.connectedPeers().includes(id),
      20_000,
      () => 'banned peer reconnected',
    );
    await stillFollowing();
  });
});

describe('misbehaving requests and responses', () => {
  it('penalises malformed and oversized requests', async () => {
    const b = await attacker();
    attackers.push(b);
    const id = await joinFollower(b);
    const peer = peerIdFromString(follower.p2p.peerId);
    const drain = async (s: Awaited<ReturnType<Attacker['dialProtocol']>>) => {
      try {
        for await (const _ of s) void _;
      } catch {
        /* the node resets the stream of a bad request */
      }
    };
    // Garbage request.
    let s = await b.dialProtocol(peer, names.blocksProtocol);
    s.send(encodeFrame(Uint8Array.of(1, 2, 3)));
    await drain(s);
    // A frame length far above the request limit.
    s = await b.dialProtocol(peer, names.blocksProtocol);
    s.send(Uint8Array.of(0xff, 0xff, 0x7f));
    await drain(s);
    // A valid request is still served.
    s = await b.dialProtocol(peer, names.blocksProtocol);
    s.send(encodeFrame(rlpEncode([1, 3])));
    const reader = new FrameReader(s, 1 << 24);
    const got: Uint8Array[] = [];
    for (let f = await reader.next(); f; f = await reader.next()) got.push(f);
    expect(got.map(toHex)).toEqual(
      [1n, 2n, 3n].map((n) => toHex(follower.node.chain.blockBytesAt(n)!)),
    );
    await waitUntil(
      () => follower.p2p.penalties.points(id) >= 35,
      20_000,
      () => `points ${follower.p2p.penalties.points(id)}`,
    );
    await stillFollowing();
  });

  it('penalises a peer that serves forged blocks, and syncs from honest peers instead', async () => {
    const c = await attacker();
    attackers.push(c);
    // Claims a head far ahead; serves the validator's blocks with forged seals, then junk.
    await c.handle(names.statusProtocol, async (stream) => {
      await new FrameReader(stream, 1024).next();
      stream.send(
        encodeFrame(
          encodeStatus({
            chainId: genesis.chainId,
            genesisHash: validator.node.chain.genesisHash,
            headNumber: 1_000_000n,
            headHash: new Uint8Array(32),
          }),
        ),
      );
      await stream.close();
    });
    const stranger = new Uint8Array(32).fill(7);
    let served = 0;
    await c.handle(names.blocksProtocol, async (stream) => {
      const { from, count } = decodeBlocksRequest((await new FrameReader(stream, 1024).next())!);
      served++;
      for (let n = from; n < from + BigInt(count); n++) {
        const real = validator.node.chain.blockAt(n);
        if (!real) break;
        const { round } = real.header.extra;
        const seal = sign(
          commitSealDigest(validator.node.chain.chainId, blockHash(real), round),
          stranger,
        );
        const forged = {
          ...real,
          header: { ...real.header, extra: { ...real.header.extra, commitSeals: [seal] } },
        };
        stream.send(encodeFrame(served === 1 ? encodeBlock(forged) : Uint8Array.of(0xde, 0xad)));
      }
      await stream.close();
    });
    await c.start();
    // A new node that knows only the forger.
    const late = await startNetNode(join(dir.dir, 'late'), genesis, null, [
      c.getMultiaddrs()[0]!.toString(),
    ]);
    try {
      const id = c.peerId.toString();
      await waitUntil(
        () => late.p2p.penalties.isBanned(id),
        40_000,
        () => `points ${late.p2p.penalties.points(id)}, served ${served}`,
      );
      expect(served).toBeGreaterThanOrEqual(2);
      expect(late.node.chain.headNumber).toBe(0n);
      await waitUntil(
        () => !late.p2p.connectedPeers().includes(id),
        20_000,
        () => 'connected',
      );
      // Told of an honest peer, it syncs and agrees with it.
      await late.p2p.dial(validator.p2p.addresses()[0]!);
      const target = validator.node.chain.headNumber;
      await waitUntil(
        () => late.node.chain.headNumber >= target,
        40_000,
        () => `late node at ${late.node.chain.headNumber}, want ${target}`,
      );
      expect(toHex(late.node.chain.blockAt(target)!.header.stateRoot)).toBe(
        toHex(validator.node.chain.blockAt(target)!.header.stateRoot),
      );
    } finally {
      await late.stop();
    }
  });
});
