/**
 * Listing DAG runs: GET /dags/{dag_id}/dagRuns with Airflow's filters (`~`
 * for every DAG), the batch form POST /dags/~/dagRuns/list, and
 * GET …/dagRuns/{run_id}/wait, which streams the run's state as NDJSON until
 * it finishes.
 */
import type { FastifyInstance } from 'fastify';
import type pg from 'pg';
import { getDagRun, type DagRunRow } from '../../db/sql/dag-runs.ts';
import { xcomValue, getXCom } from '../../db/sql/xcom.ts';
import type { XComObjectStorage } from '../../xcom/object-storage.ts';
import { visibleDags } from '../dag-access.ts';
import { notFound, unprocessable } from '../errors.ts';
import { dagRunResponse, VERSION_JOIN, VERSION_SELECT, type VersionColumns } from '../serializers.ts';
import { stringList, Where } from './filters.ts';
import { orderBy, paging } from './pagination.ts';

const RUN_STATES = ['queued', 'running', 'success', 'failed'];
const RUN_TYPES = ['backfill', 'scheduled', 'manual', 'asset_triggered', 'asset_materialization'];
const DURATION = 'extract(epoch FROM (r.end_date - r.start_date))';
const ORDER_COLUMNS = {
  id: 'r.id',
  state: 'r.state',
  dag_id: 'r.dag_id',
  run_id: 'r.run_id',
  dag_run_id: 'r.run_id',
  logical_date: 'r.logical_date',
  run_after: 'r.run_after',
  start_date: 'r.start_date',
  end_date: 'r.end_date',
  updated_at: 'coalesce(r.end_date, r.start_date, r.queued_at, r.run_after)',
  conf: 'r.conf::text',
  duration: DURATION,
  run_type: 'r.run_type',
  triggering_user_name: 'r.triggered_by',
};
const DATE_RANGES = { run_after: 'r.run_after', logical_date: 'r.logical_date', start_date: 'r.start_date', end_date: 'r.end_date', updated_at: 'coalesce(r.end_date, r.start_date, r.queued_at, r.run_after)' };

function checkedList(values: string[], allowed: string[], name: string): string[] {
  const wrong = values.filter((v) => !allowed.includes(v));
  if (wrong.length) throw unprocessable(`query: ${name} must be among ${allowed.join(', ')}, not ${wrong.join(', ')}`);
  return values;
}

/** Filters common to the GET list (query) and the batch list (body). */
function runFilters(w: Where, f: Record<string, unknown>) {
  w.ranges(f, DATE_RANGES, 'date').ranges(f, { duration: DURATION }, 'number');
  w.anyOf('r.state', checkedList(stringList(f.state ?? f.states, 'state').flatMap((x) => x.split(',')), RUN_STATES, 'state'));
  w.anyOf('r.run_type', checkedList(stringList(f.run_type, 'run_type').flatMap((x) => x.split(',')), RUN_TYPES, 'run_type'));
  if (f.conf_contains !== undefined && f.conf_contains !== null) w.add('r.conf::text ILIKE ?', `%${String(f.conf_contains)}%`);
  w.like('r.run_id', f.run_id_pattern).like('r.triggered_by', f.triggering_user_name_pattern).like('r.dag_id', f.dag_id_pattern);
  return w;
}

export function registerDagRunListRoutes(app: FastifyInstance, deps: { pool: pg.Pool; storage: XComObjectStorage }) {
  const { pool, storage } = deps;

  const list = async (w: Where, order: string, limit: number, offset: number) => {
    const total = await pool.query<{ n: number }>(`SELECT count(*)::int AS n FROM dag_run r ${w.sql()}`, w.args);
    const rows = await pool.query<DagRunRow & VersionColumns>(
      `SELECT r.*, ${VERSION_SELECT('r')} FROM dag_run r ${VERSION_JOIN('r')} ${w.sql()} ORDER BY ${order}, r.id LIMIT $${w.args.length + 1} OFFSET $${w.args.length + 2}`,
      [...w.args, limit, offset],
    );
    return { dag_runs: rows.rows.map(dagRunResponse), total_entries: total.rows[0].n };
  };

  const dagMustExist = async (dagId: string) => {
    if (dagId === '~') return;
    const r = await pool.query('SELECT 1 FROM dag WHERE dag_id = $1', [dagId]);
    if (!r.rowCount) throw notFound(`The DAG with dag_id: \`${dagId}\` was not found`);
  };

  app.get('/api/v2/dags/:dag_id/dagRuns', async (req) => {
    const { dag_id } = req.params as { dag_id: string };
    const q = req.query as Record<string, unknown>;
    const { limit, offset } = paging(q);
    await dagMustExist(dag_id);
    const w = new Where();
    if (dag_id !== '~') w.add('r.dag_id = ?', dag_id);
    else w.visible('r.dag_id', visibleDags(req));
    runFilters(w, q);
    return list(w, orderBy(q.order_by, ORDER_COLUMNS, 'id'), limit, offset);
  });

  app.post('/api/v2/dags/:dag_id/dagRuns/list', async (req) => {
    const { dag_id } = req.params as { dag_id: string };
    const body = req.body ?? {};
    if (typeof body !== 'object' || Array.isArray(body)) throw unprocessable('The body must be a JSON object (DAGRunsBatchBody)');
    const b = body as Record<string, unknown>;
    const allowed = ['order_by', 'page_offset', 'page_limit', 'dag_ids', 'states', 'conf_contains', ...['run_after', 'logical_date', 'start_date', 'end_date', 'duration'].flatMap((p) => ['gte', 'gt', 'lte', 'lt'].map((s) => `${p}_${s}`))];
    const extra = Object.keys(b).filter((k) => !allowed.includes(k));
    if (extra.length) throw unprocessable(`Extra inputs are not permitted: ${extra.join(', ')}`);
    const limit = b.page_limit ?? 100;
    const offset = b.page_offset ?? 0;
    if (!Number.isInteger(limit) || (limit as number) < 0 || !Number.isInteger(offset) || (offset as number) < 0) throw unprocessable('page_limit and page_offset must be non-negative integers');
    for (const k of ['dag_ids', 'states']) if (b[k] !== undefined && b[k] !== null && !Array.isArray(b[k])) throw unprocessable(`${k} must be a list`);
    // the batch form is only for `~` (all DAGs, narrowed by dag_ids), as in Airflow
    if (dag_id !== '~') throw unprocessable('Use ~ as the dag_id and dag_ids in the body to list runs of several DAGs');
    const w = new Where().visible('r.dag_id', visibleDags(req));
    const dagIds = stringList(b.dag_ids, 'dag_ids');
    w.anyOf('r.dag_id', dagIds);
    runFilters(w, { ...b, state: (b.states as unknown[] | undefined)?.filter((x) => x !== null) });
    return list(w, orderBy(b.order_by ?? undefined, ORDER_COLUMNS, 'id'), limit as number, offset as number);
  });

  app.get('/api/v2/dags/:dag_id/dagRuns/:run_id/wait', async (req, reply) => {
    const { dag_id, run_id } = req.params as { dag_id: string; run_id: string };
    const q = req.query as Record<string, unknown>;
    const interval = Number(q.interval);
    if (q.interval === undefined || !Number.isFinite(interval) || interval <= 0) throw unprocessable('query: interval is required: seconds between state lines, greater than 0');
    const resultTasks = stringList(q.result, 'result');
    let run = await getDagRun(pool, dag_id, run_id);
    if (!run) throw notFound(`The DagRun with dag_id: \`${dag_id}\` and run_id: \`${run_id}\` was not found`);
    // a stream of lines until the run ends: written on the socket directly, outside fastify's reply
    reply.hijack();
    reply.raw.writeHead(200, { 'content-type': 'application/x-ndjson', 'cache-control': 'no-cache' });
    let closed = false;
    // the response closes early only when the client went away
    reply.raw.on('close', () => (closed = true));
    try {
      while (run && (run.state === 'queued' || run.state === 'running') && !closed) {
        reply.raw.write(`${JSON.stringify({ state: run.state })}\n`);
        await new Promise((r) => setTimeout(r, interval * 1000));
        run = await getDagRun(pool, dag_id, run_id);
      }
      if (!closed) {
        const last: Record<string, unknown> = { state: run?.state ?? 'deleted' };
        if (run && resultTasks.length) {
          const results: Record<string, unknown> = {};
          for (const task_id of resultTasks) {
            const x = await getXCom(pool, { dag_id, run_id, task_id, map_index: -1 }, 'return_value');
            if (x) results[task_id] = await xcomValue(storage, x);
          }
          last.results = results;
        }
        reply.raw.write(`${JSON.stringify(last)}\n`);
      }
    } catch (err) {
      // the status line went out already: the failure becomes the last line
      reply.raw.write(`${JSON.stringify({ error: (err as Error).message })}\n`);
    }
    reply.raw.end();
  });
}
