/** Writes of the DAG processor, and DAG-level reads shared by the scheduler and the API. */
import crypto from 'node:crypto';
import type { SerializedDag } from '@updraft/sdk/serialized';
import type { Queryable } from './queryable.ts';

export interface DagRow {
  dag_id: string;
  is_paused: boolean;
  is_active: boolean;
  fileloc: string;
  relative_fileloc: string;
  description: string | null;
  owners: string[];
  tags: string[];
  timetable_summary: string | null;
  timetable_description: string | null;
  max_active_runs: number;
  max_active_tasks: number;
  last_parsed_time: Date | null;
  latest_version_id: number | null;
  next_dagrun: Date | null;
  next_dagrun_data_interval_start: Date | null;
  next_dagrun_data_interval_end: Date | null;
  next_dagrun_create_after: Date | null;
  /** role → resource ('DAGs', 'DAG Runs') → actions, from the DAG's access_control */
  access_control: Record<string, Record<string, string[]>> | null;
}

export function hashDag(data: SerializedDag): string {
  return crypto.createHash('sha256').update(JSON.stringify(data)).digest('hex');
}

export interface UpsertDagInput {
  data: SerializedDag;
  relativeFileloc: string;
  defaultMaxActiveRuns: number;
  defaultMaxActiveTasks: number;
  pausedByDefault: boolean;
  timetableDescription: string;
}

/**
 * Stores a parsed DAG: the dag row (created paused unless the DAG says otherwise)
 * and a new dag_version when the serialized content changed. Returns the version id.
 */
export async function upsertDag(db: Queryable, input: UpsertDagInput): Promise<{ versionId: number; created: boolean }> {
  const { data } = input;
  const hash = hashDag(data);
  const isPaused = data.is_paused_upon_creation ?? input.pausedByDefault;
  await db.query(
    `INSERT INTO dag (dag_id, is_paused, is_active, fileloc, relative_fileloc, description, owners, tags,
                      timetable_summary, timetable_description, max_active_runs, max_active_tasks, access_control, last_parsed_time)
     VALUES ($1, $2, true, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, now())
     ON CONFLICT (dag_id) DO UPDATE SET
       is_active = true, fileloc = EXCLUDED.fileloc, relative_fileloc = EXCLUDED.relative_fileloc,
       description = EXCLUDED.description, owners = EXCLUDED.owners, tags = EXCLUDED.tags,
       timetable_summary = EXCLUDED.timetable_summary, timetable_description = EXCLUDED.timetable_description,
       max_active_runs = EXCLUDED.max_active_runs, max_active_tasks = EXCLUDED.max_active_tasks,
       access_control = EXCLUDED.access_control, last_parsed_time = now()`,
    [
      data.dag_id,
      isPaused,
      data.fileloc,
      input.relativeFileloc,
      data.description,
      data.owners,
      data.tags,
      data.schedule_text,
      input.timetableDescription,
      data.max_active_runs ?? input.defaultMaxActiveRuns,
      data.max_active_tasks ?? input.defaultMaxActiveTasks,
      // in a column as well as in the version, so that authorization joins it with users' roles
      data.access_control ? JSON.stringify(data.access_control) : null,
    ],
  );
  const inserted = await db.query<{ id: number }>(
    `INSERT INTO dag_version (dag_id, version_number, hash, data)
     SELECT $1, coalesce(max(version_number), 0) + 1, $2, $3 FROM dag_version WHERE dag_id = $1
     ON CONFLICT (dag_id, hash) DO NOTHING
     RETURNING id`,
    [data.dag_id, hash, JSON.stringify(data)],
  );
  let versionId: number;
  if (inserted.rows[0]) {
    versionId = inserted.rows[0].id;
  } else {
    versionId = (await db.query<{ id: number }>('SELECT id FROM dag_version WHERE dag_id = $1 AND hash = $2', [data.dag_id, hash])).rows[0].id;
  }
  await db.query('UPDATE dag SET latest_version_id = $2 WHERE dag_id = $1', [data.dag_id, versionId]);
  return { versionId, created: inserted.rows.length > 0 };
}

/** DAGs of `fileloc` that the latest parse did not produce any more become inactive. */
export async function deactivateMissingDags(db: Queryable, fileloc: string, keep: string[]): Promise<string[]> {
  const r = await db.query<{ dag_id: string }>(
    `UPDATE dag SET is_active = false WHERE fileloc = $1 AND is_active AND NOT (dag_id = ANY($2::text[])) RETURNING dag_id`,
    [fileloc, keep],
  );
  return r.rows.map((x) => x.dag_id);
}

/** DAGs whose file is not among `existing` (the file was deleted or is now ignored) become inactive. */
export async function deactivateDagsOfMissingFiles(db: Queryable, existing: string[]): Promise<string[]> {
  const r = await db.query<{ dag_id: string }>(
    `UPDATE dag SET is_active = false WHERE is_active AND NOT (fileloc = ANY($1::text[])) RETURNING dag_id`,
    [existing],
  );
  await db.query('DELETE FROM import_error WHERE NOT (filename = ANY($1::text[]))', [existing]);
  return r.rows.map((x) => x.dag_id);
}

export async function saveDagCode(db: Queryable, fileloc: string, source: string): Promise<void> {
  const hash = crypto.createHash('sha256').update(source).digest('hex');
  await db.query(
    `INSERT INTO dag_code (fileloc, source, hash) VALUES ($1, $2, $3)
     ON CONFLICT (fileloc) DO UPDATE SET source = EXCLUDED.source, hash = EXCLUDED.hash, updated_at = now()
     WHERE dag_code.hash <> EXCLUDED.hash`,
    [fileloc, source, hash],
  );
}

export async function recordImportError(db: Queryable, filename: string, message: string, stacktrace: string): Promise<void> {
  await db.query(
    `INSERT INTO import_error (filename, message, stacktrace) VALUES ($1, $2, $3)
     ON CONFLICT (filename) DO UPDATE SET message = EXCLUDED.message, stacktrace = EXCLUDED.stacktrace, timestamp = now()`,
    [filename, message, stacktrace],
  );
}

export async function clearImportError(db: Queryable, filename: string): Promise<void> {
  await db.query('DELETE FROM import_error WHERE filename = $1', [filename]);
}

export async function getDag(db: Queryable, dagId: string): Promise<DagRow | null> {
  const r = await db.query<DagRow>('SELECT * FROM dag WHERE dag_id = $1', [dagId]);
  return r.rows[0] ?? null;
}

export async function setPaused(db: Queryable, dagId: string, isPaused: boolean): Promise<DagRow | null> {
  const r = await db.query<DagRow>('UPDATE dag SET is_paused = $2 WHERE dag_id = $1 RETURNING *', [dagId, isPaused]);
  return r.rows[0] ?? null;
}

export async function getDagVersion(db: Queryable, versionId: number): Promise<SerializedDag> {
  const r = await db.query<{ data: SerializedDag }>('SELECT data FROM dag_version WHERE id = $1', [versionId]);
  if (!r.rows[0]) throw new Error(`dag_version ${versionId} not found`);
  return r.rows[0].data;
}

export async function setNextDagrun(
  db: Queryable,
  dagId: string,
  next: { logical_date: Date; start: Date; end: Date; run_after: Date } | null,
): Promise<void> {
  await db.query(
    `UPDATE dag SET next_dagrun = $2, next_dagrun_data_interval_start = $3, next_dagrun_data_interval_end = $4,
                    next_dagrun_create_after = $5
     WHERE dag_id = $1`,
    [dagId, next?.logical_date ?? null, next?.start ?? null, next?.end ?? null, next?.run_after ?? null],
  );
}
