/**
 * Airflow's SkipMixin: how branch, short-circuit and latest-only operators
 * skip tasks of their own run. The work is one Execution API call; the
 * scheduler's trigger rules then settle everything that depends on the
 * skipped tasks (skip propagation).
 */
import type { BaseOperator } from './baseoperator.ts';
import { AirflowException } from './exceptions.ts';
import { getTaskRuntime } from './runtime.ts';

/** Every task downstream of `task`, transitively (Airflow's get_flat_relative_ids(upstream=False)). */
export function flatDownstreamIds(task: BaseOperator): Set<string> {
  const found = new Set<string>();
  const pending = [...task.downstream_list];
  while (pending.length > 0) {
    const next = pending.pop() as BaseOperator;
    if (found.has(next.task_id)) continue;
    found.add(next.task_id);
    pending.push(...next.downstream_list);
  }
  return found;
}

/** Skips `taskIds` in the running task's run (only those not started yet). */
export async function skipTasks(taskIds: Iterable<string>): Promise<void> {
  const ids = [...new Set(taskIds)];
  if (ids.length > 0) await getTaskRuntime().skip(ids);
}

/** A branch result as a list of ids: a string, a list of strings, or null / undefined / empty for none. */
export function branchIds(task: BaseOperator, result: unknown): string[] {
  if (result === null || result === undefined) return [];
  const ids = typeof result === 'string' ? [result] : result;
  if (!Array.isArray(ids) || !ids.every((id) => typeof id === 'string')) {
    throw new AirflowException(
      `Branch task '${task.task_id}' of DAG '${task.dag_id}' returned ${JSON.stringify(result)}: expected a task id, a list of task ids or null`,
    );
  }
  return ids;
}

/**
 * Follows `followIds` and skips every other direct downstream task (Airflow's
 * skip_all_except). A direct downstream task that is also downstream of a
 * followed one is kept too: in branch >> [a, join], a >> join, following `a`
 * must not skip `join`.
 */
export async function skipAllExcept(task: BaseOperator, followIds: string[]): Promise<void> {
  const direct = new Set(task.downstream_task_ids);
  for (const id of followIds) {
    if (task.dag?.getTaskOrNull(id) === null || !direct.has(id)) {
      const where = task.dag?.getTaskOrNull(id) ? 'is not directly downstream of it' : 'is not a task of the DAG';
      throw new AirflowException(
        `Branch task '${task.task_id}' of DAG '${task.dag_id}' returned task id '${id}', which ${where}; ` +
          `'branch_task_ids' must contain only direct downstream task ids: ${[...direct].join(', ') || '(none)'}`,
      );
    }
  }
  const keep = new Set(followIds);
  for (const id of followIds) {
    const followed = task.dag?.getTaskOrNull(id);
    if (followed) for (const d of flatDownstreamIds(followed)) keep.add(d);
  }
  await skipTasks([...direct].filter((id) => !keep.has(id)));
}
