/**
 * The scheduling examples (Airflow's example DAGs ported) run end to end with
 * the expected state of every task instance, plus cross-DAG dependencies:
 * TriggerDagRunOperator (with and without waiting) and ExternalTaskSensor.
 */
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { EXAMPLES_FOLDER } from '../src/dag-processing/processor.ts';
import { startStandalone, type TestStandalone, waitFor } from './helpers.ts';

let s: TestStandalone;

const EXAMPLES = [
  'example_dynamic_task_mapping',
  'example_task_group',
  'example_setup_teardown',
  'example_trigger_controller_dag',
  'example_trigger_target_dag',
  'example_sensors',
];

async function states(dagId: string, runId: string) {
  const r = await s.db.pool.query<{ task_id: string; map_index: number; state: string }>(
    'SELECT task_id, map_index, state FROM task_instance WHERE dag_id = $1 AND run_id = $2 ORDER BY task_id, map_index',
    [dagId, runId],
  );
  return Object.fromEntries(r.rows.map((t) => [t.map_index >= 0 ? `${t.task_id}[${t.map_index}]` : t.task_id, t.state]));
}

/** The logs of a run's failed task instances, so a failing assertion says why. */
async function failedLogs(dagId: string, runId: string): Promise<string> {
  const r = await s.db.pool.query<{ task_id: string; map_index: number; try_number: number }>(
    "SELECT task_id, map_index, try_number FROM task_instance WHERE dag_id = $1 AND run_id = $2 AND state = 'failed'",
    [dagId, runId],
  );
  return r.rows
    .map((t) => {
      const file = path.join(s.config.str('logging', 'base_log_folder'), `dag_id=${dagId}`, `run_id=${runId}`, `task_id=${t.task_id}`, ...(t.map_index >= 0 ? [`map_index=${t.map_index}`] : []), `attempt=${Math.max(1, t.try_number)}.log`);
      return `--- ${t.task_id}\n${fs.existsSync(file) ? fs.readFileSync(file, 'utf8') : '(no log)'}`;
    })
    .join('\n');
}

async function finished(dagId: string, runId: string, expected: string, timeoutMs = 60_000) {
  const state = await s.waitForRun(dagId, runId, timeoutMs);
  if (state !== expected) assert.fail(`${dagId} ended ${state}, expected ${expected}\n${await failedLogs(dagId, runId)}`);
}

before(async () => {
  s = await startStandalone({ UPDRAFT__TRIGGERER__JOB_HEARTBEAT_SEC: '0.3' });
  for (const name of EXAMPLES) fs.copyFileSync(path.join(EXAMPLES_FOLDER, `${name}.ts`), path.join(s.dagsFolder, `${name}.ts`));
  s.writeDag(
    'cross_dag.ts',
    `import { DAG, BashOperator, EmptyOperator, ExternalTaskSensor, TriggerDagRunOperator, TaskGroup } from '@updraft/sdk';
     new DAG({ dag_id: 'upstream_dag', schedule: null, start_date: '2024-01-01' }, () => {
       new TaskGroup({ group_id: 'load' }, () => {
         new BashOperator({ task_id: 'a', bash_command: 'sleep 1' }).then(new EmptyOperator({ task_id: 'b' }));
       });
       new BashOperator({ task_id: 'fails', bash_command: 'exit 1' });
     });
     new DAG({ dag_id: 'waiter', schedule: null, start_date: '2024-01-01' }, () => {
       const trigger = new TriggerDagRunOperator({
         task_id: 'trigger', trigger_dag_id: 'upstream_dag', logical_date: '{{ logical_date }}', conf: { from: '{{ dag.dag_id }}' },
         wait_for_completion: true, poke_interval: 0.3, allowed_states: ['success', 'failed'], failed_states: [],
       });
       const group = new ExternalTaskSensor({ task_id: 'group_done', external_dag_id: 'upstream_dag', external_task_group_id: 'load', poke_interval: 0.3, timeout: 30 });
       const failed = new ExternalTaskSensor({ task_id: 'sees_failure', external_dag_id: 'upstream_dag', external_task_id: 'fails', failed_states: ['failed'], poke_interval: 0.3, timeout: 30 });
       const whole = new ExternalTaskSensor({ task_id: 'run_done', external_dag_id: 'upstream_dag', allowed_states: ['failed'], poke_interval: 0.3, timeout: 30 });
       trigger.then([group, failed, whole]);
     });`,
  );
  for (const id of [...EXAMPLES, 'example_task_mapping_second_order', 'upstream_dag', 'waiter']) await s.waitForDag(id);
});

after(async () => {
  await s?.close();
});

describe('scheduling examples', () => {
  test('example_dynamic_task_mapping and example_task_mapping_second_order', async () => {
    const runId = await s.trigger('example_dynamic_task_mapping');
    await finished('example_dynamic_task_mapping', runId, 'success', 60_000);
    assert.deepEqual(await states('example_dynamic_task_mapping', runId), { 'add_one[0]': 'success', 'add_one[1]': 'success', 'add_one[2]': 'success', sum_it: 'success' });
    const second = await s.trigger('example_task_mapping_second_order');
    await finished('example_task_mapping_second_order', second, 'success', 60_000);
    const got = await s.db.pool.query("SELECT value FROM xcom WHERE dag_id = 'example_task_mapping_second_order' AND run_id = $1 AND task_id = 'add_10' ORDER BY map_index", [second]);
    assert.deepEqual(got.rows.map((r) => r.value), [12, 14, 16]);
  });

  test('example_task_group', async () => {
    const runId = await s.trigger('example_task_group');
    await finished('example_task_group', runId, 'success', 60_000);
    const all = await states('example_task_group', runId);
    assert.equal(Object.keys(all).length, 9);
    assert.ok(Object.values(all).every((v) => v === 'success'));
    assert.ok('section_2.inner_section_2.task_4' in all);
  });

  test('example_setup_teardown', async () => {
    const runId = await s.trigger('example_setup_teardown');
    await finished('example_setup_teardown', runId, 'success', 60_000);
    assert.deepEqual(await states('example_setup_teardown', runId), {
      normal: 'success', root_setup: 'success', root_teardown: 'success',
      'section_1.normal': 'success', 'section_1.taskgroup_setup': 'success', 'section_1.taskgroup_teardown': 'success',
    });
  });

  test('example_trigger_controller_dag starts example_trigger_target_dag with its conf', async () => {
    await s.api('PATCH', '/api/v2/dags/example_trigger_target_dag', { is_paused: false });
    const runId = await s.trigger('example_trigger_controller_dag');
    await finished('example_trigger_controller_dag', runId, 'success', 60_000);
    const pushed = await s.db.pool.query("SELECT value FROM xcom WHERE dag_id = 'example_trigger_controller_dag' AND run_id = $1 AND key = 'trigger_run_id'", [runId]);
    const targetRun = pushed.rows[0].value as string;
    await finished('example_trigger_target_dag', targetRun, 'success', 60_000);
    const target = await s.db.pool.query("SELECT conf FROM dag_run WHERE dag_id = 'example_trigger_target_dag' AND run_id = $1", [targetRun]);
    assert.deepEqual(target.rows[0].conf, { message: 'Hello World' });
    const bash = await s.db.pool.query("SELECT value FROM xcom WHERE dag_id = 'example_trigger_target_dag' AND run_id = $1 AND task_id = 'bash_task'", [targetRun]);
    assert.equal(bash.rows[0].value, 'Here is the message: Hello World');
  });

  test('example_sensors: the sensors that can succeed do, the soft_fail ones end skipped', async () => {
    const runId = await s.trigger('example_sensors');
    await finished('example_sensors', runId, 'success', 90_000);
    const all = await states('example_sensors', runId);
    for (const skipped of ['timeout_after_second_date_in_the_future', 'Sensor_fails_after_3_seconds', 'failure_timeout_sensor_python', 'week_day_sensor_failing_on_timeout']) {
      assert.equal(all[skipped], 'skipped', skipped);
    }
    for (const ok of ['wait_some_seconds', 'wait_some_seconds_async', 'fire_immediately', 'fire_immediately_async', 'Sensor_succeeds', 'remove_file', 'wait_for_file', 'wait_for_file_reschedule', 'create_file_after_3_seconds', 'success_sensor_python', 'print_date_in_bash']) {
      assert.equal(all[ok], 'success', ok);
    }
  });
});

describe('cross-DAG dependencies', () => {
  test('TriggerDagRunOperator waits for the run it started; ExternalTaskSensor follows a group, a task and a whole run', async () => {
    await s.api('PATCH', '/api/v2/dags/upstream_dag', { is_paused: false });
    const runId = await s.trigger('waiter', { logical_date: '2024-05-01T00:00:00Z' });
    await finished('waiter', runId, 'failed', 60_000);
    const all = await states('waiter', runId);
    assert.deepEqual(all, { group_done: 'success', run_done: 'success', sees_failure: 'failed', trigger: 'success' });
    const upstream = await s.db.pool.query("SELECT run_id, state, conf FROM dag_run WHERE dag_id = 'upstream_dag' AND logical_date = '2024-05-01T00:00:00Z'");
    assert.equal(upstream.rows[0].state, 'failed');
    assert.deepEqual(upstream.rows[0].conf, { from: 'waiter' });
  });

  test('triggering an unknown DAG fails the task with the reason', async () => {
    s.writeDag(
      'bad_trigger.ts',
      `import { DAG, TriggerDagRunOperator } from '@updraft/sdk';
       new DAG({ dag_id: 'bad_trigger', schedule: null, start_date: '2024-01-01' }, () => {
         new TriggerDagRunOperator({ task_id: 'trigger', trigger_dag_id: 'no_such_dag' });
       });`,
    );
    await s.waitForDag('bad_trigger');
    const runId = await s.trigger('bad_trigger');
    await finished('bad_trigger', runId, 'failed', 30_000);
    const log = path.join(s.config.str('logging', 'base_log_folder'), 'dag_id=bad_trigger', `run_id=${runId}`, 'task_id=trigger', 'attempt=1.log');
    await waitFor(() => fs.existsSync(log), 5000, 'log');
    assert.match(fs.readFileSync(log, 'utf8'), /no_such_dag/);
  });
});
