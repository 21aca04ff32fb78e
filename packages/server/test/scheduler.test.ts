/**
 * The scheduler against a real database, with an executor that completes
 * tasks at once: automated runs (catchup, timezones, end_date, max_active_runs,
 * pause) and two schedulers sharing one database.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { DAG, EmptyOperator, BashOperator, chain, serializeDag } from '@updraft/sdk';
import { upsertDag } from '../src/db/sql/dags.ts';
import { finishTry, startTry } from '../src/db/sql/task-instances.ts';
import type { Executor, ProcessExit, Workload } from '../src/executors/workload.ts';
import { refreshNextDagrun, timetableOf } from '../src/scheduler/runs.ts';
import { Scheduler } from '../src/scheduler/scheduler.ts';
import { describeSchedule } from '../src/scheduler/timetable.ts';
import { createLogger } from '../src/util/logger.ts';
import { startTestDb, type TestDb, waitFor } from './helpers.ts';

/** Runs each try "instantly" through the same SQL the Execution API uses; or never, when `hold` is set. */
class InstantExecutor implements Executor {
  readonly submitted: string[] = [];
  private readonly listeners: ((e: ProcessExit) => void)[] = [];
  private readonly db: TestDb;
  private readonly hold: boolean;
  constructor(db: TestDb, hold = false) {
    this.db = db;
    this.hold = hold;
  }
  freeSlots() {
    return 1000;
  }
  running() {
    return [];
  }
  onExit(l: (e: ProcessExit) => void) {
    this.listeners.push(l);
  }
  submit(w: Workload) {
    this.submitted.push(`${w.dag_id}/${w.run_id}/${w.task_id}/${w.try_number}`);
    if (this.hold) return;
    void (async () => {
      await startTry(this.db.db.pool, w.ti_id, 'test', process.pid);
      await finishTry(this.db.db.pool, w.ti_id, 'success', { retry_delay_seconds: 0, retry_exponential_backoff: false, max_retry_delay_seconds: null });
      for (const l of this.listeners) l({ ti_id: w.ti_id, code: 0, signal: null, log_path: w.log_path, timed_out: false });
    })();
  }
  async stop() {}
}

let t: TestDb;
before(async () => {
  t = await startTestDb();
});
after(async () => {
  await t?.close();
});

const DAY = 86_400_000;
const midnight = (daysAgo: number) => new Date(Math.floor(Date.now() / DAY) * DAY - daysAgo * DAY);

async function store(dag: DAG, paused = false) {
  const data = serializeDag(dag, `/dags/${dag.dag_id}.ts`);
  await upsertDag(t.db.pool, { data, relativeFileloc: `${dag.dag_id}.ts`, defaultMaxActiveRuns: 16, defaultMaxActiveTasks: 16, pausedByDefault: paused, timetableDescription: describeSchedule(timetableOf(data)) });
  await refreshNextDagrun(t.db.pool, data);
  return data;
}

function scheduler(executor: Executor) {
  return new Scheduler({ pool: t.db.pool, config: t.config, executor, secret: new TextEncoder().encode('test'), apiUrl: 'http://127.0.0.1:9', log: createLogger('test', 'error') });
}

async function passes(s: Scheduler, n = 6) {
  for (let i = 0; i < n; i++) await s.runOnce();
}

async function runsOf(dagId: string) {
  const r = await t.db.pool.query<{ logical_date: Date; data_interval_start: Date; data_interval_end: Date; run_type: string; state: string }>(
    'SELECT logical_date, data_interval_start, data_interval_end, run_type, state FROM dag_run WHERE dag_id = $1 ORDER BY logical_date',
    [dagId],
  );
  return r.rows;
}

describe('automated runs', () => {
  test('catchup creates one run per missed interval, each at the end of its interval', async () => {
    await store(new DAG({ dag_id: 'daily_catchup', schedule: '@daily', start_date: midnight(3), catchup: true }, () => new EmptyOperator({ task_id: 'noop' })));
    await passes(scheduler(new InstantExecutor(t)));
    const runs = await runsOf('daily_catchup');
    assert.deepEqual(runs.map((r) => r.logical_date.toISOString()), [midnight(3), midnight(2), midnight(1)].map((d) => d.toISOString()));
    for (const r of runs) {
      assert.equal(r.data_interval_end.getTime() - r.data_interval_start.getTime(), DAY);
      assert.equal(r.run_type, 'scheduled');
    }
  });

  test('without catchup only the latest complete interval runs', async () => {
    await store(new DAG({ dag_id: 'daily_latest', schedule: '@daily', start_date: midnight(10), catchup: false }, () => new EmptyOperator({ task_id: 'noop' })));
    await passes(scheduler(new InstantExecutor(t)));
    assert.deepEqual((await runsOf('daily_latest')).map((r) => r.logical_date.toISOString()), [midnight(1).toISOString()]);
  });

  test('a DAG in another timezone runs at its local midnight', async () => {
    await store(new DAG({ dag_id: 'zurich', schedule: '0 0 * * *', timezone: 'Europe/Zurich', start_date: midnight(5), catchup: false }, () => new EmptyOperator({ task_id: 'noop' })));
    await passes(scheduler(new InstantExecutor(t)));
    const [run] = await runsOf('zurich');
    const local = new Intl.DateTimeFormat('en-GB', { timeZone: 'Europe/Zurich', hour: '2-digit', minute: '2-digit', hourCycle: 'h23' }).format(run.logical_date);
    assert.equal(local, '00:00');
    assert.notEqual(run.logical_date.getUTCHours(), 0, 'Zurich midnight is not UTC midnight');
  });

  test('end_date stops the schedule', async () => {
    await store(new DAG({ dag_id: 'ended', schedule: '@daily', start_date: midnight(6), end_date: midnight(4), catchup: true }, () => new EmptyOperator({ task_id: 'noop' })));
    await passes(scheduler(new InstantExecutor(t)), 8);
    assert.deepEqual((await runsOf('ended')).map((r) => r.logical_date.toISOString()), [midnight(6), midnight(5), midnight(4)].map((d) => d.toISOString()));
  });

  test('max_active_runs holds back further runs while one is active', async () => {
    await store(new DAG({ dag_id: 'one_at_a_time', schedule: '@daily', start_date: midnight(5), catchup: true, max_active_runs: 1 }, () => new BashOperator({ task_id: 'b', bash_command: 'true' })));
    const held = new InstantExecutor(t, true);
    await passes(scheduler(held));
    const runs = await runsOf('one_at_a_time');
    assert.equal(runs.length, 1);
    assert.equal(runs[0].state, 'running');
  });

  test('a paused DAG creates no automated runs', async () => {
    await store(new DAG({ dag_id: 'paused_daily', schedule: '@daily', start_date: midnight(3), catchup: true }, () => new EmptyOperator({ task_id: 'noop' })), true);
    await passes(scheduler(new InstantExecutor(t)));
    assert.equal((await runsOf('paused_daily')).length, 0);
  });
});

describe('two schedulers on one database', () => {
  test('never queue the same task instance twice', async () => {
    await store(
      new DAG({ dag_id: 'wide', schedule: '@daily', start_date: midnight(8), catchup: true, max_active_runs: 8 }, () => {
        const tasks = Array.from({ length: 40 }, (_, i) => new BashOperator({ task_id: `t${i}`, bash_command: 'true' }));
        chain(new BashOperator({ task_id: 'first', bash_command: 'true' }), tasks, new BashOperator({ task_id: 'last', bash_command: 'true' }));
      }),
    );
    const a = new InstantExecutor(t);
    const b = new InstantExecutor(t);
    const sa = scheduler(a);
    const sb = scheduler(b);
    await Promise.all([sa.start(), sb.start()]);
    try {
      await waitFor(async () => {
        const r = await t.db.pool.query<{ n: number }>("SELECT count(*) AS n FROM dag_run WHERE dag_id = 'wide' AND state = 'success'");
        return r.rows[0].n === 8;
      }, 30_000, 'eight runs to succeed');
    } finally {
      await Promise.all([sa.stop(), sb.stop()]);
    }
    const all = [...a.submitted, ...b.submitted].filter((k) => k.startsWith('wide/'));
    assert.equal(new Set(all).size, all.length, 'a task instance try was submitted twice');
    assert.equal(all.length, 8 * 42);
    assert.ok(a.submitted.length > 0 && b.submitted.length > 0, `both schedulers worked (${a.submitted.length} / ${b.submitted.length})`);
    const tries = await t.db.pool.query<{ n: number }>("SELECT count(*) AS n FROM task_instance WHERE dag_id = 'wide' AND (try_number <> 1 OR state <> 'success')");
    assert.equal(tries.rows[0].n, 0);
  });
});
