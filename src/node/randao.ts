/**
 * A validator's RANDAO onions, derived from its consensus key so that nothing else needs storing
 * or backing up, and their renewal. Generation g of a key (its g-th commitment, 0 = the one it
 * registered with) has the secret
 *
 *   g = 0:  keccak256(privateKey ‖ "etm-randao-onion")
 *   g > 0:  keccak256(privateKey ‖ "etm-randao-onion" ‖ uint64be(g))
 *
 * and the commitment H^N(secret), N = the chain's `randaoLayers` when it was committed.
 *
 * RandaoKeeper is the node's side of the rule "a hash chain is finite": after every block it
 * looks at its candidacy and, well before the onion runs out (or at once when the onion on the
 * chain is not one it can derive), sends `renewRandao` with the next generation's commitment,
 * signed with the consensus key. The new onion takes effect at the first block of the epoch
 * after next; until then the old one keeps revealing. It warns loudly when its onion is
 * exhausted or lost, or when it cannot pay for the renewal.
 */
import { encodeFunctionData } from 'viem';
import { concatBytes, equalBytes, fromHex, toHex, uint64be, utf8 } from '../crypto/bytes.js';
import { keccak256 } from '../crypto/keccak.js';
import { addressOf } from '../crypto/secp256k1.js';
import { createOnion, type Onion } from '../election/randao.js';
import type { ChainParams } from '../params/registry.js';
import { STAKING_ABI } from '../staking/abi.js';
import type { RevealDue } from '../staking/block-hooks.js';
import type { LogFields, LogLevel } from '../log/logger.js';
import { stakingContract } from '../execution/modules/staking.js';
import { epochBounds, epochOf } from '../staking/epochs.js';
import { stakingStores } from '../staking/stores.js';
import type { Candidate } from '../staking/candidate-store.js';
import { sendSystemCall, type SystemCallHost } from './system-call.js';

/** Layers of an onion when the chain does not say otherwise (the default `randaoLayers`). */
const RANDAO_ONION_LAYERS = 65_536;

/** Onions kept per process: a key's current and next generations, for a few keys. */
const CACHE_LIMIT = 256;
const cache = new Map<string, Onion>();

/** Generation `generation` of a consensus key's onion, of `layers` layers (built once: N hashes). */
export function onionFromKey(
  privateKey: Uint8Array,
  layers: number | bigint = RANDAO_ONION_LAYERS,
  generation = 0n,
): Onion {
  const id = `${toHex(keccak256(privateKey))}/${layers}/${generation}`;
  let onion = cache.get(id);
  if (!onion) {
    const tag = utf8('etm-randao-onion');
    const seed =
      generation === 0n
        ? concatBytes(privateKey, tag)
        : concatBytes(privateKey, tag, uint64be(generation));
    onion = createOnion(keccak256(seed), Number(layers));
    if (cache.size >= CACHE_LIMIT) cache.delete(cache.keys().next().value!);
    cache.set(id, onion);
  } else {
    // Most recently used last: the oldest entry goes first.
    cache.delete(id);
    cache.set(id, onion);
  }
  return onion;
}

/**
 * Whether a candidate should renew now: no change pending, and at most max(N/2, 2·epochBlocks +
 * 16) reveals left. A renewal takes effect within two epochs (at most 2·epochBlocks proposals,
 * when a validator proposes every block), plus a few blocks to be included.
 */
export function renewalDue(c: Candidate, params: Pick<ChainParams, 'epochBlocks'>): boolean {
  if (c.pending !== null) return false;
  const left = c.randaoLayers - c.randaoReveals;
  const margin = 2n * params.epochBlocks + 16n;
  const half = c.randaoLayers / 2n;
  return left <= (half > margin ? half : margin);
}

export interface RandaoKeeperHost extends SystemCallHost {
  params: ChainParams;
  log(level: LogLevel, event: string, fields: LogFields, text: string): void;
}

/** Blocks between two attempts to renew, and between two repeats of the same warning. */
const RETRY_BLOCKS = 10n;

export class RandaoKeeper {
  readonly address: Uint8Array;
  private lastAttempt: bigint | null = null;
  private readonly warned = new Map<string, bigint>();

  constructor(
    private readonly key: Uint8Array,
    private readonly host: RandaoKeeperHost,
  ) {
    this.address = addressOf(key);
  }

  /** The reveal a block this validator builds needs, or null (with a loud warning) if none. */
  reveal(due: RevealDue): Uint8Array | null {
    const onion = onionFromKey(this.key, due.layers, due.generation);
    const reveal = onion.reveal(Number(due.index));
    if (equalBytes(keccak256(reveal), due.hashesTo)) return reveal;
    this.warnOnce(
      'randao-missing',
      { generation: due.generation, layers: due.layers },
      `no RANDAO onion of this consensus key matches the candidate's commitment (generation ${due.generation}, ${due.layers} layers): this validator cannot propose; renewing the commitment`,
    );
    return null;
  }

  /** Builds the onion the chain expects now (N hashes), so that proposing does not wait for it. */
  prepare(): void {
    const c = this.candidate();
    if (c) onionFromKey(this.key, c.randaoLayers, c.randaoGeneration);
  }

  /** After each new head: warns about an exhausted or foreign onion, and renews when due. */
  afterCommit(): void {
    const c = this.candidate();
    if (!c) return;
    const { next } = this.host.head();
    const params = this.host.params;
    const exhausted = c.randaoReveals >= c.randaoLayers;
    const mine = this.matches(c);
    if (exhausted)
      this.warnOnce(
        'randao-exhausted',
        { reveals: c.randaoReveals, pending: c.pending !== null },
        c.pending
          ? `RANDAO onion exhausted: this validator's blocks add no randomness until the renewed commitment takes effect at block ${epochBounds(c.pending.epoch, params).first}`
          : "RANDAO onion exhausted: this validator's blocks add no randomness and its candidate cannot be elected; renewing the commitment",
      );
    if (c.pending !== null) return;
    if (!exhausted && mine && !renewalDue(c, params)) return;
    if (this.lastAttempt !== null && next < this.lastAttempt + RETRY_BLOCKS) return;
    this.lastAttempt = next;
    this.renew(c, next);
  }

  /** This key's candidacy, when it is the candidate's current consensus key. */
  private candidate(): Candidate | null {
    const store = stakingStores(this.host.head().state);
    const operator = store.candidates.operatorOfKey(this.address);
    if (!operator) return null;
    const c = store.candidates.getCandidate(operator);
    return c && equalBytes(c.consensusKey, this.address) ? c : null;
  }

  /** Whether the chain's commitment is this key's onion of the candidate's generation. */
  private matches(c: Candidate): boolean {
    if (c.randaoReveals >= c.randaoLayers) return true;
    const onion = onionFromKey(this.key, c.randaoLayers, c.randaoGeneration);
    const last =
      c.randaoReveals === 0n ? onion.commitment : onion.reveal(Number(c.randaoReveals) - 1);
    return equalBytes(last, c.randaoLast);
  }

  private renew(c: Candidate, next: bigint): void {
    const params = this.host.params;
    const generation = c.randaoGeneration + 1n;
    const commitment = onionFromKey(this.key, params.randaoLayers, generation).commitment;
    const data = fromHex(
      encodeFunctionData({
        abi: STAKING_ABI,
        functionName: 'renewRandao',
        args: [toHex(commitment)],
      }),
    );
    const from = epochBounds(epochOf(next, params) + 2n, params).first;
    const out = sendSystemCall(this.host, this.key, this.address, stakingContract, data);
    if (out.status === 'unfunded') {
      this.warnOnce(
        'randao-unfunded',
        { address: toHex(this.address), balance: out.balance },
        `cannot renew the RANDAO commitment: the consensus key's account ${toHex(this.address)} holds ${out.balance} units, less than the fee ${out.fee}; fund it, or run \`etm candidate renew-randao\` as the operator`,
      );
      return;
    }
    if (out.status === 'refused') {
      this.host.log(
        'error',
        'randao-renew-failed',
        { error: out.error.message },
        `could not send the RANDAO renewal: ${out.error.message}`,
      );
      return;
    }
    this.host.log(
      'warn',
      'randao-renewing',
      { reveals: c.randaoReveals, layers: c.randaoLayers, generation },
      `RANDAO onion has ${c.randaoLayers - c.randaoReveals} of ${c.randaoLayers} reveals left: renewing the commitment (generation ${generation}, in force from about block ${from})`,
    );
  }

  /** A warning at most once per RETRY_BLOCKS blocks for each event. */
  private warnOnce(event: string, fields: LogFields, text: string): void {
    const { next } = this.host.head();
    const last = this.warned.get(event);
    if (last !== undefined && next < last + RETRY_BLOCKS) return;
    this.warned.set(event, next);
    this.host.log('error', event, fields, text);
  }
}
