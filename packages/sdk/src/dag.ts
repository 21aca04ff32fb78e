/**
 * The DAG class: holds DAG-level options (normalized once, problems recorded
 * rather than thrown so the final error can name the file), the tasks, and the
 * `build` callback that plays the role of Airflow's `with DAG(...) as dag:`.
 */
import type { AccessControl } from './access-control.ts';
import type { BaseOperator, BaseOperatorOptions } from './baseoperator.ts';
import type { Context } from './context.ts';
import { parseDagDate, isValidTimezone } from './dates.ts';
import { popCurrentDag, pushCurrentDag, registerDag } from './dag-context.ts';
import type { Duration } from './duration.ts';
import { AirflowNotFoundException, DagDefinitionError } from './exceptions.ts';
import { idProblem } from './ids.ts';
import { Param, toParam } from './params.ts';
import { normalizeSchedule, type ScheduleArg } from './schedule.ts';
import type { SerializedSchedule } from './serialized.ts';
import type { TaskGroup } from './task-group.ts';

export type DagCallback = (context: Context) => unknown;

/** Options applied to every operator of the DAG unless the operator sets them. */
export type DefaultArgs = Partial<Omit<BaseOperatorOptions, 'task_id' | 'dag'>> & {
  /** used as the DAG's start_date/end_date when the DAG does not set its own */
  start_date?: Date | string;
  end_date?: Date | string;
  [option: string]: unknown;
};

export interface DagOptions {
  dag_id: string;
  description?: string | null;
  /** cron, preset (@daily …), duration ({hours: 1} or seconds) or null for manual runs only */
  schedule?: ScheduleArg;
  /** Date, or ISO string; without an offset it is wall-clock time in `timezone` */
  start_date?: Date | string | null;
  end_date?: Date | string | null;
  catchup?: boolean;
  /** IANA name; default 'UTC' */
  timezone?: string;
  default_args?: DefaultArgs;
  tags?: string[];
  params?: Record<string, unknown>;
  max_active_runs?: number | null;
  max_active_tasks?: number | null;
  dagrun_timeout?: Duration | null;
  doc_md?: string | null;
  is_paused_upon_creation?: boolean | null;
  render_template_as_native_obj?: boolean;
  template_searchpath?: string | string[] | null;
  on_success_callback?: DagCallback | DagCallback[] | null;
  on_failure_callback?: DagCallback | DagCallback[] | null;
  /** what custom roles may do on this DAG: `{ team_a: ['can_read'] }` or `{ team_a: { DAGs: [...], 'DAG Runs': [...] } }` */
  access_control?: AccessControl | null;
}

export class DAG {
  readonly dag_id: string;
  description: string | null;
  /** normalized: presets become cron, durations seconds */
  readonly schedule: SerializedSchedule;
  /** the schedule as the author wrote it, for display */
  readonly schedule_text: string | null;
  readonly timezone: string;
  readonly start_date: Date | null;
  readonly end_date: Date | null;
  catchup: boolean;
  readonly default_args: DefaultArgs;
  tags: string[];
  readonly params: Record<string, Param>;
  max_active_runs: number | null;
  max_active_tasks: number | null;
  dagrun_timeout: Duration | null;
  doc_md: string | null;
  is_paused_upon_creation: boolean | null;
  render_template_as_native_obj: boolean;
  template_searchpath: string[];
  on_success_callback: DagCallback | DagCallback[] | null;
  on_failure_callback: DagCallback | DagCallback[] | null;
  /** checked when the DAG is serialized, since authors may set it after construction */
  access_control: AccessControl | null;

  readonly #tasks = new Map<string, BaseOperator>();

  readonly #taskGroups: TaskGroup[] = [];
  /** problems found while building; reported (with the file name) by serializeDag */
  readonly #problems = new Set<string>();

  constructor(options: DagOptions, build?: (dag: DAG) => void) {
    if (typeof options !== 'object' || options === null || typeof options.dag_id !== 'string') {
      throw new DagDefinitionError('a DAG needs an options object with a dag_id string');
    }
    this.dag_id = options.dag_id;
    const idIssue = idProblem('dag_id', options.dag_id);
    if (idIssue) this.recordProblem(idIssue);

    this.description = options.description ?? null;
    this.default_args = { ...(options.default_args ?? {}) };

    this.timezone = options.timezone ?? 'UTC';
    const timezoneValid = isValidTimezone(this.timezone);
    if (!timezoneValid) this.recordProblem(`unknown timezone '${this.timezone}'`);
    // Dates still get parsed (in UTC) so one bad option does not hide others.
    const zone = timezoneValid ? this.timezone : 'UTC';
    this.start_date = this.#parseDate('start_date', options.start_date ?? this.default_args.start_date ?? null, zone);
    this.end_date = this.#parseDate('end_date', options.end_date ?? this.default_args.end_date ?? null, zone);
    if (this.start_date && this.end_date && this.end_date < this.start_date) {
      this.recordProblem('end_date is earlier than start_date');
    }

    let schedule: SerializedSchedule = { kind: 'none' };
    let scheduleText: string | null = null;
    try {
      ({ schedule, schedule_text: scheduleText } = normalizeSchedule(options.schedule));
    } catch (error) {
      this.recordProblem((error as Error).message);
    }
    this.schedule = schedule;
    this.schedule_text = scheduleText;

    this.catchup = options.catchup ?? false;
    this.tags = [...(options.tags ?? [])];
    this.params = Object.fromEntries(Object.entries(options.params ?? {}).map(([name, value]) => [name, toParam(value)]));
    this.max_active_runs = options.max_active_runs ?? null;
    this.max_active_tasks = options.max_active_tasks ?? null;
    this.dagrun_timeout = options.dagrun_timeout ?? null;
    this.doc_md = options.doc_md ?? null;
    this.is_paused_upon_creation = options.is_paused_upon_creation ?? null;
    this.render_template_as_native_obj = options.render_template_as_native_obj ?? false;
    const searchpath = options.template_searchpath ?? [];
    this.template_searchpath = typeof searchpath === 'string' ? [searchpath] : [...searchpath];
    this.on_success_callback = options.on_success_callback ?? null;
    this.on_failure_callback = options.on_failure_callback ?? null;
    this.access_control = options.access_control ?? null;

    registerDag(this);
    if (build) this.build(build);
  }

  #parseDate(name: string, value: Date | string | null, timezone: string): Date | null {
    if (value === null) return null;
    try {
      return parseDagDate(value, timezone);
    } catch (error) {
      this.recordProblem(`invalid ${name} ${JSON.stringify(value)}: ${(error as Error).message}`);
      return null;
    }
  }

  /**
   * Runs `fn` with this DAG as the current DAG, so operators created inside
   * attach to it. The constructor's second argument does the same; calling it
   * again later adds more tasks, like re-entering `with dag:`.
   */
  build(fn: (dag: DAG) => void): this {
    pushCurrentDag(this);
    try {
      const result: unknown = fn(this);
      // Awaiting would let other code run while this DAG is "current".
      if (result instanceof Promise) {
        throw new DagDefinitionError(`DAG '${this.dag_id}': the build callback must be synchronous (it returned a Promise)`);
      }
    } finally {
      popCurrentDag(this);
    }
    return this;
  }

  addTask(task: BaseOperator): void {
    const owner = task.dag;
    if (owner && owner !== this) {
      this.recordProblem(`task '${task.task_id}' already belongs to DAG '${owner.dag_id}'`);
      return;
    }
    const existing = this.#tasks.get(task.task_id);
    if (existing && existing !== task) {
      this.recordProblem(`duplicate task_id '${task.task_id}'`);
    } else {
      this.#tasks.set(task.task_id, task);
    }
    task._setDag(this);
  }

  /** Internal: a TaskGroup created for this DAG registers itself. */
  addTaskGroup(group: TaskGroup): void {
    if (this.#taskGroups.some((g) => g.group_id === group.group_id)) this.recordProblem(`duplicate task group id '${group.group_id}'`);
    else if (this.#tasks.has(group.group_id)) this.recordProblem(`task group id '${group.group_id}' is also a task_id`);
    else this.#taskGroups.push(group);
  }

  /** Task groups, parents before children. */
  get task_groups(): TaskGroup[] {
    return [...this.#taskGroups];
  }

  addTasks(tasks: BaseOperator[]): void {
    for (const task of tasks) this.addTask(task);
  }

  /** Tasks in the order they were added. */
  get tasks(): BaseOperator[] {
    return [...this.#tasks.values()];
  }

  get taskIds(): string[] {
    return [...this.#tasks.keys()];
  }

  hasTask(taskId: string): boolean {
    return this.#tasks.has(taskId);
  }

  getTask(taskId: string): BaseOperator {
    const task = this.#tasks.get(taskId);
    if (!task) throw new AirflowNotFoundException(`Task ${taskId} not found in DAG '${this.dag_id}'`);
    return task;
  }

  getTaskOrNull(taskId: string): BaseOperator | null {
    return this.#tasks.get(taskId) ?? null;
  }

  /** Tasks without upstream tasks. */
  get roots(): BaseOperator[] {
    return this.tasks.filter((task) => task.upstream_task_ids.length === 0);
  }

  /** Tasks without downstream tasks. */
  get leaves(): BaseOperator[] {
    return this.tasks.filter((task) => task.downstream_task_ids.length === 0);
  }

  /** Notes a definition problem; serializeDag turns them into a DagDefinitionError. */
  recordProblem(problem: string): void {
    this.#problems.add(problem);
  }

  get recordedProblems(): string[] {
    return [...this.#problems];
  }

  toString(): string {
    return `<DAG: ${this.dag_id}>`;
  }
}

/** Functional spelling of `new DAG(options, build)`. */
export function dag(options: DagOptions, build?: (dag: DAG) => void): DAG {
  return new DAG(options, build);
}
