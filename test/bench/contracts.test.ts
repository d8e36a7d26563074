/** Smoke test of the contracts scenario at its smallest: it runs and reports its figures. */
import { describe, expect, it } from 'vitest';
import { runContracts } from '../../src/bench/contracts.js';

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
