/**
 * Callbacks end to end on a real standalone: task callbacks (on_execute,
 * on_success, on_retry, on_failure, on_skipped) run in the task process with
 * the try's context; DAG callbacks (on_success_callback, on_failure_callback)
 * are queued by the scheduler with the run's end and run once by the callback
 * runner in a process that imports the DAG file. Every callback writes what
 * it was given to a file, which the test reads back.
 */
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { dagCallbackLogPath } from '../src/callbacks/runner.ts';
import { listCallbackRequests } from '../src/callbacks/requests.ts';
import { startStandalone, type TestStandalone, tiStates, waitFor } from './helpers.ts';

let s: TestStandalone;
let out: string;

/** The JSON lines a DAG's callbacks appended to out/<name>.jsonl. */
function records(name: string): Record<string, any>[] {
  const file = path.join(out, `${name}.jsonl`);
  if (!fs.existsSync(file)) return [];
  return fs.readFileSync(file, 'utf8').trim().split('\n').filter(Boolean).map((l) => JSON.parse(l));
}

/** Waits until the callback requests of the run are settled; returns them. */
async function settledCallback(dagId: string, runId: string) {
  let rows: Awaited<ReturnType<typeof listCallbackRequests>> = [];
  await waitFor(async () => {
    rows = await listCallbackRequests(s.db.pool, dagId, runId);
    return rows.length > 0 && rows.every((r) => r.state === 'success' || r.state === 'failed');
  }, 30_000, `the callback requests of ${dagId}/${runId}`);
  return rows;
}

before(async () => {
  // a DAG callback (its DAG file's import included) may run 5 s here before it is killed
  s = await startStandalone({ UPDRAFT__DAG_PROCESSOR__DAG_FILE_PROCESSOR_TIMEOUT: '5' });
  out = path.join(s.config.home, 'callback-output');
  fs.mkdirSync(out);
  // a helper every DAG file below uses: one JSON line per call
  const record = `import fs from 'node:fs';
     const record = (name, value) => fs.appendFileSync(${JSON.stringify(out)} + '/' + name + '.jsonl', JSON.stringify(value) + '\\n');
     const dagContext = (ctx) => ({
       dag_id: ctx.dag.dag_id, run_id: ctx.run_id, reason: ctx.reason, state: ctx.dag_run.state, run_type: ctx.dag_run.run_type,
       end_date: ctx.dag_run.end_date, conf: ctx.dag_run.conf, params: ctx.params, ds: ctx.ds,
       ti: ctx.task_instance && { task_id: ctx.task_instance.task_id, state: ctx.task_instance.state, try_number: ctx.task_instance.try_number },
       task_id: ctx.task?.task_id ?? null,
     });`;
  s.writeDag(
    'dag_callbacks.ts',
    `import { DAG, PythonOperator, BashOperator } from '@updraft/sdk';
     ${record}
     new DAG({ dag_id: 'cb_success', schedule: null, start_date: '2024-01-01', params: { who: 'world' },
               on_success_callback: async (ctx) => record('cb_success', { ...dagContext(ctx),
                 variable: await ctx.var.value.get('cb_var'), missing: await ctx.var.value.get('cb_missing', 'fallback'),
                 pulled: await ctx.ti.xcom_pull({ task_ids: 'second' }) }),
               on_failure_callback: (ctx) => record('cb_success_wrong', dagContext(ctx)) }, () => {
       new PythonOperator({ task_id: 'first', python_callable: () => 1 }).then(new PythonOperator({ task_id: 'second', python_callable: () => 2 }));
     });
     new DAG({ dag_id: 'cb_failure', schedule: null, start_date: '2024-01-01',
               on_success_callback: (ctx) => record('cb_failure_wrong', dagContext(ctx)),
               on_failure_callback: [(ctx) => record('cb_failure', dagContext(ctx)), (ctx) => record('cb_failure_second', { run_id: ctx.run_id })] }, () => {
       new PythonOperator({ task_id: 'fine', python_callable: () => 1 });
       new PythonOperator({ task_id: 'boom', python_callable: () => { throw new Error('boom went the task'); } });
     });
     new DAG({ dag_id: 'cb_timeout', schedule: null, start_date: '2024-01-01', dagrun_timeout: 1,
               on_failure_callback: (ctx) => record('cb_timeout', dagContext(ctx)) }, () => {
       new BashOperator({ task_id: 'slow', bash_command: 'sleep 30' });
     });
     new DAG({ dag_id: 'cb_throws', schedule: null, start_date: '2024-01-01',
               on_success_callback: [(ctx) => { console.log('about to fail'); throw new Error('the callback itself broke'); }, (ctx) => record('cb_throws_next', { run_id: ctx.run_id })] }, () => {
       new PythonOperator({ task_id: 'only', python_callable: () => 1 });
     });
     new DAG({ dag_id: 'cb_hangs', schedule: null, start_date: '2024-01-01',
               on_failure_callback: () => { console.log('waiting forever'); return new Promise((resolve) => setTimeout(resolve, 600_000)); } }, () => {
       new PythonOperator({ task_id: 'fails', python_callable: () => { throw new Error('no'); } });
     });`,
  );
  s.writeDag(
    'task_callbacks.ts',
    `import { DAG, PythonOperator, AirflowSkipException } from '@updraft/sdk';
     ${record}
     const taskContext = (kind) => (ctx) => record('task_callbacks', {
       kind, task_id: ctx.task.task_id, ti_task_id: ctx.ti.task_id, try_number: ctx.ti.try_number, run_id: ctx.run_id,
       dag_id: ctx.dag.dag_id, exception: ctx.exception ? String(ctx.exception.message ?? ctx.exception) : null,
     });
     const all = {
       on_execute_callback: taskContext('execute'), on_success_callback: taskContext('success'), on_failure_callback: taskContext('failure'),
       on_retry_callback: taskContext('retry'), on_skipped_callback: taskContext('skipped'),
     };
     new DAG({ dag_id: 'task_callbacks', schedule: null, start_date: '2024-01-01', default_args: all }, () => {
       new PythonOperator({ task_id: 'flaky', retries: 1, retry_delay: 0,
         python_callable: (ctx) => { if (ctx.ti.try_number === 1) throw new Error('first try fails'); return 'ok'; } });
       new PythonOperator({ task_id: 'doomed', python_callable: () => { throw new Error('doomed for good'); } });
       new PythonOperator({ task_id: 'skipper', python_callable: () => { throw new AirflowSkipException('nothing to do'); } });
       new PythonOperator({ task_id: 'broken_callback', python_callable: () => 1,
         on_success_callback: [() => { throw new Error('callback broke'); }, taskContext('success_after_broken')] });
     });
     // marked by hand while they run: the callback of the new state runs anyway
     new DAG({ dag_id: 'marked_task', schedule: null, start_date: '2024-01-01', default_args: all }, () => {
       // waits a minute unless the try is stopped (ctx.signal)
       const wait = (ctx) => new Promise((r) => { const t = setTimeout(r, 60_000); ctx.signal.addEventListener('abort', () => { clearTimeout(t); r(); }); });
       for (const id of ['to_fail', 'to_succeed']) new PythonOperator({ task_id: id, python_callable: wait });
     });
     // a try whose process dies cannot run its own callbacks: the callback runner runs them
     new DAG({ dag_id: 'killed_task', schedule: null, start_date: '2024-01-01', default_args: all }, () => {
       new PythonOperator({ task_id: 'suicide', retries: 1, retry_delay: 0, python_callable: () => { process.kill(process.pid, 'SIGKILL'); } });
     });`,
  );
  for (const id of ['cb_success', 'cb_failure', 'cb_timeout', 'cb_throws', 'cb_hangs', 'task_callbacks', 'killed_task', 'marked_task']) {
    await s.waitForDag(id);
    await s.api('PATCH', `/api/v2/dags/${id}`, { is_paused: false });
  }
});

after(async () => {
  await s?.close();
});

describe('DAG callbacks', () => {
  test('on_success_callback runs once, with the finished run in its context; on_failure_callback does not', async () => {
    assert.equal((await s.api('POST', '/api/v2/variables', { key: 'cb_var', value: 'from the api' })).status, 201);
    const runId = await s.trigger('cb_success', { conf: { who: 'conf' } });
    assert.equal(await s.waitForRun('cb_success', runId), 'success');
    const [request] = await settledCallback('cb_success', runId);
    assert.equal(request.state, 'success', request.error ?? '');
    const calls = records('cb_success');
    assert.equal(calls.length, 1);
    const ctx = calls[0];
    assert.equal(ctx.dag_id, 'cb_success');
    assert.equal(ctx.run_id, runId);
    assert.equal(ctx.reason, 'success');
    assert.equal(ctx.state, 'success');
    assert.equal(ctx.run_type, 'manual');
    assert.ok(ctx.end_date, 'the run had ended when the callback ran');
    assert.deepEqual(ctx.conf, { who: 'conf' });
    assert.deepEqual(ctx.params, { who: 'conf' }, 'conf overrides params, as in the task context');
    assert.equal(ctx.ti.task_id, 'second', 'the task instance that finished last');
    assert.equal(ctx.ti.state, 'success');
    assert.equal(ctx.task_id, 'second');
    // Variables and XCom through the Execution API
    assert.equal(ctx.variable, 'from the api');
    assert.equal(ctx.missing, 'fallback');
    assert.equal(ctx.pulled, 2);
    assert.deepEqual(records('cb_success_wrong'), []);
    const log = fs.readFileSync(dagCallbackLogPath(s.config, 'cb_success', runId), 'utf8');
    assert.match(log, /Running on_success_callback of DAG 'cb_success'/);
  });

  test('on_failure_callback runs once (every callback of a list) with reason task_failure and the failed task instance', async () => {
    const runId = await s.trigger('cb_failure');
    assert.equal(await s.waitForRun('cb_failure', runId), 'failed');
    const [request] = await settledCallback('cb_failure', runId);
    assert.equal(request.state, 'success', request.error ?? '');
    assert.equal(request.reason, 'task_failure');
    const calls = records('cb_failure');
    assert.equal(calls.length, 1);
    assert.equal(calls[0].reason, 'task_failure');
    assert.equal(calls[0].state, 'failed');
    assert.equal(calls[0].run_id, runId);
    assert.deepEqual(calls[0].ti, { task_id: 'boom', state: 'failed', try_number: 1 });
    assert.deepEqual(records('cb_failure_second'), [{ run_id: runId }]);
    assert.deepEqual(records('cb_failure_wrong'), []);
    // later scheduler passes do not queue it again
    await new Promise((r) => setTimeout(r, 1500));
    assert.equal((await listCallbackRequests(s.db.pool, 'cb_failure', runId)).length, 1);
    assert.equal(records('cb_failure').length, 1);
  });

  test('a run that passes dagrun_timeout calls on_failure_callback with reason timed_out', async () => {
    const runId = await s.trigger('cb_timeout');
    assert.equal(await s.waitForRun('cb_timeout', runId), 'failed');
    const [request] = await settledCallback('cb_timeout', runId);
    assert.equal(request.state, 'success', request.error ?? '');
    const calls = records('cb_timeout');
    assert.equal(calls.length, 1);
    assert.equal(calls[0].reason, 'timed_out');
    assert.equal(calls[0].state, 'failed');
  });

  test('a callback that throws leaves the run as it was, the next callback still runs, and the error is logged', async () => {
    const runId = await s.trigger('cb_throws');
    assert.equal(await s.waitForRun('cb_throws', runId), 'success');
    const [request] = await settledCallback('cb_throws', runId);
    assert.equal(request.state, 'failed');
    assert.match(request.error ?? '', /the callback itself broke/);
    assert.deepEqual(records('cb_throws_next'), [{ run_id: runId }]);
    const run = await s.api('GET', `/api/v2/dags/cb_throws/dagRuns/${runId}`);
    assert.equal(run.body.state, 'success');
    const log = fs.readFileSync(dagCallbackLogPath(s.config, 'cb_throws', runId), 'utf8');
    assert.match(log, /on_success_callback\[0\] failed: Error: the callback itself broke/);
    assert.match(log, /about to fail/, 'what the callback printed is in its log');
  });
});

describe('DAG callback limits', () => {
  test('a callback that runs past dag_file_processor_timeout is killed and recorded as failed; the run keeps its state', async () => {
    const runId = await s.trigger('cb_hangs');
    assert.equal(await s.waitForRun('cb_hangs', runId), 'failed');
    const started = Date.now();
    const [request] = await settledCallback('cb_hangs', runId);
    assert.equal(request.state, 'failed');
    assert.match(request.error ?? '', /Timeout: the DAG callback ran longer than \[dag_processor\] dag_file_processor_timeout \(5 s\)/);
    assert.ok(Date.now() - started < 15_000);
    const log = fs.readFileSync(dagCallbackLogPath(s.config, 'cb_hangs', runId), 'utf8');
    assert.match(log, /waiting forever/);
    assert.match(log, /ERROR - Timeout: the DAG callback ran longer/);
    assert.equal((await s.api('GET', `/api/v2/dags/cb_hangs/dagRuns/${runId}`)).body.state, 'failed');
  });
});

describe('DAG callbacks survive their runner', () => {
  test('a request left running by a runner that died is taken again and run once', async () => {
    const runId = await s.trigger('cb_failure');
    assert.equal(await s.waitForRun('cb_failure', runId), 'failed');
    await settledCallback('cb_failure', runId);
    const before = records('cb_failure').length;
    // what a killed runner leaves behind: claimed long ago, never finished
    await s.db.pool.query(
      `INSERT INTO callback_request (dag_id, run_id, fileloc, callback, reason, ti_task_id, ti_map_index, state, attempts, started_at)
       SELECT dag_id, run_id, fileloc, callback, reason, ti_task_id, ti_map_index, 'running', 1, now() - interval '1 hour'
       FROM callback_request WHERE dag_id = $1 AND run_id = $2`,
      ['cb_failure', runId],
    );
    await waitFor(async () => (await listCallbackRequests(s.db.pool, 'cb_failure', runId)).every((r) => r.state === 'success'), 15_000, 'the abandoned request to run');
    const rows = await listCallbackRequests(s.db.pool, 'cb_failure', runId);
    assert.deepEqual(rows.map((r) => [r.state, r.attempts]), [['success', 1], ['success', 2]]);
    assert.equal(records('cb_failure').length, before + 1);
  });
});

describe('task callbacks', () => {
  test('on_execute, on_retry, on_success, on_failure and on_skipped run in the task process with the context', async () => {
    const runId = await s.trigger('task_callbacks');
    assert.equal(await s.waitForRun('task_callbacks', runId), 'failed');
    assert.deepEqual(await tiStates(s.db, 'task_callbacks', runId), { flaky: 'success', doomed: 'failed', skipper: 'skipped', broken_callback: 'success' });
    const calls = records('task_callbacks').filter((c) => c.run_id === runId);
    const of = (task: string) => calls.filter((c) => c.task_id === task).map((c) => [c.kind, c.try_number, c.exception]);
    assert.deepEqual(of('flaky'), [
      ['execute', 1, null],
      ['retry', 1, 'first try fails'],
      ['execute', 2, null],
      ['success', 2, null],
    ]);
    assert.deepEqual(of('doomed'), [
      ['execute', 1, null],
      ['failure', 1, 'doomed for good'],
    ]);
    assert.deepEqual(of('skipper'), [
      ['execute', 1, null],
      ['skipped', 1, null],
    ]);
    // a callback that throws is logged; the next one runs and the task keeps its state
    assert.deepEqual(of('broken_callback'), [
      ['execute', 1, null],
      ['success_after_broken', 1, null],
    ]);
    for (const c of calls) {
      assert.equal(c.dag_id, 'task_callbacks');
      assert.equal(c.ti_task_id, c.task_id);
    }
    const log = fs.readFileSync(path.join(s.config.str('logging', 'base_log_folder'), `dag_id=task_callbacks/run_id=${runId}/task_id=broken_callback/attempt=1.log`), 'utf8');
    assert.match(log, /on_success_callback failed: Error: callback broke/);
  });

  test('a try whose process is killed gets its on_retry / on_failure callback from the callback runner, with the reason as exception', async () => {
    const runId = await s.trigger('killed_task');
    assert.equal(await s.waitForRun('killed_task', runId), 'failed');
    await waitFor(async () => records('task_callbacks').filter((c) => c.run_id === runId && c.kind !== 'execute').length >= 2, 30_000, 'both callbacks');
    const calls = records('task_callbacks').filter((c) => c.run_id === runId);
    // the retry callback (callback runner) and the second try (task process) may come in either order
    const sorted = calls.map((c) => `${c.kind}@${c.try_number}`).sort();
    assert.deepEqual(sorted, ['execute@1', 'execute@2', 'failure@2', 'retry@1']);
    const retry = calls.find((c) => c.kind === 'retry');
    const failure = calls.find((c) => c.kind === 'failure');
    assert.ok(retry && failure, JSON.stringify(calls));
    assert.equal(retry.try_number, 1);
    assert.equal(failure.try_number, 2);
    assert.match(retry.exception, /Task process \(try 1\) was killed by SIGKILL without reporting a state/);
    assert.match(failure.exception, /Task process \(try 2\) was killed by SIGKILL/);
    const requests = await settledCallback('killed_task', runId);
    assert.deepEqual(requests.map((r) => [r.kind, r.callback, r.ti_try_number, r.state]), [
      ['task', 'on_retry_callback', 1, 'success'],
      ['task', 'on_failure_callback', 2, 'success'],
    ]);
    const log = fs.readFileSync(path.join(s.config.str('logging', 'base_log_folder'), `dag_id=killed_task/run_id=${runId}/task_id=suicide/attempt=2.log`), 'utf8');
    assert.match(log, /Running on_failure_callback of try 2 in the callback runner \(Task process \(try 2\) was killed by SIGKILL/);
  });

  test('a try marked failed or success while it runs gets the callback of that state', async () => {
    const runId = await s.trigger('marked_task');
    await waitFor(async () => Object.values(await tiStates(s.db, 'marked_task', runId)).every((st) => st === 'running'), 20_000, 'both tasks to run');
    await waitFor(() => records('task_callbacks').filter((c) => c.run_id === runId && c.kind === 'execute').length === 2, 10_000, 'both tries to start');
    const url = `/api/v2/dags/marked_task/dagRuns/${encodeURIComponent(runId)}/taskInstances`;
    assert.equal((await s.api('PATCH', `${url}/to_fail`, { new_state: 'failed' })).status, 200);
    assert.equal((await s.api('PATCH', `${url}/to_succeed`, { new_state: 'success' })).status, 200);
    assert.equal(await s.waitForRun('marked_task', runId), 'failed');
    await waitFor(() => records('task_callbacks').filter((c) => c.run_id === runId && c.kind !== 'execute').length >= 2, 30_000, 'the callbacks of the marked tries');
    const calls = records('task_callbacks').filter((c) => c.run_id === runId && c.kind !== 'execute');
    assert.deepEqual(calls.map((c) => `${c.task_id}:${c.kind}:${c.exception}`).sort(), [
      'to_fail:failure:task marked as failed externally',
      'to_succeed:success:null',
    ]);
  });
});
