/**
 * A second, independent reading of the election rules of PROTOCOL §6 (and of the filling rule in
 * docs/election.md), written straight from the text with @noble/hashes and plain hex strings. It
 * shares no code with src/election: the tests compare the two.
 */
import { keccak_256 } from '@noble/hashes/sha3';

export interface RefCandidate {
  /** 40 lower-case hex digits, no 0x. */
  a: string;
  R: bigint;
}

export interface RefResult {
  ranked: string[];
  drawn: { a: string; w: bigint; W: bigint; z: bigint }[];
  filled: string[];
  order: string[];
}

const hexOf = (b: Uint8Array) => Buffer.from(b).toString('hex');

/** uint256(keccak256(seed ‖ tag ‖ uint64be(i))) */
export function refHash(tag: string, seed: Uint8Array, i: number): bigint {
  const buf = Buffer.alloc(32 + tag.length + 8);
  Buffer.from(seed).copy(buf, 0);
  buf.write(tag, 32, 'ascii');
  buf.writeBigUInt64BE(BigInt(i), 32 + tag.length);
  return BigInt('0x' + hexOf(keccak_256(buf)));
}

const byAddress = (x: RefCandidate, y: RefCandidate) => (x.a < y.a ? -1 : x.a > y.a ? 1 : 0);
const byWeight = (x: RefCandidate, y: RefCandidate) =>
  x.R === y.R ? byAddress(x, y) : x.R > y.R ? -1 : 1;

export function refElect(
  candidates: RefCandidate[],
  rankedSeats: number,
  lotterySeats: number,
  seed: Uint8Array,
): RefResult {
  const sorted = [...candidates].sort(byAddress);
  const ranked = sorted
    .filter((c) => c.R > 0n)
    .sort(byWeight)
    .slice(0, rankedSeats)
    .map((c) => c.a);
  const elected = new Set(ranked);
  const drawn: RefResult['drawn'] = [];
  for (let i = 0; i < lotterySeats; i++) {
    const pool = sorted
      .filter((c) => !elected.has(c.a))
      .map((c) => ({ a: c.a, w: c.R / 10n ** 18n }))
      .filter((c) => c.w > 0n);
    const W = pool.reduce((s, c) => s + c.w, 0n);
    if (W === 0n) break;
    const z = refHash('draw', seed, i) % W;
    let acc = 0n;
    for (const c of pool) {
      acc += c.w;
      if (acc > z) {
        elected.add(c.a);
        drawn.push({ a: c.a, w: c.w, W, z });
        break;
      }
    }
  }
  const filled: string[] = [];
  for (const c of sorted.filter((c) => !elected.has(c.a)).sort(byWeight)) {
    if (elected.size >= rankedSeats + lotterySeats) break;
    elected.add(c.a);
    filled.push(c.a);
  }
  const order = [...elected].sort();
  for (let j = order.length - 1; j >= 1; j--) {
    const k = Number(refHash('order', seed, j) % BigInt(j + 1));
    [order[j], order[k]] = [order[k]!, order[j]!];
  }
  return { ranked, drawn, filled, order };
}
