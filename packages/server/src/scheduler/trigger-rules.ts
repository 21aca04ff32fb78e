/**
 * Airflow's trigger rules: given the states of a task's direct upstream task
 * instances, is the task ready to run, still waiting, or settled as skipped or
 * upstream_failed? Pure function; the scheduler applies the verdict in SQL.
 */
import type { TriggerRule } from '@updraft/sdk/serialized';
import type { TiState } from '../db/sql/task-instances.ts';

export type Verdict = 'ready' | 'wait' | 'skipped' | 'upstream_failed';

export interface UpstreamCounts {
  total: number;
  success: number;
  skipped: number;
  failed: number;
  upstream_failed: number;
  /** upstreams in a finished state */
  done: number;
}

export function countUpstream(states: (TiState | null)[]): UpstreamCounts {
  const c: UpstreamCounts = { total: states.length, success: 0, skipped: 0, failed: 0, upstream_failed: 0, done: 0 };
  for (const s of states) {
    if (s === 'success') c.success++;
    else if (s === 'skipped') c.skipped++;
    else if (s === 'failed') c.failed++;
    else if (s === 'upstream_failed') c.upstream_failed++;
    if (s === 'success' || s === 'skipped' || s === 'failed' || s === 'upstream_failed' || s === 'removed') c.done++;
  }
  return c;
}

export function evaluateTriggerRule(rule: TriggerRule, c: UpstreamCounts): Verdict {
  if (c.total === 0) return 'ready';
  const allDone = c.done === c.total;
  const failures = c.failed + c.upstream_failed;
  switch (rule) {
    case 'always':
      return 'ready';
    case 'all_success':
      if (failures > 0) return 'upstream_failed';
      if (c.skipped > 0) return 'skipped';
      return c.success === c.total ? 'ready' : 'wait';
    case 'all_failed':
      if (c.success > 0 || c.skipped > 0) return 'skipped';
      return failures === c.total ? 'ready' : 'wait';
    case 'all_done':
    case 'all_done_setup_success':
      return allDone ? 'ready' : 'wait';
    case 'all_done_min_one_success':
      if (!allDone) return 'wait';
      if (c.success > 0) return 'ready';
      // nothing succeeded: a skip cascades, otherwise the failures do (as Airflow)
      return c.skipped > 0 ? 'skipped' : 'upstream_failed';
    case 'one_success':
      if (c.success > 0) return 'ready';
      if (!allDone) return 'wait';
      return c.skipped === c.total ? 'skipped' : 'upstream_failed';
    case 'one_failed':
      if (failures > 0) return 'ready';
      return allDone ? 'skipped' : 'wait';
    case 'one_done':
      // succeeded or failed: an upstream_failed task never ran, so it does not count (as Airflow)
      if (c.success > 0 || c.failed > 0) return 'ready';
      return allDone ? 'skipped' : 'wait';
    case 'none_failed':
      if (failures > 0) return 'upstream_failed';
      return allDone ? 'ready' : 'wait';
    case 'none_failed_min_one_success':
      if (failures > 0) return 'upstream_failed';
      if (!allDone) return 'wait';
      return c.skipped === c.total ? 'skipped' : 'ready';
    case 'none_skipped':
      if (c.skipped > 0) return 'skipped';
      return allDone ? 'ready' : 'wait';
    case 'all_skipped':
      if (c.success > 0 || failures > 0) return 'skipped';
      return allDone ? 'ready' : 'wait';
  }
}
