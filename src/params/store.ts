/**
 * The protocol parameters in the state: one record per parameter in the storage of the
 * parameters system account, under slot keccak256(RLP ['param', name]) with the value
 * RLP-encoded (an integer, or a list of integers). Genesis writes every parameter; the state
 * transition reads them from the state of the block it executes, so a change written into the
 * state (by governance) is what the following blocks run with.
 */
import { asList, asUint, DecodeError, rlpDecode, rlpEncode, type RlpInput } from '../codec/rlp.js';
import { PARAMETERS_ADDRESS } from '../primitives/system-addresses.js';
import { RecordStore, slot } from '../state/records.js';
import type { StateDB } from '../state/state-db.js';
import {
  checkParams,
  PARAM_NAMES,
  PARAMS,
  ParamError,
  type ChainParams,
  type ParamDef,
} from './registry.js';

const utf8 = (s: string) => new TextEncoder().encode(s);

/** The storage slot of a parameter. */
export const paramSlot = (name: keyof ChainParams): Uint8Array => slot('param', utf8(name));

export class ParamStore extends RecordStore {
  constructor(state: StateDB) {
    super(state, PARAMETERS_ADDRESS);
  }

  /** Every parameter as stored; ParamError when one is missing or outside its bounds. */
  params(): ChainParams {
    const out: Record<string, bigint | readonly bigint[]> = {};
    for (const name of PARAM_NAMES) {
      const v = this.read(paramSlot(name));
      if (v === null) throw new ParamError(`parameter ${name} is not in the state`);
      const def: ParamDef = PARAMS[name];
      try {
        const item = rlpDecode(v);
        out[name] =
          def.type === 'uint[]'
            ? asList(item, name).map((x) => asUint(x, name))
            : asUint(item, name);
      } catch (e) {
        if (e instanceof DecodeError) throw new ParamError(`parameter ${name}: ${e.message}`);
        throw e;
      }
    }
    const p = out as unknown as ChainParams;
    checkParams(p);
    return p;
  }

  /** Writes every parameter (checked against its bounds first). */
  setParams(p: ChainParams): void {
    checkParams(p);
    for (const name of PARAM_NAMES) this.write(paramSlot(name), rlpEncode(p[name] as RlpInput));
  }
}

export const readParams = (state: StateDB): ChainParams => new ParamStore(state).params();
