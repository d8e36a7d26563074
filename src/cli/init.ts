/** `etm init`: a new chain's genesis file, validator keys and node configuration files. */
import { existsSync, mkdirSync, readdirSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { Command, InvalidArgumentError } from 'commander';
import { parseAddress, toChecksumAddress } from '../crypto/address.js';
import { DEV_MNEMONIC, deriveAccounts } from '../crypto/mnemonic.js';
import { addressOf, generatePrivateKey } from '../crypto/secp256k1.js';
import { SCRYPT_LIGHT } from '../crypto/keystore.js';
import { DEVNET_CHAIN_ID, genesisToJson, parseGenesis } from '../chain/genesis.js';
import { DEV_ACCOUNT_BALANCE, DEVNET_VALIDATOR_DEPOSIT } from '../node/devnet.js';
import { onionFromKey } from '../node/randao.js';
import { toHex } from '../crypto/bytes.js';
import { loadOrCreatePeerKey, peerIdOf } from '../p2p/identity.js';
import { storeKey } from './keys.js';
import { integer } from './options.js';
import { resolvePassword } from './password.js';
import { parseUnits } from './units.js';

function allocation(value: string, previous: string[]): string[] {
  if (!/^0x[0-9a-fA-F]{40}=\d+(\.\d+)?$/.test(value))
    throw new InvalidArgumentError('expected ADDRESS=ETM, e.g. 0xabc…=1000 or 0xabc…=0.5');
  return [...previous, value];
}

export function initCommand(): Command {
  return new Command('init')
    .description(
      'create a new chain: genesis.json, encrypted validator keys and one node-<i>.json config per validator',
    )
    .requiredOption('--datadir <dir>', 'directory to create (must not exist or be empty)')
    .option(
      '--validators <n>',
      'number of validators (a network of more than one needs peers)',
      integer(1, 100),
      1,
    )
    .option('--chain-id <id>', 'chain id', DEVNET_CHAIN_ID.toString())
    .option(
      '--block-time <ms>',
      'target time between blocks, in milliseconds',
      integer(100, 60_000),
      3000,
    )
    .option('--alloc <address=etm>', 'fund an account at genesis (repeatable)', allocation, [])
    .option(
      '--dev-accounts',
      'fund the 10 accounts of the well-known test mnemonic with 1,000,000 ETM each',
      false,
    )
    .option(
      '--password-file <file>',
      'password for the validator keystores (else ETM_PASSWORD or a prompt)',
    )
    .option('--light-kdf', 'cheap scrypt parameters (tests and throwaway networks only)', false)
    .option(
      '--rpc-port <port>',
      'JSON-RPC port of the first node (the next nodes count up)',
      integer(0, 65535),
      8545,
    )
    .option(
      '--p2p-port <port>',
      'libp2p TCP port of the first node (the next nodes count up); each node lists the others as bootnodes. 0: no p2p section (a node without peers)',
      integer(0, 65535),
      30333,
    )
    .action(
      async (opts: {
        datadir: string;
        validators: number;
        chainId: string;
        blockTime: number;
        alloc: string[];
        devAccounts: boolean;
        passwordFile?: string;
        lightKdf: boolean;
        rpcPort: number;
        p2pPort: number;
      }) => {
        const dir = resolve(opts.datadir);
        if (existsSync(dir) && readdirSync(dir).length > 0)
          throw new Error(`${dir} is not empty; choose a new --datadir`);
        const password = await resolvePassword({
          passwordFile: opts.passwordFile,
          confirm: true,
          requireNonEmpty: true,
        });
        const alloc: Record<string, { balance: string }> = {};
        if (opts.devAccounts) {
          for (const a of deriveAccounts(DEV_MNEMONIC, 10))
            alloc[a.checksumAddress] = { balance: DEV_ACCOUNT_BALANCE.toString() };
        }
        for (const entry of opts.alloc) {
          const [addr, amount] = entry.split('=') as [string, string];
          alloc[toChecksumAddress(parseAddress(addr))] = { balance: parseUnits(amount).toString() };
        }
        // The genesis is checked before anything is written, so a bad option leaves no files.
        const keys = Array.from({ length: opts.validators }, () => generatePrivateKey());
        // Each validator is a candidate from genesis: its key is also its operator account,
        // funded with the deposit and as much again for fees.
        for (const k of keys) {
          const a = toChecksumAddress(addressOf(k));
          const held = BigInt(alloc[a]?.balance ?? '0');
          alloc[a] = { balance: (held + 2n * DEVNET_VALIDATOR_DEPOSIT).toString() };
        }
        const genesis = parseGenesis({
          chainId: opts.chainId,
          timestamp: String(Math.floor(Date.now() / 1000)),
          params: { blockTimeMs: String(opts.blockTime) },
          alloc,
          validators: keys.map((k) => toChecksumAddress(addressOf(k))),
          candidates: keys.map((k, i) => ({
            operator: toChecksumAddress(addressOf(k)),
            consensusKey: toChecksumAddress(addressOf(k)),
            name: `validator${i}`,
            deposit: DEVNET_VALIDATOR_DEPOSIT.toString(),
            commissionBps: 1000,
            commissionMaxBps: 2000,
            randaoCommitment: toHex(onionFromKey(k).commitment),
          })),
        });
        mkdirSync(join(dir, 'keystore'), { recursive: true });
        const stored = keys.map((k) =>
          storeKey(join(dir, 'keystore'), k, password, opts.lightKdf ? { ...SCRYPT_LIGHT } : {}),
        );
        writeFileSync(
          join(dir, 'genesis.json'),
          JSON.stringify(genesisToJson(genesis), null, 2) + '\n',
        );
        // Each node's network identity is made now, so that the others can list it as a bootnode.
        const peerIds: string[] = [];
        if (opts.p2pPort !== 0)
          for (let i = 0; i < stored.length; i++)
            peerIds.push(peerIdOf(await loadOrCreatePeerKey(join(dir, `node-${i}`))));
        const p2pPort = (i: number) => opts.p2pPort + i;
        stored.forEach((s, i) => {
          const config = {
            datadir: `node-${i}`,
            genesis: 'genesis.json',
            validator: { keystore: s.file.slice(dir.length + 1) },
            rpc: { host: '127.0.0.1', port: opts.rpcPort === 0 ? 0 : opts.rpcPort + i },
            ...(opts.p2pPort === 0
              ? {}
              : {
                  p2p: {
                    listen: [`/ip4/0.0.0.0/tcp/${p2pPort(i)}`],
                    bootnodes: peerIds.flatMap((id, j) =>
                      j === i ? [] : [`/ip4/127.0.0.1/tcp/${p2pPort(j)}/p2p/${id}`],
                    ),
                  },
                }),
          };
          writeFileSync(join(dir, `node-${i}.json`), JSON.stringify(config, null, 2) + '\n');
        });
        process.stdout.write(`created ${dir}\n  genesis.json (chain id ${genesis.chainId})\n`);
        stored.forEach((s, i) =>
          process.stdout.write(
            `  node-${i}.json  validator ${s.address}${opts.p2pPort === 0 ? '' : `  p2p /ip4/0.0.0.0/tcp/${p2pPort(i)}/p2p/${peerIds[i]}`}\n`,
          ),
        );
        process.stdout.write(`start a node with: etm node --config ${join(dir, 'node-0.json')}\n`);
      },
    );
}
