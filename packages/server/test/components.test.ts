/**
 * The components as separate processes sharing one database, as on a fleet:
 * `updraft dag-processor`, `updraft scheduler` and `updraft api-server` each on
 * their own. The api-server tells the scheduler about finished tasks through
 * PostgreSQL NOTIFY only; task processes reach the api-server over HTTP only.
 */
import assert from 'node:assert/strict';
import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { after, before, test } from 'node:test';
import { freePort } from '../src/db/embedded.ts';
import { startTestDb, type TestDb, tempHome, waitFor } from './helpers.ts';

const BIN = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../bin/updraft.js');
let external: TestDb;
let home: string;
let port: number;
const children: ChildProcess[] = [];
const output: string[] = [];

function start(command: string) {
  const child = spawn(process.execPath, [BIN, command], {
    env: {
      ...process.env,
      UPDRAFT_HOME: home,
      // the database of another home, reached through its URL like an external server (with a SQLAlchemy driver suffix, as Airflow users write it)
      UPDRAFT__DATABASE__SQL_ALCHEMY_CONN: external.db.url.replace('postgresql://', 'postgresql+psycopg2://'),
      UPDRAFT__API__PORT: String(port),
      UPDRAFT__CORE__LOAD_EXAMPLES: 'false',
      UPDRAFT__SCHEDULER__SCHEDULER_HEARTBEAT_SEC: '30',
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  child.stdout?.on('data', (d) => output.push(`[${command}] ${d}`));
  child.stderr?.on('data', (d) => output.push(`[${command}] ${d}`));
  children.push(child);
}

before(async () => {
  external = await startTestDb();
  home = tempHome('updraft-components-');
  fs.mkdirSync(path.join(home, 'dags'));
  fs.writeFileSync(
    path.join(home, 'dags', 'chain.ts'),
    `import { DAG, BashOperator, chain } from '@updraft/sdk';
     export default new DAG({ dag_id: 'chain', schedule: null, start_date: '2024-01-01' }, () => {
       chain(...[1, 2, 3].map((i) => new BashOperator({ task_id: 'step_' + i, bash_command: 'echo step ' + i })));
     });`,
  );
  port = await freePort();
  for (const c of ['dag-processor', 'scheduler', 'api-server']) start(c);
  await waitFor(async () => (await fetch(`http://127.0.0.1:${port}/api/v2/version`).catch(() => null))?.status === 200, 30_000, 'the api-server');
});

after(async () => {
  for (const c of children) {
    if (c.exitCode === null) {
      c.kill('SIGTERM');
      await new Promise((r) => c.once('exit', r));
    }
  }
  await external?.close();
  fs.rmSync(home, { recursive: true, force: true });
});

test('a run triggered on the api-server is scheduled and executed by the other processes', async () => {
  await waitFor(async () => (await external.db.pool.query("SELECT 1 FROM dag WHERE dag_id = 'chain'")).rowCount === 1, 20_000, 'the DAG to be parsed');
  // the api-server process has no admin (that is standalone's job): an operator creates an account with the CLI
  const created = spawnSync(process.execPath, [BIN, 'users', 'create', '-u', 'ops', '-r', 'Op', '--password-stdin'], {
    env: { ...process.env, UPDRAFT_HOME: home, UPDRAFT__DATABASE__SQL_ALCHEMY_CONN: external.db.url },
    input: 'ops-password\n',
    encoding: 'utf8',
  });
  assert.equal(created.status, 0, created.stderr);
  const login = await fetch(`http://127.0.0.1:${port}/auth/token`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ username: 'ops', password: 'ops-password' }) });
  assert.equal(login.status, 201);
  const { access_token } = (await login.json()) as { access_token: string };
  const started = Date.now();
  const res = await fetch(`http://127.0.0.1:${port}/api/v2/dags/chain/dagRuns`, { method: 'POST', headers: { authorization: `Bearer ${access_token}`, 'content-type': 'application/json' }, body: JSON.stringify({ logical_date: null }) });
  assert.equal(res.status, 200, await res.clone().text());
  const { dag_run_id } = (await res.json()) as { dag_run_id: string };
  let state = '';
  await waitFor(async () => {
    state = (await external.db.pool.query('SELECT state FROM dag_run WHERE run_id = $1', [dag_run_id])).rows[0]?.state;
    return state === 'success' || state === 'failed';
  }, 30_000, `the run to finish\n${output.join('')}`);
  assert.equal(state, 'success');
  // the scheduler's idle timer is 30 s: finishing in well under that means NOTIFY woke it for every handoff
  assert.ok(Date.now() - started < 15_000, `took ${Date.now() - started} ms`);
  const log = fs.readFileSync(path.join(home, 'logs', 'dag_id=chain', `run_id=${dag_run_id}`, 'task_id=step_3', 'attempt=1.log'), 'utf8');
  assert.match(log, /step 3/);
});
