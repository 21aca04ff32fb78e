/**
 * What a running task may skip in its own run (Airflow's SkipMixin.skip, which
 * branch, short-circuit and latest-only operators use), and the window
 * LatestOnlyOperator compares the clock with.
 */
import type { SerializedDag } from '@updraft/sdk/serialized';
import { setTisState } from '../db/sql/task-instances.ts';
import type { Queryable } from '../db/sql/queryable.ts';
import { timetableOf } from './runs.ts';
import { type DataInterval, nextRunInfo } from './timetable.ts';

/** Every task reachable downstream of `taskId`, transitively. */
export function downstreamTaskIds(dag: SerializedDag, taskId: string): Set<string> {
  const byId = new Map(dag.tasks.map((t) => [t.task_id, t]));
  const found = new Set<string>();
  const pending = [...(byId.get(taskId)?.downstream_task_ids ?? [])];
  while (pending.length > 0) {
    const id = pending.pop() as string;
    if (found.has(id)) continue;
    found.add(id);
    pending.push(...(byId.get(id)?.downstream_task_ids ?? []));
  }
  return found;
}

/**
 * Skips `taskIds` in the caller's run in one statement guarded by "no state
 * yet": a task that already started, or was settled by someone else, keeps
 * its state, so a late skip can never undo work. Ids that are not downstream
 * of the caller are refused (a task must not reach sideways or upstream).
 */
export async function skipDownstream(
  db: Queryable,
  dag: SerializedDag,
  caller: { dag_id: string; run_id: string; task_id: string },
  taskIds: string[],
): Promise<{ skipped: string[]; refused: string[] }> {
  const allowed = downstreamTaskIds(dag, caller.task_id);
  const refused = taskIds.filter((id) => !allowed.has(id));
  if (refused.length > 0) return { skipped: [], refused };
  const rows = await setTisState(db, caller.dag_id, caller.run_id, [...new Set(taskIds)], [null], 'skipped');
  return { skipped: rows.map((r) => r.task_id).sort(), refused: [] };
}

/**
 * The data interval of the scheduled run following a run with `interval`
 * (Airflow's next_dagrun_info(..., restricted=False): end_date and catchup do
 * not matter), or null when the schedule has no next run or the run has no
 * data interval.
 */
export function nextDataInterval(dag: SerializedDag, interval: DataInterval | null, now = new Date()): DataInterval | null {
  if (!interval) return null;
  const timetable = { ...timetableOf(dag), catchup: true, end_date: null, start_date: dag.start_date ?? interval.start.toISOString() };
  try {
    return nextRunInfo(timetable, interval, now)?.data_interval ?? null;
  } catch {
    // an invalid schedule is reported by the DAG processor; here it just means "no next run"
    return null;
  }
}
