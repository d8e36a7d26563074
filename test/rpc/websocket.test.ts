/**
 * The WebSocket side: requests and batches, eth_subscribe newHeads/logs and eth_unsubscribe,
 * notification order and filters, subscription limits, origins, message size, and frames that
 * break the protocol (they close that one connection, never the server).
 */
import { randomBytes } from 'node:crypto';
import { connect, type Socket } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { toHex } from '../../src/crypto/bytes.js';
import {
  DEV_ADDRESS,
  HEAD_TRIGGER,
  OTHER_TOPIC,
  RECIPIENT,
  TOKEN,
  TRANSFER_TOPIC,
  type FakeBackend,
} from './fake-backend.js';
import {
  isNotification,
  result,
  startServer,
  WsClient,
  type JsonRpcReply,
  type TestServer,
} from './helpers.js';

let s: TestServer;
let be: FakeBackend;
const open: WsClient[] = [];

async function client(options: { origin?: string } = {}, server = s): Promise<WsClient> {
  const c = await WsClient.open(server.wsUrl, options);
  open.push(c);
  return c;
}

beforeAll(async () => {
  s = await startServer();
  be = s.backend;
});
afterAll(async () => {
  await Promise.all(open.map((c) => c.close()));
  await s.close();
});

const PADDED = (addr: string): string => '0x' + addr.slice(2).padStart(64, '0');
const SUB_ID = /^0x[0-9a-f]{32}$/;

/**
 * A request/reply round trip: everything the server sent before its reply has arrived once
 * the reply has (one ordered stream), so the client's queue is then complete.
 */
async function barrier(c: WsClient): Promise<void> {
  const reply = await c.request('eth_blockNumber');
  expect(reply.result).toMatch(/^0x/);
}

function notificationsIn(c: WsClient): { subscription: string; result: unknown }[] {
  return c.messages.filter(isNotification).map((m) => m.params);
}

describe('requests over WebSocket', () => {
  it('answers single requests and batches like HTTP', async () => {
    const c = await client();
    expect(await c.request('eth_chainId')).toEqual({ jsonrpc: '2.0', id: 1, result: '0x45544d' });
    c.sendRaw(
      JSON.stringify([
        { jsonrpc: '2.0', id: 'a', method: 'net_version' },
        { jsonrpc: '2.0', method: 'eth_chainId' },
        { jsonrpc: '2.0', id: 'b', method: 'nope' },
      ]),
    );
    expect(await c.next((m) => Array.isArray(m))).toEqual([
      { jsonrpc: '2.0', id: 'a', result: '4543565' },
      {
        jsonrpc: '2.0',
        id: 'b',
        error: { code: -32601, message: 'the method nope does not exist/is not available' },
      },
    ]);
  });

  it('invalid JSON is -32700 and the connection stays open', async () => {
    const c = await client();
    c.sendRaw('{"jsonrpc":"2.0",');
    expect(await c.next()).toEqual({
      jsonrpc: '2.0',
      id: null,
      error: { code: -32700, message: 'parse error' },
    });
    c.sendRaw('[]');
    expect(await c.next()).toEqual({
      jsonrpc: '2.0',
      id: null,
      error: { code: -32600, message: 'invalid request: empty batch' },
    });
    expect((await c.request('eth_chainId')).result).toBe('0x45544d');
  });

  it('notifications get no reply; binary frames are read as UTF-8 text', async () => {
    const c = await client();
    c.sendRaw(JSON.stringify({ jsonrpc: '2.0', method: 'eth_chainId' }));
    c.sendRaw(Buffer.from(JSON.stringify({ jsonrpc: '2.0', id: 'bin', method: 'eth_chainId' })));
    expect(await c.next()).toEqual({ jsonrpc: '2.0', id: 'bin', result: '0x45544d' });
    await barrier(c);
    expect(c.messages).toEqual([]);
  });

  it('a message over maxRequestBytes closes the connection with 1009', async () => {
    const t = await startServer({ maxRequestBytes: 1000 });
    try {
      const c = await client({}, t);
      const base = JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'eth_chainId' });
      c.sendRaw(base + ' '.repeat(1000 - base.length));
      expect((await c.next<JsonRpcReply>()).result).toBe('0x45544d');
      c.sendRaw(base + ' '.repeat(1001 - base.length));
      expect(await c.closed()).toBe(1009);
      expect(await result(t.httpUrl, 'eth_chainId')).toBe('0x45544d');
    } finally {
      await t.close();
    }
  });
});

describe('newHeads', () => {
  it('sends each new header to the subscriber, then stops after eth_unsubscribe', async () => {
    const c = await client();
    const id = await c.subscribe(['newHeads']);
    expect(id).toMatch(SUB_ID);
    const event = be.emitHead();
    const head = await c.notification<Record<string, unknown>>(id);
    const b = event.block;
    expect(head).toEqual({
      baseFeePerGas: '0x1a13b8600',
      difficulty: '0x0',
      extraData: '0xe7a0',
      gasLimit: '0x1c9c380',
      gasUsed: '0x0',
      hash: toHex(b.hash),
      logsBloom: '0x' + '00'.repeat(256),
      miner: toHex(b.miner),
      mixHash: toHex(b.mixHash),
      nonce: '0x0000000000000000',
      number: `0x${b.number.toString(16)}`,
      parentHash: toHex(b.parentHash),
      receiptsRoot: toHex(b.receiptsRoot),
      sha3Uncles: toHex(b.sha3Uncles),
      stateRoot: toHex(b.stateRoot),
      timestamp: `0x${b.timestamp.toString(16)}`,
      transactionsRoot: toHex(b.transactionsRoot),
    });
    // The header is the block eth_getBlockByHash returns, without the body fields.
    const block = await result<Record<string, unknown>>(s.httpUrl, 'eth_getBlockByHash', [
      head.hash,
    ]);
    const { size, totalDifficulty, transactions, uncles, ...header } = block;
    expect([size, totalDifficulty, transactions, uncles]).toEqual(['0x258', '0x0', [], []]);
    expect(header).toEqual(head);

    // The whole notification envelope.
    be.emitHead();
    await barrier(c);
    const raw = c.messages.shift();
    expect(raw).toEqual({
      jsonrpc: '2.0',
      method: 'eth_subscription',
      params: { subscription: id, result: expect.objectContaining({ number: expect.any(String) }) },
    });
    expect(Object.keys(raw as object)).toEqual(['jsonrpc', 'method', 'params']);

    expect((await c.request('eth_unsubscribe', [id])).result).toBe(true);
    be.emitHead();
    await barrier(c);
    expect(notificationsIn(c)).toEqual([]);
    // Already gone.
    expect((await c.request('eth_unsubscribe', [id])).result).toBe(false);
  });

  it('the subscription reply always comes before its first notification', async () => {
    const c = await client();
    // The eth_call below commits a block while the batch is still being answered.
    c.sendRaw(
      JSON.stringify([
        { jsonrpc: '2.0', id: 1, method: 'eth_subscribe', params: ['newHeads'] },
        { jsonrpc: '2.0', id: 2, method: 'eth_call', params: [{ to: HEAD_TRIGGER }] },
      ]),
    );
    await barrier(c);
    const [batch, notification] = c.messages as [JsonRpcReply[], unknown];
    expect(c.messages).toHaveLength(2);
    expect(batch.map((r) => r.id)).toEqual([1, 2]);
    expect(notification).toMatchObject({
      method: 'eth_subscription',
      params: { subscription: batch[0]!.result },
    });
  });

  it('subscribing and unsubscribing in one batch delivers nothing', async () => {
    const c = await client();
    c.sendRaw(
      JSON.stringify([
        { jsonrpc: '2.0', id: 1, method: 'eth_subscribe', params: ['newHeads'] },
        { jsonrpc: '2.0', id: 2, method: 'eth_call', params: [{ to: HEAD_TRIGGER }] },
      ]),
    );
    const [sub] = await c.next<JsonRpcReply[]>((m) => Array.isArray(m));
    c.messages.length = 0;
    expect((await c.request('eth_unsubscribe', [sub!.result])).result).toBe(true);
    be.emitHead();
    await barrier(c);
    expect(notificationsIn(c)).toEqual([]);
  });

  it('every subscriber gets every head; one connection cannot end another one’s subscription', async () => {
    const [a, b] = [await client(), await client()];
    const [ida, idb] = [await a.subscribe(['newHeads']), await b.subscribe(['newHeads'])];
    expect(ida).not.toBe(idb);
    expect((await a.request('eth_unsubscribe', [idb])).result).toBe(false);
    const event = be.emitHead();
    const number = `0x${event.block.number.toString(16)}`;
    expect(await a.notification(ida)).toMatchObject({ number });
    expect(await b.notification(idb)).toMatchObject({ number });
  });

  it('subscription ids are accepted in upper case', async () => {
    const c = await client();
    const id = await c.subscribe(['newHeads']);
    expect((await c.request('eth_unsubscribe', ['0x' + id.slice(2).toUpperCase()])).result).toBe(
      true,
    );
  });
});

describe('logs', () => {
  function emitWithLogs(): void {
    be.emitHead((block) => {
      const tx = be.blocks[1]!.transactions[2]!;
      return [
        be.makeLog(block, tx, 0n, TOKEN, [TRANSFER_TOPIC, DEV_ADDRESS, RECIPIENT]),
        be.makeLog(block, tx, 1n, RECIPIENT, [TRANSFER_TOPIC]),
        be.makeLog(block, tx, 2n, TOKEN, [OTHER_TOPIC]),
      ];
    });
  }

  it('delivers matching logs one notification each, in order', async () => {
    const c = await client();
    const any = await c.subscribe(['logs']);
    const anyEmpty = await c.subscribe(['logs', {}]);
    const token = await c.subscribe(['logs', { address: TOKEN }]);
    const transfer = await c.subscribe(['logs', { topics: [TRANSFER_TOPIC] }]);
    const both = await c.subscribe([
      'logs',
      { address: [TOKEN], topics: [[TRANSFER_TOPIC], null] },
    ]);
    const to = await c.subscribe(['logs', { topics: [null, null, PADDED(RECIPIENT)] }]);
    const none = await c.subscribe(['logs', { address: DEV_ADDRESS }]);
    emitWithLogs();
    await barrier(c);
    const got = new Map<string, string[]>();
    for (const n of notificationsIn(c)) {
      const log = n.result as { address: string; logIndex: string };
      got.set(n.subscription, [
        ...(got.get(n.subscription) ?? []),
        `${log.logIndex}@${log.address}`,
      ]);
    }
    const l0 = `0x0@${TOKEN}`;
    const l1 = `0x1@${RECIPIENT}`;
    const l2 = `0x2@${TOKEN}`;
    expect(got.get(any)).toEqual([l0, l1, l2]);
    expect(got.get(anyEmpty)).toEqual([l0, l1, l2]);
    expect(got.get(token)).toEqual([l0, l2]);
    expect(got.get(transfer)).toEqual([l0, l1]);
    expect(got.get(both)).toEqual([l0]);
    expect(got.get(to)).toEqual([l0]);
    expect(got.has(none)).toBe(false);
  });

  it('a log notification is the eth_getLogs log object', async () => {
    const c = await client();
    const id = await c.subscribe(['logs', { address: TOKEN, topics: [OTHER_TOPIC] }]);
    emitWithLogs();
    const log = await c.notification(id);
    const block = be.blocks[be.blocks.length - 1]!;
    expect(log).toEqual({
      address: TOKEN,
      topics: [OTHER_TOPIC],
      data: '0x' + '3'.padStart(64, '0'),
      blockNumber: `0x${block.number.toString(16)}`,
      transactionHash: toHex(be.blocks[1]!.transactions[2]!.hash),
      transactionIndex: '0x2',
      blockHash: toHex(block.hash),
      logIndex: '0x2',
      removed: false,
    });
  });

  it('filters are checked: only address and topics', async () => {
    const c = await client();
    const cases: [unknown[], string][] = [
      [['logs', { fromBlock: '0x1' }], 'invalid argument 1 (filter): unknown field "fromBlock"'],
      [
        ['logs', { address: '0x12' }],
        'invalid argument 1 (filter).address: expected 20 bytes of hex data, got 1',
      ],
      [
        ['logs', { topics: ['0x12'] }],
        'invalid argument 1 (filter).topics[0]: expected 32 bytes of hex data, got 1',
      ],
      [['logs', 'x'], 'invalid argument 1 (filter): expected an object, got string "x"'],
      [['newHeads', {}], 'too many arguments, want at most 1, got 2'],
      [
        ['newPendingTransactions', true],
        'invalid argument 1 (full transactions): only transaction hashes are sent',
      ],
      [
        ['syncing'],
        'invalid argument 0 (subscription type): unsupported subscription type "syncing"',
      ],
      [[], 'missing value for required argument 0 (subscription type)'],
      [['logs', {}, 1], 'too many arguments, want at most 2, got 3'],
    ];
    for (const [params, message] of cases) {
      expect((await c.request('eth_subscribe', params)).error).toEqual({ code: -32602, message });
    }
    for (const id of ['0x', 'abc', 7, '0x' + 'f'.repeat(65)]) {
      expect((await c.request('eth_unsubscribe', [id])).error).toMatchObject({ code: -32602 });
    }
  });
});

describe('subscription bookkeeping', () => {
  it('listens to the backend only while a subscription exists', async () => {
    const t = await startServer();
    try {
      const c = await client({}, t);
      expect(t.backend.listeners.size).toBe(0);
      const a = await c.subscribe(['newHeads']);
      const b = await c.subscribe(['logs']);
      expect(t.backend.listeners.size).toBe(1);
      await c.request('eth_unsubscribe', [a]);
      expect(t.backend.listeners.size).toBe(1);
      await c.request('eth_unsubscribe', [b]);
      expect(t.backend.listeners.size).toBe(0);
      await c.subscribe(['newHeads']);
      expect(t.backend.listeners.size).toBe(1);
      // Closing the connection ends its subscriptions.
      const closed = new Promise<void>((resolve) => {
        const poll = (): void =>
          t.backend.listeners.size === 0 ? resolve() : void setImmediate(poll);
        poll();
      });
      await c.close();
      await closed;
      expect(t.backend.listeners.size).toBe(0);
    } finally {
      await t.close();
    }
  });

  it('limits subscriptions per connection (maxSubscriptionsPerSocket) with -32005', async () => {
    const t = await startServer({ maxSubscriptionsPerSocket: 2 });
    try {
      const c = await client({}, t);
      const first = await c.subscribe(['newHeads']);
      await c.subscribe(['logs']);
      expect((await c.request('eth_subscribe', ['newHeads'])).error).toEqual({
        code: -32005,
        message: 'too many subscriptions on this connection (limit 2)',
      });
      // The limit is per connection, and freed by eth_unsubscribe.
      const other = await client({}, t);
      expect(await other.subscribe(['newHeads'])).toMatch(SUB_ID);
      await c.request('eth_unsubscribe', [first]);
      expect(await c.subscribe(['newHeads'])).toMatch(SUB_ID);
    } finally {
      await t.close();
    }
  });

  it('server close ends connections with 1001', async () => {
    const t = await startServer();
    const c = await client({}, t);
    await c.subscribe(['newHeads']);
    const code = c.closed();
    await t.close();
    expect(await code).toBe(1001);
    expect(t.backend.listeners.size).toBe(0);
  });
});

describe('origins', () => {
  it('without corsOrigins: no Origin (non-browser) and local pages only', async () => {
    expect((await (await client()).request('eth_chainId')).result).toBe('0x45544d');
    for (const origin of ['http://localhost', 'http://localhost:3000', 'http://127.0.0.1:5173']) {
      expect((await (await client({ origin })).request('eth_chainId')).result).toBe('0x45544d');
    }
    for (const origin of [
      'https://evil.example',
      'http://localhost.evil.example',
      'https://localhost',
    ]) {
      await expect(WsClient.open(s.wsUrl, { origin })).rejects.toThrow(
        'Unexpected server response: 403',
      );
    }
  });

  it('with corsOrigins: exactly the listed origins, or all with "*"', async () => {
    const t = await startServer({ corsOrigins: ['https://app.example'] });
    const star = await startServer({ corsOrigins: ['*'] });
    try {
      expect(
        (await (await client({ origin: 'https://app.example' }, t)).request('eth_chainId')).result,
      ).toBe('0x45544d');
      await expect(WsClient.open(t.wsUrl, { origin: 'http://localhost:3000' })).rejects.toThrow(
        'Unexpected server response: 403',
      );
      expect(
        (await (await client({ origin: 'https://other.example' }, star)).request('eth_chainId'))
          .result,
      ).toBe('0x45544d');
    } finally {
      await Promise.all([t.close(), star.close()]);
    }
  });
});

/**
 * A WebSocket opened by hand, to send frames no client library would. `closeFrame` resolves
 * with the code of the server's close frame (null if it had none), then drops the socket.
 */
async function rawSocket(
  wsUrl: string,
): Promise<{ socket: Socket; data: Buffer[]; closeFrame: Promise<number | null> }> {
  const { hostname, port } = new URL(wsUrl);
  const socket = connect(Number(port), hostname);
  socket.on('error', () => {});
  await new Promise<void>((resolve) => socket.once('connect', () => resolve()));
  const key = randomBytes(16).toString('base64');
  socket.write(
    `GET / HTTP/1.1\r\nHost: ${hostname}:${port}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n` +
      `Sec-WebSocket-Key: ${key}\r\nSec-WebSocket-Version: 13\r\n\r\n`,
  );
  const data: Buffer[] = [];
  let handshake: Buffer | null = Buffer.alloc(0);
  let onFrames: () => void = () => {};
  await new Promise<void>((resolve) => {
    socket.on('data', (d: Buffer) => {
      if (handshake === null) {
        data.push(d);
        onFrames();
        return;
      }
      handshake = Buffer.concat([handshake, d]);
      const end = handshake.indexOf('\r\n\r\n');
      if (end < 0) return;
      expect(handshake.subarray(0, end).toString()).toMatch(/^HTTP\/1\.1 101 /);
      const rest = handshake.subarray(end + 4);
      if (rest.length > 0) data.push(rest);
      handshake = null;
      resolve();
    });
  });
  const closeFrame = new Promise<number | null>((resolve) => {
    onFrames = () => {
      const code = closeCode(Buffer.concat(data));
      if (code !== undefined) {
        resolve(code);
        socket.destroy();
      }
    };
    socket.once('close', () => resolve(closeCode(Buffer.concat(data)) ?? null));
    onFrames();
  });
  return { socket, data, closeFrame };
}

/** A client frame: FIN + opcode, masked payload (unless `mask` is false). */
function frame(
  opcode: number,
  payload: Buffer,
  options: { mask?: boolean; rsv?: number } = {},
): Buffer {
  const mask = options.mask ?? true;
  const head = [0x80 | (options.rsv ?? 0) | opcode];
  const len = payload.length;
  if (len < 126) head.push((mask ? 0x80 : 0) | len);
  else head.push((mask ? 0x80 : 0) | 126, len >> 8, len & 0xff);
  if (!mask) return Buffer.concat([Buffer.from(head), payload]);
  const key = randomBytes(4);
  const masked = Buffer.from(payload.map((b, i) => b ^ key[i % 4]!));
  return Buffer.concat([Buffer.from(head), key, masked]);
}

/**
 * In what a server sent (unmasked frames): the code of its first close frame, null for a
 * close frame without one, undefined when no complete close frame has arrived.
 */
function closeCode(bytes: Buffer): number | null | undefined {
  for (let i = 0; i + 1 < bytes.length;) {
    const opcode = bytes[i]! & 0x0f;
    let len = bytes[i + 1]! & 0x7f;
    let at = i + 2;
    if (len === 126) {
      if (at + 2 > bytes.length) return undefined;
      len = bytes.readUInt16BE(at);
      at += 2;
    }
    if (at + len > bytes.length) return undefined;
    if (opcode === 0x8) return len >= 2 ? bytes.readUInt16BE(at) : null;
    i = at + len;
  }
  return undefined;
}

describe('bad frames', () => {
  const json = Buffer.from('{"jsonrpc":"2.0","id":1,"method":"eth_chainId"}');
  const cases: [string, Buffer, number][] = [
    ['an unmasked client frame', frame(0x1, json, { mask: false }), 1002],
    ['a reserved opcode', frame(0x3, json), 1002],
    ['reserved bits set', frame(0x1, json, { rsv: 0x40 }), 1002],
    ['a text frame that is not UTF-8', frame(0x1, Buffer.from([0x22, 0xff, 0xfe, 0x22])), 1007],
    ['a fragmented control frame', Buffer.from([0x09, 0x80, 1, 2, 3, 4]), 1002],
    ['a continuation with nothing to continue', frame(0x0, json), 1002],
    ['a frame longer than maxPayload', Buffer.from([0x81, 0xff, 0, 0, 0, 1, 0, 0, 0, 0]), 1009],
  ];

  for (const [name, bytes, code] of cases) {
    it(`${name}: that connection is closed (${code}), the server keeps serving`, async () => {
      const watcher = await client();
      const watched = await watcher.subscribe(['newHeads']);
      const { socket, closeFrame } = await rawSocket(s.wsUrl);
      socket.write(bytes);
      expect(await closeFrame).toBe(code);
      // Other connections, their subscriptions and HTTP are unaffected.
      expect((await watcher.request('eth_chainId')).result).toBe('0x45544d');
      be.emitHead();
      expect(await watcher.notification(watched)).toHaveProperty('hash');
      expect(await result(s.httpUrl, 'eth_chainId')).toBe('0x45544d');
    });
  }

  it('a garbage upgrade request is refused with 400', async () => {
    const { hostname, port } = new URL(s.wsUrl);
    const reply = await new Promise<string>((resolve) => {
      const socket = connect(Number(port), hostname, () =>
        socket.write(
          `GET / HTTP/1.1\r\nHost: localhost\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Version: 13\r\n\r\n`,
        ),
      );
      let out = '';
      socket.on('data', (d) => (out += d.toString()));
      socket.on('close', () => resolve(out));
      socket.on('error', () => {});
    });
    expect(reply).toMatch(/^HTTP\/1\.1 400 /);
    expect(await result(s.httpUrl, 'eth_chainId')).toBe('0x45544d');
  });

  it('a connection dropped mid-frame leaves the server serving', async () => {
    const { socket, closeFrame } = await rawSocket(s.wsUrl);
    socket.write(frame(0x1, json).subarray(0, 5));
    socket.destroy();
    expect(await closeFrame).toBeNull();
    expect(await result(s.httpUrl, 'eth_chainId')).toBe('0x45544d');
  });

  it('a valid frame sent by hand is answered', async () => {
    const { socket, data, closeFrame } = await rawSocket(s.wsUrl);
    const got = new Promise<void>((resolve) => socket.once('data', () => resolve()));
    socket.write(frame(0x1, json));
    await got;
    const reply = Buffer.concat(data);
    expect(reply[0]).toBe(0x81);
    expect(JSON.parse(reply.subarray(2).toString())).toEqual({
      jsonrpc: '2.0',
      id: 1,
      result: '0x45544d',
    });
    socket.write(frame(0x8, Buffer.from([0x03, 0xe8])));
    expect(await closeFrame).toBe(1000);
  });
});
