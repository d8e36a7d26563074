/**
 * The DAO end to end, as users do it with viem, on one devnet that serves every scenario in
 * turn: parameter changes of lotterySeats and of the inflation schedule take effect at the
 * height their proposal states; a veto and a missed quorum send the deposit to the treasury,
 * which then pays a treasury spend; an out-of-bound parameter is refused when proposed; a
 * rescind moves a transfer's value back once; a global settlement releases every lock and
 * unbonding entry, stops the mint, and every holder can withdraw with Σ balances = supply.
 */
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import {
  createPublicClient,
  createWalletClient,
  http,
  parseEventLogs,
  type Account,
  type Hex,
  type PublicClient,
} from 'viem';
import { generatePrivateKey, mnemonicToAccount, privateKeyToAccount } from 'viem/accounts';
import { toHex } from '../../src/crypto/bytes.js';
import { deriveAccounts, DEV_MNEMONIC } from '../../src/crypto/mnemonic.js';
import { blockWorkHash } from '../../src/execution/block-work.js';
import {
  GOVERNANCE_ABI,
  PROPOSAL_KINDS,
  PROPOSAL_STATUS,
  VOTE_OPTION,
} from '../../src/governance/abi.js';
import { encodePayload, type Payload } from '../../src/governance/payload.js';
import { DEV_ACCOUNT_COUNT, DEV_VALIDATOR_PATH, type Devnet } from '../../src/node/devnet.js';
import { paramSlot } from '../../src/params/store.js';
import { ETM, WAD } from '../../src/params/registry.js';
import {
  DAO_TREASURY,
  GOVERNANCE_ADDRESS,
  PARAMETERS_ADDRESS,
  STAKING_ADDRESS,
  SYSTEM_ACCOUNTS,
} from '../../src/primitives/system-addresses.js';
import { STAKING_ABI } from '../../src/staking/abi.js';
import { govCommand } from '../../src/cli/gov.js';
import { devnet, etmChain, tempDir, waitForHeight } from './helpers.js';

const EPOCH = 10n;
const tmp = tempDir();
let d: Devnet;
let client: PublicClient;
/** Every fresh account a scenario sends value to (the genesis accounts are known). */
const recipients: Hex[] = [];
const gov = toHex(GOVERNANCE_ADDRESS) as Hex;
const staking = toHex(STAKING_ADDRESS) as Hex;
const validators = deriveAccounts(DEV_MNEMONIC, 4, DEV_VALIDATOR_PATH).map((k) =>
  privateKeyToAccount(toHex(k.privateKey) as Hex),
);
const user = (i: number) => mnemonicToAccount(DEV_MNEMONIC, { addressIndex: i });

interface ProposalJson {
  id: Hex;
  kind: string;
  status: string;
  note: string | null;
  rescindMatches?: boolean | null;
  timeline: { votingEnd: Hex | null; executeAt: Hex | null; closedAt: Hex | null };
  tally: { final: boolean; yes: Hex; no: Hex; veto: Hex; totalLocked: Hex };
}

async function rpc<T>(method: string, params: unknown[] = []): Promise<T> {
  return client.request({ method: method as never, params: params as never }) as Promise<T>;
}

beforeAll(async () => {
  d = await devnet(tmp.dir, {
    blockTimeMs: 400,
    staking: { epochBlocks: Number(EPOCH), rankedSeats: 3, lotterySeats: 1 },
  });
  client = createPublicClient({
    chain: etmChain(d.httpUrl, d.wsUrl),
    transport: http(d.httpUrl),
    pollingInterval: 100,
  });
}, 120_000);

afterAll(async () => {
  await d?.stop();
  tmp.remove();
});

const wallet = (account: Account) =>
  createWalletClient({ account, chain: etmChain(d.httpUrl, d.wsUrl), transport: http(d.httpUrl) });

async function mined(hash: Hex) {
  const r = await client.waitForTransactionReceipt({ hash, pollingInterval: 100, timeout: 20_000 });
  expect(r.status).toBe('success');
  return r;
}

async function propose(from: Account, p: Payload, deposit = 10n * ETM): Promise<bigint> {
  const hash = await wallet(from).writeContract({
    address: gov,
    abi: GOVERNANCE_ABI,
    functionName: 'propose',
    args: [PROPOSAL_KINDS.indexOf(p.kind), toHex(encodePayload(p)) as Hex],
    value: deposit,
  });
  const r = await mined(hash);
  const [log] = parseEventLogs({
    abi: GOVERNANCE_ABI,
    logs: r.logs,
    eventName: 'ProposalSubmitted',
  });
  return log!.args.id;
}

async function vote(from: Account, id: bigint, option: keyof typeof VOTE_OPTION) {
  return wallet(from).writeContract({
    address: gov,
    abi: GOVERNANCE_ABI,
    functionName: 'vote',
    args: [id, VOTE_OPTION[option]],
  });
}

/**
 * Votes, all mined: each account sends its votes one after another (each send takes the next
 * pending nonce), the accounts in parallel.
 */
async function votes(list: [bigint, Account, keyof typeof VOTE_OPTION][]) {
  const byAccount = new Map<string, [bigint, Account, keyof typeof VOTE_OPTION][]>();
  for (const v of list) byAccount.set(v[1].address, [...(byAccount.get(v[1].address) ?? []), v]);
  const hashes = await Promise.all(
    [...byAccount.values()].map(async (mine) => {
      const out: Hex[] = [];
      for (const [id, a, o] of mine) out.push(await vote(a, id, o));
      return out;
    }),
  );
  await Promise.all(hashes.flat().map(mined));
}

const proposal = (id: bigint) => rpc<ProposalJson>('etm_getProposal', ['0x' + id.toString(16)]);

async function until(id: bigint, done: (p: ProposalJson) => boolean, ms = 30_000) {
  const deadline = Date.now() + ms;
  for (;;) {
    const p = await proposal(id);
    if (done(p)) return p;
    if (Date.now() > deadline) throw new Error(`proposal ${id} is ${p.status}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}
const closed = (id: bigint) => until(id, (p) => !['deposit', 'voting'].includes(p.status));

const balance = (a: Hex | Account) =>
  client.getBalance({ address: typeof a === 'string' ? a : a.address });

async function refused(from: Account, p: Payload): Promise<string> {
  try {
    await client.simulateContract({
      account: from,
      address: gov,
      abi: GOVERNANCE_ABI,
      functionName: 'propose',
      args: [PROPOSAL_KINDS.indexOf(p.kind), toHex(encodePayload(p)) as Hex],
      value: 10n * ETM,
    });
  } catch (e) {
    return String((e as Error).message);
  }
  throw new Error('the proposal was accepted');
}

describe('the DAO on the devnet', () => {
  const all = (id: bigint, o: keyof typeof VOTE_OPTION): [bigint, Account, typeof o][] =>
    validators.map((v) => [id, v, o]);

  it('changes lotterySeats and the inflation schedule from the next epoch; a veto and a missed quorum pay the treasury', async () => {
    // Out-of-bound values are refused when proposed.
    expect(
      await refused(user(0), { kind: 'parameter-change', name: 'lotterySeats', value: 300n }),
    ).toMatch(/lotterySeats = 300 is outside \[0, 256\]/);
    expect(
      await refused(user(0), {
        kind: 'parameter-change',
        name: 'inflationSchedule',
        value: [2n * WAD],
      }),
    ).toMatch(/inflationSchedule\[0\]/);

    const [seats, rate, vetoed, ignored] = await Promise.all([
      propose(user(0), { kind: 'parameter-change', name: 'lotterySeats', value: 2n }),
      propose(user(1), { kind: 'parameter-change', name: 'inflationSchedule', value: [WAD / 20n] }),
      propose(user(2), { kind: 'text', text: 'vetoed' }),
      propose(user(3), { kind: 'text', text: 'ignored' }),
    ]);
    const treasury = await balance(toHex(DAO_TREASURY) as Hex);
    await votes([
      ...all(seats, 'yes'),
      ...all(rate, 'yes'),
      [vetoed, validators[0]!, 'yes'],
      [vetoed, validators[1]!, 'veto'],
      [vetoed, validators[2]!, 'veto'],
      [ignored, validators[0]!, 'yes'],
    ]);
    expect((await closed(vetoed)).status).toBe('vetoed');
    expect((await closed(ignored)).status).toBe('no-quorum');
    expect((await balance(toHex(DAO_TREASURY) as Hex)) - treasury >= 20n * ETM).toBe(true);
    expect(await balance(gov)).toBe(0n);

    const s = await until(seats, (p) => p.status === 'scheduled' || p.status === 'executed');
    const at = BigInt(s.timeline.executeAt!);
    expect(at % EPOCH).toBe(0n); // the epoch's last block
    expect(BigInt(s.tally.yes)).toBe(4n * 1_000n * ETM);
    await waitForHeight(d, at + 2n, 30_000);
    const slot = (n: bigint) =>
      client.getStorageAt({
        address: toHex(PARAMETERS_ADDRESS) as Hex,
        slot: toHex(paramSlot('lotterySeats')) as Hex,
        blockNumber: n,
      });
    // Written by block `at`, read by every block after it.
    expect(BigInt((await slot(at - 1n))!)).not.toBe(0n);
    expect(await slot(at - 1n)).not.toBe(await slot(at));
    expect((await proposal(seats)).status).toBe('executed');
    // The two proposals were submitted together but may have landed in different blocks, so
    // their votes may close on either side of an epoch end: the rate has its own height.
    const r = await until(rate, (p) => p.status === 'scheduled' || p.status === 'executed');
    const atRate = BigInt(r.timeline.executeAt!);
    expect(atRate % EPOCH).toBe(0n);
    await waitForHeight(d, atRate + 2n, 30_000);
    expect((await proposal(rate)).status).toBe('executed');
    type Econ = { inflationRate: string; minted: Hex; supply: Hex };
    const econ = (n: bigint) => rpc<Econ>('etm_getEconomics', ['0x' + n.toString(16)]);
    expect(Number((await econ(atRate - 1n)).inflationRate)).toBeCloseTo(0.1, 9);
    expect(Number((await econ(atRate)).inflationRate)).toBeCloseTo(0.05, 9);
    // What block atRate+1 minted is the new rate's share of the supply: per block
    // (1 + i)^(1/n) − 1, so the ratio of 5% to 10% is ln 1.05 / ln 1.1 ≈ 0.512.
    const before = BigInt((await econ(atRate - 1n)).minted);
    const after = BigInt((await econ(atRate + 1n)).minted);
    expect(Number((after * 1000n) / before)).toBeGreaterThan(505);
    expect(Number((after * 1000n) / before)).toBeLessThan(520);

    // The block work's events reach ordinary tools: logs of a block-work receipt whose
    // transaction hash is derived from its block number.
    const changed = await client.getContractEvents({
      address: gov,
      abi: GOVERNANCE_ABI,
      eventName: 'ParameterChanged',
      fromBlock: 0n,
      toBlock: at,
    });
    const seatsLog = changed.find((l) => l.args.id === seats)!;
    expect(seatsLog.args).toMatchObject({
      name: 'lotterySeats',
      value: [2n],
      effectiveBlock: at + 1n,
    });
    expect(seatsLog.blockNumber).toBe(at);
    expect(seatsLog.transactionHash).toBe(toHex(blockWorkHash(at)));
    const [vetoLog] = await client.getLogs({
      address: gov,
      event: GOVERNANCE_ABI.find((x) => x.type === 'event' && x.name === 'ProposalClosed')!,
      args: { id: vetoed },
      fromBlock: 0n,
      toBlock: at,
    });
    expect(vetoLog!.args.status).toBe(PROPOSAL_STATUS.indexOf('vetoed'));
    const workHash = vetoLog!.transactionHash;
    expect(workHash).toBe(toHex(blockWorkHash(vetoLog!.blockNumber)));
    const receipt = await client.getTransactionReceipt({ hash: workHash });
    const block = await client.getBlock({ blockNumber: vetoLog!.blockNumber });
    expect(receipt).toMatchObject({
      status: 'success',
      gasUsed: 0n,
      from: '0x0000000000000000000000000000000000000000',
      to: null,
      transactionIndex: block.transactions.length,
      blockHash: block.hash,
    });
    expect(receipt.logs.map((l) => l.logIndex)).toContain(vetoLog!.logIndex);
    const blockReceipts = await rpc<{ transactionHash: Hex }[]>('eth_getBlockReceipts', [
      '0x' + vetoLog!.blockNumber.toString(16),
    ]);
    expect(blockReceipts.at(-1)!.transactionHash).toBe(workHash);
    // There is no such transaction.
    expect(await rpc('eth_getTransactionByHash', [workHash])).toBeNull();
  }, 90_000);

  it('pays a treasury spend', async () => {
    const to = privateKeyToAccount(generatePrivateKey()).address;
    recipients.push(to);
    const id = await propose(user(4), { kind: 'treasury-spend', to: fromHexAddr(to), amount: ETM });
    await votes(all(id, 'yes'));
    expect((await closed(id)).status).toBe('executed');
    expect(await balance(to)).toBe(ETM);
  }, 60_000);

  it('rescinds a transfer once: what the recipient still holds goes back', async () => {
    const sender = user(5);
    const thief = privateKeyToAccount(generatePrivateKey());
    const sink = privateKeyToAccount(generatePrivateKey()).address;
    recipients.push(thief.address, sink);
    const tx = await wallet(sender).sendTransaction({ to: thief.address, value: 7n * ETM });
    await mined(tx);
    await mined(await wallet(thief).sendTransaction({ to: sink, value: 3n * ETM }));
    const payload: Payload = {
      kind: 'rescind',
      txHash: fromHexBytes(tx),
      from: fromHexAddr(sender.address),
      to: fromHexAddr(thief.address),
      amount: 7n * ETM,
    };
    const id = await propose(user(6), payload);
    expect((await proposal(id)).rescindMatches).toBe(true);
    await votes(all(id, 'yes'));
    expect((await closed(id)).status).toBe('timelock');
    const left = await balance(thief);
    const had = await balance(sender);
    const p = await until(id, (x) => x.status !== 'timelock');
    expect(p.status).toBe('executed');
    expect(await balance(thief)).toBe(0n);
    expect((await balance(sender)) - had).toBe(left);
    expect(await refused(user(6), payload)).toMatch(/already rescinded/);
  }, 60_000);

  it('etm gov proposes, votes, lists and shows', async () => {
    const out: string[] = [];
    const spy = vi.spyOn(process.stdout, 'write').mockImplementation((chunk) => {
      out.push(String(chunk));
      return true;
    });
    const etm = (...args: string[]) =>
      govCommand()
        .exitOverride()
        .parseAsync([...args, '--rpc', d.httpUrl], { from: 'user' });
    try {
      await etm('propose', 'text', '--text', 'from the command line', '--dev-account', '0');
      const id = (await rpc<ProposalJson[]>('etm_getProposals', []))[0]!.id;
      await Promise.all(
        validators.map((v, i) =>
          etm(
            'vote',
            '--proposal',
            BigInt(id).toString(),
            '--option',
            i === 3 ? 'no' : 'yes',
            '--private-key',
            toHex(deriveAccounts(DEV_MNEMONIC, 4, DEV_VALIDATOR_PATH)[i]!.privateKey),
          ),
        ),
      );
      const p = await closed(BigInt(id));
      expect(p.status).toBe('executed');
      expect(BigInt(p.tally.no)).toBe(1_000n * ETM);
      out.length = 0;
      await etm('list');
      expect(out.join('')).toMatch(new RegExp(`#${BigInt(id)} text executed .* yes 3000 no 1000`));
      out.length = 0;
      await etm('show', BigInt(id).toString());
      expect(JSON.parse(out.join(''))).toMatchObject({ kind: 'text', status: 'executed' });
      // A proposal the contract refuses fails before anything is sent.
      await expect(
        etm('propose', 'param', '--name', 'quorum', '--value', '0', '--dev-account', '0'),
      ).rejects.toThrow(/quorum = 0 is outside/);
    } finally {
      spy.mockRestore();
    }
  }, 60_000);

  it('settles the economy: every lock and unbonding entry released, no mint, everyone withdraws, Σ balances = supply', async () => {
    const locker = user(7);
    const unbonder = user(8);
    await mined(
      await wallet(locker).writeContract({
        address: staking,
        abi: STAKING_ABI,
        functionName: 'lock',
        args: [50n * ETM, validators[0]!.address],
      }),
    );
    const r = await mined(
      await wallet(unbonder).writeContract({
        address: staking,
        abi: STAKING_ABI,
        functionName: 'lock',
        args: [20n * ETM, validators[1]!.address],
      }),
    );
    const [locked] = parseEventLogs({ abi: STAKING_ABI, logs: r.logs, eventName: 'Locked' });
    await mined(
      await wallet(unbonder).writeContract({
        address: staking,
        abi: STAKING_ABI,
        functionName: 'unlock',
        args: [locked!.args.lockId],
      }),
    );
    const id = await propose(user(9), { kind: 'global-settlement' });
    await votes([...all(id, 'yes'), [id, locker, 'yes']]);
    expect((await closed(id)).status).toBe('timelock');
    const p = await until(id, (x) => x.status !== 'timelock');
    expect(p.status).toBe('executed');
    const at = BigInt(p.timeline.executeAt!);
    await waitForHeight(d, at + 3n, 20_000);

    type Econ = { minted: Hex; supply: Hex; totalLocked: Hex };
    const econ = (n: bigint) => rpc<Econ>('etm_getEconomics', ['0x' + n.toString(16)]);
    expect(BigInt((await econ(at)).totalLocked)).toBe(0n);
    expect(BigInt((await econ(at + 2n)).minted)).toBe(0n);
    expect(await rpc('etm_getLocks', [locker.address])).toEqual([]);
    // New locks are refused.
    await expect(
      client.simulateContract({
        account: locker,
        address: staking,
        abi: STAKING_ABI,
        functionName: 'lock',
        args: [ETM, validators[0]!.address],
      }),
    ).rejects.toThrow(/settled/);

    // Every holder withdraws what it had locked or unbonding; blocks go on.
    const sink = privateKeyToAccount(generatePrivateKey()).address;
    recipients.push(sink);
    const withdraw = async (a: Account, amount: bigint) =>
      mined(await wallet(a).sendTransaction({ to: sink, value: amount }));
    await withdraw(locker, 50n * ETM);
    await withdraw(unbonder, 20n * ETM);
    await withdraw(validators[0]!, 1_000n * ETM);
    expect(await balance(sink)).toBe(1_070n * ETM);

    // Σ balances over every account that ever held value = the supply (nothing is locked).
    const head = await client.getBlockNumber();
    const supply = BigInt((await econ(head)).supply);
    // Nothing minted since the settlement (and the devnet burns no fees).
    expect(supply).toBe(BigInt((await econ(at)).supply));
    const accounts = new Set<string>([
      ...Array.from({ length: DEV_ACCOUNT_COUNT }, (_, i) => user(i).address.toLowerCase()),
      ...validators.map((v) => v.address.toLowerCase()),
      ...SYSTEM_ACCOUNTS.map((a) => toHex(a)),
      ...recipients.map((a) => a.toLowerCase()),
    ]);
    let sum = 0n;
    for (const a of accounts)
      sum += await client.getBalance({ address: a as Hex, blockNumber: head });
    expect(sum).toBe(supply);
  }, 90_000);
});

function fromHexBytes(h: Hex): Uint8Array {
  return Uint8Array.from(Buffer.from(h.slice(2), 'hex'));
}
const fromHexAddr = fromHexBytes;
