/**
 * Opens the metadata database: the external server named by
 * [database] sql_alchemy_conn, or the embedded one under $UPDRAFT_HOME.
 */
import pg from 'pg';
import type { Config } from '../config/config.ts';
import { startEmbeddedPostgres, type EmbeddedDb } from './embedded.ts';

// bigint columns (ids, counts) fit in a JS number for any realistic table
pg.types.setTypeParser(20, (v) => Number(v));
// numeric (e.g. sum() results)
pg.types.setTypeParser(1700, (v) => Number(v));

export interface Database {
  pool: pg.Pool;
  url: string;
  embedded: EmbeddedDb | null;
  close(options?: { stopEmbedded?: boolean }): Promise<void>;
}

export class DatabaseError extends Error {}

function redact(url: string): string {
  return url.replace(/\/\/([^:@/]+):([^@/]*)@/, '//$1:***@');
}

export function validateDatabaseUrl(url: string): void {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    throw new DatabaseError(`[database] sql_alchemy_conn is not a URL: '${redact(url)}' (expected postgresql://user:password@host:port/database)`);
  }
  // Airflow users paste SQLAlchemy URLs such as postgresql+psycopg2://; the driver suffix means nothing to us
  if (!/^postgres(ql)?(\+\w+)?:$/.test(parsed.protocol)) {
    throw new DatabaseError(`[database] sql_alchemy_conn must be a postgresql:// URL, got '${parsed.protocol}//…' (Updraft supports PostgreSQL only)`);
  }
}

export async function openDatabase(config: Config, options: { adoptEmbedded?: boolean; max?: number } = {}): Promise<Database> {
  const external = config.str('database', 'sql_alchemy_conn').trim();
  let url: string;
  let embedded: EmbeddedDb | null = null;
  if (external) {
    validateDatabaseUrl(external);
    url = external.replace(/^postgres(ql)?\+\w+:/, 'postgresql:');
  } else {
    embedded = await startEmbeddedPostgres(config.home, { adopt: options.adoptEmbedded });
    url = embedded.url;
  }
  const pool = new pg.Pool({ connectionString: url, max: options.max ?? config.int('database', 'max_connections'), connectionTimeoutMillis: 10_000 });
  // an idle client losing its connection must not crash the process; the pool replaces it
  pool.on('error', () => undefined);
  try {
    await pool.query('SELECT 1');
  } catch (err) {
    await pool.end().catch(() => undefined);
    if (embedded?.owned) await embedded.stop();
    throw new DatabaseError(`Cannot connect to the database at ${redact(url)}: ${(err as Error).message}`);
  }
  return {
    pool,
    url,
    embedded,
    async close({ stopEmbedded = true } = {}) {
      await pool.end().catch(() => undefined);
      if (embedded?.owned && stopEmbedded) await embedded.stop();
    },
  };
}
