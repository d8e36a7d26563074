/**
 * Equivocation evidence (docs/slashing.md): two consensus payloads, each RLP [payload,
 * signature] as the QBFT engine reports them (docs/consensus.md), signed by one validator for
 * the same height, round and message type with different digests. Checking the pair is pure;
 * whether the signer was a validator of that height and the offence is still punishable is the
 * contract's rule (contract.ts).
 */
import { DecodeError, rlpDecode } from '../codec/rlp.js';
import { equalBytes } from '../crypto/bytes.js';
import { decodeSignedPayload, type SignedPayload } from '../consensus/messages.js';
import type { Recover } from '../consensus/types.js';
import { Revert } from '../primitives/errors.js';
import type { Offence } from './store.js';

/** Largest signed payload accepted as evidence (a COMMIT is about 200 bytes). */
const MAX_EVIDENCE_PAYLOAD_BYTES = 512;

function decodeOne(
  bytes: Uint8Array,
  what: string,
  recover: Recover,
  chainId: bigint,
): SignedPayload {
  if (bytes.length > MAX_EVIDENCE_PAYLOAD_BYTES)
    throw new Revert(`evidence: ${what} message exceeds ${MAX_EVIDENCE_PAYLOAD_BYTES} bytes`);
  try {
    return decodeSignedPayload(rlpDecode(bytes), recover, chainId);
  } catch (e) {
    if (e instanceof DecodeError) throw new Revert(`evidence: ${what} message: ${e.message}`);
    throw e;
  }
}

/**
 * The offence two signed payloads prove, or a Revert saying why they prove none: each must
 * decode and carry a signature of this chain, both by one signer, for one (height, round, type),
 * with different digests.
 */
export function offenceOf(
  first: Uint8Array,
  second: Uint8Array,
  recover: Recover,
  chainId: bigint,
): Offence {
  const a = decodeOne(first, 'first', recover, chainId);
  const b = decodeOne(second, 'second', recover, chainId);
  if (!equalBytes(a.author, b.author))
    throw new Revert('evidence: the two messages have different signers');
  if (a.height !== b.height || a.round !== b.round || a.type !== b.type)
    throw new Revert('evidence: the two messages are not for the same height, round and type');
  if (equalBytes(a.digest, b.digest))
    throw new Revert('evidence: the two messages sign the same value');
  if (a.height === 0) throw new Revert('evidence: height 0 has no consensus');
  return {
    validator: a.author,
    height: BigInt(a.height),
    round: BigInt(a.round),
    type: BigInt(a.type),
  };
}
