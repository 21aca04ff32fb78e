/**
 * One task try, inside its own process: announce the start to the Execution
 * API, import the DAG file, render the templates, execute the operator with
 * heartbeats and the execution timeout, report the outcome. Nothing here
 * touches the database.
 */
import os from 'node:os';
import {
  AirflowFailException,
  AirflowSkipException,
  type BaseOperator,
  type Context,
  type DAG,
  setCurrentContext,
} from '@updraft/sdk';
import { setTaskRuntime, type TaskRuntime } from '@updraft/sdk/runtime';
import type { Workload } from '../executors/workload.ts';
import { ExecutionApiError, ExecutionClient, type StartResponse } from './execution-client.ts';
import { importDagFile } from './load-dag.ts';
import type { TaskLog } from './task-log.ts';
import {
  dsAdd,
  isoTs,
  makeEnvironment,
  referencedVariables,
  renderValue,
  searchPaths,
  splitKeywords,
  variableAccessors,
  xcomPullFrom,
} from './templating.ts';

export type TryResult = 'success' | 'skipped' | 'failed' | 'failed_no_retry' | 'not_started' | 'stopped_externally';

function toDate(s: string | null): Date | null {
  return s ? new Date(s) : null;
}

function errorText(err: unknown): string {
  if (err instanceof Error) return err.stack ?? `${err.name}: ${err.message}`;
  return String(err);
}

function runtimeFor(client: ExecutionClient, w: Workload, log: Context['log']): TaskRuntime {
  return {
    log,
    getVariable: (key) => client.getVariable(key),
    setVariable: (key, value, description) => client.setVariable(key, value, description),
    getConnection: (id) => client.getConnection(id),
    xcomPush: (key, value) => client.pushXCom(w.dag_id, w.run_id, w.task_id, w.map_index, key, value),
    async xcomPull(options) {
      const dagId = options.dag_id ?? w.dag_id;
      const runId = options.run_id ?? w.run_id;
      const key = options.key ?? 'return_value';
      const entries = await client.listRunXComs(dagId, runId);
      const pick = (taskId: string) => entries.find((x) => x.task_id === taskId && x.key === key)?.value ?? options.default ?? null;
      if (options.task_ids === undefined || options.task_ids === null) {
        const any = entries.filter((x) => x.key === key && x.task_id !== w.task_id);
        return any.length ? any[any.length - 1].value : (options.default ?? null);
      }
      return Array.isArray(options.task_ids) ? options.task_ids.map(pick) : pick(options.task_ids);
    },
  };
}

function buildContext(dag: DAG, task: BaseOperator, w: Workload, start: StartResponse, runtime: TaskRuntime, signal: AbortSignal): Context {
  const run = start.dag_run;
  const logical = toDate(run.logical_date) ?? toDate(run.run_after) ?? new Date();
  const ds = logical.toISOString().slice(0, 10);
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
  const dagParams = (dag as unknown as { params?: Record<string, unknown> }).params ?? {};
  const params: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(dagParams)) {
    params[k] = v && typeof v === 'object' && 'value' in (v as object) ? (v as { value: unknown }).value : v;
  }
  // Airflow's default: conf given at trigger time overrides params
  Object.assign(params, run.conf);
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
    },
    run_id: run.run_id,
    ds,
    ds_nodash: ds.replaceAll('-', ''),
    ts: isoTs(logical),
    ts_nodash: isoTs(logical).replace(/[-:]/g, '').replace(/\+00:?00$/, ''),
    logical_date: toDate(run.logical_date),
    data_interval_start: toDate(run.data_interval_start),
    data_interval_end: toDate(run.data_interval_end),
    prev_data_interval_start_success: toDate(start.prev_data_interval_start_success),
    prev_data_interval_end_success: toDate(start.prev_data_interval_end_success),
    params,
    conf: run.conf,
    try_number: w.try_number,
    task_instance_key_str: `${w.dag_id}__${w.task_id}__${ds.replaceAll('-', '')}`,
    log: runtime.log,
    signal,
  };
}

async function renderTemplates(task: BaseOperator, dag: DAG, context: Context, client: ExecutionClient, w: Workload) {
  // per-task lists first: an operator may change them (PythonOperator's templates_exts)
  const ctor = task.constructor as unknown as { template_fields?: string[]; template_ext?: string[] };
  const own = task as unknown as { template_fields?: string[]; template_ext?: string[] };
  const fields = own.template_fields ?? ctor.template_fields ?? [];
  const templateExt = own.template_ext ?? ctor.template_ext ?? [];
  const record = task as unknown as Record<string, unknown>;
  const texts = fields.map((f) => JSON.stringify(record[f] ?? ''));
  if (!texts.some((t) => t.includes('{{') || t.includes('{%'))) {
    const plain = Object.fromEntries(fields.map((f) => [f, record[f] ?? null]));
    return plain;
  }
  const variables = new Map<string, string | null>();
  for (const name of referencedVariables(texts)) variables.set(name, await client.getVariable(name));
  const xcoms = texts.some((t) => t.includes('xcom_pull')) ? await client.listRunXComs(w.dag_id, w.run_id) : [];
  const dagInfo = dag as unknown as { template_searchpath?: string[] };
  const env = makeEnvironment(searchPaths(w.dag_file, dagInfo.template_searchpath ?? []));
  const pull = xcomPullFrom(xcoms, w.task_id);
  // `{{ ti.xcom_push(key='k', value='v') }}` pushes while rendering; the calls are awaited below
  const pushes: Promise<void>[] = [];
  const push = (...args: unknown[]) => {
    const { positional, keywords } = splitKeywords(args);
    pushes.push(context.ti.xcom_push(String(keywords.key ?? positional[0]), keywords.value ?? positional[1] ?? null));
    return '';
  };
  const ti = { ...(context.ti as object), xcom_pull: pull, xcom_push: push };
  const templateContext: Record<string, unknown> = {
    ...context,
    ti,
    task_instance: ti,
    var: variableAccessors(variables),
    macros: {
      ds_add: (ds: string, days: number) => dsAdd(ds, days),
      ds_format: (ds: string, input: string, output: string) => dsFormat(ds, input, output),
      datetime: (...args: number[]) => new Date(Date.UTC(args[0], (args[1] ?? 1) - 1, args[2] ?? 1, args[3] ?? 0, args[4] ?? 0, args[5] ?? 0)),
      uuid: { uuid4: () => crypto.randomUUID() },
      random: () => Math.random(),
    },
  };
  const rendered: Record<string, unknown> = {};
  for (const field of fields) {
    try {
      rendered[field] = renderValue(env, record[field], templateContext, templateExt);
    } catch (err) {
      throw new Error(`Could not render template field '${field}' of task '${w.task_id}': ${(err as Error).message}\nTemplate: ${JSON.stringify(record[field])}`, { cause: err });
    }
    record[field] = rendered[field];
  }
  await Promise.all(pushes);
  return rendered;
}

/** Python's strftime codes that ds_format uses most. */
function dsFormat(ds: string, input: string, output: string): string {
  const m = /(\d{4})-?(\d{2})-?(\d{2})/.exec(ds);
  if (!m || !input) return ds;
  const [, y, mo, d] = m;
  return output.replaceAll('%Y', y).replaceAll('%m', mo).replaceAll('%d', d).replaceAll('%y', y.slice(2));
}

async function withTimeout<T>(promise: Promise<T>, seconds: number | null, onTimeout: () => void): Promise<T> {
  if (seconds === null) return promise;
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => {
      onTimeout();
      reject(new Error(`Timeout: the task ran longer than its execution_timeout of ${seconds} s`));
    }, seconds * 1000);
  });
  try {
    return await Promise.race([promise, timeout]);
  } finally {
    clearTimeout(timer);
  }
}

async function runCallbacks(task: BaseOperator, name: string, context: Context, log: Context['log']) {
  const cb = (task as unknown as Record<string, unknown>)[name];
  const list = Array.isArray(cb) ? cb : cb ? [cb] : [];
  for (const fn of list) {
    try {
      await (fn as (c: Context) => unknown)(context);
    } catch (err) {
      log.error(`${name} failed: ${errorText(err)}`);
    }
  }
}

export async function runTask(w: Workload, taskLog: TaskLog): Promise<TryResult> {
  const log = taskLog.logger('task');
  const client = new ExecutionClient(w.api_url, w.token);
  let start: StartResponse;
  try {
    start = await client.start(w.ti_id, os.hostname(), process.pid);
  } catch (err) {
    if (err instanceof ExecutionApiError && err.status === 409) {
      log.warning(`Not starting: ${err.message}`);
      return 'not_started';
    }
    throw err;
  }
  log.info(`Starting attempt ${w.try_number} of ${start.max_tries + 1}`);
  log.info(`Executing <Task ${w.task_id}> on ${start.dag_run.logical_date ?? start.dag_run.run_after} (run_id=${w.run_id})`);

  const abort = new AbortController();
  let stoppedExternally = false;
  const heartbeat = setInterval(() => {
    client.heartbeat(w.ti_id).catch((err) => {
      if (err instanceof ExecutionApiError && (err.status === 409 || err.status === 404)) {
        stoppedExternally = true;
        log.warning('State of this instance has been externally set; terminating the task.');
        abort.abort(new Error('task instance state changed externally'));
      }
    });
  }, w.heartbeat_seconds * 1000);
  heartbeat.unref();

  const taskRuntime = runtimeFor(client, w, taskLog.logger('task'));
  setTaskRuntime(taskRuntime);
  let context: Context | null = null;
  let task: BaseOperator | null = null;
  let outcome: TryResult;
  try {
    const dags = await importDagFile(w.dag_file);
    const dag = dags.find((d) => d.dag_id === w.dag_id);
    if (!dag) throw new Error(`DAG '${w.dag_id}' is not defined in ${w.dag_file} any more`);
    task = dag.getTask(w.task_id) ?? null;
    if (!task) throw new Error(`Task '${w.task_id}' is not defined in DAG '${w.dag_id}' any more`);
    context = buildContext(dag, task, w, start, taskRuntime, abort.signal);
    const rendered = await renderTemplates(task, dag, context, client, w);
    await client.renderedFields(w.ti_id, JSON.parse(JSON.stringify(rendered ?? {})));
    setCurrentContext(context);
    await runCallbacks(task, 'on_execute_callback', context, log);
    const result = await withTimeout(Promise.resolve(task.execute(context)), w.execution_timeout_seconds, () =>
      abort.abort(new Error('execution_timeout')),
    );
    if (stoppedExternally) throw new Error('task instance state changed externally');
    const options = task as unknown as { do_xcom_push?: boolean; multiple_outputs?: boolean };
    // like Airflow, a task that returns nothing (None / undefined / null) pushes no XCom
    if (result !== undefined && result !== null && options.do_xcom_push !== false) {
      await taskRuntime.xcomPush('return_value', result);
      if (options.multiple_outputs && result && typeof result === 'object' && !Array.isArray(result)) {
        for (const [k, v] of Object.entries(result)) await taskRuntime.xcomPush(k, v);
      }
    }
    outcome = 'success';
    log.info(`Marking task as SUCCESS. dag_id=${w.dag_id}, task_id=${w.task_id}, run_id=${w.run_id}`);
  } catch (err) {
    if (err instanceof AirflowSkipException) {
      outcome = 'skipped';
      log.info(`Skipping task: ${err.message}`);
    } else {
      outcome = err instanceof AirflowFailException ? 'failed_no_retry' : 'failed';
      log.error(`Task failed with exception\n${errorText(err)}`);
    }
  } finally {
    clearInterval(heartbeat);
    abort.abort();
  }

  if (stoppedExternally) return 'stopped_externally';
  if (task && context) {
    const willRetry = outcome === 'failed' && w.try_number <= start.max_tries;
    const callback = {
      success: 'on_success_callback',
      skipped: 'on_skipped_callback',
      failed: willRetry ? 'on_retry_callback' : 'on_failure_callback',
      failed_no_retry: 'on_failure_callback',
    }[outcome as 'success' | 'skipped' | 'failed' | 'failed_no_retry'];
    await runCallbacks(task, callback, context, log);
  }
  try {
    await client.finish(w.ti_id, outcome === 'failed_no_retry' ? 'failed' : (outcome as 'success' | 'skipped' | 'failed'), outcome === 'failed_no_retry');
  } catch (err) {
    if (err instanceof ExecutionApiError && err.status === 409) return 'stopped_externally';
    throw err;
  }
  return outcome;
}

