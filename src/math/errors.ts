/** Why a fixed-point operation failed. */
import { EtmError } from '../primitives/errors.js';
export type MathErrorCode =
  /** The argument is outside the function's domain (ln of a non-positive value, …). */
  | 'DOMAIN'
  /** The result would exceed the documented bound (exp above EXP_MAX_INPUT, …). */
  | 'OVERFLOW'
  /** A division by zero. */
  | 'DIVISION_BY_ZERO'
  /** A decimal string that is malformed or not exactly representable. */
  | 'PARSE'
  /** An internal range-reduction bound was broken: a bug, never expected. */
  | 'INTERNAL';

/** The one error type of `src/math`; `code` says which rule was broken. */
export class MathError extends EtmError<MathErrorCode> {
  override readonly name = 'MathError';
}
