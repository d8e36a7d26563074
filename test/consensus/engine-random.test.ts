/**
 * Property: four honest validators under arbitrary loss, duplication, reordering, timer firings
 * and crash-restarts from their write-ahead logs never commit two blocks at one height, never
 * sign two digests for one (height, round, type) and never accuse each other; once the network
 * is reliable again, a block is committed.
 */
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { toHex } from '../../src/crypto/bytes.js';
import { decodeWalRecord, encodeWalRecord } from '../../src/consensus/wal.js';
import type { EngineEffect, EngineInput, WalRecord } from '../../src/consensus/types.js';
import type { QbftEngine } from '../../src/consensus/engine.js';
import { makeBlock, makeSigners, newEngine, startInput } from './helpers.js';

const signers = makeSigners(4);
const validators = signers.map((s) => s.address);

interface Node {
  engine: QbftEngine;
  wal: WalRecord[];
  signed: Map<string, string>;
  doubleSigns: string[];
  commits: string[];
  evidence: number;
}

type Command =
  | { op: 'deliver'; pick: number }
  | { op: 'drop'; pick: number }
  | { op: 'duplicate'; pick: number }
  | { op: 'timer'; node: number; resend: boolean }
  | { op: 'restart'; node: number };

const command: fc.Arbitrary<Command> = fc.oneof(
  { weight: 6, arbitrary: fc.record({ op: fc.constant('deliver' as const), pick: fc.nat() }) },
  { weight: 2, arbitrary: fc.record({ op: fc.constant('drop' as const), pick: fc.nat() }) },
  { weight: 1, arbitrary: fc.record({ op: fc.constant('duplicate' as const), pick: fc.nat() }) },
  {
    weight: 2,
    arbitrary: fc.record({
      op: fc.constant('timer' as const),
      node: fc.integer({ min: 0, max: 3 }),
      resend: fc.boolean(),
    }),
  },
  {
    weight: 1,
    arbitrary: fc.record({
      op: fc.constant('restart' as const),
      node: fc.integer({ min: 0, max: 3 }),
    }),
  },
);

function simulate(commands: Command[], blockNonce: number): Node[] {
  const nodes: Node[] = signers.map((s) => ({
    engine: newEngine(s),
    wal: [],
    signed: new Map(),
    doubleSigns: [],
    commits: [],
    evidence: 0,
  }));
  const pending: { to: number; bytes: Uint8Array }[] = [];

  const run = (i: number, input: EngineInput): void => {
    const node = nodes[i]!;
    const queue: EngineInput[] = [input];
    while (queue.length > 0) {
      const fx: EngineEffect[] = node.engine.handle(queue.shift()!);
      for (const e of fx) {
        if (e.kind === 'wal-write') {
          node.wal.push(decodeWalRecord(encodeWalRecord(e.record)));
          if (e.record.kind === 'signed') {
            const key = `${e.record.height}:${e.record.round}:${e.record.type}`;
            const digest = toHex(e.record.digest);
            const before = node.signed.get(key);
            if (before !== undefined && before !== digest) node.doubleSigns.push(key);
            node.signed.set(key, digest);
          }
        } else if (e.kind === 'broadcast') {
          for (let to = 0; to < 4; to++) if (to !== i) pending.push({ to, bytes: e.bytes });
        } else if (e.kind === 'build-block') {
          const block = makeBlock(e.height, `b${e.round}/${i}/${blockNonce}`);
          queue.push({ kind: 'block-built', height: e.height, round: e.round, block });
        } else if (e.kind === 'validate-block') {
          queue.push({ kind: 'block-validated', height: e.height, digest: e.digest, valid: true });
        } else if (e.kind === 'commit') {
          node.commits.push(toHex(e.digest));
        } else if (e.kind === 'evidence') {
          node.evidence++;
        }
      }
    }
  };
  const fireTimer = (i: number, resend: boolean): void => {
    const e = nodes[i]!.engine;
    if (e.height === null || e.round === null) return;
    run(i, {
      kind: 'timer',
      timer: resend ? 'resend-round-change' : 'round',
      height: e.height,
      round: e.round,
    });
  };

  for (let i = 0; i < 4; i++) run(i, startInput(1, validators));
  for (const c of commands) {
    if (c.op === 'timer') fireTimer(c.node, c.resend);
    else if (c.op === 'restart') {
      const node = nodes[c.node]!;
      node.engine = newEngine(signers[c.node]!, { wal: [...node.wal] });
      run(c.node, startInput(1, validators));
    } else if (pending.length > 0) {
      const at = c.pick % pending.length;
      const m = pending[at]!;
      if (c.op !== 'duplicate') pending.splice(at, 1);
      if (c.op !== 'drop') run(m.to, { kind: 'message', bytes: m.bytes });
    }
  }
  // Heal: reliable delivery; uncommitted nodes' timers fire when the network is quiet.
  for (let round = 0; round < 12 && nodes.some((n) => n.commits.length === 0); round++) {
    while (pending.length > 0) {
      const m = pending.shift()!;
      run(m.to, { kind: 'message', bytes: m.bytes });
    }
    if (nodes.some((n) => n.commits.length > 0)) break;
    for (let i = 0; i < 4; i++) if (nodes[i]!.commits.length === 0) fireTimer(i, false);
  }
  return nodes;
}

describe('random schedules', () => {
  it('are safe, never double-sign, and commit once healed', () => {
    fc.assert(
      fc.property(fc.array(command, { maxLength: 120 }), fc.nat(), (commands, nonce) => {
        const nodes = simulate(commands, nonce);
        const digests = new Set(nodes.flatMap((n) => n.commits));
        expect(digests.size).toBe(1);
        for (const n of nodes) {
          expect(n.commits.length).toBeLessThanOrEqual(1);
          expect(n.doubleSigns).toEqual([]);
          expect(n.evidence).toBe(0);
        }
      }),
      { numRuns: 120 },
    );
  });
});
