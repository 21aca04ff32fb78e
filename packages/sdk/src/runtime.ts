/**
 * What task code can reach while it runs. The server's task runner installs an
 * implementation (talking HTTP to the Execution API) with setTaskRuntime()
 * before it calls an operator's execute(); task code never opens a database
 * connection itself.
 */

export interface TaskLogger {
  debug(message: string): void;
  info(message: string): void;
  warning(message: string): void;
  error(message: string): void;
}

export interface ConnectionInfo {
  conn_id: string;
  conn_type: string;
  host: string | null;
  schema: string | null;
  login: string | null;
  password: string | null;
  port: number | null;
  extra: string | null;
  /** extra parsed as JSON, {} when empty or not an object */
  extra_dejson: Record<string, unknown>;
}

export interface XComPullOptions {
  /** a single task id returns a single value, a list returns a list (Airflow's rule) */
  task_ids?: string | string[] | null;
  key?: string;
  dag_id?: string | null;
  run_id?: string | null;
  map_indexes?: number | number[] | null;
  include_prior_dates?: boolean;
  default?: unknown;
}

export interface TaskRuntime {
  getVariable(key: string): Promise<string | null>;
  setVariable(key: string, value: string, description?: string | null): Promise<void>;
  getConnection(connId: string): Promise<ConnectionInfo | null>;
  xcomPush(key: string, value: unknown): Promise<void>;
  xcomPull(options: XComPullOptions): Promise<unknown>;
  /**
   * Sets these task instances of the running task's own run to skipped (those
   * downstream of it that have no state yet; others are left alone). The
   * scheduler's trigger rules then settle what depends on them (Airflow's
   * SkipMixin.skip).
   */
  skip(taskIds: string[]): Promise<void>;
  /** Starts a run of another DAG (TriggerDagRunOperator); throws when it exists, unless reset_dag_run. */
  triggerDagRun?(dagId: string, options: { run_id?: string | null; logical_date?: Date | null; conf?: unknown; reset_dag_run?: boolean }): Promise<{ run_id: string; logical_date: string | null }>;
  /** A run's state, by run_id or logical date; run null when there is none. */
  getDagRunState?(dagId: string, by: { run_id?: string; logical_date?: Date }): Promise<{ dag_exists: boolean; run: { run_id: string; state: string } | null }>;
  /** States of tasks (all map indexes) in another run, by task ids or a task group. */
  getTaskStates?(dagId: string, by: { run_id?: string; logical_date?: Date; task_ids?: string[]; task_group_id?: string }): Promise<Record<string, (string | null)[]>>;
  log: TaskLogger;
}

let current: TaskRuntime | null = null;

export function setTaskRuntime(runtime: TaskRuntime | null): void {
  current = runtime;
}

export function getTaskRuntime(): TaskRuntime {
  if (!current) {
    throw new Error(
      'No task is running in this process: Variables, Connections and XCom are only reachable from task code run by Updraft.',
    );
  }
  return current;
}
