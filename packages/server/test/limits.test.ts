/**
 * Concurrency limits with real task processes: [core] parallelism and a DAG's
 * max_active_tasks; and the retry delay arithmetic (exponential backoff, max
 * delay) of the finishTry transition.
 */
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { finishTry } from '../src/db/sql/task-instances.ts';
import { startStandalone, type TestStandalone } from './helpers.ts';

let s: TestStandalone;
before(async () => {
  s = await startStandalone({ UPDRAFT__CORE__PARALLELISM: '2' });
});
after(async () => {
  await s?.close();
});

/** Largest number of task instances of a run whose [start, end] intervals overlap. */
async function maxOverlap(dagId: string, runId: string): Promise<number> {
  const r = await s.db.pool.query<{ start_date: Date; end_date: Date }>('SELECT start_date, end_date FROM task_instance WHERE dag_id = $1 AND run_id = $2', [dagId, runId]);
  const events = r.rows.flatMap((t) => [
    [t.start_date.getTime(), 1],
    [t.end_date.getTime(), -1],
  ]).sort((a, b) => a[0] - b[0] || a[1] - b[1]);
  let now = 0;
  let max = 0;
  for (const [, delta] of events) {
    now += delta;
    max = Math.max(max, now);
  }
  return max;
}

async function runOf(dagId: string, source: string) {
  s.writeDag(`${dagId}.ts`, source);
  await s.waitForDag(dagId);
  const res = await s.api('POST', `/api/v2/dags/${dagId}/dagRuns`, { logical_date: null });
  assert.equal(res.status, 200);
  assert.equal(await s.waitForRun(dagId, res.body.dag_run_id), 'success');
  return res.body.dag_run_id as string;
}

test('[core] parallelism bounds the task processes running at once', async () => {
  const runId = await runOf(
    'wide_parallel',
    `import { DAG, BashOperator } from '@updraft/sdk';
     export default new DAG({ dag_id: 'wide_parallel', schedule: null, start_date: '2024-01-01' }, () => {
       for (let i = 0; i < 5; i++) new BashOperator({ task_id: 't' + i, bash_command: 'sleep 0.4' });
     });`,
  );
  assert.equal(await maxOverlap('wide_parallel', runId), 2);
});

test("a DAG's max_active_tasks bounds its own task instances", async () => {
  const runId = await runOf(
    'one_task_at_a_time',
    `import { DAG, BashOperator } from '@updraft/sdk';
     export default new DAG({ dag_id: 'one_task_at_a_time', schedule: null, start_date: '2024-01-01', max_active_tasks: 1 }, () => {
       for (let i = 0; i < 3; i++) new BashOperator({ task_id: 't' + i, bash_command: 'sleep 0.3' });
     });`,
  );
  assert.equal(await maxOverlap('one_task_at_a_time', runId), 1);
});

test('retry delays: fixed, exponential, capped by max_retry_delay; no retry once tries run out', async () => {
  const runId = await runOf(
    'retry_math',
    `import { DAG, EmptyOperator } from '@updraft/sdk';
     export default new DAG({ dag_id: 'retry_math', schedule: null, start_date: '2024-01-01' }, () => {
       new EmptyOperator({ task_id: 'placeholder' });
     });`,
  );
  const pool = s.db.pool;
  // a running try number N with 5 retries allowed
  const runningTry = async (tryNumber: number) => {
    const r = await pool.query<{ id: string }>(
      "UPDATE task_instance SET state = 'running', try_number = $2, max_tries = 5, id = gen_random_uuid(), start_date = now() WHERE dag_id = 'retry_math' AND run_id = $1 RETURNING id",
      [runId, tryNumber],
    );
    return r.rows[0].id;
  };
  const delayOf = async (tryNumber: number, policy: { retry_delay_seconds: number; retry_exponential_backoff: boolean; max_retry_delay_seconds: number | null }) => {
    const row = await finishTry(pool, await runningTry(tryNumber), 'failed', policy);
    assert.ok(row);
    assert.equal(row.state, 'up_for_retry');
    return Math.round(((row.next_retry_at as Date).getTime() - (row.end_date as Date).getTime()) / 1000);
  };
  assert.equal(await delayOf(3, { retry_delay_seconds: 10, retry_exponential_backoff: false, max_retry_delay_seconds: null }), 10);
  assert.equal(await delayOf(3, { retry_delay_seconds: 10, retry_exponential_backoff: true, max_retry_delay_seconds: null }), 40);
  assert.equal(await delayOf(5, { retry_delay_seconds: 10, retry_exponential_backoff: true, max_retry_delay_seconds: 60 }), 60);
  const last = await finishTry(pool, await runningTry(6), 'failed', { retry_delay_seconds: 10, retry_exponential_backoff: false, max_retry_delay_seconds: null });
  assert.equal(last?.state, 'failed');
  const noRetry = await finishTry(pool, await runningTry(1), 'failed_no_retry', { retry_delay_seconds: 10, retry_exponential_backoff: false, max_retry_delay_seconds: null });
  assert.equal(noRetry?.state, 'failed', 'AirflowFailException fails without retry');
  // a transition from a state the caller did not expect changes nothing
  const stale = await finishTry(pool, last?.id as string, 'success', { retry_delay_seconds: 0, retry_exponential_backoff: false, max_retry_delay_seconds: null });
  assert.equal(stale, null);
  assert.equal((await pool.query("SELECT state FROM task_instance WHERE dag_id = 'retry_math' AND run_id = $1", [runId])).rows[0].state, 'failed');
});
