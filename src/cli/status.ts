/** `etm status`: what a running node reports about its chain. */
import { Command } from 'commander';
import { rpcCall } from './rpc-client.js';

export function statusCommand(): Command {
  return new Command('status')
    .description("show a running node's chain id, head block, validators and sync state")
    .option('--rpc <url>', 'node JSON-RPC URL', 'http://127.0.0.1:8545')
    .option('--json', 'print one JSON object', false)
    .action(async (o: { rpc: string; json: boolean }) => {
      const [chainId, client, block, validators, syncing] = await Promise.all([
        rpcCall<string>(o.rpc, 'eth_chainId'),
        rpcCall<string>(o.rpc, 'web3_clientVersion'),
        rpcCall<{
          number: string;
          hash: string;
          timestamp: string;
          baseFeePerGas: string;
          miner: string;
        }>(o.rpc, 'eth_getBlockByNumber', ['latest', false]),
        rpcCall<{ height: string; epoch: string; validators: string[]; proposer: string }>(
          o.rpc,
          'etm_getValidators',
        ),
        rpcCall<unknown>(o.rpc, 'eth_syncing'),
      ]);
      const status = {
        client,
        chainId: BigInt(chainId).toString(),
        head: {
          number: BigInt(block.number).toString(),
          hash: block.hash,
          timestamp: BigInt(block.timestamp).toString(),
        },
        baseFeePerGas: BigInt(block.baseFeePerGas).toString(),
        nextHeight: BigInt(validators.height).toString(),
        nextProposer: validators.proposer,
        validators: validators.validators,
        syncing,
      };
      if (o.json) {
        process.stdout.write(JSON.stringify(status) + '\n');
        return;
      }
      const age = Math.max(0, Math.floor(Date.now() / 1000) - Number(status.head.timestamp));
      process.stdout.write(
        [
          `client        ${status.client}`,
          `chain id      ${status.chainId}`,
          `head          ${status.head.number}  ${status.head.hash}  (${age}s ago)`,
          `base fee      ${status.baseFeePerGas} units/gas`,
          `syncing       ${syncing === false ? 'no' : JSON.stringify(syncing)}`,
          `validators    ${status.validators.length}, next proposer ${status.nextProposer}`,
          ...status.validators.map((v) => `  ${v}`),
        ].join('\n') + '\n',
      );
    });
}
