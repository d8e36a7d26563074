/**
 * The protocol parameters in the state: one record per parameter in the storage of the
 * parameters system account, under slot keccak256(RLP ['param', name]) with the value
 * RLP-encoded (an integer, or a list of integers). Genesis writes every parameter; the state
 * transition reads them from the state of the block it executes, so a change written into the
 * state (by governance) is what the following blocks run with.
 *
 * Beside them, under slot keccak256(RLP ['epoch-history']), the epoch schedule once the epoch
 * length was changed: RLP [[after, epoch, blocks], …] (src/params/epochs.ts). No record while
 * the genesis length holds, so a chain that never changed it has no such record.
 */
import { asList, asUint, DecodeError, rlpDecode, rlpEncode, type RlpInput } from '../codec/rlp.js';
import { PARAMETERS_ADDRESS } from '../primitives/system-addresses.js';
import { RecordStore, slot } from '../state/records.js';
import type { StateDB } from '../state/state-db.js';
import { scheduleProblem, type EpochSegment } from './epochs.js';
import {
  checkParams,
  PARAM_NAMES,
  PARAMS,
  ParamError,
  type ChainParams,
  type ParamDef,
  type ParamName,
} from './registry.js';

const utf8 = (s: string) => new TextEncoder().encode(s);

/** The storage slot of a parameter. */
export const paramSlot = (name: ParamName): Uint8Array => slot('param', utf8(name));

const EPOCH_HISTORY_SLOT = slot('epoch-history');

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
    const history = this.epochHistory();
    const p = (history ? { ...out, epochHistory: history } : out) as unknown as ChainParams;
    checkParams(p);
    if (history) {
      const problem = scheduleProblem(history, p.epochBlocks);
      if (problem) throw new ParamError(problem);
    }
    return p;
  }

  /** The stored epoch schedule, or null while the genesis length holds. */
  private epochHistory(): EpochSegment[] | null {
    const v = this.read(EPOCH_HISTORY_SLOT);
    if (v === null) return null;
    try {
      return asList(rlpDecode(v), 'epoch history').map((item, i) => {
        const [after, epoch, blocks] = asList(item, `epoch segment ${i}`, 3).map((x) =>
          asUint(x, `epoch segment ${i}`),
        ) as [bigint, bigint, bigint];
        return { after, epoch, blocks };
      });
    } catch (e) {
      if (e instanceof DecodeError) throw new ParamError(`epoch history: ${e.message}`);
      throw e;
    }
  }

  /** Writes every parameter (checked against its bounds first). */
  setParams(p: ChainParams): void {
    checkParams(p);
    if (p.epochHistory) {
      const problem = scheduleProblem(p.epochHistory, p.epochBlocks);
      if (problem) throw new ParamError(problem);
    }
    for (const name of PARAM_NAMES) this.write(paramSlot(name), rlpEncode(p[name] as RlpInput));
    // Only a changed schedule is written: the genesis writes no record.
    if (p.epochHistory)
      this.write(
        EPOCH_HISTORY_SLOT,
        rlpEncode(p.epochHistory.map((g) => [g.after, g.epoch, g.blocks])),
      );
  }
}

export const readParams = (state: StateDB): ChainParams => new ParamStore(state).params();
