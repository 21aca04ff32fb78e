/**
 * What a DAG callback is handed: Airflow's DAG-callback context (dag, dag_run
 * with its final state, run_id, reason, the task instance the run ended on,
 * params and the date names). Built in the callback process from a job the
 * runner prepared from the database, so user code never reads the database.
 */
import { Connection, type Context, type DAG, type TaskLogger, type TaskRuntime, Variable } from '@updraft/sdk';
import { macros } from '../task-runner/macros.ts';
import { isoformat, strftime } from '../task-runner/py-values.ts';
import { resolveParams } from '../task-runner/task-context.ts';

/** Everything the callback process needs, as JSON (sent over IPC). */
export interface CallbackJob {
  /** dag: a DAG's callback; task: a failed try's callback and alert email (see requests.ts) */
  kind: 'dag' | 'task';
  request_id: number;
  dag_file: string;
  log_path: string;
  callback: 'on_success_callback' | 'on_failure_callback' | 'on_retry_callback';
  /** dag: a DagCallbackReason; task: why the try failed */
  reason: string;
  /** task: send the email_on_failure / email_on_retry alert too */
  send_alert: boolean;
  dag_run_conf_overrides_params: boolean;
  /** Variables, Connections and XCom reads go through the Execution API with this token (never the database) */
  execution: { api_url: string; token: string };
  dag_run: {
    dag_id: string;
    run_id: string;
    run_type: string;
    state: string;
    logical_date: string | null;
    data_interval_start: string | null;
    data_interval_end: string | null;
    run_after: string;
    start_date: string | null;
    end_date: string | null;
    conf: Record<string, unknown>;
  };
  ti: {
    task_id: string;
    map_index: number;
    try_number: number;
    max_tries: number;
    state: string | null;
    start_date: string | null;
    end_date: string | null;
  } | null;
}

function toDate(s: string | null): Date | null {
  return s ? new Date(s) : null;
}

/**
 * `runtime`: the Execution API access of the callback process (null without
 * one); it backs context.var, context.conn and ti.xcom_pull as in a task.
 */
export function buildDagCallbackContext(dag: DAG, job: CallbackJob, log: TaskLogger, runtime: TaskRuntime | null): Context {
  const run = job.dag_run;
  const logical = toDate(run.logical_date) ?? new Date(run.run_after);
  const ds = strftime(logical, '%Y-%m-%d');
  const dagRun = {
    ...run,
    logical_date: toDate(run.logical_date),
    data_interval_start: toDate(run.data_interval_start),
    data_interval_end: toDate(run.data_interval_end),
    run_after: new Date(run.run_after),
    start_date: toDate(run.start_date),
    end_date: toDate(run.end_date),
  };
  const ti = job.ti
    ? {
        dag_id: run.dag_id,
        run_id: run.run_id,
        ...job.ti,
        start_date: toDate(job.ti.start_date),
        end_date: toDate(job.ti.end_date),
        log,
        xcom_pull: (options?: unknown) => {
          if (!runtime) throw new Error('XCom is not reachable from this DAG callback (no Execution API access)');
          const query = typeof options === 'string' || Array.isArray(options) ? { task_ids: options } : (options ?? {});
          return runtime.xcomPull(query as Parameters<TaskRuntime['xcomPull']>[0]);
        },
      }
    : null;
  const context: Record<string, unknown> = {
    dag,
    dag_run: dagRun,
    run_id: run.run_id,
    reason: job.reason,
    task_instance: ti,
    ti,
    task: job.ti ? dag.getTaskOrNull(job.ti.task_id) : null,
    params: resolveParams(dag, run.conf, job.dag_run_conf_overrides_params),
    conf: run.conf,
    logical_date: toDate(run.logical_date),
    data_interval_start: dagRun.data_interval_start,
    data_interval_end: dagRun.data_interval_end,
    ds,
    ds_nodash: ds.replaceAll('-', ''),
    ts: isoformat(logical),
    ts_nodash: strftime(logical, '%Y%m%dT%H%M%S'),
    macros,
    var: {
      value: { get: (key: string, ...fallback: unknown[]) => (fallback.length ? Variable.get(key, fallback[0]) : Variable.get(key)) },
      json: { get: (key: string, ...fallback: unknown[]) => (fallback.length ? Variable.getJson(key, fallback[0]) : Variable.getJson(key)) },
    },
    conn: { get: (connId: string) => Connection.get(connId) },
    log,
    signal: new AbortController().signal,
  };
  return context as unknown as Context;
}
