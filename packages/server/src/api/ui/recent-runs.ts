/** The DAG list's "recent runs" column for a page of DAGs in one request (rather than one per DAG). */
import type { FastifyInstance } from 'fastify';
import type pg from 'pg';
import type { DagRunRow } from '../../db/sql/dag-runs.ts';
import { visibleDags } from '../dag-access.ts';
import { badRequest } from '../errors.ts';

export function registerUiRecentRuns(app: FastifyInstance, pool: pg.Pool) {
  app.get('/ui/dags/recent_runs', async (req) => {
    const q = req.query as { dag_ids?: string | string[]; limit?: string };
    const visible = visibleDags(req);
    const asked = q.dag_ids === undefined ? [] : Array.isArray(q.dag_ids) ? q.dag_ids : q.dag_ids.split(',');
    // DAGs the user may not read get no entry at all, not even an empty one
    const dagIds = visible === null ? asked : asked.filter((id) => visible.includes(id));
    const limit = q.limit === undefined ? 10 : Number(q.limit);
    if (!Number.isInteger(limit) || limit < 1 || limit > 50) throw badRequest('limit must be an integer from 1 to 50');
    const rows = await pool.query<Pick<DagRunRow, 'dag_id' | 'run_id' | 'state' | 'run_type' | 'logical_date' | 'run_after' | 'start_date' | 'end_date'>>(
      `SELECT dag_id, run_id, state, run_type, logical_date, run_after, start_date, end_date
         FROM (SELECT r.*, row_number() OVER (PARTITION BY dag_id ORDER BY run_after DESC, id DESC) AS n
                 FROM dag_run r WHERE dag_id = ANY($1::text[])) ranked
        WHERE n <= $2
        ORDER BY dag_id, run_after`,
      [dagIds, limit],
    );
    const runs: Record<string, unknown[]> = Object.fromEntries(dagIds.map((id) => [id, []]));
    for (const r of rows.rows) {
      runs[r.dag_id].push({
        dag_run_id: r.run_id,
        state: r.state,
        run_type: r.run_type,
        logical_date: r.logical_date?.toISOString() ?? null,
        run_after: r.run_after.toISOString(),
        start_date: r.start_date?.toISOString() ?? null,
        end_date: r.end_date?.toISOString() ?? null,
      });
    }
    return { dag_runs: runs };
  });
}
