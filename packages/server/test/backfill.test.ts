/**
 * Backfills: run by the scheduler against a real database (dates, order,
 * max_active_runs, reprocess_behavior, pause, cancel, Airflow's refusals),
 * through the REST API with every answer checked against the spec, and from
 * the CLI, including that a backfill keeps going after the CLI is killed.
 */
import assert from 'node:assert/strict';
import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { after, before, describe, test } from 'node:test';
import { BashOperator, DAG, Param, serializeDag } from '@updraft/sdk';
import { upsertDag } from '../src/db/sql/dags.ts';
import { finishTry, startTry } from '../src/db/sql/task-instances.ts';
import type { Executor, ProcessExit, Workload } from '../src/executors/workload.ts';
import {
  advanceBackfills,
  backfillRunInfos,
  cancelBackfill,
  createBackfill,
  dryRunBackfill,
  InvalidBackfillError,
  BackfillConflictError,
  setPausedBackfill,
} from '../src/scheduler/backfill.ts';
import { NotFoundError, refreshNextDagrun, timetableOf, triggerDagRun } from '../src/scheduler/runs.ts';
import { Scheduler } from '../src/scheduler/scheduler.ts';
import { describeSchedule } from '../src/scheduler/timetable.ts';
import { createLogger } from '../src/util/logger.ts';
import { Contract, ContractClient, dbSnapshot } from './api-contract.ts';
import { startStandalone, startTestDb, type TestDb, type TestStandalone, waitFor } from './helpers.ts';

const DAY = 86_400_000;
const midnight = (daysAgo: number) => new Date(Math.floor(Date.now() / DAY) * DAY - daysAgo * DAY);
const iso = (d: Date) => d.toISOString();

/** Holds every try until the test finishes it, so the test sees how many runs are active at each step. */
class ManualExecutor implements Executor {
  readonly pending: Workload[] = [];
  private readonly listeners: ((e: ProcessExit) => void)[] = [];
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
    // a try queued again (this scheduler was never started, so its queued tries look orphaned) replaces the earlier one
    const same = this.pending.findIndex((p) => p.dag_id === w.dag_id && p.run_id === w.run_id && p.task_id === w.task_id && p.map_index === w.map_index);
    if (same >= 0) this.pending.splice(same, 1);
    this.pending.push(w);
  }
  async stop() {}
  /** Ends every held try with `state` (through the same SQL the Execution API uses). */
  async finish(t: TestDb, state: 'success' | 'failed', which: (w: Workload) => boolean = () => true) {
    const chosen = this.pending.filter(which);
    for (const w of chosen) {
      this.pending.splice(this.pending.indexOf(w), 1);
      await startTry(t.db.pool, w.ti_id, 'test', process.pid);
      await finishTry(t.db.pool, w.ti_id, state, { retry_delay_seconds: 0, retry_exponential_backoff: false, max_retry_delay_seconds: null });
    }
  }
}

describe('backfills in the scheduler', () => {
  let t: TestDb;
  before(async () => {
    t = await startTestDb();
  });
  after(async () => {
    await t?.close();
  });

  async function store(dag: DAG) {
    const data = serializeDag(dag, `/dags/${dag.dag_id}.ts`);
    // paused, as new DAGs are by default: a paused DAG can be backfilled
    await upsertDag(t.db.pool, { data, relativeFileloc: `${dag.dag_id}.ts`, defaultMaxActiveRuns: 16, defaultMaxActiveTasks: 16, pausedByDefault: true, timetableDescription: describeSchedule(timetableOf(data)) });
    await refreshNextDagrun(t.db.pool, data);
    return data;
  }
  const daily = (dagId: string, extra: Record<string, unknown> = {}, dependsOnPast = false) =>
    store(new DAG({ dag_id: dagId, schedule: '@daily', start_date: midnight(60), catchup: false, ...extra }, () => new BashOperator({ task_id: 'work', bash_command: 'true', depends_on_past: dependsOnPast })));

  function scheduler(executor: Executor) {
    return new Scheduler({ pool: t.db.pool, config: t.config, executor, secret: new TextEncoder().encode('test'), apiUrl: 'http://127.0.0.1:9', log: createLogger('test', 'error') });
  }
  async function passes(s: Scheduler, n = 3) {
    for (let i = 0; i < n; i++) await s.runOnce();
  }
  async function runs(dagId: string) {
    const r = await t.db.pool.query<{ run_id: string; logical_date: Date; run_type: string; state: string; backfill_id: number | null; triggered_by: string; conf: unknown; start_date: Date | null }>(
      'SELECT run_id, logical_date, run_type, state, backfill_id, triggered_by, conf, start_date FROM dag_run WHERE dag_id = $1 ORDER BY logical_date',
      [dagId],
    );
    return r.rows;
  }
  const backfillRow = async (id: number) => (await t.db.pool.query('SELECT * FROM backfill WHERE id = $1', [id])).rows[0];

  test('dates are the timetable\'s logical dates from from_date to to_date, both included, skipping intervals not yet over', async () => {
    const dag = await daily('dates');
    assert.deepEqual(backfillRunInfos(dag, midnight(5), midnight(3)).map((i) => iso(i.logical_date)), [5, 4, 3].map((n) => iso(midnight(n))));
    // a from_date between ticks starts at the next tick; to_date between ticks ends at the tick before
    assert.deepEqual(backfillRunInfos(dag, new Date(midnight(5).getTime() + 3600_000), new Date(midnight(3).getTime() + 3600_000)).map((i) => iso(i.logical_date)), [4, 3].map((n) => iso(midnight(n))));
    // today's interval has not ended: it is not backfilled
    assert.deepEqual(backfillRunInfos(dag, midnight(1), new Date()).map((i) => iso(i.logical_date)), [iso(midnight(1))]);
    assert.deepEqual((await dryRunBackfill(t.db.pool, { dag_id: 'dates', from_date: midnight(5), to_date: midnight(3), run_backwards: true })).map(iso), [3, 4, 5].map((n) => iso(midnight(n))));
  });

  test('runs are made in date order, run_type backfill, at most max_active_runs at once, and the backfill completes', async () => {
    await daily('ordered');
    const executor = new ManualExecutor();
    const s = scheduler(executor);
    const b = await createBackfill(t.db.pool, { dag_id: 'ordered', from_date: midnight(5), to_date: midnight(2), max_active_runs: 2, dag_run_conf: { source: 'backfill' } });
    assert.equal(b.max_active_runs, 2);
    assert.equal(b.completed_at, null);
    await passes(s);
    let r = await runs('ordered');
    assert.deepEqual(r.map((x) => [iso(x.logical_date), x.state]), [[iso(midnight(5)), 'running'], [iso(midnight(4)), 'running']]);
    for (const x of r) {
      assert.equal(x.run_type, 'backfill');
      assert.equal(x.run_id, `backfill__${iso(x.logical_date).slice(0, 19)}+00:00`);
      assert.equal(Number(x.backfill_id), b.id);
      assert.equal(x.triggered_by, 'backfill');
      assert.deepEqual(x.conf, { source: 'backfill' });
    }
    // the DAG is paused: its schedule adds nothing, the backfill still runs
    assert.equal(executor.pending.length, 2);
    await executor.finish(t, 'success');
    await passes(s);
    r = await runs('ordered');
    assert.deepEqual(r.map((x) => x.state), ['success', 'success', 'running', 'running']);
    await executor.finish(t, 'failed');
    await passes(s);
    r = await runs('ordered');
    assert.deepEqual(r.map((x) => x.state), ['success', 'success', 'failed', 'failed']);
    assert.ok((await backfillRow(b.id)).completed_at, 'completed once every run finished');
    // a completed backfill refuses pause and cancel
    await assert.rejects(setPausedBackfill(t.db.pool, b.id, true), BackfillConflictError);
    await assert.rejects(cancelBackfill(t.db.pool, b.id), BackfillConflictError);
  });

  test('max_active_runs defaults to the DAG\'s, and run_backwards starts with the newest date', async () => {
    await daily('backwards', { max_active_runs: 1 });
    const executor = new ManualExecutor();
    const s = scheduler(executor);
    const b = await createBackfill(t.db.pool, { dag_id: 'backwards', from_date: midnight(4), to_date: midnight(2), run_backwards: true });
    assert.equal(b.max_active_runs, 1);
    const order: string[] = [];
    for (let i = 0; i < 3; i++) {
      await passes(s);
      const active = (await runs('backwards')).filter((x) => x.state === 'running');
      assert.equal(active.length, 1, 'one at a time');
      order.push(iso(active[0].logical_date));
      await executor.finish(t, 'success');
    }
    await passes(s);
    assert.deepEqual(order, [2, 3, 4].map((n) => iso(midnight(n))));
    assert.ok((await backfillRow(b.id)).completed_at);
  });

  test('reprocess_behavior: none keeps existing runs, failed re-runs failed ones, completed re-runs finished ones; running runs are always kept', async () => {
    await daily('reprocess');
    const executor = new ManualExecutor();
    const s = scheduler(executor);
    // existing runs: day 4 succeeded, day 3 failed, day 2 still running
    for (const n of [4, 3, 2]) await triggerDagRun(t.db.pool, { dag_id: 'reprocess', run_id: `manual_${n}`, logical_date: midnight(n), triggered_by: 'cli' });
    await passes(s);
    await executor.finish(t, 'success', (w) => w.run_id === 'manual_4');
    await executor.finish(t, 'failed', (w) => w.run_id === 'manual_3');
    await passes(s);
    assert.deepEqual((await runs('reprocess')).map((x) => x.state), ['success', 'failed', 'running']);

    const dates = { dag_id: 'reprocess', from_date: midnight(5), to_date: midnight(2) };
    assert.deepEqual((await dryRunBackfill(t.db.pool, { ...dates, reprocess_behavior: 'none' })).map(iso), [iso(midnight(5))]);
    assert.deepEqual((await dryRunBackfill(t.db.pool, { ...dates, reprocess_behavior: 'failed' })).map(iso), [5, 3].map((n) => iso(midnight(n))));
    assert.deepEqual((await dryRunBackfill(t.db.pool, { ...dates, reprocess_behavior: 'completed' })).map(iso), [5, 4, 3].map((n) => iso(midnight(n))));

    const b = await createBackfill(t.db.pool, { ...dates, reprocess_behavior: 'failed', max_active_runs: 5 });
    const reasons = (await t.db.pool.query('SELECT logical_date, state, exception_reason FROM backfill_dag_run WHERE backfill_id = $1 ORDER BY sort_ordinal', [b.id])).rows;
    assert.deepEqual(reasons.map((x) => [iso(x.logical_date), x.state, x.exception_reason]), [
      [iso(midnight(5)), 'pending', null],
      [iso(midnight(4)), 'skipped', 'already exists'],
      [iso(midnight(3)), 'pending', null],
      [iso(midnight(2)), 'skipped', 'in flight'],
    ]);
    await passes(s);
    const r = await runs('reprocess');
    assert.deepEqual(r.map((x) => [x.run_id, x.state, x.run_type]), [
      [`backfill__${iso(midnight(5)).slice(0, 19)}+00:00`, 'running', 'backfill'],
      ['manual_4', 'success', 'manual'],
      // the failed run is cleared and run again under the backfill, with the same run id
      ['manual_3', 'running', 'backfill'],
      ['manual_2', 'running', 'manual'],
    ]);
    const cleared = (await t.db.pool.query("SELECT state, try_number, max_tries FROM task_instance WHERE dag_id = 'reprocess' AND run_id = 'manual_3'")).rows[0];
    assert.notEqual(cleared.state, 'failed');
    await executor.finish(t, 'success');
    await passes(s);
    assert.deepEqual((await runs('reprocess')).map((x) => x.state), ['success', 'success', 'success', 'success']);
    assert.ok((await backfillRow(b.id)).completed_at);

    // completed: every finished run is run again
    const again = await createBackfill(t.db.pool, { dag_id: 'reprocess', from_date: midnight(4), to_date: midnight(3), reprocess_behavior: 'completed' });
    await passes(s);
    assert.deepEqual((await runs('reprocess')).filter((x) => x.state === 'running').map((x) => x.run_id), ['manual_4', 'manual_3']);
    await executor.finish(t, 'success');
    await passes(s);
    assert.ok((await backfillRow(again.id)).completed_at);
  });

  test('pause stops new runs, unpause resumes, cancel drops the dates not started and lets running runs finish', async () => {
    await daily('pausing');
    const executor = new ManualExecutor();
    const s = scheduler(executor);
    const b = await createBackfill(t.db.pool, { dag_id: 'pausing', from_date: midnight(6), to_date: midnight(2), max_active_runs: 1 });
    await passes(s);
    assert.equal((await setPausedBackfill(t.db.pool, b.id, true)).is_paused, true);
    await executor.finish(t, 'success');
    await passes(s);
    assert.deepEqual((await runs('pausing')).map((x) => x.state), ['success'], 'paused: no new run');
    await setPausedBackfill(t.db.pool, b.id, false);
    await passes(s);
    assert.deepEqual((await runs('pausing')).map((x) => x.state), ['success', 'running']);
    const cancelled = await cancelBackfill(t.db.pool, b.id);
    assert.ok(cancelled.completed_at);
    assert.equal(cancelled.is_paused, true);
    await executor.finish(t, 'success');
    await passes(s);
    assert.deepEqual((await runs('pausing')).map((x) => x.state), ['success', 'success'], 'the running run finished; nothing new started');
    const states = (await t.db.pool.query('SELECT state, count(*)::int AS n FROM backfill_dag_run WHERE backfill_id = $1 GROUP BY state ORDER BY state', [b.id])).rows;
    assert.deepEqual(states, [{ state: 'cancelled', n: 3 }, { state: 'created', n: 2 }]);
    // a new backfill of the DAG is allowed once the first one has ended
    await createBackfill(t.db.pool, { dag_id: 'pausing', from_date: midnight(10), to_date: midnight(9) });
  });

  test('a date whose backfill run id is taken by a run at another date is skipped, and the others still run', async () => {
    await daily('taken');
    const executor = new ManualExecutor();
    const s = scheduler(executor);
    const takenId = `backfill__${iso(midnight(4)).slice(0, 19)}+00:00`;
    await triggerDagRun(t.db.pool, { dag_id: 'taken', run_id: takenId, logical_date: midnight(20), triggered_by: 'cli' });
    const b = await createBackfill(t.db.pool, { dag_id: 'taken', from_date: midnight(5), to_date: midnight(3), max_active_runs: 3 });
    await passes(s);
    const dates = (await t.db.pool.query('SELECT logical_date, state, exception_reason FROM backfill_dag_run WHERE backfill_id = $1 ORDER BY sort_ordinal', [b.id])).rows;
    assert.deepEqual(dates.map((d) => [iso(d.logical_date), d.state, d.exception_reason]), [
      [iso(midnight(5)), 'created', null],
      [iso(midnight(4)), 'skipped', 'already exists'],
      [iso(midnight(3)), 'created', null],
    ]);
    await executor.finish(t, 'success');
    await passes(s);
    assert.ok((await backfillRow(b.id)).completed_at);
  });

  test('refusals change nothing: unknown DAG, from after to, future dates, no schedule, depends_on_past, a second active backfill, bad params', async () => {
    await daily('refusals');
    await daily('past', {}, true);
    await store(new DAG({ dag_id: 'unscheduled', schedule: null, start_date: midnight(10) }, () => new BashOperator({ task_id: 'x', bash_command: 'true' })));
    await store(
      new DAG({ dag_id: 'with_params', schedule: '@daily', start_date: midnight(10), params: { n: new Param(1, { type: 'integer' }) } }, () => new BashOperator({ task_id: 'x', bash_command: 'true' })),
    );
    const first = await createBackfill(t.db.pool, { dag_id: 'refusals', from_date: midnight(3), to_date: midnight(2) });
    const snapshot = async () => ({
      backfills: (await t.db.pool.query('SELECT * FROM backfill ORDER BY id')).rows,
      dates: (await t.db.pool.query('SELECT * FROM backfill_dag_run ORDER BY id')).rows,
      runs: (await t.db.pool.query('SELECT id, state FROM dag_run ORDER BY id')).rows,
    });
    const before = await snapshot();
    const cases: [Parameters<typeof createBackfill>[1], new (...a: never[]) => Error, RegExp][] = [
      [{ dag_id: 'nope', from_date: midnight(3), to_date: midnight(2) }, NotFoundError, /Could not find dag nope/],
      [{ dag_id: 'refusals', from_date: midnight(2), to_date: midnight(3) }, InvalidBackfillError, /must be before or equal to to_date/],
      [{ dag_id: 'past', from_date: new Date(Date.now() + DAY), to_date: new Date(Date.now() + 2 * DAY), reprocess_behavior: 'failed' }, InvalidBackfillError, /future dates/],
      [{ dag_id: 'unscheduled', from_date: midnight(3), to_date: midnight(2) }, InvalidBackfillError, /has no schedule/],
      [{ dag_id: 'past', from_date: midnight(3), to_date: midnight(2), run_backwards: true, reprocess_behavior: 'failed' }, InvalidBackfillError, /cannot be run in reverse/],
      [{ dag_id: 'past', from_date: midnight(3), to_date: midnight(2) }, InvalidBackfillError, /depends_on_past=True/],
      [{ dag_id: 'refusals', from_date: midnight(9), to_date: midnight(8) }, BackfillConflictError, /Another backfill is running for dag refusals/],
      [{ dag_id: 'with_params', from_date: midnight(3), to_date: midnight(2), dag_run_conf: { n: 'not a number' } }, Error, /Invalid input for param 'n'/],
      [{ dag_id: 'refusals', from_date: midnight(3), to_date: midnight(2), max_active_runs: 0 }, InvalidBackfillError, /max_active_runs/],
    ];
    for (const [req, kind, message] of cases) {
      await assert.rejects(createBackfill(t.db.pool, req), (err: Error) => err instanceof kind && message.test(err.message), `${JSON.stringify(req)}`);
    }
    assert.deepEqual(await snapshot(), before);
    // depends_on_past going forward with a reprocess behaviour is fine
    const ok = await createBackfill(t.db.pool, { dag_id: 'past', from_date: midnight(3), to_date: midnight(2), reprocess_behavior: 'failed' });
    assert.equal(ok.reprocess_behavior, 'failed');
    await cancelBackfill(t.db.pool, ok.id);
    await cancelBackfill(t.db.pool, first.id);
  });

  test('with no active backfill the step is one read of the partial index of active backfills, and starts nothing', async () => {
    await t.db.pool.query('UPDATE backfill SET completed_at = now() WHERE completed_at IS NULL');
    const client = await t.db.pool.connect();
    try {
      // on a table this small the planner would read it whole; forbidding that shows which index serves the query
      await client.query('SET enable_seqscan = off');
      const plan = (await client.query('EXPLAIN SELECT id FROM backfill WHERE completed_at IS NULL ORDER BY id')).rows.map((r) => r['QUERY PLAN']).join('\n');
      assert.match(plan, /(Index (Only )?Scan using|Bitmap Index Scan on) backfill_active_dag/, plan);
    } finally {
      client.release(true);
    }
    assert.equal(await advanceBackfills(t.db.pool), 0);
  });
});

describe('backfills through the REST API and the CLI', () => {
  const BIN = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../bin/updraft.js');
  let s: TestStandalone;
  let api: ContractClient;

  before(async () => {
    s = await startStandalone();
    api = new ContractClient(await Contract.load(), s.url, s.token);
    api.auditLog = s.db.pool;
    s.writeDag(
      'bf_api.ts',
      `import { DAG, BashOperator } from '@updraft/sdk';
       export default new DAG({ dag_id: 'bf_api', schedule: '@daily', start_date: '2024-01-01T00:00:00Z', catchup: false }, () => {
         new BashOperator({ task_id: 'echo', bash_command: 'echo "{{ ds }} {{ dag_run.conf.get(\\'who\\', \\'nobody\\') }}"' });
       });`,
    );
    s.writeDag(
      'bf_cli.ts',
      `import { DAG, BashOperator } from '@updraft/sdk';
       export default new DAG({ dag_id: 'bf_cli', schedule: '@daily', start_date: '2024-01-01T00:00:00Z', catchup: false, max_active_runs: 1 }, () => {
         new BashOperator({ task_id: 'slow', bash_command: 'sleep 1' });
       });`,
    );
    await s.waitForDag('bf_api', 60_000);
    await s.waitForDag('bf_cli', 60_000);
  });
  after(async () => {
    await s?.close();
  });

  /** The CLI against the in-process api-server: spawned asynchronously, since a synchronous spawn would block the server it calls. */
  const remoteCli = (args: string[]) =>
    new Promise<{ code: number | null; stdout: string; stderr: string }>((resolve) => {
      const child = spawn(process.execPath, [BIN, ...args], { env: { ...process.env, UPDRAFT_HOME: s.config.home, UPDRAFT_API_URL: s.url, UPDRAFT_API_TOKEN: s.token }, stdio: ['ignore', 'pipe', 'pipe'] });
      let stdout = '';
      let stderr = '';
      child.stdout?.on('data', (d) => (stdout += d));
      child.stderr?.on('data', (d) => (stderr += d));
      child.once('exit', (code) => resolve({ code, stdout, stderr }));
    });
  const cli = (args: string[], env: Record<string, string> = {}) => {
    const r = spawnSync(process.execPath, [BIN, ...args], { env: { ...process.env, UPDRAFT_HOME: s.config.home, UPDRAFT_API_URL: '', ...env }, encoding: 'utf8', timeout: 60_000 });
    return { code: r.status, stdout: r.stdout, stderr: r.stderr };
  };

  test('create, get, list, pause, unpause, dry run and cancel answer as the spec says', async () => {
    const body = { dag_id: 'bf_api', from_date: '2024-03-01T00:00:00Z', to_date: '2024-03-03T00:00:00Z', dag_run_conf: { who: 'api' } };
    const dry = await api.expect(200, 'POST', '/api/v2/backfills/dry_run', body);
    assert.deepEqual(dry.backfills.map((b: { logical_date: string }) => b.logical_date), ['2024-03-01T00:00:00.000Z', '2024-03-02T00:00:00.000Z', '2024-03-03T00:00:00.000Z']);
    assert.equal(dry.total_entries, 3);
    assert.equal((await s.db.pool.query('SELECT count(*)::int AS n FROM backfill')).rows[0].n, 0, 'a dry run stores nothing');

    const created = await api.expect(200, 'POST', '/api/v2/backfills', { ...body, max_active_runs: 2 });
    assert.equal(created.dag_id, 'bf_api');
    assert.equal(created.reprocess_behavior, 'none');
    assert.equal(created.max_active_runs, 2);
    assert.deepEqual(created.dag_run_conf, { who: 'api' });
    assert.equal((await api.expect(200, 'GET', `/api/v2/backfills/${created.id}`)).id, created.id);
    const listed = await api.expect(200, 'GET', '/api/v2/backfills?dag_id=bf_api');
    assert.deepEqual(listed.backfills.map((b: { id: number }) => b.id), [created.id]);
    assert.equal(listed.total_entries, 1);
    assert.equal((await api.expect(200, 'GET', '/api/v2/backfills?dag_id=bf_cli')).total_entries, 0);

    // a second backfill of the same DAG while this one is active: 409
    await api.expect(409, 'POST', '/api/v2/backfills', body);
    await waitFor(async () => (await s.db.pool.query('SELECT completed_at FROM backfill WHERE id = $1', [created.id])).rows[0].completed_at !== null, 60_000, 'the backfill to complete');
    const runs = (await s.db.pool.query("SELECT run_id, state, run_type FROM dag_run WHERE dag_id = 'bf_api' ORDER BY logical_date")).rows;
    assert.deepEqual(runs, ['01', '02', '03'].map((d) => ({ run_id: `backfill__2024-03-${d}T00:00:00+00:00`, state: 'success', run_type: 'backfill' })));
    const done = await api.expect(200, 'GET', `/api/v2/backfills/${created.id}`);
    assert.ok(done.completed_at);
    await api.expect(409, 'PUT', `/api/v2/backfills/${created.id}/pause`);
    await api.expect(409, 'PUT', `/api/v2/backfills/${created.id}/cancel`);
    // the runs appear in the public run list as backfill runs
    const listedRuns = await api.expect(200, 'GET', '/api/v2/dags/bf_api/dagRuns?run_type=backfill');
    assert.equal(listedRuns.total_entries, 3);

    // pause and unpause a second one (max one run at a time, so most dates wait), then cancel it
    const second = await api.expect(200, 'POST', '/api/v2/backfills', { dag_id: 'bf_api', from_date: '2024-04-01', to_date: '2024-04-20', max_active_runs: 1, reprocess_behavior: 'failed' });
    assert.equal((await api.expect(200, 'PUT', `/api/v2/backfills/${second.id}/pause`)).is_paused, true);
    assert.equal((await api.expect(200, 'PUT', `/api/v2/backfills/${second.id}/unpause`)).is_paused, false);
    const cancelled = await api.expect(200, 'PUT', `/api/v2/backfills/${second.id}/cancel`);
    assert.ok(cancelled.completed_at);
    assert.equal(cancelled.is_paused, true);
    await waitFor(async () => (await s.db.pool.query("SELECT count(*)::int AS n FROM dag_run WHERE backfill_id = $1 AND state IN ('queued', 'running')", [second.id])).rows[0].n === 0, 30_000, 'running runs to finish');
    const made = (await s.db.pool.query('SELECT count(*)::int AS n FROM dag_run WHERE backfill_id = $1', [second.id])).rows[0].n;
    assert.ok(made < 20, `cancel left dates unstarted (${made} of 20 made)`);
  });

  test('bad requests get {"detail": …} with the spec\'s status and change nothing', async () => {
    const before = { snapshot: await dbSnapshot(s.db.pool), backfills: (await s.db.pool.query('SELECT * FROM backfill ORDER BY id')).rows };
    const bad: [number, string, string, unknown][] = [
      [404, 'POST', '/api/v2/backfills', { dag_id: 'nope', from_date: '2024-01-01T00:00:00Z', to_date: '2024-01-02T00:00:00Z' }],
      [404, 'POST', '/api/v2/backfills/dry_run', { dag_id: 'nope', from_date: '2024-01-01T00:00:00Z', to_date: '2024-01-02T00:00:00Z' }],
      [422, 'POST', '/api/v2/backfills', { dag_id: 'bf_api', from_date: '2024-01-05T00:00:00Z', to_date: '2024-01-02T00:00:00Z' }],
      [422, 'POST', '/api/v2/backfills', { dag_id: 'bf_api', from_date: 'yesterday', to_date: '2024-01-02T00:00:00Z' }],
      [422, 'POST', '/api/v2/backfills', { dag_id: 'bf_api', from_date: '2024-01-01T00:00:00Z' }],
      [422, 'POST', '/api/v2/backfills', { dag_id: 'bf_api', from_date: '2024-01-01T00:00:00Z', to_date: '2024-01-02T00:00:00Z', reprocess_behavior: 'all' }],
      [422, 'POST', '/api/v2/backfills', { dag_id: 'bf_api', from_date: '2024-01-01T00:00:00Z', to_date: '2024-01-02T00:00:00Z', max_active_runs: 0 }],
      [422, 'POST', '/api/v2/backfills', { dag_id: 'bf_api', from_date: '2024-01-01T00:00:00Z', to_date: '2024-01-02T00:00:00Z', dag_run_conf: [1] }],
      [422, 'POST', '/api/v2/backfills', { dag_id: 'bf_api', from_date: '2024-01-01T00:00:00Z', to_date: '2024-01-02T00:00:00Z', confs: {} }],
      [422, 'POST', '/api/v2/backfills', { dag_id: 'bf_api', from_date: '2099-01-01T00:00:00Z', to_date: '2099-01-02T00:00:00Z' }],
      [404, 'GET', '/api/v2/backfills/999999', undefined],
      [422, 'GET', '/api/v2/backfills/abc', undefined],
      [404, 'PUT', '/api/v2/backfills/999999/pause', undefined],
      [404, 'PUT', '/api/v2/backfills/999999/unpause', undefined],
      [404, 'PUT', '/api/v2/backfills/999999/cancel', undefined],
      [422, 'GET', '/api/v2/backfills?order_by=nope', undefined],
    ];
    for (const [status, method, url, body] of bad) {
      const res = await api.call(method, url, body);
      assert.equal(res.status, status, `${method} ${url} ${JSON.stringify(body)} → ${res.status} ${JSON.stringify(res.body)}`);
      assert.ok(res.body.detail, 'has a detail');
    }
    assert.deepEqual({ snapshot: await dbSnapshot(s.db.pool), backfills: (await s.db.pool.query('SELECT * FROM backfill ORDER BY id')).rows }, before);
    // a Viewer may list but not create
    const viewer = await s.api('POST', '/auth/fab/v1/users', { username: 'bf_viewer', password: 'viewer-pass-1', roles: [{ name: 'Viewer' }], first_name: 'v', last_name: 'v', email: 'v@example.com' });
    assert.equal(viewer.status, 200, JSON.stringify(viewer.body));
    const token = (await s.api('POST', '/auth/token', { username: 'bf_viewer', password: 'viewer-pass-1' })).body.access_token as string;
    const asViewer = api.withToken(token);
    await asViewer.expect(200, 'GET', '/api/v2/backfills?dag_id=bf_api');
    await asViewer.expect(403, 'POST', '/api/v2/backfills', { dag_id: 'bf_api', from_date: '2024-01-01T00:00:00Z', to_date: '2024-01-02T00:00:00Z' });
  });

  test('CLI: dry run, bad input, and a backfill that keeps going after the CLI is killed', async () => {
    const dry = cli(['backfill', 'create', '--dag-id', 'bf_cli', '--from-date', '2024-05-01', '--to-date', '2024-05-03', '--dry-run', '-o', 'json']);
    assert.equal(dry.code, 0, dry.stderr);
    assert.deepEqual(JSON.parse(dry.stdout).map((d: { logical_date: string }) => d.logical_date), ['2024-05-01T00:00:00.000Z', '2024-05-02T00:00:00.000Z', '2024-05-03T00:00:00.000Z']);

    const count = async () => (await s.db.pool.query("SELECT count(*)::int AS n FROM backfill WHERE dag_id = 'bf_cli'")).rows[0].n;
    for (const [args, message] of [
      [['--from-date', '2024-05-03', '--to-date', '2024-05-01'], /must be before or equal to to_date/],
      [['--from-date', 'soon', '--to-date', '2024-05-01'], /--from-date is not a date/],
      [['--from-date', '2024-05-01', '--to-date', '2024-05-03', '--max-active-runs', '0'], /--max-active-runs must be a positive integer/],
      [['--from-date', '2024-05-01', '--to-date', '2024-05-03', '--conf', '{bad'], /--conf is not valid JSON/],
      [['--from-date', '2024-05-01', '--to-date', '2024-05-03', '--reprocess-behavior', 'sometimes'], /Allowed choices are none, failed, completed/],
    ] as [string[], RegExp][]) {
      const r = cli(['backfill', 'create', '--dag-id', 'bf_cli', ...args]);
      assert.notEqual(r.code, 0);
      assert.match(r.stderr, message);
    }
    const unknown = cli(['backfill', 'create', '--dag-id', 'nope', '--from-date', '2024-05-01', '--to-date', '2024-05-03']);
    assert.match(unknown.stderr, /Could not find dag nope/);
    assert.equal(await count(), 0, 'bad input stored nothing');

    // four one-second runs, one at a time: the CLI follows, then is killed with SIGKILL after the first run
    const child: ChildProcess = spawn(process.execPath, [BIN, 'backfill', 'create', '--dag-id', 'bf_cli', '--from-date', '2024-05-01', '--to-date', '2024-05-04'], {
      env: { ...process.env, UPDRAFT_HOME: s.config.home, UPDRAFT_API_URL: '' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let progress = '';
    child.stderr?.on('data', (d) => (progress += d));
    child.stdout?.on('data', (d) => (progress += d));
    await waitFor(() => /1\/4 runs done/.test(progress), 60_000, `the CLI to show one run done (so far: ${progress})`);
    assert.match(progress, /Backfill \d+ of bf_cli, 2024-05-01T00:00:00.000Z to 2024-05-04T00:00:00.000Z: 4 run\(s\), at most 1 at once\. The scheduler runs it: Ctrl-C only stops watching/);
    assert.match(progress, /\[-{30}\] 0\/4 runs done/);
    assert.match(progress, /\[#{8}-{22}\] 1\/4 runs done/);
    child.kill('SIGKILL');
    await new Promise((r) => child.once('exit', r));
    const id = (await s.db.pool.query("SELECT id FROM backfill WHERE dag_id = 'bf_cli'")).rows[0].id as number;
    await waitFor(async () => (await s.db.pool.query('SELECT completed_at FROM backfill WHERE id = $1', [id])).rows[0].completed_at !== null, 60_000, 'the backfill to complete without its CLI');
    const states = (await s.db.pool.query("SELECT state FROM dag_run WHERE dag_id = 'bf_cli' ORDER BY logical_date")).rows.map((r) => r.state);
    assert.deepEqual(states, ['success', 'success', 'success', 'success']);

    const list = cli(['backfill', 'list', '--dag-id', 'bf_cli', '-o', 'json']);
    assert.equal(list.code, 0, list.stderr);
    const [row] = JSON.parse(list.stdout);
    assert.equal(row.id, id);
    assert.ok(row.completed_at);
    assert.match(cli(['backfill', 'pause', String(id)]).stderr, /already completed/);

    // Ctrl-C leaves the progress view and says the backfill continues; cancel ends it
    const second = spawn(process.execPath, [BIN, 'backfill', 'create', '--dag-id', 'bf_cli', '--from-date', '2024-06-01', '--to-date', '2024-06-10'], {
      env: { ...process.env, UPDRAFT_HOME: s.config.home, UPDRAFT_API_URL: '' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out2 = '';
    second.stderr?.on('data', (d) => (out2 += d));
    await waitFor(() => /runs done/.test(out2), 30_000, 'the progress bar');
    second.kill('SIGINT');
    const code = await new Promise((r) => second.once('exit', r));
    assert.equal(code, 0);
    assert.match(out2, /continues in the scheduler/);
    const id2 = (await s.db.pool.query("SELECT id FROM backfill WHERE dag_id = 'bf_cli' AND completed_at IS NULL")).rows[0].id as number;
    const cancelled = cli(['backfill', 'cancel', String(id2), '-o', 'json']);
    assert.equal(cancelled.code, 0, cancelled.stderr);
    assert.ok(JSON.parse(cancelled.stdout)[0].completed_at);

    // the same through the REST API (--api-url): create without waiting, list, pause, cancel
    const made = await remoteCli(['backfill', 'create', '--dag-id', 'bf_cli', '--from-date', '2024-07-01', '--to-date', '2024-07-10', '--dag-run-conf', '{"who": "remote"}', '--no-wait', '-o', 'json']);
    assert.equal(made.code, 0, made.stderr);
    const [created] = JSON.parse(made.stdout);
    assert.deepEqual(created.dag_run_conf, { who: 'remote' });
    assert.equal(created.progress.total, 10);
    const listed = await remoteCli(['backfill', 'list', '--dag-id', 'bf_cli', '-o', 'json']);
    assert.deepEqual(JSON.parse(listed.stdout).map((b: { id: number }) => b.id), [id, id2, created.id]);
    assert.equal(JSON.parse((await remoteCli(['backfill', 'pause', String(created.id), '-o', 'json'])).stdout)[0].is_paused, true);
    const again = await remoteCli(['backfill', 'create', '--dag-id', 'bf_cli', '--from-date', '2024-08-01', '--to-date', '2024-08-02']);
    assert.notEqual(again.code, 0);
    assert.match(again.stderr, /Another backfill is running for dag bf_cli \(HTTP 409\)/);
    assert.ok(JSON.parse((await remoteCli(['backfill', 'cancel', String(created.id), '-o', 'json'])).stdout)[0].completed_at);
  });
});
