/**
 * A change of the epoch length by a ParameterChange proposal, on a chain: applied at an epoch's
 * last block, the next epoch starts right after it with the new length. The validator sets are
 * named (and the elections run) at the new epoch ends; a node reopening its store and a node
 * syncing the blocks place the epochs the same way.
 */
import { encodeFunctionData } from 'viem';
import { afterEach, describe, expect, it } from 'vitest';
import type { Chain } from '../../src/chain/chain.js';
import { parseGenesis } from '../../src/chain/genesis.js';
import { fromHex, toHex } from '../../src/crypto/bytes.js';
import { TxDecoder, type SignedTx } from '../../src/execution/tx.js';
import { GOVERNANCE_ABI, PROPOSAL_KINDS, VOTE_OPTION } from '../../src/governance/abi.js';
import { encodePayload } from '../../src/governance/payload.js';
import { GovernanceStore } from '../../src/governance/store.js';
import { ETM } from '../../src/params/registry.js';
import { readParams } from '../../src/params/store.js';
import { GOVERNANCE_ADDRESS } from '../../src/primitives/system-addresses.js';
import { epochBounds, epochOf } from '../../src/staking/epochs.js';
import { stakingStores } from '../../src/staking/stores.js';
import { signTx } from '../execution/helpers.js';
import {
  CHAIN_ID,
  commitNext,
  genesisDoc,
  newChain,
  openChain,
  stakingLock,
  TempDirs,
  USER_KEYS,
  VALIDATOR_KEYS,
} from './helpers.js';

const t = new TempDirs();
afterEach(() => t.cleanup());

// Epochs of 4 blocks; a proposal at block 1 closes at block 6 and applies at block 8.
const GENESIS = parseGenesis(
  genesisDoc({
    params: {
      blockTimeMs: '1000',
      epochBlocks: '4',
      minProposalDeposit: ETM.toString(),
      proposalDeposit: (10n * ETM).toString(),
      depositPeriod: '5',
      votingPeriod: '5',
    },
  }),
);

const decoder = new TxDecoder({ chainId: CHAIN_ID });

function govTx(user: number, nonce: bigint, data: Uint8Array, value = 0n): SignedTx {
  const { raw } = signTx(
    2,
    { nonce, to: GOVERNANCE_ADDRESS, value, data, gasLimit: 1_000_000n },
    { key: USER_KEYS[user]! },
  );
  return decoder.decode(raw);
}

const call = (functionName: 'propose' | 'vote', args: readonly unknown[]) =>
  fromHex(encodeFunctionData({ abi: GOVERNANCE_ABI, functionName, args } as never));

/** The heights whose headers name the next validator set (the epoch ends), up to the head. */
function namingSets(c: Chain): bigint[] {
  const out = [];
  for (let n = 1n; n <= c.headNumber; n++)
    if (c.blockAt(n)!.header.extra.nextValidators.length > 0) out.push(n);
  return out;
}

/** The first heights of the validator sets the chain knows. */
const setStarts = (c: Chain): bigint[] =>
  (c as unknown as { validatorSets: { from: bigint }[] }).validatorSets.map((s) => s.from);

describe('a change of the epoch length', () => {
  it('gives the epoch after the change the new length: sets, elections and epochs follow', async () => {
    const dir = t.make();
    const store = t.store(dir);
    const c = openChain(store, GENESIS);
    const payload = encodePayload({ kind: 'parameter-change', name: 'epochBlocks', value: 6n });
    // Block 1: user 0 locks (its voting power), user 1 proposes; block 2: user 0 votes yes.
    await commitNext(c, [
      stakingLock(0, 0n, 1_000n * ETM),
      govTx(
        1,
        0n,
        call('propose', [PROPOSAL_KINDS.indexOf('parameter-change'), toHex(payload)]),
        10n * ETM,
      ),
    ]);
    await commitNext(c, [govTx(0, 1n, call('vote', [1n, VOTE_OPTION.yes]))]);
    const gov = () => new GovernanceStore(c.headState()).proposal(1n)!;
    expect(gov().votingEnd).toBe(6n);
    while (c.headNumber < 6n) await commitNext(c);
    expect(gov()).toMatchObject({ status: 'scheduled', executeAt: 8n });
    expect(c.nextParams().epochBlocks).toBe(4n);
    while (c.headNumber < 8n) await commitNext(c);
    expect(gov().status).toBe('executed');
    const p = c.nextParams();
    expect(p.epochBlocks).toBe(6n);
    expect(p.epochHistory).toEqual([
      { after: 0n, epoch: 0n, blocks: 4n },
      { after: 8n, epoch: 2n, blocks: 6n },
    ]);
    // The state before block 8 still has no schedule record: a chain that never changed the
    // length has none.
    expect(readParams(c.stateAt(7n)).epochHistory).toBeUndefined();
    while (c.headNumber < 21n) await commitNext(c);

    // Epoch ends 4 and 8, then every 6 blocks: the headers name the sets there, and only there.
    expect(namingSets(c)).toEqual([4n, 8n, 14n, 20n]);
    expect(setStarts(c)).toEqual([1n, 5n, 9n, 15n, 21n]);
    const head = c.nextParams();
    expect([2n, 3n, 4n].map((e) => epochBounds(e, head))).toEqual([
      { first: 9n, last: 14n },
      { first: 15n, last: 20n },
      { first: 21n, last: 26n },
    ]);
    expect(epochOf(8n, head)).toBe(1n);
    expect(epochOf(9n, head)).toBe(2n);
    // Each epoch end elected the epoch after next.
    const elections = stakingStores(c.headState()).elections;
    expect([3n, 4n, 5n].map((e) => elections.epochRecord(e)!.electedAt)).toEqual([8n, 14n, 20n]);
    // The consensus keys that may sign after the head: the set of the epoch starting at 21.
    expect(c.upcomingValidators(21n).length).toBe(VALIDATOR_KEYS.length);

    // A node reopening the store finds the same epoch ends.
    // The committed blocks carry their commit seals, as a peer serves them.
    const bytes = [...Array(21).keys()].map((i) => c.blockBytesAt(BigInt(i + 1))!);
    const root21 = c.head.header.stateRoot;
    await store.close();
    const reopened = openChain(t.store(dir), GENESIS);
    expect(setStarts(reopened)).toEqual([1n, 5n, 9n, 15n, 21n]);

    // A node syncing the sealed blocks executes them to the same state.
    const fresh = newChain(t, GENESIS);
    for (const b of bytes) await fresh.importSealed(b);
    expect(fresh.headNumber).toBe(21n);
    expect(toHex(fresh.head.header.stateRoot)).toBe(toHex(root21));
    expect(setStarts(fresh)).toEqual([1n, 5n, 9n, 15n, 21n]);
  });
});
