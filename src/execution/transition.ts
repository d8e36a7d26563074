/**
 * The state transition of a block: transactions in order, then the fee split. Pure over a
 * StateDB; the caller commits the state and persists the result. Native transactions apply
 * synchronously; contract transactions run in the EVM (src/execution/evm/), whose API is async,
 * so a block's execution is async: it awaits nothing but the EVM, which does no I/O.
 *
 * A transaction pays `gasUsed × effectiveGasPrice`. Of that, the priority part is the block
 * proposer's; the base-fee part is pooled and split once at the end of the block:
 * `feeValidatorShare` to the proposer, `feeBurnShare` burned, the rest to the DAO treasury
 * (PROTOCOL §3). The proposer's income is then split between its operator's commission and its
 * voters with the block's inflation (src/economics/block.ts). Only `balance` is ever spent: `locked` funds stay where they are.
 *
 * A call to the staking system contract costs its intrinsic gas plus a fixed amount per
 * function; if it reverts, its state changes are undone but the nonce and fee are kept (status
 * 0), as in Ethereum. After the fees, the staking system's per-block work runs (unbonding,
 * RANDAO, turns, and at an epoch's end the election), see src/staking/block-hooks.ts.
 */
import type { ChainParams } from '../chain/params.js';
import { logsBloom, type StoredReceipt } from '../chain/receipt.js';
import { BLOOM_BYTES, orBloom } from '../chain/bloom.js';
import type { StateDB } from '../state/state-db.js';
import { TxError } from './errors.js';
import { effectiveGasPrice, splitBaseFee } from './fees.js';
import { intrinsicGas, type SignedTx } from './tx.js';
import {
  DAO_TREASURY,
  isSystemAccount,
  STAKING_ADDRESS,
  STAKING_REWARD_POOL,
} from './system-accounts.js';
import { equalBytes, toHex } from '../crypto/bytes.js';
import { toChecksumAddress } from '../crypto/address.js';
import {
  callStaking,
  Revert,
  STAKING_PAYABLE,
  stakingCallGas,
  stakingFunctionOf,
} from '../staking/contract.js';
import { applyBlockStaking, type CandidateWeighing } from '../staking/block-hooks.js';
import { applyBlockEconomics, type BlockEconomicsOutput } from '../economics/block.js';
import type { Log } from '../chain/receipt.js';
import type { Account } from '../state/account.js';
import { EvmBlockRun, runsInEvm } from './evm/block-run.js';

export interface BlockEnv {
  chainId: bigint;
  number: bigint;
  /** The consensus round the block was built for (its header's proposal round). */
  round: bigint;
  timestamp: bigint;
  coinbase: Uint8Array;
  baseFeePerGas: bigint;
  gasLimit: bigint;
  params: ChainParams;
  /** Validators of this height in proposer order. */
  validators: readonly Uint8Array[];
  /** The proposer's RANDAO reveal (empty when its validator has no candidacy). */
  randaoReveal: Uint8Array;
  /** The block's RANDAO mix (its header's mixHash). */
  mixHash: Uint8Array;
  /** Hash of an earlier block, for the EVM's BLOCKHASH (the last 256); none when absent. */
  blockHash?: (number: bigint) => Uint8Array | undefined;
}

export interface FeeTotals {
  /** Σ gasUsed × baseFee. */
  baseFees: bigint;
  /** Σ gasUsed × (effectiveGasPrice − baseFee). */
  tips: bigint;
  proposer: bigint;
  treasury: bigint;
  burned: bigint;
}

export interface BlockOutcome {
  receipts: StoredReceipt[];
  gasUsed: bigint;
  logsBloom: Uint8Array;
  fees: FeeTotals;
  economics: BlockEconomicsOutput;
  /** Validators of the next epoch when this block ends an epoch, else empty. */
  nextValidators: Uint8Array[];
  /** The candidates' weights this block's election used; null unless it ends an epoch. */
  electionWeights: CandidateWeighing[] | null;
}

/**
 * Why a transaction may not carry its value, or null: value reaches a system address only through
 * a payable function of the staking contract (registerCandidate's deposit). Anything else sent
 * there could never be moved again (and would count as a pool's or the treasury's funds), so the
 * mempool refuses it, and execution reverts it with the value left with the sender.
 */
export function systemValueError(tx: Pick<SignedTx, 'to' | 'value' | 'data'>): TxError | null {
  if (tx.value === 0n || tx.to === null || !isSystemAccount(tx.to)) return null;
  const where = toChecksumAddress(tx.to);
  if (!equalBytes(tx.to, STAKING_ADDRESS)) {
    return new TxError(
      'value-to-system-account',
      `system account ${where} does not accept value: send it with value 0`,
    );
  }
  const fn = stakingFunctionOf(tx.data);
  if (fn !== null && STAKING_PAYABLE.has(fn)) return null;
  return new TxError(
    'value-to-system-account',
    fn === null
      ? `staking contract ${where} accepts value only with a payable function (${[...STAKING_PAYABLE].join(', ')}); the calldata ${tx.data.length === 0 ? 'is empty' : `(selector ${toHex(tx.data.subarray(0, 4))}) selects none`}`
      : `staking function ${fn} is not payable: send it with value 0`,
  );
}

/**
 * The rules every transaction must meet to be included, native or EVM; throws TxError. Returns
 * the sender's account and the intrinsic gas.
 */
function checkTransaction(
  state: StateDB,
  env: BlockEnv,
  tx: SignedTx,
  gasUsedBefore: bigint,
): { sender: Account; gas: bigint } {
  if (tx.chainId !== env.chainId) {
    throw new TxError(
      'wrong-chain-id',
      `invalid chain id: expected ${env.chainId}, got ${tx.chainId}`,
    );
  }
  if (gasUsedBefore + tx.gasLimit > env.gasLimit) {
    throw new TxError(
      'gas-limit-too-high',
      `transaction gas ${tx.gasLimit} exceeds the block's remaining gas ${env.gasLimit - gasUsedBefore}`,
    );
  }
  if (tx.maxPriorityFeePerGas > tx.maxFeePerGas) {
    throw new TxError(
      'tip-above-fee-cap',
      `maxPriorityFeePerGas ${tx.maxPriorityFeePerGas} above maxFeePerGas ${tx.maxFeePerGas}`,
    );
  }
  if (tx.maxFeePerGas < env.baseFeePerGas) {
    throw new TxError(
      'fee-cap-below-base-fee',
      `max fee per gas ${tx.maxFeePerGas} below the block's base fee ${env.baseFeePerGas}`,
    );
  }
  const gas = intrinsicGas(tx);
  if (tx.gasLimit < gas)
    throw new TxError(
      'intrinsic-gas-too-low',
      `intrinsic gas too low: have ${tx.gasLimit}, want ${gas}`,
    );
  const sender = state.getAccount(tx.sender);
  if (tx.nonce !== sender.nonce) {
    const code = tx.nonce < sender.nonce ? 'nonce-too-low' : 'nonce-too-high';
    throw new TxError(
      code,
      `${code === 'nonce-too-low' ? 'nonce too low' : 'nonce too high'}: next nonce ${sender.nonce}, tx nonce ${tx.nonce}`,
    );
  }
  const maxCost = tx.value + tx.gasLimit * tx.maxFeePerGas;
  if (sender.balance < maxCost) {
    throw new TxError(
      'insufficient-funds',
      `insufficient funds for gas * price + value: spendable ${sender.balance}, cost ${maxCost} (locked funds are not spendable)`,
    );
  }
  return { sender, gas };
}

/**
 * Applies one transaction that runs natively (a transfer, or an account's call to the staking
 * contract); throws TxError (and changes nothing) if it cannot be included. Transactions that
 * run in the EVM (see runsInEvm) go through applyAnyTransaction.
 */
export function applyTransaction(
  state: StateDB,
  env: BlockEnv,
  tx: SignedTx,
  gasUsedBefore: bigint,
): StoredReceipt {
  if (tx.to === null)
    throw new TxError('contract-creation-unsupported', 'contract creation runs in the EVM');
  const { sender, gas } = checkTransaction(state, env, tx, gasUsedBefore);
  const price = effectiveGasPrice(tx, env.baseFeePerGas);
  const system = equalBytes(tx.to, STAKING_ADDRESS);
  const wanted = system ? gas + stakingCallGas(tx.data) : gas;
  const gasUsed = wanted <= tx.gasLimit ? wanted : tx.gasLimit;
  state.putAccount(tx.sender, {
    ...sender,
    nonce: sender.nonce + 1n,
    balance: sender.balance - gasUsed * price,
  });
  // Priority fees wait in the reward pool until the block's end splits the proposer's income.
  credit(state, STAKING_REWARD_POOL, gasUsed * (price - env.baseFeePerGas));
  let status: 0 | 1 = 1;
  let logs: Log[] = [];
  if (!system) {
    // Value sent to a system account reverts: the sender keeps it (see systemValueError).
    if (tx.value > 0n && isSystemAccount(tx.to)) status = 0;
    else {
      debit(state, tx.sender, tx.value);
      credit(state, tx.to, tx.value);
    }
  } else if (wanted > tx.gasLimit) {
    status = 0; // out of gas: the call does not run
  } else {
    state.checkpoint();
    try {
      debit(state, tx.sender, tx.value);
      logs = callStaking(
        { state, params: env.params, height: env.number, sender: tx.sender, value: tx.value },
        tx.data,
      ).logs;
      state.commitCheckpoint();
    } catch (e) {
      state.revert();
      if (!(e instanceof Revert)) throw e;
      status = 0;
    }
  }
  return {
    type: tx.type,
    status,
    cumulativeGasUsed: gasUsedBefore + gasUsed,
    gasUsed,
    effectiveGasPrice: price,
    logs,
    logsBloom: logsBloom(logs),
  };
}

/**
 * Applies any transaction: those that run in the EVM (creation, calls to code or to a
 * precompile) through `evm`, the others natively. Throws TxError (and changes nothing) if it
 * cannot be included.
 */
export async function applyAnyTransaction(
  state: StateDB,
  env: BlockEnv,
  tx: SignedTx,
  gasUsedBefore: bigint,
  evm: EvmBlockRun,
): Promise<StoredReceipt> {
  if (!runsInEvm(state, tx)) return applyTransaction(state, env, tx, gasUsedBefore);
  checkTransaction(state, env, tx, gasUsedBefore);
  const out = await evm.run(tx, STAKING_REWARD_POOL);
  return {
    type: tx.type,
    status: out.status,
    cumulativeGasUsed: gasUsedBefore + out.gasUsed,
    gasUsed: out.gasUsed,
    effectiveGasPrice: effectiveGasPrice(tx, env.baseFeePerGas),
    logs: out.logs,
    logsBloom: logsBloom(out.logs),
  };
}

function debit(state: StateDB, address: Uint8Array, amount: bigint): void {
  if (amount === 0n) return;
  const a = state.getAccount(address);
  state.putAccount(address, { ...a, balance: a.balance - amount });
}

export function credit(state: StateDB, address: Uint8Array, amount: bigint): void {
  if (amount === 0n) return;
  const a = state.getAccount(address);
  state.putAccount(address, { ...a, balance: a.balance + amount });
}

/**
 * Pays out the pooled base fees of a block: the treasury's part now; the proposer's part (with
 * the priority fees) joins the reward pool, from which the economics pay commission and voters.
 */
export function settleFees(state: StateDB, env: BlockEnv, receipts: StoredReceipt[]): FeeTotals {
  let baseFees = 0n;
  let tips = 0n;
  for (const r of receipts) {
    baseFees += r.gasUsed * env.baseFeePerGas;
    tips += r.gasUsed * (r.effectiveGasPrice - env.baseFeePerGas);
  }
  const split = splitBaseFee(baseFees, env.params);
  credit(state, STAKING_REWARD_POOL, split.proposer);
  credit(state, DAO_TREASURY, split.treasury);
  return { baseFees, tips, ...split };
}

/**
 * Executes a block's transactions; any invalid transaction makes the block invalid (throws).
 * Async only because the EVM's API is: it awaits nothing but the EVM, which does no I/O.
 */
export async function executeBlock(
  state: StateDB,
  env: BlockEnv,
  txs: SignedTx[],
): Promise<BlockOutcome> {
  const receipts: StoredReceipt[] = [];
  const evm = new EvmBlockRun(state, env);
  let gasUsed = 0n;
  for (let i = 0; i < txs.length; i++) {
    try {
      const r = await applyAnyTransaction(state, env, txs[i]!, gasUsed, evm);
      gasUsed = r.cumulativeGasUsed;
      receipts.push(r);
    } catch (e) {
      if (e instanceof TxError) throw new TxError(e.code, `transaction ${i}: ${e.message}`);
      throw e;
    }
  }
  return finish(state, env, receipts, gasUsed);
}

/**
 * Builds a block's body from candidates in the order given, skipping any that cannot be
 * included (each skip is rolled back). Returns the included transactions and the skipped ones
 * with their reasons, so the mempool can drop them.
 */
export async function buildBlockBody(
  state: StateDB,
  env: BlockEnv,
  candidates: SignedTx[],
): Promise<BlockOutcome & { included: SignedTx[]; skipped: { tx: SignedTx; error: TxError }[] }> {
  const receipts: StoredReceipt[] = [];
  const included: SignedTx[] = [];
  const skipped: { tx: SignedTx; error: TxError }[] = [];
  const evm = new EvmBlockRun(state, env);
  let gasUsed = 0n;
  for (const tx of candidates) {
    state.checkpoint();
    try {
      const r = await applyAnyTransaction(state, env, tx, gasUsed, evm);
      state.commitCheckpoint();
      gasUsed = r.cumulativeGasUsed;
      receipts.push(r);
      included.push(tx);
    } catch (e) {
      state.revert();
      if (!(e instanceof TxError)) throw e;
      skipped.push({ tx, error: e });
    }
  }
  return { ...finish(state, env, receipts, gasUsed), included, skipped };
}

function finish(
  state: StateDB,
  env: BlockEnv,
  receipts: StoredReceipt[],
  gasUsed: bigint,
): BlockOutcome {
  const fees = settleFees(state, env, receipts);
  const economics = applyBlockEconomics(state, {
    height: env.number,
    params: env.params,
    coinbase: env.coinbase,
    validators: env.validators,
    proposerFees: fees.proposer + fees.tips,
    burned: fees.burned,
    randaoReveal: env.randaoReveal,
    mix: env.mixHash,
  });
  const bloom = new Uint8Array(BLOOM_BYTES);
  for (const r of receipts) orBloom(bloom, r.logsBloom);
  // Throws StakingBlockError when the block's RANDAO reveal is wrong.
  const { nextValidators, electionWeights } = applyBlockStaking(state, {
    height: env.number,
    round: env.round,
    params: env.params,
    coinbase: env.coinbase,
    validators: env.validators,
    randaoReveal: env.randaoReveal,
    mix: env.mixHash,
  });
  return { receipts, gasUsed, logsBloom: bloom, fees, economics, nextValidators, electionWeights };
}
