/**
 * Who signs: an injected wallet (EIP-1193), found by EIP-6963 announcements (and the legacy
 * window.ethereum), switched to this chain with wallet_addEthereumChain; or, on a devnet only,
 * one of the dev accounts the node lists in /etm-ui.json, signing in the page.
 */
import {
  BaseError,
  ContractFunctionRevertedError,
  createWalletClient,
  custom,
  http,
  numberToHex,
  type Address,
  type EIP1193Provider,
  type WalletClient,
} from 'viem';
import { privateKeyToAccount } from 'viem/accounts';
import { rpcUrl, type Rpc } from './rpc.js';

export interface InjectedWallet {
  uuid: string;
  name: string;
  icon: string;
  rdns: string;
  provider: EIP1193Provider;
}

export interface Signer {
  address: Address;
  /** "dev account 2" or the wallet's name. */
  label: string;
  client: WalletClient;
}

interface AnnounceEvent extends Event {
  detail: {
    info: { uuid: string; name: string; icon: string; rdns: string };
    provider: EIP1193Provider;
  };
}

/** Listens for EIP-6963 wallets; `onChange` runs when one announces itself. */
export function discoverWallets(onChange: (wallets: InjectedWallet[]) => void): InjectedWallet[] {
  const wallets = new Map<string, InjectedWallet>();
  const list = () => [...wallets.values()];
  window.addEventListener('eip6963:announceProvider', (event) => {
    const { info, provider } = (event as AnnounceEvent).detail;
    if (!info?.uuid || !provider?.request) return;
    wallets.set(info.uuid, { ...info, provider });
    onChange(list());
  });
  window.dispatchEvent(new Event('eip6963:requestProvider'));
  // A wallet that only injects window.ethereum (no EIP-6963) is still offered.
  const legacy = (window as unknown as { ethereum?: EIP1193Provider }).ethereum;
  if (legacy?.request && wallets.size === 0) {
    wallets.set('window.ethereum', {
      uuid: 'window.ethereum',
      name: 'Browser wallet',
      icon: '',
      rdns: '',
      provider: legacy,
    });
  }
  return list();
}

/** Asks the wallet for an account and to add and switch to this chain. */
export async function connectWallet(wallet: InjectedWallet, rpc: Rpc): Promise<Signer> {
  const { provider } = wallet;
  const accounts = (await provider.request({ method: 'eth_requestAccounts' })) as Address[];
  const address = accounts[0];
  if (!address) throw new Error(`${wallet.name} gave no account`);
  const chainId = numberToHex(rpc.chainId);
  await provider.request({
    method: 'wallet_addEthereumChain',
    params: [
      {
        chainId,
        chainName: rpc.chain.name,
        nativeCurrency: { name: 'ETM', symbol: 'ETM', decimals: 18 },
        rpcUrls: [rpcUrl],
      },
    ],
  });
  await provider.request({ method: 'wallet_switchEthereumChain', params: [{ chainId }] });
  return {
    address,
    label: wallet.name,
    client: createWalletClient({ account: address, chain: rpc.chain, transport: custom(provider) }),
  };
}

/** A devnet dev account, signing in the page. */
export function devSigner(rpc: Rpc, index: number): Signer {
  const dev = rpc.info.devAccounts[index];
  if (!rpc.info.devnet || !dev) throw new Error('dev accounts exist on a devnet only');
  const account = privateKeyToAccount(dev.privateKey);
  return {
    address: account.address,
    label: `dev account ${index}`,
    client: createWalletClient({ account, chain: rpc.chain, transport: http(rpcUrl) }),
  };
}

/**
 * The node's own words for a failed request or transaction (e.g. "nonce too low: next nonce 5,
 * tx nonce 3", or a revert reason), rather than the client library's summary.
 */
export function nodeMessage(error: unknown): string {
  if (error instanceof BaseError) {
    const revert = error.walk((e) => e instanceof ContractFunctionRevertedError);
    if (revert instanceof ContractFunctionRevertedError && revert.reason)
      return `execution reverted: ${revert.reason}`;
    const deepest = error.walk();
    if (deepest instanceof BaseError && deepest.details) return deepest.details;
    return error.details || error.shortMessage;
  }
  return error instanceof Error ? error.message : String(error);
}
