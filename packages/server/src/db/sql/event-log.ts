/** The audit log (Airflow's `log` table): who changed what, when. */
import { selectPage, type PageQuery } from './page.ts';
import type { Queryable } from './queryable.ts';

export interface EventLogEntry {
  event: string;
  owner: string | null;
  dag_id?: string | null;
  task_id?: string | null;
  run_id?: string | null;
  extra?: unknown;
}

export async function logEvent(db: Queryable, e: EventLogEntry): Promise<void> {
  await db.query(
    `INSERT INTO log (event, owner, dag_id, task_id, run_id, extra) VALUES ($1, $2, $3, $4, $5, $6)`,
    [e.event, e.owner, e.dag_id ?? null, e.task_id ?? null, e.run_id ?? null, e.extra === undefined ? null : JSON.stringify(e.extra)],
  );
}

export interface EventLogRow {
  id: number;
  dttm: Date;
  event: string;
  owner: string | null;
  dag_id: string | null;
  task_id: string | null;
  run_id: string | null;
  map_index: number | null;
  try_number: number | null;
  logical_date: Date | null;
  extra: string | null;
}

/** A page of the audit log; `where` is built from bound parameters in `args`. */
export function listEventLogs(db: Queryable, q: PageQuery): Promise<{ rows: EventLogRow[]; total: number }> {
  return selectPage<EventLogRow>(db, 'log', q);
}

export async function getEventLog(db: Queryable, id: number): Promise<EventLogRow | null> {
  const r = await db.query<EventLogRow>('SELECT * FROM log WHERE id = $1', [id]);
  return r.rows[0] ?? null;
}
