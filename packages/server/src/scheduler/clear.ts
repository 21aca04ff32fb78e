/**
 * Clearing task instances (Airflow's "Clear"): they go back to no state so the
 * scheduler runs them again, with their retries renewed and their XComs gone;
 * a running one is told to stop (state `restarting`) and is scheduled again
 * once its process has gone. Their runs go back to queued.
 */
import type { SerializedDag } from '@updraft/sdk/serialized';
import type pg from 'pg';
import { DagVersionCache } from '../db/sql/dag-version-cache.ts';
import { logEvent } from '../db/sql/event-log.ts';
import { inTransaction, type Queryable } from '../db/sql/queryable.ts';
import { notifyScheduler, type TaskInstanceRow } from '../db/sql/task-instances.ts';
import { deleteTiXComs } from '../db/sql/xcom.ts';
import type { XComObjectStorage } from '../xcom/object-storage.ts';
import { BadRequestError, NotFoundError } from './runs.ts';

export interface ClearRequest {
  dag_id: string;
  /** task ids (all tasks when empty or absent) */
  task_ids?: string[] | null;
  dag_run_id?: string | null;
  start_date?: Date | null;
  end_date?: Date | null;
  only_failed?: boolean;
  only_running?: boolean;
  include_upstream?: boolean;
  include_downstream?: boolean;
  include_past?: boolean;
  include_future?: boolean;
  reset_dag_runs?: boolean;
  dry_run?: boolean;
  /** who asked, for the audit log */
  owner: string | null;
}

export type ClearedTi = TaskInstanceRow & { logical_date: Date | null; run_after: Date };

const versions = new DagVersionCache();

function relatives(dag: SerializedDag, start: string[], up: boolean, down: boolean): Set<string> {
  const byId = new Map(dag.tasks.map((t) => [t.task_id, t]));
  const found = new Set(start);
  const walk = (direction: 'upstream_task_ids' | 'downstream_task_ids') => {
    const stack = [...start];
    while (stack.length) {
      for (const next of byId.get(stack.pop() as string)?.[direction] ?? []) {
        if (!found.has(next)) {
          found.add(next);
          stack.push(next);
        }
      }
    }
  };
  if (up) walk('upstream_task_ids');
  if (down) walk('downstream_task_ids');
  return found;
}

/**
 * Airflow clears a task's setups (upstream of it) and their teardowns with
 * it: work must not run again without the resources they provide.
 */
function withSetupsAndTeardowns(dag: SerializedDag, ids: Set<string>): Set<string> {
  const byId = new Map(dag.tasks.map((t) => [t.task_id, t]));
  if (!dag.tasks.some((t) => t.is_setup)) return ids;
  const result = new Set(ids);
  for (const id of relatives(dag, [...ids], true, false)) {
    const setup = byId.get(id);
    if (!setup?.is_setup) continue;
    result.add(id);
    for (const down of setup.downstream_task_ids) if (byId.get(down)?.is_teardown) result.add(down);
  }
  return result;
}

/** The task instances a request names, without changing anything (what dry_run returns). */
export async function tisToClear(db: Queryable, req: ClearRequest): Promise<ClearedTi[]> {
  const dag = await db.query('SELECT 1 FROM dag WHERE dag_id = $1', [req.dag_id]);
  if (!dag.rowCount) throw new NotFoundError(`DAG with dag_id: '${req.dag_id}' not found`);
  if (req.only_failed && req.only_running) throw new BadRequestError('only_failed and only_running cannot both be true');

  // the runs: one run (and its past/future ones), or a logical-date window, or all
  let runs = await db.query<{ run_id: string; dag_version_id: number; logical_date: Date | null; run_after: Date }>(
    `SELECT run_id, dag_version_id, logical_date, run_after FROM dag_run
     WHERE dag_id = $1
       AND ($2::timestamptz IS NULL OR coalesce(logical_date, run_after) >= $2)
       AND ($3::timestamptz IS NULL OR coalesce(logical_date, run_after) <= $3)
     ORDER BY coalesce(logical_date, run_after)`,
    [req.dag_id, req.start_date ?? null, req.end_date ?? null],
  );
  if (req.dag_run_id) {
    const anchor = runs.rows.find((r) => r.run_id === req.dag_run_id);
    if (!anchor) throw new NotFoundError(`The DagRun with dag_id: \`${req.dag_id}\` and run_id: \`${req.dag_run_id}\` was not found`);
    const at = (anchor.logical_date ?? anchor.run_after).getTime();
    runs = {
      ...runs,
      rows: runs.rows.filter((r) => {
        const t = (r.logical_date ?? r.run_after).getTime();
        return r.run_id === anchor.run_id || (req.include_past && t < at) || (req.include_future && t > at);
      }),
    };
  }

  const states = req.only_failed ? ['failed', 'upstream_failed'] : req.only_running ? ['running'] : null;
  const chosen: ClearedTi[] = [];
  for (const run of runs.rows) {
    const version = await versions.get(db, run.dag_version_id);
    const wanted = req.task_ids?.length ? req.task_ids : version.tasks.map((t) => t.task_id);
    const unknown = wanted.filter((id) => !version.tasks.some((t) => t.task_id === id));
    if (unknown.length && req.dag_run_id) throw new BadRequestError(`Task(s) ${unknown.map((u) => `'${u}'`).join(', ')} not found in DAG '${req.dag_id}'`);
    const ids = [...withSetupsAndTeardowns(version, relatives(version, wanted.filter((id) => !unknown.includes(id)), !!req.include_upstream, !!req.include_downstream))];
    const tis = await db.query<TaskInstanceRow>(
      `SELECT * FROM task_instance WHERE dag_id = $1 AND run_id = $2 AND task_id = ANY($3::text[])
         AND ($4::text[] IS NULL OR state = ANY($4::text[]))
       ORDER BY task_id, map_index`,
      [req.dag_id, run.run_id, ids, states],
    );
    chosen.push(...tis.rows.map((t) => ({ ...t, logical_date: run.logical_date, run_after: run.run_after })));
  }
  return chosen;
}

/** Clears what tisToClear selects (unless dry_run) and returns it as it was before. */
export async function clearTaskInstances(pool: pg.Pool, storage: XComObjectStorage, req: ClearRequest): Promise<ClearedTi[]> {
  const tis = await tisToClear(pool, req);
  if (req.dry_run || tis.length === 0) return tis;
  await inTransaction(pool, async (client) => {
    for (const ti of tis) {
      const version = await versions.get(client, (await client.query<{ v: number }>('SELECT dag_version_id AS v FROM dag_run WHERE dag_id = $1 AND run_id = $2', [ti.dag_id, ti.run_id])).rows[0].v);
      const retries = version.tasks.find((t) => t.task_id === ti.task_id)?.retries ?? 0;
      // running: ask the process to stop (its heartbeat is refused from now on); anything else: no state
      await client.query(
        `UPDATE task_instance SET
           state = CASE WHEN state = 'running' THEN 'restarting' ELSE NULL END,
           max_tries = try_number + $5, next_retry_at = NULL
         WHERE dag_id = $1 AND run_id = $2 AND task_id = $3 AND map_index = $4`,
        [ti.dag_id, ti.run_id, ti.task_id, ti.map_index, retries],
      );
    }
    if (req.reset_dag_runs ?? true) {
      await client.query(
        `UPDATE dag_run SET state = 'queued', end_date = NULL, queued_at = now()
         WHERE dag_id = $1 AND run_id = ANY($2::text[]) AND state IN ('success', 'failed')`,
        [req.dag_id, [...new Set(tis.map((t) => t.run_id))]],
      );
    }
    await logEvent(client, { event: 'clear', owner: req.owner, dag_id: req.dag_id, run_id: req.dag_run_id ?? null, extra: { task_instances: tis.map((t) => `${t.run_id}.${t.task_id}`) } });
  });
  // after the commit: a rolled-back clear must not have removed the values (XCom objects live outside the database)
  for (const ti of tis) await deleteTiXComs(pool, storage, ti);
  await notifyScheduler(pool, req.dag_id, 'run');
  return tis;
}
