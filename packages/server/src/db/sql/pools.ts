/** Pools (Airflow's slot_pool) and how many of their slots task instances hold, by state. */
import type { Queryable } from './queryable.ts';

export interface PoolRow {
  pool: string;
  slots: number;
  description: string | null;
  include_deferred: boolean;
  running_slots: number;
  queued_slots: number;
  scheduled_slots: number;
  deferred_slots: number;
}

export const DEFAULT_POOL = 'default_pool';

const WITH_USAGE = `
  SELECT p.pool, p.slots, p.description, p.include_deferred,
         coalesce(sum(ti.pool_slots) FILTER (WHERE ti.state = 'running'), 0)::int AS running_slots,
         coalesce(sum(ti.pool_slots) FILTER (WHERE ti.state = 'queued'), 0)::int AS queued_slots,
         coalesce(sum(ti.pool_slots) FILTER (WHERE ti.state = 'scheduled'), 0)::int AS scheduled_slots,
         coalesce(sum(ti.pool_slots) FILTER (WHERE ti.state = 'deferred'), 0)::int AS deferred_slots
  FROM slot_pool p
  LEFT JOIN task_instance ti ON ti.pool = p.pool AND ti.state IN ('running', 'queued', 'scheduled', 'deferred')`;

export async function listPools(db: Queryable, q: { namePatterns?: string[]; orderBy: string; limit: number; offset: number }): Promise<{ pools: PoolRow[]; total: number }> {
  const where = q.namePatterns?.length ? 'WHERE p.pool ILIKE ANY($1::text[])' : '';
  const args: unknown[] = q.namePatterns?.length ? [q.namePatterns] : [];
  const total = await db.query<{ n: number }>(`SELECT count(*)::int AS n FROM slot_pool p ${where}`, args);
  const rows = await db.query<PoolRow>(
    `${WITH_USAGE} ${where} GROUP BY p.pool ORDER BY ${q.orderBy} LIMIT $${args.length + 1} OFFSET $${args.length + 2}`,
    [...args, q.limit, q.offset],
  );
  return { pools: rows.rows, total: total.rows[0].n };
}

export async function getPool(db: Queryable, name: string): Promise<PoolRow | null> {
  const r = await db.query<PoolRow>(`${WITH_USAGE} WHERE p.pool = $1 GROUP BY p.pool`, [name]);
  return r.rows[0] ?? null;
}

export async function existingPoolNames(db: Queryable, names: string[]): Promise<Set<string>> {
  const r = await db.query<{ pool: string }>('SELECT pool FROM slot_pool WHERE pool = ANY($1::text[])', [names]);
  return new Set(r.rows.map((x) => x.pool));
}

/** false when a pool of that name exists */
export async function insertPool(db: Queryable, p: { name: string; slots: number; description: string | null; include_deferred: boolean }): Promise<boolean> {
  const r = await db.query(
    'INSERT INTO slot_pool (pool, slots, description, include_deferred) VALUES ($1, $2, $3, $4) ON CONFLICT (pool) DO NOTHING',
    [p.name, p.slots, p.description, p.include_deferred],
  );
  return (r.rowCount ?? 0) > 0;
}

/** Changes the given fields (undefined = unchanged); false when there is no such pool. */
export async function updatePool(db: Queryable, name: string, p: { name?: string; slots?: number; description?: string | null; include_deferred?: boolean }): Promise<boolean> {
  const r = await db.query(
    `UPDATE slot_pool SET
       pool = CASE WHEN $2::boolean THEN $3 ELSE pool END,
       slots = CASE WHEN $4::boolean THEN $5 ELSE slots END,
       description = CASE WHEN $6::boolean THEN $7 ELSE description END,
       include_deferred = CASE WHEN $8::boolean THEN $9 ELSE include_deferred END
     WHERE pool = $1`,
    [name, p.name !== undefined, p.name ?? null, p.slots !== undefined, p.slots ?? null, p.description !== undefined, p.description ?? null, p.include_deferred !== undefined, p.include_deferred ?? null],
  );
  return (r.rowCount ?? 0) > 0;
}

export async function deletePool(db: Queryable, name: string): Promise<boolean> {
  const r = await db.query('DELETE FROM slot_pool WHERE pool = $1', [name]);
  return (r.rowCount ?? 0) > 0;
}
