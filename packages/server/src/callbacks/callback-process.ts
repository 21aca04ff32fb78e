/**
 * A callback process: receives one job over IPC, imports the DAG file, runs
 * the callbacks (each of a list in turn; one that throws does not stop the
 * next), writes what happens (and everything the callbacks print) to the
 * job's log file, answers with the outcome and exits. The runner kills it
 * when it runs past its timeout. Like a task process it never touches the
 * database: Variables, Connections and XCom go through the Execution API.
 *
 * Two kinds of job: a DAG's on_success_callback / on_failure_callback with the
 * DAG-callback context, and the failure handling of a try whose own process
 * could not do it (it died or went silent): the task's on_failure_callback /
 * on_retry_callback with the task context and context.exception, then the
 * alert email.
 */
import { AirflowException, type DAG } from '@updraft/sdk';
import { setTaskRuntime, type TaskRuntime } from '@updraft/sdk/runtime';
import { installEmailBackend, sendTaskAlert, tryAlert } from '../task-runner/email.ts';
import { ExecutionClient } from '../task-runner/execution-client.ts';
import { importDagFile } from '../task-runner/load-dag.ts';
import { TaskLookups } from '../task-runner/lookups.ts';
import { secretsMasker } from '../task-runner/secrets-masker.ts';
import { buildContext } from '../task-runner/task-context.ts';
import { TaskLog } from '../task-runner/task-log.ts';
import { taskRuntime } from '../task-runner/task-runtime.ts';
import { buildDagCallbackContext, type CallbackJob } from './dag-callback-context.ts';

export interface CallbackOutcome {
  ok: boolean;
  error: string | null;
}

function errorText(err: unknown): string {
  return err instanceof Error ? (err.stack ?? `${err.name}: ${err.message}`) : String(err);
}

/** Variables, Connections, XCom reads: the Execution API with the callback's token, as a task has. */
function executionRuntime(job: CallbackJob, taskLog: TaskLog): TaskRuntime {
  const client = new ExecutionClient(job.execution.api_url, job.execution.token);
  const run = job.dag_run;
  const self = { dag_id: run.dag_id, run_id: run.run_id, task_id: job.ti?.task_id ?? '', map_index: job.ti?.map_index ?? -1, date: run.logical_date ?? run.run_after };
  return taskRuntime(client, new TaskLookups(client, secretsMasker), self, taskLog.logger('callback'), `callback-${job.request_id}`);
}

function callbacksOf(owner: object, name: string): ((context: never) => unknown)[] {
  const value = (owner as Record<string, unknown>)[name];
  return (Array.isArray(value) ? value : value ? [value] : []) as ((context: never) => unknown)[];
}

/** Calls each callback; returns the errors of those that threw (already logged). */
async function callEach(callbacks: ((context: never) => unknown)[], context: unknown, name: string, log: TaskLog): Promise<string[]> {
  const errors: string[] = [];
  for (const [i, fn] of callbacks.entries()) {
    try {
      await fn(context as never);
    } catch (err) {
      const text = errorText(err);
      log.write('callback', 'ERROR', `${name}${callbacks.length > 1 ? `[${i}]` : ''} failed: ${text}`);
      errors.push(text);
    }
  }
  return errors;
}

async function runDagCallbacks(dag: DAG, job: CallbackJob, runtime: TaskRuntime, taskLog: TaskLog): Promise<string[]> {
  const log = taskLog.logger('dag_callback');
  const callbacks = callbacksOf(dag, job.callback);
  log.info(`Running ${job.callback} of DAG '${dag.dag_id}' for run ${job.dag_run.run_id} (state ${job.dag_run.state}, reason ${job.reason}): ${callbacks.length} callback(s)`);
  return callEach(callbacks, buildDagCallbackContext(dag, job, log, runtime), job.callback, taskLog);
}

/** What the task process would have done at the end of the try, had it been able to. */
async function runTaskCallbacks(dag: DAG, job: CallbackJob, runtime: TaskRuntime, taskLog: TaskLog): Promise<string[]> {
  const ti = job.ti;
  if (!ti) throw new Error('a task callback request names no task instance');
  const task = dag.getTask(ti.task_id);
  const log = taskLog.logger('callback');
  const w = { dag_id: dag.dag_id, task_id: ti.task_id, run_id: job.dag_run.run_id, map_index: ti.map_index, try_number: ti.try_number, api_url: job.execution.api_url };
  const start = {
    dag_run: job.dag_run,
    max_tries: ti.max_tries,
    dag_run_conf_overrides_params: job.dag_run_conf_overrides_params,
    prev_data_interval_start_success: null,
    prev_data_interval_end_success: null,
  };
  const context = buildContext(dag, task, w, start, runtime, new AbortController().signal);
  const exception = new AirflowException(job.reason);
  if (job.callback !== 'on_success_callback') context.exception = exception;
  const callbacks = callbacksOf(task, job.callback);
  log.info(`Running ${job.callback} of try ${ti.try_number} in the callback runner (${job.reason}): ${callbacks.length} callback(s)`);
  const errors = await callEach(callbacks, context, job.callback, taskLog);
  if (job.send_alert) await sendTaskAlert(tryAlert(w, ti.max_tries, job.callback === 'on_retry_callback', exception), task.email, taskLog.logger('email'));
  return errors;
}

async function runJob(job: CallbackJob, taskLog: TaskLog): Promise<CallbackOutcome> {
  const { dag_id } = job.dag_run;
  try {
    const runtime = executionRuntime(job, taskLog);
    setTaskRuntime(runtime);
    const dag = (await importDagFile(job.dag_file)).find((d) => d.dag_id === dag_id);
    if (!dag) throw new Error(`DAG '${dag_id}' is not defined in ${job.dag_file} any more`);
    const errors = job.kind === 'dag' ? await runDagCallbacks(dag, job, runtime, taskLog) : await runTaskCallbacks(dag, job, runtime, taskLog);
    if (errors.length) return { ok: false, error: errors.join('\n') };
    taskLog.write('callback', 'INFO', `${job.callback} done`);
    return { ok: true, error: null };
  } catch (err) {
    const text = errorText(err);
    taskLog.write('callback', 'ERROR', `Could not run ${job.callback} of DAG '${dag_id}': ${text}`);
    return { ok: false, error: text };
  }
}

process.once('message', (job: CallbackJob) => {
  const taskLog = new TaskLog(job.log_path);
  taskLog.captureStdio();
  installEmailBackend();
  void runJob(job, taskLog).then((outcome) => {
    process.send?.(outcome, () => {
      taskLog.close();
      process.exit(0);
    });
  });
});
// the runner went away: nobody would read the answer
process.on('disconnect', () => process.exit(0));
