/** Restarts from the write-ahead log: same bytes again, never a second digest. */
import { describe, expect, it } from 'vitest';
import { toHex } from '../../src/crypto/bytes.js';
import { decodeMessage } from '../../src/consensus/messages.js';
import { decodeWalRecord, encodeWalRecord } from '../../src/consensus/wal.js';
import { MessageType, type EngineEffect, type WalRecord } from '../../src/consensus/types.js';
import type { QbftEngine } from '../../src/consensus/engine.js';
import {
  CHAIN_ID,
  broadcasts,
  digestOf,
  makeBlock,
  makeSigners,
  newEngine,
  ofKind,
  prepareMsg,
  proposalMsg,
  recover,
  startInput,
  TestNet,
} from './helpers.js';

const signers = makeSigners(4);
const validators = signers.map((s) => s.address);
const LIMITS = { chainId: CHAIN_ID, maxMessageBytes: 1 << 20, maxJustification: 1024 };
const B = makeBlock(1, 'block 1/0 by 1'); // what the TestNet proposer builds at (1, 0)
const D = digestOf(B);
const OTHER = makeBlock(1, 'a second block');

/** The log as a shell would store and read it back. */
function throughDisk(records: WalRecord[]): WalRecord[] {
  return records.map((r) => decodeWalRecord(encodeWalRecord(r)));
}

function send(e: QbftEngine, bytes: Uint8Array): EngineEffect[] {
  return e.handle({ kind: 'message', bytes });
}

function validated(e: QbftEngine, fx: EngineEffect[]): EngineEffect[] {
  const out = [...fx];
  for (const v of ofKind(fx, 'validate-block'))
    out.push(
      ...e.handle({ kind: 'block-validated', height: v.height, digest: v.digest, valid: true }),
    );
  return out;
}

function node0Signed(log: EngineEffect[]): [string, string[]][] {
  return [...signedDigests([log]).entries()].map(([k, v]) => [k, [...v]]);
}

/** Every (height, round, type) this node ever wrote a signature for, with the digests. */
function signedDigests(logs: EngineEffect[][]): Map<string, Set<string>> {
  const out = new Map<string, Set<string>>();
  for (const log of logs)
    for (const w of ofKind(log, 'wal-write')) {
      if (w.record.kind !== 'signed') continue;
      const key = `${w.record.height}:${w.record.round}:${w.record.type}`;
      const set = out.get(key) ?? new Set<string>();
      set.add(toHex(w.record.digest));
      out.set(key, set);
    }
  return out;
}

describe('write-ahead log', () => {
  it('every signed message is logged before it is broadcast, with the same bytes', () => {
    const net = new TestNet(4);
    net.start(1);
    for (const n of net.nodes) {
      const seen = new Set<string>();
      for (const e of n.log) {
        if (e.kind === 'wal-write' && e.record.kind === 'signed') seen.add(toHex(e.record.message));
        if (e.kind === 'broadcast') expect(seen.has(toHex(e.bytes))).toBe(true);
      }
      expect(n.wal.map((r) => r.kind)).toEqual(
        n.index === 1
          ? ['signed', 'signed', 'prepared', 'signed']
          : ['signed', 'prepared', 'signed'],
      );
    }
  });

  it('after a crash following its PREPARE a node re-sends those bytes and refuses a second digest', () => {
    const e = newEngine(signers[0]!);
    e.handle(startInput(1, validators));
    const before = validated(e, send(e, proposalMsg(signers[1]!, 1, 0, B)));
    const prepare = broadcasts(before, MessageType.Prepare)[0]!.bytes;
    const wal = ofKind(before, 'wal-write').map((w) => w.record);
    expect(wal).toEqual([
      {
        kind: 'signed',
        height: 1,
        round: 0,
        type: MessageType.Prepare,
        digest: D,
        message: prepare,
      },
    ]);

    const restarted = newEngine(signers[0]!, { wal: throughDisk(wal) });
    const fx = restarted.handle(startInput(1, validators));
    expect(fx).toEqual([
      { kind: 'schedule-timer', timer: 'round', height: 1, round: 0, delayMs: 1000 },
      { kind: 'broadcast', type: MessageType.Prepare, height: 1, round: 0, bytes: prepare },
    ]);
    // The (equivocating) proposer now shows another block for the same round.
    const again = validated(restarted, send(restarted, proposalMsg(signers[1]!, 1, 0, OTHER)));
    expect(again.filter((x) => x.kind !== 'validate-block')).toEqual([
      { kind: 'rejected', reason: 'refusing to sign a second PREPARE at height 1 round 0' },
    ]);
    // Two PREPAREs for the other block (its own is for D) are no quorum: nothing is signed.
    const later = [2, 3].flatMap((i) =>
      send(restarted, prepareMsg(signers[i]!, 1, 0, digestOf(OTHER))),
    );
    expect(ofKind(later, 'wal-write')).toEqual([]);
    expect(broadcasts(later)).toEqual([]);
  });

  it('crashes after PREPARE and after COMMIT never lead to a second digest; the ROUND-CHANGE carries the certificate', () => {
    // Round-0 COMMITs are lost: every node is prepared and has committed its vote, nobody commits.
    const net = new TestNet(4, {
      link: (_f, _t, b) => !(b.type === MessageType.Commit && b.round === 0),
    });
    net.start(1);
    const node = net.nodes[0]!;
    expect(node.wal.map((r) => [r.kind, r.kind === 'signed' ? r.type : null])).toEqual([
      ['signed', MessageType.Prepare],
      ['prepared', null],
      ['signed', MessageType.Commit],
    ]);
    const sentBefore = broadcasts(node.log).map((b) => toHex(b.bytes));

    const e = newEngine(signers[0]!, { wal: throughDisk(node.wal) });
    const logs: EngineEffect[][] = [node.log];
    const start = e.handle(startInput(1, validators));
    logs.push(start);
    // It re-sends its PREPARE and COMMIT, byte for byte, and signs nothing new.
    expect(broadcasts(start).map((b) => toHex(b.bytes))).toEqual(sentBefore);
    expect(ofKind(start, 'wal-write')).toEqual([]);

    // Another block for round 0 from the proposer, and q PREPAREs for it.
    const other = validated(e, send(e, proposalMsg(signers[1]!, 1, 0, OTHER)));
    logs.push(other);
    for (const i of [1, 2, 3]) logs.push(send(e, prepareMsg(signers[i]!, 1, 0, digestOf(OTHER))));
    expect(ofKind(logs.slice(2).flat(), 'rejected').map((r) => r.reason)).toEqual([
      'refusing to sign a second PREPARE at height 1 round 0',
    ]);
    expect(broadcasts(logs.slice(2).flat())).toEqual([]);

    // The round times out: its ROUND-CHANGE reports the round-0 certificate on D.
    const timeout = e.handle({ kind: 'timer', timer: 'round', height: 1, round: 0 });
    logs.push(timeout);
    const rc = broadcasts(timeout, MessageType.RoundChange)[0]!;
    const m = decodeMessage(rc.bytes, recover, LIMITS);
    if (m.type !== MessageType.RoundChange) throw new Error('expected a ROUND-CHANGE');
    expect(m.signed.prepared).toEqual({ round: 0, digest: D });
    expect(toHex(m.preparedBlock!)).toBe(toHex(B));
    expect(m.prepares.map((p) => [p.round, toHex(p.digest)])).toEqual([
      [0, toHex(D)],
      [0, toHex(D)],
      [0, toHex(D)],
    ]);

    // Across both lives: one digest per (height, round, type).
    for (const [key, digests] of signedDigests(logs)) expect([key, digests.size]).toEqual([key, 1]);
  });

  it('after a crash in round 1 it resumes there and re-sends the same ROUND-CHANGE', () => {
    const e = newEngine(signers[0]!);
    const wal: WalRecord[] = [];
    const logAll = (fx: EngineEffect[]): EngineEffect[] => {
      for (const w of ofKind(fx, 'wal-write')) wal.push(w.record);
      return fx;
    };
    logAll(e.handle(startInput(1, validators)));
    const fx = logAll(e.handle({ kind: 'timer', timer: 'round', height: 1, round: 0 }));
    const rc = broadcasts(fx, MessageType.RoundChange)[0]!.bytes;

    const r = newEngine(signers[0]!, { wal: throughDisk(wal) });
    const start = r.handle(startInput(1, validators));
    expect(r.round).toBe(1);
    expect(broadcasts(start)).toEqual([
      { kind: 'broadcast', type: MessageType.RoundChange, height: 1, round: 1, bytes: rc },
    ]);
    expect(ofKind(start, 'wal-write')).toEqual([]);
    expect(ofKind(start, 'schedule-timer').map((t) => [t.timer, t.round, t.delayMs])).toEqual([
      ['round', 1, 2000],
      ['resend-round-change', 1, 1000],
    ]);
  });

  it('a restarted proposer re-sends its PROPOSAL and will not propose another block', () => {
    const e = newEngine(signers[1]!);
    e.handle(startInput(1, validators));
    const fx = e.handle({ kind: 'block-built', height: 1, round: 0, block: B });
    const proposal = broadcasts(fx, MessageType.Proposal)[0]!.bytes;
    const prepare = broadcasts(fx, MessageType.Prepare)[0]!.bytes;
    const wal = ofKind(fx, 'wal-write').map((w) => w.record);

    const r = newEngine(signers[1]!, { wal: throughDisk(wal) });
    const start = r.handle(startInput(1, validators));
    expect(ofKind(start, 'build-block')).toEqual([]);
    expect(broadcasts(start).map((b) => b.bytes)).toEqual([proposal, prepare]);
    const built = r.handle({ kind: 'block-built', height: 1, round: 0, block: OTHER });
    expect(built).toEqual([
      { kind: 'rejected', reason: 'refusing to sign a second PROPOSAL at height 1 round 0' },
    ]);
  });

  it('a node restarting before every message it handles still never signs twice', () => {
    const nodes = signers.map((signer, index) => ({
      index,
      engine: newEngine(signer),
      log: [] as EngineEffect[],
      wal: [] as WalRecord[],
    }));
    const queue: { from: number; bytes: Uint8Array }[] = [];
    const committed = new Map<number, string>();
    const apply = (n: (typeof nodes)[number], fx: EngineEffect[]): void => {
      n.log.push(...fx);
      for (const w of ofKind(fx, 'wal-write')) n.wal.push(w.record);
      for (const b of broadcasts(fx)) queue.push({ from: n.index, bytes: b.bytes });
      for (const c of ofKind(fx, 'commit')) committed.set(n.index, toHex(c.digest));
    };
    for (const n of nodes) apply(n, n.engine.handle(startInput(1, validators)));
    apply(
      nodes[1]!,
      nodes[1]!.engine.handle({ kind: 'block-built', height: 1, round: 0, block: B }),
    );
    while (queue.length > 0) {
      const { from, bytes } = queue.shift()!;
      for (const n of nodes) {
        if (n.index === from) continue;
        if (n.index === 0) {
          n.engine = newEngine(signers[0]!, { wal: throughDisk(n.wal) });
          apply(n, n.engine.handle(startInput(1, validators)));
        }
        apply(n, validated(n.engine, n.engine.handle({ kind: 'message', bytes })));
      }
    }
    expect([...committed.entries()].sort()).toEqual([1, 2, 3].map((i) => [i, toHex(D)]));
    // Node 0 never held enough votes in one life to commit, and voted once, on D.
    expect(node0Signed(nodes[0]!.log)).toEqual([[`1:0:${MessageType.Prepare}`, [toHex(D)]]]);
    // Restarted once more and given the proposal and the others' COMMITs, it commits D and
    // re-sends its one PREPARE without signing anything new.
    const last = newEngine(signers[0]!, { wal: throughDisk(nodes[0]!.wal) });
    last.handle(startInput(1, validators));
    const proposal = broadcasts(nodes[1]!.log, MessageType.Proposal)[0]!.bytes;
    const commits = [1, 2, 3].map((i) => broadcasts(nodes[i]!.log, MessageType.Commit)[0]!.bytes);
    const fx = [proposal, ...commits].flatMap((bytes) => validated(last, send(last, bytes)));
    expect(ofKind(fx, 'wal-write')).toEqual([]);
    expect(broadcasts(fx).map((b) => b.type)).toEqual([MessageType.Prepare]);
    expect(ofKind(fx, 'commit').map((c) => toHex(c.digest))).toEqual([toHex(D)]);
  });
});
