/**
 * BaseOperator: the options every task has (Airflow's names and defaults),
 * default_args handling, and dependency wiring. Subclasses implement
 * execute(context) and list their templated fields.
 */
import type { Context } from './context.ts';
import type { DAG, DefaultArgs } from './dag.ts';
import { getCurrentDag, getCurrentGroup } from './dag-context.ts';
import type { TaskGroup } from './task-group.ts';
import type { Asset } from './assets.ts';
import { expandSourceProblem, findMappingUpstreams, OperatorPartial, type ExpandInput } from './mapping.ts';
import type { Duration } from './duration.ts';
import type { TriggerRule } from './serialized.ts';
import type { WeightRule } from './trigger-rules.ts';
import { XComArg } from './xcomarg.ts';
import { TaskDeferred, type DeferOptions } from './triggers/base.ts';

export type TaskCallback = (context: Context) => unknown;

export interface BaseOperatorOptions {
  task_id: string;
  owner?: string;
  retries?: number;
  retry_delay?: Duration;
  retry_exponential_backoff?: boolean;
  max_retry_delay?: Duration | null;
  execution_timeout?: Duration | null;
  trigger_rule?: TriggerRule;
  depends_on_past?: boolean;
  wait_for_downstream?: boolean;
  pool?: string;
  pool_slots?: number;
  priority_weight?: number;
  weight_rule?: WeightRule;
  queue?: string;
  email?: string | string[] | null;
  email_on_failure?: boolean;
  email_on_retry?: boolean;
  on_execute_callback?: TaskCallback | TaskCallback[] | null;
  on_success_callback?: TaskCallback | TaskCallback[] | null;
  on_failure_callback?: TaskCallback | TaskCallback[] | null;
  on_retry_callback?: TaskCallback | TaskCallback[] | null;
  on_skipped_callback?: TaskCallback | TaskCallback[] | null;
  doc_md?: string | null;
  do_xcom_push?: boolean;
  multiple_outputs?: boolean;
  /** attach to this DAG instead of the one whose build callback is running */
  dag?: DAG | null;
  max_active_tis_per_dag?: number | null;
  /** assets this task updates: a success records an asset event for each */
  outlets?: Asset[] | null;
  inlets?: Asset[] | null;
  /** the group the task belongs to (default: the group whose build is running); null: none */
  task_group?: TaskGroup | null;
}

/** Anything that can stand for a task in a dependency: the task or its output. */
export type DependencyTarget = BaseOperator | XComArg | TaskGroup;

/**
 * Fills options the author did not pass from the target DAG's default_args.
 * Subclasses call it before super() so their own options get defaults too
 * (Airflow applies default_args to every constructor argument).
 */
export function withDefaultArgs<T extends { dag?: DAG | null; task_group?: TaskGroup | null }>(options: T): T {
  const dag = options.dag ?? getCurrentDag();
  const group = options.task_group !== undefined ? options.task_group : getCurrentGroup();
  // a task group's default_args win over the DAG's (Airflow's order)
  const defaults: DefaultArgs = { ...(dag?.default_args ?? {}), ...(group?.default_args ?? {}) };
  const merged: Record<string, unknown> = { ...defaults };
  for (const [key, value] of Object.entries(options)) {
    // An explicit `undefined` means "not given", so it must not hide a default.
    if (value !== undefined) merged[key] = value;
  }
  return merged as T;
}

function toList<T>(value: T | T[]): T[] {
  return Array.isArray(value) ? value : [value];
}

export abstract class BaseOperator {
  /** attribute names the task runner renders as templates before execute() */
  static template_fields: string[] = [];
  /** a templated string ending with one of these is a file to load and render */
  static template_ext: string[] = [];

  task_id: string;
  owner: string;
  retries: number;
  retry_delay: Duration;
  retry_exponential_backoff: boolean;
  max_retry_delay: Duration | null;
  execution_timeout: Duration | null;
  trigger_rule: TriggerRule;
  depends_on_past: boolean;
  wait_for_downstream: boolean;
  pool: string;
  pool_slots: number;
  priority_weight: number;
  weight_rule: WeightRule;
  queue: string;
  email: string | string[] | null;
  email_on_failure: boolean;
  email_on_retry: boolean;
  on_execute_callback: TaskCallback | TaskCallback[] | null;
  on_success_callback: TaskCallback | TaskCallback[] | null;
  on_failure_callback: TaskCallback | TaskCallback[] | null;
  on_retry_callback: TaskCallback | TaskCallback[] | null;
  on_skipped_callback: TaskCallback | TaskCallback[] | null;
  doc_md: string | null;
  do_xcom_push: boolean;
  multiple_outputs: boolean;
  /** partial().expand(): what the task instances map over; null for a normal task */
  expand_input: ExpandInput | null = null;
  /** mapped tasks: at most this many of its task instances run at once in the whole DAG (all runs) */
  max_active_tis_per_dag: number | null;
  outlets: Asset[];
  inlets: Asset[];
  /** the task group it was created in, or null */
  task_group: TaskGroup | null;
  is_setup = false;
  is_teardown = false;
  /** a teardown whose failure fails the run (Airflow's on_failure_fail_dagrun) */
  on_failure_fail_dagrun = false;
  /** per-instance copies, so one task may change them (PythonOperator's templates_exts) */
  template_fields: string[];
  template_ext: string[];

  #dag: DAG | null = null;
  readonly #upstream = new Set<string>();
  readonly #downstream = new Set<string>();

  constructor(options: BaseOperatorOptions) {
    if (typeof options !== 'object' || options === null) {
      throw new TypeError(`${new.target.name} expects an options object with a task_id`);
    }
    const args = withDefaultArgs(options);
    const group = options.task_group !== undefined ? options.task_group : getCurrentGroup();
    // never taken from default_args; prefixed by the group's id ("group.task")
    this.task_id = group && typeof options.task_id === 'string' ? group.childId(options.task_id) : options.task_id;
    this.task_group = group ?? null;
    this.max_active_tis_per_dag = args.max_active_tis_per_dag ?? null;
    this.outlets = args.outlets ?? [];
    this.inlets = args.inlets ?? [];
    this.owner = args.owner ?? 'airflow';
    this.retries = args.retries ?? 0;
    this.retry_delay = args.retry_delay ?? 300;
    this.retry_exponential_backoff = args.retry_exponential_backoff ?? false;
    this.max_retry_delay = args.max_retry_delay ?? null;
    this.execution_timeout = args.execution_timeout ?? null;
    this.trigger_rule = args.trigger_rule ?? 'all_success';
    // Airflow: waiting for the previous run's downstream implies depending on it.
    this.wait_for_downstream = args.wait_for_downstream ?? false;
    this.depends_on_past = (args.depends_on_past ?? false) || this.wait_for_downstream;
    this.pool = args.pool ?? 'default_pool';
    this.pool_slots = args.pool_slots ?? 1;
    this.priority_weight = args.priority_weight ?? 1;
    this.weight_rule = args.weight_rule ?? 'downstream';
    this.queue = args.queue ?? 'default';
    this.email = args.email ?? null;
    this.email_on_failure = args.email_on_failure ?? true;
    this.email_on_retry = args.email_on_retry ?? true;
    this.on_execute_callback = args.on_execute_callback ?? null;
    this.on_success_callback = args.on_success_callback ?? null;
    this.on_failure_callback = args.on_failure_callback ?? null;
    this.on_retry_callback = args.on_retry_callback ?? null;
    this.on_skipped_callback = args.on_skipped_callback ?? null;
    this.doc_md = args.doc_md ?? null;
    this.do_xcom_push = args.do_xcom_push ?? true;
    this.multiple_outputs = args.multiple_outputs ?? false;
    const statics = new.target as unknown as typeof BaseOperator;
    this.template_fields = [...statics.template_fields];
    this.template_ext = [...statics.template_ext];

    const dag = options.dag ?? group?.dag ?? getCurrentDag();
    if (dag) dag.addTask(this);
    group?._addTaskId(this.task_id);
  }

  /**
   * Airflow's `Operator.partial(...)`: fixed arguments now, then `.expand({...})`
   * or `.expand_kwargs([...])` creates the mapped task.
   */
  static partial<O extends { task_id: string }, T extends BaseOperator>(
    this: new (options: O) => T,
    options: Partial<O> & { task_id: string },
  ): OperatorPartial<O, T> {
    return new OperatorPartial(this, options);
  }

  get is_mapped(): boolean {
    return this.expand_input !== null;
  }

  /** Internal: OperatorPartial marks the task mapped and links what it maps over. */
  _setExpandInput(input: ExpandInput): void {
    const sources = input.kind === 'dict' ? Object.values(input.mapped) : [input.source];
    for (const source of sources) {
      const problem = expandSourceProblem(source);
      if (problem) this.dag?.recordProblem(`task '${this.task_id}': ${problem}`);
    }
    this.expand_input = input;
    for (const upstream of findMappingUpstreams(input)) this.setUpstream(upstream);
  }

  /** Sets the mapped arguments of one task instance (the task runner calls it before rendering templates). */
  applyMappedArgs(kwargs: Record<string, unknown>): void {
    Object.assign(this, kwargs);
  }

  /** Marks this task a setup task (Airflow's as_setup()): teardowns run after it even if work fails. */
  as_setup(): this {
    this.is_setup = true;
    return this;
  }

  /**
   * Marks this task a teardown (Airflow's as_teardown()): it runs once its
   * upstream tasks are done whatever their outcome, provided a setup
   * succeeded, and its failure does not fail the run unless
   * on_failure_fail_dagrun. `setups` become its upstream tasks.
   */
  as_teardown(options: { setups?: DependencyTarget | DependencyTarget[]; on_failure_fail_dagrun?: boolean } = {}): this {
    this.is_teardown = true;
    this.trigger_rule = 'all_done_setup_success';
    this.on_failure_fail_dagrun = options.on_failure_fail_dagrun ?? false;
    if (options.setups) {
      for (const setup of Array.isArray(options.setups) ? options.setups : [options.setups]) {
        for (const op of operatorsOf(setup, 'leaves')) op.as_setup();
        this.setUpstream(setup);
      }
    }
    return this;
  }

  /** Does the task's work; the return value becomes the return_value XCom. */
  abstract execute(context: Context): Promise<unknown> | unknown;

  /**
   * Gives the worker slot back until `trigger` fires; the task then resumes in a
   * new process at `this[method_name](context, eventPayload, kwargs)`.
   */
  defer(options: DeferOptions): never {
    throw new TaskDeferred(options);
  }

  /** The class name users see ("BashOperator"). */
  get operator_name(): string {
    return this.constructor.name;
  }

  /** True for EmptyOperator: the scheduler marks it success without running it. */
  get is_empty(): boolean {
    return false;
  }

  /** The operator's own arguments (bash_command …) for display; JSON-safe-ified later. */
  serializeFields(): Record<string, unknown> {
    return {};
  }

  get dag(): DAG | null {
    return this.#dag;
  }

  /** Like Airflow's `task.dag = dag`: attaches the task to the DAG. */
  set dag(dag: DAG | null) {
    if (dag === this.#dag) return;
    if (!dag) throw new TypeError(`task '${this.task_id}' cannot be detached from its DAG`);
    dag.addTask(this);
  }

  get dag_id(): string | null {
    return this.#dag?.dag_id ?? null;
  }

  /** Internal: DAG.addTask calls it so both sides of the link agree. Use `dag` instead. */
  _setDag(dag: DAG): void {
    this.#dag = dag;
  }

  get upstream_task_ids(): string[] {
    return [...this.#upstream].sort();
  }

  get downstream_task_ids(): string[] {
    return [...this.#downstream].sort();
  }

  get upstream_list(): BaseOperator[] {
    return this.upstream_task_ids.flatMap((id) => this.#dag?.getTaskOrNull(id) ?? []);
  }

  get downstream_list(): BaseOperator[] {
    return this.downstream_task_ids.flatMap((id) => this.#dag?.getTaskOrNull(id) ?? []);
  }

  /** XComArg for this task's return value, to pass to other tasks. */
  get output(): XComArg {
    return new XComArg(this);
  }

  /**
   * `a.then(b)` is Airflow's `a >> b` and returns `b` (or the list), so
   * `a.then(b).then(c)` chains.
   */
  then<N extends DependencyTarget | DependencyTarget[]>(target: N): N {
    // Promise machinery calls then(resolve, reject) on any object that has a
    // `then`; fail loudly instead of wiring functions as tasks or hanging.
    if (typeof target === 'function') {
      throw new TypeError(
        `${this} is not awaitable: .then() sets task dependencies. Do not await an operator or XComArg, or return one from an async function.`,
      );
    }
    this.setDownstream(target);
    return target;
  }

  setDownstream(targets: DependencyTarget | DependencyTarget[]): void {
    for (const target of toList(targets)) for (const op of operatorsOf(target, 'roots')) BaseOperator.#link(this, op);
  }

  setUpstream(targets: DependencyTarget | DependencyTarget[]): void {
    for (const target of toList(targets)) for (const op of operatorsOf(target, 'leaves')) BaseOperator.#link(op, this);
  }

  static #link(upstream: BaseOperator, downstream: BaseOperator): void {
    const upDag = upstream.#dag;
    const downDag = downstream.#dag;
    if (upDag && downDag && upDag !== downDag) {
      const problem =
        `task dependency on a task of another DAG: '${upstream.task_id}' (DAG '${upDag.dag_id}') -> ` +
        `'${downstream.task_id}' (DAG '${downDag.dag_id}')`;
      upDag.recordProblem(problem);
      downDag.recordProblem(problem);
      return;
    }
    // A task without a DAG joins the DAG of the task it is related to (Airflow does the same).
    const dag = upDag ?? downDag;
    if (dag && !upDag) dag.addTask(upstream);
    if (dag && !downDag) dag.addTask(downstream);
    upstream.#downstream.add(downstream.task_id);
    downstream.#upstream.add(upstream.task_id);
  }

  toString(): string {
    return `<Task(${this.operator_name}): ${this.task_id}>`;
  }
}

/** The tasks a dependency target stands for: itself, an XComArg's producer, or a group's roots or leaves. */
export function operatorsOf(target: DependencyTarget, side: 'roots' | 'leaves'): BaseOperator[] {
  if (target && typeof (target as TaskGroup).getRoots === 'function') {
    const group = target as TaskGroup;
    return side === 'roots' ? group.getRoots() : group.getLeaves();
  }
  return [toOperator(target)];
}

/** The task behind a dependency target (an XComArg stands for its producer). */
export function toOperator(target: DependencyTarget): BaseOperator {
  if (target instanceof BaseOperator) return target;
  if (target instanceof XComArg) return target.operator;
  throw new TypeError(`Relationships can only be set between operators or XComArgs; received ${String(target)}`);
}
