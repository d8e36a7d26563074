/**
 * `etm gov …`: the DAO over JSON-RPC (docs/governance.md). Proposals, deposits and votes are
 * calls of the governance system contract; `list` and `show` read etm_getProposals and
 * etm_getProposal.
 */
import { Command, InvalidArgumentError } from 'commander';
import { encodeFunctionData, type Hex } from 'viem';
import { parseAddress, toChecksumAddress } from '../crypto/address.js';
import { fromHex, toHex } from '../crypto/bytes.js';
import { asUint, rlpDecode } from '../codec/rlp.js';
import { GOVERNANCE_ABI, PROPOSAL_KINDS, VOTE_OPTION } from '../governance/abi.js';
import { encodePayload, type Payload } from '../governance/payload.js';
import { PARAM_NAMES, PARAMS, type ParamName } from '../params/registry.js';
import { paramSlot } from '../params/store.js';
import { GOVERNANCE_ADDRESS, PARAMETERS_ADDRESS } from '../primitives/system-addresses.js';
import { rpcCall } from './rpc-client.js';
import {
  DEFAULT_RPC,
  sendTransaction,
  signingKey,
  withSender,
  type SenderOptions,
} from './sender.js';
import { formatUnits, parseUnits } from './units.js';

/** What `etm gov propose` accepts as a kind, and the kind it stands for. */
const KINDS: Record<string, Payload['kind']> = {
  text: 'text',
  param: 'parameter-change',
  spend: 'treasury-spend',
  settle: 'global-settlement',
  rescind: 'rescind',
  cancel: 'cancel',
};

function proposalId(text: string): bigint {
  if (!/^[0-9]+$/.test(text))
    throw new InvalidArgumentError('expected a proposal id (a whole number)');
  return BigInt(text);
}

function uintList(text: string): bigint[] {
  const parts = text.split(',').map((s) => s.trim());
  if (parts.some((p) => !/^[0-9]+$/.test(p)))
    throw new InvalidArgumentError('expected whole numbers, separated by commas (e.g. 2 or 1,2,3)');
  return parts.map((p) => BigInt(p));
}

async function callGovernance(o: SenderOptions, data: Hex, describe: string, value = 0n) {
  const key = await signingKey(o);
  return sendTransaction(o, key, { to: GOVERNANCE_ADDRESS, value, data: fromHex(data), describe });
}

/** A parameter as the node's head state holds it. */
async function headParam(rpc: string, name: ParamName): Promise<bigint> {
  const v = await rpcCall<string>(rpc, 'eth_getStorageAt', [
    toHex(PARAMETERS_ADDRESS),
    toHex(paramSlot(name)),
    'latest',
  ]);
  const bytes = fromHex(v as Hex);
  // Storage words are right-aligned: the record is the RLP after the leading zeros.
  let i = 0;
  while (i < bytes.length - 1 && bytes[i] === 0) i++;
  return asUint(rlpDecode(bytes.subarray(i)), name);
}

interface ProposeOptions extends SenderOptions {
  deposit?: string;
  text?: string;
  name?: string;
  value?: bigint[];
  to?: string;
  amount?: string;
  tx?: string;
  proposal?: bigint;
}

async function payloadOf(kind: Payload['kind'], o: ProposeOptions): Promise<Payload> {
  const need = <T>(v: T | undefined, flag: string): T => {
    if (v === undefined) throw new Error(`a ${kind} proposal needs ${flag}`);
    return v;
  };
  switch (kind) {
    case 'text':
      return { kind, text: need(o.text, '--text') };
    case 'parameter-change': {
      const name = need(o.name, '--name');
      if (!(PARAM_NAMES as readonly string[]).includes(name))
        throw new Error(`no parameter ${name}; parameters: ${PARAM_NAMES.join(', ')}`);
      const key = name as ParamName;
      const value = need(o.value, '--value');
      if (PARAMS[key].type === 'uint' && value.length !== 1)
        throw new Error(`${key} is one whole number`);
      return { kind, name: key, value: PARAMS[key].type === 'uint' ? value[0]! : value };
    }
    case 'treasury-spend':
      return {
        kind,
        to: parseAddress(need(o.to, '--to')),
        amount: parseUnits(need(o.amount, '--amount')),
      };
    case 'global-settlement':
      return { kind };
    case 'rescind': {
      // The payload states the transfer; this node's chain supplies it, and voters can check it
      // against theirs (etm_getProposal reports rescindMatches).
      const hash = need(o.tx, '--tx');
      const tx = await rpcCall<{ from: string; to: string | null; value: string } | null>(
        o.rpc,
        'eth_getTransactionByHash',
        [hash],
      );
      const receipt = await rpcCall<{ status: string } | null>(o.rpc, 'eth_getTransactionReceipt', [
        hash,
      ]);
      if (!tx || !receipt) throw new Error(`transaction ${hash} is not in the chain`);
      if (receipt.status !== '0x1') throw new Error(`transaction ${hash} failed: it moved nothing`);
      if (!tx.to || BigInt(tx.value) === 0n)
        throw new Error(`transaction ${hash} sent no value to an account`);
      return {
        kind,
        txHash: fromHex(hash as Hex),
        from: parseAddress(tx.from),
        to: parseAddress(tx.to),
        amount: BigInt(tx.value),
      };
    }
    case 'cancel':
      return { kind, proposalId: need(o.proposal, '--proposal') };
  }
}

interface ProposalJson {
  id: string;
  kind: string;
  status: string;
  proposer: string;
  deposit: string;
  turnout: string | null;
  timeline: { votingEnd: string | null; executeAt: string | null };
  tally: { yes: string; no: string; abstain: string; veto: string };
}

export function govCommand(): Command {
  const gov = new Command('gov').description(
    'the DAO: propose, deposit, vote, and follow proposals',
  );
  withSender(
    gov
      .command('propose')
      .description(
        'submit a proposal with a deposit: text, param (a parameter change), spend (from the treasury), settle (global settlement), rescind (a transfer), cancel (an emergency proposal)',
      )
      .argument('<kind>', `one of ${Object.keys(KINDS).join(', ')}`)
      .option('--deposit <etm>', 'deposit in ETM (default: proposalDeposit, which opens the vote)')
      .option('--text <text>', 'text: the proposal text')
      .option('--name <parameter>', 'param: the parameter name (e.g. lotterySeats)')
      .option(
        '--value <n[,n…]>',
        'param: the new value, whole numbers in the registry’s unit',
        uintList,
      )
      .option('--to <address>', 'spend: the recipient')
      .option('--amount <etm>', 'spend: the amount in ETM')
      .option('--tx <hash>', 'rescind: the transaction whose transfer is reversed')
      .option('--proposal <id>', 'cancel: the emergency proposal to cancel', proposalId),
  ).action(async (kindText: string, o: ProposeOptions) => {
    const kind = KINDS[kindText];
    if (!kind)
      throw new Error(`no proposal kind ${kindText}: use one of ${Object.keys(KINDS).join(', ')}`);
    const payload = await payloadOf(kind, o);
    const deposit =
      o.deposit !== undefined ? parseUnits(o.deposit) : await headParam(o.rpc, 'proposalDeposit');
    await callGovernance(
      o,
      encodeFunctionData({
        abi: GOVERNANCE_ABI,
        functionName: 'propose',
        args: [PROPOSAL_KINDS.indexOf(kind), toHex(encodePayload(payload)) as Hex],
      }),
      `propose ${kind} with a deposit of ${formatUnits(deposit)} ETM`,
      deposit,
    );
  });
  withSender(
    gov
      .command('deposit')
      .description('add to a proposal’s deposit during its deposit period')
      .requiredOption('--proposal <id>', 'proposal id', proposalId)
      .requiredOption('--amount <etm>', 'amount in ETM'),
  ).action(async (o: SenderOptions & { proposal: bigint; amount: string }) => {
    const amount = parseUnits(o.amount);
    await callGovernance(
      o,
      encodeFunctionData({ abi: GOVERNANCE_ABI, functionName: 'deposit', args: [o.proposal] }),
      `deposit ${formatUnits(amount)} ETM on proposal ${o.proposal}`,
      amount,
    );
  });
  withSender(
    gov
      .command('vote')
      .description(
        'vote on a proposal with every lock you own (your voters’ locks follow unless they vote)',
      )
      .requiredOption('--proposal <id>', 'proposal id', proposalId)
      .requiredOption('--option <option>', 'yes, no, abstain or veto'),
  ).action(async (o: SenderOptions & { proposal: bigint; option: string }) => {
    const option = VOTE_OPTION[o.option as keyof typeof VOTE_OPTION];
    if (option === undefined) throw new Error('--option must be yes, no, abstain or veto');
    await callGovernance(
      o,
      encodeFunctionData({ abi: GOVERNANCE_ABI, functionName: 'vote', args: [o.proposal, option] }),
      `vote ${o.option} on proposal ${o.proposal}`,
    );
  });
  gov
    .command('list')
    .description('the latest proposals: status, tally and timeline')
    .option('--rpc <url>', 'node JSON-RPC URL', DEFAULT_RPC)
    .action(async (o: { rpc: string }) => {
      const list = await rpcCall<ProposalJson[]>(o.rpc, 'etm_getProposals', []);
      if (list.length === 0) {
        process.stdout.write('no proposals\n');
        return;
      }
      for (const p of list) {
        const t = p.tally;
        const end = p.timeline.executeAt ?? p.timeline.votingEnd;
        process.stdout.write(
          `#${BigInt(p.id)} ${p.kind} ${p.status}${end ? ` (block ${BigInt(end)})` : ''} by ${toChecksumAddress(parseAddress(p.proposer))}: deposit ${formatUnits(BigInt(p.deposit))} ETM; yes ${formatUnits(BigInt(t.yes))} no ${formatUnits(BigInt(t.no))} abstain ${formatUnits(BigInt(t.abstain))} veto ${formatUnits(BigInt(t.veto))}\n`,
        );
      }
    });
  gov
    .command('show')
    .description('one proposal as etm_getProposal returns it')
    .argument('<id>', 'proposal id', proposalId)
    .option('--rpc <url>', 'node JSON-RPC URL', DEFAULT_RPC)
    .action(async (id: bigint, o: { rpc: string }) => {
      const p = await rpcCall<ProposalJson | null>(o.rpc, 'etm_getProposal', [
        '0x' + id.toString(16),
      ]);
      if (!p) throw new Error(`no proposal ${id}`);
      process.stdout.write(JSON.stringify(p, null, 2) + '\n');
    });
  return gov;
}
