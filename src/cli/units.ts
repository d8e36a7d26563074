/** ETM amounts as text: "1.5" ↔ 1500000000000000000n, exact (no floating point). */
import { EtmError } from '../primitives/errors.js';
export class UnitsError extends EtmError<'units'> {
  override name = 'UnitsError';

  constructor(message: string, options?: ErrorOptions) {
    super('units', message, options);
  }
}

export function parseUnits(text: string, decimals = 18): bigint {
  const m = /^(\d+)(?:\.(\d*))?$/.exec(text.trim());
  if (!m) throw new UnitsError(`not an amount: ${JSON.stringify(text)} (use e.g. 1.5)`);
  const frac = m[2] ?? '';
  if (frac.length > decimals) throw new UnitsError(`${text}: more than ${decimals} decimals`);
  return BigInt(m[1]!) * 10n ** BigInt(decimals) + BigInt(frac.padEnd(decimals, '0') || '0');
}

export function formatUnits(value: bigint, decimals = 18): string {
  const neg = value < 0n;
  const v = neg ? -value : value;
  const base = 10n ** BigInt(decimals);
  const frac = (v % base).toString().padStart(decimals, '0').replace(/0+$/, '');
  return `${neg ? '-' : ''}${v / base}${frac ? `.${frac}` : ''}`;
}
