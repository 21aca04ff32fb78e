/**
 * The `updraft` command as a user runs it: a real `updraft standalone`
 * process with the examples, and CLI commands against it.
 */
import assert from 'node:assert/strict';
import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { after, before, describe, test } from 'node:test';
import { tempHome, waitFor } from './helpers.ts';

const BIN = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../bin/updraft.js');
let home: string;
let standalone: ChildProcess;
let output = '';
let url = '';

function env(extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  return {
    ...process.env,
    UPDRAFT_HOME: home,
    UPDRAFT__API__PORT: '0',
    UPDRAFT__SCHEDULER__SCHEDULER_HEARTBEAT_SEC: '0.5',
    UPDRAFT_ADMIN_PASSWORD: '',
    ...extra,
  };
}

function updraft(args: string[], extra: Record<string, string> = {}) {
  const r = spawnSync(process.execPath, [BIN, ...args], { env: env(extra), encoding: 'utf8', timeout: 60_000 });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

before(async () => {
  home = tempHome('updraft-cli-');
  standalone = spawn(process.execPath, [BIN, 'standalone'], { env: env(), stdio: ['ignore', 'pipe', 'pipe'] });
  standalone.stdout?.on('data', (d) => (output += d));
  standalone.stderr?.on('data', (d) => (output += d));
  await waitFor(() => /running at (http:\S+)/.test(output), 30_000, 'standalone to start');
  url = (/running at (http:\S+)/.exec(output) as RegExpExecArray)[1];
});

after(async () => {
  if (standalone && standalone.exitCode === null) {
    standalone.kill('SIGTERM');
    await new Promise((r) => standalone.once('exit', r));
  }
  fs.rmSync(home, { recursive: true, force: true });
});

describe('updraft standalone', () => {
  test('prints the admin password once and saves it', () => {
    const saved = fs.readFileSync(path.join(home, 'standalone_admin_password.txt'), 'utf8').trim();
    assert.match(output, new RegExp(`username: admin\\s+password: ${saved}`));
  });

  test('loads the examples', async () => {
    await waitFor(() => updraft(['dags', 'list', '-o', 'json']).stdout.includes('example_bash_operator'), 20_000, 'examples to be parsed');
    const dags = JSON.parse(updraft(['dags', 'list', '-o', 'json']).stdout).map((d: { dag_id: string }) => d.dag_id);
    for (const id of ['example_simplest_dag', 'example_bash_operator', 'example_xcom', 'example_python_operator', 'tutorial']) assert.ok(dags.includes(id), id);
    assert.equal(updraft(['dags', 'list-import-errors']).stdout.trim(), 'No data found');
  });

  test('dags trigger example_bash_operator runs every task, and the logs are readable from the CLI and from disk', async () => {
    const trig = updraft(['dags', 'trigger', 'example_bash_operator', '--conf', '{"source": "cli"}', '-o', 'json']);
    assert.equal(trig.code, 0, trig.stderr);
    const runId = JSON.parse(trig.stdout)[0].run_id as string;
    await waitFor(() => ['success', 'failed'].includes(updraft(['dags', 'state', 'example_bash_operator', runId]).stdout.trim()), 30_000, 'the run to finish');
    assert.equal(updraft(['dags', 'state', 'example_bash_operator', runId]).stdout.trim(), 'success');
    const res = await fetch(`${url}/auth/token`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ username: 'admin', password: fs.readFileSync(path.join(home, 'standalone_admin_password.txt'), 'utf8').trim() }) });
    assert.equal(res.status, 201);
    const { access_token } = (await res.json()) as { access_token: string };
    const tis = (await (await fetch(`${url}/api/v2/dags/example_bash_operator/dagRuns/${encodeURIComponent(runId)}/taskInstances`, { headers: { authorization: `Bearer ${access_token}` } })).json()) as { task_instances: { task_id: string; state: string }[] };
    const states = Object.fromEntries(tis.task_instances.map((t) => [t.task_id, t.state]));
    assert.deepEqual(states, { also_run_this: 'success', run_after_loop: 'success', run_this_last: 'success', runme_0: 'success', runme_1: 'success', runme_2: 'success', this_will_skip: 'skipped' });
    const log = updraft(['tasks', 'logs', 'example_bash_operator', runId, 'runme_0']);
    assert.equal(log.code, 0, log.stderr);
    assert.match(log.stdout, /example_bash_operator__runme_0__\d{8}/);
    const file = path.join(home, 'logs', 'dag_id=example_bash_operator', `run_id=${runId}`, 'task_id=runme_0', 'attempt=1.log');
    assert.equal(fs.readFileSync(file, 'utf8'), log.stdout);
  });

  test('every example DAG runs to success', async () => {
    const examples = ['example_simplest_dag', 'example_xcom', 'example_python_operator', 'tutorial'];
    // half through the CLI, half through the REST API
    const password = fs.readFileSync(path.join(home, 'standalone_admin_password.txt'), 'utf8').trim();
    const login = await fetch(`${url}/auth/token`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ username: 'admin', password }) });
    const { access_token } = (await login.json()) as { access_token: string };
    const runs: (readonly [string, string])[] = [];
    for (const [i, dagId] of examples.entries()) {
      if (i % 2 === 0) {
        const r = updraft(['dags', 'trigger', dagId, '-o', 'json']);
        assert.equal(r.code, 0, r.stderr);
        runs.push([dagId, JSON.parse(r.stdout)[0].run_id as string]);
      } else {
        const res = await fetch(`${url}/api/v2/dags/${dagId}/dagRuns`, { method: 'POST', headers: { authorization: `Bearer ${access_token}`, 'content-type': 'application/json' }, body: JSON.stringify({ logical_date: null, conf: { via: 'api' } }) });
        assert.equal(res.status, 200);
        runs.push([dagId, ((await res.json()) as { dag_run_id: string }).dag_run_id]);
      }
    }
    const state = (dagId: string, runId: string) => updraft(['dags', 'state', dagId, runId]).stdout.trim();
    await waitFor(() => runs.every(([d, r]) => ['success', 'failed'].includes(state(d, r))), 60_000, 'the example runs to finish');
    assert.deepEqual(Object.fromEntries(runs.map(([d, r]) => [d, state(d, r)])), Object.fromEntries(examples.map((d) => [d, 'success'])));
  });

  test('a second standalone on the same home is refused with one line', () => {
    const r = updraft(['standalone']);
    assert.equal(r.code, 1);
    assert.match(r.stderr, /^Error: Another Updraft standalone \(pid \d+\) is already running on/);
    assert.equal(r.stderr.trim().split('\n').length, 1);
  });

  test('pause, unpause, list-runs, tasks list and config read the same database', () => {
    assert.match(updraft(['dags', 'pause', 'tutorial']).stdout, /paused: true/);
    assert.equal(JSON.parse(updraft(['dags', 'list', '-o', 'json']).stdout).find((d: { dag_id: string }) => d.dag_id === 'tutorial').is_paused, true);
    assert.match(updraft(['dags', 'unpause', 'tutorial']).stdout, /paused: false/);
    assert.deepEqual(updraft(['tasks', 'list', 'example_bash_operator']).stdout.trim().split('\n'), ['also_run_this', 'run_after_loop', 'run_this_last', 'runme_0', 'runme_1', 'runme_2', 'this_will_skip']);
    assert.equal(updraft(['config', 'get-value', 'core', 'parallelism']).stdout.trim(), '32');
    const list = JSON.parse(updraft(['config', 'list', '-o', 'json'], { AIRFLOW__CORE__PARALLELISM: '7' }).stdout);
    assert.deepEqual(list.find((e: { key: string }) => e.key === 'parallelism'), { section: 'core', key: 'parallelism', value: 7, source: 'env AIRFLOW__CORE__PARALLELISM' });
  });
});

describe('bad input: one clear line, a non-zero exit, nothing changed', () => {
  const runCount = () => JSON.parse(updraft(['dags', 'list-runs', 'example_simplest_dag', '-o', 'json']).stdout).length;

  test('triggering an unknown DAG', () => {
    const r = updraft(['dags', 'trigger', 'no_such_dag']);
    assert.equal(r.code, 1);
    assert.equal(r.stderr, "Error: DAG with dag_id: 'no_such_dag' not found\n");
  });

  test('conf that is not a JSON object, or not JSON at all', () => {
    const before = runCount();
    for (const conf of ['[1, 2]', '"text"', '{not json']) {
      const r = updraft(['dags', 'trigger', 'example_simplest_dag', '--conf', conf]);
      assert.equal(r.code, 1, conf);
      assert.match(r.stderr, /^Error: (conf must be a JSON object|--conf is not valid JSON)/);
      assert.equal(r.stderr.trim().split('\n').length, 1);
    }
    assert.equal(runCount(), before);
  });

  test('a port in use', async () => {
    const blocker = net.createServer();
    await new Promise<void>((r) => blocker.listen(0, '127.0.0.1', () => r()));
    const port = (blocker.address() as net.AddressInfo).port;
    const other = tempHome('updraft-cli-port-');
    const r = spawnSync(process.execPath, [BIN, 'standalone', '--port', String(port)], { env: env({ UPDRAFT_HOME: other }), encoding: 'utf8', timeout: 60_000 });
    blocker.close();
    assert.equal(r.status, 1);
    assert.match(r.stderr, new RegExp(`^Error: Port ${port} on 127.0.0.1 is already in use`));
    fs.rmSync(other, { recursive: true, force: true });
  });

  test('a bad database URL', () => {
    const wrongKind = updraft(['dags', 'list'], { UPDRAFT__DATABASE__SQL_ALCHEMY_CONN: 'mysql://user:pw@localhost/db' });
    assert.equal(wrongKind.code, 1);
    assert.match(wrongKind.stderr, /^Error: \[database\] sql_alchemy_conn must be a postgresql:\/\/ URL/);
    const unreachable = updraft(['dags', 'list'], { UPDRAFT__DATABASE__SQL_ALCHEMY_CONN: 'postgresql://user:secret@127.0.0.1:1/db' });
    assert.equal(unreachable.code, 1);
    assert.match(unreachable.stderr, /^Error: Cannot connect to the database at postgresql:\/\/user:\*\*\*@127.0.0.1:1\/db/);
    assert.doesNotMatch(unreachable.stderr, /secret/);
  });

  test('an unreadable DAGs folder', () => {
    const other = tempHome('updraft-cli-dags-');
    const notAFolder = path.join(other, 'dags-file');
    fs.writeFileSync(notAFolder, 'not a folder');
    const r = spawnSync(process.execPath, [BIN, 'standalone'], { env: env({ UPDRAFT_HOME: other, UPDRAFT__CORE__DAGS_FOLDER: notAFolder }), encoding: 'utf8', timeout: 60_000 });
    assert.equal(r.status, 1);
    assert.match(r.stderr, /^Error: Cannot read the DAGs folder .*dags-file/);
    fs.rmSync(other, { recursive: true, force: true });
  });

  test('a malformed configuration value', () => {
    const r = updraft(['dags', 'list'], { UPDRAFT__CORE__PARALLELISM: 'lots' });
    assert.equal(r.code, 1);
    assert.equal(r.stderr, "Error: Invalid value 'lots' for [core] parallelism (from env UPDRAFT__CORE__PARALLELISM): expected an integer\n");
  });
});

describe('dags test', () => {
  test('runs a whole DAG in-process and prints every task log', () => {
    const r = updraft(['dags', 'test', 'example_python_operator']);
    assert.equal(r.code, 0, r.stdout + r.stderr);
    assert.match(r.stdout, /--- dag_id=example_python_operator\/run_id=test__/);
    assert.match(r.stdout, /Dag run test__\S+: success/);
  });
});

describe('users', () => {
  test('create, log in, refuse a duplicate, reset the password, delete', async () => {
    const login = (password: string) =>
      fetch(`${url}/auth/token`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ username: 'ana', password }) }).then((r) => r.status);
    const created = spawnSync(process.execPath, [BIN, 'users', 'create', '-u', 'ana', '-r', 'user', '--password-stdin'], { env: env(), input: 'first-password\n', encoding: 'utf8' });
    assert.equal(created.status, 0, created.stderr);
    assert.equal(await login('first-password'), 201);
    const again = updraft(['users', 'create', '-u', 'ana', '-p', 'other-password']);
    assert.equal(again.code, 1);
    assert.match(again.stderr, /already exists/);
    assert.equal(await login('first-password'), 201, 'the refused duplicate changed nothing');
    assert.match(updraft(['users', 'create', '-u', 'bob', '-r', 'boss', '-p', 'some-password']).stderr, /Unknown role 'boss'/);
    assert.match(updraft(['users', 'create', '-u', 'bob', '-p', 'short']).stderr, /at least 8 characters/);
    const list = JSON.parse(updraft(['users', 'list', '-o', 'json']).stdout) as { username: string; role: string }[];
    assert.deepEqual(list.map((u) => [u.username, u.role]), [['admin', 'Admin'], ['ana', 'User']]);
    assert.equal(updraft(['users', 'reset-password', '-u', 'ana', '-p', 'second-password']).code, 0);
    assert.equal(await login('first-password'), 401);
    assert.equal(await login('second-password'), 201);
    assert.equal(updraft(['users', 'delete', '-u', 'ana']).code, 0);
    assert.equal(await login('second-password'), 401);
  });
});

describe('tasks test', () => {
  test('runs one task, ignoring its upstream, and keeps no run', () => {
    const before = JSON.parse(updraft(['dags', 'list-runs', 'example_bash_operator', '-o', 'json']).stdout).length;
    const r = updraft(['tasks', 'test', 'example_bash_operator', 'run_after_loop']);
    assert.equal(r.code, 0, r.stdout + r.stderr);
    assert.match(r.stdout, /https:\/\/airflow.apache.org\//);
    assert.match(r.stdout, /run_after_loop\s+success/);
    assert.equal(JSON.parse(updraft(['dags', 'list-runs', 'example_bash_operator', '-o', 'json']).stdout).length, before);
    const missing = updraft(['tasks', 'test', 'example_bash_operator', 'no_such_task']);
    assert.equal(missing.code, 1);
    assert.equal(missing.stderr, "Error: Task 'no_such_task' not found in DAG 'example_bash_operator'\n");
  });
});

describe('stopping', () => {
  test('SIGTERM stops standalone and its embedded database', async () => {
    const pidFile = path.join(fs.realpathSync(path.join(home, 'db')), 'postmaster.pid');
    const pgPid = Number(fs.readFileSync(pidFile, 'utf8').split('\n')[0]);
    standalone.kill('SIGTERM');
    const code = await new Promise((r) => standalone.once('exit', r));
    assert.equal(code, 0);
    await waitFor(() => {
      try {
        process.kill(pgPid, 0);
        return false;
      } catch {
        return true;
      }
    }, 15_000, 'PostgreSQL to stop');
    assert.equal(fs.existsSync(path.join(home, 'standalone.pid')), false);
  });

  test('SIGTERM while starting: the start finishes, then everything stops cleanly', async () => {
    const early = tempHome('updraft-cli-early-');
    try {
      const child = spawn(process.execPath, [BIN, 'standalone'], { env: env({ UPDRAFT_HOME: early }), stdio: ['ignore', 'pipe', 'pipe'] });
      let out = '';
      child.stdout?.on('data', (d) => (out += d));
      child.stderr?.on('data', (d) => (out += d));
      // the embedded database is being created: well inside the start
      await waitFor(() => fs.existsSync(path.join(early, 'db')), 30_000, 'the start to begin');
      child.kill('SIGTERM');
      const code = await new Promise((r) => child.once('exit', r));
      assert.equal(code, 0, out);
      assert.match(out, /SIGTERM received: stopping/);
      assert.equal(fs.existsSync(path.join(early, 'db', 'postmaster.pid')), false, 'PostgreSQL stopped with it');
    } finally {
      fs.rmSync(early, { recursive: true, force: true });
    }
  });
});
