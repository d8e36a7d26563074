/**
 * `etm evidence list|submit` and `etm candidate unjail`: the evidence system contract
 * (docs/slashing.md) over JSON-RPC.
 */
import { Command, InvalidArgumentError } from 'commander';
import { encodeFunctionData } from 'viem';
import { fromHex } from '../crypto/bytes.js';
import { EVIDENCE_ADDRESS } from '../primitives/system-addresses.js';
import { EVIDENCE_ABI } from '../slashing/abi.js';
import { rpcCall } from './rpc-client.js';
import {
  DEFAULT_RPC,
  sendTransaction,
  signingKey,
  withSender,
  type SenderOptions,
} from './sender.js';
import { formatUnits } from './units.js';

const TYPES = ['PROPOSAL', 'PREPARE', 'COMMIT', 'ROUND-CHANGE'];

interface RpcEvidence {
  validator: string;
  operator: string;
  height: string;
  round: string;
  type: string;
  reporter: string;
  slashed: string;
  block: string;
}

/** A signed consensus payload as hex (RLP [payload, signature], as a node logs it). */
function payloadHex(text: string): `0x${string}` {
  if (!/^0x([0-9a-fA-F]{2})+$/.test(text))
    throw new InvalidArgumentError('expected 0x-prefixed hex bytes');
  if (text.length > 2 + 2 * 512) throw new InvalidArgumentError('at most 512 bytes');
  return text.toLowerCase() as `0x${string}`;
}

async function callEvidence(o: SenderOptions, data: `0x${string}`, describe: string) {
  const key = await signingKey(o);
  return sendTransaction(o, key, {
    to: EVIDENCE_ADDRESS,
    value: 0n,
    data: fromHex(data),
    describe,
  });
}

export function evidenceCommand(): Command {
  const ev = new Command('evidence').description(
    'equivocation evidence: list what the chain accepted, submit a double signature',
  );
  ev.command('list')
    .description('the last equivocation evidence the chain accepted, and what it slashed')
    .option('--rpc <url>', 'node JSON-RPC URL', DEFAULT_RPC)
    .action(async (o: { rpc: string }) => {
      const list = await rpcCall<RpcEvidence[]>(o.rpc, 'etm_getEvidence');
      if (list.length === 0) process.stdout.write('no evidence accepted\n');
      for (const e of list)
        process.stdout.write(
          `block ${BigInt(e.block)}: ${e.validator} (operator ${e.operator}) signed two ${TYPES[Number(BigInt(e.type))] ?? e.type} at height ${BigInt(e.height)} round ${BigInt(e.round)}; slashed ${formatUnits(BigInt(e.slashed))} ETM, reported by ${e.reporter}\n`,
        );
    });
  withSender(
    ev
      .command('submit')
      .description(
        'submit two conflicting signed consensus messages of one validator (same height, round and type); the reporter earns reporterReward of the slash',
      )
      .requiredOption(
        '--first <hex>',
        'the first signed payload, RLP [payload, signature]',
        payloadHex,
      )
      .requiredOption('--second <hex>', 'the second signed payload', payloadHex),
  ).action(async (o: SenderOptions & { first: `0x${string}`; second: `0x${string}` }) => {
    await callEvidence(
      o,
      encodeFunctionData({
        abi: EVIDENCE_ABI,
        functionName: 'submitEvidence',
        args: [o.first, o.second],
      }),
      'submit equivocation evidence',
    );
  });
  return ev;
}

/** `etm candidate unjail`, added to the candidate command. */
export function unjailCommand(cand: Command): void {
  withSender(
    cand
      .command('unjail')
      .description(
        "return the sender's candidate, jailed for downtime, once its jail has ended (top up a deposit the slash took below candidateDeposit with `etm candidate top-up`)",
      ),
  ).action(async (o: SenderOptions) => {
    await callEvidence(
      o,
      encodeFunctionData({ abi: EVIDENCE_ABI, functionName: 'unjail' }),
      'unjail the candidate',
    );
  });
}
