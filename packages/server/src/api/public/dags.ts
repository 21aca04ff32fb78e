/** /api/v2/dags…: list, get, details, pause/unpause, tasks, import errors. */
import type { FastifyInstance } from 'fastify';
import type pg from 'pg';
import { getDag, getDagVersion, setPaused, type DagRow } from '../../db/sql/dags.ts';
import { logEvent } from '../../db/sql/event-log.ts';
import type { XComObjectStorage } from '../../xcom/object-storage.ts';
import { visibleDags } from '../dag-access.ts';
import { badRequest, conflict, notFound, unprocessable } from '../errors.ts';
import { dagResponse, dagVersionResponse } from '../serializers.ts';
import { Where } from './filters.ts';
import { boolParam, likePatterns, orderBy, paging } from './pagination.ts';
import { deleteDag, runningMessage } from './dag-deletion.ts';

function taskResponse(t: import('@updraft/sdk/serialized').SerializedTask, dag: import('@updraft/sdk/serialized').SerializedDag) {
  const seconds = (s: number | null) => (s === null ? null : { __type: 'TimeDelta', days: Math.floor(s / 86400), seconds: Math.floor(s % 86400), microseconds: 0 });
  return {
    task_id: t.task_id,
    task_display_name: t.task_id,
    owner: t.owner,
    start_date: dag.start_date,
    end_date: dag.end_date,
    trigger_rule: t.trigger_rule,
    depends_on_past: t.depends_on_past,
    wait_for_downstream: t.wait_for_downstream,
    retries: t.retries,
    queue: t.queue,
    pool: t.pool,
    pool_slots: t.pool_slots,
    execution_timeout: seconds(t.execution_timeout_seconds),
    retry_delay: seconds(t.retry_delay_seconds),
    // a multiplier since Airflow 3.1 (0 = off); the SDK's boolean true is its default base of 2
    retry_exponential_backoff: typeof t.retry_exponential_backoff === 'number' ? t.retry_exponential_backoff : t.retry_exponential_backoff ? 2 : 0,
    priority_weight: t.priority_weight,
    weight_rule: t.weight_rule,
    ui_color: '#fff',
    ui_fgcolor: '#000',
    template_fields: t.template_fields,
    downstream_task_ids: t.downstream_task_ids,
    doc_md: t.doc_md,
    operator_name: t.operator,
    params: {},
    class_ref: { module_path: '@updraft/sdk', class_name: t.operator },
    is_mapped: false,
    extra_links: [],
  };
}

const DAG_ORDER = { dag_id: 'd.dag_id', dag_display_name: 'd.dag_id', next_dagrun: 'd.next_dagrun', last_parsed_time: 'd.last_parsed_time', is_paused: 'd.is_paused' };
const RUN_STATES = ['queued', 'running', 'success', 'failed'];

/** A comma-separated or repeated query parameter as a list. */
export function listParam(value: unknown): string[] {
  if (value === undefined || value === null || value === '') return [];
  return (Array.isArray(value) ? value : [value]).flatMap((v) => String(v).split(',')).map((v) => v.trim()).filter(Boolean);
}

/** DAGPatchBody: {"is_paused": bool}, nothing else. */
function pausedBody(raw: unknown, mask: unknown): boolean {
  if (!raw || typeof raw !== 'object' || Array.isArray(raw)) throw unprocessable('Send JSON {"is_paused": true|false}');
  const body = raw as Record<string, unknown>;
  const extra = Object.keys(body).filter((k) => k !== 'is_paused');
  if (extra.length) throw unprocessable(`Extra inputs are not permitted: ${extra.join(', ')}`);
  const fields = listParam(mask);
  if (fields.some((f) => f !== 'is_paused')) throw badRequest('Only is_paused can be updated');
  if (typeof body.is_paused !== 'boolean') throw unprocessable('is_paused must be true or false');
  return body.is_paused;
}

export function registerDagRoutes(app: FastifyInstance, pool: pg.Pool, storage: XComObjectStorage) {
  const withErrors = `SELECT d.*, EXISTS (SELECT 1 FROM import_error e WHERE e.filename = d.fileloc) AS has_import_errors FROM dag d`;

  /** The filters GET /dags and PATCH /dags share, as SQL conditions on `d`; values are always bound parameters. */
  const dagFilters = (q: Record<string, unknown>, args: unknown[], username: string | null, visible: string[] | null) => {
    const where: string[] = [];
    if (visible !== null) where.push(`d.dag_id = ANY($${args.push(visible)}::text[])`);
    const excludeStale = boolParam(q.exclude_stale) ?? boolParam(q.only_active) ?? true;
    if (excludeStale) where.push('d.is_active');
    const paused = boolParam(q.paused);
    if (paused !== undefined) where.push(`d.is_paused = $${args.push(paused)}`);
    const idPatterns = likePatterns(q.dag_id_pattern === '~' ? undefined : q.dag_id_pattern);
    if (idPatterns) where.push(`d.dag_id ILIKE ANY($${args.push(idPatterns)}::text[])`);
    const namePatterns = likePatterns(q.dag_display_name_pattern);
    if (namePatterns) where.push(`d.dag_id ILIKE ANY($${args.push(namePatterns)}::text[])`);
    const tags = listParam(q.tags);
    if (tags.length) {
      const mode = String(q.tags_match_mode ?? 'any');
      if (mode !== 'any' && mode !== 'all') throw unprocessable(`query: tags_match_mode must be 'any' or 'all', not ${JSON.stringify(mode)}`);
      where.push(mode === 'all' ? `d.tags @> $${args.push(tags)}::text[]` : `d.tags && $${args.push(tags)}::text[]`);
    }
    const owners = listParam(q.owners);
    if (owners.length) where.push(`d.owners && $${args.push(owners)}::text[]`);
    const importErrors = boolParam(q.has_import_errors);
    if (importErrors !== undefined) where.push(`${importErrors ? '' : 'NOT '}EXISTS (SELECT 1 FROM import_error e WHERE e.filename = d.fileloc)`);
    const lastState = q.last_dag_run_state === undefined ? undefined : String(q.last_dag_run_state);
    if (lastState !== undefined) {
      if (!RUN_STATES.includes(lastState)) throw unprocessable(`query: last_dag_run_state must be one of ${RUN_STATES.join(', ')}`);
      where.push(`(SELECT r.state FROM dag_run r WHERE r.dag_id = d.dag_id ORDER BY r.run_after DESC, r.id DESC LIMIT 1) = $${args.push(lastState)}`);
    }
    const runStates = listParam(q.dag_run_state);
    if (runStates.length) where.push(`EXISTS (SELECT 1 FROM dag_run r WHERE r.dag_id = d.dag_id AND r.state = ANY($${args.push(runStates)}::text[]))`);
    if (q.bundle_name !== undefined && q.bundle_name !== 'dags-folder') where.push('false');
    const favorite = boolParam(q.is_favorite);
    if (favorite !== undefined) where.push(`${favorite ? '' : 'NOT '}EXISTS (SELECT 1 FROM dag_favorite f WHERE f.dag_id = d.dag_id AND f.username = $${args.push(username)})`);
    return where.length ? `WHERE ${where.join(' AND ')}` : '';
  };

  const listDags = async (q: Record<string, unknown>, username: string | null, visible: string[] | null) => {
    const { limit, offset } = paging(q);
    const args: unknown[] = [];
    const whereSql = dagFilters(q, args, username, visible);
    const order = orderBy(q.order_by, DAG_ORDER, 'dag_id');
    const total = await pool.query<{ n: number }>(`SELECT count(*)::int AS n FROM dag d ${whereSql}`, args);
    const rows = await pool.query<DagRow & { has_import_errors: boolean }>(
      `${withErrors} ${whereSql} ORDER BY ${order}, d.dag_id LIMIT $${args.length + 1} OFFSET $${args.length + 2}`,
      [...args, limit, offset],
    );
    return { rows: rows.rows, total: total.rows[0].n };
  };

  app.get('/api/v2/dags', async (req) => {
    const { rows, total } = await listDags(req.query as Record<string, unknown>, req.user?.sub ?? null, visibleDags(req));
    return { dags: rows.map(dagResponse), total_entries: total };
  });

  // pause or unpause every DAG the filters match (dag_id_pattern is required; `~` means all DAGs)
  app.patch('/api/v2/dags', async (req) => {
    const q = req.query as Record<string, unknown>;
    const isPaused = pausedBody(req.body, q.update_mask);
    if (q.dag_id_pattern === undefined || q.dag_id_pattern === '') throw badRequest('dag_id_pattern is required to change several DAGs at once (use ~ for all DAGs)');
    // a custom role changes only the DAGs it may edit (visibleDags holds those for this route)
    const { rows } = await listDags({ ...q, limit: q.limit ?? 10000 }, req.user?.sub ?? null, visibleDags(req));
    for (const row of rows) {
      await setPaused(pool, row.dag_id, isPaused);
      await logEvent(pool, { event: isPaused ? 'paused' : 'unpaused', owner: req.user?.sub ?? null, dag_id: row.dag_id, extra: { dag_id_pattern: q.dag_id_pattern } });
    }
    const updated = await Promise.all(rows.map((r) => loadDag(r.dag_id)));
    return { dags: updated.map(dagResponse), total_entries: updated.length };
  });

  // a personal mark: any user who may read the DAG may favour it
  app.post('/api/v2/dags/:dag_id/favorite', async (req, reply) => {
    const { dag_id } = req.params as { dag_id: string };
    await loadDag(dag_id);
    await pool.query('INSERT INTO dag_favorite (username, dag_id) VALUES ($1, $2) ON CONFLICT DO NOTHING', [req.user?.sub, dag_id]);
    await logEvent(pool, { event: 'favorite_dag', owner: req.user?.sub ?? null, dag_id });
    reply.code(204);
  });

  app.post('/api/v2/dags/:dag_id/unfavorite', async (req, reply) => {
    const { dag_id } = req.params as { dag_id: string };
    await loadDag(dag_id);
    const r = await pool.query('DELETE FROM dag_favorite WHERE username = $1 AND dag_id = $2', [req.user?.sub, dag_id]);
    if (!r.rowCount) throw conflict(`DAG ${dag_id} is not a favorite of ${req.user?.sub}`);
    await logEvent(pool, { event: 'unfavorite_dag', owner: req.user?.sub ?? null, dag_id });
    reply.code(204);
  });

  app.delete('/api/v2/dags/:dag_id', async (req) => {
    const { dag_id } = req.params as { dag_id: string };
    const outcome = await deleteDag(pool, storage, dag_id, req.user?.sub ?? null);
    if (outcome === 'missing') throw notFound(`DAG with dag_id: '${dag_id}' not found`);
    // the spec has no 409 here: Airflow answers a DAG with running tasks as a bad request
    if (outcome === 'running') throw badRequest(runningMessage(dag_id));
    return {};
  });


  const loadDag = async (dagId: string) => {
    const r = await pool.query<DagRow & { has_import_errors: boolean }>(`${withErrors} WHERE d.dag_id = $1`, [dagId]);
    if (!r.rows[0]) throw notFound(`DAG with dag_id: '${dagId}' not found`);
    return r.rows[0];
  };

  app.get('/api/v2/dags/:dag_id', async (req) => dagResponse(await loadDag((req.params as { dag_id: string }).dag_id)));

  app.get('/api/v2/dags/:dag_id/details', async (req) => {
    const row = await loadDag((req.params as { dag_id: string }).dag_id);
    const dag = row.latest_version_id ? await getDagVersion(pool, row.latest_version_id) : null;
    const latest = (await pool.query<{ id: string; version_number: number; dag_id: string; created_at: Date }>('SELECT id, version_number, dag_id, created_at FROM dag_version WHERE id = $1', [row.latest_version_id])).rows[0];
    return {
      ...dagResponse(row),
      catchup: dag?.catchup ?? false,
      dag_run_timeout: dag?.dagrun_timeout_seconds ?? null,
      doc_md: dag?.doc_md ?? null,
      start_date: dag?.start_date ?? null,
      end_date: dag?.end_date ?? null,
      is_paused_upon_creation: dag?.is_paused_upon_creation ?? null,
      params: dag?.params ?? {},
      render_template_as_native_obj: dag?.render_template_as_native_obj ?? false,
      template_search_path: dag?.template_searchpath ?? null,
      timezone: dag?.timezone ?? null,
      default_args: dag?.default_args ?? {},
      owner_links: {},
      concurrency: row.max_active_tasks,
      latest_dag_version: latest ? dagVersionResponse(latest) : null,
      last_parsed: row.last_parsed_time?.toISOString() ?? null,
    };
  });

  app.patch('/api/v2/dags/:dag_id', async (req) => {
    const { dag_id } = req.params as { dag_id: string };
    const isPaused = pausedBody(req.body, (req.query as Record<string, unknown>).update_mask);
    const row = await setPaused(pool, dag_id, isPaused);
    if (!row) throw notFound(`DAG with dag_id: '${dag_id}' not found`);
    await logEvent(pool, { event: isPaused ? 'paused' : 'unpaused', owner: req.user?.sub ?? null, dag_id });
    return dagResponse(await loadDag(dag_id));
  });

  app.get('/api/v2/dags/:dag_id/tasks', async (req) => {
    const row = await loadDag((req.params as { dag_id: string }).dag_id);
    if (!row.latest_version_id) return { tasks: [], total_entries: 0 };
    const dag = await getDagVersion(pool, row.latest_version_id);
    const order = String((req.query as { order_by?: unknown }).order_by ?? 'task_id');
    const key = order.replace(/^-/, '');
    if (!['task_id', 'operator', 'start_date', 'pool', 'queue', 'priority_weight'].includes(key)) throw badRequest(`Ordering with '${order}' is disallowed or the attribute does not exist on the model`);
    const value = (t: (typeof dag.tasks)[number]) => String(key === 'start_date' ? dag.start_date : key === 'priority_weight' ? String(t.priority_weight).padStart(12, '0') : (t as unknown as Record<string, unknown>)[key] ?? '');
    const sorted = [...dag.tasks].sort((a, b) => value(a).localeCompare(value(b)) * (order.startsWith('-') ? -1 : 1));
    return { tasks: sorted.map((t) => taskResponse(t, dag)), total_entries: dag.tasks.length };
  });

  app.get('/api/v2/dags/:dag_id/tasks/:task_id', async (req) => {
    const { dag_id, task_id } = req.params as { dag_id: string; task_id: string };
    const row = await getDag(pool, dag_id);
    if (!row?.latest_version_id) throw notFound(`DAG with dag_id: '${dag_id}' not found`);
    const dag = await getDagVersion(pool, row.latest_version_id);
    const task = dag.tasks.find((t) => t.task_id === task_id);
    if (!task) throw notFound(`Task with id ${task_id} not found`);
    return taskResponse(task, dag);
  });

  app.get('/api/v2/importErrors', async (req) => {
    const q = req.query as Record<string, unknown>;
    const { limit, offset } = paging(q);
    const w = new Where();
    const patterns = likePatterns(q.filename_pattern);
    if (patterns) w.add('filename ILIKE ANY(?::text[])', patterns);
    // an import error names a file, not a DAG: shown when the file holds a DAG the user may read
    const visible = visibleDags(req);
    if (visible !== null) w.add('filename IN (SELECT d.fileloc FROM dag d WHERE d.dag_id = ANY(?::text[]))', visible);
    const where = w.sql();
    const args = w.args;
    const order = orderBy(q.order_by, { id: 'id', import_error_id: 'id', timestamp: 'timestamp', filename: 'filename', bundle_name: 'id', stacktrace: 'stacktrace' }, 'id');
    const total = await pool.query<{ n: number }>(`SELECT count(*)::int AS n FROM import_error ${where}`, args);
    const rows = await pool.query<{ id: number; filename: string; stacktrace: string; message: string; timestamp: Date }>(
      `SELECT * FROM import_error ${where} ORDER BY ${order}, id LIMIT $${args.length + 1} OFFSET $${args.length + 2}`,
      [...args, limit, offset],
    );
    return {
      import_errors: rows.rows.map((e) => ({
        import_error_id: e.id,
        timestamp: e.timestamp.toISOString(),
        filename: e.filename,
        bundle_name: 'dags-folder',
        stack_trace: e.stacktrace,
      })),
      total_entries: total.rows[0].n,
    };
  });
}
