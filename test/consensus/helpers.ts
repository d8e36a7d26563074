/**
 * Fixtures for the QBFT engine tests: fixed secp256k1 keys, a trivial block codec and a small
 * hand-driven network of engines.
 *
 * Test block = RLP [height, payload]; its digest is keccak256 of those bytes.
 */
import type { Address } from '../../src/primitives/types.js';
import { bigintToFixed, utf8 } from '../../src/crypto/bytes.js';
import { keccak256 } from '../../src/crypto/keccak.js';
import { asBytes, asList, asUint, rlpDecode, rlpEncode } from '../../src/codec/rlp.js';
import { Secp256k1Signer, secp256k1Recover } from '../../src/consensus/crypto.js';
import { QbftEngine } from '../../src/consensus/engine.js';
import {
  decodeMessage,
  encodeMessage,
  signPrepare,
  signProposalPayload,
  signRoundChange,
  type PreparedRef,
  type SignedPayload,
} from '../../src/consensus/messages.js';
import {
  MessageType,
  type BlockCodec,
  type EngineConfig,
  type EngineEffect,
  type EngineInput,
  type WalRecord,
} from '../../src/consensus/types.js';

/** Private key k (1 ≤ k), 32 bytes big-endian. */
export function privateKey(k: number): Uint8Array {
  return bigintToFixed(BigInt(k), 32);
}

/** Signers for keys 1..n; validator i holds key i + 1. */
export function makeSigners(n: number, firstKey = 1): Secp256k1Signer[] {
  return Array.from({ length: n }, (_, i) => new Secp256k1Signer(privateKey(firstKey + i)));
}

/** The chain id every test signature is bound to (the devnet's). */
export const CHAIN_ID = 4543565n;

export function makeBlock(height: number, payload: string): Uint8Array {
  return rlpEncode([height, utf8(payload)]);
}

/** Test blocks record no round; their digest is the keccak of all their bytes. */
export const testCodec: BlockCodec = {
  inspect(block) {
    const [h, payload] = asList(rlpDecode(block), 'test block', 2);
    asBytes(payload, 'payload');
    return { digest: keccak256(block), height: Number(asUint(h, 'height', 6)), round: null };
  },
};

export const digestOf = (block: Uint8Array): Uint8Array => testCodec.inspect(block).digest;

export const recover = secp256k1Recover;

/** Short timeouts keep the numbers readable: base 1000 ms, cap 8000 ms. */
export const TEST_CONFIG: Partial<EngineConfig> = { baseTimeoutMs: 1000, maxRoundTimeoutMs: 8000 };

export function newEngine(
  signer: Secp256k1Signer | null,
  opts: { config?: Partial<EngineConfig>; wal?: WalRecord[]; codec?: BlockCodec } = {},
): QbftEngine {
  return new QbftEngine({
    signer,
    recover,
    codec: opts.codec ?? testCodec,
    chainId: CHAIN_ID,
    config: { ...TEST_CONFIG, ...opts.config },
    wal: opts.wal ?? [],
  });
}

// ---- effect filters ---------------------------------------------------------------------------

type Of<K extends EngineEffect['kind']> = Extract<EngineEffect, { kind: K }>;

export function ofKind<K extends EngineEffect['kind']>(effects: EngineEffect[], kind: K): Of<K>[] {
  return effects.filter((e): e is Of<K> => e.kind === kind);
}

export function broadcasts(effects: EngineEffect[], type?: MessageType): Of<'broadcast'>[] {
  return ofKind(effects, 'broadcast').filter((b) => type === undefined || b.type === type);
}

export function kinds(effects: EngineEffect[]): string[] {
  return effects.map((e) => (e.kind === 'broadcast' ? `broadcast:${MessageType[e.type]}` : e.kind));
}

// ---- hand-made messages ---------------------------------------------------------------------

export function prepareMsg(
  signer: Secp256k1Signer,
  height: number,
  round: number,
  digest: Uint8Array,
): Uint8Array {
  return encodeMessage({
    type: MessageType.Prepare,
    signed: signPrepare(signer, CHAIN_ID, height, round, digest),
  });
}

export function proposalMsg(
  signer: Secp256k1Signer,
  height: number,
  round: number,
  block: Uint8Array,
  roundChanges: SignedPayload[] = [],
  prepares: SignedPayload[] = [],
  digest: Uint8Array = digestOf(block),
): Uint8Array {
  return encodeMessage({
    type: MessageType.Proposal,
    signed: signProposalPayload(signer, CHAIN_ID, height, round, digest),
    block,
    roundChanges,
    prepares,
  });
}

export function roundChangeMsg(
  signer: Secp256k1Signer,
  height: number,
  round: number,
  prepared: { ref: PreparedRef; block: Uint8Array; prepares: SignedPayload[] } | null = null,
): Uint8Array {
  return encodeMessage({
    type: MessageType.RoundChange,
    signed: signRoundChange(signer, CHAIN_ID, height, round, prepared?.ref ?? null),
    preparedBlock: prepared?.block ?? null,
    prepares: prepared?.prepares ?? [],
  });
}

/** The signed payload of a message, as a justification carries it. */
export function payloadOf(bytes: Uint8Array): SignedPayload {
  return decodeMessage(bytes, recover, {
    chainId: CHAIN_ID,
    maxMessageBytes: 1 << 24,
    maxJustification: 1024,
  }).signed;
}

// ---- a hand-driven network ------------------------------------------------------------------

export interface TestNode {
  index: number;
  signer: Secp256k1Signer | null;
  engine: QbftEngine;
  /** Every effect this node produced, in order. */
  log: EngineEffect[];
  wal: WalRecord[];
}

export interface NetOptions {
  config?: Partial<EngineConfig>;
  /** Extra observer nodes (signer null). */
  observers?: number;
  /** Answer to `validate-block`. */
  validate?: (node: TestNode, block: Uint8Array) => boolean;
  /** Whether a broadcast of `from` reaches `to`. */
  link?: (from: number, to: number, effect: Of<'broadcast'>) => boolean;
}

/**
 * A network of engines whose broadcasts are delivered synchronously, breadth-first, to every
 * other node; `build-block` and `validate-block` are answered at once. Timers never fire by
 * themselves: tests fire them with `timer()`.
 */
export class TestNet {
  readonly nodes: TestNode[];
  readonly validators: Address[];
  private readonly queue: { to: number; input: EngineInput }[] = [];
  link: NonNullable<NetOptions['link']>;

  constructor(
    n: number,
    readonly opts: NetOptions = {},
  ) {
    const signers: Secp256k1Signer[] = makeSigners(n);
    this.validators = signers.map((s) => s.address);
    const all: (Secp256k1Signer | null)[] = [
      ...signers,
      ...Array.from({ length: opts.observers ?? 0 }, () => null),
    ];
    this.nodes = all.map((signer, index) => ({
      index,
      signer,
      engine: newEngine(signer, { config: opts.config }),
      log: [],
      wal: [],
    }));
    this.link = opts.link ?? (() => true);
  }

  /** Applies one input to a node now, then runs the network until quiet. */
  input(to: number, input: EngineInput): EngineEffect[] {
    const effects = this.apply(to, input);
    this.run();
    return effects;
  }

  start(height: number): void {
    for (const node of this.nodes)
      this.queue.push({ to: node.index, input: startInput(height, this.validators) });
    this.run();
  }

  timer(to: number, timer: 'round' | 'resend-round-change' = 'round'): EngineEffect[] {
    const e = this.nodes[to]!.engine;
    return this.input(to, { kind: 'timer', timer, height: e.height!, round: e.round! });
  }

  deliver(to: number, bytes: Uint8Array): EngineEffect[] {
    return this.input(to, { kind: 'message', bytes });
  }

  commits(): Of<'commit'>[][] {
    return this.nodes.map((n) => ofKind(n.log, 'commit'));
  }

  run(): void {
    let steps = 0;
    while (this.queue.length > 0) {
      if (++steps > 100_000) throw new Error('network did not settle');
      const { to, input } = this.queue.shift()!;
      this.apply(to, input);
    }
  }

  private apply(to: number, input: EngineInput): EngineEffect[] {
    const node = this.nodes[to]!;
    const effects = node.engine.handle(input);
    node.log.push(...effects);
    for (const e of effects) {
      switch (e.kind) {
        case 'wal-write':
          node.wal.push(e.record);
          break;
        case 'broadcast':
          for (const other of this.nodes)
            if (other.index !== to && this.link(to, other.index, e))
              this.queue.push({ to: other.index, input: { kind: 'message', bytes: e.bytes } });
          break;
        case 'build-block': {
          const block = makeBlock(e.height, `block ${e.height}/${e.round} by ${to}`);
          this.queue.push({
            to,
            input: { kind: 'block-built', height: e.height, round: e.round, block },
          });
          break;
        }
        case 'validate-block': {
          const valid = this.opts.validate ? this.opts.validate(node, e.block) : true;
          this.queue.push({
            to,
            input: { kind: 'block-validated', height: e.height, digest: e.digest, valid },
          });
          break;
        }
        default:
          break;
      }
    }
    return effects;
  }
}

export function startInput(height: number, validators: Address[]): EngineInput {
  return { kind: 'start-height', height, validators };
}
