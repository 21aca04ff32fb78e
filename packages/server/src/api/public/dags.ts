/** /api/v2/dags…: list, get, details, pause/unpause, tasks, import errors. */
import type { FastifyInstance } from 'fastify';
import type pg from 'pg';
import { getDag, getDagVersion, setPaused, type DagRow } from '../../db/sql/dags.ts';
import { logEvent } from '../../db/sql/event-log.ts';
import { badRequest, notFound } from '../errors.ts';
import { dagResponse } from '../serializers.ts';
import { boolParam, paging } from './pagination.ts';

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
    retry_exponential_backoff: t.retry_exponential_backoff,
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

export function registerDagRoutes(app: FastifyInstance, pool: pg.Pool) {
  const withErrors = `SELECT d.*, EXISTS (SELECT 1 FROM import_error e WHERE e.filename = d.fileloc) AS has_import_errors FROM dag d`;

  app.get('/api/v2/dags', async (req) => {
    const q = req.query as Record<string, string | string[] | undefined>;
    const { limit, offset } = paging(q);
    const where: string[] = [];
    const args: unknown[] = [];
    const onlyActive = boolParam(q.only_active) ?? true;
    if (onlyActive) where.push('d.is_active');
    const paused = boolParam(q.paused);
    if (paused !== undefined) where.push(`d.is_paused = $${args.push(paused)}`);
    if (q.dag_id_pattern) where.push(`d.dag_id ILIKE $${args.push(String(q.dag_id_pattern))}`);
    const tags = q.tags === undefined ? [] : Array.isArray(q.tags) ? q.tags : [q.tags];
    if (tags.length) where.push(`d.tags && $${args.push(tags)}::text[]`);
    const order = String(q.order_by ?? 'dag_id');
    const orderColumn: Record<string, string> = { dag_id: 'd.dag_id', '-dag_id': 'd.dag_id DESC', last_parsed_time: 'd.last_parsed_time', '-last_parsed_time': 'd.last_parsed_time DESC', next_dagrun: 'd.next_dagrun', '-next_dagrun': 'd.next_dagrun DESC' };
    if (!orderColumn[order]) throw badRequest(`Ordering with '${order}' is disallowed or the attribute does not exist on the model`);
    const whereSql = where.length ? `WHERE ${where.join(' AND ')}` : '';
    const total = await pool.query<{ n: number }>(`SELECT count(*) AS n FROM dag d ${whereSql}`, args);
    const rows = await pool.query<DagRow & { has_import_errors: boolean }>(
      `${withErrors} ${whereSql} ORDER BY ${orderColumn[order]} LIMIT $${args.length + 1} OFFSET $${args.length + 2}`,
      [...args, limit, offset],
    );
    return { dags: rows.rows.map(dagResponse), total_entries: total.rows[0].n };
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
      latest_dag_version: null,
      last_parsed: row.last_parsed_time?.toISOString() ?? null,
    };
  });

  app.patch('/api/v2/dags/:dag_id', async (req) => {
    const { dag_id } = req.params as { dag_id: string };
    const body = req.body as { is_paused?: unknown } | undefined;
    if (!body || typeof body.is_paused !== 'boolean') throw badRequest('Send JSON {"is_paused": true|false}');
    const row = await setPaused(pool, dag_id, body.is_paused);
    if (!row) throw notFound(`DAG with dag_id: '${dag_id}' not found`);
    await logEvent(pool, { event: body.is_paused ? 'paused' : 'unpaused', owner: req.user?.sub ?? null, dag_id });
    return dagResponse(await loadDag(dag_id));
  });

  app.get('/api/v2/dags/:dag_id/tasks', async (req) => {
    const row = await loadDag((req.params as { dag_id: string }).dag_id);
    if (!row.latest_version_id) return { tasks: [], total_entries: 0 };
    const dag = await getDagVersion(pool, row.latest_version_id);
    return { tasks: dag.tasks.map((t) => taskResponse(t, dag)), total_entries: dag.tasks.length };
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
    const { limit, offset } = paging(req.query as Record<string, unknown>);
    const total = await pool.query<{ n: number }>('SELECT count(*) AS n FROM import_error');
    const rows = await pool.query<{ id: number; filename: string; stacktrace: string; message: string; timestamp: Date }>(
      'SELECT * FROM import_error ORDER BY id LIMIT $1 OFFSET $2',
      [limit, offset],
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
