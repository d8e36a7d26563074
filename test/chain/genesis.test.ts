/**
 * The genesis file: every malformed document is refused with a message naming the field, and
 * the same document (in any spelling) gives the same genesis block on every machine.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { blockHash, encodeBlock } from '../../src/chain/block.js';
import {
  buildGenesis,
  GenesisError,
  genesisToJson,
  paramsCommitment,
  parseGenesis,
  parseInteger,
  type Genesis,
} from '../../src/chain/genesis.js';
import { EMPTY_OMMERS_HASH } from '../../src/chain/header.js';
import { DEFAULT_PARAMS, ETM, PARAMS, WAD } from '../../src/params/registry.js';
import { GenesisMismatchError } from '../../src/chain/chain.js';
import { rlpEncode, type RlpInput } from '../../src/codec/rlp.js';
import { toChecksumAddress } from '../../src/crypto/address.js';
import { concatBytes, toHex, uint64be, utf8 } from '../../src/crypto/bytes.js';
import { keccak256 } from '../../src/crypto/keccak.js';
import { EMPTY_TRIE_ROOT, MemoryNodeStore } from '../../src/state/trie.js';
import { StateDB } from '../../src/state/state-db.js';
import { CONCAVE_ON_LOCK } from '../../src/params/registry.js';
import {
  genesisDoc,
  GENESIS,
  openChain,
  TempDirs,
  USER_BALANCE,
  USERS,
  VALIDATORS,
} from './helpers.js';

const t = new TempDirs();
afterEach(() => t.cleanup());

const build = (g: Genesis) => buildGenesis(g, new MemoryNodeStore()).block;
const hashOf = (doc: unknown) => toHex(blockHash(build(parseGenesis(doc))));
const rootOf = (doc: unknown) => toHex(build(parseGenesis(doc)).header.stateRoot);
const lower = (a: Uint8Array) => toHex(a);
const checksum = (a: Uint8Array) => toChecksumAddress(a);
/** The checksummed address with the case of its first letter flipped: a broken checksum. */
function flipCase(address: string): string {
  const i = address.slice(2).search(/[a-fA-F]/) + 2;
  const c = address[i]!;
  const flipped = c === c.toLowerCase() ? c.toUpperCase() : c.toLowerCase();
  return address.slice(0, i) + flipped + address.slice(i + 1);
}

/** Expects parseGenesis to refuse `doc` with a GenesisError matching `message`. */
function refuses(doc: unknown, message: RegExp | string): void {
  let error: unknown;
  try {
    parseGenesis(doc);
  } catch (e) {
    error = e;
  }
  expect(error, `accepted a bad genesis, expected ${message}`).toBeInstanceOf(GenesisError);
  expect((error as Error).message).toMatch(message);
}

describe('genesis documents that are refused', () => {
  it('refuses a document that is not an object, or has unknown fields', () => {
    refuses(null, /expected a JSON object/);
    refuses([], /expected a JSON object/);
    refuses('{}', /expected a JSON object/);
    refuses(genesisDoc({ chainID: 1 }), /unknown field "chainID"/);
  });

  it('refuses a missing, zero, negative, fractional, unsafe or too large chain id', () => {
    const { chainId: _, ...noChainId } = genesisDoc();
    refuses(noChainId, /^chainId: expected an integer/);
    refuses(genesisDoc({ chainId: 0 }), 'chainId: must not be 0');
    refuses(genesisDoc({ chainId: '0x0' }), 'chainId: must not be 0');
    refuses(genesisDoc({ chainId: -1 }), /^chainId: -1 is out of range/);
    refuses(genesisDoc({ chainId: '-1' }), /^chainId: expected an integer/);
    refuses(genesisDoc({ chainId: 1.5 }), /^chainId: 1.5 is not a safe integer/);
    refuses(genesisDoc({ chainId: 2 ** 53 }), /^chainId: .* is not a safe integer; use a string/);
    refuses(genesisDoc({ chainId: (1n << 64n).toString() }), /^chainId: .* is out of range/);
    refuses(genesisDoc({ chainId: '12abc' }), /^chainId: expected an integer/);
    refuses(genesisDoc({ chainId: ' 1' }), /^chainId: expected an integer/);
    refuses(genesisDoc({ chainId: true }), /^chainId: expected an integer/);
    // The largest chain id fits in the 64 bits that EIP-155 signers use.
    expect(parseGenesis(genesisDoc({ chainId: ((1n << 64n) - 1n).toString() })).chainId).toBe(
      (1n << 64n) - 1n,
    );
  });

  it('refuses a bad timestamp', () => {
    refuses(genesisDoc({ timestamp: 'yesterday' }), /^timestamp: expected an integer/);
    refuses(genesisDoc({ timestamp: -5 }), /^timestamp: -5 is out of range/);
    refuses(genesisDoc({ timestamp: (1n << 63n).toString() }), /^timestamp: .* out of range/);
    expect(parseGenesis(genesisDoc({ timestamp: undefined })).timestamp).toBe(0n);
  });

  it('refuses bad allocations, naming the address', () => {
    const user = checksum(USERS[0]!);
    refuses(genesisDoc({ alloc: [] }), 'alloc: expected an object keyed by address');
    refuses(genesisDoc({ alloc: { '0x1234': { balance: '1' } } }), /^alloc key 0x1234: /);
    // A mixed-case address must carry a valid EIP-55 checksum.
    refuses(
      genesisDoc({ alloc: { [flipCase(user)]: { balance: '1' } } }),
      /^alloc key 0x.*invalid EIP-55 checksum/,
    );
    refuses(genesisDoc({ alloc: { [user]: '5' } }), `alloc.${user}: expected { "balance": … }`);
    refuses(genesisDoc({ alloc: { [user]: { balance: '1', nonce: 1 } } }), /unknown field "nonce"/);
    refuses(genesisDoc({ alloc: { [user]: {} } }), `alloc.${user}.balance: expected an integer`);
    refuses(genesisDoc({ alloc: { [user]: { balance: -1 } } }), /balance: -1 is out of range/);
    refuses(genesisDoc({ alloc: { [user]: { balance: '1e18' } } }), /balance: expected an integer/);
    refuses(
      genesisDoc({ alloc: { [user]: { balance: (1n << 256n).toString() } } }),
      /balance: .* is out of range/,
    );
    // The same account spelled twice (checksummed and lower case) is one account given twice.
    refuses(
      genesisDoc({ alloc: { [user]: { balance: '1' }, [lower(USERS[0]!)]: { balance: '2' } } }),
      /^alloc: 0x[0-9a-f]{40} appears twice$/,
    );
  });

  it('refuses an empty, malformed, oversized or duplicated validator list', () => {
    refuses(genesisDoc({ validators: [] }), 'validators: expected a non-empty list of addresses');
    refuses(genesisDoc({ validators: undefined }), /^validators: expected a non-empty list/);
    refuses(genesisDoc({ validators: 'x' }), /^validators: expected a non-empty list/);
    refuses(genesisDoc({ validators: [checksum(VALIDATORS[0]!), 7] }), /^validators\[1\]: /);
    refuses(genesisDoc({ validators: ['0xzz'] }), /^validators\[0\]: /);
    refuses(
      genesisDoc({ validators: [checksum(VALIDATORS[0]!), lower(VALIDATORS[0]!)] }),
      'validators: duplicate address',
    );
    const many = Array.from({ length: 1025 }, (_, i) =>
      toHex(concatBytes(new Uint8Array(12), uint64be(BigInt(i + 1)))),
    );
    refuses(genesisDoc({ validators: many }), 'validators: at most 1024');
  });

  it('refuses unknown, malformed and out-of-bounds parameters with their bounds', () => {
    refuses(genesisDoc({ params: [] }), 'params: expected an object');
    refuses(genesisDoc({ params: { blockTime: '1000' } }), 'params: unknown parameter "blockTime"');
    refuses(genesisDoc({ params: { blockTimeMs: 'fast' } }), /^params.blockTimeMs: expected an/);
    refuses(
      genesisDoc({ params: { blockTimeMs: '50' } }),
      'parameter blockTimeMs = 50 is outside [100, 60000] milliseconds',
    );
    refuses(
      genesisDoc({ params: { blockGasLimit: 999_999 } }),
      'parameter blockGasLimit = 999999 is outside [1000000, 1000000000] gas',
    );
    refuses(
      genesisDoc({ params: { feeValidatorShare: (WAD + 1n).toString() } }),
      /parameter feeValidatorShare = .* is outside/,
    );
    refuses(
      genesisDoc({
        params: {
          feeValidatorShare: ((WAD * 6n) / 10n).toString(),
          feeBurnShare: '500000000000000000',
        },
      }),
      'feeValidatorShare + feeBurnShare must not exceed 1',
    );
    refuses(genesisDoc({ params: { concaveOn: 'account' } }), /^params.concaveOn: expected an/);
    refuses(genesisDoc({ params: { concaveOn: 2 } }), /parameter concaveOn = 2 is outside/);
    // Every bound is enforced on both sides.
    for (const [name, b] of Object.entries(PARAMS).filter(([, d]) => d.type === 'uint')) {
      if (b.min > 0n) refuses(genesisDoc({ params: { [name]: (b.min - 1n).toString() } }), name);
      refuses(genesisDoc({ params: { [name]: (b.max + 1n).toString() } }), name);
    }
    // The inflation schedule: a list of 1 to 200 yearly rates, each within [0, 1].
    refuses(
      genesisDoc({ params: { inflationSchedule: '100' } }),
      'params.inflationSchedule: expected a list of integers',
    );
    refuses(
      genesisDoc({ params: { inflationSchedule: [] } }),
      'parameter inflationSchedule has 0 entries; expected 1 to 200',
    );
    refuses(
      genesisDoc({ params: { inflationSchedule: Array.from({ length: 201 }, () => '0') } }),
      'parameter inflationSchedule has 201 entries; expected 1 to 200',
    );
    refuses(
      genesisDoc({ params: { inflationSchedule: ['0', (WAD + 1n).toString()] } }),
      /parameter inflationSchedule\[1\] = .* is outside \[0, 1000000000000000000\]/,
    );
    refuses(
      genesisDoc({ params: { inflationSchedule: ['1', 'x'] } }),
      /^params.inflationSchedule\[1\]: expected an integer/,
    );
    refuses(
      genesisDoc({ params: { inflationSchedule: ['1'], inflationRate: '1' } }),
      'params: give inflationSchedule or inflationRate, not both',
    );
  });

  it('reads the inflation schedule, and inflationRate as a schedule of one year', () => {
    const g = parseGenesis(
      genesisDoc({
        params: { inflationSchedule: [(WAD / 10n).toString(), '0x' + (WAD / 20n).toString(16), 0] },
      }),
    );
    expect(g.params.inflationSchedule).toEqual([WAD / 10n, WAD / 20n, 0n]);
    expect(genesisToJson(g).params).toMatchObject({
      inflationSchedule: [(WAD / 10n).toString(), (WAD / 20n).toString(), '0'],
    });
    expect(hashOf(JSON.parse(JSON.stringify(genesisToJson(g))))).toBe(hashOf(genesisToJson(g)));
    const one = parseGenesis(genesisDoc({ params: { inflationRate: (WAD / 5n).toString() } }));
    expect(one.params.inflationSchedule).toEqual([WAD / 5n]);
    const base = genesisDoc().params as Record<string, unknown>;
    expect(hashOf(genesisDoc({ params: { ...base, inflationRate: (WAD / 10n).toString() } }))).toBe(
      hashOf(genesisDoc()),
    );
    expect(parseGenesis(genesisDoc()).params.inflationSchedule).toEqual([WAD / 10n]);
  });

  it('refuses bad candidates', () => {
    const op = checksum(USERS[0]!);
    const candidate = {
      operator: op,
      consensusKey: checksum(VALIDATORS[0]!),
      name: 'node0',
      deposit: (1000n * ETM).toString(),
      randaoCommitment: toHex(new Uint8Array(32).fill(7)),
    };
    expect(parseGenesis(genesisDoc({ candidates: [candidate] })).candidates).toHaveLength(1);
    refuses(genesisDoc({ candidates: {} }), 'candidates: expected a list');
    refuses(genesisDoc({ candidates: [{ ...candidate, x: 1 }] }), 'unknown field "x"');
    refuses(genesisDoc({ candidates: [{ ...candidate, name: 'Node 0' }] }), /\.name: 1-20/);
    refuses(
      genesisDoc({ candidates: [{ ...candidate, deposit: ETM.toString() }] }),
      /deposit: below candidateDeposit/,
    );
    refuses(
      genesisDoc({ candidates: [{ ...candidate, consensusKey: checksum(USERS[1]!) }] }),
      'consensusKey: not one of the genesis validators',
    );
    refuses(
      genesisDoc({ candidates: [{ ...candidate, deposit: (USER_BALANCE + 1n).toString() }] }),
      /deposit: exceeds the operator's allocation/,
    );
    refuses(
      genesisDoc({ candidates: [{ ...candidate, randaoCommitment: '0x12' }] }),
      /randaoCommitment: expected 32 bytes/,
    );
    refuses(
      genesisDoc({
        candidates: [candidate, { ...candidate, operator: checksum(USERS[1]!), name: 'node1' }],
      }),
      'candidates[1].consensusKey: used twice',
    );
    refuses(
      genesisDoc({ candidates: [{ ...candidate, commissionBps: 3000, commissionMaxBps: 2000 }] }),
      /commissionBps: 3000 is out of range/,
    );
  });

  it('parseInteger accepts numbers, decimal and hex strings only', () => {
    expect(parseInteger(7, 'x')).toBe(7n);
    expect(parseInteger('0x10', 'x')).toBe(16n);
    expect(parseInteger('010', 'x')).toBe(10n);
    for (const bad of ['', '0x', '1.0', '1_000', '+1', 1e21, NaN, null, {}]) {
      expect(() => parseInteger(bad, 'x'), String(bad)).toThrow(GenesisError);
    }
    expect(() => parseInteger(11, 'x', 10n)).toThrow('x: 11 is out of range');
  });
});

describe('parsed genesis', () => {
  it('fills defaults, derives the day-counted parameters and sorts the allocations', () => {
    const g = parseGenesis(
      genesisDoc({ params: { blockTimeMs: '2000', concaveOn: 'lock', minBaseFee: '0x7' } }),
    );
    expect(g.params.blockGasLimit).toBe(DEFAULT_PARAMS.blockGasLimit);
    expect(g.params.minBaseFee).toBe(7n);
    expect(g.params.concaveOn).toBe(CONCAVE_ON_LOCK);
    expect(g.params.blocksPerDay).toBe(43_200n);
    expect(g.params.unbondingBlocks).toBe(3n * 43_200n);
    expect(g.params.depositUnbondingBlocks).toBe(28n * 43_200n);
    const given = parseGenesis(genesisDoc({ params: { blocksPerDay: '100' } }));
    expect(given.params.unbondingBlocks).toBe(300n);
    const hex = g.alloc.map((a) => toHex(a.address));
    expect(hex).toEqual([...hex].sort());
    // Validators keep their order: it is the proposer order.
    expect(g.validators).toEqual(VALIDATORS);
  });

  it('builds the genesis block the documentation describes', () => {
    const store = new MemoryNodeStore();
    const { block } = buildGenesis(GENESIS, store);
    const h = block.header;
    expect(block.transactions).toEqual([]);
    expect(h.number).toBe(0n);
    expect(h.parentHash).toEqual(new Uint8Array(32));
    expect(h.coinbase).toEqual(new Uint8Array(20));
    expect(h.timestamp).toBe(GENESIS.timestamp);
    expect(h.gasLimit).toBe(GENESIS.params.blockGasLimit);
    expect(h.gasUsed).toBe(0n);
    expect(h.baseFeePerGas).toBe(GENESIS.params.minBaseFee);
    expect(h.transactionsRoot).toEqual(EMPTY_TRIE_ROOT);
    expect(h.receiptsRoot).toEqual(EMPTY_TRIE_ROOT);
    expect(h.logsBloom).toEqual(new Uint8Array(256));
    expect(h.mixHash).toEqual(
      keccak256(concatBytes(utf8('etm-genesis'), uint64be(GENESIS.chainId))),
    );
    const entries = Object.keys(PARAMS)
      .sort()
      .map((k) => [k, GENESIS.params[k as keyof typeof GENESIS.params] as RlpInput]);
    expect(h.extra.vanity).toEqual(keccak256(rlpEncode([GENESIS.chainId, entries])));
    expect(h.extra.vanity).toEqual(paramsCommitment(GENESIS.chainId, GENESIS.params));
    expect(h.extra.nextValidators).toEqual(VALIDATORS);
    expect(h.extra.round).toBe(0);
    expect(h.extra.commitSeals).toEqual([]);
    // The state holds the allocations.
    const state = new StateDB(h.stateRoot, store);
    for (const a of USERS) expect(state.getAccount(a).balance).toBe(USER_BALANCE);
    expect(EMPTY_OMMERS_HASH).toEqual(keccak256(rlpEncode([])));
  });

  it('moves a genesis candidate deposit from the allocation into a lock', () => {
    const store = new MemoryNodeStore();
    const deposit = 1000n * ETM;
    const g = parseGenesis(
      genesisDoc({
        candidates: [
          {
            operator: checksum(USERS[0]!),
            consensusKey: checksum(VALIDATORS[0]!),
            name: 'node0',
            deposit: deposit.toString(),
            randaoCommitment: toHex(new Uint8Array(32).fill(7)),
          },
        ],
      }),
    );
    const { block } = buildGenesis(g, store);
    const account = new StateDB(block.header.stateRoot, store).getAccount(USERS[0]!);
    expect(account.balance).toBe(USER_BALANCE - deposit);
    expect(account.locked).toBe(deposit);
  });
});

describe('genesis determinism', () => {
  // Pinned: a change here changes every existing chain's genesis hash (layout etm-genesis-7).
  const GOLDEN_HASH = '0x8d694d90b5e8b74ff8fc85a3bf9df9d75f0866a69d8a398cab2963de4d608216';
  const GOLDEN_ROOT = '0x5dfdd9dff27c7a5297d530aa8e0920131dfe65ef11ea5a2451909cb9dccfc62a';

  it('gives the pinned genesis hash and state root', () => {
    expect(hashOf(genesisDoc())).toBe(GOLDEN_HASH);
    expect(rootOf(genesisDoc())).toBe(GOLDEN_ROOT);
  });

  it('gives the same block for the same document, however it is spelled', () => {
    const doc = genesisDoc();
    const a = encodeBlock(build(parseGenesis(doc)));
    const b = encodeBlock(build(parseGenesis(JSON.parse(JSON.stringify(doc)))));
    expect(toHex(a)).toBe(toHex(b));
    // Numbers, decimal and hex strings; lower-case addresses; allocations in another order.
    const respelled = {
      validators: VALIDATORS.map(lower),
      alloc: Object.fromEntries(
        [...USERS].reverse().map((a) => [lower(a), { balance: '0x' + USER_BALANCE.toString(16) }]),
      ),
      params: { epochBlocks: 4, blockTimeMs: 1000 },
      timestamp: Number(GENESIS.timestamp),
      chainId: '0x' + GENESIS.chainId.toString(16),
    };
    expect(hashOf(respelled)).toBe(GOLDEN_HASH);
    // Giving a default explicitly is the same as leaving it out.
    expect(
      hashOf(genesisDoc({ params: { blockTimeMs: '1000', epochBlocks: '4', tMax: '32' } })),
    ).toBe(GOLDEN_HASH);
    // The canonical JSON written for a genesis reads back to the same genesis.
    expect(hashOf(JSON.parse(JSON.stringify(genesisToJson(GENESIS))))).toBe(GOLDEN_HASH);
    expect(parseGenesis(genesisToJson(GENESIS))).toEqual(GENESIS);
  });

  it('gives a different hash for any change', () => {
    const changes: Record<string, unknown>[] = [
      { chainId: '4543566' },
      { timestamp: (GENESIS.timestamp + 1n).toString() },
      { params: { blockTimeMs: '1000', epochBlocks: '5' } },
      { params: { blockTimeMs: '1000', epochBlocks: '4', minBaseFee: '1000000001' } },
      { params: { blockTimeMs: '1000', epochBlocks: '4', feeBurnShare: '1' } },
      { alloc: { [checksum(USERS[0]!)]: { balance: (USER_BALANCE + 1n).toString() } } },
      {
        alloc: Object.fromEntries(
          USERS.slice(0, 2).map((a) => [checksum(a), { balance: USER_BALANCE.toString() }]),
        ),
      },
      { validators: [...VALIDATORS].reverse().map(checksum) },
      { validators: VALIDATORS.slice(0, 3).map(checksum) },
    ];
    const seen = new Set([hashOf(genesisDoc())]);
    for (const change of changes) {
      const h = hashOf(genesisDoc(change));
      expect(seen.has(h), JSON.stringify(change)).toBe(false);
      seen.add(h);
    }
    // The chain id is committed through the header and the state (the evidence contract checks
    // consensus signatures against it); the parameters through both (the state holds them as
    // records of the parameters account).
    expect(rootOf(genesisDoc({ chainId: '4543566' }))).not.toBe(GOLDEN_ROOT);
    expect(rootOf(genesisDoc({ params: { blockTimeMs: '1000', epochBlocks: '5' } }))).not.toBe(
      GOLDEN_ROOT,
    );
    expect(rootOf(genesisDoc({ timestamp: '1' }))).toBe(GOLDEN_ROOT);
    // Balances and the validator set are in the state.
    expect(rootOf(genesisDoc({ alloc: { [checksum(USERS[0]!)]: { balance: '1' } } }))).not.toBe(
      GOLDEN_ROOT,
    );
    expect(rootOf(genesisDoc({ validators: VALIDATORS.slice(0, 3).map(checksum) }))).not.toBe(
      GOLDEN_ROOT,
    );
  });

  it('a data directory refuses a different genesis, and accepts its own again', async () => {
    const dir = t.make();
    const store = t.store(dir);
    const c = openChain(store);
    const hash = c.genesisHash;
    await store.close();
    const other = parseGenesis(genesisDoc({ chainId: '7' }));
    const s2 = t.store(dir);
    expect(() => openChain(s2, other)).toThrow(GenesisMismatchError);
    expect(() => openChain(s2, other)).toThrow(
      expect.objectContaining({ code: 'genesis-mismatch' }),
    );
    const again = openChain(s2);
    expect(again.genesisHash).toEqual(hash);
    expect(again.headNumber).toBe(0n);
  });
});
