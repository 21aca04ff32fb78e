/**
 * Aggregate reads for the UI where one request replaces many: the Grid (runs ×
 * tasks with their states) and the Graph's structure. Airflow's grid slowed to
 * ~30 s on 900 tasks × 25 runs (issue #23772) by assembling the same data per
 * task instance; here it is two queries and a compact answer (one state array
 * per task, aligned with the runs).
 */
import type { SerializedDag, SerializedTask } from '@updraft/sdk/serialized';
import type { FastifyInstance } from 'fastify';
import type pg from 'pg';
import { getDag } from '../../db/sql/dags.ts';
import type { DagRunRow } from '../../db/sql/dag-runs.ts';
import { DagVersionCache } from '../../db/sql/dag-version-cache.ts';
import { badRequest, notFound } from '../errors.ts';
import { dagRunResponse } from '../serializers.ts';

/** what the Grid and the Graph need of a task */
function taskNode(t: SerializedTask) {
  return {
    task_id: t.task_id,
    operator: t.operator,
    downstream_task_ids: t.downstream_task_ids,
    upstream_task_ids: t.upstream_task_ids,
    trigger_rule: t.trigger_rule,
    task_group_id: t.task_group_id ?? null,
    is_mapped: t.is_mapped ?? false,
    is_setup: t.is_setup ?? false,
    is_teardown: t.is_teardown ?? false,
  };
}

/** Tasks upstream first (Kahn's algorithm), keeping the DAG's own order among tasks that are ready together. */
export function topologicalOrder(tasks: SerializedTask[]): SerializedTask[] {
  const byId = new Map(tasks.map((t) => [t.task_id, t]));
  const waiting = new Map(tasks.map((t) => [t.task_id, t.upstream_task_ids.filter((u) => byId.has(u)).length]));
  const order: SerializedTask[] = [];
  const ready = tasks.filter((t) => waiting.get(t.task_id) === 0);
  for (let i = 0; i < ready.length; i++) {
    order.push(ready[i]);
    for (const d of ready[i].downstream_task_ids) {
      const left = (waiting.get(d) ?? 0) - 1;
      waiting.set(d, left);
      if (left === 0 && byId.has(d)) ready.push(byId.get(d)!);
    }
  }
  // a cycle cannot be serialized, but never drop a task from the view
  if (order.length < tasks.length) order.push(...tasks.filter((t) => !order.includes(t)));
  return order;
}

export function registerUiGridRoutes(app: FastifyInstance, pool: pg.Pool) {
  const versions = new DagVersionCache();

  const latestDag = async (dagId: string): Promise<SerializedDag> => {
    const row = await getDag(pool, dagId);
    if (!row) throw notFound(`DAG with dag_id: '${dagId}' not found`);
    if (!row.latest_version_id) throw notFound(`DAG '${dagId}' has not been parsed yet`);
    return versions.get(pool, row.latest_version_id);
  };

  /** The DAG's tasks and groups (of the run's own version when run_id is given: a run keeps the version it started with). */
  app.get('/ui/dags/:dag_id/structure', async (req) => {
    const { dag_id } = req.params as { dag_id: string };
    const { run_id } = req.query as { run_id?: string };
    let dag: SerializedDag;
    if (run_id) {
      const r = await pool.query<{ dag_version_id: number }>('SELECT dag_version_id FROM dag_run WHERE dag_id = $1 AND run_id = $2', [dag_id, run_id]);
      if (!r.rows[0]) throw notFound(`The DagRun with dag_id: \`${dag_id}\` and run_id: \`${run_id}\` was not found`);
      dag = await versions.get(pool, r.rows[0].dag_version_id);
    } else {
      dag = await latestDag(dag_id);
    }
    return { dag_id, tasks: topologicalOrder(dag.tasks).map(taskNode), task_groups: dag.task_groups ?? [] };
  });

  /** The parsed DAG as stored (the Code tab's "parsed" view). */
  app.get('/ui/dags/:dag_id/serialized', async (req) => latestDag((req.params as { dag_id: string }).dag_id));

  /**
   * The last `limit` runs (oldest first, as columns) and, per task, its state in
   * each run. Mapped tasks also get per-run counts of their instances' states.
   */
  app.get('/ui/dags/:dag_id/grid', async (req) => {
    const { dag_id } = req.params as { dag_id: string };
    const q = req.query as { limit?: string; include_states?: string };
    const limit = q.limit === undefined ? 25 : Number(q.limit);
    if (!Number.isInteger(limit) || limit < 1 || limit > 500) throw badRequest('limit must be an integer from 1 to 500');
    if (q.include_states !== undefined && !['true', 'false'].includes(q.include_states)) throw badRequest('include_states must be true or false');
    // the other tabs of the DAG page need the runs and tasks only
    const withStates = q.include_states !== 'false';
    const dag = await latestDag(dag_id);
    const runs = (
      await pool.query<DagRunRow>('SELECT * FROM dag_run WHERE dag_id = $1 ORDER BY run_after DESC, id DESC LIMIT $2', [dag_id, limit])
    ).rows.reverse();
    const column = new Map(runs.map((r, i) => [r.run_id, i]));
    const tis = withStates
      ? await pool.query<{ run_id: string; task_id: string; map_index: number; state: string | null }>(
          'SELECT run_id, task_id, map_index, state FROM task_instance WHERE dag_id = $1 AND run_id = ANY($2::text[])',
          [dag_id, runs.map((r) => r.run_id)],
        )
      : { rows: [] };

    const tasks = topologicalOrder(dag.tasks).map(taskNode);
    const known = new Set(tasks.map((t) => t.task_id));
    const states: Record<string, (string | null)[]> = {};
    const mapped: Record<string, Record<number, Record<string, number>>> = {};
    if (withStates) for (const t of tasks) states[t.task_id] = new Array(runs.length).fill(null);
    for (const ti of tis.rows) {
      if (!known.has(ti.task_id)) continue; // a task removed from the DAG since
      const col = column.get(ti.run_id)!;
      const state = ti.state ?? 'none';
      if (ti.map_index >= 0) {
        const counts = ((mapped[ti.task_id] ??= {})[col] ??= {});
        counts[state] = (counts[state] ?? 0) + 1;
      } else {
        states[ti.task_id][col] = state;
      }
    }
    // an expanded mapped task shows the most urgent state among its instances
    for (const [taskId, byCol] of Object.entries(mapped)) {
      for (const [col, counts] of Object.entries(byCol)) states[taskId][Number(col)] = summaryState(counts);
    }
    return { dag_id, runs: runs.map(gridRun), tasks, task_groups: dag.task_groups ?? [], states_included: withStates, states, mapped };
  });
}

/** the run fields the Grid shows */
function gridRun(r: DagRunRow) {
  const full = dagRunResponse(r);
  return {
    dag_run_id: full.dag_run_id,
    state: full.state,
    run_type: full.run_type,
    logical_date: full.logical_date,
    run_after: full.run_after,
    queued_at: full.queued_at,
    start_date: full.start_date,
    end_date: full.end_date,
    duration: full.duration,
    note: full.note,
  };
}

/** The state a group of instances shows: the most urgent one present (Airflow's priority). */
const PRIORITY = ['failed', 'upstream_failed', 'up_for_retry', 'up_for_reschedule', 'queued', 'scheduled', 'deferred', 'running', 'restarting', 'none', 'removed', 'skipped', 'success'];
export function summaryState(counts: Record<string, number>): string {
  for (const s of PRIORITY) if (counts[s]) return s;
  return Object.keys(counts)[0] ?? 'none';
}
