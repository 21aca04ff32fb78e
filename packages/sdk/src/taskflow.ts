/**
 * TaskFlow: task(fn) turns a function into a task factory. Calling the factory
 * inside a DAG build creates a _PythonDecoratedOperator and returns an XComArg
 * of its result; XComArg arguments become upstream dependencies and are
 * replaced by their values before fn runs.
 */
import type { BaseOperatorOptions } from './baseoperator.ts';
import type { Context } from './context.ts';
import { getCurrentDag } from './dag-context.ts';
import { DagDefinitionError } from './exceptions.ts';
import { uniqueTaskId } from './ids.ts';
import { FunctionOperator } from './operators/function.ts';
import type { Resolvable, XComArg } from './xcomarg.ts';

export interface TaskOptions extends Omit<BaseOperatorOptions, 'task_id'> {
  /** default: the function's name (made unique within the DAG with __1, __2 …) */
  task_id?: string;
  templates_dict?: Record<string, unknown> | null;
  show_return_value_in_logs?: boolean;
}

/** The operator TaskFlow tasks run as (Airflow's class name, shown in the UI). */
export class _PythonDecoratedOperator extends FunctionOperator {
  // TaskFlow functions get only their own arguments; the context is reachable
  // through getCurrentContext(), which FunctionOperator.execute sets.
  protected override callCallable(opArgs: unknown[], _opKwargs: Record<string, unknown>, _context: Context): unknown {
    return this.python_callable(...opArgs);
  }
}

export type TaskArgs<A extends unknown[]> = { [K in keyof A]: Resolvable<A[K]> };

export interface TaskFunction<A extends unknown[], R> {
  /** Creates the task (in the current DAG) and returns an XComArg of its return value. */
  (...args: TaskArgs<A>): XComArg<R>;
  /** the undecorated function, handy in unit tests */
  readonly function: (...args: A) => unknown;
  readonly options: Readonly<TaskOptions>;
  /** A copy with some options replaced, like Airflow's `my_task.override(task_id=...)`. */
  override(options: TaskOptions): TaskFunction<A, R>;
}

export function task<A extends unknown[], R>(fn: (...args: A) => R, options?: TaskOptions): TaskFunction<A, Awaited<R>>;
export function task(options: TaskOptions): <A extends unknown[], R>(fn: (...args: A) => R) => TaskFunction<A, Awaited<R>>;
export function task(
  fnOrOptions: ((...args: any[]) => unknown) | TaskOptions,
  options: TaskOptions = {},
): TaskFunction<any[], any> | ((fn: (...args: any[]) => unknown) => TaskFunction<any[], any>) {
  if (typeof fnOrOptions === 'function') return makeTaskFunction(fnOrOptions, options);
  // task({ ... })(fn): the spelling of Airflow's @task(multiple_outputs=True).
  return (fn: (...args: any[]) => unknown) => makeTaskFunction(fn, fnOrOptions);
}

function makeTaskFunction(fn: (...args: any[]) => unknown, options: TaskOptions): TaskFunction<any[], any> {
  if (typeof fn !== 'function') throw new TypeError('task() expects a function');
  // Function.prototype.bind names the copy "bound f", which is no valid task_id.
  const defaultId = options.task_id ?? fn.name.replace(/^bound /, '');
  if (!defaultId) {
    throw new DagDefinitionError(
      'task(): the function has no name to use as task_id; pass { task_id } or use a named function',
    );
  }

  const create = (...args: unknown[]): XComArg => {
    const dag = options.dag ?? getCurrentDag();
    const task_id = dag ? uniqueTaskId(defaultId, dag.taskIds) : defaultId;
    const operator = new _PythonDecoratedOperator({ ...options, task_id, python_callable: fn, op_args: args });
    return operator.output;
  };
  return Object.assign(create, {
    function: fn,
    options: Object.freeze({ ...options }),
    override: (overrides: TaskOptions) => makeTaskFunction(fn, { ...options, ...overrides }),
  });
}
