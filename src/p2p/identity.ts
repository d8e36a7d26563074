/**
 * The node's network identity: an Ed25519 key kept in the data directory, so its peer id (the
 * `/p2p/<id>` part of its address that others list as a bootnode) survives restarts.
 */
import { EtmError } from '../primitives/errors.js';
import './polyfill.js';
import { chmodSync, existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { generateKeyPair, privateKeyFromProtobuf, privateKeyToProtobuf } from '@libp2p/crypto/keys';
import { peerIdFromPrivateKey } from '@libp2p/peer-id';

export type PeerKey = Awaited<ReturnType<typeof generateKeyPair>>;

export class IdentityError extends EtmError<'identity'> {
  override name = 'IdentityError';

  constructor(message: string, options?: ErrorOptions) {
    super('identity', message, options);
  }
}

/** Where a data directory keeps its key. */
function peerKeyPath(datadir: string): string {
  return join(datadir, 'p2p', 'key');
}

/** Loads the key of a data directory, creating it (mode 0600) on first use. */
export async function loadOrCreatePeerKey(datadir: string): Promise<PeerKey> {
  const file = peerKeyPath(datadir);
  if (existsSync(file)) {
    try {
      const key = privateKeyFromProtobuf(readFileSync(file));
      if (key.type !== 'Ed25519') throw new Error(`expected an Ed25519 key, found ${key.type}`);
      return key;
    } catch (e) {
      throw new IdentityError(`cannot read the node key ${file}: ${(e as Error).message}`);
    }
  }
  const key = await generateKeyPair('Ed25519');
  mkdirSync(dirname(file), { recursive: true, mode: 0o700 });
  writeFileSync(`${file}.tmp`, privateKeyToProtobuf(key), { mode: 0o600 });
  chmodSync(`${file}.tmp`, 0o600);
  renameSync(`${file}.tmp`, file);
  return key;
}

/** The peer id (base58 `12D3Koo…`) of a key. */
export function peerIdOf(key: PeerKey): string {
  return peerIdFromPrivateKey(key).toString();
}
