/** Printing results the way scripts and people both want them: a table that fits the terminal, or JSON / YAML. */
export type OutputFormat = 'table' | 'json' | 'yaml' | 'plain';

function yaml(value: unknown, indent = ''): string {
  if (Array.isArray(value)) {
    if (value.length === 0) return '[]';
    return value.map((v) => `\n${indent}- ${yaml(v, `${indent}  `).replace(/^\n\s*/, '')}`).join('');
  }
  if (value && typeof value === 'object') {
    const entries = Object.entries(value);
    if (entries.length === 0) return '{}';
    return entries.map(([k, v]) => `\n${indent}${k}: ${yaml(v, `${indent}  `)}`).join('');
  }
  if (typeof value === 'string') return /^[\w./@:+-]+$/.test(value) && !/^(true|false|null|\d.*)$/.test(value) ? value : JSON.stringify(value);
  return String(value);
}

export function printRows(rows: Record<string, unknown>[], format: OutputFormat, columns?: string[]) {
  if (format === 'json') {
    process.stdout.write(`${JSON.stringify(rows, null, 2)}\n`);
    return;
  }
  if (format === 'yaml') {
    process.stdout.write(`${yaml(rows).trimStart()}\n`);
    return;
  }
  const cols = columns ?? Object.keys(rows[0] ?? {});
  if (rows.length === 0) {
    process.stdout.write('No data found\n');
    return;
  }
  const cell = (v: unknown) => (v === null || v === undefined ? '' : typeof v === 'object' ? JSON.stringify(v) : String(v));
  const widths = cols.map((c) => Math.max(c.length, ...rows.map((r) => cell(r[c]).length)));
  // shrink the widest columns until the table fits the terminal
  const total = () => widths.reduce((a, b) => a + b, 0) + 3 * (cols.length - 1);
  const max = process.stdout.columns || 160;
  while (total() > max) {
    const i = widths.indexOf(Math.max(...widths));
    if (widths[i] <= 8) break;
    widths[i]--;
  }
  const fit = (s: string, w: number) => (s.length > w ? `${s.slice(0, w - 1)}…` : s.padEnd(w));
  const line = (vals: string[]) => vals.map((v, i) => fit(v, widths[i])).join(' | ').trimEnd();
  const out = [line(cols), widths.map((w) => '='.repeat(w)).join('=+=')];
  for (const r of rows) out.push(line(cols.map((c) => cell(r[c]))));
  process.stdout.write(`${out.join('\n')}\n`);
}
