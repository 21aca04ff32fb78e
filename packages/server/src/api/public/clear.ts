/** POST /api/v2/dags/{dag_id}/clearTaskInstances — Airflow's "Clear", with its defaults (dry_run and only_failed on). */
import type { FastifyInstance } from 'fastify';
import type pg from 'pg';
import { BadRequestError, NotFoundError } from '../../scheduler/runs.ts';
import { clearTaskInstances, type ClearRequest } from '../../scheduler/clear.ts';
import type { XComObjectStorage } from '../../xcom/object-storage.ts';
import { notFound, unprocessable } from '../errors.ts';
import { taskInstanceResponse } from '../serializers.ts';

const BOOLEANS = ['dry_run', 'only_failed', 'only_running', 'include_upstream', 'include_downstream', 'include_past', 'include_future', 'reset_dag_runs'] as const;

function parseBody(dagId: string, body: Record<string, unknown>, owner: string | null): ClearRequest {
  const known = new Set<string>([...BOOLEANS, 'task_ids', 'dag_run_id', 'start_date', 'end_date', 'run_on_latest_version', 'prevent_running_task']);
  const unknown = Object.keys(body).filter((k) => !known.has(k));
  if (unknown.length) throw unprocessable(`Extra inputs are not permitted: ${unknown.join(', ')}`);
  for (const k of BOOLEANS) if (body[k] !== undefined && typeof body[k] !== 'boolean') throw unprocessable(`${k} must be true or false`);
  const date = (k: 'start_date' | 'end_date') => {
    if (body[k] === undefined || body[k] === null) return null;
    const d = new Date(String(body[k]));
    if (Number.isNaN(d.getTime())) throw unprocessable(`${k} is not a valid date-time: ${JSON.stringify(body[k])}`);
    return d;
  };
  const taskIds = body.task_ids;
  if (taskIds !== undefined && taskIds !== null && (!Array.isArray(taskIds) || taskIds.some((t) => typeof t !== 'string' && !Array.isArray(t)))) {
    throw unprocessable('task_ids must be a list of task ids');
  }
  return {
    dag_id: dagId,
    // [task_id, map_index] pairs name a mapped instance; without mapping yet, the task id is what counts
    task_ids: (taskIds as (string | [string, number])[] | undefined)?.map((t) => (Array.isArray(t) ? t[0] : t)) ?? null,
    dag_run_id: (body.dag_run_id as string | undefined) ?? null,
    start_date: date('start_date'),
    end_date: date('end_date'),
    dry_run: (body.dry_run as boolean | undefined) ?? true,
    only_failed: (body.only_failed as boolean | undefined) ?? true,
    only_running: (body.only_running as boolean | undefined) ?? false,
    include_upstream: (body.include_upstream as boolean | undefined) ?? false,
    include_downstream: (body.include_downstream as boolean | undefined) ?? false,
    include_past: (body.include_past as boolean | undefined) ?? false,
    include_future: (body.include_future as boolean | undefined) ?? false,
    reset_dag_runs: (body.reset_dag_runs as boolean | undefined) ?? true,
    owner,
  };
}

export function registerClearRoutes(app: FastifyInstance, deps: { pool: pg.Pool; storage: XComObjectStorage }) {
  app.post('/api/v2/dags/:dag_id/clearTaskInstances', async (req) => {
    const { dag_id } = req.params as { dag_id: string };
    const body = req.body ?? {};
    if (typeof body !== 'object' || Array.isArray(body)) throw unprocessable('The body must be a JSON object');
    try {
      const tis = await clearTaskInstances(deps.pool, deps.storage, parseBody(dag_id, body as Record<string, unknown>, req.user?.sub ?? null));
      return { task_instances: tis.map(taskInstanceResponse), total_entries: tis.length };
    } catch (err) {
      if (err instanceof NotFoundError) throw notFound(err.message);
      // the spec declares no 400 here: a request that cannot be honoured as given is a 422
      if (err instanceof BadRequestError) throw unprocessable(err.message);
      throw err;
    }
  });
}
