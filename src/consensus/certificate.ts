/**
 * Commit certificates: the q commit seals that make a block final. A block imported from a peer
 * (sync) is accepted only with a certificate from the validator set of its height.
 */
import { toHex } from '../crypto/bytes.js';
import { commitSealDigest } from './messages.js';
import { quorumSize } from './quorum.js';
import type { Address, CommitSeal, Digest, Recover } from './types.js';

export class CertificateError extends Error {
  override name = 'CertificateError';
}

/** Throws CertificateError unless `seals` holds q valid seals of distinct validators. */
export function verifyCommitCertificate(
  digest: Digest,
  round: number,
  seals: readonly CommitSeal[],
  validators: readonly Address[],
  recover: Recover,
): void {
  const members = new Set<string>(validators.map(toHex));
  const sealDigest = commitSealDigest(digest, round);
  const signers = new Set<string>();
  for (const seal of seals) {
    let signer: string;
    try {
      signer = toHex(recover(sealDigest, seal.signature));
    } catch (e) {
      throw new CertificateError(`malformed commit seal: ${(e as Error).message}`);
    }
    if (!members.has(signer))
      throw new CertificateError(`commit seal from non-validator ${signer}`);
    if (signers.has(signer)) throw new CertificateError(`duplicate commit seal from ${signer}`);
    signers.add(signer);
  }
  const q = quorumSize(validators.length);
  if (signers.size < q) throw new CertificateError(`${signers.size} commit seals, quorum is ${q}`);
}
