/**
 * Backfills, as Airflow 3 has them: a range of logical dates of a DAG's
 * timetable, stored in the database and run by the scheduler (not by the CLI
 * or API call that asked for it), at most max_active_runs at once, in date
 * order or reversed.
 *
 * Creating one validates the request, lists the dates and decides at once
 * which dates keep their existing run (reprocess_behavior). The scheduler then
 * advances every active backfill on its time-driven passes and when woken: it
 * starts the next dates while the backfill has room, re-running (clearing) an
 * existing finished run where reprocess_behavior says so, and completes the
 * backfill when no date waits and none of its runs is active. A date's run is
 * made only when its turn comes, so pausing stops new runs at once and
 * cancelling leaves nothing behind to start.
 */
import type { SerializedDag } from '@updraft/sdk/serialized';
import type pg from 'pg';
import {
  ActiveBackfillError,
  activeBackfillIds,
  cancelBackfillRows,
  completeBackfillIfDone,
  countActiveBackfillRuns,
  insertBackfill,
  lockActiveBackfill,
  lockRunAt,
  markBackfillDate,
  nextPendingDates,
  REPROCESS_BEHAVIORS,
  resetRunTaskInstances,
  setBackfillPaused,
  startRunForBackfill,
  getBackfill,
  type BackfillRow,
  type NewBackfillDate,
  type PendingBackfillDate,
  type ReprocessBehavior,
} from '../db/sql/backfills.ts';
import { createDagRun, RunConflictError } from '../db/sql/dag-runs.ts';
import { getDag, getDagVersion } from '../db/sql/dags.ts';
import { inTransaction, type Queryable } from '../db/sql/queryable.ts';
import { notifyScheduler } from '../db/sql/task-instances.ts';
import { BadRequestError, makeRunId, NotFoundError, paramsProblem, taskInstancesFor, timetableOf, validateConf } from './runs.ts';
import type { Logger } from '../util/logger.ts';
import { nextRunInfo, type RunInfo } from './timetable.ts';

/** A request that cannot be a backfill as given (the API's 422). */
export class InvalidBackfillError extends Error {}
/** The backfill's state forbids the change (the API's 409). */
export class BackfillConflictError extends Error {}

/** More dates than this in one backfill is almost certainly a mistaken range (a minutely schedule over years). */
export const MAX_BACKFILL_DATES = 10_000;

export interface BackfillRequest {
  dag_id: string;
  from_date: Date;
  to_date: Date;
  reprocess_behavior?: ReprocessBehavior;
  /** default: the DAG's max_active_runs */
  max_active_runs?: number | null;
  run_backwards?: boolean;
  dag_run_conf?: unknown;
  triggering_user_name?: string | null;
}

interface Plan {
  dag: SerializedDag;
  conf: Record<string, unknown>;
  maxActiveRuns: number;
  reprocess: ReprocessBehavior;
  dates: NewBackfillDate[];
}

/**
 * The runs of the timetable whose logical date is within [from, to], both
 * inclusive, as Airflow's iter_dagrun_infos_between lists them (aligned to the
 * schedule, catchup on, regardless of the DAG's own start and end dates), less
 * those whose data interval has not ended yet.
 */
export function backfillRunInfos(dag: SerializedDag, from: Date, to: Date, now = new Date()): RunInfo[] {
  const timetable = { ...timetableOf(dag), start_date: from.toISOString(), end_date: to.toISOString(), catchup: true };
  const infos: RunInfo[] = [];
  let last: RunInfo | null = null;
  for (;;) {
    const info = nextRunInfo(timetable, last?.data_interval ?? null, now);
    if (!info || info.logical_date.getTime() > to.getTime()) break;
    if (last && info.logical_date.getTime() <= last.logical_date.getTime()) break; // a timetable that does not move on
    if (info.data_interval.end.getTime() >= now.getTime()) break;
    infos.push(info);
    if (infos.length > MAX_BACKFILL_DATES) {
      throw new InvalidBackfillError(`The range ${from.toISOString()} to ${to.toISOString()} has more than ${MAX_BACKFILL_DATES} runs of DAG '${dag.dag_id}'; backfill a shorter range`);
    }
    last = info;
  }
  return infos;
}

/** Why an existing run is kept rather than run again (Airflow's BackfillDagRunExceptionReason), or null to re-run it. */
export function keepExistingRunReason(state: string, reprocess: ReprocessBehavior): string | null {
  if (state !== 'success' && state !== 'failed') return 'in flight';
  if (reprocess === 'none') return 'already exists';
  if (reprocess === 'failed' && state !== 'failed') return 'already exists';
  return null;
}

async function plan(db: Queryable, req: BackfillRequest, now: Date): Promise<Plan> {
  const conf = validateConf(req.dag_run_conf);
  const dagRow = await getDag(db, req.dag_id);
  if (!dagRow || !dagRow.latest_version_id || !dagRow.is_active) throw new NotFoundError(`Could not find dag ${req.dag_id}`);
  const dag = await getDagVersion(db, dagRow.latest_version_id);
  const reprocess = req.reprocess_behavior ?? 'none';
  if (!REPROCESS_BEHAVIORS.includes(reprocess)) throw new InvalidBackfillError(`reprocess_behavior must be one of ${REPROCESS_BEHAVIORS.join(', ')}, not '${reprocess}'`);
  const maxActiveRuns = req.max_active_runs ?? dagRow.max_active_runs;
  if (!Number.isInteger(maxActiveRuns) || maxActiveRuns < 1) throw new InvalidBackfillError(`max_active_runs must be a positive integer, not ${JSON.stringify(req.max_active_runs)}`);
  for (const [name, d] of [['from_date', req.from_date], ['to_date', req.to_date]] as const) {
    if (!(d instanceof Date) || Number.isNaN(d.getTime())) throw new InvalidBackfillError(`${name} is not a valid date-time`);
  }
  if (req.from_date.getTime() > req.to_date.getTime()) {
    throw new InvalidBackfillError(`from_date (${req.from_date.toISOString()}) must be before or equal to to_date (${req.to_date.toISOString()})`);
  }
  if (req.from_date.getTime() >= now.getTime() && req.to_date.getTime() >= now.getTime()) throw new InvalidBackfillError('Backfill cannot be executed for future dates.');
  if (dag.schedule.kind === 'none') throw new InvalidBackfillError(`${req.dag_id} has no schedule`);
  if (dag.schedule.kind === 'continuous') throw new InvalidBackfillError(`${req.dag_id} runs continuously (@continuous): it has no dates to backfill`);
  if (dag.tasks.some((t) => t.depends_on_past)) {
    if (req.run_backwards) throw new InvalidBackfillError('Backfill cannot be run in reverse when the DAG has tasks where depends_on_past=True.');
    if (reprocess === 'none') {
      throw new InvalidBackfillError('DAG has tasks for which depends_on_past=True. You must set reprocess behavior to reprocess completed or reprocess failed.');
    }
  }
  const problem = paramsProblem(dag.params ?? {}, conf);
  if (problem) throw new BadRequestError(problem);

  const infos = backfillRunInfos(dag, req.from_date, req.to_date, now);
  if (req.run_backwards) infos.reverse();
  const existing = await db.query<{ logical_date: Date; state: string }>(
    'SELECT logical_date, state FROM dag_run WHERE dag_id = $1 AND logical_date = ANY($2::timestamptz[])',
    [req.dag_id, infos.map((i) => i.logical_date)],
  );
  const stateAt = new Map(existing.rows.map((r) => [r.logical_date.getTime(), r.state]));
  const dates = infos.map((info) => {
    const state = stateAt.get(info.logical_date.getTime());
    return {
      logical_date: info.logical_date,
      data_interval_start: info.data_interval.start,
      data_interval_end: info.data_interval.end,
      run_after: info.run_after,
      skip_reason: state === undefined ? null : keepExistingRunReason(state, reprocess),
    };
  });
  return { dag, conf, maxActiveRuns, reprocess, dates };
}

/** The logical dates a backfill would run, in order, changing nothing (dates whose run is kept are left out, as in Airflow). */
export async function dryRunBackfill(db: Queryable, req: BackfillRequest, now = new Date()): Promise<Date[]> {
  const p = await plan(db, req, now);
  return p.dates.filter((d) => d.skip_reason === null).map((d) => d.logical_date);
}

/** Stores a backfill for the scheduler to run; refuses bad requests and a DAG with an active backfill before writing anything. */
export async function createBackfill(pool: pg.Pool, req: BackfillRequest, now = new Date()): Promise<BackfillRow> {
  const row = await inTransaction(pool, async (client) => {
    const p = await plan(client, req, now);
    try {
      return await insertBackfill(
        client,
        {
          dag_id: req.dag_id,
          from_date: req.from_date,
          to_date: req.to_date,
          dag_run_conf: p.conf,
          reprocess_behavior: p.reprocess,
          max_active_runs: p.maxActiveRuns,
          run_backwards: !!req.run_backwards,
          triggering_user_name: req.triggering_user_name ?? null,
        },
        p.dates,
      );
    } catch (err) {
      if (err instanceof ActiveBackfillError) throw new BackfillConflictError(err.message);
      throw err;
    }
  });
  await notifyScheduler(pool, req.dag_id, 'run');
  return row;
}

async function existingBackfill(db: Queryable, id: number): Promise<BackfillRow> {
  const b = await getBackfill(db, id);
  if (!b) throw new NotFoundError(`Could not find the backfill with id ${id}`);
  if (b.completed_at) throw new BackfillConflictError('Backfill is already completed.');
  return b;
}

/** Pause (no new runs start) or unpause; a completed backfill refuses (409). */
export async function setPausedBackfill(pool: pg.Pool, id: number, paused: boolean): Promise<BackfillRow> {
  const b = await existingBackfill(pool, id);
  const changed = await setBackfillPaused(pool, id, paused);
  if (!changed) throw new BackfillConflictError('Backfill is already completed.');
  if (!paused) await notifyScheduler(pool, b.dag_id, 'run');
  return changed;
}

/** Cancels for good: no new run starts, runs not started are marked, running ones finish. */
export async function cancelBackfill(pool: pg.Pool, id: number): Promise<BackfillRow> {
  await existingBackfill(pool, id);
  const row = await inTransaction(pool, (client) => cancelBackfillRows(client, id));
  if (!row) throw new BackfillConflictError('Backfill is already completed.');
  return row;
}

type DateOutcome = 'started' | 'skipped' | 'wait';

/** Starts one date of a backfill: its existing run again, or a new run. */
async function startDate(client: pg.PoolClient, b: BackfillRow, date: PendingBackfillDate): Promise<DateOutcome> {
  const existing = await lockRunAt(client, b.dag_id, date.logical_date);
  if (existing) {
    const reason = keepExistingRunReason(existing.state, b.reprocess_behavior);
    if (reason) {
      await markBackfillDate(client, date.id, 'skipped', existing.id, reason);
      return 'skipped';
    }
    const version = await getDagVersion(client, existing.dag_version_id);
    await resetRunTaskInstances(client, b.dag_id, existing.run_id, new Map(version.tasks.map((t) => [t.task_id, t.retries])));
    await startRunForBackfill(client, existing.id, b.id);
    await markBackfillDate(client, date.id, 'created', existing.id, null);
    return 'started';
  }
  const dagRow = await getDag(client, b.dag_id);
  // a DAG whose file is gone starts nothing more; its dates wait (cancel the backfill to end it)
  if (!dagRow?.latest_version_id || !dagRow.is_active) return 'wait';
  const dag = await getDagVersion(client, dagRow.latest_version_id);
  await client.query('SAVEPOINT backfill_run');
  try {
    const run = await createDagRun(client, {
      dag_id: b.dag_id,
      run_id: makeRunId('backfill', date.logical_date),
      run_type: 'backfill',
      logical_date: date.logical_date,
      data_interval_start: date.data_interval_start,
      data_interval_end: date.data_interval_end,
      run_after: date.run_after,
      conf: b.dag_run_conf ?? {},
      triggered_by: 'backfill',
      dag_version_id: dagRow.latest_version_id,
      tasks: taskInstancesFor(dag),
    });
    await client.query('RELEASE SAVEPOINT backfill_run');
    await startRunForBackfill(client, run.id, b.id);
    await markBackfillDate(client, date.id, 'created', run.id, null);
    return 'started';
  } catch (err) {
    await client.query('ROLLBACK TO SAVEPOINT backfill_run');
    if (!(err instanceof RunConflictError)) throw err;
    // another run took the date meanwhile (committed, since the insert waited for it): decide about that run;
    // none at this date means the run id itself is taken, by a run at another date, and this date is left alone
    if (await lockRunAt(client, b.dag_id, date.logical_date)) return startDate(client, b, date);
    await markBackfillDate(client, date.id, 'skipped', null, 'already exists');
    return 'skipped';
  }
}

/** Starts what one backfill has room for and completes it when done; returns the runs started. */
async function advanceBackfill(client: pg.PoolClient, id: number): Promise<number> {
  const b = await lockActiveBackfill(client, id);
  if (!b) return 0; // another scheduler has it, or it ended meanwhile
  let started = 0;
  if (!b.is_paused) {
    let room = b.max_active_runs - (await countActiveBackfillRuns(client, id));
    let blocked = false;
    while (room > 0 && !blocked) {
      const dates = await nextPendingDates(client, id, room);
      if (dates.length === 0) break;
      for (const date of dates) {
        const outcome = await startDate(client, b, date);
        if (outcome === 'wait') {
          blocked = true;
          break;
        }
        if (outcome === 'started') {
          started++;
          room--;
        }
      }
    }
  }
  await completeBackfillIfDone(client, id);
  return started;
}

/**
 * The scheduler's step for backfills: every active one advanced in its own
 * transaction. With none active it costs one indexed query.
 */
export async function advanceBackfills(pool: pg.Pool, log?: Logger): Promise<number> {
  const ids = await activeBackfillIds(pool);
  let started = 0;
  for (const id of ids) {
    try {
      started += await inTransaction(pool, (client) => advanceBackfill(client, id));
    } catch (err) {
      // one broken backfill must not stop the scheduler's pass (nor the other backfills); it is tried again next pass
      if (!log) throw err;
      log.error({ err, backfill_id: id }, 'advancing a backfill failed');
    }
  }
  return started;
}

/**
 * A date-time as the CLI and API accept it: ISO 8601 with an offset, or
 * without one (a date alone, or a naive date-time) read as UTC, as Airflow
 * reads naive dates in its default timezone. Null when it is not a date.
 */
export function parseBackfillDate(text: string): Date | null {
  const t = text.trim();
  let iso = t;
  if (/^\d{4}-\d{2}-\d{2}$/.test(t)) iso = `${t}T00:00:00Z`;
  else if (/^\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}(:\d{2}(\.\d+)?)?$/.test(t)) iso = `${t.replace(' ', 'T')}Z`;
  else if (!/^\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}(:\d{2}(\.\d+)?)?([Zz]|[+-]\d{2}:?\d{2})$/.test(t)) return null;
  const d = new Date(iso.replace(' ', 'T'));
  return Number.isNaN(d.getTime()) ? null : d;
}
