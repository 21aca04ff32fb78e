/**
 * The Execution API: the only way a task process reads or changes state. Each
 * call is checked against the try named in the caller's token.
 */
import type { FastifyInstance, FastifyRequest } from 'fastify';
import type pg from 'pg';
import { recordAssetEvent } from '../db/sql/assets.ts';
import { getConnection } from '../db/sql/connections.ts';
import { DagVersionCache } from '../db/sql/dag-version-cache.ts';
import { getDagRun } from '../db/sql/dag-runs.ts';
import { deferTry, rescheduleTry, sensorProgress } from '../db/sql/deferral.ts';
import { logEvent } from '../db/sql/event-log.ts';
import { finishTry, getTiById, heartbeatTry, notifyScheduler, saveRenderedFields, startTry } from '../db/sql/task-instances.ts';
import { getVariable, setVariable } from '../db/sql/variables.ts';
import { deleteTiXComs, getXCom, listDagXComsAt, listRunXComs, setXCom, xcomValue } from '../db/sql/xcom.ts';
import { nextDataInterval, skipDownstream } from '../scheduler/skip-downstream.ts';
import type { SecretCipher } from '../security/encryption.ts';
import { connectionFromEnv, variableFromEnv } from '../security/env-secrets.ts';
import type { SensitiveNames } from '../security/sensitive.ts';
import type { XComObjectStorage } from '../xcom/object-storage.ts';
import { badRequest, conflict, forbidden, HttpError, notFound } from './errors.ts';

export interface ExecutionDeps {
  pool: pg.Pool;
  cipher: SecretCipher;
  sensitive: SensitiveNames;
  xcomStorage: XComObjectStorage;
  /** [core] dag_run_conf_overrides_params, told to each task so it builds `params` the same way */
  confOverridesParams: boolean;
  /** [core] max_xcom_size: bytes of JSON */
  maxXComSize: number;
  /** in-process shortcut to wake a scheduler living in this process */
  onStateChange?: (dagId: string) => void;
  /** same, for a triggerer living in this process */
  onDeferred?: () => void;
}

/** Room for the {"value": …} envelope and whitespace around a value of the maximum size. */
const XCOM_BODY_SLACK = 64 * 1024;

function ownTry(req: FastifyRequest) {
  const { id } = req.params as { id: string };
  if (req.task?.sub !== id) throw forbidden('This token belongs to another task instance try');
  return id;
}

function xcomName(p: { dagId: string; runId: string; taskId: string; key: string }) {
  return `XCom '${p.key}' of task '${p.taskId}' (DAG '${p.dagId}', run '${p.runId}')`;
}

export function registerExecutionApi(app: FastifyInstance, deps: ExecutionDeps) {
  const { pool, cipher, sensitive, xcomStorage } = deps;
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
    await deleteTiXComs(pool, xcomStorage, ti);
    const run = await getDagRun(pool, ti.dag_id, ti.run_id);
    if (!run) throw notFound('DAG run not found');
    const prev = await pool.query<{ s: Date; e: Date }>(
      `SELECT data_interval_start AS s, data_interval_end AS e FROM dag_run
       WHERE dag_id = $1 AND state = 'success' AND logical_date < $2 ORDER BY logical_date DESC LIMIT 1`,
      [run.dag_id, run.logical_date ?? run.run_after],
    );
    const dag = await versions.get(pool, run.dag_version_id);
    const interval = run.data_interval_start && run.data_interval_end ? { start: run.data_interval_start, end: run.data_interval_end } : null;
    const next = nextDataInterval(dag, interval);
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
      dag_run_conf_overrides_params: deps.confOverridesParams,
      // resuming a deferred task: where, and with what (the trigger's event is in next_kwargs.event)
      next_method: ti.next_method,
      next_kwargs: ti.next_kwargs,
      ...(await sensorFields(ti)),
      prev_data_interval_start_success: prev.rows[0]?.s?.toISOString() ?? null,
      prev_data_interval_end_success: prev.rows[0]?.e?.toISOString() ?? null,
      next_data_interval: next ? { start: next.start.toISOString(), end: next.end.toISOString() } : null,
    };
  });

  // only sensors (mode reschedule) have reschedules; other tasks skip the query
  const sensorFields = async (ti: Parameters<typeof sensorProgress>[1] & { resumed: boolean }) => {
    if (!ti.resumed) return {};
    const p = await sensorProgress(pool, ti);
    return p.pokes > 0 ? { sensor_started_at: p.started_at?.toISOString() ?? null, sensor_poke_count: p.pokes } : {};
  };

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

  // a sensor in mode "reschedule" whose condition is not met yet
  const reschedule = async (id: string, body: { reschedule_date?: unknown }) => {
    const date = new Date(String(body.reschedule_date));
    if (typeof body.reschedule_date !== 'string' || Number.isNaN(date.getTime())) throw badRequest('reschedule_date must be an ISO-8601 date');
    const done = await rescheduleTry(pool, id, date);
    if (!done) throw conflict('Task instance is not running');
    await changed(done.dag_id);
    return { state: done.state };
  };

  const defer = async (id: string, body: Record<string, unknown>) => {
    const { classpath, trigger_kwargs, next_method, next_kwargs, trigger_timeout_seconds } = body;
    if (typeof classpath !== 'string' || !classpath.includes('#')) throw badRequest("classpath must be '<module>#<export>'");
    if (typeof next_method !== 'string' || !next_method) throw badRequest('next_method must name the method to resume at');
    const isObject = (v: unknown) => typeof v === 'object' && v !== null && !Array.isArray(v);
    if (!isObject(trigger_kwargs)) throw badRequest('trigger_kwargs must be an object');
    if (next_kwargs != null && !isObject(next_kwargs)) throw badRequest('next_kwargs must be an object');
    if (trigger_timeout_seconds != null && !(typeof trigger_timeout_seconds === 'number' && trigger_timeout_seconds >= 0)) throw badRequest('trigger_timeout_seconds must be a number of seconds');
    const done = await deferTry(pool, id, {
      classpath,
      kwargs: trigger_kwargs as Record<string, unknown>,
      next_method,
      next_kwargs: (next_kwargs as Record<string, unknown> | null) ?? null,
      timeout_seconds: (trigger_timeout_seconds as number | null) ?? null,
    });
    if (!done) throw conflict('Task instance is not running');
    deps.onDeferred?.();
    await pool.query(`SELECT pg_notify('updraft_triggerer', '')`);
    return { state: done.state };
  };

  app.patch('/execution/task-instances/:id/state', async (req) => {
    const id = ownTry(req);
    const body = (req.body ?? {}) as { state?: string; fail_without_retry?: boolean };
    if (body.state === 'up_for_reschedule') return reschedule(id, req.body as { reschedule_date?: unknown });
    if (body.state === 'deferred') return defer(id, req.body as Record<string, unknown>);
    if (!['success', 'failed', 'skipped'].includes(String(body.state))) throw badRequest('state must be success, failed, skipped, up_for_reschedule or deferred');
    const found = await pool.query<{ dag_id: string; run_id: string; task_id: string; map_index: number; state: string | null; dag_version_id: number }>(
      'SELECT ti.dag_id, ti.run_id, ti.task_id, ti.map_index, ti.state, r.dag_version_id FROM task_instance ti JOIN dag_run r ON r.dag_id = ti.dag_id AND r.run_id = ti.run_id WHERE ti.id = $1',
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
    // a success updates the task's outlets: asset events, which may start asset-scheduled DAGs
    if (done.state === 'success') {
      for (const outlet of task?.outlets ?? []) {
        const { queued } = await recordAssetEvent(pool, { ...outlet, source: { dag_id: ti.dag_id, task_id: ti.task_id, run_id: ti.run_id, map_index: ti.map_index } });
        for (const dagId of queued) await notifyScheduler(pool, dagId, 'run');
      }
    }

    await changed(ti.dag_id);
    return { state: done.state };
  });

  // Branch, short-circuit and latest-only operators skip tasks of their own run.
  app.post('/execution/task-instances/:id/skip-downstream', async (req) => {
    const id = ownTry(req);
    const body = (req.body ?? {}) as { task_ids?: unknown };
    const taskIds = body.task_ids;
    if (!Array.isArray(taskIds) || !taskIds.every((t) => typeof t === 'string')) throw badRequest('task_ids must be a list of task ids');
    const found = await pool.query<{ dag_id: string; run_id: string; task_id: string; state: string | null; dag_version_id: number }>(
      'SELECT ti.dag_id, ti.run_id, ti.task_id, ti.state, r.dag_version_id FROM task_instance ti JOIN dag_run r ON r.dag_id = ti.dag_id AND r.run_id = ti.run_id WHERE ti.id = $1',
      [id],
    );
    const ti = found.rows[0];
    if (!ti) throw notFound('Task instance not found');
    if (ti.state !== 'running') throw conflict(`Task instance is not running (state: ${ti.state})`);
    const dag = await versions.get(pool, ti.dag_version_id);
    const { skipped, refused } = await skipDownstream(pool, dag, ti, taskIds as string[]);
    if (refused.length > 0) {
      throw badRequest(`Task '${ti.task_id}' of DAG '${ti.dag_id}' can only skip tasks downstream of it; not downstream: ${refused.join(', ')}`);
    }
    if (skipped.length > 0) await changed(ti.dag_id);
    return { skipped };
  });

  app.get('/execution/variables/:key', async (req) => {
    const { key } = req.params as { key: string };
    // is_sensitive: the task runner masks the value in the task's log
    const is_sensitive = sensitive.isSensitive(key);
    const fromEnv = variableFromEnv(key);
    if (fromEnv !== null) return { key, value: fromEnv, is_sensitive };
    const v = await getVariable(pool, cipher, key);
    if (!v) throw notFound(`Variable ${key} does not exist`);
    return { key, value: v.val, is_sensitive };
  });

  app.put('/execution/variables/:key', async (req, reply) => {
    const { key } = req.params as { key: string };
    const body = (req.body ?? {}) as { value?: unknown; description?: string | null };
    if (typeof body.value !== 'string') throw badRequest('value must be a string');
    if (body.description !== undefined && body.description !== null && typeof body.description !== 'string') throw badRequest('description must be a string');
    // no description keeps the stored one
    await setVariable(pool, cipher, key, body.value, body.description ?? undefined);
    const t = req.task;
    await logEvent(pool, { event: 'variable_set', owner: null, dag_id: t?.dag_id, task_id: t?.task_id, run_id: t?.run_id, extra: { key } });
    reply.code(204);
  });

  app.get('/execution/connections/:id', async (req) => {
    const { id } = req.params as { id: string };
    let c;
    try {
      const fromEnv = connectionFromEnv(id);
      c = fromEnv ? { conn_id: id, ...fromEnv } : await getConnection(pool, cipher, id);
    } catch (err) {
      if (err instanceof HttpError) throw err;
      throw new HttpError(500, (err as Error).message);
    }
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

  app.get('/execution/xcoms/:dagId', async (req) => {
    const { dagId } = req.params as { dagId: string };
    const q = req.query as { logical_date?: string; include_prior_dates?: string };
    const at = new Date(String(q.logical_date));
    if (!q.logical_date || Number.isNaN(at.getTime())) throw badRequest('logical_date must be an ISO-8601 date-time');
    const rows = await listDagXComsAt(pool, dagId, at, q.include_prior_dates === 'true');
    return Promise.all(rows.map(async (x) => ({ run_id: x.run_id, task_id: x.task_id, map_index: x.map_index, key: x.key, value: await xcomValue(xcomStorage, x) })));
  });

  app.get('/execution/xcoms/:dagId/:runId', async (req) => {
    const { dagId, runId } = req.params as { dagId: string; runId: string };
    const rows = await listRunXComs(pool, dagId, runId);
    return Promise.all(rows.map(async (x) => ({ task_id: x.task_id, map_index: x.map_index, key: x.key, value: await xcomValue(xcomStorage, x) })));
  });

  app.get('/execution/xcoms/:dagId/:runId/:taskId/:key', async (req) => {
    const { dagId, runId, taskId, key } = req.params as { dagId: string; runId: string; taskId: string; key: string };
    const mapIndex = Number((req.query as { map_index?: string }).map_index ?? -1);
    const row = await getXCom(pool, { dag_id: dagId, run_id: runId, task_id: taskId, map_index: mapIndex }, key);
    if (!row) throw notFound(`${xcomName({ dagId, runId, taskId, key })} does not exist`);
    return { key, value: await xcomValue(xcomStorage, row) };
  });

  app.post(
    '/execution/xcoms/:dagId/:runId/:taskId/:key',
    {
      bodyLimit: deps.maxXComSize + XCOM_BODY_SLACK,
      // the body parser's refusals, said in terms of the XCom
      errorHandler: (err: Error & { statusCode?: number }, req, reply) => {
        if (err instanceof HttpError) throw err;
        const name = xcomName(req.params as { dagId: string; runId: string; taskId: string; key: string });
        if (err.statusCode === 413) return reply.code(413).send({ detail: `${name} is larger than [core] max_xcom_size (${deps.maxXComSize} bytes)` });
        if (err.statusCode === 400 || err.statusCode === 415) {
          return reply.code(400).send({ detail: `${name} is not JSON (${err.message}): XCom values must be JSON-serializable` });
        }
        throw err;
      },
    },
    async (req, reply) => {
      const p = req.params as { dagId: string; runId: string; taskId: string; key: string };
      const t = req.task;
      if (!t || t.dag_id !== p.dagId || t.run_id !== p.runId || t.task_id !== p.taskId) throw forbidden('A task may only push XComs of its own task instance');
      // fastify also parses text/plain: anything but a JSON body is not a value we can keep
      if (!String(req.headers['content-type'] ?? '').includes('json') || typeof req.body !== 'object') {
        throw badRequest(`${xcomName(p)} is not JSON (sent as ${req.headers['content-type'] ?? 'no content type'}): XCom values must be JSON-serializable`);
      }
      const body = req.body as { value?: unknown } | null;
      if (!body || Array.isArray(body) || !('value' in body)) throw badRequest(`${xcomName(p)} has no value: send JSON {"value": …} with a JSON-serializable value`);
      const json = JSON.stringify(body.value);
      const bytes = Buffer.byteLength(json);
      if (bytes > deps.maxXComSize) {
        throw new HttpError(413, `${xcomName(p)} is ${bytes} bytes of JSON, more than [core] max_xcom_size (${deps.maxXComSize} bytes): keep large data in storage and push its location`);
      }
      const ti = { dag_id: p.dagId, run_id: p.runId, task_id: p.taskId, map_index: t.map_index };
      const ref = xcomStorage.shouldOffload(bytes) ? await xcomStorage.put({ ...ti, key: p.key }, json) : null;
      let replaced: string | null;
      try {
        replaced = await setXCom(pool, { ...ti, key: p.key, json: ref ? null : json, value_ref: ref });
      } catch (err) {
        if (ref) await xcomStorage.remove([ref]).catch(() => undefined);
        throw err;
      }
      if (replaced && replaced !== ref) await xcomStorage.remove([replaced]);
      reply.code(201);
      return { key: p.key };
    },
  );
}
