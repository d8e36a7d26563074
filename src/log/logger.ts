/**
 * Structured logs. Every entry has a level, a time and an event name plus fields; the JSON
 * format writes one object per line (for log collectors and for `etm devnet --processes`,
 * which reads its nodes' output), the text format one readable line.
 *
 *   {"level":"info","time":"2025-11-23T11:08:00.123Z","event":"block","height":12,…}
 */

export type LogLevel = 'debug' | 'info' | 'warn' | 'error';
export type LogValue = string | number | bigint | boolean | null | undefined | string[];
export type LogFields = Record<string, LogValue>;

export interface Logger {
  /** `text` is the line the text format prints; without it: `event key=value …`. */
  log(level: LogLevel, event: string, fields?: LogFields, text?: string): void;
}

export type LogFormat = 'json' | 'text';

const RANK: Record<LogLevel, number> = { debug: 0, info: 1, warn: 2, error: 3 };

export function isLogLevel(v: unknown): v is LogLevel {
  return typeof v === 'string' && v in RANK;
}

function jsonValue(v: LogValue): unknown {
  return typeof v === 'bigint' ? v.toString() : v;
}

export function createLogger(
  format: LogFormat,
  write: (line: string) => void,
  minLevel: LogLevel = 'info',
  now: () => Date = () => new Date(),
): Logger {
  return {
    log(level, event, fields = {}, text) {
      if (RANK[level] < RANK[minLevel]) return;
      if (format === 'json') {
        const entry: Record<string, unknown> = { level, time: now().toISOString(), event };
        for (const [k, v] of Object.entries(fields)) if (v !== undefined) entry[k] = jsonValue(v);
        write(JSON.stringify(entry));
        return;
      }
      const prefix = level === 'info' ? '' : `${level}: `;
      if (text !== undefined) {
        write(prefix + text);
        return;
      }
      const kv = Object.entries(fields)
        .filter(([, v]) => v !== undefined)
        .map(([k, v]) => `${k}=${Array.isArray(v) ? v.join(',') : String(v)}`);
      write(prefix + [event, ...kv].join(' '));
    },
  };
}

export const silentLogger: Logger = { log: () => {} };
