/**
 * Clearing task instances through the REST API and the CLI: a dry run changes
 * nothing; a cleared failed task runs again with renewed retries and its run
 * goes back to queued then success; a cleared running task is stopped and run
 * again; its XComs are gone before the new try.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { after, before, test } from 'node:test';
import { startStandalone, type TestStandalone, tiStates, waitFor } from './helpers.ts';

const BIN = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../bin/updraft.js');
let s: TestStandalone;
before(async () => {
  s = await startStandalone({ UPDRAFT__SCHEDULER__TASK_INSTANCE_HEARTBEAT_TIMEOUT: '5' });
});
after(async () => {
  await s?.close();
});

const trigger = (dagId: string, body: Record<string, unknown> = {}) => s.trigger(dagId, body);

test('clearing a failed task: dry run first, then it runs again and the run succeeds', async () => {
  const marker = path.join(s.dagsFolder, 'second.marker');
  s.writeDag(
    'recover.ts',
    `import { DAG, BashOperator } from '@updraft/sdk';
     export default new DAG({ dag_id: 'recover', schedule: null, start_date: '2024-01-01' }, () => {
       new BashOperator({ task_id: 'first', bash_command: 'echo from-first' })
         .then(new BashOperator({ task_id: 'second', bash_command: 'if [ -f ${marker} ]; then echo fixed; else touch ${marker}; exit 1; fi' }));
     });`,
  );
  await s.waitForDag('recover');
  const runId = await trigger('recover');
  assert.equal(await s.waitForRun('recover', runId), 'failed');

  const dry = await s.api('POST', '/api/v2/dags/recover/clearTaskInstances', { dag_run_id: runId });
  assert.equal(dry.status, 200);
  assert.deepEqual(dry.body.task_instances.map((t: { task_id: string }) => t.task_id), ['second'], 'dry run and only_failed are the defaults');
  assert.equal((await s.db.pool.query('SELECT state FROM dag_run WHERE run_id = $1', [runId])).rows[0].state, 'failed', 'a dry run changes nothing');

  const xcomBefore = await s.db.pool.query("SELECT timestamp FROM xcom WHERE dag_id = 'recover' AND run_id = $1 AND task_id = 'first'", [runId]);
  assert.equal(xcomBefore.rowCount, 1);
  const real = await s.api('POST', '/api/v2/dags/recover/clearTaskInstances', { dag_run_id: runId, dry_run: false, only_failed: false, task_ids: ['first'], include_downstream: true });
  assert.equal(real.status, 200);
  assert.deepEqual(real.body.task_instances.map((t: { task_id: string }) => t.task_id).sort(), ['first', 'second']);
  assert.equal(await s.waitForRun('recover', runId), 'success');
  const tis = await s.db.pool.query("SELECT task_id, state, try_number FROM task_instance WHERE dag_id = 'recover' AND run_id = $1 ORDER BY task_id", [runId]);
  assert.deepEqual(tis.rows, [
    { task_id: 'first', state: 'success', try_number: 2 },
    { task_id: 'second', state: 'success', try_number: 2 },
  ]);
  const xcomAfter = await s.db.pool.query("SELECT timestamp FROM xcom WHERE dag_id = 'recover' AND run_id = $1 AND task_id = 'first'", [runId]);
  assert.ok(xcomAfter.rows[0].timestamp > xcomBefore.rows[0].timestamp, "the first try's XCom was removed and pushed again");
  const audit = await s.db.pool.query("SELECT owner FROM log WHERE event = 'clear' AND dag_id = 'recover'");
  assert.deepEqual(audit.rows, [{ owner: 'admin' }]);
});

test('clearing a running task stops its process and runs it again (CLI)', async () => {
  s.writeDag(
    'stuck.ts',
    `import { DAG, BashOperator } from '@updraft/sdk';
     export default new DAG({ dag_id: 'stuck', schedule: null, start_date: '2024-01-01' }, () => {
       new BashOperator({ task_id: 'wait', bash_command: 'if [ "{{ ti.try_number }}" = "1" ]; then sleep 60; fi; echo done' });
     });`,
  );
  await s.waitForDag('stuck');
  const runId = await trigger('stuck');
  await waitFor(async () => (await tiStates(s.db, 'stuck', runId)).wait === 'running', 15_000, 'the task to run');
  const env = { ...process.env, UPDRAFT_HOME: s.config.home, UPDRAFT__CORE__LOAD_EXAMPLES: 'false' };
  const refused = spawnSync(process.execPath, [BIN, 'tasks', 'clear', 'stuck', '-r'], { env, encoding: 'utf8', input: '' });
  assert.equal(refused.status, 1);
  assert.match(refused.stderr, /add --yes/);
  assert.equal((await tiStates(s.db, 'stuck', runId)).wait, 'running', 'nothing cleared without confirmation');
  const r = spawnSync(process.execPath, [BIN, 'tasks', 'clear', 'stuck', '-r', '--yes'], { env, encoding: 'utf8' });
  assert.equal(r.status, 0, r.stderr);
  assert.match(r.stdout, /Cleared 1 task instance/);
  assert.equal(await s.waitForRun('stuck', runId, 30_000), 'success');
  const ti = await s.db.pool.query("SELECT try_number FROM task_instance WHERE dag_id = 'stuck' AND run_id = $1", [runId]);
  assert.equal(ti.rows[0].try_number, 2);
});

test('bad clear requests are refused and change nothing', async () => {
  const unknownDag = await s.api('POST', '/api/v2/dags/nope/clearTaskInstances', { dry_run: false });
  assert.equal(unknownDag.status, 404);
  const badField = await s.api('POST', '/api/v2/dags/recover/clearTaskInstances', { dry_run: 'no' });
  assert.equal(badField.status, 422, 'the spec answers a body that does not validate with 422');
  const both = await s.api('POST', '/api/v2/dags/recover/clearTaskInstances', { only_failed: true, only_running: true, dry_run: false });
  assert.equal(both.status, 422);
  const states = await s.db.pool.query("SELECT count(*) AS n FROM task_instance WHERE dag_id = 'recover' AND state = 'success'");
  assert.equal(states.rows[0].n, 2);
});
