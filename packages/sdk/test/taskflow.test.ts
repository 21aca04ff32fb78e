import assert from 'node:assert/strict';
import { afterEach, beforeEach, describe, it } from 'node:test';
import {
  AirflowException,
  DAG,
  EmptyOperator,
  FunctionOperator,
  PythonOperator,
  XComArg,
  _PythonDecoratedOperator,
  getCurrentContext,
  resetDagRegistry,
  runOperator,
  setCurrentContext,
  setTaskRuntime,
  task,
  type Context,
} from '@updraft/sdk';
import { MemoryRuntime, makeContext } from './helpers.ts';

let runtime: MemoryRuntime;
beforeEach(() => {
  resetDagRegistry();
  runtime = new MemoryRuntime();
  setTaskRuntime(runtime);
});
afterEach(() => {
  setTaskRuntime(null);
  setCurrentContext(null);
});

describe('TaskFlow task()', () => {
  it('creates a _PythonDecoratedOperator named after the function and returns its XComArg', () => {
    const d = new DAG({ dag_id: 'tf' }, () => {
      const extract = task(function extract() {
        return 1;
      });
      const out = extract();
      assert.ok(out instanceof XComArg);
      assert.equal(out.key, 'return_value');
      assert.ok(out.operator instanceof _PythonDecoratedOperator);
      assert.equal(out.operator.task_id, 'extract');
    });
    assert.deepEqual(d.taskIds, ['extract']);
  });

  it('de-duplicates task ids on reuse with __1, __2 like Airflow', () => {
    const d = new DAG({ dag_id: 'dedup' }, () => {
      const step = task(function step() {});
      step();
      step();
      step();
      const named = task(() => {}, { task_id: 'named' });
      named();
      named();
      named.override({ task_id: 'other' })();
    });
    assert.deepEqual(d.taskIds, ['step', 'step__1', 'step__2', 'named', 'named__1', 'other']);
  });

  it('continues after the highest existing suffix', () => {
    const d = new DAG({ dag_id: 'suffix' }, () => {
      new EmptyOperator({ task_id: 'x__5' });
      new EmptyOperator({ task_id: 'x' });
      task(function x() {})();
    });
    assert.deepEqual(d.taskIds, ['x__5', 'x', 'x__6']);
  });

  it('requires a task_id for anonymous functions', () => {
    assert.throws(() => task(() => {}), /has no name/);
  });

  it('turns XComArg arguments (also nested) into upstream dependencies', () => {
    const d = new DAG({ dag_id: 'deps' }, () => {
      const a = task(function a() {
        return 1;
      });
      const b = task(function b() {
        return { k: 2 };
      }, { multiple_outputs: true });
      const c = new EmptyOperator({ task_id: 'c' });
      const combine = task(function combine(_x: number, _y: { nested: number[] }, _z: string) {});
      const bOut = b();
      combine(a(), { nested: [bOut.get('k')] }, c.output);
    });
    assert.deepEqual(d.getTask('combine').upstream_task_ids, ['a', 'b', 'c']);
  });

  it('accepts task(options)(fn) and exposes the plain function', () => {
    const fn = function double(n: number) {
      return n * 2;
    };
    const double = task({ retries: 2, multiple_outputs: false })(fn);
    assert.equal(double.function, fn);
    const d = new DAG({ dag_id: 'factory' }, () => double(3));
    assert.equal(d.getTask('double').retries, 2);
  });

  it('checks argument types at compile time', () => {
    new DAG({ dag_id: 'types' }, () => {
      const num = task(function num() {
        return 1;
      });
      const str = task(function str(s: string) {
        return s;
      });
      // @ts-expect-error a number XCom is not a string argument
      str(num());
      str('literal');
      str(new EmptyOperator({ task_id: 'op' }).output);
    });
  });
});

describe('executing TaskFlow and FunctionOperator tasks', () => {
  it('resolves XComArgs through the TaskRuntime before calling the function', async () => {
    let received: unknown[] = [];
    let seenContext: Context | null = null;
    const d = new DAG({ dag_id: 'run' }, () => {
      const extract = task(function extract() {
        return { total: 0 };
      });
      const load = task(function load(...args: unknown[]) {
        received = args;
        seenContext = getCurrentContext();
        return 'loaded';
      });
      load(extract(), { nested: [extract.override({ task_id: 'other' })().get('total')] }, 'plain');
    });
    runtime.xcoms.set('extract|return_value', { total: 42 });
    runtime.xcoms.set('other|total', 7);

    const loadTask = d.getTask('load');
    const context = makeContext(loadTask, runtime);
    assert.equal(await loadTask.execute(context), 'loaded');
    assert.deepEqual(received, [{ total: 42 }, { nested: [7] }, 'plain']);
    assert.equal(seenContext, context);
    assert.deepEqual(runtime.pulls, [
      { task_ids: 'extract', key: 'return_value' },
      { task_ids: 'other', key: 'total' },
    ]);
  });

  it('runOperator pushes return_value, and each key for multiple_outputs', async () => {
    const d = new DAG({ dag_id: 'push' }, () => {
      task(function many() {
        return { a: 1, b: [2] };
      }, { multiple_outputs: true })();
      task(function none() {})();
      task(function quiet() {
        return 'x';
      }, { do_xcom_push: false })();
      task(function bad() {
        return 5;
      }, { multiple_outputs: true })();
    });
    await runOperator(d.getTask('many'), makeContext(d.getTask('many'), runtime));
    await runOperator(d.getTask('none'), makeContext(d.getTask('none'), runtime));
    await runOperator(d.getTask('quiet'), makeContext(d.getTask('quiet'), runtime));
    assert.deepEqual(Object.fromEntries(runtime.xcoms), { 'many|a': 1, 'many|b': [2], 'many|return_value': { a: 1, b: [2] } });
    await assert.rejects(runOperator(d.getTask('bad'), makeContext(d.getTask('bad'), runtime)), /expected object for multiple_outputs/);
  });

  it('FunctionOperator calls python_callable(...op_args, {...context, ...op_kwargs})', async () => {
    let call: unknown[] = [];
    const d = new DAG({ dag_id: 'fn' }, () => {
      const up = new EmptyOperator({ task_id: 'up' });
      new FunctionOperator({
        task_id: 'fn',
        python_callable: (...args: unknown[]) => {
          call = args;
          return 'done';
        },
        op_args: [1, up.output],
        op_kwargs: { extra: 'x', ds: 'overridden' },
        templates_dict: { query: 'SELECT 1' },
      });
    });
    runtime.xcoms.set('up|return_value', 'from up');
    const fn = d.getTask('fn');
    assert.deepEqual(fn.upstream_task_ids, ['up']);
    const context = makeContext(fn, runtime);
    assert.equal(await fn.execute(context), 'done');
    assert.equal(call.length, 3);
    assert.deepEqual(call.slice(0, 2), [1, 'from up']);
    const kwargs = call[2] as Context;
    assert.equal(kwargs.extra, 'x');
    assert.equal(kwargs.ds, 'overridden');
    assert.equal(kwargs.run_id, context.run_id);
    assert.deepEqual(kwargs.templates_dict, { query: 'SELECT 1' });
    assert.ok(runtime.log.lines.includes('Done. Returned value was: done'));
  });

  it('PythonOperator is a FunctionOperator shown under its Airflow name', () => {
    const d = new DAG({ dag_id: 'py' }, () => new PythonOperator({ task_id: 'p', python_callable: () => {}, templates_exts: ['.sql'] }));
    const p = d.getTask('p');
    assert.ok(p instanceof FunctionOperator);
    assert.equal(p.operator_name, 'PythonOperator');
    assert.deepEqual(p.template_ext, ['.sql']);
  });

  it('propagates errors thrown by the function', async () => {
    const d = new DAG({ dag_id: 'err' }, () => {
      task(function fails() {
        throw new AirflowException('nope');
      })();
    });
    await assert.rejects(Promise.resolve(d.getTask('fails').execute(makeContext(d.getTask('fails'), runtime))), /nope/);
  });
});

describe('getCurrentContext', () => {
  it('throws outside a task, like Airflow', () => {
    assert.throws(() => getCurrentContext(), /no context was found/);
  });

  it('returns the context set by the runner', () => {
    const d = new DAG({ dag_id: 'ctx' }, () => new EmptyOperator({ task_id: 'a' }));
    const context = makeContext(d.getTask('a'), runtime);
    setCurrentContext(context);
    assert.equal(getCurrentContext(), context);
  });
});
