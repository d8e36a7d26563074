/**
 * Deterministic fixed-point arithmetic for staking, election and economics: decimal fixed point
 * with 36 fractional digits on bigint (a value v is the integer v·10^36). No floating point.
 * See docs/math.md.
 */
export { MathError, type MathErrorCode } from './errors.js';
export {
  bitLength,
  ceilDiv,
  divRound,
  floorDiv,
  isqrt,
  shiftRound,
  type Rounding,
} from './integer.js';
export {
  DECIMALS,
  MAX_DECIMAL_STRING_LENGTH,
  ONE,
  SCALE,
  WAD_TO_FIXED,
  ZERO,
  div,
  divDown,
  divUp,
  fromInteger,
  fromRatio,
  mul,
  mulDown,
  mulInt,
  mulUp,
  parseDecimal,
  toDecimalString,
  toInteger,
  toIntegerCeil,
  toIntegerFloor,
  type Fixed,
} from './arith.js';
export {
  EXP_MAX_INPUT,
  EXP_MIN_INPUT,
  exp,
  ln,
  pow,
  powInt,
  powReal,
  sqrt,
} from './transcendental.js';
