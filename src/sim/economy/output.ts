/**
 * Writing results: CSV and JSON tables, the SVG charts and a self-contained HTML report that
 * shows them (the charts inline, no script).
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Chart } from './charts.js';

export type Cell = string | number | boolean | null;

/** A CSV table: a header row, then one line per row; numbers as JavaScript prints them. */
export function toCsv(header: readonly string[], rows: readonly (readonly Cell[])[]): string {
  const cell = (v: Cell) => {
    if (v === null) return '';
    const s = String(v);
    return /[",\n]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
  };
  return [header, ...rows].map((r) => r.map(cell).join(',')).join('\n') + '\n';
}

/** JSON with bigints as decimal strings. */
export function toJson(value: unknown): string {
  return JSON.stringify(value, (_, v) => (typeof v === 'bigint' ? v.toString() : v), 2) + '\n';
}

const escape = (s: string) =>
  s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');

export interface Report {
  title: string;
  /** Key figures, as label → value. */
  facts: [string, string][];
  /** Tables: caption, header, rows. */
  tables: { caption: string; header: string[]; rows: Cell[][] }[];
  charts: Chart[];
}

export function toHtml(r: Report): string {
  const fmt = (v: Cell) =>
    typeof v === 'number'
      ? Number.isInteger(v)
        ? String(v)
        : v.toPrecision(5)
      : v === null
        ? '—'
        : String(v);
  const table = (t: Report['tables'][number]) =>
    `<table><caption>${escape(t.caption)}</caption><tr>${t.header.map((h) => `<th>${escape(h)}</th>`).join('')}</tr>` +
    t.rows
      .map((row) => `<tr>${row.map((c) => `<td>${escape(fmt(c))}</td>`).join('')}</tr>`)
      .join('') +
    '</table>';
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>${escape(r.title)}</title>
<style>
body{font-family:system-ui,sans-serif;margin:2em auto;max-width:960px;color:#222}
table{border-collapse:collapse;margin:1em 0}td,th{border:1px solid #ccc;padding:3px 8px;text-align:right}
caption{font-weight:600;text-align:left;padding:4px 0}figure{margin:1.5em 0}
</style></head><body>
<h1>${escape(r.title)}</h1>
<dl>${r.facts.map(([k, v]) => `<dt>${escape(k)}</dt><dd>${escape(v)}</dd>`).join('')}</dl>
${r.tables.map(table).join('\n')}
${r.charts.map((c) => `<figure>${c.svg}<figcaption>${escape(c.title)}</figcaption></figure>`).join('\n')}
</body></html>
`;
}

/** Writes files into `dir` (created); returns their paths. */
export function writeFiles(dir: string, files: Record<string, string>): string[] {
  mkdirSync(dir, { recursive: true });
  return Object.entries(files).map(([name, text]) => {
    const path = join(dir, name);
    writeFileSync(path, text);
    return path;
  });
}
