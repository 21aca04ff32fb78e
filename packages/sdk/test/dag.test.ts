import assert from 'node:assert/strict';
import { beforeEach, describe, it } from 'node:test';
import {
  BashOperator,
  DAG,
  EmptyOperator,
  Param,
  collectDags,
  dag,
  getCurrentDag,
  resetDagRegistry,
  serializeDag,
} from '@updraft/sdk';

beforeEach(() => resetDagRegistry());

describe('building DAGs', () => {
  it('attaches operators created in the build callback (with-DAG style)', () => {
    const d = new DAG({ dag_id: 'x', schedule: '@daily', start_date: '2021-01-01' }, (inner) => {
      assert.equal(inner.dag_id, 'x');
      assert.equal(getCurrentDag(), inner);
      const a = new BashOperator({ task_id: 'a', bash_command: 'echo hi' });
      const b = new EmptyOperator({ task_id: 'b' });
      a.then(b);
    });
    assert.equal(getCurrentDag(), null);
    assert.deepEqual(d.taskIds, ['a', 'b']);
    assert.equal(d.getTask('a').dag, d);
    assert.deepEqual(d.getTask('b').upstream_task_ids, ['a']);
    assert.deepEqual(d.tasks.map(String), ['<Task(BashOperator): a>', '<Task(EmptyOperator): b>']);
  });

  it('attaches operators given an explicit dag option (no callback style)', () => {
    const d = dag({ dag_id: 'explicit' });
    const a = new EmptyOperator({ task_id: 'a', dag: d });
    const loose = new EmptyOperator({ task_id: 'loose' });
    assert.equal(a.dag, d);
    assert.equal(loose.dag, null);
    // relating a DAG-less task to a DAG's task pulls it into that DAG, as in Airflow
    a.then(loose);
    assert.equal(loose.dag, d);
    assert.deepEqual(d.taskIds, ['a', 'loose']);
  });

  it('build() can be called again to add tasks, and nested DAGs keep their own tasks', () => {
    const outer = new DAG({ dag_id: 'outer' }, () => {
      new EmptyOperator({ task_id: 'o1' });
      new DAG({ dag_id: 'inner' }, () => new EmptyOperator({ task_id: 'i1' }));
      new EmptyOperator({ task_id: 'o2' });
    });
    outer.build(() => new EmptyOperator({ task_id: 'o3' }));
    assert.deepEqual(outer.taskIds, ['o1', 'o2', 'o3']);
    const inner = collectDags().find((d) => d.dag_id === 'inner')!;
    assert.deepEqual(inner.taskIds, ['i1']);
  });

  it('pops the current DAG even when the build callback throws', () => {
    assert.throws(() => new DAG({ dag_id: 'boom' }, () => {
      throw new Error('boom');
    }), /boom/);
    assert.equal(getCurrentDag(), null);
  });

  it('rejects async build callbacks', () => {
    assert.throws(() => new DAG({ dag_id: 'async_build' }, async () => {}), /must be synchronous/);
  });

  it('records every DAG in the registry until reset', () => {
    new DAG({ dag_id: 'one' });
    dag({ dag_id: 'two' });
    assert.deepEqual(collectDags().map((d) => d.dag_id), ['one', 'two']);
    resetDagRegistry();
    assert.deepEqual(collectDags(), []);
  });

  it('getTask throws for unknown ids; hasTask does not', () => {
    const d = new DAG({ dag_id: 'lookup' }, () => new EmptyOperator({ task_id: 'a' }));
    assert.equal(d.hasTask('nope'), false);
    assert.throws(() => d.getTask('nope'), /Task nope not found/);
  });

  it('exposes roots and leaves', () => {
    const d = new DAG({ dag_id: 'shape' }, () => {
      const a = new EmptyOperator({ task_id: 'a' });
      a.then([new EmptyOperator({ task_id: 'b' }), new EmptyOperator({ task_id: 'c' })]);
    });
    assert.deepEqual(d.roots.map((t) => t.task_id), ['a']);
    assert.deepEqual(d.leaves.map((t) => t.task_id), ['b', 'c']);
  });

  it('normalizes params to Param objects', () => {
    const d = new DAG({ dag_id: 'p', params: { plain: 1, rich: new Param(5, { type: 'integer', minimum: 1 }) } });
    assert.ok(d.params.plain instanceof Param);
    assert.equal(d.params.plain.value, 1);
    assert.equal(d.params.rich.validate(0), '0 is less than the minimum of 1');
    assert.equal(d.params.rich.validate(3), null);
  });
});

describe('default_args', () => {
  it('fills options the operator did not set; operator options win; built-in defaults last', () => {
    const d = new DAG(
      {
        dag_id: 'defaults',
        default_args: { owner: 'data', retries: 3, retry_delay: { minutes: 1 }, queue: 'q1', env: { A: '1' } },
      },
      () => {
        new BashOperator({ task_id: 'inherits', bash_command: 'true' });
        new BashOperator({ task_id: 'overrides', bash_command: 'true', retries: 0, owner: 'me', env: { B: '2' } });
        new BashOperator({ task_id: 'undefined_is_not_set', bash_command: 'true', retries: undefined });
      },
    );
    const inherits = d.getTask('inherits') as BashOperator;
    assert.equal(inherits.owner, 'data');
    assert.equal(inherits.retries, 3);
    assert.deepEqual(inherits.retry_delay, { minutes: 1 });
    assert.equal(inherits.queue, 'q1');
    assert.equal(inherits.pool, 'default_pool');
    assert.deepEqual(inherits.env, { A: '1' }, 'subclass options take default_args too');

    const overrides = d.getTask('overrides') as BashOperator;
    assert.equal(overrides.retries, 0);
    assert.equal(overrides.owner, 'me');
    assert.deepEqual(overrides.env, { B: '2' });

    assert.equal(d.getTask('undefined_is_not_set').retries, 3);

    const s = serializeDag(d, 'dags/defaults.ts');
    assert.equal(s.tasks[0].retry_delay_seconds, 60);
    assert.deepEqual(s.owners, ['data', 'me']);
    assert.deepEqual(s.default_args, { owner: 'data', retries: 3, retry_delay: 60, queue: 'q1', env: { A: '1' } });
  });

  it('applies to operators attached with the dag option too', () => {
    const d = new DAG({ dag_id: 'explicit_defaults', default_args: { retries: 2 } });
    assert.equal(new EmptyOperator({ task_id: 'a', dag: d }).retries, 2);
  });

  it('uses default_args.start_date when the DAG has none', () => {
    const d = new DAG({ dag_id: 'start_from_defaults', default_args: { start_date: '2022-03-04' } });
    assert.equal(d.start_date?.toISOString(), '2022-03-04T00:00:00.000Z');
  });

  it('uses the built-in Airflow defaults without default_args', () => {
    const d = new DAG({ dag_id: 'builtin' }, () => new EmptyOperator({ task_id: 'a' }));
    const a = d.getTask('a');
    assert.equal(a.owner, 'airflow');
    assert.equal(a.retries, 0);
    assert.equal(a.retry_delay, 300);
    assert.equal(a.trigger_rule, 'all_success');
    assert.equal(a.pool_slots, 1);
    assert.equal(a.weight_rule, 'downstream');
    assert.equal(a.do_xcom_push, true);
  });
});
