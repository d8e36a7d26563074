/**
 * The epoch election of PROTOCOL §6 (src/election/election.ts): worked examples with every
 * intermediate number written out, pinned golden vectors (also listed in docs/election.md),
 * agreement with an independent reimplementation (./reference.ts), properties, and chi-square
 * tests of the lottery and proposer-order frequencies over 10,000 seeds.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { keccak_256 } from '@noble/hashes/sha3';
import {
  elect,
  ElectionError,
  lotteryWeight,
  type ElectionCandidate,
  type ElectionResult,
} from '../../src/election/election.js';
import { refElect, refHash, type RefCandidate } from './reference.js';

const E36 = 10n ** 36n; // R = 1
const E18 = 10n ** 18n;
const hex = (a: Uint8Array) => Buffer.from(a).toString('hex');
/** Address 0x00…00nn. */
const addr = (n: number) => {
  const a = new Uint8Array(20);
  a[19] = n;
  return a;
};
const A = (n: number) => hex(addr(n));
const ZERO_SEED = new Uint8Array(32);
const keccakUtf8 = (s: string) => new Uint8Array(keccak_256(new TextEncoder().encode(s)));

/** R = 10, 20, 30, 40, 50 at addresses …01 … …05, given out of order. */
const FIVE: ElectionCandidate[] = [
  { address: addr(5), weight: 50n * E36 },
  { address: addr(1), weight: 10n * E36 },
  { address: addr(4), weight: 40n * E36 },
  { address: addr(2), weight: 20n * E36 },
  { address: addr(3), weight: 30n * E36 },
];

const toRef = (cs: ElectionCandidate[]): RefCandidate[] =>
  cs.map((c) => ({ a: hex(c.address), R: c.weight }));

/** The result with hex addresses, in the shape of the reference. */
function plain(r: ElectionResult) {
  return {
    ranked: r.ranked.map(hex),
    drawn: r.drawn.map((d) => ({ a: hex(d.address), w: d.w, W: d.W, z: d.z })),
    filled: r.filled.map(hex),
    order: r.validators.map(hex),
  };
}

describe('election: worked examples, every number written out', () => {
  it('example 1 — 2 ranked + 1 lottery seat, seed 0x00…00', () => {
    // Ranked: R = 50 (…05) and 40 (…04).
    // Draw 0 among …01, …02, …03 with w = 10, 20, 30 ·10^18: W = 60·10^18, running totals
    // 10, 30, 60 ·10^18.
    const h0 = 0xbb585660f25d5ef51a27305469b1e67c0a202ca874a6b4dcc556d1d28825e489n;
    expect(refHash('draw', ZERO_SEED, 0)).toBe(h0);
    expect(h0 % (60n * E18)).toBe(37_530_533_182_665_254_025n); // z: 30·10^18 < z < 60·10^18 → …03
    // Order: [03, 04, 05]; j = 2: h mod 3 = 0 → [05, 04, 03]; j = 1: h mod 2 = 1 (odd) → unchanged.
    const o2 = 0xb9b70143a356c4800954e6b5ef52fc9187e0ad2df6d48c701d2d4cf6a4486389n;
    const o1 = 0xd634c280f009267a2773d4ff1309fddc055ccc5d31e7ff6ff291e3cda3c7460fn;
    expect(refHash('order', ZERO_SEED, 2)).toBe(o2);
    expect(refHash('order', ZERO_SEED, 1)).toBe(o1);
    expect([o2 % 3n, o1 % 2n]).toEqual([0n, 1n]);

    const r = elect({ candidates: FIVE, rankedSeats: 2, lotterySeats: 1, seed: ZERO_SEED });
    expect(plain(r)).toEqual({
      ranked: [A(5), A(4)],
      drawn: [{ a: A(3), w: 30n * E18, W: 60n * E18, z: 37_530_533_182_665_254_025n }],
      filled: [],
      order: [A(5), A(4), A(3)],
    });
    expect(hex(r.seed)).toBe(hex(ZERO_SEED));
  });

  it('example 2 — pure lottery, 0 ranked + 3 lottery seats, seed 0x00…00', () => {
    // Draw 0: W = 150·10^18, z = h0 mod W = 7.53…·10^18 < 10·10^18 → …01.
    // Draw 1: pool …02…05, W = 140·10^18, z = 1.50…·10^18 < 20·10^18 → …02.
    // Draw 2: pool …03…05, W = 120·10^18, z = 33.59…·10^18; totals 30, 70 → …04.
    // Order: [01, 02, 04]; j = 2 → 0: [04, 02, 01]; j = 1 → 1: unchanged.
    const h1 = 0x3e910354230b44ba41953ea91c2aa965e1d02a9f5cd4eba3232a360a83d78518n;
    const h2 = 0x7b1c5dbe30e8c7ed73e492994340b605f5f026d2e1f0a48aec42ba9bae96e577n;
    expect(refHash('draw', ZERO_SEED, 1)).toBe(h1);
    expect(refHash('draw', ZERO_SEED, 2)).toBe(h2);
    const r = elect({ candidates: FIVE, rankedSeats: 0, lotterySeats: 3, seed: ZERO_SEED });
    expect(plain(r)).toEqual({
      ranked: [],
      drawn: [
        { a: A(1), w: 10n * E18, W: 150n * E18, z: 7_530_533_182_665_254_025n },
        { a: A(2), w: 20n * E18, W: 140n * E18, z: 1_501_144_380_683_552_024n },
        { a: A(4), w: 40n * E18, W: 120n * E18, z: 33_594_477_505_613_849_975n },
      ],
      filled: [],
      order: [A(4), A(2), A(1)],
    });
    expect(h1 % (140n * E18)).toBe(1_501_144_380_683_552_024n);
    expect(h2 % (120n * E18)).toBe(33_594_477_505_613_849_975n);
  });

  it('example 3 — floor(R·10^18), zero weights and filling, 1 ranked + 3 lottery seats', () => {
    // …01: R_raw = 3·10^18 + 999 → w = 3;   …02: R_raw = 10^18 − 1 → R > 0 but w = 0;
    // …03: R = 0;                            …04: R = 1 → w = 10^18 (ranked).
    const cands: ElectionCandidate[] = [
      { address: addr(3), weight: 0n },
      { address: addr(1), weight: 3n * E18 + 999n },
      { address: addr(4), weight: E36 },
      { address: addr(2), weight: E18 - 1n },
    ];
    // Draw 0: only …01 has w > 0: W = 3, z = h0 mod 3 = 0 → …01. Draw 1: W = 0, the draws stop.
    // Filling: 2 seats left; …02 (R > 0) before …03 (R = 0). All four are elected.
    // Order: [01, 02, 03, 04]; j = 3: h mod 4 = 3 (…8b) → unchanged; j = 2 → 0: [03, 02, 01, 04];
    // j = 1 → 1: unchanged.
    expect(refHash('order', ZERO_SEED, 3) % 4n).toBe(3n);
    const r = elect({ candidates: cands, rankedSeats: 1, lotterySeats: 3, seed: ZERO_SEED });
    expect(plain(r)).toEqual({
      ranked: [A(4)],
      drawn: [{ a: A(1), w: 3n, W: 3n, z: 0n }],
      filled: [A(2), A(3)],
      order: [A(3), A(2), A(1), A(4)],
    });
    expect(lotteryWeight(3n * E18 + 999n)).toBe(3n);
    expect(lotteryWeight(E18 - 1n)).toBe(0n);
  });

  it('example 4 — "exceeds" is strict: w = 1 each, z = 1 elects the second', () => {
    // Four candidates with R_raw = 10^18 (w = 1): W = 4, z = h0 mod 4 = 1 (h0 ends in …89 = 0b…1001).
    // Running totals 1, 2, 3, 4: the first total that exceeds 1 is …02's.
    const ones = [1, 2, 3, 4].map((n) => ({ address: addr(n), weight: E18 }));
    const r = elect({ candidates: ones, rankedSeats: 0, lotterySeats: 1, seed: ZERO_SEED });
    expect(plain(r).drawn).toEqual([{ a: A(2), w: 1n, W: 4n, z: 1n }]);
  });

  it('example 5 — no candidates, no seats, one candidate', () => {
    expect(
      plain(elect({ candidates: [], rankedSeats: 3, lotterySeats: 1, seed: ZERO_SEED })),
    ).toEqual({ ranked: [], drawn: [], filled: [], order: [] });
    expect(
      plain(elect({ candidates: FIVE, rankedSeats: 0, lotterySeats: 0, seed: ZERO_SEED })).order,
    ).toEqual([]);
    const one = elect({
      candidates: [{ address: addr(9), weight: 0n }],
      rankedSeats: 0,
      lotterySeats: 1,
      seed: ZERO_SEED,
    });
    expect(plain(one)).toEqual({ ranked: [], drawn: [], filled: [A(9)], order: [A(9)] });
  });
});

describe('election: golden vectors (docs/election.md)', () => {
  it('G1: seed keccak256("seed-7"), FIVE, 2 ranked + 2 lottery → …03, …05, …02, …04', () => {
    const seed = keccakUtf8('seed-7');
    expect(hex(seed)).toBe('d20091266338a5c066db08318e26ea5d3b7a941017dd95461a250144ba51339c');
    const r = elect({ candidates: FIVE, rankedSeats: 2, lotterySeats: 2, seed });
    expect(plain(r)).toEqual({
      ranked: [A(5), A(4)],
      drawn: [
        { a: A(3), w: 30n * E18, W: 60n * E18, z: 39_756_983_384_982_780_637n },
        { a: A(2), w: 20n * E18, W: 30n * E18, z: 28_608_781_510_563_366_275n },
      ],
      filled: [],
      order: [A(3), A(5), A(2), A(4)],
    });
  });

  it('G2: 30 candidates, 15 ranked + 6 lottery, seed = devnet genesis mix', () => {
    // Candidate i = 1…30: address = last 20 bytes of keccak256("etm-candidate-" + i),
    // R = 1 + (7·i mod 13). Seed: keccak256("etm-genesis" ‖ uint64be(4543565)).
    const cands: ElectionCandidate[] = [];
    for (let i = 1; i <= 30; i++)
      cands.push({
        address: keccakUtf8(`etm-candidate-${i}`).slice(12),
        weight: BigInt(1 + ((7 * i) % 13)) * E36,
      });
    const seed = Buffer.from(
      '0a6b318965196d8bbab9fc9375196ca2a99190c95f9a3b113e4258856e9d2563',
      'hex',
    );
    const r = elect({ candidates: cands, rankedSeats: 15, lotterySeats: 6, seed });
    // The 15th ranked seat is a tie at R = 7 between dc321b… and e13b1b…: the lower address wins.
    expect(r.ranked.map(hex)).toEqual([
      '4fbf4b0e21bbd91e5504dbb839a67f847da6c2c4',
      'cdd84cc3637168eb5c3f9a70b572c2ba0875db15',
      'b28d924d1c475970a5d12dfc5ac1873a7a0a2ce2',
      'b5bf99d8c8f3e6037a1e5aa865f85ddc836ad1d9',
      'a76dec5915e4d177fd5621b3427ed7169e88554f',
      'e7dafb370e34a5fa9484e9af56e70441942e18dc',
      '3da8675e96472f5ba80a3819aad8cc41386fde7d',
      '43c34e229dff3eed5313d2575f9f103b8b334873',
      '23ced56d065b06e110eeba2bac7fc0fd2ba6a221',
      '67534e56c6ced65ed71562f2e2f1df16b268699a',
      '75722af197664e1e2eb41adc9ba8a063918cf243',
      '97b7866164e4ee82e89d28ff2565e4b38cf80dd5',
      'b1bdd2091a5c9393e32b3a9c43cbec40a6443c02',
      'd83c777899132ee0ec03e238da9c8cc56c11717d',
      'dc321b2ccbb9eefb5634b1662131d42d7d2ca7c5',
    ]);
    expect(r.drawn.map((d) => [hex(d.address), d.w / E18, d.W / E18])).toEqual([
      ['940d54d7ad54d866622a26d980ff4e56a903ad0f', 1n, 54n],
      ['400d5dbc54fb3a0be307b833fb1adf9387dea0d4', 6n, 53n],
      ['3f7f0a8bfacb4f0618a69107f377af2396b7f54c', 3n, 47n],
      ['587507d25e7fa5bea92c1bb2c3530d27074fab59', 6n, 44n],
      ['c7fd71ecf58a591cabdfaf3f654d8b663d0b7df5', 3n, 38n],
      ['19f737824b68d2c2b65065e0b6f46ff407454781', 3n, 35n],
    ]);
    expect(r.validators.map(hex)).toEqual([
      'e7dafb370e34a5fa9484e9af56e70441942e18dc',
      '67534e56c6ced65ed71562f2e2f1df16b268699a',
      '4fbf4b0e21bbd91e5504dbb839a67f847da6c2c4',
      'c7fd71ecf58a591cabdfaf3f654d8b663d0b7df5',
      '3f7f0a8bfacb4f0618a69107f377af2396b7f54c',
      '75722af197664e1e2eb41adc9ba8a063918cf243',
      'dc321b2ccbb9eefb5634b1662131d42d7d2ca7c5',
      '97b7866164e4ee82e89d28ff2565e4b38cf80dd5',
      'b5bf99d8c8f3e6037a1e5aa865f85ddc836ad1d9',
      'd83c777899132ee0ec03e238da9c8cc56c11717d',
      'cdd84cc3637168eb5c3f9a70b572c2ba0875db15',
      '3da8675e96472f5ba80a3819aad8cc41386fde7d',
      '43c34e229dff3eed5313d2575f9f103b8b334873',
      '400d5dbc54fb3a0be307b833fb1adf9387dea0d4',
      'b28d924d1c475970a5d12dfc5ac1873a7a0a2ce2',
      'b1bdd2091a5c9393e32b3a9c43cbec40a6443c02',
      'a76dec5915e4d177fd5621b3427ed7169e88554f',
      '23ced56d065b06e110eeba2bac7fc0fd2ba6a221',
      '587507d25e7fa5bea92c1bb2c3530d27074fab59',
      '940d54d7ad54d866622a26d980ff4e56a903ad0f',
      '19f737824b68d2c2b65065e0b6f46ff407454781',
    ]);
    expect(plain(r)).toEqual(refElect(toRef(cands), 15, 6, seed));
  });
});

describe('election: input validation', () => {
  const base = { candidates: FIVE, rankedSeats: 1, lotterySeats: 1, seed: ZERO_SEED };
  const bad: [string, () => unknown, RegExp][] = [
    ['short seed', () => elect({ ...base, seed: new Uint8Array(31) }), /seed/],
    ['long seed', () => elect({ ...base, seed: new Uint8Array(33) }), /seed/],
    ['negative seats', () => elect({ ...base, rankedSeats: -1 }), /rankedSeats/],
    ['fractional seats', () => elect({ ...base, lotterySeats: 1.5 }), /lotterySeats/],
    ['NaN seats', () => elect({ ...base, lotterySeats: NaN }), /lotterySeats/],
    [
      'duplicate address (distinct arrays)',
      () =>
        elect({
          ...base,
          candidates: [...FIVE, { address: addr(3), weight: 1n }],
        }),
      /0x0000000000000000000000000000000000000003 appears twice/,
    ],
    [
      'negative weight',
      () => elect({ ...base, candidates: [{ address: addr(1), weight: -1n }] }),
      /negative weight/,
    ],
    [
      '19-byte address',
      () => elect({ ...base, candidates: [{ address: new Uint8Array(19), weight: 1n }] }),
      /20 bytes/,
    ],
    [
      '21-byte address',
      () => elect({ ...base, candidates: [{ address: new Uint8Array(21), weight: 1n }] }),
      /20 bytes/,
    ],
    [
      'number weight',
      () =>
        elect({
          ...base,
          candidates: [{ address: addr(1), weight: 5 as unknown as bigint }],
        }),
      /bigint/,
    ],
    [
      'candidates not an array',
      () => elect({ ...base, candidates: null as unknown as ElectionCandidate[] }),
      /array/,
    ],
  ];
  for (const [name, run, message] of bad)
    it(`rejects ${name} with an ElectionError`, () => {
      expect(run).toThrow(ElectionError);
      expect(run).toThrow(message);
    });

  it('does not modify its input', () => {
    const cands = FIVE.map((c) => ({ address: c.address.slice(), weight: c.weight }));
    const before = cands.map((c) => [hex(c.address), c.weight]);
    const seed = ZERO_SEED.slice();
    const r = elect({ candidates: cands, rankedSeats: 2, lotterySeats: 2, seed });
    r.validators[0]![0] = 0xff; // results are copies, too
    expect(cands.map((c) => [hex(c.address), c.weight])).toEqual(before);
    expect(hex(seed)).toBe(hex(ZERO_SEED));
  });
});

// ---------------------------------------------------------------------------------------------
// Properties

/** Weights that exercise ties, zeros, R > 0 with w = 0, and huge values. */
const weightArb = fc.oneof(
  fc.constant(0n),
  fc.bigInt({ min: 1n, max: E18 - 1n }), // R > 0 but w = 0
  fc.bigInt({ min: 1n, max: 5n }).map((k) => k * E36), // frequent ties
  fc.bigInt({ min: 1n, max: 4n }).map((k) => k * E18), // tiny W: z often on a boundary
  fc.bigInt({ min: 0n, max: 10n ** 45n }),
);
const addressArb = fc.oneof(
  fc.integer({ min: 0, max: 255 }).map(addr),
  fc.uint8Array({ minLength: 20, maxLength: 20 }),
);
const candidatesArb = fc
  .uniqueArray(addressArb, { maxLength: 40, selector: (a) => hex(a) })
  .chain((as) =>
    fc.tuple(fc.constant(as), fc.array(weightArb, { minLength: as.length, maxLength: as.length })),
  )
  .map(([as, ws]) => as.map((address, i) => ({ address, weight: ws[i]! })));
const seedArb = fc.uint8Array({ minLength: 32, maxLength: 32 });
const seatsArb = fc.integer({ min: 0, max: 12 });

/** A shuffled copy, driven by fast-check (sort by random keys, ties by position). */
const shuffledArb = <T>(xs: T[]) =>
  fc.array(fc.integer(), { minLength: xs.length, maxLength: xs.length }).map((keys) =>
    xs
      .map((x, i) => ({ x, k: keys[i]!, i }))
      .sort((a, b) => a.k - b.k || a.i - b.i)
      .map((e) => e.x),
  );

const caseArb = fc
  .tuple(candidatesArb, seatsArb, seatsArb, seedArb)
  .chain(([cands, ranked, lottery, seed]) =>
    fc.tuple(fc.constant({ cands, ranked, lottery, seed }), shuffledArb(cands)),
  );

describe('election: properties', () => {
  it('agrees exactly with the independent reference (ranked, draws with w/W/z, filling, order)', () => {
    fc.assert(
      fc.property(caseArb, ([{ cands, ranked, lottery, seed }]) => {
        const r = elect({ candidates: cands, rankedSeats: ranked, lotterySeats: lottery, seed });
        expect(plain(r)).toEqual(refElect(toRef(cands), ranked, lottery, seed));
      }),
      { numRuns: 300 },
    );
  });

  it('is deterministic for a seed and does not depend on the input order', () => {
    fc.assert(
      fc.property(caseArb, ([{ cands, ranked, lottery, seed }, shuffled]) => {
        const input = { rankedSeats: ranked, lotterySeats: lottery, seed };
        const a = plain(elect({ ...input, candidates: cands }));
        expect(plain(elect({ ...input, candidates: cands }))).toEqual(a);
        expect(plain(elect({ ...input, candidates: shuffled }))).toEqual(a);
      }),
      { numRuns: 200 },
    );
  });

  it('never elects anyone twice; elects min(K, candidates); the order is a permutation of the elected', () => {
    fc.assert(
      fc.property(caseArb, ([{ cands, ranked, lottery, seed }]) => {
        const r = elect({ candidates: cands, rankedSeats: ranked, lotterySeats: lottery, seed });
        const order = r.validators.map(hex);
        expect(new Set(order).size).toBe(order.length);
        expect(order.length).toBe(Math.min(cands.length, ranked + lottery));
        const elected = [...r.ranked, ...r.drawn.map((d) => d.address), ...r.filled].map(hex);
        expect(new Set(elected).size).toBe(elected.length);
        expect([...order].sort()).toEqual([...elected].sort());
        const known = new Set(cands.map((c) => hex(c.address)));
        for (const a of order) expect(known.has(a)).toBe(true);
      }),
      { numRuns: 300 },
    );
  });

  it('ranked seats are the top weights (ties by lower address), all with R > 0', () => {
    fc.assert(
      fc.property(caseArb, ([{ cands, ranked, lottery, seed }]) => {
        const r = elect({ candidates: cands, rankedSeats: ranked, lotterySeats: lottery, seed });
        const weightOf = new Map(cands.map((c) => [hex(c.address), c.weight]));
        const positive = cands.filter((c) => c.weight > 0n).length;
        expect(r.ranked.length).toBe(Math.min(ranked, positive));
        const inRanked = new Set(r.ranked.map(hex));
        const rw = r.ranked.map((a) => weightOf.get(hex(a))!);
        for (let i = 0; i < rw.length; i++) {
          expect(rw[i]! > 0n).toBe(true);
          if (i > 0) expect(rw[i - 1]! >= rw[i]!).toBe(true); // heaviest first
        }
        for (const c of cands) {
          if (inRanked.has(hex(c.address))) continue;
          for (const s of r.ranked) {
            const ws = weightOf.get(hex(s))!;
            // Outside the ranked seats: lighter, or as heavy with a higher address.
            expect(c.weight < ws || (c.weight === ws && hex(c.address) > hex(s))).toBe(true);
          }
        }
      }),
      { numRuns: 300 },
    );
  });

  it('a zero lottery weight is never drawn; each draw reports w and W = Σw of those left', () => {
    fc.assert(
      fc.property(caseArb, ([{ cands, ranked, lottery, seed }]) => {
        const r = elect({ candidates: cands, rankedSeats: ranked, lotterySeats: lottery, seed });
        const taken = new Set(r.ranked.map(hex));
        for (const d of r.drawn) {
          const c = cands.find((x) => hex(x.address) === hex(d.address))!;
          expect(d.w).toBe(c.weight / E18);
          expect(d.w > 0n).toBe(true);
          let W = 0n;
          for (const x of cands) if (!taken.has(hex(x.address))) W += x.weight / E18;
          expect(d.W).toBe(W);
          expect(d.z >= 0n && d.z < d.W).toBe(true);
          taken.add(hex(d.address));
        }
        // The lottery stops only when its seats are done or no weight is left.
        if (r.drawn.length < lottery)
          for (const c of cands) if (!taken.has(hex(c.address))) expect(c.weight / E18).toBe(0n);
        // Filling seats only candidates with w = 0, and only when draws ran dry.
        for (const f of r.filled) {
          const c = cands.find((x) => hex(x.address) === hex(f))!;
          expect(c.weight / E18).toBe(0n);
        }
      }),
      { numRuns: 300 },
    );
  });

  it('fewer candidates than K: all are elected', () => {
    fc.assert(
      fc.property(caseArb, ([{ cands, ranked, lottery, seed }]) => {
        fc.pre(cands.length <= ranked + lottery);
        const r = elect({ candidates: cands, rankedSeats: ranked, lotterySeats: lottery, seed });
        expect(r.validators.map(hex).sort()).toEqual(cands.map((c) => hex(c.address)).sort());
      }),
      { numRuns: 200 },
    );
  });

  it('pure lottery (rankedSeats = 0) draws min(lotterySeats, candidates with w > 0)', () => {
    fc.assert(
      fc.property(candidatesArb, seatsArb, seedArb, (cands, lottery, seed) => {
        const r = elect({ candidates: cands, rankedSeats: 0, lotterySeats: lottery, seed });
        expect(r.ranked).toEqual([]);
        const drawable = cands.filter((c) => c.weight / E18 > 0n).length;
        expect(r.drawn.length).toBe(Math.min(lottery, drawable));
        expect(r.validators.length).toBe(Math.min(lottery, cands.length));
      }),
      { numRuns: 200 },
    );
  });

  it('handles 1,000 candidates and the default 15 + 6 seats like the reference', () => {
    const cands: ElectionCandidate[] = [];
    for (let i = 0; i < 1000; i++)
      cands.push({
        address: keccakUtf8(`c${i}`).slice(12),
        weight: BigInt(i % 97) * E36 + BigInt(i) * 12_345_678_901_234_567n,
      });
    const seed = keccakUtf8('big');
    const r = elect({ candidates: cands, rankedSeats: 15, lotterySeats: 6, seed });
    expect(r.validators).toHaveLength(21);
    expect(plain(r)).toEqual(refElect(toRef(cands), 15, 6, seed));
  });
});

// ---------------------------------------------------------------------------------------------
// Frequencies

/**
 * Upper critical values of the chi-square distribution at p = 0.001, by degrees of freedom
 * (standard table, e.g. NIST/SEMATECH e-Handbook of Statistical Methods §1.3.6.7.4). A statistic
 * above the value has probability below 0.001 if the frequencies follow the expected law.
 */
const CHI2_CRITICAL_P001: Record<number, number> = {
  1: 10.828,
  2: 13.816,
  3: 16.266,
  4: 18.467,
  5: 20.515,
  6: 22.458,
  7: 24.322,
  8: 26.124,
  9: 27.877,
  10: 29.588,
  15: 37.697,
  20: 45.315,
  23: 49.728,
};

function chiSquare(observed: number[], expected: number[]): { chi2: number; critical: number } {
  let chi2 = 0;
  for (let i = 0; i < observed.length; i++)
    chi2 += (observed[i]! - expected[i]!) ** 2 / expected[i]!;
  const df = observed.length - 1;
  const critical = CHI2_CRITICAL_P001[df];
  if (critical === undefined) throw new Error(`no table value for ${df} degrees of freedom`);
  return { chi2, critical };
}

const SEEDS = 10_000;
const seedNo = (s: number) => keccakUtf8(`chi-${s}`);

/** How often each address wins, over SEEDS seeds. */
function tally(run: (seed: Uint8Array) => string): Map<string, number> {
  const counts = new Map<string, number>();
  for (let s = 0; s < SEEDS; s++) {
    const k = run(seedNo(s));
    counts.set(k, (counts.get(k) ?? 0) + 1);
  }
  return counts;
}

describe('election: frequencies over 10,000 seeds (chi-square, p > 0.001)', () => {
  // Eight candidates, R = 1, 2, 3, 5, 8, 13, 21, 34 (+ a fraction below 10^-18 that floor drops).
  const FIB = [1n, 2n, 3n, 5n, 8n, 13n, 21n, 34n].map((r, i) => ({
    address: addr(0x10 + i),
    weight: r * E36 + 999_999_999_999_999_999n,
  }));
  const totalW = FIB.reduce((s, c) => s + c.weight / E18, 0n);
  let observed: number[] = [];
  beforeAll(() => {
    const single = tally((seed) =>
      hex(elect({ candidates: FIB, rankedSeats: 0, lotterySeats: 1, seed }).drawn[0]!.address),
    );
    observed = FIB.map((c) => single.get(hex(c.address)) ?? 0);
  });

  it('a single lottery draw picks each candidate with probability w / W (7 degrees of freedom)', () => {
    const expected = FIB.map((c) => (SEEDS * Number(c.weight / E18)) / Number(totalW));
    const { chi2, critical } = chiSquare(observed, expected);
    expect(critical).toBe(24.322);
    expect(chi2).toBeLessThan(critical);
  });

  it('the same test rejects a wrong law (uniform), so it can fail', () => {
    const { chi2, critical } = chiSquare(
      observed,
      FIB.map(() => SEEDS / FIB.length),
    );
    expect(chi2).toBeGreaterThan(critical);
  });

  it('after the ranked seats, the draw is proportional among the rest (3 degrees of freedom)', () => {
    // FIVE plus …06 (R = 60): ranked = …06, …05; the draw is among …01…04 with w ∝ 10, 20, 30, 40.
    const six = [...FIVE, { address: addr(6), weight: 60n * E36 }];
    const counts = tally((seed) =>
      hex(elect({ candidates: six, rankedSeats: 2, lotterySeats: 1, seed }).drawn[0]!.address),
    );
    const observed4 = [1, 2, 3, 4].map((n) => counts.get(A(n)) ?? 0);
    const { chi2, critical } = chiSquare(
      observed4,
      [1, 2, 3, 4].map((n) => (SEEDS * n) / 10),
    );
    expect(observed4.reduce((s, x) => s + x, 0)).toBe(SEEDS);
    expect(chi2).toBeLessThan(critical);
  });

  it('the proposer order is a uniform permutation: all 24 orders of 4 validators (23 d.f.)', () => {
    const four = FIVE.slice(0, 4);
    const counts = tally((seed) =>
      elect({ candidates: four, rankedSeats: 4, lotterySeats: 0, seed })
        .validators.map((a) => a[19])
        .join(','),
    );
    expect(counts.size).toBe(24);
    const { chi2, critical } = chiSquare(
      [...counts.values()],
      [...counts.values()].map(() => SEEDS / 24),
    );
    expect(chi2).toBeLessThan(critical);
  });
});
