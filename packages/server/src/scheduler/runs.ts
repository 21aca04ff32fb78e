/** Creating DAG runs: manual triggers (API, CLI) and the schedule's automated runs. */
import { Param } from '@updraft/sdk';
import type { SerializedDag, SerializedParam } from '@updraft/sdk/serialized';
import type pg from 'pg';
import { getDag, getDagVersion, setNextDagrun } from '../db/sql/dags.ts';
import { createDagRun, type DagRunRow, RunConflictError, type RunType } from '../db/sql/dag-runs.ts';
import { inTransaction, type Queryable } from '../db/sql/queryable.ts';
import { notifyScheduler } from '../db/sql/task-instances.ts';
import { effectiveWeights } from './priority.ts';
import { manualDataInterval, nextRunInfo, type DataInterval, type TimetableInput } from './timetable.ts';

export class NotFoundError extends Error {}
export class BadRequestError extends Error {}

export function timetableOf(dag: SerializedDag): TimetableInput {
  return { schedule: dag.schedule, timezone: dag.timezone, start_date: dag.start_date, end_date: dag.end_date, catchup: dag.catchup };
}

export function taskInstancesFor(dag: SerializedDag) {
  const weights = effectiveWeights(dag);
  return dag.tasks.map((t) => ({
    task_id: t.task_id,
    operator: t.operator,
    pool: t.pool,
    pool_slots: t.pool_slots,
    queue: t.queue,
    priority_weight: weights.get(t.task_id) ?? t.priority_weight,
    max_tries: t.retries,
  }));
}

/**
 * Airflow's run id format: `manual__2024-01-01T00:00:00+00:00`, with
 * microseconds when the date has a fraction (Python's isoformat), so two
 * triggers within the same second get different ids.
 */
export function makeRunId(runType: RunType, date: Date): string {
  const ms = date.getUTCMilliseconds();
  const base = date.toISOString().slice(0, 19);
  return `${runType}__${base}${ms ? `.${String(ms).padStart(3, '0')}000` : ''}+00:00`;
}

export interface TriggerRequest {
  dag_id: string;
  run_id?: string | null;
  logical_date?: Date | null;
  data_interval?: DataInterval | null;
  conf?: unknown;
  note?: string | null;
  triggered_by: string;
}

export function validateConf(conf: unknown): Record<string, unknown> {
  if (conf === undefined || conf === null) return {};
  if (typeof conf !== 'object' || Array.isArray(conf)) {
    throw new BadRequestError('conf must be a JSON object, for example {"key": "value"}');
  }
  return conf as Record<string, unknown>;
}

/**
 * Why `conf` cannot start a run of a DAG with these params, or null. Like
 * Airflow's create_dagrun, each param is checked with conf's value over its
 * default — whatever [core] dag_run_conf_overrides_params says, which only
 * decides what tasks see — and a param without default must be in conf.
 */
export function paramsProblem(params: Record<string, SerializedParam>, conf: Record<string, unknown>): string | null {
  for (const [name, serialized] of Object.entries(params)) {
    const param = Param.fromSerialized(serialized);
    const problem = param.validate(Object.hasOwn(conf, name) ? conf[name] : param.value);
    if (problem) return `Invalid input for param '${name}': ${problem}`;
  }
  return null;
}

/** Creates a manual run; refuses unknown DAGs, non-object conf and conf that breaks the params' schema before writing anything. */
export async function triggerDagRun(pool: pg.Pool, req: TriggerRequest): Promise<DagRunRow> {
  const conf = validateConf(req.conf);
  const dagRow = await getDag(pool, req.dag_id);
  if (!dagRow || !dagRow.latest_version_id) throw new NotFoundError(`DAG with dag_id: '${req.dag_id}' not found`);
  if (!dagRow.is_active) throw new NotFoundError(`DAG '${req.dag_id}' is no longer active: its file ${dagRow.relative_fileloc} no longer defines it`);
  if (req.run_id !== undefined && req.run_id !== null && !/^[A-Za-z0-9_.~:+-]+$/.test(req.run_id)) {
    throw new BadRequestError(`run_id '${req.run_id}' may only contain letters, digits and _ . ~ : + -`);
  }
  const dag = await getDagVersion(pool, dagRow.latest_version_id);
  const paramsIssue = paramsProblem(dag.params ?? {}, conf);
  if (paramsIssue) throw new BadRequestError(paramsIssue);
  const logicalDate = req.logical_date === undefined ? new Date() : req.logical_date;
  const runAfter = logicalDate ?? new Date();
  const interval = req.data_interval ?? (logicalDate ? manualDataInterval(timetableOf(dag), logicalDate) : null);
  const run = await inTransaction(pool, (client) =>
    createDagRun(client, {
      dag_id: req.dag_id,
      run_id: req.run_id || makeRunId('manual', runAfter),
      run_type: 'manual',
      logical_date: logicalDate,
      data_interval_start: interval?.start ?? null,
      data_interval_end: interval?.end ?? null,
      run_after: runAfter,
      conf,
      note: req.note ?? null,
      triggered_by: req.triggered_by,
      dag_version_id: dagRow.latest_version_id as number,
      tasks: taskInstancesFor(dag),
    }),
  );
  await notifyScheduler(pool, req.dag_id, 'run');
  return run;
}

async function lastAutomatedInterval(db: Queryable, dagId: string): Promise<DataInterval | null> {
  const r = await db.query<{ start: Date; end: Date }>(
    `SELECT data_interval_start AS start, data_interval_end AS "end" FROM dag_run
     WHERE dag_id = $1 AND run_type IN ('scheduled', 'backfill') AND data_interval_start IS NOT NULL
     ORDER BY data_interval_start DESC LIMIT 1`,
    [dagId],
  );
  return r.rows[0] ?? null;
}

/** Recomputes dag.next_dagrun* from the last automated run (shown by the API; drives run creation). */
export async function refreshNextDagrun(db: Queryable, dag: SerializedDag, now = new Date()) {
  const info = nextRunInfo(timetableOf(dag), await lastAutomatedInterval(db, dag.dag_id), now);
  await setNextDagrun(db, dag.dag_id, info && { logical_date: info.logical_date, start: info.data_interval.start, end: info.data_interval.end, run_after: info.run_after });
  return info;
}

/**
 * Creates the automated runs that are due, for unpaused DAGs under their
 * max_active_runs. DAG rows are locked (SKIP LOCKED) so two schedulers never
 * create the same run; the unique (dag_id, logical_date) is the last guard.
 * NO KEY UPDATE lets a run triggered meanwhile (its foreign key check takes
 * FOR KEY SHARE on the dag row) go ahead without waiting for this transaction.
 */
export async function createScheduledRuns(pool: pg.Pool, now = new Date()): Promise<DagRunRow[]> {
  return inTransaction(pool, async (client) => {
    const due = await client.query<{ dag_id: string; latest_version_id: number; max_active_runs: number; active: number }>(
      `SELECT d.dag_id, d.latest_version_id, d.max_active_runs,
              (SELECT count(*) FROM dag_run r WHERE r.dag_id = d.dag_id AND r.state IN ('queued', 'running') AND r.backfill_id IS NULL) AS active
       FROM dag d
       WHERE d.is_active AND NOT d.is_paused AND d.next_dagrun_create_after <= $1 AND d.latest_version_id IS NOT NULL
       FOR NO KEY UPDATE OF d SKIP LOCKED`,
      [now],
    );
    const created: DagRunRow[] = [];
    for (const row of due.rows) {
      if (row.active >= row.max_active_runs) continue;
      const dag = await getDagVersion(client, row.latest_version_id);
      const info = nextRunInfo(timetableOf(dag), await lastAutomatedInterval(client, row.dag_id), now);
      if (info && info.run_after <= now) {
        await client.query('SAVEPOINT create_run');
        try {
          created.push(
            await createDagRun(client, {
              dag_id: row.dag_id,
              run_id: makeRunId('scheduled', info.logical_date),
              run_type: 'scheduled',
              logical_date: info.logical_date,
              data_interval_start: info.data_interval.start,
              data_interval_end: info.data_interval.end,
              run_after: info.run_after,
              conf: {},
              triggered_by: 'timetable',
              dag_version_id: row.latest_version_id,
              tasks: taskInstancesFor(dag),
            }),
          );
          await client.query('RELEASE SAVEPOINT create_run');
        } catch (err) {
          // a manual run already took this logical date: move on to the next interval
          await client.query('ROLLBACK TO SAVEPOINT create_run');
          if (!(err instanceof RunConflictError)) throw err;
        }
      }
      await refreshNextDagrun(client, dag, now);
    }
    return created;
  });
}
