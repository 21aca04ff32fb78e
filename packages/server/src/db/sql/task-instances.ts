/**
 * task_instance state transitions. Each is one statement guarded by the state
 * the caller expects, so two schedulers (or a scheduler and the api-server)
 * racing on the same row cannot both win.
 */
import crypto from 'node:crypto';
import type pg from 'pg';
import { type Queryable, statementResults, uuidArrayLiteral } from './queryable.ts';

export type TiState =
  | 'scheduled'
  | 'queued'
  | 'running'
  | 'success'
  | 'failed'
  | 'up_for_retry'
  | 'up_for_reschedule'
  | 'upstream_failed'
  | 'skipped'
  | 'deferred'
  | 'removed'
  | 'restarting';

export const FINISHED_STATES: TiState[] = ['success', 'failed', 'skipped', 'upstream_failed', 'removed'];

export interface TaskInstanceRow {
  id: string;
  dag_id: string;
  run_id: string;
  task_id: string;
  map_index: number;
  state: TiState | null;
  try_number: number;
  max_tries: number;
  operator: string;
  pool: string;
  pool_slots: number;
  queue: string;
  priority_weight: number;
  scheduled_dttm: Date | null;
  queued_dttm: Date | null;
  start_date: Date | null;
  end_date: Date | null;
  duration: number | null;
  hostname: string | null;
  pid: number | null;
  queued_by_job_id: number | null;
  last_heartbeat_at: Date | null;
  next_retry_at: Date | null;
  rendered_fields: Record<string, unknown> | null;
  note: string | null;
  keep_try: boolean;
  reschedule_date: Date | null;
  trigger_id: string | null;
  trigger_timeout: Date | null;
  next_method: string | null;
  next_kwargs: Record<string, unknown> | null;
}

export interface TiKey {
  dag_id: string;
  run_id: string;
  task_id: string;
  map_index: number;
}

export async function listRunTis(db: Queryable, dagId: string, runId: string): Promise<TaskInstanceRow[]> {
  const r = await db.query<TaskInstanceRow>('SELECT * FROM task_instance WHERE dag_id = $1 AND run_id = $2', [dagId, runId]);
  return r.rows;
}

export async function getTiById(db: Queryable, id: string): Promise<TaskInstanceRow | null> {
  const r = await db.query<TaskInstanceRow>('SELECT * FROM task_instance WHERE id = $1', [id]);
  return r.rows[0] ?? null;
}

/**
 * Sets `to` on the task instances of one run whose current state is one of
 * `from` (null meaning "no state yet"). Returns the rows it changed.
 */
export async function setTisState(
  db: Queryable,
  dagId: string,
  runId: string,
  taskIds: string[],
  from: (TiState | null)[],
  to: TiState,
  /** only this map index (a mapped group's instance decided on its own); all when absent */
  mapIndex: number | null = null,
): Promise<TaskInstanceRow[]> {
  if (taskIds.length === 0) return [];
  const allowNull = from.includes(null);
  const states = from.filter((s) => s !== null);
  const finished = FINISHED_STATES.includes(to);
  const r = await db.query<TaskInstanceRow>(
    `UPDATE task_instance SET
       state = $4,
       scheduled_dttm = CASE WHEN $4 = 'scheduled' THEN now() ELSE scheduled_dttm END,
       start_date = CASE WHEN $6 THEN coalesce(start_date, now()) ELSE start_date END,
       end_date = CASE WHEN $6 THEN now() ELSE end_date END,
       duration = CASE WHEN $6 THEN extract(epoch FROM now() - coalesce(start_date, now())) ELSE duration END
     WHERE dag_id = $1 AND run_id = $2 AND task_id = ANY($3::text[])
       AND ($8::int IS NULL OR map_index = $8)
       AND (state = ANY($5::text[]) OR ($7 AND state IS NULL))
     RETURNING *`,
    [dagId, runId, taskIds, to, states, finished, allowNull, mapIndex],
  );
  return r.rows;
}

export interface PoolRoom {
  pool: string;
  open_slots: number;
}

/** What choosing among candidates needs: a few columns, not whole rows (thousands of them per pass in a big run). */
export interface QueueCandidate extends Pick<TaskInstanceRow, 'id' | 'dag_id' | 'run_id' | 'task_id' | 'map_index' | 'pool' | 'pool_slots'> {
  max_active_tasks: number;
  dag_version_id: number;
  triggered_by: string | null;
  /** open slots of the task's pool now; null when the pool is unlimited (-1 slots) */
  pool_open: number | null;
  pool_exists: boolean;
  /** queued and running task instances of the task's DAG now (max_active_tasks counts both) */
  dag_active: number;
}

/**
 * Scheduled task instances that could be queued now, best priority first,
 * each with the room left in its pool and its DAG — one round trip, as it is
 * on every handoff. The caller applies the limits (and parallelism) in order.
 */
export async function queueCandidates(db: Queryable, limit: number): Promise<QueueCandidate[]> {
  const r = await db.query<QueueCandidate>(
    `WITH active AS (
       SELECT dag_id, pool, pool_slots FROM task_instance WHERE state IN ('queued', 'running')
     ), pool_used AS (
       SELECT pool, sum(pool_slots) AS used FROM active GROUP BY pool
     ), dag_used AS (
       SELECT dag_id, count(*) AS n FROM active GROUP BY dag_id
     )
     SELECT ti.id, ti.dag_id, ti.run_id, ti.task_id, ti.map_index, ti.pool, ti.pool_slots,
            d.max_active_tasks, r.dag_version_id, r.triggered_by,
            p.pool IS NOT NULL AS pool_exists,
            CASE WHEN p.slots < 0 THEN NULL ELSE p.slots - coalesce(pu.used, 0) END AS pool_open,
            coalesce(du.n, 0) AS dag_active
     FROM task_instance ti
     JOIN dag_run r ON r.dag_id = ti.dag_id AND r.run_id = ti.run_id
     JOIN dag d ON d.dag_id = ti.dag_id
     LEFT JOIN slot_pool p ON p.pool = ti.pool
     LEFT JOIN pool_used pu ON pu.pool = ti.pool
     LEFT JOIN dag_used du ON du.dag_id = ti.dag_id
     WHERE ti.state = 'scheduled' AND r.state = 'running'
     ORDER BY ti.priority_weight DESC, r.run_after, ti.scheduled_dttm
     LIMIT $1`,
    [limit],
  );
  return r.rows;
}

/**
 * scheduled → queued for a new try: a fresh id (so the previous try's token is
 * worthless) and try_number + 1. `commit`: end the caller's transaction in the
 * same round trip (the scheduler's pass, on the path of every handoff); the
 * statements then go without parameters, so the ids (uuids, checked) and the
 * job id (a number) are written into the text.
 */
export async function queueTis(
  db: Queryable,
  ids: string[],
  jobId: number,
  options: { commit?: boolean } = {},
): Promise<(TaskInstanceRow & { dag_version_id: number })[]> {
  if (ids.length === 0) {
    if (options.commit) await db.query('COMMIT');
    return [];
  }
  if (!Number.isSafeInteger(jobId)) throw new Error(`queueTis: bad job id ${jobId}`);
  const update = `UPDATE task_instance ti SET
       state = 'queued', id = fresh.new_id, queued_dttm = clock_timestamp(), queued_by_job_id = ${jobId},
       -- a rescheduled sensor or a resumed deferred task continues its try; anything else starts a new, clean one
       try_number = ti.try_number + CASE WHEN ti.keep_try THEN 0 ELSE 1 END,
       start_date = CASE WHEN ti.keep_try THEN ti.start_date END,
       next_method = CASE WHEN ti.keep_try THEN ti.next_method END,
       next_kwargs = CASE WHEN ti.keep_try THEN ti.next_kwargs END,
       keep_try = false, reschedule_date = NULL, trigger_id = NULL, trigger_timeout = NULL,
       end_date = NULL, duration = NULL,
       hostname = NULL, pid = NULL, last_heartbeat_at = NULL, next_retry_at = NULL, rendered_fields = NULL
     FROM (SELECT unnest(${uuidArrayLiteral(ids)}) AS old_id, unnest(${uuidArrayLiteral(ids.map(() => crypto.randomUUID()))}) AS new_id) AS fresh, dag_run r
     WHERE ti.id = fresh.old_id AND ti.state = 'scheduled' AND r.dag_id = ti.dag_id AND r.run_id = ti.run_id
     RETURNING ti.*, r.dag_version_id`;
  // with COMMIT, the UPDATE's rows are in the first of the two results
  const [updated] = statementResults(await db.query(options.commit ? `${update};\nCOMMIT` : update));
  return updated.rows as (TaskInstanceRow & { dag_version_id: number })[];
}

/**
 * queued → running, by the task process itself (through the Execution API).
 * `resumed`: the try started before (a rescheduled sensor, a deferred task
 * whose trigger fired) and keeps its start_date.
 */
export async function startTry(db: Queryable, id: string, hostname: string, pid: number): Promise<(TaskInstanceRow & { resumed: boolean }) | null> {
  return (await startTries(db, [id], hostname, pid))[0] ?? null;
}

/** startTry for several tries at once (an executor that reports them together). */
export async function startTries(db: Queryable, ids: string[], hostname: string, pid: number): Promise<(TaskInstanceRow & { resumed: boolean })[]> {
  const r = await db.query<TaskInstanceRow & { resumed: boolean }>(
    `UPDATE task_instance SET state = 'running', start_date = coalesce(start_date, now()), hostname = $2, pid = $3, last_heartbeat_at = now()
     WHERE id = ANY($1::uuid[]) AND state = 'queued'
     RETURNING *, start_date <> now() AS resumed`,
    [ids, hostname, pid],
  );
  return r.rows;
}

/** Returns false when the try is no longer running (cleared, marked, or failed as a zombie). */
export async function heartbeatTry(db: Queryable, id: string): Promise<boolean> {
  const r = await db.query(`UPDATE task_instance SET last_heartbeat_at = now() WHERE id = $1 AND state = 'running'`, [id]);
  return (r.rowCount ?? 0) > 0;
}

export interface RetryPolicy {
  retry_delay_seconds: number;
  retry_exponential_backoff: boolean;
  max_retry_delay_seconds: number | null;
}

export type TryOutcome = 'success' | 'skipped' | 'failed' | 'failed_no_retry';

/**
 * Ends a try: success, skipped, or failed — which becomes up_for_retry while
 * tries remain (Airflow's rule: retry while try_number <= max_tries). Records
 * the try in task_instance_history. `expected` is the state the caller saw.
 */
export async function finishTry(
  db: Queryable,
  id: string,
  outcome: TryOutcome,
  retry: RetryPolicy,
  expected: TiState[] = ['running'],
): Promise<TaskInstanceRow | null> {
  return (await finishTries(db, [id], outcome, retry, expected))[0] ?? null;
}

/** finishTry for several tries with the same outcome and retry policy. */
export async function finishTries(
  db: Queryable,
  ids: string[],
  outcome: TryOutcome,
  retry: RetryPolicy,
  expected: TiState[] = ['running'],
): Promise<TaskInstanceRow[]> {
  const r = await db.query<TaskInstanceRow>(
    `WITH done AS (
       UPDATE task_instance SET
         state = CASE
           WHEN $2 IN ('success', 'skipped') THEN $2
           WHEN $2 = 'failed' AND try_number <= max_tries THEN 'up_for_retry'
           ELSE 'failed' END,
         next_retry_at = CASE
           WHEN $2 = 'failed' AND try_number <= max_tries THEN
             now() + make_interval(secs => CASE WHEN $3 THEN least($4 * power(2, try_number - 1), coalesce($5, 86400)) ELSE $4 END)
           ELSE NULL END,
         start_date = coalesce(start_date, now()),
         end_date = now(),
         duration = extract(epoch FROM now() - coalesce(start_date, now()))
       WHERE id = ANY($1::uuid[]) AND state = ANY($6::text[])
       RETURNING *
     ), history AS (
       INSERT INTO task_instance_history (id, dag_id, run_id, task_id, map_index, try_number, state, operator, pool, queue,
                                          priority_weight, queued_dttm, start_date, end_date, duration, hostname, pid)
       SELECT id, dag_id, run_id, task_id, map_index, try_number, state, operator, pool, queue,
              priority_weight, queued_dttm, start_date, end_date, duration, hostname, pid
       FROM done
       ON CONFLICT (dag_id, run_id, task_id, map_index, try_number) DO NOTHING
     )
     SELECT * FROM done`,
    [ids, outcome, retry.retry_exponential_backoff, retry.retry_delay_seconds, retry.max_retry_delay_seconds, expected],
  );
  return r.rows;
}

/** up_for_retry whose delay has passed, and sensors whose next poke is due → scheduled. */
export async function scheduleDueRetries(db: Queryable): Promise<number> {
  const r = await db.query(
    `UPDATE task_instance SET state = 'scheduled', scheduled_dttm = now()
     WHERE (state = 'up_for_retry' AND next_retry_at <= now())
        OR (state = 'up_for_reschedule' AND reschedule_date <= now())`,
  );
  return r.rowCount ?? 0;
}

/** Running tries whose heartbeat stopped: the process is gone (or its host is). */
export async function findZombies(db: Queryable, timeoutSeconds: number): Promise<TaskInstanceRow[]> {
  const r = await db.query<TaskInstanceRow>(
    `SELECT * FROM task_instance WHERE state = 'running' AND last_heartbeat_at < now() - make_interval(secs => $1)`,
    [timeoutSeconds],
  );
  return r.rows;
}

/**
 * Queued tries whose scheduler died before the process started, or that waited
 * longer than task_queued_timeout, go back to scheduled (same try number).
 */
export async function requeueStuckTis(db: Queryable, jobTimeoutSeconds: number, queuedTimeoutSeconds: number): Promise<number> {
  const r = await db.query(
    `UPDATE task_instance ti SET state = 'scheduled', try_number = try_number - 1, queued_by_job_id = NULL
     WHERE ti.state = 'queued'
       AND (ti.queued_dttm < now() - make_interval(secs => $2)
            OR NOT EXISTS (SELECT 1 FROM job j WHERE j.id = ti.queued_by_job_id AND j.state = 'running'
                             AND j.latest_heartbeat > now() - make_interval(secs => $1)))`,
    [jobTimeoutSeconds, queuedTimeoutSeconds],
  );
  return r.rowCount ?? 0;
}

/**
 * A cleared try whose process is gone (or whose heartbeats stopped): back to no
 * state, so the scheduler runs it again. `id` limits it to one try.
 */
export async function releaseRestarting(db: Queryable, options: { id?: string; heartbeatTimeoutSeconds?: number }): Promise<number> {
  const r = await db.query(
    `UPDATE task_instance SET state = NULL
     WHERE state = 'restarting'
       AND ($1::uuid IS NULL OR id = $1)
       AND ($2::float8 IS NULL OR coalesce(last_heartbeat_at, now()) < now() - make_interval(secs => $2))`,
    [options.id ?? null, options.heartbeatTimeoutSeconds ?? null],
  );
  return r.rowCount ?? 0;
}

export async function saveRenderedFields(db: Queryable, id: string, fields: Record<string, unknown>): Promise<void> {
  await db.query('UPDATE task_instance SET rendered_fields = $2 WHERE id = $1', [id, JSON.stringify(fields)]);
}

/** Identifies this process in notifications, so a scheduler woken in-process can skip its own echo. */
export const NOTIFY_ORIGIN = crypto.randomUUID();

/**
 * Wakes every scheduler listening (LISTEN updraft_scheduler), in any process.
 * `run`: a run was created (queued runs may start); `task`: a task state changed.
 */
export async function notifyScheduler(db: Queryable, dagId: string, kind: 'task' | 'run' = 'task'): Promise<void> {
  await db.query(`SELECT pg_notify('updraft_scheduler', $1)`, [`${NOTIFY_ORIGIN} ${kind} ${dagId}`]);
}

export type { pg };

/**
 * Sets a state by hand (Airflow's "Mark success/failed"): each task instance
 * changes only while it is still in the state the caller saw, so one that
 * moved on meanwhile is left alone. A running try marked so has its heartbeat
 * refused from then on, which stops its process.
 */
export async function markTis(
  db: Queryable,
  seen: { id: string; state: TiState | null }[],
  to: 'success' | 'failed' | 'skipped',
): Promise<TaskInstanceRow[]> {
  if (seen.length === 0) return [];
  const r = await db.query<TaskInstanceRow>(
    `UPDATE task_instance ti SET
       state = $3, next_retry_at = NULL,
       start_date = coalesce(ti.start_date, now()),
       end_date = now(),
       duration = extract(epoch FROM now() - coalesce(ti.start_date, now()))
     FROM unnest($1::uuid[], $2::text[]) AS seen(id, state)
     WHERE ti.id = seen.id AND ti.state IS NOT DISTINCT FROM seen.state AND ti.state IS DISTINCT FROM $3
     RETURNING ti.*`,
    [seen.map((t) => t.id), seen.map((t) => t.state), to],
  );
  return r.rows;
}

export async function setTiNote(db: Queryable, key: TiKey, note: string | null): Promise<TaskInstanceRow | null> {
  const r = await db.query<TaskInstanceRow>(
    'UPDATE task_instance SET note = $5 WHERE dag_id = $1 AND run_id = $2 AND task_id = $3 AND map_index = $4 RETURNING *',
    [key.dag_id, key.run_id, key.task_id, key.map_index, note],
  );
  return r.rows[0] ?? null;
}
