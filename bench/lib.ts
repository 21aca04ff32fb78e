/** Shared pieces of the benchmark scenarios: a standalone on a fresh home, percentiles, result files. */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { loadConfig, type Config } from '../packages/server/src/config/config.ts';
import { startComponents, type ComponentSelection, type RunningComponents } from '../packages/server/src/components/standalone.ts';
import { triggerDagRun } from '../packages/server/src/scheduler/runs.ts';

/** Where scenarios write their JSON: bench/results, or BENCH_RESULTS_DIR (the test that runs the quick suite uses a temporary folder). */
export const RESULTS = process.env.BENCH_RESULTS_DIR || path.join(path.dirname(fileURLToPath(import.meta.url)), 'results');

export function percentile(sorted: number[], p: number): number {
  if (sorted.length === 0) return Number.NaN;
  const i = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1));
  return sorted[i];
}

export function machine() {
  return { cpus: os.cpus().length, model: os.cpus()[0]?.model, memory_gb: Math.round(os.totalmem() / 2 ** 30), node: process.version };
}

export function writeResult(name: string, result: Record<string, unknown>) {
  fs.mkdirSync(RESULTS, { recursive: true });
  fs.writeFileSync(path.join(RESULTS, `${name}.json`), `${JSON.stringify({ scenario: name, machine: machine(), ...result, at: new Date().toISOString() }, null, 2)}\n`);
}

export function freshHome(): { home: string; dags: string; cleanup(): void } {
  const home = fs.mkdtempSync(path.join(os.tmpdir(), 'updraft-bench-'));
  fs.chmodSync(home, 0o755); // the embedded PostgreSQL runs as the postgres account when we are root
  const dags = path.join(home, 'dags');
  fs.mkdirSync(dags);
  return { home, dags, cleanup: () => fs.rmSync(home, { recursive: true, force: true }) };
}

export function benchConfig(home: string, extra: Record<string, string> = {}): Config {
  return loadConfig({ ...process.env, UPDRAFT_HOME: home, UPDRAFT__CORE__LOAD_EXAMPLES: 'false', UPDRAFT__API__PORT: '0', UPDRAFT__LOGGING__LOGGING_LEVEL: 'ERROR', ...extra });
}

export async function standalone(config: Config, which: ComponentSelection = { apiServer: true, scheduler: true, dagProcessor: true }): Promise<RunningComponents> {
  process.env.UPDRAFT_ADMIN_PASSWORD = 'bench';
  return startComponents(config, which, () => undefined);
}

export async function waitUntil(check: () => Promise<boolean>, timeoutMs: number, what: string, pollMs = 20) {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (await check()) return;
    await new Promise((r) => setTimeout(r, pollMs));
  }
  throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
}

/** Whether the run was started with `npm run bench -- --quick` (small sizes: CI checks that the suite works). */
export const QUICK = process.env.BENCH_QUICK === '1';

/** A size from the environment, else the quick or the full default. */
export function size(name: string, full: number, quick: number): number {
  const v = process.env[name];
  if (v !== undefined && v !== '') {
    const n = Number(v);
    if (!Number.isFinite(n) || n <= 0) throw new Error(`${name} must be a positive number, got '${v}'`);
    return n;
  }
  return QUICK ? quick : full;
}

/** Median with the spread (min–max) of repeated measurements. */
export function summary(values: number[]): { median: number; min: number; max: number; n: number } {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  const median = sorted.length % 2 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
  return { median, min: sorted[0], max: sorted[sorted.length - 1], n: sorted.length };
}

export const round = (x: number, digits = 1) => Math.round(x * 10 ** digits) / 10 ** digits;

/** Prints rows as an aligned table (first column left-aligned, the rest right-aligned). */
export function printTable(header: string[], rows: (string | number)[][]) {
  const cells = [header, ...rows.map((r) => r.map(String))];
  const widths = header.map((_, c) => Math.max(...cells.map((r) => (r[c] ?? '').length)));
  for (const [i, r] of cells.entries()) {
    console.log(`  ${r.map((cell, c) => (c === 0 ? cell.padEnd(widths[c]) : cell.padStart(widths[c]))).join('   ')}`);
    if (i === 0) console.log(`  ${widths.map((w) => '-'.repeat(w)).join('   ')}`);
  }
}

/** One DAG file of the generated set used by the parsing and API scenarios: 10 BashOperators in a chain. */
export function generatedDagSource(i: number, label: string): string {
  return `import { DAG, BashOperator, chain } from '@updraft/sdk';
export default new DAG({ dag_id: 'gen_${i}', schedule: '@daily', start_date: '2024-01-01', tags: ['${label}'] }, () => {
  chain(...Array.from({ length: 10 }, (_, t) => new BashOperator({ task_id: 'task_' + t, bash_command: 'echo ${label} ' + t })));
});
`;
}

/** Waits until the DAG processor has stored `dagId`. */
export async function waitForDag(s: RunningComponents, dagId: string, timeoutMs = 60_000) {
  await waitUntil(async () => (await s.db.pool.query('SELECT 1 FROM dag WHERE dag_id = $1', [dagId])).rowCount === 1, timeoutMs, `${dagId} to be parsed`, 50);
}

/** Triggers a run of `dagId`, wakes the scheduler and waits for the run to end; fails unless it succeeded. */
export async function runToSuccess(s: RunningComponents, dagId: string, runId: string, timeoutMs = 60_000, pollMs = 5) {
  const pool = s.db.pool;
  const run = await triggerDagRun(pool, { dag_id: dagId, run_id: runId, logical_date: null, triggered_by: 'bench' });
  s.scheduler?.wake(true);
  let state = '';
  await waitUntil(async () => {
    state = (await pool.query<{ state: string }>('SELECT state FROM dag_run WHERE id = $1', [run.id])).rows[0].state;
    return state === 'success' || state === 'failed';
  }, timeoutMs, `run ${runId}`, pollMs);
  if (state !== 'success') throw new Error(`run ${runId} ${state}`);
  return run;
}
