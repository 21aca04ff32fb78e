/**
 * XCom values: JSON in the database, one row per (task instance, key) — or,
 * for a value offloaded to object storage, NULL with its reference in
 * value_ref (see xcom/object-storage.ts).
 */
import type { XComObjectStorage } from '../../xcom/object-storage.ts';
import type { Queryable } from './queryable.ts';

export interface XComRow {
  dag_id: string;
  run_id: string;
  task_id: string;
  map_index: number;
  key: string;
  /** the value, or null when it is offloaded (then value_ref says where) */
  value: unknown;
  value_ref: string | null;
  timestamp: Date;
}

export interface TaskInstanceKey {
  dag_id: string;
  run_id: string;
  task_id: string;
  map_index: number;
}

/**
 * Writes a value (`json`, or a reference to an offloaded one) and returns the
 * reference of the offloaded value it replaced, which the caller deletes.
 * `old` reads the row as it was before this statement (every part of one
 * statement sees the same snapshot). Two pushes of one key at the same
 * instant could both name the same old object and leave one orphan; only
 * the task instance's own process pushes its keys, so that is left be.
 */
export async function setXCom(db: Queryable, x: TaskInstanceKey & { key: string; json: string | null; value_ref: string | null }): Promise<string | null> {
  const r = await db.query<{ replaced_ref: string | null }>(
    `WITH old AS (
       SELECT value_ref FROM xcom WHERE dag_id = $1 AND run_id = $2 AND task_id = $3 AND map_index = $4 AND key = $5
     ), written AS (
       INSERT INTO xcom (dag_id, run_id, task_id, map_index, key, value, value_ref) VALUES ($1, $2, $3, $4, $5, $6::jsonb, $7)
       ON CONFLICT (dag_id, run_id, task_id, map_index, key)
         DO UPDATE SET value = EXCLUDED.value, value_ref = EXCLUDED.value_ref, timestamp = now()
       RETURNING 1
     )
     SELECT (SELECT value_ref FROM old) AS replaced_ref FROM written`,
    [x.dag_id, x.run_id, x.task_id, x.map_index, x.key, x.json, x.value_ref],
  );
  return r.rows[0]?.replaced_ref ?? null;
}

export async function listRunXComs(db: Queryable, dagId: string, runId: string): Promise<XComRow[]> {
  const r = await db.query<XComRow>('SELECT * FROM xcom WHERE dag_id = $1 AND run_id = $2 ORDER BY timestamp', [dagId, runId]);
  return r.rows;
}

export async function getXCom(db: Queryable, ti: TaskInstanceKey, key: string): Promise<XComRow | null> {
  const r = await db.query<XComRow>('SELECT * FROM xcom WHERE dag_id = $1 AND run_id = $2 AND task_id = $3 AND map_index = $4 AND key = $5', [
    ti.dag_id,
    ti.run_id,
    ti.task_id,
    ti.map_index,
    key,
  ]);
  return r.rows[0] ?? null;
}

/** The value of a row, fetched from object storage when it was offloaded. */
export async function xcomValue(storage: XComObjectStorage, row: XComRow): Promise<unknown> {
  return row.value_ref ? storage.get(row.value_ref) : row.value;
}

/**
 * Removes every XCom of one task instance, offloaded values included: a new
 * try starts from nothing, and a cleared task instance keeps nothing of its
 * previous run. Objects are deleted after the rows; called inside a
 * transaction that then rolls back, rows would point at deleted objects, so
 * call it on the pool or as the last step before COMMIT.
 */
export async function deleteTiXComs(db: Queryable, storage: XComObjectStorage, ti: TaskInstanceKey): Promise<number> {
  const r = await db.query<{ value_ref: string | null }>(
    'DELETE FROM xcom WHERE dag_id = $1 AND run_id = $2 AND task_id = $3 AND map_index = $4 RETURNING value_ref',
    [ti.dag_id, ti.run_id, ti.task_id, ti.map_index],
  );
  await storage.remove(r.rows.flatMap((x) => (x.value_ref ? [x.value_ref] : [])));
  return r.rows.length;
}

export interface XComEntryRow extends XComRow {
  logical_date: Date | null;
  run_after: Date;
}

export interface XComEntryQuery {
  /** null: any (the API's `~`) */
  dag_id: string | null;
  run_id: string | null;
  task_id: string | null;
  key?: string;
  map_index?: number;
  limit: number;
  offset: number;
}

/** XCom entries with their run's dates, for the public API. */
export async function listXComEntries(db: Queryable, q: XComEntryQuery): Promise<{ entries: XComEntryRow[]; total: number }> {
  const where: string[] = [];
  const args: unknown[] = [];
  if (q.dag_id !== null) where.push(`x.dag_id = $${args.push(q.dag_id)}`);
  if (q.run_id !== null) where.push(`x.run_id = $${args.push(q.run_id)}`);
  if (q.task_id !== null) where.push(`x.task_id = $${args.push(q.task_id)}`);
  if (q.key !== undefined) where.push(`x.key = $${args.push(q.key)}`);
  if (q.map_index !== undefined) where.push(`x.map_index = $${args.push(q.map_index)}`);
  const whereSql = where.length ? `WHERE ${where.join(' AND ')}` : '';
  const total = await db.query<{ n: number }>(`SELECT count(*) AS n FROM xcom x ${whereSql}`, args);
  const rows = await db.query<XComEntryRow>(
    `SELECT x.*, r.logical_date, r.run_after FROM xcom x JOIN dag_run r ON r.dag_id = x.dag_id AND r.run_id = x.run_id
     ${whereSql} ORDER BY x.dag_id, x.run_id, x.task_id, x.map_index, x.key LIMIT $${args.length + 1} OFFSET $${args.length + 2}`,
    [...args, q.limit, q.offset],
  );
  return { entries: rows.rows, total: total.rows[0].n };
}

/**
 * XComs of another DAG for a template's `xcom_pull(dag_id=…)`: those of its run
 * with the given logical date, or with `includePriorDates` the latest value of
 * each (task, map index, key) at or before it — Airflow's rule.
 */
export async function listDagXComsAt(db: Queryable, dagId: string, logicalDate: Date, includePriorDates: boolean): Promise<(XComRow & { run_id: string })[]> {
  const r = await db.query<XComRow & { run_id: string }>(
    `SELECT DISTINCT ON (x.task_id, x.map_index, x.key) x.*
     FROM xcom x JOIN dag_run r ON r.dag_id = x.dag_id AND r.run_id = x.run_id
     WHERE x.dag_id = $1
       AND CASE WHEN $3 THEN coalesce(r.logical_date, r.run_after) <= $2
                ELSE coalesce(r.logical_date, r.run_after) = $2 END
     ORDER BY x.task_id, x.map_index, x.key, coalesce(r.logical_date, r.run_after) DESC`,
    [dagId, logicalDate, includePriorDates],
  );
  return r.rows;
}

/** Deletes one XCom; returns whether it existed and the offloaded object to remove, if any. */
export async function deleteXCom(db: Queryable, ti: TaskInstanceKey, key: string): Promise<{ value_ref: string | null } | null> {
  const r = await db.query<{ value_ref: string | null }>(
    'DELETE FROM xcom WHERE dag_id = $1 AND run_id = $2 AND task_id = $3 AND map_index = $4 AND key = $5 RETURNING value_ref',
    [ti.dag_id, ti.run_id, ti.task_id, ti.map_index, key],
  );
  return r.rows[0] ?? null;
}
