/**
 * Epoch arithmetic: one implementation over the epoch schedule, in src/params/epochs.ts (the
 * parameters' layer reads and checks the schedule the state keeps).
 */
export {
  epochBounds,
  epochOf,
  epochSchedule,
  isEpochEnd,
  scheduleWithLength,
  type EpochParams,
  type EpochSegment,
} from '../params/epochs.js';
