/**
 * backfill and backfill_dag_run rows: creating a backfill with its dates,
 * reading and listing backfills, pausing and cancelling, and the steps the
 * scheduler takes to advance one (each a single statement).
 */
import type pg from 'pg';
import type { Queryable } from './queryable.ts';

export type ReprocessBehavior = 'none' | 'failed' | 'completed';
export const REPROCESS_BEHAVIORS: readonly ReprocessBehavior[] = ['none', 'failed', 'completed'];

export interface BackfillRow {
  id: number;
  dag_id: string;
  from_date: Date;
  to_date: Date;
  dag_run_conf: Record<string, unknown>;
  is_paused: boolean;
  reprocess_behavior: ReprocessBehavior;
  max_active_runs: number;
  run_backwards: boolean;
  triggering_user_name: string | null;
  created_at: Date;
  completed_at: Date | null;
  updated_at: Date;
}

export type BackfillDateState = 'pending' | 'created' | 'skipped' | 'cancelled';

export interface NewBackfillDate {
  logical_date: Date;
  data_interval_start: Date | null;
  data_interval_end: Date | null;
  run_after: Date;
  /** set for a date whose existing run the backfill keeps */
  skip_reason: string | null;
}

export interface PendingBackfillDate {
  id: number;
  logical_date: Date;
  data_interval_start: Date | null;
  data_interval_end: Date | null;
  run_after: Date;
}

export class ActiveBackfillError extends Error {}

/**
 * Inserts the backfill and one row per date, in run order (sort_ordinal).
 * Call inside a transaction. A DAG with an active backfill already refuses a
 * second one through the partial unique index, even when two requests race.
 */
export async function insertBackfill(
  client: pg.PoolClient,
  b: Pick<BackfillRow, 'dag_id' | 'from_date' | 'to_date' | 'dag_run_conf' | 'reprocess_behavior' | 'max_active_runs' | 'run_backwards' | 'triggering_user_name'>,
  dates: NewBackfillDate[],
): Promise<BackfillRow> {
  let row: BackfillRow;
  try {
    const r = await client.query<BackfillRow>(
      `INSERT INTO backfill (dag_id, from_date, to_date, dag_run_conf, reprocess_behavior, max_active_runs, run_backwards, triggering_user_name)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8) RETURNING *`,
      [b.dag_id, b.from_date, b.to_date, JSON.stringify(b.dag_run_conf), b.reprocess_behavior, b.max_active_runs, b.run_backwards, b.triggering_user_name],
    );
    row = r.rows[0];
  } catch (err) {
    if ((err as { code?: string; constraint?: string }).constraint === 'backfill_active_dag') {
      throw new ActiveBackfillError(`Another backfill is running for dag ${b.dag_id}`);
    }
    throw err;
  }
  await client.query(
    `INSERT INTO backfill_dag_run (backfill_id, sort_ordinal, logical_date, data_interval_start, data_interval_end, run_after, state, exception_reason)
     SELECT $1, d.ordinal, d.logical_date, d.data_interval_start, d.data_interval_end, d.run_after,
            CASE WHEN d.reason IS NULL THEN 'pending' ELSE 'skipped' END, d.reason
     FROM unnest($2::timestamptz[], $3::timestamptz[], $4::timestamptz[], $5::timestamptz[], $6::text[])
          WITH ORDINALITY AS d(logical_date, data_interval_start, data_interval_end, run_after, reason, ordinal)`,
    [
      row.id,
      dates.map((d) => d.logical_date),
      dates.map((d) => d.data_interval_start),
      dates.map((d) => d.data_interval_end),
      dates.map((d) => d.run_after),
      dates.map((d) => d.skip_reason),
    ],
  );
  return row;
}

export async function getBackfill(db: Queryable, id: number): Promise<BackfillRow | null> {
  const r = await db.query<BackfillRow>('SELECT * FROM backfill WHERE id = $1', [id]);
  return r.rows[0] ?? null;
}

/** A page of backfills, optionally of one DAG; `orderBy` is a trusted ORDER BY list. */
export async function listBackfills(db: Queryable, q: { dag_id?: string | null; limit: number; offset: number; orderBy: string }): Promise<{ rows: BackfillRow[]; total: number }> {
  const r = await db.query<BackfillRow & { total: number }>(
    `SELECT *, count(*) OVER ()::int AS total FROM backfill
     WHERE ($1::text IS NULL OR dag_id = $1)
     ORDER BY ${q.orderBy} LIMIT $2 OFFSET $3`,
    [q.dag_id ?? null, q.limit, q.offset],
  );
  if (r.rows.length === 0 && q.offset > 0) {
    const c = await db.query<{ n: number }>('SELECT count(*)::int AS n FROM backfill WHERE ($1::text IS NULL OR dag_id = $1)', [q.dag_id ?? null]);
    return { rows: [], total: c.rows[0].n };
  }
  return { rows: r.rows.map(({ total: _total, ...row }) => row), total: r.rows[0]?.total ?? 0 };
}

/** Pauses or unpauses an active backfill; null when it does not exist or has completed. */
export async function setBackfillPaused(db: Queryable, id: number, paused: boolean): Promise<BackfillRow | null> {
  const r = await db.query<BackfillRow>(
    `UPDATE backfill SET is_paused = $2, updated_at = now() WHERE id = $1 AND completed_at IS NULL RETURNING *`,
    [id, paused],
  );
  return r.rows[0] ?? null;
}

/**
 * Cancels an active backfill for good, as Airflow does: paused, its runs not
 * started yet failed (here: dates without a run are marked cancelled, and a
 * queued run of it fails), completed now. Running runs finish on their own.
 * Call inside a transaction; null when it does not exist or has completed.
 */
export async function cancelBackfillRows(client: pg.PoolClient, id: number): Promise<BackfillRow | null> {
  const r = await client.query<BackfillRow>(
    `UPDATE backfill SET is_paused = true, completed_at = now(), updated_at = now() WHERE id = $1 AND completed_at IS NULL RETURNING *`,
    [id],
  );
  if (!r.rows[0]) return null;
  await client.query(`UPDATE backfill_dag_run SET state = 'cancelled' WHERE backfill_id = $1 AND state = 'pending'`, [id]);
  await client.query(`UPDATE dag_run SET state = 'failed', end_date = now() WHERE backfill_id = $1 AND state = 'queued'`, [id]);
  return r.rows[0];
}

/** The scheduler's check on every time-driven pass: one read of a small partial index. */
export async function activeBackfillIds(db: Queryable): Promise<number[]> {
  const r = await db.query<{ id: number }>('SELECT id FROM backfill WHERE completed_at IS NULL ORDER BY id');
  return r.rows.map((x) => Number(x.id));
}

/** Locks an active backfill for one scheduler; null when another holds it or it has completed meanwhile. */
export async function lockActiveBackfill(client: pg.PoolClient, id: number): Promise<BackfillRow | null> {
  const r = await client.query<BackfillRow>('SELECT * FROM backfill WHERE id = $1 AND completed_at IS NULL FOR UPDATE SKIP LOCKED', [id]);
  return r.rows[0] ?? null;
}

export async function countActiveBackfillRuns(db: Queryable, id: number): Promise<number> {
  const r = await db.query<{ n: number }>(`SELECT count(*)::int AS n FROM dag_run WHERE backfill_id = $1 AND state IN ('queued', 'running')`, [id]);
  return r.rows[0].n;
}

/** The next dates to start, in run order. */
export async function nextPendingDates(db: Queryable, id: number, limit: number): Promise<PendingBackfillDate[]> {
  const r = await db.query<PendingBackfillDate>(
    `SELECT id, logical_date, data_interval_start, data_interval_end, run_after FROM backfill_dag_run
     WHERE backfill_id = $1 AND state = 'pending' ORDER BY sort_ordinal LIMIT $2`,
    [id, limit],
  );
  return r.rows;
}

export async function markBackfillDate(db: Queryable, rowId: number, state: 'created' | 'skipped', dagRunId: number | null, reason: string | null): Promise<void> {
  await db.query(`UPDATE backfill_dag_run SET state = $2, dag_run_id = $3, exception_reason = $4 WHERE id = $1 AND state = 'pending'`, [rowId, state, dagRunId, reason]);
}

/** The run of a DAG at a logical date, locked so that nobody changes it while the backfill decides. */
export async function lockRunAt(client: pg.PoolClient, dagId: string, logicalDate: Date): Promise<{ id: number; run_id: string; state: string; dag_version_id: number } | null> {
  const r = await client.query<{ id: number; run_id: string; state: string; dag_version_id: number }>(
    'SELECT id, run_id, state, dag_version_id FROM dag_run WHERE dag_id = $1 AND logical_date = $2 FOR UPDATE',
    [dagId, logicalDate],
  );
  return r.rows[0] ?? null;
}

/**
 * Makes a run part of a backfill and starts it: the backfill's own
 * max_active_runs was checked by the caller, so it does not wait in queued
 * for the DAG's (Airflow counts backfill runs apart from the others).
 */
export async function startRunForBackfill(db: Queryable, dagRunId: number, backfillId: number): Promise<void> {
  await db.query(
    `UPDATE dag_run SET backfill_id = $2, run_type = 'backfill', triggered_by = 'backfill',
       state = 'running', start_date = now(), end_date = NULL, queued_at = coalesce(queued_at, now())
     WHERE id = $1`,
    [dagRunId, backfillId],
  );
}

/**
 * Every task instance of a finished run back to no state, with its retries
 * renewed (retries by task id), before the backfill runs it again. XComs go
 * when each new try starts.
 */
export async function resetRunTaskInstances(db: Queryable, dagId: string, runId: string, retries: Map<string, number>): Promise<void> {
  await db.query(
    `UPDATE task_instance ti SET state = NULL, next_retry_at = NULL, max_tries = ti.try_number + coalesce(r.retries, 0)
     FROM (SELECT * FROM unnest($3::text[], $4::int[]) AS x(task_id, retries)) r
     WHERE ti.dag_id = $1 AND ti.run_id = $2 AND r.task_id = ti.task_id`,
    [dagId, runId, [...retries.keys()], [...retries.values()]],
  );
}

/** Completes the backfill once no date waits and none of its runs is active. */
export async function completeBackfillIfDone(db: Queryable, id: number): Promise<boolean> {
  const r = await db.query(
    `UPDATE backfill b SET completed_at = now(), updated_at = now()
     WHERE b.id = $1 AND b.completed_at IS NULL
       AND NOT EXISTS (SELECT 1 FROM backfill_dag_run d WHERE d.backfill_id = b.id AND d.state = 'pending')
       AND NOT EXISTS (SELECT 1 FROM dag_run r WHERE r.backfill_id = b.id AND r.state IN ('queued', 'running'))`,
    [id],
  );
  return (r.rowCount ?? 0) > 0;
}

export interface BackfillProgress {
  /** dates the backfill runs (created or still pending) */
  total: number;
  /** of those, runs finished (success or failed), or removed since */
  done: number;
  success: number;
  failed: number;
  running: number;
  queued: number;
  pending: number;
  skipped: number;
  cancelled: number;
}

export async function backfillProgress(db: Queryable, id: number): Promise<BackfillProgress> {
  const r = await db.query<BackfillProgress>(
    `SELECT count(*) FILTER (WHERE d.state IN ('created', 'pending'))::int AS total,
            count(*) FILTER (WHERE d.state = 'created' AND (r.id IS NULL OR r.state IN ('success', 'failed')))::int AS done,
            count(*) FILTER (WHERE d.state = 'created' AND r.state = 'success')::int AS success,
            count(*) FILTER (WHERE d.state = 'created' AND r.state = 'failed')::int AS failed,
            count(*) FILTER (WHERE d.state = 'created' AND r.state = 'running')::int AS running,
            count(*) FILTER (WHERE d.state = 'created' AND r.state = 'queued')::int AS queued,
            count(*) FILTER (WHERE d.state = 'pending')::int AS pending,
            count(*) FILTER (WHERE d.state = 'skipped')::int AS skipped,
            count(*) FILTER (WHERE d.state = 'cancelled')::int AS cancelled
     FROM backfill_dag_run d LEFT JOIN dag_run r ON r.id = d.dag_run_id
     WHERE d.backfill_id = $1`,
    [id],
  );
  return r.rows[0];
}
