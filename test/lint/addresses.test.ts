/**
 * Every address the project documents is either all lower case or in its EIP-55 checksum form:
 * viem and ethers refuse a mixed- or upper-case address whose case is not the checksum (viem
 * rejected the staking contract as `0xE7A0…0001`; its checksum form is `0xE7a0…0001`). Covers
 * docs/, README.md and the sources (whose addresses reach the CLI's output and the ABI docs).
 */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { getAddress, isAddress } from 'viem';
import { toChecksumAddress } from '../../src/crypto/address.js';
import { SYSTEM_ACCOUNTS } from '../../src/primitives/system-addresses.js';

const ROOT = join(import.meta.dirname, '..', '..');

function walk(dir: string): string[] {
  return readdirSync(dir).flatMap((f) => {
    const p = join(dir, f);
    return statSync(p).isDirectory() ? walk(p) : [p];
  });
}

const FILES = [
  join(ROOT, 'README.md'),
  ...walk(join(ROOT, 'docs')),
  ...walk(join(ROOT, 'src')),
  ...walk(join(ROOT, 'abi')),
];

/** Every 40-hex-digit 0x literal (not part of a longer hex string) with its file. */
function literals(): { file: string; address: string }[] {
  const out: { file: string; address: string }[] = [];
  for (const file of FILES) {
    const text = readFileSync(file, 'utf8');
    for (const m of text.matchAll(/0x[0-9a-fA-F]{40}(?![0-9a-zA-Z])/g))
      out.push({ file: file.slice(ROOT.length + 1), address: m[0] });
  }
  return out;
}

describe('documented addresses', () => {
  it('every address literal with upper case is in EIP-55 checksum form', () => {
    const all = literals();
    expect(all.length).toBeGreaterThan(20);
    const bad = all.filter(
      ({ address }) =>
        address !== address.toLowerCase() && getAddress(address.toLowerCase()) !== address,
    );
    expect(bad).toEqual([]);
    // viem takes every one of them as it is written.
    for (const { address } of all) expect(isAddress(address), address).toBe(true);
  });

  it('the system addresses, also where shortened (0xE7a0…0001), have their checksum case', () => {
    const forms = SYSTEM_ACCOUNTS.map(toChecksumAddress);
    for (const file of FILES) {
      const text = readFileSync(file, 'utf8');
      for (const m of text.matchAll(/0x([0-9a-fA-F]{4,})…([0-9a-fA-F]{2,})/g)) {
        const [whole, head, tail] = m;
        const match = forms.find(
          (f) =>
            f.slice(2, 2 + head!.length).toLowerCase() === head!.toLowerCase() &&
            f.slice(-tail!.length).toLowerCase() === tail!.toLowerCase(),
        );
        if (!match) continue;
        expect(`0x${head}`, `${whole} in ${file}`).toBe(match.slice(0, 2 + head!.length));
        expect(tail, `${whole} in ${file}`).toBe(match.slice(-tail!.length));
      }
    }
  });
});
