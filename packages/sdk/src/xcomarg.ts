/**
 * XComArg: a reference to an XCom another task will push, usable at parse time
 * as if it were the value. Passing one to a task makes that task downstream of
 * the producer; at run time it is replaced by the pulled value.
 */
import type { BaseOperator, DependencyTarget } from './baseoperator.ts';
import { getTaskRuntime } from './runtime.ts';

export const XCOM_RETURN_KEY = 'return_value';

/** The mapped task group instance the running task belongs to (set by the task runner). */
let mappedScope: { groupId: string; mapIndex: number } | null = null;

export function setMappedScope(scope: { groupId: string; mapIndex: number } | null): void {
  mappedScope = scope;
}

export class XComArg<T = any> {
  readonly operator: BaseOperator;
  readonly key: string;

  constructor(operator: BaseOperator, key: string = XCOM_RETURN_KEY) {
    this.operator = operator;
    this.key = key;
  }

  /** The XCom pushed under `key` (multiple_outputs tasks push each returned key). */
  get<K extends string>(key: K): XComArg<T extends Record<K, infer V> ? V : any> {
    return new XComArg(this.operator, key);
  }

  /** Same as get(key): reads like Airflow's `task_output["key"]`. */
  output<K extends string>(key: K): XComArg<T extends Record<K, infer V> ? V : any> {
    return this.get(key);
  }

  /** Makes the producing task upstream of `target`; returns `target` for chaining. */
  then<N extends DependencyTarget | DependencyTarget[]>(target: N): N {
    return this.operator.then(target);
  }

  setDownstream(target: DependencyTarget | DependencyTarget[]): void {
    this.operator.setDownstream(target);
  }

  setUpstream(target: DependencyTarget | DependencyTarget[]): void {
    this.operator.setUpstream(target);
  }

  /**
   * Pulls the value for the running task instance's DAG run. Inside a mapped
   * task group, a group-mate's value is the one of the same map_index.
   */
  async resolve(): Promise<T> {
    const sameGroup = mappedScope !== null && this.operator.task_group?.mappedGroup?.group_id === mappedScope.groupId;
    return (await getTaskRuntime().xcomPull({ task_ids: this.operator.task_id, key: this.key, ...(sameGroup ? { map_indexes: mappedScope!.mapIndex } : {}) })) as T;
  }

  /**
   * The Jinja expression that pulls this value, so an XComArg interpolated in
   * a templated string (`${op.output}`) renders to the value, as in Airflow.
   */
  toString(): string {
    const args = [`task_ids='${this.operator.task_id}'`];
    const dagId = this.operator.dag?.dag_id;
    if (dagId) args.push(`dag_id='${dagId}'`);
    args.push(`key='${this.key}'`);
    return `{{ task_instance.xcom_pull(${args.join(', ')}) }}`;
  }

  toJSON(): string {
    return this.toString();
  }
}

/** A value, or an XComArg that will produce it, possibly nested in arrays/objects. */
export type Resolvable<T> =
  | T
  | XComArg<T>
  | (T extends readonly unknown[]
      ? { [K in keyof T]: Resolvable<T[K]> }
      : T extends Record<string, unknown>
        ? { [K in keyof T]: Resolvable<T[K]> }
        : never);

function isPlainObject(value: unknown): value is Record<string, unknown> {
  if (typeof value !== 'object' || value === null) return false;
  const proto = Object.getPrototypeOf(value);
  return proto === Object.prototype || proto === null;
}

/** Every XComArg inside `value` (arrays and plain objects are searched). */
export function findXComArgs(value: unknown, found: XComArg[] = [], seen = new Set<object>()): XComArg[] {
  if (value instanceof XComArg) {
    found.push(value);
  } else if ((Array.isArray(value) || isPlainObject(value)) && !seen.has(value)) {
    seen.add(value);
    for (const item of Object.values(value)) findXComArgs(item, found, seen);
  }
  return found;
}

/** A copy of `value` with every XComArg replaced by its pulled value. */
export async function resolveXComArgs<T>(value: T): Promise<T> {
  if (value instanceof XComArg) return (await value.resolve()) as T;
  if (Array.isArray(value)) return (await Promise.all(value.map((item) => resolveXComArgs(item)))) as T;
  if (isPlainObject(value)) {
    const entries = await Promise.all(
      Object.entries(value).map(async ([key, item]) => [key, await resolveXComArgs(item)] as const),
    );
    return Object.fromEntries(entries) as T;
  }
  return value;
}
