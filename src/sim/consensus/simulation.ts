/**
 * A deterministic, virtual-time simulation of a QBFT network. Every simulated node runs the
 * node's own `ConsensusDriver` (src/node/consensus-driver.ts) around the real engine, with the
 * chain's block codec; the simulation gives it a virtual clock (a scheduler on its event queue,
 * with the node's clock skew), a network, a write-ahead log that survives crashes, and a chain
 * whose blocks are real chain blocks checked without execution (block.ts).
 *
 * The network loses, delays, duplicates and reorders messages, partitions and heals; nodes crash
 * and restart from their write-ahead log; byzantine validators stay silent, propose invalid
 * blocks, equivocate (two drivers with one key), forge or trim certificates, substitute block
 * bodies, hide prepared blocks, flood far rounds and heights, replay old heights
 * (adversary.ts), and strangers outside the validator set send messages of every kind.
 *
 * After every event the run checks safety (no two honest nodes commit different blocks at one
 * height, every block an honest node decides imports), that no honest validator signs two
 * digests for one (height, round, type), that honest engines stay within their memory bounds
 * under floods, and liveness once the faults are over.
 */
import type { Address } from '../../primitives/types.js';
import { toHex, equalBytes, fromHex, utf8 } from '../../crypto/bytes.js';
import { keccak256 } from '../../crypto/keccak.js';
import { chainBlockCodec } from '../../chain/block.js';
import { cachedRecover, decodeMessage, type ConsensusMessage } from '../../consensus/messages.js';
import { Secp256k1Signer, secp256k1Recover } from '../../consensus/crypto.js';
import {
  parentCertificateOf,
  verifyCommitCertificate,
  type ParentCertificate,
} from '../../consensus/certificate.js';
import { maxFaulty, roundTimeoutMs } from '../../consensus/quorum.js';
import {
  engineConfig,
  MessageType,
  type BlockCodec,
  type BlockInfo,
  type CommitSeal,
  type EngineConfig,
  type EquivocationEvidence,
  type Recover,
  type WalRecord,
} from '../../consensus/types.js';
import type { EngineStats } from '../../consensus/engine.js';
import { rlpEncode, type DecodeError } from '../../codec/rlp.js';
import {
  ConsensusDriver,
  type ConsensusHost,
  type Scheduler,
  type WalStore,
} from '../../node/consensus-driver.js';
import { Prng, TraceHash } from '../prng.js';
import { EventQueue } from '../queue.js';
import { MessageAdversary, type Outgoing } from './adversary.js';
import { buildSimBlock, checkSimBlock, SIM_CHAIN_ID, SIM_GENESIS } from './block.js';
import { ADVERSARIES, type Byzantine, type Scenario } from './scenario.js';
import { decodeBlock } from '../../chain/block.js';

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
  /** Honest engines holding more than their bounds allow (checked under floods and strangers). */
  memoryViolations: string[];
  /** Highest round at which an honest node committed. */
  maxRound: number;
  /** Equivocation evidence effects raised by honest nodes, and whom they accuse. */
  evidence: number;
  accused: number[];
  /**
   * Honest nodes' evidence submissions (as the node shell sends them: one transaction per node
   * and offence, gossiped to every mempool) that reached a committed block, and those that did
   * not by the end of the run.
   */
  evidenceIncluded: number;
  evidenceMissing: string[];
  /** Digest and round of every height as committed by honest nodes. */
  chain: { digest: string; round: number; proposer: number }[];
  events: number;
  virtualTimeMs: number;
  traceHash: string;
}

interface LedgerEntry {
  height: number;
  /** The block as decided (no commit round or seals). */
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
  | { kind: 'call'; node: number; incarnation: number; call: ScheduledCall }
  | { kind: 'crash'; node: number; restartAt: number }
  | { kind: 'restart'; node: number }
  | { kind: 'adversary-tick'; node: number };

interface ScheduledCall {
  fn: () => void;
  cancelled: boolean;
}

const EVENT_CODES: Record<SimEvent['kind'], number> = {
  deliver: 1,
  status: 7,
  'status-tick': 8,
  'sync-request': 2,
  'sync-response': 3,
  call: 4,
  crash: 5,
  restart: 6,
  'adversary-tick': 9,
};

/**
 * Knobs that weaken a node on purpose, to show that the checks bite: a codec that does not bind
 * the body (as a bare header hash), and a block validation that accepts anything.
 */
export interface SimOptions {
  codec?: BlockCodec;
  validateBlock?: (block: Uint8Array) => { valid: boolean; reason?: string };
}

/** Simulated blocks are small; this bound keeps the per-sender byte budgets meaningful. */
const SIM_MAX_MESSAGE_BYTES = 64 * 1024;

/** A decided block that would not import: the shell refuses to write it. */
class ImportRefused extends Error {
  override name = 'ImportRefused';
}

class SimNode {
  readonly signer: Secp256k1Signer;
  readonly address: Address;
  drivers: ConsensusDriver[] = [];
  incarnation = 0;
  wal: WalRecord[] = [];
  readonly ledger: LedgerEntry[] = [];
  lastCommitTime = 0;
  syncRequestedAt = -1;
  adversary: MessageAdversary | null = null;

  constructor(
    readonly index: number,
    readonly behaviour: Byzantine | 'stranger' | null,
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
    return this.drivers.length > 0 || this.behaviour === 'stranger';
  }

  get honest(): boolean {
    return this.behaviour === null;
  }
}

/** Validator keys of the simulation: fixed per index so traces are comparable across runs. */
function simKey(index: number): Uint8Array {
  return keccak256(new TextEncoder().encode(`etm-sim-validator-${index}`));
}

/** One recover cache shared by every simulation: the same signed bytes recur across nodes and runs. */
const sharedRecover: Recover = cachedRecover(secp256k1Recover, 500_000);

class ConsensusSimulation {
  private readonly rng: Prng;
  private readonly queue = new EventQueue<SimEvent>();
  private readonly nodes: SimNode[];
  private readonly trace = new TraceHash();
  private readonly decodeCache = new WeakMap<Uint8Array, ConsensusMessage | DecodeError>();
  /**
   * The chain codec, remembering its answer per bytes object: a message is delivered to every
   * node as one object, and its block decodes to one object shared by all (the decode cache).
   */
  private readonly codec: BlockCodec;
  /** Block checks per bytes object and parent: every node on one head gets the same answer. */
  private readonly checked = new WeakMap<Uint8Array, Map<string, string | null>>();
  private readonly config: EngineConfig;
  private now = 0;
  private events = 0;
  /** Evidence transactions honest nodes submitted (by hex), with what each is; and those in the chain. */
  private readonly evidenceTxs = new Map<string, string>();
  private readonly includedEvidence = new Set<string>();
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
  /** Every key that is a validator at some height: the most the height buffers may hold. */
  private readonly validatorKeys: number;
  private readonly checkMemory: boolean;

  constructor(
    private readonly scenario: Scenario,
    private readonly options: SimOptions = {},
  ) {
    this.rng = new Prng(scenario.seed);
    const inspected = new WeakMap<Uint8Array, BlockInfo | Error>();
    const real = options.codec ?? chainBlockCodec;
    this.codec = {
      inspect: (block) => {
        let info = inspected.get(block);
        if (!info) {
          try {
            info = real.inspect(block);
          } catch (e) {
            info = e as Error;
          }
          inspected.set(block, info);
        }
        if (info instanceof Error) throw info;
        return info;
      },
    };
    this.config = engineConfig({
      baseTimeoutMs: 2 * scenario.blockTimeMs,
      maxRoundTimeoutMs: scenario.maxRoundTimeoutMs,
      maxMessageBytes: SIM_MAX_MESSAGE_BYTES,
    });
    const byzantine = new Map(scenario.byzantine.map((b) => [b.node, b.behaviour]));
    this.nodes = [];
    for (let i = 0; i < scenario.nodes + scenario.strangers; i++) {
      const behaviour = i >= scenario.nodes ? 'stranger' : (byzantine.get(i) ?? null);
      this.nodes.push(
        new SimNode(i, behaviour, scenario.skewPct[i] ?? 100, scenario.clockOffsetMs[i] ?? 0),
      );
    }
    const keys = new Set<number>(Array.from({ length: scenario.validators }, (_, i) => i));
    for (const c of scenario.validatorChanges) for (const v of c.validators) keys.add(v);
    this.validatorKeys = keys.size;
    this.checkMemory =
      scenario.strangers > 0 ||
      scenario.byzantine.some((b) => (ADVERSARIES as readonly string[]).includes(b.behaviour));
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
      memoryViolations: [],
      maxRound: 0,
      evidence: 0,
      accused: [],
      evidenceIncluded: 0,
      evidenceMissing: [],
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

  /** Keys that may sign at the heights after `height`: known ahead, as epochs are on a chain. */
  private upcomingValidators(height: number): Address[] {
    const out = new Map<string, Address>();
    for (const h of [height, ...this.scenario.validatorChanges.map((c) => c.fromHeight)]) {
      if (h < height) continue;
      for (const v of this.validatorsAt(h)) out.set(toHex(v), v);
    }
    return [...out.values()];
  }

  run(): SimResult {
    for (const node of this.nodes) {
      this.boot(node);
      this.queue.push(this.rng.between(1, this.statusPeriod), {
        kind: 'status-tick',
        node: node.index,
      });
      if (node.adversary?.periodic)
        this.queue.push(this.rng.between(1, this.scenario.blockTimeMs), {
          kind: 'adversary-tick',
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
      const ev = next.value;
      if (
        ev.kind === 'call' &&
        (ev.call.cancelled || ev.incarnation !== this.nodes[ev.node]!.incarnation)
      )
        continue;
      this.events++;
      this.trace.add(this.now, EVENT_CODES[ev.kind], 'node' in ev ? ev.node : ev.to);
      this.dispatch(ev);
      this.checkLiveness();
      if (this.allHonestAtTarget()) break;
    }
    for (const node of this.nodes) this.checkBounds(node);
    const minHead = this.minHonestHead();
    if (minHead < this.scenario.heights && this.result.livenessFailures.length === 0) {
      this.result.livenessFailures.push(
        `${this.scenario.name} seed ${this.scenario.seed}: honest node stuck at height ${minHead} of ${this.scenario.heights} at ${this.now} ms`,
      );
    }
    for (const node of this.nodes) for (const d of node.drivers) d.stop();
    this.result.minHonestHeight = minHead;
    this.result.commits = this.maxHonestHead;
    this.result.events = this.events;
    this.result.virtualTimeMs = this.now;
    this.result.chain = [...this.committed.entries()]
      .sort((a, b) => a[0] - b[0])
      .map(([, c]) => ({ digest: toHex(c.digest), round: c.round, proposer: c.proposer }));
    this.result.accused = [...new Set(this.result.accused)].sort((a, b) => a - b);
    this.result.evidenceIncluded = this.includedEvidence.size;
    this.result.evidenceMissing = [...this.evidenceTxs]
      .filter(([k]) => !this.includedEvidence.has(k))
      .map(([, what]) => what);
    this.result.traceHash = this.trace.hex();
    return this.result;
  }

  // ---- nodes ------------------------------------------------------------------------------

  private boot(node: SimNode): void {
    node.incarnation++;
    if (node.behaviour === 'stranger') {
      node.adversary ??= this.adversaryFor(node, 'stranger');
      return;
    }
    if (node.behaviour && (ADVERSARIES as readonly string[]).includes(node.behaviour))
      node.adversary ??= this.adversaryFor(node, node.behaviour as (typeof ADVERSARIES)[number]);
    const copies = node.behaviour === 'equivocate' || node.behaviour === 'fork' ? 2 : 1;
    node.drivers = [];
    for (let k = 0; k < copies; k++) node.drivers.push(this.driverFor(node, k));
    for (const d of node.drivers) d.start();
  }

  private driverFor(node: SimNode, instance: number): ConsensusDriver {
    const incarnation = node.incarnation;
    const scheduler: Scheduler = {
      after: (ms, fn) =>
        this.scheduleCall(node, incarnation, Math.floor((ms * node.skewPct) / 100), fn),
      soon: (fn) => this.scheduleCall(node, incarnation, 1, fn),
    };
    // A byzantine node keeps no log: signing twice is part of its purpose.
    const wal: WalStore = node.honest
      ? {
          load: () => node.wal.filter((r) => r.height > node.head),
          append: (r) => node.wal.push(r),
          prune: (h) => {
            node.wal = node.wal.filter((r) => r.height >= h);
          },
        }
      : { load: () => [], append: () => {}, prune: () => {} };
    const host: ConsensusHost = {
      headHeight: () => node.head,
      validatorsAt: (h) => this.validatorsAt(h),
      upcomingValidators: (h) => this.upcomingValidators(h),
      msUntilProposal: () =>
        Math.max(
          0,
          node.lastCommitTime + this.scenario.blockTimeMs - node.clockOffsetMs - this.now,
        ),
      buildBlock: (h, round) => this.build(node, instance, h, round),
      validateBlock: (h, block) => {
        if (this.options.validateBlock) return this.options.validateBlock(block);
        const problem = h === node.head + 1 ? this.check(node, block) : 'not on the head';
        return problem ? { valid: false, reason: problem } : { valid: true };
      },
      commitBlock: (h, round, block, seals) => this.onCommit(node, h, round, block, seals),
    };
    return new ConsensusDriver({
      signer: node.signer,
      recover: sharedRecover,
      codec: this.codec,
      chainId: SIM_CHAIN_ID,
      config: this.config,
      host,
      transport: { broadcast: (bytes) => this.onBroadcast(node, instance, bytes) },
      wal,
      scheduler,
      decodeCache: this.decodeCache,
      events: {
        onEvidence: (e) => this.onEvidence(node, e),
        onError: (e) => {
          if (node.honest && !(e instanceof ImportRefused))
            this.result.safetyViolations.push(`node ${node.index}: driver error: ${e.message}`);
        },
      },
    });
  }

  private adversaryFor(
    node: SimNode,
    kind: ConstructorParameters<typeof MessageAdversary>[0],
  ): MessageAdversary {
    return new MessageAdversary(kind, {
      signer: node.signer,
      rng: this.rng.fork(),
      height: () => (kind === 'stranger' ? this.maxHonestHead + 1 : node.head + 1),
      validatorsAt: (h) => this.validatorsAt(h),
      buildBlock: (h, round) =>
        kind === 'stranger'
          ? buildSimBlock({
              height: h,
              round,
              parent: SIM_GENESIS,
              proposer: node.address,
              valid: true,
              nonce: 0,
              parentCertificate: { round: 0, bitmap: new Uint8Array(0), seals: [] },
            })
          : this.build(node, 0, h, round, true),
      decode: (bytes) => this.peek(bytes),
    });
  }

  private scheduleCall(
    node: SimNode,
    incarnation: number,
    delay: number,
    fn: () => void,
  ): () => void {
    const call: ScheduledCall = { fn, cancelled: false };
    this.queue.push(this.now + delay, { kind: 'call', node: node.index, incarnation, call });
    return () => {
      call.cancelled = true;
    };
  }

  private crash(node: SimNode): void {
    for (const d of node.drivers) d.stop();
    node.drivers = [];
    node.incarnation++;
    node.syncRequestedAt = -1;
  }

  private view(node: SimNode) {
    return {
      head: node.head,
      headDigest: node.headDigest,
      validatorsAt: (h: number) => this.validatorsAt(h),
      recover: sharedRecover,
    };
  }

  /** Whether `block` imports on the node's head (block.ts), remembered per bytes object. */
  private check(node: SimNode, block: Uint8Array): string | null {
    let byParent = this.checked.get(block);
    if (!byParent) {
      byParent = new Map();
      this.checked.set(block, byParent);
    }
    const key = `${node.head}:${toHex(node.headDigest)}`;
    let result = byParent.get(key);
    if (result === undefined) {
      result = checkSimBlock(block, this.view(node));
      byParent.set(key, result);
    }
    return result;
  }

  private headCertificate(node: SimNode): ParentCertificate {
    const head = node.ledger[node.ledger.length - 1];
    if (!head) return { round: 0, bitmap: new Uint8Array(0), seals: [] };
    return parentCertificateOf(
      SIM_CHAIN_ID,
      head.digest,
      head.round,
      head.seals.map((s) => s.signature),
      this.validatorsAt(head.height),
      sharedRecover,
    );
  }

  /** The block a node builds for (height, round); `any` builds whatever the behaviour. */
  private build(
    node: SimNode,
    instance: number,
    height: number,
    round: number,
    any = false,
  ): Uint8Array | null {
    if (!any && node.behaviour === 'silent') return null;
    if (height !== node.head + 1) return null;
    return buildSimBlock(
      {
        height,
        round,
        parent: node.headDigest,
        proposer: node.address,
        valid: node.behaviour !== 'invalid',
        nonce: node.behaviour === 'equivocate' || node.behaviour === 'fork' ? instance + 1 : 0,
        parentCertificate: this.headCertificate(node),
      },
      node.honest ? this.pendingEvidence() : [],
    );
  }

  /**
   * The driver writes a decided block. An honest node first checks that it imports — the body
   * matches the header, every rule a chain import applies without execution, and the commit
   * certificate — and refuses it otherwise: the safety checker records that as a violation.
   */
  private onCommit(
    node: SimNode,
    height: number,
    round: number,
    block: Uint8Array,
    seals: CommitSeal[],
  ): void {
    if (height !== node.head + 1) return; // the other instance or the sync got there first
    const digest = this.codec.inspect(block).digest;
    this.trace.add(node.index, height, round);
    this.trace.addBytes(digest.subarray(0, 8));
    if (node.honest) {
      let problem = this.check(node, block);
      if (!problem) {
        try {
          verifyCommitCertificate(
            SIM_CHAIN_ID,
            digest,
            round,
            seals,
            this.validatorsAt(height),
            sharedRecover,
          );
        } catch (e) {
          problem = `commit certificate: ${(e as Error).message}`;
        }
      }
      if (problem) {
        this.result.safetyViolations.push(
          `${this.scenario.name} seed ${this.scenario.seed}: node ${node.index} decided a block at height ${height} that does not import: ${problem}`,
        );
        throw new ImportRefused(problem);
      }
    }
    this.appendBlock(node, { height, block, digest, round, seals });
  }

  /**
   * Evidence transactions not yet committed, oldest first (a block takes 16): the committed chain
   * is one for every honest node, so a proposer leaves out what it holds.
   */
  private pendingEvidence(): Uint8Array[] {
    if (this.evidenceTxs.size === 0) return [];
    return [...this.evidenceTxs.keys()]
      .filter((k) => !this.includedEvidence.has(k))
      .slice(0, 16)
      .map((k) => fromHex(k));
  }

  private onEvidence(node: SimNode, e: EquivocationEvidence): void {
    if (!node.honest) return;
    // The node submits it from its account; the mempool gossips it to every proposer.
    const tx = rlpEncode([utf8('etm-sim-evidence'), node.index, e.first, e.second]);
    const key = toHex(tx);
    if (!this.evidenceTxs.has(key))
      this.evidenceTxs.set(
        key,
        `node ${node.index}'s evidence against ${toHex(e.validator)} at height ${e.height} round ${e.round}`,
      );
    this.result.evidence++;
    const accused = this.nodes.findIndex((n) => equalBytes(n.address, e.validator));
    this.result.accused.push(accused);
    if (this.nodes[accused]?.honest) {
      this.result.safetyViolations.push(
        `node ${node.index} accused honest node ${accused} of equivocation`,
      );
    }
  }

  private appendBlock(node: SimNode, entry: LedgerEntry): void {
    node.ledger.push(entry);
    node.lastCommitTime = this.now;
    node.wal = node.wal.filter((r) => r.height > node.head);
    if (!node.honest) return;
    const { height, digest, round, block } = entry;
    const first = this.committed.get(height);
    if (!first) {
      if (this.evidenceTxs.size > 0)
        for (const tx of decodeBlock(block).transactions)
          if (this.evidenceTxs.has(toHex(tx))) this.includedEvidence.add(toHex(tx));
      const proposer = decodeBlock(block).header.coinbase;
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

  // ---- memory bounds ----------------------------------------------------------------------

  /** An honest engine holds no more than its bounds allow, whatever the adversaries send. */
  private checkBounds(node: SimNode): void {
    if (!this.checkMemory || !node.honest) return;
    const c = this.config;
    const k = this.validatorKeys;
    for (const d of node.drivers) {
      const s: EngineStats = d.stats();
      const broken: string[] = [];
      if (s.rounds > c.maxPastRounds + c.maxFutureRounds + 1) broken.push(`${s.rounds} rounds`);
      if (s.roundChangeRounds > c.maxFutureRounds + 1)
        broken.push(`${s.roundChangeRounds} rounds of ROUND-CHANGEs`);
      if (s.farRoundChanges > k) broken.push(`${s.farRoundChanges} far ROUND-CHANGEs`);
      if (s.futureRoundMessages > k * c.maxFutureRoundMessagesPerSender)
        broken.push(`${s.futureRoundMessages} later-round messages`);
      if (s.futureRoundBytes > k * c.maxFutureRoundBytesPerSender)
        broken.push(`${s.futureRoundBytes} later-round bytes`);
      if (s.futureHeightSenders > k) broken.push(`${s.futureHeightSenders} later-height senders`);
      if (s.futureHeightMessages > k * c.maxFutureHeightMessagesPerSender)
        broken.push(`${s.futureHeightMessages} later-height messages`);
      if (s.futureHeightBytes > k * c.maxFutureHeightBytesPerSender)
        broken.push(`${s.futureHeightBytes} later-height bytes`);
      if (s.seen > k * 4 * (c.maxPastRounds + c.maxFutureRounds + 1))
        broken.push(`${s.seen} payloads kept for evidence`);
      if (broken.length > 0)
        this.result.memoryViolations.push(
          `${this.scenario.name} seed ${this.scenario.seed}: node ${node.index} holds ${broken.join(', ')}`,
        );
    }
  }

  // ---- network ----------------------------------------------------------------------------

  private peek(bytes: Uint8Array): ConsensusMessage | null {
    let m = this.decodeCache.get(bytes);
    if (!m) {
      try {
        m = decodeMessage(bytes, sharedRecover, {
          chainId: SIM_CHAIN_ID,
          maxMessageBytes: SIM_MAX_MESSAGE_BYTES,
          maxJustification: this.config.maxJustification,
        });
      } catch (err) {
        m = err as DecodeError;
      }
      this.decodeCache.set(bytes, m);
    }
    return m instanceof Error ? null : m;
  }

  private onBroadcast(node: SimNode, instance: number, bytes: Uint8Array): void {
    const m = this.peek(bytes);
    if (node.honest && m) {
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
    const out: Outgoing[] = node.adversary ? node.adversary.outgoing(bytes) : [{ bytes }];
    for (const o of out) this.sendFrom(node, instance, o);
    const type = m?.type;
    const height = m?.signed.height;
    const trigger = this.crashOnSend.findIndex(
      (c) => c.node === node.index && c.type === type && c.height === height,
    );
    if (trigger >= 0) {
      const c = this.crashOnSend.splice(trigger, 1)[0]!;
      this.crash(node);
      this.queue.push(this.now + c.restartAfterMs, { kind: 'restart', node: node.index });
    }
  }

  private sendFrom(node: SimNode, instance: number, o: Outgoing): void {
    let recipients = this.nodes.filter((n) => n.index !== node.index).map((n) => n.index);
    if (o.half !== undefined) recipients = recipients.filter((to) => to % 2 === o.half);
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
    const m = this.peek(o.bytes);
    for (const to of recipients) {
      this.send(
        node.index,
        to,
        { kind: 'deliver', to, from: node.index, fromInstance: instance, bytes: o.bytes },
        m?.type,
        m?.signed.height,
        m?.signed.round ?? -1,
      );
    }
  }

  /** Whether `peer` (or its instance) is on side `instance` of a split-brain adversary. */
  private forkSide(peer: number, instance: number, peerInstance = 0): boolean {
    if (this.nodes[peer]!.behaviour === 'fork') return peerInstance === instance;
    return peer % 2 === instance;
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
        // A message for a later height from one of its validators (what the gossip layer relays)
        // tells the node it is behind.
        const m = this.peek(ev.bytes);
        if (
          m &&
          node.behaviour !== 'stranger' &&
          m.signed.height > node.head + 1 &&
          this.validatorsAt(m.signed.height).some((v) => equalBytes(v, m.signed.author))
        )
          this.requestSync(node, ev.from);
        node.adversary?.observe(ev.bytes);
        for (let k = 0; k < node.drivers.length; k++) {
          if (node.behaviour === 'fork' && !this.forkSide(ev.from, k, ev.fromInstance)) continue;
          node.drivers[k]!.receive(ev.bytes);
        }
        break;
      }
      case 'call':
        ev.call.fn();
        break;
      case 'adversary-tick': {
        const node = this.nodes[ev.node]!;
        if (node.up && node.adversary) {
          for (const bytes of node.adversary.tick()) this.sendFrom(node, 0, { bytes });
        }
        if (!this.allHonestAtTarget()) this.queue.push(this.now + this.scenario.blockTimeMs, ev);
        // The flood has had a block time to land: every honest engine must still be in bounds.
        for (const n of this.nodes) this.checkBounds(n);
        break;
      }
      case 'status-tick': {
        // Peers exchange their heads, as real nodes do, so a node learns it is behind even when
        // no consensus traffic reaches it (a follower, or a validator the set no longer includes).
        const node = this.nodes[ev.node]!;
        if (node.up && node.behaviour !== 'stranger' && this.nodes.length > 1) {
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
        if (node.up && node.behaviour !== 'stranger' && ev.head > node.head)
          this.requestSync(node, ev.from);
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

  /** Imports committed blocks from a peer: each must import on the head with a valid certificate. */
  private onSyncResponse(node: SimNode, entries: LedgerEntry[]): void {
    if (!node.up || node.behaviour === 'stranger') return;
    node.syncRequestedAt = -1;
    const before = node.head;
    for (const entry of entries) {
      if (entry.height !== node.head + 1) continue;
      if (this.check(node, entry.block) !== null) break;
      const digest = this.codec.inspect(entry.block).digest;
      try {
        verifyCommitCertificate(
          SIM_CHAIN_ID,
          digest,
          entry.round,
          entry.seals,
          this.validatorsAt(entry.height),
          sharedRecover,
        );
      } catch {
        break;
      }
      this.appendBlock(node, { ...entry, digest });
    }
    if (node.head > before) for (const d of node.drivers) d.headChanged();
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
    for (const n of this.nodes) if (n.honest && n.head < min) min = n.head;
    return min;
  }

  private allHonestAtTarget(): boolean {
    for (const n of this.nodes) if (n.honest && n.head < this.scenario.heights) return false;
    return true;
  }
}

export function runScenario(scenario: Scenario, options?: SimOptions): SimResult {
  return new ConsensusSimulation(scenario, options).run();
}
