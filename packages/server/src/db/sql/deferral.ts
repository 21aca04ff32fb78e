/**
 * The transitions of sensors in mode "reschedule" and of deferred tasks, and
 * the trigger table the triggerer works from. Like every transition, each is
 * one statement guarded by the state it expects.
 */
import type { Queryable } from './queryable.ts';
import type { TaskInstanceRow } from './task-instances.ts';

/** running → up_for_reschedule: the sensor pokes again at `rescheduleDate`, in the same try. */
export async function rescheduleTry(db: Queryable, id: string, rescheduleDate: Date): Promise<TaskInstanceRow | null> {
  const r = await db.query<TaskInstanceRow>(
    `WITH moved AS (
       UPDATE task_instance SET state = 'up_for_reschedule', reschedule_date = $2, keep_try = true,
              end_date = now(), duration = extract(epoch FROM now() - start_date), last_heartbeat_at = NULL
       WHERE id = $1 AND state = 'running'
       RETURNING *
     ), recorded AS (
       INSERT INTO task_reschedule (dag_id, run_id, task_id, map_index, try_number, start_date, end_date, duration, reschedule_date)
       SELECT dag_id, run_id, task_id, map_index, try_number, start_date, end_date, duration, reschedule_date FROM moved
     )
     SELECT * FROM moved`,
    [id, rescheduleDate],
  );
  return r.rows[0] ?? null;
}

/** When the current try's first poke started and how many reschedules it had (a sensor's timeout spans them). */
export async function sensorProgress(db: Queryable, ti: Pick<TaskInstanceRow, 'dag_id' | 'run_id' | 'task_id' | 'map_index' | 'try_number'>): Promise<{ started_at: Date | null; pokes: number }> {
  const r = await db.query<{ started_at: Date | null; pokes: number }>(
    `SELECT min(start_date) AS started_at, count(*)::int AS pokes FROM task_reschedule
     WHERE dag_id = $1 AND run_id = $2 AND task_id = $3 AND map_index = $4 AND try_number = $5`,
    [ti.dag_id, ti.run_id, ti.task_id, ti.map_index, ti.try_number],
  );
  return r.rows[0] ?? { started_at: null, pokes: 0 };
}

export interface Deferral {
  classpath: string;
  kwargs: Record<string, unknown>;
  next_method: string;
  next_kwargs: Record<string, unknown> | null;
  timeout_seconds: number | null;
}

/** running → deferred, with the trigger it waits on. */
export async function deferTry(db: Queryable, id: string, d: Deferral): Promise<TaskInstanceRow | null> {
  const r = await db.query<TaskInstanceRow>(
    `WITH t AS (
       INSERT INTO trigger (classpath, kwargs)
       SELECT $2, $3 WHERE EXISTS (SELECT 1 FROM task_instance WHERE id = $1 AND state = 'running')
       RETURNING id
     )
     UPDATE task_instance SET state = 'deferred', trigger_id = t.id, keep_try = true,
            next_method = $4, next_kwargs = $5,
            trigger_timeout = CASE WHEN $6::float8 IS NULL THEN NULL ELSE now() + make_interval(secs => $6) END,
            last_heartbeat_at = NULL
     FROM t
     WHERE task_instance.id = $1 AND state = 'running'
     RETURNING task_instance.*`,
    [id, d.classpath, JSON.stringify(d.kwargs), d.next_method, d.next_kwargs ? JSON.stringify(d.next_kwargs) : null, d.timeout_seconds],
  );
  return r.rows[0] ?? null;
}

/**
 * A trigger fired (or failed): its deferred task instances are scheduled to
 * resume at next_method with the event, and the trigger is deleted. Returns the
 * DAG ids to wake schedulers for.
 */
export async function fireTrigger(db: Queryable, triggerId: string, outcome: { event: unknown } | { error: string }): Promise<string[]> {
  const resume = 'event' in outcome
    ? { method: null, kwargs: { event: outcome.event } }
    : { method: '__fail__', kwargs: { error: outcome.error } };
  const r = await db.query<{ dag_id: string }>(
    `WITH resumed AS (
       UPDATE task_instance SET state = 'scheduled', scheduled_dttm = now(), trigger_id = NULL, trigger_timeout = NULL,
              next_method = coalesce($2, next_method),
              next_kwargs = coalesce(next_kwargs, '{}'::jsonb) || $3::jsonb
       WHERE trigger_id = $1 AND state = 'deferred'
       RETURNING dag_id
     ), gone AS (
       DELETE FROM trigger WHERE id = $1
     )
     SELECT DISTINCT dag_id FROM resumed`,
    [triggerId, resume.method, JSON.stringify(resume.kwargs)],
  );
  return r.rows.map((row) => row.dag_id);
}

/** Deferred tasks whose trigger_timeout passed resume only to fail (Airflow's TaskDeferralTimeout). */
export async function timeOutDeferrals(db: Queryable): Promise<number> {
  const r = await db.query(
    `UPDATE task_instance SET state = 'scheduled', scheduled_dttm = now(), trigger_id = NULL, trigger_timeout = NULL,
            next_method = '__fail__', next_kwargs = '{"error": "Trigger/execution timeout"}'::jsonb
     WHERE state = 'deferred' AND trigger_timeout < now()`,
  );
  return r.rowCount ?? 0;
}

export interface TriggerRow {
  id: string;
  classpath: string;
  kwargs: Record<string, unknown>;
  /** the DAG file of (one of) the waiting tasks: a trigger class may live next to it */
  fileloc: string | null;
}

/**
 * Takes the triggers nobody runs (never assigned, or their triggerer stopped
 * heartbeating) up to `capacity` in total for this triggerer, and returns all
 * it should be running now. Triggers no task waits on any more are deleted.
 */
export async function claimTriggers(db: Queryable, triggererId: number, capacity: number, heartbeatTimeoutSeconds: number): Promise<TriggerRow[]> {
  await db.query(
    `DELETE FROM trigger t WHERE NOT EXISTS (SELECT 1 FROM task_instance ti WHERE ti.trigger_id = t.id AND ti.state = 'deferred')
       AND t.created_date < now() - interval '5 seconds'`,
  );
  await db.query(
    `UPDATE trigger SET triggerer_id = $1
     WHERE id IN (
       SELECT t.id FROM trigger t
       WHERE t.triggerer_id IS NULL
          OR NOT EXISTS (SELECT 1 FROM job j WHERE j.id = t.triggerer_id AND j.state = 'running'
                           AND j.latest_heartbeat > now() - make_interval(secs => $3))
       ORDER BY t.id
       LIMIT greatest(0, $2 - (SELECT count(*) FROM trigger WHERE triggerer_id = $1))
       FOR UPDATE SKIP LOCKED
     )`,
    [triggererId, capacity, heartbeatTimeoutSeconds],
  );
  const r = await db.query<TriggerRow>(
    `SELECT t.id::text AS id, t.classpath, t.kwargs,
            (SELECT v.data->>'fileloc' FROM task_instance ti JOIN dag_run r ON r.dag_id = ti.dag_id AND r.run_id = ti.run_id
               JOIN dag_version v ON v.id = r.dag_version_id WHERE ti.trigger_id = t.id LIMIT 1) AS fileloc
     FROM trigger t WHERE t.triggerer_id = $1 ORDER BY t.id`,
    [triggererId],
  );
  return r.rows;
}
