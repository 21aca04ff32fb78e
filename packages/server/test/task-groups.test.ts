/**
 * Task groups and setup/teardown, from the SDK through the scheduler: ids
 * prefixed by their groups, group default_args, a group as a dependency
 * target, @task_group called twice, and Airflow's teardown rules (runs after
 * failed work, does not decide the run unless on_failure_fail_dagrun, skipped
 * or upstream_failed with its setups).
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { startStandalone, type TestStandalone, tiStates } from './helpers.ts';

let s: TestStandalone;

async function serialized(dagId: string) {
  const r = await s.db.pool.query('SELECT data FROM dag_version WHERE dag_id = $1 ORDER BY version_number DESC LIMIT 1', [dagId]);
  return r.rows[0].data;
}

before(async () => {
  s = await startStandalone();
  s.writeDag(
    'groups.ts',
    `import { DAG, EmptyOperator, BashOperator, TaskGroup, task, task_group } from '@updraft/sdk';
     new DAG({ dag_id: 'groups', schedule: null, start_date: '2024-01-01', default_args: { retries: 0 } }, () => {
       const start = new EmptyOperator({ task_id: 'start' });
       const section = new TaskGroup({ group_id: 'section_1', tooltip: 'first section', default_args: { retries: 3 } }, () => {
         const a = new BashOperator({ task_id: 'task_1', bash_command: 'echo one' });
         new TaskGroup({ group_id: 'inner' }, () => {
           a.then(new EmptyOperator({ task_id: 'task_2' }));
         });
         new TaskGroup({ group_id: 'flat', prefix_group_id: false }, () => {
           a.then(new EmptyOperator({ task_id: 'task_3' }));
         });
       });
       const end = new EmptyOperator({ task_id: 'end' });
       start.then(section).then(end);
       const double = task(function double(x: number) { return x * 2; });
       const pair = task_group(function pair(x: number) { return double(double(x)); });
       pair(1);
       pair(2);
     });`,
  );
  s.writeDag(
    'setup_teardown.ts',
    `import { DAG, BashOperator, setup, teardown } from '@updraft/sdk';
     const cases = {
       work_fails: { setup: 'true', work: 'exit 1', teardown: 'true', fail: false },
       teardown_fails: { setup: 'true', work: 'true', teardown: 'exit 1', fail: false },
       teardown_fails_run: { setup: 'true', work: 'true', teardown: 'exit 1', fail: true },
       setup_fails: { setup: 'exit 1', work: 'true', teardown: 'true', fail: false },
     };
     for (const [id, c] of Object.entries(cases)) {
       new DAG({ dag_id: 'st_' + id, schedule: null, start_date: '2024-01-01' }, () => {
         const create = new BashOperator({ task_id: 'create', bash_command: c.setup }).as_setup();
         const work = new BashOperator({ task_id: 'work', bash_command: c.work });
         const remove = new BashOperator({ task_id: 'remove', bash_command: c.teardown }).as_teardown({ setups: create, on_failure_fail_dagrun: c.fail });
         create.then(work).then(remove);
       });
     }
     new DAG({ dag_id: 'st_decorated', schedule: null, start_date: '2024-01-01' }, () => {
       const make = setup(function make_cluster() { return 'cluster-1'; });
       const drop = teardown(function drop_cluster(id: string) { console.log('dropping ' + id); });
       const id = make();
       id.then(new BashOperator({ task_id: 'use', bash_command: 'echo using' })).then(drop(id));
     });`,
  );
  for (const id of ['groups', 'st_work_fails', 'st_teardown_fails', 'st_teardown_fails_run', 'st_setup_fails', 'st_decorated']) await s.waitForDag(id);
});

after(async () => {
  await s?.close();
});

describe('task groups', () => {
  test('ids are prefixed by their groups, and the groups are serialized', async () => {
    const dag = await serialized('groups');
    const byId = Object.fromEntries(dag.tasks.map((t: { task_id: string }) => [t.task_id, t]));
    assert.deepEqual(Object.keys(byId).sort(), [
      'end', 'pair.double', 'pair.double__1', 'pair__1.double', 'pair__1.double__1',
      'section_1.inner.task_2', 'section_1.task_1', 'section_1.task_3', 'start',
    ]);
    assert.equal(byId['section_1.task_1'].task_group_id, 'section_1');
    assert.equal(byId['section_1.inner.task_2'].task_group_id, 'section_1.inner');
    assert.equal(byId['section_1.task_3'].task_group_id, 'section_1.flat', 'prefix_group_id: false keeps the parent prefix only');
    assert.equal(byId['section_1.task_1'].retries, 3, "the group's default_args win");
    assert.equal(byId.start.retries, 0);
    assert.deepEqual(byId.start.downstream_task_ids, ['section_1.task_1'], 'start -> the group roots');
    assert.deepEqual(byId.end.upstream_task_ids, ['section_1.inner.task_2', 'section_1.task_3'], 'the group leaves -> end');
    assert.deepEqual(
      dag.task_groups.map((g: { group_id: string; parent_group_id: string | null }) => [g.group_id, g.parent_group_id]),
      [['section_1', null], ['section_1.inner', 'section_1'], ['section_1.flat', 'section_1'], ['pair', null], ['pair__1', null]],
    );
    assert.equal(dag.task_groups[0].tooltip, 'first section');
  });

  test('a DAG with groups runs end to end', async () => {
    const runId = await s.trigger('groups');
    assert.equal(await s.waitForRun('groups', runId, 30_000), 'success');
    const xcom = await s.api('GET', `/api/v2/dags/groups/dagRuns/${runId}/taskInstances/pair__1.double__1/xcomEntries/return_value`);
    assert.equal(xcom.body.value, 8);
  });
});

describe('setup and teardown', () => {
  test('a teardown runs after failed work and the run fails because of the work', async () => {
    const runId = await s.trigger('st_work_fails');
    assert.equal(await s.waitForRun('st_work_fails', runId, 30_000), 'failed');
    assert.deepEqual(await tiStates(s.db, 'st_work_fails', runId), { create: 'success', work: 'failed', remove: 'success' });
  });

  test("a failing teardown does not fail the run, unless on_failure_fail_dagrun", async () => {
    const quiet = await s.trigger('st_teardown_fails');
    assert.equal(await s.waitForRun('st_teardown_fails', quiet, 30_000), 'success');
    assert.equal((await tiStates(s.db, 'st_teardown_fails', quiet)).remove, 'failed');
    const loud = await s.trigger('st_teardown_fails_run');
    assert.equal(await s.waitForRun('st_teardown_fails_run', loud, 30_000), 'failed');
  });

  test('a failed setup leaves its work and teardown upstream_failed', async () => {
    const runId = await s.trigger('st_setup_fails');
    assert.equal(await s.waitForRun('st_setup_fails', runId, 30_000), 'failed');
    assert.deepEqual(await tiStates(s.db, 'st_setup_fails', runId), { create: 'failed', work: 'upstream_failed', remove: 'upstream_failed' });
  });

  test('clearing work clears its setup and teardown too (dry run lists them)', async () => {
    const runId = await s.trigger('st_teardown_fails');
    await s.waitForRun('st_teardown_fails', runId, 30_000);
    const dry = await s.api('POST', '/api/v2/dags/st_teardown_fails/clearTaskInstances', { dry_run: true, task_ids: ['work'], dag_run_id: runId, only_failed: false });
    assert.equal(dry.status, 200, JSON.stringify(dry.body));
    assert.deepEqual(dry.body.task_instances.map((t: { task_id: string }) => t.task_id).sort(), ['create', 'remove', 'work']);
  });

  test('@setup and @teardown TaskFlow tasks', async () => {
    const dag = await serialized('st_decorated');
    const byId = Object.fromEntries(dag.tasks.map((t: { task_id: string }) => [t.task_id, t]));
    assert.equal(byId.make_cluster.is_setup, true);
    assert.equal(byId.drop_cluster.is_teardown, true);
    assert.equal(byId.drop_cluster.trigger_rule, 'all_done_setup_success');
    const runId = await s.trigger('st_decorated');
    assert.equal(await s.waitForRun('st_decorated', runId, 30_000), 'success');
  });
});
