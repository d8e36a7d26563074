/**
 * The governance system module (docs/governance.md): the DAO's contract at GOVERNANCE_ADDRESS
 * (its rules are src/governance/contract.ts, its ABI src/governance/abi.ts) and, after every
 * other module's block work, the closing of the proposals due at the block
 * (src/governance/block.ts).
 */
import { fromHex } from '../../crypto/bytes.js';
import { GOVERNANCE_ABI } from '../../governance/abi.js';
import { governanceEndBlock } from '../../governance/block.js';
import { GovernanceContract } from '../../governance/contract.js';
import { GOVERNANCE_ADDRESS } from '../../primitives/system-addresses.js';
import { defineContract, type Handlers, type SystemModule } from '../module.js';

const VIEW_GAS = 10_000n;

export const governanceFunctions: Handlers<typeof GOVERNANCE_ABI, GovernanceContract> = {
  propose: {
    gas: 100_000n,
    payable: true,
    run: (s, [kind, payload]) => s.propose(kind, fromHex(payload)),
  },
  deposit: { gas: 40_000n, payable: true, run: (s, [id]) => s.deposit(id) },
  vote: { gas: 30_000n, payable: false, run: (s, [id, option]) => s.vote(id, option) },
  proposalCount: { gas: VIEW_GAS, payable: false, run: (s) => s.proposalCount() },
  getProposal: { gas: VIEW_GAS, payable: false, run: (s, [id]) => s.getProposal(id) },
  getTally: { gas: VIEW_GAS, payable: false, run: (s, [id]) => s.getTally(id) },
  getVote: {
    gas: VIEW_GAS,
    payable: false,
    run: (s, [id, voter]) => s.getVote(id, fromHex(voter)),
  },
  getDeposit: {
    gas: VIEW_GAS,
    payable: false,
    run: (s, [id, depositor]) => s.getDeposit(id, fromHex(depositor)),
  },
};

export const governanceModule: SystemModule = {
  name: 'governance',
  contract: defineContract({
    name: 'governance',
    address: GOVERNANCE_ADDRESS,
    abi: GOVERNANCE_ABI,
    unknownGas: VIEW_GAS,
    bind: (ctx) => new GovernanceContract(ctx),
    functions: governanceFunctions,
  }),
  endBlock: (b) => governanceEndBlock(b.state, b.params, b.number, b.logs),
};
