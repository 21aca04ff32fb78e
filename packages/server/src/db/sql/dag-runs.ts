/** dag_run rows: creation (with its task instances) and the run-level state transitions. */
import crypto from 'node:crypto';
import type pg from 'pg';
import { type Queryable, statementResults } from './queryable.ts';
import type { TiState } from './task-instances.ts';

export type RunType = 'scheduled' | 'manual' | 'backfill' | 'asset_triggered';
export type RunState = 'queued' | 'running' | 'success' | 'failed';

export interface DagRunRow {
  id: number;
  dag_id: string;
  run_id: string;
  dag_version_id: number;
  run_type: RunType;
  state: RunState;
  logical_date: Date | null;
  data_interval_start: Date | null;
  data_interval_end: Date | null;
  run_after: Date;
  queued_at: Date | null;
  start_date: Date | null;
  end_date: Date | null;
  conf: Record<string, unknown>;
  note: string | null;
  triggered_by: string | null;
  last_scheduling_decision: Date | null;
}

export class RunConflictError extends Error {}

export interface NewTaskInstance {
  task_id: string;
  operator: string;
  pool: string;
  pool_slots: number;
  queue: string;
  priority_weight: number;
  max_tries: number;
}

export interface NewDagRun {
  dag_id: string;
  run_id: string;
  run_type: RunType;
  logical_date: Date | null;
  data_interval_start: Date | null;
  data_interval_end: Date | null;
  run_after: Date;
  conf: Record<string, unknown>;
  note?: string | null;
  triggered_by: string;
  dag_version_id: number;
  tasks: NewTaskInstance[];
}

/** Inserts the run (queued) and one task instance per task (no state yet). Call inside a transaction. */
export async function createDagRun(client: pg.PoolClient, run: NewDagRun): Promise<DagRunRow> {
  let row: DagRunRow;
  try {
    const r = await client.query<DagRunRow>(
      `INSERT INTO dag_run (dag_id, run_id, dag_version_id, run_type, state, logical_date, data_interval_start,
                            data_interval_end, run_after, queued_at, conf, note, triggered_by)
       VALUES ($1, $2, $3, $4, 'queued', $5, $6, $7, $8, now(), $9, $10, $11)
       RETURNING *`,
      [
        run.dag_id,
        run.run_id,
        run.dag_version_id,
        run.run_type,
        run.logical_date,
        run.data_interval_start,
        run.data_interval_end,
        run.run_after,
        JSON.stringify(run.conf),
        run.note ?? null,
        run.triggered_by,
      ],
    );
    row = r.rows[0];
  } catch (err) {
    const e = err as { code?: string; constraint?: string };
    if (e.code === '23505') {
      const what = e.constraint?.includes('logical_date')
        ? `a run with logical_date ${run.logical_date?.toISOString()}`
        : `a run with run_id '${run.run_id}'`;
      throw new RunConflictError(`DAG '${run.dag_id}' already has ${what}`);
    }
    throw err;
  }
  if (run.tasks.length > 0) {
    await client.query(
      `INSERT INTO task_instance (id, dag_id, run_id, task_id, operator, pool, pool_slots, queue, priority_weight, max_tries)
       SELECT t.id, $1, $2, t.task_id, t.operator, t.pool, t.pool_slots, t.queue, t.priority_weight, t.max_tries
       FROM unnest($3::uuid[], $4::text[], $5::text[], $6::text[], $7::int[], $8::text[], $9::int[], $10::int[])
            AS t(id, task_id, operator, pool, pool_slots, queue, priority_weight, max_tries)`,
      [
        run.dag_id,
        run.run_id,
        run.tasks.map(() => crypto.randomUUID()),
        run.tasks.map((t) => t.task_id),
        run.tasks.map((t) => t.operator),
        run.tasks.map((t) => t.pool),
        run.tasks.map((t) => t.pool_slots),
        run.tasks.map((t) => t.queue),
        run.tasks.map((t) => t.priority_weight),
        run.tasks.map((t) => t.max_tries),
      ],
    );
  }
  return row;
}

/**
 * Moves queued runs to running, oldest first, while each DAG stays within its
 * max_active_runs. One statement, so concurrent schedulers cannot overshoot.
 */
export async function startQueuedRuns(db: Queryable): Promise<DagRunRow[]> {
  // a backfill's runs have their own limit (the backfill creates at most its
  // max_active_runs at a time), so they neither count against nor wait for
  // the DAG's max_active_runs (Airflow 3)
  const r = await db.query<DagRunRow>(
    `WITH running AS (
       SELECT dag_id, count(*) AS n FROM dag_run WHERE state = 'running' AND backfill_id IS NULL GROUP BY dag_id
     ), candidates AS (
       SELECT r.id, r.backfill_id, d.max_active_runs - coalesce(running.n, 0) AS room,
              row_number() OVER (PARTITION BY r.dag_id, r.backfill_id IS NULL ORDER BY r.run_after, r.id) AS position
       FROM dag_run r
       JOIN dag d ON d.dag_id = r.dag_id
       LEFT JOIN running ON running.dag_id = r.dag_id
       WHERE r.state = 'queued' AND r.run_after <= now()
     )
     UPDATE dag_run SET state = 'running', start_date = now()
     WHERE id IN (SELECT id FROM candidates WHERE backfill_id IS NOT NULL OR position <= room) AND state = 'queued'
     RETURNING *`,
  );
  return r.rows;
}

/**
 * Running runs not being examined by another scheduler right now (the rows
 * stay locked until commit), each with the states of its task instances.
 * NO KEY UPDATE, not UPDATE: a finishing try's history row checks its foreign
 * key to dag_run with FOR KEY SHARE, which FOR UPDATE would block until this
 * pass commits (measured: a third of the database time of the scheduler-alone
 * benchmark was such waits).
 *
 * `before`: statements sent ahead of it in the same round trip (the pass's
 * BEGIN and lock), as this is on the path of every handoff. Several statements
 * in one message need the simple query protocol, which takes no parameters:
 * hence the limit in the text (a number of ours, checked).
 */
export async function lockRunningRuns(
  client: pg.PoolClient,
  limit: number,
  before: string[] = [],
): Promise<(DagRunRow & { tis: { task_id: string; map_index: number; state: TiState | null }[] })[]> {
  if (!Number.isSafeInteger(limit) || limit <= 0) throw new Error(`lockRunningRuns: bad limit ${limit}`);
  // the task instances as three parallel arrays: half the time of a JSON object
  // per row, built and parsed (measured with 10 runs of 1,000 task instances)
  const select = `WITH runs AS (
       SELECT * FROM dag_run WHERE state = 'running'
       ORDER BY last_scheduling_decision NULLS FIRST, start_date LIMIT ${limit}
       FOR NO KEY UPDATE SKIP LOCKED
     )
     SELECT runs.*, t.ti_task_ids, t.ti_map_indexes, t.ti_states
     FROM runs CROSS JOIN LATERAL (
       SELECT array_agg(ti.task_id) AS ti_task_ids, array_agg(ti.map_index) AS ti_map_indexes, array_agg(ti.state) AS ti_states
       FROM task_instance ti WHERE ti.dag_id = runs.dag_id AND ti.run_id = runs.run_id
     ) t`;
  const results = statementResults(await client.query([...before, select].join(';\n'))).at(-1) as pg.QueryResult;
  type Row = DagRunRow & { ti_task_ids: string[] | null; ti_map_indexes: number[] | null; ti_states: (TiState | null)[] | null };
  return (results.rows as Row[]).map(({ ti_task_ids, ti_map_indexes, ti_states, ...run }) => ({
    ...run,
    tis: (ti_task_ids ?? []).map((task_id, i) => ({ task_id, map_index: (ti_map_indexes as number[])[i], state: (ti_states as (TiState | null)[])[i] })),
  }));
}

/**
 * Marks runs as just examined. Only needed when a pass took as many runs as it
 * may (more may be waiting): the oldest-examined go first next time.
 */
export async function touchSchedulingDecision(client: pg.PoolClient, ids: number[]): Promise<void> {
  await client.query('UPDATE dag_run SET last_scheduling_decision = now() WHERE id = ANY($1::bigint[])', [ids]);
}

export async function finishRun(db: Queryable, id: number, state: 'success' | 'failed'): Promise<DagRunRow | null> {
  const r = await db.query<DagRunRow>(
    `UPDATE dag_run SET state = $2, end_date = now() WHERE id = $1 AND state IN ('queued', 'running') RETURNING *`,
    [id, state],
  );
  return r.rows[0] ?? null;
}

export async function getDagRun(db: Queryable, dagId: string, runId: string): Promise<DagRunRow | null> {
  const r = await db.query<DagRunRow>('SELECT * FROM dag_run WHERE dag_id = $1 AND run_id = $2', [dagId, runId]);
  return r.rows[0] ?? null;
}

export async function countActiveRuns(db: Queryable, dagId: string): Promise<number> {
  const r = await db.query<{ n: number }>(`SELECT count(*) AS n FROM dag_run WHERE dag_id = $1 AND state IN ('queued', 'running')`, [dagId]);
  return r.rows[0].n;
}

/**
 * A run set to a state by hand (the API's PATCH): success and failed end it,
 * queued sends it back to the scheduler. Guarded by the state the caller saw.
 */
export async function setDagRunState(db: Queryable, id: number, from: RunState, to: RunState): Promise<DagRunRow | null> {
  const r = await db.query<DagRunRow>(
    `UPDATE dag_run SET
       state = $3,
       end_date = CASE WHEN $3 IN ('success', 'failed') THEN now() ELSE NULL END,
       queued_at = CASE WHEN $3 = 'queued' THEN now() ELSE queued_at END
     WHERE id = $1 AND state = $2
     RETURNING *`,
    [id, from, to],
  );
  return r.rows[0] ?? null;
}

export async function setDagRunNote(db: Queryable, id: number, note: string | null): Promise<DagRunRow | null> {
  const r = await db.query<DagRunRow>('UPDATE dag_run SET note = $2 WHERE id = $1 RETURNING *', [id, note]);
  return r.rows[0] ?? null;
}

/** Finished runs go back to queued, so the scheduler decides their state again from their task instances. */
export async function requeueFinishedRuns(db: Queryable, dagId: string, runIds: string[]): Promise<number> {
  const r = await db.query(
    `UPDATE dag_run SET state = 'queued', end_date = NULL, queued_at = now()
     WHERE dag_id = $1 AND run_id = ANY($2::text[]) AND state IN ('success', 'failed')`,
    [dagId, runIds],
  );
  return r.rowCount ?? 0;
}

/**
 * Deletes a run; its task instances, their history and XComs go with it (ON
 * DELETE CASCADE). Returns the references of the XCom values offloaded to
 * object storage, which the caller removes after the commit; null when there
 * was no such run.
 */
export async function deleteDagRun(db: Queryable, dagId: string, runId: string): Promise<{ value_refs: string[] } | null> {
  const r = await db.query<{ value_refs: string[] }>(
    `WITH refs AS (
       SELECT value_ref FROM xcom WHERE dag_id = $1 AND run_id = $2 AND value_ref IS NOT NULL
     ), gone AS (
       DELETE FROM dag_run WHERE dag_id = $1 AND run_id = $2 RETURNING 1
     )
     SELECT array(SELECT value_ref FROM refs) AS value_refs FROM gone`,
    [dagId, runId],
  );
  return r.rows[0] ?? null;
}
