/**
 * What is known about DAGs besides the DAGs themselves: their source code,
 * run counts by state (dagStats), tags, warnings and versions.
 */
import type { FastifyInstance, FastifyRequest } from 'fastify';
import type pg from 'pg';
import { visibleDags } from '../dag-access.ts';
import { HttpError, notFound, unprocessable } from '../errors.ts';
import { intParam, stringList, Where } from './filters.ts';
import { orderBy, paging } from './pagination.ts';
import { dagVersionResponse } from '../serializers.ts';

const RUN_STATES = ['queued', 'running', 'success', 'failed'] as const;

const dagMissing = (dagId: string) => notFound(`DAG with dag_id: '${dagId}' not found`);

export function registerDagMetadataRoutes(app: FastifyInstance, pool: pg.Pool) {
  const dagExists = async (dagId: string) => {
    const r = await pool.query<{ fileloc: string; latest_version: number | null }>(
      'SELECT d.fileloc, (SELECT max(version_number) FROM dag_version v WHERE v.dag_id = d.dag_id) AS latest_version FROM dag d WHERE d.dag_id = $1',
      [dagId],
    );
    if (!r.rows[0]) throw dagMissing(dagId);
    return r.rows[0];
  };

  app.get('/api/v2/dagSources/:dag_id', async (req: FastifyRequest, reply) => {
    const { dag_id } = req.params as { dag_id: string };
    const wanted = intParam((req.query as Record<string, unknown>).version_number, 'version_number');
    const dag = await dagExists(dag_id);
    // only the current source of each file is kept, so it belongs to the latest version
    if (wanted !== undefined && wanted !== dag.latest_version) throw notFound(`The source of version ${wanted} of DAG ${dag_id} is not kept (only the latest, ${dag.latest_version ?? 'none'})`);
    const code = await pool.query<{ source: string }>('SELECT source FROM dag_code WHERE fileloc = $1', [dag.fileloc]);
    const content = code.rows[0]?.source ?? null;
    const accept = String(req.headers.accept ?? '*/*');
    if (accept.includes('text/plain')) return reply.type('text/plain; charset=utf-8').send(content ?? '');
    if (!accept.includes('application/json') && !accept.includes('*/*')) throw new HttpError(406, 'Only application/json or text/plain is supported');
    return { content, dag_id, version_number: dag.latest_version, dag_display_name: dag_id };
  });

  app.get('/api/v2/dagStats', async (req) => {
    const dagIds = stringList((req.query as Record<string, unknown>).dag_ids, 'dag_ids').flatMap((d) => d.split(','));
    const w = new Where().add('d.is_active').anyOf('d.dag_id', dagIds).visible('d.dag_id', visibleDags(req));
    const r = await pool.query<{ dag_id: string; state: string | null; n: number }>(
      `SELECT d.dag_id, r.state, count(r.id)::int AS n FROM dag d LEFT JOIN dag_run r ON r.dag_id = d.dag_id ${w.sql()} GROUP BY d.dag_id, r.state ORDER BY d.dag_id`,
      w.args,
    );
    const byDag = new Map<string, Record<string, number>>();
    for (const row of r.rows) {
      const counts = byDag.get(row.dag_id) ?? {};
      if (row.state) counts[row.state] = row.n;
      byDag.set(row.dag_id, counts);
    }
    const dags = [...byDag.entries()].map(([dag_id, counts]) => ({
      dag_id,
      dag_display_name: dag_id,
      stats: RUN_STATES.map((state) => ({ state, count: counts[state] ?? 0 })),
    }));
    return { dags, total_entries: dags.length };
  });

  app.get('/api/v2/dagTags', async (req) => {
    const q = req.query as Record<string, unknown>;
    const { limit, offset } = paging(q);
    // tags of the DAGs the user may see: that list, when there is one, is bound first, as $1
    const visible = visibleDags(req);
    const w = new Where(visible === null ? [] : [visible]).like('tag', q.tag_name_pattern);
    const order = orderBy(q.order_by, { name: 'tag' }, 'name');
    const tags = `SELECT DISTINCT unnest(tags) AS tag FROM dag WHERE is_active${visible === null ? '' : ' AND dag_id = ANY($1::text[])'}`;
    const total = await pool.query<{ n: number }>(`SELECT count(*)::int AS n FROM (${tags}) t ${w.sql()}`, w.args);
    const rows = await pool.query<{ tag: string }>(`SELECT tag FROM (${tags}) t ${w.sql()} ORDER BY ${order} LIMIT $${w.args.length + 1} OFFSET $${w.args.length + 2}`, [...w.args, limit, offset]);
    return { tags: rows.rows.map((t) => t.tag), total_entries: total.rows[0].n };
  });

  // warnings are computed, not stored: a task naming a pool that does not exist is the one Updraft detects
  app.get('/api/v2/dagWarnings', async (req) => {
    const q = req.query as Record<string, unknown>;
    const { limit, offset } = paging(q);
    if (q.warning_type !== undefined && !['asset conflict', 'non-existent pool', 'runtime varying value'].includes(String(q.warning_type))) {
      throw unprocessable(`query: warning_type must be one of 'asset conflict', 'non-existent pool', 'runtime varying value'`);
    }
    const order = orderBy(q.order_by, { dag_id: 'dag_id', warning_type: 'warning_type', timestamp: 'timestamp', message: 'message' }, 'dag_id');
    const w = new Where().visible('dag_id', visibleDags(req));
    if (q.dag_id !== undefined) w.add('dag_id = ?', String(q.dag_id));
    if (q.warning_type !== undefined) w.add('warning_type = ?', String(q.warning_type));
    const warnings = `
      SELECT d.dag_id, 'non-existent pool' AS warning_type, coalesce(d.last_parsed_time, v.created_at) AS timestamp,
             'Dag ''' || d.dag_id || ''' references non-existent pools: ' || string_agg(DISTINCT t.pool, ', ' ORDER BY t.pool) AS message
      FROM dag d
      JOIN dag_version v ON v.id = d.latest_version_id
      CROSS JOIN LATERAL jsonb_to_recordset(v.data -> 'tasks') AS t(pool text)
      WHERE d.is_active AND t.pool IS NOT NULL AND NOT EXISTS (SELECT 1 FROM slot_pool p WHERE p.pool = t.pool)
      GROUP BY d.dag_id, d.last_parsed_time, v.created_at`;
    const total = await pool.query<{ n: number }>(`SELECT count(*)::int AS n FROM (${warnings}) w ${w.sql()}`, w.args);
    const rows = await pool.query<{ dag_id: string; warning_type: string; timestamp: Date; message: string }>(
      `SELECT * FROM (${warnings}) w ${w.sql()} ORDER BY ${order} LIMIT $${w.args.length + 1} OFFSET $${w.args.length + 2}`,
      [...w.args, limit, offset],
    );
    return {
      dag_warnings: rows.rows.map((x) => ({ dag_id: x.dag_id, warning_type: x.warning_type, message: x.message, timestamp: x.timestamp.toISOString(), dag_display_name: x.dag_id })),
      total_entries: total.rows[0].n,
    };
  });

  app.get('/api/v2/dags/:dag_id/dagVersions', async (req) => {
    const { dag_id } = req.params as { dag_id: string };
    const q = req.query as Record<string, unknown>;
    const { limit, offset } = paging(q);
    const w = new Where();
    if (dag_id !== '~') {
      await dagExists(dag_id);
      w.add('dag_id = ?', dag_id);
    } else w.visible('dag_id', visibleDags(req));
    const version = intParam(q.version_number, 'version_number');
    if (version !== undefined) w.add('version_number = ?', version);
    if (q.bundle_name !== undefined && q.bundle_name !== 'dags-folder') w.add('false');
    const order = orderBy(q.order_by, { id: 'id', version_number: 'version_number', bundle_name: 'id', bundle_version: 'id', created_at: 'created_at' }, 'id');
    const total = await pool.query<{ n: number }>(`SELECT count(*)::int AS n FROM dag_version ${w.sql()}`, w.args);
    const rows = await pool.query<{ id: string; version_number: number; dag_id: string; created_at: Date }>(
      `SELECT id, version_number, dag_id, created_at FROM dag_version ${w.sql()} ORDER BY ${order} LIMIT $${w.args.length + 1} OFFSET $${w.args.length + 2}`,
      [...w.args, limit, offset],
    );
    return { dag_versions: rows.rows.map(dagVersionResponse), total_entries: total.rows[0].n };
  });

  app.get('/api/v2/dags/:dag_id/dagVersions/:version_number', async (req) => {
    const { dag_id, version_number } = req.params as { dag_id: string; version_number: string };
    const n = Number(version_number);
    if (!Number.isInteger(n)) throw unprocessable('path: version_number must be an integer');
    const r = await pool.query<{ id: string; version_number: number; dag_id: string; created_at: Date }>(
      'SELECT id, version_number, dag_id, created_at FROM dag_version WHERE dag_id = $1 AND version_number = $2',
      [dag_id, n],
    );
    if (!r.rows[0]) throw notFound(`The DagVersion with dag_id: \`${dag_id}\` and version_number: \`${n}\` was not found`);
    return dagVersionResponse(r.rows[0]);
  });
}

