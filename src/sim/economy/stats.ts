/**
 * Statistics the reports show (not chain state, so plain numbers): Gini coefficient,
 * Nakamoto coefficient of a committee, ETM and fixed-point values as numbers.
 */

const WAD = 1e18;

/** Units (10^-18 ETM) as ETM, for reports. */
export function etm(units: bigint): number {
  return Number(units) / WAD;
}

/** A 36-decimal fixed-point value as a number. */
export function fixed(v: bigint): number {
  return Number(v / 10n ** 18n) / WAD;
}

/** Gini coefficient of non-negative values (0: all equal; → 1: one holds everything). */
export function gini(values: readonly number[]): number {
  const n = values.length;
  if (n === 0) return 0;
  const sorted = Float64Array.from(values).sort();
  let weighted = 0;
  let total = 0;
  for (let i = 0; i < n; i++) {
    weighted += (i + 1) * sorted[i]!;
    total += sorted[i]!;
  }
  if (total === 0) return 0;
  return (2 * weighted) / (n * total) - (n + 1) / n;
}

/**
 * The smallest number of entities that together hold more than a third of the seats (f + 1 of
 * K = 3f + 1, enough to stop finality); 0 for an empty committee.
 */
export function nakamoto(seatsByEntity: readonly number[], K: number): number {
  if (K === 0) return 0;
  const need = Math.floor((K - 1) / 3) + 1;
  const sorted = [...seatsByEntity].sort((a, b) => b - a);
  let held = 0;
  for (let i = 0; i < sorted.length; i++) {
    held += sorted[i]!;
    if (held >= need) return i + 1;
  }
  return sorted.length;
}

/** f of a committee of K: the most faulty members QBFT tolerates. */
export function faultTolerance(K: number): number {
  return Math.floor((K - 1) / 3);
}
