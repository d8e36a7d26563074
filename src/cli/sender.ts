/**
 * Signing and sending a transaction from the command line: the sender's key (keystore, hex or
 * a devnet account), fees from the node, gas from eth_estimateGas (which reports a call that
 * would revert before anything is sent), and the wait for the receipt.
 */
import { Command } from 'commander';
import { createCustomCommon, Mainnet } from '@ethereumjs/common';
import { createFeeMarket1559Tx } from '@ethereumjs/tx';
import { toChecksumAddress } from '../crypto/address.js';
import { toHex } from '../crypto/bytes.js';
import { DEV_MNEMONIC, deriveAccounts } from '../crypto/mnemonic.js';
import { addressOf } from '../crypto/secp256k1.js';
import { parsePrivateKeyInput, unlockKeystoreFile } from './keys.js';
import { integer } from './options.js';
import { resolvePassword } from './password.js';
import { rpcCall } from './rpc-client.js';
import { formatUnits } from './units.js';

export interface SenderOptions {
  rpc: string;
  keystore?: string;
  passwordFile?: string;
  privateKey?: string;
  devAccount?: number;
  wait: boolean;
  timeout: number;
}

export interface Receipt {
  blockNumber: string;
  status: string;
  gasUsed: string;
  effectiveGasPrice: string;
  logs: { address: string; topics: string[]; data: string }[];
}

export const DEFAULT_RPC = 'http://127.0.0.1:8545';

/** Adds --rpc and the sender options to a command. */
export function withSender(cmd: Command): Command {
  return cmd
    .option('--rpc <url>', 'node JSON-RPC URL', DEFAULT_RPC)
    .option('--keystore <file>', 'sender key: an Ethereum keystore v3 file')
    .option('--password-file <file>', 'keystore password (else ETM_PASSWORD or a prompt)')
    .option('--private-key <hex>', 'sender key as hex (development only)')
    .option('--dev-account <n>', 'sender: account n of the devnet mnemonic', integer(0, 1000))
    .option('--no-wait', 'print the hash without waiting for the receipt')
    .option('--timeout <s>', 'seconds to wait for the receipt', integer(1, 3600), 60);
}

export async function signingKey(o: SenderOptions): Promise<Uint8Array> {
  const given = [o.keystore, o.privateKey, o.devAccount].filter((v) => v !== undefined).length;
  if (given !== 1)
    throw new Error('give exactly one of --keystore FILE, --private-key HEX or --dev-account N');
  if (o.keystore)
    return unlockKeystoreFile(o.keystore, await resolvePassword({ passwordFile: o.passwordFile }));
  if (o.privateKey) return parsePrivateKeyInput(o.privateKey);
  return deriveAccounts(DEV_MNEMONIC, o.devAccount! + 1)[o.devAccount!]!.privateKey;
}

/**
 * Signs and sends an EIP-1559 transaction; prints its hash, and unless --no-wait, waits for the
 * receipt and prints where it landed. Returns the receipt (null with --no-wait).
 */
export async function sendTransaction(
  o: SenderOptions,
  key: Uint8Array,
  tx: { to: Uint8Array; value: bigint; data?: Uint8Array; describe: string },
): Promise<Receipt | null> {
  const from = toChecksumAddress(addressOf(key));
  const data = tx.data ?? new Uint8Array(0);
  const chainId = BigInt(await rpcCall<string>(o.rpc, 'eth_chainId'));
  const nonce = BigInt(await rpcCall<string>(o.rpc, 'eth_getTransactionCount', [from, 'pending']));
  const tip = BigInt(await rpcCall<string>(o.rpc, 'eth_maxPriorityFeePerGas'));
  const block = await rpcCall<{ baseFeePerGas: string }>(o.rpc, 'eth_getBlockByNumber', [
    'latest',
    false,
  ]);
  const gasLimit = BigInt(
    await rpcCall<string>(o.rpc, 'eth_estimateGas', [
      { from, to: toHex(tx.to), value: `0x${tx.value.toString(16)}`, data: toHex(data) },
    ]),
  );
  const maxFee = BigInt(block.baseFeePerGas) * 2n + tip;
  const common = createCustomCommon({ chainId: Number(chainId) }, Mainnet);
  const signed = createFeeMarket1559Tx(
    {
      chainId,
      nonce,
      to: tx.to,
      value: tx.value,
      data,
      gasLimit,
      maxFeePerGas: maxFee,
      maxPriorityFeePerGas: tip,
    },
    { common },
  ).sign(key);
  const hash = await rpcCall<string>(o.rpc, 'eth_sendRawTransaction', [toHex(signed.serialize())]);
  process.stdout.write(`${tx.describe} from ${from}\ntransaction ${hash}\n`);
  if (!o.wait) return null;
  const deadline = Date.now() + o.timeout * 1000;
  while (Date.now() < deadline) {
    const r = await rpcCall<Receipt | null>(o.rpc, 'eth_getTransactionReceipt', [hash]);
    if (r) {
      const fee = BigInt(r.gasUsed) * BigInt(r.effectiveGasPrice);
      process.stdout.write(
        `included in block ${BigInt(r.blockNumber)}, status ${r.status === '0x1' ? 'success' : 'failed'}, fee ${formatUnits(fee)} ETM\n`,
      );
      if (r.status !== '0x1') throw new Error('the transaction failed');
      return r;
    }
    await new Promise((res) => setTimeout(res, 250));
  }
  throw new Error(`no receipt after ${o.timeout}s; the transaction may still be pending`);
}
