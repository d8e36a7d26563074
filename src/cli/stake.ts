/**
 * `etm stake …`, `etm candidate …` and `etm epoch`: locks, votes and candidacies through the
 * staking system contract, and the epoch's validators and election, over JSON-RPC.
 */
import { Command, InvalidArgumentError } from 'commander';
import { decodeFunctionResult, encodeFunctionData, type Hex } from 'viem';
import { parseAddress, toChecksumAddress } from '../crypto/address.js';
import { toHex } from '../crypto/bytes.js';
import { addressOf } from '../crypto/secp256k1.js';
import { STAKING_ADDRESS } from '../primitives/system-addresses.js';
import { STAKING_ABI } from '../staking/abi.js';
import { onionFromKey } from '../node/randao.js';
import { DEV_VALIDATOR_PATH } from '../node/devnet.js';
import { DEV_MNEMONIC, deriveAccounts } from '../crypto/mnemonic.js';
import { unlockKeystoreFile } from './keys.js';
import { integer } from './options.js';
import { resolvePassword } from './password.js';
import { rpcCall } from './rpc-client.js';
import {
  DEFAULT_RPC,
  sendTransaction,
  signingKey,
  withSender,
  type SenderOptions,
} from './sender.js';
import { formatUnits, parseUnits } from './units.js';
import { unjailCommand } from './evidence.js';

const ZERO = '0x0000000000000000000000000000000000000000';

/** A lock id option value. */
export function lockId(text: string): bigint {
  if (!/^[0-9]+$/.test(text)) throw new InvalidArgumentError('expected a lock id (a whole number)');
  return BigInt(text);
}

function bps(text: string): number {
  const m = /^([0-9]{1,3})(\.[0-9]{1,2})?%$/.exec(text);
  if (!m) throw new InvalidArgumentError('expected a percentage such as 10% or 2.5%');
  const whole = Number(m[1]) * 100 + (m[2] ? Number(m[2].slice(1).padEnd(2, '0')) : 0);
  if (whole > 10_000) throw new InvalidArgumentError('at most 100%');
  return whole;
}

/** Sends a call of the staking contract and reports its receipt. */
export async function callStaking(
  o: SenderOptions,
  key: Uint8Array,
  data: Hex,
  describe: string,
  value = 0n,
) {
  return sendTransaction(o, key, {
    to: STAKING_ADDRESS,
    value,
    data: Uint8Array.from(Buffer.from(data.slice(2), 'hex')),
    describe,
  });
}

const hex = (n: string) => BigInt(n);

interface RpcLock {
  id: string;
  amount: string;
  candidate: string | null;
  since: string;
  t: string;
  x: string;
}

export function stakeCommand(): Command {
  const stake = new Command('stake').description('lock ETM, vote for candidates, unlock');
  withSender(
    stake
      .command('lock')
      .description('lock ETM into a new lock, optionally voting for a candidate')
      .requiredOption('--amount <etm>', 'amount in ETM')
      .option('--candidate <address>', 'operator address of the candidate to vote for'),
  ).action(async (o: SenderOptions & { amount: string; candidate?: string }) => {
    const amount = parseUnits(o.amount);
    const candidate = o.candidate ? toChecksumAddress(parseAddress(o.candidate)) : ZERO;
    const key = await signingKey(o);
    await callStaking(
      o,
      key,
      encodeFunctionData({
        abi: STAKING_ABI,
        functionName: 'lock',
        args: [amount, candidate as Hex],
      }),
      `lock ${formatUnits(amount)} ETM${o.candidate ? ` voting for ${candidate}` : ''}`,
    );
  });
  withSender(
    stake
      .command('vote')
      .description("make a lock vote for a candidate (resets the lock's age)")
      .requiredOption('--lock <id>', 'lock id', lockId)
      .requiredOption('--candidate <address>', 'operator address of the candidate'),
  ).action(async (o: SenderOptions & { lock: bigint; candidate: string }) => {
    const candidate = toChecksumAddress(parseAddress(o.candidate)) as Hex;
    const key = await signingKey(o);
    await callStaking(
      o,
      key,
      encodeFunctionData({ abi: STAKING_ABI, functionName: 'vote', args: [o.lock, candidate] }),
      `lock ${o.lock} votes for ${candidate}`,
    );
  });
  withSender(
    stake
      .command('unvote')
      .description('withdraw a lock’s vote')
      .requiredOption('--lock <id>', 'lock id', lockId),
  ).action(async (o: SenderOptions & { lock: bigint }) => {
    const key = await signingKey(o);
    await callStaking(
      o,
      key,
      encodeFunctionData({ abi: STAKING_ABI, functionName: 'unvote', args: [o.lock] }),
      `lock ${o.lock} stops voting`,
    );
  });
  withSender(
    stake
      .command('unlock')
      .description('unlock: the amount returns to the balance after the unbonding period')
      .requiredOption('--lock <id>', 'lock id', lockId),
  ).action(async (o: SenderOptions & { lock: bigint }) => {
    const key = await signingKey(o);
    await callStaking(
      o,
      key,
      encodeFunctionData({ abi: STAKING_ABI, functionName: 'unlock', args: [o.lock] }),
      `unlock lock ${o.lock}`,
    );
  });
  stake
    .command('list')
    .description("an account's locks with their time gain t and weight x")
    .argument('<address>', 'owner')
    .option('--rpc <url>', 'node JSON-RPC URL', DEFAULT_RPC)
    .action(async (address: string, o: { rpc: string }) => {
      const owner = toChecksumAddress(parseAddress(address));
      const locks = await rpcCall<RpcLock[]>(o.rpc, 'etm_getLocks', [owner]);
      if (locks.length === 0) process.stdout.write(`${owner} has no locks\n`);
      for (const l of locks) {
        process.stdout.write(
          `lock ${hex(l.id)}  ${formatUnits(hex(l.amount))} ETM  ${l.candidate ? `votes for ${l.candidate}` : 'no vote'}  since ${hex(l.since)}  t ${hex(l.t)}  x ${formatUnits(hex(l.x))}\n`,
        );
      }
    });
  return stake;
}

interface RpcCandidate {
  jailedUntilEpoch?: string | null;
  slashes?: { reason: string; amount: string }[];
  address: string;
  consensusKey: string;
  name: string;
  deposit: string;
  status: string;
  commissionBps: string;
  votes: string;
  X: string;
  v: string;
  m: string;
  n: string;
  R: string;
  probability: string;
  elected: boolean;
}

export function candidateCommand(): Command {
  const cand = new Command('candidate').description('register and manage validator candidacies');
  withConsensusKey(
    withSender(
      cand
        .command('register')
        .description(
          "register the sender as a candidate; the deposit becomes a self-lock. The validator's consensus key's RANDAO onion is derived from that key",
        )
        .requiredOption('--name <name>', 'unique name, 1-20 characters of a-z 0-9 . _ -')
        .option('--deposit <etm>', 'deposit in ETM (at least candidateDeposit)', '1000')
        .option('--commission <percent>', "operator's commission", bps, 1000)
        .option('--commission-max <percent>', 'the most the commission may ever be', bps, 2000),
    ),
  ).action(
    async (
      o: SenderOptions &
        ConsensusKeyOptions & {
          name: string;
          deposit: string;
          commission: number;
          commissionMax: number;
        },
    ) => {
      const deposit = parseUnits(o.deposit);
      const consensusKey = await consensusKeyOf(o, true);
      const commitment = await commitmentOf(o.rpc, consensusKey, 0n);
      const key = await signingKey(o);
      const consensusAddress = toChecksumAddress(addressOf(consensusKey)) as Hex;
      await callStaking(
        o,
        key,
        encodeFunctionData({
          abi: STAKING_ABI,
          functionName: 'registerCandidate',
          args: [consensusAddress, o.name, o.commission, o.commissionMax, commitment],
        }),
        `register candidate ${o.name} (consensus key ${consensusAddress}) with a deposit of ${formatUnits(deposit)} ETM`,
        deposit,
      );
    },
  );
  withConsensusKey(
    withSender(
      cand
        .command('update')
        .description(
          "change the sender candidate's name or commission, or rotate its consensus key (with the new key's RANDAO commitment; it takes effect at the first block of the epoch after next)",
        )
        .option('--name <name>', 'new name')
        .option('--commission <percent>', 'new commission', bps),
    ),
  ).action(
    async (o: SenderOptions & ConsensusKeyOptions & { name?: string; commission?: number }) => {
      const key = await signingKey(o);
      const operator = toChecksumAddress(addressOf(key));
      const current = (await rpcCall<RpcCandidate[]>(o.rpc, 'etm_getCandidates')).find(
        (c) => c.address.toLowerCase() === operator.toLowerCase(),
      );
      if (!current) throw new Error(`${operator} is not a candidate`);
      const name = o.name ?? current.name;
      const commission = o.commission ?? Number(BigInt(current.commissionBps));
      const newKey = await consensusKeyOf(o, false);
      let args: readonly unknown[] = [name, commission];
      let describe = `update candidate ${name}: commission ${commission / 100}%`;
      if (newKey) {
        // The new key's onion is the candidate's next generation.
        const generation = (await randaoOf(o.rpc, operator)).generation + 1n;
        const keyAddress = toChecksumAddress(addressOf(newKey)) as Hex;
        args = [...args, keyAddress, await commitmentOf(o.rpc, newKey, generation)];
        describe += `, consensus key ${keyAddress} from the epoch after next`;
      }
      await callStaking(
        o,
        key,
        encodeFunctionData({ abi: STAKING_ABI, functionName: 'updateCandidate', args } as never),
        describe,
      );
    },
  );
  withConsensusKey(
    withSender(
      cand
        .command('renew-randao')
        .description(
          "commit to the consensus key's next RANDAO onion (a validator node does this by itself when its consensus key can pay the fee); sent by the operator or the consensus key",
        ),
    ),
  ).action(async (o: SenderOptions & ConsensusKeyOptions) => {
    const key = await signingKey(o);
    const consensusKey = await consensusKeyOf(o, true);
    const keyAddress = toChecksumAddress(addressOf(consensusKey));
    const cand = (await rpcCall<RpcCandidate[]>(o.rpc, 'etm_getCandidates')).find(
      (c) => c.consensusKey.toLowerCase() === keyAddress.toLowerCase(),
    );
    if (!cand) throw new Error(`${keyAddress} is not the consensus key of a candidate`);
    const generation = (await randaoOf(o.rpc, cand.address)).generation + 1n;
    const commitment = await commitmentOf(o.rpc, consensusKey, generation);
    await callStaking(
      o,
      key,
      encodeFunctionData({ abi: STAKING_ABI, functionName: 'renewRandao', args: [commitment] }),
      `renew the RANDAO commitment of ${cand.name} (generation ${generation}, ${await chainRandaoLayers(o.rpc)} reveals)`,
    );
  });
  withSender(
    cand
      .command('top-up')
      .description(
        "add to the sender candidate's deposit, or restore a withdrawn one (its age restarts)",
      )
      .requiredOption('--deposit <etm>', 'amount in ETM'),
  ).action(async (o: SenderOptions & { deposit: string }) => {
    const amount = parseUnits(o.deposit);
    const key = await signingKey(o);
    await callStaking(
      o,
      key,
      encodeFunctionData({ abi: STAKING_ABI, functionName: 'topUpDeposit', args: [] }),
      `add ${formatUnits(amount)} ETM to the deposit`,
      amount,
    );
  });
  unjailCommand(cand);
  cand
    .command('randao')
    .description("a candidate's RANDAO commitment: reveals used and left, and a pending renewal")
    .argument('<operator>', 'operator address of the candidate')
    .option('--rpc <url>', 'node JSON-RPC URL', DEFAULT_RPC)
    .action(async (operator: string, o: { rpc: string }) => {
      const r = await randaoOf(o.rpc, toChecksumAddress(parseAddress(operator)));
      process.stdout.write(
        `generation ${r.generation}: ${r.reveals} of ${r.layers} reveals used, ${r.layers - r.reveals} left; last reveal ${r.last}\n`,
      );
      process.stdout.write(
        r.nextFromBlock === 0n
          ? 'no renewal pending\n'
          : `renewal pending: consensus key ${r.nextConsensusKey}, commitment ${r.nextCommitment}, from block ${r.nextFromBlock}\n`,
      );
    });
  cand
    .command('list')
    .description('candidates with their weights, performance and election chances')
    .option('--rpc <url>', 'node JSON-RPC URL', DEFAULT_RPC)
    .action(async (o: { rpc: string }) => {
      const list = await rpcCall<RpcCandidate[]>(o.rpc, 'etm_getCandidates');
      if (list.length === 0) process.stdout.write('no candidates\n');
      for (const c of list) {
        process.stdout.write(
          `${c.name.padEnd(20)} ${c.address}  ${c.status}${c.jailedUntilEpoch ? ` until epoch ${hex(c.jailedUntilEpoch)}` : ''}${c.elected ? ', elected' : ''}${c.slashes?.length ? `, slashed ${c.slashes.map((x) => `${formatUnits(hex(x.amount))} ETM (${x.reason})`).join(', ')}` : ''}  deposit ${formatUnits(hex(c.deposit))} ETM  commission ${Number(hex(c.commissionBps)) / 100}%  votes x ${formatUnits(hex(c.votes))}  X ${c.X}  v ${c.v} (m ${hex(c.m)}, n ${hex(c.n)})  R ${c.R}  P ${c.probability}\n`,
        );
      }
    });
  return cand;
}

interface ConsensusKeyOptions {
  consensusKeystore?: string;
  consensusPasswordFile?: string;
  devValidator?: number;
}

/** Adds the options that name a validator's consensus key. */
function withConsensusKey(cmd: Command): Command {
  return cmd
    .option('--consensus-keystore <file>', "the validator's consensus key (keystore v3)")
    .option('--consensus-password-file <file>', 'its password (else ETM_PASSWORD or a prompt)')
    .option(
      '--dev-validator <n>',
      'consensus key: dev validator key n, run by `etm devnet` as a standby node',
      integer(0, 1000),
    );
}

/** The consensus key the options name; null when none is given and none is required. */
async function consensusKeyOf(o: ConsensusKeyOptions, required: true): Promise<Uint8Array>;
async function consensusKeyOf(o: ConsensusKeyOptions, required: false): Promise<Uint8Array | null>;
async function consensusKeyOf(
  o: ConsensusKeyOptions,
  required: boolean,
): Promise<Uint8Array | null> {
  if (o.consensusKeystore !== undefined && o.devValidator !== undefined)
    throw new Error('give one of --consensus-keystore FILE or --dev-validator N, not both');
  if (o.consensusKeystore)
    return unlockKeystoreFile(
      o.consensusKeystore,
      await resolvePassword({ passwordFile: o.consensusPasswordFile }),
    );
  if (o.devValidator !== undefined)
    return deriveAccounts(DEV_MNEMONIC, o.devValidator + 1, DEV_VALIDATOR_PATH)[o.devValidator]!
      .privateKey;
  if (required) throw new Error('give --consensus-keystore FILE or --dev-validator N');
  return null;
}

/** A view of the staking contract through eth_call. */
async function stakingView<F extends 'getRandao' | 'randaoLayers'>(
  rpc: string,
  functionName: F,
  args: readonly unknown[],
) {
  const data = encodeFunctionData({ abi: STAKING_ABI, functionName, args } as never);
  const out = await rpcCall<Hex>(rpc, 'eth_call', [{ to: toHex(STAKING_ADDRESS), data }, 'latest']);
  return decodeFunctionResult({ abi: STAKING_ABI, functionName, data: out } as never);
}

/** Layers every new RANDAO commitment must have on this chain. */
async function chainRandaoLayers(rpc: string): Promise<bigint> {
  return (await stakingView(rpc, 'randaoLayers', [])) as bigint;
}

/** The commitment of a consensus key's onion of `generation`, as long as the chain wants. */
async function commitmentOf(rpc: string, consensusKey: Uint8Array, generation: bigint) {
  return toHex(
    onionFromKey(consensusKey, await chainRandaoLayers(rpc), generation).commitment,
  ) as Hex;
}

async function randaoOf(rpc: string, operator: string) {
  const [last, reveals, layers, generation, nextConsensusKey, nextCommitment, nextFromBlock] =
    (await stakingView(rpc, 'getRandao', [operator])) as readonly [
      Hex,
      bigint,
      bigint,
      bigint,
      Hex,
      Hex,
      bigint,
    ];
  return { last, reveals, layers, generation, nextConsensusKey, nextCommitment, nextFromBlock };
}

interface RpcEpoch {
  epoch: string;
  firstBlock: string;
  lastBlock: string;
  validators: string[];
  seed: string;
}

export function epochCommand(): Command {
  return new Command('epoch')
    .description('the current epoch: its blocks, validators in proposer order, and seed')
    .option('--rpc <url>', 'node JSON-RPC URL', DEFAULT_RPC)
    .option('--epoch <n>', 'another epoch', integer(0, Number.MAX_SAFE_INTEGER))
    .action(async (o: { rpc: string; epoch?: number }) => {
      const e = await rpcCall<RpcEpoch>(
        o.rpc,
        'etm_getEpoch',
        o.epoch === undefined ? [] : [`0x${o.epoch.toString(16)}`],
      );
      process.stdout.write(
        `epoch ${hex(e.epoch)}: blocks ${hex(e.firstBlock)}–${hex(e.lastBlock)}, seed ${e.seed}\n`,
      );
      e.validators.forEach((v, i) => process.stdout.write(`  ${i}  ${v}\n`));
    });
}
