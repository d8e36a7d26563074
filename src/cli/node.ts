/** `etm node --config FILE`: run one node from its configuration file. */
import { Command, Option } from 'commander';
import { unlockKeystoreFile } from './keys.js';
import { PASSWORD_ENV, resolvePassword } from './password.js';
import { loadNodeConfig } from '../node/config.js';
import { originList } from './options.js';
import { createLogger, type LogFormat, type LogLevel } from '../log/logger.js';
import { startConfiguredNode } from '../node/run.js';
import { toChecksumAddress } from '../crypto/address.js';
import { toHex } from '../crypto/bytes.js';

export function nodeCommand(): Command {
  return new Command('node')
    .description(
      'run a node from a configuration file (see docs/node.md and docs/network.md); a validator key in it makes the node vote',
    )
    .requiredOption('--config <file>', 'node configuration file (JSON)')
    .option(
      '--rpc-cors <origins>',
      'comma-separated browser origins allowed to call JSON-RPC, "*" for any (overrides the config\'s rpc.cors; default: none)',
      originList,
    )
    .addOption(
      new Option('--log-format <format>', 'log format (overrides the config)').choices([
        'text',
        'json',
      ]),
    )
    .addOption(
      new Option('--log-level <level>', 'lowest level logged (overrides the config)').choices([
        'debug',
        'info',
        'warn',
        'error',
      ]),
    )
    .action(
      async (opts: {
        config: string;
        rpcCors?: string[];
        logFormat?: LogFormat;
        logLevel?: LogLevel;
      }) => {
        const config = loadNodeConfig(opts.config);
        if (opts.rpcCors) config.rpc.cors = opts.rpcCors;
        const logger = createLogger(
          opts.logFormat ?? config.log.format,
          (line) => process.stdout.write(line + '\n'),
          opts.logLevel ?? config.log.level,
        );
        let key: Uint8Array | null = null;
        if (config.validator) {
          const envName = config.validator.passwordEnv;
          const password = await resolvePassword({
            passwordFile: config.validator.passwordFile ?? undefined,
            env: envName ? { [PASSWORD_ENV]: process.env[envName] } : process.env,
          });
          key = unlockKeystoreFile(config.validator.keystore, password);
        }
        const running = await startConfiguredNode(config, key, logger);
        const { node, p2p } = running;
        const c = node.chain;
        logger.log(
          'info',
          'started',
          {
            chainId: c.chainId,
            genesis: toHex(c.genesisHash),
            head: c.headNumber,
            validator: node.address ? toChecksumAddress(node.address) : null,
          },
          `chain id ${c.chainId}, genesis ${toHex(c.genesisHash)}, head ${c.headNumber}`,
        );
        logger.log(
          'info',
          'role',
          { validator: node.address ? toChecksumAddress(node.address) : null },
          node.address
            ? `validator ${toChecksumAddress(node.address)}`
            : 'following the chain (no validator key)',
        );
        if (running.httpUrl) {
          logger.log(
            'info',
            'rpc',
            { http: running.httpUrl, ws: running.wsUrl },
            `JSON-RPC ${running.httpUrl}  WebSocket ${running.wsUrl}`,
          );
        }
        if (running.uiUrl) {
          logger.log('info', 'ui', { url: running.uiUrl }, `web app ${running.uiUrl}`);
        }
        if (p2p) {
          logger.log(
            'info',
            'p2p',
            { peerId: p2p.peerId, addresses: p2p.addresses() },
            `p2p peer id ${p2p.peerId}, listening on ${p2p.addresses().join(' ')}`,
          );
        }
        if (running.metricsUrl) {
          logger.log(
            'info',
            'metrics',
            { url: running.metricsUrl },
            `metrics ${running.metricsUrl}`,
          );
        }
        const shutdown = () => void running.stop().then(() => process.exit(0));
        process.once('SIGINT', shutdown);
        process.once('SIGTERM', shutdown);
      },
    );
}
