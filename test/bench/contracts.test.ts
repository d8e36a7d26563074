/**
 * Smoke test of the contracts scenario at its smallest: it runs and reports its figures; the
 * four-process figures (too long to run here) are reported as ratios to L/4.
 */
import { describe, expect, it } from 'vitest';
import { runContracts } from '../../src/bench/contracts.js';
import { figuresOf } from '../../src/bench/report.js';
import type { BenchResults } from '../../src/bench/run.js';

describe('bench scenario contracts, smallest size', () => {
  it('records ERC-20 and plain transfer blocks and reports their rates and gas', async () => {
    const r = await runContracts({ blocks: 1, txsPerBlock: 8, worstCase: false });
    expect(r.senders).toBe(8);
    expect(r.erc20.transactionsPerSecond).toBeGreaterThan(0);
    expect(r.plain.transactionsPerSecond).toBeGreaterThan(0);
    // An OpenZeppelin transfer between two existing holders; a plain transfer.
    expect(r.erc20.gasPerTx).toBeGreaterThan(30_000);
    expect(r.erc20.gasPerTx).toBeLessThan(60_000);
    expect(r.plain.gasPerTx).toBe(21_000);
    expect(r.worstCase).toEqual([]);
  }, 60_000);
});

describe('bench scenario contracts, four processes in the report', () => {
  it('gives committed ERC-20 transfers/s as a ratio to L/4, next to plain transfers', () => {
    const saturation = (tps: number) => ({
      durationMs: 25_000,
      transfersPerSecond: tps,
      meanTxsPerBlock: 100,
      meanBlockIntervalMs: 1000,
    });
    const results = {
      quick: false,
      errors: {},
      baseline: { signatureLimit: 20_000, recoveriesPerSecondPerCore: 10_000, cores: 2 },
      scenarios: {
        contracts: {
          blocks: 1,
          txsPerBlock: 8,
          blockGasLimit: 150_000_000,
          contractGasBudget: 15_000_000,
          plain: { transactionsPerSecond: 1, transactionsPerCpuSecond: 1, gasPerTx: 21_000 },
          erc20: { transactionsPerSecond: 1, transactionsPerCpuSecond: 1, gasPerTx: 34_452 },
          worstCase: [],
          processes: {
            senders: 1024,
            setupMs: 30_000,
            erc20: { saturation: saturation(500) },
            plain: { saturation: saturation(1_000) },
          },
        },
      },
    } as unknown as BenchResults;
    const row = figuresOf(results).find((f) => f.id === 'contracts.processes.erc20Tps');
    expect(row?.value).toBe(500);
    expect(row?.ratio).toBe(0.1);
    expect(row?.ratioText).toContain('10% of L/4');
    expect(row?.ratioText).toContain('plain transfers the same way 1,000 txs/s (20% of L/4)');
  });
});
