/**
 * The Execution API: the only way a task process reads or changes state. Each
 * call is checked against the try named in the caller's token.
 */
import type { FastifyInstance, FastifyRequest } from 'fastify';
import type pg from 'pg';
import { getConnection } from '../db/sql/connections.ts';
import { DagVersionCache } from '../db/sql/dag-version-cache.ts';
import { getDagRun } from '../db/sql/dag-runs.ts';
import { finishTry, getTiById, heartbeatTry, notifyScheduler, saveRenderedFields, startTry } from '../db/sql/task-instances.ts';
import { getVariable, setVariable } from '../db/sql/variables.ts';
import { clearTiXComs, listRunXComs, setXCom } from '../db/sql/xcom.ts';
import { badRequest, conflict, forbidden, notFound } from './errors.ts';

export interface ExecutionDeps {
  pool: pg.Pool;
  /** in-process shortcut to wake a scheduler living in this process */
  onStateChange?: (dagId: string) => void;
}

function ownTry(req: FastifyRequest) {
  const { id } = req.params as { id: string };
  if (req.task?.sub !== id) throw forbidden('This token belongs to another task instance try');
  return id;
}

function envVariable(key: string): string | null {
  return process.env[`UPDRAFT_VAR_${key.toUpperCase()}`] ?? process.env[`AIRFLOW_VAR_${key.toUpperCase()}`] ?? null;
}

export function registerExecutionApi(app: FastifyInstance, deps: ExecutionDeps) {
  const { pool } = deps;
  const versions = new DagVersionCache();
  const changed = async (dagId: string) => {
    deps.onStateChange?.(dagId);
    await notifyScheduler(pool, dagId);
  };

  app.patch('/execution/task-instances/:id/run', async (req) => {
    const id = ownTry(req);
    const body = (req.body ?? {}) as { hostname?: string; pid?: number };
    const ti = await startTry(pool, id, String(body.hostname ?? 'unknown'), Number(body.pid ?? 0));

    if (!ti) {
      const current = await getTiById(pool, id);
      throw conflict(`Task instance is not queued (state: ${current?.state ?? 'gone'}); it will not start`);
    }
    // a new try starts without the values a previous try pushed
    await clearTiXComs(pool, ti.dag_id, ti.run_id, ti.task_id, ti.map_index);
    const run = await getDagRun(pool, ti.dag_id, ti.run_id);
    if (!run) throw notFound('DAG run not found');
    const prev = await pool.query<{ s: Date; e: Date }>(
      `SELECT data_interval_start AS s, data_interval_end AS e FROM dag_run
       WHERE dag_id = $1 AND state = 'success' AND logical_date < $2 ORDER BY logical_date DESC LIMIT 1`,
      [run.dag_id, run.logical_date ?? run.run_after],
    );
    return {
      dag_run: {
        dag_id: run.dag_id,
        run_id: run.run_id,
        run_type: run.run_type,
        logical_date: run.logical_date?.toISOString() ?? null,
        data_interval_start: run.data_interval_start?.toISOString() ?? null,
        data_interval_end: run.data_interval_end?.toISOString() ?? null,
        run_after: run.run_after.toISOString(),
        start_date: run.start_date?.toISOString() ?? null,
        conf: run.conf,
      },
      max_tries: ti.max_tries,
      prev_data_interval_start_success: prev.rows[0]?.s?.toISOString() ?? null,
      prev_data_interval_end_success: prev.rows[0]?.e?.toISOString() ?? null,
    };
  });

  app.put('/execution/task-instances/:id/heartbeat', async (req, reply) => {
    const id = ownTry(req);
    if (!(await heartbeatTry(pool, id))) throw conflict('Task instance is no longer running');
    reply.code(204);
  });

  app.put('/execution/task-instances/:id/rendered-fields', async (req, reply) => {
    const id = ownTry(req);
    await saveRenderedFields(pool, id, (req.body ?? {}) as Record<string, unknown>);
    reply.code(204);
  });

  app.patch('/execution/task-instances/:id/state', async (req) => {
    const id = ownTry(req);
    const body = (req.body ?? {}) as { state?: string; fail_without_retry?: boolean };
    if (!['success', 'failed', 'skipped'].includes(String(body.state))) throw badRequest('state must be success, failed or skipped');
    const found = await pool.query<{ dag_id: string; task_id: string; state: string | null; dag_version_id: number }>(
      'SELECT ti.dag_id, ti.task_id, ti.state, r.dag_version_id FROM task_instance ti JOIN dag_run r ON r.dag_id = ti.dag_id AND r.run_id = ti.run_id WHERE ti.id = $1',
      [id],
    );
    const ti = found.rows[0];
    if (!ti) throw notFound('Task instance not found');
    const dag = await versions.get(pool, ti.dag_version_id);
    const task = dag.tasks.find((t) => t.task_id === ti.task_id);
    const outcome = body.state === 'failed' && body.fail_without_retry ? 'failed_no_retry' : (body.state as 'success' | 'failed' | 'skipped');
    const done = await finishTry(pool, id, outcome, {
      retry_delay_seconds: task?.retry_delay_seconds ?? 300,
      retry_exponential_backoff: task?.retry_exponential_backoff ?? false,
      max_retry_delay_seconds: task?.max_retry_delay_seconds ?? null,
    });
    if (!done) throw conflict(`Task instance is not running (state: ${ti.state})`);

    await changed(ti.dag_id);
    return { state: done.state };
  });

  app.get('/execution/variables/:key', async (req) => {
    const { key } = req.params as { key: string };
    const fromEnv = envVariable(key);
    if (fromEnv !== null) return { key, value: fromEnv };
    const v = await getVariable(pool, key);
    if (!v) throw notFound(`Variable ${key} does not exist`);
    return { key, value: v.val };
  });

  app.put('/execution/variables/:key', async (req, reply) => {
    const { key } = req.params as { key: string };
    const body = (req.body ?? {}) as { value?: unknown; description?: string | null };
    if (typeof body.value !== 'string') throw badRequest('value must be a string');
    await setVariable(pool, key, body.value, body.description ?? null);
    reply.code(204);
  });

  app.get('/execution/connections/:id', async (req) => {
    const { id } = req.params as { id: string };
    const c = await getConnection(pool, id);
    if (!c) throw notFound(`The conn_id \`${id}\` isn't defined`);
    let extra: Record<string, unknown> = {};
    try {
      const parsed = c.extra ? JSON.parse(c.extra) : {};
      if (parsed && typeof parsed === 'object' && !Array.isArray(parsed)) extra = parsed;
    } catch {
      // extra that is not JSON stays available as text
    }
    return { ...c, extra_dejson: extra };
  });

  app.get('/execution/xcoms/:dagId/:runId', async (req) => {
    const { dagId, runId } = req.params as { dagId: string; runId: string };
    const rows = await listRunXComs(pool, dagId, runId);
    return rows.map((x) => ({ task_id: x.task_id, map_index: x.map_index, key: x.key, value: x.value }));
  });

  app.post('/execution/xcoms/:dagId/:runId/:taskId/:key', async (req, reply) => {
    const { dagId, runId, taskId, key } = req.params as { dagId: string; runId: string; taskId: string; key: string };
    const t = req.task;
    if (!t || t.dag_id !== dagId || t.run_id !== runId || t.task_id !== taskId) throw forbidden('A task may only push XComs of its own task instance');
    const body = (req.body ?? {}) as { value?: unknown };
    await setXCom(pool, { dag_id: dagId, run_id: runId, task_id: taskId, map_index: t.map_index, key, value: body.value ?? null });
    reply.code(201);
    return { key };
  });
}

