/**
 * Child process of the crash test (store.test.ts): opens a chain from the built dist/ and commits
 * blocks with transactions in a tight loop until it is killed. After each commit is on disk it
 * writes "committed <n>" to stdout synchronously, so the parent knows which blocks were durable.
 *
 *   node crash-child.mjs <datadir> <config.json>
 *
 * config.json: { genesis, validatorKeys: [hex…], userKeys: [hex…], stranger: hex, nowMs }
 */
import { readFileSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const dist = join(fileURLToPath(new URL('.', import.meta.url)), '..', '..', 'dist');
const load = (p) => import(join(dist, p));
const { ChainStore } = await load('chain/store.js');
const { Chain } = await load('chain/chain.js');
const { parseGenesis } = await load('chain/genesis.js');
const { blockHash } = await load('chain/block.js');
const { secp256k1Recover } = await load('consensus/crypto.js');
const { commitSealDigest } = await load('consensus/messages.js');
const { rlpEncode } = await load('codec/rlp.js');
const { bigintToBytes, bytesToBigint, concatBytes, fromHex } = await load('crypto/bytes.js');
const { keccak256 } = await load('crypto/keccak.js');
const { addressOf, sign } = await load('crypto/secp256k1.js');
const { TxDecoder } = await load('execution/tx.js');

const [datadir, configFile] = process.argv.slice(2);
const config = JSON.parse(readFileSync(configFile, 'utf8'));
const genesis = parseGenesis(config.genesis);
const validatorKeys = config.validatorKeys.map(fromHex);
const userKeys = config.userKeys.map(fromHex);
const users = userKeys.map(addressOf);
const stranger = fromHex(config.stranger);
const decoder = new TxDecoder({ chainId: genesis.chainId });

const store = new ChainStore(datadir);
const now = () => config.nowMs;
const chain = new Chain({ store, genesis, decoder, recover: secp256k1Recover, now });
writeSync(1, `opened ${chain.headNumber}\n`);

/** A signed EIP-1559 transfer, encoded as a wallet would. */
function transfer(key, nonce, to, value) {
  const n = (x) => bigintToBytes(x);
  const items = [
    n(genesis.chainId),
    n(nonce),
    n(1_000_000_000n),
    n(3_000_000_000n),
    n(21_000n),
    to,
    n(value),
    new Uint8Array(0),
    [],
  ];
  const sig = sign(keccak256(concatBytes(Uint8Array.of(2), rlpEncode(items))), key);
  const signed = [
    ...items,
    n(BigInt(sig[64])),
    n(bytesToBigint(sig.subarray(0, 32))),
    n(bytesToBigint(sig.subarray(32, 64))),
  ];
  return decoder.decode(concatBytes(Uint8Array.of(2), rlpEncode(signed)));
}

for (;;) {
  const height = chain.headNumber + 1n;
  const state = chain.headState();
  const nonces = users.map((u) => state.getAccount(u).nonce);
  const txs = [];
  // 1 to 6 transfers, among the users and to an outsider.
  for (let i = 0n; i <= height % 6n; i++) {
    const from = Number((height + i) % BigInt(users.length));
    const to = i % 2n === 0n ? stranger : users[(from + 1) % users.length];
    txs.push(transfer(userKeys[from], nonces[from]++, to, height * 1000n + i));
  }
  const set = chain.validatorsAt(height);
  const proposer = set[Number(height % BigInt(set.length))];
  const built = await chain.buildBlock(proposer, txs);
  if (built.skipped.length > 0) throw new Error(`skipped: ${built.skipped[0].error.message}`);
  const digest = commitSealDigest(chain.chainId, blockHash(built.block), 0);
  const seals = validatorKeys
    .slice(0, 3)
    .map((k) => ({ validator: addressOf(k), signature: sign(digest, k) }));
  await chain.commitDecided(built.bytes, 0, seals);
  // The block is written on LMDB's write thread: reported once it is on disk.
  await chain.durable();
  writeSync(1, `committed ${height}\n`);
}
