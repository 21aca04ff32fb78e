/**
 * Execution API routes for tasks that look at or start other DAGs' runs:
 * TriggerDagRunOperator and ExternalTaskSensor. Any task may call them (as
 * any Airflow task may), always through its own try's token.
 */
import type { FastifyInstance } from 'fastify';
import type pg from 'pg';
import { RunConflictError } from '../db/sql/dag-runs.ts';
import { BadRequestError, NotFoundError, triggerDagRun } from '../scheduler/runs.ts';
import { clearTaskInstances } from '../scheduler/clear.ts';
import type { XComObjectStorage } from '../xcom/object-storage.ts';
import { badRequest, conflict, notFound } from './errors.ts';

export interface ExecutionDagRunDeps {
  pool: pg.Pool;
  xcomStorage: XComObjectStorage;
  onRunCreated?: (dagId: string) => void;
}

function dateParam(value: unknown, name: string): Date | null {
  if (value === undefined || value === null || value === '') return null;
  const d = new Date(String(value));
  if (Number.isNaN(d.getTime())) throw badRequest(`${name} must be an ISO-8601 date`);
  return d;
}

export function registerExecutionDagRunRoutes(app: FastifyInstance, deps: ExecutionDagRunDeps) {
  const { pool } = deps;

  // TriggerDagRunOperator
  app.post('/execution/dag-runs/:dag_id', async (req) => {
    const { dag_id } = req.params as { dag_id: string };
    const body = (req.body ?? {}) as { run_id?: string | null; logical_date?: string | null; conf?: unknown; reset_dag_run?: boolean };
    const logical = body.logical_date === undefined ? undefined : dateParam(body.logical_date, 'logical_date');
    const task = req.task;
    const triggeredBy = task ? `task ${task.dag_id}.${task.task_id} (${task.run_id})` : 'task';
    try {
      const run = await triggerDagRun(pool, { dag_id, run_id: body.run_id ?? null, logical_date: logical, conf: body.conf ?? {}, triggered_by: triggeredBy });
      deps.onRunCreated?.(dag_id);
      return { dag_id, run_id: run.run_id, logical_date: run.logical_date?.toISOString() ?? null };
    } catch (err) {
      if (err instanceof NotFoundError) throw notFound(err.message);
      if (err instanceof BadRequestError) throw badRequest(err.message);
      if (err instanceof RunConflictError && body.reset_dag_run && body.run_id) {
        // Airflow's reset_dag_run: clear the existing run so it runs again
        await clearTaskInstances(pool, deps.xcomStorage, { dag_id, dag_run_id: body.run_id, owner: triggeredBy, reset_dag_runs: true });
        deps.onRunCreated?.(dag_id);
        return { dag_id, run_id: body.run_id, logical_date: null, reset: true };
      }
      if (err instanceof RunConflictError) throw conflict(err.message);
      throw err;
    }
  });

  // state of one run, by run_id or by logical date (ExternalTaskSensor looks runs up by date)
  app.get('/execution/dag-runs/:dag_id/state', async (req) => {
    const { dag_id } = req.params as { dag_id: string };
    const q = req.query as { run_id?: string; logical_date?: string };
    const logical = dateParam(q.logical_date, 'logical_date');
    if (!q.run_id && !logical) throw badRequest('give run_id or logical_date');
    const r = await pool.query<{ run_id: string; state: string }>(
      q.run_id ? 'SELECT run_id, state FROM dag_run WHERE dag_id = $1 AND run_id = $2' : 'SELECT run_id, state FROM dag_run WHERE dag_id = $1 AND logical_date = $2',
      [dag_id, q.run_id ?? logical],
    );
    const dagExists = (await pool.query('SELECT 1 FROM dag WHERE dag_id = $1', [dag_id])).rowCount;
    return { dag_exists: !!dagExists, run: r.rows[0] ?? null };
  });

  // states of some tasks (or of a task group's tasks) in the run of a logical date
  app.get('/execution/task-states/:dag_id', async (req) => {
    const { dag_id } = req.params as { dag_id: string };
    const q = req.query as { logical_date?: string; run_id?: string; task_ids?: string; task_group_id?: string };
    const logical = dateParam(q.logical_date, 'logical_date');
    if (!q.run_id && !logical) throw badRequest('give run_id or logical_date');
    const taskIds = q.task_ids ? q.task_ids.split(',').filter(Boolean) : null;
    const r = await pool.query<{ task_id: string; map_index: number; state: string | null }>(
      `SELECT ti.task_id, ti.map_index, ti.state FROM task_instance ti JOIN dag_run r ON r.dag_id = ti.dag_id AND r.run_id = ti.run_id
       WHERE ti.dag_id = $1 AND ($2::text IS NULL OR r.run_id = $2) AND ($3::timestamptz IS NULL OR r.logical_date = $3)
         AND ($4::text[] IS NULL OR ti.task_id = ANY($4)) AND ($5::text IS NULL OR ti.task_id LIKE $5 || '.%')
       ORDER BY ti.task_id, ti.map_index`,
      [dag_id, q.run_id ?? null, logical, taskIds, q.task_group_id ?? null],
    );
    const states: Record<string, (string | null)[]> = {};
    for (const row of r.rows) (states[row.task_id] ??= []).push(row.state);
    return { states };
  });
}
