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

export interface JobHealth {
  state: string;
  latest_heartbeat: Date;
}

/**
 * The job that speaks for a component in a health check, chosen as Airflow's
 * Job.most_recent_job does: a running job before any that ended, then the
 * latest heartbeat. So a component whose last process stopped cleanly is
 * reported with that job (ended: unhealthy), and one that was killed without
 * ending its job is still "running" until its heartbeat is too old.
 */
export async function mostRecentJob(db: Queryable, jobType: JobType): Promise<JobHealth | null> {
  // two branches rather than ORDER BY state = 'running': the first uses the
  // job_running index, and the second (a scan) only runs when it found nothing
  const r = await db.query<JobHealth>(
    `(SELECT state, latest_heartbeat FROM job
       WHERE job_type = $1 AND state = 'running'
       ORDER BY latest_heartbeat DESC
       LIMIT 1)
     UNION ALL
     (SELECT state, latest_heartbeat FROM job
       WHERE job_type = $1 AND state <> 'running'
       ORDER BY latest_heartbeat DESC
       LIMIT 1)
     LIMIT 1`,
    [jobType],
  );
  return r.rows[0] ?? null;
}

/** The freshest heartbeat of a running job of this type (null: none is running). */
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
