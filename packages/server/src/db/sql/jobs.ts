/** Rows of running components, so health checks and other schedulers can tell who is alive. */
import os from 'node:os';
import { selectPage, type PageQuery } from './page.ts';
import type { Queryable } from './queryable.ts';

export type JobType = 'SchedulerJob' | 'DagProcessorJob' | 'TriggererJob' | 'ApiServerJob';

export async function startJob(db: Queryable, jobType: JobType): Promise<number> {
  const r = await db.query<{ id: number }>(
    `INSERT INTO job (job_type, state, hostname, pid) VALUES ($1, 'running', $2, $3) RETURNING id`,
    [jobType, os.hostname(), process.pid],
  );
  return r.rows[0].id;
}

export async function heartbeatJob(db: Queryable, id: number): Promise<void> {
  await db.query(`UPDATE job SET latest_heartbeat = now() WHERE id = $1`, [id]);
}

export async function endJob(db: Queryable, id: number): Promise<void> {
  await db.query(`UPDATE job SET state = 'success', end_date = now() WHERE id = $1`, [id]);
}

export async function latestHeartbeat(db: Queryable, jobType: JobType): Promise<Date | null> {
  const r = await db.query<{ t: Date | null }>(
    `SELECT max(latest_heartbeat) AS t FROM job WHERE job_type = $1 AND state = 'running'`,
    [jobType],
  );
  return r.rows[0].t;
}

export interface JobRow {
  id: number;
  job_type: string;
  state: string;
  hostname: string;
  pid: number | null;
  start_date: Date;
  end_date: Date | null;
  latest_heartbeat: Date;
}

/** A page of jobs; `where` is built from bound parameters in `args`. */
export function listJobs(db: Queryable, q: PageQuery): Promise<{ rows: JobRow[]; total: number }> {
  return selectPage<JobRow>(db, 'job', q);
}
