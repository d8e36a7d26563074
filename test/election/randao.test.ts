/**
 * RANDAO hash onions, reveals and the mix (PROTOCOL §6, src/election/randao.ts). Expected values
 * are computed here with @noble/hashes directly, and the golden vectors are pinned as hex (also
 * listed in docs/election.md).
 */
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { keccak_256 } from '@noble/hashes/sha3';
import {
  createOnion,
  genesisMix,
  MAX_ONION_LAYERS,
  mixReveal,
  onionFromState,
  RandaoError,
  verifyReveal,
  type OnionState,
} from '../../src/election/randao.js';

const hex = (a: Uint8Array) => '0x' + Buffer.from(a).toString('hex');
const H = (x: Uint8Array) => new Uint8Array(keccak_256(x));
const iter = (x: Uint8Array, n: number) => {
  let v = x;
  for (let i = 0; i < n; i++) v = H(v);
  return v;
};
const SECRET = new Uint8Array(32).fill(0x42);

describe('onion', () => {
  it('commits to H^N(secret); reveal k is H^(N−1−k)(secret) and hashes to reveal k−1 (first: c)', () => {
    const N = 1000;
    const onion = createOnion(SECRET, N);
    expect(onion.length).toBe(N);
    expect(hex(onion.commitment)).toBe(hex(iter(SECRET, N)));
    let previous = onion.commitment;
    for (let k = 0; k < N; k++) {
      const r = onion.reveal(k);
      expect(verifyReveal(r, previous)).toBe(true);
      previous = r;
    }
    expect(hex(previous)).toBe(hex(SECRET)); // the last reveal is the secret
    expect(hex(onion.reveal(17))).toBe(hex(iter(SECRET, N - 1 - 17)));
  });

  it('gives the right layer for any length and any access order (checkpoints, segment cache)', () => {
    fc.assert(
      fc.property(
        fc.uint8Array({ minLength: 32, maxLength: 32 }),
        fc.integer({ min: 1, max: 400 }),
        fc.array(fc.nat(), { minLength: 1, maxLength: 8 }),
        (secret, N, picks) => {
          const onion = createOnion(secret, N);
          const chain = [secret];
          for (let i = 1; i <= N; i++) chain.push(H(chain[i - 1]!));
          expect(hex(onion.commitment)).toBe(hex(chain[N]!));
          for (const p of picks) {
            const k = p % N;
            expect(hex(onion.reveal(k))).toBe(hex(chain[N - 1 - k]!));
          }
        },
      ),
      { numRuns: 60 },
    );
  });

  it('keeps O(√N) checkpoints: one every floor(√N) layers', () => {
    for (const [N, step, count] of [
      [1, 1, 1],
      [2, 1, 2],
      [10, 3, 4],
      [300, 17, 18],
      [10_001, 100, 101],
    ] as const) {
      const onion = createOnion(SECRET, N);
      expect(onion.step).toBe(step);
      expect(onion.exportState().checkpoints).toHaveLength(count);
    }
  });

  it('reveals in order for the node size (N = 65,536), first and last layers included', () => {
    const N = 65_536;
    const onion = createOnion(SECRET, N);
    expect(onion.step).toBe(256);
    expect(onion.exportState().checkpoints).toHaveLength(256);
    let previous = onion.commitment;
    for (let k = 0; k < 600; k++) {
      const r = onion.reveal(k);
      expect(verifyReveal(r, previous)).toBe(true);
      previous = r;
    }
    expect(hex(onion.reveal(N - 1))).toBe(hex(SECRET));
    expect(hex(H(onion.reveal(N - 1)))).toBe(hex(onion.reveal(N - 2)));
    expect(onion.remaining(600)).toBe(N - 600);
  });

  it('throws a clear RandaoError once exhausted, and on bad indices', () => {
    const onion = createOnion(SECRET, 10);
    expect(onion.remaining(9)).toBe(1);
    expect(onion.remaining(10)).toBe(0);
    expect(onion.remaining(11)).toBe(0);
    expect(hex(onion.reveal(9))).toBe(hex(SECRET));
    for (const k of [10, 11, 1_000_000]) {
      expect(() => onion.reveal(k)).toThrow(RandaoError);
      expect(() => onion.reveal(k)).toThrow(
        'the RANDAO onion is exhausted: all 10 reveals have been used',
      );
    }
    for (const k of [-1, 1.5, NaN, Infinity])
      expect(() => onion.reveal(k)).toThrow(/reveal index must be a non-negative integer/);
  });

  it('rejects bad secrets and lengths', () => {
    expect(() => createOnion(new Uint8Array(31), 10)).toThrow(/32 bytes/);
    expect(() => createOnion(new Uint8Array(33), 10)).toThrow(RandaoError);
    for (const n of [0, -1, 2.5, MAX_ONION_LAYERS + 1])
      expect(() => createOnion(SECRET, n)).toThrow(/onion length must be an integer from 1/);
  });

  it('is not affected by changes to the secret or to returned arrays', () => {
    const secret = SECRET.slice();
    const onion = createOnion(secret, 50);
    secret.fill(0);
    const r = onion.reveal(3);
    r.fill(0);
    onion.commitment.fill(0);
    expect(hex(onion.reveal(3))).toBe(hex(iter(SECRET, 46)));
    expect(hex(onion.commitment)).toBe(hex(iter(SECRET, 50)));
  });
});

describe('onion state (JSON)', () => {
  const N = 300;
  const onion = createOnion(SECRET, N);
  const state = (): OnionState => JSON.parse(JSON.stringify(onion.exportState())) as OnionState;

  it('round-trips through JSON and gives the same commitment and reveals', () => {
    const s = state();
    expect(s.version).toBe(1);
    expect(s.length).toBe(N);
    expect(s.step).toBe(17);
    expect(s.checkpoints).toHaveLength(18);
    expect(s.checkpoints[0]).toBe(hex(SECRET)); // checkpoint 0 is the secret
    expect(s.commitment).toBe(hex(iter(SECRET, N)));
    for (const verify of ['quick', 'full'] as const) {
      const back = onionFromState(s, { verify });
      expect(hex(back.commitment)).toBe(hex(onion.commitment));
      for (const k of [0, 1, 16, 17, 150, 298, 299])
        expect(hex(back.reveal(k))).toBe(hex(onion.reveal(k)));
      expect(() => back.reveal(N)).toThrow(/exhausted/);
    }
  });

  it('rejects malformed or inconsistent states', () => {
    const cases: [string, (s: OnionState) => unknown, RegExp][] = [
      ['version', (s) => ({ ...s, version: 2 }), /version/],
      ['length', (s) => ({ ...s, length: 0 }), /length/],
      ['step', (s) => ({ ...s, step: 0 }), /step/],
      [
        'checkpoint count',
        (s) => ({ ...s, checkpoints: s.checkpoints.slice(1) }),
        /17 checkpoints, expected 18/,
      ],
      ['bad hex', (s) => ({ ...s, commitment: '0xzz' }), /commitment is not valid hex/],
      [
        'short checkpoint',
        (s) => ({ ...s, checkpoints: ['0x00', ...s.checkpoints.slice(1)] }),
        /checkpoint 0 must be 32 bytes/,
      ],
      [
        'other commitment',
        (s) => ({ ...s, commitment: hex(new Uint8Array(32)) }),
        /do not hash to the commitment/,
      ],
      ['other length', (s) => ({ ...s, length: N - 1 }), /do not hash to the commitment/],
      ['not an object', () => 'onion', /must be an object/],
    ];
    for (const [, make, message] of cases) {
      const run = () => onionFromState(make(state()));
      expect(run).toThrow(RandaoError);
      expect(run).toThrow(message);
    }
  });

  it('full verification finds a corrupted middle checkpoint that the quick check cannot', () => {
    const s = state();
    s.checkpoints[3] = hex(new Uint8Array(32).fill(7));
    expect(() => onionFromState(s)).not.toThrow();
    expect(() => onionFromState(s, { verify: 'full' })).toThrow(
      'onion state: checkpoint 2 does not hash to checkpoint 3',
    );
  });
});

describe('reveal verification', () => {
  const onion = createOnion(SECRET, 10);

  it('accepts exactly the preimage of the previous reveal', () => {
    expect(verifyReveal(onion.reveal(0), onion.commitment)).toBe(true);
    expect(verifyReveal(onion.reveal(1), onion.reveal(0))).toBe(true);
  });

  it('refuses a skipped layer, a replayed reveal, a foreign onion and bad lengths', () => {
    expect(verifyReveal(onion.reveal(1), onion.commitment)).toBe(false); // skips a layer
    expect(verifyReveal(onion.reveal(0), onion.reveal(0))).toBe(false); // replay
    expect(verifyReveal(onion.commitment, onion.commitment)).toBe(false);
    const other = createOnion(new Uint8Array(32).fill(0x43), 10);
    expect(verifyReveal(other.reveal(0), onion.commitment)).toBe(false);
    expect(verifyReveal(new Uint8Array(31), onion.commitment)).toBe(false);
    expect(verifyReveal(onion.reveal(0), onion.commitment.slice(0, 31))).toBe(false);
  });

  it('flipping any bit of a valid reveal makes it invalid', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 255 }), (bit) => {
        const r = onion.reveal(4);
        r[bit >> 3]! ^= 1 << (bit & 7);
        expect(verifyReveal(r, onion.reveal(3))).toBe(false);
      }),
      { numRuns: 64 },
    );
  });
});

describe('mix (golden vectors)', () => {
  const GENESIS_DEVNET = '0x0a6b318965196d8bbab9fc9375196ca2a99190c95f9a3b113e4258856e9d2563';

  it('genesis mix = keccak256("etm-genesis" ‖ uint64be(chainId))', () => {
    const pre = new Uint8Array([
      ...new TextEncoder().encode('etm-genesis'),
      ...[0, 0, 0, 0, 0, 0x45, 0x54, 0x4d], // 4543565 = 0x45544d
    ]);
    expect(hex(H(pre))).toBe(GENESIS_DEVNET);
    expect(hex(genesisMix(4543565n))).toBe(GENESIS_DEVNET);
    expect(hex(genesisMix(4543565))).toBe(GENESIS_DEVNET);
    expect(hex(genesisMix(1n))).toBe(
      '0x9f3794d7fed58e46bc59ec10d7927b3864427317cd07fa48634dbb2bd7fa419b',
    );
    expect(() => genesisMix(-1n)).toThrow(RandaoError);
    expect(() => genesisMix(1n << 64n)).toThrow(/uint64/);
    expect(() => genesisMix(1.5)).toThrow(RandaoError);
  });

  it('mix := keccak256(mix xor reveal), over three reveals of the 0x42… onion with N = 16', () => {
    const onion = createOnion(SECRET, 16);
    expect(hex(onion.commitment)).toBe(
      '0x5a335f4e5a751e641f979c170e768586fa8d0681a925d6475e35a08aaf1dcbf8',
    );
    const reveals = [
      '0x93e1dcf2d4037b57abff4e26628389bdc39cccc1cbdd485a9365df328668202a',
      '0xa3c951cd827292a88582876f8513347426a36b66bd90a77c85e21d47ed0ab11f',
      '0x7096c97e837eeda9712bb5b3c166431a9bd4bdfb339bd7f00bbedc79ac1e7e01',
    ];
    const mixes = [
      '0x059d7f27b82ccd3b6df8807548c03b924428c4e7080be515f92bcc1d19e21aaa',
      '0xc1d1888ea3eaf991aad9d8aaff8184433c1429c70d9e081d1b4a27faf9da0aec',
      '0xbd39c668a6a135ab68a76bfdf7df891a117c2531bd0394597062068f40897f22',
    ];
    let mix = genesisMix(4543565n);
    for (let k = 0; k < 3; k++) {
      const r = onion.reveal(k);
      expect(hex(r)).toBe(reveals[k]);
      const expected = H(mix.map((b, i) => b ^ r[i]!));
      mix = mixReveal(mix, r);
      expect(hex(mix)).toBe(hex(expected));
      expect(hex(mix)).toBe(mixes[k]);
    }
    expect(() => mixReveal(mix, new Uint8Array(31))).toThrow(/32 bytes/);
    expect(() => mixReveal(new Uint8Array(33), mix)).toThrow(RandaoError);
  });
});
