/**
 * The scheduling decision for one running DAG run: which task instances become
 * scheduled, skipped, upstream_failed (or success, for EmptyOperator, which
 * needs no process), and whether the run itself is finished. Pure: the caller
 * loads the states and writes the result.
 */
import type { SerializedDag } from '@updraft/sdk/serialized';
import { FINISHED_STATES, type TiState } from '../db/sql/task-instances.ts';
import { countUpstream, evaluateTriggerRule } from './trigger-rules.ts';

export interface RunDecision {
  schedule: string[];
  skipped: string[];
  upstream_failed: string[];
  success: string[];
  /** set when every task instance is finished, or when nothing can move any more */
  runState: 'success' | 'failed' | null;
}

export interface DecideInput {
  dag: SerializedDag;
  states: Map<string, TiState | null>;
  /**
   * For tasks with depends_on_past: the state of the same task in the previous
   * run (undefined when there is no previous run, which lets the task run).
   */
  previousStates?: Map<string, TiState | null>;
  /** the previous run is still active (a depends_on_past wait is not a deadlock then) */
  previousRunActive?: boolean;
}

const ACTIVE: TiState[] = ['scheduled', 'queued', 'running', 'up_for_retry', 'up_for_reschedule', 'deferred', 'restarting'];

export function decideRun(input: DecideInput): RunDecision {
  const { dag } = input;
  const states = new Map(input.states);
  const decision: RunDecision = { schedule: [], skipped: [], upstream_failed: [], success: [], runState: null };
  let waitingOnPast = false;
  const byId = new Map(dag.tasks.map((t) => [t.task_id, t]));

  // Settling one task (skipped, upstream_failed, empty success) can settle its
  // downstream ones in the same pass: loop until nothing changes.
  let changed = true;
  while (changed) {
    changed = false;
    for (const task of dag.tasks) {
      if (states.get(task.task_id) !== null) continue;
      const upstream = task.upstream_task_ids.map((id) => states.get(id) ?? null);
      let verdict = evaluateTriggerRule(task.trigger_rule, countUpstream(upstream));
      if (verdict === 'ready' && task.trigger_rule === 'all_done_setup_success') verdict = setupVerdict(task.upstream_task_ids, byId, states);
      if (verdict === 'wait') continue;
      if (verdict === 'ready' && task.depends_on_past && input.previousStates) {
        // depends_on_past: the same task in the previous run succeeded or was skipped;
        // wait_for_downstream: so did that task's direct downstream tasks there (Airflow's rule)
        const mustHaveFinished = task.wait_for_downstream ? [task.task_id, ...task.downstream_task_ids] : [task.task_id];
        const blocked = mustHaveFinished.some((id) => {
          const past = (input.previousStates as Map<string, TiState | null>).get(id);
          return past !== undefined && past !== 'success' && past !== 'skipped';
        });
        if (blocked) {
          waitingOnPast = true;
          continue;
        }
      }
      changed = true;
      if (verdict === 'skipped') {
        decision.skipped.push(task.task_id);
        states.set(task.task_id, 'skipped');
      } else if (verdict === 'upstream_failed') {
        decision.upstream_failed.push(task.task_id);
        states.set(task.task_id, 'upstream_failed');
      } else if (task.is_empty && !task.has_on_success_callback && !task.has_on_execute_callback) {
        decision.success.push(task.task_id);
        states.set(task.task_id, 'success');
      } else {
        decision.schedule.push(task.task_id);
        states.set(task.task_id, 'scheduled');
      }
    }
  }

  const values = [...states.values()];
  const allFinished = values.every((s) => s !== null && FINISHED_STATES.includes(s));
  const anyActive = values.some((s) => s !== null && ACTIVE.includes(s));
  // a teardown's failure does not decide the run (unless on_failure_fail_dagrun): what it tears down does
  const quietTeardown = (id: string) => {
    const t = byId.get(id);
    return !!t?.is_teardown && !t.on_failure_fail_dagrun;
  };
  const leaves = dag.tasks
    .filter((t) => !quietTeardown(t.task_id) && t.downstream_task_ids.every(quietTeardown))
    .map((t) => states.get(t.task_id));
  if (allFinished) {
    decision.runState = leaves.some((s) => s === 'failed' || s === 'upstream_failed') ? 'failed' : 'success';
  } else if (!anyActive && !(waitingOnPast && input.previousRunActive)) {
    // Nothing runs and nothing can start: a deadlock (e.g. depends_on_past on a failed previous run).
    decision.runState = 'failed';
  }
  return decision;
}

/**
 * A teardown (all_done_setup_success) runs once everything upstream is done
 * if at least one of its setups succeeded; with every setup skipped it is
 * skipped, with none succeeded it is upstream_failed. No setups: it runs.
 */
function setupVerdict(upstreamIds: string[], byId: Map<string, SerializedDag['tasks'][number]>, states: Map<string, TiState | null>): 'ready' | 'skipped' | 'upstream_failed' {
  const setups = upstreamIds.filter((id) => byId.get(id)?.is_setup);
  if (setups.length === 0 || setups.some((id) => states.get(id) === 'success')) return 'ready';
  return setups.every((id) => states.get(id) === 'skipped') ? 'skipped' : 'upstream_failed';
}
