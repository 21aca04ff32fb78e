/** Shared pieces of the benchmark scenarios: a standalone on a fresh home, percentiles, result files. */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { loadConfig, type Config } from '../packages/server/src/config/config.ts';
import { startComponents, type ComponentSelection, type RunningComponents } from '../packages/server/src/components/standalone.ts';

export const RESULTS = path.join(path.dirname(fileURLToPath(import.meta.url)), 'results');

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
