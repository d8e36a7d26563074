/**
 * The header checks read the parameters in the parent's state, not the genesis document: a
 * change written into the state (by governance) governs the next block's gas limit, block time
 * and size. The state's records are overridden here by wrapping `readParams`, as a governance
 * change would rewrite them.
 */
import { afterEach, describe, expect, it, vi } from 'vitest';
import type { Chain } from '../../src/chain/chain.js';
import type { ChainParams } from '../../src/params/registry.js';
import type { BlockErrorCode } from '../../src/primitives/block-error.js';
import { buildNext, GENESIS, GENESIS_TIME, newChain, TempDirs } from './helpers.js';

/** Parameters that `readParams` reports over the state's records while set. */
let changed: Partial<ChainParams> | null = null;

vi.mock('../../src/params/store.js', async (importOriginal) => {
  const real = await importOriginal<typeof import('../../src/params/store.js')>();
  return {
    ...real,
    readParams: (...args: Parameters<typeof real.readParams>) => ({
      ...real.readParams(...args),
      ...changed,
    }),
  };
});

const t = new TempDirs();
afterEach(async () => {
  changed = null;
  await t.cleanup();
});

/**
 * A chain that reads `params` in its head's state (it reads them once per head), its clock at
 * the genesis time so that block 1 comes at the earliest time its parent allows.
 */
function chainReading(params: Partial<ChainParams> | null): Chain {
  changed = params;
  const c = newChain(t, GENESIS, () => Number(GENESIS_TIME) * 1000);
  expect(c.nextParams()).toMatchObject(params ?? {});
  changed = null;
  return c;
}

async function refuses(c: Chain, bytes: Uint8Array, code: BlockErrorCode): Promise<void> {
  await expect(c.validateBlock(bytes)).rejects.toMatchObject({ code });
}

describe('header checks read the parameters in the parent’s state', () => {
  it('the gas limit', async () => {
    const gas = { blockGasLimit: 30_000_000n };
    expect(GENESIS.params.blockGasLimit).not.toBe(gas.blockGasLimit);
    const a = chainReading(gas);
    const built = await buildNext(a);
    expect(built.block.header.gasLimit).toBe(gas.blockGasLimit);
    await expect(chainReading(gas).validateBlock(built.bytes)).resolves.toBeDefined();
    // A node that reads the genesis value refuses it, and the other way round.
    await refuses(chainReading(null), built.bytes, 'header.gas-limit');
    const plain = await buildNext(chainReading(null));
    await refuses(chainReading(gas), plain.bytes, 'header.gas-limit');
  });

  it('the block time', async () => {
    const slow = { blockTimeMs: 3000n };
    const a = chainReading(slow);
    const built = await buildNext(a);
    expect(built.block.header.timestamp).toBe(GENESIS_TIME + 3n);
    expect(a.nextProposalTimeMs()).toBe(GENESIS_TIME * 1000n + 3000n);
    await expect(chainReading(slow).validateBlock(built.bytes)).resolves.toBeDefined();
    // One second after the parent is enough at the genesis block time, too early at 3 s.
    const plain = await buildNext(chainReading(null));
    expect(plain.block.header.timestamp).toBe(GENESIS_TIME + 1n);
    await refuses(chainReading(slow), plain.bytes, 'header.timestamp-too-early');
  });

  it('the largest block and the minimum base fee', async () => {
    const plain = await buildNext(chainReading(null));
    const big = new Uint8Array(70_000);
    await refuses(chainReading(null), big, 'block.malformed');
    await refuses(chainReading({ maxBlockBytes: 65_536n }), big, 'block.too-large');
    const dear = chainReading({ minBaseFee: GENESIS.params.minBaseFee * 2n });
    expect(dear.nextBaseFee()).toBe(GENESIS.params.minBaseFee * 2n);
    await refuses(dear, plain.bytes, 'header.base-fee');
  });
});
