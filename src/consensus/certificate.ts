/**
 * Commit certificates: the q commit seals that make a block final. A block imported from a peer
 * (sync) is accepted only with a certificate from the validator set of its height, and every
 * block records its parent's certificate (round, bitmap and seals) so that all nodes agree on
 * which validators sealed the parent, whichever q seals each of them gathered itself.
 */
import { EtmError } from '../primitives/errors.js';
import type { Address, Hash } from '../primitives/types.js';
import { toHex } from '../crypto/bytes.js';
import type { Signature65 } from '../crypto/secp256k1.js';
import { bitmapIndices, sealBitmap } from './extra-data.js';
import { commitSealDigest } from './messages.js';
import { indexOfValidator, quorumSize } from './quorum.js';
import type { CommitSeal, Recover } from './types.js';

export class CertificateError extends EtmError<'certificate'> {
  override name = 'CertificateError';

  constructor(message: string, options?: ErrorOptions) {
    super('certificate', message, options);
  }
}

function signerOf(recover: Recover, sealDigest: Uint8Array, signature: Signature65): string {
  try {
    return toHex(recover(sealDigest, signature));
  } catch (e) {
    throw new CertificateError(`malformed commit seal: ${(e as Error).message}`);
  }
}

/** Throws CertificateError unless `seals` holds q valid seals of distinct validators. */
export function verifyCommitCertificate(
  chainId: bigint,
  digest: Hash,
  round: number,
  seals: readonly CommitSeal[],
  validators: readonly Address[],
  recover: Recover,
): void {
  const members = new Set<string>(validators.map(toHex));
  const sealDigest = commitSealDigest(chainId, digest, round);
  const signers = new Set<string>();
  for (const seal of seals) {
    const signer = signerOf(recover, sealDigest, seal.signature);
    if (!members.has(signer))
      throw new CertificateError(`commit seal from non-validator ${signer}`);
    if (signers.has(signer)) throw new CertificateError(`duplicate commit seal from ${signer}`);
    signers.add(signer);
  }
  const q = quorumSize(validators.length);
  if (signers.size < q) throw new CertificateError(`${signers.size} commit seals, quorum is ${q}`);
}

/** A parent certificate as a block records it. */
export interface ParentCertificate {
  round: number;
  bitmap: Uint8Array;
  /** One seal per set bit, in validator order. */
  seals: Signature65[];
}

/**
 * The certificate a block records for its parent, from the parent's own (verified) seals: the
 * bitmap of their signers and the seals in validator order.
 */
export function parentCertificateOf(
  chainId: bigint,
  parentDigest: Hash,
  round: number,
  seals: readonly Signature65[],
  validators: readonly Address[],
  recover: Recover,
): ParentCertificate {
  const sealDigest = commitSealDigest(chainId, parentDigest, round);
  const byIndex = new Map<number, Signature65>();
  for (const seal of seals) {
    let i: number;
    try {
      i = indexOfValidator(validators, recover(sealDigest, seal));
    } catch {
      continue; // a stored certificate was verified; a malformed seal is simply not recorded
    }
    if (i >= 0 && !byIndex.has(i)) byIndex.set(i, seal);
  }
  const indices = [...byIndex.keys()].sort((a, b) => a - b);
  return {
    round,
    bitmap: sealBitmap(validators.length, indices),
    seals: indices.map((i) => byIndex.get(i)!),
  };
}

/**
 * Throws CertificateError unless the bitmap and seals are exactly a commit certificate of the
 * parent: one bit per parent validator and none beyond, one valid seal for `round` per set bit
 * from that validator, and at least a quorum of them.
 */
export function verifyParentCertificate(
  chainId: bigint,
  parentDigest: Hash,
  parentValidators: readonly Address[],
  cert: ParentCertificate,
  recover: Recover,
): void {
  const n = parentValidators.length;
  if (cert.bitmap.length !== (n + 7) >> 3)
    throw new CertificateError('parent seal bitmap has the wrong length');
  for (let i = n; i < cert.bitmap.length * 8; i++) {
    if ((cert.bitmap[i >> 3]! >> (i & 7)) & 1)
      throw new CertificateError('parent seal bitmap marks a non-existent validator');
  }
  const indices = bitmapIndices(cert.bitmap, n);
  if (cert.seals.length !== indices.length)
    throw new CertificateError(
      `parent seal bitmap marks ${indices.length} validators but ${cert.seals.length} parent seals are recorded`,
    );
  const q = quorumSize(n);
  if (indices.length < q)
    throw new CertificateError(
      `parent seal bitmap records ${indices.length} seals, fewer than a quorum (${q})`,
    );
  const sealDigest = commitSealDigest(chainId, parentDigest, cert.round);
  for (let j = 0; j < indices.length; j++) {
    const signer = signerOf(recover, sealDigest, cert.seals[j]!);
    if (signer !== toHex(parentValidators[indices[j]!]!))
      throw new CertificateError(
        `parent seal ${j} is not validator ${indices[j]}'s seal of the parent in round ${cert.round}`,
      );
  }
}
