/**
 * The CLI as a client of a running api-server: `updraft auth login` keeps a
 * token, then dags, tasks, variables, connections, pools and users commands
 * work through the REST API (--api-url or UPDRAFT_API_URL) with table, JSON
 * or YAML output. The CLI's own UPDRAFT_HOME points at a database that does
 * not exist, so a command that touched the local installation would fail.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { after, before, describe, test } from 'node:test';
import { ADMIN_PASSWORD, startStandalone, tempHome, type TestStandalone } from './helpers.ts';

const BIN = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../bin/updraft.js');
let s: TestStandalone;
let cliHome: string;

/** Runs the CLI in a child process; asynchronously, since the api-server it calls runs in this process. */
function updraft(args: string[], opts: { input?: string; env?: Record<string, string>; configDir?: string } = {}): Promise<{ code: number | null; stdout: string; stderr: string }> {
  const child = spawn(process.execPath, [BIN, ...args], {
    env: {
      ...process.env,
      UPDRAFT_HOME: cliHome,
      // no database here: a command that did not go through the API would fail on it
      UPDRAFT__DATABASE__SQL_ALCHEMY_CONN: 'postgresql://nobody:nothing@127.0.0.1:1/none',
      XDG_CONFIG_HOME: opts.configDir ?? path.join(cliHome, 'config'),
      UPDRAFT_API_URL: s.url,
      COLUMNS: '200',
      ...opts.env,
    },
    stdio: ['pipe', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (d) => (stdout += d));
  child.stderr.on('data', (d) => (stderr += d));
  child.stdin.end(opts.input ?? '');
  const timer = setTimeout(() => child.kill('SIGKILL'), 60_000);
  return new Promise((resolve) =>
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    }),
  );
}

async function ok(args: string[], opts: Parameters<typeof updraft>[1] = {}) {
  const r = await updraft(args, opts);
  assert.equal(r.code, 0, `updraft ${args.join(' ')} failed: ${r.stderr}${r.stdout}`);
  return r.stdout;
}

before(async () => {
  s = await startStandalone();
  cliHome = tempHome('updraft-cli-remote-');
  s.writeDag(
    'remote_cli.ts',
    `import { DAG, BashOperator } from '@updraft/sdk';
     export default new DAG({ dag_id: 'remote_cli', schedule: null, start_date: '2024-01-01', tags: ['cli'] }, () => {
       new BashOperator({ task_id: 'hello', bash_command: 'echo "hello {{ dag_run.conf.get(\\'who\\', \\'nobody\\') }}"' })
         .then(new BashOperator({ task_id: 'bye', bash_command: 'echo bye' }));
     });`,
  );
  await s.waitForDag('remote_cli');
});
after(async () => {
  await s?.close();
  fs.rmSync(cliHome, { recursive: true, force: true });
});

describe('updraft CLI against a remote api-server', () => {
  test('without a token the command says how to log in; auth login keeps a token readable by its owner only', async () => {
    const anonymous = await updraft(['dags', 'list']);
    assert.equal(anonymous.code, 1);
    assert.match(anonymous.stderr, /Not authenticated .*updraft auth login --api-url/);
    const wrong = await updraft(['auth', 'login', '-u', 'admin', '--password-stdin'], { input: 'wrong-password\n' });
    assert.equal(wrong.code, 1);
    assert.match(wrong.stderr, /Invalid username or password/);
    assert.match(await ok(['auth', 'login', '-u', 'admin', '--password-stdin'], { input: `${ADMIN_PASSWORD}\n` }), /Logged in to http:\/\/127\.0\.0\.1:\d+ as admin/);
    const file = path.join(cliHome, 'config', 'updraft', 'credentials.json');
    assert.equal(fs.statSync(file).mode & 0o777, 0o600);
    assert.ok(JSON.parse(fs.readFileSync(file, 'utf8'))[s.url].token);
  });

  test('dags: list (table, json, yaml), trigger with conf, list-runs, state, pause/unpause', async () => {
    const table = await ok(['dags', 'list']);
    assert.match(table, /^dag_id\s+\| fileloc/m);
    assert.match(table, /remote_cli\s+\| remote_cli\.ts/);
    const json = JSON.parse(await ok(['dags', 'list', '-o', 'json'])) as { dag_id: string; tags: string }[];
    assert.deepEqual(json.map((d) => [d.dag_id, d.tags]), [['remote_cli', 'cli']]);
    assert.match(await ok(['dags', 'list', '-o', 'yaml']), /^- dag_id: remote_cli$/m);

    const triggered = JSON.parse(await ok(['dags', 'trigger', 'remote_cli', '--conf', '{"who": "cli"}', '-r', 'from_cli', '-o', 'json']))[0];
    assert.deepEqual([triggered.run_id, triggered.conf], ['from_cli', { who: 'cli' }]);
    assert.equal(await s.waitForRun('remote_cli', 'from_cli'), 'success');
    const runs = JSON.parse(await ok(['dags', 'list-runs', 'remote_cli', '-o', 'json'])) as { run_id: string; state: string }[];
    assert.deepEqual(runs.map((r) => [r.run_id, r.state]), [['from_cli', 'success']]);
    assert.equal(await ok(['dags', 'state', 'remote_cli', 'from_cli']), 'success\n');
    assert.equal(await ok(['dags', 'unpause', 'remote_cli']), 'Dag: remote_cli, paused: false\n');
    assert.equal((await s.db.pool.query("SELECT is_paused FROM dag WHERE dag_id = 'remote_cli'")).rows[0].is_paused, false);
    await ok(['dags', 'pause', 'remote_cli']);
    const missing = await updraft(['dags', 'trigger', 'nope']);
    assert.equal(missing.code, 1);
    assert.match(missing.stderr, /nope.*HTTP 404/);
    const audit = await s.db.pool.query("SELECT owner FROM log WHERE event = 'trigger_dag_run' AND run_id = 'from_cli'");
    assert.deepEqual(audit.rows, [{ owner: 'admin' }], 'the change is recorded under the logged-in user');
  });

  test('tasks: list, state, logs, clear', async () => {
    assert.equal(await ok(['tasks', 'list', 'remote_cli']), 'bye\nhello\n');
    assert.equal(await ok(['tasks', 'state', 'remote_cli', 'hello', 'from_cli']), 'success\n');
    assert.match(await ok(['tasks', 'logs', 'remote_cli', 'from_cli', 'hello']), /hello cli/);
    const dry = await ok(['tasks', 'clear', 'remote_cli', '-t', '^bye$', '--dry-run', '-o', 'json']);
    assert.deepEqual(JSON.parse(dry).map((t: { task_id: string }) => t.task_id), ['bye']);
    assert.match(await ok(['tasks', 'clear', 'remote_cli', '-t', '^bye$', '--yes']), /Cleared 1 task instance/);
    assert.equal(await s.waitForRun('remote_cli', 'from_cli'), 'success');
    const tries = await s.db.pool.query("SELECT try_number FROM task_instance WHERE dag_id = 'remote_cli' AND task_id = 'bye'");
    assert.equal(tries.rows[0].try_number, 2);
  });

  test('variables, connections and pools', async () => {
    assert.equal(await ok(['variables', 'set', 'bucket', 's3://data']), 'Variable bucket created\n');
    await ok(['variables', 'set', 'bucket', 's3://other', '--description', 'where data goes']);
    assert.equal(await ok(['variables', 'get', 'bucket']), 's3://other\n');
    assert.equal((await updraft(['variables', 'get', 'absent'])).code, 1);
    assert.equal(await ok(['variables', 'get', 'absent', '-d', 'fallback']), 'fallback\n');
    const file = path.join(cliHome, 'vars.json');
    fs.writeFileSync(file, JSON.stringify({ a: 1, b: { value: 'two', description: 'second' } }));
    assert.match(await ok(['variables', 'import', file]), /2 of 2 variables successfully updated/);
    assert.deepEqual(JSON.parse(await ok(['variables', 'list', '-o', 'json'])).map((v: { key: string }) => v.key), ['a', 'b', 'bucket']);
    await ok(['variables', 'delete', 'a']);
    assert.equal((await s.db.pool.query("SELECT count(*)::int AS n FROM variable WHERE key = 'a'")).rows[0].n, 0);
    assert.match((await updraft(['variables', 'export', '-'])).stderr, /local installation only/);

    assert.match(await ok(['connections', 'add', 'my_pg', '--conn-uri', 'postgres://u:secret@db:5432/sales']), /Successfully added `conn_id`=my_pg : postgres:\/\/u:\*\*\*@db:5432\/sales/);
    assert.match((await updraft(['connections', 'add', 'my_pg', '--conn-uri', 'postgres://x@y'])).stderr, /already exists/);
    const conn = JSON.parse(await ok(['connections', 'get', 'my_pg', '-o', 'json']))[0];
    assert.deepEqual([conn.host, conn.password, conn.port], ['db', '***', 5432]);
    assert.match(await ok(['connections', 'list']), /my_pg\s+\| postgres/);
    await ok(['connections', 'delete', 'my_pg']);
    assert.match((await updraft(['connections', 'delete', 'my_pg'])).stderr, /Did not find a connection/);

    assert.equal(await ok(['pools', 'set', 'etl', '4', 'ETL jobs']), 'Pool etl set: 4 slots\n');
    await ok(['pools', 'set', 'etl', '6', 'ETL jobs']);
    const pools = JSON.parse(await ok(['pools', 'list', '-o', 'json'])) as { pool: string; slots: number }[];
    assert.deepEqual(pools.map((p) => [p.pool, p.slots]), [['default_pool', 128], ['etl', 6]]);
    assert.equal(JSON.parse(await ok(['pools', 'get', 'etl', '-o', 'json']))[0].open_slots, 6);
    await ok(['pools', 'delete', 'etl']);
    assert.match((await updraft(['pools', 'delete', 'default_pool'])).stderr, /can't be deleted/);
  });

  test('users: create, list, add-role, remove-role, reset-password, delete; a Viewer is refused and changes nothing', async () => {
    assert.match(await ok(['users', 'create', '-u', 'vera', '-r', 'viewer', '--password-stdin'], { input: 'vera-password\n' }), /created with role Viewer/);
    const viewerConfig = path.join(cliHome, 'viewer-config');
    await ok(['auth', 'login', '-u', 'vera', '--password-stdin'], { input: 'vera-password\n', configDir: viewerConfig });
    assert.match(await ok(['dags', 'list'], { configDir: viewerConfig }), /remote_cli/);
    const refused = await updraft(['pools', 'set', 'sneaky', '1', 'x'], { configDir: viewerConfig });
    assert.equal(refused.code, 1);
    assert.match(refused.stderr, /needs the Op role .*HTTP 403/);
    assert.equal((await s.db.pool.query("SELECT count(*)::int AS n FROM slot_pool WHERE pool = 'sneaky'")).rows[0].n, 0);

    assert.match(await ok(['users', 'add-role', '-u', 'vera', '-r', 'Op']), /roles now: Viewer, Op/);
    assert.equal(await ok(['pools', 'set', 'vera_pool', '1', 'x'], { configDir: viewerConfig }), 'Pool vera_pool set: 1 slots\n', 'the role counts at once, same token');
    assert.match(await ok(['users', 'remove-role', '-u', 'vera', '-r', 'Op']), /roles now: Viewer\)$/m);
    const list = JSON.parse(await ok(['users', 'list', '-o', 'json'])) as { username: string; role: string }[];
    assert.deepEqual(list.map((u) => [u.username, u.role]), [['admin', 'Admin'], ['vera', 'Viewer']]);
    await ok(['users', 'reset-password', '-u', 'vera', '--password-stdin'], { input: 'new-vera-password\n' });
    assert.equal((await updraft(['dags', 'list'], { configDir: viewerConfig })).code, 1, 'the old token stopped working with the new password');
    await ok(['users', 'delete', '-u', 'vera']);
    assert.match((await updraft(['auth', 'login', '-u', 'vera', '--password-stdin'], { input: 'new-vera-password\n', configDir: viewerConfig })).stderr, /Invalid username or password/);
  });

  test('dags delete asks for --yes, then deletes the DAG and its runs through the API', async () => {
    assert.match((await updraft(['dags', 'delete', 'remote_cli'])).stderr, /add --yes/);
    assert.equal(await ok(['dags', 'delete', 'remote_cli', '--yes']), 'Dag: remote_cli deleted\n');
    assert.equal((await s.db.pool.query("SELECT count(*)::int AS n FROM dag_run WHERE dag_id = 'remote_cli'")).rows[0].n, 0);
    assert.match((await updraft(['dags', 'delete', 'remote_cli', '--yes'])).stderr, /not found.*HTTP 404/);
  });

  test('--api-url on the command line; auth logout forgets the token', async () => {
    const flag = await updraft(['--api-url', s.url, 'dags', 'list', '-o', 'json'], { env: { UPDRAFT_API_URL: '' } });
    assert.equal(flag.code, 0, flag.stderr);
    const after = await updraft(['dags', 'list', '--api-url', s.url, '-o', 'json'], { env: { UPDRAFT_API_URL: '' } });
    assert.equal(after.code, 0, after.stderr);
    assert.match((await updraft(['dags', 'list', '--api-url', 'ftp://x'])).stderr, /must be an http\(s\) URL/);
    assert.match(await ok(['auth', 'logout']), /Logged out/);
    assert.match((await updraft(['dags', 'list'])).stderr, /Not authenticated/);
  });
});
