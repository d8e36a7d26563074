/**
 * `etm economics` (supply, staking ratio, rates and APY from `etm_getEconomics`) and
 * `etm rewards …` (pending rewards of an account's locks; claim; auto-compound) over JSON-RPC.
 */
import { Command, InvalidArgumentError } from 'commander';
import { encodeFunctionData } from 'viem';
import { parseAddress, toChecksumAddress } from '../crypto/address.js';
import { parseDecimal, toDecimalString } from '../math/fixed.js';
import { STAKING_ABI } from '../staking/abi.js';
import { rpcCall } from './rpc-client.js';
import { DEFAULT_RPC, signingKey, withSender, type SenderOptions } from './sender.js';
import { callStaking, lockId } from './stake.js';
import { formatUnits } from './units.js';

/** The fields of etm_getEconomics (see docs/economics.md). */
export interface RpcEconomics {
  block: string;
  supply: string;
  totalLocked: string;
  stakingRatio: string | null;
  inflationRate: string;
  inflationYear: string;
  nextInflationSwitch: string | null;
  blocksPerYear: string;
  validatorInflationShare: string;
  perBlockRate: string;
  rewardPerTokenPerBlock: string | null;
  minted: string;
  mintedTotal: string;
  apyEstimate: string | null;
  apyCurrent: string | null;
  bonusReleased: string;
  bonusPending: string;
  bonusPool: string;
  treasury: string;
  rewardPool: string;
}

/** A 36-decimal rate string as a percentage with 4 decimals (exact, rounded down). */
export function percent(rate: string | null): string {
  if (rate === null) return 'n/a';
  return `${toDecimalString(parseDecimal(rate) * 100n, 4)}%`;
}

const etm = (q: string) => `${formatUnits(BigInt(q))} ETM`;

export function economicsCommand(): Command {
  return new Command('economics')
    .description('supply, staking ratio, inflation, reward rate and APY at the head (or a block)')
    .option('--rpc <url>', 'node JSON-RPC URL', DEFAULT_RPC)
    .option('--block <n>', 'a block number instead of the head', (v) => {
      if (!/^[0-9]+$/.test(v)) throw new InvalidArgumentError('expected a block number');
      return `0x${BigInt(v).toString(16)}`;
    })
    .option('--json', 'print the RPC answer as JSON')
    .action(async (o: { rpc: string; block?: string; json?: boolean }) => {
      const e = await rpcCall<RpcEconomics>(o.rpc, 'etm_getEconomics', o.block ? [o.block] : []);
      if (o.json) {
        process.stdout.write(`${JSON.stringify(e, null, 2)}\n`);
        return;
      }
      const lines: [string, string][] = [
        ['block', BigInt(e.block).toString()],
        ['supply B', etm(e.supply)],
        ['locked S', etm(e.totalLocked)],
        ['staking ratio S/B', percent(e.stakingRatio)],
        ['inflation i (yearly)', `${percent(e.inflationRate)} in year ${BigInt(e.inflationYear)}`],
        [
          'next inflation switch',
          e.nextInflationSwitch === null
            ? 'none (the schedule’s last rate)'
            : `block ${BigInt(e.nextInflationSwitch)}`,
        ],
        ['blocks per year n', BigInt(e.blocksPerYear).toString()],
        ['proposer share δ', percent(e.validatorInflationShare)],
        ['per-block rate i_n', e.perBlockRate],
        ['reward r per locked token per block', e.rewardPerTokenPerBlock ?? 'n/a (nothing locked)'],
        ['APY estimate (1+i)^((1−δ)·B/S) − 1', percent(e.apyEstimate)],
        ['APY at the current rate (1+r)^n − 1', percent(e.apyCurrent)],
        ['minted in this block', etm(e.minted)],
        ['minted since genesis', etm(e.mintedTotal)],
        [
          'voter bonus released / pending / pool',
          `${etm(e.bonusReleased)} / ${etm(e.bonusPending)} / ${etm(e.bonusPool)}`,
        ],
        ['DAO treasury', etm(e.treasury)],
        ['staking reward pool', etm(e.rewardPool)],
      ];
      for (const [k, v] of lines) process.stdout.write(`${k.padEnd(40)} ${v}\n`);
    });
}

interface RpcLockRewards {
  id: string;
  amount: string;
  candidate: string | null;
  pending: string;
  autoCompound: boolean;
}

export function rewardsCommand(): Command {
  const rewards = new Command('rewards').description(
    "staking rewards: an account's pending rewards, claim, auto-compound",
  );
  rewards
    .command('list')
    .description("the pending rewards of an account's locks")
    .argument('<address>', 'owner')
    .option('--rpc <url>', 'node JSON-RPC URL', DEFAULT_RPC)
    .action(async (address: string, o: { rpc: string }) => {
      const owner = toChecksumAddress(parseAddress(address));
      const locks = await rpcCall<RpcLockRewards[]>(o.rpc, 'etm_getLocks', [owner]);
      if (locks.length === 0) process.stdout.write(`${owner} has no locks\n`);
      let total = 0n;
      for (const l of locks) {
        total += BigInt(l.pending);
        process.stdout.write(
          `lock ${BigInt(l.id)}  ${etm(l.amount)}  pending ${etm(l.pending)}  auto-compound ${l.autoCompound ? 'on' : 'off'}${l.candidate ? `  votes for ${l.candidate}` : ''}\n`,
        );
      }
      if (locks.length > 0) process.stdout.write(`total pending ${formatUnits(total)} ETM\n`);
    });
  withSender(
    rewards
      .command('claim')
      .description("pay a lock's rewards to the balance (or into the lock with auto-compound)")
      .requiredOption('--lock <id>', 'lock id', lockId),
  ).action(async (o: SenderOptions & { lock: bigint }) => {
    const key = await signingKey(o);
    await callStaking(
      o,
      key,
      encodeFunctionData({ abi: STAKING_ABI, functionName: 'claim', args: [o.lock] }),
      `claim the rewards of lock ${o.lock}`,
    );
  });
  withSender(
    rewards
      .command('auto-compound')
      .description(
        "add a lock's rewards to the lock whenever it is touched, instead of waiting for claims",
      )
      .requiredOption('--lock <id>', 'lock id', lockId)
      .option('--off', 'turn auto-compound off'),
  ).action(async (o: SenderOptions & { lock: bigint; off?: boolean }) => {
    const key = await signingKey(o);
    const on = !o.off;
    await callStaking(
      o,
      key,
      encodeFunctionData({ abi: STAKING_ABI, functionName: 'setAutoCompound', args: [o.lock, on] }),
      `auto-compound ${on ? 'on' : 'off'} for lock ${o.lock}`,
    );
  });
  return rewards;
}
