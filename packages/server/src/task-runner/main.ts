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

// A process's first time-zone lookup loads ICU's zone data (10-50 ms; every DAG
// checks its timezone when constructed): pay it while idle, not inside a try.
new Intl.DateTimeFormat('en-US', { timeZone: 'UTC' }).format(0);

if (process.env.UPDRAFT_EXECUTION_API_URL) await preconnect(process.env.UPDRAFT_EXECUTION_API_URL);

process.on('message', (message: { type: string; workload: Workload }) => {
  if (message?.type === 'run') void handle(message.workload);
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

