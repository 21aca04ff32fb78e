/**
 * TaskFlow: task(fn) turns a function into a task factory. Calling the factory
 * inside a DAG build creates a _PythonDecoratedOperator and returns an XComArg
 * of its result; XComArg arguments become upstream dependencies and are
 * replaced by their values before fn runs.
 */
import type { BaseOperator, BaseOperatorOptions } from './baseoperator.ts';
import type { Context } from './context.ts';
import { getCurrentDag, getCurrentGroup } from './dag-context.ts';
import { DagDefinitionError } from './exceptions.ts';
import { uniqueTaskId } from './ids.ts';
import { BranchPythonOperator } from './operators/branch.ts';
import { FunctionOperator, type FunctionOperatorOptions } from './operators/function.ts';
import { ShortCircuitOperator, type ShortCircuitOperatorOptions } from './operators/short-circuit.ts';
import type { BaseSensorOptions, PokeResult } from './sensors/base.ts';
import { _DecoratedSensorOperator } from './sensors/decorated.ts';
import { XComArg as XComArgClass, type Resolvable, type XComArg } from './xcomarg.ts';
import type { ExpandInput, ExpandSource } from './mapping.ts';

export interface TaskOptions extends Omit<BaseOperatorOptions, 'task_id'> {
  /** default: the function's name (made unique within the DAG with __1, __2 …) */
  task_id?: string;
  templates_dict?: Record<string, unknown> | null;
  show_return_value_in_logs?: boolean;
}

/** The expand() key that stands for "the next positional argument" of a TaskFlow function. */
const POSITIONAL = '__arg__';

/** The operator TaskFlow tasks run as (Airflow's class name, shown in the UI). */
export class _PythonDecoratedOperator extends FunctionOperator {
  // mapped TaskFlow tasks: the element is the next positional argument, or
  // merged into the single object argument
  override applyMappedArgs(kwargs: Record<string, unknown>): void {
    if (POSITIONAL in kwargs) {
      this.op_args = [...this.op_args, kwargs[POSITIONAL]];
      return;
    }
    const [first, ...rest] = this.op_args;
    const base = typeof first === 'object' && first !== null && !Array.isArray(first) ? first : {};
    this.op_args = [{ ...base, ...kwargs }, ...rest];
  }

  // TaskFlow functions get only their own arguments; the context is reachable
  // through getCurrentContext(), which FunctionOperator.execute sets.
  protected override callCallable(opArgs: unknown[], _opKwargs: Record<string, unknown>, _context: Context): unknown {
    return this.python_callable(...opArgs);
  }
}

/** What task.branch creates (Airflow's @task.branch). */
export class _BranchPythonDecoratedOperator extends BranchPythonOperator {
  protected override callCallable(opArgs: unknown[], _opKwargs: Record<string, unknown>, _context: Context): unknown {
    return this.python_callable(...opArgs);
  }
}

/** What task.short_circuit creates (Airflow's @task.short_circuit). */
export class _ShortCircuitDecoratedOperator extends ShortCircuitOperator {
  protected override callCallable(opArgs: unknown[], _opKwargs: Record<string, unknown>, _context: Context): unknown {
    return this.python_callable(...opArgs);
  }
}

export interface ShortCircuitTaskOptions extends TaskOptions {
  /** true (default): a falsy result skips every downstream task; false: only the direct ones */
  ignore_downstream_trigger_rules?: boolean;
}

type OperatorClass = new (options: FunctionOperatorOptions & ShortCircuitOperatorOptions) => BaseOperator;

export type TaskArgs<A extends unknown[]> = { [K in keyof A]: Resolvable<A[K]> };

export interface TaskFunction<A extends unknown[], R> {
  /** Creates the task (in the current DAG) and returns an XComArg of its return value. */
  (...args: TaskArgs<A>): XComArg<R>;
  /** the undecorated function, handy in unit tests */
  readonly function: (...args: A) => unknown;
  readonly options: Readonly<TaskOptions>;
  /** A copy with some options replaced, like Airflow's `my_task.override(task_id=...)`. */
  override(options: TaskOptions): TaskFunction<A, R>;
  /**
   * Dynamic mapping: one task instance per element. A list (or XComArg of
   * one) maps the next positional argument; an object of lists maps the
   * properties of a single object argument. Returns the XComArg of all results.
   */
  expand(source: ExpandSource): XComArg<R[]>;
  /** Each element is the single object argument of one task instance. */
  expand_kwargs(source: readonly Record<string, unknown>[] | XComArg): XComArg<R[]>;
  /** Fixed leading arguments (or the fixed part of the object argument) before expand(). */
  partial(...args: unknown[]): { expand(source: ExpandSource): XComArg<R[]>; expand_kwargs(source: readonly Record<string, unknown>[] | XComArg): XComArg<R[]> };
}

function taskFn<A extends unknown[], R>(fn: (...args: A) => R, options?: TaskOptions): TaskFunction<A, Awaited<R>>;
function taskFn(options: TaskOptions): <A extends unknown[], R>(fn: (...args: A) => R) => TaskFunction<A, Awaited<R>>;
function taskFn(
  fnOrOptions: ((...args: any[]) => unknown) | TaskOptions,
  options: TaskOptions = {},
): TaskFunction<any[], any> | ((fn: (...args: any[]) => unknown) => TaskFunction<any[], any>) {
  if (typeof fnOrOptions === 'function') return makeTaskFunction(fnOrOptions, options);
  // task({ ... })(fn): the spelling of Airflow's @task(multiple_outputs=True).
  return (fn: (...args: any[]) => unknown) => makeTaskFunction(fn, fnOrOptions);
}

/** A function whose result is the task id(s) to follow; other direct downstream tasks are skipped. */
function branch<A extends unknown[], R extends string | string[] | null | undefined | Promise<string | string[] | null | undefined>>(
  fn: (...args: A) => R,
  options: TaskOptions = {},
): TaskFunction<A, Awaited<R>> {
  return makeTaskFunction(fn as (...args: any[]) => unknown, options, _BranchPythonDecoratedOperator);
}

/** A function whose falsy result skips downstream tasks (see ignore_downstream_trigger_rules). */
function shortCircuit<A extends unknown[], R>(fn: (...args: A) => R, options: ShortCircuitTaskOptions = {}): TaskFunction<A, Awaited<R>> {
  return makeTaskFunction(fn as (...args: any[]) => unknown, options, _ShortCircuitDecoratedOperator);
}

export interface SensorTaskOptions extends TaskOptions, Omit<BaseSensorOptions, 'task_id'> {}

/** A function that pokes: true (or a PokeReturnValue with is_done) when the condition holds. */
function sensor<A extends unknown[]>(fn: (...args: A) => PokeResult | Promise<PokeResult>, options: SensorTaskOptions = {}): TaskFunction<A, unknown> {
  return makeTaskFunction(fn as (...args: any[]) => unknown, options, _DecoratedSensorOperator as unknown as OperatorClass);
}

/** Airflow's @setup: a TaskFlow task marked as a setup task. */
export function setup<A extends unknown[], R>(fn: (...args: A) => R, options: TaskOptions = {}): TaskFunction<A, Awaited<R>> {
  return makeTaskFunction(fn as (...args: any[]) => unknown, options, _PythonDecoratedOperator, (op) => op.as_setup());
}

/** Airflow's @teardown: a TaskFlow task marked as a teardown task. */
export function teardown<A extends unknown[], R>(
  fn: (...args: A) => R,
  options: TaskOptions & { on_failure_fail_dagrun?: boolean } = {},
): TaskFunction<A, Awaited<R>> {
  const { on_failure_fail_dagrun, ...rest } = options;
  return makeTaskFunction(fn as (...args: any[]) => unknown, rest, _PythonDecoratedOperator, (op) => op.as_teardown({ on_failure_fail_dagrun }));
}

/**
 * `task(fn)` is Airflow's `@task`; `task.branch(fn)` and
 * `task.short_circuit(fn)` are `@task.branch` and `@task.short_circuit`.
 */
export const task = Object.assign(taskFn, { branch, short_circuit: shortCircuit, sensor });

function makeTaskFunction(
  fn: (...args: any[]) => unknown,
  options: TaskOptions,
  Operator: OperatorClass = _PythonDecoratedOperator,
  configure?: (operator: BaseOperator) => void,
): TaskFunction<any[], any> {
  if (typeof fn !== 'function') throw new TypeError('task() expects a function');
  // Function.prototype.bind names the copy "bound f", which is no valid task_id.
  const defaultId = options.task_id ?? fn.name.replace(/^bound /, '');
  if (!defaultId) {
    throw new DagDefinitionError(
      'task(): the function has no name to use as task_id; pass { task_id } or use a named function',
    );
  }

  const create = (...args: unknown[]): XComArg => {
    const group = options.task_group !== undefined ? options.task_group : getCurrentGroup();
    const dag = options.dag ?? group?.dag ?? getCurrentDag();
    // unique among the DAG's ids as the group will prefix it: extract, extract__1 …
    const wanted = group ? group.childId(defaultId) : defaultId;
    const task_id = dag ? uniqueTaskId(wanted, dag.taskIds).slice(wanted.length - defaultId.length) : defaultId;
    const operator = new Operator({ ...options, task_id, python_callable: fn, op_args: args });
    configure?.(operator);
    return operator.output;
  };
  const mapped = (fixed: unknown[], input: ExpandInput): XComArg => {
    const output = create(...fixed);
    output.operator._setExpandInput(input);
    return output;
  };
  const expandOf = (fixed: unknown[]) => ({
    expand: (source: ExpandSource) =>
      mapped(fixed, Array.isArray(source) || source instanceof XComArgClass ? { kind: 'dict', mapped: { [POSITIONAL]: source } } : { kind: 'dict', mapped: source as Record<string, ExpandSource> }),
    expand_kwargs: (source: readonly Record<string, unknown>[] | XComArg) => mapped(fixed, { kind: 'list', source }),
  });
  return Object.assign(create, {
    function: fn,
    options: Object.freeze({ ...options }),
    override: (overrides: TaskOptions) => makeTaskFunction(fn, { ...options, ...overrides }, Operator, configure),
    ...expandOf([]),
    partial: (...fixed: unknown[]) => expandOf(fixed),
  });
}
