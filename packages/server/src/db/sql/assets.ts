/** Assets, their events, and the queue that starts asset-scheduled DAGs. */
import { assetsIn } from '@updraft/sdk';
import type { SerializedDag } from '@updraft/sdk/serialized';
import type { Queryable } from './queryable.ts';

export interface AssetEventRow {
  id: number;
  asset_id: number;
  uri: string;
  name: string;
  extra: Record<string, unknown>;
  source_dag_id: string | null;
  source_task_id: string | null;
  source_run_id: string | null;
  source_map_index: number;
  timestamp: Date;
}

/** Records the assets a DAG names (schedule and outlets) and which DAG/task names them. */
export async function syncDagAssets(db: Queryable, dag: SerializedDag): Promise<void> {
  const scheduled = dag.schedule.kind === 'assets' ? assetsIn(dag.schedule.condition) : [];
  const outlets = dag.tasks.flatMap((t) => (t.outlets ?? []).map((a) => ({ ...a, task_id: t.task_id })));
  const all = [...scheduled, ...outlets];
  await db.query('DELETE FROM dag_schedule_asset_reference WHERE dag_id = $1', [dag.dag_id]);
  await db.query('DELETE FROM task_outlet_asset_reference WHERE dag_id = $1', [dag.dag_id]);
  if (all.length === 0) return;
  await db.query(
    `INSERT INTO asset (uri, name) SELECT * FROM unnest($1::text[], $2::text[]) ON CONFLICT (uri) DO NOTHING`,
    [all.map((a) => a.uri), all.map((a) => a.name)],
  );
  if (scheduled.length) {
    await db.query(
      `INSERT INTO dag_schedule_asset_reference (asset_id, dag_id) SELECT id, $2 FROM asset WHERE uri = ANY($1::text[]) ON CONFLICT DO NOTHING`,
      [scheduled.map((a) => a.uri), dag.dag_id],
    );
  }
  if (outlets.length) {
    await db.query(
      `INSERT INTO task_outlet_asset_reference (asset_id, dag_id, task_id)
       SELECT a.id, $3, o.task_id FROM unnest($1::text[], $2::text[]) AS o(uri, task_id) JOIN asset a ON a.uri = o.uri
       ON CONFLICT DO NOTHING`,
      [outlets.map((a) => a.uri), outlets.map((a) => a.task_id), dag.dag_id],
    );
  }
}

export interface NewAssetEvent {
  uri: string;
  name?: string;
  extra?: Record<string, unknown>;
  source?: { dag_id: string; task_id: string; run_id: string; map_index: number } | null;
}

/**
 * Records an asset event (creating the asset when it is new, as an API caller
 * may name one first) and queues it for every DAG scheduled on the asset.
 * Returns the event and the DAGs queued.
 */
export async function recordAssetEvent(db: Queryable, e: NewAssetEvent): Promise<{ event: AssetEventRow; queued: string[] }> {
  await db.query('INSERT INTO asset (uri, name) VALUES ($1, $2) ON CONFLICT (uri) DO NOTHING', [e.uri, e.name ?? e.uri]);
  const r = await db.query<AssetEventRow>(
    `WITH ev AS (
       INSERT INTO asset_event (asset_id, extra, source_dag_id, source_task_id, source_run_id, source_map_index)
       SELECT id, $2, $3, $4, $5, $6 FROM asset WHERE uri = $1
       RETURNING *
     )
     SELECT ev.*, a.uri, a.name FROM ev JOIN asset a ON a.id = ev.asset_id`,
    [e.uri, JSON.stringify(e.extra ?? {}), e.source?.dag_id ?? null, e.source?.task_id ?? null, e.source?.run_id ?? null, e.source?.map_index ?? -1],
  );
  const queued = await db.query<{ dag_id: string }>(
    `INSERT INTO asset_dag_run_queue (asset_id, target_dag_id)
     SELECT ref.asset_id, ref.dag_id FROM dag_schedule_asset_reference ref JOIN dag d ON d.dag_id = ref.dag_id
     WHERE ref.asset_id = $1 AND d.is_active
     ON CONFLICT DO NOTHING
     RETURNING target_dag_id AS dag_id`,
    [r.rows[0].asset_id],
  );
  return { event: r.rows[0], queued: queued.rows.map((q) => q.dag_id) };
}

/** Asset-scheduled DAGs (not paused) with queued asset updates, and the uris queued for each. */
export async function queuedAssetUpdates(db: Queryable): Promise<{ dag_id: string; latest_version_id: number; uris: string[] }[]> {
  const r = await db.query<{ dag_id: string; latest_version_id: number; uris: string[] }>(
    `SELECT d.dag_id, d.latest_version_id, array_agg(a.uri) AS uris
     FROM asset_dag_run_queue q JOIN dag d ON d.dag_id = q.target_dag_id JOIN asset a ON a.id = q.asset_id
     WHERE NOT d.is_paused AND d.is_active AND d.latest_version_id IS NOT NULL
     GROUP BY d.dag_id, d.latest_version_id`,
  );
  return r.rows;
}

/** Removes a DAG's queued updates and links the events they stood for to the run they started. */
export async function consumeAssetQueue(db: Queryable, dagId: string, dagRunId: number): Promise<void> {
  await db.query(
    `INSERT INTO dag_run_asset_event (dag_run_id, event_id)
     SELECT $2, e.id FROM asset_event e JOIN asset_dag_run_queue q ON q.asset_id = e.asset_id AND q.target_dag_id = $1
     WHERE e.timestamp >= q.created_at - interval '1 second'
     ON CONFLICT DO NOTHING`,
    [dagId, dagRunId],
  );
  await db.query('DELETE FROM asset_dag_run_queue WHERE target_dag_id = $1', [dagId]);
}

export async function listAssets(db: Queryable, limit: number, offset: number) {
  const r = await db.query(
    `SELECT a.*, count(*) OVER () AS total FROM asset a ORDER BY a.id LIMIT $1 OFFSET $2`,
    [limit, offset],
  );
  return r.rows;
}

export async function listAssetEvents(db: Queryable, filter: { asset_id?: number | null; source_dag_id?: string | null }, limit: number, offset: number) {
  const r = await db.query<AssetEventRow & { total: string }>(
    `SELECT e.*, a.uri, a.name, count(*) OVER () AS total FROM asset_event e JOIN asset a ON a.id = e.asset_id
     WHERE ($1::bigint IS NULL OR e.asset_id = $1) AND ($2::text IS NULL OR e.source_dag_id = $2)
     ORDER BY e.timestamp, e.id LIMIT $3 OFFSET $4`,
    [filter.asset_id ?? null, filter.source_dag_id ?? null, limit, offset],
  );
  return r.rows;
}
