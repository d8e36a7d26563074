/**
 * The slashing system module (docs/slashing.md): the evidence contract at EVIDENCE_ADDRESS (its
 * rules are src/slashing/contract.ts, its ABI src/slashing/abi.ts) and the downtime accounting
 * of every block (src/slashing/block-hooks.ts).
 */
import { fromHex } from '../../crypto/bytes.js';
import { EVIDENCE_ADDRESS } from '../../primitives/system-addresses.js';
import { EVIDENCE_ABI } from '../../slashing/abi.js';
import { slashingEndBlock, slashingGenesis } from '../../slashing/block-hooks.js';
import { EvidenceContract } from '../../slashing/contract.js';
import { defineContract, type Handlers, type SystemModule } from '../module.js';

const VIEW_GAS = 10_000n;

const evidenceFunctions: Handlers<typeof EVIDENCE_ABI, EvidenceContract> = {
  // Two signature recoveries and the slash's records.
  submitEvidence: {
    gas: 200_000n,
    payable: false,
    run: (s, [first, second]) => s.submitEvidence(fromHex(first), fromHex(second)),
  },
  unjail: { gas: 30_000n, payable: false, run: (s) => s.unjail() },
  getEvidence: {
    gas: VIEW_GAS,
    payable: false,
    run: (s, [validator, height, round, type]) =>
      s.getEvidence(fromHex(validator), height, round, BigInt(type)),
  },
  getJail: { gas: VIEW_GAS, payable: false, run: (s, [operator]) => s.getJail(fromHex(operator)) },
};

export const evidenceContract = defineContract({
  name: 'evidence',
  address: EVIDENCE_ADDRESS,
  abi: EVIDENCE_ABI,
  unknownGas: VIEW_GAS,
  bind: (ctx) => new EvidenceContract(ctx),
  functions: evidenceFunctions,
});

export const slashingModule: SystemModule = {
  name: 'slashing',
  contract: evidenceContract,
  genesis: (g) => slashingGenesis(g.state, g.chainId),
  endBlock: (b) => {
    slashingEndBlock(b.state, {
      height: b.number,
      params: b.params,
      parentSealBitmap: b.parentSealBitmap,
      logs: b.logs,
    });
  },
};
