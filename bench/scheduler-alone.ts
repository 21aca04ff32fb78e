/**
 * The scheduler alone, on the DAG shapes of Airflow's scheduler_dag_execution_timing
 * perf script: `linear` (a chain) and `no_structure` (independent tasks), from
 * 1 DAG x 100 tasks to 10 DAGs x 1,000 tasks. The executor "runs" each try by
 * recording its start and success in the database at once (in batches), so what is measured is
 * the scheduler: run start, decisions, queueing. Task instances per second.
 */
import { BashOperator, DAG, chain, resetDagRegistry, serializeDag } from '@updraft/sdk';
import { openDatabase } from '../packages/server/src/db/database.ts';
import { migrate } from '../packages/server/src/db/migrate.ts';
import { upsertDag } from '../packages/server/src/db/sql/dags.ts';
import { finishTries, notifyScheduler, startTries } from '../packages/server/src/db/sql/task-instances.ts';
import type { Executor, ProcessExit, Workload } from '../packages/server/src/executors/workload.ts';
import { triggerDagRun } from '../packages/server/src/scheduler/runs.ts';
import { Scheduler } from '../packages/server/src/scheduler/scheduler.ts';
import { createLogger } from '../packages/server/src/util/logger.ts';
import { QUICK, benchConfig, freshHome, waitUntil, writeResult } from './lib.ts';
import type pg from 'pg';

/**
 * Completes every try it is given at once: the tries submitted within a
 * millisecond are started and finished with one statement each and one
 * notification, as a scheduler would record a batch of executor events. The
 * executor costs a few statements per pass, not three round trips per task.
 */
class InstantExecutor implements Executor {
  private readonly pool: pg.Pool;
  private readonly listeners: ((e: ProcessExit) => void)[] = [];
  private batch: Workload[] = [];
  private inFlight = 0;
  constructor(pool: pg.Pool) {
    this.pool = pool;
  }
  freeSlots() {
    return Math.max(0, 512 - this.inFlight);
  }
  running() {
    return [];
  }
  onExit(l: (e: ProcessExit) => void) {
    this.listeners.push(l);
  }
  submit(w: Workload) {
    this.inFlight++;
    this.batch.push(w);
    // the scheduler hands over a pass's tries one by one, signing a token for each between them
    if (this.batch.length === 1) setTimeout(() => void this.complete(), 1);
  }
  private async complete() {
    const batch = this.batch;
    this.batch = [];
    const ids = batch.map((w) => w.ti_id);
    await startTries(this.pool, ids, 'bench', 0);
    await finishTries(this.pool, ids, 'success', { retry_delay_seconds: 0, retry_exponential_backoff: false, max_retry_delay_seconds: null });
    // what the Execution API does after a state change
    await notifyScheduler(this.pool, batch[0].dag_id);
    this.inFlight -= batch.length;
    for (const w of batch) for (const l of this.listeners) l({ ti_id: w.ti_id, code: 0, signal: null, log_path: '', timed_out: false });
  }
  async stop() {}
}

const allShapes: [string, number, number][] = [
  ['linear', 1, 100],
  ['no_structure', 1, 100],
  ['no_structure', 10, 100],
  ['linear', 10, 100],
  ['no_structure', 10, 1000],
];
const shapes = allShapes.filter(([, dags]) => !QUICK || dags === 1); // --quick: the one-DAG shapes only

const results: Record<string, unknown>[] = [];
for (const [shape, dagCount, tasks] of shapes) {
  const { home, cleanup } = freshHome();
  const config = benchConfig(home, { UPDRAFT__CORE__MAX_ACTIVE_TASKS_PER_DAG: '100000', UPDRAFT__DATABASE__MAX_CONNECTIONS: '16' });
  const db = await openDatabase(config);
  try {
    await migrate(db.pool, { defaultPoolSlots: 100_000 });
    resetDagRegistry();
    for (let d = 0; d < dagCount; d++) {
      const dag = new DAG({ dag_id: `perf_${d}`, schedule: null, start_date: '2024-01-01' }, () => {
        const ops = Array.from({ length: tasks }, (_, i) => new BashOperator({ task_id: `t${i}`, bash_command: 'true' }));
        if (shape === 'linear') chain(...ops);
      });
      const data = serializeDag(dag, `/bench/perf_${d}.ts`);
      await upsertDag(db.pool, { data, relativeFileloc: `perf_${d}.ts`, defaultMaxActiveRuns: 16, defaultMaxActiveTasks: 100_000, pausedByDefault: false, timetableDescription: 'manual' });
    }
    const executor = new InstantExecutor(db.pool);
    const scheduler = new Scheduler({ pool: db.pool, config, executor, secret: new TextEncoder().encode('bench'), apiUrl: 'http://127.0.0.1:9', log: createLogger('bench', 'error') });
    await scheduler.start();
    const started = Date.now();
    for (let d = 0; d < dagCount; d++) await triggerDagRun(db.pool, { dag_id: `perf_${d}`, logical_date: null, triggered_by: 'bench' });
    scheduler.wake(true);
    await waitUntil(async () => (await db.pool.query<{ n: number }>("SELECT count(*) AS n FROM dag_run WHERE state IN ('queued', 'running')")).rows[0].n === 0, 600_000, 'runs to finish', 10);
    const seconds = (Date.now() - started) / 1000;
    await scheduler.stop();
    const total = dagCount * tasks;
    const row = { shape, dags: dagCount, tasks_per_dag: tasks, task_instances: total, seconds, ti_per_second: Math.round(total / seconds) };
    results.push(row);
    console.log(`${shape.padEnd(13)} ${String(dagCount).padStart(3)} DAGs x ${String(tasks).padStart(5)} tasks: ${String(total).padStart(6)} TIs in ${seconds.toFixed(2).padStart(6)} s = ${row.ti_per_second} TI/s`);
  } finally {
    await db.close();
    cleanup();
  }
}
writeResult('scheduler_alone', { shapes: results, target_ti_per_second: 20_000 });
