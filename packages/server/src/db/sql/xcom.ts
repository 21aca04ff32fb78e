/** XCom values: JSON in the database, one row per (task instance, key). */
import type { Queryable } from './queryable.ts';

export interface XComRow {
  dag_id: string;
  run_id: string;
  task_id: string;
  map_index: number;
  key: string;
  value: unknown;
  timestamp: Date;
}

export async function setXCom(db: Queryable, x: Omit<XComRow, 'timestamp'>): Promise<void> {
  await db.query(
    `INSERT INTO xcom (dag_id, run_id, task_id, map_index, key, value) VALUES ($1, $2, $3, $4, $5, $6)
     ON CONFLICT (dag_id, run_id, task_id, map_index, key) DO UPDATE SET value = EXCLUDED.value, timestamp = now()`,
    [x.dag_id, x.run_id, x.task_id, x.map_index, x.key, JSON.stringify(x.value)],
  );
}

export async function listRunXComs(db: Queryable, dagId: string, runId: string): Promise<XComRow[]> {
  const r = await db.query<XComRow>('SELECT * FROM xcom WHERE dag_id = $1 AND run_id = $2 ORDER BY timestamp', [dagId, runId]);
  return r.rows;
}

/** A new try starts from nothing: the previous try's values must not leak into it. */
export async function clearTiXComs(db: Queryable, dagId: string, runId: string, taskId: string, mapIndex: number): Promise<void> {
  await db.query('DELETE FROM xcom WHERE dag_id = $1 AND run_id = $2 AND task_id = $3 AND map_index = $4', [dagId, runId, taskId, mapIndex]);
}
