/** The audit log (Airflow's `log` table): who changed what, when. */
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
