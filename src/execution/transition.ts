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
 * A call to a system contract (found by its address in src/execution/registry.ts) costs its
 * intrinsic gas plus its function's gas; if it reverts, its state changes are undone but the
 * nonce and fee are kept (status 0), as in Ethereum. After the fees, the system modules' block
 * hooks run in the registry's order (rewards, unbonding, RANDAO, turns, and at an epoch's end
 * the election and the bonus).
 */
import type { ChainParams } from '../params/registry.js';
import { logsBloom } from '../codec/receipt.js';
import { orBloom } from '../crypto/bloom.js';
import { BLOOM_BYTES, type Log, type StoredReceipt } from '../primitives/receipt.js';
import type { StateDB } from '../state/state-db.js';
import { TxError } from './errors.js';
import { effectiveGasPrice, splitBaseFee } from './fees.js';
import { intrinsicGas, type SignedTx } from './tx.js';
import {
  DAO_TREASURY,
  isSystemAccount,
  STAKING_REWARD_POOL,
} from '../primitives/system-addresses.js';
import { Revert } from '../primitives/errors.js';
import { toChecksumAddress } from '../crypto/address.js';
import type { BlockEconomicsOutput } from '../economics/block.js';
import type { CandidateWeighing } from '../staking/block-hooks.js';
import {
  callContract,
  callGas,
  functionOf,
  isPayableCall,
  payableFunctions,
  selectorOf,
} from './call.js';
import type { BlockContext } from './module.js';
import { blockWorkReceipt } from './block-work.js';
import { contractAt, runBlockHooks } from './registry.js';
import type { Account } from '../state/account.js';
import { EvmBlockRun, runsInEvm } from './evm/block-run.js';
import type { EvmOutcome } from './evm/runner.js';
import type { EvmTracer } from './evm/tracer.js';

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
  /** The header's parentSealBitmap (downtime accounting); absent outside a chain. */
  parentSealBitmap?: Uint8Array;
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
 * a payable function of a system contract (registerCandidate's deposit). Anything else sent
 * there could never be moved again (and would count as a pool's or the treasury's funds), so the
 * mempool refuses it, and execution reverts it with the value left with the sender.
 */
export function systemValueError(tx: Pick<SignedTx, 'to' | 'value' | 'data'>): TxError | null {
  if (tx.value === 0n || tx.to === null || !isSystemAccount(tx.to)) return null;
  const where = toChecksumAddress(tx.to);
  const contract = contractAt(tx.to);
  // A contract without a payable function (the evidence contract) takes value like an account.
  if (contract === null || payableFunctions(contract).length === 0) {
    return new TxError(
      'value-to-system-account',
      `system account ${where} does not accept value: send it with value 0`,
    );
  }
  if (isPayableCall(contract, tx.data)) return null;
  const fn = functionOf(contract, tx.data);
  return new TxError(
    'value-to-system-account',
    fn === null
      ? `${contract.name} contract ${where} accepts value only with a payable function (${payableFunctions(contract).join(', ')}); the calldata ${tx.data.length === 0 ? 'is empty' : `(selector ${selectorOf(tx.data)}) selects none`}`
      : `${contract.name} function ${fn} is not payable: send it with value 0`,
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
  const contract = contractAt(tx.to);
  const wanted = contract ? gas + callGas(contract, tx.data) : gas;
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
  if (!contract) {
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
      logs = callContract(
        contract,
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
async function applyAnyTransaction(
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
  beginBlock(state, env);
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

/** A transaction's run as a trace shows it (see traceBlockTransaction). */
export interface TracedRun {
  /** The EVM's outcome; for a native transaction, one made from its receipt. */
  outcome: EvmOutcome;
  /** Whether it ran in the EVM (a native one has no opcodes to trace). */
  inEvm: boolean;
}

/**
 * Runs block transactions 0 … index − 1 on `state` (the parent's), as executeBlock does, then
 * transaction `index` with `tracer` listening (debug_traceTransaction). Writes nothing.
 */
export async function traceBlockTransaction(
  state: StateDB,
  env: BlockEnv,
  txs: SignedTx[],
  index: number,
  tracer: EvmTracer,
): Promise<TracedRun> {
  beginBlock(state, env);
  const evm = new EvmBlockRun(state, env);
  let gasUsed = 0n;
  for (let i = 0; i < index; i++)
    gasUsed = (await applyAnyTransaction(state, env, txs[i]!, gasUsed, evm)).cumulativeGasUsed;
  const tx = txs[index]!;
  if (runsInEvm(state, tx)) {
    checkTransaction(state, env, tx, gasUsed);
    return { outcome: await evm.run(tx, STAKING_REWARD_POOL, { tracer }), inEvm: true };
  }
  const r = applyTransaction(state, env, tx, gasUsed);
  return {
    outcome: {
      status: r.status,
      gasUsed: r.gasUsed,
      logs: r.logs,
      returnData: new Uint8Array(0),
      error: r.status === 0 ? 'revert' : null,
      createdAddress: null,
      refund: 0n,
    },
    inEvm: false,
  };
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
  beginBlock(state, env);
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

/** The block's context for the system modules' hooks. */
function blockContext(
  state: StateDB,
  env: BlockEnv,
  fees: BlockContext['fees'],
  logs: Log[] = [],
): BlockContext {
  return {
    state,
    params: env.params,
    number: env.number,
    round: env.round,
    coinbase: env.coinbase,
    validators: env.validators,
    randaoReveal: env.randaoReveal,
    mixHash: env.mixHash,
    parentSealBitmap: env.parentSealBitmap,
    fees,
    logs,
  };
}

const NO_FEES: BlockContext['fees'] = { proposer: 0n, tips: 0n, burned: 0n };

/** The modules' work before the block's transactions. */
function beginBlock(state: StateDB, env: BlockEnv): void {
  runBlockHooks(blockContext(state, env, NO_FEES), ['beginBlock']);
}

function finish(
  state: StateDB,
  env: BlockEnv,
  txReceipts: StoredReceipt[],
  gasUsed: bigint,
): BlockOutcome {
  const fees = settleFees(state, env, txReceipts);
  // Throws BlockError (exec.randao-…) when the block's RANDAO reveal is wrong.
  const hookLogs: Log[] = [];
  const r = runBlockHooks(blockContext(state, env, fees, hookLogs), ['endBlock', 'endEpoch']);
  // The hooks' logs end the receipts in one block-work receipt (src/execution/block-work.ts).
  const work = blockWorkReceipt(txReceipts, hookLogs);
  const receipts = work ? [...txReceipts, work] : txReceipts;
  const bloom = new Uint8Array(BLOOM_BYTES);
  for (const receipt of receipts) if (receipt.logs.length > 0) orBloom(bloom, receipt.logsBloom);
  const economics: BlockEconomicsOutput = {
    minted: r.minted ?? 0n,
    commission: r.commission ?? 0n,
    voters: r.voters ?? 0n,
    stakers: r.stakers ?? 0n,
    bonusReleased: r.bonusReleased ?? 0n,
    bonusPaid: r.bonusPaid ?? 0n,
  };
  return {
    receipts,
    gasUsed,
    logsBloom: bloom,
    fees,
    economics,
    nextValidators: r.nextValidators ?? [],
    electionWeights: r.electionWeights ?? null,
  };
}
