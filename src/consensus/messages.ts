/**
 * Wire encoding of QBFT messages (documented in docs/consensus.md).
 *
 *   signed payload  = RLP [payload, signature(65)]
 *   signature over keccak256(RLP ["etm-qbft-message", chainId, payload])
 *   PROPOSAL  payload = [0, height, round, digest]
 *   PREPARE   payload = [1, height, round, digest]
 *   COMMIT    payload = [2, height, round, digest, commitSeal(65)]
 *   ROUND-CHANGE payload = [3, height, round, prepared]  prepared = [] | [preparedRound, preparedDigest]
 *
 *   PROPOSAL message     = RLP [signed, block, [signed ROUND-CHANGE…], [signed PREPARE…]]
 *   PREPARE, COMMIT      = RLP [signed]
 *   ROUND-CHANGE message = RLP [signed, preparedBlock | empty, [signed PREPARE…]]
 */
import type { Address, Hash } from '../primitives/types.js';
import { concatBytes, toHex, utf8 } from '../crypto/bytes.js';
import { keccak256 } from '../crypto/keccak.js';
import type { Signature65 } from '../crypto/secp256k1.js';
import {
  asBytes,
  asList,
  asUint,
  DecodeError,
  rlpDecode,
  rlpEncode,
  type RlpInput,
  type RlpItem,
} from '../codec/rlp.js';
import { MessageType, type Recover, type Signer } from './types.js';

/** Largest height or round accepted from the wire: far beyond any real chain, still exact. */
const MAX_COUNTER = 2 ** 48;

export interface PreparedRef {
  round: number;
  digest: Hash;
}

/** A decoded, signature-checked payload. `encoded` is RLP [payload, signature]. */
export interface SignedPayload {
  type: MessageType;
  height: number;
  round: number;
  /** Block digest (PROPOSAL, PREPARE, COMMIT); keccak of the payload for ROUND-CHANGE. */
  digest: Hash;
  commitSeal?: Signature65;
  prepared?: PreparedRef | null;
  author: Address;
  encoded: Uint8Array;
}

export interface ProposalMessage {
  type: MessageType.Proposal;
  signed: SignedPayload;
  block: Uint8Array;
  roundChanges: SignedPayload[];
  prepares: SignedPayload[];
}
export interface PrepareMessage {
  type: MessageType.Prepare;
  signed: SignedPayload;
}
export interface CommitMessage {
  type: MessageType.Commit;
  signed: SignedPayload;
}
export interface RoundChangeMessage {
  type: MessageType.RoundChange;
  signed: SignedPayload;
  preparedBlock: Uint8Array | null;
  prepares: SignedPayload[];
}
export type ConsensusMessage =
  ProposalMessage | PrepareMessage | CommitMessage | RoundChangeMessage;

// ---- domain separation --------------------------------------------------------------------

/**
 * Every consensus signature names what it signs and the chain it belongs to, so that no signed
 * message, seal or transaction of one kind or of another chain verifies as another.
 */
const MESSAGE_TAG = utf8('etm-qbft-message');
const COMMIT_SEAL_TAG = utf8('etm-qbft-commit-seal');

/** What a message signature signs: keccak256(RLP ["etm-qbft-message", chainId, payload]). */
export function payloadSigningHash(chainId: bigint, payload: RlpInput[]): Uint8Array {
  return keccak256(rlpEncode([MESSAGE_TAG, chainId, payload]));
}

// ---- commit seals -------------------------------------------------------------------------

/**
 * What a commit seal signs: the block digest (no seals, no commit round) bound to the commit
 * round and the chain: keccak256(RLP ["etm-qbft-commit-seal", chainId, digest, round]).
 */
export function commitSealDigest(chainId: bigint, digest: Hash, round: number): Uint8Array {
  return keccak256(rlpEncode([COMMIT_SEAL_TAG, chainId, digest, round]));
}

// ---- encoding -----------------------------------------------------------------------------

function payloadFields(
  p: Omit<SignedPayload, 'author' | 'encoded' | 'digest'> & { digest?: Hash },
): RlpInput[] {
  switch (p.type) {
    case MessageType.Proposal:
    case MessageType.Prepare:
      return [p.type, p.height, p.round, p.digest!];
    case MessageType.Commit:
      return [p.type, p.height, p.round, p.digest!, p.commitSeal!];
    case MessageType.RoundChange:
      return [p.type, p.height, p.round, p.prepared ? [p.prepared.round, p.prepared.digest] : []];
  }
}

function signPayload(
  signer: Signer,
  chainId: bigint,
  fields: RlpInput[],
): { encoded: Uint8Array; payloadHash: Uint8Array } {
  const payloadHash = payloadSigningHash(chainId, fields);
  const signature = signer.sign(payloadHash);
  return { encoded: rlpEncode([fields, signature]), payloadHash };
}

export function signPrepare(
  signer: Signer,
  chainId: bigint,
  height: number,
  round: number,
  digest: Hash,
): SignedPayload {
  const { encoded } = signPayload(
    signer,
    chainId,
    payloadFields({ type: MessageType.Prepare, height, round, digest }),
  );
  return { type: MessageType.Prepare, height, round, digest, author: signer.address, encoded };
}

export function signCommit(
  signer: Signer,
  chainId: bigint,
  height: number,
  round: number,
  digest: Hash,
): SignedPayload {
  const commitSeal = signer.sign(commitSealDigest(chainId, digest, round));
  const fields = payloadFields({ type: MessageType.Commit, height, round, digest, commitSeal });
  const { encoded } = signPayload(signer, chainId, fields);
  return {
    type: MessageType.Commit,
    height,
    round,
    digest,
    commitSeal,
    author: signer.address,
    encoded,
  };
}

export function signProposalPayload(
  signer: Signer,
  chainId: bigint,
  height: number,
  round: number,
  digest: Hash,
): SignedPayload {
  const { encoded } = signPayload(
    signer,
    chainId,
    payloadFields({ type: MessageType.Proposal, height, round, digest }),
  );
  return { type: MessageType.Proposal, height, round, digest, author: signer.address, encoded };
}

export function signRoundChange(
  signer: Signer,
  chainId: bigint,
  height: number,
  round: number,
  prepared: PreparedRef | null,
): SignedPayload {
  const fields = payloadFields({ type: MessageType.RoundChange, height, round, prepared });
  const { encoded, payloadHash } = signPayload(signer, chainId, fields);
  return {
    type: MessageType.RoundChange,
    height,
    round,
    digest: payloadHash,
    prepared,
    author: signer.address,
    encoded,
  };
}

/** The signed payloads embed as RLP lists, so an envelope re-decodes them as items. */
function embedded(signed: SignedPayload): RlpInput {
  return rlpDecode(signed.encoded) as RlpInput;
}

export function encodeMessage(m: ConsensusMessage): Uint8Array {
  switch (m.type) {
    case MessageType.Proposal:
      return rlpEncode([
        embedded(m.signed),
        m.block,
        m.roundChanges.map(embedded),
        m.prepares.map(embedded),
      ]);
    case MessageType.Prepare:
    case MessageType.Commit:
      return rlpEncode([embedded(m.signed)]);
    case MessageType.RoundChange:
      return rlpEncode([
        embedded(m.signed),
        m.preparedBlock ?? new Uint8Array(0),
        m.prepares.map(embedded),
      ]);
  }
}

// ---- decoding -----------------------------------------------------------------------------

function asCounter(item: RlpItem | undefined, what: string): number {
  const v = asUint(item, what, 7);
  if (v > BigInt(MAX_COUNTER)) throw new DecodeError(`${what}: too large`);
  return Number(v);
}

/** The signer of a payload; a signature that does not recover is a DecodeError like any bad field. */
function authorOf(recover: Recover, payloadHash: Uint8Array, signature: Signature65): Address {
  try {
    return recover(payloadHash, signature);
  } catch (e) {
    throw new DecodeError(`invalid signature: ${(e as Error).message}`);
  }
}

/** Decodes and authenticates one embedded signed payload (an RLP item). Throws DecodeError. */
export function decodeSignedPayload(
  item: RlpItem,
  recover: Recover,
  chainId: bigint,
): SignedPayload {
  const [payloadItem, sigItem] = asList(item, 'signed payload', 2);
  const fields = asList(payloadItem, 'payload');
  const signature = asBytes(sigItem, 'signature', 65);
  const type = asCounter(fields[0], 'message type') as MessageType;
  const height = asCounter(fields[1], 'height');
  const round = asCounter(fields[2], 'round');
  const payloadHash = payloadSigningHash(chainId, fields as RlpInput[]);
  const base = { type, height, round, encoded: rlpEncode([fields as RlpInput, signature]) };
  switch (type) {
    case MessageType.Proposal:
    case MessageType.Prepare: {
      if (fields.length !== 4) throw new DecodeError('payload: expected 4 fields');
      const digest = asBytes(fields[3], 'digest', 32);
      return { ...base, digest, author: authorOf(recover, payloadHash, signature) };
    }
    case MessageType.Commit: {
      if (fields.length !== 5) throw new DecodeError('payload: expected 5 fields');
      const digest = asBytes(fields[3], 'digest', 32);
      const commitSeal = asBytes(fields[4], 'commit seal', 65);
      return { ...base, digest, commitSeal, author: authorOf(recover, payloadHash, signature) };
    }
    case MessageType.RoundChange: {
      if (fields.length !== 4) throw new DecodeError('payload: expected 4 fields');
      const preparedItem = asList(fields[3], 'prepared');
      let prepared: PreparedRef | null = null;
      if (preparedItem.length === 2) {
        prepared = {
          round: asCounter(preparedItem[0], 'prepared round'),
          digest: asBytes(preparedItem[1], 'prepared digest', 32),
        };
        if (prepared.round >= round)
          throw new DecodeError('prepared round must be below the round');
      } else if (preparedItem.length !== 0) {
        throw new DecodeError('prepared: expected [] or [round, digest]');
      }
      return {
        ...base,
        digest: payloadHash,
        prepared,
        author: authorOf(recover, payloadHash, signature),
      };
    }
    default:
      throw new DecodeError(`unknown message type ${String(type)}`);
  }
}

function decodeList(
  item: RlpItem | undefined,
  what: string,
  recover: Recover,
  limits: MessageLimits,
): SignedPayload[] {
  const list = asList(item, what);
  const max = limits.maxJustification;
  if (list.length > max) throw new DecodeError(`${what}: more than ${max} entries`);
  return list.map((x) => decodeSignedPayload(x, recover, limits.chainId));
}

/** What decoding needs besides the bytes: the chain signatures are bound to, and size limits. */
export interface MessageLimits {
  chainId: bigint;
  maxMessageBytes: number;
  /** Most signed payloads one justification may carry. */
  maxJustification: number;
}

/**
 * Decodes a consensus message and recovers every signer. Checks form only: whether the authors
 * are validators and the justification is sound is the engine's job. Throws DecodeError.
 */
export function decodeMessage(
  bytes: Uint8Array,
  recover: Recover,
  limits: MessageLimits,
): ConsensusMessage {
  if (bytes.length > limits.maxMessageBytes) {
    throw new DecodeError(`message of ${bytes.length} bytes exceeds ${limits.maxMessageBytes}`);
  }
  const envelope = asList(rlpDecode(bytes), 'message');
  if (envelope.length === 0) throw new DecodeError('message: empty');
  const signed = decodeSignedPayload(envelope[0]!, recover, limits.chainId);
  switch (signed.type) {
    case MessageType.Proposal: {
      if (envelope.length !== 4) throw new DecodeError('PROPOSAL: expected 4 items');
      const block = asBytes(envelope[1], 'block');
      const roundChanges = decodeList(envelope[2], 'round-change justification', recover, limits);
      const prepares = decodeList(envelope[3], 'prepare justification', recover, limits);
      return { type: MessageType.Proposal, signed, block, roundChanges, prepares };
    }
    case MessageType.Prepare:
    case MessageType.Commit:
      if (envelope.length !== 1) throw new DecodeError('PREPARE/COMMIT: expected 1 item');
      return { type: signed.type, signed } as PrepareMessage | CommitMessage;
    case MessageType.RoundChange: {
      if (envelope.length !== 3) throw new DecodeError('ROUND-CHANGE: expected 3 items');
      const blockBytes = asBytes(envelope[1], 'prepared block');
      const prepares = decodeList(envelope[2], 'prepare justification', recover, limits);
      return {
        type: MessageType.RoundChange,
        signed,
        preparedBlock: blockBytes.length === 0 ? null : blockBytes,
        prepares,
      };
    }
  }
}

/** A memoising recover: one recovery per distinct (payload hash, signature), bounded. */
export function cachedRecover(recover: Recover, maxEntries = 100_000): Recover {
  const cache = new Map<string, Address>();
  return (digest, signature) => {
    const key = toHex(concatBytes(digest, signature));
    const hit = cache.get(key);
    if (hit) return hit;
    const address = recover(digest, signature);
    if (cache.size >= maxEntries) cache.delete(cache.keys().next().value as string);
    cache.set(key, address);
    return address;
  };
}
