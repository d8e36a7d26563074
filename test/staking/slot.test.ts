/** Record slots are keccak256(RLP [tag, …parts]) exactly, whatever the parts. */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { rlpEncode } from '../../src/codec/rlp.js';
import { keccak256 } from '../../src/crypto/keccak.js';
import { slot } from '../../src/state/records.js';

const part = fc.oneof(
  fc.uint8Array({ maxLength: 80 }),
  fc.bigInt({ min: 0n, max: (1n << 256n) - 1n }),
  fc.constantFrom(0n, 1n, 127n, 128n, 255n, 256n, (1n << 53n) - 1n, 1n << 53n, 1n << 64n),
);

describe('staking record slots', () => {
  it('equal keccak256 of rlpEncode([tag, ...parts])', () => {
    fc.assert(
      fc.property(
        fc.constantFrom('lock', 'votesAt', 'bktOf', 'cands', 'x'.repeat(60)),
        fc.array(part, { maxLength: 4 }),
        (tag, parts) => {
          const expected = keccak256(rlpEncode([new TextEncoder().encode(tag), ...parts]));
          expect(slot(tag, ...parts)).toEqual(expected);
        },
      ),
      { numRuns: 500 },
    );
  });
});
