/**
 * Branching and skipping end to end: real task processes call the Execution
 * API's skip-downstream route, and the scheduler's trigger rules propagate the
 * skips, as Airflow's do.
 */
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { EXAMPLES_FOLDER } from '../src/dag-processing/processor.ts';
import { startStandalone, type TestStandalone, tiStates, waitFor } from './helpers.ts';

let s: TestStandalone;

before(async () => {
  s = await startStandalone();
  s.writeDag(
    'branching.ts',
    `import { DAG, BranchPythonOperator, EmptyOperator } from '@updraft/sdk';
     export default new DAG({ dag_id: 'branching', schedule: null, start_date: '2024-01-01' }, () => {
       // follows whatever the run's conf names: an id, a list, null or an unknown id
       const pick = new BranchPythonOperator({ task_id: 'pick', python_callable: (ctx) => ctx.dag_run.conf.follow ?? null });
       const [a, b, c] = ['a', 'b', 'c'].map((id) => new EmptyOperator({ task_id: id }));
       const join = new EmptyOperator({ task_id: 'join', trigger_rule: 'none_failed_min_one_success' });
       pick.then([a, b, c]);
       b.then(new EmptyOperator({ task_id: 'after_b' }));
       [a, b, c].forEach((t) => t.then(join));
     });`,
  );
  s.writeDag(
    'short_circuit.ts',
    `import { DAG, ShortCircuitOperator, EmptyOperator } from '@updraft/sdk';
     for (const ignore of [true, false]) {
       new DAG({ dag_id: 'short_circuit_' + ignore, schedule: null, start_date: '2024-01-01' }, () => {
         const cond = new ShortCircuitOperator({ task_id: 'cond', python_callable: () => [], ignore_downstream_trigger_rules: ignore });
         const other = new EmptyOperator({ task_id: 'other' });
         const a = new EmptyOperator({ task_id: 'a' });
         const tail = new EmptyOperator({ task_id: 'tail', trigger_rule: 'all_done' });
         cond.then(a).then(tail);
         other.then(tail);
       });
     }`,
  );
  // three daily runs caught up: only the last one's successor interval contains now
  const today = new Date();
  today.setUTCHours(0, 0, 0, 0);
  const start = new Date(today.getTime() - 3 * 86_400_000).toISOString();
  s.writeDag(
    'latest.ts',
    `import { DAG, LatestOnlyOperator, EmptyOperator } from '@updraft/sdk';
     for (const catchup of [false, true]) {
       new DAG({ dag_id: catchup ? 'latest_catchup' : 'latest_manual', schedule: catchup ? '@daily' : null, start_date: '${start}',
                 catchup, is_paused_upon_creation: !catchup }, () => {
         new LatestOnlyOperator({ task_id: 'latest_only' }).then(new EmptyOperator({ task_id: 'after' }));
       });
     }`,
  );
  for (const name of ['example_branch_operator', 'example_short_circuit_operator', 'example_latest_only_with_trigger']) {
    fs.copyFileSync(path.join(EXAMPLES_FOLDER, `${name}.ts`), path.join(s.dagsFolder, `${name}.ts`));
  }
  await Promise.all(
    ['branching', 'short_circuit_true', 'short_circuit_false', 'latest_manual', 'latest_catchup', 'example_branch_operator', 'example_short_circuit_operator', 'example_latest_only_with_trigger'].map((d) =>
      s.waitForDag(d, 30_000),
    ),
  );
});
after(async () => {
  await s?.close();
});

const trigger = (dagId: string, body: Record<string, unknown> = {}) => s.trigger(dagId, body);

async function finish(dagId: string, conf: Record<string, unknown> = {}, runId?: string) {
  // runs triggered in the same millisecond would get the same generated id
  runId = await trigger(dagId, runId ? { conf, dag_run_id: runId } : { conf });
  const state = await s.waitForRun(dagId, runId);
  return { runId, state, tis: await tiStates(s.db, dagId, runId) };
}

describe('branching', () => {
  test('a branch follows one id, a list, or none; an unknown id fails the branch task', async () => {
    const [one, list, none, unknown] = await Promise.all([
      finish('branching', { follow: 'a' }, 'one'),
      finish('branching', { follow: ['a', 'b'] }, 'list'),
      finish('branching', { follow: null }, 'none'),
      finish('branching', { follow: 'nope' }, 'unknown'),
    ]);
    assert.equal(one.state, 'success');
    assert.deepEqual(one.tis, { pick: 'success', a: 'success', b: 'skipped', c: 'skipped', after_b: 'skipped', join: 'success' });
    assert.equal(list.state, 'success');
    assert.deepEqual(list.tis, { pick: 'success', a: 'success', b: 'success', c: 'skipped', after_b: 'success', join: 'success' });
    assert.equal(none.state, 'success');
    assert.deepEqual(none.tis, { pick: 'success', a: 'skipped', b: 'skipped', c: 'skipped', after_b: 'skipped', join: 'skipped' });
    assert.equal(unknown.state, 'failed');
    assert.deepEqual(unknown.tis, { pick: 'failed', a: 'upstream_failed', b: 'upstream_failed', c: 'upstream_failed', after_b: 'upstream_failed', join: 'upstream_failed' });
    const log = fs.readFileSync(path.join(s.config.str('logging', 'base_log_folder'), `dag_id=branching/run_id=${unknown.runId}/task_id=pick/attempt=1.log`), 'utf8');
    assert.match(log, /Branch task 'pick' of DAG 'branching' returned task id 'nope'/);
  });

  test('short-circuit skips every downstream task, or only the direct ones without ignore_downstream_trigger_rules', async () => {
    const [ignoring, honouring] = await Promise.all([finish('short_circuit_true'), finish('short_circuit_false')]);
    assert.equal(ignoring.state, 'success');
    assert.deepEqual(ignoring.tis, { cond: 'success', other: 'success', a: 'skipped', tail: 'skipped' });
    assert.equal(honouring.state, 'success');
    assert.deepEqual(honouring.tis, { cond: 'success', other: 'success', a: 'skipped', tail: 'success' });
  });

  test('latest-only lets manual runs and the latest scheduled run through, and skips older scheduled runs', async () => {
    const manual = await finish('latest_manual');
    assert.deepEqual(manual.tis, { latest_only: 'success', after: 'success' });

    let runs: { run_id: string; run_type: string; state: string; data_interval_end: Date }[] = [];
    await waitFor(
      async () => {
        runs = (await s.db.pool.query("SELECT run_id, run_type, state, data_interval_end FROM dag_run WHERE dag_id = 'latest_catchup' ORDER BY data_interval_end")).rows;
        return runs.length === 3 && runs.every((r) => r.state === 'success' || r.state === 'failed');
      },
      30_000,
      'three caught-up runs of latest_catchup',
    );
    const states = await Promise.all(runs.map((r) => tiStates(s.db, 'latest_catchup', r.run_id)));
    assert.deepEqual(runs.map((r) => [r.run_type, r.state]), [['scheduled', 'success'], ['scheduled', 'success'], ['scheduled', 'success']]);
    assert.deepEqual(states, [
      { latest_only: 'success', after: 'skipped' },
      { latest_only: 'success', after: 'skipped' },
      { latest_only: 'success', after: 'success' },
    ]);
  });
});

describe('branching examples', () => {
  test('example_branch_operator follows one random branch to join', async () => {
    const { runId, state, tis } = await finish('example_branch_operator');
    assert.equal(state, 'success');
    const xcom = await s.db.pool.query("SELECT value FROM xcom WHERE dag_id = 'example_branch_operator' AND run_id = $1 AND task_id = 'branching'", [runId]);
    const chosen = xcom.rows[0].value as string;
    const expected: Record<string, string> = { run_this_first: 'success', branching: 'success', join: 'success' };
    for (const o of ['a', 'b', 'c', 'd']) {
      const followed = `branch_${o}` === chosen;
      expected[`branch_${o}`] = followed ? 'success' : 'skipped';
      expected[`follow_branch_${o}`] = followed ? 'success' : 'skipped';
    }
    assert.deepEqual(tis, expected);
  });

  test('example_short_circuit_operator', async () => {
    const { state, tis } = await finish('example_short_circuit_operator');
    assert.equal(state, 'success');
    assert.deepEqual(tis, {
      condition_is_true: 'success',
      true_1: 'success',
      true_2: 'success',
      condition_is_false: 'success',
      false_1: 'skipped',
      false_2: 'skipped',
      task_1: 'success',
      task_2: 'success',
      short_circuit: 'success',
      task_3: 'success',
      task_4: 'skipped',
      task_5: 'success',
      task_6: 'skipped',
      task_7: 'success',
    });
  });

  test('example_latest_only_with_trigger on a manual run', async () => {
    const { state, tis } = await finish('example_latest_only_with_trigger');
    assert.equal(state, 'success');
    assert.deepEqual(tis, { latest_only: 'success', task1: 'success', task2: 'success', task3: 'success', task4: 'success' });
  });
});
