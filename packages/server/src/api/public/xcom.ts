/**
 * /api/v2/dags/{dag_id}/dagRuns/{dag_run_id}/taskInstances/{task_id}/xcomEntries:
 * list and get, with offloaded values fetched from object storage as if they
 * were in the database. `~` in the path means "any", as in Airflow.
 */
import type { FastifyInstance } from 'fastify';
import type pg from 'pg';
import { logEvent } from '../../db/sql/event-log.ts';
import { deleteXCom, getXCom, listXComEntries, setXCom, xcomValue, type XComEntryRow } from '../../db/sql/xcom.ts';
import type { XComObjectStorage } from '../../xcom/object-storage.ts';
import { visibleDags } from '../dag-access.ts';
import { badRequest, notFound, unprocessable } from '../errors.ts';
import { boolParam, paging } from './pagination.ts';
import { Where } from './filters.ts';

const BASE = '/api/v2/dags/:dag_id/dagRuns/:dag_run_id/taskInstances/:task_id/xcomEntries';

function entry(x: XComEntryRow) {
  return {
    key: x.key,
    timestamp: x.timestamp.toISOString(),
    logical_date: x.logical_date?.toISOString() ?? null,
    map_index: x.map_index,
    task_id: x.task_id,
    dag_id: x.dag_id,
    run_id: x.run_id,
    dag_display_name: x.dag_id,
    task_display_name: x.task_id,
    run_after: x.run_after.toISOString(),
  };
}

function mapIndexParam(value: unknown): number | undefined {
  if (value === undefined || value === '') return undefined;
  const n = Number(value);
  if (!Number.isInteger(n) || n < -1) throw badRequest('map_index must be an integer of at least -1');
  return n;
}

/** XComCreateBody / XComUpdateBody: value (any JSON), map_index, and key when creating. */
function xcomBody(raw: unknown, creating: boolean): { key?: string; value: unknown; map_index: number } {
  if (!raw || typeof raw !== 'object' || Array.isArray(raw)) throw unprocessable('The body must be a JSON object {"key": …, "value": …, "map_index": …}');
  const b = raw as Record<string, unknown>;
  const allowed = creating ? ['key', 'value', 'map_index'] : ['value', 'map_index'];
  const extra = Object.keys(b).filter((k) => !allowed.includes(k));
  if (extra.length) throw unprocessable(`Extra inputs are not permitted: ${extra.join(', ')}`);
  if (creating && (typeof b.key !== 'string' || !b.key || b.key.length > 512)) throw unprocessable('key must be a non-empty string');
  if (!('value' in b)) throw unprocessable('value is required');
  const mapIndex = b.map_index ?? -1;
  if (!Number.isInteger(mapIndex) || (mapIndex as number) < -1) throw unprocessable('map_index must be an integer of at least -1');
  return { key: b.key as string | undefined, value: b.value, map_index: mapIndex as number };
}

export function registerXComRoutes(app: FastifyInstance, deps: { pool: pg.Pool; storage: XComObjectStorage }) {
  const { pool, storage } = deps;
  const any = (v: string) => (v === '~' ? null : v);

  app.get(BASE, async (req) => {
    const p = req.params as { dag_id: string; dag_run_id: string; task_id: string };
    const q = req.query as Record<string, unknown>;
    const { limit, offset } = paging(q);
    const w = new Where();
    if (any(p.dag_id) !== null) w.add('x.dag_id = ?', p.dag_id);
    else w.visible('x.dag_id', visibleDags(req));
    if (any(p.dag_run_id) !== null) w.add('x.run_id = ?', p.dag_run_id);
    if (any(p.task_id) !== null) w.add('x.task_id = ?', p.task_id);
    if (q.xcom_key !== undefined) w.add('x.key = ?', String(q.xcom_key));
    const mapIndex = mapIndexParam(q.map_index ?? q.map_index_filter);
    if (mapIndex !== undefined) w.add('x.map_index = ?', mapIndex);
    w.like('x.key', q.xcom_key_pattern).like('x.dag_id', q.dag_display_name_pattern).like('x.run_id', q.run_id_pattern).like('x.task_id', q.task_id_pattern);
    w.ranges(q, { logical_date: 'r.logical_date', run_after: 'r.run_after' }, 'date');
    const from = `FROM xcom x JOIN dag_run r ON r.dag_id = x.dag_id AND r.run_id = x.run_id ${w.sql()}`;
    const total = await pool.query<{ n: number }>(`SELECT count(*)::int AS n ${from}`, w.args);
    const rows = await pool.query<XComEntryRow>(
      `SELECT x.*, r.logical_date, r.run_after ${from} ORDER BY x.dag_id, x.run_id, x.task_id, x.map_index, x.key LIMIT $${w.args.length + 1} OFFSET $${w.args.length + 2}`,
      [...w.args, limit, offset],
    );
    return { xcom_entries: rows.rows.map(entry), total_entries: total.rows[0].n };
  });


  app.get(`${BASE}/:xcom_key`, async (req) => {
    const p = req.params as { dag_id: string; dag_run_id: string; task_id: string; xcom_key: string };
    const q = req.query as Record<string, unknown>;
    const mapIndex = mapIndexParam(q.map_index) ?? -1;
    const { entries } = await listXComEntries(pool, { dag_id: p.dag_id, run_id: p.dag_run_id, task_id: p.task_id, key: p.xcom_key, map_index: mapIndex, limit: 1, offset: 0 });
    const x = entries[0];
    if (!x) throw notFound(`XCom entry with key: \`${p.xcom_key}\` not found`);
    const value = await xcomValue(storage, x);
    return { ...entry(x), value: boolParam(q.stringify) ? JSON.stringify(value) : value };
  });

  /** Writes a value set by hand, offloading it like a task's push would, and removes the object it replaced. */
  const write = async (p: { dag_id: string; dag_run_id: string; task_id: string }, key: string, mapIndex: number, value: unknown) => {
    const ti = { dag_id: p.dag_id, run_id: p.dag_run_id, task_id: p.task_id, map_index: mapIndex };
    const json = JSON.stringify(value);
    const ref = storage.shouldOffload(Buffer.byteLength(json)) ? await storage.put({ ...ti, key }, json) : null;
    const replaced = await setXCom(pool, { ...ti, key, json: ref ? null : json, value_ref: ref });
    if (replaced) await storage.remove([replaced]);
    const { entries } = await listXComEntries(pool, { dag_id: p.dag_id, run_id: p.dag_run_id, task_id: p.task_id, key, map_index: mapIndex, limit: 1, offset: 0 });
    return { ...entry(entries[0]), value };
  };

  const taskInstanceMustExist = async (p: { dag_id: string; dag_run_id: string; task_id: string }, mapIndex: number) => {
    const r = await pool.query('SELECT 1 FROM task_instance WHERE dag_id = $1 AND run_id = $2 AND task_id = $3 AND map_index = $4', [p.dag_id, p.dag_run_id, p.task_id, mapIndex]);
    if (!r.rowCount) throw notFound(`Task Instance not found for dag_id=${p.dag_id}, run_id=${p.dag_run_id}, task_id=${p.task_id}, map_index=${mapIndex}`);
  };

  app.post(BASE, async (req, reply) => {
    const p = req.params as { dag_id: string; dag_run_id: string; task_id: string };
    const body = xcomBody(req.body, true);
    const key = body.key as string;
    await taskInstanceMustExist(p, body.map_index);
    if (await getXCom(pool, { dag_id: p.dag_id, run_id: p.dag_run_id, task_id: p.task_id, map_index: body.map_index }, key)) {
      throw badRequest(`The XCom with key: \`${key}\` with mentioned task instance already exists.`);
    }
    const created = await write(p, key, body.map_index, body.value);
    await logEvent(pool, { event: 'create_xcom_entry', owner: req.user?.sub ?? null, dag_id: p.dag_id, run_id: p.dag_run_id, task_id: p.task_id, extra: { key, map_index: body.map_index } });
    reply.code(201);
    return created;
  });

  app.patch(`${BASE}/:xcom_key`, async (req) => {
    const p = req.params as { dag_id: string; dag_run_id: string; task_id: string; xcom_key: string };
    const body = xcomBody(req.body, false);
    if (!(await getXCom(pool, { dag_id: p.dag_id, run_id: p.dag_run_id, task_id: p.task_id, map_index: body.map_index }, p.xcom_key))) {
      throw notFound(`The XCom with key: \`${p.xcom_key}\` with mentioned task instance doesn't exist.`);
    }
    const updated = await write(p, p.xcom_key, body.map_index, body.value);
    await logEvent(pool, { event: 'update_xcom_entry', owner: req.user?.sub ?? null, dag_id: p.dag_id, run_id: p.dag_run_id, task_id: p.task_id, extra: { key: p.xcom_key, map_index: body.map_index } });
    return updated;
  });

  app.delete(`${BASE}/:xcom_key`, async (req, reply) => {
    const p = req.params as { dag_id: string; dag_run_id: string; task_id: string; xcom_key: string };
    const mapIndex = mapIndexParam((req.query as Record<string, unknown>).map_index) ?? -1;
    const gone = await deleteXCom(pool, { dag_id: p.dag_id, run_id: p.dag_run_id, task_id: p.task_id, map_index: mapIndex }, p.xcom_key);
    if (!gone) throw notFound(`The XCom with key: \`${p.xcom_key}\` with mentioned task instance doesn't exist.`);
    if (gone.value_ref) await storage.remove([gone.value_ref]);
    await logEvent(pool, { event: 'delete_xcom_entry', owner: req.user?.sub ?? null, dag_id: p.dag_id, run_id: p.dag_run_id, task_id: p.task_id, extra: { key: p.xcom_key, map_index: mapIndex } });
    reply.code(204);
  });
}
