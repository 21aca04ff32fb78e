/**
 * The callback_request queue (migration 0008): written by the scheduler in the
 * transaction that finishes a run, claimed and settled by the callback runner.
 * One statement per state change, each guarded by the state it expects.
 */
import type { SerializedDag } from '@updraft/sdk/serialized';
import type pg from 'pg';
import type { DagRunRow } from '../db/sql/dag-runs.ts';
import type { Queryable } from '../db/sql/queryable.ts';

export const CALLBACK_CHANNEL = 'updraft_callbacks';

export type DagCallbackReason = 'success' | 'task_failure' | 'timed_out';

export interface CallbackRequestRow {
  id: number;
  kind: 'dag' | 'task';
  created_at: Date;
  dag_id: string;
  run_id: string;
  fileloc: string;
  callback: 'on_success_callback' | 'on_failure_callback' | 'on_retry_callback';
  /** kind dag: a DagCallbackReason; kind task: why the try failed */
  reason: string;
  ti_task_id: string | null;
  ti_map_index: number | null;
  ti_try_number: number | null;
  send_alert: boolean;
  state: 'pending' | 'running' | 'success' | 'failed';
  attempts: number;
  started_at: Date | null;
  finished_at: Date | null;
  error: string | null;
}

/**
 * Queues the DAG's callback for a run that has just finished, if the DAG has
 * one for that outcome (call it in the transaction that finished the run).
 * The task instance of the context is the failed one that ended last (the
 * last one to end for a success), as Airflow's last_ti.
 */
export async function requestDagCallback(client: pg.PoolClient, dag: SerializedDag, run: Pick<DagRunRow, 'dag_id' | 'run_id'>, state: 'success' | 'failed', reason: DagCallbackReason): Promise<void> {
  const callback = state === 'success' ? 'on_success_callback' : 'on_failure_callback';
  if (!(state === 'success' ? dag.has_on_success_callback : dag.has_on_failure_callback)) return;
  await client.query(
    `INSERT INTO callback_request (dag_id, run_id, fileloc, callback, reason, ti_task_id, ti_map_index)
     SELECT $1, $2, $3, $4, $5, ti.task_id, ti.map_index
     FROM (SELECT 1) AS one
     LEFT JOIN LATERAL (
       SELECT task_id, map_index FROM task_instance
       WHERE dag_id = $1 AND run_id = $2 AND end_date IS NOT NULL AND ($6 = 'success' OR state = 'failed')
       ORDER BY end_date DESC, task_id LIMIT 1
     ) AS ti ON true`,
    [run.dag_id, run.run_id, dag.fileloc, callback, reason, state],
  );
  // delivered at commit: a runner listening elsewhere starts at once
  await client.query(`SELECT pg_notify('${CALLBACK_CHANNEL}', '')`);
}

/**
 * A try whose own process could not end it never ran the callback of its end
 * state (nor sent its alert email): the scheduler failed it because the
 * process died, was killed or went silent, or someone marked it success or
 * failed while it ran. Queues that work for the callback runner, if the task
 * has any. `state`: what the try became; `alert`: send email_on_failure /
 * email_on_retry too (not for a try marked by hand, as in Airflow).
 */
export async function requestTaskCallback(
  db: Queryable,
  dag: SerializedDag,
  ti: { dag_id: string; run_id: string; task_id: string; map_index: number; try_number: number },
  state: string,
  reason: string,
  alert = true,
): Promise<void> {
  const task = dag.tasks.find((t) => t.task_id === ti.task_id);
  const callbacks: Record<string, CallbackRequestRow['callback']> = { success: 'on_success_callback', failed: 'on_failure_callback', up_for_retry: 'on_retry_callback' };
  const callback = callbacks[state];
  if (!task || !callback) return;
  const has = { on_success_callback: task.has_on_success_callback, on_failure_callback: task.has_on_failure_callback, on_retry_callback: task.has_on_retry_callback }[callback];
  const emails = alert && task.email.length > 0 && (callback === 'on_retry_callback' ? task.email_on_retry : callback === 'on_failure_callback' && task.email_on_failure);
  if (!emails && !has) return;
  await db.query(
    `INSERT INTO callback_request (kind, dag_id, run_id, fileloc, callback, reason, ti_task_id, ti_map_index, ti_try_number, send_alert)
     VALUES ('task', $1, $2, $3, $4, $5, $6, $7, $8, $9)`,
    [ti.dag_id, ti.run_id, dag.fileloc, callback, reason, ti.task_id, ti.map_index, ti.try_number, emails],
  );
  await db.query(`SELECT pg_notify('${CALLBACK_CHANNEL}', '')`);
}

/**
 * Takes the oldest request nobody is working on: a pending one, or one left
 * 'running' longer than `staleSeconds` by a runner that died (retaken at most
 * `maxAttempts` times in all).
 */
export async function claimCallbackRequest(db: Queryable, staleSeconds: number, maxAttempts: number): Promise<CallbackRequestRow | null> {
  const r = await db.query<CallbackRequestRow>(
    `UPDATE callback_request SET state = 'running', started_at = now(), attempts = attempts + 1
     WHERE id = (
       SELECT id FROM callback_request
       WHERE state = 'pending' OR (state = 'running' AND started_at < now() - make_interval(secs => $1) AND attempts < $2)
       ORDER BY id LIMIT 1 FOR UPDATE SKIP LOCKED)
     RETURNING *`,
    [staleSeconds, maxAttempts],
  );
  return r.rows[0] ?? null;
}

/** Records how a claimed request ended (only the claim that is still current can). */
export async function finishCallbackRequest(db: Queryable, id: number, attempt: number, state: 'success' | 'failed', error: string | null): Promise<boolean> {
  const r = await db.query(
    `UPDATE callback_request SET state = $3, finished_at = now(), error = $4
     WHERE id = $1 AND attempts = $2 AND state = 'running'`,
    [id, attempt, state, error],
  );
  return r.rowCount === 1;
}

/** Requests whose runners kept dying: failed for good, so they stop coming back. */
export async function abandonStaleCallbackRequests(db: Queryable, staleSeconds: number, maxAttempts: number): Promise<CallbackRequestRow[]> {
  const r = await db.query<CallbackRequestRow>(
    `UPDATE callback_request SET state = 'failed', finished_at = now(),
       error = 'the callback process was lost ' || attempts || ' times (runner stopped or killed); giving up'
     WHERE state = 'running' AND started_at < now() - make_interval(secs => $1) AND attempts >= $2
     RETURNING *`,
    [staleSeconds, maxAttempts],
  );
  return r.rows;
}

/** Settled requests older than `days` go: the outcome is in the logs, and the table must not grow forever. */
export async function purgeSettledCallbackRequests(db: Queryable, days: number): Promise<number> {
  const r = await db.query(
    `DELETE FROM callback_request WHERE state IN ('success', 'failed') AND finished_at < now() - make_interval(days => $1)`,
    [days],
  );
  return r.rowCount ?? 0;
}

export async function listCallbackRequests(db: Queryable, dagId: string, runId: string): Promise<CallbackRequestRow[]> {
  const r = await db.query<CallbackRequestRow>('SELECT * FROM callback_request WHERE dag_id = $1 AND run_id = $2 ORDER BY id', [dagId, runId]);
  return r.rows;
}
