/**
 * Every method the server lists, over HTTP against a real RpcServer and the fake backend:
 * results, formats (minimal quantities, lower-case data, geth field sets) and error mapping.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Transaction, Wallet, type TransactionLike } from 'ethers';
import { toHex, utf8 } from '../../src/crypto/bytes.js';
import { keccak256 } from '../../src/crypto/keccak.js';
import { RpcHandler } from '../../src/rpc/handler.js';
import {
  CHAIN_ID,
  DEV_ADDRESS,
  DEV_KEY,
  EXPLODING,
  FakeBackend,
  GWEI,
  OTHER_TOPIC,
  RECIPIENT,
  REVERT_DATA,
  REVERTER,
  TOKEN,
  TRANSFER_TOPIC,
  VALIDATORS,
} from './fake-backend.js';
import {
  call,
  dataOf,
  QUANTITY,
  result,
  rpcError,
  startServer,
  type TestServer,
} from './helpers.js';

/** Every method served, as RpcHandler lists them. */
const SERVED = [
  'debug_traceCall',
  'debug_traceTransaction',
  'eth_accounts',
  'eth_blockNumber',
  'eth_call',
  'eth_chainId',
  'eth_createAccessList',
  'eth_estimateGas',
  'eth_feeHistory',
  'eth_gasPrice',
  'eth_getBalance',
  'eth_getBlockByHash',
  'eth_getBlockByNumber',
  'eth_getBlockReceipts',
  'eth_getBlockTransactionCountByHash',
  'eth_getBlockTransactionCountByNumber',
  'eth_getCode',
  'eth_getFilterChanges',
  'eth_getFilterLogs',
  'eth_getLogs',
  'eth_getProof',
  'eth_getStorageAt',
  'eth_getTransactionByBlockHashAndIndex',
  'eth_getTransactionByBlockNumberAndIndex',
  'eth_getTransactionByHash',
  'eth_getTransactionCount',
  'eth_getTransactionReceipt',
  'eth_getUncleCountByBlockHash',
  'eth_getUncleCountByBlockNumber',
  'eth_hashrate',
  'eth_maxPriorityFeePerGas',
  'eth_mining',
  'eth_newBlockFilter',
  'eth_newFilter',
  'eth_newPendingTransactionFilter',
  'eth_sendRawTransaction',
  'eth_subscribe',
  'eth_syncing',
  'eth_uninstallFilter',
  'eth_unsubscribe',
  'etm_getCandidates',
  'etm_getEconomics',
  'etm_getElection',
  'etm_getEpoch',
  'etm_getEvidence',
  'etm_getLocks',
  'etm_getProposal',
  'etm_getProposals',
  'etm_getValidators',
  'net_listening',
  'net_peerCount',
  'net_version',
  'txpool_content',
  'txpool_contentFrom',
  'txpool_status',
  'web3_clientVersion',
  'web3_sha3',
];

/** Methods a test below got a successful result from. */
const answered = new Set<string>();

let s: TestServer;
let url: string;
let be: FakeBackend;

async function ok<T = unknown>(method: string, params: unknown[] = []): Promise<T> {
  const value = await result<T>(url, method, params);
  answered.add(method);
  return value;
}

beforeAll(async () => {
  s = await startServer();
  url = s.httpUrl;
  be = s.backend;
});
afterAll(() => s.close());

const hex = toHex;
const blockHashOf = (n: number): string => hex(be.blocks[n]!.hash);
const txHashOf = (i: number): string => hex(be.blocks[1]!.transactions[i]!.hash);
const ZERO_BLOOM = '0x' + '00'.repeat(256);
const PADDED = (addr: string): string => '0x' + addr.slice(2).padStart(64, '0');

/** The JSON of a fake block with `transactions` given, field by field, in geth's order. */
function expectedBlock(n: number, transactions: unknown[]): Record<string, unknown> {
  const b = be.blocks[n]!;
  return {
    baseFeePerGas: '0x1a13b8600',
    difficulty: '0x0',
    extraData: '0xe7a0',
    gasLimit: '0x1c9c380',
    gasUsed: n === 1 ? '0xf618' : '0x0',
    hash: hex(b.hash),
    logsBloom: ZERO_BLOOM,
    miner: VALIDATORS[n % 3]!.toLowerCase(),
    mixHash: hex(b.mixHash),
    nonce: '0x0000000000000000',
    number: `0x${n}`,
    parentHash: n === 0 ? '0x' + '00'.repeat(32) : blockHashOf(n - 1),
    receiptsRoot: hex(b.receiptsRoot),
    sha3Uncles: '0x1dcc4de8dec75d7aab85b567b6ccd41ad312451b948a7413f0a142fd40d49347',
    size: '0x258',
    stateRoot: hex(b.stateRoot),
    timestamp: `0x${(1_700_000_000 + n).toString(16)}`,
    totalDifficulty: '0x0',
    transactions,
    transactionsRoot: hex(b.transactionsRoot),
    uncles: [],
  };
}

/**
 * Rebuilds the signed transaction from its RPC JSON: the fields must serialize to the bytes
 * whose hash is `hash`, and the signature must recover `from`.
 */
function checkSignedTxJson(tx: Record<string, string | unknown>): void {
  const type = Number(tx.type);
  const like: TransactionLike = {
    type,
    chainId: BigInt(tx.chainId as string),
    nonce: Number(tx.nonce),
    gasLimit: BigInt(tx.gas as string),
    to: tx.to as string,
    value: BigInt(tx.value as string),
    data: tx.input as string,
    signature: {
      r: '0x' + (tx.r as string).slice(2).padStart(64, '0'),
      s: '0x' + (tx.s as string).slice(2).padStart(64, '0'),
      v: type === 0 ? BigInt(tx.v as string) : 27 + Number(tx.yParity),
    },
  };
  if (type === 2) {
    like.maxFeePerGas = BigInt(tx.maxFeePerGas as string);
    like.maxPriorityFeePerGas = BigInt(tx.maxPriorityFeePerGas as string);
  } else {
    like.gasPrice = BigInt(tx.gasPrice as string);
  }
  if (type !== 0) like.accessList = tx.accessList as TransactionLike['accessList'];
  const rebuilt = Transaction.from(like);
  expect(rebuilt.hash).toBe(tx.hash);
  expect(rebuilt.from!.toLowerCase()).toBe(tx.from);
}

describe('method list', () => {
  it('serves exactly the documented methods', () => {
    expect(new RpcHandler({ backend: be }).methodNames).toEqual(SERVED);
  });
});

describe('node and network', () => {
  it('eth_chainId is the chain id as a quantity, net_version the same in decimal', async () => {
    expect(await ok('eth_chainId')).toBe('0x45544d');
    expect(BigInt('0x45544d')).toBe(CHAIN_ID);
    expect(await ok('net_version')).toBe('4543565');
  });

  it('web3_clientVersion is the backend version string', async () => {
    expect(await ok('web3_clientVersion')).toBe('etm/0.1.0/test');
  });

  it('web3_sha3 is keccak-256 of the data', async () => {
    expect(await ok('web3_sha3', ['0x'])).toBe(
      '0xc5d2460186f7233c927e7db2dcc703c0e500b653ca82273b7bfad8045d85a470',
    );
    expect(await ok('web3_sha3', ['0x68656c6c6f'])).toBe(hex(keccak256(utf8('hello'))));
  });

  it('net_listening, net_peerCount, eth_accounts, eth_mining, eth_hashrate', async () => {
    expect(await ok('net_listening')).toBe(true);
    expect(await ok('net_peerCount')).toBe('0x3');
    expect(await ok('eth_accounts')).toEqual([]);
    expect(await ok('eth_mining')).toBe(false);
    expect(await ok('eth_hashrate')).toBe('0x0');
  });

  it('eth_syncing is false when in sync, else the three heights as quantities', async () => {
    expect(await ok('eth_syncing')).toBe(false);
    be.syncState = { startingBlock: 0n, currentBlock: 2n, highestBlock: 300n };
    try {
      expect(await ok('eth_syncing')).toEqual({
        startingBlock: '0x0',
        currentBlock: '0x2',
        highestBlock: '0x12c',
      });
    } finally {
      be.syncState = false;
    }
  });

  it('etm_getValidators: next height, epoch, checksummed validators and proposer', async () => {
    expect(await ok('etm_getValidators')).toEqual({
      height: '0x3',
      epoch: '0x0',
      validators: VALIDATORS,
      proposer: VALIDATORS[0],
    });
    const { validators } = await ok<{ validators: string[] }>('etm_getValidators');
    // EIP-55: mixed case, not the lower-case form used for DATA elsewhere.
    for (const v of validators) expect(v).not.toBe(v.toLowerCase());
  });

  it('etm_getEpoch: the current epoch or a given one, null when unknown', async () => {
    const e = await ok<Record<string, unknown>>('etm_getEpoch');
    expect(e).toEqual({
      epoch: '0x1',
      firstBlock: '0x15',
      lastBlock: '0x28',
      validators: VALIDATORS,
      operators: VALIDATORS,
      seed: '0x' + '05'.repeat(32),
    });
    expect(await ok('etm_getEpoch', ['0x0'])).toMatchObject({ epoch: '0x0', firstBlock: '0x1' });
    expect(await ok('etm_getEpoch', ['0x9'])).toBeNull();
    expect((await call(url, 'etm_getEpoch', ['9'])).error?.code).toBe(-32602);
  });

  it('etm_getEvidence: accepted equivocation evidence at a block', async () => {
    expect(await ok('etm_getEvidence')).toEqual([
      {
        validator: VALIDATORS[1],
        operator: VALIDATORS[1],
        height: '0x4',
        round: '0x1',
        type: '0x1',
        reporter: VALIDATORS[0],
        slashed: '0x64',
        block: '0x5',
      },
    ]);
    expect(await ok('etm_getEvidence', ['0x0'])).toEqual([]);
    expect((await call(url, 'etm_getEvidence', ['nope'])).error?.code).toBe(-32602);
  });

  it('etm_getCandidates: amounts as quantities, weights and chances as exact decimals', async () => {
    expect(await ok('etm_getCandidates')).toEqual([
      {
        address: VALIDATORS[0],
        consensusKey: VALIDATORS[1],
        name: 'alpha',
        deposit: '0x3635c9adc5dea00000',
        status: 'active',
        commissionBps: '0x3e8',
        commissionMaxBps: '0x7d0',
        votes: '0x3635c9adc5dea00000',
        X: '177.5',
        v: '1',
        m: '0x3',
        n: '0x3',
        R: '177.5',
        probability: '0.25',
        elected: true,
      },
    ]);
    expect(await ok('etm_getCandidates', ['0x1'])).toHaveLength(1);
    expect(await rpcError(url, 'etm_getCandidates', ['0xffffff'])).toEqual({
      code: -32001,
      message: 'header not found',
    });
    expect((await call(url, 'etm_getCandidates', ['soon'])).error?.code).toBe(-32602);
  });

  it('etm_getLocks: an address is required and checked', async () => {
    const owner = '0x' + 'ab'.repeat(20);
    expect(await ok('etm_getLocks', [owner])).toEqual([
      {
        id: '0x7',
        owner: '0xABaBaBaBABabABabAbAbABAbABabababaBaBABaB',
        amount: '0xde0b6b3a7640000',
        candidate: null,
        since: '0x2',
        t: '0x1',
        x: '0xde0b6b3a7640000',
        pending: '0x3039',
        autoCompound: true,
      },
    ]);
    expect((await call(url, 'etm_getLocks', [])).error?.code).toBe(-32602);
    expect((await call(url, 'etm_getLocks', ['0x1234'])).error?.code).toBe(-32602);
  });

  it('etm_getProposals and etm_getProposal: kind, status, details, timeline, tally, turnout', async () => {
    const one = await ok<Record<string, unknown>>('etm_getProposal', ['0x1']);
    expect(one).toEqual({
      id: '0x1',
      kind: 'parameter-change',
      status: 'executed',
      proposer: one.proposer,
      deposit: '0x8ac7230489e80000',
      payload: one.payload,
      details: { name: 'lotterySeats', value: '2' },
      timeline: {
        submitted: '0x5',
        depositEnd: '0x2d',
        votingStart: '0x5',
        votingEnd: '0x14',
        executeAt: '0x28',
        closedAt: '0x14',
      },
      tally: {
        final: true,
        yes: '0xa2a15d09519be00000',
        no: '0x0',
        abstain: '0x3635c9adc5dea00000',
        veto: '0x0',
        totalLocked: '0x1b1ae4d6e2ef5000000',
      },
      turnout: '0.5',
      note: null,
    });
    expect(await ok('etm_getProposal', ['0x2'])).toBeNull();
    expect(await ok('etm_getProposals')).toEqual([one]);
    expect(await ok('etm_getProposals', ['0x1'])).toEqual([]);
    expect((await call(url, 'etm_getProposal', [])).error?.code).toBe(-32602);
    expect((await call(url, 'etm_getProposals', ['soon'])).error?.code).toBe(-32602);
  });

  it('etm_getEconomics: amounts as quantities, rates as decimal strings, at a block', async () => {
    const latest = await ok<Record<string, unknown>>('etm_getEconomics');
    const head = BigInt(await ok<string>('eth_blockNumber'));
    expect(latest).toEqual({
      block: '0x' + head.toString(16),
      supply: '0x' + (500_000_000n * 10n ** 18n + head).toString(16),
      totalLocked: '0x52b7d2dcc80cd2e4000000',
      stakingRatio: '0.2',
      inflationRate: '0.1',
      inflationYear: '0x1',
      nextInflationSwitch: '0xa06681',
      blocksPerYear: '0xa06680',
      validatorInflationShare: '0.1',
      perBlockRate: '0.000000009066891029140510346539793566',
      rewardPerTokenPerBlock: null,
      minted: '0x10e36e38a',
      mintedTotal: '0x9',
      apyEstimate: null,
      apyCurrent: null,
      bonusReleased: '0x0',
      bonusPending: '0x0',
      bonusPool: '0x14adf4b7320334b9000000',
      treasury: '0x1',
      rewardPool: '0x2',
    });
    expect((await ok<{ supply: string }>('etm_getEconomics', ['0x1'])).supply).toBe(
      '0x' + (500_000_000n * 10n ** 18n + 1n).toString(16),
    );
    expect(await rpcError(url, 'etm_getEconomics', ['0xffffff'])).toEqual({
      code: -32001,
      message: 'header not found',
    });
    expect((await call(url, 'etm_getEconomics', ['soon'])).error?.code).toBe(-32602);
  });

  it('etm_getElection: seed, ranked, drawn with probabilities, order', async () => {
    expect(await ok('etm_getElection', ['0x2'])).toEqual({
      epoch: '0x2',
      electedAt: '0x14',
      seed: '0x' + '09'.repeat(32),
      rankedSeats: '0x1',
      lotterySeats: '0x1',
      candidates: [
        { address: VALIDATORS[0], R: '3' },
        { address: VALIDATORS[2], R: '1.000000000000000000000000000000000001' },
      ],
      ranked: [VALIDATORS[0]],
      drawn: [{ address: VALIDATORS[2], w: '0x1', W: '0x4', z: '0x3', probability: '0.25' }],
      filled: [],
      order: [VALIDATORS[2], VALIDATORS[0]],
      validators: [VALIDATORS[2], VALIDATORS[0]],
    });
    expect(await ok('etm_getElection', ['0x3'])).toBeNull();
  });

  it('methods without parameters refuse any', async () => {
    for (const method of ['eth_chainId', 'net_version', 'eth_blockNumber', 'etm_getValidators']) {
      expect(await rpcError(url, method, [1])).toEqual({
        code: -32602,
        message: 'too many arguments, want at most 0, got 1',
      });
    }
  });
});

describe('blocks', () => {
  it('eth_blockNumber is the head as a minimal quantity', async () => {
    expect(await ok('eth_blockNumber')).toBe('0x2');
  });

  it('eth_getBlockByNumber with hashes only', async () => {
    const block = await ok<Record<string, unknown>>('eth_getBlockByNumber', ['0x1', false]);
    expect(block).toEqual(expectedBlock(1, [txHashOf(0), txHashOf(1), txHashOf(2)]));
    // geth prints block fields in alphabetical order.
    expect(Object.keys(block)).toEqual(Object.keys(block).sort());
  });

  it('the full-transactions flag defaults to false', async () => {
    expect(await ok('eth_getBlockByNumber', ['0x1'])).toEqual(
      await ok('eth_getBlockByNumber', ['0x1', false]),
    );
  });

  it('eth_getBlockByNumber with full transactions of each type', async () => {
    const block = await ok<{ transactions: Record<string, unknown>[] }>('eth_getBlockByNumber', [
      '0x1',
      true,
    ]);
    const [legacy, accessList, dynamic] = block.transactions as [
      Record<string, unknown>,
      Record<string, unknown>,
      Record<string, unknown>,
    ];
    const common = {
      blockHash: blockHashOf(1),
      blockNumber: '0x1',
      from: DEV_ADDRESS,
    };
    expect(legacy).toMatchObject({
      ...common,
      gas: '0x5208',
      gasPrice: '0x2540be400',
      hash: txHashOf(0),
      input: '0x',
      nonce: '0x0',
      to: RECIPIENT,
      transactionIndex: '0x0',
      value: '0x1',
      type: '0x0',
      chainId: '0x45544d',
    });
    // EIP-155 v: chainId * 2 + 35 + yParity.
    expect([CHAIN_ID * 2n + 35n, CHAIN_ID * 2n + 36n]).toContain(BigInt(legacy.v as string));
    expect(Object.keys(legacy)).toEqual([
      'blockHash',
      'blockNumber',
      'from',
      'gas',
      'gasPrice',
      'hash',
      'input',
      'nonce',
      'to',
      'transactionIndex',
      'value',
      'type',
      'chainId',
      'v',
      'r',
      's',
    ]);
    expect(accessList).toMatchObject({
      ...common,
      gas: '0xc350',
      gasPrice: '0x218711a00',
      input: '0x1234',
      nonce: '0x1',
      to: TOKEN,
      transactionIndex: '0x1',
      value: '0x0',
      type: '0x1',
      accessList: [{ address: TOKEN, storageKeys: [hex(keccak256(utf8('slot')))] }],
    });
    expect(accessList.yParity).toBe(accessList.v);
    expect(Object.keys(accessList)).not.toContain('maxFeePerGas');
    expect(dynamic).toMatchObject({
      ...common,
      gas: '0xea60',
      // Mined: the effective price, base fee 7 gwei + tip 2 gwei.
      gasPrice: '0x218711a00',
      maxFeePerGas: '0x4a817c800',
      maxPriorityFeePerGas: '0x77359400',
      input: '0xa9059cbb',
      nonce: '0x2',
      transactionIndex: '0x2',
      value: '0x5',
      type: '0x2',
      accessList: [],
    });
    expect(Object.keys(dynamic)).toEqual([
      'blockHash',
      'blockNumber',
      'from',
      'gas',
      'gasPrice',
      'maxFeePerGas',
      'maxPriorityFeePerGas',
      'hash',
      'input',
      'nonce',
      'to',
      'transactionIndex',
      'value',
      'type',
      'accessList',
      'chainId',
      'v',
      'r',
      's',
      'yParity',
    ]);
    for (const tx of block.transactions) {
      for (const field of ['gas', 'gasPrice', 'nonce', 'value', 'v', 'r', 's', 'chainId']) {
        expect(tx[field]).toMatch(QUANTITY);
      }
      checkSignedTxJson(tx);
    }
  });

  it('tags: latest, pending, safe and finalized are the head, earliest is genesis', async () => {
    const head = expectedBlock(2, []);
    for (const tag of ['latest', 'pending', 'safe', 'finalized']) {
      expect(await ok('eth_getBlockByNumber', [tag, false])).toEqual(head);
    }
    expect(await ok('eth_getBlockByNumber', ['earliest', false])).toEqual(expectedBlock(0, []));
    expect(await ok('eth_getBlockByNumber', ['0x0', false])).toEqual(expectedBlock(0, []));
  });

  it('an unknown block number or hash is null, not an error', async () => {
    expect(await ok('eth_getBlockByNumber', ['0x3', false])).toBeNull();
    expect(await ok('eth_getBlockByNumber', ['0xffffffffffffffff', true])).toBeNull();
    expect(await ok('eth_getBlockByHash', ['0x' + '11'.repeat(32), false])).toBeNull();
  });

  it('eth_getBlockByHash gives the same block as by number', async () => {
    for (const full of [false, true]) {
      expect(await ok('eth_getBlockByHash', [blockHashOf(1), full])).toEqual(
        await ok('eth_getBlockByNumber', ['0x1', full]),
      );
    }
    // Hashes are accepted in upper-case hex.
    expect(
      await ok<{ number: string }>('eth_getBlockByHash', [
        '0x' + blockHashOf(0).slice(2).toUpperCase(),
      ]),
    ).toMatchObject({ number: '0x0' });
  });

  it('transaction counts, uncle counts and transactions by index', async () => {
    expect(await ok('eth_getBlockTransactionCountByNumber', ['0x1'])).toBe('0x3');
    expect(await ok('eth_getBlockTransactionCountByNumber', ['latest'])).toBe('0x0');
    expect(await ok('eth_getBlockTransactionCountByNumber', ['0x9'])).toBeNull();
    expect(await ok('eth_getBlockTransactionCountByHash', [blockHashOf(1)])).toBe('0x3');
    expect(await ok('eth_getBlockTransactionCountByHash', ['0x' + '22'.repeat(32)])).toBeNull();
    expect(await ok('eth_getUncleCountByBlockNumber', ['0x1'])).toBe('0x0');
    expect(await ok('eth_getUncleCountByBlockNumber', ['0x9'])).toBeNull();
    expect(await ok('eth_getUncleCountByBlockHash', [blockHashOf(2)])).toBe('0x0');
    expect(await ok('eth_getUncleCountByBlockHash', ['0x' + '22'.repeat(32)])).toBeNull();

    const byHash = await ok<{ hash: string }>('eth_getTransactionByHash', [txHashOf(2)]);
    expect(await ok('eth_getTransactionByBlockNumberAndIndex', ['0x1', '0x2'])).toEqual(byHash);
    expect(await ok('eth_getTransactionByBlockHashAndIndex', [blockHashOf(1), '0x2'])).toEqual(
      byHash,
    );
    expect(await ok('eth_getTransactionByBlockNumberAndIndex', ['0x1', '0x3'])).toBeNull();
    expect(await ok('eth_getTransactionByBlockNumberAndIndex', ['0x9', '0x0'])).toBeNull();
    expect(
      await ok('eth_getTransactionByBlockHashAndIndex', ['0x' + '22'.repeat(32), '0x0']),
    ).toBeNull();
  });

  it('eth_getBlockReceipts lists the receipts of a block, by number, tag or hash', async () => {
    const receipts = await ok<{ transactionHash: string }[]>('eth_getBlockReceipts', ['0x1']);
    expect(receipts.map((r) => r.transactionHash)).toEqual([0, 1, 2].map(txHashOf));
    expect(await ok('eth_getBlockReceipts', [blockHashOf(1)])).toEqual(receipts);
    expect(await ok('eth_getBlockReceipts', [{ blockHash: blockHashOf(1) }])).toEqual(receipts);
    expect(await ok('eth_getBlockReceipts', ['latest'])).toEqual([]);
    expect(await ok('eth_getBlockReceipts', ['0x7'])).toBeNull();
  });
});

describe('state', () => {
  it('eth_getBalance at latest (the default), a number, a hash and EIP-1898 objects', async () => {
    const expected = '0xd3c21bcecceda1000000'; // 10^24
    expect(await ok('eth_getBalance', [DEV_ADDRESS])).toBe(expected);
    expect(await ok('eth_getBalance', [DEV_ADDRESS, 'latest'])).toBe(expected);
    expect(await ok('eth_getBalance', [DEV_ADDRESS, '0x2'])).toBe(expected);
    expect(await ok('eth_getBalance', [DEV_ADDRESS, blockHashOf(2)])).toBe(expected);
    expect(await ok('eth_getBalance', [DEV_ADDRESS, { blockHash: blockHashOf(1) }])).toBe(expected);
    expect(
      await ok('eth_getBalance', [
        DEV_ADDRESS,
        { blockHash: blockHashOf(1), requireCanonical: true },
      ]),
    ).toBe(expected);
    expect(await ok('eth_getBalance', [DEV_ADDRESS, { blockNumber: '0x1' }])).toBe(expected);
    // The fake's genesis holds nothing: the block parameter really selects the state.
    expect(await ok('eth_getBalance', [DEV_ADDRESS, 'earliest'])).toBe('0x0');
    expect(await ok('eth_getBalance', [DEV_ADDRESS, { blockNumber: '0x0' }])).toBe('0x0');
    expect(await ok('eth_getBalance', [RECIPIENT])).toBe('0x0');
    // Upper-case and checksummed addresses are the same account.
    expect(await ok('eth_getBalance', ['0xf39Fd6e51aad88F6F4ce6aB8827279cffFb92266'])).toBe(
      expected,
    );
  });

  it('state queries at an unknown block are -32001 header not found', async () => {
    expect(await rpcError(url, 'eth_getBalance', [DEV_ADDRESS, '0x3'])).toEqual({
      code: -32001,
      message: 'header not found',
    });
    expect(await rpcError(url, 'eth_getCode', [TOKEN, '0x' + '33'.repeat(32)])).toEqual({
      code: -32001,
      message: 'header for hash not found',
    });
    expect(
      await rpcError(url, 'eth_getTransactionCount', [DEV_ADDRESS, { blockNumber: '0x10' }]),
    ).toEqual({ code: -32001, message: 'header not found' });
  });

  it('EIP-1898 objects are checked', async () => {
    expect(
      await rpcError(url, 'eth_getBalance', [
        DEV_ADDRESS,
        { blockHash: blockHashOf(1), blockNumber: '0x1' },
      ]),
    ).toEqual({
      code: -32602,
      message:
        'invalid argument 1 (block): cannot specify both blockHash and blockNumber, choose one or the other',
    });
    expect(await rpcError(url, 'eth_getBalance', [DEV_ADDRESS, {}])).toEqual({
      code: -32602,
      message: 'invalid argument 1 (block): expected blockHash or blockNumber',
    });
    expect(
      await rpcError(url, 'eth_getBalance', [
        DEV_ADDRESS,
        { blockNumber: '0x1', requireCanonical: true },
      ]),
    ).toEqual({
      code: -32602,
      message: 'invalid argument 1 (block): requireCanonical applies only to blockHash',
    });
  });

  it('eth_getTransactionCount: state nonce, or with the mempool for pending', async () => {
    const local = await startServer();
    try {
      expect(await result(local.httpUrl, 'eth_getTransactionCount', [DEV_ADDRESS])).toBe('0x3');
      expect(await result(local.httpUrl, 'eth_getTransactionCount', [DEV_ADDRESS, 'pending'])).toBe(
        '0x3',
      );
      const raw = await new Wallet(DEV_KEY).signTransaction({
        type: 2,
        chainId: CHAIN_ID,
        nonce: 3,
        maxFeePerGas: 20n * GWEI,
        maxPriorityFeePerGas: GWEI,
        gasLimit: 21_000n,
        to: RECIPIENT,
      });
      await result(local.httpUrl, 'eth_sendRawTransaction', [raw]);
      expect(await result(local.httpUrl, 'eth_getTransactionCount', [DEV_ADDRESS, 'pending'])).toBe(
        '0x4',
      );
      expect(
        await result(local.httpUrl, 'eth_getTransactionCount', [
          DEV_ADDRESS,
          { blockNumber: 'pending' },
        ]),
      ).toBe('0x4');
      expect(await result(local.httpUrl, 'eth_getTransactionCount', [DEV_ADDRESS, 'latest'])).toBe(
        '0x3',
      );
      expect(await result(local.httpUrl, 'eth_getTransactionCount', [RECIPIENT, 'pending'])).toBe(
        '0x0',
      );
      answered.add('eth_getTransactionCount');
    } finally {
      await local.close();
    }
  });

  it('eth_getCode: the code, 0x for an account without code', async () => {
    expect(await ok('eth_getCode', [TOKEN])).toBe('0x6080604052');
    expect(await ok('eth_getCode', [TOKEN, 'latest'])).toBe('0x6080604052');
    expect(await ok('eth_getCode', [DEV_ADDRESS, '0x1'])).toBe('0x');
  });

  it('eth_getStorageAt: a 32-byte word; slots may be short or full-width', async () => {
    const value = '0x' + '2a'.padStart(64, '0');
    expect(await ok('eth_getStorageAt', [TOKEN, '0x0'])).toBe(value);
    expect(await ok('eth_getStorageAt', [TOKEN, '0x' + '00'.repeat(32), 'latest'])).toBe(value);
    expect(await ok('eth_getStorageAt', [TOKEN, '0x000'])).toBe(value);
    expect(await ok('eth_getStorageAt', [TOKEN, '0x1'])).toBe('0x' + '00'.repeat(32));
    expect(await rpcError(url, 'eth_getStorageAt', [TOKEN, '0x' + '00'.repeat(33)])).toEqual({
      code: -32602,
      message: 'invalid argument 1 (storage slot): storage key longer than 32 bytes',
    });
  });
});

describe('execution and fees', () => {
  it('eth_gasPrice and eth_maxPriorityFeePerGas are quantities from the backend', async () => {
    expect(await ok('eth_gasPrice')).toBe('0x218711a00'); // 9 gwei
    expect(await ok('eth_maxPriorityFeePerGas')).toBe('0x77359400'); // 2 gwei
  });

  it('eth_feeHistory: oldest block, base fees (one more than blocks), ratios, rewards', async () => {
    expect(await ok('eth_feeHistory', ['0x2', 'latest', [25, 75]])).toEqual({
      oldestBlock: '0x1',
      baseFeePerGas: ['0x1a13b8600', '0x1a13b8600', '0x1a13b8600'],
      gasUsedRatio: [0.0021, 0],
      reward: [
        ['0x5d21dba00', '0x1176592e00'],
        ['0x5d21dba00', '0x1176592e00'],
      ],
    });
    // Without percentiles there is no reward field; a JSON number is accepted as the count.
    expect(await ok('eth_feeHistory', [1, '0x1'])).toEqual({
      oldestBlock: '0x1',
      baseFeePerGas: ['0x1a13b8600', '0x1a13b8600'],
      gasUsedRatio: [0.0021],
    });
  });

  it('eth_feeHistory asks the backend only for blocks that exist', async () => {
    be.calls.length = 0;
    const history = await ok<{ oldestBlock: string; gasUsedRatio: number[] }>('eth_feeHistory', [
      '0x400',
      'latest',
    ]);
    expect(history.oldestBlock).toBe('0x0');
    expect(history.gasUsedRatio).toHaveLength(3);
    expect(be.calls.filter((c) => c.method === 'feeHistory')).toEqual([
      { method: 'feeHistory', args: [3n, 2n, null] },
    ]);
    expect(await ok('eth_feeHistory', ['0x0', 'latest'])).toEqual({
      oldestBlock: '0x0',
      baseFeePerGas: [],
      gasUsedRatio: [],
    });
  });

  it('eth_feeHistory limits and checks its arguments', async () => {
    expect(await rpcError(url, 'eth_feeHistory', ['0x401', 'latest'])).toEqual({
      code: -32602,
      message: 'invalid argument 0 (block count): block count 1025 exceeds the limit of 1024',
    });
    expect(await rpcError(url, 'eth_feeHistory', ['0x1', '0x5'])).toEqual({
      code: -32001,
      message: 'header not found',
    });
    expect(await rpcError(url, 'eth_feeHistory', ['0x1', 'latest', [50, 50]])).toEqual({
      code: -32602,
      message: 'invalid argument 2 (reward percentiles)[1]: percentiles must be increasing',
    });
    expect(await rpcError(url, 'eth_feeHistory', ['0x1', 'latest', [101]])).toEqual({
      code: -32602,
      message: 'invalid argument 2 (reward percentiles)[0]: percentile 101 is outside [0, 100]',
    });
    expect(
      await rpcError(url, 'eth_feeHistory', [
        '0x1',
        'latest',
        Array.from({ length: 101 }, (_, i) => i),
      ]),
    ).toEqual({
      code: -32602,
      message: 'invalid argument 2 (reward percentiles): too many percentiles (101), at most 100',
    });
    expect(await rpcError(url, 'eth_feeHistory', [-1, 'latest'])).toEqual({
      code: -32602,
      message: 'invalid argument 0 (block count): expected a non-negative integer',
    });
  });

  it('eth_call passes the decoded request and block to the backend and returns its data', async () => {
    be.calls.length = 0;
    expect(
      await ok('eth_call', [
        { from: DEV_ADDRESS, to: TOKEN, input: '0xdeadbeef', value: '0x10', gas: '0x5208' },
        '0x1',
      ]),
    ).toBe('0xdeadbeef');
    const [recorded] = be.calls.filter((c) => c.method === 'call');
    expect(recorded!.args[1]).toBe(1n);
    expect(recorded!.args[0]).toMatchObject({
      to: new Uint8Array(Buffer.from(TOKEN.slice(2), 'hex')),
      value: 16n,
      gas: 21_000n,
      gasPrice: null,
      nonce: null,
    });
    // "data" is the older name of "input"; both equal is fine; an empty state override too.
    expect(await ok('eth_call', [{ to: TOKEN, data: '0x01', input: '0x01' }, 'latest', {}])).toBe(
      '0x01',
    );
    expect(await ok('eth_call', [{ to: TOKEN }])).toBe('0x');
  });

  it('a revert is error code 3 with the revert data', async () => {
    for (const method of ['eth_call', 'eth_estimateGas']) {
      expect(await rpcError(url, method, [{ to: REVERTER, data: '0x' }])).toEqual({
        code: 3,
        message: 'execution reverted: nope',
        data: REVERT_DATA,
      });
    }
  });

  it('call requests are checked strictly', async () => {
    const prefix = 'invalid argument 0 (call request)';
    const bad: [unknown, string][] = [
      [{ to: TOKEN, gass: '0x1' }, `${prefix}: unknown field "gass"`],
      [
        { to: TOKEN, data: '0x01', input: '0x02' },
        `${prefix}: both "data" and "input" are set and not equal; use "input"`,
      ],
      [
        { to: TOKEN, gasPrice: '0x1', maxFeePerGas: '0x2' },
        `${prefix}: both gasPrice and (maxFeePerGas or maxPriorityFeePerGas) specified`,
      ],
      [
        { to: TOKEN, maxFeePerGas: '0x1', maxPriorityFeePerGas: '0x2' },
        `${prefix}: maxFeePerGas (1) < maxPriorityFeePerGas (2)`,
      ],
      [{ to: TOKEN, gas: '0x010' }, `${prefix}.gas: hex number with leading zero digits`],
      [{ to: TOKEN, gas: '0x10000000000000000' }, `${prefix}.gas: hex number larger than 64 bits`],
      [{ to: '0x1234' }, `${prefix}.to: expected 20 bytes of hex data, got 2`],
      [{ to: TOKEN, value: 16 }, `${prefix}.value: expected a hex quantity string, got number 16`],
      ['0x1234', `${prefix}: expected an object, got string "0x1234"`],
    ];
    for (const [request, message] of bad) {
      expect(await rpcError(url, 'eth_call', [request])).toEqual({ code: -32602, message });
    }
    expect(await rpcError(url, 'eth_call', [{ to: TOKEN, chainId: '0x1' }])).toEqual({
      code: -32602,
      message:
        "invalid argument 0 (call request).chainId: chainId does not match the node's (have 1, want 4543565)",
    });
    expect(await ok('eth_call', [{ to: TOKEN, chainId: '0x45544d', type: '0x2' }])).toBe('0x');
    expect(await rpcError(url, 'eth_call', [{ to: TOKEN, type: '0x3' }])).toEqual({
      code: -32602,
      message: 'invalid argument 0 (call request).type: unsupported transaction type 3',
    });
    expect(await rpcError(url, 'eth_call', [{ to: TOKEN }, 'latest', { [TOKEN]: {} }])).toEqual({
      code: -32602,
      message:
        'invalid argument 2 (state override): account 0xe7a0000000000000000000000000000000000001 is a system account, system contract or precompile and cannot be overridden',
    });
    expect(await rpcError(url, 'eth_call', [])).toEqual({
      code: -32602,
      message: 'missing value for required argument 0 (call request)',
    });
  });

  it('eth_estimateGas returns the backend estimate at the chosen block', async () => {
    be.calls.length = 0;
    expect(await ok('eth_estimateGas', [{ from: DEV_ADDRESS, to: RECIPIENT }])).toBe('0x5208');
    expect(await ok('eth_estimateGas', [{ to: TOKEN, input: '0x0102' }, 'earliest'])).toBe(
      '0x5228',
    );
    expect(be.calls.filter((c) => c.method === 'estimateGas').map((c) => c.args[1])).toEqual([
      2n,
      0n,
    ]);
  });
});

describe('transactions and logs', () => {
  it('eth_getTransactionByHash: mined transactions, null for unknown ones', async () => {
    const tx = await ok<Record<string, unknown>>('eth_getTransactionByHash', [txHashOf(1)]);
    expect(tx).toMatchObject({ hash: txHashOf(1), blockNumber: '0x1', transactionIndex: '0x1' });
    checkSignedTxJson(tx);
    expect(await ok('eth_getTransactionByHash', ['0x' + '44'.repeat(32)])).toBeNull();
  });

  it('eth_getTransactionReceipt: every field, logs with their positions', async () => {
    expect(await ok('eth_getTransactionReceipt', [txHashOf(2)])).toEqual({
      blockHash: blockHashOf(1),
      blockNumber: '0x1',
      contractAddress: null,
      cumulativeGasUsed: '0xf618',
      effectiveGasPrice: '0x218711a00',
      from: DEV_ADDRESS,
      gasUsed: '0x5208',
      logs: [
        {
          address: TOKEN,
          topics: [TRANSFER_TOPIC, PADDED(DEV_ADDRESS), PADDED(RECIPIENT)],
          data: '0x' + '1'.padStart(64, '0'),
          blockNumber: '0x1',
          transactionHash: txHashOf(2),
          transactionIndex: '0x2',
          blockHash: blockHashOf(1),
          logIndex: '0x0',
          removed: false,
        },
        {
          address: TOKEN,
          topics: [OTHER_TOPIC],
          data: '0x' + '2'.padStart(64, '0'),
          blockNumber: '0x1',
          transactionHash: txHashOf(2),
          transactionIndex: '0x2',
          blockHash: blockHashOf(1),
          logIndex: '0x1',
          removed: false,
        },
      ],
      logsBloom: ZERO_BLOOM,
      status: '0x1',
      to: TOKEN,
      transactionHash: txHashOf(2),
      transactionIndex: '0x2',
      type: '0x2',
    });
    expect(await ok('eth_getTransactionReceipt', ['0x' + '44'.repeat(32)])).toBeNull();
  });

  it('eth_getLogs: address and topic filters', async () => {
    const logs = async (filter: Record<string, unknown>): Promise<string[]> =>
      (await ok<{ logIndex: string; topics: string[] }[]>('eth_getLogs', [filter])).map(
        (l) => `${l.logIndex}:${l.topics[0]!.slice(0, 6)}`,
      );
    const transfer = `0x0:${TRANSFER_TOPIC.slice(0, 6)}`;
    const other = `0x1:${OTHER_TOPIC.slice(0, 6)}`;
    const all = { fromBlock: 'earliest', toBlock: 'latest' };
    expect(await logs(all)).toEqual([transfer, other]);
    expect(await logs({})).toEqual([]); // latest..latest: block 2 has no logs
    expect(await logs({ fromBlock: '0x1', toBlock: '0x1' })).toEqual([transfer, other]);
    expect(await logs({ fromBlock: '0x2' })).toEqual([]);
    expect(await logs({ blockHash: blockHashOf(1) })).toEqual([transfer, other]);
    expect(await logs({ blockHash: blockHashOf(2) })).toEqual([]);
    expect(await logs({ ...all, address: TOKEN })).toEqual([transfer, other]);
    expect(await logs({ ...all, address: [RECIPIENT, TOKEN] })).toEqual([transfer, other]);
    expect(await logs({ ...all, address: RECIPIENT })).toEqual([]);
    expect(await logs({ ...all, address: [] })).toEqual([transfer, other]);
    expect(await logs({ ...all, topics: [TRANSFER_TOPIC] })).toEqual([transfer]);
    expect(await logs({ ...all, topics: [[TRANSFER_TOPIC, OTHER_TOPIC]] })).toEqual([
      transfer,
      other,
    ]);
    expect(await logs({ ...all, topics: [null, PADDED(DEV_ADDRESS)] })).toEqual([transfer]);
    expect(await logs({ ...all, topics: [null, PADDED(RECIPIENT)] })).toEqual([]);
    expect(await logs({ ...all, topics: [[], null, PADDED(RECIPIENT)] })).toEqual([transfer]);
    expect(await logs({ ...all, topics: [[OTHER_TOPIC, null]] })).toEqual([transfer, other]);
    // A position the log does not have never matches a topic.
    expect(await logs({ ...all, topics: [OTHER_TOPIC, PADDED(DEV_ADDRESS)] })).toEqual([]);
    expect(await logs({ ...all, topics: [null, null, null, null] })).toEqual([transfer, other]);
  });

  it('eth_getLogs block bounds, as geth', async () => {
    // A range that ends past the head (block 2) is refused, not cut: a poller asks again later.
    for (const range of [
      { fromBlock: '0x5', toBlock: '0x9' },
      { fromBlock: '0x1', toBlock: '0x3' },
      { toBlock: '0x3' },
    ]) {
      expect(await rpcError(url, 'eth_getLogs', [range])).toEqual({
        code: -32602,
        message: 'block range extends beyond current head block',
      });
    }
    // Backwards, tags resolved at the head: a start after the head up to latest is one.
    for (const range of [
      { fromBlock: '0x3' },
      { fromBlock: '0x3', toBlock: 'latest' },
      { fromBlock: '0x2', toBlock: '0x1' },
      { fromBlock: 'latest', toBlock: '0x1' },
    ]) {
      expect(await rpcError(url, 'eth_getLogs', [range])).toEqual({
        code: -32602,
        message: 'invalid block range params',
      });
    }
    expect(await ok('eth_getLogs', [{ fromBlock: '0x2', toBlock: 'latest' }])).toEqual([]);
    expect(await rpcError(url, 'eth_getLogs', [{ blockHash: '0x' + '55'.repeat(32) }])).toEqual({
      code: -32001,
      message: 'unknown block',
    });
    expect(
      await rpcError(url, 'eth_getLogs', [{ blockHash: blockHashOf(1), fromBlock: '0x1' }]),
    ).toEqual({
      code: -32602,
      message:
        'invalid argument 0 (filter): cannot specify both blockHash and fromBlock/toBlock, choose one or the other',
    });
    expect(
      await rpcError(url, 'eth_getLogs', [{ topics: [null, null, null, null, null] }]),
    ).toEqual({
      code: -32602,
      message: 'invalid argument 0 (filter).topics: too many topic positions (5), at most 4',
    });
    expect(await rpcError(url, 'eth_getLogs', [{ fromBlock: '0x0', limit: 5 }])).toEqual({
      code: -32602,
      message: 'invalid argument 0 (filter): unknown field "limit"',
    });
  });

  it('eth_getLogs refuses ranges wider than maxLogBlockRange (-32005)', async () => {
    const narrow = await startServer({ maxLogBlockRange: 2n });
    try {
      expect(
        await rpcError(narrow.httpUrl, 'eth_getLogs', [{ fromBlock: '0x0', toBlock: '0x2' }]),
      ).toEqual({ code: -32005, message: 'query exceeds max block range 2' });
      expect(
        await result(narrow.httpUrl, 'eth_getLogs', [{ fromBlock: '0x1', toBlock: '0x2' }]),
      ).toHaveLength(2);
      // Past the head is refused before the span is measured.
      expect(
        await rpcError(narrow.httpUrl, 'eth_getLogs', [{ fromBlock: '0x1', toBlock: '0xffff' }]),
      ).toEqual({ code: -32602, message: 'block range extends beyond current head block' });
    } finally {
      await narrow.close();
    }
  });

  it('the default range limit is 10 000 blocks', async () => {
    const backend = await FakeBackend.create();
    while (backend.headNumber() < 10_002n) backend.emitHead();
    const big = await startServer({}, backend);
    try {
      expect(await rpcError(big.httpUrl, 'eth_getLogs', [{ fromBlock: '0x2' }])).toEqual({
        code: -32005,
        message: 'query exceeds max block range 10000',
      });
      expect(await result(big.httpUrl, 'eth_getLogs', [{ fromBlock: '0x3' }])).toEqual([]);
    } finally {
      await big.close();
    }
  });

  it('eth_subscribe and eth_unsubscribe need a WebSocket: -32601 over HTTP', async () => {
    for (const [method, params] of [
      ['eth_subscribe', ['newHeads']],
      ['eth_unsubscribe', ['0x1']],
    ] as const) {
      expect(await rpcError(url, method, [...params])).toEqual({
        code: -32601,
        message: 'notifications not supported',
      });
    }
  });
});

describe('eth_sendRawTransaction', () => {
  let local: TestServer;
  const wallet = new Wallet(DEV_KEY);
  const sign = (nonce: number, chainId = CHAIN_ID): Promise<string> =>
    wallet.signTransaction({
      type: 2,
      chainId,
      nonce,
      maxFeePerGas: 20n * GWEI,
      maxPriorityFeePerGas: GWEI,
      gasLimit: 21_000n,
      to: RECIPIENT,
      value: 7n,
    });

  beforeAll(async () => (local = await startServer()));
  afterAll(() => local.close());

  it('returns the hash; the transaction is then pending', async () => {
    const raw = await sign(3);
    const hash = await result(local.httpUrl, 'eth_sendRawTransaction', [raw]);
    expect(hash).toBe(Transaction.from(raw).hash);
    expect(hash).toMatch(dataOf(32));
    const pending = await result<Record<string, unknown>>(
      local.httpUrl,
      'eth_getTransactionByHash',
      [hash],
    );
    expect(pending).toMatchObject({
      blockHash: null,
      blockNumber: null,
      transactionIndex: null,
      hash,
      nonce: '0x3',
      value: '0x7',
      gasPrice: '0x4a817c800', // not mined: maxFeePerGas
    });
    checkSignedTxJson(pending);
    expect(await result(local.httpUrl, 'eth_getTransactionReceipt', [hash])).toBeNull();
    answered.add('eth_sendRawTransaction');
  });

  it("passes the backend's refusals through as -32000 with their data", async () => {
    expect(await rpcError(local.httpUrl, 'eth_sendRawTransaction', [await sign(3)])).toEqual({
      code: -32000,
      message: `already known: transaction ${Transaction.from(await sign(3)).hash}`,
      data: { code: 'already-known' },
    });
    expect(await rpcError(local.httpUrl, 'eth_sendRawTransaction', [await sign(1)])).toEqual({
      code: -32000,
      message: 'nonce too low: next nonce 3, tx nonce 1',
      data: { code: 'nonce-too-low' },
    });
    expect(await rpcError(local.httpUrl, 'eth_sendRawTransaction', [await sign(4, 1n)])).toEqual({
      code: -32000,
      message: 'invalid chain id: expected 4543565, got 1',
      data: { code: 'wrong-chain-id' },
    });
    expect(await rpcError(local.httpUrl, 'eth_sendRawTransaction', ['0x02c0'])).toEqual({
      code: -32000,
      message: 'malformed transaction: cannot decode',
      data: { code: 'malformed' },
    });
  });

  it('checks its argument before the backend sees it', async () => {
    local.backend.calls.length = 0;
    const cases: [unknown[], string][] = [
      [[], 'missing value for required argument 0 (signed transaction)'],
      [['0x'], 'invalid argument 0 (signed transaction): empty transaction'],
      [['0x02f'], 'invalid argument 0 (signed transaction): hex data of odd length'],
      [['02f8'], 'invalid argument 0 (signed transaction): hex data without 0x prefix'],
      [
        [{ raw: '0x02' }],
        'invalid argument 0 (signed transaction): expected hex data, got an object',
      ],
      [['0x02', '0x03'], 'too many arguments, want at most 1, got 2'],
    ];
    for (const [params, message] of cases) {
      expect(await rpcError(local.httpUrl, 'eth_sendRawTransaction', params)).toEqual({
        code: -32602,
        message,
      });
    }
    expect(local.backend.calls.filter((c) => c.method === 'sendRawTransaction')).toEqual([]);
  });

  it('an unexpected backend failure is -32603 internal error, reported to the node only', async () => {
    local.backend.sendFailure = new Error('mempool lock poisoned at /var/lib/etm');
    local.internalErrors.length = 0;
    expect(await rpcError(local.httpUrl, 'eth_sendRawTransaction', [await sign(4)])).toEqual({
      code: -32603,
      message: 'internal error',
    });
    expect(local.internalErrors).toHaveLength(1);
    expect(local.internalErrors[0]!.method).toBe('eth_sendRawTransaction');
    expect((local.internalErrors[0]!.error as Error).message).toContain('mempool lock poisoned');
    // The next one goes through.
    expect(await result(local.httpUrl, 'eth_sendRawTransaction', [await sign(4)])).toMatch(
      dataOf(32),
    );
  });

  it('state reads that fail unexpectedly are -32603 as well', async () => {
    s.internalErrors.length = 0;
    const reply = await call(url, 'eth_getBalance', [EXPLODING]);
    expect(reply.error).toEqual({ code: -32603, message: 'internal error' });
    expect(JSON.stringify(reply)).not.toContain('disk failure');
    expect(s.internalErrors.map((e) => e.method)).toEqual(['eth_getBalance']);
  });
});

describe('filters, the pool and proofs', () => {
  const stranger = Wallet.createRandom();
  const sendFrom = async (nonce: number): Promise<string> =>
    ok<string>('eth_sendRawTransaction', [
      await stranger.signTransaction({
        type: 2,
        chainId: CHAIN_ID,
        nonce,
        maxFeePerGas: 20n * GWEI,
        maxPriorityFeePerGas: GWEI,
        gasLimit: 21_000n,
        to: RECIPIENT,
        value: 1n,
      }),
    ]);

  it('block filters report each new block once, oldest first', async () => {
    const id = await ok<string>('eth_newBlockFilter');
    expect(id).toMatch(dataOf(16));
    expect(await ok('eth_getFilterChanges', [id])).toEqual([]);
    const a = be.emitHead().block;
    const b = be.emitHead().block;
    expect(await ok('eth_getFilterChanges', [id])).toEqual([toHex(a.hash), toHex(b.hash)]);
    expect(await ok('eth_getFilterChanges', [id])).toEqual([]);
    // Not a log filter: eth_getFilterLogs does not know it (as geth).
    expect(await rpcError(url, 'eth_getFilterLogs', [id])).toEqual({
      code: -32000,
      message: 'filter not found',
    });
    expect(await ok('eth_uninstallFilter', [id])).toBe(true);
    expect(await ok('eth_uninstallFilter', [id])).toBe(false);
    expect(await rpcError(url, 'eth_getFilterChanges', [id])).toEqual({
      code: -32000,
      message: 'filter not found',
    });
  });

  it('log filters: new matching logs on each poll; eth_getFilterLogs runs the whole query', async () => {
    const id = await ok<string>('eth_newFilter', [
      { fromBlock: 'earliest', address: TOKEN, topics: [TRANSFER_TOPIC] },
    ]);
    const other = await ok<string>('eth_newFilter', [{ address: RECIPIENT }]);
    expect(await ok('eth_getFilterChanges', [id])).toEqual([]);
    const tx = be.blocks[1]!.transactions[2]!;
    const event = be.emitHead((block) => [
      be.makeLog(block, tx, 0n, TOKEN, [TRANSFER_TOPIC, DEV_ADDRESS, RECIPIENT]),
      be.makeLog(block, tx, 1n, TOKEN, [OTHER_TOPIC]),
    ]);
    const changes = await ok<{ blockNumber: string; logIndex: string }[]>('eth_getFilterChanges', [
      id,
    ]);
    expect(changes.map((l) => [l.blockNumber, l.logIndex])).toEqual([
      [`0x${event.block.number.toString(16)}`, '0x0'],
    ]);
    expect(await ok('eth_getFilterChanges', [id])).toEqual([]);
    expect(await ok('eth_getFilterChanges', [other])).toEqual([]);
    // From earliest: block 1's transfer and the new one.
    const all = await ok<{ blockNumber: string }[]>('eth_getFilterLogs', [id]);
    expect(all.map((l) => l.blockNumber)).toEqual(['0x1', `0x${event.block.number.toString(16)}`]);
    expect(await rpcError(url, 'eth_newFilter', [{ blockHash: blockHashOf(1) }])).toEqual({
      code: -32602,
      message: 'invalid argument 0 (filter): blockHash cannot be used in a filter, use eth_getLogs',
    });
    await ok('eth_uninstallFilter', [id]);
    await ok('eth_uninstallFilter', [other]);
  });

  it('pending transaction filters: the hashes the pool admitted since the last poll', async () => {
    const id = await ok<string>('eth_newPendingTransactionFilter');
    expect(await ok('eth_getFilterChanges', [id])).toEqual([]);
    const h0 = await sendFrom(0);
    const h1 = await sendFrom(1);
    expect(await ok('eth_getFilterChanges', [id])).toEqual([h0, h1]);
    expect(await ok('eth_getFilterChanges', [id])).toEqual([]);
    expect(await ok('eth_uninstallFilter', [id])).toBe(true);
  });

  it("txpool_status, txpool_content and txpool_contentFrom in geth's shapes", async () => {
    const status = await ok<{ pending: string; queued: string }>('txpool_status');
    expect(status).toEqual({ pending: expect.stringMatching(QUANTITY), queued: '0x0' });
    const content = await ok<{ pending: Record<string, Record<string, { hash: string }>> }>(
      'txpool_content',
    );
    const mine = content.pending[stranger.address]!; // EIP-55 keys, as geth
    expect(Object.keys(mine)).toEqual(['0', '1']);
    expect(mine['0']!.hash).toMatch(dataOf(32));
    expect(Object.values(content.pending).flatMap((byNonce) => Object.keys(byNonce)).length).toBe(
      Number(status.pending),
    );
    expect(await ok('txpool_contentFrom', [stranger.address.toLowerCase()])).toEqual({
      pending: mine,
      queued: {},
    });
  });

  it("eth_getProof: the backend's proof in EIP-1186 form, keys checked and bounded", async () => {
    const proof = await ok<Record<string, unknown>>('eth_getProof', [TOKEN, ['0x0'], 'latest']);
    expect(proof).toEqual({
      address: TOKEN,
      accountProof: ['0xc0'],
      balance: '0x0',
      codeHash: toHex(keccak256(be.codes.get(TOKEN)!)),
      nonce: '0x0',
      storageHash: expect.stringMatching(dataOf(32)),
      storageProof: [{ key: '0x' + '00'.repeat(32), value: '0x2a', proof: ['0xc1c0'] }],
      locked: '0x0',
    });
    expect(await rpcError(url, 'eth_getProof', [TOKEN, []])).toMatchObject({ code: -32602 });
    expect(await rpcError(url, 'eth_getProof', [TOKEN, Array(1025).fill('0x1'), 'latest'])).toEqual(
      {
        code: -32602,
        message: 'invalid argument 1 (storage keys): too many storage keys (1025), at most 1024',
      },
    );
    expect(await rpcError(url, 'eth_getProof', [TOKEN, [], '0xffff'])).toEqual({
      code: -32001,
      message: 'header not found',
    });
  });
});

describe('access lists and traces', () => {
  it('decode their arguments strictly; a backend without them answers -32004', async () => {
    const call = { to: '0x' + '11'.repeat(20) };
    expect(await rpcError(url, 'eth_createAccessList', [call, 'latest'])).toEqual({
      code: -32004,
      message: 'eth_createAccessList is not available on this node',
    });
    expect(
      await rpcError(url, 'debug_traceCall', [call, 'latest', { tracer: 'callTracer' }]),
    ).toEqual({
      code: -32004,
      message: 'debug_traceCall is not available on this node',
    });
    expect(
      await rpcError(url, 'debug_traceCall', [call, 'latest', { tracer: 'prestateTracer' }]),
    ).toEqual({
      code: -32602,
      message:
        'invalid argument 2 (trace config).tracer: unsupported tracer "prestateTracer": use "callTracer" or none (struct logs)',
    });
    expect(
      await rpcError(url, 'debug_traceCall', [
        call,
        'latest',
        { tracer: 'callTracer', tracerConfig: { withLogs: true } },
      ]),
    ).toEqual({
      code: -32602,
      message: 'invalid argument 2 (trace config).tracerConfig: unknown field "withLogs"',
    });
    expect(
      await rpcError(url, 'debug_traceTransaction', ['0x' + '22'.repeat(32), { disableStack: 1 }]),
    ).toEqual({
      code: -32602,
      message: 'invalid argument 1 (trace config).disableStack: expected a boolean, got number 1',
    });
    expect(await rpcError(url, 'debug_traceTransaction', ['0x12'])).toMatchObject({
      code: -32602,
    });
    // Their answers over a real chain: test/e2e/debug-rpc.test.ts.
    for (const m of ['eth_createAccessList', 'debug_traceCall', 'debug_traceTransaction'])
      answered.add(m);
  });
});

describe('coverage', () => {
  it('every served method except the subscriptions was answered above', () => {
    const missing = SERVED.filter(
      (m) => !answered.has(m) && m !== 'eth_subscribe' && m !== 'eth_unsubscribe',
    );
    expect(missing).toEqual([]);
  });
});
