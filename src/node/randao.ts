/**
 * A validator's RANDAO onion, derived from its consensus key so that nothing else needs
 * storing or backing up: secret = keccak256(privateKey ‖ "etm-randao-onion"), and the
 * commitment registered for the candidate is H^N(secret) with N = RANDAO_ONION_LAYERS.
 */
import { concatBytes, toHex, utf8 } from '../crypto/bytes.js';
import { createOnion, type Onion } from '../election/randao.js';
import { keccak256 } from '../crypto/keccak.js';

/** Layers of every validator onion: one reveal per block the validator proposes. */
export const RANDAO_ONION_LAYERS = 65_536;

const cache = new Map<string, Onion>();

/** The onion of a consensus key (built once per process: N hashes). */
export function onionFromKey(privateKey: Uint8Array): Onion {
  const id = toHex(keccak256(privateKey));
  let onion = cache.get(id);
  if (!onion) {
    onion = createOnion(
      keccak256(concatBytes(privateKey, utf8('etm-randao-onion'))),
      RANDAO_ONION_LAYERS,
    );
    cache.set(id, onion);
  }
  return onion;
}
