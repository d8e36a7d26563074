/**
 * eth_getLogs cannot hold the event loop (where consensus runs): its filter is hashed once and
 * capped, its scan runs in slices shared by all requests (one per turn of the event loop), and
 * each query is bounded in results and time, with a clear error. A filter of 40,000 addresses
 * over 139 blocks used to stall a node for 9 s.
 */
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { addToBloom, bloomMayContain } from '../../src/crypto/bloom.js';
import { BLOOM_BYTES } from '../../src/primitives/receipt.js';
import { toHex } from '../../src/crypto/bytes.js';
import { RpcHandler } from '../../src/rpc/handler.js';
import { LogMatcher } from '../../src/rpc/log-filter.js';
import { WorkScheduler } from '../../src/rpc/work.js';
import { FakeBackend, TOKEN, TRANSFER_TOPIC } from './fake-backend.js';
import { result, rpcError, startServer } from './helpers.js';

const address = (i: number) => '0x' + i.toString(16).padStart(40, '0');

async function reply(handler: RpcHandler, method: string, params: unknown[]) {
  const text = await handler.handleText(JSON.stringify({ jsonrpc: '2.0', id: 1, method, params }));
  return JSON.parse(text!) as { result?: unknown; error?: { code: number; message: string } };
}

describe('eth_getLogs bounds', () => {
  it('refuses a filter of 40,000 addresses, or of more than 1,000 topics in a position', async () => {
    const s = await startServer();
    try {
      const many = Array.from({ length: 40_000 }, (_, i) => address(i + 1));
      expect(
        await rpcError(s.httpUrl, 'eth_getLogs', [{ fromBlock: '0x0', address: many }]),
      ).toEqual({
        code: -32602,
        message: 'invalid argument 0 (filter).address: too many addresses (40000), at most 1000',
      });
      const topics = Array.from(
        { length: 1001 },
        (_, i) => '0x' + i.toString(16).padStart(64, '0'),
      );
      expect(await rpcError(s.httpUrl, 'eth_getLogs', [{ topics: [null, topics] }])).toEqual({
        code: -32602,
        message: 'invalid argument 0 (filter).topics[1]: too many topics (1001), at most 1000',
      });
      // Nothing was scanned for either.
      expect(s.backend.calls.filter((c) => c.method === 'blockLogs')).toEqual([]);
      // 1,000 is fine.
      expect(
        await result(s.httpUrl, 'eth_getLogs', [
          { fromBlock: '0x0', address: many.slice(0, 1000), topics: [topics.slice(0, 1000)] },
        ]),
      ).toEqual([]);
    } finally {
      await s.close();
    }
  });

  it('scans in slices of at most sliceMs, one slice per turn of the event loop', async () => {
    const backend = await FakeBackend.create();
    while (backend.headNumber() < 2_000n) backend.emitHead();
    // A clock that only the scan moves: each block costs 1 ms.
    let clock = 0;
    const scan = backend.blockLogs.bind(backend);
    backend.blockLogs = (n, f) => {
      clock++;
      perTurn[perTurn.length - 1]!++;
      return scan(n, f);
    };
    const perTurn: number[] = [];
    const scheduler = new WorkScheduler({
      sliceMs: 5,
      now: () => clock,
      schedule: (run) =>
        setImmediate(() => {
          perTurn.push(0);
          run();
        }),
    });
    const handler = new RpcHandler({ backend, scheduler });
    // Two queries at once share the turns.
    const [a, b] = await Promise.all([
      reply(handler, 'eth_getLogs', [{ fromBlock: '0x0' }]),
      reply(handler, 'eth_getLogs', [{ fromBlock: '0x0', address: TOKEN }]),
    ]);
    expect(a.result).toHaveLength(2);
    expect(b.result).toHaveLength(2);
    expect(perTurn.reduce((x, y) => x + y, 0)).toBe(2 * 2001);
    expect(Math.max(...perTurn)).toBe(5);
    expect(perTurn.length).toBeGreaterThanOrEqual(Math.ceil((2 * 2001) / 5));
  });

  it('stops a query that runs past its time with a clear error', async () => {
    const backend = await FakeBackend.create();
    while (backend.headNumber() < 100n) backend.emitHead();
    let clock = 0;
    const scan = backend.blockLogs.bind(backend);
    backend.blockLogs = (n, f) => {
      clock += 10;
      return scan(n, f);
    };
    const scheduler = new WorkScheduler({ sliceMs: 5, now: () => clock });
    const handler = new RpcHandler({ backend, scheduler, logQueryTimeoutMs: 300 });
    expect((await reply(handler, 'eth_getLogs', [{ fromBlock: '0x0' }])).error).toEqual({
      code: -32005,
      message:
        'query timeout exceeded: scanned 31 of 101 blocks in 300 ms; narrow the block range or the filter',
    });
  });

  it('stops a query with too many results with a clear error', async () => {
    const backend = await FakeBackend.create();
    const handler = new RpcHandler({ backend, maxLogResults: 1 });
    expect((await reply(handler, 'eth_getLogs', [{ fromBlock: '0x0' }])).error).toEqual({
      code: -32005,
      message: 'query returned more than 1 results; narrow the block range or the filter',
    });
    expect((await reply(handler, 'eth_getLogs', [{ topics: [TRANSFER_TOPIC] }])).result).toEqual(
      [],
    );
  });

  it('replaces a reply above maxResponseBytes by an error, and runs nothing after it in a batch', async () => {
    const backend = await FakeBackend.create();
    const handler = new RpcHandler({ backend, maxResponseBytes: 2000 });
    const call = (id: number, bytes: number) => ({
      jsonrpc: '2.0',
      id,
      method: 'eth_call',
      params: [{ to: TOKEN, data: '0x' + 'ab'.repeat(bytes) }],
    });
    const single = JSON.parse((await handler.handleText(JSON.stringify(call(1, 1500))))!);
    expect(single.error).toEqual({
      code: -32005,
      message: expect.stringMatching(/^response too large: \d+ bytes, limit 2000$/),
    });
    const batch = JSON.parse(
      (await handler.handleText(JSON.stringify([call(1, 100), call(2, 900), call(3, 10)])))!,
    );
    expect(batch[0].result).toMatch(/^0x/);
    expect(batch[1].error.code).toBe(-32005);
    expect(batch[2].error.code).toBe(-32005);
    // The third request was never run.
    expect(backend.calls.filter((c) => c.method === 'call')).toHaveLength(3);
  });
});

describe('LogMatcher', () => {
  const bytes = (n: number) => fc.uint8Array({ minLength: n, maxLength: n });

  it('agrees with the bloom and with a plain match, for any filter and log', () => {
    fc.assert(
      fc.property(
        fc.array(bytes(20), { maxLength: 4 }),
        fc.array(fc.option(fc.array(bytes(32), { maxLength: 3 })), { maxLength: 4 }),
        bytes(20),
        fc.array(bytes(32), { maxLength: 4 }),
        fc.boolean(),
        (addresses, topics, logAddress, logTopics, pick) => {
          // Half the time the log uses the filter's own values, so that matches happen.
          const address = pick && addresses.length > 0 ? addresses[0]! : logAddress;
          const used = pick
            ? topics.map((t, i) => t?.[0] ?? logTopics[i] ?? logAddress)
            : logTopics;
          const log = { address, topics: used.map((t) => t.slice(0, 32)) };
          const m = new LogMatcher(addresses, topics);
          const hex = (b: Uint8Array) => toHex(b);
          const plain =
            (addresses.length === 0 || addresses.some((a) => hex(a) === hex(log.address))) &&
            topics.every(
              (alts, i) =>
                alts === null ||
                alts.length === 0 ||
                (log.topics[i] !== undefined && alts.some((t) => hex(t) === hex(log.topics[i]!))),
            );
          expect(m.matches(log)).toBe(plain);
          // The bloom of the log never rules out a log that matches.
          const bloom = new Uint8Array(BLOOM_BYTES);
          addToBloom(bloom, log.address);
          for (const t of log.topics) addToBloom(bloom, t);
          if (plain) expect(m.mayMatch(bloom)).toBe(true);
          // And mayMatch is the bloom test of the filter's values.
          const expected =
            (addresses.length === 0 || addresses.some((a) => bloomMayContain(bloom, a))) &&
            topics.every(
              (alts) =>
                alts === null || alts.length === 0 || alts.some((t) => bloomMayContain(bloom, t)),
            );
          expect(m.mayMatch(bloom)).toBe(expected);
        },
      ),
      { numRuns: 300 },
    );
  });
});
