/** `etm tx transfer`: sign a value transfer and send it to a node over JSON-RPC. */
import { Command } from 'commander';
import { parseAddress, toChecksumAddress } from '../crypto/address.js';
import { sendTransaction, signingKey, withSender, type SenderOptions } from './sender.js';
import { formatUnits, parseUnits } from './units.js';

interface TransferOptions extends SenderOptions {
  to: string;
  value: string;
}

export function txCommand(): Command {
  const tx = new Command('tx').description('sign and send transactions to a node');
  withSender(
    tx
      .command('transfer')
      .description('send ETM to an address and wait for its receipt')
      .requiredOption('--to <address>', 'recipient')
      .requiredOption('--value <etm>', 'amount in ETM, e.g. 1.5'),
  ).action(async (o: TransferOptions) => {
    const to = parseAddress(o.to);
    const value = parseUnits(o.value);
    const key = await signingKey(o);
    await sendTransaction(o, key, {
      to,
      value,
      describe: `sent ${formatUnits(value)} ETM to ${toChecksumAddress(to)}`,
    });
  });
  return tx;
}
