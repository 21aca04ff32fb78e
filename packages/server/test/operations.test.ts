/**
 * Operations by hand through the REST API and the CLI: marking task
 * instances success/failed (with relatives, dry run, a running try stopped),
 * a run's state and note, deleting a run (XComs offloaded to storage too),
 * clearing a run; refused requests change nothing.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { after, before, test } from 'node:test';
import { startStandalone, type TestStandalone, tiStates, waitFor } from './helpers.ts';

const BIN = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../bin/updraft.js');
let s: TestStandalone;
before(async () => {
  s = await startStandalone({ UPDRAFT__CORE__XCOM_OBJECTSTORAGE_THRESHOLD: '100', UPDRAFT__SCHEDULER__TASK_INSTANCE_HEARTBEAT_TIMEOUT: '5' });
  s.writeDag(
    'ops.ts',
    `import { DAG, BashOperator } from '@updraft/sdk';
     export default new DAG({ dag_id: 'ops', schedule: null, start_date: '2024-01-01' }, () => {
       new BashOperator({ task_id: 'first', bash_command: 'echo ${'x'.repeat(150)}' })
         .then(new BashOperator({ task_id: 'second', bash_command: 'exit 1' }))
         .then(new BashOperator({ task_id: 'third', bash_command: 'echo third' }));
     });`,
  );
  s.writeDag(
    'sleepy.ts',
    `import { DAG, BashOperator } from '@updraft/sdk';
     export default new DAG({ dag_id: 'sleepy', schedule: null, start_date: '2024-01-01' }, () => {
       new BashOperator({ task_id: 'wait', bash_command: 'sleep 60' }).then(new BashOperator({ task_id: 'after', bash_command: 'echo after' }));
     });`,
  );
  await s.waitForDag('ops');
  await s.waitForDag('sleepy');
});
after(async () => {
  await s?.close();
});

const trigger = (dagId: string, body: Record<string, unknown> = {}) => s.trigger(dagId, body);

/** Everything an operation could change. */
async function snapshot() {
  const q = async (sql: string) => (await s.db.pool.query(sql)).rows;
  return {
    runs: await q('SELECT dag_id, run_id, state, note, end_date FROM dag_run ORDER BY id'),
    tis: await q('SELECT id, dag_id, run_id, task_id, state, try_number, note FROM task_instance ORDER BY dag_id, run_id, task_id'),
    xcom: await q('SELECT dag_id, run_id, task_id, key, value_ref FROM xcom ORDER BY dag_id, run_id, task_id, key'),
    log: await q('SELECT count(*) AS n FROM log'),
  };
}

const ids = (body: { task_instances: { task_id: string }[] }) => body.task_instances.map((t) => t.task_id).sort();
const tiUrl = (runId: string, taskId: string) => `/api/v2/dags/ops/dagRuns/${encodeURIComponent(runId)}/taskInstances/${taskId}`;

test('marking a failed task success: dry run first, then its failed downstream runs again and the run succeeds', async () => {
  const runId = await trigger('ops');
  assert.equal(await s.waitForRun('ops', runId), 'failed');
  assert.deepEqual(await tiStates(s.db, 'ops', runId), { first: 'success', second: 'failed', third: 'upstream_failed' });

  const before = await snapshot();
  const dry = await s.api('PATCH', `${tiUrl(runId, 'second')}/dry_run`, { new_state: 'success', include_downstream: true });
  assert.equal(dry.status, 200, JSON.stringify(dry.body));
  assert.deepEqual(ids(dry.body), ['second', 'third']);
  assert.equal(dry.body.total_entries, 2);
  assert.deepEqual(await snapshot(), before, 'a dry run changes nothing');

  const marked = await s.api('PATCH', tiUrl(runId, 'second'), { new_state: 'success' });
  assert.equal(marked.status, 200, JSON.stringify(marked.body));
  assert.deepEqual(marked.body.task_instances.map((t: { task_id: string; state: string }) => [t.task_id, t.state]), [['second', 'success']]);
  assert.equal(await s.waitForRun('ops', runId), 'success');
  const tis = await s.db.pool.query("SELECT task_id, state, try_number FROM task_instance WHERE dag_id = 'ops' AND run_id = $1 ORDER BY task_id", [runId]);
  assert.deepEqual(tis.rows, [
    { task_id: 'first', state: 'success', try_number: 1 },
    { task_id: 'second', state: 'success', try_number: 1 },
    { task_id: 'third', state: 'success', try_number: 1 },
  ]);
  const audit = await s.db.pool.query("SELECT owner, task_id, run_id FROM log WHERE event = 'mark_task_instance_success'");
  assert.deepEqual(audit.rows, [{ owner: 'admin', task_id: 'second', run_id: runId }]);

  // the CLI reads the state back, as Airflow's `tasks state` does
  const env = { ...process.env, UPDRAFT_HOME: s.config.home, UPDRAFT__CORE__LOAD_EXAMPLES: 'false' };
  const state = spawnSync(process.execPath, [BIN, 'tasks', 'state', 'ops', 'second', runId], { env, encoding: 'utf8' });
  assert.equal(state.status, 0, state.stderr);
  assert.equal(state.stdout, 'success\n');
  const missing = spawnSync(process.execPath, [BIN, 'tasks', 'state', 'ops', 'nope', runId], { env, encoding: 'utf8' });
  assert.equal(missing.status, 1);
  assert.match(missing.stderr, /No task instance ops\.nope/);
});

test('marking with include_downstream sets the downstream tasks too, without running them', async () => {
  const runId = await trigger('ops');
  assert.equal(await s.waitForRun('ops', runId), 'failed');
  const marked = await s.api('PATCH', tiUrl(runId, 'second'), { new_state: 'success', include_downstream: true, note: 'fixed by hand' });
  assert.equal(marked.status, 200, JSON.stringify(marked.body));
  assert.deepEqual(ids(marked.body), ['second', 'third']);
  assert.equal(await s.waitForRun('ops', runId), 'success');
  const tis = await s.db.pool.query("SELECT task_id, state, try_number, note FROM task_instance WHERE dag_id = 'ops' AND run_id = $1 ORDER BY task_id", [runId]);
  assert.deepEqual(tis.rows, [
    { task_id: 'first', state: 'success', try_number: 1, note: null },
    { task_id: 'second', state: 'success', try_number: 1, note: 'fixed by hand' },
    { task_id: 'third', state: 'success', try_number: 0, note: null },
  ]);

  // clearing the run: a dry run lists, then everything runs again
  const before = await snapshot();
  const dry = await s.api('POST', `/api/v2/dags/ops/dagRuns/${encodeURIComponent(runId)}/clear`, {});
  assert.equal(dry.status, 200, JSON.stringify(dry.body));
  assert.deepEqual(ids(dry.body), ['first', 'second', 'third']);
  assert.deepEqual(await snapshot(), before, 'a dry run changes nothing');
  const cleared = await s.api('POST', `/api/v2/dags/ops/dagRuns/${encodeURIComponent(runId)}/clear`, { dry_run: false });
  assert.equal(cleared.status, 200, JSON.stringify(cleared.body));
  assert.equal(cleared.body.dag_run_id, runId);
  assert.equal(await s.waitForRun('ops', runId), 'failed', 'second fails again');
  const again = await s.db.pool.query("SELECT task_id, try_number FROM task_instance WHERE dag_id = 'ops' AND run_id = $1 ORDER BY task_id", [runId]);
  assert.deepEqual(again.rows.map((r) => r.try_number), [2, 2, 0], 'third is upstream_failed again, never tried');
});

test('marking a running try failed stops its process and the state stays failed', async () => {
  const runId = await trigger('sleepy');
  await waitFor(async () => (await tiStates(s.db, 'sleepy', runId)).wait === 'running', 15_000, 'the task to run');
  const pid = (await s.db.pool.query("SELECT pid FROM task_instance WHERE dag_id = 'sleepy' AND run_id = $1 AND task_id = 'wait'", [runId])).rows[0].pid as number;
  const res = await s.api('PATCH', `/api/v2/dags/sleepy/dagRuns/${encodeURIComponent(runId)}/taskInstances/wait`, { new_state: 'failed' });
  assert.equal(res.status, 200, JSON.stringify(res.body));
  assert.equal(res.body.task_instances[0].state, 'failed');
  const alive = () => {
    try {
      process.kill(pid, 0);
      return true;
    } catch {
      return false;
    }
  };
  assert.ok(pid > 0);
  await waitFor(() => !alive(), 10_000, 'the task process to stop');
  assert.equal(await s.waitForRun('sleepy', runId), 'failed');
  const ti = await s.db.pool.query("SELECT task_id, state, try_number FROM task_instance WHERE dag_id = 'sleepy' AND run_id = $1 ORDER BY task_id", [runId]);
  assert.deepEqual(ti.rows, [
    { task_id: 'after', state: 'upstream_failed', try_number: 0 },
    { task_id: 'wait', state: 'failed', try_number: 1 },
  ]);
});

test('PATCH a run: failed fails the running tasks and skips the rest; note alone with update_mask; success marks all', async () => {
  const runId = await trigger('sleepy');
  const url = `/api/v2/dags/sleepy/dagRuns/${encodeURIComponent(runId)}`;
  await waitFor(async () => (await tiStates(s.db, 'sleepy', runId)).wait === 'running', 15_000, 'the task to run');
  const failed = await s.api('PATCH', url, { state: 'failed' });
  assert.equal(failed.status, 200, JSON.stringify(failed.body));
  assert.equal(failed.body.state, 'failed');
  assert.ok(failed.body.end_date);
  assert.deepEqual(await tiStates(s.db, 'sleepy', runId), { wait: 'failed', after: 'skipped' });

  const noted = await s.api('PATCH', `${url}?update_mask=note`, { note: 'looked into it', state: 'success' });
  assert.equal(noted.status, 200, JSON.stringify(noted.body));
  assert.deepEqual([noted.body.state, noted.body.note], ['failed', 'looked into it'], 'update_mask leaves the state alone');

  const success = await s.api('PATCH', url, { state: 'success' });
  assert.equal(success.status, 200);
  assert.deepEqual([success.body.state, success.body.note], ['success', 'looked into it']);
  assert.deepEqual(await tiStates(s.db, 'sleepy', runId), { wait: 'success', after: 'success' });
  const audit = await s.db.pool.query("SELECT event FROM log WHERE run_id = $1 AND event LIKE '%dag_run%' ORDER BY id", [runId]);
  assert.deepEqual(audit.rows.map((r) => r.event), ['trigger_dag_run', 'mark_dag_run_failed', 'patch_dag_run_note', 'mark_dag_run_success']);
});

test('DELETE a run removes it, its task instances and its XComs, offloaded ones too', async () => {
  const runId = await trigger('ops');
  assert.equal(await s.waitForRun('ops', runId), 'failed');
  const ref = (await s.db.pool.query("SELECT value_ref FROM xcom WHERE dag_id = 'ops' AND run_id = $1 AND task_id = 'first'", [runId])).rows[0].value_ref as string;
  assert.match(ref, /^file:\/\//, 'the long value was offloaded');
  const file = fileURLToPath(ref);
  assert.ok(fs.existsSync(file));
  const url = `/api/v2/dags/ops/dagRuns/${encodeURIComponent(runId)}`;
  const res = await s.api('DELETE', url);
  assert.equal(res.status, 204);
  for (const table of ['dag_run', 'task_instance', 'task_instance_history', 'xcom']) {
    const n = await s.db.pool.query(`SELECT count(*) AS n FROM ${table} WHERE dag_id = 'ops' AND run_id = $1`, [runId]);
    assert.equal(n.rows[0].n, 0, table);
  }
  assert.ok(!fs.existsSync(file), 'the offloaded value is gone');
  assert.equal((await s.api('GET', url)).status, 404);
  assert.equal((await s.api('DELETE', url)).status, 404);
  const audit = await s.db.pool.query("SELECT owner FROM log WHERE event = 'delete_dag_run' AND run_id = $1", [runId]);
  assert.deepEqual(audit.rows, [{ owner: 'admin' }]);
});

test('bad requests are refused and change nothing', async () => {
  const runId = (await s.db.pool.query("SELECT run_id FROM dag_run WHERE dag_id = 'ops' ORDER BY id LIMIT 1")).rows[0].run_id as string;
  const runUrl = `/api/v2/dags/ops/dagRuns/${encodeURIComponent(runId)}`;
  const before = await snapshot();
  const cases: [string, string, unknown, number][] = [
    ['PATCH', tiUrl(runId, 'second'), { new_state: 'running' }, 422],
    ['PATCH', tiUrl(runId, 'second'), { new_state: 'failed', colour: 'red' }, 422],
    ['PATCH', tiUrl(runId, 'second'), { new_state: 'failed', include_downstream: 'yes' }, 422],
    ['PATCH', tiUrl(runId, 'second'), { note: 'x'.repeat(1001) }, 422],
    ['PATCH', tiUrl(runId, 'nope'), { new_state: 'failed' }, 404],
    ['PATCH', `${tiUrl(runId, 'nope')}/dry_run`, { new_state: 'failed' }, 404],
    ['PATCH', tiUrl('no-such-run', 'second'), { new_state: 'failed' }, 404],
    ['PATCH', runUrl, { state: 'running' }, 422],
    ['PATCH', runUrl, { state: 'failed', conf: {} }, 422],
    ['PATCH', `${runUrl}?update_mask=conf`, { state: 'failed' }, 400],
    ['PATCH', '/api/v2/dags/ops/dagRuns/no-such-run', { state: 'failed' }, 404],
    ['POST', `${runUrl}/clear`, { dry_run: false, only_failed: 'no' }, 422],
    ['POST', '/api/v2/dags/ops/dagRuns/no-such-run/clear', { dry_run: false }, 404],
    ['DELETE', '/api/v2/dags/ops/dagRuns/no-such-run', undefined, 404],
  ];
  for (const [method, url, body, status] of cases) {
    const res = await s.api(method, url, body);
    assert.equal(res.status, status, `${method} ${url} ${JSON.stringify(body)} → ${JSON.stringify(res.body)}`);
    assert.ok(res.body.detail, 'an error body has a detail');
  }
  const unauthenticated = await fetch(`${s.url}${runUrl}`, { method: 'DELETE' });
  assert.equal(unauthenticated.status, 401);
  assert.deepEqual(await snapshot(), before);
});
