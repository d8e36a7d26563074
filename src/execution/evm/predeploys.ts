/**
 * The contracts genesis holds for the EVM (docs/contracts.md): the marker code of every system
 * contract, and Multicall3 at its canonical address.
 */
import type { StateDB } from '../../state/state-db.js';
import { MULTICALL3_ADDRESS, SYSTEM_CONTRACTS, SYSTEM_MARKER_CODE } from './addresses.js';
import { MULTICALL3_RUNTIME } from './multicall3.js';

export function writeGenesisContracts(state: StateDB): void {
  for (const a of SYSTEM_CONTRACTS) state.putCode(a, SYSTEM_MARKER_CODE);
  state.putCode(MULTICALL3_ADDRESS, MULTICALL3_RUNTIME);
}
