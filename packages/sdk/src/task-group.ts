/**
 * Task groups (Airflow's TaskGroup and @task_group): tasks created inside a
 * group get ids prefixed by the group's ("extract.load"), take the group's
 * default_args over the DAG's, and show as one collapsible node in the UI. A
 * group is also a dependency target: `group.then(t)` links the group's leaves
 * to t, `t.then(group)` links t to the group's roots.
 */
import type { BaseOperator, DependencyTarget } from './baseoperator.ts';
import type { DAG, DefaultArgs } from './dag.ts';
import { getCurrentDag, getCurrentGroup, popCurrentGroup, pushCurrentGroup } from './dag-context.ts';
import { DagDefinitionError } from './exceptions.ts';
import { idProblem, uniqueTaskId } from './ids.ts';
import { expandSourceProblem, MappedArgument, POSITIONAL_KEY, type ExpandInput, type ExpandSource } from './mapping.ts';
import { XComArg } from './xcomarg.ts';

export interface TaskGroupOptions {
  group_id: string;
  /** prefix the ids of tasks and groups inside with this group's id (default true) */
  prefix_group_id?: boolean;
  tooltip?: string | null;
  /** applied to the tasks inside, over the DAG's (and the parent group's) */
  default_args?: DefaultArgs;
  parent_group?: TaskGroup | null;
  dag?: DAG | null;
}

export class TaskGroup {
  /** full id, with the parent groups' prefix ("outer.inner") */
  readonly group_id: string;
  /** the id as written */
  readonly label: string;
  readonly prefix_group_id: boolean;
  readonly tooltip: string | null;
  readonly default_args: DefaultArgs;
  readonly parent_group: TaskGroup | null;
  readonly dag: DAG | null;
  readonly #taskIds = new Set<string>();
  /** a mapped task group (task_group(fn).expand(...)): what its instances map over */
  expand_input: ExpandInput | null = null;

  constructor(options: TaskGroupOptions, build?: (group: TaskGroup) => void) {
    if (typeof options !== 'object' || options === null) throw new TypeError('TaskGroup expects an options object with a group_id');
    this.parent_group = options.parent_group !== undefined ? options.parent_group : getCurrentGroup();
    this.dag = options.dag ?? this.parent_group?.dag ?? getCurrentDag();
    this.label = options.group_id;
    const problem = idProblem('task_id', options.group_id);
    if (problem) throw new DagDefinitionError(`TaskGroup: ${problem.replace('task_id', 'group_id')}`);
    this.group_id = this.parent_group ? this.parent_group.childId(options.group_id) : options.group_id;
    this.prefix_group_id = options.prefix_group_id ?? true;
    this.tooltip = options.tooltip ?? null;
    this.default_args = { ...(this.parent_group?.default_args ?? {}), ...(options.default_args ?? {}) };
    this.dag?.addTaskGroup(this);
    if (build) this.build(build);
  }

  /** Runs `build` with this group current: tasks created inside belong to it. */
  build<R>(build: (group: TaskGroup) => R): R {
    pushCurrentGroup(this);
    try {
      return build(this);
    } finally {
      popCurrentGroup(this);
    }
  }

  /** The mapped task group this group is or is inside of, or null. */
  get mappedGroup(): TaskGroup | null {
    return this.expand_input ? this : (this.parent_group?.mappedGroup ?? null);
  }

  /** The id a task or group called `label` gets inside this group. */
  childId(label: string): string {
    if (this.prefix_group_id) return `${this.group_id}.${label}`;
    // without a prefix of its own, the parents' prefix still applies (Airflow's rule)
    return this.parent_group ? this.parent_group.childId(label) : label;
  }

  /** Internal: BaseOperator registers itself with its group (and the group's parents). */
  _addTaskId(taskId: string): void {
    this.#taskIds.add(taskId);
    this.parent_group?._addTaskId(taskId);
  }

  /** Tasks in this group and its nested groups. */
  get tasks(): BaseOperator[] {
    return [...this.#taskIds].flatMap((id) => this.dag?.getTaskOrNull(id) ?? []);
  }

  /** Tasks of the group none of whose upstream tasks is in the group. */
  getRoots(): BaseOperator[] {
    return this.tasks.filter((t) => !t.upstream_task_ids.some((id) => this.#taskIds.has(id)));
  }

  /** Tasks of the group none of whose downstream tasks is in the group (teardowns give way to what they tear down). */
  getLeaves(): BaseOperator[] {
    const inGroup = (id: string) => this.#taskIds.has(id);
    const leaves = this.tasks.filter((t) => !t.downstream_task_ids.some(inGroup));
    const work = leaves.flatMap((t) => (t.is_teardown ? t.upstream_list.filter((u) => inGroup(u.task_id) && !u.is_setup) : [t]));
    return [...new Set(work.length ? work : leaves)];
  }

  then<N extends DependencyTarget | DependencyTarget[]>(target: N): N {
    this.setDownstream(target);
    return target;
  }

  setDownstream(targets: DependencyTarget | DependencyTarget[]): void {
    for (const leaf of this.getLeaves()) leaf.setDownstream(targets);
  }

  setUpstream(targets: DependencyTarget | DependencyTarget[]): void {
    for (const root of this.getRoots()) root.setUpstream(targets);
  }

  toString(): string {
    return `<TaskGroup: ${this.group_id}>`;
  }
}

export function isTaskGroup(value: unknown): value is TaskGroup {
  return value instanceof TaskGroup;
}

export type TaskGroupFunction<A extends unknown[], R> = ((...args: A) => R extends undefined | void ? TaskGroup : R) & {
  /**
   * A mapped task group: one instance of the whole group per element. The
   * function gets a placeholder (per key for an object of lists) that each
   * task instance replaces with its element; group-mates pass values map_index
   * to map_index.
   */
  expand(source: ExpandSource): R extends undefined | void ? TaskGroup : R;
  /** Fixed leading arguments before expand(). */
  partial(...args: unknown[]): { expand(source: ExpandSource): R extends undefined | void ? TaskGroup : R };
};

/**
 * Airflow's @task_group: calling the function creates a group (id: the
 * function's name, made unique with __1, __2 … when called again) and runs
 * the function inside it. Returns what the function returns, or the group.
 */
export function taskGroup<A extends unknown[], R>(fn: (...args: A) => R, options?: Partial<TaskGroupOptions>): TaskGroupFunction<A, R>;
export function taskGroup(options: Partial<TaskGroupOptions>): <A extends unknown[], R>(fn: (...args: A) => R) => TaskGroupFunction<A, R>;
export function taskGroup(fnOrOptions: ((...args: any[]) => unknown) | Partial<TaskGroupOptions>, options: Partial<TaskGroupOptions> = {}): any {
  if (typeof fnOrOptions !== 'function') return (fn: (...args: any[]) => unknown) => taskGroup(fn, fnOrOptions);
  const fn = fnOrOptions;
  const label = options.group_id ?? fn.name;
  if (!label) throw new DagDefinitionError('task_group(): the function has no name to use as group_id; pass { group_id }');
  const newGroup = () => {
    const parent = options.parent_group !== undefined ? options.parent_group : getCurrentGroup();
    const dag = options.dag ?? parent?.dag ?? getCurrentDag();
    const taken = dag ? dag.task_groups.map((g) => g.group_id) : [];
    const wanted = parent ? parent.childId(label) : label;
    // the same group called again gets label__1, label__2 … (after the parents' prefix)
    const group_id = uniqueTaskId(wanted, taken).slice(wanted.length - label.length);
    return new TaskGroup({ ...options, group_id, parent_group: parent, dag });
  };
  const call = (...args: unknown[]) => {
    const group = newGroup();
    const result = group.build(() => fn(...args));
    return result === undefined ? group : result;
  };
  const expandWith = (fixed: unknown[]) => (source: ExpandSource) => {
    const group = newGroup();
    const problem = expandSourceProblem(source);
    if (problem) group.dag?.recordProblem(`task group '${group.group_id}': ${problem}`);
    const positional = Array.isArray(source) || source instanceof XComArg;
    group.expand_input = { kind: 'dict', mapped: positional ? { [POSITIONAL_KEY]: source } : (source as Record<string, ExpandSource>) };
    const placeholder = positional
      ? new MappedArgument(POSITIONAL_KEY)
      : Object.fromEntries(Object.keys(source as object).map((k) => [k, new MappedArgument(k)]));
    const result = group.build(() => fn(...fixed, placeholder));
    // what the group maps over comes first
    if (source instanceof XComArg) for (const root of group.getRoots()) root.setUpstream(source);
    // the group's returned XComArg gives downstream tasks every instance's value, in map_index order
    return result === undefined ? group : result;
  };
  return Object.assign(call, { expand: expandWith([]), partial: (...fixed: unknown[]) => ({ expand: expandWith(fixed) }) });
}
