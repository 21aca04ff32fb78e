/**
 * The commands that gained an API mode keep working without one: with no
 * --api-url and no UPDRAFT_API_URL, pools, users add-role/remove-role and
 * dags delete act on the local installation's database.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { after, before, test } from 'node:test';
import { startTestDb, type TestDb } from './helpers.ts';

const BIN = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../bin/updraft.js');
let t: TestDb;

function updraft(args: string[], input = ''): Promise<{ code: number | null; stdout: string; stderr: string }> {
  const child = spawn(process.execPath, [BIN, ...args], {
    env: { ...process.env, UPDRAFT_HOME: t.config.home, UPDRAFT__DATABASE__SQL_ALCHEMY_CONN: t.db.url, UPDRAFT_API_URL: '', COLUMNS: '200' },
    stdio: ['pipe', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (d) => (stdout += d));
  child.stderr.on('data', (d) => (stderr += d));
  child.stdin.end(input);
  return new Promise((resolve) => child.on('close', (code) => resolve({ code, stdout, stderr })));
}

before(async () => {
  t = await startTestDb();
});
after(async () => {
  await t?.close();
});

test('pools set/list/get/delete on the local database, with audit rows', async () => {
  assert.equal((await updraft(['pools', 'set', 'etl', '3', 'ETL jobs', '--include-deferred'])).stdout, 'Pool etl set: 3 slots\n');
  assert.equal((await updraft(['pools', 'set', 'etl', '5', 'ETL jobs'])).code, 0);
  const pools = JSON.parse((await updraft(['pools', 'list', '-o', 'json'])).stdout) as { pool: string; slots: number; include_deferred: boolean }[];
  assert.deepEqual(pools.map((p) => [p.pool, p.slots, p.include_deferred]), [['default_pool', 128, false], ['etl', 5, false]], 'set replaces include_deferred too');
  assert.match((await updraft(['pools', 'get', 'etl'])).stdout, /etl\s+\| 5\s+\| ETL jobs/);
  const bad = await updraft(['pools', 'set', 'etl', 'many', 'x']);
  assert.equal(bad.code, 1);
  assert.match(bad.stderr, /slots must be an integer/);
  assert.equal((await updraft(['pools', 'delete', 'etl'])).code, 0);
  assert.match((await updraft(['pools', 'delete', 'etl'])).stderr, /does not exist/);
  const audit = await t.db.pool.query("SELECT event FROM log WHERE event LIKE 'cli_pool%' ORDER BY id");
  assert.deepEqual(audit.rows.map((r) => r.event), ['cli_pool_set', 'cli_pool_set', 'cli_pool_delete']);
});

test('users add-role / remove-role on the local database', async () => {
  assert.equal((await updraft(['users', 'create', '-u', 'lee', '-r', 'User', '--password-stdin'], 'lee-password\n')).code, 0);
  assert.match((await updraft(['users', 'add-role', '-u', 'lee', '-r', 'op'])).stdout, /Role Op added to 'lee' \(roles now: User, Op\)/);
  assert.match((await updraft(['users', 'add-role', '-u', 'lee', '-r', 'Op'])).stdout, /roles now: User, Op\)/, 'adding a role twice keeps one');
  assert.match((await updraft(['users', 'remove-role', '-u', 'lee', '-r', 'User'])).stdout, /roles now: Op\)/);
  assert.match((await updraft(['users', 'add-role', '-u', 'lee', '-r', 'Boss'])).stderr, /Unknown role 'Boss'/);
  assert.match((await updraft(['users', 'add-role', '-u', 'nobody', '-r', 'Op'])).stderr, /does not exist/);
  const row = await t.db.pool.query("SELECT roles FROM users WHERE username = 'lee'");
  assert.deepEqual(row.rows[0].roles, ['Op']);
});

test('dags delete on the local database', async () => {
  await t.db.pool.query(`INSERT INTO dag (dag_id, fileloc, relative_fileloc, max_active_runs, max_active_tasks) VALUES ('gone', '/dags/gone.ts', 'gone.ts', 16, 16)`);
  assert.match((await updraft(['dags', 'delete', 'gone'])).stderr, /add --yes/);
  assert.equal((await updraft(['dags', 'delete', 'gone', '--yes'])).stdout, 'Dag: gone deleted\n');
  assert.equal((await t.db.pool.query("SELECT count(*)::int AS n FROM dag WHERE dag_id = 'gone'")).rows[0].n, 0);
  assert.match((await updraft(['dags', 'delete', 'gone', '--yes'])).stderr, /not found/);
});
