/**
 * Test fixtures: a temporary $UPDRAFT_HOME with a real embedded PostgreSQL,
 * and a whole standalone (api-server, DAG processor, scheduler, local
 * executor) on a free port. Everything is stopped by the test that started it.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { type Config, loadConfig } from '../src/config/config.ts';
import { type Database, openDatabase } from '../src/db/database.ts';
import { migrate } from '../src/db/migrate.ts';
import { type RunningComponents, type ComponentSelection, startComponents } from '../src/components/standalone.ts';

export const ADMIN_PASSWORD = 'test-admin-password';

export function tempHome(prefix = 'updraft-test-'): string {
  const home = fs.mkdtempSync(path.join(os.tmpdir(), prefix));
  // the embedded PostgreSQL runs as the postgres account when tests run as root
  fs.chmodSync(home, 0o755);
  return home;
}

/** Settings that make tests quick: small timeouts and heartbeats, no examples unless asked. */
export function testConfig(home: string, env: Record<string, string> = {}): Config {
  return loadConfig({
    UPDRAFT_HOME: home,
    UPDRAFT__CORE__LOAD_EXAMPLES: 'false',
    UPDRAFT__API__PORT: '0',
    UPDRAFT__SCHEDULER__SCHEDULER_HEARTBEAT_SEC: '0.5',
    UPDRAFT__SCHEDULER__TASK_INSTANCE_HEARTBEAT_SEC: '0.5',
    UPDRAFT__CORE__KILLED_TASK_CLEANUP_TIME: '1',
    UPDRAFT__LOGGING__LOGGING_LEVEL: 'ERROR',
    ...env,
  });
}

export interface TestDb {
  config: Config;
  db: Database;
  close(): Promise<void>;
}

export async function startTestDb(env: Record<string, string> = {}): Promise<TestDb> {
  const home = tempHome();
  const config = testConfig(home, env);
  const db = await openDatabase(config);
  await migrate(db.pool);
  return {
    config,
    db,
    async close() {
      await db.close();
      fs.rmSync(home, { recursive: true, force: true });
    },
  };
}

export interface TestStandalone extends RunningComponents {
  config: Config;
  dagsFolder: string;
  token: string;
  api(method: string, url: string, body?: unknown, headers?: Record<string, string>): Promise<{ status: number; body: any }>;
  writeDag(name: string, source: string): string;
  /** Triggers a run through the REST API (logical_date null unless given); fails the test unless 200; returns the run id. */
  trigger(dagId: string, body?: Record<string, unknown>): Promise<string>;
  waitForDag(dagId: string, timeoutMs?: number): Promise<void>;
  waitForRun(dagId: string, runId: string, timeoutMs?: number): Promise<string>;
  close(): Promise<void>;
}

export async function startStandalone(env: Record<string, string> = {}, which: ComponentSelection = { apiServer: true, scheduler: true, dagProcessor: true, triggerer: true }): Promise<TestStandalone> {
  const home = tempHome();
  const dagsFolder = path.join(home, 'dags');
  fs.mkdirSync(dagsFolder, { recursive: true });
  const config = testConfig(home, env);
  process.env.UPDRAFT_ADMIN_PASSWORD = ADMIN_PASSWORD;
  const running = await startComponents(config, { ...which, createAdmin: true }, () => undefined);
  const call = async (method: string, url: string, body?: unknown, headers: Record<string, string> = {}) => {
    const res = await fetch(`${running.url}${url}`, {
      method,
      headers: { ...(body === undefined ? {} : { 'content-type': 'application/json' }), ...headers },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const text = await res.text();
    let parsed: unknown = text;
    try {
      parsed = JSON.parse(text);
    } catch {
      // plain text answer
    }
    return { status: res.status, body: parsed as any };
  };
  const login = await call('POST', '/auth/token', { username: 'admin', password: ADMIN_PASSWORD });
  const token = login.body.access_token as string;
  const standalone: TestStandalone = {
    ...running,
    config,
    dagsFolder,
    token,
    api: (method, url, body, headers = {}) => call(method, url, body, { authorization: `Bearer ${token}`, ...headers }),
    async trigger(dagId, body = {}) {
      const res = await standalone.api('POST', `/api/v2/dags/${dagId}/dagRuns`, { logical_date: null, ...body });
      if (res.status !== 200) throw new Error(`triggering ${dagId} answered ${res.status}: ${JSON.stringify(res.body)}`);
      return res.body.dag_run_id as string;
    },
    writeDag(name, source) {
      const file = path.join(dagsFolder, name);
      fs.writeFileSync(file, source);
      return file;
    },
    async waitForDag(dagId, timeoutMs = 15_000) {
      await waitFor(async () => (await running.db.pool.query('SELECT 1 FROM dag WHERE dag_id = $1 AND is_active', [dagId])).rowCount === 1, timeoutMs, `DAG ${dagId} to be parsed`);
    },
    async waitForRun(dagId, runId, timeoutMs = 30_000) {
      let state = '';
      await waitFor(
        async () => {
          const r = await running.db.pool.query<{ state: string }>('SELECT state FROM dag_run WHERE dag_id = $1 AND run_id = $2', [dagId, runId]);
          state = r.rows[0]?.state ?? '';
          return state === 'success' || state === 'failed';
        },
        timeoutMs,
        `run ${dagId}/${runId} to finish`,
      );
      return state;
    },
    async close() {
      await running.stop({ stopEmbedded: true });
      fs.rmSync(home, { recursive: true, force: true });
    },
  };
  return standalone;
}

export async function waitFor(check: () => Promise<boolean> | boolean, timeoutMs: number, what: string): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (await check()) return;
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`Timed out after ${timeoutMs} ms waiting for ${what}`);
}

/** States of a run's task instances, by task_id. */
export async function tiStates(db: Database, dagId: string, runId: string): Promise<Record<string, string | null>> {
  const r = await db.pool.query<{ task_id: string; state: string | null }>('SELECT task_id, state FROM task_instance WHERE dag_id = $1 AND run_id = $2', [dagId, runId]);
  return Object.fromEntries(r.rows.map((x) => [x.task_id, x.state]));
}
