/**
 * Exact display of chain values: amounts from bigint units (never through a float), fixed-point
 * decimal strings as the node sends them, addresses EIP-55 checksummed.
 */
import { formatUnits, getAddress, parseUnits, type Address } from 'viem';

/** Groups an integer's digits by thousands: 1234567 → 1,234,567. */
function group(digits: string): string {
  return digits.replace(/\B(?=(\d{3})+(?!\d))/g, ',');
}

/** units → exact ETM with thousands grouped: 1234500000000000000000n → "1,234.5". */
export function etm(units: bigint): string {
  const [int, frac] = formatUnits(units, 18).split('.');
  const sign = int!.startsWith('-') ? '-' : '';
  const digits = group(int!.replace('-', ''));
  return `${sign}${digits}${frac ? '.' + frac : ''}`;
}

/** ETM typed by a user (e.g. "1,000.5") → units; throws on anything else. */
export function parseEtm(text: string): bigint {
  const clean = text.trim().replace(/,/g, '');
  if (!/^\d+(\.\d{1,18})?$/.test(clean))
    throw new Error('enter an amount of ETM, e.g. 100 or 0.5 (at most 18 decimals)');
  return parseUnits(clean, 18);
}

/** A 36-decimal figure from the node, cut to `digits` decimals for tables (not rounded). */
export function decimal(value: string | null, digits = 6): string {
  if (value === null) return '—';
  const [int, frac = ''] = value.split('.');
  const cut = frac.slice(0, digits).replace(/0+$/, '');
  return cut ? `${int}.${cut}` : int!;
}

/** A fraction (decimal string, 1 = 100%) as a percentage with `digits` decimals, exactly cut. */
export function percent(value: string | null, digits = 2): string {
  if (value === null) return '—';
  const [int, frac = ''] = value.split('.');
  const scaled = (int === '0' ? '' : int!) + (frac + '00').slice(0, 2);
  const rest = frac.slice(2, 2 + digits);
  const whole = scaled.replace(/^0+(?=\d)/, '') || '0';
  return `${whole}${rest ? '.' + rest.padEnd(digits, '0') : ''}%`;
}

/** Basis points as a percentage: 1000 → "10%". */
export function bps(value: bigint): string {
  const int = value / 100n;
  const frac = (value % 100n).toString().padStart(2, '0').replace(/0+$/, '');
  return `${int}${frac ? '.' + frac : ''}%`;
}

export const checksum = (a: string): Address => getAddress(a);

/** 0x1234…abcd, for narrow columns (the full address is in the title). */
export function short(value: string, keep = 6): string {
  return value.length <= 2 + keep * 2 ? value : `${value.slice(0, 2 + keep)}…${value.slice(-4)}`;
}

/** Seconds ago, for block times. */
export function ago(timestamp: bigint, nowMs = Date.now()): string {
  const s = BigInt(Math.floor(nowMs / 1000)) - timestamp;
  if (s < 2n) return 'just now';
  if (s < 120n) return `${s} s ago`;
  if (s < 7200n) return `${s / 60n} min ago`;
  return `${s / 3600n} h ago`;
}
