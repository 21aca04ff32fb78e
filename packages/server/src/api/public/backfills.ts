/**
 * /api/v2/backfills…: list, get, create, dry run, pause, unpause, cancel
 * (Airflow 3's Backfill endpoints), and the progress of one backfill for the
 * CLI's progress bar (a /ui route: the public API has no such counts).
 */
import type { FastifyInstance, FastifyRequest } from 'fastify';
import type pg from 'pg';
import { backfillProgress, getBackfill, listBackfills, REPROCESS_BEHAVIORS, type BackfillRow, type ReprocessBehavior } from '../../db/sql/backfills.ts';
import { logEvent } from '../../db/sql/event-log.ts';
import {
  BackfillConflictError,
  cancelBackfill,
  createBackfill,
  dryRunBackfill,
  InvalidBackfillError,
  parseBackfillDate,
  setPausedBackfill,
  type BackfillRequest,
} from '../../scheduler/backfill.ts';
import { BadRequestError, NotFoundError } from '../../scheduler/runs.ts';
import { badRequest, conflict, notFound, unprocessable } from '../errors.ts';
import { orderBy, paging } from './pagination.ts';

const BODY_FIELDS = ['dag_id', 'from_date', 'to_date', 'dag_run_conf', 'max_active_runs', 'reprocess_behavior', 'run_backwards', 'run_on_latest_version'];

export function backfillResponse(b: BackfillRow) {
  return {
    id: b.id,
    dag_id: b.dag_id,
    from_date: b.from_date.toISOString(),
    to_date: b.to_date.toISOString(),
    dag_run_conf: b.dag_run_conf,
    is_paused: b.is_paused,
    reprocess_behavior: b.reprocess_behavior,
    max_active_runs: b.max_active_runs,
    created_at: b.created_at.toISOString(),
    completed_at: b.completed_at?.toISOString() ?? null,
    updated_at: b.updated_at.toISOString(),
    dag_display_name: b.dag_id,
  };
}

/** BackfillPostBody, checked field by field so that a typo or a wrong type is a 422 that names it. */
function parseBody(body: unknown, user: string | null): BackfillRequest {
  if (!body || typeof body !== 'object' || Array.isArray(body)) throw unprocessable('The body must be a JSON object with dag_id, from_date and to_date');
  const b = body as Record<string, unknown>;
  const extra = Object.keys(b).filter((k) => !BODY_FIELDS.includes(k));
  if (extra.length) throw unprocessable(`Extra inputs are not permitted: ${extra.join(', ')}`);
  if (typeof b.dag_id !== 'string' || !b.dag_id) throw unprocessable('dag_id is required (a string)');
  const date = (k: 'from_date' | 'to_date') => {
    if (typeof b[k] !== 'string') throw unprocessable(`${k} is required (an ISO 8601 date-time)`);
    const d = parseBackfillDate(b[k] as string);
    if (!d) throw unprocessable(`${k} is not a valid date-time: ${JSON.stringify(b[k])}`);
    return d;
  };
  const from = date('from_date');
  const to = date('to_date');
  if (b.dag_run_conf !== undefined && (b.dag_run_conf === null || typeof b.dag_run_conf !== 'object' || Array.isArray(b.dag_run_conf))) {
    throw unprocessable('dag_run_conf must be a JSON object');
  }
  if (b.max_active_runs !== undefined && b.max_active_runs !== null && (!Number.isInteger(b.max_active_runs) || (b.max_active_runs as number) < 1)) {
    throw unprocessable(`max_active_runs must be a positive integer, not ${JSON.stringify(b.max_active_runs)}`);
  }
  if (b.reprocess_behavior !== undefined && !REPROCESS_BEHAVIORS.includes(b.reprocess_behavior as ReprocessBehavior)) {
    throw unprocessable(`reprocess_behavior must be one of ${REPROCESS_BEHAVIORS.join(', ')}, not ${JSON.stringify(b.reprocess_behavior)}`);
  }
  for (const k of ['run_backwards', 'run_on_latest_version']) {
    if (b[k] !== undefined && typeof b[k] !== 'boolean') throw unprocessable(`${k} must be true or false`);
  }
  return {
    dag_id: b.dag_id,
    from_date: from,
    to_date: to,
    dag_run_conf: b.dag_run_conf ?? {},
    max_active_runs: (b.max_active_runs as number | null | undefined) ?? null,
    reprocess_behavior: (b.reprocess_behavior as ReprocessBehavior | undefined) ?? 'none',
    run_backwards: (b.run_backwards as boolean | undefined) ?? false,
    triggering_user_name: user,
  };
}

/** Errors of the backfill functions as Airflow's status codes. */
function httpError(err: unknown, badRequestStatus: 400 | 422 = 400): unknown {
  if (err instanceof NotFoundError) return notFound(err.message);
  if (err instanceof InvalidBackfillError) return unprocessable(err.message);
  if (err instanceof BackfillConflictError) return conflict(err.message);
  if (err instanceof BadRequestError) return badRequestStatus === 400 ? badRequest(err.message) : unprocessable(err.message);
  return err;
}

function backfillId(req: FastifyRequest): number {
  const raw = (req.params as { backfill_id: string }).backfill_id;
  const id = Number(raw);
  if (!/^\d+$/.test(raw) || !Number.isSafeInteger(id)) throw unprocessable(`path: backfill_id must be a non-negative integer, not '${raw}'`);
  return id;
}

export function registerBackfillRoutes(app: FastifyInstance, deps: { pool: pg.Pool; onCreated?: (dagId: string) => void }) {
  const { pool } = deps;

  app.get('/api/v2/backfills', async (req) => {
    const query = req.query as Record<string, unknown>;
    const { limit, offset } = paging(query);
    const order = orderBy(query.order_by, { id: 'id', dag_id: 'dag_id', created_at: 'created_at', completed_at: 'completed_at' }, 'id');
    const dagId = typeof query.dag_id === 'string' && query.dag_id ? query.dag_id : null;
    const { rows, total } = await listBackfills(pool, { dag_id: dagId, limit, offset, orderBy: order });
    return { backfills: rows.map(backfillResponse), total_entries: total };
  });

  app.post('/api/v2/backfills', async (req) => {
    const request = parseBody(req.body, req.user?.sub ?? null);
    try {
      const row = await createBackfill(pool, request);
      await logEvent(pool, { event: 'create_backfill', owner: req.user?.sub ?? null, dag_id: row.dag_id, extra: { backfill_id: row.id, ...(req.body as object) } });
      deps.onCreated?.(row.dag_id);
      return backfillResponse(row);
    } catch (err) {
      throw httpError(err);
    }
  });

  app.post('/api/v2/backfills/dry_run', async (req) => {
    const request = parseBody(req.body, req.user?.sub ?? null);
    try {
      const dates = await dryRunBackfill(pool, request);
      return { backfills: dates.map((d) => ({ logical_date: d.toISOString(), partition_key: null, partition_date: null })), total_entries: dates.length };
    } catch (err) {
      // the spec declares no 400 for the dry run
      throw httpError(err, 422);
    }
  });

  app.get('/api/v2/backfills/:backfill_id', async (req) => {
    const id = backfillId(req);
    const row = await getBackfill(pool, id);
    if (!row) throw notFound(`Could not find the backfill with id ${id}`);
    return backfillResponse(row);
  });

  for (const action of ['pause', 'unpause', 'cancel'] as const) {
    app.put(`/api/v2/backfills/:backfill_id/${action}`, async (req) => {
      const id = backfillId(req);
      try {
        const row = action === 'cancel' ? await cancelBackfill(pool, id) : await setPausedBackfill(pool, id, action === 'pause');
        await logEvent(pool, { event: `${action}_backfill`, owner: req.user?.sub ?? null, dag_id: row.dag_id, extra: { backfill_id: id } });
        if (action === 'unpause') deps.onCreated?.(row.dag_id);
        return backfillResponse(row);
      } catch (err) {
        throw httpError(err);
      }
    });
  }

  app.get('/ui/backfills/:backfill_id/progress', async (req) => {
    const id = backfillId(req);
    const row = await getBackfill(pool, id);
    if (!row) throw notFound(`Could not find the backfill with id ${id}`);
    return { backfill: backfillResponse(row), progress: await backfillProgress(pool, id) };
  });
}
