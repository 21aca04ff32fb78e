/**
 * Entry point of a task process. Started ahead of time by the local executor,
 * it loads the SDK and the runner (the slow part of a start), then waits for
 * exactly one workload over IPC, runs it and exits.
 */
import '@updraft/sdk';
import type { Workload } from '../executors/workload.ts';
import { preconnect } from './execution-client.ts';
import { runTask } from './run-task.ts';
import { TaskLog } from './task-log.ts';

/** How long an idle process waits before loading ICU's data (see below). */
const ICU_WARM_UP_DELAY_MS = 300;

async function handle(workload: Workload) {
  const taskLog = new TaskLog(workload.log_path);
  taskLog.captureStdio();
  let code = 0;
  try {
    // 3 tells the executor the try was stopped from outside (cleared, marked): the scheduler looks at it
    // 'started' lets the executor start this process's replacement now, while the task runs, rather than during a handoff
    const started = () => process.send?.({ type: 'started' });
    if ((await runTask(workload, taskLog, started)) === 'stopped_externally') code = 3;
  } catch (err) {
    taskLog.write('task-runner', 'ERROR', `The task runner failed: ${(err as Error).stack ?? err}`);
    code = 1;
  }
  taskLog.close();
  process.disconnect?.();
  process.exit(code);
}

// A process's first Intl date format loads ICU's data (~10 ms of CPU). DAGs in
// UTC never need it (see the SDK's dates.ts); for the others it is loaded while
// the process waits, but not during its boot: a process started as a
// replacement while tries flow boots alongside their handoffs on a small
// machine, and is often handed a try before this would have mattered.
const icuWarmUp = setTimeout(() => new Intl.DateTimeFormat('en-US', { timeZone: 'UTC' }).format(0), ICU_WARM_UP_DELAY_MS);
icuWarmUp.unref();

if (process.env.UPDRAFT_EXECUTION_API_URL) await preconnect(process.env.UPDRAFT_EXECUTION_API_URL);

process.on('message', (message: { type: string; workload: Workload }) => {
  if (message?.type !== 'run') return;
  clearTimeout(icuWarmUp);
  void handle(message.workload);
});
// An orphaned warm process (its executor died) has nothing to wait for.
process.on('disconnect', () => {
  if (!busy()) process.exit(0);
});
let started = false;
process.once('message', () => {
  started = true;
});
function busy() {
  return started;
}
// SIGTERM from the executor (shutdown): let the exit handler run, and make sure we go.
process.on('SIGTERM', () => process.exit(143));

