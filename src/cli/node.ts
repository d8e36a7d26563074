/** `etm node --config FILE`: run one node from its configuration file. */
import { Command } from 'commander';
import { unlockKeystoreFile } from './keys.js';
import { resolvePassword } from './password.js';
import { loadNodeConfig } from '../node/config.js';
import { startConfiguredNode } from '../node/run.js';
import { toChecksumAddress } from '../crypto/address.js';
import { toHex } from '../crypto/bytes.js';

export function nodeCommand(): Command {
  return new Command('node')
    .description(
      'run a node from a configuration file (see docs/node.md); a validator key in it makes the node vote',
    )
    .requiredOption('--config <file>', 'node configuration file (JSON)')
    .action(async (opts: { config: string }) => {
      const out = (line: string) => process.stdout.write(line + '\n');
      const config = loadNodeConfig(opts.config);
      let key: Uint8Array | null = null;
      if (config.validator) {
        const password = await resolvePassword({
          passwordFile: config.validator.passwordFile ?? undefined,
        });
        key = unlockKeystoreFile(config.validator.keystore, password);
      }
      const running = await startConfiguredNode(config, key, out);
      const { node } = running;
      out(
        `chain id ${node.chain.chainId}, genesis ${toHex(node.chain.genesisHash)}, head ${node.chain.headNumber}`,
      );
      out(
        node.address
          ? `validator ${toChecksumAddress(node.address)}`
          : 'following the chain (no validator key)',
      );
      if (running.httpUrl) out(`JSON-RPC ${running.httpUrl}  WebSocket ${running.wsUrl}`);
      const shutdown = () => void running.stop().then(() => process.exit(0));
      process.once('SIGINT', shutdown);
      process.once('SIGTERM', shutdown);
    });
}
