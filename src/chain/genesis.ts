/**
 * The genesis file: chain id, start time, parameters, initial balances and the first validator
 * set. The same file gives the same genesis block, hash and state root on every machine.
 *
 *   { "chainId": 4543565, "timestamp": 0, "params": { "blockTimeMs": "1000", … },
 *     "alloc": { "0xf39F…": { "balance": "1000000000000000000000000" } },
 *     "validators": ["0x…", …],
 *     "candidates": [{ "operator": "0x…", "consensusKey": "0x…", "name": "node0",
 *                      "deposit": "1000000000000000000000", "commissionBps": 1000,
 *                      "commissionMaxBps": 2000, "randaoCommitment": "0x…" }] }
 *
 * Integers may be JSON numbers (when safe integers) or strings (decimal or 0x-hex); amounts are
 * in units (1 ETM = 10^18). Parameters not given take their defaults. The genesis header commits
 * to the chain id and parameters through its vanity (keccak256 of their RLP), to the balances
 * through the state root, and lists the validators of height 1 as its `nextValidators`.
 *
 * `validators` are consensus keys in proposer order; they serve epochs 0 and 1. A validator
 * with an entry in `candidates` is a candidate from the start: its deposit is moved from its
 * operator's allocation into a self-lock and its RANDAO commitment registered, so it must
 * reveal in every block it proposes. `concaveOn` may be given as "candidate" or "lock";
 * `inflationSchedule` is a list of yearly rates (WAD), and `inflationRate: i` is short for
 * `inflationSchedule: [i]`.
 */
import { EtmError } from '../primitives/errors.js';
import { writeGenesisContracts } from '../execution/evm/predeploys.js';
import { rlpEncode, type RlpInput } from '../codec/rlp.js';
import { compareBytes, equalBytes, toHex, utf8 } from '../crypto/bytes.js';
import { parseAddress, toChecksumAddress } from '../crypto/address.js';
import { keccak256 } from '../crypto/keccak.js';
import { MAX_VALIDATORS } from '../consensus/extra-data.js';
import { StateDB } from '../state/state-db.js';
import {
  EMPTY_TRIE_ROOT,
  MemoryNodeStore,
  storedNodesOf,
  type TrieNodeStore,
} from '../state/trie.js';
import { StackTrieBuilder } from '../state/stack-trie.js';
import { bytesKey } from '../state/bytes-key.js';
import { emptyAccount, encodeAccount, isEmptyAccount } from '../state/account.js';
import { GenesisNodeWriter } from './genesis-writer.js';
import { BLOOM_BYTES } from '../primitives/receipt.js';
import {
  checkParams,
  DEFAULT_PARAMS,
  isListParam,
  PARAM_NAMES,
  withDerivedParams,
  WAD,
  type ChainParams,
  type ParamName,
} from '../params/registry.js';
import { CONCAVE_ON_CANDIDATE, CONCAVE_ON_LOCK } from '../params/registry.js';
import type { GenesisCandidate } from '../staking/genesis.js';
import { writeModulesGenesis } from '../execution/registry.js';
import { VOTER_BONUS_POOL } from '../primitives/system-addresses.js';
import { fromHex } from '../crypto/bytes.js';
import { genesisMix } from '../election/randao.js';
import { ZERO_HASH, type Header } from './header.js';
import type { Block } from './block.js';
import { MAX_UINT256 } from '../state/account.js';

export const DEVNET_CHAIN_ID = 4543565n;

export interface Genesis {
  chainId: bigint;
  /** Seconds since the Unix epoch. */
  timestamp: bigint;
  params: ChainParams;
  /** Sorted by address. */
  alloc: { address: Uint8Array; balance: bigint }[];
  /** Height-1 validators in proposer order. */
  validators: Uint8Array[];
  /** Candidates registered at genesis, by operator address ascending. */
  candidates: GenesisCandidate[];
}

export class GenesisError extends EtmError<'genesis'> {
  override name = 'GenesisError';

  constructor(message: string, options?: ErrorOptions) {
    super('genesis', message, options);
  }
}

export function parseInteger(value: unknown, what: string, max = MAX_UINT256): bigint {
  let v: bigint;
  if (typeof value === 'number') {
    if (!Number.isSafeInteger(value))
      throw new GenesisError(`${what}: ${value} is not a safe integer; use a string`);
    v = BigInt(value);
  } else if (typeof value === 'string' && /^(0x[0-9a-fA-F]+|[0-9]+)$/.test(value)) {
    v = BigInt(value);
  } else {
    throw new GenesisError(
      `${what}: expected an integer (number, decimal or 0x-hex string), got ${JSON.stringify(value)}`,
    );
  }
  if (v < 0n || v > max) throw new GenesisError(`${what}: ${v} is out of range`);
  return v;
}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function address(text: unknown, what: string): Uint8Array {
  if (typeof text !== 'string') throw new GenesisError(`${what}: expected an address string`);
  try {
    return parseAddress(text);
  } catch (e) {
    throw new GenesisError(`${what}: ${(e as Error).message}`);
  }
}

/** Parses and checks a genesis document (already JSON-parsed). Throws GenesisError. */
export function parseGenesis(doc: unknown): Genesis {
  if (!isObject(doc)) throw new GenesisError('genesis: expected a JSON object');
  const known = new Set(['chainId', 'timestamp', 'params', 'alloc', 'validators', 'candidates']);
  for (const k of Object.keys(doc))
    if (!known.has(k)) throw new GenesisError(`genesis: unknown field "${k}"`);
  const chainId = parseInteger(doc.chainId, 'chainId', (1n << 64n) - 1n);
  if (chainId === 0n) throw new GenesisError('chainId: must not be 0');
  const timestamp =
    doc.timestamp === undefined ? 0n : parseInteger(doc.timestamp, 'timestamp', (1n << 63n) - 1n);

  let params: ChainParams = { ...DEFAULT_PARAMS };
  const given = new Set<string>();
  if (doc.params !== undefined) {
    if (!isObject(doc.params)) throw new GenesisError('params: expected an object');
    const entries = Object.entries(doc.params);
    if ('inflationRate' in doc.params && 'inflationSchedule' in doc.params)
      throw new GenesisError('params: give inflationSchedule or inflationRate, not both');
    for (const [name, v] of entries) {
      // `inflationRate: i` is short for a schedule of one rate, `inflationSchedule: [i]`.
      const k = name === 'inflationRate' ? 'inflationSchedule' : name;
      if (!(PARAM_NAMES as readonly string[]).includes(k))
        throw new GenesisError(`params: unknown parameter "${name}"`);
      given.add(k);
      if (isListParam(k)) {
        const list = name === 'inflationRate' ? [v] : v;
        if (!Array.isArray(list))
          throw new GenesisError(`params.${k}: expected a list of integers`);
        params[k] = list.map((x, i) => parseInteger(x, `params.${k}[${i}]`));
        continue;
      }
      params[k as Exclude<ParamName, 'inflationSchedule'>] =
        k === 'concaveOn' && (v === 'candidate' || v === 'lock')
          ? v === 'lock'
            ? CONCAVE_ON_LOCK
            : CONCAVE_ON_CANDIDATE
          : parseInteger(v, `params.${k}`);
    }
  }
  params = withDerivedParams(params, given);
  try {
    checkParams(params);
  } catch (e) {
    throw new GenesisError((e as Error).message);
  }

  const alloc: Genesis['alloc'] = [];
  if (doc.alloc !== undefined) {
    if (!isObject(doc.alloc)) throw new GenesisError('alloc: expected an object keyed by address');
    const keys = Object.keys(doc.alloc);
    // The addresses share one buffer: a genesis may hold millions, and a Uint8Array with a
    // buffer of its own costs several times its 20 bytes.
    const pool = new Uint8Array(keys.length * 20);
    for (const [i, a] of keys.entries()) {
      const entry = doc.alloc[a];
      pool.set(address(a, `alloc key ${a}`), i * 20);
      const addr = pool.subarray(i * 20, i * 20 + 20);
      if (!isObject(entry)) throw new GenesisError(`alloc.${a}: expected { "balance": … }`);
      for (const k of Object.keys(entry))
        if (k !== 'balance') throw new GenesisError(`alloc.${a}: unknown field "${k}"`);
      alloc.push({ address: addr, balance: parseInteger(entry.balance, `alloc.${a}.balance`) });
    }
  }
  // Sorted by bytes (no hex strings: a genesis may hold millions of accounts); the same address
  // written twice (in another letter case) ends up adjacent.
  alloc.sort((x, y) => compareBytes(x.address, y.address));
  for (let i = 1; i < alloc.length; i++) {
    if (equalBytes(alloc[i - 1]!.address, alloc[i]!.address))
      throw new GenesisError(`alloc: ${toHex(alloc[i]!.address)} appears twice`);
  }

  if (!Array.isArray(doc.validators) || doc.validators.length === 0) {
    throw new GenesisError('validators: expected a non-empty list of addresses');
  }
  if (doc.validators.length > MAX_VALIDATORS)
    throw new GenesisError(`validators: at most ${MAX_VALIDATORS}`);
  const validators = doc.validators.map((v, i) => address(v, `validators[${i}]`));
  if (new Set(validators.map(toHex)).size !== validators.length)
    throw new GenesisError('validators: duplicate address');
  const candidates = parseCandidates(doc.candidates, validators, alloc, params);
  return { chainId, timestamp, params, alloc, validators, candidates };
}

function parseCandidates(
  value: unknown,
  validators: Uint8Array[],
  alloc: Genesis['alloc'],
  params: ChainParams,
): GenesisCandidate[] {
  if (value === undefined) return [];
  if (!Array.isArray(value)) throw new GenesisError('candidates: expected a list');
  const fields = [
    'operator',
    'consensusKey',
    'name',
    'deposit',
    'commissionBps',
    'commissionMaxBps',
    'randaoCommitment',
  ];
  const out: GenesisCandidate[] = [];
  const seen = new Set<string>();
  value.forEach((c, i) => {
    const what = `candidates[${i}]`;
    if (!isObject(c)) throw new GenesisError(`${what}: expected an object`);
    for (const k of Object.keys(c))
      if (!fields.includes(k)) throw new GenesisError(`${what}: unknown field "${k}"`);
    const operator = address(c.operator, `${what}.operator`);
    const consensusKey = address(c.consensusKey, `${what}.consensusKey`);
    if (typeof c.name !== 'string' || !/^[a-z0-9._-]{1,20}$/.test(c.name))
      throw new GenesisError(`${what}.name: 1-20 characters of a-z 0-9 . _ -`);
    const deposit = parseInteger(c.deposit, `${what}.deposit`);
    if (deposit < params.candidateDeposit)
      throw new GenesisError(`${what}.deposit: below candidateDeposit ${params.candidateDeposit}`);
    const commissionMaxBps = parseInteger(
      c.commissionMaxBps ?? 10_000,
      `${what}.commissionMaxBps`,
      10_000n,
    );
    const commissionBps = parseInteger(
      c.commissionBps ?? 0,
      `${what}.commissionBps`,
      commissionMaxBps,
    );
    if (typeof c.randaoCommitment !== 'string' || !/^0x[0-9a-fA-F]{64}$/.test(c.randaoCommitment))
      throw new GenesisError(`${what}.randaoCommitment: expected 32 bytes of hex`);
    const randaoCommitment = fromHex(c.randaoCommitment);
    for (const [k, v] of [
      ['operator', toHex(operator)],
      ['consensusKey', toHex(consensusKey)],
      ['name', c.name],
    ] as const) {
      if (seen.has(`${k}:${v}`)) throw new GenesisError(`${what}.${k}: used twice`);
      seen.add(`${k}:${v}`);
    }
    if (!validators.some((v) => toHex(v) === toHex(consensusKey)))
      throw new GenesisError(`${what}.consensusKey: not one of the genesis validators`);
    const funds = allocationOf(alloc, operator);
    out.push({
      operator,
      consensusKey,
      name: c.name,
      deposit,
      commissionBps,
      commissionMaxBps,
      randaoCommitment,
    });
    const committed = out
      .filter((x) => toHex(x.operator) === toHex(operator))
      .reduce((sum, x) => sum + x.deposit, 0n);
    if (committed > funds)
      throw new GenesisError(`${what}.deposit: exceeds the operator's allocation ${funds}`);
  });
  return out.sort((a, b) => (toHex(a.operator) < toHex(b.operator) ? -1 : 1));
}

/** The balance `alloc` (sorted by address) gives `addr`, by binary search; 0 when absent. */
function allocationOf(alloc: Genesis['alloc'], addr: Uint8Array): bigint {
  let lo = 0;
  let hi = alloc.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    const c = compareBytes(alloc[mid]!.address, addr);
    if (c === 0) return alloc[mid]!.balance;
    if (c < 0) lo = mid + 1;
    else hi = mid;
  }
  return 0n;
}

/** The genesis document for a parsed genesis (canonical: strings for big integers). */
export function genesisToJson(g: Genesis): Record<string, unknown> {
  return {
    chainId: g.chainId.toString(),
    timestamp: g.timestamp.toString(),
    params: Object.fromEntries(
      PARAM_NAMES.map((k) => {
        const v = g.params[k];
        return [k, typeof v === 'bigint' ? v.toString() : v.map((x) => x.toString())];
      }),
    ),
    alloc: Object.fromEntries(
      g.alloc.map((a) => [toChecksumAddress(a.address), { balance: a.balance.toString() }]),
    ),
    validators: g.validators.map(toChecksumAddress),
    ...(g.candidates.length === 0
      ? {}
      : {
          candidates: g.candidates.map((c) => ({
            operator: toChecksumAddress(c.operator),
            consensusKey: toChecksumAddress(c.consensusKey),
            name: c.name,
            deposit: c.deposit.toString(),
            commissionBps: c.commissionBps.toString(),
            commissionMaxBps: c.commissionMaxBps.toString(),
            randaoCommitment: toHex(c.randaoCommitment),
          })),
        }),
  };
}

/** keccak256 of RLP [chainId, [[name, value]…] sorted by name]: what the genesis vanity commits to. */
export function paramsCommitment(chainId: bigint, params: ChainParams): Uint8Array {
  return keccak256(rlpEncode([chainId, paramEntries(params)]));
}

/** [[name, value]…] sorted by name; a list parameter's value is the list of its entries. */
function paramEntries(params: ChainParams): RlpInput[] {
  return PARAM_NAMES.map((k) => [k, params[k] as RlpInput]);
}

/**
 * Where the genesis build puts its state nodes: in batches sorted by hash (`putNodes`, the
 * chain store) or one by one (`put`, a MemoryNodeStore). The build reads nothing back.
 */
export type GenesisNodeStore = TrieNodeStore &
  (
    | { putNodes(nodes: Array<[Uint8Array, Uint8Array]>): void }
    | { put(hash: Uint8Array, bytes: Uint8Array): void }
  );

/** Allocations whose nodes are gathered in memory before a write (about 20 MB of nodes). */
const GENESIS_CHUNK_ACCOUNTS = 50_000;
/** Bytes of trie nodes an allocation adds on average (its leaf and its share of branches). */
const NODE_BYTES_PER_ACCOUNT = 400;

export interface BuildGenesisOptions {
  /**
   * Allocations whose nodes are gathered in memory before they are written (default
   * GENESIS_CHUNK_ACCOUNTS); the root and the nodes do not depend on it.
   */
  chunkAccounts?: number;
  /**
   * A directory for temporary files (the data directory): with it, a genesis of more than one
   * chunk is written in the order of the node hashes (genesis-writer.ts).
   */
  spillDir?: string;
}

/**
 * The trie keys keccak256(address) of the allocations in one buffer (32 bytes each), and the
 * allocation indices in the order of those keys: a counting sort by the first 16 bits, then an
 * insertion sort within each group (a few entries each). No object per allocation is made.
 */
function trieOrder(alloc: Genesis['alloc']): { keys: Uint8Array; order: Uint32Array } {
  const n = alloc.length;
  const keys = new Uint8Array(n * 32);
  const counts = new Uint32Array(65_537);
  for (let i = 0; i < n; i++) {
    const h = keccak256(alloc[i]!.address);
    keys.set(h, i * 32);
    counts[((h[0]! << 8) | h[1]!) + 1]!++;
  }
  for (let p = 1; p < counts.length; p++) counts[p]! += counts[p - 1]!;
  const order = new Uint32Array(n);
  const next = counts.slice(0, 65_536);
  for (let i = 0; i < n; i++) order[next[(keys[i * 32]! << 8) | keys[i * 32 + 1]!]!++] = i;
  const keyOf = (i: number) => keys.subarray(i * 32, i * 32 + 32);
  for (let p = 0; p < 65_536; p++) {
    for (let j = counts[p]! + 1; j < counts[p + 1]!; j++) {
      const x = order[j]!;
      const kx = keyOf(x);
      let k = j - 1;
      while (k >= counts[p]! && compareBytes(keyOf(order[k]!), kx) > 0) {
        order[k + 1] = order[k]!;
        k--;
      }
      order[k + 1] = x;
    }
  }
  return { keys, order };
}

/**
 * Builds the genesis block, writing its state nodes to `store` (none are returned).
 *
 * The system records (modules, contracts, the voter bonus pool) are written first on a small
 * state of their own, which reads the allocations it needs from the sorted list. The account
 * trie is then built in one pass in key order (stack-trie.ts): the allocations sorted by
 * keccak256(address), merged with the accounts the system writes changed. Each finished
 * subtree leaves memory as soon as it is complete, so memory stays bounded by the trie's depth
 * plus a batch of nodes; the nodes are written in the order of their hashes (genesis-writer.ts).
 * The root is the one a single commit of everything gives (test/chain/genesis-store.test.ts).
 */
export function buildGenesis(
  g: Genesis,
  store: GenesisNodeStore,
  options: BuildGenesisOptions = {},
): { block: Block } {
  const chunk = options.chunkAccounts ?? GENESIS_CHUNK_ACCOUNTS;
  if (!Number.isSafeInteger(chunk) || chunk < 1)
    throw new GenesisError(`chunkAccounts: expected a positive integer, got ${chunk}`);
  let allocated = 0n;
  for (const a of g.alloc) allocated += a.balance;

  // The system writes, over the allocations as they read before them.
  const sysStore = new MemoryNodeStore();
  const state = new StateDB(EMPTY_TRIE_ROOT, sysStore, null, (address) => {
    const balance = allocationOf(g.alloc, address);
    return balance === 0n ? null : { ...emptyAccount(), balance };
  });
  // The voter bonus pool is bonusPoolShare of the genesis supply, on top of the allocations.
  const share = g.params.bonusPoolShare;
  const bonusPool = (allocated * share) / (WAD - share);
  const pool = state.getAccount(VOTER_BONUS_POOL);
  state.putAccount(VOTER_BONUS_POOL, { ...pool, balance: pool.balance + bonusPool });
  writeModulesGenesis({
    state,
    params: g.params,
    validators: g.validators,
    candidates: g.candidates,
    supply: allocated + bonusPool,
    chainId: g.chainId,
  });
  writeGenesisContracts(state);
  const touched = state.touched();
  const sys = state.commit();
  for (const [h, n] of sys.nodes) sysStore.put(h, n);
  // The system accounts in key order, with their final encodings (null: left empty).
  const changed = touched
    .map((address) => {
      const account = state.getAccount(address);
      return {
        key: keccak256(address),
        encoded: isEmptyAccount(account) ? null : encodeAccount(account),
      };
    })
    .sort((x, y) => compareBytes(x.key, y.key));

  const writer = new GenesisNodeWriter(
    store,
    chunk * NODE_BYTES_PER_ACCOUNT > 1 << 30 ? 1 << 30 : chunk * NODE_BYTES_PER_ACCOUNT,
    options.spillDir,
  );
  let root: Uint8Array;
  try {
    // Storage tries and code of the system accounts; the account trie of that small state
    // (only the system accounts) is not part of the genesis.
    const partial = storedNodesOf(sysStore, sys.root);
    for (const [h, n] of sys.nodes) if (!partial.has(bytesKey(h))) writer.add(h, n);

    const builder = new StackTrieBuilder((h, n) => writer.add(h, n));
    const { keys, order } = trieOrder(g.alloc);
    let c = 0;
    const emitChanged = () => {
      const e = changed[c++]!;
      if (e.encoded !== null) builder.add(e.key, e.encoded);
    };
    for (let i = 0; i < order.length; i++) {
      const index = order[i]!;
      const key = keys.subarray(index * 32, index * 32 + 32);
      let cmp = 1;
      while (c < changed.length && (cmp = compareBytes(changed[c]!.key, key)) < 0) emitChanged();
      if (c < changed.length && cmp === 0) {
        emitChanged(); // a system write changed this allocation
        continue;
      }
      const balance = g.alloc[index]!.balance;
      if (balance === 0n) continue; // an empty account is not kept
      builder.add(key, encodeAccount({ ...emptyAccount(), balance }));
    }
    while (c < changed.length) emitChanged();
    root = builder.finish();
    writer.finish();
  } catch (e) {
    writer.abort();
    throw e;
  }
  const header: Header = {
    parentHash: ZERO_HASH,
    coinbase: new Uint8Array(20),
    stateRoot: root,
    transactionsRoot: EMPTY_TRIE_ROOT,
    receiptsRoot: EMPTY_TRIE_ROOT,
    logsBloom: new Uint8Array(BLOOM_BYTES),
    number: 0n,
    gasLimit: g.params.blockGasLimit,
    gasUsed: 0n,
    timestamp: g.timestamp,
    extra: {
      vanity: paramsCommitment(g.chainId, g.params),
      round: 0,
      commitSeals: [],
      parentSealBitmap: new Uint8Array(0),
      randaoReveal: new Uint8Array(0),
      nextValidators: g.validators,
      proposalRound: 0,
      parentRound: 0,
      parentSeals: [],
    },
    mixHash: genesisMix(g.chainId),
    baseFeePerGas: g.params.minBaseFee,
  };
  return { block: { header, transactions: [] } };
}

/** Allocations hashed together in one group of the genesis digest. */
const DIGEST_GROUP = 4096;

/**
 * Names the way a genesis document becomes a genesis state and block: bumped whenever that
 * changes (a new state record, a new header field), so that a data directory built the old way
 * is refused instead of trusted.
 */
const GENESIS_STATE_VERSION = 'etm-genesis-7';

/**
 * keccak256 of the whole parsed genesis (chain id, time, every parameter, allocation, validator
 * and candidate), cheap next to building its state: a data directory keeps it to recognise its
 * genesis on the next start without rebuilding. Two documents that parse to the same genesis
 * (number or string, letter case of addresses, key order) give the same digest. The
 * allocations are hashed in groups so that no encoding of them all is held at once.
 */
export function genesisDigest(g: Genesis): Uint8Array {
  const groups: Uint8Array[] = [];
  for (let start = 0; start < g.alloc.length; start += DIGEST_GROUP) {
    const group = g.alloc
      .slice(start, start + DIGEST_GROUP)
      .map((a) => [a.address, a.balance] as [Uint8Array, bigint]);
    groups.push(keccak256(rlpEncode(group)));
  }
  const params = paramEntries(g.params);
  const candidates = g.candidates.map((c) => [
    c.operator,
    c.consensusKey,
    utf8(c.name),
    c.deposit,
    c.commissionBps,
    c.commissionMaxBps,
    c.randaoCommitment,
  ]);
  return keccak256(
    rlpEncode([
      utf8(GENESIS_STATE_VERSION),
      g.chainId,
      g.timestamp,
      params,
      BigInt(g.alloc.length),
      groups,
      g.validators,
      candidates,
    ]),
  );
}
