/**
 * A DAG-callback process: receives one job over IPC, imports the DAG file,
 * calls the DAG's on_success_callback / on_failure_callback (each of a list in
 * turn; one that throws does not stop the next) with the context, writes what
 * happens (and everything the callback prints) to the run's dag_callback.log,
 * answers with the outcome and exits. The runner kills it when it runs past
 * its timeout. Like a task process it never touches the database.
 */
import { setTaskRuntime, type TaskRuntime } from '@updraft/sdk/runtime';
import { ExecutionClient } from '../task-runner/execution-client.ts';
import { importDagFile } from '../task-runner/load-dag.ts';
import { TaskLookups } from '../task-runner/lookups.ts';
import { secretsMasker } from '../task-runner/secrets-masker.ts';
import { taskRuntime } from '../task-runner/task-runtime.ts';
import { TaskLog } from '../task-runner/task-log.ts';
import { installEmailBackend } from '../task-runner/email.ts';
import { buildDagCallbackContext, type DagCallbackJob } from './dag-callback-context.ts';

export interface DagCallbackOutcome {
  ok: boolean;
  error: string | null;
}

function errorText(err: unknown): string {
  return err instanceof Error ? (err.stack ?? `${err.name}: ${err.message}`) : String(err);
}

/** Variables, Connections, XCom reads: the Execution API with the callback's token, as a task has. */
function executionRuntime(job: DagCallbackJob, taskLog: TaskLog): TaskRuntime | null {
  if (!job.execution) return null;
  const client = new ExecutionClient(job.execution.api_url, job.execution.token);
  const run = job.dag_run;
  const self = { dag_id: run.dag_id, run_id: run.run_id, task_id: job.ti?.task_id ?? '', map_index: job.ti?.map_index ?? -1, date: run.logical_date ?? run.run_after };
  return taskRuntime(client, new TaskLookups(client, secretsMasker), self, taskLog.logger('dag_callback'), `dag-callback-${job.request_id}`);
}

async function runJob(job: DagCallbackJob, taskLog: TaskLog): Promise<DagCallbackOutcome> {
  const log = taskLog.logger('dag_callback');
  const { dag_id, run_id } = job.dag_run;
  try {
    const runtime = executionRuntime(job, taskLog);
    setTaskRuntime(runtime);
    const dag = (await importDagFile(job.dag_file)).find((d) => d.dag_id === dag_id);
    if (!dag) throw new Error(`DAG '${dag_id}' is not defined in ${job.dag_file} any more`);
    const value = dag[job.callback];
    const callbacks = Array.isArray(value) ? value : value ? [value] : [];
    const context = buildDagCallbackContext(dag, job, log, runtime);
    log.info(`Running ${job.callback} of DAG '${dag_id}' for run ${run_id} (state ${job.dag_run.state}, reason ${job.reason}): ${callbacks.length} callback(s)`);
    const errors: string[] = [];
    for (const [i, fn] of callbacks.entries()) {
      try {
        await fn(context);
      } catch (err) {
        const text = errorText(err);
        log.error(`${job.callback}[${i}] failed: ${text}`);
        errors.push(text);
      }
    }
    if (errors.length) return { ok: false, error: errors.join('\n') };
    log.info(`${job.callback} of DAG '${dag_id}' done`);
    return { ok: true, error: null };
  } catch (err) {
    const text = errorText(err);
    log.error(`Could not run ${job.callback} of DAG '${dag_id}': ${text}`);
    return { ok: false, error: text };
  }
}

process.once('message', (job: DagCallbackJob) => {
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
