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
  /** mapped tasks now ready: the scheduler counts their elements and creates their task instances */
  expand: string[];
  /** tasks of mapped task groups, decided per map_index (task i waits only for the group's task i upstream) */
  byIndex: { task_id: string; map_index: number; state: TiState }[];
  /** set when every task instance is finished, or when nothing can move any more */
  runState: 'success' | 'failed' | null;
}

export interface DecideInput {
  dag: SerializedDag;
  /** state by task_id (each task with one task instance); `tis` replaces it when given */
  states?: Map<string, TiState | null>;
  /** every task instance of the run, mapped ones with their map_index */
  tis?: { task_id: string; map_index: number; state: TiState | null }[];
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
  // each task's task instances' states: one for a normal task, one per map_index once a mapped task expanded
  const states = new Map<string, (TiState | null)[]>();
  // the map_index of each entry of states (same order)
  const indexes = new Map<string, number[]>();
  const expanded = new Set<string>();
  if (input.tis) {
    for (const ti of [...input.tis].sort((a, b) => a.map_index - b.map_index)) {
      if (ti.map_index >= 0) expanded.add(ti.task_id);
      states.set(ti.task_id, [...(states.get(ti.task_id) ?? []), ti.state]);
      indexes.set(ti.task_id, [...(indexes.get(ti.task_id) ?? []), ti.map_index]);
    }
  } else {
    for (const [taskId, state] of input.states ?? []) states.set(taskId, [state]);
  }
  const decision: RunDecision = { schedule: [], skipped: [], upstream_failed: [], success: [], expand: [], byIndex: [], runState: null };
  let waitingOnPast = false;
  const byId = new Map(dag.tasks.map((t) => [t.task_id, t]));

  // Settling one task (skipped, upstream_failed, empty success) can settle its
  // downstream ones in the same pass: loop until nothing changes.
  let changed = true;
  while (changed) {
    changed = false;
    for (const task of dag.tasks) {
      const own = states.get(task.task_id) ?? [];
      if (!own.includes(null)) continue;
      const group = task.mapped_group_id ?? null;
      const inGroup = (id: string) => group !== null && byId.get(id)?.mapped_group_id === group;
      if (group !== null && expanded.has(task.task_id)) {
        if (decideByIndex(task, own, indexes.get(task.task_id) ?? [], inGroup)) changed = true;
        continue;
      }
      // a task of a mapped group expands once its group-mates upstream have (the group's input exists by then)
      if (group !== null && task.upstream_task_ids.some((id) => inGroup(id) && !expanded.has(id) && !(states.get(id) ?? []).some((st) => st === 'skipped' || st === 'upstream_failed' || st === 'failed'))) continue;
      const upstream = task.upstream_task_ids.filter((id) => !(group !== null && inGroup(id) && expanded.has(id))).flatMap((id) => states.get(id) ?? [null]);
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
      // the task instances without a state get the verdict (all of a mapped task's at once)
      const settle = (state: TiState) => states.set(task.task_id, own.map((s) => s ?? state));
      if (verdict === 'skipped') {
        decision.skipped.push(task.task_id);
        settle('skipped');
      } else if (verdict === 'upstream_failed') {
        decision.upstream_failed.push(task.task_id);
        settle('upstream_failed');
      } else if (task.is_mapped && !expanded.has(task.task_id)) {
        // how many instances depends on what upstream pushed: the scheduler counts and creates them
        decision.expand.push(task.task_id);
        settle('scheduled');
      } else if (task.is_empty && !task.has_on_success_callback && !task.has_on_execute_callback) {
        decision.success.push(task.task_id);
        settle('success');
      } else {
        decision.schedule.push(task.task_id);
        settle('scheduled');
      }
    }
  }

  /** Decides the unsettled instances of a mapped group's task one map_index at a time; true when one was settled. */
  function decideByIndex(task: SerializedDag['tasks'][number], own: (TiState | null)[], idx: number[], inGroup: (id: string) => boolean): boolean {
    let settled = false;
    own.forEach((state, pos) => {
      if (state !== null) return;
      const i = idx[pos];
      const upstream = task.upstream_task_ids.flatMap((id) => {
        if (!inGroup(id)) return states.get(id) ?? [null];
        const at = (indexes.get(id) ?? []).indexOf(i);
        return [at >= 0 ? (states.get(id) as (TiState | null)[])[at] : null];
      });
      const verdict = evaluateTriggerRule(task.trigger_rule, countUpstream(upstream));
      if (verdict === 'wait') return;
      const to: TiState = verdict === 'ready' ? (task.is_empty && !task.has_on_success_callback && !task.has_on_execute_callback ? 'success' : 'scheduled') : verdict;
      own[pos] = to;
      decision.byIndex.push({ task_id: task.task_id, map_index: i, state: to });
      settled = true;
    });
    return settled;
  }

  const values = [...states.values()].flat();
  const allFinished = values.every((s) => s !== null && FINISHED_STATES.includes(s));
  const anyActive = values.some((s) => s !== null && ACTIVE.includes(s));
  // a teardown's failure does not decide the run (unless on_failure_fail_dagrun): what it tears down does
  const quietTeardown = (id: string) => {
    const t = byId.get(id);
    return !!t?.is_teardown && !t.on_failure_fail_dagrun;
  };
  const leaves = dag.tasks
    .filter((t) => !quietTeardown(t.task_id) && t.downstream_task_ids.every(quietTeardown))
    .flatMap((t) => states.get(t.task_id) ?? []);
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
function setupVerdict(upstreamIds: string[], byId: Map<string, SerializedDag['tasks'][number]>, states: Map<string, (TiState | null)[]>): 'ready' | 'skipped' | 'upstream_failed' {
  const setupStates = upstreamIds.filter((id) => byId.get(id)?.is_setup).flatMap((id) => states.get(id) ?? []);
  if (setupStates.length === 0 || setupStates.includes('success')) return 'ready';
  return setupStates.every((s) => s === 'skipped') ? 'skipped' : 'upstream_failed';
}
