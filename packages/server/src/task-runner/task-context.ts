/**
 * The context of a task try: Airflow's names (ds, ts, logical_date, dag_run,
 * params, ti …) plus `var` and `conn` for code. Operators get it in
 * execute(context), TaskFlow functions through getCurrentContext(); templates
 * render with a synchronous variant of it (template-context.ts).
 */
import { Connection, type BaseOperator, type Context, type DAG, Variable } from '@updraft/sdk';
import type { TaskRuntime } from '@updraft/sdk/runtime';
import type { StartResponse } from './execution-client.ts';
import { macros } from './macros.ts';
import { isoformat, strftime } from './py-values.ts';

export interface TryIdentity {
  dag_id: string;
  task_id: string;
  run_id: string;
  try_number: number;
  map_index: number;
}

function toDate(s: string | null): Date | null {
  return s ? new Date(s) : null;
}

/**
 * The DAG's param defaults, with dag_run.conf over them when
 * [core] dag_run_conf_overrides_params is true (Airflow's default).
 */
export function resolveParams(dag: DAG, conf: Record<string, unknown>, confOverridesParams: boolean): Record<string, unknown> {
  const params: Record<string, unknown> = {};
  for (const [name, param] of Object.entries(dag.params ?? {})) {
    params[name] = param && typeof param === 'object' && 'value' in param ? param.value : param;
  }
  if (confOverridesParams) Object.assign(params, conf);
  return params;
}

// Reads go through the task runtime (Execution API), where secrets get masked.
const variables = {
  value: { get: (key: string, ...fallback: unknown[]) => (fallback.length ? Variable.get(key, fallback[0]) : Variable.get(key)) },
  json: { get: (key: string, ...fallback: unknown[]) => (fallback.length ? Variable.getJson(key, fallback[0]) : Variable.getJson(key)) },
} as NonNullable<Context['var']>;

const connections = { get: (connId: string) => Connection.get(connId) };

export function buildContext(dag: DAG, task: BaseOperator, w: TryIdentity, start: StartResponse, runtime: TaskRuntime, signal: AbortSignal): Context {
  const run = start.dag_run;
  // a manual run may have no logical date (Airflow 3): date names then use when it was due
  const logical = toDate(run.logical_date) ?? toDate(run.run_after) ?? new Date();
  const ds = strftime(logical, '%Y-%m-%d');
  const ti = {
    dag_id: w.dag_id,
    task_id: w.task_id,
    run_id: w.run_id,
    try_number: w.try_number,
    map_index: w.map_index,
    max_tries: start.max_tries,
    log: runtime.log,
    xcom_push: (key: string, value: unknown) => runtime.xcomPush(key, value),
    xcom_pull: (options?: unknown) => {
      if (typeof options === 'string' || Array.isArray(options)) return runtime.xcomPull({ task_ids: options });
      return runtime.xcomPull((options ?? {}) as Parameters<TaskRuntime['xcomPull']>[0]);
    },
  };
  return {
    dag,
    task,
    ti,
    task_instance: ti,
    dag_run: {
      dag_id: run.dag_id,
      run_id: run.run_id,
      run_type: run.run_type as Context['dag_run']['run_type'],
      logical_date: toDate(run.logical_date),
      data_interval_start: toDate(run.data_interval_start),
      data_interval_end: toDate(run.data_interval_end),
      conf: run.conf,
      start_date: toDate(run.start_date),
      run_after: new Date(run.run_after),
    },
    run_id: run.run_id,
    ds,
    ds_nodash: ds.replaceAll('-', ''),
    ts: isoformat(logical),
    ts_nodash: strftime(logical, '%Y%m%dT%H%M%S'),
    ts_nodash_with_tz: isoformat(logical).replace(/[-:]/g, ''),
    logical_date: toDate(run.logical_date),
    data_interval_start: toDate(run.data_interval_start),
    data_interval_end: toDate(run.data_interval_end),
    prev_data_interval_start_success: toDate(start.prev_data_interval_start_success),
    prev_data_interval_end_success: toDate(start.prev_data_interval_end_success),
    sensor_started_at: start.sensor_started_at ?? null,
    sensor_poke_count: start.sensor_poke_count ?? 0,
    next_data_interval: start.next_data_interval ? { start: new Date(start.next_data_interval.start), end: new Date(start.next_data_interval.end) } : null,
    params: resolveParams(dag, run.conf, start.dag_run_conf_overrides_params ?? true),
    var: variables,
    conn: connections,
    macros,
    conf: run.conf,
    try_number: w.try_number,
    task_instance_key_str: `${w.dag_id}__${w.task_id}__${ds.replaceAll('-', '')}`,
    log: runtime.log,
    signal,
  };
}
