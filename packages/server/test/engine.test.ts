/**
 * End to end inside one process: a standalone (api-server, DAG processor,
 * scheduler, local executor) on a real embedded PostgreSQL runs DAG files
 * written to its dags folder, triggered through the REST API.
 */
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { randomUUID } from 'node:crypto';
import { jwtSecret } from '../src/security/secret.ts';
import { signToken } from '../src/security/tokens.ts';
import { startStandalone, type TestStandalone, tiStates, waitFor } from './helpers.ts';

let s: TestStandalone;

before(async () => {
  s = await startStandalone({ UPDRAFT__SCHEDULER__TASK_INSTANCE_HEARTBEAT_TIMEOUT: '3' });
});
after(async () => {
  await s?.close();
});

const trigger = (dagId: string, body: Record<string, unknown> = {}) => s.trigger(dagId, body);

describe('running DAGs', () => {
  test('a fan-out/fan-in bash DAG succeeds, with readable logs and rendered templates', async () => {
    s.writeDag(
      'fan.ts',
      `import { DAG, BashOperator, EmptyOperator, chain } from '@updraft/sdk';
       export default new DAG({ dag_id: 'fan', schedule: null, start_date: '2024-01-01' }, () => {
         const start = new BashOperator({ task_id: 'start', bash_command: 'echo "conf={{ dag_run.conf.who }} run={{ run_id }}"' });
         const middle = [1, 2, 3].map((i) => new BashOperator({ task_id: 'work_' + i, bash_command: 'echo working ' + i }));
         const end = new EmptyOperator({ task_id: 'end' });
         chain(start, middle, end);
       });`,
    );
    await s.waitForDag('fan');
    const runId = await trigger('fan', { conf: { who: 'tester' } });
    assert.equal(await s.waitForRun('fan', runId), 'success');
    assert.deepEqual(await tiStates(s.db, 'fan', runId), { start: 'success', work_1: 'success', work_2: 'success', work_3: 'success', end: 'success' });

    const log = await s.api('GET', `/api/v2/dags/fan/dagRuns/${encodeURIComponent(runId)}/taskInstances/start/logs/1`, undefined, { accept: 'text/plain' });
    assert.equal(log.status, 200);
    assert.match(log.body, /conf=tester run=manual__/);
    const file = path.join(s.config.str('logging', 'base_log_folder'), `dag_id=fan/run_id=${runId}/task_id=start/attempt=1.log`);
    assert.match(fs.readFileSync(file, 'utf8'), /\{task\} INFO - conf=tester/);

    const ti = await s.api('GET', `/api/v2/dags/fan/dagRuns/${encodeURIComponent(runId)}/taskInstances/start`);
    assert.equal(ti.body.rendered_fields.bash_command, `echo "conf=tester run=${runId}"`);
    const xcom = await s.db.pool.query("SELECT value FROM xcom WHERE dag_id = 'fan' AND run_id = $1 AND task_id = 'start' AND key = 'return_value'", [runId]);
    assert.equal(xcom.rows[0].value, `conf=tester run=${runId}`);
  });

  test('a failing task retries with backoff and succeeds on its second try', async () => {
    const marker = path.join(s.dagsFolder, 'flaky.marker');
    s.writeDag(
      'flaky.ts',
      `import { DAG, BashOperator } from '@updraft/sdk';
       export default new DAG({ dag_id: 'flaky', schedule: null, start_date: '2024-01-01' }, () => {
         new BashOperator({ task_id: 'flaky', retries: 2, retry_delay: 0.3, retry_exponential_backoff: true,
           bash_command: 'if [ -f ${marker} ]; then echo second; else touch ${marker}; echo first; exit 1; fi' });
       });`,
    );
    await s.waitForDag('flaky');
    const runId = await trigger('flaky');
    assert.equal(await s.waitForRun('flaky', runId), 'success');
    const ti = await s.db.pool.query("SELECT state, try_number FROM task_instance WHERE dag_id = 'flaky' AND run_id = $1", [runId]);
    assert.deepEqual(ti.rows[0], { state: 'success', try_number: 2 });
    const history = await s.db.pool.query("SELECT try_number, state, start_date, end_date FROM task_instance_history WHERE dag_id = 'flaky' AND run_id = $1 ORDER BY try_number", [runId]);
    assert.ok(history.rows[1].start_date.getTime() - history.rows[0].end_date.getTime() >= 300, 'the second try waited for retry_delay');
    assert.deepEqual(history.rows.map(({ try_number, state }) => ({ try_number, state })), [
      { try_number: 1, state: 'up_for_retry' },
      { try_number: 2, state: 'success' },
    ]);
    const logs = path.join(s.config.str('logging', 'base_log_folder'), `dag_id=flaky/run_id=${runId}/task_id=flaky`);
    assert.match(fs.readFileSync(path.join(logs, 'attempt=1.log'), 'utf8'), /non-zero exit code 1/);
    assert.match(fs.readFileSync(path.join(logs, 'attempt=2.log'), 'utf8'), /second/);
  });

  test('execution_timeout fails the task and kills its command', async () => {
    s.writeDag(
      'slow.ts',
      `import { DAG, BashOperator } from '@updraft/sdk';
       export default new DAG({ dag_id: 'slow', schedule: null, start_date: '2024-01-01' }, () => {
         new BashOperator({ task_id: 'sleepy', execution_timeout: 1, bash_command: 'sleep 30' });
       });`,
    );
    await s.waitForDag('slow');
    const runId = await trigger('slow');
    assert.equal(await s.waitForRun('slow', runId, 20_000), 'failed');
    const ti = await s.db.pool.query("SELECT state, duration FROM task_instance WHERE dag_id = 'slow' AND run_id = $1", [runId]);
    assert.equal(ti.rows[0].state, 'failed');
    assert.ok(ti.rows[0].duration < 10, `took ${ti.rows[0].duration} s`);
    const log = fs.readFileSync(path.join(s.config.str('logging', 'base_log_folder'), `dag_id=slow/run_id=${runId}/task_id=sleepy/attempt=1.log`), 'utf8');
    assert.match(log, /Timeout/);
  });

  test('a task process killed with SIGKILL is noticed, and the task retried', async () => {
    s.writeDag(
      'killed.ts',
      `import { DAG, BashOperator } from '@updraft/sdk';
       export default new DAG({ dag_id: 'killed', schedule: null, start_date: '2024-01-01' }, () => {
         new BashOperator({ task_id: 'victim', retries: 1, retry_delay: 0.1, bash_command: 'if [ "{{ ti.try_number }}" = "1" ]; then sleep 30; fi; echo done' });
       });`,
    );
    await s.waitForDag('killed');
    const runId = await trigger('killed');
    let pid = 0;
    await waitFor(
      async () => {
        const r = await s.db.pool.query("SELECT pid FROM task_instance WHERE dag_id = 'killed' AND run_id = $1 AND state = 'running'", [runId]);
        pid = r.rows[0]?.pid ?? 0;
        return pid > 0;
      },
      15_000,
      'the task to run',
    );
    process.kill(pid, 'SIGKILL');
    assert.equal(await s.waitForRun('killed', runId), 'success');
    const history = await s.db.pool.query("SELECT try_number, state FROM task_instance_history WHERE dag_id = 'killed' AND run_id = $1 ORDER BY try_number", [runId]);
    assert.deepEqual(history.rows, [
      { try_number: 1, state: 'up_for_retry' },
      { try_number: 2, state: 'success' },
    ]);
    const log = fs.readFileSync(path.join(s.config.str('logging', 'base_log_folder'), `dag_id=killed/run_id=${runId}/task_id=victim/attempt=1.log`), 'utf8');
    assert.match(log, /killed by SIGKILL without reporting a state/);
  });

  test('a running try whose heartbeats stopped is failed after task_instance_heartbeat_timeout', async () => {
    s.writeDag(
      'ghost.ts',
      `import { DAG, BashOperator } from '@updraft/sdk';
       export default new DAG({ dag_id: 'ghost', schedule: null, start_date: '2024-01-01' }, () => {
         new BashOperator({ task_id: 'ghost', bash_command: 'echo never' });
       });`,
    );
    await s.waitForDag('ghost');
    // a try "running" on a machine that vanished: no process of ours, a stale heartbeat
    const runId = await trigger('ghost');
    await s.waitForRun('ghost', runId);
    // one statement: a scheduler pass between two separate updates would see a running run
    // whose only task succeeded and mark the run success again
    await s.db.pool.query(
      `WITH ti AS (
         UPDATE task_instance SET state = 'running', id = gen_random_uuid(), last_heartbeat_at = now() - interval '1 hour'
          WHERE dag_id = 'ghost' AND run_id = $1
       )
       UPDATE dag_run SET state = 'running', end_date = NULL WHERE dag_id = 'ghost' AND run_id = $1`,
      [runId],
    );
    assert.equal(await s.waitForRun('ghost', runId, 15_000), 'failed');
    assert.deepEqual(await tiStates(s.db, 'ghost', runId), { ghost: 'failed' });
  });

  test('dagrun_timeout fails the run and stops what still runs', async () => {
    s.writeDag(
      'timeboxed.ts',
      `import { DAG, BashOperator } from '@updraft/sdk';
       export default new DAG({ dag_id: 'timeboxed', schedule: null, start_date: '2024-01-01', dagrun_timeout: 1 }, () => {
         new BashOperator({ task_id: 'long', bash_command: 'sleep 30' }).then(new BashOperator({ task_id: 'after', bash_command: 'echo after' }));
       });`,
    );
    await s.waitForDag('timeboxed');
    const runId = await trigger('timeboxed');
    assert.equal(await s.waitForRun('timeboxed', runId, 15_000), 'failed');
    assert.deepEqual(await tiStates(s.db, 'timeboxed', runId), { long: 'skipped', after: 'skipped' });
  });

  test('a pool with one slot runs its tasks one at a time, highest priority first', async () => {
    await s.db.pool.query("INSERT INTO slot_pool (pool, slots, description) VALUES ('single', 1, 'one at a time')");
    s.writeDag(
      'pooled.ts',
      `import { DAG, BashOperator } from '@updraft/sdk';
       export default new DAG({ dag_id: 'pooled', schedule: null, start_date: '2024-01-01' }, () => {
         for (const [id, weight] of [['low', 1], ['high', 10], ['mid', 5]]) {
           new BashOperator({ task_id: id, pool: 'single', priority_weight: weight, bash_command: 'sleep 0.3' });
         }
       });`,
    );
    await s.waitForDag('pooled');
    const runId = await trigger('pooled');
    assert.equal(await s.waitForRun('pooled', runId), 'success');
    const r = await s.db.pool.query<{ task_id: string; start_date: Date; end_date: Date }>(
      "SELECT task_id, start_date, end_date FROM task_instance WHERE dag_id = 'pooled' AND run_id = $1 ORDER BY start_date",
      [runId],
    );
    assert.deepEqual(r.rows.map((x) => x.task_id), ['high', 'mid', 'low']);
    for (let i = 1; i < r.rows.length; i++) assert.ok(r.rows[i].start_date >= r.rows[i - 1].end_date, 'two tasks of a 1-slot pool overlapped');
  });
});

describe('refused requests change nothing', () => {
  test('triggering an unknown DAG is a 404 and creates no run', async () => {
    const before = (await s.db.pool.query('SELECT count(*) AS n FROM dag_run')).rows[0].n;
    const res = await s.api('POST', '/api/v2/dags/no_such_dag/dagRuns', { conf: {} });
    assert.equal(res.status, 404);
    assert.match(res.body.detail, /no_such_dag/);
    assert.equal((await s.db.pool.query('SELECT count(*) AS n FROM dag_run')).rows[0].n, before);
  });

  test('conf that is not a JSON object is a 400 and creates no run', async () => {
    await s.waitForDag('fan');
    const before = (await s.db.pool.query("SELECT count(*) AS n FROM dag_run WHERE dag_id = 'fan'")).rows[0].n;
    for (const conf of [[1, 2], 'text', 5]) {
      const res = await s.api('POST', '/api/v2/dags/fan/dagRuns', { conf });
      assert.equal(res.status, 400, JSON.stringify(conf));
      assert.match(res.body.detail, /conf must be a JSON object/);
    }
    assert.equal((await s.db.pool.query("SELECT count(*) AS n FROM dag_run WHERE dag_id = 'fan'")).rows[0].n, before);
  });

  test('a duplicate run id is a 409 and leaves the first run alone', async () => {
    const runId = await trigger('fan', { dag_run_id: 'only_once' });
    const res = await s.api('POST', '/api/v2/dags/fan/dagRuns', { dag_run_id: 'only_once', logical_date: null });
    assert.equal(res.status, 409);
    assert.equal((await s.db.pool.query("SELECT count(*) AS n FROM dag_run WHERE dag_id = 'fan' AND run_id = $1", [runId])).rows[0].n, 1);
  });

  test('the API needs a bearer token, except health and version', async () => {
    const anonymous = await fetch(`${s.url}/api/v2/dags`);
    assert.equal(anonymous.status, 401);
    const forged = await fetch(`${s.url}/api/v2/dags`, { headers: { authorization: 'Bearer not-a-token' } });
    assert.equal(forged.status, 401);
    assert.equal((await fetch(`${s.url}/api/v2/monitor/health`)).status, 200);
    assert.equal((await fetch(`${s.url}/api/v2/version`)).status, 200);
    const wrong = await fetch(`${s.url}/auth/token`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ username: 'admin', password: 'wrong' }) });
    assert.equal(wrong.status, 401);
  });

  test('a task token cannot act on another try', async () => {
    const runId = await trigger('fan');
    await s.waitForRun('fan', runId);
    const res = await s.api('PATCH', '/execution/task-instances/00000000-0000-0000-0000-000000000000/run', { hostname: 'x', pid: 1 });
    assert.equal(res.status, 403, 'a user token is refused by the Execution API');
  });

  test("a task try's token is refused for any other try", async () => {
    const mine = randomUUID();
    const token = await signToken(jwtSecret(s.config), { kind: 'task', sub: mine, dag_id: 'fan', run_id: 'x', task_id: 'start', map_index: -1, try_number: 1 }, 60);
    const call = (id: string) =>
      fetch(`${s.url}/execution/task-instances/${id}/heartbeat`, { method: 'PUT', headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' }, body: '{}' }).then((r) => r.status);
    assert.equal(await call(randomUUID()), 403, 'another try');
    assert.equal(await call(mine), 409, 'its own try is recognised (not running, so refused as such)');
    const publicApi = await fetch(`${s.url}/api/v2/dags`, { headers: { authorization: `Bearer ${token}` } });
    assert.equal(publicApi.status, 403, 'a task token cannot call the public API');
  });

  test('health reports the scheduler, the DAG processor and the triggerer', async () => {
    const res = (await fetch(`${s.url}/api/v2/monitor/health`).then((r) => r.json())) as Record<string, { status: string }>;
    assert.equal(res.metadatabase.status, 'healthy');
    assert.equal(res.scheduler.status, 'healthy');
    assert.equal(res.dag_processor.status, 'healthy');
    assert.equal(res.triggerer.status, 'healthy');
  });
});
