/**
 * The block-work receipt (docs/architecture.md, "Block work"): when the system modules' block
 * hooks emit logs, the block's receipts end with one receipt carrying them, at index = the number
 * of transactions, covered by the receipts root and the logs bloom; a header that leaves it out
 * is refused. A block whose hooks emit nothing has no such receipt.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { decodeEventLog, encodeFunctionData, type Hex } from 'viem';
import { encodeBlock, type Block } from '../../src/chain/block.js';
import { parseGenesis } from '../../src/chain/genesis.js';
import { encodeReceipt } from '../../src/codec/receipt.js';
import { bloomMayContain } from '../../src/crypto/bloom.js';
import { fromHex, toHex } from '../../src/crypto/bytes.js';
import { keccak256 } from '../../src/crypto/keccak.js';
import { blockWorkHash } from '../../src/execution/block-work.js';
import { TxDecoder } from '../../src/execution/tx.js';
import { GOVERNANCE_ABI, PROPOSAL_STATUS } from '../../src/governance/abi.js';
import { encodePayload } from '../../src/governance/payload.js';
import { BlockError } from '../../src/primitives/block-error.js';
import { ETM } from '../../src/params/registry.js';
import { GOVERNANCE_ADDRESS } from '../../src/primitives/system-addresses.js';
import { orderedTrieRoot } from '../../src/state/stack-trie.js';
import { signTx } from '../execution/helpers.js';
import {
  buildNext,
  CHAIN_ID,
  commitNext,
  genesisDoc,
  newChain,
  sealsFor,
  STRANGER,
  TempDirs,
  transfer,
  USER_KEYS,
  VALIDATOR_KEYS,
} from './helpers.js';

const t = new TempDirs();
afterEach(() => t.cleanup());

// A proposal's deposit period of 2 blocks: proposed in block 1, it expires in block 3.
const GENESIS = parseGenesis(
  genesisDoc({ params: { blockTimeMs: '1000', epochBlocks: '4', depositPeriod: '2' } }),
);

function propose(nonce: bigint) {
  const data = fromHex(
    encodeFunctionData({
      abi: GOVERNANCE_ABI,
      functionName: 'propose',
      args: [0, toHex(encodePayload({ kind: 'text', text: 'hello' }))],
    }),
  );
  const { raw } = signTx(
    2,
    { nonce, to: GOVERNANCE_ADDRESS, value: 100n * ETM, data, gasLimit: 300_000n },
    { key: USER_KEYS[2]! },
  );
  return new TxDecoder({ chainId: CHAIN_ID }).decode(raw);
}

function tamper(block: Block, edit: (b: Block) => void): Uint8Array {
  const copy = structuredClone(block);
  edit(copy);
  return encodeBlock(copy);
}

async function refuses(c: ReturnType<typeof newChain>, bytes: Uint8Array, code: string) {
  const error = await c.validateBlock(bytes, false).then(
    () => null,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(BlockError);
  expect((error as BlockError).code).toBe(code);
}

describe('block-work receipt', () => {
  it('ends the receipts of a block whose hooks log, is covered by its roots, and is indexed by its derived hash', async () => {
    const a = newChain(t, GENESIS);
    const b = newChain(t, GENESIS);
    await commitNext(a, [propose(0n)]);
    await commitNext(a);
    // Blocks without hook logs have no extra receipt.
    expect(a.receiptsAt(1n)).toHaveLength(1);
    expect(a.receiptsAt(2n)).toHaveLength(0);
    for (const n of [1n, 2n]) await b.importSealed(a.blockBytesAt(n)!);

    const built = await buildNext(a, [transfer(0, 0n, STRANGER, 1n)]);
    expect(built.included).toHaveLength(1);
    await a.commitDecided(built.bytes, 0, sealsFor(built.block, 0, VALIDATOR_KEYS.slice(0, 3)));
    const receipts = a.receiptsAt(3n);
    expect(receipts).toHaveLength(2);
    const [tx, work] = receipts as [(typeof receipts)[0], (typeof receipts)[0]];
    expect(work).toMatchObject({
      type: 0,
      status: 1,
      gasUsed: 0n,
      cumulativeGasUsed: tx.cumulativeGasUsed,
    });
    expect(work.logs).toHaveLength(1);
    expect(work.logs[0]!.address).toEqual(GOVERNANCE_ADDRESS);
    const ev = decodeEventLog({
      abi: GOVERNANCE_ABI,
      data: toHex(work.logs[0]!.data) as Hex,
      topics: work.logs[0]!.topics.map((x) => toHex(x)) as [Hex, ...Hex[]],
    });
    expect(ev.eventName).toBe('ProposalClosed');
    expect(ev.args).toMatchObject({ id: 1n, status: PROPOSAL_STATUS.indexOf('expired') });

    // Another chain accepts the block; a header whose receipts root leaves the block-work
    // receipt out, or covers a tampered one, or whose bloom leaves its logs out, is refused.
    await b.validateBlock(built.bytes, false);
    await refuses(
      b,
      tamper(built.block, (x) => {
        x.header.receiptsRoot = orderedTrieRoot([encodeReceipt(tx)]);
      }),
      'exec.receipts-root-mismatch',
    );
    const forged = { ...work, status: 0 as const, logs: [] };
    await refuses(
      b,
      tamper(built.block, (x) => {
        x.header.receiptsRoot = orderedTrieRoot([tx, forged].map(encodeReceipt));
      }),
      'exec.receipts-root-mismatch',
    );
    await refuses(
      b,
      tamper(built.block, (x) => {
        x.header.logsBloom = tx.logsBloom;
      }),
      'exec.bloom-mismatch',
    );

    const header = a.blockAt(3n)!.header;
    expect(header.receiptsRoot).toEqual(orderedTrieRoot(receipts.map(encodeReceipt)));
    expect(bloomMayContain(header.logsBloom, GOVERNANCE_ADDRESS)).toBe(true);
    expect(a.store.txLocation(blockWorkHash(3n))).toEqual({ number: 3n, index: 1 });

    // The derived hash: keccak256(utf8('etm-block-work') ‖ uint64be(number)).
    expect(blockWorkHash(3n)).toEqual(
      keccak256(
        new Uint8Array([...new TextEncoder().encode('etm-block-work'), 0, 0, 0, 0, 0, 0, 0, 3]),
      ),
    );
  });
});
