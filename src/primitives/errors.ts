/**
 * The one error base of the project. Every error a rule, a codec or a shell raises on purpose
 * extends EtmError with a stable `code`: callers (RPC, peers, tests) branch on the code, never on
 * the message, which is for people and carries the numbers that explain it.
 */
export class EtmError<C extends string = string> extends Error {
  override name = 'EtmError';
  readonly code: C;

  constructor(code: C, message: string, options?: ErrorOptions) {
    super(message, options);
    this.code = code;
  }
}

/** A broken internal invariant: a bug, never a consequence of input. */
export class InvariantError extends EtmError<'invariant'> {
  override name = 'InvariantError';

  constructor(message: string) {
    super('invariant', message);
  }
}

/**
 * Checks an internal invariant. Input is validated with typed errors before any rule runs; what
 * `assert` guards can only fail through a bug, so it throws InvariantError.
 */
export function assert(condition: unknown, message: string | (() => string)): asserts condition {
  if (!condition) throw new InvariantError(typeof message === 'string' ? message : message());
}

/**
 * A system contract call that fails: its state changes are undone, the transaction's nonce and
 * fee are kept (status 0), and eth_call returns the reason as Error(string).
 */
export class Revert extends EtmError<'revert'> {
  override name = 'Revert';

  constructor(message: string) {
    super('revert', message);
  }
}
