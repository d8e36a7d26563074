import { describe, expect, it } from 'vitest';
import { toHex } from '../../src/crypto/bytes.js';
import { SECP256K1_N } from '../../src/crypto/secp256k1.js';
import { bigintToFixed } from '../../src/crypto/bytes.js';
import { CertificateError, verifyCommitCertificate } from '../../src/consensus/certificate.js';
import { commitSealDigest, decodeMessage } from '../../src/consensus/messages.js';
import { QbftEngine } from '../../src/consensus/engine.js';
import type { CommitSeal } from '../../src/consensus/types.js';
import {
  CHAIN_ID,
  digestOf,
  makeBlock,
  makeSigners,
  prepareMsg,
  recover,
  startInput,
  testCodec,
} from './helpers.js';

const signers = makeSigners(4);
const validators = signers.map((s) => s.address);
const outsider = makeSigners(1, 9)[0]!;
const D = digestOf(makeBlock(5, 'certified'));
const ROUND = 2;

function seal(i: number, digest = D, round = ROUND): CommitSeal {
  const s = i < 0 ? outsider : signers[i]!;
  return { validator: s.address, signature: s.sign(commitSealDigest(CHAIN_ID, digest, round)) };
}

function verify(seals: CommitSeal[], digest = D, round = ROUND, set = validators): void {
  verifyCommitCertificate(CHAIN_ID, digest, round, seals, set, recover);
}

function error(f: () => void): string {
  try {
    f();
  } catch (e) {
    expect(e).toBeInstanceOf(CertificateError);
    expect((e as Error).name).toBe('CertificateError');
    return (e as Error).message;
  }
  throw new Error('expected a CertificateError');
}

describe('verifyCommitCertificate', () => {
  it('accepts q = 3 of 4 valid seals, in any order, and all 4', () => {
    expect(() => verify([seal(0), seal(1), seal(2)])).not.toThrow();
    expect(() => verify([seal(3), seal(1), seal(0)])).not.toThrow();
    expect(() => verify([seal(0), seal(1), seal(2), seal(3)])).not.toThrow();
  });

  it('rejects fewer than q seals', () => {
    expect(error(() => verify([seal(0), seal(1)]))).toBe('2 commit seals, quorum is 3');
    expect(error(() => verify([]))).toBe('0 commit seals, quorum is 3');
  });

  it('rejects a duplicate signer even when q distinct seals are present', () => {
    const a = toHex(signers[1]!.address);
    expect(error(() => verify([seal(0), seal(1), seal(1)]))).toBe(
      `duplicate commit seal from ${a}`,
    );
    expect(error(() => verify([seal(0), seal(1), seal(2), seal(1)]))).toBe(
      `duplicate commit seal from ${a}`,
    );
  });

  it('rejects a seal from a non-validator', () => {
    expect(error(() => verify([seal(0), seal(1), seal(-1)]))).toBe(
      `commit seal from non-validator ${toHex(outsider.address)}`,
    );
  });

  it('rejects seals for another round or another digest (they recover to strangers)', () => {
    expect(error(() => verify([seal(0), seal(1), seal(2)], D, ROUND + 1))).toMatch(
      /^commit seal from non-validator 0x[0-9a-f]{40}$/,
    );
    const other = digestOf(makeBlock(5, 'another'));
    expect(error(() => verify([seal(0), seal(1), seal(2)], other))).toMatch(
      /^commit seal from non-validator 0x[0-9a-f]{40}$/,
    );
    // One seal of the wrong round among valid ones is enough to fail.
    expect(error(() => verify([seal(0), seal(1), seal(2, D, 0)]))).toMatch(/non-validator/);
  });

  it('rejects malformed signatures', () => {
    const good = seal(2);
    const short = { ...good, signature: good.signature.subarray(0, 64) };
    expect(error(() => verify([seal(0), seal(1), short]))).toBe(
      'malformed commit seal: signature must be 65 bytes',
    );
    const badV = { ...good, signature: Uint8Array.from(good.signature) };
    badV.signature[64] = 2;
    expect(error(() => verify([seal(0), seal(1), badV]))).toBe(
      'malformed commit seal: recovery id must be 0 or 1',
    );
    // The malleable twin (n - s) is refused: seals are low-s only.
    const highS = { ...good, signature: Uint8Array.from(good.signature) };
    let s = 0n;
    for (let i = 32; i < 64; i++) s = (s << 8n) | BigInt(good.signature[i]!);
    highS.signature.set(bigintToFixed(SECP256K1_N - s, 32), 32);
    highS.signature[64] = good.signature[64]! ^ 1;
    expect(error(() => verify([seal(0), seal(1), highS]))).toBe(
      'malformed commit seal: signature s is not low',
    );
    const zero = { ...good, signature: new Uint8Array(65) };
    expect(error(() => verify([seal(0), seal(1), zero]))).toMatch(/^malformed commit seal: /);
  });

  it('uses the quorum of the given set (7 validators need 5)', () => {
    const seven = makeSigners(7);
    const set7 = seven.map((s) => s.address);
    const seals = seven.map((s) => ({
      validator: s.address,
      signature: s.sign(commitSealDigest(CHAIN_ID, D, ROUND)),
    }));
    expect(error(() => verify(seals.slice(0, 4), D, ROUND, set7))).toBe(
      '4 commit seals, quorum is 5',
    );
    expect(() => verify(seals.slice(2), D, ROUND, set7)).not.toThrow();
  });
});

describe('chain id binding', () => {
  it('seals of another chain are no certificate here', () => {
    const other = (i: number): CommitSeal => ({
      validator: signers[i]!.address,
      signature: signers[i]!.sign(commitSealDigest(CHAIN_ID + 1n, D, ROUND)),
    });
    expect(error(() => verify([other(0), other(1), other(2)]))).toMatch(
      /commit seal from non-validator/,
    );
    // The same seals verify on the chain they were made for.
    expect(() =>
      verifyCommitCertificate(
        CHAIN_ID + 1n,
        D,
        ROUND,
        [other(0), other(1), other(2)],
        validators,
        recover,
      ),
    ).not.toThrow();
  });

  it('a consensus message signed for another chain does not come from its signer here', () => {
    const bytes = prepareMsg(signers[1]!, 1, 0, D);
    const limits = { maxMessageBytes: 1 << 20, maxJustification: 16 };
    expect(
      toHex(decodeMessage(bytes, recover, { ...limits, chainId: CHAIN_ID }).signed.author),
    ).toBe(toHex(validators[1]!));
    const elsewhere = decodeMessage(bytes, recover, { ...limits, chainId: CHAIN_ID + 1n });
    expect(toHex(elsewhere.signed.author)).not.toBe(toHex(validators[1]!));
    // An engine of the other chain sees a stranger's PREPARE.
    const foreign = new QbftEngine({
      signer: signers[0]!,
      recover,
      codec: testCodec,
      chainId: CHAIN_ID + 1n,
    });
    foreign.handle(startInput(1, validators));
    expect(foreign.handle({ kind: 'message', bytes })).toEqual([
      expect.objectContaining({ kind: 'rejected', reason: expect.stringMatching(/non-validator/) }),
    ]);
  });
});
