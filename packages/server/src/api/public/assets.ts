/**
 * /api/v2/assets…: the assets DAGs name, their events (including events
 * created by hand, which start asset-scheduled DAGs like a task's would) and
 * the updates queued for asset-scheduled DAGs.
 */
import type { FastifyInstance } from 'fastify';
import type pg from 'pg';
import { recordAssetEvent } from '../../db/sql/assets.ts';
import { logEvent } from '../../db/sql/event-log.ts';
import { notifyScheduler } from '../../db/sql/task-instances.ts';
import { badRequest, notFound } from '../errors.ts';
import { dateValue, intParam, stringList, Where } from './filters.ts';
import { orderBy, paging } from './pagination.ts';

const ASSET_ORDER = { id: 'a.id', name: 'a.name', uri: 'a.uri', created_at: 'a.created_at', updated_at: 'a.updated_at' };
const EVENT_ORDER = { id: 'e.id', timestamp: 'e.timestamp', source_dag_id: 'e.source_dag_id', source_task_id: 'e.source_task_id', source_run_id: 'e.source_run_id', source_map_index: 'e.source_map_index' };

// one row per asset with its references and last event, as JSON built in SQL
const ASSET_SELECT = `
  SELECT a.id, a.name, a.uri, a."group", a.extra, a.created_at, a.updated_at,
    coalesce((SELECT json_agg(json_build_object('dag_id', r.dag_id, 'created_at', a.created_at, 'updated_at', a.updated_at) ORDER BY r.dag_id)
              FROM dag_schedule_asset_reference r WHERE r.asset_id = a.id), '[]') AS scheduled_dags,
    coalesce((SELECT json_agg(json_build_object('dag_id', r.dag_id, 'task_id', r.task_id, 'created_at', a.created_at, 'updated_at', a.updated_at) ORDER BY r.dag_id, r.task_id)
              FROM task_outlet_asset_reference r WHERE r.asset_id = a.id), '[]') AS producing_tasks,
    (SELECT json_build_object('id', e.id, 'timestamp', e.timestamp) FROM asset_event e WHERE e.asset_id = a.id ORDER BY e.timestamp DESC, e.id DESC LIMIT 1) AS last_asset_event,
    count(*) OVER () AS total
  FROM asset a`;

const EVENT_SELECT = `
  SELECT e.*, a.uri, a.name, a."group",
    coalesce((SELECT json_agg(json_build_object('run_id', r.run_id, 'dag_id', r.dag_id, 'logical_date', r.logical_date, 'start_date', r.start_date,
                                                'end_date', r.end_date, 'state', r.state, 'data_interval_start', r.data_interval_start, 'data_interval_end', r.data_interval_end))
              FROM dag_run_asset_event x JOIN dag_run r ON r.id = x.dag_run_id WHERE x.event_id = e.id), '[]') AS created_dagruns,
    count(*) OVER () AS total
  FROM asset_event e JOIN asset a ON a.id = e.asset_id`;

type Row = Record<string, unknown>;

function assetResponse(r: Row) {
  return {
    id: Number(r.id),
    name: r.name,
    uri: r.uri,
    group: r.group,
    extra: r.extra,
    created_at: (r.created_at as Date).toISOString(),
    updated_at: (r.updated_at as Date).toISOString(),
    scheduled_dags: r.scheduled_dags,
    producing_tasks: r.producing_tasks,
    consuming_tasks: [],
    aliases: [],
    watchers: [],
    last_asset_event: r.last_asset_event ?? null,
  };
}

function eventResponse(r: Row) {
  return {
    id: Number(r.id),
    asset_id: Number(r.asset_id),
    uri: r.uri,
    name: r.name,
    group: r.group,
    extra: r.extra,
    source_task_id: r.source_task_id,
    source_dag_id: r.source_dag_id,
    source_run_id: r.source_run_id,
    source_map_index: r.source_map_index,
    created_dagruns: r.created_dagruns,
    timestamp: (r.timestamp as Date).toISOString(),
  };
}

export interface AssetRouteDeps {
  pool: pg.Pool;
  /** wakes a scheduler in this process: a new event may start asset-scheduled DAGs */
  onRunCreated?: (dagId: string) => void;
}

export function registerAssetRoutes(app: FastifyInstance, deps: AssetRouteDeps) {
  const { pool } = deps;

  app.get('/api/v2/assets', async (req) => {
    const q = req.query as Record<string, unknown>;
    const { limit, offset } = paging(q);
    const w = new Where();
    w.like('a.name', q.name_pattern);
    w.like('a.uri', q.uri_pattern);
    const dagIds = stringList(q.dag_ids, 'dag_ids').flatMap((d) => d.split(','));
    if (dagIds.length) w.add('EXISTS (SELECT 1 FROM dag_schedule_asset_reference r WHERE r.asset_id = a.id AND r.dag_id = ANY(?::text[]))', dagIds);
    const r = await pool.query(`${ASSET_SELECT} ${w.sql()} ORDER BY ${orderBy(q.order_by, ASSET_ORDER, 'id')} LIMIT ${limit} OFFSET ${offset}`, w.args);
    return { assets: r.rows.map(assetResponse), total_entries: Number(r.rows[0]?.total ?? 0) };
  });

  app.get('/api/v2/assets/:asset_id', async (req) => {
    const raw = (req.params as { asset_id: string }).asset_id;
    // not a number: another path (the asset aliases, which Updraft does not have)
    if (!/^\d+$/.test(raw)) throw notFound(`Not Found: GET ${req.url.split('?')[0]}`);
    const id = Number(raw);
    const r = await pool.query(`${ASSET_SELECT} WHERE a.id = $1`, [id]);
    if (!r.rows[0]) throw notFound(`The Asset with ID: \`${id}\` was not found`);
    return assetResponse(r.rows[0]);
  });

  app.get('/api/v2/assets/events', async (req) => {
    const q = req.query as Record<string, unknown>;
    const { limit, offset } = paging(q);
    const w = new Where();
    const assetId = intParam(q.asset_id, 'asset_id');
    if (assetId !== undefined) w.add('e.asset_id = ?', assetId);
    for (const column of ['source_dag_id', 'source_task_id', 'source_run_id'] as const) if (q[column] !== undefined) w.add(`e.${column} = ?`, String(q[column]));
    const mapIndex = intParam(q.source_map_index, 'source_map_index');
    if (mapIndex !== undefined) w.add('e.source_map_index = ?', mapIndex);
    w.like('a.name', q.name_pattern);
    w.ranges(q, { timestamp: 'e.timestamp' }, 'date');
    const r = await pool.query(`${EVENT_SELECT} ${w.sql()} ORDER BY ${orderBy(q.order_by, EVENT_ORDER, 'timestamp')} LIMIT ${limit} OFFSET ${offset}`, w.args);
    return { asset_events: r.rows.map(eventResponse), total_entries: Number(r.rows[0]?.total ?? 0) };
  });

  // an event from outside (a pipeline elsewhere updated the data): asset-scheduled DAGs react to it
  app.post('/api/v2/assets/events', async (req) => {
    const body = (req.body ?? {}) as { asset_id?: unknown; extra?: unknown };
    if (typeof body.asset_id !== 'number' || !Number.isInteger(body.asset_id)) throw badRequest('asset_id must be the integer id of an asset');
    if (body.extra !== undefined && (typeof body.extra !== 'object' || body.extra === null || Array.isArray(body.extra))) throw badRequest('extra must be an object');
    const asset = await pool.query<{ uri: string; name: string }>('SELECT uri, name FROM asset WHERE id = $1', [body.asset_id]);
    if (!asset.rows[0]) throw notFound(`Asset with ID: \`${body.asset_id}\` was not found`);
    const { event, queued } = await recordAssetEvent(pool, { ...asset.rows[0], extra: { ...((body.extra as Record<string, unknown>) ?? {}), from_rest_api: true } });
    await logEvent(pool, { event: 'create_asset_event', owner: req.user?.sub ?? null, extra: { asset_id: body.asset_id, uri: asset.rows[0].uri } });
    for (const dagId of queued) {
      deps.onRunCreated?.(dagId);
      await notifyScheduler(pool, dagId, 'run');
    }
    const r = await pool.query(`${EVENT_SELECT} WHERE e.id = $1`, [event.id]);
    return eventResponse(r.rows[0]);
  });

  const queuedWhere = (dagId: string, before: unknown) => {
    const w = new Where([dagId]);
    w.add('q.target_dag_id = $1');
    if (before !== undefined) w.add('q.created_at < ?::timestamptz', dateValue(before, 'before'));
    return w;
  };

  app.get('/api/v2/dags/:dag_id/assets/queuedEvents', async (req) => {
    const { dag_id } = req.params as { dag_id: string };
    const w = queuedWhere(dag_id, (req.query as { before?: unknown }).before);
    const r = await pool.query<{ asset_id: number; created_at: Date }>(`SELECT q.asset_id, q.created_at FROM asset_dag_run_queue q ${w.sql()} ORDER BY q.created_at`, w.args);
    return {
      queued_events: r.rows.map((row) => ({ dag_id, asset_id: Number(row.asset_id), created_at: row.created_at.toISOString(), dag_display_name: dag_id })),
      total_entries: r.rows.length,
    };
  });

  app.delete('/api/v2/dags/:dag_id/assets/queuedEvents', async (req, reply) => {
    const { dag_id } = req.params as { dag_id: string };
    const w = queuedWhere(dag_id, (req.query as { before?: unknown }).before);
    const r = await pool.query(`DELETE FROM asset_dag_run_queue q ${w.sql()}`, w.args);
    if (!r.rowCount) throw notFound(`Queue event with dag_id: \`${dag_id}\` was not found`);
    await logEvent(pool, { event: 'delete_dag_asset_queued_events', owner: req.user?.sub ?? null, dag_id, extra: { deleted: r.rowCount } });
    reply.code(204);
  });
}
