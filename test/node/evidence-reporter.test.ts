/**
 * The node's evidence reporter (src/node/evidence.ts): bounded, submits each piece of evidence as
 * a transaction to the evidence contract, re-sends it every few blocks, and drops it once the
 * chain has settled it (punished, tombstoned, no candidacy, too old).
 */
import { describe, expect, it } from 'vitest';
import { decodeFunctionData } from 'viem';
import { createTxFromRLP } from '@ethereumjs/tx';
import { createCustomCommon, Mainnet } from '@ethereumjs/common';
import { toHex } from '../../src/crypto/bytes.js';
import { MessageType, type EquivocationEvidence } from '../../src/consensus/types.js';
import { EvidenceReporter, MAX_PENDING_EVIDENCE } from '../../src/node/evidence.js';
import { EVIDENCE_ABI } from '../../src/slashing/abi.js';
import { keccak256 } from '../../src/crypto/keccak.js';
import { utf8 } from '../../src/crypto/bytes.js';
import { BARE, CHAIN_ID, doublePrepare, P, REPORTER, SIGNERS, world } from '../slashing/world.js';

const KEY = keccak256(utf8('reporter-key'));

function setup() {
  const w = world();
  let next = 12n;
  const sent: Uint8Array[] = [];
  const logs: string[] = [];
  const r = new EvidenceReporter(KEY, {
    params: P,
    chainId: CHAIN_ID,
    head: () => ({ state: w.state, next }),
    nextBaseFee: () => P.minBaseFee,
    pendingNonce: () => BigInt(sent.length),
    submit: (raw) => void sent.push(raw),
    log: (_level, event) => void logs.push(event),
  });
  // Fund the reporter's key.
  const a = w.state.getAccount(r.address);
  w.state.putAccount(r.address, { ...a, balance: 10n ** 18n });
  return { w, r, sent, logs, setNext: (h: bigint) => (next = h) };
}

function evidence(signer: (typeof SIGNERS)[number], height: number): EquivocationEvidence {
  const [first, second] = doublePrepare(signer, height);
  return { validator: signer.address, height, round: 0, type: MessageType.Prepare, first, second };
}

describe('evidence reporter', () => {
  it('submits evidence to the evidence contract, once per offence, and re-sends after 5 blocks', () => {
    const { r, sent, setNext } = setup();
    const e = evidence(SIGNERS[1]!, 10);
    r.add(e);
    r.add(e);
    expect(sent).toHaveLength(1);
    const tx = createTxFromRLP(sent[0]!, {
      common: createCustomCommon({ chainId: Number(CHAIN_ID) }, Mainnet),
    });
    expect(toHex(tx.to!.bytes)).toBe('0xe7a0000000000000000000000000000000000003');
    const call = decodeFunctionData({ abi: EVIDENCE_ABI, data: toHex(tx.data) as `0x${string}` });
    expect(call.functionName).toBe('submitEvidence');
    expect(call.args).toEqual([toHex(e.first), toHex(e.second)]);
    r.afterCommit();
    expect(sent).toHaveLength(1);
    setNext(17n);
    r.afterCommit();
    expect(sent).toHaveLength(2);
  });

  it('drops evidence the chain has settled: punished, no candidacy, too old', () => {
    const { w, r, sent, logs, setNext } = setup();
    r.add(evidence(SIGNERS[1]!, 10));
    r.add(evidence(BARE, 10));
    r.add(evidence(SIGNERS[0]!, 2));
    expect(r.list()).toHaveLength(2); // the one without a candidacy is dropped at once
    w.evidence(REPORTER, 12n, doublePrepare(SIGNERS[1]!, 10));
    setNext(2n + P.evidenceMaxAgeBlocks + 1n);
    r.afterCommit();
    expect(r.list()).toEqual([]);
    expect(logs.filter((l) => l === 'evidence-settled')).toHaveLength(3);
    expect(sent.length).toBeGreaterThan(0);
  });

  it(`keeps at most ${MAX_PENDING_EVIDENCE}, the newest`, () => {
    const { r } = setup();
    for (let h = 1; h <= MAX_PENDING_EVIDENCE + 6; h++) r.add(evidence(SIGNERS[h % 3]!, h));
    expect(r.list()).toHaveLength(MAX_PENDING_EVIDENCE);
    expect(r.list()[0]!.height).toBe(7);
  });

  it('does not send from an account that cannot pay the fee', () => {
    const { w, r, sent, logs } = setup();
    w.state.putAccount(r.address, { ...w.state.getAccount(r.address), balance: 0n });
    r.add(evidence(SIGNERS[1]!, 10));
    expect(sent).toEqual([]);
    expect(logs).toContain('evidence-unfunded');
  });
});
