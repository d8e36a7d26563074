/**
 * Differential test: random contract workloads run through the chain (its StateDB, its block
 * execution) and through @ethereumjs/vm with its own MerkleStateManager, block by block with the
 * chain's header values. Every receipt (status, gas, logs) must match, and so must every account
 * the workload touches: nonce, balance, code hash and storage root (the two states' roots differ
 * only by what the chain adds: its account field `locked`, its system accounts and fee routing).
 */
import { afterAll, describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { createBlock } from '@ethereumjs/block';
import { createCustomCommon, Hardfork, Mainnet } from '@ethereumjs/common';
import { MerkleStateManager } from '@ethereumjs/statemanager';
import { createTxFromRLP } from '@ethereumjs/tx';
import { Account, Address } from '@ethereumjs/util';
import { createVM, runTx, type VM } from '@ethereumjs/vm';
import { encodeDeployData, encodeFunctionData, getContractAddress, type Hex } from 'viem';
import type { Chain } from '../../src/chain/chain.js';
import { blockHash } from '../../src/chain/block.js';
import { fromHex, toHex } from '../../src/crypto/bytes.js';
import { addressOf } from '../../src/crypto/secp256k1.js';
import { TxDecoder, type SignedTx } from '../../src/execution/tx.js';
import { signTx } from '../execution/helpers.js';
import {
  CHAIN_ID,
  commitNext,
  newChain,
  TempDirs,
  USER_BALANCE,
  USER_KEYS,
  USERS,
} from '../chain/helpers.js';
import { compile } from './solidity.js';

const t = new TempDirs();
afterAll(() => t.cleanup());
const decoder = new TxDecoder({ chainId: CHAIN_ID });
const { Fuzz } = compile('Fuzz.sol');
const common = createCustomCommon({ chainId: Number(CHAIN_ID) }, Mainnet, {
  hardfork: Hardfork.Cancun,
});

type Op =
  | { kind: 'set'; k: number; v: number }
  | { kind: 'listed'; k: number; v: number; type: 1 | 2 }
  | { kind: 'clear'; k: number }
  | { kind: 'bump'; k: number; value: number }
  | { kind: 'fail'; k: number }
  | { kind: 'nested'; k: number; failInner: boolean }
  | { kind: 'spawn'; salt: number }
  | { kind: 'pay'; to: number; amount: number }
  | { kind: 'burn'; n: number }
  | { kind: 'ephemeral'; to: number; value: number }
  | { kind: 'hashes'; data: Uint8Array }
  | { kind: 'transfer'; to: number; value: number }
  | { kind: 'precompile'; data: Uint8Array };

const opArb: fc.Arbitrary<Op> = fc.oneof(
  fc.record({ kind: fc.constant('set' as const), k: fc.nat(5), v: fc.nat(3) }),
  fc.record({ kind: fc.constant('clear' as const), k: fc.nat(5) }),
  fc.record({
    kind: fc.constant('listed' as const),
    k: fc.nat(5),
    v: fc.nat(3),
    type: fc.constantFrom(1 as const, 2 as const),
  }),
  fc.record({ kind: fc.constant('bump' as const), k: fc.nat(5), value: fc.nat(1000) }),
  fc.record({ kind: fc.constant('fail' as const), k: fc.nat(5) }),
  fc.record({ kind: fc.constant('nested' as const), k: fc.nat(5), failInner: fc.boolean() }),
  fc.record({ kind: fc.constant('spawn' as const), salt: fc.nat(3) }),
  fc.record({ kind: fc.constant('pay' as const), to: fc.nat(2), amount: fc.nat(2000) }),
  fc.record({ kind: fc.constant('burn' as const), n: fc.nat(40) }),
  fc.record({ kind: fc.constant('ephemeral' as const), to: fc.nat(2), value: fc.nat(500) }),
  fc.record({ kind: fc.constant('hashes' as const), data: fc.uint8Array({ maxLength: 70 }) }),
  fc.record({ kind: fc.constant('transfer' as const), to: fc.nat(2), value: fc.nat(10 ** 6) }),
  fc.record({ kind: fc.constant('precompile' as const), data: fc.uint8Array({ maxLength: 40 }) }),
);

interface Workload {
  blocks: { user: number; op: Op }[][];
}

const workloadArb: fc.Arbitrary<Workload> = fc.record({
  blocks: fc.array(fc.array(fc.record({ user: fc.nat(2), op: opArb }), { maxLength: 6 }), {
    minLength: 1,
    maxLength: 3,
  }),
});

function signed(
  user: number,
  nonce: bigint,
  to: Uint8Array | null,
  data: Uint8Array,
  value: bigint,
  list?: { type: 1 | 2; slot: number },
): SignedTx {
  // With an access list: the target and one of its slots, warm from the start (EIP-2930).
  const accessList = list && to ? [[to, [new Uint8Array(32).fill(list.slot)]]] : undefined;
  const { raw } = signTx(
    list?.type ?? 2,
    {
      nonce,
      to,
      value,
      data,
      gasLimit: 1_000_000n,
      maxFeePerGas: 50_000_000_000n,
      gasPrice: 50_000_000_000n,
      accessList,
    },
    { key: USER_KEYS[user]! },
  );
  return decoder.decode(raw);
}

/** The reference: @ethereumjs/vm on its own state, the users funded as in the chain's genesis. */
async function reference(): Promise<VM> {
  const vm = await createVM({ common, stateManager: new MerkleStateManager({ common }) });
  for (const u of USERS)
    await vm.stateManager.putAccount(new Address(u), new Account(0n, USER_BALANCE));
  return vm;
}

async function compareAccounts(c: Chain, vm: VM, addresses: Uint8Array[]): Promise<void> {
  const state = c.headState();
  for (const a of addresses) {
    const ours = state.getAccount(a);
    const theirs = (await vm.stateManager.getAccount(new Address(a))) ?? new Account();
    const where = toHex(a);
    expect({ where, nonce: ours.nonce, balance: ours.balance }).toEqual({
      where,
      nonce: theirs.nonce,
      balance: theirs.balance,
    });
    expect(toHex(ours.codeHash), where).toBe(toHex(theirs.codeHash));
    expect(toHex(ours.storageRoot), where).toBe(toHex(theirs.storageRoot));
  }
}

describe('differential: the chain and @ethereumjs/vm agree on random contract workloads', () => {
  it('receipts, gas, logs and every touched account', async () => {
    await fc.assert(
      fc.asyncProperty(workloadArb, async (w) => {
        const c = newChain(t);
        const vm = await reference();
        const nonces = [0n, 0n, 0n];
        // Two Fuzz contracts, deployed by user 0 in block 1.
        const deploy = fromHex(encodeDeployData({ abi: Fuzz!.abi, bytecode: Fuzz!.bytecode }));
        const fuzz = [0n, 1n].map((n) =>
          fromHex(getContractAddress({ from: toHex(USERS[0]!) as Hex, nonce: n })),
        );
        const touched: Uint8Array[] = [...USERS, ...fuzz];
        const first = [
          signed(0, nonces[0]!++, null, deploy, 10_000n),
          signed(0, nonces[0]!++, null, deploy, 0n),
        ];
        const call = (fn: string, args: unknown[]) =>
          fromHex(encodeFunctionData({ abi: Fuzz!.abi, functionName: fn, args } as never));
        const blocks: SignedTx[][] = [first];
        for (const block of w.blocks) {
          blocks.push(
            block.map(({ user, op }) => {
              const target = fuzz[user % 2]!;
              const nonce = nonces[user]!++;
              const recipient = USERS[(op as { to?: number }).to ?? 0]!;
              switch (op.kind) {
                case 'set':
                  return signed(user, nonce, target, call('set', [BigInt(op.k), BigInt(op.v)]), 0n);
                case 'listed':
                  return signed(
                    user,
                    nonce,
                    target,
                    call('set', [BigInt(op.k), BigInt(op.v)]),
                    0n,
                    { type: op.type, slot: op.k },
                  );
                case 'clear':
                  return signed(user, nonce, target, call('clear', [BigInt(op.k)]), 0n);
                case 'bump':
                  return signed(
                    user,
                    nonce,
                    target,
                    call('bump', [BigInt(op.k)]),
                    BigInt(op.value),
                  );
                case 'fail':
                  return signed(user, nonce, target, call('fail', [BigInt(op.k)]), 0n);
                case 'nested':
                  return signed(
                    user,
                    nonce,
                    target,
                    call('nested', [toHex(fuzz[(user + 1) % 2]!), BigInt(op.k), op.failInner]),
                    0n,
                  );
                case 'spawn':
                  return signed(
                    user,
                    nonce,
                    target,
                    call('spawn', [toHex(new Uint8Array(32).fill(op.salt))]),
                    0n,
                  );
                case 'pay':
                  return signed(
                    user,
                    nonce,
                    target,
                    call('pay', [toHex(recipient), BigInt(op.amount)]),
                    0n,
                  );
                case 'burn':
                  return signed(user, nonce, target, call('burn', [BigInt(op.n)]), 0n);
                case 'ephemeral':
                  return signed(
                    user,
                    nonce,
                    target,
                    call('ephemeral', [toHex(recipient)]),
                    BigInt(op.value),
                  );
                case 'hashes':
                  return signed(user, nonce, target, call('hashes', [toHex(op.data)]), 0n);
                case 'transfer':
                  return signed(user, nonce, recipient, new Uint8Array(0), BigInt(op.value));
                case 'precompile':
                  return signed(
                    user,
                    nonce,
                    fromHex('0x0000000000000000000000000000000000000002'),
                    op.data,
                    0n,
                  );
              }
            }),
          );
        }
        for (const txs of blocks) {
          const committed = await commitNext(c, txs);
          const h = committed.header;
          const receipts = c.receiptsAt(h.number);
          const block = createBlock(
            {
              header: {
                number: h.number,
                coinbase: new Address(addressOf(new Uint8Array(32).fill(0x77))),
                timestamp: h.timestamp,
                gasLimit: h.gasLimit,
                baseFeePerGas: h.baseFeePerGas,
                mixHash: h.mixHash,
                excessBlobGas: 0n,
                blobGasUsed: 0n,
                parentBeaconBlockRoot: new Uint8Array(32),
              },
            },
            { common, skipConsensusFormatValidation: true },
          );
          expect(receipts).toHaveLength(txs.length);
          for (let i = 0; i < txs.length; i++) {
            const r = await runTx(vm, { tx: createTxFromRLP(txs[i]!.raw, { common }), block });
            const ours = receipts[i]!;
            expect({ i, status: ours.status, gas: ours.gasUsed }).toEqual({
              i,
              status: r.execResult.exceptionError === undefined ? 1 : 0,
              gas: r.totalGasSpent,
            });
            expect(
              ours.logs.map((l) => [
                toHex(l.address),
                l.topics.map((x) => toHex(x)),
                toHex(l.data),
              ]),
            ).toEqual(
              (r.execResult.logs ?? []).map(([a, topics, data]) => [
                toHex(a),
                topics.map((x) => toHex(x)),
                toHex(data),
              ]),
            );
            if (r.createdAddress) touched.push(r.createdAddress.bytes);
          }
          // The children CREATE2 may have made, at the addresses it gives.
          for (const salt of [0, 1, 2, 3])
            for (const f of fuzz)
              touched.push(
                fromHex(
                  getContractAddress({
                    opcode: 'CREATE2',
                    from: toHex(f) as Hex,
                    salt: toHex(new Uint8Array(32).fill(salt)) as Hex,
                    bytecode: compile('Fuzz.sol').Child!.bytecode,
                  }),
                ),
              );
          await compareAccounts(c, vm, touched);
          expect(blockHash(committed)).toEqual(blockHash(c.head));
        }
      }),
      { numRuns: 6 },
    );
  }, 120_000);
});
