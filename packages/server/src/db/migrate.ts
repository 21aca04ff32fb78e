/**
 * Plain versioned SQL migrations: files NNNN_name.sql in ./migrations, applied
 * in order, each in its own transaction, under an advisory lock so that two
 * processes starting at once do not both apply them.
 */
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type pg from 'pg';

const MIGRATIONS_DIR = path.join(path.dirname(fileURLToPath(import.meta.url)), 'migrations');
const LOCK_ID = 7_361_201; // any constant; identifies "updraft migrations" among advisory locks

export interface Migration {
  version: number;
  name: string;
  sql: string;
}

export function listMigrations(): Migration[] {
  return fs
    .readdirSync(MIGRATIONS_DIR)
    .filter((f) => /^\d{4}_.+\.sql$/.test(f))
    .sort()
    .map((f) => ({ version: Number(f.slice(0, 4)), name: f.slice(5, -4), sql: fs.readFileSync(path.join(MIGRATIONS_DIR, f), 'utf8') }));
}

/** Applies the missing migrations; returns the ones it applied. */
export async function migrate(pool: pg.Pool, options: { defaultPoolSlots?: number } = {}): Promise<Migration[]> {
  const client = await pool.connect();
  const applied: Migration[] = [];
  try {
    await client.query('SELECT pg_advisory_lock($1)', [LOCK_ID]);
    await client.query(`CREATE TABLE IF NOT EXISTS schema_migrations (
      version integer PRIMARY KEY, name text NOT NULL, applied_at timestamptz NOT NULL DEFAULT now())`);
    const done = new Set((await client.query<{ version: number }>('SELECT version FROM schema_migrations')).rows.map((r) => r.version));
    for (const m of listMigrations()) {
      if (done.has(m.version)) continue;
      await client.query('BEGIN');
      try {
        await client.query(m.sql);
        await client.query('INSERT INTO schema_migrations (version, name) VALUES ($1, $2)', [m.version, m.name]);
        await client.query('COMMIT');
      } catch (err) {
        await client.query('ROLLBACK');
        throw new Error(`Migration ${m.version}_${m.name} failed: ${(err as Error).message}`, { cause: err });
      }
      applied.push(m);
    }
    await client.query(
      `INSERT INTO slot_pool (pool, slots, description) VALUES ('default_pool', $1, 'Default pool')
       ON CONFLICT (pool) DO NOTHING`,
      [options.defaultPoolSlots ?? 128],
    );
  } finally {
    await client.query('SELECT pg_advisory_unlock($1)', [LOCK_ID]).catch(() => undefined);
    client.release();
  }
  return applied;
}

/** Latest migration version known to this code, and the one the database has. */
export async function schemaStatus(pool: pg.Pool): Promise<{ code: number; database: number }> {
  const code = Math.max(...listMigrations().map((m) => m.version));
  const exists = await pool.query("SELECT to_regclass('schema_migrations') AS t");
  if (!exists.rows[0].t) return { code, database: 0 };
  const r = await pool.query<{ v: number | null }>('SELECT max(version) AS v FROM schema_migrations');
  return { code, database: r.rows[0].v ?? 0 };
}
