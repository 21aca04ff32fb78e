/**
 * The context a running task sees (Airflow's "template context"). The server's
 * task runner builds it; the SDK only defines its shape and lets TaskFlow code,
 * which is not handed the context as an argument, fetch it.
 */
import { AsyncLocalStorage } from 'node:async_hooks';
import type { BaseOperator } from './baseoperator.ts';
import type { Connection } from './connection.ts';
import type { DAG } from './dag.ts';
import { AirflowException } from './exceptions.ts';
import type { TaskLogger, XComPullOptions } from './runtime.ts';

export type DagRunType = 'manual' | 'scheduled' | 'backfill' | 'asset_triggered';

export interface DagRunInfo {
  dag_id: string;
  run_id: string;
  run_type: DagRunType;
  logical_date: Date | null;
  data_interval_start: Date | null;
  data_interval_end: Date | null;
  conf: Record<string, unknown>;
  start_date: Date | null;
  /** when the run became due: its logical date, or the trigger time of a run without one (Airflow 3) */
  run_after?: Date;
}

/** The moment a run is "about": its logical date, else when it became due (manual runs may have no logical date). */
export function runMoment(context: { logical_date?: Date | null; dag_run?: { run_after?: Date } }): Date {
  return context.logical_date ?? context.dag_run?.run_after ?? new Date();
}

export interface TaskInstanceInfo {
  dag_id: string;
  task_id: string;
  run_id: string;
  try_number: number;
  map_index: number;
  max_tries?: number;
  xcom_push(key: string, value: unknown): Promise<void>;
  /** A task id (or list) pulls their return_value; options allow key, dag_id … */
  xcom_pull(options?: XComPullOptions | string | string[]): Promise<unknown>;
  log: TaskLogger;
}

/**
 * `context.var`: Airflow's `var` of templates, for code. Reads go through the
 * Execution API, so they are async: `await context.var.value.get('bucket')`,
 * `await context.var.json.get('cfg', {})`. Without a default, a missing
 * Variable throws (Airflow's KeyError).
 */
export interface ContextVariables {
  value: {
    get(key: string): Promise<string>;
    get<D>(key: string, defaultValue: D): Promise<string | D>;
  };
  json: {
    get<T = unknown>(key: string): Promise<T>;
    get<T = unknown, D = T>(key: string, defaultValue: D): Promise<T | D>;
  };
}

/** `context.conn`: `await context.conn.get('my_db')` → Connection (throws when it is not defined). */
export interface ContextConnections {
  get(connId: string): Promise<Connection>;
}

export interface Context {
  dag: DAG;
  task: BaseOperator;
  ti: TaskInstanceInfo;
  task_instance: TaskInstanceInfo;
  dag_run: DagRunInfo;
  run_id: string;
  ds: string;
  ds_nodash: string;
  ts: string;
  ts_nodash: string;
  logical_date: Date | null;
  data_interval_start: Date | null;
  data_interval_end: Date | null;
  prev_data_interval_start_success?: Date | null;
  prev_data_interval_end_success?: Date | null;
  /**
   * Updraft's: the data interval of the scheduled run that follows this one
   * (Airflow's dag.next_dagrun_info(run interval)); null when the schedule has
   * none. LatestOnlyOperator's window.
   */
  next_data_interval?: { start: Date; end: Date } | null;
  params: Record<string, unknown>;
  /** Variables (always set by the task runner; optional only for hand-made contexts) */
  var?: ContextVariables;
  /** Connections (always set by the task runner) */
  conn?: ContextConnections;
  try_number: number;
  log: TaskLogger;
  /** aborted when the task is killed or times out; long work should honour it */
  signal: AbortSignal;
  templates_dict?: Record<string, unknown> | null;
  /** sensors: when the first poke of the first try started (ISO), so reschedules keep the timeout */
  sensor_started_at?: string | null;
  /** sensors: unsuccessful pokes so far across reschedules (exponential backoff continues) */
  sensor_poke_count?: number;
  /** anything else the runner provides (task_instance_key_str, macros, conf …) */
  [key: string]: unknown;
}

// AsyncLocalStorage keeps contexts apart when several tasks run in one
// process (tests, or a runner executing tasks concurrently); the plain
// variable covers runners that just set it once per process.
const storage = new AsyncLocalStorage<Context>();
let processContext: Context | null = null;

/** Sets the context for this process (the task runner calls it before execute). */
export function setCurrentContext(context: Context | null): void {
  processContext = context;
}

/** Runs `fn` with `context` as the current context for everything it awaits. */
export function withCurrentContext<T>(context: Context, fn: () => T): T {
  return storage.run(context, fn);
}

/** The context of the running task; throws outside a task, as Airflow does. */
export function getCurrentContext(): Context {
  const context = storage.getStore() ?? processContext;
  if (!context) {
    throw new AirflowException(
      'Current context was requested but no context was found! Are you running within an Updraft task?',
    );
  }
  return context;
}
