/** What both forms of `etm devnet` print and do alike: the dev accounts, and stopping on a signal. */
import { toHex } from '../crypto/bytes.js';
import { DEV_MNEMONIC, ETH_PATH_PREFIX, type DerivedAccount } from '../crypto/mnemonic.js';
import { ETM } from '../params/registry.js';
import { DEV_ACCOUNT_BALANCE } from '../node/devnet.js';

export function printDevAccounts(
  accounts: readonly DerivedAccount[],
  out: (line: string) => void,
): void {
  out('Available Accounts');
  out('==================');
  accounts.forEach((a, i) => out(`(${i}) ${a.checksumAddress} (${DEV_ACCOUNT_BALANCE / ETM} ETM)`));
  out('');
  out('Private Keys');
  out('==================');
  accounts.forEach((a, i) => out(`(${i}) ${toHex(a.privateKey)}`));
  out('');
  out('Wallet');
  out('==================');
  out(`Mnemonic:          ${DEV_MNEMONIC}`);
  out(`Derivation path:   ${ETH_PATH_PREFIX}<index>`);
  out('');
}

/** On SIGINT or SIGTERM (the first one): stop, then exit 0. */
export function stopOnSignal(stop: () => Promise<void>, out: (line: string) => void): void {
  let stopping = false;
  const shutdown = () => {
    if (stopping) return;
    stopping = true;
    out('stopping…');
    void stop().then(() => process.exit(0));
  };
  process.once('SIGINT', shutdown);
  process.once('SIGTERM', shutdown);
}
