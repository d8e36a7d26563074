/**
 * The validation stages are pure functions of what they are given: the same header passes or
 * fails by the parameters, parent and results handed in, with no chain behind them.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { blockHash } from '../../src/chain/block.js';
import {
  checkAgainstParent,
  checkHeader,
  checkOutcome,
  decodeCandidate,
} from '../../src/chain/validation.js';
import { secp256k1Recover } from '../../src/consensus/crypto.js';
import { BlockError, type BlockErrorCode } from '../../src/primitives/block-error.js';
import { buildNext, GENESIS, newChain, NOW_MS, TempDirs } from './helpers.js';

const t = new TempDirs();
afterEach(() => t.cleanup());

function codeOf(f: () => void): BlockErrorCode | null {
  try {
    f();
    return null;
  } catch (e) {
    expect(e).toBeInstanceOf(BlockError);
    return (e as BlockError).code;
  }
}

async function block1() {
  const c = newChain(t);
  const built = await buildNext(c);
  return { c, built, parent: c.head };
}

describe('validation stages', () => {
  it('the header alone: by the parameters given, and the clock only when given', async () => {
    const { built } = await block1();
    const h = built.block.header;
    const p = GENESIS.params;
    expect(codeOf(() => checkHeader(h, p, BigInt(NOW_MS)))).toBeNull();
    expect(codeOf(() => checkHeader(h, { ...p, blockGasLimit: h.gasLimit + 1n }, null))).toBe(
      'header.gas-limit',
    );
    const early = h.timestamp * 1000n - (p.maxClockDriftSeconds + 1n) * 1000n;
    expect(codeOf(() => checkHeader(h, p, early))).toBe('header.timestamp-in-future');
    expect(codeOf(() => checkHeader(h, p, null))).toBeNull();
  });

  it('against the parent: by the parent, proposer and parameters given', async () => {
    const { c, built, parent } = await block1();
    const h = built.block.header;
    const ctx = {
      header: parent.header,
      hash: blockHash(parent),
      params: GENESIS.params,
      chainId: c.chainId,
      proposer: h.coinbase,
      parentValidators: c.validatorsAt(0n),
      recover: secp256k1Recover,
    };
    expect(codeOf(() => checkAgainstParent(h, ctx))).toBeNull();
    expect(codeOf(() => checkAgainstParent(h, { ...ctx, hash: h.stateRoot }))).toBe(
      'header.parent-hash',
    );
    expect(codeOf(() => checkAgainstParent(h, { ...ctx, proposer: h.stateRoot }))).toBe(
      'header.coinbase-not-proposer',
    );
    const slow = {
      ...GENESIS.params,
      blockTimeMs: (h.timestamp - parent.header.timestamp + 1n) * 1000n,
    };
    expect(codeOf(() => checkAgainstParent(h, { ...ctx, params: slow }))).toBe(
      'header.timestamp-too-early',
    );
    const dear = { ...GENESIS.params, minBaseFee: h.baseFeePerGas + 1n };
    expect(codeOf(() => checkAgainstParent(h, { ...ctx, params: dear }))).toBe('header.base-fee');
  });

  it('after execution: the first result that differs names the code', async () => {
    const { built } = await block1();
    const h = built.block.header;
    const outcome = {
      ...(await newChain(t).validateBlock(built.bytes)).outcome,
    };
    expect(codeOf(() => checkOutcome(h, outcome, h.stateRoot))).toBeNull();
    expect(codeOf(() => checkOutcome(h, outcome, h.receiptsRoot))).toBe('exec.state-root-mismatch');
    expect(codeOf(() => checkOutcome(h, { ...outcome, gasUsed: 1n }, h.stateRoot))).toBe(
      'exec.gas-used-mismatch',
    );
    expect(
      codeOf(() => checkOutcome(h, { ...outcome, nextValidators: [h.coinbase] }, h.stateRoot)),
    ).toBe('exec.validators-mismatch');
  });

  it('the encoding: size before decoding', () => {
    expect(codeOf(() => decodeCandidate(new Uint8Array(10), 9n))).toBe('block.too-large');
    expect(codeOf(() => decodeCandidate(new Uint8Array(10), 10n))).toBe('block.malformed');
    expect(codeOf(() => decodeCandidate(new Uint8Array(10)))).toBe('block.malformed');
  });
});
