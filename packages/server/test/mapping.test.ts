/**
 * Dynamic task mapping end to end: literal lists, lists pushed upstream,
 * partial() arguments, expand_kwargs, cartesian products, the reduce step
 * receiving every result in map_index order, empty expansions, bad input, and
 * max_active_tis_per_dag.
 */
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { startStandalone, type TestStandalone } from './helpers.ts';

let s: TestStandalone;

async function tis(dagId: string, runId: string) {
  const r = await s.db.pool.query(
    'SELECT task_id, map_index, state, start_date, end_date FROM task_instance WHERE dag_id = $1 AND run_id = $2 ORDER BY task_id, map_index',
    [dagId, runId],
  );
  return r.rows;
}

async function xcom(dagId: string, runId: string, taskId: string, mapIndex = -1) {
  const r = await s.db.pool.query('SELECT value FROM xcom WHERE dag_id = $1 AND run_id = $2 AND task_id = $3 AND map_index = $4 AND key = $5', [dagId, runId, taskId, mapIndex, 'return_value']);
  return r.rows[0]?.value;
}

before(async () => {
  s = await startStandalone();
  s.writeDag(
    'mapping.ts',
    `import { DAG, BashOperator, task, task_group } from '@updraft/sdk';
     new DAG({ dag_id: 'map_literal', schedule: null, start_date: '2024-01-01' }, () => {
       BashOperator.partial({ task_id: 'echo', retries: 0 }).expand({ bash_command: ['echo one', 'echo two', 'echo three'] });
     });
     new DAG({ dag_id: 'map_xcom', schedule: null, start_date: '2024-01-01' }, () => {
       const make = task(function make_numbers() { return [1, 2, 3]; });
       const addOne = task(function add_one(x: number) { return x + 1; });
       const total = task(function total(values: number[]) { return values.reduce((a, b) => a + b, 0); });
       total(addOne.expand(make()));
     });
     new DAG({ dag_id: 'map_partial', schedule: null, start_date: '2024-01-01' }, () => {
       const add = task(function add(args: { x: number; y: number }) { return args.x + args.y; });
       const collect = task(function collect(values: number[]) { return values; });
       collect(add.partial({ y: 10 }).expand({ x: [1, 2] }));
       const pairs = task(function pairs(a: number, b: string) { return a + b; });
       collect.override({ task_id: 'collect_product' })(pairs.partial(7).expand(['a', 'b']));
       BashOperator.partial({ task_id: 'kw' }).expand_kwargs([
         { bash_command: 'echo "$WORD"', env: { WORD: 'first' } },
         { bash_command: 'echo "$WORD"', env: { WORD: 'second' } },
       ]);
       const cross = task(function cross(args: { x: number; y: number }) { return args.x * args.y; });
       cross.expand({ x: [1, 2], y: [10, 20] });
     });
     new DAG({ dag_id: 'map_empty', schedule: null, start_date: '2024-01-01' }, () => {
       const none = task(function nothing() { return []; });
       const each = task(function each(x: number) { return x; });
       const after = task(function after_each(values: number[]) { return values.length; });
       after(each.expand(none()));
     });
     new DAG({ dag_id: 'map_not_a_list', schedule: null, start_date: '2024-01-01' }, () => {
       const scalar = task(function scalar() { return 42; });
       const each = task(function each(x: number) { return x; });
       each.expand(scalar());
     });
     new DAG({ dag_id: 'map_group', schedule: null, start_date: '2024-01-01' }, () => {
       const make = task(function make_list() { return [1, 2, 3]; });
       const plusOne = task(function plus_one(x: number) { return x + 1; });
       const check = task(function check(x: number) { if (x === 3) throw new Error('three is bad'); return x * 10; });
       const pipeline = task_group(function pipeline(x: number) { return check(plusOne(x)); });
       const total = task(function total(values: number[]) { return values; }, { trigger_rule: 'all_done' });
       total(pipeline.expand(make()));
       const literal = task_group(function literal(args: { word: string }) {
         new BashOperator({ task_id: 'say', bash_command: 'echo "$WORD"', env: { WORD: args.word } }).then(new BashOperator({ task_id: 'again', bash_command: 'echo again' }));
       });
       literal.expand({ word: ['hi', 'there'] });
     });
     new DAG({ dag_id: 'map_limited', schedule: null, start_date: '2024-01-01' }, () => {
       BashOperator.partial({ task_id: 'slow', max_active_tis_per_dag: 1 }).expand({ bash_command: ['sleep 0.3', 'sleep 0.3', 'sleep 0.3'] });
     });`,
  );
  s.writeDag(
    'map_bad.ts',
    `import { DAG, BashOperator } from '@updraft/sdk';
     new DAG({ dag_id: 'map_bad_literal', schedule: null, start_date: '2024-01-01' }, () => {
       BashOperator.partial({ task_id: 'echo' }).expand({ bash_command: 'echo not a list' as unknown as string[] });
     });`,
  );
  for (const id of ['map_literal', 'map_xcom', 'map_partial', 'map_empty', 'map_not_a_list', 'map_limited', 'map_group']) await s.waitForDag(id);
});

after(async () => {
  await s?.close();
});

describe('dynamic task mapping', () => {
  test('over a literal list: one task instance per element, each with its own log', async () => {
    const runId = await s.trigger('map_literal');
    assert.equal(await s.waitForRun('map_literal', runId, 30_000), 'success');
    const rows = await tis('map_literal', runId);
    assert.deepEqual(rows.map((r) => [r.map_index, r.state]), [[0, 'success'], [1, 'success'], [2, 'success']]);
    const logFile = path.join(s.config.str('logging', 'base_log_folder'), 'dag_id=map_literal', `run_id=${runId}`, 'task_id=echo', 'map_index=1', 'attempt=1.log');
    assert.match(fs.readFileSync(logFile, 'utf8'), /two/);
    assert.equal(await xcom('map_literal', runId, 'echo', 2), 'three');
  });

  test('over an upstream XCom, and the reduce step gets every result in order', async () => {
    const runId = await s.trigger('map_xcom');
    assert.equal(await s.waitForRun('map_xcom', runId, 30_000), 'success');
    const rows = await tis('map_xcom', runId);
    assert.deepEqual(rows.filter((r) => r.task_id === 'add_one').map((r) => r.map_index), [0, 1, 2]);
    assert.equal(await xcom('map_xcom', runId, 'total'), 9);
    const pulled = await s.api('GET', `/api/v2/dags/map_xcom/dagRuns/${runId}/taskInstances/add_one/xcomEntries/return_value?map_index=2`);
    assert.equal(pulled.body.value, 4);
  });

  test('partial() arguments, expand_kwargs and the product of several lists', async () => {
    const runId = await s.trigger('map_partial');
    assert.equal(await s.waitForRun('map_partial', runId, 30_000), 'success');
    assert.deepEqual(await xcom('map_partial', runId, 'collect'), [11, 12]);
    assert.deepEqual(await xcom('map_partial', runId, 'collect_product'), ['7a', '7b']);
    assert.equal(await xcom('map_partial', runId, 'kw', 1), 'second');
    const cross = await Promise.all([0, 1, 2, 3].map((i) => xcom('map_partial', runId, 'cross', i)));
    assert.deepEqual(cross, [10, 20, 20, 40], 'x varies slowest, as in Airflow');
  });

  test('an empty expansion is skipped, and so is what needs it', async () => {
    const runId = await s.trigger('map_empty');
    assert.equal(await s.waitForRun('map_empty', runId, 30_000), 'success');
    const rows = await tis('map_empty', runId);
    assert.deepEqual(rows.map((r) => [r.task_id, r.map_index, r.state]), [['after_each', -1, 'skipped'], ['each', -1, 'skipped'], ['nothing', -1, 'success']]);
  });

  test('mapping over something that is not a list fails the task with the reason in its log', async () => {
    const runId = await s.trigger('map_not_a_list');
    assert.equal(await s.waitForRun('map_not_a_list', runId, 30_000), 'failed');
    const logFile = path.join(s.config.str('logging', 'base_log_folder'), 'dag_id=map_not_a_list', `run_id=${runId}`, 'task_id=each', 'attempt=1.log');
    assert.match(fs.readFileSync(logFile, 'utf8'), /Cannot expand mapped task 'each' of DAG 'map_not_a_list': XCom 'return_value' of task 'scalar' is 42: expand\(\) needs a list or a dict/);
  });

  test('a literal that is not a list is a parse error naming the DAG and the task', async () => {
    let errors: { filename: string; stack_trace: string }[] = [];
    const deadline = Date.now() + 20_000;
    while (Date.now() < deadline) {
      errors = (await s.api('GET', '/api/v2/importErrors')).body.import_errors;
      if (errors.some((e) => e.filename.endsWith('map_bad.ts'))) break;
      await new Promise((r) => setTimeout(r, 100));
    }
    const error = errors.find((e) => e.filename.endsWith('map_bad.ts'));
    assert.ok(error, 'import error recorded');
    assert.match(error.stack_trace, /map_bad_literal[\s\S]*task 'echo': expand\(\) needs a list, a dict or an XComArg to map over, got "echo not a list"/);
  });

  test('a mapped task group: each instance runs its own chain, a failure stays in its instance', async () => {
    const runId = await s.trigger('map_group');
    // the leaves decide: total (all_done) succeeds after the failed instance
    assert.equal(await s.waitForRun('map_group', runId, 60_000), 'success');
    const rows = await tis('map_group', runId);
    const state = (taskId: string) => rows.filter((r) => r.task_id === taskId).map((r) => [r.map_index, r.state]);
    assert.deepEqual(state('pipeline.plus_one'), [[0, 'success'], [1, 'success'], [2, 'success']]);
    // x+1 === 3 only for the second element: that instance's check fails, the others go on
    assert.deepEqual(state('pipeline.check'), [[0, 'success'], [1, 'failed'], [2, 'success']]);
    assert.deepEqual(await Promise.all([0, 2].map((i) => xcom('map_group', runId, 'pipeline.check', i))), [20, 40], 'each check got its own plus_one value');
    assert.deepEqual(state('literal.say'), [[0, 'success'], [1, 'success']]);
    assert.deepEqual(state('literal.again'), [[0, 'success'], [1, 'success']]);
    assert.equal(await xcom('map_group', runId, 'literal.say', 1), 'there');
    assert.deepEqual(await xcom('map_group', runId, 'total'), [20, 40], 'the reduce step gets the values that exist');
  });

  test('max_active_tis_per_dag runs the mapped instances one at a time', async () => {
    const runId = await s.trigger('map_limited');
    assert.equal(await s.waitForRun('map_limited', runId, 30_000), 'success');
    const rows = (await tis('map_limited', runId)).sort((a, b) => a.start_date - b.start_date);
    assert.equal(rows.length, 3);
    for (let i = 1; i < rows.length; i++) assert.ok(rows[i].start_date >= rows[i - 1].end_date, 'no two ran at once');
  });
});
