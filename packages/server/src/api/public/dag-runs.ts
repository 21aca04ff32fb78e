/** /api/v2/dags/{dag_id}/dagRuns…: trigger, list, get; task instances of a run; task logs. */
import type { FastifyInstance } from 'fastify';
import type pg from 'pg';
import type { Config } from '../../config/config.ts';
import { getDagRun } from '../../db/sql/dag-runs.ts';
import { logEvent } from '../../db/sql/event-log.ts';
import type { TaskInstanceRow } from '../../db/sql/task-instances.ts';
import { BadRequestError, NotFoundError, triggerDagRun } from '../../scheduler/runs.ts';
import { RunConflictError } from '../../db/sql/dag-runs.ts';
import { badRequest, conflict, notFound, unprocessable } from '../errors.ts';
import { dagRunWithVersion, taskInstanceResponse } from '../serializers.ts';

function parseDate(value: unknown, field: string): Date | null | undefined {
  if (value === undefined) return undefined;
  if (value === null) return null;
  const d = new Date(String(value));
  if (Number.isNaN(d.getTime())) throw unprocessable(`${field} is not a valid date-time: ${JSON.stringify(value)}`);
  return d;
}

const TRIGGER_FIELDS = ['dag_run_id', 'logical_date', 'run_after', 'data_interval_start', 'data_interval_end', 'conf', 'note', 'partition_key'];

export function registerDagRunRoutes(app: FastifyInstance, deps: { pool: pg.Pool; config: Config; onTrigger?: (dagId: string) => void }) {
  const { pool } = deps;

  app.post('/api/v2/dags/:dag_id/dagRuns', async (req) => {
    const { dag_id } = req.params as { dag_id: string };
    const body = (req.body ?? {}) as Record<string, unknown>;
    if (typeof body !== 'object' || Array.isArray(body)) throw unprocessable('The body must be a JSON object');
    // TriggerDAGRunPostBody forbids other fields; a typo such as "confs" must not be dropped silently
    const extra = Object.keys(body).filter((k) => !TRIGGER_FIELDS.includes(k));
    if (extra.length) throw unprocessable(`Extra inputs are not permitted: ${extra.join(', ')}`);
    for (const k of ['dag_run_id', 'note', 'logical_date', 'run_after', 'data_interval_start', 'data_interval_end', 'partition_key']) {
      if (body[k] !== undefined && body[k] !== null && typeof body[k] !== 'string') throw unprocessable(`${k} must be a string or null`);
    }
    const start = parseDate(body.data_interval_start, 'data_interval_start');
    const end = parseDate(body.data_interval_end, 'data_interval_end');
    if ((start && !end) || (!start && end)) throw badRequest('data_interval_start and data_interval_end must be given together');
    try {
      const run = await triggerDagRun(pool, {
        dag_id,
        run_id: (body.dag_run_id as string | null | undefined) ?? null,
        logical_date: parseDate(body.logical_date, 'logical_date'),
        data_interval: start && end ? { start, end } : null,
        conf: body.conf,
        note: (body.note as string | null | undefined) ?? null,
        triggered_by: req.user?.sub ?? 'rest_api',
      });
      await logEvent(pool, { event: 'trigger_dag_run', owner: req.user?.sub ?? null, dag_id, run_id: run.run_id, extra: body });
      deps.onTrigger?.(dag_id);
      return await dagRunWithVersion(pool, run);
    } catch (err) {
      if (err instanceof NotFoundError) throw notFound(err.message);
      if (err instanceof BadRequestError) throw badRequest(err.message);
      if (err instanceof RunConflictError) throw conflict(err.message);
      throw err;
    }
  });

  const loadRun = async (dagId: string, runId: string) => {
    const run = await getDagRun(pool, dagId, runId);
    if (!run) throw notFound(`The DagRun with dag_id: \`${dagId}\` and run_id: \`${runId}\` was not found`);
    return run;
  };

  app.get('/api/v2/dags/:dag_id/dagRuns/:run_id', async (req) => {
    const { dag_id, run_id } = req.params as { dag_id: string; run_id: string };
    return dagRunWithVersion(pool, await loadRun(dag_id, run_id));
  });

  app.get('/api/v2/dags/:dag_id/dagRuns/:run_id/taskInstances/:task_id', async (req) => {
    const { dag_id, run_id, task_id } = req.params as { dag_id: string; run_id: string; task_id: string };
    const run = await loadRun(dag_id, run_id);
    const r = await pool.query<TaskInstanceRow>('SELECT * FROM task_instance WHERE dag_id = $1 AND run_id = $2 AND task_id = $3 AND map_index = -1', [dag_id, run_id, task_id]);
    if (!r.rows[0]) throw notFound(`The Task Instance with dag_id: \`${dag_id}\`, run_id: \`${run_id}\`, task_id: \`${task_id}\` and map_index: \`-1\` was not found`);
    return taskInstanceResponse({ ...r.rows[0], logical_date: run.logical_date, run_after: run.run_after });
  });
}
