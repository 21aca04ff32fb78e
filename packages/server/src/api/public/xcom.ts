/**
 * /api/v2/dags/{dag_id}/dagRuns/{dag_run_id}/taskInstances/{task_id}/xcomEntries:
 * list and get, with offloaded values fetched from object storage as if they
 * were in the database. `~` in the path means "any", as in Airflow.
 */
import type { FastifyInstance } from 'fastify';
import type pg from 'pg';
import { listXComEntries, xcomValue, type XComEntryRow } from '../../db/sql/xcom.ts';
import type { XComObjectStorage } from '../../xcom/object-storage.ts';
import { badRequest, notFound } from '../errors.ts';
import { boolParam, paging } from './pagination.ts';

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

export function registerXComRoutes(app: FastifyInstance, deps: { pool: pg.Pool; storage: XComObjectStorage }) {
  const { pool, storage } = deps;
  const any = (v: string) => (v === '~' ? null : v);

  app.get(BASE, async (req) => {
    const p = req.params as { dag_id: string; dag_run_id: string; task_id: string };
    const q = req.query as Record<string, unknown>;
    const { limit, offset } = paging(q);
    const { entries, total } = await listXComEntries(pool, {
      dag_id: any(p.dag_id),
      run_id: any(p.dag_run_id),
      task_id: any(p.task_id),
      key: q.xcom_key === undefined ? undefined : String(q.xcom_key),
      map_index: mapIndexParam(q.map_index),
      limit,
      offset,
    });
    return { xcom_entries: entries.map(entry), total_entries: total };
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
}
