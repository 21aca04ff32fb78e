/**
 * One task try, inside its own process: announce the start to the Execution
 * API, import the DAG file, render the templates, execute the operator with
 * heartbeats and the execution timeout, report the outcome. Nothing here
 * touches the database.
 */
import os from 'node:os';
import {
  AirflowException,
  AirflowFailException,
  AirflowRescheduleException,
  AirflowSkipException,
  type BaseOperator,
  type Context,
  durationToSeconds,
  mappedKwargs,
  hasMapped,
  substituteMapped,
  setMappedScope,
  setCurrentContext,
  TaskDeferred,
} from '@updraft/sdk';
import { setTaskRuntime } from '@updraft/sdk/runtime';
import type { Workload } from '../executors/workload.ts';
import { type DeferRequest, ExecutionApiError, ExecutionClient, type StartResponse } from './execution-client.ts';
import { installEmailBackend, sendTaskAlert, tryAlert } from './email.ts';
import { importDagFile } from './load-dag.ts';
import { TaskLookups } from './lookups.ts';
import { renderTemplateFields } from './render-fields.ts';
import { secretsMasker } from './secrets-masker.ts';
import { buildContext } from './task-context.ts';
import type { TaskLog } from './task-log.ts';
import { taskRuntime } from './task-runtime.ts';

export type TryResult = 'success' | 'skipped' | 'failed' | 'failed_no_retry' | 'not_started' | 'stopped_externally' | 'up_for_reschedule' | 'deferred';

function errorText(err: unknown): string {
  if (err instanceof Error) return err.stack ?? `${err.name}: ${err.message}`;
  return String(err);
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

/**
 * execute(), or for a deferred task whose trigger fired, the method it asked to
 * resume at, called (context, event, kwargs). "__fail__" is how the triggerer
 * and the scheduler say the trigger failed or timed out.
 */
function executeOrResume(task: BaseOperator, context: Context, start: StartResponse): unknown {
  if (!start.next_method) return task.execute(context);
  const { event, ...kwargs } = start.next_kwargs ?? {};
  if (start.next_method === '__fail__') {
    const error = (kwargs as { error?: string }).error ?? 'the trigger failed';
    throw new AirflowException(error === 'Trigger/execution timeout' ? 'TaskDeferralTimeout: the trigger did not fire before the deferral timeout' : `Trigger failure: ${error}`);
  }
  const method = (task as unknown as Record<string, unknown>)[start.next_method];
  if (typeof method !== 'function') throw new AirflowException(`Task '${task.task_id}' has no method '${start.next_method}' to resume at`);
  context.ti.log.info(`Resuming after deferral at ${start.next_method}()`);
  return method.call(task, context, event, kwargs);
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

/** `onStarted`: called once the api-server has marked the try running (the handoff to this try is over). */
export async function runTask(w: Workload, taskLog: TaskLog, onStarted?: () => void): Promise<TryResult> {
  const log = taskLog.logger('task');
  const client = new ExecutionClient(w.api_url, w.token);
  let start: StartResponse;
  try {
    start = await client.start(w.ti_id, os.hostname(), process.pid);
    onStarted?.();
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

  const lookups = new TaskLookups(client, secretsMasker);
  const run = start.dag_run;
  const self = { dag_id: w.dag_id, run_id: w.run_id, task_id: w.task_id, map_index: w.map_index, date: run.logical_date ?? run.run_after };
  const runtime = taskRuntime(client, lookups, self, taskLog.logger('task'), w.ti_id);
  setTaskRuntime(runtime);
  installEmailBackend();
  let context: Context | null = null;
  let task: BaseOperator | null = null;
  let outcome: TryResult;
  let failure: unknown; // what failed the try: context.exception of on_failure/on_retry callbacks, the alert email
  let pause: { kind: 'reschedule'; date: Date } | { kind: 'defer'; request: DeferRequest } | null = null;
  try {
    const dags = await importDagFile(w.dag_file);
    const dag = dags.find((d) => d.dag_id === w.dag_id);
    if (!dag) throw new Error(`DAG '${w.dag_id}' is not defined in ${w.dag_file} any more`);
    task = dag.getTask(w.task_id) ?? null;
    if (!task) throw new Error(`Task '${w.task_id}' is not defined in DAG '${w.dag_id}' any more`);
    // a mapped task instance: its own element of what the task maps over
    if (task.expand_input && w.map_index >= 0) task.applyMappedArgs(await mappedKwargs(task, task.expand_input, w.map_index));
    const mappedGroup = task.task_group?.mappedGroup;
    if (mappedGroup?.expand_input && w.map_index >= 0) {
      // a mapped task group's instance: its element replaces the placeholders, group-mates' values are this map_index's
      const kwargs = await mappedKwargs(task, mappedGroup.expand_input, w.map_index);
      const fields = task as unknown as Record<string, unknown>;
      for (const key of Object.keys(fields)) if (hasMapped(fields[key])) fields[key] = substituteMapped(fields[key], kwargs);
      setMappedScope({ groupId: mappedGroup.group_id, mapIndex: w.map_index });
    }
    context = buildContext(dag, task, w, start, runtime, abort.signal);
    const rendered = await renderTemplateFields({ task, dag, context, self, dagFile: w.dag_file, lookups });
    // what the UI shows must not reveal the secrets the templates read (Airflow redacts them too)
    await client.renderedFields(w.ti_id, secretsMasker.redactValue(JSON.parse(JSON.stringify(rendered ?? {}))));
    setCurrentContext(context);
    if (!start.next_method) await runCallbacks(task, 'on_execute_callback', context, log);
    const result = await withTimeout(Promise.resolve(executeOrResume(task, context, start)), w.execution_timeout_seconds, () =>
      abort.abort(new Error('execution_timeout')),
    );
    if (stoppedExternally) throw new Error('task instance state changed externally');
    const options = task as unknown as { do_xcom_push?: boolean; multiple_outputs?: boolean };
    // like Airflow, a task that returns nothing (None / undefined / null) pushes no XCom
    if (result !== undefined && result !== null && options.do_xcom_push !== false) {
      await runtime.xcomPush('return_value', result);
      if (options.multiple_outputs && result && typeof result === 'object' && !Array.isArray(result)) {
        for (const [k, v] of Object.entries(result)) await runtime.xcomPush(k, v);
      }
    }
    outcome = 'success';
    log.info(`Marking task as SUCCESS. dag_id=${w.dag_id}, task_id=${w.task_id}, run_id=${w.run_id}`);
  } catch (err) {
    if (err instanceof AirflowRescheduleException && !stoppedExternally) {
      pause = { kind: 'reschedule', date: err.reschedule_date };
      outcome = 'up_for_reschedule';
      log.info(`Rescheduling task, marking task as UP_FOR_RESCHEDULE (next poke at ${err.reschedule_date.toISOString()})`);
    } else if (err instanceof TaskDeferred && !stoppedExternally) {
      const [classpath, kwargs] = err.trigger.serialize();
      pause = {
        kind: 'defer',
        request: {
          classpath,
          trigger_kwargs: kwargs,
          next_method: err.method_name,
          next_kwargs: err.kwargs,
          trigger_timeout_seconds: err.timeout == null ? null : durationToSeconds(err.timeout),
        },
      };
      outcome = 'deferred';
      log.info(`Pausing task as DEFERRED. dag_id=${w.dag_id}, task_id=${w.task_id}, run_id=${w.run_id} (trigger ${classpath})`);
    } else if (err instanceof AirflowSkipException) {
      outcome = 'skipped';
      log.info(`Skipping task: ${err.message}`);
    } else {
      outcome = err instanceof AirflowFailException ? 'failed_no_retry' : 'failed';
      failure = err;
      log.error(`Task failed with exception\n${errorText(err)}`);
    }
  } finally {
    clearInterval(heartbeat);
    abort.abort();
  }

  if (stoppedExternally) return 'stopped_externally';
  if (pause) {
    // not finished: the try goes on later (no callbacks yet, Airflow runs them at the real end)
    try {
      if (pause.kind === 'reschedule') await client.reschedule(w.ti_id, pause.date);
      else await client.defer(w.ti_id, pause.request);
    } catch (err) {
      if (err instanceof ExecutionApiError && err.status === 409) return 'stopped_externally';
      throw err;
    }
    return outcome;
  }
  if (task && context) {
    const willRetry = outcome === 'failed' && w.try_number <= start.max_tries;
    const callback = {
      success: 'on_success_callback',
      skipped: 'on_skipped_callback',
      failed: willRetry ? 'on_retry_callback' : 'on_failure_callback',
      failed_no_retry: 'on_failure_callback',
    }[outcome as 'success' | 'skipped' | 'failed' | 'failed_no_retry'];
    if (failure !== undefined) context.exception = failure;
    // still alive while slow callbacks or the SMTP server take their time: not a zombie to the scheduler
    const alive = setInterval(() => client.heartbeat(w.ti_id).catch(() => undefined), w.heartbeat_seconds * 1000);
    try {
      await runCallbacks(task, callback, context, log);
      // email_on_failure / email_on_retry, after the callbacks as in Airflow; an SMTP problem is logged, never fatal
      if (failure !== undefined && (willRetry ? task.email_on_retry : task.email_on_failure)) {
        await sendTaskAlert(tryAlert(w, start.max_tries, willRetry, failure), task.email, taskLog.logger('email'));
      }
    } finally {
      clearInterval(alive);
    }
  }
  try {
    await client.finish(w.ti_id, outcome === 'failed_no_retry' ? 'failed' : (outcome as 'success' | 'skipped' | 'failed'), outcome === 'failed_no_retry');
  } catch (err) {
    if (err instanceof ExecutionApiError && err.status === 409) return 'stopped_externally';
    throw err;
  }
  return outcome;
}

