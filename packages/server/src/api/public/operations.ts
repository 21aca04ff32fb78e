/**
 * Changing runs and task instances by hand: PATCH a run (state, note), DELETE
 * a run, clear a run, PATCH a task instance (mark success/failed/skipped with
 * its relatives, note) and its dry run.
 */
import type { FastifyInstance } from 'fastify';
import type pg from 'pg';
import { getDagRun, setDagRunNote, type DagRunRow, type RunState } from '../../db/sql/dag-runs.ts';
import { logEvent } from '../../db/sql/event-log.ts';
import { setTiNote, type TaskInstanceRow } from '../../db/sql/task-instances.ts';
import { clearTaskInstances, tisToClear } from '../../scheduler/clear.ts';
import { deleteRun, markTaskInstances, setRunState, StateConflictError, tisToMark, type MarkRequest, type MarkState } from '../../scheduler/mark.ts';
import { BadRequestError, NotFoundError } from '../../scheduler/runs.ts';
import type { XComObjectStorage } from '../../xcom/object-storage.ts';
import { badRequest, conflict, HttpError, notFound } from '../errors.ts';
import { dagRunResponse, taskInstanceResponse } from '../serializers.ts';

/** A body that does not match the spec's schema: FastAPI's answer is 422. */
const unprocessable = (detail: string) => new HttpError(422, detail);

type Body = Record<string, unknown>;

function objectBody(raw: unknown, allowed: string[]): Body {
  const body = raw ?? {};
  if (typeof body !== 'object' || Array.isArray(body)) throw unprocessable('The body must be a JSON object');
  const unknown = Object.keys(body).filter((k) => !allowed.includes(k));
  if (unknown.length) throw unprocessable(`Extra inputs are not permitted: ${unknown.join(', ')}`);
  return body as Body;
}

function bool(body: Body, key: string, dflt: boolean): boolean {
  const v = body[key];
  if (v === undefined) return dflt;
  if (typeof v !== 'boolean') throw unprocessable(`${key} must be true or false`);
  return v;
}

function note(body: Body): string | null {
  const v = body.note;
  if (v === null) return null;
  if (typeof v !== 'string') throw unprocessable('note must be a string or null');
  if (v.length > 1000) throw unprocessable('note must be at most 1000 characters');
  return v;
}

function choice<T extends string>(body: Body, key: string, values: readonly T[]): T | null {
  const v = body[key];
  if (v === null || v === undefined) return null;
  if (!values.includes(v as T)) throw unprocessable(`${key} must be one of ${values.map((x) => `'${x}'`).join(', ')}, not ${JSON.stringify(v)}`);
  return v as T;
}

/** The fields to change: those in the body, narrowed by update_mask when given. */
function fieldsToUpdate(body: Body, query: unknown, allowed: string[]): Set<string> {
  const raw = (query as { update_mask?: unknown }).update_mask;
  if (raw === undefined) return new Set(Object.keys(body));
  const mask = (Array.isArray(raw) ? raw : [raw]).flatMap((m) => String(m).split(',')).map((m) => m.trim()).filter(Boolean);
  const wrong = mask.filter((m) => !allowed.includes(m));
  if (wrong.length) throw badRequest(`Invalid update_mask field(s): ${wrong.join(', ')}`);
  return new Set(mask);
}

function mapIndexOf(query: unknown): number | null {
  const raw = (query as { map_index?: unknown }).map_index;
  if (raw === undefined || raw === '') return null;
  const n = Number(raw);
  if (!Number.isInteger(n)) throw unprocessable('map_index must be an integer');
  return n;
}

const RUN_STATES = ['queued', 'success', 'failed'] as const;
const MARK_STATES = ['success', 'failed', 'skipped'] as const;
const TI_FIELDS = ['new_state', 'note', 'include_upstream', 'include_downstream', 'include_future', 'include_past'];

export function registerOperationRoutes(app: FastifyInstance, deps: { pool: pg.Pool; storage: XComObjectStorage }) {
  const { pool, storage } = deps;
  const owner = (req: { user?: { sub?: string } }) => req.user?.sub ?? null;

  const loadRun = async (dagId: string, runId: string): Promise<DagRunRow> => {
    const run = await getDagRun(pool, dagId, runId);
    if (!run) throw notFound(`The DagRun with dag_id: \`${dagId}\` and run_id: \`${runId}\` was not found`);
    return run;
  };

  const withRunDates = async (rows: TaskInstanceRow[]) => {
    const runs = new Map<string, DagRunRow | null>();
    const out = [];
    for (const t of rows) {
      if (!runs.has(t.run_id)) runs.set(t.run_id, await getDagRun(pool, t.dag_id, t.run_id));
      const run = runs.get(t.run_id);
      out.push(taskInstanceResponse({ ...t, logical_date: run?.logical_date ?? null, run_after: run?.run_after ?? new Date(0) }));
    }
    return { task_instances: out, total_entries: out.length };
  };

  const translate = (err: unknown): never => {
    if (err instanceof NotFoundError) throw notFound(err.message);
    if (err instanceof BadRequestError) throw badRequest(err.message);
    if (err instanceof StateConflictError) throw conflict(err.message);
    throw err;
  };

  app.patch('/api/v2/dags/:dag_id/dagRuns/:run_id', async (req) => {
    const { dag_id, run_id } = req.params as { dag_id: string; run_id: string };
    const body = objectBody(req.body, ['state', 'note']);
    const fields = fieldsToUpdate(body, req.query, ['state', 'note']);
    const state = choice<RunState>(body, 'state', RUN_STATES);
    const newNote = fields.has('note') ? note(body) : undefined;
    if (fields.has('state') && !state) throw badRequest('state must be given to update it');
    let run = await loadRun(dag_id, run_id);
    try {
      if (fields.has('state') && state) run = await setRunState(pool, run, state, owner(req));
    } catch (err) {
      translate(err);
    }
    if (newNote !== undefined) {
      run = (await setDagRunNote(pool, run.id, newNote)) ?? run;
      await logEvent(pool, { event: 'patch_dag_run_note', owner: owner(req), dag_id, run_id, extra: { note: newNote } });
    }
    return dagRunResponse(run);
  });

  app.delete('/api/v2/dags/:dag_id/dagRuns/:run_id', async (req, reply) => {
    const { dag_id, run_id } = req.params as { dag_id: string; run_id: string };
    if (!(await deleteRun(pool, storage, dag_id, run_id, owner(req)))) {
      throw notFound(`The DagRun with dag_id: \`${dag_id}\` and run_id: \`${run_id}\` was not found`);
    }
    return reply.code(204).send();
  });

  app.post('/api/v2/dags/:dag_id/dagRuns/:run_id/clear', async (req) => {
    const { dag_id, run_id } = req.params as { dag_id: string; run_id: string };
    const body = objectBody(req.body, ['dry_run', 'only_failed', 'run_on_latest_version']);
    const request = {
      dag_id,
      dag_run_id: run_id,
      dry_run: bool(body, 'dry_run', true),
      only_failed: bool(body, 'only_failed', false),
      reset_dag_runs: true,
      owner: owner(req),
    };
    bool(body, 'run_on_latest_version', false);
    await loadRun(dag_id, run_id);
    try {
      if (request.dry_run) {
        const tis = await tisToClear(pool, request);
        return { task_instances: tis.map(taskInstanceResponse), total_entries: tis.length };
      }
      await clearTaskInstances(pool, storage, request);
    } catch (err) {
      translate(err);
    }
    return dagRunResponse(await loadRun(dag_id, run_id));
  });

  const patchTi = async (req: { params: unknown; query: unknown; body: unknown; user?: { sub?: string } }, dryRun: boolean) => {
    const { dag_id, run_id, task_id } = req.params as { dag_id: string; run_id: string; task_id: string };
    const body = objectBody(req.body, TI_FIELDS);
    const fields = fieldsToUpdate(body, req.query, TI_FIELDS);
    const mapIndex = mapIndexOf(req.query);
    const newState = choice<MarkState>(body, 'new_state', MARK_STATES);
    const newNote = fields.has('note') ? note(body) : undefined;
    const markReq: MarkRequest = {
      dag_id,
      dag_run_id: run_id,
      task_id,
      map_index: mapIndex,
      new_state: newState ?? 'success',
      include_upstream: bool(body, 'include_upstream', false),
      include_downstream: bool(body, 'include_downstream', false),
      include_past: bool(body, 'include_past', false),
      include_future: bool(body, 'include_future', false),
      dry_run: dryRun,
      owner: owner(req),
    };
    if (fields.has('new_state') && !newState) throw badRequest('new_state must be given to update it');
    await loadRun(dag_id, run_id);
    const own = await pool.query<TaskInstanceRow>(
      'SELECT * FROM task_instance WHERE dag_id = $1 AND run_id = $2 AND task_id = $3 AND ($4::int IS NULL OR map_index = $4) ORDER BY map_index',
      [dag_id, run_id, task_id, mapIndex],
    );
    if (!own.rows.length) {
      throw notFound(`The Task Instance with dag_id: \`${dag_id}\`, run_id: \`${run_id}\`, task_id: \`${task_id}\` and map_index: \`${mapIndex ?? -1}\` was not found`);
    }
    try {
      if (dryRun) {
        if (fields.has('new_state')) return withRunDates(await tisToMark(pool, markReq));
        return withRunDates(own.rows);
      }
      let affected: TaskInstanceRow[] = [];
      if (fields.has('new_state')) affected = await markTaskInstances(pool, storage, markReq);
      if (newNote !== undefined) {
        for (const t of own.rows) await setTiNote(pool, t, newNote);
        await logEvent(pool, { event: 'patch_task_instance_note', owner: owner(req), dag_id, task_id, run_id, extra: { note: newNote, map_index: mapIndex } });
        if (!affected.length) affected = own.rows;
      }
      // as they are now
      const now = await pool.query<TaskInstanceRow>(
        `SELECT * FROM task_instance WHERE (dag_id, run_id, task_id, map_index) IN
           (SELECT * FROM unnest($1::text[], $2::text[], $3::text[], $4::int[])) ORDER BY run_id, task_id, map_index`,
        [affected.map((t) => t.dag_id), affected.map((t) => t.run_id), affected.map((t) => t.task_id), affected.map((t) => t.map_index)],
      );
      return withRunDates(now.rows);
    } catch (err) {
      return translate(err);
    }
  };

  app.patch('/api/v2/dags/:dag_id/dagRuns/:run_id/taskInstances/:task_id', (req) => patchTi(req, false));
  app.patch('/api/v2/dags/:dag_id/dagRuns/:run_id/taskInstances/:task_id/dry_run', (req) => patchTi(req, true));
  // the same with the map index in the path instead of the query
  const withMapIndex = (req: { params: unknown; query: unknown; body: unknown; user?: { sub?: string } }) => ({
    ...req,
    query: { ...(req.query as object), map_index: (req.params as { map_index: string }).map_index },
  });
  app.patch('/api/v2/dags/:dag_id/dagRuns/:run_id/taskInstances/:task_id/:map_index', (req) => patchTi(withMapIndex(req), false));
  app.patch('/api/v2/dags/:dag_id/dagRuns/:run_id/taskInstances/:task_id/:map_index/dry_run', (req) => patchTi(withMapIndex(req), true));
}
