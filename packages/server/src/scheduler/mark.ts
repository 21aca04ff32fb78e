/**
 * Setting states by hand (Airflow's "Mark success/failed/skipped"), for task
 * instances and whole runs, and deleting runs. Every change is audit-logged.
 */
import type pg from 'pg';
import { deleteDagRun, requeueFinishedRuns, setDagRunState, type DagRunRow, type RunState } from '../db/sql/dag-runs.ts';
import { logEvent } from '../db/sql/event-log.ts';
import { inTransaction } from '../db/sql/queryable.ts';
import { listRunTis, markTis, notifyScheduler, type TaskInstanceRow, type TiState } from '../db/sql/task-instances.ts';
import type { XComObjectStorage } from '../xcom/object-storage.ts';
import { clearTaskInstances, tisToClear, type ClearedTi } from './clear.ts';

export type MarkState = 'success' | 'failed' | 'skipped';

export interface MarkRequest {
  dag_id: string;
  dag_run_id: string;
  task_id: string;
  /** one mapped instance; all instances of the task when absent */
  map_index?: number | null;
  new_state: MarkState;
  include_upstream?: boolean;
  include_downstream?: boolean;
  include_past?: boolean;
  include_future?: boolean;
  dry_run?: boolean;
  owner: string | null;
}

/** The task instances a mark request would change (those not already in the new state). */
export async function tisToMark(pool: pg.Pool, req: MarkRequest): Promise<ClearedTi[]> {
  // the same selection as Clear: the task, its relatives, in this run and its past/future ones
  const related = await tisToClear(pool, {
    dag_id: req.dag_id,
    dag_run_id: req.dag_run_id,
    task_ids: [req.task_id],
    include_upstream: req.include_upstream,
    include_downstream: req.include_downstream,
    include_past: req.include_past,
    include_future: req.include_future,
    owner: req.owner,
  });
  return related.filter(
    (t) => t.state !== req.new_state && (req.map_index === undefined || req.map_index === null || t.task_id !== req.task_id || t.map_index === req.map_index),
  );
}

/**
 * Marks the selected task instances (unless dry_run). As in Airflow, the
 * failed and upstream_failed ones downstream of a task marked success or
 * skipped are then cleared so they run again; the runs concerned go back to
 * the scheduler, which decides their state anew. Returns the task instances
 * as they were before.
 */
export async function markTaskInstances(pool: pg.Pool, storage: XComObjectStorage, req: MarkRequest): Promise<ClearedTi[]> {
  const tis = await tisToMark(pool, req);
  if (req.dry_run || tis.length === 0) return tis;
  const changed = await inTransaction(pool, async (client) => {
    const done = await markTis(client, tis, req.new_state);
    await requeueFinishedRuns(client, req.dag_id, [...new Set(done.map((t) => t.run_id))]);
    await logEvent(client, {
      event: `mark_task_instance_${req.new_state}`,
      owner: req.owner,
      dag_id: req.dag_id,
      task_id: req.task_id,
      run_id: req.dag_run_id,
      extra: { task_instances: done.map((t) => `${t.run_id}.${t.task_id}`), ...flags(req) },
    });
    return done;
  });
  if (req.new_state !== 'failed' && changed.length > 0) {
    await clearTaskInstances(pool, storage, {
      dag_id: req.dag_id,
      dag_run_id: req.dag_run_id,
      task_ids: [req.task_id],
      include_downstream: true,
      only_failed: true,
      reset_dag_runs: true,
      dry_run: false,
      owner: req.owner,
    });
  }
  await notifyScheduler(pool, req.dag_id, 'run');
  return tis.filter((t) => changed.some((c) => c.id === t.id));
}

function flags(req: MarkRequest) {
  return { include_upstream: !!req.include_upstream, include_downstream: !!req.include_downstream, include_past: !!req.include_past, include_future: !!req.include_future };
}

export class StateConflictError extends Error {}

const STILL_RUNNING: (TiState | null)[] = ['running', 'deferred', 'up_for_reschedule', 'restarting'];
const FINISHED: (TiState | null)[] = ['success', 'failed', 'skipped', 'upstream_failed', 'removed'];

/**
 * Sets a run's state by hand, with Airflow's effect on its task instances:
 * success marks every task instance not yet successful success; failed marks
 * the running ones failed and the ones not started skipped; queued leaves
 * them as they are and hands the run back to the scheduler.
 */
export async function setRunState(pool: pg.Pool, run: DagRunRow, to: RunState, owner: string | null): Promise<DagRunRow> {
  const updated = await inTransaction(pool, async (client) => {
    const tis = await listRunTis(client, run.dag_id, run.run_id);
    const marked: TaskInstanceRow[] = [];
    if (to === 'success') marked.push(...(await markTis(client, tis, 'success')));
    if (to === 'failed') {
      marked.push(...(await markTis(client, tis.filter((t) => STILL_RUNNING.includes(t.state)), 'failed')));
      marked.push(...(await markTis(client, tis.filter((t) => !STILL_RUNNING.includes(t.state) && !FINISHED.includes(t.state)), 'skipped')));
    }
    let row = run;
    if (run.state !== to) {
      const r = await setDagRunState(client, run.id, run.state, to);
      if (!r) throw new StateConflictError(`The DagRun ${run.dag_id}/${run.run_id} changed state meanwhile; try again`);
      row = r;
    }
    await logEvent(client, {
      event: `mark_dag_run_${to}`,
      owner,
      dag_id: run.dag_id,
      run_id: run.run_id,
      extra: { from: run.state, task_instances: marked.map((t) => `${t.task_id}=${t.state}`) },
    });
    return row;
  });
  await notifyScheduler(pool, run.dag_id, 'run');
  return updated;
}

/** Deletes a run with its task instances and XComs (offloaded values too, after the commit). */
export async function deleteRun(pool: pg.Pool, storage: XComObjectStorage, dagId: string, runId: string, owner: string | null): Promise<boolean> {
  const gone = await inTransaction(pool, async (client) => {
    const r = await deleteDagRun(client, dagId, runId);
    if (r) await logEvent(client, { event: 'delete_dag_run', owner, dag_id: dagId, run_id: runId });
    return r;
  });
  if (!gone) return false;
  await storage.remove(gone.value_refs);
  await notifyScheduler(pool, dagId, 'run');
  return true;
}
