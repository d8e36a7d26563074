/**
 * Which transactions run in the EVM, and the EVM of one block, opened on the first of them.
 */
import { equalBytes } from '../../crypto/bytes.js';
import { EMPTY_CODE_HASH } from '../../state/account.js';
import type { StateDB } from '../../state/state-db.js';
import { TxError } from '../errors.js';
import { isSystemAccount } from '../../primitives/system-addresses.js';
import type { SignedTx } from '../tx.js';
import type { EvmBlockEnv, EvmOutcome, EvmSession, RunOptions } from './runner.js';
import { TraceLimitError, TraceTimeoutError } from './tracer.js';

/** Ethereum's precompiles at Cancun: 0x01 … 0x0a. */
const LAST_STANDARD_PRECOMPILE = 0x0a;

function isStandardPrecompile(a: Uint8Array): boolean {
  for (let i = 0; i < 19; i++) if (a[i] !== 0) return false;
  return a[19]! >= 1 && a[19]! <= LAST_STANDARD_PRECOMPILE;
}

/**
 * Whether a transaction runs in the EVM: a creation, a call to an account with code (the ETM
 * token and Multicall3 included), or a call to a precompile. Transfers between accounts and an
 * account's calls to the staking contract keep their native path (and their gas).
 */
export function runsInEvm(state: StateDB, tx: Pick<SignedTx, 'to'>): boolean {
  if (tx.to === null) return true;
  if (isSystemAccount(tx.to)) return false;
  if (isStandardPrecompile(tx.to)) return true;
  return !equalBytes(state.getAccount(tx.to).codeHash, EMPTY_CODE_HASH);
}

/**
 * The EVM of one block over its StateDB, opened when the block's first EVM transaction runs.
 * It keeps the block's contract gas budget (maxContractGasPerBlock): a transaction runs only if
 * its gas limit fits in what the block's earlier EVM transactions left of it, as the block gas
 * limit is kept, so a block of contract code takes a bounded time on every validator.
 */
export class EvmBlockRun {
  private session: Promise<EvmSession> | null = null;
  /** Gas the block's EVM transactions have used so far. */
  private gasUsed = 0n;

  constructor(
    private readonly state: StateDB,
    private readonly env: EvmBlockEnv,
  ) {}

  /** Runs a checked transaction; the priority fee ends at `tipsTo`. */
  async run(tx: SignedTx, tipsTo: Uint8Array, options: RunOptions = {}): Promise<EvmOutcome> {
    const budget = this.env.params.maxContractGasPerBlock;
    // Never includable: dropped from the pool (evm-rejected is not a transient skip).
    if (tx.gasLimit > budget)
      throw new TxError(
        'evm-rejected',
        `transaction gas ${tx.gasLimit} exceeds the contract gas budget of a block (${budget})`,
      );
    // Includable in a later block: kept in the pool, as for the block gas limit.
    if (this.gasUsed + tx.gasLimit > budget)
      throw new TxError(
        'gas-limit-too-high',
        `transaction gas ${tx.gasLimit} exceeds the block's remaining contract gas ${budget - this.gasUsed}`,
      );
    // Loaded on first use: the EVM's libraries take half a second to load, which a process
    // that never runs a contract (a CLI command, a chain of transfers) need not pay.
    this.session ??= import('./runner.js').then((m) => m.EvmSession.open(this.state, this.env));
    const session = await this.session;
    try {
      const out = await session.run(tx, tipsTo, options);
      this.gasUsed += out.gasUsed;
      return out;
    } catch (e) {
      // The transaction passed the chain's own checks; anything the EVM still refuses is a
      // rule of its own (it rolled back what it began).
      if (e instanceof TxError || e instanceof TraceLimitError || e instanceof TraceTimeoutError)
        throw e;
      throw new TxError('evm-rejected', `the EVM refused the transaction: ${(e as Error).message}`);
    }
  }
}
