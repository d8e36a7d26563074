import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { DEFAULT_PARAMS, WAD } from '../../src/params/registry.js';
import { TxError } from '../../src/execution/errors.js';
import {
  effectiveGasPrice,
  effectiveTip,
  nextBaseFee,
  splitBaseFee,
} from '../../src/execution/fees.js';

const GWEI = 1_000_000_000n;
const FLOOR = GWEI;

describe('nextBaseFee', () => {
  const limit = 30_000_000n;
  const base = 100n * GWEI;

  it('stays at target', () => {
    expect(nextBaseFee({ gasUsed: 15_000_000n, gasLimit: limit, baseFeePerGas: base }, FLOOR)).toBe(
      base,
    );
  });

  it('rises by 1/8 when full and falls by 1/8 when empty', () => {
    expect(nextBaseFee({ gasUsed: limit, gasLimit: limit, baseFeePerGas: base }, FLOOR)).toBe(
      112_500_000_000n,
    );
    expect(nextBaseFee({ gasUsed: 0n, gasLimit: limit, baseFeePerGas: base }, FLOOR)).toBe(
      87_500_000_000n,
    );
  });

  it('moves in proportion to the distance from target (EIP-1559 arithmetic)', () => {
    // 3/4 full: +(base · 7.5M / 15M / 8) = base/16
    expect(nextBaseFee({ gasUsed: 22_500_000n, gasLimit: limit, baseFeePerGas: base }, FLOOR)).toBe(
      106_250_000_000n,
    );
    // 1/4 full: −base/16
    expect(nextBaseFee({ gasUsed: 7_500_000n, gasLimit: limit, baseFeePerGas: base }, FLOOR)).toBe(
      93_750_000_000n,
    );
    // Floors the division: 7 · 1 / 15M / 8 = 0
    expect(nextBaseFee({ gasUsed: 15_000_001n, gasLimit: limit, baseFeePerGas: 7n }, 0n)).toBe(8n);
  });

  it('rises by at least 1 above target', () => {
    expect(nextBaseFee({ gasUsed: limit, gasLimit: limit, baseFeePerGas: 7n }, 0n)).toBe(8n);
    expect(nextBaseFee({ gasUsed: limit, gasLimit: limit, baseFeePerGas: 0n }, 0n)).toBe(1n);
  });

  it('never goes below the floor', () => {
    expect(nextBaseFee({ gasUsed: 0n, gasLimit: limit, baseFeePerGas: FLOOR }, FLOOR)).toBe(FLOOR);
    expect(
      nextBaseFee({ gasUsed: 0n, gasLimit: limit, baseFeePerGas: 1_100_000_000n }, FLOOR),
    ).toBe(FLOOR);
    // A parent below the floor (e.g. a genesis value) is lifted to it.
    expect(nextBaseFee({ gasUsed: limit, gasLimit: limit, baseFeePerGas: 5n }, FLOOR)).toBe(FLOOR);
  });

  it('property: at or above the floor, moves by at most max(1/8, 1)', () => {
    fc.assert(
      fc.property(
        fc.bigInt({ min: 500_000n, max: 500_000_000n }),
        fc.bigInt({ min: 0n, max: 10n ** 15n }),
        fc.bigInt({ min: 0n, max: 10n ** 20n }),
        fc.bigInt({ min: 0n, max: WAD }),
        (halfLimit, minBaseFee, extra, usedFraction) => {
          // An even limit: with an odd one the target rounds down and a full block may step 1 wei past 1/8.
          const gasLimit = halfLimit * 2n;
          const baseFeePerGas = minBaseFee + extra;
          const gasUsed = (gasLimit * usedFraction) / WAD;
          const next = nextBaseFee({ gasUsed, gasLimit, baseFeePerGas }, minBaseFee);
          expect(next >= minBaseFee).toBe(true);
          const step = baseFeePerGas / 8n > 1n ? baseFeePerGas / 8n : 1n;
          const move = next > baseFeePerGas ? next - baseFeePerGas : baseFeePerGas - next;
          expect(move <= step).toBe(true);
          if (gasUsed > gasLimit / 2n) expect(next > baseFeePerGas).toBe(true);
          if (gasUsed === gasLimit / 2n) expect(next).toBe(baseFeePerGas);
          if (gasUsed < gasLimit / 2n) expect(next <= baseFeePerGas).toBe(true);
        },
      ),
      { numRuns: 2000 },
    );
  });

  it('property: any parent gives a result at or above the floor', () => {
    fc.assert(
      fc.property(
        fc.bigInt({ min: 0n, max: 2_000_000_000n }),
        fc.bigInt({ min: 0n, max: 2_000_000_000n }),
        fc.bigInt({ min: 0n, max: 10n ** 20n }),
        fc.bigInt({ min: 0n, max: 10n ** 15n }),
        (gasUsed, gasLimit, baseFeePerGas, minBaseFee) => {
          expect(nextBaseFee({ gasUsed, gasLimit, baseFeePerGas }, minBaseFee) >= minBaseFee).toBe(
            true,
          );
        },
      ),
      { numRuns: 1000 },
    );
  });
});

describe('effective price and tip', () => {
  it('pays baseFee + tip, capped by the fee cap', () => {
    const tx = { maxFeePerGas: 30n, maxPriorityFeePerGas: 5n };
    expect(effectiveGasPrice(tx, 20n)).toBe(25n);
    expect(effectiveTip(tx, 20n)).toBe(5n);
    expect(effectiveGasPrice(tx, 27n)).toBe(30n);
    expect(effectiveTip(tx, 27n)).toBe(3n);
    expect(effectiveTip(tx, 30n)).toBe(0n);
  });

  it('legacy: gasPrice is both cap and tip', () => {
    const legacy = { maxFeePerGas: 50n, maxPriorityFeePerGas: 50n };
    expect(effectiveGasPrice(legacy, 20n)).toBe(50n);
    expect(effectiveTip(legacy, 20n)).toBe(30n);
  });

  it('refuses a tip when the cap is below the base fee', () => {
    const tx = { maxFeePerGas: 5n, maxPriorityFeePerGas: 1n };
    expect(effectiveGasPrice(tx, 10n)).toBe(5n);
    expect(() => effectiveTip(tx, 10n)).toThrow(TxError);
    try {
      effectiveTip(tx, 10n);
    } catch (e) {
      expect((e as TxError).code).toBe('fee-cap-below-base-fee');
      expect((e as TxError).message).toBe(
        'max fee per gas less than block base fee: maxFeePerGas 5, baseFee 10',
      );
    }
  });

  it('property: tip is never negative and never above maxPriorityFeePerGas', () => {
    fc.assert(
      fc.property(
        fc.bigInt({ min: 0n, max: 10n ** 30n }),
        fc.bigInt({ min: 0n, max: 10n ** 30n }),
        fc.bigInt({ min: 0n, max: 10n ** 30n }),
        (a, b, base) => {
          const maxPriorityFeePerGas = a < b ? a : b;
          const maxFeePerGas = (a < b ? b : a) + base;
          const tip = effectiveTip({ maxFeePerGas, maxPriorityFeePerGas }, base);
          expect(tip >= 0n && tip <= maxPriorityFeePerGas).toBe(true);
          expect(effectiveGasPrice({ maxFeePerGas, maxPriorityFeePerGas }, base)).toBe(base + tip);
        },
      ),
      { numRuns: 500 },
    );
  });
});

describe('splitBaseFee', () => {
  it('default: 80% proposer, 20% treasury, nothing burned', () => {
    expect(splitBaseFee(1000n, DEFAULT_PARAMS)).toEqual({
      proposer: 800n,
      treasury: 200n,
      burned: 0n,
    });
  });

  it('rounds proposer and burn down; the treasury takes the remainder', () => {
    const params = { feeValidatorShare: WAD / 3n, feeBurnShare: WAD / 3n };
    expect(splitBaseFee(100n, params)).toEqual({ proposer: 33n, treasury: 34n, burned: 33n });
    expect(splitBaseFee(1n, params)).toEqual({ proposer: 0n, treasury: 1n, burned: 0n });
    expect(splitBaseFee(0n, params)).toEqual({ proposer: 0n, treasury: 0n, burned: 0n });
    expect(splitBaseFee(7n, { feeValidatorShare: WAD, feeBurnShare: 0n })).toEqual({
      proposer: 7n,
      treasury: 0n,
      burned: 0n,
    });
    expect(splitBaseFee(7n, { feeValidatorShare: 0n, feeBurnShare: WAD })).toEqual({
      proposer: 0n,
      treasury: 0n,
      burned: 7n,
    });
  });

  it('refuses shares summing above 1', () => {
    expect(() => splitBaseFee(1n, { feeValidatorShare: WAD, feeBurnShare: 1n })).toThrow(
      RangeError,
    );
    expect(() => splitBaseFee(-1n, DEFAULT_PARAMS)).toThrow(RangeError);
  });

  it('property: the parts are non-negative and sum exactly to the total', () => {
    fc.assert(
      fc.property(
        fc.bigInt({ min: 0n, max: 10n ** 40n }),
        fc.bigInt({ min: 0n, max: WAD }),
        fc.bigInt({ min: 0n, max: WAD }),
        (total, x, y) => {
          const feeValidatorShare = x;
          const feeBurnShare = (y * (WAD - x)) / WAD;
          const { proposer, treasury, burned } = splitBaseFee(total, {
            feeValidatorShare,
            feeBurnShare,
          });
          expect(proposer + treasury + burned).toBe(total);
          expect(proposer >= 0n && treasury >= 0n && burned >= 0n).toBe(true);
          expect(proposer).toBe((total * feeValidatorShare) / WAD);
          expect(burned).toBe((total * feeBurnShare) / WAD);
        },
      ),
      { numRuns: 1000 },
    );
  });
});
