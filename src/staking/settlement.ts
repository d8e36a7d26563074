/**
 * Whether the staking economy was settled for good by the DAO (a GlobalSettlement, see
 * docs/governance.md): from the height it was settled at, no lock may be made, nothing is minted
 * and no bonus paid, and the validator set stays as it is. One record in the storage of the
 * staking system account, under its own tag: ['settled'] → height.
 */
import { asUint, rlpDecode, rlpEncode } from '../codec/rlp.js';
import { STAKING_ADDRESS } from '../primitives/system-addresses.js';
import { RecordStore, slot } from '../state/records.js';
import type { StateDB } from '../state/state-db.js';

export class SettlementStore extends RecordStore {
  constructor(state: StateDB) {
    super(state, STAKING_ADDRESS);
  }

  /** The height the economy was settled at, or null while it runs. */
  settledAt(): bigint | null {
    const v = this.read(slot('settled'));
    return v === null ? null : asUint(rlpDecode(v), 'settled');
  }

  settle(height: bigint): void {
    this.write(slot('settled'), rlpEncode(height));
  }
}

export const isSettled = (state: StateDB): boolean =>
  new SettlementStore(state).settledAt() !== null;
