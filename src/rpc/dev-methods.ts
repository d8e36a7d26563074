/**
 * The methods of a development chain (etm devnet), for tools written against Hardhat, Anvil or
 * geth --dev: the dev accounts (eth_accounts) and signing with them, evm_mine, balance
 * setting, and snapshots (evm_snapshot, evm_revert). Served only when the backend has a `dev` part, which a configured node never has.
 */
import { equalBytes } from '../crypto/bytes.js';
import { RpcError, RpcErrorCode, type DevRpcBackend } from './backend.js';
import { data, quantity } from './format.js';
import type { MethodImpl } from './methods.js';
import {
  decodeAddress,
  decodeBytes,
  decodeCallRequest,
  decodeUint256,
  InvalidParamsError,
  isPlainObject,
  type Decoder,
  type Params,
} from './params.js';

type Define = (name: string, maxParams: number, impl: MethodImpl) => void;

/** eth_signTypedData_v4 takes the typed data as an object or as its JSON text. */
const decodeTypedData: Decoder<unknown> = (value, what) => {
  let v = value;
  if (typeof v === 'string') {
    try {
      v = JSON.parse(v);
    } catch {
      throw new InvalidParamsError(`invalid ${what}: not JSON`);
    }
  }
  if (!isPlainObject(v) || !isPlainObject(v.types) || typeof v.primaryType !== 'string')
    throw new InvalidParamsError(
      `invalid ${what}: expected EIP-712 typed data {types, primaryType, domain, message}`,
    );
  return v;
};

export function defineDevMethods(define: Define, dev: DevRpcBackend, chainId: bigint): void {
  /** A dev account, or geth's 'unknown account'. */
  const account = (address: Uint8Array): Uint8Array => {
    if (!dev.accounts().some((a) => equalBytes(a, address)))
      throw new RpcError(RpcErrorCode.InvalidInput, 'unknown account');
    return address;
  };

  define('eth_accounts', 0, () => dev.accounts().map(data));
  define('eth_sendTransaction', 1, async (p) => {
    const request = p.required(0, 'transaction', (v, w) => decodeCallRequest(v, w, chainId));
    if (request.from === null)
      throw new InvalidParamsError('invalid argument 0 (transaction): missing "from"');
    account(request.from);
    return data(await dev.sendTransaction({ ...request, from: request.from }));
  });
  // eth_sign(address, data) and personal_sign(data, address): both EIP-191 "personal" messages.
  define('eth_sign', 2, async (p) => {
    const address = account(p.required(0, 'address', decodeAddress));
    return data(await dev.signMessage(address, p.required(1, 'data', decodeBytes)));
  });
  define('personal_sign', 3, async (p: Params) => {
    const message = p.required(0, 'data', decodeBytes);
    const address = account(p.required(1, 'address', decodeAddress));
    // The third argument (a password) is accepted and ignored: dev keys are unlocked.
    return data(await dev.signMessage(address, message));
  });
  define('eth_signTypedData_v4', 2, async (p) => {
    const address = account(p.required(0, 'address', decodeAddress));
    return data(await dev.signTypedData(address, p.required(1, 'typed data', decodeTypedData)));
  });
  define('evm_mine', 1, async (p) => {
    if (p.optional(0, 'timestamp', (v) => v, null) !== null)
      throw new InvalidParamsError(
        'invalid argument 0 (timestamp): block times are set by consensus, not by request',
      );
    await dev.mine();
    return '0x0';
  });
  const setBalance = (result: true | null) => async (p: Params) => {
    const address = p.required(0, 'address', decodeAddress);
    const balance = p.required(1, 'balance', decodeUint256);
    await dev.setBalance(address, balance);
    return result;
  };
  // Anvil answers null, Hardhat true.
  define('anvil_setBalance', 2, setBalance(null));
  define('hardhat_setBalance', 2, setBalance(true));
  define('evm_snapshot', 0, async () => quantity(await dev.snapshot()));
  define('evm_revert', 1, async (p) => dev.revert(p.required(0, 'snapshot id', decodeUint256)));
}
