/**
 * A deterministic, virtual-time simulation of a QBFT network. Each simulated node drives the real
 * engine (src/consensus) exactly as a node's shell does: it carries out the engine's effects —
 * write-ahead log, broadcasts, timers, block building and validation, commits — and feeds back
 * inputs. The network in between loses, delays, duplicates and reorders messages, partitions and
 * heals; nodes crash and restart from their write-ahead log; byzantine nodes stay silent, propose
 * invalid blocks or equivocate (two engines with one key).
 *
 * After every event the run checks safety (no two honest nodes commit different blocks at one
 * height, no honest node commits an invalid block), that no honest validator signs two digests
 * for one (height, round, type), and liveness once the faults are over.
 */
import { toHex, equalBytes } from '../../crypto/bytes.js';
import { keccak256 } from '../../crypto/keccak.js';
import { cachedRecover, decodeMessage, type ConsensusMessage } from '../../consensus/messages.js';
import { QbftEngine } from '../../consensus/engine.js';
import { Secp256k1Signer, secp256k1Recover } from '../../consensus/crypto.js';
import { verifyCommitCertificate } from '../../consensus/certificate.js';
import { maxFaulty, roundTimeoutMs } from '../../consensus/quorum.js';
import {
  MessageType,
  type Address,
  type CommitSeal,
  type EngineEffect,
  type EngineInput,
  type Recover,
  type WalRecord,
} from '../../consensus/types.js';
import type { DecodeError } from '../../codec/rlp.js';
import { Prng, TraceHash } from '../prng.js';
import { EventQueue } from '../queue.js';
import { decodeSimBlock, encodeSimBlock, simBlockCodec, SIM_GENESIS } from './block.js';
import type { Byzantine, Scenario } from './scenario.js';

export interface SimResult {
  scenario: string;
  seed: number;
  validators: number;
  /** Heights committed by the most advanced honest node. */
  commits: number;
  /** Lowest head among honest nodes at the end. */
  minHonestHeight: number;
  safetyViolations: string[];
  doubleSigns: string[];
  livenessFailures: string[];
  expectationFailures: string[];
  /** Highest round at which an honest node committed. */
  maxRound: number;
  /** Equivocation evidence effects raised by honest nodes, and whom they accuse. */
  evidence: number;
  accused: number[];
  /** Digest and round of every height as committed by honest nodes. */
  chain: { digest: string; round: number; proposer: number }[];
  events: number;
  virtualTimeMs: number;
  traceHash: string;
}

interface LedgerEntry {
  height: number;
  block: Uint8Array;
  digest: Uint8Array;
  round: number;
  seals: CommitSeal[];
}

type SimEvent =
  | { kind: 'deliver'; to: number; from: number; fromInstance: number; bytes: Uint8Array }
  | { kind: 'status'; to: number; from: number; head: number }
  | { kind: 'status-tick'; node: number }
  | { kind: 'sync-request'; to: number; from: number; fromHeight: number }
  | { kind: 'sync-response'; to: number; from: number; entries: LedgerEntry[] }
  | { kind: 'input'; node: number; instance: number; incarnation: number; input: EngineInput }
  | { kind: 'crash'; node: number; restartAt: number }
  | { kind: 'restart'; node: number };

const EVENT_CODES: Record<SimEvent['kind'], number> = {
  deliver: 1,
  status: 7,
  'status-tick': 8,
  'sync-request': 2,
  'sync-response': 3,
  input: 4,
  crash: 5,
  restart: 6,
};

class SimNode {
  readonly signer: Secp256k1Signer;
  readonly address: Address;
  engines: QbftEngine[] = [];
  incarnation = 0;
  wal: WalRecord[] = [];
  readonly ledger: LedgerEntry[] = [];
  lastCommitTime = 0;
  syncRequestedAt = -1;

  constructor(
    readonly index: number,
    readonly behaviour: Byzantine | null,
    readonly skewPct: number,
    readonly clockOffsetMs: number,
  ) {
    this.signer = new Secp256k1Signer(simKey(index));
    this.address = this.signer.address;
  }

  get head(): number {
    return this.ledger.length;
  }

  get headDigest(): Uint8Array {
    return this.ledger.length === 0 ? SIM_GENESIS : this.ledger[this.ledger.length - 1]!.digest;
  }

  get up(): boolean {
    return this.engines.length > 0;
  }
}

/** Validator keys of the simulation: fixed per index so traces are comparable across runs. */
export function simKey(index: number): Uint8Array {
  return keccak256(new TextEncoder().encode(`etm-sim-validator-${index}`));
}

/** One recover cache shared by every simulation: the same signed bytes recur across nodes and runs. */
const sharedRecover: Recover = cachedRecover(secp256k1Recover, 500_000);

export class ConsensusSimulation {
  private readonly rng: Prng;
  private readonly queue = new EventQueue<SimEvent>();
  private readonly nodes: SimNode[];
  private readonly trace = new TraceHash();
  private readonly decodeCache = new WeakMap<Uint8Array, ConsensusMessage | DecodeError>();
  private now = 0;
  private events = 0;
  private readonly committed = new Map<
    number,
    { digest: Uint8Array; round: number; proposer: number }
  >();
  private readonly signedByHonest = new Map<string, string>();
  private readonly result: SimResult;
  private readonly healAt: number;
  private readonly livenessBoundMs: number;
  private lastProgress = 0;
  private maxHonestHead = 0;
  private lastMinHead = 0;
  private readonly crashOnSend: Scenario['crashOnSend'];
  private stopped = false;
  private readonly statusPeriod: number;

  constructor(private readonly scenario: Scenario) {
    this.rng = new Prng(scenario.seed);
    const byzantine = new Map(scenario.byzantine.map((b) => [b.node, b.behaviour]));
    this.nodes = [];
    for (let i = 0; i < scenario.nodes; i++) {
      this.nodes.push(
        new SimNode(
          i,
          byzantine.get(i) ?? null,
          scenario.skewPct[i] ?? 100,
          scenario.clockOffsetMs[i] ?? 0,
        ),
      );
    }
    this.crashOnSend = [...scenario.crashOnSend];
    this.statusPeriod = 2 * scenario.blockTimeMs;
    let healAt = scenario.healAt;
    for (const c of scenario.crashes) healAt = Math.max(healAt, c.restartAt);
    for (const p of scenario.partitions) healAt = Math.max(healAt, p.healAt);
    for (const d of scenario.drop) healAt = Math.max(healAt, d.until);
    this.healAt = healAt;
    const f = maxFaulty(scenario.validators);
    let rounds = 0;
    for (let r = 0; r <= f + 6; r++)
      rounds += roundTimeoutMs(2 * scenario.blockTimeMs, scenario.maxRoundTimeoutMs, r);
    const maxSkew = Math.max(100, ...scenario.skewPct);
    this.livenessBoundMs =
      Math.ceil((rounds * maxSkew) / 100) + 40 * scenario.delayMs[1] + 2 * scenario.blockTimeMs;
    this.result = {
      scenario: scenario.name,
      seed: scenario.seed,
      validators: scenario.validators,
      commits: 0,
      minHonestHeight: 0,
      safetyViolations: [],
      doubleSigns: [],
      livenessFailures: [],
      expectationFailures: [],
      maxRound: 0,
      evidence: 0,
      accused: [],
      chain: [],
      events: 0,
      virtualTimeMs: 0,
      traceHash: '',
    };
  }

  /** Validators of a height, in proposer order. */
  validatorsAt(height: number): Address[] {
    let set: number[] | null = null;
    for (const c of this.scenario.validatorChanges) if (c.fromHeight <= height) set = c.validators;
    const indices = set ?? Array.from({ length: this.scenario.validators }, (_, i) => i);
    return indices.map((i) => this.nodes[i]!.address);
  }

  run(): SimResult {
    for (const node of this.nodes) {
      this.boot(node);
      this.queue.push(this.rng.between(1, this.statusPeriod), {
        kind: 'status-tick',
        node: node.index,
      });
    }
    for (const c of this.scenario.crashes)
      this.queue.push(c.at, { kind: 'crash', node: c.node, restartAt: c.restartAt });
    const maxTime =
      this.scenario.maxTimeMs > 0
        ? this.scenario.maxTimeMs
        : this.healAt + this.livenessBoundMs * (this.scenario.heights + 2);

    while (!this.stopped) {
      const next = this.queue.pop();
      if (!next) break;
      if (next.time > maxTime) {
        this.now = maxTime;
        break;
      }
      this.now = next.time;
      this.events++;
      this.trace.add(
        this.now,
        EVENT_CODES[next.value.kind],
        'node' in next.value ? next.value.node : next.value.to,
      );
      this.dispatch(next.value);
      this.checkLiveness();
      if (this.allHonestAtTarget()) break;
    }
    const minHead = this.minHonestHead();
    if (minHead < this.scenario.heights && this.result.livenessFailures.length === 0) {
      this.result.livenessFailures.push(
        `${this.scenario.name} seed ${this.scenario.seed}: honest node stuck at height ${minHead} of ${this.scenario.heights} at ${this.now} ms`,
      );
    }
    this.result.minHonestHeight = minHead;
    this.result.commits = this.maxHonestHead;
    this.result.events = this.events;
    this.result.virtualTimeMs = this.now;
    this.result.chain = [...this.committed.entries()]
      .sort((a, b) => a[0] - b[0])
      .map(([, c]) => ({ digest: toHex(c.digest), round: c.round, proposer: c.proposer }));
    this.result.accused = [...new Set(this.result.accused)].sort((a, b) => a - b);
    this.result.traceHash = this.trace.hex();
    return this.result;
  }

  // ---- nodes ------------------------------------------------------------------------------

  private boot(node: SimNode): void {
    node.incarnation++;
    const copies = node.behaviour === 'equivocate' || node.behaviour === 'fork' ? 2 : 1;
    node.engines = [];
    for (let k = 0; k < copies; k++) {
      node.engines.push(
        new QbftEngine({
          signer: node.signer,
          recover: sharedRecover,
          codec: simBlockCodec,
          config: {
            baseTimeoutMs: 2 * this.scenario.blockTimeMs,
            maxRoundTimeoutMs: this.scenario.maxRoundTimeoutMs,
          },
          // An equivocator keeps no log: signing twice is its purpose.
          wal: node.behaviour ? [] : node.wal.filter((r) => r.height > node.head),
          decodeCache: this.decodeCache,
        }),
      );
    }
    for (let k = 0; k < copies; k++) this.startHeight(node, k, node.head + 1);
  }

  private startHeight(node: SimNode, instance: number, height: number): void {
    this.apply(node, instance, {
      kind: 'start-height',
      height,
      validators: this.validatorsAt(height),
    });
  }

  private crash(node: SimNode): void {
    node.engines = [];
    node.incarnation++;
    node.syncRequestedAt = -1;
  }

  private apply(node: SimNode, instance: number, input: EngineInput): void {
    const engine = node.engines[instance];
    if (!engine) return;
    const incarnation = node.incarnation;
    const effects = engine.handle(input);
    for (const effect of effects) {
      if (node.incarnation !== incarnation) return; // crashed while carrying out effects
      this.carryOut(node, instance, effect);
    }
  }

  private carryOut(node: SimNode, instance: number, e: EngineEffect): void {
    switch (e.kind) {
      case 'wal-write':
        if (!node.behaviour) node.wal.push(e.record);
        break;
      case 'broadcast':
        this.onBroadcast(node, instance, e.type, e.height, e.bytes);
        break;
      case 'schedule-timer': {
        const delay = Math.floor((e.delayMs * node.skewPct) / 100);
        this.schedule(node, instance, delay, {
          kind: 'timer',
          timer: e.timer,
          height: e.height,
          round: e.round,
        });
        break;
      }
      case 'build-block':
        this.buildBlock(node, instance, e.height, e.round);
        break;
      case 'validate-block': {
        const { valid, reason } = this.validate(node, e.height, e.block);
        this.schedule(node, instance, 1, {
          kind: 'block-validated',
          height: e.height,
          digest: e.digest,
          valid,
          reason,
        });
        break;
      }
      case 'commit':
        this.onCommit(node, instance, e.height, e.round, e.block, e.digest, e.seals);
        break;
      case 'evidence':
        if (!node.behaviour) {
          this.result.evidence++;
          const accused = this.nodes.findIndex((n) => equalBytes(n.address, e.evidence.validator));
          this.result.accused.push(accused);
          if (!this.nodes[accused]?.behaviour) {
            this.result.safetyViolations.push(
              `node ${node.index} accused honest node ${accused} of equivocation`,
            );
          }
        }
        break;
      case 'round-changed':
      case 'rejected':
        break;
    }
  }

  private schedule(node: SimNode, instance: number, delay: number, input: EngineInput): void {
    this.queue.push(this.now + delay, {
      kind: 'input',
      node: node.index,
      instance,
      incarnation: node.incarnation,
      input,
    });
  }

  private buildBlock(node: SimNode, instance: number, height: number, round: number): void {
    if (node.behaviour === 'silent') return;
    if (height !== node.head + 1) return;
    const block = encodeSimBlock({
      height,
      parent: node.headDigest,
      proposer: node.address,
      valid: node.behaviour !== 'invalid',
      nonce: node.behaviour === 'equivocate' || node.behaviour === 'fork' ? instance + 1 : 0,
    });
    // Round 0 waits for the block time by this node's clock (offset and rate); later rounds build at once.
    const due =
      node.lastCommitTime +
      Math.floor((this.scenario.blockTimeMs * node.skewPct) / 100) -
      node.clockOffsetMs;
    const at = round === 0 ? Math.max(this.now + 1, due) : this.now + 1;
    this.schedule(node, instance, at - this.now, { kind: 'block-built', height, round, block });
  }

  private validate(
    node: SimNode,
    height: number,
    bytes: Uint8Array,
  ): { valid: boolean; reason?: string } {
    try {
      const b = decodeSimBlock(bytes);
      if (!b.valid) return { valid: false, reason: 'block marked invalid' };
      if (b.height !== height || height !== node.head + 1)
        return { valid: false, reason: 'wrong height' };
      if (!equalBytes(b.parent, node.headDigest)) return { valid: false, reason: 'wrong parent' };
      return { valid: true };
    } catch (err) {
      return { valid: false, reason: (err as Error).message };
    }
  }

  private onCommit(
    node: SimNode,
    instance: number,
    height: number,
    round: number,
    block: Uint8Array,
    digest: Uint8Array,
    seals: CommitSeal[],
  ): void {
    this.trace.add(node.index, height, round);
    this.trace.addBytes(digest.subarray(0, 8));
    if (height === node.head + 1) {
      this.appendBlock(node, { height, block, digest, round, seals });
    }
    this.startHeight(node, instance, node.head + 1 > height ? node.head + 1 : height + 1);
  }

  private appendBlock(node: SimNode, entry: LedgerEntry): void {
    node.ledger.push(entry);
    node.lastCommitTime = this.now;
    node.wal = node.wal.filter((r) => r.height > node.head);
    if (node.behaviour) return;
    const { height, digest, round, block } = entry;
    const first = this.committed.get(height);
    if (!first) {
      const proposer = decodeSimBlock(block).proposer;
      this.committed.set(height, {
        digest,
        round,
        proposer: this.nodes.findIndex((n) => equalBytes(n.address, proposer)),
      });
    } else if (!equalBytes(first.digest, digest)) {
      this.result.safetyViolations.push(
        `${this.scenario.name} seed ${this.scenario.seed}: height ${height} committed as ${toHex(first.digest).slice(0, 10)} and ${toHex(digest).slice(0, 10)} (node ${node.index})`,
      );
    }
    if (!decodeSimBlock(block).valid) {
      this.result.safetyViolations.push(
        `node ${node.index} committed an invalid block at height ${height}`,
      );
    }
    if (round > this.result.maxRound) this.result.maxRound = round;
    if (height > this.maxHonestHead) this.maxHonestHead = height;
    // Progress is the slowest honest node moving up: a node left behind must catch up too.
    const minHead = this.minHonestHead();
    if (minHead > this.lastMinHead) {
      this.lastMinHead = minHead;
      this.lastProgress = this.now;
    }
    const halt = this.scenario.expectHaltBetween;
    if (halt && this.now > halt[0] && this.now < halt[1]) {
      this.result.expectationFailures.push(
        `height ${height} committed at ${this.now} ms during the expected halt`,
      );
    }
  }

  // ---- network ----------------------------------------------------------------------------

  private peek(bytes: Uint8Array): ConsensusMessage | null {
    let m = this.decodeCache.get(bytes);
    if (!m) {
      try {
        m = decodeMessage(bytes, sharedRecover, {
          maxMessageBytes: 1 << 24,
          maxJustification: 1024,
        });
      } catch (err) {
        m = err as DecodeError;
      }
      this.decodeCache.set(bytes, m);
    }
    return m instanceof Error ? null : m;
  }

  private onBroadcast(
    node: SimNode,
    instance: number,
    type: MessageType,
    height: number,
    bytes: Uint8Array,
  ): void {
    if (!node.behaviour) {
      const m = this.peek(bytes);
      if (m) {
        const p = m.signed;
        const key = `${node.index}:${p.height}:${p.round}:${p.type}`;
        const digest = toHex(p.digest);
        const prior = this.signedByHonest.get(key);
        if (prior === undefined) this.signedByHonest.set(key, digest);
        else if (prior !== digest) {
          this.result.doubleSigns.push(
            `${this.scenario.name} seed ${this.scenario.seed}: node ${node.index} signed two digests for ${key}`,
          );
        }
      }
    }
    let recipients = this.nodes.filter((n) => n.index !== node.index).map((n) => n.index);
    // An equivocator's second instance reaches half the network, its first everyone: some honest
    // nodes see both versions (and must report them), the others only one.
    if (node.behaviour === 'equivocate' && instance === 1) {
      recipients = recipients.slice(Math.ceil(recipients.length / 2));
    }
    if (node.behaviour === 'fork') {
      // Honest recipients on this instance's side; other adversaries pick the matching instance on delivery.
      recipients = recipients.filter(
        (to) => this.nodes[to]!.behaviour === 'fork' || this.forkSide(to, instance),
      );
    }
    const round = this.peekRound(bytes);
    for (const to of recipients) {
      this.send(
        node.index,
        to,
        { kind: 'deliver', to, from: node.index, fromInstance: instance, bytes },
        type,
        height,
        round,
      );
    }
    const trigger = this.crashOnSend.findIndex(
      (c) => c.node === node.index && c.type === type && c.height === height,
    );
    if (trigger >= 0) {
      const c = this.crashOnSend.splice(trigger, 1)[0]!;
      this.crash(node);
      this.queue.push(this.now + c.restartAfterMs, { kind: 'restart', node: node.index });
    }
  }

  /** Whether `peer` (or its instance) is on side `instance` of a split-brain adversary. */
  private forkSide(peer: number, instance: number, peerInstance = 0): boolean {
    if (this.nodes[peer]!.behaviour === 'fork') return peerInstance === instance;
    return peer % 2 === instance;
  }

  private peekRound(bytes: Uint8Array): number {
    return this.peek(bytes)?.signed.round ?? -1;
  }

  private partitioned(a: number, b: number): boolean {
    for (const p of this.scenario.partitions) {
      if (this.now < p.at || this.now >= p.healAt) continue;
      const ga = p.groups.findIndex((g) => g.includes(a));
      const gb = p.groups.findIndex((g) => g.includes(b));
      if (ga !== gb) return true;
    }
    return false;
  }

  private send(
    from: number,
    to: number,
    event: SimEvent,
    type?: MessageType,
    height?: number,
    round?: number,
  ): void {
    if (this.partitioned(from, to)) return;
    if (type !== undefined) {
      for (const d of this.scenario.drop) {
        if (this.now < d.until && d.type === type && d.height === height && d.round === round)
          return;
      }
    }
    const faulty = this.now < this.healAt;
    const net = faulty
      ? this.scenario.faultyNetwork
      : { delayMs: this.scenario.delayMs, lossPpm: 0, duplicatePpm: 0 };
    if (net.lossPpm > 0 && this.rng.chance(net.lossPpm)) return;
    const copies = net.duplicatePpm > 0 && this.rng.chance(net.duplicatePpm) ? 2 : 1;
    for (let i = 0; i < copies; i++) {
      this.queue.push(this.now + this.rng.between(net.delayMs[0], net.delayMs[1]), event);
    }
  }

  private dispatch(ev: SimEvent): void {
    switch (ev.kind) {
      case 'deliver': {
        const node = this.nodes[ev.to]!;
        if (!node.up) return;
        const m = this.peek(ev.bytes);
        if (m && m.signed.height > node.head + 1) this.requestSync(node, ev.from);
        for (let k = 0; k < node.engines.length; k++) {
          if (node.behaviour === 'fork' && !this.forkSide(ev.from, k, ev.fromInstance)) continue;
          this.apply(node, k, { kind: 'message', bytes: ev.bytes });
        }
        break;
      }
      case 'input': {
        const node = this.nodes[ev.node]!;
        if (ev.incarnation !== node.incarnation) return;
        this.apply(node, ev.instance, ev.input);
        break;
      }
      case 'status-tick': {
        // Peers exchange their heads, as real nodes do, so a node learns it is behind even when
        // no consensus traffic reaches it (a follower, or a validator the set no longer includes).
        const node = this.nodes[ev.node]!;
        if (node.up && this.nodes.length > 1) {
          let peer = this.rng.below(this.nodes.length - 1);
          if (peer >= node.index) peer++;
          this.send(node.index, peer, {
            kind: 'status',
            to: peer,
            from: node.index,
            head: node.head,
          });
        }
        if (!this.allHonestAtTarget()) this.queue.push(this.now + this.statusPeriod, ev);
        break;
      }
      case 'status': {
        const node = this.nodes[ev.to]!;
        if (node.up && ev.head > node.head) this.requestSync(node, ev.from);
        break;
      }
      case 'sync-request': {
        const node = this.nodes[ev.to]!;
        if (!node.up) return;
        const entries = node.ledger.slice(ev.fromHeight - 1, ev.fromHeight - 1 + 64);
        if (entries.length > 0)
          this.send(node.index, ev.from, {
            kind: 'sync-response',
            to: ev.from,
            from: node.index,
            entries,
          });
        break;
      }
      case 'sync-response':
        this.onSyncResponse(this.nodes[ev.to]!, ev.entries);
        break;
      case 'crash': {
        const node = this.nodes[ev.node]!;
        this.crash(node);
        this.queue.push(ev.restartAt, { kind: 'restart', node: node.index });
        break;
      }
      case 'restart': {
        const node = this.nodes[ev.node]!;
        if (!node.up) this.boot(node);
        break;
      }
    }
  }

  private requestSync(node: SimNode, peer: number): void {
    if (
      node.syncRequestedAt >= 0 &&
      this.now - node.syncRequestedAt < 4 * this.scenario.delayMs[1] + 100
    )
      return;
    node.syncRequestedAt = this.now;
    this.send(node.index, peer, {
      kind: 'sync-request',
      to: peer,
      from: node.index,
      fromHeight: node.head + 1,
    });
  }

  /** Imports committed blocks from a peer: each must extend the head and carry a valid certificate. */
  private onSyncResponse(node: SimNode, entries: LedgerEntry[]): void {
    if (!node.up) return;
    node.syncRequestedAt = -1;
    const before = node.head;
    for (const entry of entries) {
      if (entry.height !== node.head + 1) continue;
      const { valid } = this.validate(node, entry.height, entry.block);
      if (!valid || !equalBytes(simBlockCodec.digestOf(entry.block), entry.digest)) break;
      try {
        verifyCommitCertificate(
          entry.digest,
          entry.round,
          entry.seals,
          this.validatorsAt(entry.height),
          sharedRecover,
        );
      } catch {
        break;
      }
      this.appendBlock(node, entry);
    }
    if (node.head > before)
      for (let k = 0; k < node.engines.length; k++) this.startHeight(node, k, node.head + 1);
  }

  // ---- checks -----------------------------------------------------------------------------

  private checkLiveness(): void {
    if (this.now < this.healAt || this.result.livenessFailures.length > 0) return;
    const since = Math.max(this.lastProgress, this.healAt);
    if (this.now - since > this.livenessBoundMs && !this.allHonestAtTarget()) {
      this.result.livenessFailures.push(
        `${this.scenario.name} seed ${this.scenario.seed}: no progress for ${this.now - since} ms after the network healed (bound ${this.livenessBoundMs} ms)`,
      );
      this.stopped = true;
    }
  }

  private minHonestHead(): number {
    let min = Infinity;
    for (const n of this.nodes) if (!n.behaviour && n.head < min) min = n.head;
    return min;
  }

  private allHonestAtTarget(): boolean {
    for (const n of this.nodes) if (!n.behaviour && n.head < this.scenario.heights) return false;
    return true;
  }
}

export function runScenario(scenario: Scenario): SimResult {
  return new ConsensusSimulation(scenario).run();
}
