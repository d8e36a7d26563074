/**
 * The consensus driver on real chains, with a hand-run scheduler and network: a byzantine
 * validator's ROUND-CHANGE that reports a prepared header over another body cannot make honest
 * nodes decide a block they cannot import (the attack of issue 11), and a decided block that
 * cannot be written never leaves the driver stuck at its height.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { blockHash, chainBlockCodec, decodeBlock, encodeBlock } from '../../src/chain/block.js';
import type { Chain } from '../../src/chain/chain.js';
import { Secp256k1Signer, secp256k1Recover } from '../../src/consensus/crypto.js';
import {
  decodeMessage,
  encodeMessage,
  signRoundChange,
  type ConsensusMessage,
  type SignedPayload,
} from '../../src/consensus/messages.js';
import { MessageType, type CommitSeal, type WalRecord } from '../../src/consensus/types.js';
import { toHex } from '../../src/crypto/bytes.js';
import {
  ConsensusDriver,
  type ConsensusHost,
  type Scheduler,
} from '../../src/node/consensus-driver.js';
import { ETM } from '../../src/params/registry.js';
import {
  CHAIN_ID,
  newChain,
  TempDirs,
  transfer,
  USERS,
  VALIDATOR_KEYS,
  VALIDATORS,
} from '../chain/helpers.js';

const t = new TempDirs();
afterEach(() => t.cleanup());

/** Timers that run only when the test says so. */
class ManualScheduler implements Scheduler {
  private readonly due: { at: number; fn: () => void; cancelled: boolean }[] = [];
  now = 0;

  after(ms: number, fn: () => void): () => void {
    const entry = { at: this.now + ms, fn, cancelled: false };
    this.due.push(entry);
    return () => (entry.cancelled = true);
  }

  soon(fn: () => void): () => void {
    return this.after(0, fn);
  }

  /** Runs everything due by now (work that is due at once, included). */
  runDue(): boolean {
    let ran = false;
    for (;;) {
      const i = this.due.findIndex((e) => !e.cancelled && e.at <= this.now);
      if (i < 0) return ran;
      const [entry] = this.due.splice(i, 1);
      entry!.fn();
      ran = true;
    }
  }

  advance(ms: number): void {
    this.now += ms;
  }
}

const LIMITS = { chainId: CHAIN_ID, maxMessageBytes: 1 << 24, maxJustification: 64 };
const decode = (bytes: Uint8Array): ConsensusMessage =>
  decodeMessage(bytes, secp256k1Recover, LIMITS);

interface Honest {
  index: number;
  chain: Chain;
  driver: ConsensusDriver;
  scheduler: ManualScheduler;
  errors: string[];
  rejected: string[];
  wal: WalRecord[];
}

/**
 * Three honest validators (0, 1, 2) on chains of their own, and the messages they broadcast.
 * Validator 3 is byzantine: the test speaks for it.
 */
function network(
  opts: {
    commitBlock?: (c: Chain, h: number) => void;
    /** Validator 0's WAL writes, asynchronous when given. */
    appendAsync?: (r: WalRecord) => Promise<void>;
  } = {},
) {
  const sent: { from: number; bytes: Uint8Array }[] = [];
  const nodes: Honest[] = [0, 1, 2].map((index) => {
    const chain = newChain(t);
    const scheduler = new ManualScheduler();
    const errors: string[] = [];
    const rejected: string[] = [];
    const wal: WalRecord[] = [];
    const address = VALIDATORS[index]!;
    const host: ConsensusHost = {
      headHeight: () => Number(chain.headNumber),
      validatorsAt: (h) => chain.validatorsAt(BigInt(h)),
      msUntilProposal: () => 0,
      buildBlock: async (h, round) =>
        BigInt(h) === chain.headNumber + 1n
          ? (await chain.buildBlock(address, [transfer(0, 0n, USERS[1]!, ETM)], undefined, round))
              .bytes
          : null,
      validateBlock: async (h, block) => {
        try {
          await chain.validateBlock(block, false);
          return { valid: true };
        } catch (e) {
          return { valid: false, reason: (e as Error).message };
        }
      },
      commitBlock: async (h: number, round: number, block: Uint8Array, seals: CommitSeal[]) => {
        opts.commitBlock?.(chain, h);
        await chain.commitDecided(block, round, seals);
      },
    };
    const driver = new ConsensusDriver({
      signer: new Secp256k1Signer(VALIDATOR_KEYS[index]!),
      recover: secp256k1Recover,
      codec: chainBlockCodec,
      chainId: CHAIN_ID,
      config: { baseTimeoutMs: 1000, maxRoundTimeoutMs: 8000 },
      host,
      transport: { broadcast: (bytes) => sent.push({ from: index, bytes }) },
      wal: {
        load: () => [],
        append: (r) => wal.push(r),
        appendAsync: index === 0 ? opts.appendAsync : undefined,
        prune: () => {},
      },
      scheduler,
      events: {
        onError: (e) => errors.push(e.message),
        onRejected: (reason) => rejected.push(reason),
      },
    });
    return { index, chain, driver, scheduler, errors, rejected, wal };
  });
  /** Delivers what was broadcast (and what that causes) while `link` allows it. */
  const pump = async (link: (from: number, to: number, m: ConsensusMessage) => boolean) => {
    for (let guard = 0; guard < 10_000; guard++) {
      // Block execution is async: let what it started settle first.
      await new Promise((r) => setImmediate(r));
      let moved = false;
      for (const n of nodes) moved = n.scheduler.runDue() || moved;
      const batch = sent.splice(0);
      for (const { from, bytes } of batch) {
        const m = decode(bytes);
        for (const n of nodes)
          if (n.index !== from && link(from, n.index, m)) n.driver.receive(bytes);
      }
      if (!moved && batch.length === 0) return;
    }
    throw new Error('network did not settle');
  };
  return { nodes, sent, pump };
}

const type = (m: ConsensusMessage) => m.type;

describe('a byzantine ROUND-CHANGE with a prepared header over another body', () => {
  it('is refused: the honest nodes commit the genuine block and import it', async () => {
    const { nodes, pump } = network();
    const observed: SignedPayload[] = [];
    let proposed: Uint8Array | null = null;
    for (const n of nodes) n.driver.start();
    // Round 0: validator 1 proposes. PREPAREs reach only validator 1 (and the byzantine
    // validator 3, which keeps them); COMMITs are lost. Only validator 1 is prepared.
    await pump((from, to, m) => {
      if (type(m) === MessageType.Proposal && !proposed && m.type === MessageType.Proposal)
        proposed = m.block;
      if (type(m) === MessageType.Prepare) {
        if (!observed.some((p) => toHex(p.author) === toHex(m.signed.author)))
          observed.push(m.signed);
        return to === 1;
      }
      return type(m) !== MessageType.Commit;
    });
    expect(proposed).not.toBeNull();
    const b0 = proposed!;
    const d0 = chainBlockCodec.inspect(b0).digest;
    expect(observed.length).toBeGreaterThanOrEqual(3);
    for (const n of nodes) expect(n.chain.headNumber).toBe(0n);

    // Round 1 (proposer: validator 2). Validator 3 reports the genuine certificate of B0 with
    // an empty body under its header; validator 1's honest report does not reach validator 2.
    for (const n of nodes) {
      n.scheduler.advance(1000);
      n.scheduler.runDue();
    }
    const b0Empty = encodeBlock({ ...decodeBlock(b0), transactions: [] });
    const forged = encodeMessage({
      type: MessageType.RoundChange,
      signed: signRoundChange(new Secp256k1Signer(VALIDATOR_KEYS[3]!), CHAIN_ID, 1, 1, {
        round: 0,
        digest: d0,
      }),
      preparedBlock: b0Empty,
      prepares: observed.slice(0, 3),
    });
    for (const n of nodes) n.driver.receive(forged);
    await pump((from, to, m) => !(type(m) === MessageType.RoundChange && from === 1 && to === 2));
    // Validator 2 has its own, validator 0's and (refused) validator 3's: not yet q. Validator
    // 1's ROUND-CHANGE arrives when it re-sends it.
    for (const n of nodes) {
      n.scheduler.advance(1000);
      n.scheduler.runDue();
    }
    await pump(() => true);

    for (const n of nodes)
      expect(n.rejected).toContain(
        'invalid ROUND-CHANGE: malformed block: transactions root mismatch: the body is not the one the header names',
      );
    // Every honest node committed B0 itself (the genuine body) and went on.
    for (const n of nodes) {
      expect(n.errors).toEqual([]);
      expect(n.chain.headNumber).toBeGreaterThanOrEqual(1n);
      expect(toHex(blockHash(n.chain.blockAt(1n)!))).toBe(toHex(d0));
      expect(n.chain.blockAt(1n)!.transactions).toEqual(decodeBlock(b0).transactions);
      expect(n.chain.blockAt(1n)!.header.extra.round).toBe(1);
    }
  });
});

describe('a decided block the chain cannot write', () => {
  it('does not leave the driver stuck: the engine leaves the committed state, sync moves it on', async () => {
    let failures = 1;
    const { nodes, pump, sent } = network({
      commitBlock: (c, h) => {
        if (c === nodes[0]!.chain && h === 1 && failures-- > 0) throw new Error('disk full');
      },
    });
    for (const n of nodes) n.driver.start();
    await pump(() => true);
    // Validators 1 and 2 committed height 1; validator 0 could not write it.
    expect(nodes.map((n) => n.chain.headNumber)).toEqual([0n, 1n, 1n]);
    expect(nodes[0]!.errors).toEqual(['disk full']);
    expect(nodes[0]!.driver.height).toBe(1);
    // It is not stuck in a committed state: its round timer runs and it takes part in round 1.
    const before = sent.length;
    nodes[0]!.scheduler.advance(1000);
    nodes[0]!.scheduler.runDue();
    const fresh = sent
      .slice(before)
      .filter((x) => x.from === 0)
      .map((x) => decode(x.bytes));
    expect(fresh.map((m) => [m.type, m.signed.round])).toEqual([[MessageType.RoundChange, 1]]);
    // The block sync brings height 1 from a peer: consensus moves on to height 2.
    await nodes[0]!.chain.importSealed(nodes[1]!.chain.blockBytesAt(1n)!);
    nodes[0]!.driver.headChanged();
    expect(nodes[0]!.driver.height).toBe(2);
  });
});

describe('an asynchronous WAL', () => {
  /** Runs the network; returns the types of the messages validator 0 sent, in order. */
  async function run(appendAsync: (r: WalRecord) => Promise<void>) {
    const { nodes, pump } = network({ appendAsync });
    const fromZero: MessageType[] = [];
    for (const n of nodes) n.driver.start();
    const step = () =>
      pump((from, to, m) => {
        if (from === 0 && to === 1) fromZero.push(m.type);
        return true;
      });
    return { nodes, fromZero, step };
  }

  it('holds what a record protects until it is on disk, then goes on', async () => {
    let release!: () => void;
    const held = new Promise<void>((r) => (release = r));
    const written: WalRecord[] = [];
    const { nodes, fromZero, step } = await run(async (r) => {
      await held;
      written.push(r);
    });
    await step();
    // Validator 0 accepted the proposal, but its PREPARE waits for its WAL record.
    expect(fromZero).not.toContain(MessageType.Prepare);
    expect(nodes[0]!.chain.headNumber).toBe(0n);
    release();
    await step();
    expect(written.length).toBeGreaterThan(0);
    expect(fromZero).toContain(MessageType.Prepare);
    for (const n of nodes) expect(n.chain.headNumber).toBeGreaterThanOrEqual(1n);
    expect(nodes[0]!.errors).toEqual([]);
  });

  it('sends nothing a record protects when its write fails', async () => {
    const { nodes, fromZero, step } = await run(() => Promise.reject(new Error('disk full')));
    await step();
    expect(fromZero).not.toContain(MessageType.Prepare);
    expect(fromZero).not.toContain(MessageType.Commit);
    expect(nodes[0]!.errors.some((e) => e.includes('disk full'))).toBe(true);
  });
});
